"""Grading a student's file: every exercise of a notebook (its `# EXERCISE:` cells) or of a plain module.

    results = grade("student/01_backprop_by_hand.py")         # prints one line per exercise
    passed = results and all(r.passed for r in results)

Each answer runs in a child process under a time limit (npgan.course.sandbox); the inputs are drawn and
the verdict is computed here, in the grader's process, from the numbers the child sends back.
A notebook is graded on all the exercises of the course notebook it is a copy of (npgan.course.exercises
.NOTEBOOKS), so that deleting a hard exercise's cell makes it MISSING, not absent from the count.
"""
import os

import numpy as np

from npgan.course.cells import find_exercises, notebook_cells
from npgan.course.exercises import EXERCISES, NOTEBOOKS, Result, judge, show
from npgan.course.sandbox import AnswerProcess
from npgan.settings import check_float

DEFAULT_TIMEOUT, MAX_TIMEOUT = 60.0, 3600.0  # seconds per exercise: a correct answer takes milliseconds


def _expected(found, only):
    """The exercises to grade in a notebook whose exercise cells are `found`: `only`, else those found and
    the others of their course notebook, in the course's order."""
    if only:
        return list(only)
    names = list(found)
    for exercises in NOTEBOOKS.values():
        if any(name in found for name in exercises):
            names += [name for name in exercises if name not in names]
    return names


def _failed(name, message):
    return Result(name, False, float("nan"), message)


def grade(path, only=None, log=print, timeout=DEFAULT_TIMEOUT):
    """Grade every exercise of a notebook (.py in jupytext percent format, or .ipynb) or of a plain module
    of answers (all exercises, or `only`). Prints one line per exercise; returns the list of Results.
    `timeout`: seconds each exercise may take (defining its cell and checking it), in (0, 3600]."""
    timeout = check_float("timeout", timeout, low=0, low_open=True, high=MAX_TIMEOUT)
    cells, is_notebook = notebook_cells(path)
    found = find_exercises(cells)
    if is_notebook and not found:
        log(f"{path}: this notebook has no exercises (no `# EXERCISE:` cell)")
        return []
    if is_notebook:
        names = _expected(found, only)
        sources = {name: (found[name], f"{path}:{name}") for name in names if name in found}
    else:  # a module of answers: every exercise, from the whole file, which runs once for all of them
        names = list(only) if only else list(EXERCISES)
        sources = {name: ("\n".join(cells), path) for name in names}
    log(f"grading {path}: {len(names)} exercise(s)")
    results, broken = [], {}  # broken: source -> why defining it failed (a module is not rerun per exercise)
    with AnswerProcess() as answers:
        for name in names:
            source = sources.get(name, (None,))[0]
            if name not in EXERCISES:
                result = _failed(name, "the grader has no check for this exercise")
            elif name not in sources:
                result = _failed(name, f"MISSING: no `# EXERCISE: {name}` cell in {os.path.basename(path)}")
            elif source in broken:
                result = _failed(name, broken[source])
            else:
                exercise = EXERCISES[name]
                inputs = exercise.make(np.random.default_rng(0))
                job = {"name": name, "source": source, "filename": sources[name][1], "inputs": inputs}
                outputs, defining = answers.run(job, exercise.returns, timeout)
                if defining:
                    broken[source] = outputs
                result = judge(name, inputs, outputs)
            results.append(result)
            log(show(result))
    log(f"{sum(r.passed for r in results)} of {len(results)} passed")
    return results
