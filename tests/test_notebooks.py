"""Every notebook runs top to bottom from its jupytext source in a fresh kernel, without an error and with
its figures (the .ipynb are built from the sources, not committed: notebooks/README.md); a student's copy
of notebook 02 answered right trains the GAN with the student's functions, and with one sign wrong it
visibly does not, and the grader names the function.

Executing them needs the `notebooks` extra (jupytext, nbclient, ipykernel); without it these tests skip and
say why. Run times: notebooks/README.md.
"""
import glob
import os
import re

import pytest

from npgan.cli import course as cli
from submissions import answered, replace_in

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9][0-9]_*.py")))


def _reads_mnist(path):
    with open(path, encoding="utf-8") as f:
        return "load_mnist(" in f.read()


# A notebook that reads MNIST runs on whatever a user has: the real files ($NPGAN_DATA_DIR, the cache) or the
# offline subset. CI runs it both ways: `pytest` without the files, `pytest -m mnist` with them.
# Notebook 02 runs below as a student's answered copy (the same code), not twice.
NOTEBOOKS = [pytest.param(p, marks=[pytest.mark.mnist] if _reads_mnist(p) else [], id=os.path.basename(p)[:-3])
             for p in SOURCES if "02_algorithm1_in_1d" not in p]


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


def test_there_are_five_notebooks():
    assert [os.path.basename(p) for p in SOURCES] == ["01_backprop_by_hand.py", "02_algorithm1_in_1d.py",
                                                      "03_saturation.py", "04_judging_a_gan.py", "05_gan_lab.py"]


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



def _execute(notebook, tmp_path):
    """Run a jupytext notebook in a fresh kernel (cwd tmp_path); (the error the run stopped on or None, all
    that its cells printed)."""
    jupytext, nbclient = _tools()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env=env)
        error = None
    except nbclient.exceptions.CellExecutionError as stopped:
        error = stopped
    printed = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs)
    return error, printed


def test_the_student_version_of_notebook_01_reports_each_exercise_then_stops_where_training_needs_them(tmp_path):
    """Each check cell prints NOT IMPLEMENTED instead of stopping the notebook; the training cell needs the
    student's functions, so a half-done notebook stops there, naming the exercise."""
    jupytext, _ = _tools()
    from npgan.course.cells import strip_file
    student = strip_file(SOURCES[0], str(tmp_path / "student"))
    error, printed = _execute(jupytext.read(student), tmp_path)
    assert printed.count("NOT IMPLEMENTED") == 5 and "PASS" not in printed
    assert error is not None and "NotImplementedError" in str(error) and "exercise two_layer_net" in str(error)


V_LINE = re.compile(r"V\(D, G\) = (?P<value>[-+]\d\.\d+), (?P<gap>\d\.\d+) from −log 4")


def test_a_student_copy_of_02_answered_right_trains_the_gan_and_one_wrong_sign_does_not(tmp_path, capsys):
    """The done-when of the course: the stripped notebook 02, answered with the solutions, trains the 1-D GAN
    with nothing but the student's functions to V(D, G) within 0.01 of −log 4; with the sign of the
    non-saturating gradient flipped it ends far from it, and the grader names that one function."""
    jupytext, _ = _tools()
    source = SOURCES[1]
    teacher = open(source, encoding="utf-8").read()
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    right.mkdir()
    wrong.mkdir()
    (right / os.path.basename(source)).write_text(answered(teacher), encoding="utf-8")
    flipped = answered(teacher, replace_in("non_saturating_generator_loss", "(sigmoid - 1.0)", "(1.0 - sigmoid)"))
    (wrong / os.path.basename(source)).write_text(flipped, encoding="utf-8")

    notebook = jupytext.read(right / os.path.basename(source))
    error, printed = _execute(notebook, right)
    assert error is None, error
    gap = float(V_LINE.search(printed)["gap"])
    assert gap < 0.01 and "your pieces trained the GAN" in printed, printed[-600:]
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert len([o for o in outputs if "image/png" in o.get("data", {})]) >= 3  # Figure 1, D against D*, V
    assert os.path.exists(right / "scratch" / "figure1_panels.png")  # the notebook's files go to scratch/

    error, printed = _execute(jupytext.read(wrong / os.path.basename(source)), wrong)
    assert error is None, error
    assert float(V_LINE.search(printed)["gap"]) > 0.05 and "NOT within 0.01" in printed, printed[-600:]
    assert cli.main(["grade", str(wrong / os.path.basename(source))]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert [line.split()[0] for line in lines if "FAIL" in line] == ["non_saturating_generator_loss"]
