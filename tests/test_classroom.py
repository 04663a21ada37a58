"""Grading a class: a folder of submissions made here (one right, one with a wrong sign, one with an exercise
deleted, one that loops, one fitted to the visible check's shapes) gives a CSV with the right points for
each; IPython magics and helpers in other cells work as they do in Jupyter; the CSV is never overwritten
unasked and every mistake is one line."""
import csv
import json
import os

import pytest

from commands import run_main
from npgan.cli import course as cli
from npgan.course.classroom import COLUMNS
from npgan.course.exercises import ASSIGNMENTS
from submissions import answered, replace_in, without_cell

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK_02 = os.path.join(ROOT, "notebooks", "02_algorithm1_in_1d.py")
FULL = sum(ASSIGNMENTS["02_algorithm1_in_1d"].values())  # 13 points


def hard_coded(name, lines):
    """discriminator_loss with the visible check's batch size (6) written in: right there, wrong elsewhere."""
    if name != "discriminator_loss":
        return lines
    return ["".join(lines).replace("len(real_logits)", "6").replace("len(fake_logits)", "6")]


def make_class(folder):
    """Five students' copies of notebook 02, and what each should score: {name: (points, failed exercises)}."""
    teacher = open(NOTEBOOK_02, encoding="utf-8").read()
    submissions = {
        "alice": (answered(teacher), FULL, {}),
        "bob": (answered(teacher, replace_in("non_saturating_generator_loss", "(sigmoid - 1.0)", "(1.0 - sigmoid)")),
                FULL - 1, {"non_saturating_generator_loss": "loss, g_fake against central differences: g_fake is off"}),
        "carol": (without_cell(answered(teacher), "adam_update"), FULL - 2,
                  {"adam_update": "MISSING: no `# EXERCISE: adam_update` cell"}),
        "dave": (answered(teacher, replace_in("discriminator_loss", "sigmoid = lambda",
                                              "while True:\n        pass\n    sigmoid = lambda")),
                 FULL - 2, {"discriminator_loss": "TIMEOUT after 3 s while being checked"}),
        "erin": (answered(teacher, hard_coded), FULL - 2,
                 {"discriminator_loss": "hidden check 1 (other seed, 5 real and 9 fake rows)"}),
    }
    for name, (text, _, _) in submissions.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "02_algorithm1_in_1d.py").write_text(text, encoding="utf-8")
    return {f"{folder / name / '02_algorithm1_in_1d.py'}": (points, failed)
            for name, (_, points, failed) in submissions.items()}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def test_a_class_of_five_gets_the_right_points(tmp_path, capfd):
    expected = make_class(tmp_path / "submitted")
    grades = tmp_path / "grades.csv"
    code, out, err = run_main(cli.main, ["grade", str(tmp_path / "submitted"), "--csv", str(grades), "--timeout", "3"],
                              capfd)
    assert code == 1 and not err.strip(), err
    columns, rows = read_csv(grades)
    assert tuple(columns) == COLUMNS == ("submission", "exercise", "points", "passed", "error", "reason")
    assert len(rows) == len(expected) * len(ASSIGNMENTS["02_algorithm1_in_1d"])
    for submission, (points, failed) in expected.items():
        mine = [row for row in rows if row["submission"] == submission]
        assert [row["exercise"] for row in mine] == list(ASSIGNMENTS["02_algorithm1_in_1d"])
        assert sum(int(row["points"]) for row in mine) == points, (submission, mine)
        for row in mine:
            if row["exercise"] in failed:
                assert row["passed"] == "False" and row["points"] == "0"
                assert row["reason"].startswith(failed[row["exercise"]]), row
            else:
                assert row["passed"] == "True" and int(row["points"]) == ASSIGNMENTS["02_algorithm1_in_1d"][row["exercise"]]
                assert float(row["error"]) < 1e-6 and "hidden" in row["reason"], row
    table = out[out.index("\nsubmission"):]
    for submission, (points, failed) in expected.items():
        line = next(line for line in table.splitlines() if line.startswith(submission))
        assert f"{points:>4} / {FULL:<2}" in line and (", ".join(failed) or "-") in line
    assert f"wrote {grades} (40 rows, 5 submission(s))" in out

    # the CSV is a command's output: kept unless --overwrite, written whole
    before = grades.read_bytes()
    code, _, err = run_main(cli.main, ["grade", str(tmp_path / "submitted" / "alice"), "--csv", str(grades)], capfd)
    assert code == 2 and "--overwrite" in err and grades.read_bytes() == before
    code, out, _ = run_main(cli.main, ["grade", str(tmp_path / "submitted" / "alice"), "--csv", str(grades),
                                       "--overwrite"], capfd)
    assert code == 0 and len(read_csv(grades)[1]) == len(ASSIGNMENTS["02_algorithm1_in_1d"])
    assert sorted(os.listdir(tmp_path)) == ["grades.csv", "submitted"]  # no temporary file left


def notebook(*cells):
    return json.dumps({"cells": [{"cell_type": "code", "source": cell, "metadata": {}, "outputs": [],
                                  "execution_count": None} for cell in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_magics_are_removed_and_helpers_from_other_cells_are_loaded(tmp_path, capfd):
    path = tmp_path / "01_backprop_by_hand-frank.ipynb"
    path.write_text(notebook(
        "%matplotlib inline\nimport numpy as np\nSLOPE_ONE = 1.0\n\ndef derivative(y, slope):\n"
        "    return np.where(y > 0, SLOPE_ONE, slope)\n",
        "while True:\n    pass  # a cell the grader must not run: it is not a definition\n",
        "%%time\n# EXERCISE: leaky_relu_backward\ndef leaky_relu_backward(gy, y, slope):\n    %time k = 1\n"
        "    !ls\n    return gy * derivative(y, slope)\n",
        "# EXERCISE: sigmoid_backward\n%timeit -n 1 sum(range(3))\ndef sigmoid_backward(gy, y):\n"
        "    return gy * one_minus(y) * y\n",
        "one_minus = make_one_minus()  # computed, so the grader skips it\n"))
    code, out, err = run_main(cli.main, ["grade", str(path), "--only", "leaky_relu_backward,sigmoid_backward"], capfd)
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "PASS" in lines["leaky_relu_backward"], out
    assert "ERROR: NameError: name 'one_minus' is not defined" in lines["sigmoid_backward"]
    assert "imports, functions, classes and constants of your other cells" in lines["sigmoid_backward"]
    assert code == 1 and not err.strip()


def test_an_unreadable_file_in_a_folder_is_a_row_and_a_named_one_is_an_error(tmp_path, capfd):
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / "broken.ipynb").write_text("{")
    (folder / ".hidden.py").write_text("raise SystemExit")
    (folder / "notes.txt").write_text("not a submission")
    code, out, err = run_main(cli.main, ["grade", str(folder), "--csv", str(tmp_path / "g.csv")], capfd)
    assert code == 1 and not err.strip()
    rows = read_csv(tmp_path / "g.csv")[1]
    assert [(row["submission"], row["exercise"], row["passed"]) for row in rows] == [
        (str(folder / "broken.ipynb"), "-", "False")]
    assert rows[0]["reason"].startswith("NOT A NOTEBOOK")
    code, out, err = run_main(cli.main, ["grade", str(folder / "broken.ipynb"), str(folder)], capfd)
    assert code == 1 and err.strip().splitlines() == [
        f"python -m npgan.course grade: error: {folder / 'broken.ipynb'}: not valid notebook JSON (line 1, column 2: "
        f"Expecting property name enclosed in double quotes)"]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_main(cli.main, ["grade", str(empty)], capfd)
    assert code == 1 and err.strip() == f"python -m npgan.course grade: error: {empty} holds no .py or .ipynb file"


@pytest.mark.parametrize("flags, message", [
    (["--csv", "grades.txt"], "argument --csv: 'grades.txt' must end in .csv"),
    (["--csv", "no/such/folder/g.csv"], "argument --csv: the folder"),
    (["--assignment", "9"], "argument --assignment: '9' names none of the assignments"),
    (["--submission-timeout", "0"], "argument --submission-timeout: must be a finite number in (0, 86400]"),
])
def test_flag_mistakes_are_one_line_exit_2(tmp_path, capfd, flags, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(cli.main, ["grade", NOTEBOOK_02] + flags, capfd)
    assert code == 2 and message in err and "Traceback" not in err
