"""The examples are pages of wiring over the library pieces the command lines use: examples/mnist_gan.py and
npgan-mnist (npgan.cli.mnist) write the same bytes for the same flags and seed; examples/evaluate.py prints
npgan-evaluate's table and examples/figures.py draws the figures of npgan.cli.figures. Each example refuses a
user's mistake in one line, writes nothing then, imports no command line but npgan.cli.console, and stays a
page. The scripts run in this process through their main(argv)."""
import ast
import importlib.util
import json
import os

import pytest

from commands import run_main
from idx_files import write_split
from npgan.cli import evaluate as cli_evaluate
from npgan.cli import figures as cli_figures
from npgan.cli import mnist as cli_mnist
from npgan.cli import train_classifier as cli_classifier

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
pytestmark = pytest.mark.filterwarnings("ignore:only .* examples, fewer than n_train:UserWarning")


def script(name):
    spec = importlib.util.spec_from_file_location(f"{name}_example", os.path.join(ROOT, "examples", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mnist_gan, evaluate, figures = script("mnist_gan"), script("evaluate"), script("figures")
RUN = ["--epochs", "5", "--seed", "2"]  # the slides preset (batch 256): 2 iterations an epoch, ckpt_epoch005.npz


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """512 training digits (two minibatches of the slides preset) and 32 test digits."""
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 512)
    write_split(directory, "test", 32, seed=1)
    return str(directory)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_dir):
    """(the example's run folder, npgan-mnist's), trained with the same flags."""
    example, command = (str(tmp_path_factory.mktemp("runs") / name) for name in ("example", "command"))
    assert mnist_gan.main(RUN + ["--data-dir", data_dir, "--out", example]) == 0
    assert cli_mnist.main(RUN + ["--data-dir", data_dir, "--out", command, "--no-progress"]) == 0
    return example, command


@pytest.fixture(scope="module")
def clf(tmp_path_factory, data_dir):
    path = str(tmp_path_factory.mktemp("clf") / "clf.npz")
    assert cli_classifier.main(["--data-dir", data_dir, "--out", path, "--epochs", "1", "--hidden", "16",
                                "--batch-size", "16", "--min-accuracy", "0"]) == 0
    return path


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as f:
        return f.read()


def one_line(main, argv, capsys):
    """(exit code, the error line) of a failing command: no traceback, exactly one `error:` line."""
    code, _, err = run_main(main, argv, capsys)
    lines = [line for line in err.splitlines() if "error:" in line]
    assert code != 0 and len(lines) == 1, err
    return code, lines[0]


# --- mnist_gan.py --------------------------------------------------------------------------------------------

def test_the_example_and_npgan_mnist_write_the_same_bytes(runs):
    example, command = runs
    names = sorted(name for name in os.listdir(example) if not name.startswith("."))
    assert names == sorted(name for name in os.listdir(command) if not name.startswith("."))
    assert {"latest.npz", "ckpt_epoch005.npz", "metrics.csv", "curves.png", "samples_epoch005.png"} <= set(names)
    for name in names:
        if name == "history.jsonl":  # each epoch's wall-clock seconds differ; every other field is the same
            a, b = ([{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in read(folder, name)
                     .splitlines()] for folder in runs)
            assert a == b and len(a) == 5
        else:
            assert read(example, name) == read(command, name), name


@pytest.mark.parametrize("flags, code, message", [
    (["--epochs", "0"], 2, "argument --epochs: must be an integer >= 1, got 0"),
    (["--seed", "-1"], 2, "argument --seed: must be an integer >= 0, got -1"),
    (["--arch", "dcgan"], 2, "argument --arch: invalid choice: 'dcgan'"),
    (["--data-dir", "{tmp}/nowhere"], 1, "does not hold the MNIST train files"),
    (["--data-dir", "{small}"], 2, "argument --batch-size: 256 must lie in 1..96 (the number of examples)"),
])
def test_the_example_refuses_a_mistake_in_one_line_and_writes_nothing(tmp_path, capsys, flags, code, message):
    small = tmp_path / "small"
    small.mkdir()
    write_split(small, "train", 96)
    flags = [flag.format(tmp=tmp_path, small=small) for flag in flags]
    got, line = one_line(mnist_gan.main, flags + ["--out", str(tmp_path / "run")], capsys)
    assert (got, message in line) == (code, True), line
    assert not (tmp_path / "run").exists()


def test_the_example_refuses_a_folder_that_holds_a_run(runs, data_dir, capsys):
    example, _ = runs
    before = read(example, "latest.npz")
    code, line = one_line(mnist_gan.main, RUN + ["--data-dir", data_dir, "--out", example], capsys)
    assert code == 1 and "already holds a run" in line and "--overwrite" in line
    assert "continue it with npgan-mnist --resume" in line  # the example has no --resume of its own
    assert read(example, "latest.npz") == before


# --- evaluate.py and figures.py -------------------------------------------------------------------------------

def test_the_evaluate_example_prints_the_table_of_npgan_evaluate(runs, data_dir, clf, monkeypatch, capsys):
    monkeypatch.setenv("NPGAN_CLASSIFIER", clf)
    latest = os.path.join(runs[0], "latest.npz")
    tables = []
    for main in (evaluate.main, cli_evaluate.main):
        assert main([latest, "--n", "12", "--seed", "1", "--data-dir", data_dir]) == 0
        out = capsys.readouterr().out
        tables.append(out[out.index("metric "):])
    assert tables[0] == tables[1] and "classes covered" in tables[0]


def test_the_figures_example_draws_the_figures_of_the_command(runs, data_dir, tmp_path, capsys):
    latest = os.path.join(runs[0], "latest.npz")
    assert figures.main([latest, "--n", "10", "--seed", "1", "--data-dir", data_dir, "--out", str(tmp_path)]) == 0
    memorisation = [line for line in capsys.readouterr().out.splitlines() if line.startswith("memorisation")]
    assert cli_figures.main(["--figure2", latest, "--n", "10", "--seed", "1", "--data-dir", data_dir,
                             "--out", str(tmp_path / "f2.png")]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("memorisation")] == memorisation
    assert cli_figures.main(["--figure3", latest, "--seed", "1", "--out", str(tmp_path / "f3.png")]) == 0
    assert read(tmp_path, "figure2.png") == read(tmp_path, "f2.png")
    assert read(tmp_path, "figure3.png") == read(tmp_path, "f3.png")
    code, line = one_line(figures.main, [latest, "--n", "10", "--data-dir", data_dir, "--out", str(tmp_path)], capsys)
    assert code == 2 and "argument --out:" in line and "--overwrite" in line  # nothing replaced unasked


@pytest.mark.parametrize("main, argv, message", [
    (evaluate.main, ["{ckpt}", "--n", "5"], "argument --n: must be an integer >= 10, got 5"),
    (evaluate.main, ["{ckpt}", "--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (evaluate.main, ["{tmp}/missing.npz"], "missing.npz"),
    (figures.main, ["{ckpt}", "--n", str(10**6), "--out", "{tmp}"], "argument --n: must be an integer in [10, 100000]"),
    (figures.main, ["{ckpt}", "--out", "{tmp}/nowhere"], "argument --out:"),
    (figures.main, ["{tmp}/missing.npz", "--out", "{tmp}"], "missing.npz"),
])
def test_the_evaluate_and_figures_examples_refuse_a_mistake_in_one_line(runs, tmp_path, capsys, main, argv,
                                                                       message):
    argv = [arg.format(ckpt=os.path.join(runs[0], "latest.npz"), tmp=tmp_path) for arg in argv]
    code, line = one_line(main, argv, capsys)
    assert message in line, line
    assert os.listdir(tmp_path) == []


# --- a page of wiring ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, most", [("mnist_gan", 140), ("evaluate", 100), ("figures", 100)])
def test_each_example_is_a_page_that_imports_no_command_line_but_the_console(name, most):
    path = os.path.join(ROOT, "examples", f"{name}.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    assert len(source.splitlines()) <= most
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert {module for module in imported if module.startswith("npgan.cli")} == {"npgan.cli.console"}
