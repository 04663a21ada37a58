"""The course kit against a hostile student or a careless teacher: an answer cannot pass by exiting,
overwriting its inputs or garbling its reply, nor stop the grader by looping; `strip` never writes over a
source or a student's edited copy; every mistake ends as one line, never a traceback."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from commands import run_main
from npgan.cli import course as cli
from npgan.course import cells, sandbox
from npgan.course.exercises import EXERCISES, check
from npgan.course.grader import grade
from npgan.settings import SettingError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "01_backprop_by_hand.py")


def run_cli(argv, capfd):
    """(exit status, stdout, the lines of stderr that are not argparse's usage); a traceback fails the test."""
    code, out, err = run_main(cli.main, argv, capfd)
    return code, out, [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]


def lines_by_exercise(out):
    return {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}


# ---- the grader cannot be fooled or stopped ----------------------------------------------------------------

HOSTILE = '''import os, signal, sys
def linear_backward(gy, x, W):          # zeros what the check would compare against, returns zeros
    gy[...] = 0; x[...] = 0; W[...] = 0
    return np.zeros((5, 4)), np.zeros((4, 3)), np.zeros(3)
def batchnorm_gx(gy, x_hat, inv_std, gamma):
    gy[...] = 0; x_hat[...] = 0; inv_std[...] = 0; gamma[...] = 0
    return np.zeros_like(gy)
def sigmoid_backward(gy, y):            # prints a grader line of its own, then exits 0
    print("  sigmoid_backward          PASS  rel. error  1.00e-10   forged", flush=True)
    os.write(1, b"3 of 3 passed\\n")
    sys.exit(0)
def discriminator_loss(real, fake):
    os._exit(0)
def adam_update(p, g, m, v, t, lr, beta1, beta2, eps):
    os.kill(os.getpid(), signal.SIGKILL)
'''
HOSTILE_ONLY = "linear_backward,batchnorm_gx,sigmoid_backward,discriminator_loss,adam_update"


def test_answers_that_exit_die_or_overwrite_their_inputs_fail(tmp_path, capfd):
    module = tmp_path / "answers.py"
    module.write_text(HOSTILE)
    code, out, err = run_cli(["grade", str(module), "--only", HOSTILE_ONLY], capfd)
    assert code == 1 and not err
    lines = lines_by_exercise(out)
    assert all("FAIL" in line for line in lines.values()) and len(lines) == 5, out
    assert "rel. error  1.00e+00" in lines["linear_backward"] and "rel. error  1.00e+00" in lines["batchnorm_gx"]
    assert "EXITED with status 0 while being checked" in lines["sigmoid_backward"]
    assert "EXITED with status 0 while being checked" in lines["discriminator_loss"]
    assert "KILLED by SIGKILL while being checked" in lines["adam_update"]
    assert "forged" not in out and "3 of 3" not in out and "0 of 5 passed" in out


def test_in_place_zeroing_fails_check_too():
    def linear(gy, x, W):
        gy[...], x[...], W[...] = 0, 0, 0
        return np.zeros((5, 4)), np.zeros((4, 3)), np.zeros(3)

    def batchnorm(gy, x_hat, inv_std, gamma):
        gy[...], x_hat[...], inv_std[...], gamma[...] = 0, 0, 0, 0
        return np.zeros_like(gy)

    for name, fn in (("linear_backward", linear), ("batchnorm_gx", batchnorm)):
        result = check(name, fn)
        assert not result.passed and result.relative_error > 0.5, result


@pytest.mark.parametrize("fn, message", [
    (lambda gy, x, W: (gy @ W.T, (x.T @ gy).T, gy.sum(axis=0)), "WRONG SHAPE: gW has shape (3, 4), expected (4, 3)"),
    (lambda gy, x, W: (gy @ W.T, x.T @ gy, gy.sum(axis=0, keepdims=True)), "gb has shape (1, 3), expected (3,)"),
    (lambda gy, x, W: (gy @ W.T, x.T @ gy), "WRONG RETURN: linear_backward returned 2 values; expected 3"),
    (lambda gy, x, W: (gy @ W.T, x.T @ gy, "gb"), "WRONG RETURN: gb is not an array of real numbers"),
], ids=["transposed", "keepdims", "two-values", "a-string"])
def test_a_wrong_shape_or_return_names_the_tensor(fn, message):
    result = check("linear_backward", fn)
    assert not result.passed and message in result.message, result


def test_adam_checks_each_step_shape_before_the_next_step_broadcasts():
    result = check("adam_update", lambda p, g, m, v, t, lr, b1, b2, eps: ((p - lr * g).T, m + g, v + g * g))
    assert result.message.startswith("step 1: WRONG SHAPE: p has shape (4, 3), expected (3, 4)"), result


LOOPING_NOTEBOOK = '''# %%
# EXERCISE: linear_backward
def linear_backward(gy, x, W):
    while True:
        pass

# %%
# EXERCISE: sigmoid_backward
def sigmoid_backward(gy, y):
    return gy * y * (1.0 - y)
'''


def test_an_endless_loop_times_out_the_next_answer_runs_and_a_deleted_exercise_is_missing(tmp_path, capfd):
    notebook = tmp_path / "01_backprop_by_hand.py"
    notebook.write_text(LOOPING_NOTEBOOK)  # three cells deleted: they must not vanish from the count
    code, out, err = run_cli(["grade", str(notebook), "--timeout", "2"], capfd)
    lines = lines_by_exercise(out)
    assert code == 1 and not err
    assert "FAIL" in lines["linear_backward"] and "TIMEOUT after 2 s while being checked" in lines["linear_backward"]
    assert "PASS" in lines["sigmoid_backward"]
    assert "MISSING: no `# EXERCISE: batchnorm_gx` cell" in lines["batchnorm_gx"] and "1 of 5 passed" in out


@pytest.mark.parametrize("body, message", [("import sys\nsys.exit(0)\n", "EXITED with status 0 while being defined"),
                                           ("while True:\n    pass\n", "TIMEOUT after 1 s while being defined")],
                         ids=["sys.exit", "while-true"])
def test_a_module_that_exits_or_loops_at_import_fails_every_exercise_once(tmp_path, monkeypatch, body, message):
    module = tmp_path / "answers.py"
    module.write_text(body)
    runs, run = [], sandbox.AnswerProcess.run
    monkeypatch.setattr(sandbox.AnswerProcess, "run",
                        lambda self, *args, **kwargs: runs.append(args) or run(self, *args, **kwargs))
    results = grade(str(module), log=lambda line: None, timeout=1)
    assert len(results) == len(EXERCISES) and all(not r.passed and message in r.message for r in results)
    assert len(runs) == 1, "the module was run once per exercise (5 timeouts), not once"


def test_replies_are_decoded_without_trusting_them():
    def frame(header, payload=b""):
        head = json.dumps(header).encode()
        return sandbox.HEAD.pack(len(head)) + head + payload

    gx = np.arange(6.0).reshape(2, 3)
    good = {"job": 1, "outputs": [["gx", gx.dtype.str, [2, 3]]]}
    assert np.array_equal(sandbox.decode(frame(good, gx.tobytes()), 1, ("gx",))["gx"], gx)
    assert sandbox.decode(frame({"job": 1, "message": "ERROR: x\n  f  PASS"}), 1, ("gx",)) == "ERROR: x   f  PASS"
    for bad, payload in [({"job": 2, "outputs": good["outputs"]}, gx.tobytes()),   # another job's reply
                         ({"job": 1, "outputs": [["gy", "<f8", [2, 3]]]}, gx.tobytes()),  # an output not asked for
                         ({"job": 1, "outputs": [["gx", "|O", [2, 3]]]}, gx.tobytes()),  # objects: pickle
                         ({"job": 1, "outputs": [["gx", "<f8", [2, 4]]]}, gx.tobytes()),  # shorter than claimed
                         ({"job": 1, "outputs": [["gx", "<f8", [2, 3]]]}, gx.tobytes() + b"x"),
                         ({"job": 1, "outputs": [["gx", "<f8", [-2, -3]]]}, gx.tobytes()),
                         ({"job": 1}, b""), ([1], b"")]:
        with pytest.raises(sandbox._Garbled):
            sandbox.decode(frame(bad, payload), 1, ("gx",))
    with pytest.raises(sandbox._Garbled):
        sandbox.decode(sandbox.HEAD.pack(5) + b"\x80abcd", 1, ("gx",))


def test_the_timeout_is_checked_where_it_enters(capfd):
    for value in ("0", "-1", "nan", "inf", "1e9"):
        code, _, err = run_cli(["grade", NOTEBOOK, "--timeout", value], capfd)
        assert code == 2 and len(err) == 1 and "argument --timeout: must be a finite number in (0, 3600]" in err[0]
    with pytest.raises(SettingError, match="timeout"):
        grade(NOTEBOOK, timeout=0)


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
                    reason="finds the grader's child processes through /proc (Linux)")
def test_ctrl_c_while_grading_is_one_line_exit_130_and_leaves_no_child(tmp_path):
    notebook = tmp_path / "loops.py"
    notebook.write_text(LOOPING_NOTEBOOK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    grader = subprocess.Popen([sys.executable, "-m", "npgan.course", "grade", str(notebook), "--timeout", "60"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    children, deadline = [], time.monotonic() + 30
    while not children and time.monotonic() < deadline:
        with open(f"/proc/{grader.pid}/task/{grader.pid}/children") as f:
            children = f.read().split()
        time.sleep(0.05)
    assert children, "the grader started no child process"
    time.sleep(0.5)  # in the endless loop by now
    grader.send_signal(signal.SIGINT)
    out, err = grader.communicate(timeout=30)
    assert grader.returncode == 130, (out, err)
    assert err.strip() == "python -m npgan.course grade: interrupted" and "Traceback" not in err
    time.sleep(0.2)
    for pid in children:  # killed and reaped by the grader: gone, not a zombie, not still looping
        assert not os.path.exists(f"/proc/{pid}"), f"child {pid} left behind"


# ---- strip never loses a file ------------------------------------------------------------------------------

@pytest.fixture
def course(tmp_path):
    """A copy of notebook 01 in course/, and a link to that folder."""
    folder = tmp_path / "course"
    folder.mkdir()
    shutil.copy(NOTEBOOK, folder)
    os.symlink(folder, tmp_path / "link")
    return folder / os.path.basename(NOTEBOOK)


@pytest.mark.parametrize("out", ["link", "course/../course", "hardlinked"])
def test_strip_into_the_source_folder_by_another_name_is_refused(course, out, capfd):
    tmp = course.parent.parent
    before = course.read_bytes()
    if out == "hardlinked":
        (tmp / out).mkdir()
        os.link(course, tmp / out / course.name)
    code, _, err = run_cli(["strip", str(course), "-o", str(tmp / out)], capfd)
    assert code == 2 and len(err) == 1 and "would overwrite the source" in err[0], err
    assert course.read_bytes() == before


def test_strip_keeps_an_edited_student_copy_unless_forced(course, tmp_path, capfd):
    out = tmp_path / "student"
    assert run_cli(["strip", str(course), "-o", str(out)], capfd)[:2] == (0, f"wrote {out / course.name}\n")
    assert run_cli(["strip", str(course), "-o", str(out)], capfd)[:2] == (0, f"unchanged {out / course.name}\n")
    student = out / course.name
    edited = student.read_text() + "# my answer\n"
    student.write_text(edited)
    code, _, err = run_cli(["strip", str(course), "-o", str(out)], capfd)
    assert code == 2 and len(err) == 1 and str(student) in err[0] and "--force" in err[0]
    assert student.read_text() == edited
    assert run_cli(["strip", str(course), "-o", str(out), "--force"], capfd)[0] == 0
    assert student.read_text() != edited and "raise NotImplementedError" in student.read_text()
    assert sorted(os.listdir(out)) == [course.name]  # no temporary file left beside it


def test_strip_ipynb_twice_writes_the_same_file_and_keeps_an_edited_one(course, tmp_path, capfd):
    pytest.importorskip("jupytext", reason="jupytext is in the notebooks extra")
    out, built = tmp_path / "student", tmp_path / "student" / course.name.replace(".py", ".ipynb")
    assert run_cli(["strip", str(course), "-o", str(out), "--ipynb"], capfd)[0] == 0
    code, printed, _ = run_cli(["strip", str(course), "-o", str(out), "--ipynb"], capfd)
    assert code == 0 and printed == f"unchanged {out / course.name}\nunchanged {built}\n"  # no random cell ids
    built.write_text(built.read_text().replace("YOUR CODE HERE", "my attempt"))
    code, _, err = run_cli(["strip", str(course), "-o", str(out), "--ipynb"], capfd)
    assert code == 2 and len(err) == 1 and str(built) in err[0] and "my attempt" in built.read_text()


def test_strip_checks_every_input_and_output_before_writing_anything(course, tmp_path, capfd):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(course, other)
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    out = tmp_path / "student"
    code, _, err = run_cli(["strip", str(course), str(other / course.name), "-o", str(out)], capfd)
    assert code == 2 and len(err) == 1 and "would both be written to" in err[0]
    code, _, err = run_cli(["strip", str(course), NOTEBOOK.replace("01_backprop_by_hand", "02_algorithm1_in_1d"),
                            str(broken), "-o", str(out)], capfd)
    assert code == 1 and err == [f"python -m npgan.course strip: error: {broken}: not valid notebook JSON "
                                 f"(line 1, column 12: Expecting value)"]
    assert not out.exists()
    afile = tmp_path / "afile"
    afile.write_text("x")
    for target in (afile, afile / "sub"):
        code, _, err = run_cli(["strip", str(course), "-o", str(target)], capfd)
        assert code == 2 and len(err) == 1 and "not a folder" in err[0]
    assert afile.read_text() == "x"


# ---- every mistake is one line -----------------------------------------------------------------------------

BAD_FILES = {
    "invalid.ipynb": (b'{"cells": [\n  {"cell_type": "code",,\n', "not valid notebook JSON (line 2, column 24"),
    "no-cells.ipynb": (b'{"nbformat": 4}', 'no list of "cells"'),
    "a-list.ipynb": (b"[1, 2]", 'no list of "cells"'),
    "no-source.ipynb": (b'{"cells": [{"cell_type": "code"}]}', 'cell 1 has no "source"'),
    "no-type.ipynb": (b'{"cells": [{"source": "x = 1"}]}', 'cell 1 has no "cell_type"'),
    "bad-source.ipynb": (b'{"cells": [{"cell_type": "code", "source": [1]}]}', 'cell 1 has no "source"'),
    "deep.ipynb": (b"[" * 100000, "nested too deeply"),
    "binary.py": (bytes(range(128, 256)), "not UTF-8 text (byte 0x80 at offset 0)"),
    "nul.py": (b"x = 1\x00\n", "a binary file"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("command", ["grade", "strip"])
def test_a_file_that_is_not_a_notebook_is_one_line_exit_1(tmp_path, capfd, name, command):
    data, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    argv = [command, str(path)] + (["-o", str(tmp_path / "out")] if command == "strip" else [])
    code, out, err = run_cli(argv, capfd)
    assert code == 1 and len(err) == 1 and err[0].startswith(f"python -m npgan.course {command}: error: {path}: ")
    assert message in err[0] and not out


def test_a_folder_a_fifo_an_unreadable_file_and_an_empty_notebook(tmp_path, capfd, monkeypatch):
    folder, fifo = tmp_path / "folder.py", tmp_path / "fifo.py"
    folder.mkdir()
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    for path, message in ((folder, "is a folder"), (fifo, "is not a regular file")):
        for argv in (["grade", str(path)], ["strip", str(path), "-o", str(tmp_path / "out")]):
            code, _, err = run_cli(argv, capfd)
            if path == folder and argv[0] == "grade":  # a folder of submissions, without any
                assert code == 1 and len(err) == 1 and "holds no .py or .ipynb file" in err[0]
            else:
                assert code == 2 and len(err) == 1 and message in err[0]
    empty = tmp_path / "empty.ipynb"
    empty.write_text('{"cells": []}')
    code, out, err = run_cli(["grade", str(empty)], capfd)
    assert code == 1 and "no exercises" in out and not err

    def unreadable(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(cells, "read_text", unreadable)  # what a chmod 000 does to anyone but root
    code, _, err = run_cli(["grade", NOTEBOOK], capfd)
    assert code == 1 and len(err) == 1 and "Permission denied" in err[0]


def test_no_traceback_from_the_command_itself(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "npgan.course", "grade", str(broken)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"python -m npgan.course grade: error: {broken}: not valid "
                                                f"notebook JSON (line 1, column 2: Expecting property name "
                                                f"enclosed in double quotes)"]
