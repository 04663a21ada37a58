"""The conditional GAN (npgan.gan.conditional, --conditional): the join/split formula pair, ConditionOn's
hand-written backward against central differences (alone and composed with D, as in G's step), the
labelled noise, the labelled training rows, and a conditional run end to end (class grid, --digit,
resume bit-identical)."""
import os
import types

import numpy as np
import pytest

from npgan import backend as B
from npgan import gan, nn, training
from npgan.gan import presets
from npgan.gan.conditional import (N_CLASSES, ConditionOn, LabelledNoise, class_labels, concat_backward,
                               concat_forward, grid_labels, join_labels, one_hot)
from npgan.cli.mnist import main
from npgan.data import mnist
from npgan.data.mnist import load_training_set
from npgan.gradcheck import gradcheck
from npgan.settings import SettingError

TINY = ["--arch", "slides", "--z-dim", "4", "--hidden", "4", "--batch-size", "16", "--log-every", "3",
        "--no-progress", "--seed", "3", "--conditional"]


def test_concat_backward_splits_the_gradient_of_concat_forward(backend):
    rng = np.random.default_rng(0)
    x, c = (B.to_device(rng.standard_normal(s).astype(np.float32), backend) for s in ((5, 3), (5, 2)))
    y, width = concat_forward(x, c)
    assert y.shape == (5, 5) and y.dtype == np.float32 and width == 3
    np.testing.assert_array_equal(B.to_cpu(y), np.hstack([B.to_cpu(x), B.to_cpu(c)]))
    gy = rng.standard_normal((5, 5)).astype(np.float32)
    gx, gc = concat_backward(B.to_device(gy, backend), width)
    np.testing.assert_array_equal(B.to_cpu(gx), gy[:, :3])
    np.testing.assert_array_equal(B.to_cpu(gc), gy[:, 3:])


def _conditioned_input(n, z_dim, seed, backend):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, z_dim))
    return B.to_device(np.hstack([z, one_hot(rng.integers(0, N_CLASSES, n), dtype=np.float64)]), backend)


def test_condition_on_backward_matches_finite_differences(backend):
    B.manual_seed(0)
    G = ConditionOn(presets.slides_generator(3 + N_CLASSES, 3, out=6)).double().to(backend)
    report = gradcheck(G, _conditioned_input(7, 3, 1, backend), atol=1e-6, rtol=1e-5)
    assert report.passed, "\n" + str(report)
    assert "input" in {row["name"] for row in report.rows}  # the label's direct path checked too


def test_conditional_generator_then_discriminator_matches_finite_differences(backend):
    """G's step in a conditional run: [z, c] → [G([z, c]), c] → D, one composed network."""
    B.manual_seed(1)
    G = ConditionOn(presets.slides_generator(2 + N_CLASSES, 3, out=5))
    GD = nn.Sequential(G, presets.slides_discriminator(3, inp=5 + N_CLASSES)).double().to(backend)
    report = gradcheck(GD, _conditioned_input(6, 2, 2, backend), atol=1e-6, rtol=1e-5)
    assert report.passed, "\n" + str(report)
    assert report.overall_relative_error < 1e-6


def test_labelled_noise_draws_every_class_uniformly_and_reproducibly(backend):
    xp = B.get_xp(backend)
    base = lambda m: xp.zeros((m, 3), dtype=np.float32)  # noqa: E731 (z itself is the trainer's business)
    draw = LabelledNoise(base, xp, np.float32)
    B.manual_seed(5)
    first = B.to_cpu(draw(5000))
    B.manual_seed(5)
    np.testing.assert_array_equal(B.to_cpu(draw(5000)), first)
    assert first.shape == (5000, 3 + N_CLASSES) and first.dtype == np.float32
    labels = first[:, 3:]
    assert set(np.unique(labels)) == {0.0, 1.0} and (labels.sum(axis=1) == 1).all()
    counts = labels.sum(axis=0)
    assert counts.min() > 400 and counts.max() < 600  # 500 expected per class


def test_join_labels_makes_one_hot_rows_and_refuses_bad_labels():
    images = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    rows = join_labels(images, np.array([3, 0, 9, 3]))
    assert rows.shape == (4, 794) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows[:, :784], images)
    assert rows[:, 784:].argmax(axis=1).tolist() == [3, 0, 9, 3]
    with pytest.raises(ValueError, match="0..9"):
        join_labels(images, np.array([3, 0, 10, 3]))
    with pytest.raises(ValueError, match="one per image"):
        join_labels(images, np.array([3, 0]))


def test_grid_and_sampling_labels():
    assert grid_labels(2).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]
    assert class_labels(12).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def _train(tmp_path, data_dir, *extra, name="run"):
    out = str(tmp_path / name)
    return main(TINY + ["--data-dir", data_dir, "--out", out, *extra]), out


def test_a_conditional_run_draws_the_digit_asked_for(tmp_path, data_dir, capsys):
    code, out = _train(tmp_path, data_dir, "--epochs", "1")
    assert code == 0 and os.path.exists(os.path.join(out, "samples_epoch001.png"))
    latest = os.path.join(out, "latest.npz")
    G, recipe = training.load_generator(latest)
    assert recipe.conditional and isinstance(G, ConditionOn)
    target = str(tmp_path / "sevens.npy")
    assert main(["--checkpoint", latest, "--sample", "12", "--digit", "7", "--sample-out", target]) == 0
    sevens = np.load(target)
    assert sevens.shape == (12, 784) and sevens.min() >= 0.0 and sevens.max() <= 1.0
    np.testing.assert_array_equal(gan.sample(G, 12, recipe, seed=0, labels=np.full(12, 7)), sevens)
    assert not np.array_equal(gan.sample(G, 12, recipe, seed=0, labels=np.full(12, 1)), sevens)
    for digit in ("10", "-1"):  # a class the run has not: one line naming the flag and the run's classes
        with pytest.raises(SystemExit) as exit_info:
            main(["--checkpoint", latest, "--sample", "3", "--digit", digit, "--sample-out", str(tmp_path / "x.npy")])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 2 and "--digit" in err[1] and "9" in err[1], err


def test_resume_of_a_conditional_run_is_bit_identical(tmp_path, data_dir):
    from test_run import assert_same_weights
    code, straight = _train(tmp_path, data_dir, "--epochs", "2", name="straight")
    code, resumed = _train(tmp_path, data_dir, "--epochs", "2", "--interrupt-after", "4", name="resumed")
    assert code == 130
    latest = os.path.join(resumed, "latest.npz")
    assert main(["--resume", latest, "--out", resumed, "--no-progress", "--log-every", "3"]) == 0
    assert_same_weights(os.path.join(straight, "latest.npz"), latest)


def test_digit_needs_a_conditional_checkpoint_and_sampling(tmp_path, data_dir, capsys):
    out = str(tmp_path / "plain")
    assert main(TINY[:-1] + ["--data-dir", data_dir, "--out", out, "--epochs", "1"]) == 0
    for argv, message in ([["--checkpoint", os.path.join(out, "latest.npz"), "--sample", "3", "--digit", "7"],
                           "argument --digit: .* unconditional generator"],
                          [["--digit", "7"], "--digit is for sampling"],
                          [["--checkpoint", os.path.join(out, "latest.npz"), "--sample", "3", "--digit", "10"],
                           "argument --digit: .* unconditional generator"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 2 and __import__("re").search(message, err), err  # usage + one line
    G, recipe = training.load_generator(os.path.join(out, "latest.npz"))
    with pytest.raises(ValueError, match="conditional"):
        gan.sample(G, 3, recipe, labels=np.zeros(3, int))


def test_a_resume_cannot_switch_conditioning(tmp_path, data_dir):
    code, out = _train(tmp_path, data_dir, "--epochs", "1")
    saved = training.load_run_checkpoint(os.path.join(out, "latest.npz"))
    with pytest.raises(training.ResumeError, match="conditional"):
        training.apply_changes(saved, {"conditional": False})


def test_a_conditional_run_needs_labels_and_one_process(tmp_path):
    recipe = presets.recipe("slides", conditional=True, z_dim=4, hidden=4, batch_size=8, epochs=1)
    images = np.zeros((16, 784), np.float32)
    with pytest.raises(SettingError, match="labels"):
        training.train(recipe, images, training.RunConfig(out=str(tmp_path / "a")))
    with pytest.raises(SettingError, match="conditional"):
        training.train(recipe, images, training.RunConfig(out=str(tmp_path / "b")), labels=np.zeros(16, int),
                  comm=types.SimpleNamespace(size=2, rank=0))
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_offline_subset_yields_its_labels(tmp_path, monkeypatch, capsys):
    from test_data import write_mnist_5k
    monkeypatch.delenv(mnist.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(mnist.SUBSET_ENV, str(tmp_path / "mnist_5k.csv.gz"))
    write_mnist_5k(tmp_path / "mnist_5k.csv.gz", per_digit=5)  # 50 digits: 40 train, 10 test
    monkeypatch.setattr(mnist, "urllib_fetch", lambda url, dest: (_ for _ in ()).throw(OSError("offline")))
    with pytest.warns(mnist.OfflineSubsetWarning):
        images, labels, data = load_training_set(None, None)
    assert data["source"] == "offline-subset" and len(labels) == len(images) == 40 * 1500
    with pytest.warns(mnist.OfflineSubsetWarning):
        subset = mnist.load_mnist("train", download=False)
    np.testing.assert_array_equal(labels[:40], subset.labels)
    np.testing.assert_array_equal(labels[40:80], subset.labels)  # the passes repeat images and labels alike


@pytest.mark.parametrize("arch", ["paper", "tutorial"])
def test_every_preset_trains_conditionally(tmp_path, data_dir, arch):
    out = str(tmp_path / arch)
    assert main(["--arch", arch, "--batch-size", "16", "--hidden", "16", "--no-progress", "--conditional",
                 "--data-dir", data_dir, "--out", out, "--epochs", "1"]) == 0
    G, recipe = training.load_generator(os.path.join(out, "latest.npz"))
    assert isinstance(G, ConditionOn) and G.net[0].in_features == recipe.z_dim + N_CLASSES
    assert gan.sample(G, 4, recipe, seed=0, labels=np.full(4, 2)).shape == (4, 784)
