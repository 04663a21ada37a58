"""Every bad input and fault a hostile new user tried ends in one clear line and a non-zero exit, or in a
correct run: flags out of range (argparse's exit 2), files that are not checkpoints, checkpoints of another
architecture or with a section missing, bad data files, an output folder that cannot be written."""
import os
import subprocess
import sys

import numpy as np
import pytest

from commands import run_main
from idx_files import idx_bytes, write, write_split
from npgan.checkpoint import load_checkpoint, save_checkpoint
from npgan.cli.mnist import main
from npgan.data import mnist

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TINY = ["--z-dim", "8", "--hidden", "8", "--batch-size", "16", "--no-progress"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 64)
    return str(directory)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("run")
    assert main(TINY + ["--epochs", "1", "--data-dir", data_dir, "--out", str(out / "slides")]) == 0
    return str(out / "slides" / "latest.npz")


def cli(argv, capsys):
    """(exit code, the error line) of one command; asserts the error is a single line, no traceback."""
    code, _, err = run_main(main, argv, capsys)
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == (1 if code else 0), err
    return code, lines[0] if lines else ""


FLAG_CASES = [  # flags, the message's words (argparse: exit 2)
    (["--epochs", "0"], "--epochs: must be an integer >= 1, got 0"),
    (["--epochs", "-1"], "--epochs: must be an integer >= 1, got -1"),
    (["--k", "-1"], "--k: must be an integer >= 1"),
    (["--k", "0"], "--k: must be an integer >= 1"),
    (["--z-dim", "0"], "--z-dim: must be an integer >= 1"),
    (["--hidden", "0"], "--hidden: must be an integer >= 1"),
    (["--batch-size", "0"], "--batch-size: must be an integer >= 1"),
    (["--train-images", "0"], "--train-images: must be an integer >= 1"),
    (["--train-images", "-5"], "--train-images: must be an integer >= 1"),
    (["--lr", "-1"], "--lr: must be a finite number > 0"),
    (["--lr", "0"], "--lr: must be a finite number > 0"),
    (["--lr", "nan"], "--lr: must be a finite number > 0"),
    (["--lr", "inf"], "--lr: must be a finite number > 0"),
    (["--momentum", "-1"], "--momentum: must be a finite number in [0, 1)"),
    (["--momentum", "1"], "--momentum: must be a finite number in [0, 1)"),
    (["--betas", "1.5", "2"], "--betas: must be a finite number in [0, 1)"),
    (["--lr-decay", "0"], "--lr-decay: must be a finite number >= 1"),
    (["--min-lr", "-1"], "--min-lr: must be a finite number in [0,"),
    (["--log-every", "0"], "--log-every: must be an integer >= 1"),
    (["--checkpoint-every", "0"], "--checkpoint-every: must be an integer >= 1"),
    (["--sample-every", "0"], "--sample-every: must be an integer >= 1"),
    (["--seed", "-1"], "--seed: must be an integer >= 0"),
    (["--batch-size", "128"], "--batch-size: 64 training images make no full iteration"),
    (["--batch-size", "32", "--k", "3"], "--batch-size: 64 training images make no full iteration of 3"),
    (["--epochs", "x"], "argument --epochs: invalid int value"),
    (["--checkpoint", "ck.npz"], "--checkpoint is for sampling: add --sample N"),
    (["--sample", "3"], "--sample needs --checkpoint"),
]


@pytest.mark.parametrize("flags, message", FLAG_CASES, ids=[" ".join(c[0]) for c in FLAG_CASES])
def test_a_flag_out_of_range_is_one_argparse_line_and_nothing_is_written(tmp_path, data_dir, capsys, flags,
                                                                        message):
    out = tmp_path / "run"
    code, line = cli(TINY + ["--data-dir", data_dir, "--out", str(out), *flags], capsys)
    assert code == 2 and message in line, line
    assert not out.exists()  # validated before anything is written


@pytest.mark.parametrize("value", ["0", "-1"])
def test_sample_count_out_of_range(checkpoint, tmp_path, capsys, value):
    code, line = cli(["--checkpoint", checkpoint, "--sample", value, "--sample-out", str(tmp_path / "s.npy")],
                     capsys)
    assert code == 2 and "--sample: must be an integer >= 1" in line and not (tmp_path / "s.npy").exists()


def _not_a_checkpoint(tmp_path, kind, checkpoint):
    path = tmp_path / f"{kind}.npz"
    if kind == "npy":
        np.save(tmp_path / "plain.npy", np.zeros(3))
        return str(tmp_path / "plain.npy"), "is not an npgan checkpoint: it is a plain .npy array"
    if kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
        return str(path), "is not an npgan checkpoint: it is not a complete .npz archive"
    if kind == "directory":
        return str(tmp_path), "is not an npgan checkpoint: it is a directory"
    if kind == "missing":
        return str(tmp_path / "nowhere.npz"), "does not exist"
    if kind == "truncated":
        path.write_bytes(open(checkpoint, "rb").read()[:5000])
        return str(path), "truncated"
    if kind == "foreign-npz":
        np.savez(path, a=np.zeros(2))
        return str(path), "not an npgan checkpoint (no __format__ entry)"
    state = load_checkpoint(checkpoint)
    if kind == "no-loader":
        del state["loader"]
        message = "not a training-run checkpoint (it has no loader section)"
    elif kind == "future-layout":
        state["layout"] = "npgan-run-7"
        message = "run layout 'npgan-run-7' is not one this npgan"
    elif kind == "bad-recipe":
        state["recipe"] = '{"arch": "slides", "z_dim": 0}'
        message = "damaged run checkpoint"
    elif kind == "other-architecture":  # weights of one arch under the recipe of another
        state["recipe"] = state["recipe"].replace('"hidden": 8', '"hidden": 16')
        message = "its weights do not fit the 'slides' GAN (z_dim 8, hidden 16, 28×28 images)"
    elif kind == "nan-weights":
        state["trainer"]["G"]["0.weight"][0, 0] = np.nan
        message = "holds non-finite values (G/0.weight): the run had diverged"
    save_checkpoint(path, state)
    return str(path), message


KINDS = ["npy", "random", "directory", "missing", "truncated", "foreign-npz", "no-loader", "future-layout",
         "bad-recipe", "other-architecture", "nan-weights"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_that_cannot_be_resumed_is_named_in_one_line(tmp_path, data_dir, checkpoint, capsys, kind):
    path, message = _not_a_checkpoint(tmp_path, kind, checkpoint)
    code, line = cli(["--no-progress", "--data-dir", data_dir, "--out", str(tmp_path / "run"), "--resume", path],
                     capsys)
    assert code == 1 and message in line and os.path.basename(path) in line, line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("kind", ["npy", "random", "directory", "missing", "no-loader", "nan-weights"])
def test_sampling_from_a_file_that_is_not_a_checkpoint(tmp_path, checkpoint, capsys, kind):
    path, message = _not_a_checkpoint(tmp_path, kind, checkpoint)
    code, line = cli(["--checkpoint", path, "--sample", "4", "--sample-out", str(tmp_path / "s.npy")], capsys)
    assert code == 1 and os.path.basename(path) in line
    assert message in line or (kind == "nan-weights" and "non-finite values" in line), line


def test_a_paper_checkpoint_resumed_as_slides_names_both(tmp_path, data_dir, capsys):
    out = tmp_path / "paper"
    assert main(["--arch", "paper", "--hidden", "16", "--batch-size", "16", "--epochs", "1", "--no-progress",
                 "--data-dir", data_dir, "--out", str(out)]) == 0
    capsys.readouterr()
    code, line = cli(["--resume", str(out / "latest.npz"), "--arch", "slides", "--out", str(out)], capsys)
    assert code == 1 and "holds a 'paper' GAN (z_dim 100, hidden 16, 28×28 images); --arch slides asks for another" in line


def _idx_folder(tmp_path, damage):
    folder = tmp_path / damage
    folder.mkdir()
    write_split(folder, "train", 20)
    images = folder / (mnist.FILES["train"][0] + ".gz")
    if damage == "directory":
        os.remove(images)
        os.mkdir(images)
        return folder, "is a directory, not an IDX file"
    if damage == "no-images":
        write(images, idx_bytes(np.zeros((0, 28, 28), np.uint8)), compress=True)
        return folder, "holds no images"
    if damage == "overflowing-dims":  # 2^32-1 in every dimension: the product overflows int64
        write(images, bytes([0, 0, 8, 3]) + b"\xff\xff\xff\xff" * 3 + b"\0" * 100, compress=True)
        return folder, "truncated?"
    raise AssertionError(damage)


@pytest.mark.parametrize("damage", ["directory", "no-images", "overflowing-dims"])
def test_a_bad_data_folder_names_the_file(tmp_path, capsys, damage):
    folder, message = _idx_folder(tmp_path, damage)
    code, line = cli(TINY + ["--data-dir", str(folder), "--out", str(tmp_path / "run")], capsys)
    assert code == 1 and message in line and "train-images" in line, line
    assert not (tmp_path / "run").exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path, data_dir, capsys):
    (tmp_path / "taken").write_text("not a folder")
    code, line = cli(TINY + ["--data-dir", data_dir, "--out", str(tmp_path / "taken")], capsys)
    assert code == 1 and "exists and is not a folder" in line


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_names_the_file_and_leaves_no_temporary_file(tmp_path, data_dir):
    """A file-size limit (as a full disk or a quota would) stops the first checkpoint: one line naming it."""
    out = tmp_path / "run"
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000)); "
            "from npgan.cli.mnist import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", code, *TINY, "--epochs", "1", "--data-dir", data_dir,
                             "--out", str(out)], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: [Errno 27] cannot write" in result.stderr and "File too large" in result.stderr, result.stderr
    assert not [name for name in os.listdir(out) if name.startswith(".npgan-tmp-")]
