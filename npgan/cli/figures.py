"""The paper's Figures 2 and 3 for a trained generator, one at a time, with every option (examples/figures.py
draws both with the same library calls and a few options).

    npgan-figures --figure2 runs/mnist/latest.npz --out figure2.png   # + the memorisation number
    npgan-figures --figure3 runs/mnist/latest.npz --rows 8 --steps 10 --seed 0 --out figure3.png
    npgan-figures --figure2 runs/mine/latest.npz --data moved/images/   # a run on your files, moved since

Any checkpoint of npgan-train: the figures draw at its image shape (grey or colour) and, for a conditional
run, with its classes; Figure 2 finds the run's training images from the checkpoint
(npgan.evaluation.realdata). The figures are npgan.evaluation.figures'; the memorisation number
npgan.evaluation.memorisation's.
"""
import sys

import numpy as np

from npgan import backend as B
from npgan import viz
from npgan.checkpoint import CheckpointError
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import DataError
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.evaluation.figures import _backend, figure2, figure3, line_digits
from npgan.evaluation.memorisation import Memorisation, format_memorisation, heldout_images, training_images
from npgan.evaluation.realdata import class_noun, run_data
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
    p.add_argument("--digit", type=int, metavar="D",
                   help="for a --conditional run: draw class D only, one of its classes 0..C-1 (default: Figure 2 "
                        "row i is class i, each Figure 3 line is drawn as every class)")
    p.add_argument("--n", type=int, help=f"Figure 2: samples (and test digits) behind the memorisation number, "
                                         f"{MIN_SAMPLES}-{MAX_SAMPLES} (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples / line endpoints (default 0)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="Figure 2: folder with the IDX files the run trained on (default: the folder "
                                      "the run read, else $NPGAN_DATA_DIR for MNIST, the cache, a download)")
    p.add_argument("--data", metavar="PATH", help="Figure 2, a run on your own files: where they are now (default: "
                                                  "the path the run recorded)")
    return p


FIGURE_FLAGS = {"figure2": ("cols", "n", "data_dir", "data"), "figure3": ("steps", "endpoints")}


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
    if args.digit is not None and not 0 <= args.digit < recipe.n_classes:
        raise SettingError("digit", f"invalid choice: {args.digit} (the run's classes are 0..{recipe.n_classes - 1})")
    if recipe.image_shape is None:
        raise CheckpointError(f"{checkpoint} holds a generator of {recipe.data_dim}-vectors, not of images (its run "
                              f"had no image shape): Figures 2 and 3 draw images")
    if args.figure3:
        return _figure3(args, out, saved)
    real = run_data(saved, args.data_dir, args.data)
    train = training_images(saved, real=real)  # the run's images, or DataError, before any sampling
    n = args.n or 10000
    heldout = heldout_images(real, n)
    if len(heldout) < n:
        print(f"note: the test data hold {len(heldout)} {real.noun}: the memorisation number compares {n} samples "
              f"with all of them")
    G, _ = load_generator(checkpoint, args.backend)
    memorise = Memorisation(train, heldout, _backend(G))
    number = memorise(sample(G, n, recipe, seed=args.seed))  # evaluate.py --memorisation's samples
    figure2(G, recipe, memorise.train, out, args.rows or 10, args.cols or 5, args.seed, number, args.digit,
            real.noun)
    print(f"wrote {out}")
    print(format_memorisation(number, memorise.sanity, real.noun))
    return 0


def _figure3(args, out, saved):
    recipe, name = saved.recipe, saved.data.get("dataset", "mnist")
    classes, one = class_noun(name), class_noun(name, 1)
    steps = args.steps or 10
    digits = line_digits(recipe, args.digit)
    per_line = 1 if digits is None else len(digits)  # grid rows per line
    endpoints = _endpoints(args.endpoints, args.rows, recipe.z_dim) if args.endpoints else None
    lines = len(endpoints) if endpoints is not None else args.rows or (1 if per_line > 1 else 8)
    if lines * per_line > MAX_ROWS:
        raise SettingError("endpoints" if endpoints is not None else "rows",
                           f"{lines} lines drawn as each of the {per_line} {classes} make {lines * per_line} grid "
                           f"rows; at most {MAX_ROWS // per_line} lines (or one {one} with --digit)")
    G, _ = load_generator(args.figure3, args.backend)
    figure3(G, recipe, out, lines, steps, args.seed, endpoints, args.digit)
    drawn = "" if digits is None else f", each drawn as {one} {args.digit}" if args.digit is not None else \
        f", each drawn as the {classes} 0-{recipe.n_classes - 1}"
    print(f"wrote {out}: {lines} line{'s' if lines > 1 else ''} in z space, {steps} steps each{drawn}")
    return 0


USER_ERRORS = (CheckpointError, DataError, MnistNotFoundError, MnistFormatError)  # one line, exit 1


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: make_figure(args), PROG, USER_ERRORS, parser)


if __name__ == "__main__":
    sys.exit(main())
