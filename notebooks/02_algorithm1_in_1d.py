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
# # 02 · Algorithm 1 in one dimension, with your own pieces
#
# Goodfellow et al. (2014) draw their argument in one dimension (Figure 1): data x ~ p_data, a generator
# x = G(z) that pushes noise z onto the x axis, and a discriminator D(x) that tells the two apart. In this
# notebook you write every piece of one iteration of their **Algorithm 1** — D's loss and its gradient,
# G's two losses, the backward passes through D and through a frozen D into G, the Adam update — then a
# loop made of nothing but your functions trains the GAN, and you measure what the theory promises:
#
# * for a fixed G the best discriminator D\* (Proposition 1), and
# * C(G) = max_D V(D, G), whose minimum, reached when p_g = p_data, is −log 4 (Theorem 1).
#
# If your pieces are right, the value V(D, G) ends within 0.01 of −log 4 ≈ −1.386; if one sign is wrong, it
# does not, and `python -m npgan.course grade` names the piece. The nets are npgan's (their layers'
# forward and backward you checked in notebook 01).
#
# Read alongside: [docs/theory.md](../docs/theory.md) (D\*, C(G) and the saturation, with numbers),
# [docs/backprop.md](../docs/backprop.md#binary-cross-entropy-on-logits-and-the-gan-objectives) (the GAN
# objectives' gradients) and [docs/figure1.md](../docs/figure1.md) (the same 1-D GAN as a script, and
# what each panel shows).
#
# **Exercises** are the cells that begin with `# EXERCISE:`; the cell after each checks it (a wrong answer
# gets a hint), and a collapsed cell after that holds the derivation — open it once your check passes.
# The checks here use small inputs; the grader also runs hidden ones (other seeds and shapes, unequal
# batch sizes, very confident logits).

# %%
import os

# The matrices here are tiny (at most 512 × 64): one BLAS thread is as fast as two and does not slow to a
# crawl when the machine is busy. Set before NumPy is imported (the matplotlib magic below imports it).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %matplotlib inline
import time
from statistics import NormalDist

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Image, display

import npgan
from npgan import course, nn
from npgan import theory as T
from npgan.data import toy
from npgan.theory import figure1
from npgan.viz import smooth

LOG4 = float(np.log(4.0))


def show(fig):
    """Draw a figure inline and release it."""
    display(fig)
    plt.close(fig)


# %% [markdown]
# ## 1. D's loss, from its logits
#
# D ends in a logit a, and D(x) = σ(a) = 1/(1 + e⁻ᵃ). Its step *ascends*
# (1/m) Σᵢ [log D(xᵢ) + log(1 − D(G(zᵢ)))] — equivalently, it descends the loss
#
# L_D = −(1/m_real) Σᵢ log σ(a_real,i) − (1/m_fake) Σᵢ log(1 − σ(a_fake,i)).
#
# Derive, before you write:
#
# 1. Write −log σ(a) and −log(1 − σ(a)) with softplus(t) = log(1 + eᵗ). (One line of algebra each; what
#    is 1 − σ(a) in terms of σ?)
# 2. What is softplus′(t)? Then ∂L_D/∂a_real,i and ∂L_D/∂a_fake,i.
# 3. Why not compute log(sigmoid(a))? Try `np.log(1 / (1 + np.exp(-(-40.0))))` against
#    `-np.logaddexp(0, 40.0)` — a confident D has logits like these.
#
# Return the loss (a number) and the two gradients, each shaped like its logits ((m_real, 1) and
# (m_fake, 1); the two batches need not be the same size). Keep the logits' dtype (use Python floats).

# %%
# EXERCISE: discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    """L_D from D's logits on real rows (m_real, 1) and fake rows (m_fake, 1): (loss, g_real, g_fake)."""
    ### BEGIN SOLUTION
    sigmoid = lambda a: 0.5 * np.tanh(0.5 * a) + 0.5  # σ, without overflow
    loss = np.logaddexp(0.0, -real_logits).mean() + np.logaddexp(0.0, fake_logits).mean()
    return loss, (sigmoid(real_logits) - 1.0) / len(real_logits), sigmoid(fake_logits) / len(fake_logits)
    ### END SOLUTION


# %%
print(course.check("discriminator_loss", discriminator_loss))

# %% [markdown]
# <details><summary>The derivation (open after your check passes)</summary>
#
# 1 − σ(a) = σ(−a), and 1/σ(a) = 1 + e⁻ᵃ, so −log σ(a) = log(1 + e⁻ᵃ) = softplus(−a) and
# −log(1 − σ(a)) = −log σ(−a) = softplus(a). So L_D = mean softplus(−a_real) + mean softplus(a_fake).
# softplus′(t) = eᵗ/(1 + eᵗ) = σ(t), hence ∂L_D/∂a_real,i = −σ(−a_real,i)/m_real = (σ(a_real,i) − 1)/m_real and
# ∂L_D/∂a_fake,i = σ(a_fake,i)/m_fake. In float64 σ(40) rounds to exactly 1, and log(1 − 1) = −inf; softplus,
# `np.logaddexp(0, t)`, never rounds that way.
# </details>
#
# ## 2. G's two losses
#
# G never sees the data: its loss is a function of D's logits a on its fakes, D(G(z)) = σ(a).
#
# * **Minimax** — the game of equation (1): G *descends* (1/m) Σ log(1 − D(G(zᵢ))).
# * **Non-saturating** — the paper's fix (Section 3): G *descends* −(1/m) Σ log D(G(zᵢ)).
#
# Derive ∂/∂aᵢ of each, using part 1. Then: what does each tend to as D(G(z)) → 0, that is, when D rejects
# the fakes with confidence (early in training)? Both functions return (loss, g_fake).

# %%
# EXERCISE: minimax_generator_loss
def minimax_generator_loss(fake_logits):
    """G's minimax loss mean log(1 − σ(a)) and its gradient with respect to the logits (m, 1)."""
    ### BEGIN SOLUTION
    sigmoid = 0.5 * np.tanh(0.5 * fake_logits) + 0.5
    return -np.logaddexp(0.0, fake_logits).mean(), -sigmoid / len(fake_logits)
    ### END SOLUTION


# %%
print(course.check("minimax_generator_loss", minimax_generator_loss))

# %%
# EXERCISE: non_saturating_generator_loss
def non_saturating_generator_loss(fake_logits):
    """G's non-saturating loss −mean log σ(a) and its gradient with respect to the logits (m, 1)."""
    ### BEGIN SOLUTION
    sigmoid = 0.5 * np.tanh(0.5 * fake_logits) + 0.5
    return np.logaddexp(0.0, -fake_logits).mean(), (sigmoid - 1.0) / len(fake_logits)
    ### END SOLUTION


# %%
print(course.check("non_saturating_generator_loss", non_saturating_generator_loss))
a = np.array([[-6.0], [0.0], [6.0]])  # D's logit on three fakes: rejected, undecided, fooled
print("D(G(z))                     ", (0.5 * np.tanh(0.5 * a) + 0.5).ravel().round(4))
print("minimax        m · ∂L/∂a    ", (3 * minimax_generator_loss(a)[1]).ravel().round(4))
print("non-saturating m · ∂L/∂a    ", (3 * non_saturating_generator_loss(a)[1]).ravel().round(4))

# %% [markdown]
# <details><summary>The derivation</summary>
#
# Minimax: log(1 − σ(a)) = −softplus(a), so ∂/∂a = −σ(a)/m = −D(G(z))/m → 0 as D(G(z)) → 0: when D rejects a
# fake, that fake gives G (almost) no gradient — the loss *saturates*. Non-saturating: −log σ(a) =
# softplus(−a), so ∂/∂a = (σ(a) − 1)/m → −1/m: the strongest signal exactly where G is worst. Both are
# negative: descending either raises a, making the fakes look more real. Notebook 03 measures what this
# does to training.
# </details>
#
# ## 3. Backpropagating through the nets
#
# npgan's nets follow one contract: `y = net(x)` keeps what backward needs (one cache per forward), and
# `gx = net.backward(gy)` returns ∂L/∂x for gy = ∂L/∂y and **adds** ∂L/∂θ into each parameter's `.grad`
# (`net.zero_grad()` clears them). A parameter with `p.requires_grad = False` gets no gradient — its
# backward still returns gx. A net called twice before one backward refuses (its cache holds one call).
#
# **D's step.** Write the backward pass of L_D through D for a batch of real rows and a batch of fakes:
# D's gradient must end up in its parameters' `.grad`. The loss function is an argument — in the training
# below it is your `discriminator_loss`. Return the loss. How do you get both batches through D with one
# forward? (The batches can differ in size.)
#
# **G's step.** G's loss depends on θ_G only through x = G(z): ∂L/∂θ_G = (∂x/∂θ_G)ᵀ ∂L/∂x, and ∂L/∂x is
# what D's backward returns when it is fed ∂L/∂a. D must not learn in G's step: its `.grad` must keep what
# its own step left (and no time should go into computing D's weight gradients). Return G's loss; G's
# gradient must end up in G's `.grad`, and D must be trainable again afterwards.

# %%
# EXERCISE: discriminator_backward
def discriminator_backward(D, real, fake, discriminator_loss):
    """Backpropagate D's loss on real (m_real, d) and fake (m_fake, d) rows into D's .grad; return the loss."""
    ### BEGIN SOLUTION
    m = len(real)
    logits = D(np.concatenate([real, fake]))  # one forward, one cache, one backward
    loss, g_real, g_fake = discriminator_loss(logits[:m], logits[m:])
    D.backward(np.concatenate([g_real, g_fake]), need_input_grad=False)
    return loss
    ### END SOLUTION


# %%
print(course.check("discriminator_backward", discriminator_backward))

# %%
# EXERCISE: generator_backward
def generator_backward(G, D, z, generator_loss):
    """Backpropagate G's loss on the fakes G(z) through a frozen D into G's .grad; return the loss."""
    ### BEGIN SOLUTION
    fake = G(z)
    for p in D.parameters():
        p.requires_grad = False  # D's backward then returns ∂L/∂x and leaves D's .grad alone
    try:
        loss, g_logits = generator_loss(D(fake))
        G.backward(D.backward(g_logits), need_input_grad=False)
    finally:
        for p in D.parameters():
            p.requires_grad = True
    return loss
    ### END SOLUTION


# %%
print(course.check("generator_backward", generator_backward))

# %% [markdown]
# <details><summary>The two backward passes</summary>
#
# D: `logits = D(np.concatenate([real, fake]))`, `loss, g_real, g_fake = discriminator_loss(logits[:m],
# logits[m:])` with m = len(real), then `D.backward(np.concatenate([g_real, g_fake]))`. Rows are independent
# in an MLP without BatchNorm, so one forward over both batches is the same maths (npgan's `GANTrainer`
# does the same). G: `fake = G(z)`; set `requires_grad = False` on D's parameters; `loss, g = generator_loss(D(fake))`;
# `G.backward(D.backward(g))`; set them back to True in a `finally:` (an exception must not leave D frozen).
# This is `GANTrainer.generator_step` ([docs/backprop.md](../docs/backprop.md)).
# </details>
#
# ## 4. The optimizer: Adam
#
# The GAN below trains with Adam (Kingma & Ba, 2015), β₁ = ½ as in most GAN recipes. For a parameter p with
# gradient g at step t = 1, 2, … it keeps two running averages, m of g and v of g², both starting at 0:
# m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g². Averages that start at 0 are biased towards 0 in the first
# steps: what factor undoes that (hint: the weights β₁ᵗ⁻ⁱ(1 − β₁) of the gᵢ sum to 1 − β₁ᵗ)? The step is
# lr · m̂ / (√v̂ + ε) with m̂, v̂ the corrected averages — PyTorch's and npgan's convention puts ε outside the
# square root. Return the new p, m and v (don't rely on updating the inputs in place).

# %%
# EXERCISE: adam_update
def adam_update(p, g, m, v, t, lr, beta1, beta2, eps):
    """One Adam step at step number t (1, 2, ...): returns (p_new, m_new, v_new)."""
    ### BEGIN SOLUTION
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * g * g
    m_hat, v_hat = m / (1.0 - beta1 ** t), v / (1.0 - beta2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION


# %%
print(course.check("adam_update", adam_update))

# %% [markdown]
# <details><summary>The update</summary>
#
# m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), p ← p − lr · m̂/(√v̂ + ε). At t = 1, m̂ = g and v̂ = g², so the first step
# is lr · sign(g) (up to ε): Adam's steps have the size of lr whatever the gradient's scale — which matters in
# notebook 03.
# </details>
#
# ## 5. What to measure: D\* and C(G) on a grid
#
# For a fixed G, V(D, G) = ∫ p_data log D + ∫ p_g log(1 − D). Maximise the integrand point by point: at
# one x it is f(y) = a log y + b log(1 − y) with a = p_data(x), b = p_g(x), y = D(x). Where is f′(y) = 0?
# What if a = b = 0 (far from both densities)? Then put D\* back into V to get C(G) = V(D\*, G): where a
# density is 0 its term is 0 (the limit of p log p), and 1 − D\* is best formed without subtracting.
# Densities here are arrays on a grid `x`; integrate with `T.integrate(f, x)` (the trapezoid rule).

# %%
# EXERCISE: optimal_discriminator
def optimal_discriminator(p_data, p_g):
    """D* on a grid, from the two densities on it (same shape)."""
    ### BEGIN SOLUTION
    total = p_data + p_g
    return np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)
    ### END SOLUTION


# %%
# EXERCISE: virtual_training_criterion
def virtual_training_criterion(p_data, p_g, x):
    """C(G) = V(D*, G) for densities on the grid x: a number."""
    ### BEGIN SOLUTION
    total = np.where(p_data + p_g > 0, p_data + p_g, 1.0)
    term = lambda p: np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / total), 0.0)
    return T.integrate(term(p_data) + term(p_g), x)
    ### END SOLUTION


# %%
print(course.check("optimal_discriminator", optimal_discriminator))
print(course.check("virtual_training_criterion", virtual_training_criterion))
x = np.linspace(-10.0, 10.0, 4001)
p_data = T.gaussian_pdf(x, 0.0, 1.0)
for mean in (4.0, 1.0, 0.0):
    p_g = T.gaussian_pdf(x, mean, 1.0)
    print(f"p_g = N({mean}, 1):  C(G) = {virtual_training_criterion(p_data, p_g, x):+.6f}   "
          f"−log 4 + 2 JSD = {-LOG4 + 2 * T.js_divergence(p_data, p_g, x):+.6f}")

# %% [markdown]
# <details><summary>Proposition 1 and Theorem 1</summary>
#
# f′(y) = a/y − b/(1 − y) = 0 at y = a/(a + b), a maximum (f″ < 0): **D\* = p_data/(p_data + p_g)**. Where
# a = b = 0, f ≡ 0 and any D is optimal; npgan (and the check) use ½, "cannot tell", which keeps the logs
# finite. C(G) = ∫ p_data log(p_data/(p_data + p_g)) + ∫ p_g log(p_g/(p_data + p_g)) = −log 4 + 2·JSD(p_data ‖ p_g)
# — the last cell prints both sides. Forming 1 − D\* as p_g/(p_data + p_g) matters: where p_g ≪ p_data,
# the float 1 − D\* is exactly 0 and log 0 = −inf ([docs/theory.md](../docs/theory.md#2-the-optimal-discriminator-proposition-1)).
# </details>
#
# ## 6. Algorithm 1, made of your functions
#
# The problem: p_data = N(2, 0.5²), z ~ N(0, 1), G and D both 1 → 64 → 64 → 1 LeakyReLU(0.2) networks (D
# outputs a logit). **k = 5** discriminator steps per generator step keep D close to D\*, the regime the
# theory describes; minibatches of m = 256; your Adam with β₁ = ½, learning rates 5·10⁻⁴ (G) and 10⁻³ (D),
# decayed linearly to a tenth over the second half, so that the end is not a snapshot of a noisy step.
#
# One line of set-up the paper does not need: **G starts increasing** (its weights made positive: a
# LeakyReLU net with positive weights is an increasing function). A G that starts with a fold maps two
# stretches of z onto the same x; D cannot see which z an x came from, so the fold can stay — with npgan's
# `GANTrainer` and the default start, 5 of seeds 0–7 ended 2,000 iterations with a fold (V(D, G) up to
# 0.013 from −log 4, JSD up to 0.06), while with G started increasing all 8 ended within 0.001 of −log 4.

# %%
MEAN, STD, WINDOW = 2.0, 0.5, (-1.0, 5.0)
GRID = np.linspace(-6.0, 10.0, 801)  # where densities and D are measured: wide, so no mass is lost
STEPS, K, M, HIDDEN, LR_G, LR_D = 2000, 5, 256, 64, 5e-4, 1e-3


def mlp(hidden):
    return nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, 1))


class YourAdam:
    """Adam over a net's parameters, each step made by your adam_update."""

    def __init__(self, params, lr, betas=(0.5, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def step(self):
        self.t += 1
        for i, p in enumerate(self.params):
            p.data[...], self.m[i], self.v[i] = adam_update(p.data, p.grad, self.m[i], self.v[i], self.t, self.lr,
                                                            *self.betas, self.eps)


def algorithm1_iteration(G, D, opt_G, opt_D, real_batches, noise, generator_loss, k=K, m=M):
    """k steps of D, then one of G — every number computed by your functions. Returns the last
    minibatch estimate of V(D, G) (= −L_D) and G's loss."""
    for _ in range(k):
        real = next(real_batches)                   # m examples from p_data
        with npgan.no_grad():                       # D's step does not backpropagate into G
            fake = G(noise(m))                      # m fakes from m noise vectors
        D.zero_grad()
        d_loss = discriminator_backward(D, real, fake, discriminator_loss)
        opt_D.step()                                # ascend V: descend L_D
    G.zero_grad()
    g_loss = generator_backward(G, D, noise(m), generator_loss)
    opt_G.step()                                    # descend G's loss through the frozen D
    return -float(d_loss), float(g_loss)


npgan.manual_seed(0)
G, D = mlp(HIDDEN), mlp(HIDDEN)
for name, p in G.named_parameters():
    if name.endswith("weight"):
        p.data[...] = np.abs(p.data)  # G starts increasing (see above)
opt_G, opt_D = YourAdam(G.parameters(), LR_G), YourAdam(D.parameters(), LR_D)
rng = npgan.get_rng("host")
real = toy.batches(toy.gaussian_1d, M, rng, mean=MEAN, std=STD)
noise = lambda m: rng.standard_normal((m, 1), dtype=np.float32)

# %% [markdown]
# ## Measuring a snapshot
#
# On the grid: p_data exactly; p_g as a kernel density estimate of G on 1,000 stratified z (the normal
# quantiles of 1,000 evenly spaced probabilities); D from its logits; D\* and C(G) by your functions.
# V(D, G) is integrated from the logits a, with log D = −softplus(−a) and log(1 − D) = −softplus(a).
# The arrows of Figure 1 start at 21 evenly spaced probabilities Φ(z) of the normal z: equally spaced
# arrows carry equal probability, as in the paper's uniform picture.

# %%
PROBS = (np.arange(1000) + 0.5) / 1000
Z_EVEN = np.array([NormalDist().inv_cdf(u) for u in PROBS], np.float32)[:, None]
U_LINES = (np.arange(21) + 0.5) / 21
Z_LINES = np.array([NormalDist().inv_cdf(u) for u in U_LINES], np.float32)[:, None]


def snapshot(iteration):
    with npgan.no_grad():
        xs = G(Z_EVEN)[:, 0]
        a = D(GRID.astype(np.float32)[:, None])[:, 0].astype(np.float64)
        x_lines = G(Z_LINES)[:, 0].astype(np.float64)
    p_data = T.gaussian_pdf(GRID, MEAN, STD)
    p_g = T.gaussian_kde(xs, GRID, bandwidth=0.04)
    return {"iteration": iteration, "x": GRID, "p_data": p_data, "p_g": p_g,
            "d": 0.5 * np.tanh(0.5 * a) + 0.5, "d_star": optimal_discriminator(p_data, p_g),
            "z_lines": 2.0 * U_LINES - 1.0, "x_lines": x_lines, "z_ends": ("Φ(z) = 0", "Φ(z) = 1"),
            "jsd": T.js_divergence(p_data, p_g, GRID),
            "value": T.integrate(-p_data * np.logaddexp(0.0, -a) - p_g * np.logaddexp(0.0, a), GRID),
            "c_g": float(virtual_training_criterion(p_data, p_g, GRID))}


# %% [markdown]
# ## Training

# %%
measure_at = sorted(set([0, 10, 20, 40, 80, 160, 240, 320, 500, 750, 1000, 1250, 1500, 1750, STEPS]))
panels_at = [0, 40, 240, STEPS]
snaps, records = [snapshot(0)], []
started = time.perf_counter()
for iteration in range(1, STEPS + 1):
    decay = 1.0 - 0.9 * max(0, iteration - STEPS // 2) / (STEPS - STEPS // 2)
    opt_G.lr, opt_D.lr = LR_G * decay, LR_D * decay
    records.append(algorithm1_iteration(G, D, opt_G, opt_D, real, noise, non_saturating_generator_loss))
    if iteration in measure_at:
        snaps.append(snapshot(iteration))
        if iteration in (160, 500, 1000, STEPS):
            s = snaps[-1]
            print(f"iteration {iteration:5d}  JSD {s['jsd']:.4f}  V(D,G) {s['value']:+.4f}  C(G) {s['c_g']:+.4f}")
print(f"{STEPS} iterations in {time.perf_counter() - started:.1f} s")
last = snaps[-1]
gap = abs(last["value"] + LOG4)
print(f"V(D, G) = {last['value']:+.4f}, {gap:.4f} from −log 4 = {-LOG4:+.4f}: "
      + ("your pieces trained the GAN (within 0.01)." if gap < 0.01 else
         "NOT within 0.01 — one of your pieces is wrong: grade them (python -m npgan.course grade ...)."))

# %% [markdown]
# ## Figure 1, measured
#
# Panels (a)–(d) as the paper draws them: black dots p_data, green p_g, blue dashes D, the thin blue line
# D\*; below each, the arrows from z to x = G(z) (where the heads crowd, p_g is high). What each panel
# shows, and why p_g never matches p_data exactly: [docs/figure1.md](../docs/figure1.md).

# %%
by_iteration = {s["iteration"]: s for s in snaps}
os.makedirs("scratch", exist_ok=True)  # what the notebook writes; git ignores notebooks/scratch/
panels = figure1.save_panels([by_iteration[i] for i in panels_at], os.path.join("scratch", "figure1_panels.png"),
                             WINDOW)
display(Image(filename=panels))

# %% [markdown]
# ## D against D\*
#
# Proposition 1 says what D *should* be for the current G. Left: the last snapshot. Right: the distance
# between D and D\* over training, weighted by where the mass is, ½(p_data + p_g).

# %%
weights = lambda s: 0.5 * (s["p_data"] + s["p_g"])
distance = [T.integrate(weights(s) * np.abs(s["d"] - s["d_star"]), GRID) for s in snaps]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
early = by_iteration[40]
inside = (GRID >= WINDOW[0]) & (GRID <= WINDOW[1])
for snap, style in ((early, ":"), (last, "-")):
    ax1.plot(GRID[inside], snap["d_star"][inside], "b" + style, lw=0.8, label=f"D*, iteration {snap['iteration']}")
    ax1.plot(GRID[inside], snap["d"][inside], "r" + style, lw=1.2, label=f"D, iteration {snap['iteration']}")
ax1.plot(GRID[inside], last["p_data"][inside], "k.", ms=2, label="p_data")
ax1.plot(GRID[inside], last["p_g"][inside], "g-", lw=1, label=f"p_g, iteration {last['iteration']}")
ax1.set_ylim(0.0, 1.05)
ax1.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False)
ax2.plot([s["iteration"] for s in snaps], distance, "o-")
ax2.set_xscale("symlog", linthresh=10)
ax2.set_xlabel("iteration")
ax2.set_ylabel(r"$\int \frac{p_{data}+p_g}{2}\,|D - D^*|\,dx$")
ax2.set_title("how far D is from the best discriminator")
fig.tight_layout()
show(fig)
flat = inside & (last["d_star"] > 0.99)
print(f"iteration {last['iteration']}: D* > 0.99 on {np.mean(flat[inside]):.0%} of the window, where p_g is at most "
      f"{np.max(last['p_g'][flat] / last['p_data'][flat]):.1e} × p_data; D there ranges from "
      f"{last['d'][flat].min():.2f} to {last['d'][flat].max():.2f}")

# %% [markdown]
# With k = 5 steps per generator step, D tracks D\* where the mass is, and the distance on the right falls
# with training. Outside the range of G's outputs, p_g's kernel estimate falls off like exp(−d²/2h²) with a
# bandwidth h = 0.04, far faster than the Gaussian p_data, so there D\* = p_data/(p_data + p_g) = 1 however
# small p_data is: the flat tops of D\* at both ends (the printed line says how far they reach). D does not
# follow them — it has no reason to: V weighs D(x) by p_data and p_g, both negligible there. (Where both
# densities are 0, D\* would be ½ by convention; p_data is positive on the whole grid, so that does not happen
# here.)
#
# ## V(D, G) against −log 4
#
# Three numbers per snapshot: V(D, G) with the network D; C(G) = V(D\*, G) = −log 4 + 2 JSD, the best any
# D could do against this G (so V ≤ C(G)); and the minibatch estimate −L_D that Algorithm 1 computes
# anyway (a moving average over 25 iterations).

# %%
iterations = [s["iteration"] for s in snaps]
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(iterations, [s["value"] for s in snaps], "o-", label="V(D, G), network D, on the grid")
ax.plot(iterations, [s["c_g"] for s in snaps], "s-", label="C(G) = −log 4 + 2 JSD")
ax.plot(np.arange(25, STEPS + 1), smooth([v for v, _ in records], 25), lw=0.8, alpha=0.8,
        label="minibatch estimate −L_D (moving average of 25)")
ax.axhline(-LOG4, color="gray", ls=":", label="−log 4")
ax.set_xscale("symlog", linthresh=10)
ax.set_xlim(0, STEPS)
ax.set_xlabel("iteration")
ax.set_ylabel("value")
ax.legend(fontsize=8)
show(fig)
first = snaps[0]
print(f"iteration 0: V(D, G) = {first['value']:+.4f}, C(G) = {first['c_g']:+.4f}")
print(f"highest V(D, G): {max(s['value'] for s in snaps):+.4f} at iteration "
      f"{max(snaps, key=lambda s: s['value'])['iteration']}")
print(f"at the end: V(D, G) = {last['value']:+.4f}, C(G) = {last['c_g']:+.4f} "
      f"(npgan.theory: {T.virtual_training_criterion(last['p_data'], last['p_g'], GRID):+.4f}), "
      f"JSD = {last['jsd']:.4f}; −log 4 = {-LOG4:+.4f}")

# %% [markdown]
# Read the curves with the printed numbers. C(G) starts well above −log 4 (G's first outputs are spread
# far wider than the data) and falls towards −log 4 as p_g approaches p_data. V(D, G) does not simply fall
# with it: the untrained D is nearly flat, so V starts not far from −log 4, the score of the constant
# D = ½; V climbs while D learns to separate the two densities, and comes back down to −log 4 as p_g
# closes in on p_data — always below C(G), the best any D could score. The minibatch estimate follows V
# (a moving average, so a little late).
#
# **Question 2 (written).** Theorem 1 says that −log 4 is the smallest value C(G) can take. Can V(D, G)
# be below −log 4? Give a discriminator for which it is, for any G. And at the end, V(D, G) is within
# 0.01 of −log 4: what else must hold before you conclude that p_g ≈ p_data (see the k = 1 run in
# [docs/figure1.md](../docs/figure1.md))?
#
# <!-- BEGIN ANSWER -->
# Yes. −log 4 is the minimum over G of C(G) = max_D V(D, G), the value of the *best* D; V(D, G) ≤ C(G) for
# every D and can be anything below it. A constant D = c scores log c + log(1 − c) against any G, which is
# −log 4 at c = ½ and less for every other c (c = ¼: −1.67); a D that is confidently wrong scores far less.
# At the end, V ≈ −log 4 says that D, *as it is*, cannot tell the densities apart; it means p_g ≈ p_data
# only if D is close to D\*, i.e. if C(G) − V(D, G) is small too (here C(G) is within a few thousandths of
# −log 4 and JSD is about 0.001). With k = 1 the network D lags: V reads −log 4 while JSD is still 0.25.
# <!-- END ANSWER -->
#
# Things to try: your `minimax_generator_loss` in the training loop (notebook 03 shows why it starts
# slowly), k = 1, G started without `np.abs` (and count the turns of G(z) over z), or a two-mode p_data
# (`toy.mixture_1d`) — watch G stretch across the gap. Grade yourself:
# `python -m npgan.course grade 02_algorithm1_in_1d.py` (or the `.ipynb`).
