"""Finite-difference gradient checks: the teaching tool, and what the tests use.

    report = gradcheck(module, x)      # module and x in float64
    print(report)                      # one row per tensor: error, worst element, pass/fail
    assert report.passed

How it works. The scalar checked is f = Σ gy ⊙ module(x) with a *random* upstream gradient gy. (With gy all
ones, Σ BatchNorm(x) does not depend on x or γ at all, so a broken BatchNorm backward would pass.) The
analytic gradients come from one forward and backward; the numerical ones from central differences
(f(θ + ε) − f(θ − ε)) / 2ε, element by element for small tensors, and along a few random unit directions
d for large ones (two evaluations per direction instead of two per element), compared with gᵀd.
Element i passes when |analytic − numeric| ≤ atol + rtol·|numeric|.

Keep it deterministic and smooth: Dropout masks are frozen for the check, and inputs of ReLU/LeakyReLU
should sit away from 0 (the kink), which `away_from_zero` helps with.
"""
import numpy as np

from npgan import backend as B
from npgan.nn.layers import freeze_dropout
from npgan.nn.grad_mode import no_grad


class GradcheckReport:
    def __init__(self, rows):
        self.rows = rows

    @property
    def passed(self):
        return all(row["passed"] for row in self.rows)

    @property
    def max_relative_error(self):
        return max(row["relative_error"] for row in self.rows)

    @property
    def overall_relative_error(self):
        """‖analytic − numeric‖ / ‖numeric‖ over every checked number of every tensor together."""
        error = sum(row["squared_error"] for row in self.rows)
        norm = sum(row["squared_norm"] for row in self.rows)
        return (error / max(norm, 1e-300)) ** 0.5

    def __str__(self):
        lines = [f"{'tensor':<22}{'shape':<16}{'mode':<12}{'rel. error':>11}  worst element"]
        for r in self.rows:
            verdict = "ok  " if r["passed"] else "FAIL"
            lines.append(f"{r['name']:<22}{str(r['shape']):<16}{r['mode']:<12}{r['relative_error']:>11.2e}  "
                         f"{verdict} at {r['worst_index']}: analytic {r['analytic']:+.8e}, "
                         f"numeric {r['numeric']:+.8e} (atol {r['atol']:g}, rtol {r['rtol']:g})")
        return "\n".join(lines)

    __repr__ = __str__


def away_from_zero(x, margin=0.1):
    """Push values within `margin` of 0 out to ±margin, so no ReLU kink sits between x ± ε."""
    xp = B.get_array_module(x)
    sign = xp.where(x >= 0, 1.0, -1.0).astype(x.dtype)
    return xp.where(xp.abs(x) < margin, sign * margin, x)


def _compare(name, array, analytic, f, eps, atol, rtol, max_elementwise, directions, rng):
    """Numerical vs analytic gradient of f with respect to `array` (perturbed in place, then restored)."""
    if not array.flags.c_contiguous:
        raise ValueError(f"gradcheck: {name} must be C-contiguous so it can be perturbed in place")
    analytic = B.to_cpu(analytic).astype(np.float64).reshape(array.shape)
    if array.size <= max_elementwise:
        mode, flat = "elementwise", array.reshape(-1)
        numeric = np.empty(array.size)
        for i in range(array.size):
            original = flat[i].item()
            flat[i] = original + eps
            plus = f()
            flat[i] = original - eps
            minus = f()
            flat[i] = original
            numeric[i] = (plus - minus) / (2 * eps)
        expected, got = numeric, analytic.reshape(-1)
    else:
        mode = f"{directions} dirs"
        expected, got = np.empty(directions), np.empty(directions)
        for k in range(directions):
            d = rng.standard_normal(array.shape)
            d /= np.linalg.norm(d)
            step = B.to_device(d * eps, B.backend_of(array))
            array += step
            plus = f()
            array -= 2 * step
            minus = f()
            array += step
            expected[k] = (plus - minus) / (2 * eps)
            got[k] = float((analytic * d).sum())
    error = np.abs(got - expected)
    allowed = atol + rtol * np.abs(expected)
    worst = int(np.argmax(error - allowed))
    # Relative to the tolerance at least: a bias right before BatchNorm has a true gradient of 0, and
    # the ratio of two round-off-sized numbers would say nothing.
    scale = max(np.linalg.norm(got), np.linalg.norm(expected), atol)
    worst_index = (tuple(int(i) for i in np.unravel_index(worst, array.shape)) if mode == "elementwise"
                   else f"direction {worst}")
    return {"name": name, "shape": tuple(array.shape), "mode": mode, "passed": bool(np.all(error <= allowed)),
            "relative_error": float(np.linalg.norm(got - expected) / scale), "worst_index": worst_index,
            "squared_error": float(np.sum((got - expected) ** 2)), "squared_norm": float(np.sum(expected ** 2)),
            "analytic": float(got[worst]), "numeric": float(expected[worst]), "atol": atol, "rtol": rtol}


def gradcheck(module, x, gy=None, eps=1e-6, atol=1e-5, rtol=1e-4, max_elementwise=200, directions=3,
              seed=0, check_input=True, params=True):
    """Check module.backward against central differences; returns a GradcheckReport.

    The module and x must be float64 (`module.double()`, `x.astype(np.float64)`): in float32 the rounding
    error of f is ~1e-7·|f|, which ε = 1e-6 would amplify past any useful tolerance.
    """
    if x.dtype != np.float64 or any(p.data.dtype != np.float64 for p in module.parameters()):
        raise TypeError("gradcheck needs float64: call module.double() and pass x.astype(np.float64)")
    rng = np.random.default_rng(seed)
    xp = B.get_array_module(x)
    freeze_dropout(module, True)
    try:
        module.zero_grad()
        y = module(x)
        if gy is None:
            gy = B.to_device(rng.standard_normal(y.shape), B.backend_of(y))
        gx = module.backward(gy, need_input_grad=check_input)

        def f():
            with no_grad():
                return float(xp.sum(module(x) * gy))

        rows = []
        if check_input:
            rows.append(_compare("input", x, gx, f, eps, atol, rtol, max_elementwise, directions, rng))
        if params:
            for name, p in module.named_parameters():
                if p.requires_grad:
                    grad = p.grad if p.grad is not None else xp.zeros_like(p.data)
                    rows.append(_compare(name, p.data, grad, f, eps, atol, rtol, max_elementwise, directions, rng))
    finally:
        freeze_dropout(module, False)
    return GradcheckReport(rows)


def gradcheck_loss(criterion, pred, target, eps=1e-6, atol=1e-6, rtol=1e-5, max_elementwise=200, seed=0):
    """Check a criterion's backward() (dL/dpred) against central differences of its value."""
    if pred.dtype != np.float64:
        raise TypeError("gradcheck_loss needs float64 predictions")
    criterion(pred, target)
    analytic = criterion.backward()
    row = _compare("pred", pred, analytic, lambda: criterion(pred, target), eps, atol, rtol, max_elementwise,
                   3, np.random.default_rng(seed))
    return GradcheckReport([row])


def gradcheck_function(fn, inputs, analytic, eps=1e-6, atol=1e-6, rtol=1e-5, max_elementwise=200, seed=0):
    """Check analytic gradients of a scalar function `fn()` of the arrays in `inputs` (name -> array),
    e.g. the GAN objectives: `analytic` maps the same names to dfn/darray."""
    rng = np.random.default_rng(seed)
    rows = [_compare(name, array, analytic[name], lambda: float(fn()), eps, atol, rtol, max_elementwise, 3, rng)
            for name, array in inputs.items()]
    return GradcheckReport(rows)
