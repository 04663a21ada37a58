"""Tuned host spellings of formulas in functional.py: the same numbers (up to round-off), fewer passes
over memory and fewer temporary arrays on NumPy.

Each one is attached to its plain formula with `@fused(host=...)` and is kept only because
`benchmarks/bench_kernels.py` measured that it saves at least 1 % of a slides training iteration (the
figures are in benchmarks/RESULTS.md, "Host spellings"); tests/test_kernels.py holds each against the plain
body. Read the plain body first: these are the same formula, rewritten for speed. (Spellings that were
tried and saved less — in-place sigmoid passes, the outer product for a one-column linear_backward — are
timed in the benchmark, not kept here; an in-place tanh_backward ran 0.8× on its own, and tanh is not in
the slides arch.)
"""
from npgan.backend import get_array_module


def _column_dot(a, b):
    """Σ_n a[n, j] b[n, j] for every column j, without the (N, C) temporary a * b."""
    return get_array_module(a).einsum("ij,ij->j", a, b)


def batchnorm_forward(x, gamma, beta, eps, running_mean, running_var, momentum):
    """x − μ once, σ² by a column dot product, x̂ written over x − μ, y in one more array."""
    xp = get_array_module(x)
    n = x.shape[0]
    mean = x.mean(axis=0)
    x_hat = x - mean
    var = _column_dot(x_hat, x_hat)
    var *= 1.0 / n
    running_mean *= 1.0 - momentum
    running_mean += momentum * mean
    running_var *= 1.0 - momentum
    running_var += (momentum * n / (n - 1)) * var
    var += eps
    inv_std = xp.sqrt(var, out=var)
    xp.reciprocal(inv_std, out=inv_std)
    x_hat *= inv_std
    y = x_hat * gamma
    y += beta
    return y, (x_hat, inv_std, gamma)


def batchnorm_backward(gy, cache, need_gx=True, need_gparams=True):
    """gx = γ·inv_std·(gy − (Σgy + x̂·Σgy x̂)/N), with Σgy x̂ = ggamma by a column dot product and gx
    built in one array."""
    x_hat, inv_std, gamma = cache
    gbeta = gy.sum(axis=0)
    ggamma = _column_dot(gy, x_hat)
    gx = None
    if need_gx:
        inv_n = 1.0 / gy.shape[0]
        gx = x_hat * (ggamma * inv_n)
        gx += gbeta * inv_n
        get_array_module(gy).subtract(gy, gx, out=gx)
        gx *= gamma * inv_std
    return gx, (ggamma if need_gparams else None), (gbeta if need_gparams else None)


def leaky_relu_forward(x, slope):
    """k = max([x > 0], slope) is exactly 1 or slope when 0 ≤ slope ≤ 1, without NumPy's `where`, which is
    slow on masks of random signs; other slopes take the plain formula."""
    xp = get_array_module(x)
    if not 0.0 <= slope <= 1.0:
        k = xp.where(x > 0, 1.0, slope).astype(x.dtype)
        return x * k, k
    k = (x > 0).astype(x.dtype)
    xp.maximum(k, slope, out=k)
    return x * k, k
