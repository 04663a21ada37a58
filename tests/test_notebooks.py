"""Every notebook runs top to bottom from its jupytext source in a fresh kernel, without an error and with
its figures (the .ipynb are built from the sources, not committed: notebooks/README.md).

Executing them needs the `notebooks` extra (jupytext, nbclient, ipykernel); without it these tests skip and
say why. The four together took 128–225 s on the shared 2-core machine (run times: notebooks/README.md).
"""
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9][0-9]_*.py")))


def _reads_mnist(path):
    with open(path, encoding="utf-8") as f:
        return "load_mnist(" in f.read()


# A notebook that reads MNIST runs on whatever a user has: the real files ($NPGAN_DATA_DIR, the cache) or the
# offline subset. CI runs it both ways: `pytest` without the files, `pytest -m mnist` with them.
NOTEBOOKS = [pytest.param(p, marks=[pytest.mark.mnist] if _reads_mnist(p) else [], id=os.path.basename(p)[:-3])
             for p in SOURCES]


def _tools():
    missing = []
    for name in ("jupytext", "nbclient", "ipykernel"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: pip install -e \".[notebooks]\"")
    import jupytext
    import nbclient
    return jupytext, nbclient


def test_there_are_four_notebooks():
    assert [os.path.basename(p) for p in SOURCES] == ["01_backprop_by_hand.py", "02_algorithm1_in_1d.py",
                                                      "03_saturation.py", "04_judging_a_gan.py"]


@pytest.mark.parametrize("source", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_with_its_figures(source, tmp_path):
    jupytext, nbclient = _tools()
    notebook = jupytext.read(source)
    # The kernel, a child process started from this environment's "python3" kernelspec, gets this
    # environment (NPGAN_DATA_DIR, NPGAN_BACKEND, ...) and imports this checkout's npgan.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)  # raises CellExecutionError, with the cell and its traceback, on any error
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, "no inline figure"



def test_the_student_version_of_notebook_01_still_runs_and_reports_each_exercise(tmp_path):
    """Cells after an exercise never call the student's function, so a half-done notebook runs to the end;
    each check cell prints NOT IMPLEMENTED instead of stopping the notebook."""
    jupytext, nbclient = _tools()
    from npgan.course.cells import strip_file
    student = strip_file(SOURCES[0], str(tmp_path / "student"))
    notebook = jupytext.read(student)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    printed = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs)
    assert printed.count("NOT IMPLEMENTED") == 3 and "PASS" not in printed
