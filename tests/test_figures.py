"""npgan.evaluation.figures: the nearest-neighbour search against brute force (every backend, any blocks, ties), the
memorisation number on data that does and does not copy, the lines in z space, and the command line
npgan-figures (plus npgan-evaluate --memorisation) end to end on a tiny run over fake IDX files."""
import json
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from idx_files import write_split
from npgan import backend as B
from npgan import gan, training
from npgan.cli import evaluate as cli_evaluate
from npgan.cli import figures as cli_figures
from npgan.cli import mnist
from npgan.cli import train_classifier as cli_classifier
from npgan.data import load_mnist
from npgan.evaluation import classifier, figures, memorisation, report
from npgan.gan import presets


def brute_force(queries, references):
    """Every distance, in float64 (N, M): the definition the blocked search must agree with."""
    diff = queries[:, None, :].astype(np.float64) - references[None, :, :].astype(np.float64)  # float64: deliberate (reference)
    return np.sqrt((diff * diff).sum(axis=2))


def search(queries, references, backend, **blocks):
    index, distance = memorisation.nearest_neighbours(B.to_device(queries, backend), B.to_device(references, backend),
                                                 **blocks)
    assert B.backend_of(index) == backend and B.backend_of(distance) == backend  # nothing left the device
    return B.to_cpu(index), B.to_cpu(distance)


# --- the nearest-neighbour search --------------------------------------------------------------------------

def test_nearest_neighbours_agree_with_brute_force(backend, host_rng):
    queries = host_rng.random((53, 30), dtype=np.float32)
    references = host_rng.random((211, 30), dtype=np.float32)
    index, distance = search(queries, references, backend, query_block=16, reference_block=50)
    full = brute_force(queries, references)
    assert index.dtype == np.int64 and distance.dtype == np.float32
    ordered = np.sort(full, axis=1)
    clear = ordered[:, 1] - ordered[:, 0] > 1e-4  # where float32 rounding cannot swap the two nearest
    assert clear.sum() > 40
    np.testing.assert_array_equal(index[clear], full.argmin(axis=1)[clear])
    np.testing.assert_allclose(distance, ordered[:, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(full[np.arange(len(index)), index], ordered[:, 0], rtol=1e-5, atol=1e-5)


def test_the_search_moves_nothing_between_host_and_device(host_rng):
    from npgan.testing import strict
    queries, references = (B.to_device(host_rng.random(shape, dtype=np.float32), "strict")
                           for shape in ((40, 16), (90, 16)))
    with strict.count_transfers() as moved:
        memorisation.nearest_neighbours(queries, references, query_block=7, reference_block=20)
    assert moved.events == [], moved.events
    memorise = memorisation.Memorisation(references, queries, "strict")
    with strict.count_transfers() as moved:
        memorise(queries)
    assert (moved.to_device_calls, moved.to_host_calls) == (0, 1)  # one array of distances comes back


def small_integers(seed, n, m, d=12):
    """Values 0..3: every product and sum below is exact in float32, so ties are exact ties."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 4, (n, d)).astype(np.float32), rng.integers(0, 4, (m, d)).astype(np.float32))


@given(query_block=st.integers(1, 40), reference_block=st.integers(1, 70), seed=st.integers(0, 2 ** 16))
def test_blocks_of_any_size_give_the_same_answer(query_block, reference_block, seed):
    queries, references = small_integers(seed, 37, 61)
    index, distance = search(queries, references, "numpy", query_block=query_block,
                             reference_block=reference_block)
    full = brute_force(queries, references)
    np.testing.assert_array_equal(index, full.argmin(axis=1))  # argmin: the first of equal distances
    np.testing.assert_array_equal(distance, full.min(axis=1).astype(np.float32))


@pytest.mark.parametrize("reference_block", [1, 3, 1000])
def test_ties_and_duplicates_go_to_the_lowest_index(backend, reference_block):
    queries, references = small_integers(7, 20, 10)
    references = np.concatenate([references, references, references[::-1]])  # every row three times
    queries[:5] = references[[12, 3, 25, 0, 9]]  # some queries are training rows exactly
    index, distance = search(queries, references, backend, query_block=4, reference_block=reference_block)
    full = brute_force(queries, references)
    np.testing.assert_array_equal(index, full.argmin(axis=1))
    assert (index < 10).all()  # the first copy of each row
    np.testing.assert_array_equal(index[:5], [2, 3, 4, 0, 9])  # row 25 is row 9 − (25 − 20) = 4
    np.testing.assert_array_equal(distance[:5], 0.0)


def test_a_query_equal_to_a_reference_is_at_distance_zero_despite_the_cancellation(backend, host_rng):
    references = host_rng.random((300, 784), dtype=np.float32)  # ‖q‖² ≈ 260: the expansion is off by ~1e-4
    index, distance = search(references[:50], references, backend)
    np.testing.assert_array_equal(index, np.arange(50))
    np.testing.assert_array_equal(distance, 0.0)  # the winner's distance is computed directly


# --- the memorisation number -------------------------------------------------------------------------------

def digits_like(rng, n, centres):
    """Draws from a mixture of Gaussians around `centres`: a stand-in distribution with clusters."""
    return (centres[rng.integers(0, len(centres), n)] + 0.3 * rng.standard_normal((n, centres.shape[1]))
            ).astype(np.float32)


def test_memorisation_is_about_one_for_new_data_and_about_zero_for_copies(backend, host_rng):
    centres = host_rng.standard_normal((10, 40)) * 2.0
    train, heldout, new = (digits_like(host_rng, n, centres) for n in (2000, 400, 400))
    memorise = memorisation.Memorisation(train, heldout, backend)
    fresh = memorise(new)
    assert 0.93 < fresh["ratio"] < 1.07, fresh
    assert 0.9 < memorise.sanity["ratio"] < 1.1 and memorise.sanity["n_samples"] == 200
    copied = memorise(train[host_rng.choice(len(train), 400, replace=False)])
    assert copied["ratio"] < 0.01, copied
    assert (fresh["n_samples"], fresh["n_heldout"], fresh["n_train"]) == (400, 400, 2000)
    assert fresh["median_heldout"] == copied["median_heldout"] == memorise.median_heldout
    np.testing.assert_allclose(fresh["median_samples"], np.median(brute_force(new, train).min(axis=1)), rtol=1e-5)
    # a median: a minority of copies lowers it (a majority would send it to 0)
    assert 0.3 < memorise(np.concatenate([new[:220], train[:180]]))["ratio"] < 0.95


def test_memorisation_of_real_test_digits_is_about_one(real_mnist_dir):
    train = load_mnist("train", data_dir=real_mnist_dir).images[:10000]
    test = load_mnist("test", data_dir=real_mnist_dir).images
    memorise = memorisation.Memorisation(train, test[:1000])
    assert 0.9 < memorise(test[1000:2000])["ratio"] < 1.1
    assert 0.9 < memorise.sanity["ratio"] < 1.1
    assert memorise(train[:1000])["ratio"] < 1e-3


# --- Figure 3: straight lines in z space -------------------------------------------------------------------

def test_interpolation_ends_exactly_at_its_endpoints_and_is_linear(backend, host_rng):
    z1, z2 = (host_rng.standard_normal((4, 16), dtype=np.float32) for _ in range(2))
    z = B.to_cpu(figures.interpolate(B.to_device(z1, backend), B.to_device(z2, backend), 7))
    assert z.shape == (4 * 7, 16) and z.dtype == np.float32
    z = z.reshape(4, 7, 16)
    np.testing.assert_array_equal(z[:, 0], z1)
    np.testing.assert_array_equal(z[:, -1], z2)
    t = np.arange(7) / 6.0
    np.testing.assert_allclose(z, (1 - t)[None, :, None] * z1[:, None] + t[None, :, None] * z2[:, None],
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(z[:, 3], (z1 + z2) / 2, rtol=1e-6, atol=1e-6)  # the midpoint
    np.testing.assert_allclose(np.diff(z, 2, axis=1), 0.0, atol=1e-5)  # equal steps along each line


def test_line_endpoints_follow_the_prior_and_the_seed():
    recipe = presets.recipe("slides", z_dim=5, noise="uniform")
    z1, z2 = figures.line_endpoints(6, recipe, seed=4)
    assert z1.shape == z2.shape == (6, 5) and z1.dtype == np.float32
    assert np.abs(np.concatenate([z1, z2])).max() <= 1.0 and not np.array_equal(z1, z2)
    np.testing.assert_array_equal(figures.line_endpoints(6, recipe, seed=4)[0], z1)
    assert not np.array_equal(figures.line_endpoints(6, recipe, seed=5)[0], z1)


# --- the command line, on a tiny run ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    write_split(root, "train", 320)  # more than the classifier's batch of 128
    write_split(root, "test", 40, seed=1)  # not the training images
    out = str(root / "run")
    assert mnist.main(["--z-dim", "8", "--hidden", "8", "--batch-size", "16", "--epochs", "1", "--no-progress",
                       "--data-dir", str(root), "--out", out]) == 0
    return str(root), os.path.join(out, "latest.npz")


def test_figure2_writes_the_png_and_the_nearest_images_are_the_nearest(tiny_run, tmp_path, capsys):
    data_dir, ckpt = tiny_run
    png = str(tmp_path / "f2.png")
    assert cli_figures.main(["--figure2", ckpt, "--data-dir", data_dir, "--n", "30", "--rows", "3", "--cols", "4",
                         "--out", png]) == 0
    assert os.path.getsize(png) > 1000
    text = capsys.readouterr().out
    assert "wrote" in text and "memorisation: " in text and "30 samples" in text and "320 training images" in text
    G, recipe = training.load_generator(ckpt)
    train = load_mnist("train", data_dir=data_dir).images
    index, distance = figures.figure2(G, recipe, train, str(tmp_path / "again.png"), rows=3, cols=4)
    last = gan.sample(G, 12, recipe, seed=0).reshape(3, 4, -1)[:, -1]
    full = brute_force(last, train)
    np.testing.assert_array_equal(index, full.argmin(axis=1))
    np.testing.assert_allclose(distance, full.min(axis=1), rtol=1e-5)


def test_figure3_writes_one_png_seeded_or_from_given_endpoints(tiny_run, tmp_path, capsys):
    data_dir, ckpt = tiny_run
    png = str(tmp_path / "f3.png")
    assert cli_figures.main(["--figure3", ckpt, "--rows", "3", "--steps", "5", "--seed", "2", "--out", png]) == 0
    assert os.path.getsize(png) > 1000 and "3 lines in z space, 5 steps" in capsys.readouterr().out
    G, recipe = training.load_generator(ckpt)
    z1, z2 = figures.line_endpoints(3, recipe, seed=2)
    endpoints = str(tmp_path / "ends.npy")
    np.save(endpoints, np.stack([z1, z2], axis=1))
    assert cli_figures.main(["--figure3", ckpt, "--endpoints", endpoints, "--steps", "5", "--out", png,
                         "--overwrite"]) == 0  # an existing figure is replaced only when asked
    images = figures.figure3(G, recipe, png, 3, 5, endpoints=np.load(endpoints))
    np.testing.assert_array_equal(images, figures.figure3(G, recipe, png, 3, 5, seed=2))
    ends = images.reshape(3, 5, -1)[:, [0, -1]]  # each line starts at G(z1) and ends at G(z2)
    on_g = B.backend_of(G.parameters()[0].data)  # $NPGAN_BACKEND
    np.testing.assert_array_equal(ends[:, 0], gan.sample(G, 3, z=B.to_device(z1, on_g)))
    np.testing.assert_array_equal(ends[:, 1], gan.sample(G, 3, z=B.to_device(z2, on_g)))


@pytest.mark.parametrize("flags, message", [
    ([], "one of the arguments --figure2 --figure3 is required"),
    (["--figure2", "C", "--figure3", "C"], "not allowed with argument"),
    (["--figure3", "CKPT", "--steps", "1"], "argument --steps: must be an integer >= 2"),
    (["--figure3", "CKPT", "--rows", "0"], "argument --rows: must be an integer >= 1"),
    (["--figure2", "CKPT", "--n", "-5"], "argument --n: must be an integer >= 10"),
    (["--figure3", "CKPT", "--steps", "x"], "argument --steps: invalid int value"),
])
def test_bad_arguments_end_in_one_line_and_exit_2(tiny_run, capsys, flags, message):
    flags = [tiny_run[1] if f == "CKPT" else f for f in flags]
    with pytest.raises(SystemExit) as stop:
        cli_figures.main(flags)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("npgan-figures: error: ")


def test_endpoints_of_the_wrong_shape_and_missing_files_are_one_line(tiny_run, tmp_path, capsys):
    ckpt = tiny_run[1]
    bad = str(tmp_path / "bad.npy")
    np.save(bad, np.zeros((3, 2, 5), np.float32))  # the generator's z_dim is 8
    with pytest.raises(SystemExit) as stop:
        cli_figures.main(["--figure3", ckpt, "--endpoints", bad])
    assert stop.value.code == 2 and "shape (rows, 2, 8)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_figures.main(["--figure3", ckpt, "--endpoints", str(tmp_path / "none.npy")])
    assert "argument --endpoints: cannot read" in capsys.readouterr().err
    assert cli_figures.main(["--figure3", str(tmp_path / "missing.npz")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("npgan-figures: error: ") and len(err.strip().splitlines()) == 1


def test_evaluate_memorisation_prints_the_number_and_writes_it_to_json(tiny_run, tmp_path, capsys):
    data_dir, ckpt = tiny_run
    clf = str(tmp_path / "clf.npz")
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert cli_classifier.main(["--data-dir", data_dir, "--out", clf, "--epochs", "1", "--hidden", "16",
                                "--min-accuracy", "0"]) == 0
    report = str(tmp_path / "scores.json")
    with pytest.warns(UserWarning, match="fewer than n_train"):
        assert cli_evaluate.main([ckpt, "--n", "30", "--memorisation", "--data-dir", data_dir, "--classifier", clf,
                                "--json", report]) == 0
    text = capsys.readouterr().out
    assert "memorisation (NN distance ratio)" in text and "memorisation: " in text
    scores = json.load(open(report))
    for part in ("generated", "real"):
        number = scores[part]["memorisation"]
        assert number["ratio"] > 0 and number["n_train"] == 320, number
    assert scores["generated"]["memorisation"]["n_samples"] == 30 and scores["real"]["memorisation"]["n_samples"] == 15
