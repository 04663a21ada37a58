"""Tuned host spellings of formulas in functional.py: the same numbers (up to round-off), fewer passes over
memory, fewer temporary arrays, and every core the BLAS uses.

Each one is attached to its plain formula with `@fused(host=...)`; tests/test_kernels.py holds each against
the plain body (float32 and float64, NumPy and strict, cut in one block and in several). Read the plain body
first: these are the same formula, rewritten for speed, in two ways:

* fewer passes (BatchNorm: x − μ once, Σ by a column dot product; LeakyReLU without `where`), measured by
  `benchmarks/bench_kernels.py` (benchmarks/RESULTS.md, "Which host spellings pay?");
* blocks (`npgan.threads.blocks`): element-wise formulas run on row blocks, BatchNorm and the bias gradient
  on column blocks (their statistics are per column), one block per BLAS thread, each block writing its part
  of preallocated outputs. Arrays below `threads.GRAIN` elements per block run whole on the calling thread.
  Measured in the iteration by `benchmarks/profile_ops.py` and `benchmarks/exp_before_after.py`.

The element-wise bodies keep the plain formula's order of operations, so on one block they give its bits.
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


# --- BatchNorm1d ---------------------------------------------------------------------------------------------
# The statistics are sums over rows: each row block adds up its own rows, and the blocks' sums are added
# (column blocks would be strided, 4-5× slower in NumPy). Then the normalisation runs on the row blocks.

def _block_sums(fn, x):
    """Σ over x's row blocks of fn(row slice) (each a (C,) array), added in the blocks' order, so that the
    same number of threads gives the same bits every run."""
    parts = {}

    def block(r):
        parts[0 if r is ... else r.start] = fn(r)
    _rows(block, x)
    ordered = [parts[k] for k in sorted(parts)]
    total = ordered[0]
    for part in ordered[1:]:
        total += part
    return total


def batchnorm_forward(x, gamma, beta, eps, running_mean, running_var, momentum):
    """μ from the row blocks' column sums; x − μ written once into x̂ and σ² summed from it block by block
    (a column dot product, no (N, C) temporary); then x̂ ·= inv_std and y = x̂ γ + β on each block."""
    xp = get_array_module(x)
    n = x.shape[0]
    x_hat, y = xp.empty_like(x), xp.empty_like(x)
    mean = _block_sums(lambda r: x[r].sum(axis=0), x)
    mean *= 1.0 / n

    def centre(r):
        xp.subtract(x[r], mean, out=x_hat[r])
        return _column_dot(x_hat[r], x_hat[r])
    var = _block_sums(centre, x)
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
    """gbeta = Σgy and ggamma = Σgy x̂ summed block by block (a column dot product), then on each block
    gx = γ·inv_std·(gy − (gbeta + x̂·ggamma)/N), built in one array."""
    x_hat, inv_std, gamma = cache
    xp = get_array_module(gy)
    sums = _block_sums(lambda r: xp.stack([gy[r].sum(axis=0), _column_dot(gy[r], x_hat[r])]), gy)
    gbeta, ggamma = sums[0], sums[1]
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
