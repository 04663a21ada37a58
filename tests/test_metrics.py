"""npgan.evaluation.metrics and npgan.evaluation.classifier: the Parzen window against brute force, the matrix square root against
SciPy, FID / classifier score / coverage on their defining cases, the sanity ordering real > one class > noise
on synthetic and (when present) real MNIST, and npgan-evaluate + benchmarks/parzen_table.py end to end."""
import importlib.util
import json
import math
import os
import re

import numpy as np
import pytest
import scipy.linalg
import scipy.special

from conftest import real_mnist_path
from idx_files import write_split
from npgan import backend as B
from npgan import evaluation, training
from npgan.cli import evaluate as cli_evaluate
from npgan.cli import figures as cli_figures
from npgan.cli import mnist
from npgan.cli import train_classifier as cli_classifier
from npgan.data import load_mnist, synthetic_digits
from npgan.evaluation import classifier, metrics
from npgan.evaluation.classifier import MnistClassifier, load_or_train_classifier, train_classifier

ROOT = os.path.join(os.path.dirname(__file__), "..")


def load_script(folder, name):
    spec = importlib.util.spec_from_file_location(f"{name}_script", os.path.join(ROOT, folder, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_spd(rng, n, rank=None):
    a = rng.standard_normal((n, rank or n))
    return a @ a.T + (1e-3 * np.eye(n) if rank is None else 0.0)


# --- Parzen window ------------------------------------------------------------------------------------------

def brute_force_parzen(samples, x, sigma):
    """The definition, with the (N, M, D) tensor the library never builds."""
    d2 = ((x[:, None, :].astype(np.float64) - samples[None, :, :]) ** 2).sum(axis=2)
    m, d = samples.shape
    return (scipy.special.logsumexp(-d2 / (2 * sigma ** 2), axis=1) - math.log(m)
            - 0.5 * d * math.log(2 * math.pi * sigma ** 2))


def test_parzen_matches_brute_force_on_every_backend(backend, host_rng):
    samples = host_rng.random((13, 6), dtype=np.float32)
    x = host_rng.random((9, 6), dtype=np.float32)
    sigmas = (0.05, 0.2, 1.0)
    got = B.to_cpu(metrics.parzen_log_likelihood(B.to_device(samples, backend), B.to_device(x, backend), sigmas))
    want = np.stack([brute_force_parzen(samples, x, s) for s in sigmas])
    assert got.dtype == np.float64 and got.shape == (3, 9)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("batch_size", [1, 4, 9, 100])
def test_parzen_batched_equals_unbatched(batch_size, host_rng):
    samples, x = host_rng.random((30, 20), dtype=np.float32), host_rng.random((9, 20), dtype=np.float32)
    whole = metrics.parzen_log_likelihood(samples, x, metrics.PAPER_SIGMAS, batch_size=len(x))
    batched = metrics.parzen_log_likelihood(samples, x, metrics.PAPER_SIGMAS, batch_size)
    np.testing.assert_allclose(batched, whole, rtol=1e-13)  # only BLAS blocking may differ
    one = metrics.parzen_log_likelihood(samples, x, 0.3, batch_size)  # a scalar σ gives (N,)
    assert one.shape == (9,)
    np.testing.assert_allclose(one, metrics.parzen_log_likelihood(samples, x, [0.3], len(x))[0], rtol=1e-13)


def test_parzen_is_finite_far_from_every_sample():
    """Log-sum-exp keeps a point 100σ from every kernel finite (a naive exp underflows to log 0)."""
    samples = np.zeros((5, 3), np.float32)
    ll = metrics.parzen_log_likelihood(samples, np.full((1, 3), 10.0, np.float32), 0.1)
    np.testing.assert_allclose(ll, brute_force_parzen(samples, np.full((1, 3), 10.0), 0.1), rtol=1e-12)
    assert np.isfinite(ll).all() and ll[0] < -10000


def test_parzen_estimate_picks_the_sigma_that_fits_the_data(host_rng):
    """Samples and data from N(0, 0.3² I) in 4-D: σ is chosen inside the grid, the protocol's fields are there,
    and the test log-likelihood is close to the true density's."""
    samples, val, test = (0.3 * host_rng.standard_normal((n, 4)) for n in (4000, 500, 500))
    result = metrics.parzen_estimate(samples, val, test)
    assert 0.1 < result["sigma"] < 0.4 and not result["sigma_at_grid_edge"]
    true_ll = (-0.5 * (test / 0.3) ** 2 - math.log(0.3 * math.sqrt(2 * math.pi))).sum(axis=1).mean()
    assert abs(result["mean"] - true_ll) < 0.6
    assert result["sem"] == pytest.approx(brute_force_parzen(samples, test, result["sigma"]).std() / math.sqrt(500))
    assert (result["n_samples"], result["n_validation"], result["n_test"]) == (4000, 500, 500)


# --- matrix square root and Fréchet distance ------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_sqrtm_matches_scipy_on_random_spd_pairs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    s1, s2 = random_spd(rng, n), random_spd(rng, n)
    root = metrics.sqrtm_psd(s1)
    np.testing.assert_allclose(root, scipy.linalg.sqrtm(s1).real, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(root @ root, s1, rtol=1e-9, atol=1e-9)
    want = np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    assert metrics.trace_sqrt_product(s1, s2) == pytest.approx(want, rel=1e-8)
    assert metrics.trace_sqrt_product(s2, s1) == pytest.approx(want, rel=1e-8)


def test_sqrtm_of_singular_covariances():
    """Rank-deficient covariances (fewer samples than features, dead ReLU units) stay finite and real."""
    rng = np.random.default_rng(7)
    s1, s2 = random_spd(rng, 30, rank=5), random_spd(rng, 30, rank=8)
    root = metrics.sqrtm_psd(s1)
    np.testing.assert_allclose(root @ root, s1, atol=1e-8)
    assert np.isfinite(metrics.trace_sqrt_product(s1, s2))


def test_fid_of_a_set_with_itself_is_zero_and_fid_is_symmetric(host_rng):
    a = host_rng.standard_normal((500, 16)) @ host_rng.standard_normal((16, 16))
    b = 0.5 + host_rng.standard_normal((300, 16))
    assert metrics.fid(a, a) == pytest.approx(0.0, abs=1e-8)
    assert metrics.fid(a, b) == pytest.approx(metrics.fid(b, a), rel=1e-10)
    assert metrics.fid(a, b) > 1.0


def test_frechet_distance_closed_form_for_diagonal_covariances(host_rng):
    """For diagonal Σ: ‖Δμ‖² + Σ_i (√a_i − √b_i)²."""
    mu1, mu2 = host_rng.standard_normal(8), host_rng.standard_normal(8)
    a, b = host_rng.random(8) + 0.1, host_rng.random(8) + 0.1
    want = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert metrics.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(want, rel=1e-10)


def test_fid_on_every_backend_matches_numpy(backend, host_rng):
    a, b = host_rng.random((200, 12), dtype=np.float32), host_rng.random((150, 12), dtype=np.float32)
    want = metrics.fid(a, b)
    assert metrics.fid(B.to_device(a, backend), B.to_device(b, backend)) == pytest.approx(want, rel=1e-9)


# --- classifier score and mode coverage -------------------------------------------------------------------------

def test_classifier_score_bounds():
    certain = np.eye(10)[np.arange(1000) % 10]
    assert metrics.classifier_score(certain) == pytest.approx(10.0)
    assert metrics.classifier_score(np.eye(10)[np.zeros(1000, int)]) == pytest.approx(1.0)  # one class
    assert metrics.classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1.0)  # undecided
    mixed = np.where(np.arange(10) < 2, 0.5, 0.0)[None, :].repeat(4, axis=0)  # always "0 or 1", 50/50
    assert metrics.classifier_score(mixed) == pytest.approx(1.0)
    pairs = np.eye(5)[np.arange(1000) % 5].repeat(2, axis=1) / 2  # 50/50 between classes 2k and 2k + 1
    assert metrics.classifier_score(pairs) == pytest.approx(5.0)


def test_mode_coverage_counts_classes_at_the_threshold():
    one = metrics.mode_coverage(np.full(500, 3))
    assert one["classes_covered"] == 1 and one["class_entropy"] == 0.0 and one["class_fractions"][3] == 1.0
    uniform = metrics.mode_coverage(np.arange(1000) % 10)
    assert uniform["classes_covered"] == 10 and uniform["class_entropy"] == pytest.approx(math.log(10))
    labels = np.concatenate([np.zeros(960, int), np.ones(20, int), np.full(19, 2), [3]])  # 2 %, 1.9 %, 0.1 %
    assert metrics.mode_coverage(labels)["classes_covered"] == 2
    assert metrics.mode_coverage(labels, min_fraction=0.001)["classes_covered"] == 4


# --- the sanity ordering on data: real held-out digits > one class > uniform noise -----------------------------

@pytest.fixture(scope="module", params=["synthetic", pytest.param("real", marks=pytest.mark.mnist)])
def digits(request):
    """(train, val, test) images and labels, and a small classifier trained here on `train`."""
    if request.param == "real":
        data_dir = real_mnist_path()  # as conftest's real_mnist_dir (a function fixture)
        if data_dir is None:
            pytest.skip("needs the real MNIST files: set NPGAN_DATA_DIR to their folder")
        images, labels = load_mnist("train", data_dir=data_dir)
        test = load_mnist("test", data_dir=data_dir)
        train, val = (images[:20000], labels[:20000]), (images[50000:], labels[50000:])
        test = (test[0][:4000], test[1][:4000])
    else:
        images, labels = synthetic_digits(9000, seed=1)
        train, val, test = (images[:5000], labels[:5000]), (images[5000:7000], labels[5000:7000]), \
            (images[7000:], labels[7000:])
    B.manual_seed(0)
    clf = train_classifier(*train, epochs=2, batch_size=50, hidden=(128, 64), log=lambda line: None)
    return train, val, test, clf


def test_classifier_metrics_rank_real_over_one_class_over_noise(digits):
    (train_x, _), (val_x, val_y), (test_x, test_y), clf = digits
    assert clf.accuracy(test_x, test_y) > 0.9
    test_stats = metrics.gaussian_stats(clf.embed(test_x)[0])
    score = lambda images: metrics.classifier_metrics(*clf.embed(images), test_stats)  # noqa: E731
    real = score(val_x[:2000])
    one_class = score(val_x[val_y == 1][:2000])
    noise = score(np.random.default_rng(0).random((2000, 784), dtype=np.float32))
    assert real["classes_covered"] == 10 and real["class_entropy"] > 2.2 and real["classifier_score"] > 7
    assert one_class["classes_covered"] == 1 and one_class["classifier_score"] < 1.5
    assert real["fid"] < 0.1 * one_class["fid"] and real["fid"] < 0.1 * noise["fid"]


def test_parzen_ranks_real_over_one_class_over_noise(digits):
    (train_x, train_y), (val_x, _), (test_x, _), _ = digits
    estimate = lambda centres: metrics.parzen_estimate(centres, val_x[:200], test_x[:500])  # noqa: E731
    real = estimate(train_x[:2000])
    one_class = estimate(train_x[train_y == 1][:2000])
    noise = estimate(np.random.default_rng(0).random((2000, 784), dtype=np.float32))
    assert real["mean"] > one_class["mean"] + 50 > noise["mean"] + 100


# --- the classifier ---------------------------------------------------------------------------------------------

def test_classifier_save_load_round_trip_on_every_backend(tmp_path, backend):
    images, labels = synthetic_digits(300, seed=2)
    clf = train_classifier(images, labels, epochs=1, batch_size=50, hidden=(32, 16), log=lambda line: None)
    path = clf.save(str(tmp_path / "clf.npz"))
    loaded = MnistClassifier.load(path, backend)
    assert loaded.config == clf.config and loaded.info == clf.info and loaded.backend == backend
    for got, want in zip(loaded.embed(images[:70], batch_size=32), clf.embed(images[:70])):
        assert got.dtype == np.float64 and isinstance(got, np.ndarray)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert loaded.feature_dim == 16 and np.allclose(loaded.embed(images[:5])[1].sum(axis=1), 1.0)


def test_load_or_train_trains_once_with_a_message(tmp_path, monkeypatch):
    write_split(tmp_path, "train", 300)
    write_split(tmp_path, "test", 50)
    path = str(tmp_path / "cache" / "clf.npz")
    with pytest.raises(FileNotFoundError, match="train_classifier.py"):
        load_or_train_classifier(path, str(tmp_path), train=False)
    monkeypatch.setitem(classifier.TRAINING, "epochs", 1)
    lines = []
    with pytest.warns(UserWarning, match="fewer than n_train"):
        clf = load_or_train_classifier(path, str(tmp_path), log=lines.append)
    assert os.path.exists(path) and "No MNIST classifier cached" in lines[0] and path in lines[0]
    assert "test_accuracy" in clf.info and clf.info["epochs"] == 1
    lines.clear()
    again = load_or_train_classifier(path, str(tmp_path), log=lines.append)
    assert not lines and again.info == clf.info


def test_a_subset_trained_classifier_is_never_used_where_full_mnist_is(tmp_path, monkeypatch):
    """The offline fallback gives a weaker classifier (about 95 % instead of 98.6 %): it is cached under its
    own name, refused when named explicitly with full data at hand, and retrained when it is the default."""
    from npgan.evaluation.classifier import ClassifierError, default_classifier_path, provenance, trained_on_subset
    monkeypatch.delenv("NPGAN_CLASSIFIER", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_classifier_path(subset=True) != default_classifier_path()
    images, labels = synthetic_digits(200, seed=3)
    subset = train_classifier(images, labels, epochs=1, batch_size=50, hidden=(16, 8), log=lambda line: None)
    subset.info.update(data_source="offline-subset", test_accuracy=0.947)
    assert trained_on_subset(subset) and "offline MNIST subset" in provenance(subset) and "94.70%" in provenance(subset)
    named = subset.save(str(tmp_path / "named.npz"))
    with pytest.raises(ClassifierError, match=r"offline MNIST subset.*train_classifier.py --out .*named.npz"):
        load_or_train_classifier(named, full_data=True)
    assert load_or_train_classifier(named, full_data=False).info["data_source"] == "offline-subset"

    legacy = subset.save(default_classifier_path())  # an old cache: the subset's classifier at the full name
    write_split(tmp_path, "train", 300)
    write_split(tmp_path, "test", 50)
    monkeypatch.setitem(classifier.TRAINING, "epochs", 1)
    lines = []
    with pytest.warns(UserWarning, match="fewer than n_train"):
        clf = load_or_train_classifier(None, str(tmp_path), log=lines.append, full_data=True)
    assert "retrained" in lines[0] and clf.info["data_source"] == "mnist"
    assert MnistClassifier.load(legacy).info["data_source"] == "mnist"


def test_default_classifier_path_follows_the_environment(monkeypatch, tmp_path):
    from npgan.evaluation.classifier import default_classifier_path
    monkeypatch.delenv("NPGAN_CLASSIFIER", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_classifier_path() == str(tmp_path / "npgan" / "mnist" / "mnist_classifier.npz")
    monkeypatch.setenv("NPGAN_CLASSIFIER", str(tmp_path / "x.npz"))
    assert default_classifier_path() == str(tmp_path / "x.npz")


# --- the scripts, end to end on tiny fake MNIST ---------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Fake MNIST files, a 2-epoch slides GAN with a checkpoint each epoch, and a small classifier."""
    root = tmp_path_factory.mktemp("evaluate")
    write_split(root, "train", 320)  # more than the slides preset's batch of 256
    write_split(root, "test", 60)
    out = str(root / "run")
    assert mnist.main(["--z-dim", "8", "--hidden", "8", "--batch-size", "32", "--epochs", "2", "--checkpoint-every",
                       "1", "--no-progress", "--data-dir", str(root), "--out", out]) == 0
    clf = str(root / "clf.npz")
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert cli_classifier.main(["--data-dir", str(root), "--out", clf, "--epochs", "1", "--hidden", "16",
                                "--min-accuracy", "0"]) == 0
    return str(root), out, clf


def test_evaluate_prints_the_table_and_writes_json(tiny_run, capsys):
    data_dir, out, clf = tiny_run
    report_path = os.path.join(out, "scores.json")
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert cli_evaluate.main([os.path.join(out, "latest.npz"), "--n", "50", "--parzen", "--data-dir", data_dir,
                              "--classifier", clf, "--json", report_path]) == 0
    text = capsys.readouterr().out
    for name in ("FID", "classifier score", "classes covered", "class entropy", "Parzen log-likelihood",
                 "real data", "after 2 epochs", "classifier: npgan MLP classifier trained on MNIST", "test accuracy"):
        assert name in text, name
    n_test = int(re.search(r"on (\d+) test digits", text).group(1))
    assert f"50 images vs the {n_test:,} test digits" in text  # the table names the test digits it had
    report = json.load(open(report_path))
    assert report["epochs"] == 2 and report["arch"] == "slides" and report["n"] == 50
    for part in ("generated", "real"):
        assert {"fid", "classifier_score", "classes_covered", "class_entropy", "parzen"} <= set(report[part])
        assert report[part]["parzen"]["n_samples"] == 50 and math.isfinite(report[part]["parzen"]["mean"])
    # the samples are those of npgan-mnist --sample with the same seed
    npy = os.path.join(out, "s.npy")
    mnist.main(["--checkpoint", os.path.join(out, "latest.npz"), "--sample", "50", "--sample-out", npy])
    np.testing.assert_array_equal(np.load(npy), evaluation.sample_images(os.path.join(out, "latest.npz"), 50))


def test_evaluate_a_run_folder_epoch_by_epoch_with_a_plot(tiny_run):
    data_dir, out, clf = tiny_run
    plot, report_path = os.path.join(out, "curve.png"), os.path.join(out, "curve.json")
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert cli_evaluate.main([out, "--n", "40", "--parzen", "--data-dir", data_dir, "--classifier", clf,
                              "--plot", plot, "--json", report_path]) == 0
    assert os.path.getsize(plot) > 1000
    assert [row["epoch"] for row in json.load(open(report_path))["epochs"]] == [1, 2]


def test_parzen_table_replaces_only_its_own_section(tiny_run, tmp_path):
    data_dir, _, clf = tiny_run
    table = load_script("benchmarks", "parzen_table")
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\n## Speed\n\nkeep me\n\n## Sample quality\n\nold\n\n## Later\n\nkeep too\n")
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert table.main(["--paper-epochs", "1", "--slides-epochs", "1", "--n", "40", "--data-dir", data_dir,
                           "--classifier", clf, "--out", str(tmp_path / "runs"), "--results", str(results),
                           "--plot", str(tmp_path / "curve.png")]) == 0
    text = results.read_text()
    assert "keep me" in text and "keep too" in text and "\nold\n" not in text
    assert text.index("## Speed") < text.index("## Sample quality") < text.index("## Later")
    for needle in ("225 ± 2", "214 ± 1.1", "121 ± 1.6", "138 ± 2", "npgan `paper` arch", "npgan `slides` arch",
                   "1 epoch,", "real MNIST digits", "curve.png", "**reduced**"):
        assert needle in text, needle
    rows = json.load(open(tmp_path / "runs" / "rows.json"))
    assert [r["model"] for r in rows][-1] == "real MNIST digits" and rows[0]["train_backend"] == B.resolve_backend()
    results.write_text("## Sample quality\n\nstale\n")  # --render-only rebuilds it from table.json alone
    assert table.main(["--render-only", "--out", str(tmp_path / "runs"), "--results", str(results),
                       "--plot", str(tmp_path / "curve.png")]) == 0
    assert "stale" not in results.read_text() and "npgan `slides` arch" in results.read_text()


def test_quality_curve_scores_the_checkpoints_within_each_budget(tiny_run, tmp_path, monkeypatch):
    """benchmarks/quality_curve.py end to end on tiny data: a run stopped by its Ctrl-C after the last
    budget, the last checkpoint within each budget scored, the table and plot written."""
    data_dir, _, clf = tiny_run
    monkeypatch.setenv("NPGAN_CLASSIFIER", clf)
    curve = load_script("benchmarks", "quality_curve")
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\n## Speed\n\nkeep me\n")
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert curve.main(["--minutes", "0.1", "0.2", "--n", "40", "--data-dir", data_dir, "--out",
                           str(tmp_path / "runs"), "--results", str(results), "--plot", str(tmp_path / "q.png"),
                           "--", "--z-dim", "8", "--hidden", "8", "--batch-size", "32"]) == 0
    points = json.load(open(tmp_path / "runs" / "curves.json"))["default"]["points"]
    assert [p["budget_minutes"] for p in points] == [0.1, 0.2]
    assert all(p["minutes"] <= p["budget_minutes"] and math.isfinite(p["fid"]) for p in points)
    assert points[0]["epoch"] <= points[1]["epoch"]
    text = results.read_text()
    assert "keep me" in text and "## Quality per minute" in text
    assert "| default (--z-dim 8 --hidden 8 --batch-size 32) | " in text and " | 0.2 min | epoch" in text
    assert (tmp_path / "q.png").stat().st_size > 1000


def test_parzen_curve_trains_in_chunks_scores_each_and_continues_after_a_stop(tiny_run, tmp_path, monkeypatch):
    """benchmarks/parzen_curve.py on tiny data: each chunk continues the same run (--resume) and adds one
    scored line to curve.jsonl; run again, it picks up after the last line; its section is written."""
    data_dir, _, clf = tiny_run
    script = load_script("benchmarks", "parzen_curve")
    results, out = tmp_path / "RESULTS.md", str(tmp_path / "curve")
    results.write_text("# Results\n\n## Speed\n\nkeep me\n")
    common = ["--every", "1", "--n", "40", "--data-dir", data_dir, "--classifier", clf, "--out", out,
              "--results", str(results), "--plot", str(tmp_path / "p.png")]
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert script.main(common + ["--max-epochs", "1", "--extra", "--hidden", "16"]) == 0
        assert script.main(common + ["--max-epochs", "2"]) == 0  # a later call (or one after a kill) continues
    rows = script.read_curve(os.path.join(out, "curve.jsonl"))
    assert [r["epoch"] for r in rows] == [1, 2] and rows[1]["iterations"] == 2 * rows[0]["iterations"]
    assert 0 < rows[0]["train_cpu_s"] < rows[1]["train_cpu_s"] and rows[1]["threads"] == 1
    assert all(math.isfinite(r["parzen"]["mean"]) and r["parzen"]["n_samples"] == 40 for r in rows)
    assert training.load_run_checkpoint(os.path.join(out, "paper", "latest.npz")).recipe.hidden == 16
    text = results.read_text()
    assert "keep me" in text and "## Table 1: the paper preset's Parzen curve" in text and "**Not reached:**" in text
    assert (tmp_path / "p.png").stat().st_size > 1000
    with open(os.path.join(out, "curve.jsonl"), "a") as f:
        f.write('{"epoch": 3, "torn')  # a kill mid-line: the torn line is ignored
    assert len(script.read_curve(os.path.join(out, "curve.jsonl"))) == 2
