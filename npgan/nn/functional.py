"""The maths of every layer as small forward/backward pairs of array functions (the CS231n shape).

    y, cache = linear_forward(x, W, b)
    gx, gW, gb = linear_backward(gy, cache)

Shapes: x (N, D_in), y (N, D_out); gy = dL/dy has y's shape and every g* has its variable's shape.
Each function works on NumPy and CuPy arrays alike (`xp = get_array_module(x)`), keeps the input dtype
(constants are Python floats, which never upcast float32), and computes only the gradients asked for.

Each body is the formula, and the reference. Some functions carry a faster spelling of the same formula
(`@fused`, see npgan/kernels.py): a CUDA spelling that runs on CuPy arrays — one kernel, written in the
`@fused` line above the formula, or several, in nn/cuda.py (BatchNorm) — and, where the benchmark
`benchmarks/bench_kernels.py` measured that it pays, a host spelling in nn/host.py that runs on NumPy
arrays (fewer passes, and blocks of rows or columns on every core the BLAS uses: npgan.threads.blocks).
The tests compare every such spelling with the body below its `@fused` line.
"""
from npgan.backend import get_array_module
from npgan.kernels import Elementwise, fused
from npgan.nn import cuda, host


# --- Linear ------------------------------------------------------------------------------------------------

@fused(host=host.linear_forward)
def linear_forward(x, W, b):
    """y = x W + b.  x (N, D_in), W (D_in, D_out), b (D_out,) -> y (N, D_out); the cache is (x, W)."""
    y = x @ W
    y += b  # in place: no second (N, D_out) array
    return y, (x, W)


@fused(host=host.linear_backward)
def linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    """gx = gy Wᵀ (N, D_in),  gW = xᵀ gy (D_in, D_out),  gb = Σ_n gy[n] (D_out,), for gy (N, D_out).
    Each product runs only when its gradient is needed (the others are None)."""
    x, W = cache
    gx = gy @ W.T if need_gx else None
    gW = x.T @ gy if need_gW else None
    gb = gy.sum(axis=0) if need_gb else None
    return gx, gW, gb


# --- Maxout --------------------------------------------------------------------------------------------------

def maxout_forward(x, W, b, pieces):
    """z = x W + b viewed as (N, units, pieces);  y = max_k z[:, :, k]  (Goodfellow et al., 2013).
    x (N, D_in), W (D_in, units·pieces), b (units·pieces,) -> y (N, units); the cache keeps the winning k."""
    z, linear_cache = linear_forward(x, W, b)
    z = z.reshape(x.shape[0], -1, pieces)
    winner = z.argmax(axis=2)
    xp = get_array_module(x)
    y = xp.take_along_axis(z, winner[:, :, None], axis=2)[:, :, 0]
    return y, (linear_cache, winner, pieces)


def maxout_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    """The gradient flows only to the winning piece: gz[n, j, k] = gy[n, j]·[k = argmax_k z[n, j, k]],
    then the Linear backward of z = x W + b.  gy (N, units) -> gx (N, D_in), gW, gb as linear_backward."""
    linear_cache, winner, pieces = cache
    xp = get_array_module(gy)
    gz = xp.where(winner[:, :, None] == xp.arange(pieces), gy[:, :, None], 0.0)
    return linear_backward(gz.reshape(gy.shape[0], -1), linear_cache, need_gx, need_gW, need_gb)


# --- BatchNorm1d ---------------------------------------------------------------------------------------------

@fused(cuda=cuda.batchnorm_forward, host=host.batchnorm_forward)
def batchnorm_forward(x, gamma, beta, eps, running_mean, running_var, momentum):
    """Training mode, statistics of the batch over N:
    μ = mean(x),  σ² = mean((x − μ)²) (biased),  x̂ = (x − μ)/√(σ² + ε),  y = γ x̂ + β,
    and, in place, running = (1 − momentum)·running + momentum·batch, the variance unbiased (× N/(N − 1)).
    x (N, C); gamma, beta and the running statistics (C,) -> y (N, C); the cache is (x̂, inv_std, γ)."""
    xp = get_array_module(x)
    n = x.shape[0]
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    inv_std = 1.0 / xp.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    y = gamma * x_hat + beta
    running_mean[...] = (1.0 - momentum) * running_mean + momentum * mean
    running_var[...] = (1.0 - momentum) * running_var + momentum * (n / (n - 1)) * var
    return y, (x_hat, inv_std, gamma)


@fused(cuda=cuda.batchnorm_backward, host=host.batchnorm_backward)
def batchnorm_backward(gy, cache, need_gx=True, need_gparams=True):
    """ggamma = Σ_n gy x̂,  gbeta = Σ_n gy, and, because μ and σ² depend on every row of the batch,
    gx = γ/√(σ² + ε) · (gy − mean(gy) − x̂ · mean(gy x̂)).  gy, gx (N, C); ggamma, gbeta (C,)."""
    x_hat, inv_std, gamma = cache
    gx = gamma * inv_std * (gy - gy.mean(axis=0) - x_hat * (gy * x_hat).mean(axis=0)) if need_gx else None
    if not need_gparams:
        return gx, None, None
    return gx, (gy * x_hat).sum(axis=0), gy.sum(axis=0)


@fused(cuda=cuda.batchnorm_eval_forward)
def batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps):
    """Evaluation mode: the running statistics stand in for the batch's, so the map is affine per feature:
    x̂ = (x − running_mean)/√(running_var + ε),  y = γ x̂ + β.  x, y (N, C); the statistics (C,)."""
    inv_std = 1.0 / get_array_module(x).sqrt(running_var + eps)
    x_hat = (x - running_mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def batchnorm_eval_backward(gy, cache, need_gx=True, need_gparams=True):
    """With fixed statistics: gx = gy γ/√(σ²_run + ε), ggamma = Σ_n gy x̂, gbeta = Σ_n gy."""
    x_hat, inv_std, gamma = cache
    gx = gy * (gamma * inv_std) if need_gx else None
    if not need_gparams:
        return gx, None, None
    return gx, (gy * x_hat).sum(axis=0), gy.sum(axis=0)


# --- activations: element-wise, any shape (y, gy and gx shaped like x) ------------------------------------

@fused(host=host.relu_forward)
def relu_forward(x):
    """y = max(x, 0); the output is all backward needs."""
    y = get_array_module(x).maximum(x, 0.0)
    return y, y


@fused(cuda=Elementwise("T gy, T y", "T gx", "gx = y > 0 ? gy : (T)0", "npgan_relu_grad"),
       host=host.relu_backward)
def relu_backward(gy, y):
    """gx = gy · [y > 0]."""
    return gy * (y > 0)


@fused(cuda=Elementwise("T x, T slope", "T y, T k", "k = x > 0 ? (T)1 : slope; y = x * k", "npgan_leaky_relu"),
       host=host.leaky_relu_forward)
def leaky_relu_forward(x, slope):
    """y = x·k with k = dy/dx = 1 for x > 0 and slope otherwise; k is what backward needs."""
    k = get_array_module(x).where(x > 0, 1.0, slope).astype(x.dtype)
    return x * k, k


@fused(host=host.leaky_relu_backward)
def leaky_relu_backward(gy, k):
    """gx = gy·k: gy for x > 0, slope·gy otherwise."""
    return gy * k


@fused(cuda=Elementwise("T x", "T y", "y = tanh(x * (T)0.5) * (T)0.5 + (T)0.5", "npgan_sigmoid"),
       host=host.sigmoid_forward)
def sigmoid_forward(x):
    """y = σ(x) = 1/(1 + e^−x), computed as tanh(x/2)/2 + 1/2, which never overflows."""
    y = get_array_module(x).tanh(x * 0.5) * 0.5 + 0.5
    return y, y


@fused(cuda=Elementwise("T gy, T y", "T gx", "gx = gy * y * ((T)1 - y)", "npgan_sigmoid_grad"),
       host=host.sigmoid_backward)
def sigmoid_backward(gy, y):
    """gx = gy · y (1 − y)."""
    return gy * y * (1.0 - y)


def tanh_forward(x):
    """y = tanh x; the output is all backward needs."""
    y = get_array_module(x).tanh(x)
    return y, y


@fused(cuda=Elementwise("T gy, T y", "T gx", "gx = gy * ((T)1 - y * y)", "npgan_tanh_grad"))
def tanh_backward(gy, y):
    """gx = gy (1 − y²)."""
    return gy * (1.0 - y * y)


def dropout_forward(x, p, rng):
    """Inverted dropout: mask = [u ≥ p]/(1 − p) with u ~ U[0, 1) drawn from `rng`, y = x · mask: each unit
    kept with probability 1 − p and scaled by 1/(1 − p), so the expected activation is unchanged and
    evaluation is the identity. Any shape; mask is shaped like x."""
    mask = (rng.random(x.shape, dtype=x.dtype) >= p).astype(x.dtype) * (1.0 / (1.0 - p))
    return x * mask, mask


def dropout_backward(gy, mask):
    """gx = gy · mask (the same scaled mask as forward)."""
    return gy * mask
