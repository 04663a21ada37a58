"""The exercises that measure distributions: D* and C(G) on a 1-D grid (notebook 02); the Fréchet distance,
the classes a classifier sees and the modes of a 2-D mixture a generator covers (notebook 04). Each is
checked against npgan's own implementation (npgan.theory, npgan.evaluation.metrics, npgan.data.toy) on
the notebook's inputs and on hidden ones chosen for the cases a first answer gets wrong: densities that
are both 0, supports that do not overlap, covariances that do not commute, a class right at the threshold.
"""
import math

import numpy as np

from npgan import theory
from npgan.course.checks import Exercise, Variant, against, call, copies, failed, first_problem, returned, scalar
from npgan.data import toy
from npgan.evaluation import metrics


# ---- D* and C(G) on a grid ------------------------------------------------------------------------------

def _densities(rng, kind="overlapping", n=401):
    """A grid and two densities on it: overlapping Gaussians (their parameters drawn), equal ones, two whose
    supports are disjoint boxes (0 over most of the grid), or one that vanishes where the other does not."""
    x = np.linspace(-6.0, 8.0, n)
    if kind == "overlapping":
        p_data = theory.gaussian_pdf(x, rng.uniform(-1, 1), rng.uniform(0.5, 1.5))
        p_g = theory.gaussian_pdf(x, rng.uniform(0, 2), rng.uniform(0.3, 1.0))
    elif kind == "equal":
        p_data = p_g = theory.gaussian_pdf(x, rng.uniform(-1, 1), rng.uniform(0.5, 1.5))
    else:
        left, right = (x > -3.0) & (x < -1.0), (x > 1.0) & (x < 2.0 + rng.uniform(0.5, 2.0))
        p_data = left / theory.integrate(left * 1.0, x)
        p_g = (right | left if kind == "nested" else right) * 1.0
        p_g = p_g / theory.integrate(p_g, x)
    return {"x": x, "p_data": np.array(p_data), "p_g": np.array(p_g)}


def _d_star_judge(inputs, out):
    name = "optimal_discriminator"
    x = inputs["x"]
    problem = first_problem(name, out, {"d_star": x.shape})
    if problem:
        if "NOT FINITE" in problem.message:
            return failed(name, problem.message + ": what is D* where p_data = p_g = 0 (0/0)? Any value is "
                                                  "optimal there; the convention is ½")
        return problem
    return against(name, out, {"d_star": theory.optimal_discriminator(inputs["p_data"], inputs["p_g"])},
                   "against npgan.theory.optimal_discriminator")


def _c_judge(inputs, out):
    name = "virtual_training_criterion"
    problem = first_problem(name, out, {"c": ()})
    if problem:
        if "NOT FINITE" in problem.message:
            return failed(name, problem.message + ": where a density is 0, its term p·log(...) is 0 (not 0·log 0 "
                                                  "= nan); and form 1 − D* as p_g/(p_data + p_g), not 1 − D*")
        return problem
    want = theory.virtual_training_criterion(inputs["p_data"], inputs["p_g"], inputs["x"])
    error = abs(float(out["c"]) - want) / max(1.0, abs(want))
    return against(name, {"c": float(out["c"])}, {"c": want}, "against npgan.theory.virtual_training_criterion")._replace(
        passed=error < 1e-6, relative_error=error)


# ---- FID, classes covered, modes covered -------------------------------------------------------------------

def _spd(rng, dim, scale):
    a = rng.standard_normal((dim, dim + 3))
    return scale * (a @ a.T) / (dim + 3)


def _fid_make(rng, dim=4, same=False):
    mu1, s1 = rng.standard_normal(dim), _spd(rng, dim, 1.0)
    mu2, s2 = (mu1.copy(), s1.copy()) if same else (mu1 + 0.5 * rng.standard_normal(dim), _spd(rng, dim, 2.0))
    return {"mu1": mu1, "s1": s1, "mu2": mu2, "s2": s2}


def _fid_judge(inputs, out):
    name = "frechet_distance"
    problem = first_problem(name, out, {"fid": ()})
    if problem:
        return problem
    mu1, s1, mu2, s2 = copies(inputs, "mu1 s1 mu2 s2")
    want = metrics.frechet_distance(mu1, s1, mu2, s2)
    error = abs(float(out["fid"]) - want) / max(1.0, abs(want))
    return against(name, {"fid": float(out["fid"])}, {"fid": want}, "against npgan.evaluation.metrics")._replace(
        passed=error < 1e-6, relative_error=error)


def _classes_make(rng, n=500, classes=10, edge=False):
    """Softmax outputs for n samples over `classes`: a few classes rare, one dropped; with `edge`, one
    class holds exactly 2 % of the argmaxes (covered: "at least 2 %")."""
    weights = rng.uniform(0.5, 1.5, classes)
    weights[rng.choice(classes, 3, replace=False)] = [0.0, 0.005, 0.03]
    labels = rng.choice(classes, n, p=weights / weights.sum())
    if edge:
        labels[labels == 0] = 1
        labels[:int(0.02 * n)] = 0
    logits = rng.standard_normal((n, classes))
    logits[np.arange(n), labels] += 8.0
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return {"probs": probs / probs.sum(axis=1, keepdims=True), "min_fraction": 0.02}


def _classes_judge(inputs, out):
    name = "classes_covered"
    problem = first_problem(name, out, {"covered": ()})
    if problem:
        return problem
    probs = np.array(inputs["probs"])
    want = metrics.mode_coverage(probs.argmax(axis=1), probs.shape[1], inputs["min_fraction"])["classes_covered"]
    ok = float(out["covered"]) == want
    return failed(name, f"{float(out['covered']):g} classes covered, expected {want}") if not ok else against(
        name, {"covered": float(out["covered"])}, {"covered": float(want)}, "against npgan.evaluation.metrics")


def _modes_make(rng, n=500, modes=8, kept=3, spread=1.0):
    """n samples from `kept` of the ring's `modes` modes, a fraction of them blurred by `spread` × std."""
    centres = toy.ring_centres(modes)
    std = 0.05
    which = rng.choice(modes, kept, replace=False)[rng.integers(0, kept, n)]
    scale = np.where(rng.random(n) < 0.7, std, 4.0 * std * spread)
    return {"samples": centres[which] + scale[:, None] * rng.standard_normal((n, 2)), "centres": centres, "std": std,
            "min_count": max(1, math.ceil(0.008 * n))}


def _modes_judge(inputs, out):
    name = "modes_covered"
    problem = first_problem(name, out, {"modes": (), "high_quality": ()})
    if problem:
        return problem
    want = toy.mode_coverage(inputs["samples"], inputs["centres"], inputs["std"], min_count=inputs["min_count"])
    if float(out["modes"]) != want.modes:
        return failed(name, f"{float(out['modes']):g} modes covered, expected {want.modes}")
    return against(name, {"high_quality": out["high_quality"]}, {"high_quality": want.high_quality},
                   "modes and high-quality fraction against npgan.data.toy.mode_coverage")


def _modes_run(fn, i):
    modes, high_quality = returned(call(fn, i["samples"], i["centres"], i["std"], i["min_count"]),
                                   ("modes", "high_quality"), "modes_covered").values()
    return {"modes": scalar(modes), "high_quality": scalar(high_quality)}


def _grid_run(fn, i):
    return {"d_star": call(fn, i["p_data"], i["p_g"])}


EXERCISES = {
    "optimal_discriminator": Exercise(
        _densities, _grid_run, _d_star_judge, ("d_star",),
        (Variant("the notebook's inputs", 0, {}), Variant("disjoint supports: both densities 0 on most of the grid", 1,
                                                           dict(kind="disjoint")),
         Variant("p_g > 0 wherever p_data > 0, and more", 2, dict(kind="nested"))),
        "D*(x) = p_data/(p_data + p_g) where p_data + p_g > 0, and ½ where both are 0"),
    "virtual_training_criterion": Exercise(
        _densities, lambda fn, i: {"c": scalar(call(fn, i["p_data"], i["p_g"], i["x"]))}, _c_judge, ("c",),
        (Variant("the notebook's inputs", 0, {}), Variant("p_g = p_data", 1, dict(kind="equal")),
         Variant("disjoint supports", 2, dict(kind="disjoint"))),
        "C(G) = ∫ p_data log(p_data/(p_data + p_g)) + ∫ p_g log(p_g/(p_data + p_g)), a term being 0 where its "
        "density is 0; integrate with T.integrate(f, x) (the trapezoid rule)"),
    "frechet_distance": Exercise(
        _fid_make, lambda fn, i: {"fid": scalar(call(fn, i["mu1"], i["s1"], i["mu2"], i["s2"]))}, _fid_judge, ("fid",),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 7 features", 1, dict(dim=7)),
         Variant("the same Gaussian twice (FID 0)", 2, dict(dim=5, same=True))),
        "‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁Σ₂)^½, and Tr (Σ₁Σ₂)^½ = Σᵢ √λᵢ with λᵢ the eigenvalues of Σ₁Σ₂ "
        "(real, ≥ 0 up to round-off: take the real part, clip at 0)"),
    "classes_covered": Exercise(
        _classes_make, lambda fn, i: {"covered": scalar(call(fn, i["probs"], i["min_fraction"]))}, _classes_judge,
        ("covered",),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 5 classes, 300 samples", 1, dict(n=300, classes=5)),
         Variant("a class with exactly 2 % of the samples", 2, dict(edge=True))),
        "labels = probs.argmax(axis=1); count the classes whose share of the labels is at least min_fraction"),
    "modes_covered": Exercise(
        _modes_make, _modes_run, _modes_judge, ("modes", "high_quality"),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 5 of the 8 modes, blurrier", 1,
                                                           dict(kept=5, spread=2.0)),
         Variant("a 12-mode ring, 900 samples", 2, dict(n=900, modes=12, kept=7))),
        "nearest centre of each sample; high quality when within 3 std of it; a mode is covered when at least "
        "min_count high-quality samples are nearest to it"),
}
