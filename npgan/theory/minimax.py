"""The paper's theory (Goodfellow et al. 2014, Section 4), computed exactly on a 1-D grid.

A density here is an array of values ``p`` on a grid ``x`` (1-D, strictly increasing); every integral is
the trapezoid rule ``integrate(f, x)``. The paper's claims become numbers you can print and check:

    V(D, G) = E_{x~p_data}[log D(x)] + E_{x~p_g}[log(1 - D(x))]              (the value function, eq. 1)
    D*_G(x) = p_data(x) / (p_data(x) + p_g(x))                                 (Proposition 1)
    C(G)    = max_D V(D, G) = V(D*_G, G) = -log 4 + 2 JSD(p_data || p_g)       (Theorem 1)

so C(G) >= -log 4, with equality exactly when p_g = p_data, where D* = 1/2 everywhere.

Precision: this module is float64 on purpose (every input is converted with ``dtype=np.float64``). It is
a measuring instrument, not a training path: the tests check identities to 1e-9, and log-densities in
the tails underflow far sooner in float32. The training code (layers, optimizers) stays float32.
Arrays are NumPy (host) arrays; move CuPy arrays with ``npgan.backend.to_cpu`` first.

Conventions: natural logarithms throughout (JSD <= log 2), and 0 * log 0 = 0, so points where a density
is 0 contribute nothing to an expectation under it. The sample-based estimators (``histogram_density``,
``gaussian_kde``) turn samples into grid densities that all the functions above accept.
"""
import numpy as np

__all__ = [
    "integrate", "gaussian_pdf", "mixture_pdf", "value_from_logits",
    "optimal_discriminator", "value", "virtual_training_criterion",
    "kl_divergence", "js_divergence",
    "histogram_density", "kde_bandwidth", "gaussian_kde",
]


# --- helpers ---------------------------------------------------------------------------------------------

def _grid(x):
    """x as a float64 1-D strictly increasing grid of at least two points."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or not np.all(np.diff(x) > 0):
        raise ValueError("x must be a finite, strictly increasing 1-D grid of at least 2 points")
    return x


def _density(p, x, name):
    """p as a float64 array of non-negative values, one per grid point."""
    p = np.asarray(p, dtype=np.float64)
    if p.shape != x.shape:
        raise ValueError(f"{name} has shape {p.shape}, but the grid x has shape {x.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    return p


def _xlogy(a, b):
    """a * log(b) elementwise, with 0 * log(anything) = 0 (so a zero density contributes nothing).

    Where a > 0 and b = 0 the result is -inf, which is the true value (e.g. log D = -inf on real data).
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.zeros(a.shape)
    m = a > 0
    with np.errstate(divide="ignore"):  # log 0 = -inf is intended here, not an accident
        out[m] = a[m] * np.log(b[m])
    return out


def integrate(f, x):
    """Trapezoid rule: sum_i (x[i+1] - x[i]) * (f[i] + f[i+1]) / 2, a float64 scalar."""
    x = _grid(x)
    f = np.asarray(f, dtype=np.float64)
    return float(np.sum(np.diff(x) * (f[1:] + f[:-1])) / 2.0)


# --- closed-form densities for the examples ------------------------------------------------------------

def gaussian_pdf(x, mean=0.0, std=1.0):
    """N(x; mean, std^2) = exp(-(x - mean)^2 / (2 std^2)) / (std sqrt(2 pi))."""
    if std <= 0:
        raise ValueError("std must be positive")
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2.0 * np.pi))


def mixture_pdf(x, means, stds, weights=None):
    """sum_k w_k N(x; mean_k, std_k^2), weights normalised to sum to 1 (equal weights by default)."""
    means, stds = np.atleast_1d(means), np.atleast_1d(stds)
    if means.shape != stds.shape:
        raise ValueError("means and stds must have the same length")
    w = np.ones(means.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != means.shape or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be non-negative, one per component, and not all zero")
    w = w / w.sum()
    return sum(wk * gaussian_pdf(x, mk, sk) for wk, mk, sk in zip(w, means, stds))


# --- the paper: D*, V(D, G), C(G) -----------------------------------------------------------------------

def optimal_discriminator(p_data, p_g):
    """Proposition 1: for a fixed G the best discriminator is D*_G(x) = p_data(x) / (p_data(x) + p_g(x)).

    Why: V = integral of f(D(x)) dx with f(y) = a log y + b log(1 - y), a = p_data(x), b = p_g(x). For
    a + b > 0, f is concave on [0, 1] and f'(y) = a/y - b/(1 - y) = 0 at y = a / (a + b).

    Where p_data = p_g = 0 we define D* = 1/2. There f(y) = 0 for every y, so any value is optimal and V
    does not depend on it (the paper only needs D* on supp(p_data) U supp(p_g)); 1/2 is the "cannot
    tell" answer, the same value D* takes when p_g = p_data, and keeps log D and log(1 - D) finite.
    """
    p_data = np.asarray(p_data, dtype=np.float64)
    p_g = np.asarray(p_g, dtype=np.float64)
    total = p_data + p_g
    both_zero = total == 0
    return np.where(both_zero, 0.5, p_data / np.where(both_zero, 1.0, total))


def value(d, p_data, p_g, x):
    """V(D, G) = integral p_data(x) log D(x) dx + integral p_g(x) log(1 - D(x)) dx  (eq. 1, with x = G(z)).

    ``d`` holds D(x) in [0, 1] on the grid (or a scalar). Terms where a density is 0 contribute 0, so
    D may be exactly 0 or 1 off the support; D = 0 where p_data > 0 (or D = 1 where p_g > 0) gives -inf.
    D maximises V; G minimises it. For V(D*, G) use virtual_training_criterion, which avoids rounding
    D* to exactly 1 where p_g << p_data.
    """
    x = _grid(x)
    p_data, p_g = _density(p_data, x, "p_data"), _density(p_g, x, "p_g")
    d = np.broadcast_to(np.asarray(d, dtype=np.float64), x.shape)
    if np.any(d < 0) or np.any(d > 1):
        raise ValueError("D(x) must lie in [0, 1]")
    return integrate(_xlogy(p_data, d) + _xlogy(p_g, 1.0 - d), x)


def virtual_training_criterion(p_data, p_g, x):
    """Theorem 1: C(G) = max_D V(D, G) = V(D*_G, G) = -log 4 + 2 JSD(p_data || p_g).

    Pointwise, p log(p/(p+q)) + q log(q/(p+q)) = p log(p/m) + q log(q/m) - (p + q) log 2 with m = (p+q)/2;
    integrating gives 2 JSD - log 4 when both densities integrate to 1 (on a grid: when they integrate to 1
    over it). Hence C(G) >= -log 4 = -1.3862943..., with equality iff p_g = p_data.

    Computed as V(D*, G) with 1 - D* = p_g / (p_data + p_g) formed directly: where p_g << p_data the
    float 1 - D* rounds to 0 and value(optimal_discriminator(...), ...) would give -inf instead.
    """
    x = _grid(x)
    p_data, p_g = _density(p_data, x, "p_data"), _density(p_g, x, "p_g")
    total = p_data + p_g
    total = np.where(total == 0, 1.0, total)  # both zero: both terms are 0 whatever D* is
    return integrate(_xlogy(p_data, p_data / total) + _xlogy(p_g, p_g / total), x)


# --- divergences ----------------------------------------------------------------------------------------

def kl_divergence(p, q, x):
    """KL(p || q) = integral p(x) log(p(x) / q(x)) dx  (natural log; >= 0; not symmetric).

    Points with p = 0 contribute 0; if q = 0 somewhere p > 0 the divergence is +inf.
    """
    x = _grid(x)
    p, q = _density(p, x, "p"), _density(q, x, "q")
    return integrate(_xlogy(p, p) - _xlogy(p, q), x)


def js_divergence(p, q, x):
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2  (natural log).

    Symmetric, 0 <= JSD <= log 2: it is 0 iff p = q and log 2 when the supports are disjoint.
    Always finite, because m > 0 wherever p > 0 or q > 0.
    """
    x = _grid(x)
    p, q = _density(p, x, "p"), _density(q, x, "q")
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, x) + 0.5 * kl_divergence(q, m, x)


# --- from samples to grid densities ---------------------------------------------------------------------

def histogram_density(samples, edges):
    """Histogram estimate of a density: returns (centres, density), one value per bin.

    density[i] = count[i] / (n * width[i]) with n = all samples, so samples outside the edges are lost
    mass (the estimate integrates to the fraction inside) rather than silently renormalised away.
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    edges = _grid(edges)
    if samples.size == 0:
        raise ValueError("need at least one sample")
    counts, _ = np.histogram(samples, bins=edges)
    widths = np.diff(edges)
    return 0.5 * (edges[1:] + edges[:-1]), counts / (samples.size * widths)


def kde_bandwidth(samples, rule="scott"):
    """Rule-of-thumb bandwidth h for a 1-D Gaussian KDE, with sigma the sample std (ddof=1), n samples:

        scott:      h = sigma * n^(-1/5)                                (as scipy.stats.gaussian_kde)
        silverman:  h = 0.9 * min(sigma, IQR / 1.34) * n^(-1/5)          (Silverman 1986, eq. 3.31; robust
                                                                         to outliers and bimodality)
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    n = samples.size
    if n < 2:
        raise ValueError("need at least two samples to choose a bandwidth")
    sigma = np.std(samples, ddof=1)
    if rule == "scott":
        h = sigma * n ** (-0.2)
    elif rule == "silverman":
        q75, q25 = np.percentile(samples, [75, 25])
        spread = min(sigma, (q75 - q25) / 1.34) or sigma  # IQR = 0 (many ties): fall back to sigma
        h = 0.9 * spread * n ** (-0.2)
    else:
        raise ValueError(f"unknown bandwidth rule {rule!r}: use 'scott', 'silverman' or a number")
    if not h > 0:
        raise ValueError("samples have zero spread; pass an explicit bandwidth")
    return float(h)


def gaussian_kde(samples, x, bandwidth=None):
    """Gaussian kernel density estimate on the points x:  p_hat(x) = (1/n) sum_i N(x; s_i, h^2).

    bandwidth: a positive number h, or "scott" (the default, None) or "silverman" (see kde_bandwidth).
    Each kernel integrates to 1, so p_hat does too (on a grid wide enough to hold the samples +- 5h).
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    x = np.asarray(x, dtype=np.float64)
    if bandwidth is None or isinstance(bandwidth, str):
        h = kde_bandwidth(samples, bandwidth or "scott")
    else:
        h = float(bandwidth)
        if not h > 0:
            raise ValueError("bandwidth must be positive")
    flat = x.ravel()
    out = np.empty(flat.shape)
    step = max(1, 2 ** 20 // max(1, samples.size))  # about 8 MB of kernel values at a time
    for start in range(0, flat.size, step):
        u = (flat[start:start + step, None] - samples[None, :]) / h
        out[start:start + step] = np.exp(-0.5 * u * u).sum(axis=1)
    return (out / (samples.size * h * np.sqrt(2.0 * np.pi))).reshape(x.shape)


def value_from_logits(logits, p_data, p_g, x):
    """V(D, G) = integral p_data log D + integral p_g log(1 - D), with D = sigmoid(a) given by its logits a.

    log D = -softplus(-a) and log(1 - D) = -softplus(a), finite at any logit: a float32 D would round to
    exactly 1 far out in the tails, where p_g is tiny but positive, and theory.value would return -inf.
    """
    a = np.asarray(logits, dtype=np.float64)
    return integrate(-p_data * np.logaddexp(0.0, -a) - p_g * np.logaddexp(0.0, a), x)
