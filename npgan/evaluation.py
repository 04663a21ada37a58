"""Score a generator trained by npgan.run (examples/mnist_gan.py): FID, classifier score, mode coverage,
Parzen LL — the functions, and the command line of examples/evaluate.py.

    python examples/evaluate.py runs/mnist/latest.npz                   # 10,000 samples, classifier metrics
    python examples/evaluate.py runs/mnist/latest.npz --parzen --json scores.json
    python examples/evaluate.py runs/mnist/latest.npz --memorisation  # + nearest-training-image distances
    python examples/evaluate.py runs/mnist --plot metrics_vs_epochs.png # every ckpt_epochNNN.npz of a run

Each number is printed beside the same metric of real MNIST digits the metric never saw (the reference:
validation images 50,000–60,000 for the classifier metrics, training images for the Parzen window), so a
number means something. The samples are those of `mnist_gan.py --checkpoint C --sample N --seed S`.
The metrics are defined in npgan/metrics.py; the classifier is trained on first use (or by
examples/train_classifier.py) and cached. --parzen adds the paper's Parzen-window estimate (about 10 s
per model on a 2-core CPU at the paper's 10,000 samples; its docstring says why it is a poor measure).
--memorisation adds the memorisation number of npgan/memorisation.py (the median distance of the samples to
their nearest training image over the same for test digits: about 1 means no copying, 0 replaying).
"""
import argparse
import glob
import json
import os
import re
import sys
import time

from npgan import backend as B
from npgan import viz
from npgan.checkpoint import CheckpointError, atomic_file
from npgan.classifier import ClassifierError
from npgan.console import ArgumentParser, run_command
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.memorisation import DataError, Memorisation, format_memorisation, training_images
from npgan.metrics import MIN_FRACTION, PAPER_VALIDATION_SIZE, MnistEvaluator, TooFewDigits
from npgan.runstate import load_generator, load_run_checkpoint, non_finite, sample
from npgan.settings import SettingError, check_int, check_output_file
from npgan.viz_metrics import plot_over_epochs


def sample_images(checkpoint, n, backend="numpy", seed=0):
    """n images (float32 host (n, 784) in [0, 1]) from a checkpoint's generator, in eval mode, drawn as
    `mnist_gan.py --sample` draws them (npgan.run.sample: the seed, chunks of 1,000)."""
    G, recipe = load_generator(checkpoint, backend)
    return sample(G, n, recipe, seed=seed)


def describe(checkpoint):
    """What a checkpoint is: arch, completed epochs (and iterations into the next, if interrupted)."""
    saved = load_run_checkpoint(checkpoint)
    return {"checkpoint": checkpoint, "arch": saved.recipe.arch, "epochs": saved.completed_epochs,
            "iterations": saved.iterations, "partial_epoch_iterations": saved.done_in_epoch}


def score(images, evaluator, parzen=False, parzen_test=None, parzen_validation=PAPER_VALIDATION_SIZE,
          memorise=None):
    """All metrics of `images` as a dict (Parzen under "parzen" when asked for; the memorisation number
    under "memorisation" when `memorise`, an npgan.memorisation.Memorisation, is given)."""
    result = evaluator.classifier_metrics(images)
    if memorise is not None:
        result["memorisation"] = memorise(images)
    if parzen:
        started = time.perf_counter()
        result["parzen"] = evaluator.parzen(images, parzen_validation, parzen_test)
        result["parzen"]["seconds"] = round(time.perf_counter() - started, 1)
    return result


def reference(evaluator, n, seed=0, parzen=False, **parzen_options):
    """The same metrics for n real digits (see MnistEvaluator.reference_images)."""
    result = score(evaluator.reference_images(n, seed), evaluator)
    if parzen:
        result["parzen"] = score(evaluator.reference_images(n, seed, parzen=True), evaluator, True,
                                 **parzen_options)["parzen"]
    return result


def _parzen_cell(p):
    return f"{p['mean']:.1f} ± {p['sem']:.1f}" if p else "-"


def format_table(generated, real, n):
    """The printed table: metric | generated | real data | how to read it."""
    rows = [("FID (classifier features)", f"{generated['fid']:.2f}", f"{real['fid']:.2f}",
             f"lower is better; {n} images vs the 10,000 test digits"),
            ("classifier score", f"{generated['classifier_score']:.2f}", f"{real['classifier_score']:.2f}",
             "exp E KL(p(y|x) || p(y)), 1 to 10"),
            ("classifier confidence", f"{generated['confidence']:.3f}", f"{real['confidence']:.3f}",
             "mean max p(y|x)"),
            ("classes covered", f"{generated['classes_covered']}/10", f"{real['classes_covered']}/10",
             f"a class counts when it gets >= {MIN_FRACTION:.0%} of the samples"),
            ("class entropy (nats)", f"{generated['class_entropy']:.3f}", f"{real['class_entropy']:.3f}",
             "of the predicted-class histogram; uniform: ln 10 = 2.303")]
    if "memorisation" in generated:
        g, r = generated["memorisation"], real.get("memorisation")
        rows.append(("memorisation (NN distance ratio)", f"{g['ratio']:.3f}", f"{r['ratio']:.3f}" if r else "-",
                     "~1: no closer to the training set than test digits; ~0: copies (real: test even/odd)"))
    if "parzen" in generated:
        g, r = generated["parzen"], real.get("parzen")
        rows.append(("Parzen log-likelihood (nats)", _parzen_cell(g), _parzen_cell(r),
                     f"test mean ± s.e.; σ = {g['sigma']:.3f}" + (f" / {r['sigma']:.3f}" if r else "")
                     + f"; {g['n_samples']} samples, {g['n_test']} test digits"))
    widths = [max(len(row[i]) for row in rows + [("metric", "generated", "real data", "")]) for i in range(3)]
    lines = [f"{'metric':<{widths[0]}}  {'generated':>{widths[1]}}  {'real data':>{widths[2]}}  notes"]
    lines += [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows]
    return "\n".join(lines)


def epoch_checkpoints(run_dir):
    """[(epoch, path)] of a run's ckpt_epochNNN.npz files, in epoch order."""
    found = []
    for path in glob.glob(os.path.join(run_dir, "ckpt_epoch*.npz")):
        match = re.search(r"ckpt_epoch(\d+)\.npz$", path)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def evaluate_over_epochs(run_dir, evaluator, n, seed=0, parzen=False, backend="numpy", log=print, memorise=None,
                         **options):
    """One row of metrics per ckpt_epochNNN.npz of a run."""
    rows = []
    for epoch, path in epoch_checkpoints(run_dir):
        row = {"epoch": epoch, **describe(path), **score(sample_images(path, n, backend, seed), evaluator,
                                                          parzen, memorise=memorise, **options)}
        rows.append(row)
        parzen_text = f"  Parzen {_parzen_cell(row['parzen'])}" if parzen else ""
        parzen_text += f"  memorisation {row['memorisation']['ratio']:.3f}" if memorise else ""
        log(f"epoch {epoch:3d}  FID {row['fid']:8.2f}  score {row['classifier_score']:.2f}  "
            f"covered {row['classes_covered']}/10  entropy {row['class_entropy']:.3f}{parzen_text}")
    return rows


# --- the command line (examples/evaluate.py, npgan-evaluate) -----------------------------------------------------

PROG = "evaluate.py"
MIN_SAMPLES, MAX_SAMPLES = 10, 100_000  # 10: a sample in each class can count; 100,000: 314 MB of images a set


def parse_args(argv=None):
    return build_parser().parse_args(argv)


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("checkpoint", help="a checkpoint of examples/mnist_gan.py, or a run folder: then every "
                                      "ckpt_epochNNN.npz in it, one row per epoch")
    p.add_argument("--n", type=int, default=10000, help=f"samples to draw, {MIN_SAMPLES}-{MAX_SAMPLES} (the paper's "
                                                       f"Parzen protocol: 10000); the real digits compared with "
                                                       f"them are as many, or all there are (a note says so)")
    p.add_argument("--parzen", action="store_true", help="also the Parzen-window log-likelihood (slow)")
    p.add_argument("--parzen-test", type=int, help="Parzen: score only the first N test images (default: all)")
    p.add_argument("--parzen-validation", type=int, help=f"Parzen: validation images (from train 50,000-60,000) "
                                                         f"that choose σ (default: the paper's {PAPER_VALIDATION_SIZE})")
    p.add_argument("--memorisation", action="store_true",
                   help="also the memorisation number: median distance of the samples to their nearest training "
                        "image over the same for n test digits (about 1: no copying; near 0: replays the training set)")
    p.add_argument("--json", help="write every number to this .json file")
    p.add_argument("--plot", help=f"with a run folder: save the metrics-vs-epochs figure here ("
                                  f"{', '.join(viz.FIGURE_EXTENSIONS)})")
    p.add_argument("--overwrite", action="store_true", help="replace --json / --plot if they exist")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $NPGAN_DATA_DIR, the cache, a "
                                      "download)")
    p.add_argument("--classifier", help="an existing classifier .npz (default: $NPGAN_CLASSIFIER, else the MNIST "
                                        "cache folder; trained there on first use)")
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
    for _, path in checkpoints:
        saved = load_run_checkpoint(path)
        bad = non_finite(saved.state["trainer"].get("G", {})) + \
            [f"average's {name}" for name in non_finite(saved.state.get("ema", {}).get("G", {}))]
        if bad:
            raise CheckpointError(f"{path}: the generator's {', '.join(bad[:3])} hold non-finite values (the run "
                                  f"diverged); evaluate an earlier checkpoint")
    return checkpoints


def available(args, evaluator):
    """How many real digits each comparison gets: what was asked for, or all there are (and a note saying
    so when that is fewer than asked). Returns the Parzen options and the number of held-out test digits."""
    val, test, train = len(evaluator.val_x), len(evaluator.test_x), len(evaluator.train_x)
    counts = [("n", args.n, val, f"the real-data column uses all {val} validation digits")]
    if args.parzen:
        counts += [("parzen-test", args.parzen_test, test, f"the Parzen estimate scores all {test} test digits"),
                   ("parzen-validation", args.parzen_validation, val, f"σ is chosen on all {val} validation digits"),
                   ("n", args.n, train, f"the real data's Parzen window holds all {train} training digits")]
    if args.memorisation:
        counts.append(("n", args.n, test, f"the memorisation number compares with all {test} test digits"))
    for flag, asked, there, note in counts:
        if asked is not None and asked > there:
            print(f"note: --{flag} {asked}: {note} there are")
    validation = args.parzen_validation or PAPER_VALIDATION_SIZE
    return {"parzen_test": args.parzen_test, "parzen_validation": min(validation, val)}, min(args.n, test)


USER_ERRORS = (ClassifierError, DataError, TooFewDigits, MnistNotFoundError, MnistFormatError)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: evaluate(args), PROG, USER_ERRORS, parser)


def evaluate(args):
    checkpoints = check_arguments(args)
    backend = B.resolve_backend(args.backend)
    started = time.perf_counter()
    # the run's training images (or DataError: not the run's data) before a classifier may be trained
    train = training_images(load_run_checkpoint(checkpoints[0][1]), args.data_dir) if args.memorisation else None
    evaluator = MnistEvaluator(args.data_dir, backend, classifier_path=args.classifier)
    options, heldout = available(args, evaluator)
    memorise = Memorisation(train, evaluator.test_x[:heldout], backend) if args.memorisation else None
    real = reference(evaluator, args.n, args.seed, args.parzen, **options)
    if memorise:
        real["memorisation"] = memorise.sanity
    report = {"n": args.n, "seed": args.seed, "backend": backend, "data_source": evaluator.data_source,
              "classifier": {"path": args.classifier or "default", "test_accuracy": evaluator.test_accuracy,
                             "provenance": evaluator.provenance, **evaluator.classifier.info},
              "real": real}
    print(f"classifier: {evaluator.provenance} (here: {evaluator.test_accuracy:.2%} on {len(evaluator.test_x)} "
          f"test digits from {evaluator.data_source})")
    if checkpoints[0][0] is not None:  # a run folder
        rows = evaluate_over_epochs(args.checkpoint, evaluator, args.n, args.seed, args.parzen, backend,
                                    memorise=memorise, **options)
        report["epochs"] = rows
        if args.plot is not None:
            plot_over_epochs(rows, real, args.plot, f"{rows[-1]['arch']} GAN on MNIST, {args.n} samples per epoch")
            print(f"wrote {args.plot}")
    else:
        generated = score(sample_images(args.checkpoint, args.n, backend, args.seed), evaluator, args.parzen,
                          memorise=memorise, **options)
        info = describe(args.checkpoint)
        report.update(info, generated=generated)
        print(f"{args.checkpoint}: {info['arch']} GAN after {info['epochs']} epochs ({info['iterations']} "
              f"iterations); {args.n} samples, seed {args.seed}, backend {backend}")
        print(format_table(generated, real, args.n))
        if memorise:
            print(format_memorisation(generated["memorisation"], memorise.sanity))
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json is not None:
        with atomic_file(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
