"""The course kit: exercises in the notebooks, a student version without solutions, and a grader for a class.

In a notebook source (jupytext percent format, notebooks/*.py) an exercise is a code cell that starts
with a marker line and holds its solution between two more; a written question's answer sits in a
markdown cell between two HTML comments::

    # EXERCISE: sigmoid_backward
    def sigmoid_backward(gy, y):
        ### BEGIN SOLUTION
        return gy * y * (1.0 - y)
        ### END SOLUTION

    # <!-- BEGIN ANSWER -->
    # The teacher's answer.
    # <!-- END ANSWER -->

    python -m npgan.course strip notebooks/0*.py -o student/           # solutions and answers removed
    python -m npgan.course grade submitted/ --csv grades.csv           # a class: one row per exercise

`strip` replaces each solution by `raise NotImplementedError(...)` and each answer by a place to write
one. It reads and checks every input and output before writing anything, never writes over a source
(links resolved), and replaces a student copy that differs from what it would write only with `--force`.

`grade` takes files and folders of submissions. Each file is graded on every exercise of its assignment
(`exercises.ASSIGNMENTS`, with the points), on the notebook's inputs and on hidden ones, in a child
process of its own under time limits; the answers' cells run after the imports, functions and constants
of the file's other cells, IPython magics removed. It prints one line per exercise and a summary table,
writes the CSV (`--csv`, atomically, an existing file replaced only with `--overwrite`), and exits 0 only
when every exercise of every file passed. `check(name, fn)` grades one function in this process on the
notebook's inputs: the notebooks' instant feedback, with a hint after a wrong answer.
"""
from npgan.course.cells import NotebookError, exercise_cells, strip_source
from npgan.course.classroom import grade_class
from npgan.course.exercises import ASSIGNMENTS, EXERCISES, check
from npgan.course.grader import grade

__all__ = ["ASSIGNMENTS", "EXERCISES", "NotebookError", "check", "exercise_cells", "grade", "grade_class",
           "strip_source"]
