"""npgan.training and its command line (npgan.cli.mnist) end to end on tiny synthetic IDX data: the files a run
writes, resume bit-identical to an uninterrupted run, Ctrl-C, divergence, the run folder's rules, resume
with changed flags, and sampling."""
import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from idx_files import write_split
from npgan import gan, training
from npgan.checkpoint import TEMP_PREFIX, load_checkpoint, save_checkpoint
from npgan.cli.mnist import main
from npgan.data import mnist
from npgan.data.mnist import load_training_set
from npgan.gan import presets
from npgan.training import checkpoints

ROOT = os.path.join(os.path.dirname(__file__), "..")
TINY = ["--arch", "slides", "--z-dim", "8", "--hidden", "8", "--batch-size", "16", "--log-every", "3",
        "--no-progress", "--seed", "3"]
PER_EPOCH = 96 // 16


def train(tmp_path, data_dir, *extra, name="run", tiny=TINY):
    out = str(tmp_path / name)
    return main(tiny + ["--data-dir", data_dir, "--out", out, *extra]), out


def flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}/"))
        else:
            out[prefix + key] = value
    return out


def weights(path):
    state = load_checkpoint(path)["trainer"]
    return flat({net: state[net] for net in ("G", "D", "opt_G", "opt_D")})


def read(out, name):
    with open(os.path.join(out, name)) as f:
        return f.read()


def assert_same_weights(path_a, path_b):
    a, b = weights(path_a), weights(path_b)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# --- what a run writes ---------------------------------------------------------------------------------------

def test_a_short_run_writes_samples_curves_logs_and_checkpoints(tmp_path, data_dir):
    code, out = train(tmp_path, data_dir, "--epochs", "2", "--checkpoint-every", "1")
    assert code == 0
    names = ("samples_epoch001.png", "samples_epoch002.png", "curves.png", "metrics.csv", "history.jsonl",
             "latest.npz", "ckpt_epoch001.npz", "ckpt_epoch002.npz")
    for name in names:
        mode = stat.S_IMODE(os.stat(os.path.join(out, name)).st_mode)
        assert mode == 0o666 & ~_umask(), (name, oct(mode))  # checkpoints too: ordinary files, not 0600
    assert not [n for n in os.listdir(out) if n.startswith(TEMP_PREFIX)]
    lines = read(out, "metrics.csv").splitlines()
    assert lines[0] == "epoch,iteration,d_loss,g_loss,d_real,d_fake,value"
    assert len(lines) == 1 + 2 * PER_EPOCH  # one row per iteration
    assert [json.loads(line)["epoch"] for line in read(out, "history.jsonl").splitlines()] == [1, 2]
    state = load_checkpoint(os.path.join(out, "latest.npz"))
    assert state["layout"] == checkpoints.LAYOUT
    run = dict(state["run"])
    assert run.pop("data_checksum").startswith("sha256:")
    assert run == {"seed": 3, "images": 96, "data_dataset": "mnist", "data_source": "data_dir", "data_path": data_dir}
    assert state["progress"] == {"epoch": 3, "done_in_epoch": 0}
    assert state["trainer"]["counters"]["g_updates"] == 2 * PER_EPOCH


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("stop_at", [4, 6, 9])  # mid-epoch, at an epoch's end, and in the second epoch
def test_interrupt_and_resume_ends_bit_identical_to_an_uninterrupted_run(tmp_path, data_dir, stop_at):
    code, straight = train(tmp_path, data_dir, "--epochs", "2", name="straight")
    assert code == 0
    code, resumed = train(tmp_path, data_dir, "--epochs", "2", "--interrupt-after", str(stop_at), name="resumed")
    assert code == 130  # the Ctrl-C path: checkpoint saved, clean exit
    assert load_checkpoint(os.path.join(resumed, "latest.npz"))["trainer"]["counters"]["iterations"] == stop_at
    latest = os.path.join(resumed, "latest.npz")  # resumed without --data-dir: the stored folder is used
    assert main(["--resume", latest, "--out", resumed, "--no-progress", "--log-every", "3"]) == 0
    assert_same_weights(os.path.join(straight, "latest.npz"), os.path.join(resumed, "latest.npz"))
    assert read(straight, "metrics.csv") == read(resumed, "metrics.csv")
    history = [{k: v for k, v in json.loads(line).items() if k != "seconds"}
               for out in (straight, resumed) for line in read(out, "history.jsonl").splitlines()]
    assert history[:2] == history[2:]


def test_resume_keeps_the_generator_average_bit_identical(tmp_path, data_dir):
    code, straight = train(tmp_path, data_dir, "--epochs", "2", "--ema", "0.9", name="straight")
    assert code == 0
    code, resumed = train(tmp_path, data_dir, "--epochs", "2", "--ema", "0.9", "--interrupt-after", "4",
                          name="resumed")
    assert code == 130
    latest = os.path.join(resumed, "latest.npz")
    assert main(["--resume", latest, "--out", resumed, "--no-progress", "--log-every", "3"]) == 0
    assert_same_weights(os.path.join(straight, "latest.npz"), latest)
    a, b = (flat(load_checkpoint(os.path.join(out, "latest.npz"))["ema"]) for out in (straight, resumed))
    assert a.keys() == b.keys() and int(a["updates"]) == 2 * PER_EPOCH
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_kill_between_logging_and_checkpointing_leaves_logs_a_resume_cuts_back(tmp_path, data_dir):
    """Rows and epoch lines written after the checkpoint (and a torn last row) are dropped on resume, so
    the logs end exactly as an uninterrupted run's."""
    code, straight = train(tmp_path, data_dir, "--epochs", "2", name="straight")
    code, killed = train(tmp_path, data_dir, "--epochs", "1", name="killed")
    saved = os.path.join(tmp_path, "epoch1.npz")
    os.replace(os.path.join(killed, "latest.npz"), saved)
    code, _ = train(tmp_path, data_dir, "--resume", saved, "--epochs", "2", name="killed")  # epoch 2 runs ...
    os.replace(saved, os.path.join(killed, "latest.npz"))  # ... but the kill came before its latest.npz
    with open(os.path.join(killed, "metrics.csv"), "a") as f:
        f.write("2,13,0.69")  # a torn row, as a kill mid-append leaves it
    code, _ = train(tmp_path, data_dir, "--resume", os.path.join(killed, "latest.npz"), "--epochs", "2",
                    name="killed", tiny=["--no-progress", "--log-every", "3"])
    assert code == 0
    assert read(straight, "metrics.csv") == read(killed, "metrics.csv")
    assert [json.loads(line)["epoch"] for line in read(killed, "history.jsonl").splitlines()] == [1, 2]
    assert_same_weights(os.path.join(straight, "latest.npz"), os.path.join(killed, "latest.npz"))


# --- divergence -------------------------------------------------------------------------------------------

def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, data_dir, monkeypatch, capsys):
    from npgan.gan import GANTrainer
    original = GANTrainer.pop_records

    def poisoned(self, **kwargs):
        if self.iterations > 8:  # in the second epoch, after epoch 1's checkpoint
            self._records = [(np.float32(np.nan),) * 4]
        return original(self, **kwargs)

    monkeypatch.setattr(GANTrainer, "pop_records", poisoned)
    code, out = train(tmp_path, data_dir, "--epochs", "3")
    assert code == 1
    assert "non-finite loss" in capsys.readouterr().err
    state = load_checkpoint(os.path.join(out, "latest.npz"))  # still loadable: the end of epoch 1
    assert state["progress"]["epoch"] == 2
    assert all(np.isfinite(v).all() for v in flat(state["trainer"]["G"]).values())


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_adam_diverging_with_finite_losses_is_caught_in_its_state(tmp_path, data_dir, capsys):
    """lr 1e6: the losses (from logits) stay finite while Adam's second moments overflow to inf."""
    code, out = train(tmp_path, data_dir, "--epochs", "3", "--lr", "1e6")
    assert code == 1
    err = capsys.readouterr().err
    assert "non-finite values" in err and "exp_avg_sq" in err and "last good checkpoint" in err
    assert not os.path.exists(os.path.join(out, "latest.npz"))  # it diverged in epoch 1: nothing to keep


def test_sampling_refuses_a_generator_with_non_finite_weights(tmp_path, data_dir, capsys):
    code, out = train(tmp_path, data_dir, "--epochs", "1")
    state = load_checkpoint(os.path.join(out, "latest.npz"))
    state["trainer"]["G"]["0.weight"][0, 0] = np.nan
    save_checkpoint(os.path.join(out, "nan.npz"), state)
    assert main(["--checkpoint", os.path.join(out, "nan.npz"), "--sample", "4",
                 "--sample-out", str(tmp_path / "s.npy")]) == 1
    assert "0.weight holds non-finite values" in capsys.readouterr().err
    assert not (tmp_path / "s.npy").exists()


# --- the run folder ------------------------------------------------------------------------------------------

def test_a_folder_holding_a_run_is_refused_and_left_untouched_unless_overwrite(tmp_path, data_dir, capsys):
    code, out = train(tmp_path, data_dir, "--epochs", "2", "--checkpoint-every", "1")
    before = {name: open(os.path.join(out, name), "rb").read() for name in os.listdir(out)}
    code, _ = train(tmp_path, data_dir, "--epochs", "1")
    assert code == 1
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err and "--overwrite" in err
    assert {name: open(os.path.join(out, name), "rb").read() for name in os.listdir(out)} == before
    with open(os.path.join(out, "notes.txt"), "w") as f:
        f.write("mine")
    code, _ = train(tmp_path, data_dir, "--epochs", "1", "--overwrite")
    assert code == 0
    assert not os.path.exists(os.path.join(out, "ckpt_epoch002.npz"))  # the old run is gone ...
    assert read(out, "notes.txt") == "mine"  # ... and only the old run
    assert [json.loads(line)["epoch"] for line in read(out, "history.jsonl").splitlines()] == [1]


def test_stale_temporary_files_are_removed_at_the_next_start(tmp_path, data_dir, capsys):
    out = tmp_path / "run"
    out.mkdir()
    for name in (TEMP_PREFIX + "abc.npz", TEMP_PREFIX + "def.csv", ".tmp-old.npz"):  # the last: npgan 0.2's names
        (out / name).write_bytes(b"half a checkpoint")
    (out / (TEMP_PREFIX + "xyz.json")).write_bytes(b"{")  # another command's file being written right now
    code, _ = train(tmp_path, data_dir, "--epochs", "1")
    assert code == 0 and "removed 3 temporary file(s)" in capsys.readouterr().out
    assert [n for n in os.listdir(out) if n.startswith((TEMP_PREFIX, ".tmp-"))] == [TEMP_PREFIX + "xyz.json"]


def test_a_second_process_cannot_write_into_a_live_run(tmp_path, data_dir, capsys):
    folder = training.RunFolder(tmp_path / "run")
    folder.open()
    try:
        code, _ = train(tmp_path, data_dir, "--epochs", "1")
    finally:
        folder.close()
    assert code == 1 and "another npgan run is writing" in capsys.readouterr().err


# --- resume does what it says --------------------------------------------------------------------------------

def test_resume_applies_a_new_lr_and_a_longer_run(tmp_path, data_dir, capsys):
    code, out = train(tmp_path, data_dir, "--epochs", "1")
    latest = os.path.join(out, "latest.npz")
    code, _ = train(tmp_path, data_dir, "--resume", latest, "--epochs", "2", "--lr", "5e-4",
                    tiny=["--no-progress"])
    assert code == 0
    assert "lr=0.0005" in capsys.readouterr().out
    state = load_checkpoint(latest)
    assert state["trainer"]["opt_G"]["lr"] == state["trainer"]["opt_D"]["lr"] == 5e-4
    assert json.loads(state["recipe"])["lr"] == 5e-4 and state["progress"]["epoch"] == 3
    assert main(["--resume", latest, "--out", out, "--data-dir", data_dir]) == 0  # nothing left to train
    assert "already complete (2 of 2 epochs)" in capsys.readouterr().out


@pytest.mark.parametrize("flags, message", [
    (["--batch-size", "32"], "batch_size = 16; a resume cannot change it to 32"),
    (["--arch", "paper"], "holds a 'slides' GAN (z_dim 8, hidden 8, 28×28 images); --arch paper asks for another"),
    (["--seed", "4"], "trained with seed 3; a resume keeps it"),
])
def test_resume_refuses_flags_the_state_cannot_follow(tmp_path, data_dir, capsys, flags, message):
    code, out = train(tmp_path, data_dir, "--epochs", "1")
    before = open(os.path.join(out, "latest.npz"), "rb").read()
    assert main(["--resume", os.path.join(out, "latest.npz"), "--out", out, "--data-dir", data_dir,
                 *flags]) == 1
    assert message in capsys.readouterr().err
    assert open(os.path.join(out, "latest.npz"), "rb").read() == before


def test_a_resumed_paper_run_keeps_its_lr_decay_and_momentum_ramp(tmp_path, data_dir):
    tiny = ["--arch", "paper", "--hidden", "16", "--batch-size", "16", "--no-progress", "--train-images", "96"]
    code, straight = train(tmp_path, data_dir, "--epochs", "2", name="straight", tiny=tiny)
    code, resumed = train(tmp_path, data_dir, "--epochs", "2", "--interrupt-after", "8", name="resumed",
                          tiny=tiny)
    assert code == 130
    assert train(tmp_path, data_dir, "--resume", os.path.join(resumed, "latest.npz"), name="resumed",
                 tiny=["--no-progress"])[0] == 0
    assert_same_weights(os.path.join(straight, "latest.npz"), os.path.join(resumed, "latest.npz"))
    state = load_checkpoint(os.path.join(resumed, "latest.npz"))["trainer"]
    assert state["opt_G"]["lr"] == pytest.approx(0.1 / 1.000004 ** 12) and state["opt_G"]["momentum"] > 0.5


# --- sampling, presets, the command line ----------------------------------------------------------------------

def test_sampling_from_a_checkpoint(tmp_path, data_dir):
    code, out = train(tmp_path, data_dir, "--epochs", "1")
    target = str(tmp_path / "digits.npy")
    assert main(["--checkpoint", os.path.join(out, "latest.npz"), "--sample", "37", "--sample-out", target]) == 0
    images = np.load(target)
    assert images.shape == (37, 784) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert os.path.exists(str(tmp_path / "digits.png"))
    G, recipe = training.load_generator(os.path.join(out, "latest.npz"))
    np.testing.assert_array_equal(gan.sample(G, 37, recipe, seed=0), images)  # --seed defaults to 0
    assert not G.training


@pytest.mark.parametrize("arch", ["paper", "tutorial"])
def test_other_presets_run(tmp_path, data_dir, arch):
    code, out = train(tmp_path, data_dir, "--epochs", "1", tiny=["--arch", arch, "--batch-size", "16",
                                                                 "--hidden", "16", "--no-progress"])
    assert code == 0 and os.path.exists(os.path.join(out, "samples_epoch001.png"))


def test_cli_help_and_unavailable_backend(capsys, monkeypatch, tmp_path, data_dir):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for flag in ("--backend", "--arch", "--epochs", "--batch-size", "--k", "--loss", "--optimizer", "--lr",
                 "--momentum", "--betas", "--z-dim", "--hidden", "--seed", "--data-dir", "--out", "--resume",
                 "--overwrite", "--sample-every", "--checkpoint", "--sample", "--sample-out"):
        assert flag in help_text
    from npgan import backend as B
    monkeypatch.setattr(B, "_gpu_problem", lambda: "CuPy could not be imported (test)")
    assert main(["--backend", "cupy", "--data-dir", data_dir, "--out", str(tmp_path / "x")]) == 1
    assert "NumPy is npgan's default backend" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", [[sys.executable, "-m", "npgan.cli.mnist", "--help"],
                                     [sys.executable, os.path.join(ROOT, "examples", "mnist_gan.py"), "--help"]])
def test_the_module_and_the_example_start_and_the_example_points_to_every_flag(command):
    """The example has a few flags (tests/test_example_wiring.py); its help names npgan-mnist for the rest."""
    env = dict(os.environ, PYTHONPATH=os.path.abspath(ROOT))
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and "--resume" in result.stdout and "npgan-mnist" in result.stdout


def test_the_offline_subset_keeps_the_presets_updates_per_epoch(tmp_path, monkeypatch, capsys):
    """With no MNIST, no network and only the 5,000-digit fallback (4,000 for training), an epoch goes over
    the subset as often as makes one epoch of full MNIST, and says so; full data is used as it is."""
    from test_data import write_mnist_5k
    monkeypatch.delenv(mnist.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(mnist.SUBSET_ENV, str(tmp_path / "mnist_5k.csv.gz"))
    write_mnist_5k(tmp_path / "mnist_5k.csv.gz", per_digit=5)  # 50 digits: 40 train, 10 test

    def no_network(url, dest):
        raise OSError("no network in tests")

    monkeypatch.setattr(mnist, "urllib_fetch", no_network)
    with pytest.warns(mnist.OfflineSubsetWarning, match="5,000-image"):
        images, _, _ = load_training_set(None, presets.recipe("slides").train_images)
    assert images.shape == (40 * 1500, 784) and images.dtype == np.float32
    assert "each epoch goes over them 1500 times" in capsys.readouterr().out
    with pytest.warns(mnist.OfflineSubsetWarning):
        assert len(load_training_set(None, presets.recipe("paper").train_images)[0]) == 40 * 1250
    with pytest.warns(mnist.OfflineSubsetWarning):  # --train-images keeps the first N, then repeats them
        images, labels, _ = load_training_set(None, 10)
    assert images.shape == (10, 784) and len(labels) == 10
    full = tmp_path / "full"
    full.mkdir()
    write_split(full, "train", 96)
    assert len(load_training_set(str(full), None)[0]) == 96


def test_log_grad_norms_writes_the_monitor_beside_the_metrics_and_survives_a_resume(tmp_path, data_dir):
    code, straight = train(tmp_path, data_dir, "--epochs", "2", "--log-grad-norms", name="straight")
    assert code == 0
    lines = read(straight, "grad_norms.csv").splitlines()
    assert lines[0].startswith("epoch,iteration,G.grad_norm,G.0.grad_norm") and "D.grad_norm" in lines[0]
    assert len(lines) == 1 + 2 * PER_EPOCH and os.path.getsize(os.path.join(straight, "grad_norms.png")) > 1000
    code, resumed = train(tmp_path, data_dir, "--epochs", "2", "--log-grad-norms", "--interrupt-after", "4",
                          name="resumed")
    assert code == 130
    with open(os.path.join(resumed, "grad_norms.csv"), "a") as f:
        f.write("1,5,0.1")  # a torn row past the checkpoint
    assert main(["--resume", os.path.join(resumed, "latest.npz"), "--out", resumed, "--no-progress",
                 "--log-every", "3", "--log-grad-norms"]) == 0
    assert read(straight, "grad_norms.csv") == read(resumed, "grad_norms.csv")
