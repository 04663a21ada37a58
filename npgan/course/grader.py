"""Grading one student's file: every exercise of its assignment, on the notebook's inputs and on hidden ones.

    results = grade("student/01_backprop_by_hand.py")         # prints one line per exercise
    passed = results and all(r.passed for r in results)

Which exercises: those of the assignment (npgan.course.exercises.ASSIGNMENTS), not those the file holds,
so that deleting a hard exercise's cell makes it MISSING, not absent from the count. The assignment is
`assignment` when given, else the one whose name the file's name starts with ("02_algorithm1_in_1d.ipynb",
"02_algorithm1_in_1d-alice.py"), else the one most of the file's exercise cells belong to; a plain module
of answers whose name matches none is graded on every exercise of the course.

Each exercise is checked on its notebook's inputs and on its hidden variants (other seeds, other shapes,
unequal batch sizes); it passes when every check does, and a failure names the check. The answers run in
a child process (npgan.course.sandbox) under a time limit per exercise, all of its checks together, and
the whole file under another; the inputs are drawn and the verdict computed here.
"""
import os
import time

import numpy as np

from npgan.course.cells import find_exercises, notebook_cells
from npgan.course.checks import Result, failed, show
from npgan.course.exercises import ASSIGNMENTS, EXERCISES, judge
from npgan.course.sandbox import AnswerProcess
from npgan.course.submission import plan
from npgan.settings import SettingError, check_float

DEFAULT_TIMEOUT, MAX_TIMEOUT = 60.0, 3600.0  # seconds per exercise: a correct answer takes milliseconds
DEFAULT_SUBMISSION_TIMEOUT = 600.0  # seconds for all of one file's exercises


def find_assignment(name):
    """The assignment called `name` or starting with it ("02"); SettingError naming the choices otherwise."""
    matches = [key for key in ASSIGNMENTS if key == name or key.startswith(name)]
    if len(matches) != 1:
        raise SettingError("assignment", f"{name!r} names {'none' if not matches else 'several'} of the "
                                         f"assignments: {', '.join(ASSIGNMENTS)}")
    return matches[0]


def assignment_of(path, found):
    """The assignment a file belongs to: by its name, else by its exercise cells `found`; None if neither."""
    stem = os.path.splitext(os.path.basename(path))[0]
    for key in ASSIGNMENTS:
        if stem.startswith(key):
            return key
    overlap = {key: sum(name in found for name in exercises) for key, exercises in ASSIGNMENTS.items()}
    best = max(overlap, key=overlap.get)
    return best if overlap[best] else None


def expected_exercises(path, found, is_notebook, assignment=None, only=None):
    """(the assignment or None, the exercises to grade in the file) — see the module."""
    key = assignment or assignment_of(path, found)
    if only:
        return key, list(only)
    if key:
        return key, list(ASSIGNMENTS[key])
    return None, (list(found) if is_notebook else list(EXERCISES))


def _check_all(answers, name, run, timeout, file_end):
    """The Result of every check of the exercise `name` (visible first, then hidden), the first failure
    ending it, within `timeout` seconds for all of them and the file's end time; (the result, whether the
    answer failed while being defined)."""
    exercise, (source, where, helpers) = EXERCISES[name], run
    end, errors, message = time.monotonic() + timeout, [], ""
    for number, (label, seed, sizes) in enumerate(exercise.variants):
        inputs = exercise.make(np.random.default_rng(seed), **sizes)
        job = {"name": name, "source": source, "filename": where, "inputs": inputs}
        if helpers is not None:
            job["helpers"] = helpers
        left = min(end, file_end) - time.monotonic()
        if file_end < end and left <= 0:
            return failed(name, FILE_TIMEOUT), False
        outputs, defining = answers.run(job, exercise.returns, max(left, 1e-3), limit=timeout)
        if isinstance(outputs, str) and outputs.startswith("TIMEOUT") and file_end < end:
            outputs = FILE_TIMEOUT
        result = judge(name, inputs, outputs)
        if not result.passed:
            if number == 0 or defining:
                return result, defining
            return result._replace(message=f"hidden check {number} ({label}): {result.message}"), False
        errors.append(result.relative_error)
        message = message or result.message
    hidden = len(exercise.variants) - 1
    return Result(name, True, max(errors), message + (f" (+{hidden} hidden)" if hidden else "")), False


FILE_TIMEOUT = "TIMEOUT: the file's time (--submission-timeout) ran out during this exercise"


def grade(path, only=None, log=print, timeout=DEFAULT_TIMEOUT, assignment=None,
          submission_timeout=DEFAULT_SUBMISSION_TIMEOUT):
    """Grade every exercise of a file's assignment (see the module). Prints one line per exercise; returns
    the list of Results. `timeout`: seconds each exercise may take (defining its cell and all its checks),
    in (0, 3600]; `submission_timeout`: seconds for the whole file, in (0, 86400]."""
    timeout = check_float("timeout", timeout, low=0, low_open=True, high=MAX_TIMEOUT)
    submission_timeout = check_float("submission_timeout", submission_timeout, low=0, low_open=True, high=86400.0)
    cells, is_notebook = notebook_cells(path)
    found = find_exercises(cells)
    if is_notebook and not found and not assignment and not assignment_of(path, found):
        log(f"{path}: this notebook has no exercises (no `# EXERCISE:` cell)")
        return []
    key, names = expected_exercises(path, found, is_notebook, assignment, only)
    if is_notebook:
        runs = plan(cells, path)
    else:  # a module of answers: the whole file, run once for all of its exercises
        runs = {name: ("\n".join(cells), path, None) for name in names}
    log(f"grading {path}" + (f" as {key}" if key else "") + f": {len(names)} exercise(s)")
    file_end = time.monotonic() + submission_timeout
    results, broken = [], {}  # broken: source -> why defining it failed (a module is not rerun per exercise)
    with AnswerProcess() as answers:
        for name in names:
            if name not in EXERCISES:
                result = failed(name, "the grader has no check for this exercise")
            elif name not in runs:
                result = failed(name, f"MISSING: no `# EXERCISE: {name}` cell in {os.path.basename(path)}")
            elif runs[name][0] in broken:
                result = failed(name, broken[runs[name][0]])
            else:
                result, defining = _check_all(answers, name, runs[name], timeout, file_end)
                if defining and runs[name][2] is None:
                    broken[runs[name][0]] = result.message
            results.append(result)
            log(show(result))
    log(f"{sum(r.passed for r in results)} of {len(results)} passed")
    return results
