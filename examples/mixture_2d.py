"""Mode coverage on the 2-D benchmarks of the GAN literature: minimax vs non-saturating loss, k = 1 vs 5.

    python examples/mixture_2d.py                     # 2 datasets x 4 settings, about 75 s on 2 CPU cores
    python examples/mixture_2d.py --datasets ring --iterations 3000 --out runs/ring_3000

The data (npgan.data.toy): 8 Gaussians on a ring of radius 2 with std 0.02 (Metz et al. 2017), and a
5 x 5 grid of Gaussians at {-4, -2, 0, 2, 4}^2 with std 0.05 (Srivastava et al. 2017). Each setting trains
G (z in R^8, N(0, I) -> 64 -> 64 -> 2, ReLU) and D (2 -> 128 -> 128 -> 1 logit, LeakyReLU 0.2) with
Algorithm 1 for the same number of generator updates, from the same seed.

Metrics on 2,500 samples from G (npgan.data.toy.mode_coverage): a sample is *high quality* when it lies
within 3 standard deviations of its nearest mode centre; a mode is *covered* when at least 20 of the
2,500 samples (0.8 %) are high quality and nearest to it.

Writes into --out: mixture_2d.md (the table), mixture_2d.json (the table, the per-mode counts and the
metrics at every snapshot), mixture_2d.png (the final samples of every run), and <dataset>_training.png
(samples over training, one row per setting); a folder that holds an earlier run's outputs is refused unless
--overwrite. A flag out of its range is one line and exit 2; Ctrl-C ends every worker, prints one line and
exits 130.
"""
import argparse
import json
import multiprocessing
import os
import signal
import sys
import time

import numpy as np

import npgan
from npgan import backend as B
from npgan import nn, optim
from npgan.checkpoint import atomic_file
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import toy
from npgan.gan import GANTrainer, NonFiniteError, infer, sample_noise
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.settings import check_float, check_int
from npgan.threads import single_blas_thread
from npgan.training.progress import progress
from npgan.training.runfolder import OutputFolder, RunFolderError
from npgan.viz import MissingDependency, pyplot, require_matplotlib, save_figure

PROG = "mixture_2d.py"

# scale: the nets see x / scale (unit-sized inputs and outputs); every metric is in the data's own units.
# iterations: generator updates per run unless --iterations is given (the grid needs more).
DATASETS = {
    "ring": dict(title="8 Gaussians on a ring (radius 2, std 0.02)", centres=toy.ring_centres(8, 2.0), std=0.02,
                 lim=3.0, scale=2.0, iterations=2000),
    "grid": dict(title="5 x 5 grid of Gaussians (spacing 2, std 0.05)", centres=toy.grid_centres(5, 2.0),
                 std=0.05, lim=5.5, scale=4.0, iterations=3000),
}
EVAL_SAMPLES = 2500
Z_DIM = 8
OUTPUTS = ("mixture_2d.md", "mixture_2d.json", "mixture_2d.png", *(f"{d}_training.png" for d in DATASETS))
# Upper bounds where memory or time grows with a flag: a typo (--iterations 10**9) is refused, not run for days.
MAX_K, MAX_ITERATIONS, MAX_BATCH, MAX_HIDDEN, MAX_SNAPSHOTS, MAX_WORKERS = 100, 10**6, 16384, 1024, 20, 64


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=["ring", "grid"])
    p.add_argument("--losses", nargs="+", choices=GENERATOR_LOSSES, default=["minimax", "non-saturating"],
                   help="generator objectives to compare")
    p.add_argument("--k", type=int, nargs="+", default=[1, 5], help=f"discriminator steps per generator step "
                                                                   f"to compare, each 1 to {MAX_K}")
    p.add_argument("--iterations", type=int, help=f"generator updates per run, 1 to {MAX_ITERATIONS:,} "
                                                  f"(default: ring 2000, grid 3000); a k = 5 run makes 5 "
                                                  f"discriminator updates for each")
    p.add_argument("--batch-size", type=int, default=256, help=f"minibatch size m, 1 to {MAX_BATCH} (memory "
                                                               f"grows as m x width)")
    p.add_argument("--g-hidden", type=int, default=64, help=f"hidden width of G, 1 to {MAX_HIDDEN}")
    p.add_argument("--d-hidden", type=int, default=128, help=f"hidden width of D, 1 to {MAX_HIDDEN}")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate of G and D, in (0, 1]")
    p.add_argument("--snapshots", type=int, default=5, help=f"scatter plots per run, evenly spaced, 1 to "
                                                            f"{MAX_SNAPSHOTS} (the columns of a figure)")
    p.add_argument("--seed", type=int, default=0, help="seed of every run (the same for all settings; >= 0)")
    p.add_argument("--workers", type=int, help=f"runs trained at once, in separate processes, 1 to "
                                               f"{MAX_WORKERS} (default: one per CPU core, at most one per run)")
    p.add_argument("--out", default="runs/mixture_2d", help="output folder (created if missing)")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def check_args(args):
    """Every setting checked once, before any work: a SettingError names the flag and its range. A value given
    twice (--k 1 1) runs once. Returns the output folder, checked too (an earlier run's outputs there are
    refused unless --overwrite)."""
    args.datasets, args.losses, args.k = (list(dict.fromkeys(v)) for v in (args.datasets, args.losses, args.k))
    for k in args.k:
        check_int("k", k, high=MAX_K)
    check_int("iterations", args.iterations, optional=True, high=MAX_ITERATIONS)
    check_int("batch_size", args.batch_size, high=MAX_BATCH)
    check_int("g_hidden", args.g_hidden, high=MAX_HIDDEN)
    check_int("d_hidden", args.d_hidden, high=MAX_HIDDEN)
    check_float("lr", args.lr, low=0.0, high=1.0, low_open=True)
    check_int("snapshots", args.snapshots, high=MAX_SNAPSHOTS)
    check_int("seed", args.seed, low=0)
    check_int("workers", args.workers, optional=True, high=MAX_WORKERS)
    require_matplotlib()  # the figures are drawn after training: refuse now, not then
    out = OutputFolder(args.out, OUTPUTS)
    out.check_empty(args.overwrite)
    return out


def build(g_hidden, d_hidden):
    """G: z (8) -> h -> h -> x (2), ReLU. D: x (2) -> h -> h -> one logit, LeakyReLU(0.2)."""
    G = nn.Sequential(nn.Linear(Z_DIM, g_hidden), nn.ReLU(), nn.Linear(g_hidden, g_hidden), nn.ReLU(),
                      nn.Linear(g_hidden, 2))
    D = nn.Sequential(nn.Linear(2, d_hidden), nn.LeakyReLU(0.2), nn.Linear(d_hidden, d_hidden),
                      nn.LeakyReLU(0.2), nn.Linear(d_hidden, 1))
    return G, D


def quiet_worker():
    """A worker leaves Ctrl-C to the parent, which ends the pool, and dies at once on the parent's SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run(job):
    """Train one setting, job = (dataset, loss, k, args); return its final metrics and the snapshots
    (iteration, samples in data units, metrics)."""
    dataset, loss, k, args = job
    single_blas_thread()  # one worker per core and small matrices: a second BLAS thread would only fight
    spec = DATASETS[dataset]
    scale, iterations = spec["scale"], args.iterations or spec["iterations"]
    npgan.manual_seed(args.seed)
    G, D = build(args.g_hidden, args.d_hidden)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    trainer = GANTrainer(G, D, opt_G, opt_D, z_dim=Z_DIM, k=k, loss=loss, noise="normal")
    real = toy.batches(toy.mixture_2d, args.batch_size, B.get_rng("host"), centres=spec["centres"] / scale,
                       std=spec["std"] / scale)
    noise = sample_noise(EVAL_SAMPLES, Z_DIM, "normal", np, rng=np.random.default_rng([args.seed, 99]))
    at = set(np.linspace(0, iterations, args.snapshots + 1).round().astype(int).tolist()[1:])
    snapshots, recent = [], []
    started = time.perf_counter()
    for iteration in range(1, iterations + 1):
        trainer.iteration(real)
        if iteration % 100 == 0 or iteration in at:
            recent = (recent + trainer.pop_records())[-100:]  # raises if a loss became NaN or infinite
        if iteration in at:
            samples = infer(G, noise) * scale
            snapshots.append((iteration, samples, toy.mode_coverage(samples, spec["centres"], spec["std"])))
    seconds = time.perf_counter() - started
    final = snapshots[-1][2]
    row = {"dataset": dataset, "loss": loss, "k": k, "iterations": iterations, "modes": final.modes,
           "n_modes": final.n_modes, "high_quality": final.high_quality, "counts": final.counts.tolist(),
           "modes_with_any_sample": int((final.counts > 0).sum()),  # the looser rule some papers use
           # mean D(x) and D(G(z)) over the last 100 iterations: D(G(z)) ~ 0 means the minimax loss saturates
           "d_real": float(np.mean([r["d_real"] for r in recent])),
           "d_fake": float(np.mean([r["d_fake"] for r in recent])), "seconds": round(seconds, 2),
           "over_training": [{"iteration": it, "modes": m.modes, "high_quality": m.high_quality}
                             for it, _, m in snapshots]}
    return row, snapshots


# --- figures and tables ---------------------------------------------------------------------------------

def _scatter(ax, samples, spec, title):
    lim = spec["lim"]
    centres = spec["centres"]
    ax.scatter(centres[:, 0], centres[:, 1], s=25, marker="+", color="red", linewidths=0.8, zorder=3)
    ax.scatter(samples[:, 0], samples[:, 1], s=1.5, color="black", alpha=0.5, linewidths=0)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)


def label(loss, k):
    return f"{'NS' if loss == 'non-saturating' else 'minimax'}, k={k}"


def save_training_grid(dataset, runs, path):
    """One row per setting, one column per snapshot: G's 2,500 samples (black) and the mode centres (red)."""
    plt = pyplot()
    spec = DATASETS[dataset]
    cols = max(len(snaps) for _, snaps in runs)
    fig, axes = plt.subplots(len(runs), cols, figsize=(1.9 * cols, 1.95 * len(runs)), squeeze=False)
    for r, (row, snaps) in enumerate(runs):
        for c, (iteration, samples, m) in enumerate(snaps):
            _scatter(axes[r, c], samples, spec, f"it {iteration}: {m.modes}/{m.n_modes} modes, "
                                                f"{100 * m.high_quality:.0f}% HQ")
        axes[r, 0].set_ylabel(label(row["loss"], row["k"]), fontsize=9)
    fig.suptitle(f"{spec['title']}: samples over training", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path, dpi=90)


def save_final_grid(results, path):
    """One row per dataset, one column per setting: the final samples."""
    plt = pyplot()
    datasets = list(dict.fromkeys(row["dataset"] for row, _ in results))
    cols = len(results) // len(datasets)
    fig, axes = plt.subplots(len(datasets), cols, figsize=(2.4 * cols, 2.5 * len(datasets)), squeeze=False)
    for r, dataset in enumerate(datasets):
        runs = [(row, snaps) for row, snaps in results if row["dataset"] == dataset]
        for c, (row, snaps) in enumerate(runs):
            _, samples, m = snaps[-1]
            _scatter(axes[r, c], samples, DATASETS[dataset],
                     f"{label(row['loss'], row['k'])}\n{m.modes}/{m.n_modes} modes, {100 * m.high_quality:.1f}% HQ")
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)


def markdown_table(rows, args):
    min_count = toy.mode_coverage(np.zeros((EVAL_SAMPLES, 2)), np.zeros((1, 2)), 1.0).min_count
    lines = [f"Batch {args.batch_size}, Adam lr {args.lr} (betas 0.5, 0.999), seed {args.seed}; metrics on "
             f"{EVAL_SAMPLES} samples: high quality = within 3 std of the nearest mode centre, covered = at "
             f"least {min_count} high-quality samples nearest to the mode. D(x), D(G(z)): means over the last "
             f"100 iterations.", "",
             "| data | G loss | k | G updates | modes covered | high-quality samples | D(x) | D(G(z)) | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['dataset']} | {row['loss']} | {row['k']} | {row['iterations']} | "
                     f"{row['modes']} / {row['n_modes']} | {100 * row['high_quality']:.1f} % | "
                     f"{row['d_real']:.2f} | {row['d_fake']:.2f} | {row['seconds']:.1f} |")
    return "\n".join(lines) + "\n"


def train(args, out):
    jobs = [(dataset, loss, k, args) for dataset in args.datasets for loss in args.losses for k in args.k]
    workers = min(args.workers or os.cpu_count() or 1, len(jobs))
    bar = progress(len(jobs), args.no_progress, unit="run")
    say = bar.write
    started = time.perf_counter()
    # Longest runs first (a k-step iteration costs about k + 1 network updates), so the workers finish
    # together; the table keeps the order of `jobs`.
    by_cost = sorted(jobs, key=lambda job: -(job[2] + 1) * (args.iterations or DATASETS[job[0]]["iterations"]))
    done = {}
    pool = multiprocessing.Pool(workers, initializer=quiet_worker) if workers > 1 else None
    try:
        for row, snaps in (pool.imap_unordered(run, by_cost) if pool else map(run, by_cost)):
            done[row["dataset"], row["loss"], row["k"]] = (row, snaps)
            say(f"{row['dataset']:5s} {label(row['loss'], row['k']):12s} modes {row['modes']:2d}/"
                f"{row['n_modes']:2d}  high quality {100 * row['high_quality']:5.1f} %  ({row['seconds']:.1f} s)")
            bar.update(1)
    finally:
        if pool:  # every result is in, or Ctrl-C, SIGTERM or a failed run: end the workers either way
            pool.terminate()
            pool.join()
    results = [done[dataset, loss, k] for dataset, loss, k, _ in jobs]
    bar.close()
    out.clear()  # with --overwrite: the earlier run's outputs go now that the new ones are ready
    for dataset in args.datasets:
        save_training_grid(dataset, [r for r in results if r[0]["dataset"] == dataset],
                           out.file(f"{dataset}_training.png"))
    save_final_grid(results, out.file("mixture_2d.png"))
    rows = [row for row, _ in results]
    table = markdown_table(rows, args)
    with atomic_file(out.file("mixture_2d.md"), "w") as f:
        f.write(table)
    total = round(time.perf_counter() - started, 1)
    with atomic_file(out.file("mixture_2d.json"), "w") as f:
        json.dump({"settings": vars(args), "eval_samples": EVAL_SAMPLES, "total_seconds": total, "runs": rows},
                  f, indent=1)
    print(table)
    print(f"{total:.1f} s in all; wrote {args.out}/mixture_2d.md, mixture_2d.json, mixture_2d.png, "
          + ", ".join(f"{d}_training.png" for d in args.datasets))


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)

    def job():
        out = check_args(args)
        with out:  # created and locked while the runs write into it
            train(args, out)
        return 0

    return run_command(job, PROG, (RunFolderError, NonFiniteError, MissingDependency), parser)


if __name__ == "__main__":
    sys.exit(main())
