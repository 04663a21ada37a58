"""Experiment helper: npgan's host element-wise kernels cut in two row halves, the second on another thread.

:func:`install` replaces the ``host`` spelling of the row-wise kernels of npgan.kernels in *this process
only* (the objects' attribute; npgan's files are not touched) by versions that allocate their outputs,
run the same NumPy operations on rows [0, n/2) here and [n/2, n) on a second thread (NumPy releases the GIL
inside its loops), and return the same arrays bit for bit. Arrays under ``MIN_ROWS`` rows keep the
original. exp_openblas_timeout.py's ``iteration`` part times npgan with it (``ew_threads: 2``); the
kernels are npgan's as of issue 13 (LeakyReLU, ReLU/sigmoid/tanh backward, sigmoid, BatchNorm normalise
and backward): when npgan's kernels change, this list must follow.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_ROWS = 256
_pool = None


def _split(rows, part):
    """part(rows[0:h]) here and part(rows[h:n]) on the second thread, both done on return."""
    h = rows // 2
    second = _pool.submit(part, slice(h, rows))
    part(slice(0, h))
    second.result()


def leaky_relu(x, slope):  # k = 1 where x > 0, else slope (0 <= slope <= 1); y = x k
    y, k = np.empty_like(x), np.empty_like(x)

    def part(s):
        np.greater(x[s], 0, out=k[s])
        np.maximum(k[s], slope, out=k[s])
        np.multiply(x[s], k[s], out=y[s])
    _split(x.shape[0], part)
    return y, k


def relu_grad(gy, y):  # gx = gy · [y > 0]
    gx = np.empty_like(gy)

    def part(s):
        np.greater(y[s], 0, out=gx[s])
        np.multiply(gy[s], gx[s], out=gx[s])
    _split(gy.shape[0], part)
    return gx


def sigmoid(x):  # y = tanh(x/2)/2 + 1/2
    y = np.empty_like(x)

    def part(s):
        np.multiply(x[s], 0.5, out=y[s])
        np.tanh(y[s], out=y[s])
        y[s] *= 0.5
        y[s] += 0.5
    _split(x.shape[0], part)
    return y


def sigmoid_grad(gy, y):  # gx = gy · y · (1 − y)
    gx = np.empty_like(gy)

    def part(s):
        np.subtract(1.0, y[s], out=gx[s])
        np.multiply(gy[s] * y[s], gx[s], out=gx[s])
    _split(gy.shape[0], part)
    return gx


def bn_normalize(x, mean, inv_std, gamma, beta):  # x̂ = (x − mean)·inv_std; y = γ x̂ + β
    x_hat, y = np.empty_like(x), np.empty_like(x)

    def part(s):
        np.subtract(x[s], mean, out=x_hat[s])
        x_hat[s] *= inv_std
        np.multiply(x_hat[s], gamma, out=y[s])
        y[s] += beta
    _split(x.shape[0], part)
    return x_hat, y


def bn_grad(gy, x_hat, sum_gy, sum_gy_x_hat, gamma, inv_std, inv_n):  # γ inv_std (gy − mean gy − x̂ mean(gy x̂))
    gx = np.empty_like(gy)
    a, b, c = sum_gy_x_hat * inv_n, sum_gy * inv_n, gamma * inv_std

    def part(s):
        np.multiply(x_hat[s], a, out=gx[s])
        gx[s] += b
        np.subtract(gy[s], gx[s], out=gx[s])
        gx[s] *= c
    _split(gy.shape[0], part)
    return gx


SPLIT = {"leaky_relu": leaky_relu, "relu_grad": relu_grad, "sigmoid": sigmoid, "sigmoid_grad": sigmoid_grad,
         "bn_normalize": bn_normalize, "bn_grad": bn_grad}


def install():
    """Point each listed kernel's host spelling at its two-thread version (small arrays: the original)."""
    global _pool
    from npgan import kernels
    _pool = _pool or ThreadPoolExecutor(max_workers=1)
    for name, split in SPLIT.items():
        kernel = getattr(kernels, name)
        original = kernel.host

        def host(*args, _split=split, _original=original, _name=name):
            x = args[0]
            if x.ndim != 2 or x.shape[0] < MIN_ROWS or type(x) is not np.ndarray or (
                    _name == "leaky_relu" and not 0.0 <= args[1] <= 1.0):
                return _original(*args)
            return _split(*args)
        kernel.host = host
