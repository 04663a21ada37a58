"""The paper's Figures 2 and 3 for a generator trained by npgan-train (or examples/mnist_gan.py), at its
image shape, grey or colour.

    python examples/figures.py runs/mnist/latest.npz                # figure2.png and figure3.png, here
    python examples/figures.py runs/mnist/latest.npz --seed 1 --out figures --overwrite

Figure 2: samples in rows, each row ending with the training image nearest to its last sample, and the
memorisation number (about 1 when the samples are no closer to the training images than new digits are,
near 0 when G replays them). Figure 3: digits along straight lines z = (1 − t)·z₁ + t·z₂ in z space.
The library calls: the run checkpoint and its generator (npgan.training.load_run_checkpoint, load_generator),
the data it trained on found again (npgan.evaluation.run_data), the images the run trained on and real
images it never saw (npgan.evaluation.memorisation: training_images, heldout_images, Memorisation), the
samples (npgan.gan.sample), and figure2 / figure3 (npgan.evaluation.figures).

`npgan-figures` (npgan/cli/figures.py) draws with the same pieces and has every option: --rows,
--cols, --steps, --endpoints, --digit (for a conditional run), one figure at a time under any name.
"""
import os
import sys

from npgan import backend as B
from npgan import viz
from npgan.checkpoint import CheckpointError
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import DataError
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.evaluation import run_data
from npgan.evaluation.figures import figure2, figure3
from npgan.evaluation.memorisation import Memorisation, format_memorisation, heldout_images, training_images
from npgan.evaluation.report import MAX_SAMPLES, MIN_SAMPLES
from npgan.gan import sample
from npgan.settings import check_int, check_output_file
from npgan.training import load_generator, load_run_checkpoint

PROG = "figures.py"
USER_ERRORS = (DataError, MnistNotFoundError, MnistFormatError)  # one line each, exit 1


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       epilog="npgan-figures draws with the same pieces and every option (--rows, --cols, "
                              "--steps, --endpoints, --digit): npgan-figures --help")
    p.add_argument("checkpoint", help="a run checkpoint (latest.npz, ckpt_epochNNN.npz)")
    p.add_argument("--out", default=".", help="the folder to write figure2.png and figure3.png into (default: here)")
    p.add_argument("--overwrite", action="store_true", help="replace the figures if they exist")
    p.add_argument("--n", type=int, default=10000, help=f"samples (and test digits) behind the memorisation number, "
                                                       f"{MIN_SAMPLES}-{MAX_SAMPLES} (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and the lines' endpoints (default 0)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="folder with the IDX files the run trained on (default: the folder the run "
                                      "read, $NPGAN_DATA_DIR for MNIST, the cache, a download)")
    return p


def make_figures(args):
    n = check_int("n", args.n, low=MIN_SAMPLES, high=MAX_SAMPLES)
    seed = check_int("seed", args.seed, low=0)
    out2, out3 = (check_output_file("out", os.path.join(args.out, name), viz.FIGURE_EXTENSIONS,
                                    inputs=[args.checkpoint], overwrite=args.overwrite)
                  for name in ("figure2.png", "figure3.png"))
    backend = B.resolve_backend(args.backend)

    saved = load_run_checkpoint(args.checkpoint)
    G, recipe = load_generator(args.checkpoint, backend)  # the average when the run kept one; eval mode
    if recipe.image_shape is None:                        # vectors (the 2-D toys): nothing to draw
        raise CheckpointError(f"{args.checkpoint} holds a generator of {recipe.data_dim}-vectors, not images")
    data = run_data(saved, args.data_dir)                 # the run's dataset: its images, test split, checksum
    # Figure 2 and the memorisation number: n samples against the run's training images and n test images
    memorise = Memorisation(training_images(saved, real=data), heldout_images(data, n), backend)
    number = memorise(sample(G, n, recipe, seed=seed))
    figure2(G, recipe, memorise.train, out2, seed=seed, memorisation=number, noun=data.noun)
    print(f"wrote {out2}")
    print(format_memorisation(number, memorise.sanity, data.noun))
    # Figure 3: 8 straight lines in z space, 10 steps each (a conditional G draws each line as every class)
    figure3(G, recipe, out3, seed=seed)
    print(f"wrote {out3}")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: make_figures(args), PROG, USER_ERRORS, parser)


if __name__ == "__main__":
    sys.exit(main())
