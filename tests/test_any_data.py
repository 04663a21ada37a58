"""The data decide the shapes (issue "Beyond MNIST"): a run sizes its nets from the data it gets (width, image
shape, classes), records them in its checkpoints, and sampling, resume and the grids follow; MNIST's default
run writes the same arrays as before the change; a checkpoint of npgan 0.2 (layout npgan-run-2) still loads as
a 28 × 28 MNIST run."""
import os
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from idx_files import write_split
from npgan import gan, training
from npgan.checkpoint import load_checkpoint
from npgan.cli import train as cli_train
from npgan.data import Dataset, toy
from npgan.gan import presets
from npgan.settings import SettingError
from npgan.training import run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DATA = os.path.join(os.path.dirname(__file__), "data")
BEFORE = "71c6697"  # npgan 0.2.0 as released: the last commit before the data decided the shapes
TINY = dict(z_dim=4, hidden=8, batch_size=16, epochs=1)
QUIET = dict(progress=False, log_every=1000)


def _flatten(tree, prefix=""):
    for name, value in tree.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}/")
        else:
            yield prefix + name, np.asarray(value)


def arrays(path):
    """Every array of a checkpoint but its JSON strings and the run section (which gained the data's name)."""
    state = load_checkpoint(path)
    return {k: v for k, v in _flatten(state) if v.dtype.kind != "U" and not k.startswith("run/")}


def test_a_layout_run_2_checkpoint_loads_as_a_28x28_mnist_run_and_samples_as_it_did():
    """tests/data/npgan-run-2_tutorial.npz was written by npgan 0.2.0 (commit 71c6697's code), with the 4 samples
    it drew beside it."""
    path = os.path.join(DATA, "npgan-run-2_tutorial.npz")
    saved = training.load_run_checkpoint(path)
    assert saved.recipe.image_shape == (28, 28) and saved.recipe.data_dim == 784 and saved.recipe.n_classes == 10
    assert saved.data == {"dataset": "mnist", "source": "data_dir", "path": "/somewhere/mnist"}
    G, recipe = training.load_generator(path)
    np.testing.assert_allclose(gan.sample(G, 4, recipe, seed=0),
                               np.load(os.path.join(DATA, "npgan-run-2_tutorial_samples.npy")), rtol=0, atol=1e-6)


def _git_archive(commit, dest):
    try:
        tar = subprocess.run(["git", "-C", ROOT, "archive", commit, "npgan"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"needs the git history of npgan (commit {BEFORE}): a git clone, not an archive")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)


def test_the_default_mnist_run_writes_the_same_arrays_as_npgan_0_2(tmp_path):
    """Before and after, on this machine: npgan 0.2.0's npgan-mnist (from git) and today's npgan-mnist and
    npgan-train --dataset mnist, same flags and seed, each in a fresh process with the same environment
    (one BLAS thread: the bits of a product depend on the thread count): every array of latest.npz and the
    sample grid are byte-identical."""
    old = tmp_path / "old"
    old.mkdir()
    _git_archive(BEFORE, old)
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    write_split(data_dir, "train", 512)
    flags = ["--epochs", "1", "--seed", "5", "--data-dir", str(data_dir), "--no-progress", "--out"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for code, command, folder in ((old, ["npgan.cli.mnist"], "before"), (ROOT, ["npgan.cli.mnist"], "after"),
                                  (ROOT, ["npgan.cli.train", "--dataset", "mnist"], "train")):
        done = subprocess.run([sys.executable, "-m", *command, *flags, str(tmp_path / folder)],
                              env={**env, "PYTHONPATH": str(code)}, capture_output=True, text=True, cwd=str(tmp_path))
        assert done.returncode == 0, done.stderr
    before = arrays(tmp_path / "before" / "latest.npz")
    for folder in ("after", "train"):
        after = arrays(tmp_path / folder / "latest.npz")
        assert sorted(after) == sorted(before)
        for key, value in before.items():
            assert after[key].dtype == value.dtype and after[key].tobytes() == value.tobytes(), (folder, key)
        grid = "samples_epoch001.png"
        assert open(tmp_path / "before" / grid, "rb").read() == open(tmp_path / folder / grid, "rb").read()


def colour_squares(n, side=16, seed=0):
    """n colour images (side × side × 3) in [0, 1] of 3 classes: a red, green or blue square on grey noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    images = 0.2 * rng.random((n, side, side, 3), dtype=np.float32)
    for index, label in enumerate(labels):
        top, left = rng.integers(0, side // 2, size=2)
        images[index, top:top + side // 2, left:left + side // 2, label] = 1.0
    return Dataset("squares", images.reshape(n, -1), labels.astype(np.int64), (side, side, 3), "test", "memory")


@pytest.mark.parametrize("conditional", [False, True])
def test_a_colour_run_sizes_its_nets_draws_a_colour_grid_and_resumes_bit_identically(tmp_path, conditional):
    data = colour_squares(96)
    recipe = presets.recipe("slides", conditional=conditional, **{**TINY, "epochs": 2})
    out, straight = str(tmp_path / "run"), str(tmp_path / "straight")
    result = training.train(recipe, data, training.RunConfig(out=out, seed=2, interrupt_after=8, **QUIET))
    assert result.status == "interrupted"
    saved = training.load_run_checkpoint(os.path.join(out, "latest.npz"))
    assert saved.recipe.image_shape == (16, 16, 3) and saved.recipe.data_dim == 768
    assert saved.recipe.n_classes == 3 and saved.data["dataset"] == "squares"
    assert saved.data["checksum"] == data.checksum
    training.train(None, data, training.RunConfig(out=out, **QUIET), resume=os.path.join(out, "latest.npz"))
    training.train(recipe, data, training.RunConfig(out=straight, seed=2, **QUIET))
    a, b = arrays(os.path.join(out, "latest.npz")), arrays(os.path.join(straight, "latest.npz"))
    assert all(a[k].tobytes() == b[k].tobytes() for k in b) and sorted(a) == sorted(b)
    grid = matplotlib.image.imread(os.path.join(out, "samples_epoch002.png"))
    rows = 3 if conditional else 10
    assert grid.shape[:2] == (2 * (rows * 18 + 2), 2 * (10 * 18 + 2))  # 16-pixel images drawn at twice the size
    assert np.ptp(grid[..., :3], axis=2).max() > 0.1  # colour, not grey
    G, loaded = training.load_generator(os.path.join(out, "latest.npz"))
    assert gan.sample(G, 5, loaded, seed=0).shape == (5, 768)


def test_a_resume_refuses_other_data(tmp_path):
    data = colour_squares(48)
    out = str(tmp_path / "run")
    training.train(presets.recipe("slides", **TINY), data, training.RunConfig(out=out, **QUIET))
    other = colour_squares(48, seed=1)
    with pytest.raises(training.ResumeError, match="trained on squares sha256:.*this data is squares"):
        training.train(None, other, training.RunConfig(out=out, **QUIET), resume=os.path.join(out, "latest.npz"),
                       changes={"epochs": 2})
    with pytest.raises(training.ResumeError, match="768 wide, these images are 784 wide"):
        training.train(None, np.zeros((48, 784), np.float32), training.RunConfig(out=out, **QUIET),
                       resume=os.path.join(out, "latest.npz"), changes={"epochs": 2})


def test_vectors_train_without_a_grid_and_sample_as_rows(tmp_path):
    points = toy.ring_2d(256, np.random.default_rng(0)).astype(np.float32)
    points = (points - points.min()) / np.ptp(points)  # in [0, 1], as the Sigmoid output draws
    out = str(tmp_path / "run")
    training.train(presets.recipe("tutorial", **TINY), points, training.RunConfig(out=out, **QUIET), image_shape=None)
    assert not [name for name in os.listdir(out) if name.startswith("samples_")]
    G, recipe = training.load_generator(os.path.join(out, "latest.npz"))
    assert recipe.image_shape is None and recipe.data_dim == 2
    assert gan.sample(G, 7, recipe, seed=0).shape == (7, 2)


@pytest.mark.parametrize("shape, message", [
    ((8, 8), "holds 64 values, but data_dim is 784"),
    ((28, 28, 2), "must be .H, W. or .H, W, 3."),
    ((28, 0), "image_shape"),
])
def test_an_image_shape_that_does_not_fit_the_data_is_one_setting_error(tmp_path, shape, message):
    with pytest.raises(SettingError, match=message):
        training.train(presets.recipe("slides", **TINY), np.zeros((32, 784), np.float32),
                       training.RunConfig(out=str(tmp_path / "run"), **QUIET), image_shape=shape)
    assert not os.path.exists(tmp_path / "run")


def test_images_of_another_width_need_their_shape(tmp_path):
    with pytest.raises(SettingError, match="the images are 64 wide, not 784 .*pass their image_shape"):
        training.train(presets.recipe("slides", **TINY), np.zeros((32, 64), np.float32),
                       training.RunConfig(out=str(tmp_path / "run"), **QUIET))


def test_the_paper_preset_takes_its_widths_and_output_bias_from_the_data():
    data = colour_squares(32)
    recipe = presets.recipe("paper", z_dim=4, hidden=8, batch_size=16, epochs=1)
    fitted = run.fit(recipe, data.images, data.labels, data.image_shape)
    G, D = presets.build(fitted, pixel_means=data.images.mean(axis=0))
    np.testing.assert_array_equal(G[4].bias.data, presets.marginal_logits(data.images.mean(axis=0)))
    assert G[4].out_features == 768 and D[1].weight.data.shape[0] == 768  # D[1]: the first Maxout


def test_npgan_mnist_has_no_dataset_flags_and_npgan_train_refuses_both(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_train.main(["--dataset", "mnist"], "npgan-mnist", any_data=False)
    assert exit_info.value.code == 2 and "unrecognized arguments: --dataset" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli_train.main(["--dataset", "kmnist", "--data", str(tmp_path)])
    assert exit_info.value.code == 2 and "use one of them" in capsys.readouterr().err


def png_folder(root, n=48, side=16, seed=0):
    """A folder of n colour PNGs in three class subfolders (the colour_squares images as uint8)."""
    from PIL import Image
    data = colour_squares(n, side, seed)
    for index, (image, label) in enumerate(zip(data.images, data.labels)):
        folder = root / f"class_{'rgb'[label]}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.round(image.reshape(side, side, 3) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{index:03d}.png")
    return str(root)


def test_npgan_train_on_a_png_folder_trains_draws_in_colour_resumes_bit_identically_and_samples(tmp_path, capsys):
    folder = png_folder(tmp_path / "pngs")
    flags = ["--data", folder, "--z-dim", "4", "--hidden", "8", "--batch-size", "16", "--seed", "3", "--no-progress"]
    out, straight = str(tmp_path / "run"), str(tmp_path / "straight")
    assert cli_train.main(flags + ["--epochs", "2", "--out", out, "--interrupt-after", "4"]) == 130
    assert cli_train.main(["--resume", os.path.join(out, "latest.npz"), "--out", out, "--no-progress"]) == 0
    assert cli_train.main(flags + ["--epochs", "2", "--out", straight]) == 0
    a, b = arrays(os.path.join(out, "latest.npz")), arrays(os.path.join(straight, "latest.npz"))
    assert sorted(a) == sorted(b) and all(a[k].tobytes() == b[k].tobytes() for k in b)
    saved = training.load_run_checkpoint(os.path.join(out, "latest.npz"))
    assert saved.recipe.image_shape == (16, 16, 3) and saved.recipe.n_classes == 3
    assert saved.data["dataset"] == "files" and saved.data["path"] == os.path.abspath(folder)
    grid = matplotlib.image.imread(os.path.join(out, "samples_epoch002.png"))
    assert grid.ndim == 3 and np.ptp(grid[..., :3], axis=2).max() > 0.1
    target = str(tmp_path / "samples.npy")
    assert cli_train.main(["--checkpoint", os.path.join(out, "latest.npz"), "--sample", "5", "--sample-out", target]) == 0
    assert np.load(target).shape == (5, 768) and matplotlib.image.imread(target[:-4] + ".png").shape[2] >= 3
    capsys.readouterr()
    # a resume names the data it trained on: other data is refused in one line before anything is read
    for other in (["--dataset", "mnist"], ["--data", str(tmp_path)]):
        assert cli_train.main(["--resume", os.path.join(out, "latest.npz"), "--out", out, "--epochs", "3", *other]) == 1
        assert "was trained on the files in" in capsys.readouterr().err


@pytest.mark.parametrize("case, message", [
    ("empty", "holds no images"),
    ("mixed", "every image must have the same size"),
    ("few", "fewer than one batch of 16"),
])
def test_npgan_train_refuses_bad_files_in_one_line(tmp_path, capsys, case, message):
    from PIL import Image
    folder = tmp_path / case
    folder.mkdir()
    if case == "mixed":
        Image.new("L", (8, 8)).save(folder / "a.png")
        Image.new("L", (8, 9)).save(folder / "b.png")
    if case == "few":
        for index in range(3):
            Image.new("L", (8, 8), color=index * 40).save(folder / f"{index}.png")
    out = tmp_path / "run"
    assert cli_train.main(["--data", str(folder), "--batch-size", "16", "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and str(folder) in err[0], err
    assert not out.exists()


def test_npgan_train_on_sklearn_digits_uses_the_preset_sized_for_them(tmp_path):
    pytest.importorskip("sklearn", reason="the 8x8 digits are read from scikit-learn's wheel")
    out = str(tmp_path / "digits")
    assert cli_train.main(["--dataset", "sklearn-digits", "--epochs", "1", "--out", out, "--no-progress"]) == 0
    saved = training.load_run_checkpoint(os.path.join(out, "latest.npz"))
    assert (saved.recipe.z_dim, saved.recipe.hidden, saved.recipe.batch_size) == (16, 64, 32)
    assert saved.recipe.image_shape == (8, 8) and saved.data["dataset"] == "sklearn-digits"
    assert saved.images == 1442 and saved.iterations == 1442 // 32


def test_the_readme_library_call_runs(tmp_path, monkeypatch):
    """The README's "In code" block, run as it is printed (with 1 epoch instead of 60)."""
    pytest.importorskip("sklearn", reason="the 8x8 digits are read from scikit-learn's wheel")
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    start = text.index("```python\nfrom npgan import data, gan, training\ndigits")
    block = text[start + len("```python\n"):text.index("```", start + 10)]
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(block.replace("epochs=60", "epochs=1"), namespace)
    assert namespace["images"].shape == (64, 64) and namespace["result"].status == "done"
