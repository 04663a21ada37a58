"""Fused CUDA spellings of the update rules in sgd.py and adam.py.

Each is one CuPy kernel per parameter that reads g and the state once and writes p and the state once,
where the formula, run on CuPy arrays, launches one kernel and writes one temporary array per operator.
Each function takes the arguments of the formula of the same name and updates the same arrays in place;
`@fused(cuda=...)` attaches it there, and it runs when g is a CuPy array. `work`, the host spellings'
scratch array, is None on CuPy and not used. tests/test_kernels.py holds each against the plain formula
(on a GPU), and tests/test_cuda_compile.py compiles both kernels (without one).
"""
from npgan.kernels import Elementwise

sgd_momentum_kernel = Elementwise("T g, T lr, T momentum", "T p, T v", "v = momentum * v + g; p -= lr * v",
                                  "npgan_sgd_momentum")
adam_kernel = Elementwise("T g, T step_size, T beta1, T beta2, T inv_sqrt_bias2, T eps", "T p, T m, T v",
                          "m = beta1 * m + ((T)1 - beta1) * g; v = beta2 * v + ((T)1 - beta2) * g * g; "
                          "p -= step_size * m / (sqrt(v) * inv_sqrt_bias2 + eps)", "npgan_adam")


def sgd_momentum_update(g, lr, momentum, p, v, work=None):
    """v ← μv + g;  p ← p − lr·v, in one kernel."""
    sgd_momentum_kernel(g, lr, momentum, p, v)


def adam_update(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v, work=None):
    """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − step_size · m/(√v·c + ε), in one kernel."""
    adam_kernel(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v)
