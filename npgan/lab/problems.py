"""The lab's data: Gaussian mixtures whose density is known, so D*, V(D, G) and the JSD can be measured.

Every problem is an equal-weight mixture of isotropic Gaussians N(centre, std² I) in 1-D or 2-D:

    gaussian   1-D  N(2, 0.5²)                        toy.gaussian_1d (the Figure 1 example)
    bimodal    1-D  ½ N(−1.5, 0.4²) + ½ N(1.5, 0.4²)  toy.mixture_1d
    ring       2-D  8 Gaussians on a circle of radius 2, std 0.02   toy.ring_2d
    grid       2-D  5 × 5 Gaussians at {−4, …, 4}², std 0.05         toy.grid_2d
    drawn      the points a user clicked or pasted, each the centre of a Gaussian of std `std`

so a drawn distribution is as measurable as a preset. The measures live on a grid of cells over the
problem's window (R cells a side): p_data as the exact mass of each cell (a product of normal CDF
differences, the mixture being isotropic), p_g as the fraction of G's samples in each cell. On those
masses, with c the cells and 0·log 0 = 0,

    D*(c)   = p_data(c) / (p_data(c) + p_g(c))                       (Proposition 1, npgan.theory)
    V(D, G) = Σ_c p_data(c) log D(c) + p_g(c) log(1 − D(c))           (eq. 1; D at the cell's centre)
    JSD     = ½ Σ_c p_data log(p_data/m) + ½ Σ_c p_g log(p_g/m),  m = (p_data + p_g)/2

the cell-sum spelling of npgan.theory's integrals (whose trapezoid rule needs a 1-D grid); on a 1-D grid
they agree with npgan.theory to the grid's resolution (tested). Mass outside the window is not counted.
"""
import math

import numpy as np

from npgan import theory
from npgan.data import toy
from npgan.settings import SettingError

PRESETS = {  # name: (dim, centres, std, window, scale); the nets see x / scale (unit-sized inputs, outputs)
    "gaussian": (1, [[2.0]], 0.5, (-1.0, 5.0), 2.0),
    "bimodal": (1, [[-1.5], [1.5]], 0.4, (-3.5, 3.5), 2.0),
    "ring": (2, toy.ring_centres(8, 2.0), 0.02, (-3.0, 3.0), 2.0),
    "grid": (2, toy.grid_centres(5, 2.0), 0.05, (-5.5, 5.5), 4.0),
}
DRAWN = "drawn"
DATASETS = (*PRESETS, DRAWN)
MAX_POINTS = 500  # drawn or pasted points (each is a mode: the per-cell masses cost K × R)


class Problem:
    """One mixture: `dim`, `centres` (K, dim) float64, `std`, `window` (lo, hi) on every axis, `scale`."""

    def __init__(self, name, centres, std, window, scale):
        self.name, self.std, self.window, self.scale = name, float(std), tuple(map(float, window)), float(scale)
        self.centres = np.asarray(centres, dtype=np.float64)  # float64: deliberate (host constants)
        self.dim = self.centres.shape[1]

    def sample(self, n, rng):
        """n draws, float32 (n, dim), from the caller's generator (npgan.data.toy)."""
        if self.dim == 1:
            return toy.mixture_1d(n, rng, means=self.centres[:, 0], stds=self.std)
        return toy.mixture_2d(n, rng, self.centres, self.std)

    def edges(self, resolution):
        """The R + 1 cell edges of one axis, and the R cell centres."""
        edges = np.linspace(*self.window, resolution + 1)
        return edges, 0.5 * (edges[1:] + edges[:-1])

    def masses(self, resolution):
        """p_data's exact mass in each cell: (R,) in 1-D, (R, R) in 2-D indexed [row = y, column = x]."""
        edges, _ = self.edges(resolution)
        u = (edges[None, :] - self.centres[:, :, None]) / (self.std * math.sqrt(2.0))  # (K, dim, R + 1)
        cdf = 0.5 * (1.0 + np.vectorize(math.erf)(u))
        per_axis = np.diff(cdf, axis=2)  # (K, dim, R): each component's mass per interval, per axis
        if self.dim == 1:
            return per_axis[:, 0].mean(axis=0)
        return np.einsum("ky,kx->yx", per_axis[:, 1], per_axis[:, 0]) / len(self.centres)

    def coverage(self, samples):
        """toy.mode_coverage of G's samples (data units): modes covered and the high-quality fraction."""
        return toy.mode_coverage(samples, self.centres, self.std)


def preset(name):
    if name not in PRESETS:
        raise SettingError("data", f"must be one of {', '.join(DATASETS)}, got {name!r}")
    dim, centres, std, window, scale = PRESETS[name]
    return Problem(name, centres, std, window, scale)


def drawn(points, std=0.1):
    """The mixture of Gaussians of std `std` at the drawn or pasted points ((n, 1) or (n, 2), n ≥ 2); its
    window holds every point with a margin, its scale makes the window about ±1.5 for the nets."""
    try:
        points = np.asarray(points, dtype=np.float64)  # float64: deliberate (host constants)
    except (TypeError, ValueError):
        raise SettingError("points", "must be numbers, one point per row") from None
    if points.ndim == 1:
        points = points[:, None]
    if points.ndim != 2 or points.shape[1] not in (1, 2):
        raise SettingError("points", f"must be (n, 1) or (n, 2), got shape {points.shape}")
    if len(points) < 2:
        raise SettingError("points", f"a distribution needs at least two points, got {len(points)}")
    if len(points) > MAX_POINTS:
        raise SettingError("points", f"at most {MAX_POINTS} points, got {len(points)}")
    if not np.all(np.isfinite(points)):
        raise SettingError("points", "must be finite numbers (a NaN or an infinity was given)")
    if not (std > 0 and math.isfinite(std)):
        raise SettingError("std", f"must be a positive number, got {std!r}")
    half = float(np.abs(points).max()) + 4.0 * std + 0.5
    return Problem(DRAWN, points, std, (-half, half), max(half / 1.5, 1e-3))


def parse_points(text):
    """Pasted points, one per line, coordinates separated by commas or spaces: an (n, 1) or (n, 2) array.
    A line that is not one or two numbers, or lines of different lengths, is a SettingError naming it."""
    rows = []
    for number, line in enumerate(text.strip().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append([float(v) for v in line.replace(",", " ").split()])
        except ValueError:
            raise SettingError("points", f"line {number} is not numbers: {line.strip()!r}") from None
        if len(rows[-1]) not in (1, 2) or len(rows[-1]) != len(rows[0]):
            raise SettingError("points", f"line {number} has {len(rows[-1])} numbers; every line needs "
                                         f"{len(rows[0]) if len(rows) > 1 else '1 or 2'}")
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(rows[0]) if rows else 1)


# --- measures on the cells ------------------------------------------------------------------------------

def binned(samples, problem, resolution):
    """p_g's mass per cell: the fraction of `samples` (data units, (n, dim)) in each cell."""
    edges, _ = problem.edges(resolution)
    if problem.dim == 1:
        counts, _ = np.histogram(samples[:, 0], bins=edges)
    else:
        counts, _, _ = np.histogram2d(samples[:, 1], samples[:, 0], bins=[edges, edges])
    return counts / len(samples)


def _xlogy(a, b):
    out = np.zeros(np.broadcast(a, b).shape)
    m = a > 0
    out[m] = a[m] * np.log(b[m])
    return out


def jsd(p_data, p_g):
    """JSD between the masses per cell (natural log, 0 ≤ JSD ≤ log 2)."""
    m = 0.5 * (p_data + p_g)
    return float(0.5 * (_xlogy(p_data, p_data) - _xlogy(p_data, m)).sum()
                 + 0.5 * (_xlogy(p_g, p_g) - _xlogy(p_g, m)).sum())


def value(logits, p_data, p_g):
    """V(D, G) from D's logits a at the cells' centres: Σ −p_data softplus(−a) − p_g softplus(a)
    (npgan.theory.value_from_logits, summed over cells; finite at any logit)."""
    a = np.asarray(logits, dtype=np.float64)
    return float(np.sum(-p_data * np.logaddexp(0.0, -a) - p_g * np.logaddexp(0.0, a)))


def optimal_discriminator(p_data, p_g):
    """D* per cell (npgan.theory.optimal_discriminator: ½ where both masses are 0)."""
    return theory.optimal_discriminator(p_data, p_g)
