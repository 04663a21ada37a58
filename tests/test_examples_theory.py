"""The paper's theory, seen in training: D learns D*, a 1-D GAN drives JSD down and V(D, G) to -log 4; the toy
samplers and the mode-coverage metric; smoke runs of examples/gaussian_1d.py and examples/mixture_2d.py."""
import contextlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import npgan
from npgan import backend as B
from npgan import nn, optim
from npgan import theory as T
from npgan.data import toy
from npgan.gan import GANTrainer
from npgan.nn.losses import sigmoid
from npgan.threads import single_blas_thread

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LOG4 = math.log(4.0)


def example(name, *args, timeout=600):
    """Run examples/NAME.py as a user would (its own process); returns its standard output."""
    result = subprocess.run([sys.executable, os.path.join(ROOT, "examples", f"{name}.py"), *args],
                            capture_output=True, text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- the toy samplers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sampler, dim", [(toy.gaussian_1d, 1), (toy.mixture_1d, 1), (toy.ring_2d, 2),
                                          (toy.grid_2d, 2)])
def test_samplers_are_float32_host_arrays_and_reproducible(sampler, dim):
    x = sampler(1000, np.random.default_rng(5))
    assert isinstance(x, np.ndarray) and x.dtype == np.float32 and x.shape == (1000, dim)
    np.testing.assert_array_equal(x, sampler(1000, np.random.default_rng(5)))
    assert not np.array_equal(x, sampler(1000, np.random.default_rng(6)))


def test_gaussian_1d_moments():
    x = toy.gaussian_1d(200_000, np.random.default_rng(0), mean=2.0, std=0.5).astype(np.float64)
    assert abs(x.mean() - 2.0) < 0.005 and abs(x.std() - 0.5) < 0.005


def test_mixture_1d_matches_its_density():
    """The sample histogram matches theory.mixture_pdf with the same arguments (weights included)."""
    means, stds, weights = (-1.5, 1.5), (0.4, 0.3), (1.0, 3.0)
    x = toy.mixture_1d(200_000, np.random.default_rng(1), means=means, stds=stds, weights=weights)
    edges = np.linspace(-4, 4, 81)
    centres, density = T.histogram_density(x, edges)
    assert np.abs(density - T.mixture_pdf(centres, means, stds, weights)).max() < 0.03
    assert abs((x < 0).mean() - 0.25) < 0.005


def test_ring_and_grid_centres_are_the_standard_ones():
    ring = toy.ring_centres()
    assert ring.shape == (8, 2)
    np.testing.assert_allclose(np.hypot(ring[:, 0], ring[:, 1]), 2.0)
    np.testing.assert_allclose(ring[0], [2.0, 0.0], atol=1e-12)
    grid = toy.grid_centres()
    assert grid.shape == (25, 2)
    assert sorted(set(grid[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c) for c in grid.tolist()}) == 25


@pytest.mark.parametrize("sampler, centres, std", [(toy.ring_2d, toy.ring_centres(), 0.02),
                                                   (toy.grid_2d, toy.grid_centres(), 0.05)])
def test_2d_samples_sit_on_their_modes_in_equal_shares(sampler, centres, std):
    x = sampler(50_000, np.random.default_rng(2)).astype(np.float64)
    d2 = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    offsets = x - centres[nearest]
    assert abs(offsets.std() - std) < 0.02 * std  # isotropic noise of the stated std
    share = np.bincount(nearest, minlength=len(centres)) / len(x)
    np.testing.assert_allclose(share, 1.0 / len(centres), atol=0.01)


def test_batches_yields_fresh_minibatches():
    stream = toy.batches(toy.ring_2d, 16, np.random.default_rng(0), std=0.1)
    a, b = next(stream), next(stream)
    assert a.shape == b.shape == (16, 2) and not np.array_equal(a, b)


def test_bad_sampler_arguments_raise():
    with pytest.raises(ValueError):
        toy.gaussian_1d(10, np.random.default_rng(0), std=0.0)
    with pytest.raises(ValueError):
        toy.mixture_1d(10, np.random.default_rng(0), weights=(1.0, -1.0))


# --- the mode-coverage metric ----------------------------------------------------------------------------

def test_coverage_of_the_true_mixture_is_complete():
    """2,500 samples from the data itself: every mode covered, and 1 - exp(-9/2) = 98.9 % of samples within
    3 std (the chance that a 2-D standard normal has norm <= 3)."""
    for sampler, centres, std in [(toy.ring_2d, toy.ring_centres(), 0.02), (toy.grid_2d, toy.grid_centres(), 0.05)]:
        result = toy.mode_coverage(sampler(2500, np.random.default_rng(3)), centres, std)
        assert result.modes == len(centres) and result.n_modes == len(centres)
        assert abs(result.high_quality - (1 - math.exp(-4.5))) < 0.006
        assert result.min_count == 20 and result.counts.sum() == round(result.high_quality * 2500)


def test_coverage_of_a_collapsed_generator_is_one_mode():
    centres, std = toy.grid_centres(), 0.05
    collapsed = toy.mixture_2d(2500, np.random.default_rng(4), centres[[7]], std)
    result = toy.mode_coverage(collapsed, centres, std)
    assert result.modes == 1 and result.counts[7] == result.counts.sum()
    assert result.high_quality > 0.98


def test_far_away_samples_cover_nothing():
    far = np.full((2500, 2), 100.0, dtype=np.float32)
    result = toy.mode_coverage(far, toy.ring_centres(), 0.02)
    assert result.modes == 0 and result.high_quality == 0.0 and result.counts.sum() == 0


def test_coverage_threshold_and_radius():
    centres, std = toy.ring_centres(), 0.02
    near = np.repeat(centres[:1], 19, axis=0) + 2.9 * std * np.array([[0.6, 0.8]])  # 2.9 std away: counts
    rest = np.full((2500 - 19, 2), 50.0)
    assert toy.mode_coverage(np.concatenate([near, rest]), centres, std).modes == 0  # 19 < 20
    assert toy.mode_coverage(np.concatenate([near, near[:1], rest[1:]]), centres, std).modes == 1  # 20
    outside = np.repeat(centres[:1], 2500, axis=0) + 3.1 * std  # 3.1 std along each axis: outside
    assert toy.mode_coverage(outside, centres, std).high_quality == 0.0
    nan = np.concatenate([np.full((10, 2), np.nan), np.repeat(centres[:1], 10, axis=0)])  # NaN: not HQ
    assert toy.mode_coverage(nan, centres, std, min_count=1).high_quality == 0.5


# --- Proposition 1, learned: D trained alone against a fixed G approaches D* ----------------------------

def test_discriminator_trained_against_a_fixed_generator_learns_d_star():
    """G(z) = 1 + 0.5 z with z ~ N(0, 1) is an npgan Linear, frozen, so p_g = N(1, 0.5^2) exactly; p_data =
    N(0, 1). D*(x) = p_data / (p_data + p_g) then dips towards 0 around x = 1 and rises back to 1 on both
    sides (different variances make its logit quadratic in x, which no single sigmoid of x can follow).
    Algorithm 1's inner loop alone (GANTrainer.discriminator_step), with the learning rate decayed to quieten
    the minibatch noise, brings D within 0.05 of D* wherever p_data + p_g > 0.05."""
    npgan.manual_seed(7)
    G = nn.Linear(1, 1)
    G.weight.data[...] = 0.5
    G.bias.data[...] = 1.0
    G.requires_grad_(False)
    D = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    opt_D = optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), lr=0.1), opt_D, z_dim=1, noise="normal",  # G is frozen
                         schedules=[optim.ExponentialDecay(opt_D, 1.00075, 1e-5)])  # 2e-3 -> 1e-4
    real = toy.batches(toy.gaussian_1d, 256, B.get_rng("host"))
    with single_blas_thread() or contextlib.nullcontext():  # 32-wide layers: a second thread only spins
        for _ in range(4000):
            trainer.discriminator_step(next(real))
    np.testing.assert_array_equal(G.weight.data, [[0.5]])  # G never moved

    x = np.linspace(-4.0, 4.0, 801)
    p_data, p_g = T.gaussian_pdf(x, 0.0, 1.0), T.gaussian_pdf(x, 1.0, 0.5)
    d_star = T.optimal_discriminator(p_data, p_g)
    with npgan.no_grad():
        logits = D(x.astype(np.float32)[:, None])[:, 0].astype(np.float64)
    d = sigmoid(logits)
    support = p_data + p_g > 0.05
    error = np.abs(d - d_star)[support]
    worst = np.flatnonzero(support)[error.argmax()]
    assert error.max() < 0.05, f"max |D - D*| = {error.max():.4f} at x = {x[worst]:.2f} (D {d[worst]:.4f}, " \
                               f"D* {d_star[worst]:.4f}); tolerance 0.05"
    # and so V(D, G) is close to its maximum C(G) = V(D*, G), never above it (V from the logits: far in the
    # tails D rounds to exactly 1 where p_g is tiny but positive, and log(1 - D) would be -inf)
    c_g = T.virtual_training_criterion(p_data, p_g, x)
    v = T.value_from_logits(logits, p_data, p_g, x)
    assert c_g - 0.01 < v <= c_g + 1e-12, (v, c_g)


# --- Theorem 1, approached: a 1-D GAN drives JSD down and V(D, G) to -log 4 ------------------------------

def _run_1d(tmp_path, *extra):
    out = tmp_path / "run"
    example("gaussian_1d", "--out", str(out), "--no-progress", "--no-frames", "--frames", "2", *extra)
    with open(out / "summary.json") as f:
        summary = json.load(f)
    with open(out / "metrics.csv") as f:
        rows = [line.strip().split(",") for line in f][1:]
    return summary, [dict(zip(("iteration", "jsd", "value", "c_g", "value_minibatch"), map(float, r))) for r in rows]


def _check_theorem_1(summary, rows, jsd_factor, v_tolerance):
    assert summary["jsd_start"] > 0.6  # G starts far from p_data: JSD near its maximum log 2
    assert summary["jsd_end"] < summary["jsd_start"] / jsd_factor, summary
    assert abs(summary["value_end"] + LOG4) < v_tolerance, summary
    assert abs(summary["value_minibatch_end"] + LOG4) < v_tolerance, summary
    for row in rows:  # V(D, G) <= max_D V(D, G) = C(G) = -log 4 + 2 JSD, at every measurement
        assert row["value"] <= row["c_g"] + 1e-9
        assert abs(row["c_g"] - (-LOG4 + 2 * row["jsd"])) < 1e-3


def test_short_1d_run_drives_jsd_down_and_v_to_minus_log_4(tmp_path):
    summary, rows = _run_1d(tmp_path, "--steps", "800", "--log-lines", "4")
    _check_theorem_1(summary, rows, jsd_factor=10, v_tolerance=0.05)


@pytest.mark.slow
def test_full_1d_run_as_in_the_readme(tmp_path):
    summary, rows = _run_1d(tmp_path)  # the defaults: 2000 iterations
    _check_theorem_1(summary, rows, jsd_factor=30, v_tolerance=0.03)


def test_value_from_logits_matches_theory_value():
    x = np.linspace(-5, 5, 501)
    p_data, p_g = T.gaussian_pdf(x, 0.0, 1.0), T.gaussian_pdf(x, 1.0, 0.7)
    logits = 3.0 * np.sin(x)
    d = 1.0 / (1.0 + np.exp(-logits))
    assert abs(T.value_from_logits(logits, p_data, p_g, x) - T.value(d, p_data, p_g, x)) < 1e-12
    huge = np.full_like(x, 60.0)  # D rounds to 1.0 even in float64; V stays finite
    assert np.isfinite(T.value_from_logits(huge, p_data, p_g, x))


# --- smoke runs of the examples ---------------------------------------------------------------------------

def test_gaussian_1d_example_writes_its_figures(tmp_path):
    from PIL import Image
    out = tmp_path / "g1d"
    example("gaussian_1d", "--steps", "12", "--frames", "4", "--k", "1", "--hidden", "8", "--batch-size", "32",
            "--data", "mixture", "--no-progress", "--out", str(out))
    for name in ("figure1.gif", "figure1.png", "metrics.csv", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    frames = sorted(os.listdir(out / "frames"))
    assert frames[0] == "frame_000.png" and len(frames) == 4  # iterations 0, 1, 5, 12 (quadratic spacing)
    with Image.open(out / "figure1.gif") as gif:
        assert gif.n_frames == len(frames)


def test_gaussian_1d_help():
    assert "--steps" in example("gaussian_1d", "--help")


def test_mixture_2d_example_writes_table_and_figures(tmp_path):
    out = tmp_path / "m2d"
    example("mixture_2d", "--iterations", "6", "--snapshots", "2", "--g-hidden", "8", "--d-hidden", "8",
            "--batch-size", "32", "--workers", "1", "--no-progress", "--out", str(out))
    for name in ("mixture_2d.md", "mixture_2d.json", "mixture_2d.png", "ring_training.png", "grid_training.png"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "mixture_2d.json") as f:
        runs = json.load(f)["runs"]
    settings = [(r["dataset"], r["loss"], r["k"]) for r in runs]
    assert settings == [(d, loss, k) for d in ("ring", "grid") for loss in ("minimax", "non-saturating")
                        for k in (1, 5)]
    assert all(0 <= r["modes"] <= r["n_modes"] and 0.0 <= r["high_quality"] <= 1.0 for r in runs)
    table = (out / "mixture_2d.md").read_text()
    assert table.count("\n| ring |") == 4 and table.count("\n| grid |") == 4


def test_mixture_2d_in_two_worker_processes_matches_one(tmp_path):
    """The runs are seeded one by one, so spreading them over processes changes no number."""
    args = ["--datasets", "ring", "--losses", "minimax", "--k", "1", "2", "--iterations", "5", "--snapshots", "1",
            "--g-hidden", "8", "--d-hidden", "8", "--batch-size", "16", "--no-progress"]
    results = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        example("mixture_2d", *args, "--workers", workers, "--out", str(out))
        with open(out / "mixture_2d.json") as f:
            results.append([(r["k"], r["counts"], r["high_quality"]) for r in json.load(f)["runs"]])
    assert results[0] == results[1]
