"""The three MNIST GAN presets (`--arch`): their generator, discriminator and training recipe.

- `slides`   the lecture-slides MLP GAN (the default): Linear+BatchNorm1d+ReLU blocks in G, Linear+LeakyReLU(0.2)
             blocks in D.
- `paper`    the paper's MNIST nets as in the authors' released configuration (goodfeli/adversarial,
             mnist.yaml): a ReLU generator and a maxout + dropout discriminator, trained with SGD + momentum.
- `tutorial` the small TensorFlow-tutorial GAN many students start from.

A recipe is the preset's defaults; any command-line flag overrides its field.
"""
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from npgan import nn
from npgan.nn import init

IMAGE_DIM = 784


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
    notes: str = field(default="", repr=False)

    def to_dict(self):
        return asdict(self)


RECIPES = {
    # Chosen by measurement (README "Choosing the defaults", benchmarks/choose_defaults.py): of the recipes
    # tried, Adam(1e-3, β1 = 0.5) at batch 256 reached all ten classes soonest and the lowest FID on a
    # 2-core CPU, where its epoch is also the fastest (about 9 s): 12 epochs take about 2 minutes.
    "slides": Recipe(arch="slides", z_dim=64, hidden=128, noise="normal", optimizer="adam", lr=1e-3,
                     betas=(0.5, 0.999), batch_size=256, epochs=12),
    # goodfeli/adversarial mnist.yaml: batch 100, SGD lr 0.1 divided by 1.000004 per update (min 1e-6),
    # momentum 0.5 rising linearly to 0.7 by epoch 250, trained on the first 50,000 images, noise
    # uniform on [−√3, √3] per dimension (unit variance).
    "paper": Recipe(arch="paper", z_dim=100, hidden=1200, noise="uniform-sqrt3", optimizer="sgd", lr=0.1,
                    momentum=0.5, batch_size=100, epochs=50, lr_decay=1.000004, min_lr=1e-6,
                    final_momentum=0.7, momentum_saturate_epoch=250, train_images=50000),
    # TensorFlow tutorial GAN: Adam 2e-4 for both nets, batch 100, 30 epochs, noise N(0, I).
    "tutorial": Recipe(arch="tutorial", z_dim=128, hidden=256, noise="normal", optimizer="adam", lr=2e-4,
                       batch_size=100, epochs=30),
}
ARCHS = tuple(RECIPES)


def recipe(arch, **overrides):
    """The preset's recipe with the given fields replaced (None values are ignored)."""
    if arch not in RECIPES:
        raise ValueError(f"unknown arch {arch!r}: choose one of {', '.join(ARCHS)}")
    return replace(RECIPES[arch], **{k: v for k, v in overrides.items() if v is not None})


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


def paper_generator(z_dim=100, hidden=1200, pixel_means=None):
    """goodfeli/adversarial mnist.yaml: z_dim → 1200 (ReLU) → 1200 (ReLU) → 784 (Sigmoid), weights
    U(±0.05), biases 0, except the output bias: the logit of each pixel's mean intensity, so the untrained
    G already draws the average digit (pylearn2's `init_bias_target_marginals`)."""
    G = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                      nn.Linear(hidden, IMAGE_DIM), nn.Sigmoid())
    _fill(G, lambda p: init.uniform_(p, 0.05))
    if pixel_means is not None:
        G[4].bias.data[...] = marginal_logits(pixel_means)
    return G


def marginal_logits(pixel_means, eps=1e-3):
    """logit(clip(mean)) per pixel, float32 (clipped: border pixels have mean 0, whose logit is −∞)."""
    p = np.clip(np.asarray(pixel_means, dtype=np.float32), eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


def paper_discriminator(hidden=240, pieces=5):
    """goodfeli/adversarial mnist.yaml: Maxout(240 units × 5 pieces) → Maxout(240 × 5) → 1 logit, weights
    U(±0.005), biases 0; dropout keeps the image input with probability 0.8 (scale 1.25) and each hidden
    input with probability 0.5 (scale 2)."""
    D = nn.Sequential(nn.Dropout(0.2), nn.Maxout(IMAGE_DIM, hidden, pieces), nn.Dropout(0.5),
                      nn.Maxout(hidden, hidden, pieces), nn.Dropout(0.5), nn.Linear(hidden, 1))
    _fill(D, lambda p: init.uniform_(p, 0.005))
    return D


def tutorial_generator(z_dim=128, hidden=256):
    """z_dim → 256 (ReLU) → 784 (Sigmoid), weights N(0, 0.01²), zero biases."""
    G = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, IMAGE_DIM), nn.Sigmoid())
    _fill(G, lambda p: init.normal_(p, 0.01))
    return G


def tutorial_discriminator(hidden=256):
    """784 → 256 (ReLU) → 1 logit, weights N(0, 0.01²), zero biases."""
    D = nn.Sequential(nn.Linear(IMAGE_DIM, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    _fill(D, lambda p: init.normal_(p, 0.01))
    return D


def build(r, pixel_means=None):
    """(G, D) for a recipe, on the host in float32 (move them with .to(backend))."""
    if r.arch == "slides":
        return slides_generator(r.z_dim, r.hidden), slides_discriminator(r.hidden)
    if r.arch == "paper":
        return paper_generator(r.z_dim, r.hidden, pixel_means), paper_discriminator()
    if r.arch == "tutorial":
        return tutorial_generator(r.z_dim, r.hidden), tutorial_discriminator(r.hidden)
    raise ValueError(f"unknown arch {r.arch!r}")


def recipe_from_checkpoint(path):
    """The recipe a checkpoint was trained with (stored in it as JSON)."""
    import json
    from npgan.checkpoint import load_checkpoint
    saved = json.loads(load_checkpoint(path)["recipe"])
    saved["betas"] = tuple(saved["betas"])
    return Recipe(**saved)


def generator_from_checkpoint(path, backend="numpy"):
    """The trained generator of a checkpoint written by examples/mnist_gan.py, on `backend`, in eval mode."""
    from npgan.checkpoint import load_checkpoint
    r = recipe_from_checkpoint(path)
    G, _ = build(r)
    G.load_state_dict(load_checkpoint(path)["trainer"]["G"])
    return G.to(backend).eval()
