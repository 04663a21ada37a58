"""The package's layers, as docs/architecture.md draws them, checked on its import statements.

Every import inside npgan/ (at module level or inside a function: a lazy import is still a dependency)
must go down the layers or stay inside its own package, and no group of modules may import each other in
a circle. A failure names the offending pair.

    framework   backend, kernels, checkpoint, settings, gradcheck, threads, viz, nn/, optim/
    data        data/      theory/                     (the maths and tools beside the GAN)
    gan         gan/                                    (Algorithm 1, the presets; no files)
    distributed distributed/                            (Algorithm 1 over MPI ranks)
    training    training/                               (the run: folders, checkpoints, the loop)
    evaluation  evaluation/                             (metrics, classifier, figures of a trained G)
    lab         lab/                                    (the interactive lab and its recorded page)
    course      course/                                 (the notebooks' exercises and grader: they check
                                                         answers against every layer below)
    cli         cli/                                    (every command line; nothing imports it)

Test tooling (npgan/testing/) sits outside the layers: it may use anything but the command lines, and
only the backend reaches into it (the "strict" backend is test tooling that `backend="strict"` loads).
A package's `__main__.py` is a launcher, which may import its command line from cli/.
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "npgan")
# (layer, its parts from the bottom up): a part may import the parts listed before it, never one after it or a
# part of the same rank (those in one inner list stay apart).
LAYERS = [
    ("framework", [["_version"], ["backend", "threads"], ["kernels", "checkpoint"], ["nn"], ["settings"], ["optim"],
                   ["gradcheck", "viz"]]),
    ("data", [["data", "theory"]]),
    ("gan", [["gan"]]),
    ("distributed", [["distributed"]]),
    ("training", [["training"]]),
    ("evaluation", [["evaluation"]]),
    ("lab", [["lab"]]),
    ("course", [["course"]]),
    ("cli", [["cli"]]),
]
RANK, LAYER = {}, {}
for layer, parts_by_rank in LAYERS:
    for parts in parts_by_rank:
        rank = len(set(RANK.values()))
        RANK.update((name, rank) for name in parts)
        LAYER.update((name, layer) for name in parts)
ALLOWED = {("npgan.backend", "npgan.testing.strict")}  # the strict backend, loaded when asked for


def modules():
    """{dotted name: path} of every module of the package (a package's __init__ under the package's name)."""
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                found[dotted.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports(name, path):
    """The npgan modules `name` imports: `from P import X` counts as P.X when that is a module, else as P."""
    found = set()
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            source = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            for alias in node.names:
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source)
    return {target for target in found if target in MODULES and target != name}


GRAPH = {name: imports(name, path) for name, path in MODULES.items()}


def part(name):
    """The top-level part of the package a module belongs to ("nn", "training", ...; the root: "npgan")."""
    pieces = name.split(".")
    return pieces[1] if len(pieces) > 1 else "npgan"


def test_every_part_of_the_package_has_a_layer():
    parts = {part(name) for name in MODULES} - {"npgan", "testing"}
    assert parts <= set(RANK), f"not in any layer: {sorted(parts - set(RANK))} (add them to LAYERS and the doc)"


def test_no_module_imports_a_higher_layer_or_a_command_line():
    wrong = []
    for name, targets in GRAPH.items():
        for target in sorted(targets):
            here, there = part(name), part(target)
            if (name, target) in ALLOWED or here == there:
                continue
            if there == "npgan":
                wrong.append(f"{name} imports the package root npgan (import what it needs from its module)")
            elif there == "cli" and not name.endswith("__main__"):
                wrong.append(f"{name} imports the command line {target}")
            elif there == "testing" and here != "testing":
                wrong.append(f"{name} imports the test tooling {target}")
            elif here == "testing" or name.endswith("__main__") or "npgan" in (here,):
                continue
            elif RANK[there] > RANK[here]:
                wrong.append(f"{name} ({LAYER[here]}) imports {target} ({LAYER[there]}), which is above it")
            elif RANK[there] == RANK[here]:
                wrong.append(f"{name} imports {target}: {here}/ and {there}/ stand side by side and stay apart")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    """Tarjan's strongly connected components: any component of more than one module is a cycle."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    pairs = [f"{a} <-> {b}" for cycle in cycles for a in cycle for b in cycle if a < b and b in GRAPH[a] and a in
             GRAPH[b]]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles) + (
        f" (mutual: {', '.join(pairs)})" if pairs else "")


@pytest.mark.parametrize("name", sorted(name for name in MODULES if not name.endswith("__main__")))
def test_every_module_imports_on_its_own(name):
    """A fresh interpreter per module would be slow; importing each in turn still finds a missing name."""
    if name.startswith(("npgan.testing.torch_reference", "npgan.testing.nvrtc")):
        pytest.importorskip("torch" if name.endswith("torch_reference") else "numpy")
    __import__(name)
