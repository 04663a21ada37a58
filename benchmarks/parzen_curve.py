"""Table 1, reproduced: the `paper` preset trained for a CPU budget, its Parzen log-likelihood every few epochs.

    python benchmarks/parzen_curve.py --data-dir ../shared/data/mnist           # 2 CPU-hours, in the background
    python benchmarks/parzen_curve.py --render-only                             # rewrite RESULTS.md and the plot
    python benchmarks/parzen_curve.py --arch slides --every 10 --budget-cpu-minutes 22 --out runs/parzen_slides

Trains `--arch paper` (the authors' recipe, audited in docs/paper_recipe.md) in chunks of `--every` epochs
through the MNIST command line (`npgan-mnist ... --resume`, so each chunk continues the same run exactly),
and after each chunk scores the run's latest.npz by the paper's Parzen protocol (10,000 samples, σ from
logspace(−1, 0, 10) on the first 1,000 validation digits, mean ± s.e. over the 10,000 test digits) and by
npgan's classifier (FID, score, classes covered). It stops when the training CPU time (this process's, all
threads, scoring excluded) reaches `--budget-cpu-minutes`, or the Parzen estimate reaches `--target`.

Each scored chunk is a line of `curve.jsonl` in `--out`; run the same command again after a kill and it
continues from the last line. The table and the plot go to the "## Table 1 ..." section of
benchmarks/RESULTS.md and to benchmarks/img/parzen_curve.png (`--arch slides`: the same curve for the
default preset, in its own section and parzen_curve_slides.png).
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SECTION = "## Table 1: the {arch} preset's Parzen curve"
PAPER_GAN = 225.0  # Goodfellow et al. (2014), Table 1: 225 ± 2 nats on MNIST


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--arch", default="paper", help="the preset to train (paper: Table 1's own row)")
    p.add_argument("--budget-cpu-minutes", type=float, default=120.0, help="stop after this much training CPU")
    p.add_argument("--target", type=float, default=PAPER_GAN, help="stop once the Parzen estimate reaches this")
    p.add_argument("--every", type=int, default=5, help="epochs per chunk: the curve's spacing")
    p.add_argument("--max-epochs", type=int, help="also stop at this epoch")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (1: pin the run to one core, e.g. with "
                                                          "taskset -c 0, and keep the other free)")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files")
    p.add_argument("--classifier", help="classifier .npz (default: the cached one)")
    p.add_argument("--out", default="runs/parzen_curve", help="the training run and curve.jsonl go here")
    p.add_argument("--n", type=int, default=10000, help="samples per Parzen estimate (the paper: 10,000)")
    p.add_argument("--parzen-test", type=int, help="score only the first N test digits (default: all 10,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                   help="further npgan-mnist flags for the first chunk (e.g. --extra --train-images 1000)")
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--plot", help="the plot (default benchmarks/img/parzen_curve.png, or parzen_curve_ARCH.png)")
    p.add_argument("--render-only", action="store_true", help="rewrite RESULTS.md and the plot from curve.jsonl")
    args = p.parse_args(argv)
    if args.every < 1 or args.threads < 1 or args.budget_cpu_minutes <= 0 or args.n < 2 or (args.max_epochs or 1) < 1:
        p.error("--every, --threads, --max-epochs and --n must be positive integers, --budget-cpu-minutes > 0")
    from npgan.gan.presets import ARCHS
    if args.arch not in ARCHS:
        p.error(f"argument --arch: must be one of {', '.join(ARCHS)}, got {args.arch!r}")
    args.plot = args.plot or os.path.join(HERE, "img", "parzen_curve" + ("" if args.arch == "paper" else
                                                                          f"_{args.arch}") + ".png")
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def read_curve(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().endswith("}")]  # a torn last line is dropped


def train_chunk(args, to_epoch, resume):
    """Train the run to `to_epoch` (resuming its latest.npz); returns (CPU seconds, wall seconds)."""
    from npgan.cli import mnist
    flags = ["--epochs", str(to_epoch), "--out", args.run_dir, "--no-progress", "--log-every", "500",
             "--checkpoint-every", str(args.every), "--sample-every", str(args.every)]
    if resume:
        flags += ["--resume", os.path.join(args.run_dir, "latest.npz")]
    else:
        flags += ["--arch", args.arch, "--seed", str(args.seed), "--overwrite"] + list(args.extra)
    flags += ["--data-dir", args.data_dir] if args.data_dir else []
    cpu, wall = time.process_time(), time.perf_counter()
    code = mnist.main(flags)
    if code != 0:
        raise SystemExit(f"training to epoch {to_epoch} failed with exit status {code}")
    return time.process_time() - cpu, time.perf_counter() - wall


def score_chunk(args, evaluator):
    from npgan import evaluation as ev
    latest = os.path.join(args.run_dir, "latest.npz")
    started = time.perf_counter()
    images = ev.sample_images(latest, args.n, evaluator.backend, args.seed)
    metrics = ev.score(images, evaluator, parzen=True, parzen_test=args.parzen_test)
    info = ev.describe(latest)
    return {"epoch": info["epochs"], "iterations": info["iterations"], "parzen": metrics["parzen"],
            "fid": metrics["fid"], "classifier_score": metrics["classifier_score"],
            "classes_covered": metrics["classes_covered"], "score_seconds": round(time.perf_counter() - started, 1)}


def measure(args):
    """Train and score chunk by chunk until the budget or the target; every row is appended to curve.jsonl."""
    from npgan.threads import blas_threads
    from npgan.evaluation.metrics import MnistEvaluator
    blas_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    curve_path = os.path.join(args.out, "curve.jsonl")
    rows = read_curve(curve_path)
    budget = args.budget_cpu_minutes * 60.0
    evaluator = MnistEvaluator(args.data_dir, "numpy", classifier_path=args.classifier)
    while True:
        cpu_done = rows[-1]["train_cpu_s"] if rows else 0.0
        best = max((r["parzen"]["mean"] for r in rows), default=float("-inf"))
        epoch = rows[-1]["epoch"] if rows else 0
        per_epoch = (rows[-1]["train_cpu_s"] / epoch) if rows else None
        if cpu_done >= budget - 0.5 * (per_epoch or 0.0) or best >= args.target or \
                epoch >= (args.max_epochs or float("inf")):
            return rows  # (less than half an epoch of budget left is not worth a chunk)
        chunk = args.every if per_epoch is None else max(1, min(args.every, round((budget - cpu_done) / per_epoch)))
        chunk = min(chunk, (args.max_epochs or epoch + chunk) - epoch)
        load = os.getloadavg()[0]
        cpu, wall = train_chunk(args, epoch + chunk, resume=bool(rows))
        row = score_chunk(args, evaluator)
        row.update(train_cpu_s=round(cpu_done + cpu, 1),
                   train_wall_s=round((rows[-1]["train_wall_s"] if rows else 0.0) + wall, 1),
                   load_before=round(load, 2), threads=args.threads)
        rows.append(row)
        with open(curve_path, "a") as f:
            f.write(json.dumps(row) + "\n")
        p = row["parzen"]
        print(f"epoch {row['epoch']:4d}  CPU {row['train_cpu_s'] / 60:6.1f} min  Parzen {p['mean']:7.1f} ± "
              f"{p['sem']:.1f} (σ {p['sigma']:.3f})  FID {row['fid']:7.2f}  covered {row['classes_covered']}/10",
              flush=True)


def plot(rows, path, arch="paper"):
    from npgan.viz import pyplot
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    epochs = [r["epoch"] for r in rows]
    ax.errorbar(epochs, [r["parzen"]["mean"] for r in rows], yerr=[2 * r["parzen"]["sem"] for r in rows],
                marker="o", ms=3, lw=1.2, capsize=2, label=f"npgan `{arch}` preset (± 2 s.e.)")
    ax.axhline(PAPER_GAN, color="C3", ls=":", lw=1, label="the paper's GAN: 225 ± 2")
    ax.set_xlabel("epoch")
    ax.set_ylabel("Parzen log-likelihood (nats)")
    top = ax.secondary_xaxis("top", functions=_epoch_to_cpu(rows))
    top.set_xlabel("training CPU time (min)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _epoch_to_cpu(rows):
    import numpy as np
    e = np.array([0.0] + [r["epoch"] for r in rows])
    m = np.array([0.0] + [r["train_cpu_s"] / 60.0 for r in rows])
    return (lambda x: np.interp(x, e, m)), (lambda y: np.interp(y, m, e))


def markdown(rows, args, plot_rel):
    best = max(rows, key=lambda r: r["parzen"]["mean"])
    last = rows[-1]
    reached = best["parzen"]["mean"] >= args.target
    lines = [SECTION.format(arch=args.arch), "",
             f"Written by `python benchmarks/parzen_curve.py {' '.join(a for a in args.argv if a != '--render-only')}` "
             f"(its docstring says how); "
             f"the run: `npgan-mnist --arch {args.arch}`"
             + (" (the authors' recipe, audited in [docs/paper_recipe.md](../docs/paper_recipe.md))"
                if args.arch == "paper" else "") + f", {last['threads']} BLAS thread(s), scored after "
             f"every {args.every} epochs by the paper's Parzen protocol (10,000 samples, σ on 1,000 validation "
             f"digits, 10,000 test digits) and npgan's classifier (10,000 samples).", "",
             f"![Parzen curve]({plot_rel})", "",
             "| epoch | updates of G | training CPU (min) | wall (min) | Parzen (nats) | σ | FID ↓ | score | "
             "covered |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p = r["parzen"]
        lines.append(f"| {r['epoch']} | {r['iterations']:,} | {r['train_cpu_s'] / 60:.1f} | "
                     f"{r['train_wall_s'] / 60:.1f} | {p['mean']:.1f} ± {p['sem']:.1f} | {p['sigma']:.3f} | "
                     f"{r['fid']:.2f} | {r['classifier_score']:.2f} | {r['classes_covered']}/10 |")
    verdict = (f"**Reached {args.target:.0f} nats** at epoch {best['epoch']}." if reached else
               f"**Not reached:** the best estimate is {best['parzen']['mean']:.1f} ± {best['parzen']['sem']:.1f} "
               f"nats (epoch {best['epoch']}) after {last['train_cpu_s'] / 60:.0f} CPU-minutes, against the "
               f"paper's 225 ± 2.")
    lines += ["", verdict + f" Load average before each chunk: {min(r['load_before'] for r in rows):.1f}–"
              f"{max(r['load_before'] for r in rows):.1f} on {os.cpu_count()} cores.", ""]
    return "\n".join(lines)


def render(rows, args):
    from parzen_table import write_section
    plot(rows, args.plot, args.arch)
    plot_rel = os.path.relpath(args.plot, os.path.dirname(os.path.abspath(args.results)))
    heading = SECTION.format(arch=args.arch)
    write_section(args.results, markdown(rows, args, plot_rel), heading=heading)
    print(f"wrote the '{heading}' section of {args.results} and {args.plot}")


def main(argv=None):
    args = parse_args(argv)
    args.run_dir = os.path.join(args.out, args.arch)
    rows = read_curve(os.path.join(args.out, "curve.jsonl")) if args.render_only else measure(args)
    if not rows:
        raise SystemExit(f"no curve in {args.out}: run without --render-only first")
    render(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
