"""Data-parallel scaling of one Algorithm-1 iteration (slides preset, default widths) over MPI, measured on
this machine, and a model of it for more ranks and real networks.

    python benchmarks/bench_distributed.py                         # P = 1 and 2, global batches 256..4096
    python benchmarks/bench_distributed.py --batches 256 1024 --rounds 2 --iterations 3   # quicker

What runs. Three configurations, each in fresh processes, taking turns (every round visits every batch
and configuration once, so load from other programs spreads over all of them):
  1x1  one process, 1 BLAS thread        (the unit of compute the model scales)
  1x2  one process, 2 BLAS threads       (what one process does with both cores)
  2x1  mpiexec -n 2, 1 BLAS thread each  (data parallel: each rank on m/2 rows, gradients allreduced)
Per iteration (after warm-up, each starting at a barrier) a rank records its wall time, the time inside
Linear forward/backward (the GEMMs and their bias adds: "GEMM time") and the time inside the gradient
allreduce (including any wait for the slower rank). After the timed iterations, the 2x1 ranks time a
bare Allreduce of the two flat gradient buffers (G's and D's) and of a size sweep, which gives this
machine's shared-memory latency and bandwidth.

What is modelled. P ranks on P machines, each as fast as one core here:
  compute(b)   = c0 + c1·b, fitted to the measured 1x1/2x1 compute time (wall − allreduce) at local batch b
                 (the fastest round of each: other programs on the machine only ever add time)
  allreduce(P) = Σ over the 2 buffers of [2(P−1)/P · bytes / bandwidth + 2(P−1)·α]   (ring allreduce)
  efficiency   = compute(m) / (compute(m/P) + allreduce(P))   (no overlap of communication and compute:
                 npgan reduces after the backward pass)
for bandwidths 1–100 Gbit/s, α = --latency-us (assumed: no network was measured, only shared memory).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIGS = {"1x1": (1, 1), "1x2": (1, 2), "2x1": (2, 1)}  # name: (ranks, BLAS threads per rank)


# --- the worker: runs inside each (mpiexec'd) process ---------------------------------------------------------

def worker(args):
    import numpy as np

    from npgan import backend as B
    from npgan import distributed, nn, optim
    from npgan.gan import presets
    from npgan.data import Batches, synthetic_digits
    from npgan.gan import GANTrainer

    comm = distributed.world()
    B.manual_seed(0)
    r = presets.recipe("slides")
    G, D = presets.build(r)
    opt_G, opt_D = (optim.Adam(net.parameters(), r.lr, betas=r.betas) for net in (G, D))
    trainer = GANTrainer(G, D, opt_G, opt_D, r.z_dim, noise=r.noise)
    dp = distributed.DataParallel(trainer, args.batch, comm=comm)
    images, _ = synthetic_digits(2 * args.batch, seed=0)
    loader = Batches(images, batch_size=args.batch, shard=dp.shard)

    gemm = [0.0]  # seconds inside Linear forward/backward

    def timed(fn):
        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                gemm[0] += time.perf_counter() - start
        return wrapper

    nn.Linear._forward = timed(nn.Linear._forward)
    nn.Linear._backward = staticmethod(timed(nn.functional.linear_backward))

    def batches():
        while True:
            yield loader.next_batch()

    stream, rows = batches(), []
    for i in range(args.warmup + args.iterations):
        comm.barrier()
        gemm[0], reduce_before = 0.0, comm.allreduce_seconds
        start = time.perf_counter()
        trainer.iteration(stream)
        wall = time.perf_counter() - start
        if i >= args.warmup:
            rows.append((wall, gemm[0], comm.allreduce_seconds - reduce_before))
        trainer.pop_records()
    wall, gemm_s, reduce_s = (statistics.median(c) for c in zip(*rows))
    result = {"ranks": comm.size, "batch": args.batch, "wall_s": wall, "gemm_s": gemm_s, "allreduce_s": reduce_s,
              "params": {"G": sum(p.data.size for p in G.parameters()),
                         "D": sum(p.data.size for p in D.parameters())}}
    if comm.size > 1:
        sizes = [result["params"]["G"] + len(G.parameters()), result["params"]["D"] + len(D.parameters())]
        result["bare_allreduce_s"] = [bare_allreduce(comm, n, np) for n in sizes]
        result["sweep"] = [(n, bare_allreduce(comm, n, np)) for n in (10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6, 4 * 10 ** 6)]
    gathered = comm.allgather(result)
    if comm.rank == 0:
        result["per_rank_wall_s"] = [g["wall_s"] for g in gathered]
        result["wall_s"] = max(result["per_rank_wall_s"])  # an iteration ends when the slowest rank ends
        print("RESULT " + json.dumps(result))


def bare_allreduce(comm, n, np, repeats=15):
    """Median seconds of comm.allreduce_sum on n float32, the ranks started together at a barrier."""
    buffer, times = np.ones(n, np.float32), []
    for _ in range(repeats):
        comm.barrier()
        start = time.perf_counter()
        comm.allreduce_sum(buffer)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- the driver: launches, interleaves, models, writes ------------------------------------------------------

def launch(config, batch, args):
    ranks, threads = CONFIGS[config]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, __file__, "--worker", "--batch", str(batch), "--iterations", str(args.iterations),
           "--warmup", str(args.warmup)]
    if ranks > 1:
        mpiexec = Path(sys.executable).parent / "mpiexec"
        cmd = [str(mpiexec if mpiexec.exists() else "mpiexec"), "-n", str(ranks)] + cmd
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
    if out.returncode or line is None:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return json.loads(line[len("RESULT "):])


def fit_line(points):
    """Least squares c0 + c1·b through (b, seconds) points."""
    n = len(points)
    mb = sum(b for b, _ in points) / n
    mt = sum(t for _, t in points) / n
    c1 = sum((b - mb) * (t - mt) for b, t in points) / sum((b - mb) ** 2 for b, _ in points)
    return mt - c1 * mb, c1


def model(results, args):
    """The efficiency table of the model (see the module docstring)."""
    compute = [(r["batch"] // r["ranks"], r.get("per_rank_wall_s", [r["wall_s"]])[0] - r["allreduce_s"])
               for rs in results.values() for r in rs if r["threads"] == 1]  # 1x1 and 2x1 (rank 0's own time)
    # the fastest of the rounds: on a shared machine the least-disturbed run is the best estimate of the cost
    compute = [(b, min(t for bb, t in compute if bb == b)) for b in sorted({b for b, _ in compute})]
    c0, c1 = fit_line(compute)
    if c0 < 0 or c1 <= 0:  # noisy points on a loaded machine: fall back to cost proportional to the rows
        c0, c1 = 0.0, sum(t for _, t in compute) / sum(b for b, _ in compute)
    two = next(r for rs in results.values() for r in rs if r["ranks"] == 2)
    nbytes = [4 * (two["params"]["G"] + 1), 4 * (two["params"]["D"] + 1)]  # float32 (+ the few flags)
    alpha = args.latency_us * 1e-6
    rows = []
    for m in args.model_batches:
        for P in args.model_ranks:
            for gbit in args.bandwidths:
                bw = gbit * 1e9 / 8
                reduce_s = sum(2 * (P - 1) / P * b / bw + 2 * (P - 1) * alpha for b in nbytes)
                step = max(c0 + c1 * m / P, 0.0) + reduce_s
                rows.append({"batch": m, "ranks": P, "gbit": gbit, "allreduce_ms": 1e3 * reduce_s,
                             "compute_ms": 1e3 * (c0 + c1 * m / P), "efficiency": (c0 + c1 * m) / (P * step)})
    return {"c0_s": c0, "c1_s_per_row": c1, "compute_points": compute, "bytes": nbytes, "alpha_s": alpha,
            "rows": rows}


def plot(modelled, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    batches = sorted({r["batch"] for r in modelled["rows"]})
    fig, axes = plt.subplots(1, len(batches), figsize=(5 * len(batches), 3.8), sharey=True)
    for ax, m in zip(axes if len(batches) > 1 else [axes], batches):
        for gbit in sorted({r["gbit"] for r in modelled["rows"]}):
            pts = [(r["ranks"], r["efficiency"]) for r in modelled["rows"] if r["batch"] == m and r["gbit"] == gbit]
            ax.plot(*zip(*pts), marker="o", label=f"{gbit:g} Gbit/s")
        ax.set_xscale("log", base=2)
        ax.set_title(f"global batch {m} (modelled)")
        ax.set_xlabel("ranks P")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("scaling efficiency") if len(batches) > 1 else axes.set_ylabel("scaling efficiency")
    (axes[0] if len(batches) > 1 else axes).legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(results, modelled, load):
    print(f"\nload average before / after: {load[0]} / {load[1]}")
    print("\nms per iteration, fastest round (median of rounds); efficiency = T(1x1) / (2 · T(2x1))")
    print("\n| global batch | 1x1 | 1x2 | 2x1 | GEMM ms per rank (2x1) | allreduce ms in the step (2x1) "
          "| bare allreduce ms G+D | efficiency 1x1→2x1 | T(1x2) / T(2x1) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in sorted({r["batch"] for rs in results.values() for r in rs}):
        walls = {c: [r["wall_s"] * 1e3 for r in results[c] if r["batch"] == m] for c in results}
        best = {c: min(w) for c, w in walls.items()}
        med = {c: statistics.median(w) for c, w in walls.items()}
        two = [r for r in results["2x1"] if r["batch"] == m]
        gemm = min(r["gemm_s"] for r in two) * 1e3
        red = statistics.median(r["allreduce_s"] for r in two) * 1e3
        bare = statistics.median(sum(r["bare_allreduce_s"]) for r in two) * 1e3
        cell = lambda c: f"{best[c]:.0f} ({med[c]:.0f})"
        print(f"| {m} | {cell('1x1')} | {cell('1x2')} | {cell('2x1')} | {gemm:.0f} | {red:.1f} | {bare:.2f} | "
              f"{best['1x1'] / (2 * best['2x1']):.2f} ({med['1x1'] / (2 * med['2x1']):.2f}) | "
              f"{best['1x2'] / best['2x1']:.2f} ({med['1x2'] / med['2x1']:.2f}) |")
    sweep = [pt for r in results["2x1"] for pt in r["sweep"]]
    print("\nbare allreduce sweep (2 ranks, shared memory): " + ", ".join(
        f"{n} floats {statistics.median(t for nn, t in sweep if nn == n) * 1e6:.0f} µs" for n in sorted({n for n, _ in sweep})))
    print(f"\nmodel: compute(b) = {modelled['c0_s'] * 1e3:.2f} ms + {modelled['c1_s_per_row'] * 1e6:.1f} µs × b; "
          f"buffers {modelled['bytes']} bytes; α = {modelled['alpha_s'] * 1e6:g} µs (assumed)")
    gbits = sorted({r["gbit"] for r in modelled["rows"]})
    print("\n| global batch | P | " + " | ".join(f"{g:g} Gbit/s" for g in gbits) + " |")
    print("|---|---|" + "---|" * len(gbits))
    for m in sorted({r["batch"] for r in modelled["rows"]}):
        for P in sorted({r["ranks"] for r in modelled["rows"]}):
            cells = [next(r for r in modelled["rows"] if (r["batch"], r["ranks"], r["gbit"]) == (m, P, g)) for g in gbits]
            print(f"| {m} | {P} | " + " | ".join(f"{c['efficiency']:.2f} ({c['allreduce_ms']:.1f} ms)" for c in cells) + " |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=256, help=argparse.SUPPRESS)
    p.add_argument("--batches", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iterations", type=int, default=4, help="timed iterations per process")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--model-batches", type=int, nargs="+", default=[256, 4096])
    p.add_argument("--model-ranks", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64])
    p.add_argument("--bandwidths", type=float, nargs="+", default=[1, 10, 25, 100], help="Gbit/s")
    p.add_argument("--latency-us", type=float, default=10.0, help="assumed per-message network latency α")
    p.add_argument("--json", default=str(HERE / "results" / "distributed_2core.json"))
    p.add_argument("--plot", default=str(HERE / "img" / "distributed_efficiency.png"))
    p.add_argument("--from-json", help="re-model and re-report saved measurements instead of running")
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        modelled = model(saved["measured"], args)
        plot(modelled, args.plot)
        return report(saved["measured"], modelled, saved["load"])
    load = [os.getloadavg()]
    results = {c: [] for c in CONFIGS}
    for round_ in range(args.rounds):
        for m in args.batches:
            for config in (list(CONFIGS) if round_ % 2 == 0 else list(CONFIGS)[::-1]):
                r = launch(config, m, args)
                r["threads"] = CONFIGS[config][1]
                results[config].append(r)
                print(f"round {round_ + 1} batch {m} {config}: {r['wall_s'] * 1e3:.0f} ms/iter", file=sys.stderr)
    load.append(os.getloadavg())
    load = [" ".join(f"{v:.2f}" for v in l) for l in load]
    modelled = model(results, args)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"measured": results, "model": modelled, "load": load}, indent=1))
    plot(modelled, args.plot)
    report(results, modelled, load)


if __name__ == "__main__":
    main()
