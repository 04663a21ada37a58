"""Experiment: do npgan's element-wise blocks (npgan.threads.blocks) pay inside the iteration?

    python benchmarks/exp_host_threads.py [--batch-sizes 128 1024] [--rounds 31] [--threads 2]
    OPENBLAS_THREAD_TIMEOUT=4 python benchmarks/exp_host_threads.py      # OpenBLAS's workers park at once

One process, one trainer: blocks of slides iterations (SGD, momentum 0.5) alternate between one element-wise
thread and `--threads` of them (`threads.set_host_threads`), the BLAS on `--threads` throughout, the order
reversed every round. The two settings share the process, its memory and the machine's load of the moment,
so the round-by-round ratio is the measurement; the fastest block of each setting is printed too (on a shared
machine, the closest to a quiet one). Set OPENBLAS_THREAD_TIMEOUT (4 to 30, cycles 2^n) before NumPy loads
to shorten how long OpenBLAS's workers spin after each product (default 2^28 cycles).
"""
import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import positive_int  # noqa: E402

LR, MOMENTUM, IMAGE_DIM = 0.1, 0.5, 784


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-sizes", nargs="+", type=positive_int, default=[128, 1024])
    p.add_argument("--rounds", type=positive_int, default=31)
    p.add_argument("--threads", type=positive_int, default=os.cpu_count())
    args = p.parse_args(argv)
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):  # before NumPy loads: re-run
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
        os.execve(sys.executable, [sys.executable, __file__] + (argv or sys.argv[1:]), env)
    import numpy as np
    from npgan import backend as B
    from npgan import optim, threads
    from npgan.gan import GANTrainer, presets
    print(f"load average {os.getloadavg()}; BLAS threads {args.threads}; OPENBLAS_THREAD_TIMEOUT="
          f"{os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'default')}")
    for m in args.batch_sizes:
        B.manual_seed(0)
        recipe = presets.recipe("slides")
        G, D = presets.build(recipe)
        trainer = GANTrainer(G, D, optim.SGD(G.parameters(), LR, momentum=MOMENTUM),
                             optim.SGD(D.parameters(), LR, momentum=MOMENTUM), recipe.z_dim, noise=recipe.noise)
        data = itertools.cycle([np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32) for i in range(4)])
        per_block = max(2, 2048 // m)
        settings = (1, args.threads)
        times = {s: [] for s in settings}
        for s in settings:  # warm-up, each setting
            threads.set_host_threads(s)
            for _ in range(per_block):
                trainer.iteration(data)
        for r in range(args.rounds):
            for s in (settings if r % 2 == 0 else settings[::-1]):
                threads.set_host_threads(s)
                time.sleep(0.05)
                t = time.perf_counter()
                for _ in range(per_block):
                    trainer.iteration(data)
                times[s].append(1e3 * (time.perf_counter() - t) / per_block)
            trainer.pop_records()
        one, many = times[1], times[args.threads]
        q = statistics.quantiles([b / a for a, b in zip(one, many)], n=4)
        print(f"batch {m}: {args.threads} element-wise threads / 1, round by round {q[1]:.3f} ({q[0]:.3f}–{q[2]:.3f}); "
              f"fastest block {min(many):.2f} / {min(one):.2f} ms = {min(many) / min(one):.3f}; "
              f"median {statistics.median(many):.2f} / {statistics.median(one):.2f} ms")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
