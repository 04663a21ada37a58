"""The three GAN presets (`--arch`): their generator, discriminator and training recipe.

The presets were made for MNIST; the data decide the shapes. A recipe records the data's `image_shape`
((H, W) grey, (H, W, 3) colour, None for plain vectors), their width `data_dim` = H·W(·3) and, for a
conditional run, `n_classes`; G's output and D's input take that width. A recipe made without data
describes MNIST (28 × 28, 10 classes); :func:`fit_data` sets the fields from the data a run trains on.

- `slides`   the lecture-slides MLP GAN (the default): Linear+BatchNorm1d+ReLU blocks in G, Linear+LeakyReLU(0.2)
             blocks in D.
- `paper`    the paper's MNIST nets as in the authors' released configuration (goodfeli/adversarial,
             mnist.yaml): a ReLU generator and a maxout + dropout discriminator, trained with SGD + momentum.
- `tutorial` the small TensorFlow-tutorial GAN many students start from.

A recipe is the preset's defaults; any command-line flag overrides its field. Every recipe is validated
when it is made (:func:`recipe`, ``Recipe(...)``): a bad field raises :class:`SettingError` naming it and
its allowed range, before anything is built or written.
"""
import math
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from npgan import backend as B
from npgan import nn, optim
from npgan.gan.conditional import N_CLASSES, ConditionOn, LabelledNoise
from npgan.gan.ema import GeneratorAverage
from npgan.gan.trainer import NOISE_PRIORS, UPDATE_ORDERS, GANTrainer
from npgan.nn import init
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.settings import SettingError, check_choice, check_float, check_int

MNIST_SHAPE = (28, 28)
IMAGE_DIM = 784  # MNIST's width: the default data_dim
ARCHS = ("slides", "paper", "tutorial")
OPTIMIZERS = ("sgd", "adam")


@dataclass
class Recipe:
    arch: str
    z_dim: int
    hidden: int
    noise: str                 # "normal" | "uniform" ([−1, 1]) | "uniform-sqrt3" ([−√3, √3], unit variance)
    optimizer: str             # "sgd" | "adam"
    lr: float
    batch_size: int
    epochs: int
    momentum: float = 0.0
    betas: tuple = (0.9, 0.999)
    loss: str = "non-saturating"
    k: int = 1
    update: str = "alternating"
    lr_decay: float = 1.0      # lr divided by this after every update (1.0: constant)
    min_lr: float = 0.0
    final_momentum: float = None   # momentum ramps linearly to this ...
    momentum_saturate_epoch: int = None  # ... by this epoch
    train_images: int = None   # use only the first N training images (the paper: 50,000)
    conditional: bool = False  # the paper's §7: the one-hot digit joins z at G's input and x at D's (npgan.gan.conditional)
    ema: float = None          # generator averaging: decay d of θ̄ ← d·θ̄ + (1 − d)·θ (None or 0: off)
    image_shape: tuple = MNIST_SHAPE  # the data's: (H, W) grey, (H, W, 3) colour, None for vectors (fit_data)
    data_dim: int = IMAGE_DIM  # G's output width and D's input width: prod(image_shape) for images
    n_classes: int = N_CLASSES  # a conditional run's classes (its labels 0..n_classes − 1)
    notes: str = field(default="", repr=False)

    def __post_init__(self):
        check_choice("arch", self.arch, ARCHS)
        for name in ("z_dim", "hidden", "batch_size", "epochs", "k"):
            setattr(self, name, check_int(name, getattr(self, name)))
        self.train_images = check_int("train_images", self.train_images, optional=True)
        check_choice("noise", self.noise, NOISE_PRIORS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("loss", self.loss, GENERATOR_LOSSES)
        check_choice("update", self.update, UPDATE_ORDERS)
        self.lr = check_float("lr", self.lr, low=0.0, low_open=True)
        self.momentum = check_float("momentum", self.momentum, 0.0, 1.0, high_open=True)
        if np.ndim(self.betas) != 1 or len(self.betas) != 2:
            raise SettingError("betas", f"must be two numbers (beta1, beta2), got {self.betas!r}")
        self.betas = tuple(check_float("betas", b, 0.0, 1.0, high_open=True) for b in self.betas)
        self.lr_decay = check_float("lr_decay", self.lr_decay, low=1.0)  # 1 keeps lr constant; < 1 grows it
        self.min_lr = check_float("min_lr", self.min_lr, 0.0, self.lr)
        self.final_momentum = check_float("final_momentum", self.final_momentum, 0.0, 1.0, high_open=True,
                                          optional=True)
        if self.conditional not in (True, False):
            raise SettingError("conditional", f"must be true or false, got {self.conditional!r}")
        self.conditional = bool(self.conditional)
        self.ema = check_float("ema", self.ema, 0.0, 1.0, high_open=True, optional=True) or None
        self.momentum_saturate_epoch = check_int("momentum_saturate_epoch", self.momentum_saturate_epoch,
                                                 optional=True)
        self.data_dim = check_int("data_dim", self.data_dim)
        self.n_classes = check_int("n_classes", self.n_classes, low=2)
        if self.image_shape is not None:
            shape = self.image_shape
            if np.ndim(shape) != 1 or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
                raise SettingError("image_shape", f"must be (H, W) or (H, W, 3), or None for vectors; got {shape!r}")
            self.image_shape = tuple(check_int("image_shape", side) for side in shape)
            if math.prod(self.image_shape) != self.data_dim:
                raise SettingError("image_shape", f"{self.image_shape} holds {math.prod(self.image_shape)} values, "
                                   f"but data_dim is {self.data_dim}")

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, saved):
        """The recipe of `to_dict()` (as stored in checkpoints); unknown keys are a SettingError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(saved) - known)
        if unknown:
            raise SettingError(unknown[0], f"is not a recipe field (known: {', '.join(sorted(known))})")
        values = dict(saved)
        if "betas" in values:
            values["betas"] = tuple(values["betas"])
        if values.get("image_shape") is not None:
            values["image_shape"] = tuple(values["image_shape"])
        return cls(**values)


RECIPES = {
    # Chosen by measurement (docs/training.md, "Choosing the defaults"): Adam with β1 = 0.5 at batch 256 reached all
    # ten classes soonest on a 2-core CPU, where its epoch is also the fastest (about 9 s); the
    # quality-per-minute sweep (benchmarks/quality_curve.py) then doubled its learning rate and averaged
    # G (d = 0.99), which took FID at epoch 16–17 from 38 to 10: 15 epochs take about 3.5 minutes.
    "slides": Recipe(arch="slides", z_dim=64, hidden=128, noise="normal", optimizer="adam", lr=2e-3,
                     betas=(0.5, 0.999), batch_size=256, epochs=15, ema=0.99),
    # goodfeli/adversarial mnist.yaml (audited line by line in docs/paper_recipe.md): batch 100, SGD lr 0.1
    # divided by 1.000004 per update (min 1e-6), momentum 0.5 rising linearly to 0.7 by epoch 250, trained
    # on the first 50,000 images, noise uniform on [−√3, √3] per dimension (unit variance), and pylearn2's
    # standard SGD over AdversaryCost2: both nets' gradients from one minibatch, applied together.
    "paper": Recipe(arch="paper", z_dim=100, hidden=1200, noise="uniform-sqrt3", optimizer="sgd", lr=0.1,
                    momentum=0.5, batch_size=100, epochs=50, lr_decay=1.000004, min_lr=1e-6,
                    final_momentum=0.7, momentum_saturate_epoch=250, train_images=50000,
                    update="simultaneous"),
    # TensorFlow tutorial GAN: Adam 2e-4 for both nets, batch 100, 30 epochs, noise N(0, I).
    "tutorial": Recipe(arch="tutorial", z_dim=128, hidden=256, noise="normal", optimizer="adam", lr=2e-4,
                       batch_size=100, epochs=30),
}


# The slides preset sized for a dataset other than MNIST (`recipe("slides", dataset=...)`, npgan-train --dataset).
# The 8x8 digits (1,442 training images of 64 pixels): a quarter of the noise and half the width, smaller
# batches so that an epoch still makes 45 updates; chosen by measurement (benchmarks/RESULTS.md, "The 8x8 digits").
SIZED_FOR = {
    "sklearn-digits": dict(z_dim=16, hidden=64, batch_size=32, lr=1e-3, epochs=40),
}


def recipe(arch, dataset=None, **overrides):
    """The preset's recipe — for `dataset`, the slides preset sized for it (SIZED_FOR) — with the given fields
    replaced (None values are ignored), validated."""
    check_choice("arch", arch, ARCHS)
    sized = SIZED_FOR.get(dataset, {}) if arch == "slides" else {}
    return replace(RECIPES[arch], **{**sized, **{k: v for k, v in overrides.items() if v is not None}})


def fit_data(r, image_shape, data_dim, n_classes=None):
    """The recipe `r` sized for the data: their `image_shape` (None for vectors) and width `data_dim`, and a
    conditional recipe's `n_classes` (from the labels; left as it is when None). SettingError when the
    shape and the width disagree."""
    changes = {"image_shape": image_shape, "data_dim": data_dim}
    if n_classes is not None:
        changes["n_classes"] = n_classes
    return replace(r, **changes)


def slides_generator(z_dim=64, hidden=128, out=IMAGE_DIM):
    """z_dim → h → 2h → 4h → 8h → out: Linear + BatchNorm1d + ReLU blocks, Sigmoid output."""
    widths = [z_dim, hidden, 2 * hidden, 4 * hidden, 8 * hidden]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.BatchNorm1d(fan_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], out), nn.Sigmoid())


def slides_discriminator(hidden=128, inp=IMAGE_DIM):
    """inp → 4h → 2h → h → 1: Linear + LeakyReLU(0.2) blocks, logits out (the loss applies the sigmoid)."""
    widths = [inp, 4 * hidden, 2 * hidden, hidden]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Linear(hidden, 1))


def _fill(model, weight_fn, bias_value=0.0):
    for name, param in model.named_parameters():
        if name.endswith("weight"):
            weight_fn(param)
        else:
            init.constant_(param, bias_value)


def paper_generator(z_dim=100, hidden=1200, pixel_means=None, out=IMAGE_DIM):
    """goodfeli/adversarial mnist.yaml: z_dim → 1200 (ReLU) → 1200 (ReLU) → out = 784 (Sigmoid), weights
    U(±0.05), biases 0, except the output bias: the logit of each pixel's mean intensity, so the untrained
    G already draws the average digit (pylearn2's `init_bias_target_marginals`)."""
    G = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                      nn.Linear(hidden, out), nn.Sigmoid())
    _fill(G, lambda p: init.uniform_(p, 0.05))
    if pixel_means is not None:
        G[4].bias.data[...] = marginal_logits(pixel_means)
    return G


def marginal_logits(pixel_means, eps=1e-7):
    """logit(clip(mean, eps, 1 − eps)) per pixel, in float32. Clipped because border pixels have mean 0,
    whose logit is −∞; eps = 1e-7 is pylearn2's (`init_sigmoid_bias_from_array`), so an untrained G draws
    those pixels at sigmoid(−16.1) ≈ 1e-7. Computed in float64: 1 − 1e-7 is not a float32."""
    p = np.clip(np.asarray(pixel_means, dtype=np.float64), eps, 1.0 - eps)
    return (np.log(p) - np.log1p(-p)).astype(np.float32)


def paper_discriminator(hidden=240, pieces=5, inp=IMAGE_DIM):
    """goodfeli/adversarial mnist.yaml: Maxout(240 units × 5 pieces) → Maxout(240 × 5) → 1 logit, weights
    U(±0.005), biases 0; dropout keeps the image input with probability 0.8 (scale 1.25) and each hidden
    input with probability 0.5 (scale 2)."""
    D = nn.Sequential(nn.Dropout(0.2), nn.Maxout(inp, hidden, pieces), nn.Dropout(0.5),
                      nn.Maxout(hidden, hidden, pieces), nn.Dropout(0.5), nn.Linear(hidden, 1))
    _fill(D, lambda p: init.uniform_(p, 0.005))
    return D


def tutorial_generator(z_dim=128, hidden=256, out=IMAGE_DIM):
    """z_dim → 256 (ReLU) → out = 784 (Sigmoid), weights N(0, 0.01²), zero biases."""
    G = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, out), nn.Sigmoid())
    _fill(G, lambda p: init.normal_(p, 0.01))
    return G


def tutorial_discriminator(hidden=256, inp=IMAGE_DIM):
    """inp = 784 → 256 (ReLU) → 1 logit, weights N(0, 0.01²), zero biases."""
    D = nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    _fill(D, lambda p: init.normal_(p, 0.01))
    return D


def build(r, pixel_means=None):
    """(G, D) for a recipe, on the host in float32 (move them with .to(backend)): G's output and D's input
    are `r.data_dim` wide. A conditional recipe widens G's input by the one-hot label (`r.n_classes`
    columns) and D's input likewise, and wraps G in ConditionOn."""
    extra = r.n_classes if r.conditional else 0
    z_in, x_in = r.z_dim + extra, r.data_dim + extra
    if r.arch == "slides":
        G, D = slides_generator(z_in, r.hidden, r.data_dim), slides_discriminator(r.hidden, x_in)
    elif r.arch == "paper":
        G, D = paper_generator(z_in, r.hidden, pixel_means, r.data_dim), paper_discriminator(inp=x_in)
    elif r.arch == "tutorial":
        G, D = tutorial_generator(z_in, r.hidden, r.data_dim), tutorial_discriminator(r.hidden, x_in)
    else:
        raise ValueError(f"unknown arch {r.arch!r}")
    return (ConditionOn(G, r.n_classes) if r.conditional else G), D


def make_optimizer(r, params):
    """The recipe's optimizer over `params`."""
    if r.optimizer == "adam":
        return optim.Adam(params, lr=r.lr, betas=r.betas)
    return optim.SGD(params, lr=r.lr, momentum=r.momentum)


def build_trainer(r, pixel_means=None, backend=None, noise_sampler=None):
    """Algorithm 1 for a recipe: G and D (on `backend`), their optimizers, the per-update learning-rate
    decay (`trainer.schedules`), the per-epoch momentum ramp (`trainer.epoch_schedules`) and, when the
    recipe averages, the generator average (`trainer.ema`, npgan.gan.ema.GeneratorAverage)."""
    G, D = build(r, pixel_means=pixel_means)
    G.to(backend)
    D.to(backend)
    opt_G, opt_D = make_optimizer(r, G.parameters()), make_optimizer(r, D.parameters())
    schedules, ramps = [], []
    if r.lr_decay != 1.0:
        schedules = [optim.ExponentialDecay(opt, r.lr_decay, r.min_lr) for opt in (opt_D, opt_G)]
    if r.final_momentum is not None:
        ramps = [optim.MomentumRamp(opt, r.momentum, r.final_momentum, saturate_epoch=r.momentum_saturate_epoch)
                 for opt in (opt_D, opt_G)]
    average = GeneratorAverage(G, r.ema) if r.ema else None
    trainer = GANTrainer(G, D, opt_G, opt_D, r.z_dim, k=r.k, loss=r.loss, noise=r.noise, update=r.update,
                         schedules=schedules, epoch_schedules=ramps, noise_sampler=noise_sampler, ema=average)
    if r.conditional:  # z ~ p_g(z) joined with a uniformly drawn one-hot label c′
        first = G.parameters()[0].data
        trainer.noise_sampler = LabelledNoise(trainer.noise_sampler, B.get_array_module(first), first.dtype,
                                              r.n_classes)
    return trainer

