"""Tuned host spellings of the update rules in sgd.py and adam.py: the same numbers (up to round-off) with
no temporary array per operator on NumPy.

Each writes its intermediate results into `work`, a scratch array shaped like the parameter that the
optimizer keeps between steps (`Optimizer._work`): a fresh temporary the size of a weight matrix on every
step costs page faults. Each is attached to its plain formula with `@fused(host=...)` and kept because
`benchmarks/bench_kernels.py` measured that it pays (benchmarks/RESULTS.md, "Host spellings");
tests/test_kernels.py holds each against the plain formula. Read the formula first: these are the same
formula, rewritten for speed.
"""
from npgan import backend as B


def sgd_momentum_update(g, lr, momentum, p, v, work=None):
    """v ← μv + g with v updated in place, lr·v written into the kept `work` array, p ← p − work."""
    v *= momentum
    v += g
    if work is None:
        work = lr * v
    else:
        B.get_array_module(v).multiply(v, lr, out=work)
    p -= work


def adam_update(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v, work=None):
    """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − step_size · m/(√v·c + ε), each operator
    writing into the kept `work` array (or m, v, p in place) instead of a temporary."""
    xp = B.get_array_module(g)
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
