"""npgan's iteration instrumented for benchmarks/profile_ops.py: every matrix product timed where the
iteration performs it (npgan's host linear pair restated with a perf_counter pair around each `@`), with its
layout and shape, and every other formula the iteration calls wrapped as one timed element-wise pass with the
bytes it must move at least (its array arguments read, its array results written).

    timer = OpTimer(); undo = instrument_npgan(timer); timer.active = True; ...; restore(undo)
"""
import functools
import time
from collections import defaultdict

import numpy as np

# (module, attribute) of every formula the slides iteration calls, as the callers look them up
ELEMENTWISE = [("npgan.nn.functional", n) for n in (
    "batchnorm_forward", "batchnorm_backward", "relu_forward", "relu_backward", "leaky_relu_forward",
    "leaky_relu_backward", "sigmoid_forward", "sigmoid_backward")] + [
    ("npgan.nn.activations.ReLU", "_forward"), ("npgan.nn.activations.ReLU", "_backward"),
    ("npgan.nn.activations.Sigmoid", "_forward"), ("npgan.nn.activations.Sigmoid", "_backward"),
    ("npgan.nn.losses", "bce_logits"), ("npgan.nn.losses", "sigmoid_forward"),
    ("npgan.optim.sgd", "sgd_momentum_update"), ("npgan.gan.trainer", "sample_noise")]


def _is_array(a):
    return isinstance(getattr(a, "shape", None), tuple)


def _nbytes(tree):
    if isinstance(tree, (tuple, list)):
        return sum(_nbytes(t) for t in tree)
    return tree.nbytes if _is_array(tree) else 0


class OpTimer:
    """Per-op wall time and bytes, keyed by (op, shape description); `active` switches it on."""

    def __init__(self):
        self.rows = defaultdict(lambda: [0, 0.0, 0.0])  # key -> [calls, seconds, bytes]
        self.active = False

    def add(self, key, dt, nbytes=0):
        if self.active:
            r = self.rows[key]
            r[0] += 1
            r[1] += dt
            r[2] += nbytes


def _shape(a):
    return "x".join(map(str, a.shape))


def instrument_npgan(timer):
    """Patch npgan's linear pair (each product and the rest timed apart) and wrap the element-wise formulas.
    Returns the undo list."""
    import importlib
    from npgan.nn import functional as F
    from npgan.nn import layers
    undo = []

    def gemm(layout, a, b, M, K, N):
        t = time.perf_counter()
        c = a @ b
        timer.add(("gemm", layout, M, K, N), time.perf_counter() - t)
        return c

    def linear_forward(x, W, b):
        y = gemm("NN", x, W, x.shape[0], W.shape[0], W.shape[1])
        t = time.perf_counter()
        y += b
        timer.add(("ew", "linear bias add", _shape(y)), time.perf_counter() - t, 2 * y.nbytes + b.nbytes)
        return y, (x, W)

    def linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
        x, W = cache
        gx = None
        if need_gx and W.shape[1] == 1:  # as nn/host.py's linear_backward: the outer product, broadcast
            t = time.perf_counter()
            gx = gy * W[:, 0]
            timer.add(("ew", "linear gx outer product", _shape(gx)), time.perf_counter() - t,
                      gx.nbytes + gy.nbytes + W.nbytes)
        elif need_gx:
            gx = gemm("NT", gy, W.T, gy.shape[0], W.shape[1], W.shape[0])
        gW = gemm("TN", x.T, gy, x.shape[1], x.shape[0], gy.shape[1]) if need_gW else None
        gb = None
        if need_gb:
            t = time.perf_counter()
            gb = gy.sum(axis=0)
            timer.add(("ew", "linear bias grad Σ_n gy", _shape(gy)), time.perf_counter() - t, gy.nbytes)
        return gx, gW, gb

    for owner, attr, new in ((F, "linear_forward", linear_forward), (F, "linear_backward", linear_backward)):
        undo.append((owner, attr, vars(owner)[attr]))
        setattr(owner, attr, new)
    undo.append((layers.Linear, "_backward", vars(layers.Linear)["_backward"]))
    layers.Linear._backward = staticmethod(linear_backward)

    def wrap(name, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            t = time.perf_counter()
            out = fn(*args, **kwargs)
            dt = time.perf_counter() - t
            arrays = [a for a in args if _is_array(a)]
            shape = _shape(arrays[0]) if arrays else "x".join(map(str, args[:2]))
            timer.add(("ew", name, shape), dt, _nbytes(args) + _nbytes(out))
            return out
        return timed

    wrapped = {}
    for path, attr in ELEMENTWISE:
        try:
            owner = importlib.import_module(path)
        except ImportError:
            module, _, cls = path.rpartition(".")
            owner = getattr(importlib.import_module(module), cls)
        raw = vars(owner)[attr]
        fn = raw.__func__ if isinstance(raw, staticmethod) else raw
        if id(fn) not in wrapped:
            wrapped[id(fn)] = (fn, wrap(fn.__name__, fn))
        new = wrapped[id(fn)][1]
        undo.append((owner, attr, raw))
        setattr(owner, attr, staticmethod(new) if isinstance(raw, staticmethod) else new)
    # the concatenation of real and fake, inline in the D step
    from npgan.gan import trainer as T
    real_concat = np.concatenate

    class XP:  # np, with concatenate timed
        def __getattr__(self, name):
            return getattr(np, name)

        @staticmethod
        def concatenate(arrays, *a, **k):
            t = time.perf_counter()
            out = real_concat(arrays, *a, **k)
            timer.add(("ew", "concatenate", _shape(out)), time.perf_counter() - t, 2 * out.nbytes)
            return out

    undo.append((T.GANTrainer, "xp", vars(T.GANTrainer)["xp"]))
    T.GANTrainer.xp = property(lambda self: XP())
    return undo


def restore(undo):
    """Put back what instrument_npgan patched, last patch first."""
    for owner, attr, raw in reversed(undo):
        setattr(owner, attr, raw)
