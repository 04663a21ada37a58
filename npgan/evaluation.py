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
--memorisation adds the memorisation number of npgan/figures.py (the median distance of the samples to
their nearest training image over the same for test digits: about 1 means no copying, 0 replaying).
"""
import argparse
import glob
import json
import os
import re
import sys
import time

import numpy as np

from npgan import backend as B
from npgan.checkpoint import CheckpointError
from npgan.console import run_command
from npgan.classifier import ClassifierError
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.figures import Memorisation, format_memorisation, training_images
from npgan.metrics import MIN_FRACTION, PAPER_VALIDATION_SIZE, MnistEvaluator
from npgan.runstate import load_generator, load_run_checkpoint, sample
from npgan.settings import check_int

PROG = "evaluate.py"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("checkpoint", help="a checkpoint of examples/mnist_gan.py, or a run folder: then every "
                                      "ckpt_epochNNN.npz in it, one row per epoch")
    p.add_argument("--n", type=int, default=10000, help="samples to draw (the paper's Parzen protocol: 10000)")
    p.add_argument("--parzen", action="store_true", help="also the Parzen-window log-likelihood (slow)")
    p.add_argument("--parzen-test", type=int, help="Parzen: score only the first N test images (default all)")
    p.add_argument("--parzen-validation", type=int, default=PAPER_VALIDATION_SIZE,
                   help="Parzen: validation images (from train 50,000-60,000) that choose σ")
    p.add_argument("--memorisation", action="store_true",
                   help="also the memorisation number: median distance of the samples to their nearest training "
                        "image over the same for n test digits (about 1: no copying; near 0: replays the training set)")
    p.add_argument("--json", help="write every number to this JSON file")
    p.add_argument("--plot", help="run-folder mode: save the metrics-vs-epochs figure here")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $NPGAN_DATA_DIR, the cache, a "
                                      "download)")
    p.add_argument("--classifier", help="classifier .npz (default: $NPGAN_CLASSIFIER, else the MNIST cache "
                                        "folder; trained there on first use)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise (and of the reference images)")
    return p.parse_args(argv)


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
    under "memorisation" when `memorise`, an npgan.figures.Memorisation, is given)."""
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


def plot_over_epochs(rows, real, path, title=""):
    """FID, classifier score, coverage/entropy and (if present) Parzen LL against epochs, real data dashed."""
    from npgan.viz import _pyplot
    plt = _pyplot()
    epochs = [r["epoch"] for r in rows]
    panels = [("fid", "FID (lower is better)"), ("classifier_score", "classifier score (max 10)"),
              ("class_entropy", "class entropy, nats (max 2.303)")]
    if rows and "parzen" in rows[0]:
        panels.append(("parzen", "Parzen LL, nats (± s.e.)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4))
    for ax, (key, label) in zip(np.atleast_1d(axes), panels):
        if key == "parzen":
            ax.errorbar(epochs, [r["parzen"]["mean"] for r in rows], [r["parzen"]["sem"] for r in rows],
                        marker="o", capsize=3)
            level = real.get("parzen", {}).get("mean")
        else:
            ax.plot(epochs, [r[key] for r in rows], marker="o")
            level = real.get(key)
        if key == "fid":
            ax.set_yscale("log")
        if key == "class_entropy":
            twin = ax.twinx()
            twin.plot(epochs, [r["classes_covered"] for r in rows], color="C1", ls=":", marker="s", ms=3)
            twin.set_ylim(0, 10.5)
            twin.set_ylabel("classes covered", color="C1")
        if key == "parzen":
            ax.axhline(225.0, color="C3", ls=":", lw=1, label="the paper's GAN: 225")
        if level is not None:
            ax.axhline(level, color="gray", ls="--", lw=1, label="real digits")
            ax.legend(loc="best", fontsize=8)
        ax.set_xlabel("epoch")
        ax.set_title(label, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


USER_ERRORS = (CheckpointError, ClassifierError, MnistNotFoundError, MnistFormatError, B.BackendUnavailableError,
               OSError)


def main(argv=None):
    args = parse_args(argv)
    return run_command(lambda: evaluate(args), PROG, USER_ERRORS)


def evaluate(args):
    check_int("n", args.n)
    backend = B.resolve_backend(args.backend)
    started = time.perf_counter()
    evaluator = MnistEvaluator(args.data_dir, backend, classifier_path=args.classifier)
    options = {"parzen_test": args.parzen_test, "parzen_validation": args.parzen_validation}
    real = reference(evaluator, args.n, args.seed, args.parzen, **options)
    memorise = _memorisation(args, evaluator, backend) if args.memorisation else None
    if memorise:
        real["memorisation"] = memorise.sanity
    report = {"n": args.n, "seed": args.seed, "backend": backend, "data_source": evaluator.data_source,
              "classifier": {"path": args.classifier or "default", "test_accuracy": evaluator.test_accuracy,
                             "provenance": evaluator.provenance, **evaluator.classifier.info},
              "real": real}
    print(f"classifier: {evaluator.provenance} (here: {evaluator.test_accuracy:.2%} on {len(evaluator.test_x)} "
          f"test digits from {evaluator.data_source})")
    if os.path.isdir(args.checkpoint):
        rows = evaluate_over_epochs(args.checkpoint, evaluator, args.n, args.seed, args.parzen, backend,
                                    memorise=memorise, **options)
        if not rows:
            raise CheckpointError(f"no ckpt_epochNNN.npz in {args.checkpoint} (train with --checkpoint-every 1)")
        report["epochs"] = rows
        if args.plot:
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
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    return 0


def _memorisation(args, evaluator, backend):
    """The Memorisation reference of this evaluation: the images the checkpoint's run trained on (its
    recipe's train_images) and the first n test digits."""
    first = epoch_checkpoints(args.checkpoint)[:1] if os.path.isdir(args.checkpoint) else [(0, args.checkpoint)]
    if not first:
        raise CheckpointError(f"no ckpt_epochNNN.npz in {args.checkpoint} (train with --checkpoint-every 1)")
    recipe = load_run_checkpoint(first[0][1]).recipe
    return Memorisation(training_images(recipe, args.data_dir), evaluator.test_x[:args.n], backend)


if __name__ == "__main__":
    sys.exit(main())
