"""`npgan-mnist --checkpoint C --sample N` is as careful as the training run: its outputs are checked before the
generator runs (an .npy and the .png grid beside it, neither a folder, the input, or an existing file unless
--overwrite), every count and seed is range-checked, and Ctrl-C or SIGTERM ends in one line with nothing
half-written. Also: --resume and --overwrite together are refused, since one deletes what the other continues.
"""
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from npgan.cli.mnist import MAX_SAMPLES, main
from test_robustness import TINY, cli

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("run") / "slides"
    assert main(TINY + ["--epochs", "1", "--checkpoint-every", "1", "--data-dir", data_dir, "--out", str(out)]) == 0
    return out


def sample(run_dir, out, *flags):
    return ["--checkpoint", str(run_dir / "latest.npz"), "--sample", "4", "--sample-out", str(out), *flags]


def test_sampling_writes_the_array_and_its_grid(run_dir, tmp_path, capsys):
    assert cli(sample(run_dir, tmp_path / "digits.npy"), capsys) == (0, "")
    assert np.load(tmp_path / "digits.npy").shape == (4, 784) and (tmp_path / "digits.png").exists()


OUTPUT_CASES = {  # --sample-out -> the words of the refusal (argparse's exit 2)
    "a .png (the grid would overwrite it)": ("samples.png", "must end in .npy"),
    "no extension": ("samples", "must end in .npy"),
    "a folder": (".", "is a folder"),
    "a missing folder": (os.path.join("nowhere", "s.npy"), "does not exist"),
}


@pytest.mark.parametrize("name", OUTPUT_CASES)
def test_an_output_that_cannot_be_written_is_refused_before_sampling(run_dir, tmp_path, capsys, name):
    out, message = OUTPUT_CASES[name]
    before = sorted(os.listdir(tmp_path))
    code, line = cli(sample(run_dir, tmp_path / out), capsys)
    assert code == 2 and "--sample-out" in line and message in line, line
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.parametrize("existing", ["s.npy", "s.png"])
def test_existing_samples_are_replaced_only_with_overwrite(run_dir, tmp_path, capsys, existing):
    (tmp_path / existing).write_bytes(b"earlier work")
    code, line = cli(sample(run_dir, tmp_path / "s.npy"), capsys)
    assert code == 2 and "exists: pass --overwrite" in line and existing in line, line
    assert (tmp_path / existing).read_bytes() == b"earlier work"
    assert cli(sample(run_dir, tmp_path / "s.npy", "--overwrite"), capsys) == (0, "")
    assert np.load(tmp_path / "s.npy").shape == (4, 784)


def test_a_link_to_an_existing_file_is_an_existing_file(run_dir, tmp_path, capsys):
    (tmp_path / "kept.npy").write_bytes(b"earlier work")
    os.symlink(tmp_path / "kept.npy", tmp_path / "link.npy")
    code, line = cli(sample(run_dir, tmp_path / "link.npy"), capsys)
    assert code == 2 and "exists" in line and (tmp_path / "kept.npy").read_bytes() == b"earlier work"


@pytest.mark.parametrize("flags, message", [
    (["--seed", "-1"], "--seed: must be an integer >= 0, got -1"),
    (["--sample", str(MAX_SAMPLES + 1)], f"--sample: must be an integer in [1, {MAX_SAMPLES}]"),
])
def test_sampling_flags_out_of_range(run_dir, tmp_path, capsys, flags, message):
    code, line = cli(sample(run_dir, tmp_path / "s.npy") + flags, capsys)
    assert code == 2 and message in line, line
    assert not os.listdir(tmp_path)


def test_resume_and_overwrite_together_are_refused_and_nothing_is_deleted(run_dir, data_dir, capsys):
    before = sorted(os.listdir(run_dir))
    code, line = cli(TINY + ["--data-dir", data_dir, "--resume", str(run_dir / "latest.npz"), "--overwrite",
                             "--out", str(run_dir), "--epochs", "2"], capsys)
    assert code == 2 and "--resume" in line and "--overwrite" in line, line
    assert sorted(os.listdir(run_dir)) == before and "ckpt_epoch001.npz" in before


@pytest.mark.parametrize("signum, code, word", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")])
def test_a_signal_while_sampling_is_one_line_and_leaves_no_file(run_dir, tmp_path, signum, code, word):
    """The signal comes from a timer once npgan is imported, i.e. while the checkpoint loads or the
    300,000 samples are drawn or saved (about 2 s in all): whichever, nothing is left behind."""
    script = ("import os, signal, sys, threading; from npgan.cli.mnist import main; "
              f"threading.Timer(0.5, os.kill, (os.getpid(), {int(signum)})).start(); sys.exit(main(sys.argv[1:]))")
    argv = ["--checkpoint", str(run_dir / "latest.npz"), "--sample", "300000", "--sample-out",
            str(tmp_path / "s.npy")]
    result = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip() == f"npgan-mnist: {word}", result.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("job", ["train", "sample"])
def test_an_unknown_backend_in_the_environment_is_one_line_before_any_work(run_dir, data_dir, tmp_path, capsys,
                                                                             monkeypatch, job):
    monkeypatch.setenv("NPGAN_BACKEND", "bogus")
    argv = (TINY + ["--data-dir", data_dir, "--out", str(tmp_path / "run")] if job == "train"
            else sample(run_dir, tmp_path / "s.npy"))
    code, line = cli(argv, capsys)
    assert code == 1 and "unknown backend 'bogus' (from $NPGAN_BACKEND)" in line, line
    assert os.listdir(tmp_path) == []


def test_an_empty_output_folder_name_is_refused(data_dir, capsys):
    code, line = cli(TINY + ["--data-dir", data_dir, "--out", ""], capsys)
    assert code == 2 and "argument --out: needs a folder name" in line, line


def test_a_folder_named_like_a_glob_pattern_is_only_itself(run_dir, data_dir, tmp_path, capsys):
    """`runs/[ab]` must not see the files of `runs/a` as its own (RunFolder escapes its name in globs)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "latest.npz").write_bytes((run_dir / "latest.npz").read_bytes())
    code, _ = cli(TINY + ["--epochs", "1", "--data-dir", data_dir, "--out", str(tmp_path / "[ab]")], capsys)
    assert code == 0 and (tmp_path / "[ab]" / "latest.npz").exists()


@pytest.mark.parametrize("signum, code, word", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")])
def test_a_signal_while_training_saves_latest_and_exits_with_its_status(data_dir, tmp_path, signum, code, word):
    """The first signal is a request: the run finishes its iteration, saves latest.npz and exits 130 for Ctrl-C,
    143 for SIGTERM (the shells' 128 + signal number), saying where to resume."""
    script = ("import os, signal, sys, threading; from npgan.cli.mnist import main; "
              f"threading.Timer(1.0, os.kill, (os.getpid(), {int(signum)})).start(); sys.exit(main(sys.argv[1:]))")
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-c", script, *TINY, "--epochs", "1000", "--data-dir", data_dir,
                             "--out", str(out)], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == code, result.stderr
    assert f"{word} at epoch" in result.stdout and "--resume" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr and (out / "latest.npz").exists()
    assert not [name for name in os.listdir(out) if name.startswith(".npgan-tmp-")]


def test_a_resume_with_another_seed_is_refused_before_the_data_are_read(run_dir, tmp_path, capsys):
    """The data folder here does not exist: the seed is refused first, so no download or subset is tried."""
    code, line = cli(["--resume", str(run_dir / "latest.npz"), "--out", str(run_dir), "--seed", "9",
                      "--data-dir", str(tmp_path / "nowhere"), "--epochs", "2", "--no-progress"], capsys)
    assert code == 1 and "was trained with seed 0; a resume keeps it (drop --seed)" in line, line
