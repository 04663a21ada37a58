# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Judging a GAN
#
# A GAN has no loss that says how good its samples are: D's loss hovers around log 4 whether G draws
# digits or mush. So we measure the samples. This notebook computes, for a briefly trained GAN and for a
# few "models" whose answer we know in advance,
#
# * **FID**, the Fréchet distance between Gaussians fitted to classifier features of samples and of the
#   test set: ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) (lower is better, 0 for the same distribution);
# * the **classifier score** exp(E_x KL(p(y|x) ‖ p(y))), between 1 and 10 (the Inception score's MNIST
#   twin: confident *and* varied predictions score high);
# * **mode coverage**: how many of the 10 digits get at least 2 % of the samples;
# * the paper's **Parzen-window log-likelihood** — and why it misleads;
# * **nearest training neighbours**, which catch what none of the above can: copying.
#
# All of it is `npgan.evaluation.metrics` and `npgan.evaluation.classifier`; the features come from npgan's own MNIST MLP, so
# FID values here are comparable only with other FIDs from the same classifier.

# %%
import os

# One BLAS thread: on a busy 2-core machine OpenBLAS's second thread mostly spins (see notebook 03).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %matplotlib inline
import itertools
import time

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display

import npgan
from npgan import backend as B
from npgan import optim, viz
from npgan.data import Batches, load_mnist, train_validation_split
from npgan.evaluation import metrics
from npgan.evaluation.classifier import MnistClassifier, train_classifier
from npgan.gan import GANTrainer, presets

started_notebook = time.perf_counter()
BACKEND = B.resolve_backend()  # $NPGAN_BACKEND (cupy on a GPU), else numpy; the metrics run on the host


def show(fig):
    """Draw a figure inline and release it."""
    display(fig)
    plt.close(fig)


# %% [markdown]
# ## Data and the classifier
#
# The paper's split: training images 0–50,000 train, 50,000–60,000 are held out (validation). The
# classifier behind FID, score and coverage is `npgan.evaluation.classifier.MnistClassifier` (784 → 512 → 256 → 10,
# dropout). Its full recipe (30 epochs, ≈ 98.5 % test accuracy, `python examples/train_classifier.py`)
# takes a minute or two on a CPU; to keep this notebook short **we train it for 3 epochs only** (≈ 97 %)
# and cache it in the scratch folder `scratch/` beside the notebook (git ignores it). The metrics below are therefore those
# of this quick classifier — fine for comparing the candidates with one another, not for quoting.

# %%
split = load_mnist("train")
test_x, test_y = load_mnist("test")
(train_x, train_y), (val_x, val_y) = train_validation_split(*split)
print(f"{len(train_x)} train / {len(val_x)} validation / {len(test_x)} test images from {split.source}")

os.makedirs("scratch", exist_ok=True)  # what this notebook writes; one classifier per data source
CLASSIFIER = os.path.join("scratch", f"mnist_classifier_quick_{split.source}.npz")
if os.path.exists(CLASSIFIER):
    clf = MnistClassifier.load(CLASSIFIER, backend=BACKEND)
else:
    clf = train_classifier(train_x, train_y, test=(test_x, test_y), epochs=3, backend=BACKEND)
    clf.save(CLASSIFIER)
print(f"classifier test accuracy {clf.accuracy(test_x, test_y):.4f}")
test_stats = metrics.gaussian_stats(clf.embed(test_x)[0])

# %% [markdown]
# ## A GAN to judge
#
# The `slides` preset trained for 400 iterations (under two epochs) — long enough for digit-like strokes,
# far from converged. (`examples/mnist_gan.py` trains it properly: 15 epochs, about three and a half minutes.)

# %%
npgan.manual_seed(0)
recipe = presets.recipe("slides")
G, D = presets.build(recipe)
G.to(BACKEND)
D.to(BACKEND)
trainer = GANTrainer(G, D, optim.Adam(G.parameters(), lr=recipe.lr, betas=recipe.betas),
                     optim.Adam(D.parameters(), lr=recipe.lr, betas=recipe.betas), z_dim=recipe.z_dim,
                     noise=recipe.noise)
batches = Batches(train_x, batch_size=recipe.batch_size, backend=BACKEND)
real = (batches.next_batch() for _ in itertools.count())
started = time.perf_counter()
for _ in range(400):
    trainer.iteration(real)
print(f"400 iterations in {time.perf_counter() - started:.1f} s on {BACKEND}")
G.eval()
with npgan.no_grad():
    gan_samples = B.to_cpu(G(trainer.noise_batch(2000)))  # host float32 (2000, 784), like the data

# %% [markdown]
# ## The candidates
#
# Besides the GAN, four "models" with known flaws, 2,000 samples each (fewer on the offline subset, whose
# validation split holds 667 digits: the cell says how many):
#
# * **held-out digits**: validation images — real data the classifier never saw: the best any model can do;
# * **copies of training digits**: a perfect memoriser, which has learnt nothing beyond its training set;
# * **only 0–4**: real digits from half the classes — perfect quality, half the modes dropped;
# * **noisy digits**: real digits plus Gaussian noise (σ = 0.25), clipped to [0, 1].

# %%
N = min(2000, len(val_x) // 2)  # held-out and noisy digits are two disjoint slices of the validation split
print(f"{N} samples per candidate" + ("" if N == 2000 else f" (the validation split holds {len(val_x)} digits)"))
rng = np.random.default_rng(0)
candidates = {
    "GAN (400 iterations)": gan_samples[:N],
    "held-out digits": val_x[:N],
    "copies of training digits": train_x[rng.choice(len(train_x), N, replace=False)],
    "only 0-4": train_x[np.flatnonzero(train_y < 5)[:N]],
    "noisy digits": np.clip(val_x[N:2 * N] + 0.25 * rng.standard_normal((N, 784)).astype(np.float32), 0.0, 1.0),
}
fig, axes = plt.subplots(1, len(candidates), figsize=(3.2 * len(candidates), 3.4))
for ax, (name, images) in zip(axes, candidates.items()):
    ax.imshow(viz.image_grid(images[:25], nrow=5), cmap="gray", vmin=0, vmax=1)
    ax.set_title(name, fontsize=9)
    ax.axis("off")
show(fig)

# %% [markdown]
# ## FID, score and coverage

# %%
results = {}
for name, images in candidates.items():
    features, probs = clf.embed(images)
    results[name] = metrics.classifier_metrics(features, probs, test_stats)
print(f"{'':>27} {'FID':>8} {'score':>7} {'classes':>8} {'entropy':>8}")
for name, r in results.items():
    print(f"{name:>27} {r['fid']:8.2f} {r['classifier_score']:7.2f} {r['classes_covered']:8d} "
          f"{r['class_entropy']:8.3f}")

# %% [markdown]
# Read the rows against what we know. FID ranks the GAN behind real digits, and punishes both the dropped
# modes (its means move) and the noise (the features of noisy digits shift). The classifier score sees the
# dropped modes (p(y) covers 5 classes, so the score stays near 5) and coverage names them. But **the
# memoriser scores like real data on all three**: each of these metrics compares *distributions*, and a
# copy of the training set has the right one.
#
# ## The Parzen-window estimate, and why it misleads
#
# The paper's Table 1 fits a Gaussian kernel density to the samples, picks the width σ on validation
# images, and reports the mean log-likelihood of test images (`metrics.parzen_estimate`). In 784
# dimensions a kernel estimate from a few thousand points is dominated by how close the nearest sample
# happens to fall to each test digit. Two measurements show it: the estimate keeps rising with the number
# of samples M even for real data (it is biased low at any practical M, so numbers at different M cannot
# be compared), and blurry averages can beat real digits (Theis, van den Oord & Bethge, 2016): below,
# the k-means centroids of training digits, a "model" no one would call good, against real ones.

# %%
def parzen(images, n_val=500, n_test=500):
    return metrics.parzen_estimate(images, val_x[-n_val:], test_x[:n_test])


def kmeans(x, k, iterations=10, seed=0):
    """Lloyd's algorithm: k centroids of the rows of x (the means of their nearest rows)."""
    centres = x[np.random.default_rng(seed).choice(len(x), k, replace=False)].copy()
    for _ in range(iterations):
        d = (x * x).sum(1)[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(1)[None, :]
        nearest = d.argmin(axis=1)
        for j in range(k):
            members = x[nearest == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    return centres


sizes = [100, 300, 1000, 3000]
real_curve = [parzen(train_x[:m])["mean"] for m in sizes]
n_fit = min(10000, len(train_x) - 300)  # the centroids' digits, then 300 others (the subset has 3,333)
centroids = kmeans(train_x[:n_fit], 300)
table = {"real training digits (300)": parzen(train_x[n_fit:n_fit + 300]),
         f"k-means centroids of {n_fit:,} digits (300)": parzen(centroids),
         "GAN samples (300)": parzen(gan_samples[:300])}
for name, p in table.items():
    print(f"{name:>42}: {p['mean']:8.1f} ± {p['sem']:.1f} nats  (σ = {p['sigma']:.3f})")

fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(sizes, real_curve, "o-", label="real training digits")
ax.set_xscale("log")
ax.set_xlabel("number of samples M in the kernel estimate")
ax.set_ylabel("mean test log-likelihood (nats)")
ax.set_title("Parzen estimate of real data against M")
ax.legend()
show(fig)

# %% [markdown]
# The same data get a different "log-likelihood" at every M — it climbs by well over a hundred nats from
# M = 100 to 3,000 — and at equal M the blurry centroids beat real digits by a wide margin: the estimate
# rewards being *near* test points in L2, which an average of many digits is, more than being a digit.
# Report Parzen numbers only beside the paper's, never as evidence of quality.
#
# ## Nearest training neighbours
#
# The one thing no distribution-level metric can see is copying. For each sample, find the closest
# training image in L2 and compare the distances with those of held-out real digits (which were never in
# the training set, so their distances are what "new but realistic" looks like).

# %%
def nearest_training(images, batch=500):
    """(index, distance) of the nearest training image (of the 50,000; 3,333 on the subset) to each row, in L2."""
    sq = (train_x * train_x).sum(1)
    index, distance = [], []
    for start in range(0, len(images), batch):
        x = images[start:start + batch]
        d = (x * x).sum(1)[:, None] - 2.0 * x @ train_x.T + sq[None, :]
        j = d.argmin(axis=1)
        index.append(j)
        distance.append(np.sqrt(np.maximum(d[np.arange(len(x)), j], 0.0)))
    return np.concatenate(index), np.concatenate(distance)


neighbours = {name: nearest_training(candidates[name][:500])
              for name in ("GAN (400 iterations)", "held-out digits", "copies of training digits")}
fig, (ax_hist, ax_pairs) = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1, 1.4]})
for name, (_, distance) in neighbours.items():
    ax_hist.hist(distance, bins=40, range=(0, 12), histtype="step", lw=1.5, label=name)
ax_hist.set_xlabel("L2 distance to the nearest training image")
ax_hist.set_ylabel("samples")
ax_hist.legend(fontsize=8)
index, _ = neighbours["GAN (400 iterations)"]
pairs = np.concatenate([gan_samples[:10], train_x[index[:10]]])
ax_pairs.imshow(viz.image_grid(pairs, nrow=10), cmap="gray", vmin=0, vmax=1)
ax_pairs.set_title("top: GAN samples; bottom: their nearest training images", fontsize=9)
ax_pairs.axis("off")
show(fig)
for name, (_, distance) in neighbours.items():
    print(f"{name:>27}: median distance {np.median(distance):.2f}")
print(f"\nthe whole notebook ran in {time.perf_counter() - started_notebook:.0f} s")

# %% [markdown]
# The memoriser sits at distance 0; held-out digits and a GAN that generalises sit well away from it. A
# GAN whose distances piled up near 0 would be copying, whatever its FID. Read the metrics together:
# FID for overall fit, score and coverage for modes, nearest neighbours for copying, and samples with your
# own eyes — and the Parzen number only beside the paper's.
