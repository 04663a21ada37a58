"""The paper's Figures 2 and 3 for a trained generator, and the memorisation number beside Figure 2.

    figure2(G, recipe, train, "figure2.png", memorisation=Memorisation(train, test)(sample(G, n, recipe)))
    figure3(G, recipe, "figure3.png", rows=8, steps=10, seed=0)

examples/figures.py draws both; npgan/cli/figures.py (`npgan-figures --figure2 CKPT`) has every option.

Figure 2 (Goodfellow et al. 2014): samples in a grid whose last column, framed, shows for each row's last
sample its nearest training image (Euclidean distance over all the images the run trained on), so a
reader can see the samples are not copies. Beside it, the memorisation number of npgan.evaluation.memorisation (about
1 when samples are no closer to the training set than new digits are, near 0 when the model replays
training images). Figure 3: digits along straight lines in z space, z = (1 − t)·z₁ + t·z₂ for t from 0 to
1 (endpoints drawn from the run's prior with a seed, or given).

Both draw at the run's image shape (recipe.image_shape: (H, W) grey or (H, W, 3) colour; images smaller
than 28 pixels are enlarged, each pixel a block); a generator of plain vectors (image_shape None) has no
figures (ValueError). A conditional generator (trained with --conditional) draws row i of Figure 2 as class
i mod C (C = recipe.n_classes: MNIST's 10 digits), and each line of Figure 3 once per class 0..C−1, the
same z for every class, so the rows show what z holds (slant, stroke) apart from the class; `--digit D`
draws class D alone.
"""

import numpy as np

from npgan import backend as B
from npgan import viz
from npgan.gan.conditional import concat_forward, one_hot
from npgan.gan import sample_noise
from npgan.evaluation.memorisation import nearest_neighbours
from npgan.gan.sampling import sample

FRAME_COLOR = "#f5c518"  # the paper frames the nearest-neighbour column in yellow


# --- Figure 3: straight lines in z space ---------------------------------------------------------------------

def interpolate(z1, z2, steps):
    """Points along the segments from z1[i] to z2[i] (both (R, Z)): (R·steps, Z), row-major by segment,
    z = (1 − t)·z1 + t·z2 for t = 0, 1/(steps − 1), ..., 1, so the first and last points are z1 and z2
    exactly. On the inputs' device and in their dtype."""
    xp = B.get_array_module(z1, z2)
    t = xp.linspace(0.0, 1.0, steps, dtype=z1.dtype)[None, :, None]
    z = (1 - t) * z1[:, None, :] + t * z2[:, None, :]
    return z.reshape(-1, z1.shape[1])


def line_endpoints(rows, recipe, seed):
    """z1, z2 ((rows, z_dim) float32 host arrays): independent draws from the run's prior, seeded."""
    z = sample_noise(2 * rows, recipe.z_dim, recipe.noise, np, rng=np.random.default_rng([seed, 3]))
    return z[:rows], z[rows:]


def line_digits(recipe, digit=None):
    """The classes each line of Figure 3 is drawn as: none for an unconditional G, 0..C−1 (or only `digit`)
    for a conditional one."""
    if digit is not None and not recipe.conditional:
        raise ValueError("digit= needs a conditional generator (a run trained with --conditional)")
    if not recipe.conditional:
        return None
    return np.arange(recipe.n_classes) if digit is None else np.array([digit])


def check_images(recipe):
    """The run's image shape; ValueError for a generator of plain vectors, which has no figures."""
    if recipe.image_shape is None:
        raise ValueError(f"the generator draws {recipe.data_dim}-vectors, not images (its run had no image "
                         f"shape): Figures 2 and 3 draw images")
    return recipe.image_shape


def figure3(G, recipe, path, rows=8, steps=10, seed=0, endpoints=None, digit=None):
    """Save the grid of G's digits along `rows` straight lines in z space, `steps` points each, to `path`.
    endpoints: (rows, 2, z_dim) host array to use instead of seeded draws. A conditional G draws each line
    once per class 0..C−1 (grid rows: line 1 as 0, 1, ..., C−1, then line 2, ...), or once as `digit`.
    Returns the images (host, one grid row after another)."""
    shape = check_images(recipe)
    z1, z2 = (endpoints[:, 0], endpoints[:, 1]) if endpoints is not None else line_endpoints(rows, recipe, seed)
    z = interpolate(z1.astype(np.float32), z2.astype(np.float32), steps)
    digits, title = line_digits(recipe, digit), f"z = (1 − t)·z₁ + t·z₂,  t = 0 … 1 in {steps} steps"
    if digits is not None:  # the same line for each digit: [z, one_hot(digit)] rows, line by line
        lines = np.repeat(z.reshape(len(z1), 1, steps, -1), len(digits), axis=1)  # (rows, digits, steps, Z)
        labels = np.tile(np.repeat(digits, steps), len(z1))
        z = concat_forward(lines.reshape(-1, z.shape[1]), one_hot(labels, np, z.dtype, recipe.n_classes))[0]
        title += (f";  class {digit}" if digit is not None
                  else f";  each line as the classes 0–{recipe.n_classes - 1}")
    images = sample(G, len(z), z=B.to_device(np.ascontiguousarray(z), _backend(G)))
    _save(viz.image_grid(images, steps, shape), path, title, shape=shape)
    return images


# --- Figure 2: samples and their nearest training images ------------------------------------------------------

def figure2(G, recipe, train, path, rows=10, cols=5, seed=0, memorisation=None, digit=None, noun="digits"):
    """Save `rows` × `cols` samples of G with, right of each row, the training image nearest to its last
    sample, to `path`; `memorisation` (the dict of a Memorisation call) goes under the figure, its held-out
    images called `noun`. A conditional G draws row i as class i mod C (or every row as `digit`). Returns
    the indices of the nearest training images and their distances (host int64 and float32 (rows,))."""
    shape, labels = check_images(recipe), None
    if line_digits(recipe, digit) is not None:
        labels = (np.full(rows * cols, digit) if digit is not None
                  else np.repeat(np.arange(rows) % recipe.n_classes, cols))
    samples = sample(G, rows * cols, recipe, seed=seed, labels=labels).reshape(rows, cols, -1)
    train = B.to_device(train, _backend(G))  # a no-op when it is there already (Memorisation.train)
    index, distance = nearest_neighbours(B.to_device(np.ascontiguousarray(samples[:, -1]), _backend(G)), train)
    nearest = B.to_cpu(train[index])  # only the rows' nearest images come back
    grid = viz.image_grid(np.concatenate([samples, nearest[:, None]], axis=1).reshape(-1, samples.shape[2]),
                          cols + 1, shape)
    caption = (f"memorisation {memorisation['ratio']:.2f}\nmedian distance to the nearest training image:\n"
               f"{memorisation['median_samples']:.2f} ({memorisation['n_samples']} samples), "
               f"{memorisation['median_heldout']:.2f} ({memorisation['n_heldout']} test {noun})"
               if memorisation else "")
    rows_are = "" if labels is None else f"  (class {digit})" if digit is not None else "  (row i: class i)"
    _save(grid, path, f"samples{rows_are}  |  nearest training image", caption, framed_column=cols, shape=shape)
    return B.to_cpu(index), B.to_cpu(distance)


def _backend(G):
    return B.backend_of(G.parameters()[0].data)


def _save(grid, path, title, caption="", framed_column=None, shape=(28, 28), pad=2):
    """The image grid (grey (h, w) or colour (h, w, 3), of images of `shape`) as a figure (its format from
    `path`'s extension, written atomically), a title above and caption lines below, the framed column
    outlined in yellow as in the paper. Two screen pixels per image pixel, more for images smaller than 28
    pixels (each pixel a block, as npgan.viz.save_grid enlarges them)."""
    plt = viz.pyplot()
    from matplotlib.patches import Rectangle
    scale = max(1, -(-28 // max(shape[:2])))
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    height, width = grid.shape[:2]
    side, pad = shape[1] * scale, pad * scale
    lines = caption.count("\n") + 1 if caption else 0
    top, bottom = 0.3, 0.05 + 0.14 * lines  # inches
    w, h = max(width / 50.0, 3.0), height / 50.0
    fig = plt.figure(figsize=(w, h + top + bottom), dpi=100)
    try:
        ax = fig.add_axes([0.01, bottom / (h + top + bottom), 0.98, h / (h + top + bottom)])  # room for the frame
        colour = {"cmap": "gray", "vmin": 0.0, "vmax": 1.0} if grid.ndim == 2 else {}
        ax.imshow(grid, interpolation="nearest", **colour)
        if framed_column is not None:
            left = framed_column * (side + pad) + pad / 2 - 0.5
            ax.add_patch(Rectangle((left, pad / 2 - 0.5), side + pad, height - pad, fill=False, lw=2,
                                   edgecolor=FRAME_COLOR))
        ax.set_axis_off()
        fig.text(0.5, 1.0 - 0.08 / (h + top + bottom), title, ha="center", va="top", fontsize=8)
        if caption:
            fig.text(0.5, 0.03 / (h + top + bottom), caption, ha="center", va="bottom", fontsize=7, linespacing=1.2)
        viz.save_figure(fig, path, dpi=100, facecolor="white")
    finally:
        plt.close(fig)
    return path
