"""Tuned host spellings of formulas in functional.py: the same numbers (up to round-off), fewer passes over
memory, fewer temporary arrays, and every core the BLAS uses.

Each one is attached to its plain formula with `@fused(host=...)`; tests/test_kernels.py holds each against
the plain body (float32 and float64, NumPy and strict, cut in one block and in several). Read the plain body
first: these are the same formula, rewritten for speed, in two ways:

* fewer passes (BatchNorm: x − μ once, Σ by a column dot product; LeakyReLU without `where`), measured by
  `benchmarks/bench_kernels.py` (benchmarks/RESULTS.md, "Which host spellings pay?");
* blocks (`npgan.threads.blocks`): the passes that write an (N, C) array run on row blocks, one block per
  BLAS thread, each block writing its part of preallocated outputs; arrays below `threads.GRAIN` elements
  per block run whole on the calling thread. Sums over rows (BatchNorm's statistics, the bias gradient) stay
  whole, in the formula's order. Measured in the iteration by `benchmarks/profile_ops.py` and
  `benchmarks/exp_before_after.py`.

Every element is computed by the same operations in the same order whether the array is cut or not, so a
run gives the same bits on any number of threads (tests/test_any_data.py compares a run with npgan 0.2's).
"""
from npgan.backend import get_array_module
from npgan import threads


def _rows(fn, x):
    """fn(r) for r the slices of x's row blocks (r = ... once when one block does: x 0-d or small)."""
    if x.ndim == 0 or threads.count(x.shape[0], x.size) <= 1:
        fn(...)
    else:
        threads.blocks(lambda i, j: fn(slice(i, j)), x.shape[0], x.size)


def _column_dot(a, b):
    """Σ_n a[n, j] b[n, j] for every column j, without the (N, C) temporary a * b."""
    return get_array_module(a).einsum("ij,ij->j", a, b)


# --- Linear: the bias ----------------------------------------------------------------------------------------

def linear_forward(x, W, b):
    """y = x W (the BLAS, on its threads), then y += b on row blocks."""
    y = x @ W

    def add_bias(r):
        y[r] += b
    _rows(add_bias, y)
    return y, (x, W)


def linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    """As the formula, but a one-column W (D's logit layer) gets gx = gy Wᵀ as the outer product it is, a
    broadcast multiply (one multiplication per element, the BLAS's numbers), instead of a GEMM with K = 1
    that ran at under 1 GFLOP/s (benchmarks/profile_ops.py)."""
    x, W = cache
    if need_gx and W.shape[1] == 1:
        gx = gy * W[:, 0]
    else:
        gx = gy @ W.T if need_gx else None
    gW = x.T @ gy if need_gW else None
    return gx, gW, (gy.sum(axis=0) if need_gb else None)


# --- BatchNorm1d ---------------------------------------------------------------------------------------------
# The statistics (sums over rows) are taken whole on the calling thread, in the formula's order: cut into
# row blocks they would be added in another order (other bits at every thread count), cut into column blocks
# they are strided (4-5x slower in NumPy). The passes that write (N, C) arrays run on row blocks.

def batchnorm_forward(x, gamma, beta, eps, running_mean, running_var, momentum):
    """x − μ written once into x̂ (row blocks), σ² by a column dot product of it (no (N, C) temporary), then
    x̂ ·= inv_std and y = x̂ γ + β (row blocks)."""
    xp = get_array_module(x)
    n = x.shape[0]
    mean = x.mean(axis=0)
    x_hat, y = xp.empty_like(x), xp.empty_like(x)

    def centre(r):
        xp.subtract(x[r], mean, out=x_hat[r])
    _rows(centre, x)
    var = _column_dot(x_hat, x_hat)
    var *= 1.0 / n
    running_mean *= 1.0 - momentum
    running_mean += momentum * mean
    running_var *= 1.0 - momentum
    running_var += (momentum * n / (n - 1)) * var
    var += eps
    inv_std = xp.sqrt(var, out=var)
    xp.reciprocal(inv_std, out=inv_std)

    def normalise(r):
        x_hat[r] *= inv_std
        xp.multiply(x_hat[r], gamma, out=y[r])
        y[r] += beta
    _rows(normalise, x)
    return y, (x_hat, inv_std, gamma)


def batchnorm_backward(gy, cache, need_gx=True, need_gparams=True):
    """gbeta = Σgy and ggamma = Σgy x̂ (a column dot product), then gx = γ·inv_std·(gy − (gbeta + x̂·ggamma)/N)
    built in one array on row blocks."""
    x_hat, inv_std, gamma = cache
    xp = get_array_module(gy)
    gbeta = gy.sum(axis=0)
    ggamma = _column_dot(gy, x_hat)
    gx = None
    if need_gx:
        inv_n = 1.0 / gy.shape[0]
        gx = xp.empty_like(gy)
        a, c, scale = ggamma * inv_n, gbeta * inv_n, gamma * inv_std

        def block(r):
            gxb = gx[r]
            xp.multiply(x_hat[r], a, out=gxb)
            gxb += c
            xp.subtract(gy[r], gxb, out=gxb)
            gxb *= scale
        _rows(block, gy)
    return gx, (ggamma if need_gparams else None), (gbeta if need_gparams else None)


# --- activations, on row blocks ------------------------------------------------------------------------------

def relu_forward(x):
    """y = max(x, 0) on row blocks."""
    xp = get_array_module(x)
    y = xp.empty_like(x)

    def block(r):
        xp.maximum(x[r], 0.0, out=y[r])
    _rows(block, x)
    return y, y


def relu_backward(gy, y):
    """gx = gy · [y > 0] on row blocks."""
    xp = get_array_module(gy)
    gx = xp.empty_like(gy)

    def block(r):
        xp.multiply(gy[r], y[r] > 0, out=gx[r])
    _rows(block, gy)
    return gx


def leaky_relu_forward(x, slope):
    """k = max([x > 0], slope) is exactly 1 or slope when 0 ≤ slope ≤ 1, without NumPy's `where`, which is
    slow on masks of random signs; then y = x·k; on row blocks. Other slopes take the plain formula."""
    xp = get_array_module(x)
    if not 0.0 <= slope <= 1.0:
        k = xp.where(x > 0, 1.0, slope).astype(x.dtype)
        return x * k, k
    k, y = xp.empty_like(x), xp.empty_like(x)

    def block(r):
        kb = k[r]
        xp.greater(x[r], 0, out=kb)
        xp.maximum(kb, slope, out=kb)
        xp.multiply(x[r], kb, out=y[r])
    _rows(block, x)
    return y, k


def leaky_relu_backward(gy, k):
    """gx = gy·k on row blocks."""
    xp = get_array_module(gy)
    gx = xp.empty_like(gy)

    def block(r):
        xp.multiply(gy[r], k[r], out=gx[r])
    _rows(block, gy)
    return gx


def sigmoid_forward(x):
    """y = tanh(x/2)/2 + 1/2, the four operators on each row block in turn, in y."""
    xp = get_array_module(x)
    y = xp.empty_like(x)

    def block(r):
        yb = y[r]
        xp.multiply(x[r], 0.5, out=yb)
        xp.tanh(yb, out=yb)
        yb *= 0.5
        yb += 0.5
    _rows(block, x)
    return y, y


def sigmoid_backward(gy, y):
    """gx = gy · y · (1 − y) on row blocks."""
    xp = get_array_module(gy)
    gx = xp.empty_like(gy)

    def block(r):
        gxb, yb = gx[r], y[r]
        xp.multiply(gy[r], yb, out=gxb)
        gxb *= 1.0 - yb
    _rows(block, gy)
    return gx
