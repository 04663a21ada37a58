"""The paper's Figures 2 and 3 for a trained generator, and the memorisation number beside Figure 2.

    python examples/figures.py --figure2 runs/mnist/latest.npz --out figure2.png   # + the memorisation number
    python examples/figures.py --figure3 runs/mnist/latest.npz --rows 8 --steps 10 --seed 0 --out figure3.png

Figure 2 (Goodfellow et al. 2014): samples in a grid whose last column, framed, shows for each row's last
sample its nearest training image (Euclidean distance over all the images the run trained on), so a
reader can see the samples are not copies. Beside it, the memorisation number of npgan.memorisation (about
1 when samples are no closer to the training set than new digits are, near 0 when the model replays
training images). Figure 3: digits along straight lines in z space, z = (1 − t)·z₁ + t·z₂ for t from 0 to
1 (endpoints drawn from the run's prior with a seed, or given).

A conditional generator (trained with --conditional) draws row i of Figure 2 as digit i mod 10, and each
line of Figure 3 once per digit 0–9, the same z for every digit, so the rows show what z holds (slant,
stroke) apart from the class; `--digit D` draws digit D alone.
"""
import sys

import numpy as np

from npgan import backend as B
from npgan import viz
from npgan.checkpoint import CheckpointError
from npgan.conditional import N_CLASSES, concat_forward, one_hot
from npgan.console import ArgumentParser, run_command
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.gan import sample_noise
from npgan.memorisation import (DataError, Memorisation, format_memorisation, heldout_digits,
                                nearest_neighbours, training_images)
from npgan.runstate import load_generator, load_run_checkpoint, sample
from npgan.settings import SettingError, check_int, check_output_file

PROG = "figures.py"
FRAME_COLOR = "#f5c518"  # the paper frames the nearest-neighbour column in yellow
MAX_ROWS, MAX_COLS, MAX_STEPS = 100, 50, 50  # grid rows, Figure 2's columns, Figure 3's points per line
MIN_SAMPLES, MAX_SAMPLES = 10, 100_000  # the memorisation number: a median of at least 10; 314 MB of samples


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
    """The digits each line of Figure 3 is drawn as: none for an unconditional G, 0–9 (or only `digit`)
    for a conditional one."""
    if digit is not None and not recipe.conditional:
        raise ValueError("digit= needs a conditional generator (a run trained with --conditional)")
    if not recipe.conditional:
        return None
    return np.arange(N_CLASSES) if digit is None else np.array([digit])


def figure3(G, recipe, path, rows=8, steps=10, seed=0, endpoints=None, digit=None):
    """Save the grid of G's digits along `rows` straight lines in z space, `steps` points each, to `path`.
    endpoints: (rows, 2, z_dim) host array to use instead of seeded draws. A conditional G draws each line
    once per digit 0–9 (grid rows: line 1 as 0, 1, ..., 9, then line 2, ...), or once as `digit`.
    Returns the images (host, one grid row after another)."""
    z1, z2 = (endpoints[:, 0], endpoints[:, 1]) if endpoints is not None else line_endpoints(rows, recipe, seed)
    z = interpolate(z1.astype(np.float32), z2.astype(np.float32), steps)
    digits, title = line_digits(recipe, digit), f"z = (1 − t)·z₁ + t·z₂,  t = 0 … 1 in {steps} steps"
    if digits is not None:  # the same line for each digit: [z, one_hot(digit)] rows, line by line
        lines = np.repeat(z.reshape(len(z1), 1, steps, -1), len(digits), axis=1)  # (rows, digits, steps, Z)
        labels = np.tile(np.repeat(digits, steps), len(z1))
        z = concat_forward(lines.reshape(-1, z.shape[1]), one_hot(labels, np, z.dtype))[0]
        title += f";  digit {digit}" if digit is not None else ";  each line as the digits 0–9"
    images = sample(G, len(z), z=B.to_device(np.ascontiguousarray(z), _backend(G)))
    _save(viz.image_grid(images, steps), path, title)
    return images


# --- Figure 2: samples and their nearest training images ------------------------------------------------------

def figure2(G, recipe, train, path, rows=10, cols=5, seed=0, memorisation=None, digit=None):
    """Save `rows` × `cols` samples of G with, right of each row, the training image nearest to its last
    sample, to `path`; `memorisation` (the dict of a Memorisation call) goes under the figure. A conditional
    G draws row i as digit i mod 10 (or every row as `digit`). Returns the indices of the nearest training
    images and their distances (host int64 and float32 (rows,))."""
    labels = None
    if line_digits(recipe, digit) is not None:
        labels = np.full(rows * cols, digit) if digit is not None else np.repeat(np.arange(rows) % N_CLASSES, cols)
    samples = sample(G, rows * cols, recipe, seed=seed, labels=labels).reshape(rows, cols, -1)
    train = B.to_device(train, _backend(G))  # a no-op when it is there already (Memorisation.train)
    index, distance = nearest_neighbours(B.to_device(np.ascontiguousarray(samples[:, -1]), _backend(G)), train)
    nearest = B.to_cpu(train[index])  # only the rows' nearest images come back
    grid = viz.image_grid(np.concatenate([samples, nearest[:, None]], axis=1).reshape(-1, samples.shape[2]),
                          cols + 1)
    caption = (f"memorisation {memorisation['ratio']:.2f}\nmedian distance to the nearest training image:\n"
               f"{memorisation['median_samples']:.2f} ({memorisation['n_samples']} samples), "
               f"{memorisation['median_heldout']:.2f} ({memorisation['n_heldout']} test digits)"
               if memorisation else "")
    rows_are = "" if labels is None else f"  (digit {digit})" if digit is not None else "  (row i: digit i)"
    _save(grid, path, f"samples{rows_are}  |  nearest training image", caption, framed_column=cols)
    return B.to_cpu(index), B.to_cpu(distance)


def _backend(G):
    return B.backend_of(G.parameters()[0].data)


def _save(grid, path, title, caption="", framed_column=None, side=28, pad=2):
    """The image grid as a figure (its format from `path`'s extension, written atomically), a title above
    and caption lines below, the framed column outlined in yellow as in the paper (two screen pixels per
    image pixel)."""
    plt = viz._pyplot()
    from matplotlib.patches import Rectangle
    height, width = grid.shape
    lines = caption.count("\n") + 1 if caption else 0
    top, bottom = 0.3, 0.05 + 0.14 * lines  # inches
    w, h = max(width / 50.0, 3.0), height / 50.0
    fig = plt.figure(figsize=(w, h + top + bottom), dpi=100)
    try:
        ax = fig.add_axes([0.01, bottom / (h + top + bottom), 0.98, h / (h + top + bottom)])  # room for the frame
        ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
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


# --- the command line (examples/figures.py) --------------------------------------------------------------------

def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--figure2", metavar="CKPT", help="samples with the nearest training image of each row's "
                                                         "last sample, and the memorisation number")
    which.add_argument("--figure3", metavar="CKPT", help="digits along straight lines in z space")
    p.add_argument("--out", help=f"the figure to write, ending in {', '.join(viz.FIGURE_EXTENSIONS)} (default "
                                 f"figure2.png / figure3.png)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--rows", type=int, help=f"rows of the grid, 1-{MAX_ROWS} (default: 10 for Figure 2; Figure 3: "
                                            f"8 lines, or 1 line drawn as each digit for a conditional generator)")
    p.add_argument("--cols", type=int, help=f"Figure 2: samples per row before the nearest image, 1-{MAX_COLS} "
                                            f"(default 5)")
    p.add_argument("--steps", type=int, help=f"Figure 3: points along each line, ends included, 2-{MAX_STEPS} "
                                             f"(default 10)")
    p.add_argument("--endpoints", metavar="NPY", help="Figure 3: a .npy of shape (rows, 2, z_dim): each row's z1 "
                                                      "and z2 (default: drawn from the prior with --seed)")
    p.add_argument("--digit", type=int, choices=range(10), metavar="D",
                   help="for a --conditional run: draw digit D only (default: Figure 2 row i is digit i, each "
                        "Figure 3 line is drawn as every digit)")
    p.add_argument("--n", type=int, help=f"Figure 2: samples (and test digits) behind the memorisation number, "
                                         f"{MIN_SAMPLES}-{MAX_SAMPLES} (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples / line endpoints (default 0)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="Figure 2: folder with the MNIST IDX files the run trained on (default: "
                                      "$NPGAN_DATA_DIR, the cache, a download)")
    return p


FIGURE_FLAGS = {"figure2": ("cols", "n", "data_dir"), "figure3": ("steps", "endpoints")}


def check_arguments(args):
    """Every flag in its range and the output path acceptable, before anything is loaded: returns that path."""
    figure = "figure2" if args.figure2 else "figure3"
    for other, names in FIGURE_FLAGS.items():
        for name in names if other != figure else ():
            if getattr(args, name) is not None:
                raise SettingError(name, f"is for --{other}, not --{figure}")
    check_int("rows", args.rows, optional=True, high=MAX_ROWS)
    check_int("cols", args.cols, optional=True, high=MAX_COLS)
    check_int("steps", args.steps, low=2, optional=True, high=MAX_STEPS)
    check_int("n", args.n, low=MIN_SAMPLES, optional=True, high=MAX_SAMPLES)
    check_int("seed", args.seed, low=0)
    checkpoint = args.figure2 or args.figure3
    out = f"{figure}.png" if args.out is None else args.out
    return check_output_file("out", out, viz.FIGURE_EXTENSIONS, inputs=(checkpoint, args.endpoints),
                             overwrite=args.overwrite)


def _endpoints(path, rows, z_dim):
    try:
        endpoints = np.load(path)
    except (OSError, ValueError, EOFError) as error:
        raise SettingError("endpoints", f"cannot read {path!r} as a .npy array ({error})") from None
    if not isinstance(endpoints, np.ndarray):  # an .npz archive
        endpoints.close()
        raise SettingError("endpoints", f"{path!r} is an .npz archive; give a .npy array of shape (rows, 2, {z_dim})")
    if endpoints.ndim != 3 or endpoints.shape[1:] != (2, z_dim) or not np.issubdtype(endpoints.dtype, np.floating):
        raise SettingError("endpoints", f"{path!r} holds a {endpoints.dtype} array of shape {endpoints.shape}; "
                                        f"the generator needs floats of shape (rows, 2, {z_dim})")
    if not 1 <= len(endpoints) <= MAX_ROWS:
        raise SettingError("endpoints", f"{path!r} holds {len(endpoints)} lines; give 1 to {MAX_ROWS}")
    if not np.isfinite(endpoints).all():
        raise SettingError("endpoints", f"{path!r} holds NaN or infinite values; every z must be finite")
    if rows is not None and rows != len(endpoints):
        raise SettingError("rows", f"{rows} rows asked for, but --endpoints holds {len(endpoints)}")
    return endpoints


def make_figure(args):
    out = check_arguments(args)
    args.backend = B.resolve_backend(args.backend)  # a backend it cannot use is refused before any loading
    checkpoint = args.figure2 or args.figure3
    saved = load_run_checkpoint(checkpoint)
    recipe = saved.recipe
    if args.digit is not None and not recipe.conditional:
        raise SettingError("digit", f"{checkpoint} holds an unconditional generator: --digit needs a run trained "
                                    f"with --conditional")
    if args.figure3:
        return _figure3(args, out, recipe)
    train = training_images(saved, args.data_dir)  # the run's images, or DataError, before any sampling
    n = args.n or 10000
    heldout = heldout_digits(n, args.data_dir)
    if len(heldout) < n:
        print(f"note: the test data hold {len(heldout)} digits: the memorisation number compares {n} samples "
              f"with all of them")
    G, _ = load_generator(checkpoint, args.backend)
    memorise = Memorisation(train, heldout, _backend(G))
    number = memorise(sample(G, n, recipe, seed=args.seed))  # evaluate.py --memorisation's samples
    figure2(G, recipe, memorise.train, out, args.rows or 10, args.cols or 5, args.seed, number, args.digit)
    print(f"wrote {out}")
    print(format_memorisation(number, memorise.sanity))
    return 0


def _figure3(args, out, recipe):
    steps = args.steps or 10
    digits = line_digits(recipe, args.digit)
    per_line = 1 if digits is None else len(digits)  # grid rows per line
    endpoints = _endpoints(args.endpoints, args.rows, recipe.z_dim) if args.endpoints else None
    lines = len(endpoints) if endpoints is not None else args.rows or (1 if per_line > 1 else 8)
    if lines * per_line > MAX_ROWS:
        raise SettingError("endpoints" if endpoints is not None else "rows",
                           f"{lines} lines drawn as each of the 10 digits make {lines * per_line} grid rows; at most "
                           f"{MAX_ROWS // per_line} lines (or one digit with --digit)")
    G, _ = load_generator(args.figure3, args.backend)
    figure3(G, recipe, out, lines, steps, args.seed, endpoints, args.digit)
    drawn = "" if digits is None else f", each drawn as digit {args.digit}" if args.digit is not None else \
        ", each drawn as the digits 0-9"
    print(f"wrote {out}: {lines} line{'s' if lines > 1 else ''} in z space, {steps} steps each{drawn}")
    return 0


USER_ERRORS = (CheckpointError, DataError, MnistNotFoundError, MnistFormatError)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: make_figure(args), PROG, USER_ERRORS, parser)


if __name__ == "__main__":
    sys.exit(main())
