"""The exercises and how each is checked: by central differences (npgan.gradcheck) in float64, or against
npgan's own implementation. Every check is seeded, so a grade reproduces.

    check("sigmoid_backward", sigmoid_backward)    # -> Result(name, passed, relative_error, message)

An exercise is three steps, kept apart so that an answer never touches what it is judged against:

    make(rng)               the inputs, from a seeded generator;
    run(fn, inputs)         the answer called on copies of them: its outputs, by name;
    judge(inputs, outputs)  the outputs' shapes, then their values against central differences of the
                            pristine inputs or against npgan's implementation.

`check` does all three in this process (the notebooks' instant feedback); the grader (npgan.course.grader)
runs `run` in a child process and `make` and `judge` in its own, on outputs it received as plain numbers.
"""
from collections import namedtuple

import numpy as np

from npgan.gradcheck import gradcheck_function
from npgan.nn import functional as F
from npgan.nn import losses
from npgan.nn.module import Parameter
from npgan.optim import SGD


class Result(namedtuple("Result", "name passed relative_error message")):
    """One exercise's grade; str() is the grader's line for it."""

    def __str__(self):
        return show(self)


class AnswerError(Exception):
    """An answer returned something the grader cannot use: too few values, or not arrays of numbers."""


Exercise = namedtuple("Exercise", "make run judge returns")
TOLERANCE = 1e-6  # for comparisons with the reference (float64 both sides)
NUMBERS = tuple(np.dtype(code) for code in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"))


def _sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _relative_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)  # float64: deliberate (grading)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))


def _call(fn, *args):
    """fn on copies of its array arguments: what an answer does to them in place stays with it."""
    return fn(*[np.array(arg) if isinstance(arg, np.ndarray) else arg for arg in args])


def _returned(value, names, name):
    """{output name: value} from what the answer `name` returned (one value, or a tuple of them)."""
    if len(names) == 1:
        return {names[0]: value}
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else f"a {type(value).__name__}"
        raise AnswerError(f"WRONG RETURN: {name} returned {got}; expected {len(names)}: {', '.join(names)}")
    return dict(zip(names, value))


def as_arrays(outputs):
    """The outputs as contiguous arrays of real numbers in the machine's byte order (AnswerError if not)."""
    arrays = {}
    for key, value in outputs.items():
        try:
            array = np.asarray(value)
        except Exception:
            raise AnswerError(f"WRONG RETURN: {key} is a {type(value).__name__}, not an array") from None
        array = array.astype(array.dtype.newbyteorder("="), copy=False)
        if array.dtype not in NUMBERS:
            raise AnswerError(f"WRONG RETURN: {key} is not an array of real numbers (dtype {array.dtype})")
        arrays[key] = np.ascontiguousarray(array)
    return arrays


def _shape_problem(outputs, shapes):
    """"WRONG SHAPE: ..." naming the first output whose shape is not the one expected, else None."""
    for key, shape in shapes.items():
        if outputs[key].shape != tuple(shape):
            return f"WRONG SHAPE: {key} has shape {outputs[key].shape}, expected {tuple(shape)}"
    return None


def _wrong_shape(name, outputs, shapes):
    """A failed Result for the first output whose shape is not the one expected, else None."""
    problem = _shape_problem(outputs, shapes)
    return Result(name, False, float("nan"), problem) if problem else None


def _from_gradcheck(name, report, what):
    return Result(name, report.passed, report.overall_relative_error, what)


def _copies(inputs, names):
    return [np.array(inputs[key]) for key in names.split()]


def _linear_make(rng):
    x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    return {"x": x, "W": W, "b": b, "gy": rng.standard_normal((5, 3))}


def _linear_judge(inputs, out):
    """f = Σ gy ⊙ (x W + b): gx, gW, gb by central differences."""
    x, W, b, gy = _copies(inputs, "x W b gy")
    return (_wrong_shape("linear_backward", out, {"gx": x.shape, "gW": W.shape, "gb": b.shape}) or _from_gradcheck(
        "linear_backward", gradcheck_function(lambda: np.sum(gy * (x @ W + b)), {"x": x, "W": W, "b": b},
                                              {"x": out["gx"], "W": out["gW"], "b": out["gb"]}),
        "gx, gW, gb against central differences"))


def _sigmoid_make(rng):
    x, gy = 3.0 * rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    return {"x": x, "gy": gy, "y": _sigmoid(x)}


def _sigmoid_run(fn, i):
    """Once in float64, once in float32 (which must stay float32)."""
    return {"gx": fn(*_copies(i, "gy y")), "gx32": _call(fn, i["gy"].astype(np.float32), i["y"].astype(np.float32))}


def _sigmoid_judge(inputs, out):
    """f = Σ gy ⊙ σ(x): gx by central differences; float32 in, float32 out."""
    x, gy = _copies(inputs, "x gy")
    failed = _wrong_shape("sigmoid_backward", out, {"gx": x.shape, "gx32": x.shape})
    if failed:
        return failed
    report = gradcheck_function(lambda: np.sum(gy * _sigmoid(x)), {"x": x}, {"x": out["gx"]})
    if out["gx32"].dtype != np.float32:
        return Result("sigmoid_backward", False, report.overall_relative_error,
                      f"float32 inputs gave {out['gx32'].dtype}: use Python floats for constants (1.0 - y), "
                      f"not np.float64")
    return _from_gradcheck("sigmoid_backward", report, "gx against central differences")


def _batchnorm(x, eps=1e-5):
    """Training-mode BatchNorm without the affine part: x_hat and inv_std."""
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    return (x - x.mean(axis=0)) * inv_std, inv_std


def _batchnorm_make(rng):
    x = 5.0 * rng.standard_normal((8, 3)) + 12.0  # shifted and scaled, so that x_hat ≈ x hides nothing
    gamma, beta, gy = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal((8, 3))
    x_hat, inv_std = _batchnorm(x)
    return {"x": x, "gamma": gamma, "beta": beta, "gy": gy, "x_hat": x_hat, "inv_std": inv_std}


def _batchnorm_judge(inputs, out):
    """f = Σ gy ⊙ BN(x) with a random gy (all ones would hide a wrong gx)."""
    x, gamma, beta, gy = _copies(inputs, "x gamma beta gy")
    return _wrong_shape("batchnorm_gx", out, {"gx": x.shape}) or _from_gradcheck(
        "batchnorm_gx", gradcheck_function(lambda: np.sum(gy * (gamma * _batchnorm(x)[0] + beta)), {"x": x},
                                           {"x": out["gx"]}, atol=1e-5, rtol=1e-4),
        "gx against central differences, random upstream gradient")


def _discriminator_make(rng):
    return {"real": 2.0 * rng.standard_normal((6, 1)), "fake": 2.0 * rng.standard_normal((6, 1))}


def _discriminator_judge(inputs, out):
    """L_D = −mean log σ(a_real) − mean log(1 − σ(a_fake)): against central differences and npgan's loss."""
    real, fake = _copies(inputs, "real fake")
    failed = _wrong_shape("discriminator_loss_grad", out, {"g_real": real.shape, "g_fake": fake.shape})
    if failed:
        return failed
    report = gradcheck_function(lambda: np.mean(np.logaddexp(0.0, -real)) + np.mean(np.logaddexp(0.0, fake)),
                                {"real_logits": real, "fake_logits": fake},
                                {"real_logits": out["g_real"], "fake_logits": out["g_fake"]})
    _, want_real, want_fake = losses.discriminator_loss(real, fake)
    error = _relative_error(np.concatenate([out["g_real"].ravel(), out["g_fake"].ravel()]),
                            np.concatenate([want_real.ravel(), want_fake.ravel()]))
    return Result("discriminator_loss_grad", report.passed and error < TOLERANCE,
                  max(report.overall_relative_error, error), "against central differences and npgan.nn.losses")


def _sgd_make(rng):
    p0 = rng.standard_normal((3, 4))
    return {"p0": p0, "grads": [rng.standard_normal((3, 4)) for _ in range(3)], "lr": 0.1, "mu": 0.9}


def _sgd_run(fn, i):
    """Three steps from v = 0, each on copies of what the previous step returned."""
    p, v = np.array(i["p0"]), np.zeros_like(i["p0"])
    for g in i["grads"]:
        step = as_arrays(_returned(_call(fn, p, g, v, i["lr"], i["mu"]), ("p", "v"), "sgd_momentum_update"))
        problem = _shape_problem(step, {"p": p.shape, "v": p.shape})
        if problem:  # before the next step turns it into a broadcasting error
            raise AnswerError(problem)
        p, v = step["p"], step["v"]
    return {"p": p, "v": v}


def _sgd_judge(inputs, out):
    """Three steps of v ← μv + g; p ← p − lr·v from v = 0, against npgan.optim.SGD (PyTorch's rule)."""
    p0 = np.array(inputs["p0"])
    failed = _wrong_shape("sgd_momentum_update", out, {"p": p0.shape, "v": p0.shape})
    if failed:
        return failed
    param = Parameter(p0.copy())
    reference = SGD([param], lr=inputs["lr"], momentum=inputs["mu"])
    for g in inputs["grads"]:
        param.grad = np.array(g)
        reference.step()
    error = _relative_error(out["p"] - p0, param.data - p0)
    return Result("sgd_momentum_update", error < TOLERANCE, error, "3 steps against npgan.optim.SGD(momentum=0.9)")


EXERCISES = {
    "linear_backward": Exercise(_linear_make, lambda fn, i: _returned(_call(fn, i["gy"], i["x"], i["W"]),
                                                                      ("gx", "gW", "gb"), "linear_backward"),
                                _linear_judge, ("gx", "gW", "gb")),
    "sigmoid_backward": Exercise(_sigmoid_make, _sigmoid_run, _sigmoid_judge, ("gx", "gx32")),
    "batchnorm_gx": Exercise(_batchnorm_make, lambda fn, i: {"gx": _call(fn, i["gy"], i["x_hat"], i["inv_std"],
                                                                         i["gamma"])},
                             _batchnorm_judge, ("gx",)),
    "discriminator_loss_grad": Exercise(_discriminator_make,
                                        lambda fn, i: _returned(_call(fn, i["real"], i["fake"]), ("g_real", "g_fake"),
                                                                "discriminator_loss_grad"),
                                        _discriminator_judge, ("g_real", "g_fake")),
    "sgd_momentum_update": Exercise(_sgd_make, _sgd_run, _sgd_judge, ("p", "v")),
}
NOTEBOOKS = {  # the exercises of each notebook: a student's copy of one is graded on all of its exercises
    "01_backprop_by_hand": ("linear_backward", "sigmoid_backward", "batchnorm_gx"),
    "02_algorithm1_in_1d": ("discriminator_loss_grad", "sgd_momentum_update"),
}
REFERENCES = {  # npgan's own spelling of each exercise: what the tests grade as a known-good answer
    "linear_backward": lambda gy, x, W: F.linear_backward(gy, (x, W)),
    "sigmoid_backward": F.sigmoid_backward,
    "batchnorm_gx": lambda gy, x_hat, inv_std, gamma: F.batchnorm_backward(gy, (x_hat, inv_std, gamma))[0],
    "discriminator_loss_grad": lambda real, fake: losses.discriminator_loss(real, fake)[1:],
}


def exit_status(error):
    """The status a SystemExit would have given the process (None is 0, a message is 1)."""
    return 0 if error.code is None else error.code if isinstance(error.code, int) else 1


def outputs_of(name, fn, inputs):
    """The answer `fn` run on (copies of) `inputs`: its outputs as arrays, or the one-line reason why not."""
    if not callable(fn):
        return f"MISSING: no function {name} defined"
    try:
        with np.errstate(all="ignore"):
            return as_arrays(EXERCISES[name].run(fn, inputs))
    except NotImplementedError:
        return "NOT IMPLEMENTED: replace the raise NotImplementedError line"
    except AnswerError as error:
        return str(error)
    except SystemExit as error:
        return f"EXITED with status {exit_status(error)} while being checked (sys.exit)"
    except Exception as error:  # the student's code raised: report it as this exercise's failure
        return f"ERROR: {type(error).__name__}: {error}"


def judge(name, inputs, outputs):
    """The Result for outputs of the answer `name` on `inputs` (or the reason it gave none, a string)."""
    if isinstance(outputs, str):
        return Result(name, False, float("nan"), outputs)
    with np.errstate(all="ignore"):
        return EXERCISES[name].judge(inputs, outputs)


def check(name, fn, seed=0):
    """Grade one exercise in this process: a Result, never an exception (a broken answer is a failed
    exercise). The answer gets copies of the inputs; an answer that loops forever hangs it (the grader,
    `python -m npgan.course grade`, runs answers in a child process with a time limit)."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}: the grader knows {', '.join(EXERCISES)}")
    inputs = EXERCISES[name].make(np.random.default_rng(seed))
    return judge(name, inputs, outputs_of(name, fn, inputs))


def show(result):
    """One line: name, PASS/FAIL, relative error, what was checked (or what went wrong)."""
    verdict = "PASS" if result.passed else "FAIL"
    error = f"{result.relative_error:9.2e}" if result.relative_error == result.relative_error else f"{'-':>9}"
    return f"  {result.name:<26}{verdict}  rel. error {error}   {result.message}"
