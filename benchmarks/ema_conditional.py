"""Measure generator averaging and the conditional GAN on a run's checkpoints (benchmarks/RESULTS.md).

    python benchmarks/ema_conditional.py ema RUN_DIR [--n 10000]      # a run trained with --ema
    python benchmarks/ema_conditional.py conditional CKPT [--n 10000] # a run trained with --conditional

ema: for every ckpt_epochNNN.npz, npgan's FID / score / classes covered of the averaged generator and of
the raw G stored beside it (the same training run: averaging never changes the updates, so the raw G is
exactly the run without --ema), from the same seed, one after the other. A markdown table goes to stdout.
conditional: for each digit d, n/10 samples asked for d: the share npgan's classifier labels d, and the
FID of those samples against the MNIST test digits of class d; then the FID of all n against the test set.
Real-digit references are printed with the same classifier (its provenance too).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from npgan import gan
from npgan import training  # noqa: E402
from npgan.data import load_mnist, train_validation_split  # noqa: E402
from npgan.evaluation import epoch_checkpoints  # noqa: E402
from npgan.evaluation.metrics import MnistEvaluator, frechet_distance, gaussian_stats  # noqa: E402


def ema_table(run_dir, evaluator, n, seed, only=None):
    rows = []
    print("| epoch | FID averaged | FID raw G | score averaged | score raw | classes averaged / raw |")
    print("|---:|---:|---:|---:|---:|---:|")
    for epoch, path in epoch_checkpoints(run_dir):
        if only and epoch not in only:
            continue
        row = {"epoch": epoch}
        for name, averaged in (("averaged", True), ("raw", False)):
            G, recipe = training.load_generator(path, averaged=averaged)
            row[name] = evaluator.classifier_metrics(gan.sample(G, n, recipe, seed=seed))
        a, r = row["averaged"], row["raw"]
        print(f"| {epoch} | {a['fid']:.1f} | {r['fid']:.1f} | {a['classifier_score']:.2f} | "
              f"{r['classifier_score']:.2f} | {a['classes_covered']} / {r['classes_covered']} |", flush=True)
        rows.append(row)
    return rows


def conditional_table(path, evaluator, n, seed, data_dir=None, averaged=None):
    G, recipe = training.load_generator(path, averaged=averaged)
    if not recipe.conditional:
        raise SystemExit(f"{path}: not a conditional run (train with --conditional)")
    per_class = n // 10
    test_features, _ = evaluator.classifier.embed(evaluator.test_x)
    rows, everything = [], []
    (_, _), (val_x, val_y) = train_validation_split(*load_mnist("train", data_dir=data_dir))
    print("| digit asked | classified as asked | FID vs test digits of that class | real digits of that class |")
    print("|---:|---:|---:|---:|")
    for digit in range(10):
        images = gan.sample(G, per_class, recipe, seed=seed + digit, labels=np.full(per_class, digit))
        features, probs = evaluator.classifier.embed(images)
        accuracy = float((probs.argmax(axis=1) == digit).mean())
        reference = gaussian_stats(test_features[evaluator.test_y == digit])
        fid = frechet_distance(*gaussian_stats(features), *reference)
        real_features, real_probs = evaluator.classifier.embed(val_x[val_y == digit][:per_class])
        real_fid = frechet_distance(*gaussian_stats(real_features), *reference)
        rows.append({"digit": digit, "accuracy": accuracy, "fid": fid, "real_fid": real_fid,
                     "real_accuracy": float((real_probs.argmax(axis=1) == digit).mean())})
        everything.append(images)
        print(f"| {digit} | {accuracy:.1%} | {fid:.1f} | {real_fid:.1f} (classified {rows[-1]['real_accuracy']:.1%}) |",
              flush=True)
    overall = evaluator.classifier_metrics(np.concatenate(everything))
    accuracy = float(np.mean([r["accuracy"] for r in rows]))
    print(f"\nall {n}: classified as asked {accuracy:.2%}; FID {overall['fid']:.2f}, score "
          f"{overall['classifier_score']:.2f}, classes covered {overall['classes_covered']}/10")
    real_features, real_probs = evaluator.classifier.embed(evaluator.val_x[:n])
    print(f"real digits (validation slice, {min(n, len(evaluator.val_x))}): FID "
          f"{frechet_distance(*gaussian_stats(real_features), *evaluator.test_stats):.2f}")
    return {"per_class": rows, "accuracy": accuracy, "overall": overall}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("ema", "conditional"))
    p.add_argument("target", help="ema: the run folder; conditional: the checkpoint")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir")
    p.add_argument("--epochs", type=int, nargs="+", help="ema: only these epochs' checkpoints")
    p.add_argument("--json", help="also write the rows here")
    args = p.parse_args(argv)
    started = time.perf_counter()
    evaluator = MnistEvaluator(args.data_dir, log=print)
    print(f"classifier: {evaluator.provenance}")
    if args.what == "ema":
        rows = ema_table(args.target, evaluator, args.n, args.seed, args.epochs)
    else:
        rows = conditional_table(args.target, evaluator, args.n, args.seed, args.data_dir)
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
