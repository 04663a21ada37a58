"""Figure 1 of Goodfellow et al. (2014), live: a 1-D GAN learns a Gaussian, drawn as the paper draws it.

    python examples/gaussian_1d.py                    # about 25 s on 2 CPU cores; writes runs/gaussian_1d/
    python examples/gaussian_1d.py --data mixture --out runs/gaussian_1d_mixture   # two modes: watch G stretch

p_data is N(2, 0.5^2) (or an equal mixture of N(1, 0.3^2) and N(3, 0.3^2)); z is uniform on [-1, 1];
G and D are 1 -> 64 -> 64 -> 1 LeakyReLU nets (D outputs a logit); Algorithm 1 trains them with k = 5
discriminator steps per generator step, so D stays close to D*, the regime the paper's theory describes.

Every frame measures, on a grid of x values (float64, npgan.theory):
    JSD(p_data || p_g)   with p_g a Gaussian KDE of G's outputs on 1,000 evenly spaced z
    V(D, G)              the value function with the network D, on the grid
    C(G) = V(D*, G)      = -log 4 + 2 JSD  (Theorem 1): V(D, G) <= C(G), with equality when D = D*
and prints them as training goes, beside the minibatch estimate of V that Algorithm 1 computes anyway.
At the end p_g ~ p_data, D ~ 1/2 and V ~ -log 4 = -1.386.

Writes into --out: figure1.gif (the animation), figure1.png (panels (a)-(d)), frames/frame_NNN.png,
metrics.csv (one row per frame) and summary.json; a folder that holds an earlier run's outputs is refused
unless --overwrite. A flag out of its range is one line and exit 2, Ctrl-C one line and exit 130.
"""
import argparse
import csv
import json
import sys
import time

import numpy as np

import npgan
from npgan import backend as B
from npgan import nn, optim
from npgan import theory as T
from npgan.checkpoint import atomic_file
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import toy
from npgan.gan import GANTrainer, NonFiniteError, infer
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.settings import check_float, check_int
from npgan.threads import single_blas_thread
from npgan.training.progress import progress
from npgan.training.runfolder import OutputFolder, RunFolderError
from npgan.viz import MissingDependency, require_matplotlib

PROG = "gaussian_1d.py"

LOG4 = float(np.log(4.0))

# p_data as a mixture of 1-D Gaussians; `window` is the x range drawn in the figures.
PROBLEMS = {
    "gaussian": dict(means=(2.0,), stds=(0.5,), window=(-1.0, 5.0)),
    "mixture": dict(means=(1.0, 3.0), stds=(0.3, 0.3), window=(-1.0, 5.0)),
}
GRID = np.linspace(-6.0, 10.0, 801)  # where densities and D are measured; wide, so no mass is lost
KDE_POINTS = 1000  # evenly spaced z (a stratified sample of U[-1, 1]) whose images estimate p_g
KDE_BANDWIDTH = 0.04  # fixed, small next to the data's std: smoothing adds < 1e-4 to the JSD
MAP_LINES = 21  # the x = G(z) arrows in each panel
OUTPUTS = ("figure1.gif", "figure1.png", "metrics.csv", "summary.json", "frames/frame_*.png")
# Upper bounds where memory or time grows with a flag: a typo (--steps 10**9) is refused, not run for days.
MAX_STEPS, MAX_K, MAX_BATCH, MAX_HIDDEN = 10**6, 100, 16384, 1024
MAX_FRAMES, MAX_LOG_LINES, MAX_FPS = 300, 1000, 50


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", choices=sorted(PROBLEMS), default="gaussian", help="p_data")
    p.add_argument("--steps", type=int, default=2000, help=f"training iterations (generator updates), 1 to "
                                                           f"{MAX_STEPS:,} (about 25 s per 2,000 on 2 cores)")
    p.add_argument("--k", type=int, default=5, help=f"discriminator steps per generator step, 1 to {MAX_K}")
    p.add_argument("--loss", choices=GENERATOR_LOSSES, default="non-saturating", help="generator objective")
    p.add_argument("--batch-size", type=int, default=256, help=f"minibatch size m, 1 to {MAX_BATCH} (memory "
                                                               f"grows as m x h)")
    p.add_argument("--hidden", type=int, default=64, help=f"hidden width h of G and D, 1 to {MAX_HIDDEN}")
    p.add_argument("--lr-d", type=float, default=1e-3, help="Adam learning rate of D, in (0, 1]")
    p.add_argument("--lr-g", type=float, default=5e-4, help="Adam learning rate of G, in (0, 1]")
    p.add_argument("--frames", type=int, default=60, help=f"frames in the animation, 2 to {MAX_FRAMES} (each "
                                                          f"is held in memory until the GIF is written); spaced "
                                                          f"more densely early, where G moves most")
    p.add_argument("--log-lines", type=int, default=10, help=f"metric lines printed during training, 1 to "
                                                             f"{MAX_LOG_LINES}")
    p.add_argument("--fps", type=int, default=8, help=f"GIF frames per second, 1 to {MAX_FPS} (GIF viewers "
                                                      f"slow down faster ones)")
    p.add_argument("--no-frames", action="store_true", help="write the GIF and panels, not one PNG per frame")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw of the run (>= 0)")
    p.add_argument("--out", default="runs/gaussian_1d", help="output folder (created if missing)")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def check_args(args):
    """Every setting checked once, before any work: a SettingError names the flag and its range. Returns the
    output folder, checked too (an earlier run's outputs there are refused unless --overwrite)."""
    check_int("steps", args.steps, high=MAX_STEPS)
    check_int("k", args.k, high=MAX_K)
    check_int("batch_size", args.batch_size, high=MAX_BATCH)
    check_int("hidden", args.hidden, high=MAX_HIDDEN)
    check_float("lr_d", args.lr_d, low=0.0, high=1.0, low_open=True)
    check_float("lr_g", args.lr_g, low=0.0, high=1.0, low_open=True)
    check_int("frames", args.frames, low=2, high=MAX_FRAMES)
    check_int("log_lines", args.log_lines, high=MAX_LOG_LINES)
    check_int("fps", args.fps, high=MAX_FPS)
    check_int("seed", args.seed, low=0)
    require_matplotlib()  # the figures are drawn after training: refuse now, not then
    out = OutputFolder(args.out, OUTPUTS)
    out.check_empty(args.overwrite)
    return out


# --- the nets and the measurements ---------------------------------------------------------------------

def mlp(hidden):
    """1 -> h -> h -> 1 with LeakyReLU(0.2): G (z to x) and D (x to a logit) have this shape."""
    return nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, 1))


def p_data_on(x, problem):
    return T.mixture_pdf(x, problem["means"], problem["stds"])


def sample_data(m, rng, problem):
    """m draws from p_data, float32 (m, 1)."""
    return toy.mixture_1d(m, rng, means=problem["means"], stds=problem["stds"])


def stratified_z(n):
    """n evenly spaced points of [-1, 1] (the centres of n equal cells): a low-noise sample of U[-1, 1]."""
    return (-1.0 + (2.0 * np.arange(n) + 1.0) / n).astype(np.float32)[:, None]


def measure(G, D, problem, iteration, x=GRID):
    """A snapshot of the run: the curves of Figure 1 on the grid x and the numbers of Theorem 1."""
    xs = infer(G, stratified_z(KDE_POINTS))[:, 0]
    logits = infer(D, x.astype(np.float32)[:, None])[:, 0].astype(np.float64)
    z_lines = np.linspace(-1.0, 1.0, MAP_LINES)
    x_lines = infer(G, z_lines.astype(np.float32)[:, None])[:, 0]
    p_data = p_data_on(x, problem)
    p_g = T.gaussian_kde(xs, x, bandwidth=KDE_BANDWIDTH)
    jsd = T.js_divergence(p_data, p_g, x)
    return {"iteration": iteration, "x": x, "p_data": p_data, "p_g": p_g,
            "d": 0.5 * np.tanh(0.5 * logits) + 0.5, "d_star": T.optimal_discriminator(p_data, p_g),
            "z_lines": z_lines, "x_lines": x_lines.astype(np.float64),
            "g_range": (float(xs.min()), float(xs.max())),  # G([-1, 1]): where p_g can be non-zero
            "jsd": jsd, "value": T.value_from_logits(logits, p_data, p_g, x),
            "c_g": T.virtual_training_criterion(p_data, p_g, x)}


def frame_iterations(steps, frames):
    """`frames` iterations from 0 to steps, spaced quadratically (dense early, where G moves most)."""
    t = np.linspace(0.0, 1.0, max(2, frames)) ** 2
    return sorted(set(np.round(t * steps).astype(int).tolist()))


def panel_iterations(steps):
    """The iterations shown as panels (a)-(d): the start, early, mid-way and the end."""
    return [0, min(steps, max(1, round(steps * 0.02))), min(steps, max(2, round(steps * 0.12))), steps]


# --- the run --------------------------------------------------------------------------------------------

def train(args, out):
    problem = PROBLEMS[args.data]
    npgan.manual_seed(args.seed)
    G, D = mlp(args.hidden), mlp(args.hidden)
    opt_G = optim.Adam(G.parameters(), lr=args.lr_g, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr_d, betas=(0.5, 0.999))
    trainer = GANTrainer(G, D, opt_G, opt_D, z_dim=1, k=args.k, loss=args.loss, noise="uniform")
    data_rng = B.get_rng("host")
    real = toy.batches(sample_data, args.batch_size, data_rng, problem=problem)

    frames = set(frame_iterations(args.steps, args.frames))
    panels = panel_iterations(args.steps)
    log_at = set(np.linspace(0, args.steps, args.log_lines + 1).round().astype(int).tolist())
    wanted = frames | set(panels) | log_at
    snaps, records = [], []

    bar = progress(args.steps, args.no_progress)
    say = bar.write
    say(f"npgan {npgan.__version__}: p_data={args.data} steps={args.steps} k={args.k} m={args.batch_size} "
        f"h={args.hidden} loss={args.loss} -> {args.out}")
    say(f"{'iteration':>9}  {'JSD':>7}  {'V(D,G)':>8}  {'C(G)':>8}  {'V minibatch':>11}   "
        f"(-log 4 = {-LOG4:.4f})")
    started = time.perf_counter()
    for iteration in range(args.steps + 1):
        if iteration:
            trainer.iteration(real)
            bar.update(1)
        if iteration not in wanted:
            continue
        records = (records + trainer.pop_records())[-50:]  # raises if a loss became NaN or infinite
        snap = measure(G, D, problem, iteration)
        snap["value_minibatch"] = float(np.mean([r["value"] for r in records])) if records else float("nan")
        snaps.append(snap)
        if iteration in log_at:
            say(f"{iteration:9d}  {snap['jsd']:7.4f}  {snap['value']:+8.4f}  {snap['c_g']:+8.4f}  "
                f"{snap['value_minibatch']:+11.4f}")
    bar.close()
    train_seconds = time.perf_counter() - started

    from npgan.theory import figure1
    by_iteration = {s["iteration"]: s for s in snaps}
    out.clear()  # with --overwrite: the earlier run's outputs go now that the new ones are ready
    gif = figure1.save_animation([by_iteration[i] for i in sorted(frames)], out.file("figure1.gif"),
                                    problem["window"], fps=args.fps,
                                    frames_dir=None if args.no_frames else out.file("frames"))
    png = figure1.save_panels([by_iteration[i] for i in panels], out.file("figure1.png"), problem["window"])
    write_metrics(snaps, out.file("metrics.csv"))
    first, last = snaps[0], snaps[-1]
    summary = {"data": args.data, "steps": args.steps, "k": args.k, "seed": args.seed,
               "jsd_start": first["jsd"], "jsd_end": last["jsd"], "value_end": last["value"],
               "c_g_end": last["c_g"], "value_minibatch_end": last["value_minibatch"], "minus_log4": -LOG4,
               "g_range_end": last["g_range"],
               "train_seconds": round(train_seconds, 2),
               "total_seconds": round(time.perf_counter() - started, 2)}
    with atomic_file(out.file("summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"JSD(p_data || p_g): {first['jsd']:.4f} at the start -> {last['jsd']:.4f} after {args.steps} "
          f"iterations; V(D, G) = {last['value']:+.4f} (-log 4 = {-LOG4:+.4f}). "
          f"{summary['total_seconds']:.1f} s.\nwrote {gif}, {png}")
    return summary


def write_metrics(snaps, path):
    fields = ("iteration", "jsd", "value", "c_g", "value_minibatch")
    with atomic_file(path, "w") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for s in snaps:
            writer.writerow([s["iteration"]] + [f"{s[k]:.6g}" for k in fields[1:]])


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)

    def job():
        out = check_args(args)
        single_blas_thread()  # matrices of 512 x 64 by default: a second BLAS thread only spins
        with out:  # created and locked while the run writes into it
            train(args, out)
        return 0

    return run_command(job, PROG, (RunFolderError, NonFiniteError, MissingDependency), parser)


if __name__ == "__main__":
    sys.exit(main())
