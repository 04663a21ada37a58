"""The paper's Figures 2 and 3 for a trained generator, one at a time, with every option (examples/figures.py
draws both with the same library calls and a few options).

    npgan-figures --figure2 runs/mnist/latest.npz --out figure2.png   # + the memorisation number
    npgan-figures --figure3 runs/mnist/latest.npz --rows 8 --steps 10 --seed 0 --out figure3.png

The figures are npgan.evaluation.figures'; the memorisation number npgan.evaluation.memorisation's.
"""
import sys

import numpy as np

from npgan import backend as B
from npgan import viz
from npgan.checkpoint import CheckpointError
from npgan.cli.console import ArgumentParser, run_command
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.evaluation.figures import _backend, figure2, figure3, line_digits
from npgan.evaluation.memorisation import (DataError, Memorisation, format_memorisation, heldout_digits,
                                           training_images)
from npgan.evaluation.report import MAX_SAMPLES, MIN_SAMPLES
from npgan.gan.sampling import sample
from npgan.settings import SettingError, check_int, check_output_file
from npgan.training.checkpoints import load_generator, load_run_checkpoint

PROG = "npgan-figures"
MAX_ROWS, MAX_COLS, MAX_STEPS = 100, 50, 50  # grid rows, Figure 2's columns, Figure 3's points per line


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
