"""Drawing from a generator: `sample` (images, in eval mode, seeded), `infer` (any module in eval mode, back on
the host) and `recipe_noise` (the inputs a recipe's G takes). A trained G comes from a run checkpoint:
npgan.training.load_generator."""
import numpy as np

from npgan import backend as B
from npgan.gan.conditional import ConditionOn, class_labels, concat_forward, one_hot
from npgan.gan.trainer import sample_noise
from npgan.nn.grad_mode import no_grad


def recipe_noise(recipe):
    """draw(m, rng) -> m host float32 inputs of the recipe's G from the host generator `rng`: z from its
    prior, joined for a conditional G with one-hot labels 0, 1, ..., C − 1, 0, ... (every class equally)."""
    def draw(m, rng):
        z = sample_noise(m, recipe.z_dim, recipe.noise, np, rng=rng)
        if not recipe.conditional:
            return z
        return concat_forward(z, one_hot(class_labels(m, recipe.n_classes), np, z.dtype, recipe.n_classes))[0]
    return draw


def infer(module, x):
    """module(x) in eval mode under no_grad (no caches kept, BatchNorm on running statistics, no dropout),
    returned on the host; the module's train/eval mode is restored."""
    was_training = module.training
    module.eval()
    try:
        with no_grad():
            return B.to_cpu(module(x))
    finally:
        module.train(was_training)


def sample(G, n, recipe=None, seed=None, z=None, batch_size=1000, labels=None):
    """n images from G, in eval mode, as a float32 host array (n, D) clipped to [0, 1] (D: the data's width,
    784 for MNIST).

    z: the noise (a device array of n rows); else drawn from `recipe`'s prior in chunks of `batch_size`
    from the run's generators, reseeded with `seed` when given (so a seed always gives the same images).
    A conditional G (npgan.gan.conditional.ConditionOn) draws the classes `labels` ((n,) integers; default
    0, 1, ..., C − 1, 0, ...: every class equally); its z, when given, already holds the one-hot labels."""
    if z is None and recipe is None:
        raise ValueError("sample needs the recipe (its z_dim and noise prior) or the noise z")
    conditional = isinstance(G, ConditionOn)
    if labels is not None and not conditional:
        raise ValueError("labels= needs a conditional generator (a run trained with --conditional)")
    if conditional and z is None:
        labels = class_labels(n, G.n_classes) if labels is None else np.asarray(labels)
    if seed is not None:
        B.manual_seed(seed)
    chunks = []
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        if z is not None:
            x = z[start:start + m]
        else:
            x = sample_noise(m, recipe.z_dim, recipe.noise, G.xp)
            if conditional:
                x = concat_forward(x, one_hot(labels[start:start + m], G.xp, x.dtype, G.n_classes))[0]
        out = infer(G, x)
        chunks.append(G.images(out) if conditional else out)
    return np.clip(np.concatenate(chunks), 0.0, 1.0).astype(np.float32, copy=False)
