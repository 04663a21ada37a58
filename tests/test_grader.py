"""The course kit: the notebooks' solutions pass the grader on every check, visible and hidden; their stripped
copies fail it and hold no solution or written answer; known wrong answers fail for the reason the grader
prints, naming the tensor and the check."""
import glob
import json
import os

import numpy as np
import pytest

from npgan import course
from npgan.cli import course as cli
from npgan.course.cells import exercise_cells, strip_file, strip_source
from npgan.course.exercises import ASSIGNMENTS, EXERCISES, POINTS, check, inputs_for, judge, outputs_of
from npgan.course.grader import grade
from npgan.course.references import REFERENCES
from npgan.nn import losses

NOTEBOOKS = os.path.join(os.path.dirname(__file__), "..", "notebooks")
SOURCES = sorted(glob.glob(os.path.join(NOTEBOOKS, "[0-9][0-9]_*.py")))
WITH_EXERCISES = [path for path in SOURCES if exercise_cells(path)]
QUIET = dict(log=lambda *args, **kwargs: None)


def test_every_exercise_is_in_its_notebook_in_the_assignments_order():
    found = [name for path in WITH_EXERCISES for name in exercise_cells(path)]
    assert sorted(found) == sorted(EXERCISES) == sorted(REFERENCES) == sorted(POINTS)
    # a student's copy is graded on all of its notebook's exercises: the assignment's list must be the notebook's
    assert {os.path.basename(path)[:-3]: list(exercise_cells(path)) for path in WITH_EXERCISES} == {
        name: list(exercises) for name, exercises in ASSIGNMENTS.items()}
    assert all(len(EXERCISES[name].variants) >= 2 for name in EXERCISES), "every exercise has a hidden check"


def test_written_questions_have_answers_in_the_teachers_copy_only(tmp_path):
    questions = 0
    for path in SOURCES:
        text = open(path, encoding="utf-8").read()
        questions += text.count("(written).**")
        student = strip_source(text)
        assert "BEGIN ANSWER" not in student and "*Your answer:*" in student or "(written)" not in text
    assert questions == 5


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=os.path.basename)
def test_the_solutions_pass_and_the_stripped_copy_fails(path, tmp_path, capsys):
    assert cli.main(["grade", path]) == 0
    solved = capsys.readouterr().out
    assert solved.count("PASS") == len(exercise_cells(path)) and "FAIL" not in solved and "hidden" in solved
    assert cli.main(["strip", path, "-o", str(tmp_path)]) == 0
    student = tmp_path / os.path.basename(path)
    text = student.read_text()
    assert "BEGIN SOLUTION" not in text and "raise NotImplementedError" in text and "BEGIN ANSWER" not in text
    assert cli.main(["grade", str(student)]) == 1
    stripped = capsys.readouterr().out
    assert stripped.count("FAIL") == len(exercise_cells(path)) and "PASS" not in stripped
    assert stripped.count("NOT IMPLEMENTED") == len(exercise_cells(path))


def test_a_stripped_ipynb_loses_its_solutions_answers_and_outputs(tmp_path):
    jupytext = pytest.importorskip("jupytext", reason="jupytext is in the notebooks extra")
    nbformat = pytest.importorskip("nbformat")
    source = WITH_EXERCISES[0]
    notebook = tmp_path / os.path.basename(source).replace(".py", ".ipynb")
    nb = jupytext.read(source)
    code = next(cell for cell in nb.cells if cell.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a solution at work")]
    jupytext.write(nb, str(notebook))
    assert [r.passed for r in grade(str(notebook), **QUIET)] == [True] * len(exercise_cells(source))
    student = strip_file(str(notebook), str(tmp_path / "student"))
    cells = json.load(open(student))["cells"]
    assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code")
    assert not any("BEGIN SOLUTION" in "".join(c["source"]) or "BEGIN ANSWER" in "".join(c["source"]) for c in cells)
    assert not any(r.passed for r in grade(student, **QUIET))


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_npgan_own_implementation_passes_every_check_of_its_exercise(name):
    for variant in range(len(EXERCISES[name].variants)):
        inputs = inputs_for(name, variant)
        result = judge(name, inputs, outputs_of(name, REFERENCES[name], inputs))
        assert result.passed, (variant, result)
        assert result.relative_error < 1e-6


def _sigmoid(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


WRONG = {  # answers a student hands in, and what the notebook's check says about them
    "linear_backward": (lambda gy, x, W: (gy @ W.T, x.T @ gy, gy.mean(axis=0)), "gb is off"),
    "leaky_relu_backward": (lambda gy, y, slope: gy * (y > 0), "central differences"),
    # the broken BatchNorm of notebook 01: no variance term. An all-ones upstream gradient would pass it.
    "batchnorm_gx": (lambda gy, x_hat, inv_std, gamma: gamma * inv_std * (gy - gy.mean(axis=0)), "random upstream"),
    "sigmoid_backward": (lambda gy, y: gy * y * (np.float64(1.0) - y), "float32 inputs gave float64"),
    "two_layer_net": (lambda p, x, t: (0.0, {k: np.zeros_like(v) for k, v in p.items()}), "the loss is off"),
    "discriminator_loss": (lambda r, f: (np.logaddexp(0, -r).mean() + np.logaddexp(0, f).mean(),
                                         (1 - _sigmoid(r)) / len(r), _sigmoid(f) / len(f)), "g_real is off"),
    "minimax_generator_loss": (lambda f: (-np.logaddexp(0, f).mean(), _sigmoid(f) / len(f)), "g_fake is off"),
    "non_saturating_generator_loss": (lambda f: (np.logaddexp(0, -f).mean(), (1 - _sigmoid(f)) / len(f)),
                                      "g_fake is off"),
    "adam_update": (lambda p, g, m, v, t, lr, b1, b2, eps: (p - lr * g, m, v), "m is off"),
    "optimal_discriminator": (lambda p, q: q / (p + q), "against npgan.theory"),
    "virtual_training_criterion": (lambda p, q, x: 0.0, "against npgan.theory"),
    "frechet_distance": (lambda m1, s1, m2, s2: float((m1 - m2) @ (m1 - m2)), "against npgan.evaluation"),
    "classes_covered": (lambda probs, f: 10, "classes covered, expected"),
    "modes_covered": (lambda s, c, std, n: (8, 1.0), "modes covered, expected"),
    # the arrows of the lab with their sign flipped: +∂L/∂x, the way G's loss grows
    "generator_arrows": (lambda D, fake, kind: D.backward(losses.generator_loss(D(fake), kind)[1]),
                         "central differences"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_answer_fails_the_visible_check_and_gets_a_hint(name):
    fn, reason = WRONG[name]
    result = check(name, fn)
    assert not result.passed and reason in result.message, result
    assert "hint:" in result.message and EXERCISES[name].hint in result.message


def test_the_hint_waits_for_an_attempt():
    def unwritten(gy, y):
        raise NotImplementedError
    assert "hint" not in check("sigmoid_backward", unwritten).message


def test_discriminator_and_generator_backward_must_use_d_correctly():
    def two_forwards(D, real, fake, loss):  # npgan keeps one cache per forward: the second call is refused
        l, g_real, g_fake = loss(D(real), D(fake))
        D.backward(g_fake)
        D.backward(g_real)
        return l
    assert "ForwardBackwardMismatch" in check("discriminator_backward", two_forwards).message

    def unfrozen(G, D, z, loss):  # D's .grad picks up G's step
        l, g = loss(D(G(z)))
        G.backward(D.backward(g))
        return l
    assert "D's .grad changed in G's step" in check("generator_backward", unfrozen).message

    def left_frozen(G, D, z, loss):
        D.requires_grad_(False)
        l, g = loss(D(G(z)))
        G.backward(D.backward(g))
        return l
    assert "still frozen" in check("generator_backward", left_frozen).message


# What passes the notebook's check and fails a hidden one: answers fitted to the visible inputs.
HIDDEN_ONLY = {
    "linear_backward": ("def linear_backward(gy, x, W):\n    return gy @ W.T, x.T @ gy, gy.reshape(5, 3).sum(axis=0)\n",
                        "hidden check 1 (other seed, 7 rows, 2 -> 6 features): ERROR: ValueError"),
    "discriminator_loss": ("def discriminator_loss(r, f):\n    s = lambda a: 1 / (1 + np.exp(-a))\n"
                           "    return (-np.log(s(r)).mean() - np.log(1 - s(f)).mean(), (s(r) - 1) / 6, s(f) / 6)\n",
                           "hidden check 1 (other seed, 5 real and 9 fake rows): loss, g_real, g_fake against"),
    "optimal_discriminator": ("def optimal_discriminator(p, q):\n    return p / (p + q)\n",
                              "hidden check 1 (disjoint supports: both densities 0 on most of the grid): NOT FINITE"),
    "adam_update": ("def adam_update(p, g, m, v, t, lr, b1, b2, eps):\n    m = b1 * m + (1 - b1) * g\n"
                    "    v = b2 * v + (1 - b2) * g * g\n    mh, vh = m / (1 - b1 ** t), v / (1 - b2 ** t)\n"
                    "    return p - lr * mh / np.sqrt(vh + eps), m, v\n",
                    "hidden check 2 (a large eps (0.1), shape (2, 3))"),
}


def test_hidden_checks_catch_answers_fitted_to_the_visible_inputs(tmp_path):
    module = tmp_path / "answers.py"
    module.write_text("".join(source for source, _ in HIDDEN_ONLY.values()))
    for name, (_, message) in HIDDEN_ONLY.items():
        assert check(name, lambda *args, name=name: _module_function(module, name)(*args)).passed, name
    results = {r.name: r for r in grade(str(module), only=list(HIDDEN_ONLY), **QUIET)}
    for name, (_, message) in HIDDEN_ONLY.items():
        assert not results[name].passed and results[name].message.startswith(message), results[name]


def _module_function(path, name):
    namespace = {"np": np}
    exec(open(path).read(), namespace)
    return namespace[name]


def test_missing_broken_and_unimplemented_answers_are_reported_not_raised(tmp_path, capsys):
    module = tmp_path / "answers.py"
    module.write_text("def sigmoid_backward(gy, y):\n    return gy * y * (1.0 - y)\n\n"
                      "def batchnorm_gx(gy, x_hat, inv_std, gamma):\n    return gy[0, 0, 0]\n\n"
                      "def linear_backward(gy, x, W):\n    raise NotImplementedError\n")
    assert cli.main(["grade", str(module), "--assignment", "01"]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "PASS" in lines["sigmoid_backward"] and "(+1 hidden)" in lines["sigmoid_backward"]
    assert "ERROR: IndexError" in lines["batchnorm_gx"]
    assert "NOT IMPLEMENTED" in lines["linear_backward"]
    assert "MISSING" in lines["two_layer_net"] and "MISSING" in lines["leaky_relu_backward"]
    assert "as 01_backprop_by_hand: 5 exercise(s)" in out and "1 of 5 passed" in out
    assert cli.main(["grade", str(module), "--only", "sigmoid_backward"]) == 0


def test_command_line_mistakes_exit_2_with_one_line(tmp_path, capsys):
    for argv in (["grade", str(tmp_path / "missing.py")], ["grade", WITH_EXERCISES[0], "--only", "no_such_exercise"],
                 ["grade", WITH_EXERCISES[0], "--assignment", "07"], ["grade", WITH_EXERCISES[0], "--assignment", "0"],
                 ["strip", WITH_EXERCISES[0]], ["strip", str(tmp_path), "-o", str(tmp_path / "out")]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
        assert "error:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # the source itself as the output
        cli.main(["strip", WITH_EXERCISES[0], "-o", NOTEBOOKS])
    assert exit_info.value.code == 2 and "overwrite" in capsys.readouterr().err


def test_strip_source_keeps_indentation_and_rejects_unbalanced_markers():
    text = ("# EXERCISE: f\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n"
            "y = 1\n# %% [markdown]\n# Why?\n#\n# <!-- BEGIN ANSWER -->\n# Because.\n# <!-- END ANSWER -->\n")
    stripped = strip_source(text)
    assert stripped == ("# EXERCISE: f\ndef f(x):\n    # YOUR CODE HERE\n"
                        '    raise NotImplementedError("exercise f: write this part")\n\ny = 1\n'
                        "# %% [markdown]\n# Why?\n#\n# *Your answer:* (write it here)\n")
    for broken in ("### BEGIN SOLUTION\nx\n", "x\n### END SOLUTION\n",
                   "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
                   "# <!-- BEGIN ANSWER -->\n", "# <!-- END ANSWER -->\n"):
        with pytest.raises(ValueError, match="SOLUTION|ANSWER"):
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
