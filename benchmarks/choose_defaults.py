"""How the `slides` preset's defaults were chosen: train candidate recipes, then score every epoch.

    python benchmarks/choose_defaults.py train --backend cupy --epochs 10 --out runs/defaults
    python benchmarks/choose_defaults.py score --out runs/defaults          # classifier metrics per epoch

`train` runs npgan-mnist (npgan.cli.mnist) once per candidate, keeping a checkpoint every epoch. The recipes are
the same maths on every backend, so the sweep may run on a GPU; what a CPU user waits for is wall time per
epoch on the CPU (measured separately, see docs/training.md, "Choosing the defaults"). `score` evaluates each checkpoint as
npgan-evaluate does (npgan.evaluation.metrics: FID, classifier score, classes covered by 10,000 samples) into
scores.json.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

def adam(lr, batch, beta1=0.5):
    return ["--optimizer", "adam", "--lr", str(lr), "--betas", str(beta1), "0.999", "--batch-size", str(batch)]


CANDIDATES = {  # name -> flags of npgan-mnist (a first sweep also tried Adam β1 = 0.9, which
    # collapsed to a few digit shapes, and SGD lr 0.1 momentum 0.5, which diverged within 510 updates)
    "adam2e-4_m64": adam(2e-4, 64),
    "adam1e-4_m64": adam(1e-4, 64),
    "adam1e-4_m32": adam(1e-4, 32),
    "adam2e-4_m128": adam(2e-4, 128),
    "adam5e-4_m128": adam(5e-4, 128),
    "adam1e-3_m256": adam(1e-3, 256),
}


def train(args):
    from npgan.cli import mnist as example
    summary = {}
    for name in args.only or CANDIDATES:
        out = os.path.join(args.out, name)
        started = time.perf_counter()
        code = example.main(["--arch", "slides", *CANDIDATES[name], "--epochs", str(args.epochs),
                             "--checkpoint-every", "1", "--seed", str(args.seed), "--no-progress", "--overwrite",
                             "--out", out, *(["--backend", args.backend] if args.backend else []),
                             *(["--data-dir", args.data_dir] if args.data_dir else [])])
        summary[name] = {"exit": code, "seconds": round(time.perf_counter() - started, 1)}
        print(name, summary[name], flush=True)
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


def score(args):
    """Every epoch checkpoint of every candidate, scored as npgan-evaluate does (npgan.evaluation.metrics)."""
    from npgan.evaluation.metrics import MnistEvaluator
    from npgan import evaluation as evaluate
    backend = args.backend or "numpy"
    evaluator = MnistEvaluator(data_dir=args.data_dir, backend=backend)
    real = evaluate.reference(evaluator, args.n, args.seed)
    rows = [{"recipe": "real MNIST digits (validation)", "epoch": 0, **real}]
    for name in args.only or CANDIDATES:
        print(name, flush=True)
        for row in evaluate.evaluate_over_epochs(os.path.join(args.out, name), evaluator, args.n, args.seed,
                                                 backend=backend):
            rows.append({"recipe": name, **row})
    with open(os.path.join(args.out, "scores.json"), "w") as f:
        json.dump(rows, f, indent=1, default=str)
    print(f"wrote {os.path.join(args.out, 'scores.json')}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=("train", "score"))
    p.add_argument("--backend")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=10000, help="samples per checkpoint for the scores")
    p.add_argument("--data-dir")
    p.add_argument("--out", default="runs/defaults")
    p.add_argument("--only", nargs="*", choices=sorted(CANDIDATES))
    args = p.parse_args(argv)
    (train if args.command == "train" else score)(args)


if __name__ == "__main__":
    sys.exit(main())
