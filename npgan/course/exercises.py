"""The exercises and how each is checked: by central differences (npgan.gradcheck) in float64, or against
npgan's own implementation. Every check is seeded, so a grade reproduces.

    check("sigmoid_backward", sigmoid_backward)    # -> Result(name, passed, relative_error, message)
    grade(path)                                    # every exercise of a notebook or module, printed
"""
from collections import namedtuple

import numpy as np

from npgan.course.cells import find_exercises, notebook_cells
from npgan.gradcheck import gradcheck_function
from npgan.nn import functional as F
from npgan.nn import losses
from npgan.nn.module import Parameter
from npgan.optim import SGD

class Result(namedtuple("Result", "name passed relative_error message")):
    """One exercise's grade; str() is the grader's line for it."""

    def __str__(self):
        return show(self)


TOLERANCE = 1e-6  # for comparisons with the reference (float64 both sides)


def _sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _relative_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)  # float64: deliberate (grading)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))


def _from_gradcheck(name, report, what):
    return Result(name, report.passed, report.overall_relative_error, what)


def check_linear_backward(fn, rng):
    """f = Σ gy ⊙ (x W + b): gx, gW, gb by central differences."""
    x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    gy = rng.standard_normal((5, 3))
    gx, gW, gb = fn(gy, x, W)
    report = gradcheck_function(lambda: np.sum(gy * (x @ W + b)), {"x": x, "W": W, "b": b},
                                {"x": gx, "W": gW, "b": gb})
    return _from_gradcheck("linear_backward", report, "gx, gW, gb against central differences")


def check_sigmoid_backward(fn, rng):
    """f = Σ gy ⊙ σ(x): gx by central differences; float32 in, float32 out."""
    x, gy = 3.0 * rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    gx = fn(gy, _sigmoid(x))
    report = gradcheck_function(lambda: np.sum(gy * _sigmoid(x)), {"x": x}, {"x": gx})
    g32 = fn(gy.astype(np.float32), _sigmoid(x).astype(np.float32))
    if getattr(g32, "dtype", None) != np.float32:
        return Result("sigmoid_backward", False, report.overall_relative_error,
                      f"float32 inputs gave {getattr(g32, 'dtype', type(g32).__name__)}: use Python floats "
                      f"for constants (1.0 - y), not np.float64")
    return _from_gradcheck("sigmoid_backward", report, "gx against central differences")


def check_batchnorm_gx(fn, rng):
    """f = Σ gy ⊙ BN(x) with a random gy (all ones would hide a wrong gx), x shifted and scaled."""
    x = 5.0 * rng.standard_normal((8, 3)) + 12.0
    gamma, beta, gy = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal((8, 3))
    eps = 1e-5

    def batchnorm():
        mean = x.mean(axis=0)
        inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
        return (x - mean) * inv_std, inv_std

    x_hat, inv_std = batchnorm()
    gx = fn(gy, x_hat, inv_std, gamma)
    report = gradcheck_function(lambda: np.sum(gy * (gamma * batchnorm()[0] + beta)), {"x": x}, {"x": gx},
                                atol=1e-5, rtol=1e-4)
    return _from_gradcheck("batchnorm_gx", report, "gx against central differences, random upstream gradient")


def check_discriminator_loss_grad(fn, rng):
    """L_D = −mean log σ(a_real) − mean log(1 − σ(a_fake)): against central differences and npgan's loss."""
    real, fake = 2.0 * rng.standard_normal((6, 1)), 2.0 * rng.standard_normal((6, 1))
    g_real, g_fake = fn(real, fake)

    def loss():
        return np.mean(np.logaddexp(0.0, -real)) + np.mean(np.logaddexp(0.0, fake))

    report = gradcheck_function(loss, {"real_logits": real, "fake_logits": fake},
                                {"real_logits": g_real, "fake_logits": g_fake})
    _, want_real, want_fake = losses.discriminator_loss(real, fake)
    error = _relative_error(np.concatenate([np.ravel(g_real), np.ravel(g_fake)]),
                            np.concatenate([want_real.ravel(), want_fake.ravel()]))
    return Result("discriminator_loss_grad", report.passed and error < TOLERANCE,
                  max(report.overall_relative_error, error), "against central differences and npgan.nn.losses")


def check_sgd_momentum_update(fn, rng):
    """Three steps of v ← μv + g; p ← p − lr·v from v = 0, against npgan.optim.SGD (PyTorch's rule)."""
    p0, lr, mu = rng.standard_normal((3, 4)), 0.1, 0.9
    grads = [rng.standard_normal((3, 4)) for _ in range(3)]
    param = Parameter(p0.copy())
    reference = SGD([param], lr=lr, momentum=mu)
    p, v = p0.copy(), np.zeros_like(p0)
    for g in grads:
        param.grad = g.copy()
        reference.step()
        p, v = fn(p, g.copy(), v, lr, mu)
    error = _relative_error(np.asarray(p) - p0, param.data - p0)
    return Result("sgd_momentum_update", error < TOLERANCE, error, "3 steps against npgan.optim.SGD(momentum=0.9)")


EXERCISES = {
    "linear_backward": check_linear_backward,
    "sigmoid_backward": check_sigmoid_backward,
    "batchnorm_gx": check_batchnorm_gx,
    "discriminator_loss_grad": check_discriminator_loss_grad,
    "sgd_momentum_update": check_sgd_momentum_update,
}
REFERENCES = {  # npgan's own spelling of each exercise: what the tests grade as a known-good answer
    "linear_backward": lambda gy, x, W: F.linear_backward(gy, (x, W)),
    "sigmoid_backward": F.sigmoid_backward,
    "batchnorm_gx": lambda gy, x_hat, inv_std, gamma: F.batchnorm_backward(gy, (x_hat, inv_std, gamma))[0],
    "discriminator_loss_grad": lambda real, fake: losses.discriminator_loss(real, fake)[1:],
}


def check(name, fn, seed=0):
    """Grade one exercise: a Result, never an exception (a broken answer is a failed exercise)."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}: the grader knows {', '.join(EXERCISES)}")
    if not callable(fn):
        return Result(name, False, float("nan"), f"MISSING: no function {name} defined")
    try:
        with np.errstate(all="ignore"):
            return EXERCISES[name](fn, np.random.default_rng(seed))
    except NotImplementedError:
        return Result(name, False, float("nan"), "NOT IMPLEMENTED: replace the raise NotImplementedError line")
    except Exception as error:  # the student's code raised: report it as this exercise's failure
        return Result(name, False, float("nan"), f"ERROR: {type(error).__name__}: {error}")


def show(result):
    """One line: name, PASS/FAIL, relative error, what was checked (or what went wrong)."""
    verdict = "PASS" if result.passed else "FAIL"
    error = f"{result.relative_error:9.2e}" if result.relative_error == result.relative_error else f"{'-':>9}"
    return f"  {result.name:<26}{verdict}  rel. error {error}   {result.message}"


def _load(source, name, path):
    """Run the code of one cell (or module) with np imported; the function `name` it defines, or None."""
    namespace = {"np": np, "__name__": "exercise"}
    exec(compile(source, f"{path}:{name}", "exec"), namespace)  # the student's own code, on their machine
    return namespace.get(name)


def grade(path, only=None, log=print):
    """Grade every exercise of a notebook (its `# EXERCISE:` cells) or of a plain module (all exercises,
    or `only`). Prints one line per exercise; returns the list of Results."""
    sources, is_notebook = notebook_cells(path)
    cells = find_exercises(sources)
    if not cells and is_notebook:
        log(f"{path}: this notebook has no exercises (no `# EXERCISE:` cell)")
        return []
    if not cells:  # a module of answers: every exercise, from the whole file
        source = "\n".join(sources)
        cells = {name: source for name in EXERCISES}
    names = [name for name in cells if only is None or name in only]
    log(f"grading {path}: {len(names)} exercise(s)")
    results = []
    for name in names:
        if name not in EXERCISES:
            result = Result(name, False, float("nan"), "the grader has no check for this exercise")
        else:
            try:
                fn = _load(cells[name], name, path)
            except Exception as error:
                fn = error
            result = (Result(name, False, float("nan"), f"ERROR while defining it: {type(fn).__name__}: {fn}")
                      if isinstance(fn, Exception) else check(name, fn))
        results.append(result)
        log(show(result))
    passed = sum(r.passed for r in results)
    log(f"{passed} of {len(results)} passed")
    return results
