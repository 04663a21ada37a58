"""Reading exercise cells from a notebook source (.py in jupytext percent format, or .ipynb) and removing
their solutions. Plain text handling only: no jupytext needed to strip or to grade."""
import json
import os
import re

EXERCISE = re.compile(r"^\s*# EXERCISE:\s*(\w+)\s*$")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def read_cells(path):
    """The code cells of a notebook as a list of source strings. A .py without `# %%` cell markers is a
    plain module: one cell."""
    if path.endswith(".ipynb"):
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
        return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    cells, current = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%"):
            cells.append("".join(current or []))
            current = [] if "[markdown]" not in line else None  # markdown cells are skipped
            continue
        if current is not None:
            current.append(line)
    cells.append("".join(current or []))
    return [cell for cell in cells if cell.strip()]


def is_notebook(path):
    """An .ipynb, or a .py with jupytext `# %%` cell markers (anything else is a plain module)."""
    if path.endswith(".ipynb"):
        return True
    with open(path, encoding="utf-8") as f:
        return any(line.startswith("# %%") for line in f)


def exercise_cells(path):
    """{exercise name: the source of its cell}, in the order of the notebook."""
    found = {}
    for cell in read_cells(path):
        for line in cell.splitlines():
            match = EXERCISE.match(line)
            if match:
                found[match.group(1)] = cell
                break
    return found


def strip_source(text):
    """`text` with every solution region (BEGIN to END SOLUTION, markers included) replaced by a
    `raise NotImplementedError` at the region's indentation."""
    out, name, inside = [], "this", False
    for line in text.splitlines(keepends=True):
        match = EXERCISE.match(line)
        if match:
            name = match.group(1)
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"exercise {name}: {BEGIN} inside another solution")
            inside = True
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f'{indent}raise NotImplementedError("exercise {name}: write this part")\n')
        elif stripped == END:
            if not inside:
                raise ValueError(f"exercise {name}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"exercise {name}: {BEGIN} without {END}")
    return "".join(out)


def strip_file(path, out_dir, ipynb=False):
    """Write the student version of `path` (.py or .ipynb) into `out_dir`; returns its path. With
    `ipynb`, a .py source is also written as an (unexecuted) .ipynb beside it, which needs jupytext."""
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, os.path.basename(path))
    if os.path.abspath(target) == os.path.abspath(path):
        raise ValueError(f"strip: the output {target} would overwrite the source; choose another -o folder")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".ipynb"):
        notebook = json.loads(text)
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                cell["source"] = strip_source("".join(cell["source"]))
                cell["outputs"], cell["execution_count"] = [], None  # outputs would show the solutions at work
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    else:
        text = strip_source(text)
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)
    if ipynb and target.endswith(".py"):
        import jupytext
        jupytext.write(jupytext.reads(text, fmt="py:percent"), target[:-3] + ".ipynb")
    return target
