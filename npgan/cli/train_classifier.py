"""examples/train_classifier.py: train the classifier of a dataset behind FID, classifier score and mode
coverage, and cache it where npgan-evaluate finds it (npgan.evaluation.classifier).

    python examples/train_classifier.py                              # MNIST
    python examples/train_classifier.py --dataset sklearn-digits     # any dataset by name
    python examples/train_classifier.py --data my_images/            # your own labelled files
"""
import argparse
import json
import os
import sys

import numpy as np

from npgan import backend as B
from npgan.cli.console import ArgumentParser, run_command, say
from npgan.data import DATASETS, DataError
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.evaluation.classifier import (DEFAULTS, TRAINING, ClassifierError, default_classifier_path, provenance,
                                         train_on)
from npgan.evaluation.realdata import display_name, load_real_data
from npgan.settings import SettingError, check_float, check_int, check_output_file
PROG = "train_classifier.py"
MAX_EPOCHS, MAX_WIDTH, MAX_LAYERS = 1000, 4096, 8
MNIST_MIN_ACCURACY = 0.98


def build_parser():
    p = ArgumentParser(prog=PROG, description="Train the classifier of a dataset behind npgan.evaluation.metrics "
                       "(FID, classifier score, mode coverage) and cache it.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--dataset", choices=DATASETS, help="the dataset by name (default: mnist)")
    p.add_argument("--data", metavar="PATH", help="your own labelled images instead: a folder of class folders of "
                                                  "PNG/JPEG images, or a .npz with images and labels (the last fifth "
                                                  "of each class is the test split)")
    p.add_argument("--out", help="the .npz to write (default: the dataset's cache: for MNIST $NPGAN_CLASSIFIER, else "
                                 "the MNIST cache folder; else $XDG_CACHE_HOME/npgan/classifiers/NAME-CHECKSUM.npz)")
    p.add_argument("--overwrite", action="store_true", help="replace --out (or the cached classifier) if it exists")
    p.add_argument("--data-dir", help="folder with the dataset's files (MNIST's default: $NPGAN_DATA_DIR, the cache, "
                                      "a download)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--epochs", type=int, help=f"1-{MAX_EPOCHS} (default: {TRAINING['epochs']}, more on small data: "
                                              f"at least {TRAINING['min_updates']:,} Adam steps)")
    p.add_argument("--batch-size", type=int, help=f"1 to the number of training images (default "
                                                   f"{TRAINING['batch_size']}, or all of them when fewer)")
    p.add_argument("--lr", type=float, default=TRAINING["lr"], help="Adam learning rate in (0, 1] (halved for "
                                                                      "the last quarter of the epochs)")
    p.add_argument("--hidden", type=int, nargs="+", default=list(DEFAULTS["hidden"]),
                   help=f"hidden widths, 1-{MAX_WIDTH} each, at most {MAX_LAYERS} layers")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-accuracy", type=float, help=f"exit with status 1 below this test accuracy, in [0, 1] (the "
                                                      f"classifier is saved anyway; default {MNIST_MIN_ACCURACY} on "
                                                      f"MNIST, 0 on any other data)")
    return p


def check_arguments(args):
    """Every flag in its range and --out acceptable, before any data are read (the batch size again once
    they are)."""
    check_int("epochs", args.epochs, high=MAX_EPOCHS, optional=True)
    check_int("batch_size", args.batch_size, optional=True)
    check_float("lr", args.lr, 0.0, 1.0, low_open=True)
    if len(args.hidden) > MAX_LAYERS:
        raise SettingError("hidden", f"at most {MAX_LAYERS} layers, got {len(args.hidden)}")
    for width in args.hidden:
        check_int("hidden", width, high=MAX_WIDTH)
    check_int("seed", args.seed, low=0)
    check_float("min_accuracy", args.min_accuracy, 0.0, 1.0, optional=True)
    if args.out is not None:  # the default place depends on the data found: checked once they are read
        check_output_file("out", args.out, (".npz",), overwrite=args.overwrite)


def train_and_save(args):
    check_arguments(args)
    backend = B.resolve_backend(args.backend)
    real = load_real_data(args.dataset or "mnist", args.data_dir, args.data)
    if not real.labelled:
        raise DataError(f"{real.path}: the images have no labels (or one class), so there is no classifier to "
                        f"train; npgan-evaluate judges such data by the memorisation number and the Parzen estimate")
    out = args.out
    if out is None:  # the cache folder is made on first use
        out = default_classifier_path(real.source == "offline-subset", real.name, real.checksum)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        check_output_file("out", out, (".npz",), overwrite=args.overwrite)
    check_int("batch_size", args.batch_size, high=real.n_fit, optional=True)  # Batches needs one full batch
    print(f"data: {real.describe()}")
    clf = train_on(real, backend, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                   hidden=tuple(args.hidden))
    if not all(np.isfinite(B.to_cpu(param.data)).all() for param in clf.net.parameters()):
        raise ClassifierError(f"training diverged (the weights hold NaN or inf at --lr {args.lr}): nothing saved; "
                              f"try a lower --lr")
    clf.save(out)
    print(json.dumps(clf.info))
    print(f"{provenance(clf)}, after {clf.info['train_seconds']:.0f} s on {backend}; saved to {out}")
    least = args.min_accuracy if args.min_accuracy is not None else MNIST_MIN_ACCURACY if real.name == "mnist" else 0
    if clf.info["test_accuracy"] < least:
        say(f"{PROG}: error: test accuracy {clf.info['test_accuracy']:.4f} of the {display_name(real.name)} "
            f"classifier is below --min-accuracy {least} (the classifier is saved at {out})")
        return 1
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data is not None and args.dataset is not None:
        parser.error("--data PATH trains on your files and --dataset NAME on a named dataset: use one of them")
    return run_command(lambda: train_and_save(args), PROG, (ClassifierError, DataError, MnistNotFoundError,
                                                            MnistFormatError), parser)


if __name__ == "__main__":
    sys.exit(main())
