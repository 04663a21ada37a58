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
# # 02 · Algorithm 1 in one dimension
#
# Goodfellow et al. (2014) draw their argument in one dimension (Figure 1): data x ~ p_data, a generator
# x = G(z) that pushes uniform noise z onto the x axis, and a discriminator D(x) that tells the two apart.
# Here we run their **Algorithm 1** on exactly that picture and measure what the theory promises:
#
# * for a fixed G the best discriminator is **D\*(x) = p_data(x) / (p_data(x) + p_g(x))** (Proposition 1);
# * **C(G) = max_D V(D, G) = −log 4 + 2·JSD(p_data ‖ p_g)** (Theorem 1), so at the end, when p_g = p_data,
#   D = ½ everywhere and **V(D, G) = −log 4 ≈ −1.386**.
#
# First two exercises: the two pieces of arithmetic inside every iteration of Algorithm 1.

# %%
import os

# The matrices here are tiny (at most 256 × 64): one BLAS thread is as fast as two and does not slow to a
# crawl when the machine is busy (measured: 4× faster on a loaded 2-core machine). Set before NumPy is
# imported — and so before the matplotlib magic below, which imports it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %matplotlib inline
import time

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Image, display

import npgan
from npgan import course, nn, optim
from npgan import theory as T
from npgan.data import toy
from npgan.gan import GANTrainer
from npgan.theory import figure1
from npgan.viz import smooth

LOG4 = float(np.log(4.0))


def show(fig):
    """Draw a figure inline and release it."""
    display(fig)
    plt.close(fig)


# %% [markdown]
# ## Exercise: the discriminator's loss gradient, from logits
#
# D outputs a logit a, D(x) = σ(a). Its step *ascends* (1/m) Σ [log D(x) + log(1 − D(G(z)))], i.e. it
# descends the loss
#
# L_D = −(1/m) Σᵢ log σ(a_real,i) − (1/m) Σᵢ log(1 − σ(a_fake,i)).
#
# Written with softplus(t) = log(1 + eᵗ): −log σ(a) = softplus(−a) and −log(1 − σ(a)) = softplus(a), which
# stay finite at any logit (log σ(a) would round to log 0 = −∞ for a very negative a). Differentiate:
# softplus′(t) = σ(t). Return ∂L_D/∂a_real and ∂L_D/∂a_fake (each shaped like its logits, (m, 1)).

# %%
# EXERCISE: discriminator_loss_grad
def discriminator_loss_grad(real_logits, fake_logits):
    """Gradients of L_D = mean softplus(−a_real) + mean softplus(a_fake): (g_real, g_fake)."""
    ### BEGIN SOLUTION
    sigmoid = lambda a: 0.5 * np.tanh(0.5 * a) + 0.5
    return (sigmoid(real_logits) - 1.0) / len(real_logits), sigmoid(fake_logits) / len(fake_logits)
    ### END SOLUTION


# %%
print(course.check("discriminator_loss_grad", discriminator_loss_grad))

# %% [markdown]
# ## Exercise: one SGD-momentum update
#
# The paper trains with momentum. npgan (like PyTorch) keeps a velocity v per parameter:
# **v ← μ v + g, then p ← p − lr · v** (starting from v = 0, the first step is plain SGD).
# Return the new parameter and the new velocity; don't modify the inputs' meaning — return arrays.

# %%
# EXERCISE: sgd_momentum_update
def sgd_momentum_update(p, g, v, lr, momentum):
    """One step of SGD with momentum: returns (p_new, v_new)."""
    ### BEGIN SOLUTION
    v = momentum * v + g
    return p - lr * v, v
    ### END SOLUTION


# %%
print(course.check("sgd_momentum_update", sgd_momentum_update))

# %% [markdown]
# ## The problem and the nets
#
# p_data = N(2, 0.5²); z ~ U[−1, 1]; G and D are 1 → 64 → 64 → 1 LeakyReLU(0.2) networks (D outputs a
# logit). Algorithm 1 with **k = 5** discriminator steps per generator step keeps D close to D\*, the
# regime the theory describes. Adam (β₁ = ½) trains both, as in `examples/gaussian_1d.py`.

# %%
MEAN, STD, WINDOW = 2.0, 0.5, (-1.0, 5.0)
GRID = np.linspace(-6.0, 10.0, 801)  # where densities and D are measured: wide, so no mass is lost
STEPS, K, M, HIDDEN = 2000, 5, 256, 64


def mlp(hidden):
    return nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, 1))


npgan.manual_seed(0)
G, D = mlp(HIDDEN), mlp(HIDDEN)
trainer = GANTrainer(G, D, optim.Adam(G.parameters(), lr=5e-4, betas=(0.5, 0.999)),
                     optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999)), z_dim=1, k=K, noise="uniform")
real = toy.batches(toy.gaussian_1d, M, npgan.get_rng("host"), mean=MEAN, std=STD)

# %% [markdown]
# ## Measuring a snapshot
#
# On the grid: p_data exactly; p_g as a kernel density estimate of G on 1,000 evenly spaced z;
# D from its logits; D\* from Proposition 1; and the three numbers of Theorem 1. V(D, G) is integrated
# from the logits a, with log D = −softplus(−a) and log(1 − D) = −softplus(a).

# %%
Z_EVEN = (-1.0 + (2.0 * np.arange(1000) + 1.0) / 1000).astype(np.float32)[:, None]  # a stratified U[−1, 1]
Z_LINES = np.linspace(-1.0, 1.0, 21)  # the arrows z → G(z) of Figure 1


def snapshot(iteration):
    with npgan.no_grad():
        xs = G(Z_EVEN)[:, 0]
        a = D(GRID.astype(np.float32)[:, None])[:, 0].astype(np.float64)
        x_lines = G(Z_LINES.astype(np.float32)[:, None])[:, 0].astype(np.float64)
    p_data = T.gaussian_pdf(GRID, MEAN, STD)
    p_g = T.gaussian_kde(xs, GRID, bandwidth=0.04)
    return {"iteration": iteration, "x": GRID, "p_data": p_data, "p_g": p_g,
            "d": 0.5 * np.tanh(0.5 * a) + 0.5, "d_star": T.optimal_discriminator(p_data, p_g),
            "z_lines": Z_LINES, "x_lines": x_lines,
            "jsd": T.js_divergence(p_data, p_g, GRID),
            "value": T.integrate(-p_data * np.logaddexp(0.0, -a) - p_g * np.logaddexp(0.0, a), GRID),
            "c_g": T.virtual_training_criterion(p_data, p_g, GRID)}


# %% [markdown]
# ## Algorithm 1
#
# `trainer.iteration` is one pass of the paper's loop: k times {m noise vectors, m real examples, ascend
# D's objective}, then {m noise vectors, descend G's}. Its per-iteration statistics stay in a list until
# `pop_records()`.

# %%
measure_at = sorted(set([0, 10, 20, 40, 80, 160, 240, 320, 500, 750, 1000, 1500, STEPS]))
panels_at = [0, 40, 240, STEPS]
snaps, records = [snapshot(0)], []
started = time.perf_counter()
for iteration in range(1, STEPS + 1):
    trainer.iteration(real)
    if iteration in measure_at:
        records += trainer.pop_records()
        snaps.append(snapshot(iteration))
        if iteration in (160, 500, 1000, STEPS):
            s = snaps[-1]
            print(f"iteration {iteration:5d}  JSD {s['jsd']:.4f}  V(D,G) {s['value']:+.4f}  C(G) {s['c_g']:+.4f}")
print(f"{STEPS} iterations in {time.perf_counter() - started:.1f} s")

# %% [markdown]
# ## Figure 1, measured
#
# Panels (a)–(d) as the paper draws them: black dots p_data, green p_g, blue dashes D, the thin blue line
# D\*; below each, the arrows from z to x = G(z) (where the heads crowd, p_g is high). In (a) the untrained
# G squeezes all of [−1, 1] into a narrow spike near 0 and D is nearly flat; by (b) D has tilted towards
# the data and G, following D's gradient, has moved onto them; in (c) G spreads out over p_data; in (d)
# p_g ≈ p_data and D ≈ ½ where the data are.

# %%
by_iteration = {s["iteration"]: s for s in snaps}
display(Image(filename=figure1.save_panels([by_iteration[i] for i in panels_at], "figure1_panels.png", WINDOW)))

# %% [markdown]
# ## D against D\*
#
# Proposition 1 says what D *should* be for the current G. With k = 5 steps per generator step, the
# network D tracks it closely where there is mass; far from both densities D\* is undefined (0/0, we
# set ½) and D is free to be anything — it does not matter, V does not see it there.

# %%
weights = lambda s: 0.5 * (s["p_data"] + s["p_g"])
gap = [T.integrate(weights(s) * np.abs(s["d"] - s["d_star"]), GRID) for s in snaps]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.8))
last = snaps[-1]
inside = (GRID >= WINDOW[0]) & (GRID <= WINDOW[1])
ax1.plot(GRID[inside], last["d"][inside], "b--", label="D (network)")
ax1.plot(GRID[inside], last["d_star"][inside], "b-", lw=0.7, label="D* = p_data / (p_data + p_g)")
ax1.plot(GRID[inside], last["p_data"][inside], "k.", ms=2, label="p_data")
ax1.plot(GRID[inside], last["p_g"][inside], "g-", label="p_g")
ax1.set_title(f"iteration {last['iteration']}")
ax1.legend(fontsize=8)
ax2.plot([s["iteration"] for s in snaps], gap, "o-")
ax2.set_xlabel("iteration")
ax2.set_ylabel(r"$\int \frac{p_{data}+p_g}{2}\,|D - D^*|\,dx$")
ax2.set_title("how far D is from the best discriminator")
show(fig)

# %% [markdown]
# ## V(D, G) against −log 4
#
# Three numbers per snapshot: V(D, G) with the network D; C(G) = V(D\*, G) = −log 4 + 2 JSD, the best any
# D could do (so V ≤ C(G)); and the minibatch estimate −L_D that Algorithm 1 computes anyway (averaged
# over the iterations since the previous snapshot). All three fall to −log 4 as p_g → p_data.

# %%
iterations = [s["iteration"] for s in snaps]
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(iterations, [s["value"] for s in snaps], "o-", label="V(D, G), network D, on the grid")
ax.plot(iterations, [s["c_g"] for s in snaps], "s-", label="C(G) = −log 4 + 2 JSD")
ax.plot([r["iteration"] for r in records][24:], smooth([r["value"] for r in records], 25), lw=0.8, alpha=0.8,
        label="minibatch estimate −L_D (moving average of 25)")
ax.axhline(-LOG4, color="gray", ls=":", label="−log 4")
ax.set_xscale("symlog", linthresh=10)
ax.set_xlim(0, STEPS)
ax.set_xlabel("iteration")
ax.set_ylabel("value")
ax.legend(fontsize=8)
show(fig)
print(f"at the end: V(D, G) = {last['value']:+.4f}, C(G) = {last['c_g']:+.4f}, JSD = {last['jsd']:.4f}; "
      f"−log 4 = {-LOG4:+.4f}")

# %% [markdown]
# Things to try: `loss="minimax"` in the GANTrainer (notebook 03 shows why it starts slowly), k = 1, or a
# two-mode p_data (`toy.mixture_1d`) — watch G stretch across the gap.
