"""How good are a generator's samples? The paper's Parzen-window log-likelihood, and classifier-based
FID, classifier score and mode coverage. Everything here is computed in float64 (on either backend).

Parzen window (Goodfellow et al. 2014, Table 1; the authors' parzen_ll.py). Fit a Gaussian kernel density
on M generated samples s_i (the paper: M = 10,000),

    log p̂_σ(x) = log (1/M) Σ_i N(x; s_i, σ² I) = logsumexp_i(−‖x − s_i‖² / 2σ²) − log M − (D/2) log(2πσ²),

choose σ on the grid logspace(−1, 0, 10) by the mean log-likelihood of a validation set held out of the
training data (MNIST train images 50,000–60,000; the authors' script used the first 1,000 of them), and
report the mean log-likelihood of the test set with its standard error std/√N.

It is a poor measure of sample quality (Theis, van den Oord & Bethge, "A note on the evaluation of
generative models", ICLR 2016): in 784 dimensions a kernel estimate needs far more than 10,000 samples to
approach the true log-likelihood, so the number is dominated by how close the nearest samples happen to
fall to each test digit; a model can score well with poor samples and badly with good ones (their
Table 1: real training digits score 243 nats, 10,000 k-means centroids of the training set 313, the
paper's GAN 225), and the estimate is biased low at any practical M. We report it because it is the
paper's only quantitative result, so that our numbers sit beside its Table 1 — not as evidence of
quality. FID, the classifier score and mode coverage below are the measures to read first.

Classifier-based metrics use npgan's own classifier of the dataset judged (npgan.evaluation.classifier: an MLP
trained on that dataset's training split) — its penultimate-layer features (F = 256) and its class
probabilities p(y|x) over the dataset's C classes:

* FID  ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½)  between Gaussians fitted to the features of samples and of
  the test set (Heusel et al. 2017, with this MLP in place of Inception: comparable only with itself).
* classifier score  exp(E_x KL(p(y|x) ‖ p(y))), between 1 and C (Salimans et al. 2016's Inception score).
* mode coverage  how many of the C classes get at least `min_fraction` (2 %, a fifth of a fair share for
  MNIST's 10) of the samples' predicted labels, and the entropy of that histogram (ln C nats when uniform:
  ln 10 = 2.303).

The real side of every comparison (validation and test images, the classifier) is an :class:`Evaluator`
of the dataset a run trained on (npgan.evaluation.realdata says how each is split); Parzen needs no labels.
"""
import math

import numpy as np

from npgan import backend as B

PAPER_SIGMAS = tuple(float(s) for s in np.logspace(-1.0, 0.0, 10))  # parzen_ll.py's grid
PAPER_VALIDATION_SIZE = 1000  # parzen_ll.py's --limit_size: the first 1,000 of train 50,000-60,000
MIN_FRACTION = 0.02
MIN_DIGITS = 10  # real digits each comparison of MnistEvaluator needs at least (a covariance needs 2)
_BATCH_ELEMENTS = 1 << 22  # a batch of distances holds at most 4M float64 (32 MB)


# --- Parzen window -------------------------------------------------------------------------------------

def logsumexp(a, axis):
    """log Σ exp(a) along `axis`, stable: m + log Σ exp(a − m) with m the maximum."""
    xp = B.get_array_module(a)
    m = a.max(axis=axis, keepdims=True)
    return (m + xp.log(xp.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def parzen_log_likelihood(samples, x, sigmas, batch_size=None):
    """log p̂_σ(x) of each row of `x` (N, D) under the Gaussian KDE on `samples` (M, D), for every σ.

    Squared distances come from one matrix product per batch of x, ‖x‖² − 2 x sᵀ + ‖s‖² (clipped at 0),
    in float64, and serve every σ, so a grid search costs one product; no (N, M, D) array is ever formed.
    Returns a float64 array (len(sigmas), N) on the inputs' device ((N,) for a scalar σ).
    """
    xp = B.get_array_module(samples)
    scalar = np.ndim(sigmas) == 0
    sigmas = [float(s) for s in np.atleast_1d(sigmas)]
    s = samples.astype("float64")
    s_sq = (s * s).sum(axis=1)
    m, d = s.shape
    batch_size = batch_size or max(1, _BATCH_ELEMENTS // m)
    out = xp.empty((len(sigmas), x.shape[0]), dtype="float64")
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].astype("float64")
        dist = (xb * xb).sum(axis=1)[:, None] - 2.0 * (xb @ s.T) + s_sq[None, :]
        xp.maximum(dist, 0.0, out=dist)
        for i, sigma in enumerate(sigmas):
            norm = math.log(m) + 0.5 * d * math.log(2.0 * math.pi * sigma * sigma)
            out[i, start:start + batch_size] = logsumexp(dist * (-0.5 / (sigma * sigma)), axis=1) - norm
    return out[0] if scalar else out


def select_sigma(samples, validation, sigmas=PAPER_SIGMAS, batch_size=None):
    """The σ of the grid with the highest mean validation log-likelihood: (σ, means per σ as a host array)."""
    means = B.to_cpu(parzen_log_likelihood(samples, validation, sigmas, batch_size).mean(axis=1))
    return sigmas[int(np.argmax(means))], means


def parzen_estimate(samples, validation, test, sigmas=PAPER_SIGMAS, batch_size=None):
    """The paper's protocol: σ by grid search on `validation`, then the test set's mean log-likelihood
    and its standard error std/√N (as the authors' script: population std). Returns a dict of floats:
    mean, sem, sigma, sigma_at_grid_edge, n_samples, n_validation, n_test, validation (mean per σ)."""
    sigma, means = select_sigma(samples, validation, sigmas, batch_size)
    ll = parzen_log_likelihood(samples, test, sigma, batch_size)
    mean, std = float(ll.mean()), float(ll.std())
    return {"mean": mean, "sem": std / math.sqrt(ll.shape[0]), "sigma": sigma,
            "sigma_at_grid_edge": sigma in (min(sigmas), max(sigmas)), "n_samples": int(samples.shape[0]),
            "n_validation": int(validation.shape[0]), "n_test": int(test.shape[0]),
            "validation": {f"{s:.4g}": float(v) for s, v in zip(sigmas, means)}}


# --- Fréchet distance ------------------------------------------------------------------------------------

def sqrtm_psd(a):
    """The symmetric square root of a symmetric positive semi-definite matrix: V diag(√λ) Vᵀ from the
    eigen-decomposition a = V diag(λ) Vᵀ, eigenvalues rounded below 0 clipped to 0."""
    xp = B.get_array_module(a)
    values, vectors = (xp.asarray(v) for v in xp.linalg.eigh(a))  # asarray: npgan.testing.strict returns eigh's
    # named tuple unwrapped (host arrays); a no-op on NumPy and CuPy
    return (vectors * xp.sqrt(xp.maximum(values, 0.0))) @ vectors.T


def trace_sqrt_product(s1, s2):
    """Tr (Σ₁Σ₂)^½ for symmetric PSD Σ₁, Σ₂, stably: Σ₁Σ₂ is similar to the symmetric PSD matrix
    A = Σ₁^½ Σ₂ Σ₁^½ (Σ₁^½ A Σ₁^-½ = Σ₁Σ₂ when Σ₁ is invertible), so Tr (Σ₁Σ₂)^½ = Σ_i √λ_i(A), with no
    non-symmetric square root and no complex round-off. float64."""
    xp = B.get_array_module(s1)
    root = sqrtm_psd(s1.astype("float64"))
    a = root @ s2.astype("float64") @ root
    values = xp.linalg.eigvalsh((a + a.T) * 0.5)
    return float(xp.sqrt(xp.maximum(values, 0.0)).sum())


def gaussian_stats(features):
    """Mean (F,) and covariance (F, F) (unbiased, N − 1) of features (N, F), float64."""
    f = features.astype("float64")
    mu = f.mean(axis=0)
    centered = f - mu
    return mu, centered.T @ centered / (f.shape[0] - 1)


def frechet_distance(mu1, s1, mu2, s2):
    """‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁Σ₂)^½, the squared 2-Wasserstein distance between the
    Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂); round-off below 0 is reported as 0."""
    diff = mu1.astype("float64") - mu2.astype("float64")
    value = float(diff @ diff) + float(s1.trace()) + float(s2.trace()) - 2.0 * trace_sqrt_product(s1, s2)
    return max(value, 0.0)


def fid(features1, features2):
    """Fréchet distance between Gaussians fitted to two feature sets (N₁, F) and (N₂, F)."""
    return frechet_distance(*gaussian_stats(features1), *gaussian_stats(features2))


# --- class probabilities -----------------------------------------------------------------------------------

def classifier_score(probs):
    """exp(E_x KL(p(y|x) ‖ p(y))) with p(y) = E_x p(y|x), from probs (N, C): 1 when every sample gets the
    same class distribution, C when each is classified with certainty and the classes are balanced."""
    xp = B.get_array_module(probs)
    p = probs.astype("float64")
    log_p = xp.log(xp.maximum(p, 1e-300))  # 0 log 0 = 0
    marginal = p.mean(axis=0)
    kl = (p * (log_p - xp.log(xp.maximum(marginal, 1e-300))[None, :])).sum(axis=1)
    return math.exp(float(kl.mean()))


def mode_coverage(labels, classes=10, min_fraction=MIN_FRACTION):
    """From predicted labels (N,): how many classes get at least `min_fraction` of them, the entropy (nats)
    of the predicted-class histogram, and the histogram's fractions (a host list)."""
    counts = np.bincount(np.asarray(B.to_cpu(labels)).astype(np.int64), minlength=classes)[:classes]
    share = counts / max(int(counts.sum()), 1)
    nonzero = share[share > 0]
    return {"classes_covered": int((share >= min_fraction).sum()),
            "class_entropy": float(0.0 - (nonzero * np.log(nonzero)).sum()),  # 0.0 −: no "-0.0"
            "class_fractions": [round(float(f), 4) for f in share]}


def classifier_metrics(features, probs, reference_stats, min_fraction=MIN_FRACTION):
    """FID against `reference_stats` (mean, covariance) plus classifier score and mode coverage."""
    xp = B.get_array_module(probs)
    return {"fid": frechet_distance(*gaussian_stats(features), *reference_stats),
            "classifier_score": classifier_score(probs),
            "confidence": float(probs.max(axis=1).mean()),
            **mode_coverage(xp.argmax(probs, axis=1), probs.shape[1], min_fraction)}


# --- the protocol, on any dataset ---------------------------------------------------------------------------

class TooFewDigits(ValueError):
    """The data at hand hold too few validation or test images for the metrics' references."""


class Evaluator:
    """Everything the metrics compare against, loaded once, for one dataset (`real`, an
    npgan.evaluation.realdata.RealData): its test split and their classifier feature statistics, the
    validation images, and the classifier of that dataset (npgan.evaluation.classifier: trained on its
    training split, cached under its name and checksum). Data without labels have no classifier
    (`classifier` None): classifier_metrics then returns {} and Parzen and memorisation still work.

    Real-data references ("how good would real images look through the same metrics"):
    classifier metrics of n validation images (the classifier never saw them), and the Parzen estimate
    of a KDE on n training images (disjoint from the validation images that choose σ).
    """

    def __init__(self, real, backend="numpy", classifier=None, classifier_path=None, log=None):
        from npgan.evaluation.classifier import load_or_train_classifier, provenance
        from npgan.evaluation.realdata import display_name
        self.real, self.backend = real, B.resolve_backend(backend)
        self.data_source = real.source
        self.train_x, self.val_x, self.test_x, self.test_y = real.fit_x, real.val_x, real.test_x, real.test_y
        if min(len(self.val_x), len(self.test_x)) < MIN_DIGITS:  # checked before a classifier is trained
            raise TooFewDigits(f"the {display_name(real.name)} data here ({real.path}) give {len(self.val_x)} "
                               f"validation and {len(self.test_x)} test {real.noun}; the metrics need at least "
                               f"{MIN_DIGITS} of each")
        self.classifier, self.test_accuracy, self.test_stats = None, None, None
        self.provenance = f"none: {display_name(real.name)} has no labels (no FID, classifier score or coverage)"
        if real.labelled:
            self.classifier = classifier or load_or_train_classifier(classifier_path, backend=self.backend, log=log,
                                                                     real=real)
            self.provenance = provenance(self.classifier)
            test_features, test_probs = self.classifier.embed(self.test_x)
            self.test_accuracy = float((test_probs.argmax(axis=1) == self.test_y).mean())
            self.test_stats = gaussian_stats(test_features)

    def classifier_metrics(self, images):
        """FID against the test set, classifier score and mode coverage of images (N, D) in [0, 1]; {}
        without a classifier (data without labels)."""
        if self.classifier is None:
            return {}
        return classifier_metrics(*self.classifier.embed(images), self.test_stats)

    def parzen(self, images, n_validation=PAPER_VALIDATION_SIZE, n_test=None, sigmas=PAPER_SIGMAS):
        """The paper's Parzen protocol for images (M, D), on this evaluator's backend."""
        def move(a):
            return B.to_device(np.ascontiguousarray(a, dtype=np.float32), self.backend)
        return parzen_estimate(move(images), move(self.val_x[:n_validation]), move(self.test_x[:n_test]),
                               sigmas)

    def reference_images(self, n, seed=0, parzen=False):
        """n real images the metric never saw: the validation images (classifier metrics), or a seeded
        choice from the classifier's training images (Parzen)."""
        pool = self.train_x if parzen else self.val_x
        rng = np.random.default_rng(seed)
        return pool[np.sort(rng.choice(len(pool), size=min(n, len(pool)), replace=False))]


class MnistEvaluator(Evaluator):
    """The Evaluator of MNIST (from `data_dir`, else where npgan.data.load_mnist looks): validation images
    50,000–60,000 of the training split, the 10,000 test digits, MNIST's classifier."""

    def __init__(self, data_dir=None, backend="numpy", classifier=None, classifier_path=None, log=None):
        from npgan.evaluation.realdata import load_real_data
        super().__init__(load_real_data("mnist", data_dir), backend, classifier, classifier_path, log)
