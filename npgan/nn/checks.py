"""Argument checks for constructors (the edge validates, the core trusts).

Each check raises one clear line naming the owner, the argument and the allowed range, e.g.
"SGD: lr must be a finite number > 0, got -1.0"; a wrong type is a TypeError, a wrong value a ValueError.
"""
import math
import numbers


def check_int(owner, name, value, minimum):
    """An integer (not a bool) ≥ minimum; returned as a Python int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int >= {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value}")
    return int(value)


def check_number(owner, name, value, low=None, high=None, low_open=False, high_open=False):
    """A finite real number (not a bool) in the interval given by low/high (None: unbounded; *_open:
    that end excluded); returned as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a finite number{_interval(low, high, low_open, high_open)}, "
                        f"got {type(value).__name__} {value!r}")
    value = float(value)
    inside = math.isfinite(value)
    if inside and low is not None:
        inside = value > low if low_open else value >= low
    if inside and high is not None:
        inside = value < high if high_open else value <= high
    if not inside:
        raise ValueError(f"{owner}: {name} must be a finite number{_interval(low, high, low_open, high_open)}, "
                         f"got {value}")
    return value


def _interval(low, high, low_open, high_open):
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
