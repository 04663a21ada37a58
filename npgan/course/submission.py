"""A student's file as the grader runs it: IPython magics removed, each exercise cell, and the definitions
of the other code cells that the exercise may use.

A notebook's exercise cell is run after the *helpers* of every other code cell of the submission: their
imports, function and class definitions, and constants — assignments to names computed from literals,
NumPy and math (`GRID = np.linspace(-6, 10, 801)`). The rest of those cells (training loops, plots, data
loading, calls) is skipped: grading must not train a GAN per exercise. A helper that fails to run is
skipped too, and named if the exercise then fails with a NameError.

Magics are IPython's, not Python's: `%time f(x)` and `%timeit f(x)` become `f(x)`; `%%time` and
`%%timeit` at the top of a cell are dropped (the cell runs once); any other line magic, shell escape
(`!ls`) or cell magic line becomes `pass`, so that the cell still parses.
"""
import ast
import re

from npgan.course.cells import EXERCISE

MAGIC = re.compile(r"^(?P<indent>\s*)(?P<magic>%%?\w*|!)(?P<rest>.*)$")  # a line that starts with % or !
ASSIGNED_MAGIC = re.compile(r"^(?P<indent>\s*)[\w., ]+=\s*(%%?\w+|!)")
TIMING = {"%time", "%timeit"}
CELL_TIMING = {"%%time", "%%timeit", "%%capture"}
SAFE_CALLS = {"float", "int", "complex", "bool", "str", "tuple", "list", "dict", "set", "frozenset", "range", "len",
              "abs", "min", "max", "round", "sum", "sorted", "zip", "enumerate"}
SAFE_MODULES = {"np", "numpy", "math"}


def strip_magics(source):
    """`source` with IPython's magics and shell escapes turned into Python (see the module)."""
    lines = []
    for number, line in enumerate(source.splitlines()):
        match = MAGIC.match(line)
        if match:
            indent, magic, rest = match["indent"], match["magic"], match["rest"]
            if magic in TIMING and rest.strip() and not rest.strip().startswith("-"):
                lines.append(indent + rest.strip())
            elif magic in CELL_TIMING and number == 0:
                lines.append("")
            else:
                lines.append(f"{indent}pass  # IPython {line.strip()[:40]!r} removed by the grader")
        elif ASSIGNED_MAGIC.match(line):
            lines.append(f"{ASSIGNED_MAGIC.match(line)['indent']}pass  # IPython {line.strip()[:40]!r} removed")
        else:
            lines.append(line)
    return "\n".join(lines) + ("\n" if source.endswith("\n") else "")


def _cheap(node):
    """Whether evaluating the expression `node` is cheap and safe: literals, names, arithmetic, and calls
    only of NumPy, math and a few builtins."""
    for child in ast.walk(node):
        if isinstance(child, (ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        if isinstance(child, ast.Call):
            func = child.func
            while isinstance(func, ast.Attribute):
                func = func.value
            if not isinstance(func, ast.Name):
                return False
            if func.id not in SAFE_MODULES and not (func.id in SAFE_CALLS and func is child.func):
                return False
    return True


def _kept(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return all(_cheap(decorator) for decorator in node.decorator_list)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = all(isinstance(t, ast.Name) or (isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name)
                                                                                for e in t.elts)) for t in targets)
        return names and _cheap(node.value)
    return False


def helpers(source, filename):
    """[(statement source, filename, its first line)] of `source` that the grader runs before an exercise:
    imports, definitions and cheap constants (see the module). A cell that does not parse gives none."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError:
        return []
    lines = source.splitlines()
    first = lambda node: min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return [("\n".join(lines[first(node) - 1:node.end_lineno]), filename, first(node))
            for node in tree.body if _kept(node)]


def plan(cells, path):
    """{exercise name: (its cell's source, its filename, [helpers of every other code cell])} for a notebook's
    code cells, magics removed; an exercise whose cell appears twice is the last one (as in a notebook run
    top to bottom)."""
    cleaned = [strip_magics(cell) for cell in cells]
    named = [(exercise_name(cell), cell, helpers(cell, f"{path}:cell {number}"))
             for number, cell in enumerate(cleaned, 1)]
    runs = {}
    for name, cell, _ in named:
        if name:
            found = [helper for other, other_cell, statements in named if other_cell is not cell
                     for helper in statements]
            runs[name] = (cell, f"{path}:{name}", found)
    return runs


def exercise_name(cell):
    """The name on a cell's `# EXERCISE:` marker line, or None."""
    for line in cell.splitlines():
        match = EXERCISE.match(line)
        if match:
            return match.group(1)
    return None
