"""Judging any labelled dataset (issue "Beyond MNIST", point 5): npgan-evaluate, npgan-figures and
train_classifier on a run of 16 × 16 colour images (a folder of PNGs in class folders, made here) and of
scikit-learn's 8 × 8 digits: the classifier behind FID, score and coverage is that dataset's (its width, its
classes), cached under its own name beside MNIST's and never mixed with it; the printed provenance names the
data; the figures draw in colour at the run's shape; data without labels get the memorisation number and the
Parzen estimate; moved files and another dataset's classifier are one line each."""
import json
import os
import shutil

import matplotlib.image
import numpy as np
import pytest

from commands import run_main
from idx_files import write_split
from npgan import training
from npgan.cli import evaluate as cli_evaluate
from npgan.cli import figures as cli_figures
from npgan.cli import train_classifier as cli_classifier
from npgan.data import Dataset, load_dataset, load_files, toy
from npgan.evaluation import classifier, figures, realdata
from npgan.evaluation.classifier_net import Classifier
from npgan.gan import presets
from test_any_data import colour_squares

TINY = dict(z_dim=4, hidden=8, batch_size=16, epochs=1)
QUIET = dict(progress=False, log_every=1000, checkpoint_every=1)
COLOURS = ("0_red", "1_green", "2_blue")  # class folders: sorted names are the labels 0, 1, 2
pytestmark = pytest.mark.filterwarnings("ignore:only .* examples, fewer than n_train:UserWarning")


def write_pngs(folder, data):
    """Each image of `data` (16 × 16 × 3 rows) as a PNG in the class folder of its label."""
    from PIL import Image
    for index, (image, label) in enumerate(zip(data.images, data.labels)):
        os.makedirs(folder / COLOURS[label], exist_ok=True)
        pixels = np.round(image.reshape(data.image_shape) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / COLOURS[label] / f"{index:03d}.png")
    return str(folder)


def train(data, out, **changes):
    recipe = presets.recipe("slides", **{**TINY, **changes})
    assert training.train(recipe, data, training.RunConfig(out=str(out), seed=3, **QUIET)).exit_code == 0
    return os.path.join(str(out), "latest.npz")


@pytest.fixture(scope="module")
def squares(tmp_path_factory):
    """A folder of 96 colour PNGs in 3 class folders and a 1-epoch run on them (its latest.npz)."""
    root = tmp_path_factory.mktemp("squares")
    folder = write_pngs(root / "images", colour_squares(96))
    return folder, train(load_files(folder), root / "run")


@pytest.fixture(scope="module")
def mnist_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 96)
    write_split(directory, "test", 32, seed=1)
    return str(directory)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty per-user cache; classifiers trained quickly (8 epochs, at least 8 steps)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(classifier.CLASSIFIER_ENV, raising=False)
    monkeypatch.setitem(classifier.TRAINING, "epochs", 8)
    monkeypatch.setitem(classifier.TRAINING, "min_updates", 8)
    return tmp_path / "cache" / "npgan"


def cli(main, argv, capsys):
    """(exit code, the one error line or '', stdout, stderr) of a command: never a traceback."""
    code, out, err = run_main(main, argv, capsys)
    lines = [line for line in err.splitlines() if "error:" in line]
    assert "Traceback" not in err and len(lines) == (0 if code == 0 else 1), err
    return code, lines[0] if lines else "", out, err


# --- the classifier of the data judged ----------------------------------------------------------------------

def test_a_colour_run_is_judged_by_its_own_classifier_cached_beside_mnists(squares, mnist_dir, cache, tmp_path,
                                                                              capsys):
    folder, checkpoint = squares
    saved = training.load_run_checkpoint(checkpoint)
    report = str(tmp_path / "scores.json")
    code, _, out, err = cli(cli_evaluate.main, [checkpoint, "--n", "30", "--json", report], capsys)
    assert code == 0 and "No files classifier cached" in err
    mine = cache / "classifiers" / f"files-{saved.data['checksum'].split(':')[1]}.npz"
    clf = Classifier.load(str(mine))
    assert (clf.config["inp"], clf.config["classes"]) == (768, 3)
    assert clf.info["dataset"] == "files" and clf.info["checksum"] == saved.data["checksum"]
    assert clf.info["n_train"] == 65 and clf.info["n_test"] == 18  # 96 - 18 held out, 5/6 of the rest
    assert f"data: files (files: {folder}; checksum {saved.data['checksum']}; 16×16×3, 3 classes; 78 training " \
           f"and 18 test images" in out
    assert "classifier: npgan MLP classifier trained on files (65 training images, checksum " in out
    assert "classes covered" in out and "/3  " in out and "ln 3 = 1.099" in out
    scores = json.load(open(report))
    assert scores["data"]["dataset"] == "files" and scores["data"]["checksum"] == saved.data["checksum"]
    assert scores["data"]["image_shape"] == [16, 16, 3] and scores["data"]["same_as_run"]
    assert scores["classifier"]["dataset"] == "files" and scores["classifier"]["provenance"] in out
    assert len(scores["generated"]["class_fractions"]) == 3

    mnist = train(load_dataset("mnist", data_dir=mnist_dir), tmp_path / "mnist")  # a run on MNIST, same cache
    code, _, out, err = cli(cli_evaluate.main, [mnist, "--n", "20"], capsys)
    assert code == 0 and "No MNIST classifier cached" in err and "data: MNIST (data_dir: " in out
    mnist_clf = Classifier.load(str(cache / "mnist" / "mnist_classifier.npz"))
    assert (mnist_clf.config["inp"], mnist_clf.config["classes"], mnist_clf.info["dataset"]) == (784, 10, "mnist")
    for run, trained_on in ((checkpoint, "trained on files"), (mnist, "trained on MNIST")):  # each its own, cached
        code, _, out, err = cli(cli_evaluate.main, [run, "--n", "20"], capsys)
        assert code == 0 and "training one now" not in err and f"classifier: npgan MLP classifier {trained_on}" in out
    assert sorted(os.listdir(cache / "classifiers")) == [mine.name]


def test_a_classifier_of_other_data_is_refused_in_one_line(squares, mnist_dir, cache, tmp_path, capsys):
    folder, checkpoint = squares
    mnist_clf = str(tmp_path / "mnist.npz")
    assert cli(cli_classifier.main, ["--data-dir", mnist_dir, "--out", mnist_clf, "--epochs", "1", "--hidden",
                                     "8", "--batch-size", "16", "--min-accuracy", "0"], capsys)[0] == 0
    code, line, out, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--classifier", mnist_clf], capsys)
    assert code == 1 and line.startswith(f"npgan-evaluate: error: {mnist_clf} is a classifier of MNIST (sha256:")
    assert "not of files: pass a classifier of files (`python examples/train_classifier.py --data PATH" in line
    assert "FID" not in out and not (cache / "classifiers").exists()  # nothing trained in its place

    squares_clf = str(tmp_path / "squares.npz")
    assert cli(cli_classifier.main, ["--data", folder, "--out", squares_clf, "--epochs", "2"], capsys)[0] == 0
    mnist = train(load_dataset("mnist", data_dir=mnist_dir), tmp_path / "mnist")
    code, line, _, _ = cli(cli_evaluate.main, [mnist, "--n", "20", "--classifier", squares_clf], capsys)
    assert code == 1 and f"{squares_clf} is a classifier of files (sha256:" in line and "not of MNIST" in line

    other = colour_squares(96, seed=5)  # the same kind of data, other images: another checksum
    moved = write_pngs(tmp_path / "other", other)
    code, line, _, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--data", moved, "--classifier", squares_clf],
                           capsys)
    assert code == 1 and "was trained on other files data (checksum sha256:" in line


def test_the_default_cache_retrains_a_classifier_of_other_data(squares, cache, capsys):
    """A file at a dataset's cache path that does not fit the data (copied there by hand) is retrained."""
    _, checkpoint = squares
    real = realdata.run_data(training.load_run_checkpoint(checkpoint))
    path = classifier.default_classifier_path(dataset=real.name, checksum=real.checksum)
    os.makedirs(os.path.dirname(path))
    squares = colour_squares(48)  # a classifier of 768 values and 3 classes, recorded as of other files
    stale = classifier.train_classifier(squares.images, squares.labels, epochs=1, batch_size=16, hidden=(4,),
                                        log=lambda line: None)
    stale.info.update(dataset="files", checksum="sha256:0000000000000000")
    stale.save(path)
    code, _, _, err = cli(cli_evaluate.main, [checkpoint, "--n", "20"], capsys)
    assert code == 0 and "was trained on other files data (checksum sha256:0000000000000000" in err
    assert "it is retrained" in err and Classifier.load(path).info["checksum"] == real.checksum


def test_the_8x8_digits_are_judged_offline_by_their_own_classifier(cache, tmp_path, capsys):
    pytest.importorskip("sklearn")  # the data file ships in scikit-learn's wheel (read without importing it)
    digits = load_dataset("sklearn-digits")
    checkpoint = train(digits, tmp_path / "digits", batch_size=32, epochs=1)
    code, _, out, err = cli(cli_evaluate.main, [checkpoint, "--n", "40", "--memorisation"], capsys)
    assert code == 0 and (f"data: sklearn-digits (sklearn: {digits.path}; checksum {digits.checksum}; "
                                        f"8×8, 10 classes; 1,442 training and 355 test digits") in out
    assert "classifier: npgan MLP classifier trained on sklearn-digits (1,201 training digits" in out
    assert "nearest of 1442 training images" in out
    path = cache / "classifiers" / f"sklearn-digits-{digits.checksum.split(':')[1]}.npz"
    assert Classifier.load(str(path)).config["inp"] == 64 and f"saved the classifier" in err


def test_an_idx_dataset_is_found_again_in_the_folder_the_run_read(mnist_dir, cache, tmp_path, capsys):
    """A Fashion-MNIST run read from a folder (synthetic files of the real format): npgan-evaluate needs no
    flag to find them, and its classifier is cached as Fashion-MNIST's, not MNIST's."""
    checkpoint = train(load_dataset("fashion-mnist", data_dir=mnist_dir), tmp_path / "run")
    code, _, out, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20"], capsys)
    checksum = load_dataset("fashion-mnist", data_dir=mnist_dir).checksum
    assert code == 0 and f"data: Fashion-MNIST (data_dir: {mnist_dir}; checksum {checksum}" in out
    assert "classifier: npgan MLP classifier trained on Fashion-MNIST (80 training images" in out
    assert os.listdir(cache / "classifiers") == [f"fashion-mnist-{checksum.split(':')[1]}.npz"]
    assert not (cache / "mnist").exists()


# --- without labels, moved files, data no command can load ---------------------------------------------------

def test_data_without_labels_get_memorisation_and_parzen_and_no_classifier(cache, tmp_path, capsys):
    data = colour_squares(96)
    np.save(tmp_path / "x.npy", data.images.reshape(96, 16, 16, 3))
    checkpoint = train(load_files(tmp_path / "x.npy"), tmp_path / "run", epochs=2)
    code, _, out, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--json", str(tmp_path / "s.json")], capsys)
    assert code == 0 and "note: files has no labels, so no classifier judges the samples" in out
    assert "classifier: none: files has no labels" in out and "FID (classifier features)" not in out
    assert "memorisation (NN distance ratio)" in out and "Parzen log-likelihood" in out
    assert "nearest of 77 training images" in out  # 96 less the last fifth of the rows, held out
    assert not (cache / "classifiers").exists()
    scores = json.load(open(tmp_path / "s.json"))
    assert "fid" not in scores["generated"] and scores["generated"]["memorisation"]["n_heldout"] == 19
    code, line, _, _ = cli(cli_classifier.main, ["--data", str(tmp_path / "x.npy")], capsys)
    assert code == 1 and "the images have no labels (or one class), so there is no classifier to train" in line
    run_dir = os.path.dirname(checkpoint)
    code, _, out, _ = cli(cli_evaluate.main, [run_dir, "--n", "20", "--plot", str(tmp_path / "p.png")], capsys)
    assert code == 0 and "epoch   2  Parzen" in out and os.path.getsize(tmp_path / "p.png") > 1000


def test_moved_files_are_one_line_and_found_with_data(squares, cache, tmp_path, capsys):
    folder, _ = squares
    copy = shutil.copytree(folder, tmp_path / "images")
    checkpoint = train(load_files(copy), tmp_path / "run")
    moved = shutil.move(str(copy), str(tmp_path / "moved"))
    for main, argv in ((cli_evaluate.main, [checkpoint, "--n", "20"]),
                       (cli_figures.main, ["--figure2", checkpoint, "--n", "20", "--out", str(tmp_path / "f2.png")])):
        code, line, _, _ = cli(main, argv, capsys)
        assert code == 1 and f"was trained on the files at {copy}, which are not there any more: pass --data " \
                             f"PATH where they are now" in line
    code, _, out, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--data", moved], capsys)
    assert code == 0 and f"data: files (files: {moved}; checksum" in out and "note: the run trained" not in out
    code, line, _, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--data", moved, "--data-dir", moved,
                                               "--memorisation", "--data", str(tmp_path / "none")], capsys)
    assert code == 1 and "none" in line


def test_data_of_a_library_call_are_one_line_and_found_with_data(cache, tmp_path, capsys):
    data = colour_squares(96)  # a Dataset named "squares", given to training.train in memory
    checkpoint = train(data, tmp_path / "run")
    code, line, _, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20"], capsys)
    assert code == 1 and "was trained on 'squares', data given to npgan.training.train in a library call" in line
    assert "save them as a .npz (images, labels) and pass --data FILE" in line
    np.savez(tmp_path / "squares.npz", images=data.images.reshape(96, 16, 16, 3), labels=data.labels)
    code, _, out, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--data", str(tmp_path / "squares.npz"),
                                              "--memorisation"], capsys)
    assert code == 0 and f"checksum {data.checksum}" in out and "note: the run trained" not in out
    mnist_run = tmp_path / "mnist"
    code, line, _, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--data", str(mnist_run)], capsys)
    assert code == 1 and str(mnist_run) in line


def test_named_datasets_refuse_data_and_commands_refuse_both_flags(mnist_dir, cache, tmp_path, capsys):
    mnist = train(load_dataset("mnist", data_dir=mnist_dir), tmp_path / "mnist")
    code, line, _, _ = cli(cli_evaluate.main, [mnist, "--n", "20", "--data", mnist_dir], capsys)
    assert code == 2 and "argument --data: " in line and "was trained on MNIST, not on files: drop --data" in line
    code, _, _, err = cli(cli_classifier.main, ["--dataset", "mnist", "--data", mnist_dir], capsys)
    assert code == 2 and "--data PATH trains on your files and --dataset NAME on a named dataset" in err


# --- Figures 2 and 3 at the run's shape, colour included -----------------------------------------------------

@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "conditional"])
def test_figures_draw_colour_at_16x16_with_the_runs_classes(squares, cache, tmp_path, capsys, conditional):
    folder, checkpoint = squares
    if conditional:
        checkpoint = train(load_files(folder), tmp_path / "run", conditional=True)
    f2, f3 = str(tmp_path / "f2.png"), str(tmp_path / "f3.png")
    code, _, out, _ = cli(cli_figures.main, ["--figure2", checkpoint, "--n", "20", "--rows", "3", "--cols", "2",
                                             "--out", f2], capsys)
    assert code == 0 and "nearest of 78 training images" in out and "for 18 test images" in out
    code, _, out, _ = cli(cli_figures.main, ["--figure3", checkpoint, "--steps", "3", "--rows", "2", "--out", f3],
                          capsys)
    assert code == 0 and ("each drawn as the classes 0-2" in out) == conditional
    nearest = matplotlib.image.imread(f2)[..., :3]
    assert (np.abs(nearest[..., 0] - nearest[..., 2]) > 0.5).any()  # the red and blue squares, in colour
    assert (matplotlib.image.imread(f3)[..., 0] != matplotlib.image.imread(f3)[..., 2]).any()  # not grey
    G, recipe = training.load_generator(checkpoint)
    images = figures.figure3(G, recipe, f3, rows=2, steps=3, seed=1)
    assert images.shape == ((2 * 3 if conditional else 2) * 3, 768)
    train_images = realdata.run_data(training.load_run_checkpoint(checkpoint)).run_images(
        training.load_run_checkpoint(checkpoint))
    index, distance = figures.figure2(G, recipe, train_images, f2, rows=4, cols=2)
    assert index.shape == (4,) and (index < 78).all() and np.isfinite(distance).all()
    if conditional:
        code, line, _, _ = cli(cli_figures.main, ["--figure3", checkpoint, "--digit", "3", "--out", f3,
                                                  "--overwrite"], capsys)
        assert code == 2 and "argument --digit: invalid choice: 3 (the run's classes are 0..2)" in line
        code, _, out, _ = cli(cli_figures.main, ["--figure3", checkpoint, "--digit", "2", "--steps", "3", "--out",
                                                 f3, "--overwrite"], capsys)
        assert code == 0 and "each drawn as class 2" in out


def test_figures_of_vectors_are_refused_in_one_line(tmp_path, capsys):
    points = toy.ring_2d(256, np.random.default_rng(0)).astype(np.float32)
    data = Dataset("ring", (points - points.min()) / np.ptp(points), None, None, "test", "memory")
    checkpoint = train(data, tmp_path / "run", batch_size=32, epochs=1)
    for flag in ("--figure2", "--figure3"):
        code, line, _, _ = cli(cli_figures.main, [flag, checkpoint, "--out", str(tmp_path / "f.png")], capsys)
        assert code == 1 and "holds a generator of 2-vectors, not of images" in line
    assert not (tmp_path / "f.png").exists()


def test_the_strict_backend_judges_a_colour_run(squares, cache, capsys):
    _, checkpoint = squares
    code, _, out, _ = cli(cli_evaluate.main, [checkpoint, "--n", "20", "--memorisation", "--backend", "strict"], capsys)
    assert code == 0 and "backend strict" in out and "memorisation: " in out


# --- train_classifier: any dataset, its own cache --------------------------------------------------------------

def test_train_classifier_caches_each_dataset_under_its_own_name(squares, mnist_dir, cache, capsys):
    folder, _ = squares
    code, _, out, _ = cli(cli_classifier.main, ["--data", folder, "--epochs", "2", "--hidden", "16"], capsys)
    checksum = load_files(folder).checksum
    path = cache / "classifiers" / f"files-{checksum.split(':')[1]}.npz"
    assert code == 0 and f"saved to {path}" in out and "trained on files (65 training images" in out
    code, line, _, _ = cli(cli_classifier.main, ["--data", folder, "--epochs", "2"], capsys)
    assert code == 2 and "exists: pass --overwrite" in line
    code, _, out, _ = cli(cli_classifier.main, ["--data-dir", mnist_dir, "--epochs", "1", "--hidden", "8",
                                                "--batch-size", "16", "--min-accuracy", "0"], capsys)
    assert code == 0 and f"saved to {cache / 'mnist' / 'mnist_classifier.npz'}" in out
    assert sorted(os.listdir(cache / "classifiers")) == [path.name]
    code, line, _, _ = cli(cli_classifier.main, ["--data", folder, "--epochs", "1", "--batch-size", "66",
                                                 "--overwrite"], capsys)
    assert code == 2 and "argument --batch-size: must be an integer in [1, 65], got 66" in line
