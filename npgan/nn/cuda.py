"""Multi-kernel CUDA spellings of formulas in functional.py: BatchNorm's, whose statistics need a sum over
the batch before the element-wise part can run.

Each function takes the arguments of the formula of the same name in functional.py and returns what it
returns (the same numbers up to round-off); `@fused(cuda=...)` attaches it there, and it runs when the first
argument is a CuPy array. Read the plain body first: these are the same formula, split into kernels so
that each pass over the (N, C) batch reads its inputs once and writes its outputs once, where CuPy would
launch one kernel and write one temporary array per operator. tests/test_kernels.py holds each against the
plain body (on a GPU), and tests/test_cuda_compile.py compiles every kernel here (without one).

One-kernel spellings (the ReLU, sigmoid and tanh gradients...) stay beside their formula in functional.py.
"""
from npgan.backend import get_array_module
from npgan.kernels import ColumnSum, Elementwise

# Σ_n over the rows of (N, C) arrays, per column: (C,)
sum_of_products = ColumnSum("T a, T b", "a * b", "npgan_sum_of_products")
centered_sum_of_squares = ColumnSum("T x, T mean", "(x - mean) * (x - mean)", "npgan_centered_sum_of_squares")

# per feature, (C,): σ² = Σ(x − μ)²/N, both running statistics updated in place, inv_std = 1/√(σ² + ε)
bn_statistics = Elementwise(
    "T mean, T sum_sq, T inv_n, T momentum, T unbias, T eps", "T running_mean, T running_var, T inv_std",
    "T var = sum_sq * inv_n; "
    "running_mean = ((T)1 - momentum) * running_mean + momentum * mean; "
    "running_var = ((T)1 - momentum) * running_var + (momentum * unbias) * var; "
    "inv_std = (T)1 / sqrt(var + eps)", "npgan_bn_statistics")

# per element, (N, C) with (C,) statistics broadcast over the rows
bn_normalize = Elementwise("T x, T mean, T inv_std, T gamma, T beta", "T x_hat, T y",
                           "x_hat = (x - mean) * inv_std; y = gamma * x_hat + beta", "npgan_bn_normalize")
bn_grad = Elementwise("T gy, T x_hat, T sum_gy, T sum_gy_x_hat, T gamma, T inv_std, T inv_n", "T gx",
                      "gx = gamma * inv_std * (gy - (sum_gy + x_hat * sum_gy_x_hat) * inv_n)", "npgan_bn_grad")


def batchnorm_forward(x, gamma, beta, eps, running_mean, running_var, momentum):
    """Two passes over x (the mean, then Σ(x − μ)² in one reduction), the statistics of every feature in
    one kernel, and x̂ and y in one more."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    inv_std = get_array_module(x).empty_like(mean)
    bn_statistics(mean, centered_sum_of_squares(x, mean), 1.0 / n, momentum, n / (n - 1), eps,
                  running_mean, running_var, inv_std)
    x_hat, y = bn_normalize(x, mean, inv_std, gamma, beta)
    return y, (x_hat, inv_std, gamma)


def batchnorm_backward(gy, cache, need_gx=True, need_gparams=True):
    """gbeta = Σ_n gy and ggamma = Σ_n gy x̂ (one reduction each), then gx in one kernel."""
    x_hat, inv_std, gamma = cache
    gbeta = gy.sum(axis=0)
    ggamma = sum_of_products(gy, x_hat)
    gx = bn_grad(gy, x_hat, gbeta, ggamma, gamma, inv_std, 1.0 / gy.shape[0]) if need_gx else None
    return gx, (ggamma if need_gparams else None), (gbeta if need_gparams else None)


def batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps):
    """inv_std from the running variance, then x̂ and y in one kernel."""
    inv_std = 1.0 / get_array_module(x).sqrt(running_var + eps)
    x_hat, y = bn_normalize(x, running_mean, inv_std, gamma, beta)
    return y, (x_hat, inv_std, gamma)
