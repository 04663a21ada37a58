"""npgan.theory: Proposition 1, Theorem 1 and the divergences, checked against independent computations.

The independent references are scipy.integrate.quad on closed-form log-pdfs (never the grid functions),
the closed-form KL of two Gaussians, and scipy.stats.gaussian_kde.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate as sp_integrate
from scipy import stats

from npgan import theory as T

LOG2, LOG4 = np.log(2.0), np.log(4.0)
X = np.linspace(-20.0, 20.0, 8001)  # h = 0.005: the trapezoid rule is spectrally accurate for Gaussians

means = st.floats(-3.0, 3.0)
stds = st.floats(0.3, 2.5)
seeds = st.integers(0, 2**32 - 1)


def random_density(rng, n, zero_fraction=0.3):
    """A rough random density on a uniform grid of n points on [0, 1], with some exact zeros."""
    x = np.linspace(0.0, 1.0, n)
    p = rng.random(n) * (rng.random(n) > zero_fraction)
    p[0] = p[-1] = 0.0
    p[n // 2] += 1.0  # never all zero
    return x, p / T.integrate(p, x)


def jsd_by_quad(m1, s1, m2, s2):
    """JSD of N(m1, s1^2) and N(m2, s2^2) with scipy quad on the closed-form log-pdfs."""
    def integrand(t):
        lp, lq = stats.norm.logpdf(t, m1, s1), stats.norm.logpdf(t, m2, s2)
        lm = np.logaddexp(lp, lq) - LOG2
        return 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm))
    lo, hi = min(m1 - 15 * s1, m2 - 15 * s2), max(m1 + 15 * s1, m2 + 15 * s2)
    val, _ = sp_integrate.quad(integrand, lo, hi, points=sorted({m1, m2}), limit=200,
                               epsabs=1e-13, epsrel=1e-12)
    return val


# --- densities -------------------------------------------------------------------------------------------

def test_closed_form_densities_integrate_to_one():
    assert abs(T.integrate(T.gaussian_pdf(X, 1.0, 0.5), X) - 1.0) < 1e-12
    p = T.mixture_pdf(X, [-2.0, 1.0, 4.0], [0.5, 1.0, 0.3], weights=[2.0, 1.0, 1.0])
    assert abs(T.integrate(p, X) - 1.0) < 1e-12
    np.testing.assert_allclose(T.mixture_pdf(X, [1.0], [0.5]), T.gaussian_pdf(X, 1.0, 0.5))
    np.testing.assert_allclose(T.gaussian_pdf(X, 1.0, 0.5), stats.norm.pdf(X, 1.0, 0.5),
                               rtol=1e-12, atol=1e-300)  # atol: subnormal tails differ in the last bit


def test_outputs_are_float64_even_from_float32_inputs():
    x32 = X.astype(np.float32)
    p = T.gaussian_pdf(x32).astype(np.float32)
    assert T.optimal_discriminator(p, p).dtype == np.float64
    assert T.gaussian_kde(np.zeros(3, np.float32) + [0, 1, 2], x32).dtype == np.float64
    assert isinstance(T.virtual_training_criterion(p, p, x32), float)


# --- Proposition 1 and Theorem 1 -------------------------------------------------------------------------

@given(means, stds)
def test_at_the_global_optimum_d_star_is_half_and_c_is_minus_log4(m, s):
    p = T.mixture_pdf(X, [m, m + 2.0], [s, 0.5 * s], weights=[0.7, 0.3])
    assert np.all(T.optimal_discriminator(p, p) == 0.5)
    assert abs(T.virtual_training_criterion(p, p, X) - (-LOG4)) < 1e-9
    assert abs(T.js_divergence(p, p, X)) < 1e-12


def test_d_star_on_and_off_the_supports():
    p_data = np.array([0.0, 1.0, 3.0, 0.0])
    p_g = np.array([0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(T.optimal_discriminator(p_data, p_g), [0.5, 1.0, 0.75, 0.0])


def test_d_star_is_the_pointwise_argmax():
    """Brute force the lemma behind Prop. 1: y -> a log y + b log(1 - y) peaks at y = a / (a + b)."""
    y = np.linspace(1e-6, 1 - 1e-6, 200001)
    for a, b in [(1.0, 1.0), (0.3, 2.0), (5.0, 0.1)]:
        f = a * np.log(y) + b * np.log1p(-y)
        assert abs(y[np.argmax(f)] - T.optimal_discriminator(a, b)) < 1e-5


@pytest.mark.parametrize("m1,s1,m2,s2", [(0.0, 1.0, 0.5, 1.0), (0.0, 1.0, 2.0, 0.5),
                                         (-1.0, 0.4, 1.5, 2.0), (0.0, 1.0, 6.0, 1.0)])
def test_theorem_1_against_jsd_by_quadrature(m1, s1, m2, s2):
    p_data, p_g = T.gaussian_pdf(X, m1, s1), T.gaussian_pdf(X, m2, s2)
    jsd = jsd_by_quad(m1, s1, m2, s2)
    assert abs(T.virtual_training_criterion(p_data, p_g, X) + LOG4 - 2 * jsd) < 1e-8
    assert abs(T.js_divergence(p_data, p_g, X) - jsd) < 1e-8


@given(seeds, st.floats(0.05, 20.0), means, stds)
def test_no_discriminator_beats_d_star(seed, scale, m, s):
    rng = np.random.default_rng(seed)
    p_data, p_g = T.gaussian_pdf(X), T.gaussian_pdf(X, m, s)
    d_star = T.optimal_discriminator(p_data, p_g)
    best = T.virtual_training_criterion(p_data, p_g, X)
    d_random = 1.0 / (1.0 + np.exp(-scale * rng.standard_normal(X.shape)))  # sigmoid of random logits
    d_near = np.clip(d_star + 1e-3 * rng.standard_normal(X.shape), 0.0, 1.0)
    for d in (d_random, d_near, d_star, 0.5, rng.random()):
        assert T.value(d, p_data, p_g, X) <= best + 1e-12


def test_value_at_d_star_is_c():
    """Where D* stays representably below 1 (p_g / p_data > 1e-16 everywhere), V(D*, G) = C(G)."""
    x = np.linspace(-8.0, 8.0, 3201)
    p_data, p_g = T.gaussian_pdf(x), T.gaussian_pdf(x, 1.0, 1.2)
    d_star = T.optimal_discriminator(p_data, p_g)
    assert d_star.max() < 1.0
    assert abs(T.value(d_star, p_data, p_g, x) - T.virtual_training_criterion(p_data, p_g, x)) < 1e-12


def test_value_handles_log_zero():
    x = np.linspace(0.0, 3.0, 301)
    p_data = np.where(x < 1.0, 1.0, 0.0)            # support [0, 1)
    p_g = np.where(x > 2.0, 1.0, 0.0)               # support (2, 3]
    d_perfect = np.where(x < 1.5, 1.0, 0.0)         # log 1 = 0 on both supports, 0 log 0 = 0 elsewhere
    assert T.value(d_perfect, p_data, p_g, x) == 0.0
    assert T.virtual_training_criterion(p_data, p_g, x) == 0.0   # disjoint supports: C(G) = 0, its maximum
    assert T.value(1.0 - d_perfect, p_data, p_g, x) == -np.inf   # D = 0 on real data


# --- divergences -----------------------------------------------------------------------------------------

@given(seeds)
def test_jsd_symmetric_nonnegative_bounded(seed):
    rng = np.random.default_rng(seed)
    x, p = random_density(rng, 257)
    _, q = random_density(rng, 257)
    jpq, jqp = T.js_divergence(p, q, x), T.js_divergence(q, p, x)
    assert jpq == pytest.approx(jqp, abs=1e-15)
    assert -1e-12 <= jpq <= LOG2 + 1e-12


def test_jsd_tends_to_log2_as_supports_separate():
    values = [T.js_divergence(T.gaussian_pdf(X), T.gaussian_pdf(X, d), X) for d in (0.0, 1.0, 3.0, 10.0)]
    assert values[0] == 0.0 and np.all(np.diff(values) > 0) and 0 < LOG2 - values[-1] < 1e-5
    # compact, disjoint triangles with kinks on grid nodes: the trapezoid rule is exact, JSD = log 2
    x = np.linspace(0.0, 4.0, 401)
    p, q = np.maximum(0.0, 1.0 - abs(x - 1.0)), np.maximum(0.0, 1.0 - abs(x - 3.0))
    assert abs(T.js_divergence(p, q, x) - LOG2) < 1e-12


@given(seeds)
def test_kl_nonnegative(seed):
    rng = np.random.default_rng(seed)
    x, p = random_density(rng, 257)
    q = 0.5 + rng.random(x.shape)
    q /= T.integrate(q, x)
    assert T.kl_divergence(p, q, x) >= -1e-12
    assert abs(T.kl_divergence(p, p, x)) < 1e-12


@pytest.mark.parametrize("m1,s1,m2,s2", [(0.0, 1.0, 1.0, 1.0), (0.0, 1.0, 0.0, 2.0), (1.0, 0.5, -1.0, 1.5)])
def test_kl_of_gaussians_matches_closed_form(m1, s1, m2, s2):
    closed = np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    assert abs(T.kl_divergence(T.gaussian_pdf(X, m1, s1), T.gaussian_pdf(X, m2, s2), X) - closed) < 1e-9


def test_kl_infinite_when_q_misses_support_of_p():
    x = np.linspace(0.0, 1.0, 11)
    p, q = np.ones(11), np.where(x < 0.5, 2.0, 0.0)
    assert T.kl_divergence(p, q, x) == np.inf
    assert np.isfinite(T.kl_divergence(q, p, x))  # not symmetric


# --- from samples ----------------------------------------------------------------------------------------

def test_histogram_density_integrates_to_the_mass_inside():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=20000)
    edges = np.linspace(-6.0, 6.0, 61)
    centres, dens = T.histogram_density(samples, edges)
    assert centres.shape == dens.shape == (60,)
    assert abs(np.sum(dens * np.diff(edges)) - 1.0) < 1e-12
    assert np.max(np.abs(dens - T.gaussian_pdf(centres))) < 0.03
    _, half = T.histogram_density(samples, np.linspace(0.0, 6.0, 31))  # half the samples fall outside
    assert abs(np.sum(half * 0.2) - np.mean(samples >= 0)) < 1e-12


def test_kde_matches_scipy_and_integrates_to_one():
    rng = np.random.default_rng(1)
    samples = np.concatenate([rng.normal(-2, 0.5, 300), rng.normal(1, 1.0, 700)])
    x = np.linspace(-8.0, 8.0, 1601)
    p_hat = T.gaussian_kde(samples, x)
    reference = stats.gaussian_kde(samples, bw_method="scott")(x)
    np.testing.assert_allclose(p_hat, reference, rtol=1e-10, atol=1e-15)
    for bw in (None, "silverman", 0.05):
        assert abs(T.integrate(T.gaussian_kde(samples, x, bw), x) - 1.0) < 1e-6


def test_kde_bandwidth_rules():
    s = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 100.0])
    sigma, iqr = np.std(s, ddof=1), 3.75 - 1.25
    assert T.kde_bandwidth(s) == pytest.approx(sigma * 6 ** -0.2)
    assert T.kde_bandwidth(s, "silverman") == pytest.approx(0.9 * iqr / 1.34 * 6 ** -0.2)  # IQR wins
    with pytest.raises(ValueError):
        T.kde_bandwidth(np.ones(5))


def test_kde_approaches_true_density_with_more_samples():
    rng = np.random.default_rng(2)
    x = np.linspace(-10.0, 10.0, 401)
    draws = rng.normal(size=40000)
    errors = [np.max(np.abs(T.gaussian_kde(draws[:n], x) - T.gaussian_pdf(x))) for n in (100, 2000, 40000)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 0.01
    # a two-mode mixture, with Silverman's robust rule; then Theorem 1 from samples: p_g estimated
    # from draws of p_data gives C(G) close to -log 4
    p = T.mixture_pdf(x, [-2.0, 2.0], [0.6, 1.0])
    comp = rng.random(40000) < 0.5
    draws = np.where(comp, rng.normal(-2.0, 0.6, comp.size), rng.normal(2.0, 1.0, comp.size))
    jsds = [T.js_divergence(T.gaussian_kde(draws[:n], x, "silverman"), p, x) for n in (100, 2000, 40000)]
    assert jsds[0] > jsds[1] > jsds[2] and jsds[2] < 1e-3
    p_hat = T.gaussian_kde(draws, x, "silverman")
    assert abs(T.virtual_training_criterion(p, p_hat, x) + LOG4) < 2e-3


# --- input checks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_x", [np.array([0.0, 2.0, 1.0]), np.array([0.0]), np.zeros((2, 2))])
def test_rejects_bad_grids(bad_x):
    with pytest.raises(ValueError):
        T.value(0.5, np.ones(bad_x.shape), np.ones(bad_x.shape), bad_x)


def test_rejects_bad_densities_and_discriminators():
    x = np.linspace(0.0, 1.0, 5)
    with pytest.raises(ValueError, match="shape"):
        T.js_divergence(np.ones(4), np.ones(5), x)
    with pytest.raises(ValueError, match="non-negative"):
        T.kl_divergence(-np.ones(5), np.ones(5), x)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        T.value(1.5, np.ones(5), np.ones(5), x)
