"""Checking settings where they enter: each check returns the value in its canonical type or raises
:class:`SettingError`, whose `name` is the setting (a recipe field or a run option) so that a command line
can report it under its own flag (``--batch-size``), in one line, with the allowed range.

    check_int("epochs", 0)                 # SettingError: epochs: must be an integer >= 1, got 0
    check_float("lr", -1, low=0, low_open=True)
"""
import os

from npgan.nn.checks import int_problem, number_problem


class SettingError(ValueError):
    """A setting is out of its range; `name` is the setting (a recipe field or a run option), so a command
    line can report it under its flag."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


def check_int(name, value, low=1, optional=False, high=None):
    """`value` as an int >= `low` (and <= `high`, where memory or time grows with it; None allowed when
    optional), else SettingError."""
    if value is None and optional:
        return None
    problem = int_problem(value, low)
    if problem:
        raise SettingError(name, problem[1])
    if high is not None and value > high:
        raise SettingError(name, f"must be an integer in [{low}, {high}], got {value}")
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


def same_file(a, b):
    """Whether two paths name the same file or folder (real paths: links and other spellings resolved)."""
    return os.path.realpath(a) == os.path.realpath(b)


def check_output_file(name, path, extensions, inputs=(), overwrite=False):
    """`path` as a file a command may write, checked before any work starts: its folder exists, it is not a
    folder, it ends in one of `extensions` (".png", ...), it is none of the files in `inputs` (by real path),
    and it does not exist yet unless `overwrite`. Returns it; SettingError (named `name`) otherwise."""
    if not path:
        raise SettingError(name, "needs a file name")
    if os.path.isdir(path):
        raise SettingError(name, f"{path!r} is a folder; give a file name ending in {' or '.join(extensions)}")
    if os.path.splitext(path)[1].lower() not in extensions:
        raise SettingError(name, f"{path!r} must end in {' or '.join(extensions)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SettingError(name, f"the folder {folder!r} of {path!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise SettingError(name, f"cannot write into the folder {folder!r} of {path!r}")
    for source in inputs:
        if source and os.path.exists(source) and same_file(path, source):
            raise SettingError(name, f"{path!r} is the input {source!r}: choose another file")
    if os.path.exists(path) and not overwrite:
        raise SettingError(name, f"{path!r} exists: pass --overwrite to replace it, or choose another file")
    return path
