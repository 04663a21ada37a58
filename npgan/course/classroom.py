"""Grading a class: many submissions, one CSV of grades and a summary table, as nbgrader and Otter-Grader
hand them to a teacher.

    rows = grade_class(["submitted/"], csv_path="grades.csv")     # every .py and .ipynb under the folder

Each submission is graded by npgan.course.grader.grade in a child process of its own, under the per-exercise
and per-file time limits; a file found in a folder that cannot be read as a notebook is one row with the
reason, so one broken upload does not stop the class. The CSV has one row per submission and exercise:

    submission, exercise, points, passed, error, reason

`points` are the points earned (the assignment's points for the exercise when it passed, else 0),
`passed` is True or False, `error` the relative error of the check (empty when there is none), `reason`
what was checked or what went wrong. It is written atomically, and an existing file is replaced only with
`overwrite` (checked before any grading starts).
"""
import csv
import io
import os

from npgan.checkpoint import atomic_file
from npgan.course.cells import NotebookError, notebook_cells
from npgan.course.exercises import POINTS
from npgan.course.grader import DEFAULT_SUBMISSION_TIMEOUT, DEFAULT_TIMEOUT, grade
from npgan.settings import check_output_file

COLUMNS = ("submission", "exercise", "points", "passed", "error", "reason")
SKIPPED_FOLDERS = {".ipynb_checkpoints", "__pycache__"}


def submissions(paths):
    """The submission files named by `paths` (files, or folders searched recursively for .py and .ipynb,
    hidden files and checkpoint folders skipped), each once, in order; OSError for a path that is neither."""
    found, seen = [], set()
    for path in paths:
        if os.path.isdir(path):
            inside = []
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS)
                inside += [os.path.join(folder, name) for name in sorted(files)
                           if name.endswith((".py", ".ipynb")) and not name.startswith(".")]
            if not inside:
                raise FileNotFoundError(f"{path} holds no .py or .ipynb file")
        elif os.path.isfile(path):
            inside = [path]
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        for file in inside:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found


def rows_of(submission, results):
    """The CSV rows of one graded submission."""
    return [{"submission": submission, "exercise": r.name, "points": POINTS.get(r.name, 1) if r.passed else 0,
             "passed": r.passed, "error": "" if r.relative_error != r.relative_error else f"{r.relative_error:.3g}",
             "reason": r.message.replace("\n", " ")} for r in results]


def csv_text(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def summary(rows, log=print):
    """A table: one line per submission with its points, the possible points and the exercises it failed."""
    by_submission = {}
    for row in rows:
        by_submission.setdefault(row["submission"], []).append(row)
    width = max([len("submission")] + [len(name) for name in by_submission])
    log(f"\n{'submission':<{width}}  {'points':>9}  {'passed':>8}  failed")
    for name, its in by_submission.items():
        possible = sum(POINTS.get(row["exercise"], 1) for row in its if row["exercise"] != "-")
        failed = [row["exercise"] for row in its if not row["passed"]]
        log(f"{name:<{width}}  {sum(row['points'] for row in its):>4} / {possible:<2}  "
            f"{sum(row['passed'] for row in its):>3} / {len(its):<2}  {', '.join(failed) or '-'}")


def grade_class(paths, csv_path=None, overwrite=False, log=print, timeout=DEFAULT_TIMEOUT, assignment=None,
                only=None, submission_timeout=DEFAULT_SUBMISSION_TIMEOUT):
    """Grade every submission under `paths`, print each one's lines and a summary table, write the CSV
    (if `csv_path`); returns the rows. Files named directly must be notebooks (NotebookError otherwise);
    a file found in a folder that is not one is a row saying so."""
    if csv_path:
        check_output_file("csv", csv_path, (".csv",), overwrite=overwrite)
    files = submissions(paths)
    named = {os.path.realpath(path) for path in paths if os.path.isfile(path)}
    for path in files:  # a file named on the command line is the user's mistake if it is no notebook: say so now
        if os.path.realpath(path) in named:
            notebook_cells(path)
    rows = []
    for path in files:
        try:
            results = grade(path, only=only, log=log, timeout=timeout, assignment=assignment,
                            submission_timeout=submission_timeout)
        except NotebookError as error:
            if os.path.realpath(path) in named:
                raise
            log(f"{path}: not graded: {error}")
            rows.append({"submission": path, "exercise": "-", "points": 0, "passed": False, "error": "",
                         "reason": f"NOT A NOTEBOOK: {error}"})
            continue
        rows += rows_of(path, results) if results else [
            {"submission": path, "exercise": "-", "points": 0, "passed": False, "error": "",
             "reason": "no exercises: no `# EXERCISE:` cell and no assignment matches its name (--assignment)"}]
    if len(files) > 1 or csv_path:
        summary(rows, log)
    if csv_path:
        check_output_file("csv", csv_path, (".csv",), overwrite=overwrite)  # appeared while grading?
        with atomic_file(csv_path, "w") as f:
            f.write(csv_text(rows))
        log(f"wrote {csv_path} ({len(rows)} rows, {len(files)} submission(s))")
    return rows
