"""The course kit: exercises in the notebooks, a student version without solutions, and a grader.

In a notebook source (jupytext percent format, notebooks/*.py) an exercise is a code cell that starts
with a marker line and holds its solution between two more::

    # EXERCISE: sigmoid_backward
    def sigmoid_backward(gy, y):
        ### BEGIN SOLUTION
        return gy * y * (1.0 - y)
        ### END SOLUTION

    python -m npgan.course strip notebooks/01_backprop_by_hand.py -o student/   # solutions removed
    python -m npgan.course grade student/01_backprop_by_hand.py                 # pass/fail per exercise

`strip` replaces each solution by `raise NotImplementedError(...)`. It reads and checks every input and
output before writing anything, never writes over a source (links resolved), and replaces a student copy
that differs from what it would write only with `--force`. `grade` runs only the exercise cells (with `np`
imported for them), each in a child process with a time limit (`--timeout`, 60 s), and checks each
function by central differences (npgan.gradcheck) or against npgan's own implementation, printing the
relative error: the inputs are drawn and the verdict computed in the grader's process, so an answer that
exits, hangs, prints, or overwrites its inputs fails instead of passing or stopping the grader. A notebook
is graded on every exercise of the course notebook it copies; a plain module of answers (no markers) on
every exercise. It exits 0 only when every exercise passed, 1 otherwise.
`check(name, fn)` grades one function in this process: the notebooks' instant feedback.
"""
from npgan.course.cells import NotebookError, exercise_cells, strip_source
from npgan.course.exercises import EXERCISES, check
from npgan.course.grader import grade

__all__ = ["EXERCISES", "NotebookError", "check", "exercise_cells", "grade", "strip_source"]
