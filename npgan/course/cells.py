"""Reading exercise cells from a notebook source (.py in jupytext percent format, or .ipynb), removing
their solutions and the written answers, and writing the student copies. Plain text handling only: no jupytext needed to strip
or to grade (only `strip --ipynb` uses it).

A file that is not a notebook the kit can read (not UTF-8 text, invalid JSON, no list of cells, a cell
without a type or a source, unbalanced solution markers) raises `NotebookError`, one line naming the file.
`strip` checks every input and every output before it writes anything, compares paths by what they
resolve to (links, `..`, hard links), and replaces a student copy that differs from what it would write
only when told to (`force`): an edited copy is a student's work.
"""
import json
import os
import re

from npgan.checkpoint import atomic_file
from npgan.settings import SettingError

EXERCISE = re.compile(r"^\s*# EXERCISE:\s*(\w+)\s*$")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_ANSWER, END_ANSWER = "<!-- BEGIN ANSWER -->", "<!-- END ANSWER -->"  # a written answer, in markdown
ANSWER_HERE = "*Your answer:* (write it here)"


class NotebookError(ValueError):
    """A file the course kit cannot read as a notebook or a module of answers; the message names it."""


def read_text(path):
    """The file's text: UTF-8 (a leading byte-order mark dropped), without NUL bytes."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotebookError(f"{path}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
                            f"a notebook is a .py or .ipynb text file") from None
    if "\x00" in text:
        raise NotebookError(f"{path}: a binary file (it holds NUL bytes), not a notebook")
    return text[1:] if text.startswith("\ufeff") else text


def _joined(source):
    """A cell's source as one string (nbformat allows a string or a list of lines), else None."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return None


def parse_ipynb(path, text):
    """The notebook's JSON, checked: a dict whose "cells" is a list of cells that each have a string
    "cell_type" and a "source" (a string or a list of strings)."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"{path}: not valid notebook JSON (line {error.lineno}, column {error.colno}: "
                            f"{error.msg})") from None
    except RecursionError:
        raise NotebookError(f"{path}: not a notebook (its JSON is nested too deeply)") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError(f'{path}: not a Jupyter notebook (no list of "cells" in it)')
    for number, cell in enumerate(notebook["cells"], 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f'{path}: cell {number} has no "cell_type"')
        if _joined(cell.get("source")) is None:
            raise NotebookError(f'{path}: cell {number} has no "source" (a string or a list of strings)')
    return notebook


def notebook_cells(path):
    """(the code cells' sources, whether the file is a notebook). An .ipynb, or a .py with jupytext `# %%`
    cell markers, is a notebook; any other .py is a plain module: one cell."""
    text = read_text(path)
    if path.endswith(".ipynb"):
        notebook = parse_ipynb(path, text)
        return [_joined(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"], True
    cells, current, markers = [], [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%"):
            markers = True
            cells.append("".join(current or []))
            current = [] if "[markdown]" not in line else None  # markdown cells are skipped
            continue
        if current is not None:
            current.append(line)
    cells.append("".join(current or []))
    return [cell for cell in cells if cell.strip()], markers


def find_exercises(cells):
    """{exercise name: the source of its cell}, in the order of the cells."""
    found = {}
    for cell in cells:
        for line in cell.splitlines():
            match = EXERCISE.match(line)
            if match:
                found[match.group(1)] = cell
                break
    return found


def exercise_cells(path):
    """{exercise name: the source of its cell}, in the order of the notebook."""
    return find_exercises(notebook_cells(path)[0])


def _marker(line):
    """What a line says once stripped of blanks and, in a .py source's markdown, of its leading '#'."""
    stripped = line.strip()
    if stripped.startswith("# <!--") or stripped.startswith("#<!--"):
        return stripped[1:].strip()
    return stripped


def strip_source(text, where="this notebook"):
    """`text` with every solution region (BEGIN to END SOLUTION, markers included) replaced by a
    `raise NotImplementedError` at the region's indentation, and every written answer (BEGIN to END ANSWER,
    in a markdown cell) by a line saying where the student's goes."""
    out, name, inside, answer = [], "this", False, False
    for line in text.splitlines(keepends=True):
        match = EXERCISE.match(line)
        if match:
            name = match.group(1)
        stripped, marker = line.strip(), _marker(line)
        if marker == BEGIN_ANSWER:
            if answer or inside:
                raise NotebookError(f"{where}: {BEGIN_ANSWER} inside another answer or solution")
            answer = True
            out.append(line[:line.index("<!--")] + ANSWER_HERE + "\n")
        elif marker == END_ANSWER:
            if not answer:
                raise NotebookError(f"{where}: {END_ANSWER} without {BEGIN_ANSWER}")
            answer = False
        elif answer:
            continue
        elif stripped == BEGIN:
            if inside:
                raise NotebookError(f"{where}: exercise {name}: {BEGIN} inside another solution")
            inside = True
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f'{indent}raise NotImplementedError("exercise {name}: write this part")\n')
        elif stripped == END:
            if not inside:
                raise NotebookError(f"{where}: exercise {name}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookError(f"{where}: exercise {name}: {BEGIN} without {END}")
    if answer:
        raise NotebookError(f"{where}: {BEGIN_ANSWER} without {END_ANSWER}")
    return "".join(out)


def student_copy(path):
    """The text of the student copy of `path`: solutions removed and, in an .ipynb, every output too
    (outputs would show the solutions at work)."""
    text = read_text(path)
    if not path.endswith(".ipynb"):
        return strip_source(text, path)
    notebook = parse_ipynb(path, text)
    for cell in notebook["cells"]:
        if cell["cell_type"] in ("code", "markdown"):  # solutions in code, written answers in markdown
            cell["source"] = strip_source(_joined(cell["source"]), path)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def same_path(a, b):
    """Whether two paths name one file: the same real path (symbolic links, `..` resolved), or, where
    both exist, the same file on disk (a hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def _check_folder(out_dir):
    """The output folder is a folder, or can be made one (its nearest existing ancestor is a folder)."""
    if not out_dir:
        raise SettingError("out", "needs a folder name")
    probe = os.path.abspath(out_dir)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        what = "is a file" if probe == os.path.abspath(out_dir) else f"is inside {probe}, a file"
        raise SettingError("out", f"{out_dir} {what}, not a folder")


def _unchanged(target, data, force):
    """True when `target` already holds `data`; False when it is new or `force` allows replacing it."""
    if os.path.isdir(target):
        raise SettingError("out", f"{target} is a folder, so the student copy cannot be written there")
    try:
        with open(target, "rb") as f:
            if f.read() == data:
                return True
    except FileNotFoundError:
        return False
    if not force:
        raise SettingError("out", f"{target} exists and differs from the student copy (edited by a student? "
                                  f"an older strip?): pass --force to replace it")
    return False


def plan_strip(paths, out_dir, ipynb=False, force=False):
    """[(target, bytes, unchanged)] for the student copies of `paths` in `out_dir`, every input read and
    every output checked first, so that a mistake found in the third notebook writes nothing at all.
    With `ipynb`, each .py source also gets an (unexecuted) .ipynb beside it, which needs jupytext."""
    _check_folder(out_dir)
    if ipynb and any(path.endswith(".py") for path in paths):
        try:
            import jupytext
        except ImportError:
            raise SettingError("ipynb", 'needs jupytext: pip install -e ".[notebooks]"') from None
    plan, claimed = [], {}
    for path in paths:
        text = student_copy(path)
        target = os.path.join(out_dir, os.path.basename(path))
        outputs = [(target, text)]
        if ipynb and path.endswith(".py"):
            notebook = jupytext.reads(text, fmt="py:percent")
            for number, cell in enumerate(notebook.cells, 1):  # not random ids: the same source, the same file
                cell["id"] = f"cell-{number}"
            outputs.append((target[:-3] + ".ipynb", jupytext.writes(notebook, fmt="ipynb")))
        for target, text in outputs:
            key = os.path.realpath(target)
            if key in claimed:
                raise SettingError("out", f"{claimed[key]} and {path} would both be written to {target}: "
                                          f"strip them into different folders")
            claimed[key] = path
            for source in paths:
                if same_path(target, source):
                    raise SettingError("out", f"the output {target} would overwrite the source {source}; "
                                              f"choose another -o folder")
            data = text.encode("utf-8")
            plan.append((target, data, _unchanged(target, data, force)))
    return plan


def write_plan(plan):
    """Write each planned student copy atomically (a reader sees the old file or the new one); an
    unchanged one is left alone."""
    for target, data, unchanged in plan:
        if not unchanged:
            with atomic_file(target, "wb") as f:
                f.write(data)


def strip_file(path, out_dir, ipynb=False, force=False):
    """Write the student version of `path` (.py or .ipynb) into `out_dir`; returns its path."""
    plan = plan_strip([path], out_dir, ipynb=ipynb, force=force)
    write_plan(plan)
    return plan[0][0]
