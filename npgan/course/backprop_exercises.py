"""Notebook 01's exercises: the backward passes of Linear, LeakyReLU, Sigmoid and BatchNorm, and a two-layer
net's loss and gradients built from them, each checked by central differences (npgan.gradcheck, float64,
random upstream gradients) on the visible inputs and on hidden ones (other seeds, other shapes).
"""
import numpy as np

from npgan.course.checks import (AnswerError, Exercise, Result, Variant, against, as_arrays, call, copies,
                                 first_problem, from_gradcheck, returned, scalar)
from npgan.gradcheck import away_from_zero, gradcheck_function


def _sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _leaky(x, slope):
    return np.where(x > 0, x, slope * x)


# ---- linear_backward(gy, x, W) -> gx, gW, gb ---------------------------------------------------------------

def _linear_make(rng, n=5, d_in=4, d_out=3):
    return {"x": rng.standard_normal((n, d_in)), "W": rng.standard_normal((d_in, d_out)),
            "b": rng.standard_normal(d_out), "gy": rng.standard_normal((n, d_out))}


def _linear_judge(inputs, out):
    """f = Σ gy ⊙ (x W + b): gx, gW, gb by central differences."""
    x, W, b, gy = copies(inputs, "x W b gy")
    return (first_problem("linear_backward", out, {"gx": x.shape, "gW": W.shape, "gb": b.shape}) or from_gradcheck(
        "linear_backward", gradcheck_function(lambda: np.sum(gy * (x @ W + b)), {"gx": x, "gW": W, "gb": b},
                                              {"gx": out["gx"], "gW": out["gW"], "gb": out["gb"]}),
        "gx, gW, gb against central differences"))


# ---- leaky_relu_backward(gy, y, slope) -> gx ---------------------------------------------------------------

def _leaky_make(rng, shape=(4, 6), slope=0.2):
    x = away_from_zero(2.0 * rng.standard_normal(shape))  # no kink within ε of an input
    return {"x": x, "y": _leaky(x, slope), "gy": rng.standard_normal(shape), "slope": slope}


def _leaky_judge(inputs, out):
    """f = Σ gy ⊙ LeakyReLU(x): gx by central differences."""
    x, gy = copies(inputs, "x gy")
    return first_problem("leaky_relu_backward", out, {"gx": x.shape}) or from_gradcheck(
        "leaky_relu_backward", gradcheck_function(lambda: np.sum(gy * _leaky(x, inputs["slope"])), {"gx": x},
                                                  {"gx": out["gx"]}),
        "gx against central differences")


# ---- sigmoid_backward(gy, y) -> gx ----------------------------------------------------------------------

def _sigmoid_make(rng, shape=(4, 6)):
    x, gy = 3.0 * rng.standard_normal(shape), rng.standard_normal(shape)
    return {"x": x, "gy": gy, "y": _sigmoid(x)}


def _sigmoid_run(fn, i):
    """Once in float64, once in float32 (which must stay float32)."""
    return {"gx": fn(*copies(i, "gy y")), "gx32": call(fn, i["gy"].astype(np.float32), i["y"].astype(np.float32))}


def _sigmoid_judge(inputs, out):
    """f = Σ gy ⊙ σ(x): gx by central differences; float32 in, float32 out."""
    x, gy = copies(inputs, "x gy")
    failed = first_problem("sigmoid_backward", out, {"gx": x.shape, "gx32": x.shape})
    if failed:
        return failed
    report = gradcheck_function(lambda: np.sum(gy * _sigmoid(x)), {"gx": x}, {"gx": out["gx"]})
    if out["gx32"].dtype != np.float32:
        return Result("sigmoid_backward", False, report.overall_relative_error,
                      f"float32 inputs gave {out['gx32'].dtype}: use Python floats for constants (1.0 - y), "
                      f"not np.float64")
    return from_gradcheck("sigmoid_backward", report, "gx against central differences")


# ---- batchnorm_gx(gy, x_hat, inv_std, gamma) -> gx ---------------------------------------------------------

def _batchnorm(x, eps=1e-5):
    """Training-mode BatchNorm without the affine part: x_hat and inv_std."""
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    return (x - x.mean(axis=0)) * inv_std, inv_std


def _batchnorm_make(rng, n=8, c=3):
    x = 5.0 * rng.standard_normal((n, c)) + 12.0  # shifted and scaled, so that x_hat ≈ x hides nothing
    gamma, beta, gy = rng.standard_normal(c), rng.standard_normal(c), rng.standard_normal((n, c))
    x_hat, inv_std = _batchnorm(x)
    return {"x": x, "gamma": gamma, "beta": beta, "gy": gy, "x_hat": x_hat, "inv_std": inv_std}


def _batchnorm_judge(inputs, out):
    """f = Σ gy ⊙ BN(x) with a random gy (all ones would hide a wrong gx)."""
    x, gamma, beta, gy = copies(inputs, "x gamma beta gy")
    return first_problem("batchnorm_gx", out, {"gx": x.shape}) or from_gradcheck(
        "batchnorm_gx", gradcheck_function(lambda: np.sum(gy * (gamma * _batchnorm(x)[0] + beta)), {"gx": x},
                                           {"gx": out["gx"]}, atol=1e-5, rtol=1e-4),
        "gx against central differences, random upstream gradient")


# ---- two_layer_net(params, x, t) -> loss, grads -------------------------------------------------------------

NET_PARAMS = ("W1", "b1", "W2", "b2")


def two_layer_loss(params, x, t, slope=0.2):
    """The reference: s = LeakyReLU(x W1 + b1) W2 + b2 (logits, (N, 1)); loss = mean softplus(s) − t·s."""
    s = _leaky(x @ params["W1"] + params["b1"], slope) @ params["W2"] + params["b2"]
    return float(np.mean(np.logaddexp(0.0, s) - t * s))


def _net_make(rng, n=8, d=2, h=5):
    params = {"W1": rng.standard_normal((d, h)), "b1": 0.5 * rng.standard_normal(h),
              "W2": rng.standard_normal((h, 1)), "b2": 0.5 * rng.standard_normal(1)}
    return {"params": params, "x": rng.standard_normal((n, d)), "t": (rng.random((n, 1)) < 0.5).astype(np.float64)}


def _net_run(fn, i):
    loss, grads = returned(call(fn, {key: np.array(value) for key, value in i["params"].items()}, i["x"], i["t"]),
                           ("loss", "grads"), "two_layer_net").values()
    if not isinstance(grads, dict) or not all(key in grads for key in NET_PARAMS):
        raise AnswerError(f"WRONG RETURN: grads must be a dict with the keys {', '.join(NET_PARAMS)}")
    return as_arrays({"loss": scalar(loss), **{"g" + key: grads[key] for key in NET_PARAMS}})


def _net_judge(inputs, out):
    """The loss against the reference, every parameter's gradient against central differences of it."""
    params = {key: np.array(value) for key, value in inputs["params"].items()}
    x, t = copies(inputs, "x t")
    failed = first_problem("two_layer_net", out, {"loss": (), **{"g" + key: params[key].shape for key in NET_PARAMS}})
    if failed:
        return failed
    value = against("two_layer_net", {"loss": out["loss"]}, {"loss": two_layer_loss(params, x, t)}, "")
    if not value.passed:
        return value._replace(message=f"the loss is off (rel. error {value.relative_error:.2e}): "
                                      f"loss = mean(softplus(s) − t·s)")
    report = gradcheck_function(lambda: two_layer_loss(params, x, t), {"g" + key: params[key] for key in NET_PARAMS},
                                {"g" + key: out["g" + key] for key in NET_PARAMS})
    return from_gradcheck("two_layer_net", report, "loss, and gW1, gb1, gW2, gb2 against central differences")


EXERCISES = {
    "linear_backward": Exercise(
        _linear_make, lambda fn, i: returned(call(fn, i["gy"], i["x"], i["W"]), ("gx", "gW", "gb"), "linear_backward"),
        _linear_judge, ("gx", "gW", "gb"),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 7 rows, 2 -> 6 features", 1, dict(n=7, d_in=2, d_out=6)),
         Variant("one row, 3 -> 5 features", 2, dict(n=1, d_in=3, d_out=5))),
        "gx = gy Wᵀ, gW = xᵀ gy, gb = gy summed over the rows (each gradient has its variable's shape)"),
    "leaky_relu_backward": Exercise(
        _leaky_make, lambda fn, i: {"gx": call(fn, i["gy"], i["y"], i["slope"])}, _leaky_judge, ("gx",),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, shape (3, 7), slope 0.01", 1,
                                                           dict(shape=(3, 7), slope=0.01))),
        "gx = gy where y > 0, slope · gy elsewhere (y > 0 exactly where x > 0)"),
    "sigmoid_backward": Exercise(
        _sigmoid_make, _sigmoid_run, _sigmoid_judge, ("gx", "gx32"),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, shape (5, 2)", 1, dict(shape=(5, 2)))),
        "σ'(x) = σ(x)(1 − σ(x)), so gx = gy · y · (1.0 − y)"),
    "batchnorm_gx": Exercise(
        _batchnorm_make, lambda fn, i: {"gx": call(fn, i["gy"], i["x_hat"], i["inv_std"], i["gamma"])},
        _batchnorm_judge, ("gx",),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 5 rows, 7 features", 1, dict(n=5, c=7)),
         Variant("16 rows, 2 features", 2, dict(n=16, c=2))),
        "gx = γ · inv_std · (gy − mean(gy) − x̂ · mean(gy ⊙ x̂)), means over the rows"),
    "two_layer_net": Exercise(
        _net_make, _net_run, _net_judge, ("loss",) + tuple("g" + key for key in NET_PARAMS),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 13 rows, 3 inputs, 4 hidden units", 1,
                                                           dict(n=13, d=3, h=4))),
        "gs = (σ(s) − t)/N; then linear_backward for W2, b2 and gh; leaky_relu_backward; linear_backward for "
        "W1, b1"),
}
