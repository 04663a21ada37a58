"""Checking settings where they enter: each check returns the value in its canonical type or raises
:class:`SettingError`, whose `name` is the setting (a recipe field or a run option) so that a command line
can report it under its own flag (``--batch-size``), in one line, with the allowed range.

    check_int("epochs", 0)                 # SettingError: epochs: must be an integer >= 1, got 0
    check_float("lr", -1, low=0, low_open=True)
"""
from npgan.nn.checks import int_problem, number_problem


class SettingError(ValueError):
    """A setting is out of its range; `name` is the setting (a recipe field or a run option), so a command
    line can report it under its flag."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


def check_int(name, value, low=1, optional=False):
    """`value` as an int >= `low` (None allowed when optional), else SettingError."""
    if value is None and optional:
        return None
    problem = int_problem(value, low)
    if problem:
        raise SettingError(name, problem[1])
    return int(value)


def check_float(name, value, low=None, high=None, low_open=False, high_open=False, optional=False):
    """`value` as a finite float in the interval (bounds open or closed; None: unbounded), else SettingError."""
    if value is None and optional:
        return None
    problem = number_problem(value, low, high, low_open, high_open)
    if problem:
        raise SettingError(name, problem[1])
    return float(value)


def check_choice(name, value, choices):
    if value not in choices:
        raise SettingError(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value
