"""`npgan-evaluate`: score a generator's checkpoint, or every epoch of a run folder, beside the same metrics
of real images of the data it trained on (examples/evaluate.py shows its few library calls, with a few of
these options).

    npgan-evaluate runs/mnist/latest.npz                      # 10,000 samples, the classifier metrics
    npgan-evaluate runs/mnist/latest.npz --parzen --json scores.json
    npgan-evaluate runs/mnist/latest.npz --memorisation       # + nearest-training-image distances
    npgan-evaluate runs/mnist --plot metrics_vs_epochs.png    # every ckpt_epochNNN.npz of a run
    npgan-evaluate runs/digits/latest.npz                     # any npgan-train run: its data found again
    npgan-evaluate runs/mine/latest.npz --data moved/images/  # a run on your files, which have moved

The data come from the checkpoint (the dataset's name, the folder or files it read, their checksum;
npgan.evaluation.realdata), the classifier is that dataset's (trained on first use and cached under its
name and checksum), and the first lines printed say which of each every number comes from. Data without
labels have no classifier metrics: the memorisation number and the Parzen estimate are reported instead.
The functions it calls are npgan.evaluation's (report.py: the table, metrics.py: the numbers).
"""
import argparse
import json
import os
import sys
import time

from npgan import backend as B
from npgan import viz
from npgan.checkpoint import CheckpointError, atomic_file
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import DataError
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.evaluation.classifier import ClassifierError
from npgan.evaluation.memorisation import Memorisation, format_memorisation, training_images
from npgan.evaluation.metrics import PAPER_VALIDATION_SIZE, Evaluator, TooFewDigits
from npgan.evaluation.plots import plot_over_epochs
from npgan.evaluation.realdata import RunDataError, display_name, run_data
from npgan.evaluation.report import (MAX_SAMPLES, MIN_SAMPLES, describe, epoch_checkpoints, evaluate_over_epochs,
                                     format_table, reference, sample_images, score)
from npgan.settings import SettingError, check_int, check_output_file
from npgan.training.checkpoints import check_generator_finite, load_run_checkpoint
PROG = "npgan-evaluate"


def parse_args(argv=None):
    return build_parser().parse_args(argv)


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("checkpoint", help="a checkpoint of npgan-train (or npgan-mnist, examples/mnist_gan.py), or a "
                                      "run folder: then every ckpt_epochNNN.npz in it, one row per epoch")
    p.add_argument("--n", type=int, default=10000, help=f"samples to draw, {MIN_SAMPLES}-{MAX_SAMPLES} (the paper's "
                                                       f"Parzen protocol: 10000); the real digits compared with "
                                                       f"them are as many, or all there are (a note says so)")
    p.add_argument("--parzen", action="store_true", help="also the Parzen-window log-likelihood (slow)")
    p.add_argument("--parzen-test", type=int, help="Parzen: score only the first N test images (default: all)")
    p.add_argument("--parzen-validation", type=int, help=f"Parzen: validation images (MNIST: train 50,000-60,000) "
                                                         f"that choose σ (default: the paper's {PAPER_VALIDATION_SIZE})")
    p.add_argument("--memorisation", action="store_true",
                   help="also the memorisation number: median distance of the samples to their nearest training "
                        "image over the same for n test digits (about 1: no copying; near 0: replays the training set)")
    p.add_argument("--json", help="write every number to this .json file")
    p.add_argument("--plot", help=f"with a run folder: save the metrics-vs-epochs figure here ("
                                  f"{', '.join(viz.FIGURE_EXTENSIONS)})")
    p.add_argument("--overwrite", action="store_true", help="replace --json / --plot if they exist")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="folder with the IDX files of the run's dataset (default: the folder the run "
                                      "read, else $NPGAN_DATA_DIR for MNIST, the cache, a download)")
    p.add_argument("--data", metavar="PATH", help="a run on your own files: where they are now (default: the path "
                                                  "the run recorded); a .npz of the data of a library call")
    p.add_argument("--classifier", help="an existing classifier .npz of the run's dataset (default: its cached one: "
                                        "MNIST's in $NPGAN_CLASSIFIER or the MNIST cache folder, any other's in "
                                        "$XDG_CACHE_HOME/npgan/classifiers; trained there on first use)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise (and of the reference images)")
    return p


def check_arguments(args):
    """Everything the command can check before its work: the flags' ranges, the checkpoints (each loaded;
    a diverged generator refused), the outputs, the named classifier. Returns [(epoch, path)]."""
    check_int("n", args.n, low=MIN_SAMPLES, high=MAX_SAMPLES)
    for name in ("parzen_test", "parzen_validation"):
        if check_int(name, getattr(args, name), optional=True) is not None and not args.parzen:
            raise SettingError(name, "is a setting of the Parzen estimate: add --parzen")
    check_int("seed", args.seed, low=0)
    folder = os.path.isdir(args.checkpoint)
    if args.plot is not None and not folder:
        raise SettingError("plot", f"draws the metrics against the epochs of a run folder; {args.checkpoint!r} is "
                                   f"one checkpoint: give its folder (with ckpt_epochNNN.npz files), or drop --plot")
    checkpoints = epoch_checkpoints(args.checkpoint) if folder else [(None, args.checkpoint)]
    if not checkpoints:
        raise CheckpointError(f"no ckpt_epochNNN.npz in {args.checkpoint} (train with --checkpoint-every 1)")
    inputs = [path for _, path in checkpoints] + [args.classifier]
    for name, extensions in (("plot", viz.FIGURE_EXTENSIONS), ("json", (".json",))):
        if getattr(args, name) is not None:
            check_output_file(name, getattr(args, name), extensions, inputs=inputs, overwrite=args.overwrite)
    if args.classifier and not os.path.exists(args.classifier):  # a typo must not start 30 epochs of training
        raise ClassifierError(f"--classifier {args.classifier} does not exist: name an existing classifier (make "
                              f"one with examples/train_classifier.py --out {args.classifier}), or leave "
                              f"--classifier out to use the cached one (trained on first use)")
    checksums = set()
    for _, path in checkpoints:
        saved = load_run_checkpoint(path)
        check_generator_finite(saved, advice="evaluate an earlier checkpoint")
        checksums.add((saved.data.get("dataset", "mnist"), saved.data.get("checksum")))
    if len(checksums) > 1:
        raise RunDataError(f"the checkpoints in {args.checkpoint} were trained on different data ("
                           f"{', '.join(sorted(f'{name} {checksum}' for name, checksum in checksums))}): evaluate "
                           f"them one at a time")
    return checkpoints


def available(args, evaluator):
    """How many real images each comparison gets: what was asked for, or all there are (and a note saying
    so when that is fewer than asked). Returns the Parzen options and the number of held-out test images."""
    val, test, train, noun = len(evaluator.val_x), len(evaluator.test_x), len(evaluator.train_x), evaluator.real.noun
    counts = [("n", args.n, val, f"the real-data column uses all {val} validation {noun}")] if evaluator.classifier \
        else []
    if args.parzen:
        counts += [("parzen-test", args.parzen_test, test, f"the Parzen estimate scores all {test} test {noun}"),
                   ("parzen-validation", args.parzen_validation, val, f"σ is chosen on all {val} validation {noun}"),
                   ("n", args.n, train, f"the real data's Parzen window holds all {train} training {noun}")]
    if args.memorisation:
        counts.append(("n", args.n, test, f"the memorisation number compares with all {test} test {noun}"))
    for flag, asked, there, note in counts:
        if asked is not None and asked > there:
            print(f"note: --{flag} {asked}: {note} there are")
    validation = args.parzen_validation or PAPER_VALIDATION_SIZE
    return {"parzen_test": args.parzen_test, "parzen_validation": min(validation, val)}, min(args.n, test)


USER_ERRORS = (ClassifierError, DataError, TooFewDigits, MnistNotFoundError, MnistFormatError)  # one line, exit 1


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: evaluate(args), PROG, USER_ERRORS, parser)


def evaluate(args):
    checkpoints = check_arguments(args)
    backend = B.resolve_backend(args.backend)
    started = time.perf_counter()
    saved = load_run_checkpoint(checkpoints[0][1])
    real = run_data(saved, args.data_dir, args.data)  # the run's data found again (RunDataError: one line)
    print(f"data: {real.describe()}")
    recorded = saved.data.get("checksum")
    if recorded and recorded != real.checksum:
        print(f"note: the run trained on data of checksum {recorded}; the numbers compare with these")
    if not real.labelled:
        args.memorisation = args.parzen = True
        print(f"note: {display_name(real.name)} has no labels, so no classifier judges the samples (no FID, "
              f"classifier score or coverage): the memorisation number and the Parzen estimate instead")
    # the run's training images (or DataError: not the run's data) before a classifier may be trained
    train = training_images(saved, real=real) if args.memorisation else None
    evaluator = Evaluator(real, backend, classifier_path=args.classifier)
    options, heldout = available(args, evaluator)
    memorise = Memorisation(train, evaluator.test_x[:heldout], backend) if args.memorisation else None
    real_scores = reference(evaluator, args.n, args.seed, args.parzen, **options)
    if memorise:
        real_scores["memorisation"] = memorise.sanity
    report = {"n": args.n, "seed": args.seed, "backend": backend, "data_source": evaluator.data_source,
              "data": {**real.info(), "run_checksum": recorded, "same_as_run": recorded in (None, real.checksum)},
              "classifier": {"path": args.classifier or "default", "test_accuracy": evaluator.test_accuracy,
                             "provenance": evaluator.provenance,
                             **(evaluator.classifier.info if evaluator.classifier else {})},
              "real": real_scores}
    noun, here = real.noun, ""
    if evaluator.classifier:
        here = f" (here: {evaluator.test_accuracy:.2%} on {len(evaluator.test_x)} test {noun} from {real.source})"
    print(f"classifier: {evaluator.provenance}{here}")
    if checkpoints[0][0] is not None:  # a run folder
        rows = evaluate_over_epochs(args.checkpoint, evaluator, args.n, args.seed, args.parzen, backend,
                                    memorise=memorise, **options)
        report["epochs"] = rows
        if args.plot is not None:
            title = f"{rows[-1]['arch']} GAN on {display_name(real.name)}, {args.n} samples per epoch"
            plot_over_epochs(rows, real_scores, args.plot, title, f"real {noun}", paper_level=real.name == "mnist")
            print(f"wrote {args.plot}")
    else:
        generated = score(sample_images(args.checkpoint, args.n, backend, args.seed), evaluator, args.parzen,
                          memorise=memorise, **options)
        info = describe(args.checkpoint)
        report.update(info, generated=generated)
        print(f"{args.checkpoint}: {info['arch']} GAN after {info['epochs']} epochs ({info['iterations']} "
              f"iterations); {args.n} samples, seed {args.seed}, backend {backend}")
        print(format_table(generated, real_scores, args.n, len(evaluator.test_x), real.n_classes, noun))
        if memorise:
            print(format_memorisation(generated["memorisation"], memorise.sanity, noun))
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json is not None:
        with atomic_file(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
