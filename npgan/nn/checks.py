"""Argument checks for constructors (the edge validates, the core trusts).

Each check raises one clear line naming the owner, the argument and the allowed range, e.g.
"SGD: lr must be a finite number > 0, got -1.0"; a wrong type is a TypeError, a wrong value a ValueError.
`int_problem` and `number_problem` say what is wrong without raising: npgan.settings builds its checks of
recipe fields and run options (`check_int`, `check_float`, raising SettingError) on them.
"""
import math
import numbers

import numpy as np


def int_problem(value, minimum):
    """None when `value` is an int (not a bool) >= minimum, else (exception type, "must be ..., got ...")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return TypeError, f"must be an integer >= {minimum}, got {type(value).__name__} {value!r}"
    if value < minimum:
        return ValueError, f"must be an integer >= {minimum}, got {value}"
    return None


def number_problem(value, low=None, high=None, low_open=False, high_open=False):
    """None when `value` is a finite real number (not a bool) in the interval given by low/high (None:
    unbounded; *_open: that end excluded), else (exception type, "must be ..., got ...")."""
    span = _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return TypeError, f"must be a finite number{span}, got {type(value).__name__} {value!r}"
    value = float(value)
    inside = math.isfinite(value)
    if inside and low is not None:
        inside = value > low if low_open else value >= low
    if inside and high is not None:
        inside = value < high if high_open else value <= high
    return None if inside else (ValueError, f"must be a finite number{span}, got {value}")


def check_int_at_least(owner, name, value, minimum):
    """An integer (not a bool) >= minimum; returned as a Python int."""
    _raise(owner, name, int_problem(value, minimum))
    return int(value)


def check_number(owner, name, value, low=None, high=None, low_open=False, high_open=False):
    """A finite real number in the interval (see number_problem); returned as a Python float."""
    _raise(owner, name, number_problem(value, low, high, low_open, high_open))
    return float(value)


def _raise(owner, name, problem):
    if problem:
        raise problem[0](f"{owner}: {name} {problem[1]}")


def scalar(value):
    """A saved hyper-parameter or counter as a Python number (checkpoints store them as 0-d arrays)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return tuple(v.item() for v in value)
    return value


def _interval(low, high, low_open, high_open):
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
