"""What each tuned host spelling saves over its plain formula, measured interleaved on this machine.

    python benchmarks/bench_kernels.py                     # batches 128 and 1024, 15 rounds
    python benchmarks/bench_kernels.py --batch-sizes 128 --rounds 7 --json out.json

Every function with a host spelling attached by `@fused(host=...)` is timed against its own plain body
(`f.plain` vs `f.host`) on the slides architecture's shapes: one "call" of a case runs the function on
every layer of the arch where a training iteration uses it (BatchNorm at widths 128…1024 of G, LeakyReLU at
D's 512/256/128, Adam on all parameters of G and D, ...). So `saved` is per pass over the network, and a
slides iteration (k = 1) makes the passes listed in `per_iter`.

Also timed: spellings that were tried and *not* kept, spelled here (in-place sigmoid passes, the
outer product for D's one-column logit layer, the SGD update with a fresh temporary instead of its kept work
array), and the
trainer's one-forward D step over [real; fake] (`concat_real_fake`) against two forwards. The rule: a host
spelling is kept where it saves at least 1 % of a slides iteration at batch 128 or 1024.

In context (run it with OPENBLAS_NUM_THREADS=1, or the CPU time counts OpenBLAS's spinning second thread):
whole slides iterations (k = 1; SGD as the preset, and Adam) with every kept host spelling, with
each one switched back to its plain body, with all of them plain, and (SGD) without the kept work array
and with two D forwards: CPU time and minor page faults per iteration, the variants interleaved round by
round in one process. This is what decides: an isolated loop flatters a spelling that allocates, because
the allocator hands the block it just freed straight back, while in a training step a weight-sized
temporary costs page faults.

Protocol: each round times every case's spellings back to back (block of `n` calls sized to ~20 ms, the
order alternating from round to round, after one warm-up block), so both spellings of a case see the same
load of a shared machine. Reported per case: the median per-call time of each spelling over the rounds,
the ratio host/plain as the median of the per-round ratios with its quartiles, and the time saved. Host
only (NumPy); CuPy's spellings are CUDA kernels, checked for equality by the tests, not timed here.
"""
import argparse
import itertools
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from npgan import kernels, optim  # noqa: E402
from npgan.gan import presets
from npgan.gan import GANTrainer  # noqa: E402
from npgan.nn import functional as F  # noqa: E402

G_WIDTHS = (128, 256, 512, 1024)  # slides G's BatchNorm + ReLU blocks (hidden 128)
D_WIDTHS = (512, 256, 128)  # slides D's LeakyReLU(0.2) blocks


def _normal(rng, shape):
    return rng.standard_normal(shape, dtype=np.float32)


def _bn_cache(rng, m, w):
    return (_normal(rng, (m, w)), np.abs(_normal(rng, (w,))) + 0.5, _normal(rng, (w,)))


def slides_param_shapes():
    G, D = presets.slides_generator(), presets.slides_discriminator()
    return [p.shape for p in G.parameters() + D.parameters()]


# --- spellings that were tried and not kept (they saved under 1 % of a slides iteration) ---------------------

def _sigmoid_forward_in_place(x):
    y = np.tanh(x * 0.5)
    y *= 0.5
    y += 0.5
    return y, y


def _sigmoid_backward_one_array(gy, y):
    gx = 1.0 - y
    gx *= y
    gx *= gy
    return gx


def _linear_backward_outer(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    """gy Wᵀ for a one-column W as a broadcast outer product instead of a GEMM with inner dimension 1."""
    x, W = cache
    return gy * W[:, 0], x.T @ gy if need_gW else None, gy.sum(axis=0) if need_gb else None


_SGD_HOST = optim.sgd_momentum_update.host


def _sgd_fresh_temporary(g, lr, momentum, p, v, work=None):
    """The kept SGD spelling without its work array: lr·v in a fresh temporary every step."""
    _SGD_HOST(g, lr, momentum, p, v, None)


def fused_cases(m):
    """(name, per_iter, plain, host, list of argument tuples) for every host spelling attached."""
    rng = np.random.default_rng(0)
    bn_fwd = [(_normal(rng, (m, w)) * 3 + 1, np.ones(w, np.float32), np.zeros(w, np.float32), 1e-5,
               np.zeros(w, np.float32), np.ones(w, np.float32), 0.1) for w in G_WIDTHS]
    bn_bwd = [(_normal(rng, (m, w)), _bn_cache(rng, m, w)) for w in G_WIDTHS]
    leaky = [(_normal(rng, (m, w)), 0.2) for w in D_WIDTHS]
    image = [(_normal(rng, (m, 784)),)]
    pair = [(_normal(rng, (m, 784)), np.tanh(_normal(rng, (m, 784))))]
    logit = [(_normal(rng, (m, 1)), (_normal(rng, (m, 128)), _normal(rng, (128, 1))), True, True, True)]
    sgd = [(_normal(rng, s) * 1e-2, 0.1, 0.5, _normal(rng, s), np.zeros(s, np.float32), np.empty(s, np.float32))
           for s in slides_param_shapes()]
    adam = [(_normal(rng, s) * 1e-2, 2e-4, 0.5, 0.999, 1.0, 1e-8, _normal(rng, s), np.zeros(s, np.float32),
             np.zeros(s, np.float32), np.empty(s, np.float32)) for s in slides_param_shapes()]
    table = [("batchnorm_forward", "2 (G in D step, G step)", F.batchnorm_forward, bn_fwd),
             ("batchnorm_backward", "1 (G step)", F.batchnorm_backward, bn_bwd),
             ("leaky_relu_forward", "2 (D step on 2m rows, G step)", F.leaky_relu_forward, leaky),
             ("adam_update", "1 (tutorial preset)", optim.adam_update, adam),
             ("sgd_momentum_update", "1 (slides preset)", optim.sgd_momentum_update, sgd)]
    cases = [(f"{name} (kept)", per_iter, fn.plain, fn.host, args) for name, per_iter, fn, args in table]
    assert {fn.__name__ for _, _, fn, _ in table} == {f.__name__ for f in _host_fused()}, "a host spelling is untimed"
    rejected = [("sigmoid_forward in place", "2", F.sigmoid_forward, _sigmoid_forward_in_place, image),
                ("sigmoid_backward in one array", "1", F.sigmoid_backward, _sigmoid_backward_one_array, pair),
                ("linear_backward, 1 column, outer product", "2 (D's logit layer)", F.linear_backward,
                 _linear_backward_outer, logit)]
    cases += [(f"{name} (rejected)", per_iter, fn, spelling, args) for name, per_iter, fn, spelling, args in rejected]
    cases.append(("sgd_momentum_update, a fresh lr·v each step (rejected)", "1 (slides preset)",
                  optim.sgd_momentum_update.plain, _sgd_fresh_temporary, sgd))
    return cases


def _host_fused():
    return [f for f in kernels.FUSED if f.host is not None]


def d_step_case(m):
    """The trainer's D step, one forward over [real; fake] (host: the kept spelling) vs two forwards.
    The learning rate is tiny so D stays at its initialisation: trained for hundreds of steps on one fixed
    batch, D would saturate and its gradients turn denormal, which slows every pass tenfold."""
    G, D = presets.slides_generator(), presets.slides_discriminator()
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), 1e-9, momentum=0.5),
                         optim.SGD(D.parameters(), 1e-9, momentum=0.5), z_dim=64)
    real = np.random.default_rng(0).random((m, 784), dtype=np.float32)

    def step(concat):
        trainer.concat_real_fake = concat
        trainer.discriminator_step(real)

    return ("D step: one forward over [real; fake] (gan.py)", "1", lambda: step(False), lambda: step(True), [()])


# --- in context: whole slides iterations with spellings switched off, one at a time --------------------------

def _trainer(m, optimizer):
    from npgan import manual_seed
    manual_seed(0)
    G, D = presets.slides_generator(), presets.slides_discriminator()
    make = ((lambda ps: optim.SGD(ps, 0.1, momentum=0.5)) if optimizer == "sgd"
            else (lambda ps: optim.Adam(ps, 2e-4, betas=(0.5, 0.999))))
    trainer = GANTrainer(G, D, make(G.parameters()), make(D.parameters()), z_dim=64)
    pool = [np.random.default_rng(i).random((m, 784), dtype=np.float32) for i in range(4)]
    return trainer, (pool[i % 4] for i in itertools.count())


def context_variants(optimizer):
    """name -> {fused function: spelling to use instead of its host one (None: the plain body)}."""
    variants = {"all kept spellings": {}, "plain bodies only": {f: None for f in _host_fused()}}
    for f in _host_fused():
        if optimizer == "sgd" and f is optim.adam_update or optimizer == "adam" and f is optim.sgd_momentum_update:
            continue
        variants[f"without {f.__name__}"] = {f: None}
    if optimizer == "sgd":
        variants["SGD without the kept work array"] = {optim.sgd_momentum_update: _sgd_fresh_temporary}
        variants["D step: two forwards (no concat)"] = "separate"
    return variants


def measure_in_context(m, optimizer, rounds, block_s=0.3):
    """CPU seconds (process time: what the other processes of a loaded machine take is not counted) and
    minor page faults per iteration, for each variant, interleaved round by round in one process."""
    trainer, batches = _trainer(m, optimizer)
    variants = context_variants(optimizer)
    kept = {f: f.host for f in _host_fused()}

    def use(variant):
        for f, host in kept.items():
            f.host = host
        trainer.concat_real_fake = variant != "separate"
        if isinstance(variant, dict):
            for f, spelling in variant.items():
                f.host = spelling

    use({})
    once = _time_block(lambda: trainer.iteration(batches), 3)
    n = max(2, int(block_s / once))
    cpu, wall, faults = ({name: [] for name in variants} for _ in range(3))
    try:
        for r in range(rounds):
            for name in (list(variants) if r % 2 == 0 else list(variants)[::-1]):
                use(variants[name])
                trainer.iteration(batches)  # settle the allocator on this variant
                f0, t0, w0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.process_time(), time.perf_counter()
                for _ in range(n):
                    trainer.iteration(batches)
                cpu[name].append((time.process_time() - t0) / n)
                wall[name].append((time.perf_counter() - w0) / n)
                faults[name].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / n)
                trainer.pop_records()
    finally:
        use({})
    base = cpu["all kept spellings"]
    rows = []
    for name in variants:
        ratios = [c / b for c, b in zip(cpu[name], base)]
        q1, q3 = np.percentile(ratios, [25, 75])
        rows.append({"variant": name, "cpu_ms": 1e3 * statistics.median(cpu[name]),
                     "wall_ms": 1e3 * statistics.median(wall[name]),
                     "vs_kept": statistics.median(ratios), "q1": float(q1), "q3": float(q3),
                     "faults": statistics.median(faults[name]), "rounds": rounds, "iters_per_block": n})
    return rows


def _as_call(spelling, args_list):
    return lambda: [spelling(*args) for args in args_list]


def _time_block(call, n):
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n


def measure(cases, rounds, block_s=0.02):
    results = []
    prepared = []
    for name, per_iter, plain, host, args_list in cases:
        plain_call, host_call = _as_call(plain, args_list), _as_call(host, args_list)
        once = min(_time_block(plain_call, 1), _time_block(host_call, 1))  # also the warm-up
        _time_block(plain_call, 3), _time_block(host_call, 3)
        prepared.append((name, per_iter, plain_call, host_call, max(1, int(block_s / max(once, 1e-7)))))
    times = {name: ([], []) for name, *_ in prepared}
    for r in range(rounds):
        for name, _, plain_call, host_call, n in prepared:
            order = ((0, plain_call), (1, host_call)) if r % 2 == 0 else ((1, host_call), (0, plain_call))
            for which, call in order:
                times[name][which].append(_time_block(call, n))
    for name, per_iter, *_ in prepared:
        plain_t, host_t = times[name]
        ratios = sorted(h / p for p, h in zip(plain_t, host_t))
        q1, q3 = np.percentile(ratios, [25, 75])
        results.append({"case": name, "per_iter": per_iter, "plain_us": 1e6 * statistics.median(plain_t),
                        "host_us": 1e6 * statistics.median(host_t), "ratio": statistics.median(ratios),
                        "ratio_q1": float(q1), "ratio_q3": float(q3), "rounds": rounds})
        results[-1]["saved_us"] = results[-1]["plain_us"] - results[-1]["host_us"]
    return results


def context_table(rows_by_key):
    lines = ["| optimizer, batch | variant | CPU ms / iter | wall ms / iter | CPU ÷ all kept (q1–q3) | minor faults / iter |",
             "|---|---|---|---|---|---|"]
    for key, rows in rows_by_key.items():
        for r in rows:
            lines.append(f"| {key} | {r['variant']} | {r['cpu_ms']:.2f} | {r['wall_ms']:.2f} | {r['vs_kept']:.3f} "
                         f"({r['q1']:.3f}–{r['q3']:.3f}) "
                         f"| {r['faults']:.0f} |")
    return "\n".join(lines)


def table(rows_by_batch):
    lines = ["| case | batch | plain µs | host µs | host/plain (q1–q3) | saved µs per pass | passes per iteration |",
             "|---|---|---|---|---|---|---|"]
    for m, rows in rows_by_batch.items():
        for r in rows:
            lines.append(f"| {r['case']} | {m} | {r['plain_us']:.0f} | {r['host_us']:.0f} | {r['ratio']:.2f} "
                         f"({r['ratio_q1']:.2f}–{r['ratio_q3']:.2f}) | {r['saved_us']:.0f} | {r['per_iter']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--context-rounds", type=int, default=9, help="rounds of the in-context part (0: skip it)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    if args.rounds < 2 or min(args.batch_sizes) < 2 or args.context_rounds < 0:
        parser.error("--rounds and every --batch-sizes value must be >= 2, --context-rounds >= 0")
    print(f"load average before: {os.getloadavg()}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}",
          flush=True)
    rows = {m: measure(fused_cases(m) + [d_step_case(m)], args.rounds) for m in args.batch_sizes}
    print(table(rows), flush=True)
    context = {}
    if args.context_rounds:
        for optimizer in ("sgd", "adam"):
            for m in args.batch_sizes:
                context[f"{optimizer}, {m}"] = measure_in_context(m, optimizer, args.context_rounds)
        print(context_table(context))
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"isolated": {str(m): r for m, r in rows.items()}, "in_context": context}, f, indent=1)


if __name__ == "__main__":
    main()
