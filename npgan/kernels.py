"""Fused element-wise operations: one formula, two spellings.

On the GPU every NumPy-style expression such as `gy * y * (1.0 - y)` launches one kernel per operator and
writes a temporary array each time; memory traffic, not arithmetic, sets the cost. Each operation here is
written once as a line of CUDA C (compiled by CuPy into a single `ElementwiseKernel`: one read of each
input, one write of each output) and once as the NumPy expression it stands for, which is what runs on
the host. Both spellings compute the same formula; the tests compare them.

This module does not import CuPy: it asks `npgan.backend` for it, and only when a CuPy array arrives.
"""
from npgan import backend as B


class Elementwise:
    """A CuPy ElementwiseKernel on device arrays, its `host` twin on host arrays (NumPy or strict;
    None for GPU-only kernels).

    Scalar arguments are passed in the arrays' dtype, so float32 stays float32 and float64 gradient
    checks work on the GPU too. Output arguments, when given, are updated in place.
    """

    def __init__(self, name, in_params, out_params, cuda, host):
        self.name, self.in_params, self.out_params, self.cuda, self.host = name, in_params, out_params, cuda, host
        self._kernel = None

    def __call__(self, *args):
        xp = B.get_array_module(*[a for a in args if hasattr(a, "shape")])
        if xp is not B.cupy:
            if self.host is None:
                raise TypeError(f"{self.name} is a GPU-only kernel; it was given {xp.__name__} arrays")
            return self.host(*args)
        if self._kernel is None:  # compiled on first use, then cached by CuPy on disk
            self._kernel = B.cupy.ElementwiseKernel(self.in_params, self.out_params, self.cuda, self.name)
        dtype = next(a.dtype for a in args if hasattr(a, "dtype"))
        return self._kernel(*[a if hasattr(a, "shape") else dtype.type(a) for a in args])

    def __repr__(self):
        return f"Elementwise({self.name}: {self.cuda})"


class ColumnSum:
    """Σ_n f(row n) for every column j of (N, C) arrays, in one pass: a CuPy ReductionKernel over axis 0 on
    the GPU, its `host` twin (usually an einsum, which needs no temporary) on the host."""

    def __init__(self, name, in_params, map_expr, host):
        self.name, self.in_params, self.map_expr, self.host = name, in_params, map_expr, host
        self._kernel = None

    def __call__(self, *args):
        if B.get_array_module(*args) is not B.cupy:
            return self.host(*args)
        if self._kernel is None:
            self._kernel = B.cupy.ReductionKernel(self.in_params, "T y", self.map_expr, "a + b", "y = a", "0",
                                                  self.name)
        return self._kernel(*args, axis=0)


# --- activations --------------------------------------------------------------------------------------------

def _leaky_relu_host(x, slope):
    xp = B.get_array_module(x)
    k = (x > 0).astype(x.dtype)
    if 0.0 <= slope <= 1.0:
        xp.maximum(k, slope, out=k)  # max(1, slope) = 1 and max(0, slope) = slope: exact, and fast
    else:
        k = xp.where(k > 0, 1.0, slope).astype(x.dtype)
    return x * k, k


# The slope multiplier k (1 where x > 0, else slope) is kept for backward: gx = gy·k is then one pass.
# (NumPy's `where` is ~50× slower than a multiply, so the backward avoids it.)
leaky_relu = Elementwise("npgan_leaky_relu", "T x, T slope", "T y, T k", "k = x > 0 ? (T)1 : slope; y = x * k",
                         _leaky_relu_host)

relu_grad = Elementwise("npgan_relu_grad", "T gy, T y", "T gx", "gx = y > 0 ? gy : (T)0",
                        lambda gy, y: gy * (y > 0))


def _sigmoid_host(x):
    y = B.get_array_module(x).tanh(x * 0.5)
    y *= 0.5
    y += 0.5
    return y


sigmoid = Elementwise("npgan_sigmoid", "T x", "T y", "y = tanh(x * (T)0.5) * (T)0.5 + (T)0.5", _sigmoid_host)

sigmoid_grad = Elementwise("npgan_sigmoid_grad", "T gy, T y", "T gx", "gx = gy * y * ((T)1 - y)",
                           lambda gy, y: gy * y * (1.0 - y))

tanh_grad = Elementwise("npgan_tanh_grad", "T gy, T y", "T gx", "gx = gy * ((T)1 - y * y)",
                        lambda gy, y: gy * (1.0 - y * y))


# --- batch normalisation ------------------------------------------------------------------------------------

def _einsum(a, b):
    return B.get_array_module(a).einsum("ij,ij->j", a, b)


sum_of_products = ColumnSum("npgan_sum_of_products", "T a, T b", "a * b", _einsum)

def _centered_host(x, mean):
    xc = x - mean
    return _einsum(xc, xc)


centered_sum_of_squares = ColumnSum("npgan_centered_sum_of_squares", "T x, T mean", "(x - mean) * (x - mean)",
                                    _centered_host)


def _bn_statistics_host(mean, sum_sq, inv_n, momentum, unbias, eps, running_mean, running_var, inv_std):
    xp = B.get_array_module(mean)
    var = sum_sq * inv_n
    running_mean *= 1.0 - momentum
    running_mean += momentum * mean
    running_var *= 1.0 - momentum
    running_var += (momentum * unbias) * var
    var += eps
    xp.sqrt(var, out=inv_std)
    xp.reciprocal(inv_std, out=inv_std)
    return running_mean, running_var, inv_std


# From the column sums of (x − μ)²: σ² = sum_sq/N; running ← (1 − momentum)·running + momentum·batch (the
# variance unbiased, × N/(N − 1)); and 1/√(σ² + ε). One kernel on the GPU.
bn_statistics = Elementwise(
    "npgan_bn_statistics", "T mean, T sum_sq, T inv_n, T momentum, T unbias, T eps",
    "T running_mean, T running_var, T inv_std",
    "T var = sum_sq * inv_n; "
    "running_mean = ((T)1 - momentum) * running_mean + momentum * mean; "
    "running_var = ((T)1 - momentum) * running_var + (momentum * unbias) * var; "
    "inv_std = (T)1 / sqrt(var + eps)", _bn_statistics_host)


def _bn_normalize_host(x, mean, inv_std, gamma, beta):
    x_hat = x - mean
    x_hat *= inv_std
    y = x_hat * gamma
    y += beta
    return x_hat, y


bn_normalize = Elementwise("npgan_bn_normalize", "T x, T mean, T inv_std, T gamma, T beta", "T x_hat, T y",
                           "x_hat = (x - mean) * inv_std; y = gamma * x_hat + beta", _bn_normalize_host)


def _bn_grad_host(gy, x_hat, sum_gy, sum_gy_x_hat, gamma, inv_std, inv_n):
    gx = x_hat * (sum_gy_x_hat * inv_n)
    gx += sum_gy * inv_n
    xp = B.get_array_module(gy)
    xp.subtract(gy, gx, out=gx)
    gx *= gamma * inv_std
    return gx


# gx = γ/√(σ² + ε) · (gy − mean(gy) − x̂·mean(gy x̂)), the means given as column sums times 1/N.
bn_grad = Elementwise("npgan_bn_grad", "T gy, T x_hat, T sum_gy, T sum_gy_x_hat, T gamma, T inv_std, T inv_n",
                      "T gx", "gx = gamma * inv_std * (gy - (sum_gy + x_hat * sum_gy_x_hat) * inv_n)",
                      _bn_grad_host)


# --- the GAN objectives ---------------------------------------------------------------------------------------

def _bce_logits_host(a, t, inv_m):
    xp = B.get_array_module(a)
    prob = _sigmoid_host(a)
    loss = xp.logaddexp(a, 0.0)
    loss -= a * t
    grad = prob - t
    grad *= inv_m
    return loss, grad, prob


# Per row, for logit a and target t: the loss softplus(a) − t·a = −[t log σ(a) + (1 − t) log(1 − σ(a))], its
# gradient (σ(a) − t)/m and D's output σ(a). softplus(a) = max(a, 0) + log(1 + e^−|a|) never overflows.
bce_logits = Elementwise(
    "npgan_bce_logits", "T a, T t, T inv_m", "T loss, T grad, T prob",
    "prob = tanh(a * (T)0.5) * (T)0.5 + (T)0.5; "
    "loss = max(a, (T)0) + log1p(exp(-fabs(a))) - t * a; "
    "grad = (prob - t) * inv_m", _bce_logits_host)


# --- optimizer updates: GPU only (in place; p and the state are outputs that are also read) ------------------
# On the host, optim.py spells the same updates as in-place NumPy operations through a work buffer.

sgd_momentum = Elementwise("npgan_sgd_momentum", "T g, T lr, T momentum", "T p, T v",
                           "v = momentum * v + g; p -= lr * v", None)

adam = Elementwise("npgan_adam", "T g, T step_size, T beta1, T beta2, T inv_sqrt_bias2, T eps", "T p, T m, T v",
                   "m = beta1 * m + ((T)1 - beta1) * g; v = beta2 * v + ((T)1 - beta2) * g * g; "
                   "p -= step_size * m / (sqrt(v) * inv_sqrt_bias2 + eps)", None)
