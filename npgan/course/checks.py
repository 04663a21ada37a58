"""What every exercise check shares: the verdict (`Result`), the answer's outputs as arrays of numbers,
shapes checked first and named, and relative errors computed in float64.

An answer's outputs travel from the process that ran it to the grader as arrays of plain numbers
(npgan.course.sandbox), so every check here reads arrays, never the answer's own objects.
"""
from collections import namedtuple

import numpy as np

TOLERANCE = 1e-6  # relative error allowed against a reference computed in float64
NUMBERS = tuple(np.dtype(code) for code in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"))


Exercise = namedtuple("Exercise", "make run judge returns variants hint")
Exercise.__doc__ = """One exercise: make(rng, **sizes) draws its inputs; run(fn, inputs) calls the answer on copies and
returns its outputs by name (`returns`); judge(inputs, outputs) gives the Result. `variants[0]` is the
check the notebook shows; the grader also runs the others (hidden). `hint`: the formula, shown after a
failed check in the notebook."""
Variant = namedtuple("Variant", "label seed sizes")
Variant.__doc__ = "One set of inputs: what it is (named in a failure), the seed it is drawn from, make's sizes."


class Result(namedtuple("Result", "name passed relative_error message")):
    """One exercise's grade; str() is the grader's line for it."""

    def __str__(self):
        return show(self)


class AnswerError(Exception):
    """An answer returned something the grader cannot use: too few values, or not arrays of numbers."""


def show(result):
    """One line: name, PASS/FAIL, relative error, what was checked (or what went wrong)."""
    verdict = "PASS" if result.passed else "FAIL"
    error = f"{result.relative_error:9.2e}" if result.relative_error == result.relative_error else f"{'-':>9}"
    return f"  {result.name:<30}{verdict}  rel. error {error}   {result.message}"


def failed(name, message):
    return Result(name, False, float("nan"), message)


def relative_error(got, want):
    """‖got − want‖ / ‖want‖ in float64 (‖want‖ floored at 1e-300); NaN anywhere in got gives NaN."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)  # float64: deliberate (grading)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))


def call(fn, *args):
    """fn on copies of its array arguments: what an answer does to them in place stays with it."""
    return fn(*[np.array(arg) if isinstance(arg, np.ndarray) else arg for arg in args])


def copies(inputs, names):
    """Fresh copies of the named inputs (a judge never works on arrays an answer could have touched)."""
    return [np.array(inputs[key]) for key in names.split()]


def returned(value, names, name):
    """{output name: value} from what the answer `name` returned (one value, or a tuple of them); the
    values in the order of `names` with `returned(...).values()`."""
    if len(names) == 1:
        return {names[0]: value}
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else f"a {type(value).__name__}"
        raise AnswerError(f"WRONG RETURN: {name} returned {got}; expected {len(names)}: {', '.join(names)}")
    return dict(zip(names, value))


def scalar(value):
    """A number the answer returned as a float, a 0-d array or a one-element array: a 0-d array (else as is,
    for the shape check to name)."""
    try:
        array = np.asarray(value)
    except Exception:
        return value
    return array.reshape(()) if array.size == 1 and array.dtype in NUMBERS else value


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
        arrays[key] = np.array(array, order="C")  # not ascontiguousarray: it makes a 0-d array 1-d
    return arrays


def shape_problem(outputs, shapes):
    """"WRONG SHAPE: ..." naming the first output whose shape is not the one expected, else None."""
    for key, shape in shapes.items():
        if outputs[key].shape != tuple(shape):
            return f"WRONG SHAPE: {key} has shape {outputs[key].shape}, expected {tuple(shape)}"
    return None


def not_finite(outputs, names):
    """"NOT FINITE: ..." naming the first output holding NaN or ±inf, else None."""
    for key in names:
        bad = ~np.isfinite(np.asarray(outputs[key], np.float64))
        if bad.any():
            return f"NOT FINITE: {key} holds {int(bad.sum())} NaN or infinite value(s)"
    return None


def first_problem(name, outputs, shapes):
    """A failed Result for the first output of the wrong shape or holding NaN/inf, else None."""
    problem = shape_problem(outputs, shapes) or not_finite(outputs, shapes)
    return failed(name, problem) if problem else None


def against(name, got, want, what, tolerance=TOLERANCE):
    """A Result comparing outputs with reference values, each a dict name -> array (relative error over
    all of them together)."""
    keys = list(want)
    error = relative_error(np.concatenate([np.ravel(got[key]) for key in keys]),
                           np.concatenate([np.ravel(want[key]) for key in keys]))
    return Result(name, error < tolerance, error, what)


def from_gradcheck(name, report, what):
    """A Result from a npgan.gradcheck report; a failure names the worst tensor."""
    if report.passed:
        return Result(name, True, report.overall_relative_error, what)
    worst = max(report.rows, key=lambda row: row["relative_error"] if row["passed"] is False else -1.0)
    return Result(name, False, report.overall_relative_error,
                  f"{what}: {worst['name']} is off (rel. error {worst['relative_error']:.2e}; at "
                  f"{worst['worst_index']}: yours {worst['analytic']:+.6e}, numeric {worst['numeric']:+.6e})")
