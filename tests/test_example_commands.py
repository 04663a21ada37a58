"""The toy examples (examples/gaussian_1d.py, examples/mixture_2d.py) and the developer tools
(notebooks/build.py, docs/make_figures.py) end like every npgan command: a flag out of its range is one
argparse line naming the flag and its range (exit 2) and nothing is written; a folder that holds an earlier
run's outputs is refused unless --overwrite (exit 1); Ctrl-C and SIGTERM end every worker process with one
line (exit 130, 143) and leave no temporary or half-written file. The scripts run in this process through
their main(argv), but for the signals."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from commands import run_main
from npgan.checkpoint import TEMP_PREFIX
from npgan.cli.console import Terminated
from npgan.gan import GANTrainer, NonFiniteLossError
from npgan.training.runfolder import RunFolder

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def script(folder, name):
    """Import folder/name.py by path; registered in sys.modules, so a worker process can unpickle its functions."""
    spec = importlib.util.spec_from_file_location(f"{name}_command", os.path.join(ROOT, folder, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gaussian_1d = script("examples", "gaussian_1d")
mixture_2d = script("examples", "mixture_2d")
TINY_1D = ["--steps", "1", "--frames", "2", "--k", "1", "--hidden", "4", "--batch-size", "8", "--log-lines", "1",
           "--no-progress"]
TINY_2D = ["--datasets", "ring", "--losses", "minimax", "--k", "1", "--iterations", "2", "--snapshots", "1",
           "--g-hidden", "4", "--d-hidden", "4", "--batch-size", "8", "--workers", "1", "--no-progress"]
EXAMPLES = {"gaussian_1d": (gaussian_1d, TINY_1D), "mixture_2d": (mixture_2d, TINY_2D)}


def cli(main, argv, capsys):
    """(exit code, its one line) of main(argv): no traceback, and exactly one line on stderr when it fails
    (argparse's usage lines aside)."""
    code, _, err = run_main(main, argv, capsys)
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    assert len(lines) == (1 if code else 0), err
    return code, lines[0] if lines else ""


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, names in os.walk(folder) for f in names)


FLAG_CASES_1D = [  # flags, the message (argparse's form: exit 2)
    (["--steps", "0"], "argument --steps: must be an integer >= 1, got 0"),
    (["--steps", str(10**12)], "argument --steps: must be an integer in [1, 1000000], got 1000000000000"),
    (["--steps", "x"], "argument --steps: invalid int value: 'x'"),
    (["--k", "0"], "argument --k: must be an integer >= 1, got 0"),
    (["--k", "1000"], "argument --k: must be an integer in [1, 100], got 1000"),
    (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1, got 0"),
    (["--batch-size", str(10**9)], "argument --batch-size: must be an integer in [1, 16384], got 1000000000"),
    (["--hidden", "0"], "argument --hidden: must be an integer >= 1, got 0"),
    (["--hidden", str(10**6)], "argument --hidden: must be an integer in [1, 1024], got 1000000"),
    (["--lr-d", "nan"], "argument --lr-d: must be a finite number in (0, 1], got nan"),
    (["--lr-d", "0"], "argument --lr-d: must be a finite number in (0, 1], got 0.0"),
    (["--lr-g", "inf"], "argument --lr-g: must be a finite number in (0, 1], got inf"),
    (["--lr-g", "-1"], "argument --lr-g: must be a finite number in (0, 1], got -1.0"),
    (["--frames", "1"], "argument --frames: must be an integer >= 2, got 1"),
    (["--frames", str(10**9)], "argument --frames: must be an integer in [2, 300], got 1000000000"),
    (["--log-lines", "0"], "argument --log-lines: must be an integer >= 1, got 0"),
    (["--log-lines", str(10**9)], "argument --log-lines: must be an integer in [1, 1000], got 1000000000"),
    (["--fps", "0"], "argument --fps: must be an integer >= 1, got 0"),
    (["--fps", "1000"], "argument --fps: must be an integer in [1, 50], got 1000"),
    (["--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["--data", "uniform"], "argument --data: invalid choice: 'uniform'"),
]
FLAG_CASES_2D = [
    (["--workers", "0"], "argument --workers: must be an integer >= 1, got 0"),
    (["--workers", str(10**6)], "argument --workers: must be an integer in [1, 64], got 1000000"),
    (["--iterations", "0"], "argument --iterations: must be an integer >= 1, got 0"),
    (["--iterations", str(10**12)], "argument --iterations: must be an integer in [1, 1000000], got 1000000000000"),
    (["--snapshots", "0"], "argument --snapshots: must be an integer >= 1, got 0"),
    (["--snapshots", str(10**6)], "argument --snapshots: must be an integer in [1, 20], got 1000000"),
    (["--k", "1", "0"], "argument --k: must be an integer >= 1, got 0"),
    (["--k", "1000"], "argument --k: must be an integer in [1, 100], got 1000"),
    (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1, got 0"),
    (["--batch-size", str(10**9)], "argument --batch-size: must be an integer in [1, 16384], got 1000000000"),
    (["--g-hidden", "0"], "argument --g-hidden: must be an integer >= 1, got 0"),
    (["--d-hidden", str(10**6)], "argument --d-hidden: must be an integer in [1, 1024], got 1000000"),
    (["--lr", "inf"], "argument --lr: must be a finite number in (0, 1], got inf"),
    (["--lr", "nan"], "argument --lr: must be a finite number in (0, 1], got nan"),
    (["--lr", "0"], "argument --lr: must be a finite number in (0, 1], got 0.0"),
    (["--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["--datasets", "spiral"], "argument --datasets: invalid choice: 'spiral'"),
]
FLAG_CASES = ([("gaussian_1d", *case) for case in FLAG_CASES_1D] + [("mixture_2d", *case) for case in FLAG_CASES_2D]
              + [(name, ["--out", ""], "argument --out: needs a folder name") for name in EXAMPLES])


@pytest.mark.parametrize("name, flags, message", FLAG_CASES, ids=[f"{c[0]} {' '.join(c[1])}" for c in FLAG_CASES])
def test_a_flag_out_of_range_is_one_argparse_line_and_nothing_is_written(tmp_path, capsys, name, flags, message):
    main, tiny = EXAMPLES[name]
    code, line = cli(main.main, tiny + ["--out", str(tmp_path / "out")] + flags, capsys)
    assert code == 2 and line.startswith(f"{name}.py: error: {message}"), line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_output_folder_is_created_refused_when_it_holds_a_run_and_replaced_only_with_overwrite(tmp_path, capsys,
                                                                                                  name):
    main, tiny = EXAMPLES[name]
    out = tmp_path / "new" / "folder"  # a folder that does not exist yet is created
    assert cli(main.main, tiny + ["--out", str(out)], capsys) == (0, "")
    (out / "notes.txt").write_text("mine")  # a file of the user's is no run output: kept through everything
    first = files_under(out)
    assert [f for f in first if f.endswith((".png", ".json"))] and not [f for f in first if TEMP_PREFIX in f]
    before = {f: (out / f).read_bytes() for f in first}

    code, line = cli(main.main, tiny + ["--out", str(out)], capsys)
    assert code == 1 and line.startswith(f"{name}.py: error: {str(out)!r} holds the outputs of an earlier run (")
    assert line.endswith("replace them with --overwrite, or choose another --out")
    assert {f: (out / f).read_bytes() for f in files_under(out)} == before  # untouched

    if name == "gaussian_1d":
        (out / "frames" / "frame_099.png").write_bytes(b"an earlier, longer run's frame")
        (out / "frames" / f"{TEMP_PREFIX}killed.png").write_bytes(b"a kill -9 mid-write")  # removed on opening
    (out / f"{TEMP_PREFIX}killed.json").write_text("{")
    assert cli(main.main, tiny + ["--out", str(out), "--overwrite"], capsys) == (0, "")
    assert files_under(out) == first and (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_output_path_that_is_a_file_or_is_in_use_is_one_line(tmp_path, capsys, name):
    main, tiny = EXAMPLES[name]
    path = tmp_path / "a_file"
    path.write_text("keep")
    code, line = cli(main.main, tiny + ["--out", str(path)], capsys)
    assert (code, line) == (1, f"{name}.py: error: output folder {str(path)!r} exists and is not a folder")
    assert path.read_text() == "keep"

    busy = RunFolder(tmp_path / "busy")
    busy.open()  # another process writes there
    try:
        code, line = cli(main.main, tiny + ["--out", str(tmp_path / "busy")], capsys)
    finally:
        busy.close()
    assert code == 1 and "another npgan run is writing to" in line, line


@pytest.mark.parametrize("error, code, word", [(KeyboardInterrupt, 130, "interrupted"),
                                               (Terminated, 143, "terminated")])
def test_a_signal_while_the_outputs_are_written_leaves_no_temporary_file(tmp_path, capsys, monkeypatch, error, code,
                                                                         word):
    def stopped(*args, **kwargs):
        raise error
    monkeypatch.setattr(json, "dump", stopped)  # mid-way through summary.json, after the figures
    out = tmp_path / "out"
    assert cli(gaussian_1d.main, TINY_1D + ["--out", str(out)], capsys) == (code, f"gaussian_1d.py: {word}")
    written = files_under(out)
    assert "summary.json" not in written and not [f for f in written if TEMP_PREFIX in f], written


@pytest.mark.parametrize("name", EXAMPLES)
def test_ctrl_c_during_training_keeps_the_earlier_outputs_even_with_overwrite(tmp_path, capsys, monkeypatch, name):
    main, tiny = EXAMPLES[name]
    out = tmp_path / "out"
    assert cli(main.main, tiny + ["--out", str(out)], capsys)[0] == 0
    before = {f: (out / f).read_bytes() for f in files_under(out)}

    def interrupted(self, real):
        raise KeyboardInterrupt
    monkeypatch.setattr(GANTrainer, "iteration", interrupted)
    assert cli(main.main, tiny + ["--out", str(out), "--overwrite"], capsys) == (130, f"{name}.py: interrupted")
    assert {f: (out / f).read_bytes() for f in files_under(out)} == before


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_diverged_run_and_a_missing_matplotlib_are_one_line(tmp_path, capsys, monkeypatch, name):
    main, tiny = EXAMPLES[name]

    def diverged(self, check_state=True):
        raise NonFiniteLossError("non-finite loss at iteration 1: D loss nan, G loss nan")
    with monkeypatch.context() as patch:
        patch.setattr(GANTrainer, "pop_records", diverged)
        code, line = cli(main.main, tiny + ["--out", str(tmp_path / "diverged")], capsys)
    assert (code, line) == (1, f"{name}.py: error: non-finite loss at iteration 1: D loss nan, G loss nan")

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    code, line = cli(main.main, tiny + ["--out", str(tmp_path / "no_matplotlib")], capsys)
    assert (code, line) == (1, f'{name}.py: error: matplotlib is missing: pip install -e ".[examples]"')
    assert not (tmp_path / "no_matplotlib").exists()


def test_mixture_2d_runs_a_setting_given_twice_once(tmp_path, capsys):
    out = tmp_path / "out"
    argv = TINY_2D + ["--datasets", "ring", "ring", "--losses", "minimax", "minimax", "--k", "1", "1"]
    assert cli(mixture_2d.main, argv + ["--out", str(out)], capsys) == (0, "")
    runs = json.loads((out / "mixture_2d.json").read_text())["runs"]
    assert [(r["dataset"], r["loss"], r["k"]) for r in runs] == [("ring", "minimax", 1)]


# --- signals to the real process: mixture_2d's worker processes ------------------------------------------

def _processes():
    """{pid: (state, parent pid, process group, command line)} of every process (Linux /proc)."""
    table = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                state, ppid, group = f.read().rsplit(")", 1)[1].split()[:3]
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                table[int(pid)] = (state, int(ppid), int(group), f.read())
        except OSError:  # it ended meanwhile
            continue
    return table


def _group(pgid):
    """The live processes of process group `pgid`."""
    return [pid for pid, (state, _, group, _) in _processes().items() if group == pgid and state != "Z"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="lists the worker processes through Linux's /proc")
@pytest.mark.parametrize("signum, code, word, to_group", [(signal.SIGINT, 130, "interrupted", True),
                                                         (signal.SIGTERM, 143, "terminated", False)],
                         ids=["ctrl-c to the terminal's process group", "SIGTERM to the parent alone"])
def test_a_signal_ends_mixture_2d_and_every_worker_with_one_line(tmp_path, signum, code, word, to_group):
    out = tmp_path / "out"
    argv = [sys.executable, os.path.join(ROOT, "examples", "mixture_2d.py"), "--datasets", "ring", "--k", "1", "2",
            "--iterations", "200000", "--workers", "2", "--no-progress", "--out", str(out)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        deadline = time.monotonic() + 60
        while len(_group(process.pid)) < 3 and time.monotonic() < deadline:  # the parent and its 2 workers
            time.sleep(0.1)
        assert len(_group(process.pid)) == 3, "the workers did not start"
        time.sleep(1.0)  # into the training loops
        os.killpg(process.pid, signum) if to_group else process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == code, err
    assert [line for line in err.splitlines() if line.strip()] == [f"mixture_2d.py: {word}"], err
    time.sleep(0.2)
    assert _group(process.pid) == []  # no worker left behind
    assert files_under(out) == [".npgan-lock"]  # no output, no temporary file


# --- the developer tools ---------------------------------------------------------------------------------

build = script("notebooks", "build")
make_figures = script("docs", "make_figures")


@pytest.fixture
def notebooks(tmp_path, monkeypatch):
    """build.py working on a copy of notebook 01 in tmp_path (never on the checkout's notebooks/)."""
    pytest.importorskip("jupytext", reason='the notebooks extra: pip install -e ".[notebooks]"')
    source = os.path.join(ROOT, "notebooks", "01_backprop_by_hand.py")
    (tmp_path / "01_backprop_by_hand.py").write_bytes(open(source, "rb").read())
    monkeypatch.setattr(build, "HERE", str(tmp_path))
    monkeypatch.setattr(build, "ROOT", str(tmp_path))
    return tmp_path


def test_build_refuses_to_replace_a_notebook_unless_overwrite(notebooks, capsys):
    target = notebooks / "01_backprop_by_hand.ipynb"
    assert cli(build.main, ["01"], capsys) == (0, "")
    target.write_text("a student's answers")
    code, line = cli(build.main, ["01"], capsys)
    assert code == 1 and line.startswith("build.py: error: 01_backprop_by_hand.ipynb exists") and "--overwrite" in line
    assert target.read_text() == "a student's answers"
    assert cli(build.main, ["01", "--overwrite"], capsys) == (0, "")
    assert json.loads(target.read_text())["cells"] and not [f for f in os.listdir(notebooks) if TEMP_PREFIX in f]


@pytest.mark.parametrize("flags, message", [
    (["09"], "no notebook matches 09"),
    (["--docs-figure"], "--docs-figure needs --execute"),
    (["01", "--execute", "--docs-figure"], "--docs-figure needs notebook 03 among those built"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_build_flag_mistakes_are_one_argparse_line(notebooks, capsys, flags, message):
    assert cli(build.main, flags, capsys) == (2, f"build.py: error: {message}")
    assert os.listdir(notebooks) == ["01_backprop_by_hand.py"]


def test_build_and_make_figures_without_their_packages_are_one_line(notebooks, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(make_figures, "ROOT", str(tmp_path))
    assert cli(make_figures.main, [], capsys) == (0, "")
    assert os.listdir(tmp_path / "docs" / "img") == ["saturation.png"]
    assert cli(make_figures.main, ["--bogus"], capsys) == (2, "make_figures.py: error: unrecognized arguments: --bogus")

    monkeypatch.setitem(sys.modules, "jupytext", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert cli(build.main, ["01"], capsys) == (1, 'build.py: error: jupytext is missing: pip install -e ".[notebooks]"')
    assert cli(make_figures.main, [], capsys) == (
        1, 'make_figures.py: error: matplotlib is missing: pip install -e ".[examples]"')


def _kernels_of(parent):
    """The live Jupyter kernels that process `parent` started (each in a session of its own)."""
    return [pid for pid, (state, ppid, _, command) in _processes().items()
            if ppid == parent and state != "Z" and b"ipykernel" in command]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the kernel process through Linux's /proc")
def test_ctrl_c_while_build_executes_a_notebook_stops_its_kernel_with_one_line(notebooks):
    pytest.importorskip("nbclient", reason='the notebooks extra: pip install -e ".[notebooks]"')
    pytest.importorskip("ipykernel", reason='the notebooks extra: pip install -e ".[notebooks]"')
    source = os.path.join(ROOT, "notebooks", "02_algorithm1_in_1d.py")  # trains for a while: a cell runs
    (notebooks / "02_algorithm1_in_1d.py").write_bytes(open(source, "rb").read())
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('build', sys.argv[1]); "
            "build = importlib.util.module_from_spec(spec); spec.loader.exec_module(build); "
            "build.HERE = build.ROOT = sys.argv[2]; sys.exit(build.main(sys.argv[3:]))")
    process = subprocess.Popen([sys.executable, "-c", code, os.path.join(ROOT, "notebooks", "build.py"),
                                str(notebooks), "02", "--execute"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        deadline = time.monotonic() + 60
        while not _kernels_of(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        kernels = _kernels_of(process.pid)
        assert kernels, "no kernel started"
        time.sleep(3.0)  # the kernel is up and runs the notebook's cells
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals build.py's process group
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    ours = [line for line in err.splitlines() if line.strip() and not line.startswith("[IPKernelApp]")]
    assert ours == ["build.py: interrupted"], err  # the kernel's own log lines aside
    alive = _processes()
    assert not [pid for pid in kernels if pid in alive and alive[pid][0] != "Z"]  # the kernel was shut down
    assert sorted(os.listdir(notebooks)) == ["01_backprop_by_hand.py", "02_algorithm1_in_1d.py"]
