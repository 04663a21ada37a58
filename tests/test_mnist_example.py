"""examples/mnist_gan.py end to end on tiny synthetic IDX data: files written, resume equals an uninterrupted
run bit for bit, Ctrl-C and non-finite losses leave a loadable checkpoint, sampling from a checkpoint."""
import importlib.util
import json
import os

import numpy as np
import pytest

from idx_files import write_split
from npgan.checkpoint import load_checkpoint

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "mnist_gan.py")
TINY = ["--arch", "slides", "--z-dim", "8", "--hidden", "8", "--batch-size", "16", "--log-every", "3",
        "--no-progress", "--seed", "3"]


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("mnist_gan_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 96)
    write_split(directory, "test", 32)
    return str(directory)


def run(example, tmp_path, data_dir, *extra, name="run"):
    out = str(tmp_path / name)
    code = example.main(TINY + ["--data-dir", data_dir, "--out", out, *extra])
    return code, out


def weights(path):
    state = load_checkpoint(path)["trainer"]
    return {f"{net}/{k}": v for net in ("G", "D", "opt_G", "opt_D") for k, v in _flat(state[net]).items()}


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}/"))
        else:
            out[prefix + key] = value
    return out


def test_a_short_run_writes_samples_curves_logs_and_checkpoints(example, tmp_path, data_dir):
    code, out = run(example, tmp_path, data_dir, "--epochs", "2", "--checkpoint-every", "1")
    assert code == 0
    for name in ("samples_epoch001.png", "samples_epoch002.png", "curves.png", "metrics.csv",
                 "history.jsonl", "latest.npz", "ckpt_epoch001.npz", "ckpt_epoch002.npz"):
        assert os.path.exists(os.path.join(out, name)), name
    lines = open(os.path.join(out, "metrics.csv")).read().splitlines()
    assert lines[0] == "epoch,iteration,d_loss,g_loss,d_real,d_fake,value"
    assert len(lines) == 1 + 2 * (96 // 16)  # one row per iteration
    history = [json.loads(line) for line in open(os.path.join(out, "history.jsonl"))]
    assert [h["epoch"] for h in history] == [1, 2]
    state = load_checkpoint(os.path.join(out, "latest.npz"))
    assert state["progress"] == {"epoch": 3, "done_in_epoch": 0}
    assert state["trainer"]["counters"]["g_updates"] == 12


@pytest.mark.parametrize("stop_at", [4, 6, 9])  # mid-epoch, at an epoch's end, and in the second epoch
def test_interrupt_and_resume_ends_bit_identical_to_an_uninterrupted_run(example, tmp_path, data_dir, stop_at):
    code, straight = run(example, tmp_path, data_dir, "--epochs", "2", name="straight")
    assert code == 0
    code, resumed = run(example, tmp_path, data_dir, "--epochs", "2", "--interrupt-after", str(stop_at),
                        name="resumed")
    assert code == 130  # the Ctrl-C path: checkpoint saved, clean exit
    interrupted = load_checkpoint(os.path.join(resumed, "latest.npz"))
    assert interrupted["trainer"]["counters"]["iterations"] == stop_at
    code, _ = run(example, tmp_path, data_dir, "--epochs", "2", "--resume", os.path.join(resumed, "latest.npz"),
                  name="resumed")
    assert code == 0
    a, b = weights(os.path.join(straight, "latest.npz")), weights(os.path.join(resumed, "latest.npz"))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    rows_a = open(os.path.join(straight, "metrics.csv")).read()
    rows_b = open(os.path.join(resumed, "metrics.csv")).read()
    assert rows_a == rows_b


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(example, tmp_path, data_dir, monkeypatch,
                                                                    capsys):
    from npgan.gan import GANTrainer

    original = GANTrainer.pop_records

    def poisoned(self):
        if self.iterations > 8:  # in the second epoch, after epoch 1's checkpoint
            self._records = [(np.float32(np.nan),) * 4]
        return original(self)

    monkeypatch.setattr(GANTrainer, "pop_records", poisoned)
    code, out = run(example, tmp_path, data_dir, "--epochs", "3")
    assert code == 1
    assert "non-finite loss" in capsys.readouterr().err
    state = load_checkpoint(os.path.join(out, "latest.npz"))  # still loadable: the end of epoch 1
    assert state["progress"]["epoch"] == 2
    assert all(np.isfinite(v).all() for v in _flat(state["trainer"]["G"]).values())


def test_sampling_from_a_checkpoint(example, tmp_path, data_dir):
    code, out = run(example, tmp_path, data_dir, "--epochs", "1")
    target = str(tmp_path / "digits.npy")
    assert example.main(["--checkpoint", os.path.join(out, "latest.npz"), "--sample", "37",
                         "--sample-out", target]) == 0
    images = np.load(target)
    assert images.shape == (37, 784) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert os.path.exists(str(tmp_path / "digits.png"))


@pytest.mark.parametrize("arch", ["paper", "tutorial"])
def test_other_presets_run(example, tmp_path, data_dir, arch):
    out = str(tmp_path / arch)
    code = example.main(["--arch", arch, "--epochs", "1", "--batch-size", "16", "--hidden", "16",
                         "--data-dir", data_dir, "--out", out, "--no-progress"])
    assert code == 0
    assert os.path.exists(os.path.join(out, "samples_epoch001.png"))


def test_cli_help_and_unavailable_backend(example, capsys, monkeypatch, tmp_path, data_dir):
    with pytest.raises(SystemExit) as exit_info:
        example.main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for flag in ("--backend", "--arch", "--epochs", "--batch-size", "--k", "--loss", "--optimizer", "--lr",
                 "--momentum", "--betas", "--z-dim", "--hidden", "--seed", "--data-dir", "--out", "--resume",
                 "--sample-every", "--checkpoint", "--sample", "--sample-out"):
        assert flag in help_text
    from npgan import backend as B
    monkeypatch.setattr(B, "_gpu_problem", lambda: "CuPy could not be imported (test)")
    with pytest.raises(SystemExit, match="NumPy is npgan's default backend"):
        example.main(["--backend", "cupy", "--data-dir", data_dir, "--out", str(tmp_path / "x")])


def test_the_offline_subset_keeps_the_presets_updates_per_epoch(example, tmp_path, monkeypatch, capsys):
    """With no MNIST, no network and only the 5,000-digit fallback (4,000 for training), an epoch goes over
    the subset as often as makes one epoch of full MNIST, and says so; full data is used as it is."""
    from npgan import models
    from npgan.data import mnist
    from test_data import write_mnist_5k
    monkeypatch.delenv(mnist.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(mnist.SUBSET_ENV, str(tmp_path / "mnist_5k.csv.gz"))
    write_mnist_5k(tmp_path / "mnist_5k.csv.gz", per_digit=5)  # 50 digits: 40 train, 10 test

    def no_network(url, dest):
        raise OSError("no network in tests")

    monkeypatch.setattr(mnist, "urllib_fetch", no_network)
    with pytest.warns(mnist.OfflineSubsetWarning, match="5,000-image"):
        images = example.load_training_images(None, models.recipe("slides"))
    assert images.shape == (40 * 1500, 784) and images.dtype == np.float32
    assert "each epoch goes over them 1500 times" in capsys.readouterr().out
    with pytest.warns(mnist.OfflineSubsetWarning):
        assert len(example.load_training_images(None, models.recipe("paper"))) == 40 * 1250

    full = tmp_path / "full"
    full.mkdir()
    write_split(full, "train", 96)
    assert len(example.load_training_images(str(full), models.recipe("slides"))) == 96
