"""Checking settings where they enter: each check returns the value in its canonical type or raises
:class:`SettingError`, whose `name` is the setting (a recipe field or a run option) so that a command line
can report it under its own flag (``--batch-size``), in one line, with the allowed range.

    check_int("epochs", 0)                 # SettingError: epochs: must be an integer >= 1, got 0
    check_float("lr", -1, low=0, low_open=True)
"""
import math

import numpy as np


class SettingError(ValueError):
    """A setting is out of its range; `name` is the setting (a recipe field or a run option), so a command
    line can report it under its flag."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


def check_int(name, value, low=1, optional=False):
    """`value` as an int ≥ `low` (None allowed when optional), else SettingError."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise SettingError(name, f"must be an integer >= {low}, got {value!r}")
    return int(value)


def check_float(name, value, low=None, high=None, low_open=False, high_open=False, optional=False):
    """`value` as a finite float in the interval (bounds open or closed; None: unbounded), else SettingError."""
    if value is None and optional:
        return None
    number = float(value) if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) else None
    inside = number is not None and math.isfinite(number)
    if inside and low is not None:
        inside = number > low if low_open else number >= low
    if inside and high is not None:
        inside = number < high if high_open else number <= high
    if not inside:
        raise SettingError(name, f"must be a finite number {_span(low, high, low_open, high_open)}, got {value!r}")
    return number


def _span(low, high, low_open, high_open):
    """"> 0", "<= 1" or "in [0, 1)"."""
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}" if low is not None else ""
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_choice(name, value, choices):
    if value not in choices:
        raise SettingError(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value
