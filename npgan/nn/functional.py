"""The maths of every layer as small forward/backward pairs of array functions (the CS231n shape).

    y, cache = linear_forward(x, W, b)
    gx, gW, gb = linear_backward(gy, cache)

Shapes: x (N, D_in), y (N, D_out); gy = dL/dy has y's shape and every g* has its variable's shape.
Each function works on NumPy and CuPy arrays alike (`xp = get_array_module(x)`), keeps the input dtype
(constants are Python floats, which never upcast float32), and computes only the gradients asked for.
"""
from npgan import kernels
from npgan.backend import get_array_module


# --- Linear ------------------------------------------------------------------------------------------------

def linear_forward(x, W, b):
    """y = x W + b, with W shaped (D_in, D_out)."""
    y = x @ W
    y += b
    return y, (x, W)


def linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    """gx = gy Wᵀ,  gW = xᵀ gy,  gb = Σ_n gy[n].  Each GEMM runs only when its gradient is needed."""
    x, W = cache
    if not need_gx:
        gx = None
    elif W.shape[1] == 1:  # gy Wᵀ is an outer product (D's logit layer): the same numbers, 4× faster than a GEMM
        gx = gy * W[:, 0]
    else:
        gx = gy @ W.T
    gW = x.T @ gy if need_gW else None
    gb = gy.sum(axis=0) if need_gb else None
    return gx, gW, gb


# --- Maxout --------------------------------------------------------------------------------------------------

def maxout_forward(x, W, b, pieces):
    """z = x W + b viewed as (N, units, pieces);  y = max_k z[:, :, k]  (Goodfellow et al., 2013)."""
    z, linear_cache = linear_forward(x, W, b)
    z = z.reshape(x.shape[0], -1, pieces)
    winner = z.argmax(axis=2)
    xp = get_array_module(x)
    y = xp.take_along_axis(z, winner[:, :, None], axis=2)[:, :, 0]
    return y, (linear_cache, winner, pieces)


def maxout_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    """The gradient flows only to the winning piece: gz[n, j, k] = gy[n, j]·[k = argmax_k z[n, j, k]],
    then the Linear backward of z = x W + b."""
    linear_cache, winner, pieces = cache
    xp = get_array_module(gy)
    gz = xp.where(winner[:, :, None] == xp.arange(pieces), gy[:, :, None], 0.0)
    return linear_backward(gz.reshape(gy.shape[0], -1), linear_cache, need_gx, need_gW, need_gb)


# --- BatchNorm1d ---------------------------------------------------------------------------------------------

def batchnorm_forward(x, gamma, beta, eps, running_mean, running_var, momentum):
    """Training mode, statistics of the batch over N:
    μ = mean(x),  σ² = mean((x − μ)²) (biased),  x̂ = (x − μ)/√(σ² + ε),  y = γ x̂ + β,
    and, in place, running = (1 − momentum)·running + momentum·batch, the variance unbiased (× N/(N − 1))."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    sum_sq = kernels.centered_sum_of_squares(x, mean)
    inv_std = get_array_module(x).empty_like(mean)
    kernels.bn_statistics(mean, sum_sq, 1.0 / n, momentum, n / (n - 1), eps, running_mean, running_var, inv_std)
    x_hat, y = kernels.bn_normalize(x, mean, inv_std, gamma, beta)
    return y, (x_hat, inv_std, gamma)


def batchnorm_backward(gy, cache, need_gx=True, need_gparams=True):
    """ggamma = Σ_n gy x̂,  gbeta = Σ_n gy, and, because μ and σ² depend on every row of the batch,
    gx = γ/√(σ² + ε) · (gy − mean(gy) − x̂ · mean(gy x̂))."""
    x_hat, inv_std, gamma = cache
    gbeta = gy.sum(axis=0)
    ggamma = kernels.sum_of_products(gy, x_hat)
    gx = kernels.bn_grad(gy, x_hat, gbeta, ggamma, gamma, inv_std, 1.0 / gy.shape[0]) if need_gx else None
    return gx, (ggamma if need_gparams else None), (gbeta if need_gparams else None)


def batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps):
    """Evaluation mode: the running statistics stand in for the batch's, so the map is affine per feature."""
    xp = get_array_module(x)
    inv_std = 1.0 / xp.sqrt(running_var + eps)
    x_hat, y = kernels.bn_normalize(x, running_mean, inv_std, gamma, beta)
    return y, (x_hat, inv_std, gamma)


def batchnorm_eval_backward(gy, cache, need_gx=True, need_gparams=True):
    """With fixed statistics: gx = gy γ/√(σ²_run + ε), ggamma = Σ_n gy x̂, gbeta = Σ_n gy."""
    x_hat, inv_std, gamma = cache
    gx = gy * (gamma * inv_std) if need_gx else None
    if not need_gparams:
        return gx, None, None
    return gx, kernels.sum_of_products(gy, x_hat), gy.sum(axis=0)


# --- activations -------------------------------------------------------------------------------------------

def relu_forward(x):
    """y = max(x, 0); the output is all backward needs."""
    xp = get_array_module(x)
    y = xp.maximum(x, 0.0)
    return y, y


def relu_backward(gy, y):
    """gx = gy · [y > 0]."""
    return kernels.relu_grad(gy, y)


def leaky_relu_forward(x, slope):
    """y = x·k with k = 1 for x > 0 and slope otherwise; k is what backward needs."""
    y, k = kernels.leaky_relu(x, slope)
    return y, k


def leaky_relu_backward(gy, k):
    """gx = gy·k: gy for x > 0, slope·gy otherwise."""
    return gy * k


def sigmoid_forward(x):
    """y = σ(x) = 1/(1 + e^−x), computed as tanh(x/2)/2 + 1/2, which never overflows."""
    y = kernels.sigmoid(x)
    return y, y


def sigmoid_backward(gy, y):
    """gx = gy · y (1 − y)."""
    return kernels.sigmoid_grad(gy, y)


def tanh_forward(x):
    xp = get_array_module(x)
    y = xp.tanh(x)
    return y, y


def tanh_backward(gy, y):
    """gx = gy (1 − y²)."""
    return kernels.tanh_grad(gy, y)


def dropout_forward(x, p, rng):
    """Inverted dropout: keep each unit with probability 1 − p and scale it by 1/(1 − p), so the expected
    activation is unchanged and evaluation is the identity."""
    mask = rng.random(x.shape, dtype=x.dtype) >= p
    mask = mask.astype(x.dtype)
    mask *= 1.0 / (1.0 - p)
    return x * mask, mask


def dropout_backward(gy, mask):
    """gx = gy · mask (the same scaled mask as forward)."""
    return gy * mask
