"""The run layer data-parallel, end to end: `mpiexec -n 2 python -m npgan.cli.mnist ...` trains the same GAN as
one process at the same global batch, writes its outputs once (rank 0), stops on Ctrl-C at the same
iteration on both ranks, and leaves checkpoints that one process resumes."""
import importlib.util
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from idx_files import write_split
from npgan.checkpoint import flatten, load_checkpoint
from npgan.cli.mnist import main
from npgan.gan import presets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MPIEXEC = next((p for p in (os.path.join(os.path.dirname(sys.executable), "mpiexec"),) if os.path.exists(p)),
               None) or shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
                                reason='MPI tests need mpi4py and mpiexec: pip install -e ".[mpi]"')
TINY = ["--z-dim", "8", "--hidden", "8", "--batch-size", "16", "--no-progress", "--log-every", "2", "--seed", "5"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 96)
    return str(directory)


def mpi(*args, n=2):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([MPIEXEC, "-n", str(n), sys.executable, "-m", "npgan.cli.mnist", *args], env=env,
                          capture_output=True, text=True, timeout=180)
    return done.returncode, done.stdout, done.stderr


def state(path):
    """The trainer's tensors and, when the run averaged G, the average's (as "ema/...")."""
    saved = load_checkpoint(path)
    tensors = {k: v for k, v in flatten(saved["trainer"]).items() if not k.startswith("counters")}
    if "ema" in saved:
        tensors.update({f"ema/{k}": v for k, v in flatten(saved["ema"]["G"]).items()})
    return tensors


def assert_close(a, b, atol):
    assert a.keys() == b.keys()
    worst = max(float(np.max(np.abs(np.asarray(a[k], np.float64) - b[k]), initial=0.0)) for k in a)
    assert worst <= atol, worst


@pytest.mark.parametrize("preset", [["--arch", "tutorial"], ["--arch", "slides", "--sync-bn"],
                                    ["--arch", "tutorial", "--ema", "0.9"],
                                    ["--arch", "slides", "--sync-bn", "--ema", "0.9"]])
def test_two_ranks_train_what_one_process_trains(tmp_path, data_dir, preset):
    code, out, err = mpi(*TINY, *preset, "--epochs", "2", "--data-dir", data_dir, "--out", str(tmp_path / "p2"))
    assert code == 0, err
    assert out.count("npgan ") == 1 and out.count("epoch 2/2") == 1  # rank 0 alone speaks ...
    names = sorted(os.listdir(tmp_path / "p2"))
    assert names == sorted([".npgan-lock", "curves.png", "history.jsonl", "latest.npz", "metrics.csv",
                            "samples_epoch001.png", "samples_epoch002.png"])  # ... and writes, once
    assert main(TINY + preset + ["--epochs", "2", "--data-dir", data_dir, "--out", str(tmp_path / "p1")]) == 0
    # slides: a Linear bias right before a BatchNorm has gradient exactly 0, which Adam turns into steps of
    # about lr from the rounding noise (docs/distributed.md); everything else agrees to float32 rounding
    atol = 2 * 12 * presets.recipe("slides").lr if "--sync-bn" in preset else 1e-5
    two, one = state(tmp_path / "p2" / "latest.npz"), state(tmp_path / "p1" / "latest.npz")
    averages = "--ema" in preset or presets.recipe(preset[1]).ema is not None  # slides averages by default
    assert any(k.startswith("ema/") for k in two) == any(k.startswith("ema/") for k in one) == averages
    assert_close(two, one, atol)
    rows = [open(tmp_path / run / "metrics.csv").read().splitlines() for run in ("p2", "p1")]
    assert len(rows[0]) == len(rows[1]) == 1 + 12


def test_ctrl_c_stops_both_ranks_and_one_process_resumes(tmp_path, data_dir):
    out = str(tmp_path / "run")
    code, stdout, err = mpi(*TINY, "--arch", "tutorial", "--epochs", "2", "--interrupt-after", "4",
                            "--data-dir", data_dir, "--out", out)
    assert code == 130 and "interrupted at epoch 1, iteration 4" in stdout, err
    assert main(["--resume", os.path.join(out, "latest.npz"), "--out", out, "--no-progress"]) == 0
    straight = str(tmp_path / "straight")
    assert main(TINY + ["--arch", "tutorial", "--epochs", "2", "--data-dir", data_dir, "--out", straight]) == 0
    assert_close(state(os.path.join(out, "latest.npz")), state(os.path.join(straight, "latest.npz")), 1e-5)


@pytest.mark.parametrize("flags, code, message", [
    (["--batch-size", "15"], 2, "argument --batch-size: 15 must be divisible by the 2 ranks"),  # in the run
    (["--epochs", "x"], 2, "argument --epochs: invalid int value"),                           # argparse's own
    (["--resume", "nowhere.npz"], 1, "checkpoint 'nowhere.npz' does not exist"),               # a user error
])
def test_a_refusal_is_one_line_printed_once(tmp_path, data_dir, flags, code, message):
    """Every rank refuses alike; rank 0 alone says so (npgan.cli.console), so the user reads it once."""
    got, _, err = mpi(*TINY, *flags, "--data-dir", data_dir, "--out", str(tmp_path / "run"))
    assert got == code and err.count(message) == 1, err
    assert err.count("error:") == 1 and err.count("usage:") <= 1, err
    assert "Traceback" not in err and not (tmp_path / "run").exists()
