"""Fault injection: a real training run (the command line, in its own process) SIGKILLed at random moments,
most of them inside a checkpoint write. After each kill the folder must be consistent — latest.npz loads,
every periodic checkpoint up to it exists and loads — and the next start must remove the temporary files
the kill left and finish the run with every periodic checkpoint written.

Half the kills are aimed at checkpoint writes (a few ms after one begins), half fall at random moments.
A few trials run by default; `pytest -m slow tests/test_faults.py -s` runs 50 and prints the tally.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from idx_files import write_split
from npgan.checkpoint import TEMP_PREFIX, load_checkpoint

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EPOCHS = 4
# hidden 48: checkpoints of about 10 MB, so that a good share of the kills land inside a write
FLAGS = ["-m", "npgan.cli.mnist", "--z-dim", "8", "--hidden", "48", "--batch-size", "16", "--epochs", str(EPOCHS),
         "--checkpoint-every", "1", "--sample-every", "100", "--no-progress", "--log-every", "100"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 48)
    return str(directory)


def start(data_dir, out, resume=None, overwrite=False):
    flags = ["--resume", os.path.join(out, resume)] if resume else ["--data-dir", data_dir]
    flags += ["--overwrite"] if overwrite else []
    return subprocess.Popen([sys.executable, *FLAGS, *flags, "--out", out], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))


def check_consistent(out):
    """(the checkpoint to resume from or None, epochs it finished, temp files present); asserts nothing is
    corrupt or lost."""
    names = os.listdir(out)
    temps = [name for name in names if name.startswith(TEMP_PREFIX)]
    periodic = sorted(name for name in names if name.startswith("ckpt_epoch"))
    if "latest.npz" not in names:  # killed before the first epoch's latest.npz: at most its periodic one
        assert periodic in ([], ["ckpt_epoch001.npz"]), names
        if not periodic:
            return None, 0, temps
    newest = "latest.npz" if "latest.npz" in names else periodic[-1]
    finished = load_checkpoint(os.path.join(out, newest))["progress"]["epoch"] - 1  # raises if corrupt
    for epoch in range(1, finished + 1):  # written before latest.npz moved past them: none may be missing
        path = os.path.join(out, f"ckpt_epoch{epoch:03d}.npz")
        assert os.path.exists(path), f"lost {path} (latest.npz is at epoch {finished + 1})"
        assert load_checkpoint(path)["progress"]["epoch"] == epoch + 1
    return newest, finished, temps


def writing(out):
    return any(name.startswith(TEMP_PREFIX) for name in os.listdir(out))


def trial(data_dir, out, rng, aimed):
    """One kill and one recovery; returns (killed mid-write: temp files found, epochs finished at the kill).

    aimed: the kill comes 0-20 ms after a checkpoint write (its temporary file) is seen to begin, at a
    random one of the run's writes; else at a random moment of the run."""
    process = start(data_dir, out)
    process.stdout.readline()  # the banner: training has started
    deadline = time.monotonic() + 60
    if aimed:
        for _ in range(int(rng.integers(1, 2 * EPOCHS))):  # skip to the n-th write
            while not writing(out) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.0005)
            while writing(out) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.0005)
        while not writing(out) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0.0, 0.02))
    else:
        time.sleep(rng.uniform(0.0, 1.5 * EPOCHS))
    process.send_signal(signal.SIGKILL)
    process.communicate()
    newest, finished, temps = check_consistent(out)
    resumed = start(data_dir, out, resume=newest, overwrite=newest is None)  # as the refusal message says
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    _, finished_after, temps_after = check_consistent(out)
    assert finished_after == EPOCHS and not temps_after, (finished_after, temps_after)
    if temps:
        assert f"removed {len(temps)} temporary file(s)" in stdout
    return bool(temps), finished


def run_trials(tmp_path, data_dir, count):
    rng = np.random.default_rng(20141208)
    results = [trial(data_dir, str(tmp_path / f"run{i}"), rng, aimed=i % 2 == 0) for i in range(count)]
    print(f"{count} kills ({(count + 1) // 2} aimed at checkpoint writes): {sum(mid for mid, _ in results)} "
          f"inside a write (a temp file left), "
          f"epochs finished at the kill: {[done for _, done in results]}; 0 corrupt, 0 lost, 0 temp files left")


def test_kills_leave_a_consistent_folder(tmp_path, data_dir):
    run_trials(tmp_path, data_dir, 3)


@pytest.mark.slow
def test_fifty_kills_leave_a_consistent_folder(tmp_path, data_dir):
    run_trials(tmp_path, data_dir, 50)
