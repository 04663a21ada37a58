"""Tuned host spellings of formulas in functional.py: the same numbers (up to round-off), fewer passes
over memory and fewer temporary arrays on NumPy.

Each one is attached to its plain formula with `@fused(host=...)` and is kept only because
`benchmarks/bench_kernels.py` measured that it saves time on the host (the figures are in
benchmarks/RESULTS.md, "Host spellings"); tests/test_kernels.py holds each against the plain body. Read the
plain body first: these are the same formula, rewritten for speed.
"""
from npgan.backend import get_array_module


def _column_dot(a, b):
    """Σ_n a[n, j] b[n, j] for every column j, without the (N, C) temporary a * b."""
    return get_array_module(a).einsum("ij,ij->j", a, b)


def linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    """D's logit layer has one output column: gy Wᵀ is then an outer product, which a broadcast multiply
    computes faster than a GEMM with an inner dimension of 1."""
    x, W = cache
    if not need_gx:
        gx = None
    elif W.shape[1] == 1:
        gx = gy * W[:, 0]
    else:
        gx = gy @ W.T
    gW = x.T @ gy if need_gW else None
    gb = gy.sum(axis=0) if need_gb else None
    return gx, gW, gb


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


def sigmoid_forward(x):
    """tanh(x/2)/2 + 1/2 with the halving and shift in place."""
    y = get_array_module(x).tanh(x * 0.5)
    y *= 0.5
    y += 0.5
    return y, y


def sigmoid_backward(gy, y):
    """gy·y·(1 − y) in one array."""
    gx = 1.0 - y
    gx *= y
    gx *= gy
    return gx


def tanh_backward(gy, y):
    """gy·(1 − y²) in one array."""
    gx = y * y
    xp = get_array_module(y)
    xp.subtract(1.0, gx, out=gx)
    gx *= gy
    return gx
