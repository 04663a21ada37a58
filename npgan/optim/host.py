"""Tuned host spellings of the update rules in sgd.py and adam.py: the same numbers (up to round-off) with
no temporary array per operator on NumPy, on every core the BLAS uses.

Each writes its intermediate results into `work`, a scratch array shaped like the parameter that the
optimizer keeps between steps (`Optimizer._work`): a fresh temporary the size of a weight matrix on every
step costs page faults. The parameter is cut into blocks of elements (`npgan.threads.blocks`), one per BLAS
thread, and each block runs the whole rule while it is in cache; a parameter below `threads.GRAIN`
elements per block runs whole on the calling thread. Each is attached to its plain formula with
`@fused(host=...)` and kept because `benchmarks/bench_kernels.py` and `benchmarks/profile_ops.py` measured
that it pays (benchmarks/RESULTS.md); tests/test_kernels.py holds each against the plain formula. Read the
formula first: these are the same formula, rewritten for speed.
"""
from npgan import backend as B
from npgan import threads


def _flat_blocks(fn, *arrays):
    """fn(*flat slices) over element blocks of same-shaped contiguous arrays (fn(*arrays) when one block
    would do, or when they are not contiguous)."""
    if threads.count(arrays[0].size, arrays[0].size) <= 1 or not all(a.flags.c_contiguous for a in arrays):
        fn(*arrays)
        return
    flat = [a.reshape(-1) for a in arrays]
    threads.blocks(lambda i, j: fn(*(a[i:j] for a in flat)), flat[0].size, flat[0].size)


def sgd_momentum_update(g, lr, momentum, p, v, work=None):
    """v ← μv + g with v updated in place, lr·v written into the kept `work` array, p ← p − work."""
    xp = B.get_array_module(v)

    def rule(g, p, v, work):
        v *= momentum
        v += g
        if work is None:
            work = lr * v
        else:
            xp.multiply(v, lr, out=work)
        p -= work
    if work is None:
        rule(g, p, v, None)
    else:
        _flat_blocks(rule, g, p, v, work)


def adam_update(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v, work=None):
    """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − step_size · m/(√v·c + ε), each operator
    writing into the kept `work` array (or m, v, p in place) instead of a temporary."""
    xp = B.get_array_module(g)

    def rule(g, p, m, v, work):
        work = xp.multiply(g, 1.0 - beta1, out=work)
        m *= beta1
        m += work
        xp.multiply(g, g, out=work)
        work *= 1.0 - beta2
        v *= beta2
        v += work
        xp.sqrt(v, out=work)
        work *= inv_sqrt_bias2
        work += eps
        xp.divide(m, work, out=work)
        work *= step_size
        p -= work
    if work is None:
        rule(g, p, m, v, None)
    else:
        _flat_blocks(rule, g, p, m, v, work)
