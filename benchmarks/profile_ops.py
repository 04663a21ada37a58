"""Every millisecond of one slides iteration, op by op, npgan and PyTorch side by side.

    python benchmarks/profile_ops.py --batch-sizes 128 1024 [--threads 2] [--rounds 7] [--json out.json]

npgan: each matrix product is timed where the iteration performs it (inside linear_forward/backward, one
perf_counter pair around the `@`; op_timer.py restates npgan's host linear pair with those timers), with its layout, shape and FLOPs, beside the same product timed alone
(every product of the iteration once, back to back into preallocated outputs, as gemm_floor.py does: the
floor). Every other formula the iteration calls (the functions of nn/functional.py, the loss, the optimizer
update, the concatenation of real and fake, the noise) is timed as one element-wise pass with the bytes it
must move at least (its array arguments read, its array results written). What no row names is Python: the
layers' dispatch, argument checks, zero_grad and the like — iteration − Σ rows.

PyTorch: torch.profiler over the same iterations (self CPU time per aten op and input shape); aten::mm,
addmm (a product with its bias) and the input shapes give each product's FLOPs; the rest are its element-wise
kernels and the autograd engine's bookkeeping. The profiler adds its own cost, so the unprofiled iteration is
given beside the sum.

Rounds of profiled iterations alternate with unprofiled ones; figures are medians over rounds.
"""
import argparse
import itertools
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import positive_int  # noqa: E402

LR, MOMENTUM, IMAGE_DIM, POOL = 0.1, 0.5, 784, 4
TOP = 25  # other ops listed one by one; the rest summed in one row

from op_timer import OpTimer, instrument_npgan, restore  # noqa: E402


def gemms_alone(keys, repeats, lib="numpy"):
    """ms of each product (layout, M, K, N) inside one back-to-back pass over all of them (the floor)."""
    import gemm_floor
    gemms = [("", lay, M, K, N) for lay, M, K, N in keys]
    if lib == "numpy":
        rng = np.random.default_rng(0)
        ops = [gemm_floor._gemm_operands(lay, M, K, N, lambda s: rng.random(s, dtype=np.float32))
               for _, lay, M, K, N in gemms]
        mm = lambda a, b, c: np.matmul(a, b, out=c)
    else:
        import torch
        ops = [gemm_floor._gemm_operands(lay, M, K, N, lambda s: torch.rand(s)) for _, lay, M, K, N in gemms]
        mm = lambda a, b, c: torch.mm(a, b, out=c)
    samples = defaultdict(list)
    for r in range(repeats + 2):
        for key, (a, b, c) in zip(keys, ops):
            t = time.perf_counter()
            mm(a, b, c)
            if r >= 2:
                samples[key].append(time.perf_counter() - t)
    return {k: 1e3 * statistics.median(v) for k, v in samples.items()}


def profile_npgan(m, rounds, per_round):
    from npgan import backend as B
    from npgan import optim
    from npgan.gan import GANTrainer, presets
    B.manual_seed(0)
    recipe = presets.recipe("slides")
    G, D = presets.build(recipe)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), LR, momentum=MOMENTUM),
                         optim.SGD(D.parameters(), LR, momentum=MOMENTUM), recipe.z_dim, noise=recipe.noise)
    data = itertools.cycle([np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32) for i in range(POOL)])
    for _ in range(5):
        trainer.iteration(data)
    trainer.pop_records()
    timer = OpTimer()
    undo = instrument_npgan(timer)
    plain, profiled, per_op = [], [], []
    try:
        for _ in range(rounds):
            for active, times in ((False, plain), (True, profiled)):
                before = {k: list(v) for k, v in timer.rows.items()}
                timer.active = active
                t = time.perf_counter()
                for _ in range(per_round):
                    trainer.iteration(data)
                times.append(1e3 * (time.perf_counter() - t) / per_round)
                timer.active = False
                trainer.pop_records()
                if active:
                    per_op.append({k: 1e3 * (v[1] - before.get(k, [0, 0.0])[1]) / per_round
                                   for k, v in timer.rows.items()})
    finally:
        restore(undo)
    n_iter = rounds * per_round
    keys = list(timer.rows)
    alone = gemms_alone([k[1:] for k in keys if k[0] == "gemm"], 15)
    ops = []
    for k in keys:
        calls, _, nbytes = timer.rows[k]
        ms = statistics.median(r.get(k, 0.0) for r in per_op)
        row = {"kind": k[0], "calls": calls / n_iter, "ms": ms}
        if k[0] == "gemm":
            lay, M, K, N = k[1:]
            row.update(op=f"{lay} {M}x{K}·{K}x{N}", layout=lay, M=M, K=K, N=N,
                       gflop=2e-9 * M * K * N * row["calls"], alone_ms=alone[k[1:]] * row["calls"])
        else:
            row.update(op=f"{k[1]} [{k[2]}]", mb=nbytes / n_iter / 1e6)
        ops.append(row)
    from npgan import threads
    return {"framework": "npgan", "batch": m, "host_threads": threads.host_threads(),
            "iteration_ms": statistics.median(plain),
            "iteration_ms_q": statistics.quantiles(plain, n=4), "profiled_ms": statistics.median(profiled), "ops": ops}


def profile_torch(m, rounds, per_round, threads):
    import torch
    from torch.profiler import ProfilerActivity, profile
    from npgan import backend as B
    from npgan.gan import presets
    from npgan.testing import torch_reference as R
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    B.manual_seed(0)
    recipe = presets.recipe("slides")
    G, D = (R.mirror(net) for net in presets.build(recipe))
    data = itertools.cycle([torch.from_numpy(np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32))
                            for i in range(POOL)])
    sgd = lambda net: torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    step = R.TorchGANStep(G, D, sgd(G), sgd(D), recipe.z_dim, noise=recipe.noise)
    for _ in range(5):
        step.iteration(next(data))
    plain, per_op, shapes = [], [], {}
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(per_round):
            step.iteration(next(data))
        plain.append(1e3 * (time.perf_counter() - t) / per_round)
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(per_round):
                step.iteration(next(data))
        this = defaultdict(float)
        for e in prof.key_averages(group_by_input_shape=True):
            key = (e.key, str(e.input_shapes))
            this[key] += e.self_cpu_time_total / 1e3 / per_round
            shapes[key] = (e.input_shapes, e.count / per_round)
        per_op.append(this)
    keys = set().union(*per_op)
    mm_keys = {}
    for key in keys:
        name, ins = key[0], shapes[key][0]
        if name == "aten::mm" and len(ins) >= 2 and len(ins[0]) == 2:
            mm_keys[key] = ("NN", ins[0][0], ins[0][1], ins[1][1])
        elif name == "aten::addmm" and len(ins) >= 3 and len(ins[1]) == 2:
            mm_keys[key] = ("NN", ins[1][0], ins[1][1], ins[2][1])
    alone = gemms_alone(sorted(set(mm_keys.values())), 15, lib="torch")
    ops = []
    for key in keys:
        ms = statistics.median(r.get(key, 0.0) for r in per_op)
        if ms < 1e-3:
            continue
        calls = shapes[key][1]
        row = {"kind": "gemm" if key in mm_keys else "other", "op": f"{key[0]} {key[1]}", "calls": calls, "ms": ms}
        if key in mm_keys:
            _, M, K, N = mm_keys[key]
            row.update(M=M, K=K, N=N, gflop=2e-9 * M * K * N * calls, alone_ms=alone[mm_keys[key]] * calls)
        ops.append(row)
    return {"framework": "torch", "batch": m, "iteration_ms": statistics.median(plain),
            "iteration_ms_q": statistics.quantiles(plain, n=4), "ops": ops}


def report(rec):
    ops = sorted(rec["ops"], key=lambda r: (r["kind"] != "gemm", -r["ms"]))
    g = [r for r in ops if r["kind"] == "gemm"]
    e = [r for r in ops if r["kind"] != "gemm"]
    gms, gal, gfl = (sum(r[k] for r in g) for k in ("ms", "alone_ms", "gflop"))
    ems = sum(r["ms"] for r in e)
    q = rec["iteration_ms_q"]
    print(f"\n### {rec['framework']}, batch {rec['batch']}: iteration {rec['iteration_ms']:.2f} ms unprofiled "
          f"(quartiles {q[0]:.2f}–{q[2]:.2f})\n")
    print(f"products: {len(g)} shapes, {gfl:.2f} GFLOP, {gms:.2f} ms inside the iteration ({gfl / gms * 1e3:.0f} "
          f"GFLOP/s), {gal:.2f} ms alone (inside / alone {gms / gal:.2f}); other ops {ems:.2f} ms; "
          f"Σ {gms + ems:.2f} ms; iteration − Σ = {rec['iteration_ms'] - gms - ems:.2f} ms (Python, dispatch"
          f"{', autograd' if rec['framework'] == 'torch' else ''})\n")
    print("| product | calls | GFLOP | ms inside | ms alone | inside / alone |\n|---|---|---|---|---|---|")
    for r in g:
        print(f"| {r['op']} | {r['calls']:.0f} | {r['gflop']:.3f} | {r['ms']:.3f} | {r['alone_ms']:.3f} | "
              f"{r['ms'] / r['alone_ms']:.2f} |")
    print("\n| other op [shape] | calls | MB moved (≥) | ms | GB/s |\n|---|---|---|---|---|")
    shown = e[:TOP]
    for r in shown:
        mb = r.get("mb")
        moved, rate = ("", "") if mb is None else (f"{mb:.2f}", f"{mb / r['ms']:.1f}")
        print(f"| {r['op']} | {r['calls']:.0f} | {moved} | {r['ms']:.3f} | {rate} |")
    if len(e) > TOP:
        print(f"| the {len(e) - TOP} other ops | | | {sum(r['ms'] for r in e[TOP:]):.3f} | |")
    return {"gemm_ms": gms, "gemm_alone_ms": gal, "other_ms": ems}


def _elements(op):
    """Elements of an op's first array, from its shape text ("relu_forward [128x1024]", "aten::x [[2048, 512], ...]")."""
    import re
    m = re.search(r"\[(\d+)x(\d+)\]", op) or re.search(r"\[\[(\d+), (\d+)\]", op)
    return int(m.group(1)) * int(m.group(2)) if m else 0


def model(rec, threads, cores=(2, 8, 16), npgan_grain=None, torch_grain=32768):
    """A model, not a measurement: the iteration's time on P cores from its profile on `threads`. Products
    scale perfectly with the cores (optimistic for both frameworks, more so for the small ones); an
    element-wise op scales with the blocks it is cut into (npgan: threads.count, one block per GRAIN
    elements; PyTorch: at::parallel_for's grain of 32,768 elements) and was measured cut into the blocks of
    `threads`; the rest (Python, dispatch, autograd) does not scale."""
    from npgan import threads as T
    grain = npgan_grain or T.GRAIN
    if rec["framework"] == "npgan":  # NPGAN_HOST_THREADS=1: element-wise work on one thread at any count
        one = rec.get("host_threads") == 1
        blocks = lambda size, p: 1 if one else max(1, min(p, size // grain))
    else:
        blocks = lambda size, p: max(1, min(p, size // torch_grain))
    out = {}
    for p in cores:
        g = e = 0.0
        for r in rec["ops"]:
            if r["kind"] == "gemm":
                g += r["ms"] * threads / p
            else:
                size = _elements(r["op"])
                e += r["ms"] * blocks(size, threads) / blocks(size, p)
        rest = rec["iteration_ms"] - sum(r["ms"] for r in rec["ops"])
        out[p] = {"gemm_ms": g, "elementwise_ms": e, "rest_ms": rest, "ms": g + e + rest}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-sizes", nargs="+", type=positive_int, default=[128, 1024])
    p.add_argument("--rounds", type=positive_int, default=7)
    p.add_argument("--threads", type=positive_int, default=os.cpu_count())
    p.add_argument("--frameworks", nargs="+", default=["npgan", "torch"], choices=("npgan", "torch"))
    p.add_argument("--json")
    args = p.parse_args(argv)
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):  # set before NumPy loads: re-run
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
                   MKL_NUM_THREADS=str(args.threads))
        os.execve(sys.executable, [sys.executable, __file__] + (argv or sys.argv[1:]), env)
    print(f"load average {os.getloadavg()}, {args.threads} threads")
    out = []
    for m in args.batch_sizes:
        per_round = max(1, 300 // m)
        for fw in args.frameworks:
            rec = profile_npgan(m, args.rounds, per_round) if fw == "npgan" else \
                profile_torch(m, args.rounds, per_round, args.threads)
            rec["summary"] = report(rec)
            rec["model"] = model(rec, args.threads)
            out.append(rec)
        print(f"\n### A model (not a measurement) of batch {m} on more cores, from the profiles above "
              f"(products scale perfectly, element-wise ops by their blocks, the rest not at all)\n")
        print("| framework | cores | products ms | element-wise ms | rest ms | iteration ms |\n|---|---|---|---|---|---|")
        for rec in out[-len(args.frameworks):]:
            for p, v in rec["model"].items():
                print(f"| {rec['framework']} | {p} | {v['gemm_ms']:.2f} | {v['elementwise_ms']:.2f} | "
                      f"{v['rest_ms']:.2f} | {v['ms']:.2f} |")
    print(f"\nload average {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
