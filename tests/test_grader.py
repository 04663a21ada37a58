"""The course kit: the notebooks' solutions pass the grader, their stripped copies fail it, and known wrong
answers fail for the reason the grader prints."""
import glob
import json
import os

import numpy as np
import pytest

from npgan import course
from npgan.cli import course as cli
from npgan.course.cells import exercise_cells, strip_file, strip_source
from npgan.course.exercises import EXERCISES, REFERENCES, check
from npgan.course.exercises import NOTEBOOKS as EXERCISES_OF
from npgan.course.grader import grade

NOTEBOOKS = os.path.join(os.path.dirname(__file__), "..", "notebooks")
SOURCES = sorted(glob.glob(os.path.join(NOTEBOOKS, "[0-9][0-9]_*.py")))
WITH_EXERCISES = [path for path in SOURCES if exercise_cells(path)]


def test_every_exercise_the_grader_knows_is_in_a_notebook():
    found = [name for path in WITH_EXERCISES for name in exercise_cells(path)]
    assert sorted(found) == sorted(EXERCISES)
    # a student's copy is graded on all of its notebook's exercises: the grader's list must be the notebook's
    assert {os.path.basename(path)[:-3]: tuple(exercise_cells(path)) for path in WITH_EXERCISES} == EXERCISES_OF


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=os.path.basename)
def test_the_solutions_pass_and_the_stripped_copy_fails(path, tmp_path, capsys):
    assert cli.main(["grade", path]) == 0
    solved = capsys.readouterr().out
    assert solved.count("PASS") == len(exercise_cells(path)) and "FAIL" not in solved
    assert cli.main(["strip", path, "-o", str(tmp_path)]) == 0
    student = tmp_path / os.path.basename(path)
    text = student.read_text()
    assert "BEGIN SOLUTION" not in text and "raise NotImplementedError" in text
    assert cli.main(["grade", str(student)]) == 1
    stripped = capsys.readouterr().out
    assert stripped.count("FAIL") == len(exercise_cells(path)) and "PASS" not in stripped
    assert stripped.count("NOT IMPLEMENTED") == len(exercise_cells(path))


def test_a_stripped_ipynb_loses_its_solutions_and_its_outputs(tmp_path):
    jupytext = pytest.importorskip("jupytext", reason="jupytext is in the notebooks extra")
    source = WITH_EXERCISES[0]
    notebook = tmp_path / "nb.ipynb"
    nb = jupytext.read(source)
    nbformat = pytest.importorskip("nbformat")
    code = next(cell for cell in nb.cells if cell.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a solution at work")]
    jupytext.write(nb, str(notebook))
    assert [r.passed for r in grade(str(notebook), log=lambda line: None)] == [True] * len(exercise_cells(source))
    student = strip_file(str(notebook), str(tmp_path / "student"))
    cells = json.load(open(student))["cells"]
    assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code")
    assert not any("BEGIN SOLUTION" in "".join(c["source"]) for c in cells)
    assert not any(r.passed for r in grade(student, log=lambda line: None))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_npgan_own_implementation_passes_its_exercise(name):
    result = check(name, REFERENCES[name])
    assert result.passed, result
    assert result.relative_error < 1e-6


WRONG = {
    "linear_backward": (lambda gy, x, W: (gy @ W.T, x.T @ gy, gy.mean(axis=0)), "central differences"),
    # the broken BatchNorm of notebook 01: no variance term. An all-ones upstream gradient would pass it.
    "batchnorm_gx": (lambda gy, x_hat, inv_std, gamma: gamma * inv_std * (gy - gy.mean(axis=0)), "random upstream"),
    "sigmoid_backward": (lambda gy, y: gy * y * (np.float64(1.0) - y), "float32 inputs gave float64"),
    "discriminator_loss_grad": (lambda r, f: (-1.0 / (1.0 + np.exp(r)), 1.0 / (1.0 + np.exp(-f))), "npgan"),
    "sgd_momentum_update": (lambda p, g, v, lr, mu: (p - lr * (mu * v + g), mu * v + lr * g), "npgan.optim.SGD"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_answer_fails_with_its_relative_error(name):
    fn, reason = WRONG[name]
    result = check(name, fn)
    assert not result.passed and reason in result.message, result
    assert result.relative_error > 1e-3 or "dtype" in result.message or "float64" in result.message


def test_missing_broken_and_unimplemented_answers_are_reported_not_raised(tmp_path, capsys):
    module = tmp_path / "answers.py"
    module.write_text("def sigmoid_backward(gy, y):\n    return gy * y * (1.0 - y)\n\n"
                      "def batchnorm_gx(gy, x_hat, inv_std, gamma):\n    return gy[0, 0, 0]\n\n"
                      "def linear_backward(gy, x, W):\n    raise NotImplementedError\n")
    assert cli.main(["grade", str(module)]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "PASS" in lines["sigmoid_backward"]
    assert "ERROR: IndexError" in lines["batchnorm_gx"]
    assert "NOT IMPLEMENTED" in lines["linear_backward"]
    assert "MISSING" in lines["sgd_momentum_update"] and "MISSING" in lines["discriminator_loss_grad"]
    assert "1 of 5 passed" in out
    assert cli.main(["grade", str(module), "--only", "sigmoid_backward"]) == 0


def test_command_line_mistakes_exit_2_with_one_line(tmp_path, capsys):
    for argv in (["grade", str(tmp_path / "missing.py")], ["grade", str(tmp_path)],
                 ["grade", WITH_EXERCISES[0], "--only", "no_such_exercise"], ["strip", WITH_EXERCISES[0]]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
        assert "error:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # the source itself as the output
        cli.main(["strip", WITH_EXERCISES[0], "-o", NOTEBOOKS])
    assert exit_info.value.code == 2 and "overwrite" in capsys.readouterr().err


def test_strip_source_keeps_indentation_and_rejects_unbalanced_markers():
    text = ("# EXERCISE: f\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n"
            "y = 1\n")
    stripped = strip_source(text)
    assert stripped == ("# EXERCISE: f\ndef f(x):\n    # YOUR CODE HERE\n"
                        '    raise NotImplementedError("exercise f: write this part")\n\ny = 1\n')
    for broken in ("### BEGIN SOLUTION\nx\n", "x\n### END SOLUTION\n",
                   "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n"):
        with pytest.raises(ValueError, match="SOLUTION"):
            strip_source(broken)


def test_the_result_prints_as_the_grader_line():
    line = str(course.check("sigmoid_backward", lambda gy, y: gy * y * (1.0 - y)))
    assert line.split()[:2] == ["sigmoid_backward", "PASS"] and "rel. error" in line


def test_strip_can_write_the_student_notebook_as_ipynb(tmp_path, capsys):
    pytest.importorskip("jupytext", reason="jupytext is in the notebooks extra")
    assert cli.main(["strip", WITH_EXERCISES[0], "-o", str(tmp_path), "--ipynb"]) == 0
    built = tmp_path / (os.path.basename(WITH_EXERCISES[0])[:-3] + ".ipynb")
    assert built.exists() and "ipynb" in capsys.readouterr().out
    assert cli.main(["grade", str(built)]) == 1
    assert capsys.readouterr().out.count("NOT IMPLEMENTED") == len(exercise_cells(WITH_EXERCISES[0]))


def test_a_notebook_without_exercises_is_not_graded_as_a_module(capsys):
    plain = [path for path in SOURCES if path not in WITH_EXERCISES][0]
    assert cli.main(["grade", plain]) == 1
    assert "no exercises" in capsys.readouterr().out
