"""Toy data for seeing a GAN work: 1-D and 2-D Gaussian mixtures, and the mode-coverage metrics.

Every sampler takes the number of samples n and a NumPy ``Generator`` (the caller's, so runs are seeded)
and returns a float32 host array of shape (n, 1) or (n, 2), rows ready for a Linear layer::

    rng = np.random.default_rng(0)
    x = gaussian_1d(256, rng, mean=2.0, std=0.5)        # (256, 1)
    x = ring_2d(256, rng)                              # 8 Gaussians on a circle of radius 2, std 0.02
    x = grid_2d(256, rng)                              # 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05
    real_batches = batches(ring_2d, 256, rng)          # an endless iterator, for GANTrainer.iteration

The 2-D settings are the standard ones of the mode-collapse literature (the ring: Metz et al. 2017,
Unrolled GANs; both: Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN). The densities of the 1-D
samplers are ``npgan.theory.gaussian_pdf`` / ``mixture_pdf`` with the same arguments.

Mixtures draw the component of each sample first (equal weights unless given), then add Gaussian noise:
x = centre[c] + std * e, c ~ Categorical(w), e ~ N(0, I).
"""
import numpy as np

__all__ = ["gaussian_1d", "mixture_1d", "ring_centres", "grid_centres", "mixture_2d", "ring_2d", "grid_2d",
           "batches", "mode_coverage", "ModeCoverage"]


def _mixture(n, rng, centres, stds, weights):
    """n draws from sum_c w_c N(centres[c], stds[c]^2 I); centres (K, d). float32 (n, d)."""
    # Drawn in float64 on the host, then cast once: the samples, not the maths, are float32.
    centres = np.asarray(centres, dtype=np.float64)  # float64: deliberate
    stds = np.broadcast_to(np.asarray(stds, dtype=np.float64), centres.shape[:1])  # float64: deliberate
    if np.any(stds <= 0):
        raise ValueError("standard deviations must be positive")
    if weights is None:
        component = rng.integers(0, len(centres), size=n)
    else:
        w = np.asarray(weights, dtype=np.float64)  # float64: deliberate (probabilities must sum to 1)
        if w.shape != stds.shape or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be non-negative, one per component, and not all zero")
        component = rng.choice(len(centres), size=n, p=w / w.sum())
    x = centres[component] + stds[component, None] * rng.standard_normal((n, centres.shape[1]))
    return x.astype(np.float32)


# --- 1-D ------------------------------------------------------------------------------------------------

def gaussian_1d(n, rng, mean=0.0, std=1.0):
    """n draws from N(mean, std^2), float32 (n, 1). Density: theory.gaussian_pdf(x, mean, std)."""
    return _mixture(n, rng, [[mean]], [std], None)


def mixture_1d(n, rng, means=(-1.5, 1.5), stds=0.4, weights=None):
    """n draws from sum_k w_k N(means[k], stds[k]^2), float32 (n, 1). Density: theory.mixture_pdf."""
    means = np.atleast_1d(np.asarray(means, dtype=np.float64))  # float64: deliberate (host parameters)
    return _mixture(n, rng, means[:, None], np.broadcast_to(stds, means.shape), weights)


# --- 2-D ------------------------------------------------------------------------------------------------

def ring_centres(modes=8, radius=2.0):
    """(modes, 2) centres evenly spaced on a circle: radius * (cos 2 pi i/modes, sin 2 pi i/modes)."""
    angle = 2.0 * np.pi * np.arange(modes) / modes  # float64: deliberate (host constants, cast by samplers)
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def grid_centres(side=5, spacing=2.0):
    """(side^2, 2) centres on a square grid centred at 0: spacing * {-(side-1)/2, ..., (side-1)/2}^2."""
    ticks = spacing * (np.arange(side) - (side - 1) / 2.0)
    gx, gy = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def mixture_2d(n, rng, centres, std):
    """n draws from an equal-weight mixture of isotropic Gaussians N(centre, std^2 I), float32 (n, 2)."""
    return _mixture(n, rng, centres, std, None)


def ring_2d(n, rng, modes=8, radius=2.0, std=0.02):
    """8 Gaussians on a ring: centres on a circle of radius 2, std 0.02 (Metz et al. 2017)."""
    return mixture_2d(n, rng, ring_centres(modes, radius), std)


def grid_2d(n, rng, side=5, spacing=2.0, std=0.05):
    """A 5 x 5 grid of Gaussians: centres {-4, -2, 0, 2, 4}^2, std 0.05 (Srivastava et al. 2017)."""
    return mixture_2d(n, rng, grid_centres(side, spacing), std)


def batches(sampler, m, rng, **kwargs):
    """An endless iterator of fresh minibatches sampler(m, rng, **kwargs): the real data of Algorithm 1."""
    while True:
        yield sampler(m, rng, **kwargs)


# --- the metrics of the mode-collapse papers --------------------------------------------------------------

class ModeCoverage(dict):
    """The result of :func:`mode_coverage`, a dict with attribute access:

    modes (int, modes covered), n_modes, high_quality (fraction in [0, 1]), counts (int array, one per
    mode: samples registered to it), min_count (the threshold used), n (samples).
    """

    __getattr__ = dict.__getitem__


def mode_coverage(samples, centres, std, min_count=None, radius=3.0):
    """Modes covered and the fraction of high-quality samples, as the 2-D mode-collapse papers report them.

    A sample is *high quality* when it lies within ``radius`` (3) standard deviations of its nearest mode
    centre; it is then *registered* to that mode. A mode is *covered* when at least ``min_count`` samples
    are registered to it. The default min_count is 20 out of 2,500 samples (0.8 %; the threshold of the
    2-D experiments of Lin et al. 2018, PacGAN, as we read them), scaled to n: max(1, ceil(0.008 n)).
    Papers differ here: min_count=1 counts a mode as soon as one high-quality sample lands on it.
    With 2,500 samples from the true mixture every mode is covered (the ring expects 312 per mode, the
    grid 100) and about 98.9 % of samples are high quality (the chance that a 2-D standard normal lies
    within radius 3 is 1 - exp(-9/2)).

    samples (n, 2) host or device array; centres (K, 2); std the mixture's standard deviation.
    """
    samples = np.asarray(_host(samples), dtype=np.float64)  # float64: deliberate (a metric, on the host)
    centres = np.asarray(centres, dtype=np.float64)  # float64: deliberate
    if samples.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must be (n, {centres.shape[1]}), got {samples.shape}")
    n = samples.shape[0]
    if n == 0:
        raise ValueError("need at least one sample")
    if min_count is None:
        min_count = max(1, int(np.ceil(0.008 * n)))
    d2 = ((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)  # (n, K) squared distances
    nearest = d2.argmin(axis=1)
    good = np.sqrt(d2[np.arange(n), nearest]) <= radius * std  # NaN/inf samples compare False
    counts = np.bincount(nearest[good], minlength=len(centres))
    return ModeCoverage(modes=int((counts >= min_count).sum()), n_modes=len(centres),
                        high_quality=float(good.mean()), counts=counts, min_count=int(min_count), n=n)


def _host(array):
    from npgan.backend import to_cpu
    return to_cpu(array)
