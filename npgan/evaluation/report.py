"""Score a generator trained by npgan.training (npgan-train, examples/mnist_gan.py) on any dataset: FID,
classifier score, mode coverage, Parzen LL — the functions behind examples/evaluate.py and `npgan-evaluate`
(npgan/cli/evaluate.py).

    npgan-evaluate runs/mnist/latest.npz                    # 10,000 samples, classifier metrics
    npgan-evaluate runs/mnist/latest.npz --parzen --json scores.json
    npgan-evaluate runs/mnist/latest.npz --memorisation     # + nearest-training-image distances
    npgan-evaluate runs/mnist --plot metrics_vs_epochs.png  # every ckpt_epochNNN.npz of a run

Each number is printed beside the same metric of real images of the run's dataset that the metric never
saw (the reference: the validation images — MNIST's 50,000–60,000 — for the classifier metrics, training
images for the Parzen window; npgan.evaluation.realdata), so a number means something. The samples are
those of `npgan-train --checkpoint C --sample N --seed S`. The metrics are defined in
npgan/evaluation/metrics.py; the dataset's classifier is trained on first use (or by
examples/train_classifier.py) and cached. Data without labels get no classifier metrics: the table then
holds the memorisation number and the Parzen estimate. --parzen adds the paper's Parzen-window estimate (about 10 s
per model on a 2-core CPU at the paper's 10,000 samples; its docstring says why it is a poor measure).
--memorisation adds the memorisation number of npgan/evaluation/memorisation.py (the median distance of the samples to
their nearest training image over the same for test digits: about 1 means no copying, 0 replaying).
"""
import glob
import math
import os
import re
import time

from npgan.evaluation.metrics import MIN_FRACTION, PAPER_VALIDATION_SIZE
from npgan.gan.sampling import sample
from npgan.training.checkpoints import load_generator, load_run_checkpoint

# Samples a score is drawn from: at least 10 (a sample in each class can count, a median of 10 distances), at most
# 100,000 (314 MB of float32 images a set).
MIN_SAMPLES, MAX_SAMPLES = 10, 100_000


def sample_images(checkpoint, n, backend="numpy", seed=0):
    """n images (float32 host (n, D) in [0, 1]) from a checkpoint's generator, in eval mode, drawn as
    `npgan-train --sample` draws them (npgan.gan.sample: the seed, chunks of 1,000)."""
    G, recipe = load_generator(checkpoint, backend)
    return sample(G, n, recipe, seed=seed)


def describe(checkpoint):
    """What a checkpoint is: arch, completed epochs (and iterations into the next, if interrupted), dataset."""
    saved = load_run_checkpoint(checkpoint)
    return {"checkpoint": checkpoint, "arch": saved.recipe.arch, "epochs": saved.completed_epochs,
            "iterations": saved.iterations, "partial_epoch_iterations": saved.done_in_epoch,
            "dataset": saved.data.get("dataset", "mnist")}


def score(images, evaluator, parzen=False, parzen_test=None, parzen_validation=PAPER_VALIDATION_SIZE,
          memorise=None):
    """All metrics of `images` as a dict (Parzen under "parzen" when asked for; the memorisation number
    under "memorisation" when `memorise`, an npgan.evaluation.memorisation.Memorisation, is given)."""
    result = evaluator.classifier_metrics(images)
    if memorise is not None:
        result["memorisation"] = memorise(images)
    if parzen:
        started = time.perf_counter()
        result["parzen"] = evaluator.parzen(images, parzen_validation, parzen_test)
        result["parzen"]["seconds"] = round(time.perf_counter() - started, 1)
    return result


def reference(evaluator, n, seed=0, parzen=False, **parzen_options):
    """The same metrics for n real images (see Evaluator.reference_images)."""
    result = score(evaluator.reference_images(n, seed), evaluator)
    if parzen:
        result["parzen"] = score(evaluator.reference_images(n, seed, parzen=True), evaluator, True,
                                 **parzen_options)["parzen"]
    return result


def _parzen_cell(p):
    return f"{p['mean']:.1f} ± {p['sem']:.1f}" if p else "-"


def format_table(generated, real, n, n_test=10000, n_classes=10, noun="digits"):
    """The printed table: metric | generated | real data | how to read it (n samples, n_test test images, of
    n_classes classes, called `noun`). Only the metrics `generated` holds: none of the classifier's for data
    without labels."""
    rows = []
    if "fid" in generated:
        rows += [("FID (classifier features)", f"{generated['fid']:.2f}", f"{real['fid']:.2f}",
                  f"lower is better; {n} images vs the {n_test:,} test {noun}"),
                 ("classifier score", f"{generated['classifier_score']:.2f}", f"{real['classifier_score']:.2f}",
                  f"exp E KL(p(y|x) || p(y)), 1 to {n_classes}"),
                 ("classifier confidence", f"{generated['confidence']:.3f}", f"{real['confidence']:.3f}",
                  "mean max p(y|x)"),
                 ("classes covered", f"{generated['classes_covered']}/{n_classes}",
                  f"{real['classes_covered']}/{n_classes}",
                  f"a class counts when it gets >= {MIN_FRACTION:.0%} of the samples"),
                 ("class entropy (nats)", f"{generated['class_entropy']:.3f}", f"{real['class_entropy']:.3f}",
                  f"of the predicted-class histogram; uniform: ln {n_classes} = {math.log(n_classes):.3f}")]
    if "memorisation" in generated:
        g, r = generated["memorisation"], real.get("memorisation")
        rows.append(("memorisation (NN distance ratio)", f"{g['ratio']:.3f}", f"{r['ratio']:.3f}" if r else "-",
                     f"~1: no closer to the training set than test {noun}; ~0: copies (real: test even/odd)"))
    if "parzen" in generated:
        g, r = generated["parzen"], real.get("parzen")
        rows.append(("Parzen log-likelihood (nats)", _parzen_cell(g), _parzen_cell(r),
                     f"test mean ± s.e.; σ = {g['sigma']:.3f}" + (f" / {r['sigma']:.3f}" if r else "")
                     + f"; {g['n_samples']} samples, {g['n_test']} test {noun}"))
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
        text = (f"  FID {row['fid']:8.2f}  score {row['classifier_score']:.2f}  covered "
                f"{row['classes_covered']}/{len(row['class_fractions'])}  entropy {row['class_entropy']:.3f}"
                if "fid" in row else "")
        text += f"  Parzen {_parzen_cell(row['parzen'])}" if parzen else ""
        text += f"  memorisation {row['memorisation']['ratio']:.3f}" if memorise else ""
        log(f"epoch {epoch:3d}{text}")
    return rows
