"""Sample quality against training time: train a preset, keep a checkpoint every epoch, and score the ones
taken closest to (without passing) 1, 2.5, 5 and 10 minutes of wall-clock training on this machine.

    python benchmarks/quality_curve.py --data-dir DIR                       # the default run, 10 minutes
    python benchmarks/quality_curve.py --data-dir DIR --name adam2e-3 -- --lr 2e-3 --batch-size 512
    python benchmarks/quality_curve.py --render-only                        # RESULTS.md from curves.json

Flags after `--` go to the MNIST command line (npgan.cli.mnist), so any recipe can be timed. Training stops
by itself after the last budget (the run is sent Ctrl-C: it finishes the iteration and saves).
Each chosen checkpoint is scored with 10,000 samples and npgan's classifier (FID against the test digits,
classifier score, classes covered; npgan.evaluation); the clock is the checkpoint file's time since the
run started, so it includes everything a user waits for (logs, grids, checkpoints). The machine's load is
recorded: on a shared machine the same run takes longer, and the curve says how much was measured.
Writes curves.json in --out, a plot, and the "## Quality per minute" section of benchmarks/RESULTS.md.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECTION = "## Quality per minute"
GOALS = {3.0: 30.0, 5.0: 10.0, 10.0: 6.0}  # minutes -> FID goal (issue 12)


def parse_args(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--name", default="default", help="the curve's name (several runs make several curves)")
    p.add_argument("--minutes", type=float, nargs="+", default=[1.0, 2.5, 5.0, 10.0])
    p.add_argument("--data-dir", help="folder with the MNIST IDX files")
    p.add_argument("--n", type=int, default=10000, help="samples per scored checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/quality_curve")
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--plot", default=os.path.join(HERE, "img", "quality_curve.png"))
    p.add_argument("--render-only", action="store_true", help="rewrite RESULTS.md and the plot from curves.json")
    args = p.parse_args(argv)
    args.flags = extra
    return args


def train(args, run_dir):
    """The run (its own process, as a user starts it), sent Ctrl-C after the last budget; returns
    {epoch: seconds from the start to its checkpoint}."""
    command = [sys.executable, "-m", "npgan.cli.mnist", "--epochs", "100000", "--checkpoint-every", "1",
               "--no-progress", "--overwrite", "--seed", str(args.seed), "--out", run_dir, "--log-every", "100",
               *(["--data-dir", args.data_dir] if args.data_dir else []), *args.flags]
    started = time.time()
    process = subprocess.Popen(command, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        process.wait(timeout=max(args.minutes) * 60.0 + 1.0)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)  # finishes the iteration, saves latest.npz, exits 130
        process.wait()
    if process.returncode not in (0, 130):
        raise SystemExit(f"training failed with exit status {process.returncode}: {' '.join(command)}")
    from npgan.evaluation import epoch_checkpoints
    return {epoch: os.path.getmtime(path) - started for epoch, path in epoch_checkpoints(run_dir)}


def measure(args):
    from npgan import evaluation as ev
    from npgan.evaluation.metrics import MnistEvaluator
    run_dir = os.path.join(args.out, args.name)
    load_before = os.getloadavg()[0]
    times = train(args, run_dir)
    load_after = os.getloadavg()[0]
    evaluator = MnistEvaluator(args.data_dir)
    points = []
    for minutes in args.minutes:
        ready = [(seconds, epoch) for epoch, seconds in times.items() if seconds <= minutes * 60.0]
        if not ready:
            continue
        seconds, epoch = max(ready)
        path = os.path.join(run_dir, f"ckpt_epoch{epoch:03d}.npz")
        scores = ev.score(ev.sample_images(path, args.n, seed=args.seed), evaluator)
        points.append({"budget_minutes": minutes, "epoch": epoch, "minutes": round(seconds / 60.0, 2),
                       "fid": scores["fid"], "classifier_score": scores["classifier_score"],
                       "classes_covered": scores["classes_covered"]})
        print(f"{args.name}: {minutes:g} min -> epoch {epoch} at {seconds / 60:.2f} min: FID {scores['fid']:.1f}, "
              f"score {scores['classifier_score']:.2f}, {scores['classes_covered']}/10 classes", flush=True)
    curves_path = os.path.join(args.out, "curves.json")
    curves = json.load(open(curves_path)) if os.path.exists(curves_path) else {}
    curves[args.name] = {"flags": args.flags, "points": points, "n": args.n, "seed": args.seed,
                         "load_average": [round(load_before, 2), round(load_after, 2)],
                         "classifier": evaluator.provenance, "cores": cores_used()}
    with open(curves_path, "w") as f:
        json.dump(curves, f, indent=1)
    return curves


def cores_used():
    """The cores the run could use: those this process may run on (taskset), capped by the BLAS threads."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = next((os.environ[v] for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if os.environ.get(v)), None)
    return min(cores, int(threads)) if threads and threads.isdigit() else cores


def render(curves, args):
    from parzen_table import write_section
    from npgan.viz import pyplot
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curve in curves.items():
        ax.plot([p["minutes"] for p in curve["points"]], [p["fid"] for p in curve["points"]], marker="o",
                label=f"{name} ({_cores(curve)})")
    ax.plot(list(GOALS), list(GOALS.values()), "k*", ms=9, label="goals (issue 12)")
    ax.set(xlabel="training minutes (wall clock; cores used: see the legend)", ylabel="FID (npgan classifier), log",
           yscale="log",
           title="sample quality per minute of training")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    plt.close(fig)
    lines = [SECTION, "", "`python benchmarks/quality_curve.py --data-dir DIR [--name N -- RECIPE FLAGS]`: each run "
             "keeps a checkpoint every epoch; the one saved closest to (not after) each budget is scored with "
             "10,000 samples (FID against the 10,000 test digits; real digits score 2.5).", "",
             "| run (flags) | cores | budget | checkpoint | FID | score | classes | load average (before, after) |",
             "|---|---|---|---|---|---|---|---|"]
    for name, curve in curves.items():
        flags = " ".join(curve["flags"]) or "the default run"
        for p in curve["points"]:
            lines.append(f"| {name} ({flags}) | {curve.get('cores', '?')} | {p['budget_minutes']:g} min | epoch {p['epoch']}, {p['minutes']:.2f} "
                         f"min | {p['fid']:.1f} | {p['classifier_score']:.2f} | {p['classes_covered']}/10 | "
                         f"{curve['load_average'][0]}, {curve['load_average'][1]} |")
    lines += ["", f"![FID against training minutes]({os.path.relpath(args.plot, os.path.dirname(args.results))})", ""]
    write_section(args.results, "\n".join(lines) + "\n", heading=SECTION)


def _cores(curve):
    cores = curve.get("cores")
    return f"{cores} core{'' if cores == 1 else 's'}" if cores else "cores not recorded"


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, HERE)
    if args.render_only:
        curves = json.load(open(os.path.join(args.out, "curves.json")))
    else:
        curves = measure(args)
    render(curves, args)
    print(f"wrote {args.results} and {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
