"""The side commands a hostile new user tried — npgan-evaluate (npgan.cli.evaluate), npgan-figures
(npgan.cli.figures) and examples/train_classifier.py (npgan.cli.train_classifier) — end every bad input in one clear line
and a non-zero exit (argparse's 2 for a flag, 1 for a file, 130 for Ctrl-C), with nothing written and an
existing file unchanged byte for byte; and Figures 2 and 3 draw for every preset, conditional or not."""
import dataclasses
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from commands import run_main
from idx_files import write_split
from npgan import backend as B
from npgan import gan, optim, training
from npgan.checkpoint import TEMP_PREFIX, load_checkpoint, save_checkpoint
from npgan.cli import evaluate as cli_evaluate
from npgan.cli import figures as cli_figures
from npgan.cli import mnist
from npgan.cli import train_classifier as cli_classifier
from npgan.evaluation import classifier, figures, memorisation, report
from npgan.gan.conditional import N_CLASSES, concat_forward, one_hot

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TINY = ["--z-dim", "4", "--hidden", "8", "--batch-size", "16", "--epochs", "1", "--no-progress"]
pytestmark = pytest.mark.filterwarnings("ignore:only .* examples, fewer than n_train:UserWarning")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """96 training digits (80 train a classifier, 16 validate) and 32 test digits."""
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 96)
    write_split(directory, "test", 32, seed=1)
    return str(directory)


def _train(out, data_dir, *flags):
    assert mnist.main(TINY + ["--checkpoint-every", "1", "--data-dir", data_dir, "--out", str(out), *flags]) == 0
    return str(out)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, data_dir):
    """A tiny slides run folder with ckpt_epoch001.npz and latest.npz."""
    return _train(tmp_path_factory.mktemp("runs") / "slides", data_dir)


@pytest.fixture(scope="module")
def checkpoint(run_dir):
    return os.path.join(run_dir, "latest.npz")


@pytest.fixture(scope="module")
def conditional_checkpoint(tmp_path_factory, data_dir):
    return os.path.join(_train(tmp_path_factory.mktemp("runs") / "conditional", data_dir, "--conditional"),
                        "latest.npz")


@pytest.fixture(scope="module")
def clf(tmp_path_factory, data_dir):
    """A tiny classifier (one epoch, one hidden layer of 16): what the metrics need, in a second."""
    path = str(tmp_path_factory.mktemp("clf") / "clf.npz")
    assert cli_classifier.main(["--data-dir", data_dir, "--out", path, "--epochs", "1", "--hidden", "16",
                            "--batch-size", "16", "--min-accuracy", "0"]) == 0
    return path


def cli(main, argv, capsys):
    """(exit code, the error line, stdout) of one command; asserts no traceback and that a failure says
    exactly one `error:` line (a success none)."""
    code, out, err = run_main(main, argv, capsys)
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == (1 if code not in (0, 130) else 0), err
    return code, lines[0] if lines else err.strip(), out


def no_temp_files(folder):
    return not [name for name in os.listdir(folder) if name.startswith(TEMP_PREFIX)]


def existing(tmp_path, name, content=b"keep me"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


# --- evaluate.py ------------------------------------------------------------------------------------------

EVALUATE_FLAGS = [  # flags, the message (argparse: exit 2)
    (["--parzen", "--parzen-test", "-1"], "argument --parzen-test: must be an integer >= 1, got -1"),
    (["--parzen", "--parzen-test", "0"], "argument --parzen-test: must be an integer >= 1, got 0"),
    (["--parzen", "--parzen-validation", "0"], "argument --parzen-validation: must be an integer >= 1, got 0"),
    (["--parzen-test", "5"], "argument --parzen-test: is a setting of the Parzen estimate: add --parzen"),
    (["--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["--n", "0"], "argument --n: must be an integer >= 10, got 0"),
    (["--n", "1"], "argument --n: must be an integer >= 10, got 1"),
    (["--n", "100001"], "argument --n: must be an integer in [10, 100000], got 100001"),
    (["--n", "x"], "argument --n: invalid int value"),
    (["--plot", "OUT/p.png"], "argument --plot: draws the metrics against the epochs of a run folder"),
    (["--json", "OUT/scores.txt"], "argument --json: 'OUT/scores.txt' must end in .json"),
    (["--json", "OUT"], "argument --json: 'OUT' is a folder"),
    (["--json", "OUT/none/s.json"], "argument --json: the folder"),
    (["--json", "CKPT"], "must end in .json"),
    (["--json", ""], "argument --json: needs a file name"),
]


@pytest.mark.parametrize("flags, message", EVALUATE_FLAGS, ids=[" ".join(c[0]) for c in EVALUATE_FLAGS])
def test_evaluate_flag_out_of_range(checkpoint, clf, data_dir, tmp_path, capsys, flags, message):
    flags = [f.replace("OUT", str(tmp_path)).replace("CKPT", checkpoint) for f in flags]
    code, line, _ = cli(cli_evaluate.main, [checkpoint, "--data-dir", data_dir, "--classifier", clf, *flags], capsys)
    assert code == 2 and message.replace("OUT", str(tmp_path)) in line, line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("plot, message", [("DIR", "is a folder; give a file name ending in .png or .pdf"),
                                           ("p.bmp", "p.bmp' must end in .png or .pdf or .svg or .jpg or .jpeg"),
                                           ("noext", "must end in .png"),
                                           ("none/p.png", "the folder"),
                                           ("taken.png", "exists: pass --overwrite to replace it")])
def test_evaluate_plot_is_checked_before_the_work(run_dir, clf, data_dir, tmp_path, capsys, plot, message):
    taken = existing(tmp_path, "taken.png")
    plot = str(tmp_path) if plot == "DIR" else str(tmp_path / plot)
    code, line, out = cli(cli_evaluate.main, [run_dir, "--n", "10", "--data-dir", data_dir, "--classifier", clf,
                                            "--plot", plot, "--json", str(tmp_path / "s.json")], capsys)
    assert code == 2 and "argument --plot: " in line and message in line, line
    assert out == "" and sorted(os.listdir(tmp_path)) == ["taken.png"]  # no work done, no json written
    assert open(taken, "rb").read() == b"keep me"


def test_evaluate_json_over_an_existing_file_or_the_checkpoint_itself(checkpoint, clf, data_dir, tmp_path, capsys):
    scores = existing(tmp_path, "scores.json", b'{"mine": 1}')
    code, line, _ = cli(cli_evaluate.main, [checkpoint, "--n", "10", "--data-dir", data_dir, "--classifier", clf,
                                          "--json", scores], capsys)
    assert code == 2 and "argument --json: " in line and "exists: pass --overwrite" in line
    assert open(scores, "rb").read() == b'{"mine": 1}'
    disguised = str(tmp_path / "ckpt.json")  # a checkpoint whose name ends in .json, spelled another way
    shutil.copy(checkpoint, disguised)
    before = open(disguised, "rb").read()
    code, line, _ = cli(cli_evaluate.main, [disguised, "--n", "10", "--data-dir", data_dir, "--classifier", clf,
                                          "--json", os.path.join(str(tmp_path), ".", "ckpt.json")], capsys)
    assert code == 2 and "is the input" in line, line
    assert open(disguised, "rb").read() == before
    code, _, out = cli(cli_evaluate.main, [checkpoint, "--n", "10", "--data-dir", data_dir, "--classifier", clf,
                                         "--json", scores, "--overwrite"], capsys)
    assert code == 0 and f"wrote {scores}" in out and '"generated"' in open(scores).read()
    assert no_temp_files(tmp_path)


def _gan_with_nan(checkpoint, path):
    state = load_checkpoint(checkpoint)
    state["trainer"]["G"]["0.weight"][0, 0] = np.nan
    if "ema" in state:
        state["ema"]["G"]["0.weight"][0, 0] = np.nan
    save_checkpoint(path, state)
    return str(path)


def _classifier_with(clf, path, change):
    state = load_checkpoint(clf)
    change(state)
    save_checkpoint(path, state)
    return str(path)


def test_evaluate_refuses_a_classifier_that_is_not_one(checkpoint, clf, data_dir, tmp_path, capsys):
    def nan(state):
        state["classifier"]["0.1.weight"][0, 0] = np.inf
    cases = [(checkpoint, "is a GAN checkpoint, not a classifier"),
             (str(tmp_path / "typo.npz"), "--classifier " + str(tmp_path / "typo.npz") + " does not exist"),
             (_classifier_with(clf, tmp_path / "nan.npz", nan), "nan.npz: the classifier's 0.1.weight hold non-finite"),
             (_classifier_with(clf, tmp_path / "cut.npz", lambda s: s.pop("config")), "not a classifier (it has no "
                                                                                     "config entry)"),
             (str(tmp_path), "is not an npgan checkpoint: it is a directory")]
    listing = sorted(os.listdir(tmp_path))
    for path, message in cases:
        code, line, out = cli(cli_evaluate.main, [checkpoint, "--n", "10", "--data-dir", data_dir, "--classifier",
                                                path], capsys)
        assert code == 1 and line.startswith("npgan-evaluate: error: ") and message in line, line
        assert "training one now" not in out
    assert sorted(os.listdir(tmp_path)) == listing  # the typo was not trained into


def test_evaluate_refuses_bad_checkpoints_before_the_work(run_dir, checkpoint, clf, data_dir, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    _gan_with_nan(checkpoint, folder / "ckpt_epoch001.npz")
    for target, message in [(str(tmp_path / "none.npz"), "does not exist"),
                            (str(tmp_path / "run" / "ckpt_epoch001.npz"), "hold non-finite values (the run diverged)"),
                            (str(folder), "ckpt_epoch001.npz: the generator's 0.weight"),
                            (data_dir, "no ckpt_epochNNN.npz in")]:
        code, line, out = cli(cli_evaluate.main, [target, "--n", "10", "--data-dir", data_dir, "--classifier", clf,
                                                "--json", str(tmp_path / "s.json")], capsys)
        assert code == 1 and message in line and out == "", line
    assert not (tmp_path / "s.json").exists()


def test_evaluate_refuses_data_that_are_not_the_runs_or_too_few(checkpoint, clf, data_dir, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    write_split(other, "train", 48)
    write_split(other, "test", 32, seed=1)
    code, line, _ = cli(cli_evaluate.main, [checkpoint, "--n", "10", "--memorisation", "--data-dir", str(other),
                                          "--classifier", clf], capsys)
    assert code == 1 and "was trained on 96 images" in line and "give 48: pass the run's data with --data-dir" in line
    write_split(other, "train", 12)  # 10 to train on, 2 to validate
    code, line, _ = cli(cli_evaluate.main, [checkpoint, "--n", "10", "--data-dir", str(other), "--classifier", clf],
                        capsys)
    assert code == 1 and "give 2 validation and 32 test digits; the metrics need at least 10 of each" in line


def test_evaluate_says_when_it_has_fewer_real_digits_than_n(checkpoint, clf, data_dir, tmp_path, capsys):
    report = str(tmp_path / "s.json")
    code, _, out = cli(cli_evaluate.main, [checkpoint, "--n", "40", "--parzen", "--parzen-test", "500",
                                         "--parzen-validation", "99", "--memorisation", "--data-dir", data_dir,
                                         "--classifier", clf, "--json", report], capsys)
    assert code == 0
    for note in ("note: --n 40: the real-data column uses all 16 validation digits there are",
                 "note: --parzen-test 500: the Parzen estimate scores all 32 test digits there are",
                 "note: --parzen-validation 99: σ is chosen on all 16 validation digits there are",
                 "note: --n 40: the memorisation number compares with all 32 test digits there are"):
        assert note in out, out
    import json
    scores = json.load(open(report))
    assert scores["generated"]["parzen"]["n_test"] == 32 and scores["generated"]["parzen"]["n_validation"] == 16
    assert scores["generated"]["memorisation"]["n_heldout"] == 32 and scores["generated"]["parzen"]["n_samples"] == 40


def test_evaluate_interrupted_leaves_no_json(checkpoint, clf, data_dir, tmp_path, capsys, monkeypatch):
    def half_then_ctrl_c(report, f, **kwargs):
        f.write('{"n": ')
        raise KeyboardInterrupt
    monkeypatch.setattr(cli_evaluate.json, "dump", half_then_ctrl_c)
    code, line, _ = cli(cli_evaluate.main, [checkpoint, "--n", "10", "--data-dir", data_dir, "--classifier", clf,
                                          "--json", str(tmp_path / "s.json")], capsys)
    assert code == 130 and line == "npgan-evaluate: interrupted"
    assert os.listdir(tmp_path) == []  # neither the file nor its temporary


# --- figures.py ---------------------------------------------------------------------------------------------

FIGURE_FLAGS = [  # flags (CKPT: the unconditional checkpoint, COND: the conditional one), the message
    (["--figure2", "CKPT", "--n", "1"], "argument --n: must be an integer >= 10, got 1"),
    (["--figure2", "CKPT", "--n", "100001"], "argument --n: must be an integer in [10, 100000]"),
    (["--figure3", "CKPT", "--rows", "100000"], "argument --rows: must be an integer in [1, 100], got 100000"),
    (["--figure3", "CKPT", "--rows", "0"], "argument --rows: must be an integer >= 1, got 0"),
    (["--figure2", "CKPT", "--cols", "100000"], "argument --cols: must be an integer in [1, 50]"),
    (["--figure3", "CKPT", "--steps", "100000"], "argument --steps: must be an integer in [2, 50]"),
    (["--figure3", "CKPT", "--steps", "1"], "argument --steps: must be an integer >= 2"),
    (["--figure3", "CKPT", "--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["--figure2", "CKPT", "--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["--figure3", "CKPT", "--n", "10"], "argument --n: is for --figure2, not --figure3"),
    (["--figure2", "CKPT", "--steps", "3"], "argument --steps: is for --figure3, not --figure2"),
    (["--figure3", "CKPT", "--digit", "3"], "argument --digit: CKPT holds an unconditional generator: --digit needs"),
    (["--figure2", "CKPT", "--digit", "3"], "argument --digit: CKPT holds an unconditional generator"),
    (["--figure3", "COND", "--digit", "10"], "argument --digit: invalid choice"),
    (["--figure3", "COND", "--rows", "11"], "argument --rows: 11 lines drawn as each of the 10 digits make 110 grid "
                                            "rows; at most 10 lines (or one digit with --digit)"),
    (["--figure3", "CKPT", "--out", "OUT/noext"], "argument --out: 'OUT/noext' must end in .png or .pdf or .svg"),
    (["--figure3", "CKPT", "--out", "OUT/f.bmp"], "argument --out: 'OUT/f.bmp' must end in .png"),
    (["--figure3", "CKPT", "--out", "OUT"], "argument --out: 'OUT' is a folder"),
    (["--figure3", "CKPT", "--out", "OUT/none/f.png"], "argument --out: the folder"),
    (["--figure3", "CKPT", "--out", "CKPT"], "must end in .png"),
    (["--figure3", "CKPT", "--out", ""], "argument --out: needs a file name"),
]


@pytest.mark.parametrize("flags, message", FIGURE_FLAGS, ids=[" ".join(c[0]) for c in FIGURE_FLAGS])
def test_figures_flag_out_of_range(checkpoint, conditional_checkpoint, data_dir, tmp_path, capsys, flags, message):
    names = {"CKPT": checkpoint, "COND": conditional_checkpoint, "OUT": str(tmp_path)}
    flags = [names.get(f, f.replace("OUT", str(tmp_path))) for f in flags]
    if "--out" not in flags:
        flags += ["--out", str(tmp_path / "f.png")]
    if "--figure2" in flags:
        flags += ["--data-dir", data_dir]
    code, line, _ = cli(cli_figures.main, flags, capsys)
    for name, value in names.items():
        message = message.replace(name, value)
    assert code == 2 and message in line, line
    assert os.listdir(tmp_path) == []


def _endpoints(tmp_path, kind):
    path = str(tmp_path / f"{kind}.npy")
    z = np.zeros((2, 2, 4), np.float32)
    if kind == "nan":
        z[1, 0, 2] = np.nan
    elif kind == "inf":
        z[0, 1, 0] = -np.inf
    elif kind == "empty":
        z = z[:0]
    elif kind == "npz":
        path = path[:-4] + ".npz"
        np.savez(path, z=z)
        return path, "is an .npz archive; give a .npy array of shape (rows, 2, 4)"
    elif kind == "objects":
        np.save(path, np.array([{}], dtype=object), allow_pickle=True)
        return path, "cannot read"
    elif kind == "missing":
        return path, "cannot read"
    np.save(path, z)
    return path, {"nan": "holds NaN or infinite values", "inf": "holds NaN or infinite values",
                  "empty": "holds 0 lines; give 1 to 100"}[kind]


@pytest.mark.parametrize("kind", ["nan", "inf", "empty", "npz", "objects", "missing"])
def test_figure3_endpoints_that_cannot_be_drawn(checkpoint, tmp_path, capsys, kind):
    path, message = _endpoints(tmp_path, kind)
    out = tmp_path / "f3.png"
    code, line, _ = cli(cli_figures.main, ["--figure3", checkpoint, "--endpoints", path, "--out", str(out)], capsys)
    assert code == 2 and "argument --endpoints: " in line and os.path.basename(path) in line and message in line, line
    assert not out.exists()


def test_figures_never_replace_an_existing_file_or_the_checkpoint_unasked(checkpoint, tmp_path, capsys):
    taken = existing(tmp_path, "taken.png")
    code, line, _ = cli(cli_figures.main, ["--figure3", checkpoint, "--out", taken], capsys)
    assert code == 2 and "exists: pass --overwrite" in line and open(taken, "rb").read() == b"keep me"
    disguised = str(tmp_path / "ckpt.png")  # a checkpoint whose name ends in .png, named through a link
    shutil.copy(checkpoint, disguised)
    os.symlink(disguised, tmp_path / "link.png")
    code, line, _ = cli(cli_figures.main, ["--figure3", str(tmp_path / "link.png"), "--out", disguised, "--overwrite"],
                        capsys)
    assert code == 2 and "is the input" in line and open(disguised, "rb").read() == open(checkpoint, "rb").read()
    code, _, out = cli(cli_figures.main, ["--figure3", checkpoint, "--out", taken, "--overwrite", "--steps", "3"], capsys)
    assert code == 0 and open(taken, "rb").read()[:4] == b"\x89PNG" and no_temp_files(tmp_path)


def test_figure2_refuses_data_that_are_not_the_runs(checkpoint, tmp_path, capsys):
    write_split(tmp_path, "train", 48)
    write_split(tmp_path, "test", 16)
    code, line, _ = cli(cli_figures.main, ["--figure2", checkpoint, "--n", "10", "--data-dir", str(tmp_path),
                                       "--out", str(tmp_path / "f2.png")], capsys)
    assert code == 1 and "was trained on 96 images" in line and "give 48: pass the run's data with --data-dir" in line
    assert not (tmp_path / "f2.png").exists()
    code, line, _ = cli(cli_figures.main, ["--figure2", str(tmp_path / "none.npz"), "--out", str(tmp_path / "f2.png")],
                        capsys)
    assert code == 1 and "none.npz' does not exist" in line


def test_figure2_says_when_it_has_fewer_test_digits_than_n(checkpoint, data_dir, tmp_path, capsys):
    code, _, out = cli(cli_figures.main, ["--figure2", checkpoint, "--n", "50", "--rows", "2", "--cols", "2",
                                      "--data-dir", data_dir, "--out", str(tmp_path / "f2.pdf")], capsys)
    assert code == 0 and "note: the test data hold 32 digits: the memorisation number compares 50 samples" in out
    assert "50 samples, " in out and "for 32 test digits" in out
    assert open(tmp_path / "f2.pdf", "rb").read(4) == b"%PDF"


def test_figures_interrupted_while_saving_leave_nothing(checkpoint, tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    def half_then_ctrl_c(self, f, **kwargs):
        f.write(b"\x89PNG half")
        raise KeyboardInterrupt
    monkeypatch.setattr(Figure, "savefig", half_then_ctrl_c)
    code, line, _ = cli(cli_figures.main, ["--figure3", checkpoint, "--out", str(tmp_path / "f3.png")], capsys)
    assert code == 130 and line == "npgan-figures: interrupted"
    assert os.listdir(tmp_path) == []


# --- train_classifier.py --------------------------------------------------------------------------------------

CLASSIFIER_FLAGS = [
    (["--epochs", "0"], "argument --epochs: must be an integer >= 1, got 0"),
    (["--epochs", "1001"], "argument --epochs: must be an integer in [1, 1000], got 1001"),
    (["--hidden", "0"], "argument --hidden: must be an integer >= 1, got 0"),
    (["--hidden", "16", "5000"], "argument --hidden: must be an integer in [1, 4096], got 5000"),
    (["--hidden"] + ["4"] * 9, "argument --hidden: at most 8 layers, got 9"),
    (["--lr", "nan"], "argument --lr: must be a finite number in (0, 1], got nan"),
    (["--lr", "inf"], "argument --lr: must be a finite number in (0, 1], got inf"),
    (["--lr", "0"], "argument --lr: must be a finite number in (0, 1], got 0.0"),
    (["--lr", "2"], "argument --lr: must be a finite number in (0, 1], got 2.0"),
    (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1, got 0"),
    (["--batch-size", "81"], "argument --batch-size: must be an integer in [1, 80], got 81"),
    (["--min-accuracy", "2"], "argument --min-accuracy: must be a finite number in [0, 1], got 2.0"),
    (["--min-accuracy", "nan"], "argument --min-accuracy: must be a finite number in [0, 1], got nan"),
    (["--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["--out", "OUT"], "argument --out: 'OUT' is a folder; give a file name ending in .npz"),
    (["--out", "OUT/clf.pkl"], "argument --out: 'OUT/clf.pkl' must end in .npz"),
    (["--out", "OUT/none/clf.npz"], "argument --out: the folder"),
    (["--out", ""], "argument --out: needs a file name"),
]


@pytest.mark.parametrize("flags, message", CLASSIFIER_FLAGS, ids=[" ".join(c[0][:3]) for c in CLASSIFIER_FLAGS])
def test_train_classifier_flag_out_of_range(data_dir, tmp_path, capsys, flags, message):
    flags = [f.replace("OUT", str(tmp_path)) for f in flags]
    if "--out" not in flags:
        flags += ["--out", str(tmp_path / "clf.npz")]
    code, line, out = cli(cli_classifier.main, ["--data-dir", data_dir, "--epochs", "1", "--hidden", "8",
                                            "--batch-size", "16", *flags], capsys)
    assert code == 2 and message.replace("OUT", str(tmp_path)) in line, line
    assert os.listdir(tmp_path) == [] and "epoch 1/" not in out


def test_train_classifier_never_replaces_a_classifier_unasked(clf, data_dir, tmp_path, capsys, monkeypatch):
    mine = str(tmp_path / "mine.npz")
    shutil.copy(clf, mine)
    before = open(mine, "rb").read()
    quick = ["--data-dir", data_dir, "--epochs", "1", "--hidden", "8", "--batch-size", "16", "--min-accuracy", "0"]
    code, line, out = cli(cli_classifier.main, quick + ["--out", mine], capsys)
    assert code == 2 and "argument --out: " in line and "exists: pass --overwrite" in line and out == ""
    assert open(mine, "rb").read() == before
    monkeypatch.setenv(classifier.CLASSIFIER_ENV, mine)  # the default place: the same rule
    code, line, out = cli(cli_classifier.main, quick, capsys)
    assert code == 2 and "exists: pass --overwrite" in line and open(mine, "rb").read() == before
    code, _, out = cli(cli_classifier.main, quick + ["--overwrite"], capsys)
    assert code == 0 and f"saved to {mine}" in out and open(mine, "rb").read() != before
    assert classifier.MnistClassifier.load(mine).config["hidden"] == [8] and no_temp_files(tmp_path)


def test_train_classifier_without_data_or_interrupted_writes_nothing(data_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "clf.npz"
    code, line, _ = cli(cli_classifier.main, ["--data-dir", str(tmp_path / "none"), "--out", str(out)], capsys)
    assert code == 1 and "train_classifier.py: error: data_dir = " in line and "does not hold the MNIST train" in line
    steps = []

    def step_then_ctrl_c(self):
        steps.append(1)
        if len(steps) == 3:
            raise KeyboardInterrupt
    monkeypatch.setattr(optim.Adam, "step", step_then_ctrl_c)
    code, line, _ = cli(cli_classifier.main, ["--data-dir", data_dir, "--out", str(out), "--epochs", "2", "--hidden", "8",
                                          "--batch-size", "16"], capsys)
    assert code == 130 and line == "train_classifier.py: interrupted" and len(steps) == 3
    assert os.listdir(tmp_path) == []


def test_train_classifier_refuses_to_save_diverged_weights(data_dir, tmp_path, capsys, monkeypatch):
    trained = classifier.train_classifier

    def diverged(*args, **kwargs):
        clf = trained(*args, **kwargs)
        clf.head.weight.data[0, 0] = np.nan
        return clf
    monkeypatch.setattr(classifier, "train_classifier", diverged)
    code, line, _ = cli(cli_classifier.main, ["--data-dir", data_dir, "--out", str(tmp_path / "c.npz"), "--epochs", "1",
                                          "--hidden", "8", "--batch-size", "16"], capsys)
    assert code == 1 and "training diverged" in line and "nothing saved; try a lower --lr" in line
    assert os.listdir(tmp_path) == []


def test_train_classifier_below_min_accuracy_is_one_line(data_dir, tmp_path, capsys):
    code, line, out = cli(cli_classifier.main, ["--data-dir", data_dir, "--out", str(tmp_path / "c.npz"), "--epochs",
                                            "1", "--hidden", "8", "--batch-size", "16", "--min-accuracy", "1"], capsys)
    assert code == 1 and "is below --min-accuracy 1.0 (the classifier is saved at" in line
    assert (tmp_path / "c.npz").exists()  # as the flag's help says


# --- under mpiexec: one line, not one per rank ---------------------------------------------------------------

MPIEXEC = next((p for p in (os.path.join(os.path.dirname(sys.executable), "mpiexec"),) if os.path.exists(p)),
               None) or shutil.which("mpiexec")


@pytest.mark.skipif(MPIEXEC is None, reason="needs mpiexec")
@pytest.mark.parametrize("module, argv, message", [
    ("npgan.cli.evaluate", ["CKPT", "--n", "0"], "argument --n: must be an integer >= 10"),
    ("npgan.cli.evaluate", ["CKPT", "--classifier", "typo.npz"], "--classifier typo.npz does not exist"),
    ("npgan.cli.figures", ["--figure3", "CKPT", "--rows", "100000"], "argument --rows: must be an integer in [1, 100]"),
    ("npgan.cli.train_classifier", ["--lr", "nan"], "argument --lr: must be a finite number in (0, 1]"),
])
def test_a_refusal_under_mpiexec_is_printed_once(checkpoint, tmp_path, module, argv, message):
    argv = [checkpoint if a == "CKPT" else a for a in argv]
    result = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-m", module, *argv], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert [line for line in result.stderr.splitlines() if "error:" in line] == \
        [line for line in result.stderr.splitlines() if message in line] and result.stderr.count(message) == 1, \
        result.stderr


# --- Figures 2 and 3 for every preset, conditional or not ----------------------------------------------------

@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "conditional"])
@pytest.mark.parametrize("arch", ["slides", "paper", "tutorial"])
def test_figures_and_sampling_work_for_every_preset(data_dir, clf, tmp_path, capsys, arch, conditional):
    flags = ["--arch", arch] + (["--conditional"] if conditional else [])
    latest = os.path.join(_train(tmp_path / "run", data_dir, *flags), "latest.npz")
    f2, f3 = str(tmp_path / "f2.png"), str(tmp_path / "f3.png")
    assert cli_figures.main(["--figure2", latest, "--n", "10", "--rows", "2", "--cols", "2", "--data-dir", data_dir,
                         "--out", f2]) == 0
    assert cli_figures.main(["--figure3", latest, "--steps", "3", "--out", f3]) == 0
    out = capsys.readouterr().out
    assert "memorisation: " in out and ("each drawn as the digits 0-9" in out) == conditional
    assert os.path.getsize(f2) > 1000 and os.path.getsize(f3) > 1000
    G, recipe = training.load_generator(latest)
    images = figures.figure3(G, recipe, f3, rows=2, steps=3, seed=1)
    assert images.shape == ((2 * N_CLASSES if conditional else 2) * 3, 784)
    if conditional:
        assert cli_figures.main(["--figure2", latest, "--n", "10", "--rows", "2", "--cols", "2", "--digit", "7",
                             "--data-dir", data_dir, "--out", f2, "--overwrite"]) == 0
        assert cli_figures.main(["--figure3", latest, "--steps", "3", "--digit", "7", "--out", f3, "--overwrite"]) == 0
    assert report.sample_images(latest, 10).shape == (10, 784)  # evaluate.py's samples
    assert cli_evaluate.main([latest, "--n", "10", "--memorisation", "--data-dir", data_dir, "--classifier", clf]) == 0


def test_conditional_figure3_draws_the_same_line_as_every_digit(conditional_checkpoint, tmp_path):
    """Grid row r = line r // 10 drawn as digit r % 10: exactly G([z(t), one_hot(digit)]) along the line."""
    G, recipe = training.load_generator(conditional_checkpoint)
    on_g, steps = B.backend_of(G.parameters()[0].data), 4  # $NPGAN_BACKEND
    images = figures.figure3(G, recipe, str(tmp_path / "f3.png"), rows=2, steps=steps, seed=5)
    grid = images.reshape(2, N_CLASSES, steps, 784)
    z1, z2 = figures.line_endpoints(2, recipe, seed=5)
    for line in range(2):
        z = figures.interpolate(z1[line:line + 1], z2[line:line + 1], steps)
        for digit in (0, 3, 9):
            zc = concat_forward(z, one_hot(np.full(steps, digit), np, z.dtype))[0]
            np.testing.assert_allclose(grid[line, digit], gan.sample(G, steps, z=B.to_device(zc, on_g)),
                                       rtol=1e-5, atol=1e-6)  # another batch size: the BLAS may round otherwise
    assert not np.array_equal(grid[0, 0], grid[0, 1])  # the label changes the digit drawn
    sevens = figures.figure3(G, recipe, str(tmp_path / "f7.png"), rows=2, steps=steps, seed=5, digit=7)
    np.testing.assert_allclose(sevens.reshape(2, steps, 784), grid[:, 7], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="conditional"):
        figures.figure3(G, dataclasses.replace(recipe, conditional=False), str(tmp_path / "x.png"), digit=3)


def test_conditional_figure2_draws_row_i_as_digit_i(conditional_checkpoint, data_dir, tmp_path):
    G, recipe = training.load_generator(conditional_checkpoint)
    train = memorisation.training_images(training.load_run_checkpoint(conditional_checkpoint), data_dir)
    index, _ = figures.figure2(G, recipe, train, str(tmp_path / "f2.png"), rows=3, cols=2, seed=4)
    labels = np.repeat(np.arange(3), 2)
    last = gan.sample(G, 6, recipe, seed=4, labels=labels).reshape(3, 2, -1)[:, -1]
    np.testing.assert_array_equal(index, memorisation.nearest_neighbours(last, train)[0])
