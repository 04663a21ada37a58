"""Experiment: does a two-thread element-wise pass pay once OpenBLAS's worker stops spinning sooner?

Background (benchmarks/RESULTS.md, "what was tried"): npgan's host element-wise work runs on one core.
Splitting it over two threads did not pay in the iteration, because after every matrix product OpenBLAS's
worker thread keeps spinning on the second core — by default for up to 2^28 CPU cycles (tens of ms)
before it sleeps — so the second element-wise thread shared that core with it. OpenBLAS reads
``OPENBLAS_THREAD_TIMEOUT`` (n in 4..30: spin at most 2^n cycles) once, when it loads; n = 4 makes the
worker sleep right after each job, at the price of a wake-up (a futex) at the start of the next one.

Two parts, each timed in fresh worker processes that take turns block by block (harness.py), so a busy
neighbour on a shared machine hits every condition alike:

1. ``layers``: the `slides` iteration's matrix products at their real shapes (gemm_floor.py), each followed
   by a three-pass element-wise chain over its output (bias add, scale, maximum: LeakyReLU's shape), on one
   thread or cut in two row halves with the second half on a second thread (``out=`` into preallocated
   arrays, no copies). Conditions: {default timeout, n = 4} × {1, 2 element-wise threads}. Reported: ms per
   pass, and the GEMM and element-wise parts of it, timed separately inside the pass.
2. ``iteration``: npgan's real iteration with the default timeout and with n = 4: whether the setting alone
   costs anything on the real thing. (Its two-thread variant cut the pre-issue-13 host kernels in row
   halves; it was retired when those kernels became the formulas of functional.py, see RESULTS.md.)
3. ``spin``: is the setting honoured? 20 rounds of one 512² GEMM then 50 ms of sleep: the process's CPU time
   (all threads) against its wall time. A spinning worker burns CPU through the sleeps; a parked one does
   not. CPU time is what this process consumed, so this part reads the same on a busy machine.

    python benchmarks/exp_openblas_timeout.py --batch-sizes 128 1024 [--repeats 11] [--json out.json]

Nothing in npgan is changed by this script; a lever that pays belongs in npgan's host kernels.
"""
import json
import os
import sys

if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "--worker":
    _spec = json.loads(sys.argv[2])
    _want = _spec.get("blas_timeout")  # OpenBLAS reads it once, as it loads: re-exec before numpy is imported
    if _want is not None and os.environ.get("OPENBLAS_THREAD_TIMEOUT") != str(_want):
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, OPENBLAS_THREAD_TIMEOUT=str(_want)))

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gemm_floor import _gemm_operands, iteration_gemms, layer_dims  # noqa: E402
from harness import child_env, positive_int, run_interleaved, time_blocks  # noqa: E402

MIN_SPLIT_ROWS = 64  # below this a second thread costs more than it saves


def layers_worker(spec):
    """Part 1 in this process: one pass = every GEMM of the iteration, each followed by its element-wise chain."""
    g_dims, d_dims, *_ = layer_dims("slides")
    rng = np.random.default_rng(0)
    make = lambda shape: rng.random(shape, dtype=np.float32) - np.float32(0.5)
    ops = []
    for _, layout, M, K, N in iteration_gemms(g_dims, d_dims, spec["batch"], concat=True):
        a, b, c = _gemm_operands(layout, M, K, N, make)
        ops.append((a, b, c, make((N,)), np.empty_like(c), np.empty_like(c)))
    pool = ThreadPoolExecutor(max_workers=1) if spec["ew_threads"] == 2 else None
    split = spec["ew_threads"] == 2
    parts = {"gemm": 0.0, "elementwise": 0.0}

    def chain(c, bias, y, k):
        np.add(c, bias, out=y)
        np.multiply(y, np.float32(0.2), out=k)
        np.maximum(y, k, out=y)

    def one_pass():
        for a, b, c, bias, y, k in ops:
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            t1 = time.perf_counter()
            rows = c.shape[0]
            if split and rows >= MIN_SPLIT_ROWS:
                h = rows // 2
                second = pool.submit(chain, c[h:], bias, y[h:], k[h:])
                chain(c[:h], bias, y[:h], k[:h])
                second.result()
            else:
                chain(c, bias, y, k)
            t2 = time.perf_counter()
            parts["gemm"] += t1 - t0
            parts["elementwise"] += t2 - t1

    per_block = []

    def after_block():
        per_block.append(dict(parts))

    blocks, n, faults, _ = time_blocks(one_pass, lambda: None, after_block, **spec["timing"])
    # parts accumulate over warm-up and blocks: difference consecutive snapshots, skip the warm-up
    snaps = per_block
    deltas = [{key: (b[key] - a[key]) * 1e3 / n for key in b} for a, b in zip(snaps, snaps[1:])]
    record = {"part": "layers", "batch": spec["batch"], "ew_threads": spec["ew_threads"],
              "blas_timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT", "default"), "ms_blocks": blocks,
              "gemm_ms_blocks": [d["gemm"] for d in deltas], "ew_ms_blocks": [d["elementwise"] for d in deltas],
              "minor_faults_per_pass": faults}
    print(json.dumps(record))


def spin_worker(spec):
    """Part 3 in this process: CPU seconds and wall seconds of GEMM-then-sleep rounds."""
    import resource
    a = np.random.default_rng(0).random((512, 512), dtype=np.float32)
    for _ in range(3):
        a @ a
    before, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(20):
        a @ a
        time.sleep(0.05)
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"part": "spin", "blas_timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT", "default"),
                      "wall_s": wall, "cpu_s": cpu}))


def iteration_worker(spec):
    """Part 2 in this process: npgan's iteration, as bench_step's npgan worker times it."""
    import step_workers
    variant = f"openblas-timeout-{os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'default')}-ew{spec.get('ew_threads', 1)}"
    step_workers.child_main(dict(spec, framework="npgan", backend="numpy", arch="slides", hidden=128, variant=variant))


def quartiles(values):
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) >= 2 else [values[0]] * 3
    return q[0], q[1], q[2]


def summarize(records, key_of, baseline):
    """Per condition: median ms, and the round-by-round ratio to the baseline condition's block (quartiles)."""
    base = next(r for r in records if key_of(r) == baseline)
    lines = []
    for r in records:
        ratio = [a / b for a, b in zip(r["ms_blocks"], base["ms_blocks"])]
        q1, q2, q3 = quartiles(ratio)
        extra = ""
        if "gemm_ms_blocks" in r:
            extra = (f"; GEMMs {statistics.median(r['gemm_ms_blocks']):.2f} ms, element-wise "
                     f"{statistics.median(r['ew_ms_blocks']):.2f} ms")
        if "gemm_share" in r:
            extra = f"; GEMM floor {r['gemm_ms']:.2f} ms (share {r['gemm_share']:.0%})"
        lines.append(f"  {key_of(r):34s} {statistics.median(r['ms_blocks']):8.2f} ms (min {min(r['ms_blocks']):.2f})"
                     f"  / baseline, round by round: {q2:.3f} ({q1:.3f}–{q3:.3f}){extra}")
        r["ratio_to_baseline_rounds"] = ratio
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-sizes", nargs="+", type=positive_int, default=[128, 1024])
    p.add_argument("--repeats", type=positive_int, default=11)
    p.add_argument("--parts", nargs="+", choices=("spin", "layers", "iteration"),
                   default=["spin", "layers", "iteration"])
    p.add_argument("--threads", type=positive_int, default=os.cpu_count(), help="OpenBLAS threads (default: all cores)")
    p.add_argument("--json", help="write the records here")
    args = p.parse_args(argv)
    timing = {"warmup_iters": 3, "warmup_s": 0.5, "repeats": args.repeats, "block_s": 0.25}
    env, cmd = child_env(args.threads, False), [sys.executable, str(Path(__file__).resolve()), "--worker"]
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    print(f"load average before: {os.getloadavg()}")
    everything = []
    if "spin" in args.parts:
        import subprocess
        print("\nspin: 20 × (one 512² GEMM, then 50 ms asleep)")
        for timeout in (None, 4):
            spec = json.dumps({"part": "spin", "blas_timeout": timeout})
            out = subprocess.run(cmd + [spec], env=env, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"  timeout {r['blas_timeout']:8s} wall {r['wall_s']:.3f} s, CPU {r['cpu_s']:.3f} s "
                  f"(CPU / wall {r['cpu_s'] / r['wall_s']:.2f})")
            everything.append(r)
    for m in args.batch_sizes:
        if "layers" in args.parts:
            specs = [{"part": "layers", "batch": m, "ew_threads": ew, "blas_timeout": timeout, "timing": timing}
                     for timeout in (None, 4) for ew in (1, 2)]
            records = run_interleaved(specs, env, args.repeats, cmd)
            key = lambda r: f"timeout {r['blas_timeout']}, {r['ew_threads']} ew thread(s)"
            print(f"\nlayers, batch {m} (GEMMs + element-wise chains of the slides iteration):")
            print(summarize(records, key, "timeout default, 1 ew thread(s)"))
            everything += records
        if "iteration" in args.parts:
            specs = [{"part": "iteration", "batch": m, "blas_timeout": timeout, "threads": args.threads,
                      "ew_threads": 1, "timing": timing} for timeout in (None, 4)]
            records = run_interleaved(specs, env, args.repeats, cmd)
            key = lambda r: f"npgan iteration, {r['variant']}"
            print(f"\niteration, batch {m} (npgan slides, its kernels as they are):")
            print(summarize(records, key, "npgan iteration, openblas-timeout-default-ew1"))
            everything += records
    print(f"\nload average after: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        {"layers": layers_worker, "iteration": iteration_worker, "spin": spin_worker}[_spec["part"]](_spec)
    else:
        sys.exit(main())
