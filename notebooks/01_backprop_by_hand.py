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
# # 01 · Backprop by hand
#
# npgan has no autograd: every layer has a `forward` that keeps what it needs (its *cache*) and a
# `backward` that turns gy = ∂L/∂y into gx = ∂L/∂x and adds ∂L/∂θ into each parameter's `.grad`. In this
# notebook you derive four of them — Linear, LeakyReLU, Sigmoid and BatchNorm — check them with
# `npgan.gradcheck`, see a *wrong* BatchNorm backward that a careless check lets through, and finally chain
# your layers into a two-layer net and train it with nothing but your own backward pass.
#
# **Exercises** are the code cells that begin with `# EXERCISE:`. Write the body of the function (in the
# student version it raises `NotImplementedError`); the cell after it checks your answer on small inputs
# (a wrong answer gets a hint), and a collapsed cell after that holds the derivation — open it once your
# check passes. The grader, `python -m npgan.course grade 01_backprop_by_hand.py`, also runs hidden checks
# (other seeds and shapes). `np` is NumPy.
#
# Read alongside: [docs/backprop.md](../docs/backprop.md) (every layer's backward pass derived, with the
# npgan line that implements it) and [docs/framework.md](../docs/framework.md) (the layer contract and the
# gradient checker).
#
# Shapes: a minibatch has N rows; x is (N, D_in), y is (N, D_out), W is (D_in, D_out) as in CS231n.

# %%
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display

import npgan
from npgan import course, nn
from npgan.gradcheck import away_from_zero, gradcheck

npgan.manual_seed(0)
rng = np.random.default_rng(0)


def show(fig):
    """Draw a figure inline and release it."""
    display(fig)
    plt.close(fig)


# %% [markdown]
# ## 1. Linear: y = x W + b
#
# One element: y[n, j] = Σᵢ x[n, i] W[i, j] + b[j]. Follow each variable to the outputs it touches, and
# sum over them (the chain rule: ∂L/∂v = Σ over the outputs y that v reaches of gy · ∂y/∂v):
#
# * Which outputs does x[n, i] reach, and through which weights? Write ∂L/∂x[n, i] as a sum, then as a
#   matrix product for all of gx at once.
# * Which outputs does W[i, j] reach? (Every row of the batch.) Where does the sum over the batch go?
# * b[j] is added to every row.
#
# A quick way to be sure of a transpose: each gradient has the shape of its variable.

# %%
# EXERCISE: linear_backward
def linear_backward(gy, x, W):
    """y = x W + b. Given gy (N, D_out), x (N, D_in), W (D_in, D_out): return gx, gW, gb."""
    ### BEGIN SOLUTION
    return gy @ W.T, x.T @ gy, gy.sum(axis=0)
    ### END SOLUTION


# %%
print(course.check("linear_backward", linear_backward))

# %% [markdown]
# <details><summary>The derivation (open after your check passes)</summary>
#
# x[n, i] reaches every y[n, j] of its row through W[i, j]: ∂L/∂x[n, i] = Σⱼ gy[n, j] W[i, j], so gx = gy Wᵀ.
# W[i, j] reaches y[n, j] of every row through x[n, i]: ∂L/∂W[i, j] = Σₙ x[n, i] gy[n, j], so gW = xᵀ gy — the
# sum over the batch is inside the matrix product. b[j] is added to every row: gb = Σₙ gy[n, :].
# </details>
#
# The check compares your gradients with **central differences**. It turns the layer into one number,
# f = Σ gy ⊙ y with a random gy (so ∂f/∂y = gy, exactly the backward's input), nudges each input element
# by ±ε and measures (f(θ + ε) − f(θ − ε)) / 2ε, whose error is O(ε²). In float64 with ε = 10⁻⁶ that
# agrees with a correct analytic gradient to about 10⁻⁹. npgan's own `Linear` gets the same treatment:

# %%
layer = nn.Linear(4, 3).double()
x = rng.standard_normal((5, 4))
print(gradcheck(layer, x))

# %% [markdown]
# ## 2. Element-wise activations: ReLU and Sigmoid
#
# An element-wise y = φ(x) has a diagonal Jacobian: gx = gy ⊙ φ′(x). Each layer keeps the cheapest thing
# φ′ can be computed from — for these three, the *output* y is enough:
#
# * ReLU, y = max(x, 0): φ′(x) = [x > 0] = [y > 0], so gx = gy · [y > 0] (npgan's `ReLU` keeps y).
# * LeakyReLU(slope), y = x for x > 0 and slope · x otherwise (D's activation in notebooks 02–04, slope 0.2):
#   what is φ′, and why can it be read off y (slope > 0)?
# * Sigmoid, y = σ(x) = 1/(1 + e⁻ˣ): differentiate, then write σ′(x) with σ(x) alone.
#
# ReLU has a kink at 0: a finite difference straddling it measures the average slope ½, not 0 or 1.
# Checks therefore keep inputs away from 0 — watch what happens when one sits on the kink:

# %%
relu = nn.ReLU().double()
x = away_from_zero(rng.standard_normal((3, 4)))
print("away from the kink:", "passed" if gradcheck(relu, x).passed else "FAILED")
x[0, 0] = 0.0  # exactly on the kink
report = gradcheck(relu, x)
print("one input on the kink:", "passed" if report.passed else "FAILED")
print(report)

# %%
# EXERCISE: leaky_relu_backward
def leaky_relu_backward(gy, y, slope):
    """y = LeakyReLU(x) with the given negative slope (0 < slope < 1). Given gy and y: return gx."""
    ### BEGIN SOLUTION
    return gy * np.where(y > 0, 1.0, slope)
    ### END SOLUTION


# %%
print(course.check("leaky_relu_backward", leaky_relu_backward))

# %%
# EXERCISE: sigmoid_backward
def sigmoid_backward(gy, y):
    """y = σ(x). Given gy and the forward's output y (same shape): return gx. Keep y's dtype."""
    ### BEGIN SOLUTION
    return gy * y * (1.0 - y)
    ### END SOLUTION


# %%
print(course.check("sigmoid_backward", sigmoid_backward))

# %% [markdown]
# <details><summary>The two derivatives</summary>
#
# LeakyReLU: φ′(x) = 1 for x > 0 and slope otherwise; with slope > 0, y > 0 exactly where x > 0, so
# gx = gy · (1 where y > 0, slope elsewhere). Sigmoid: σ′(x) = e⁻ˣ/(1 + e⁻ˣ)² = σ(x) · (1 − σ(x)), so
# gx = gy · y · (1 − y).
# </details>
#
# The grader also feeds float32 arrays and wants float32 back: under NumPy 2, `np.float64(1) - y` would
# silently turn a float32 network into float64 (twice the memory, half the speed). Python floats
# (`1.0 - y`) never upcast.
#
# ## 3. BatchNorm (training mode)
#
# Per feature (column), over the N rows of the batch:
#
# μ = mean(x), σ² = mean((x − μ)²), x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β.
#
# The parameter gradients are as for any affine map: gβ = Σₙ gy and gγ = Σₙ gy ⊙ x̂.
#
# The input gradient is the interesting one, because μ and σ² depend on *every* row: x[n] reaches y[m]
# for all m. Write s = 1/√(σ² + ε) (the cache's `inv_std`) and g = γ ⊙ gy = ∂L/∂x̂. x[n] moves the loss by
# three paths; derive each, then add them:
#
# * directly: x̂[n] = (x[n] − μ) s;
# * through μ: ∂μ/∂x[n] = 1/N, and μ enters every x̂[m];
# * through σ²: ∂σ²/∂x[n] = 2(x[n] − μ)/N, ∂s/∂σ² = −s³/2, and s enters every x̂[m].
#
# Write the sum with means over the batch (axis 0) and the cached x̂. Two facts should fall out, worth
# checking on your formula: Σₙ gx[n] = 0 and Σₙ gx[n] x̂[n] = 0 — why must they hold?

# %%
# EXERCISE: batchnorm_gx
def batchnorm_gx(gy, x_hat, inv_std, gamma):
    """BatchNorm's input gradient. gy, x_hat: (N, C); inv_std = 1/√(σ² + ε), gamma: (C,). Return gx (N, C)."""
    ### BEGIN SOLUTION
    return gamma * inv_std * (gy - gy.mean(axis=0) - x_hat * (gy * x_hat).mean(axis=0))
    ### END SOLUTION


# %%
print(course.check("batchnorm_gx", batchnorm_gx))

# %% [markdown]
# <details><summary>The derivation</summary>
#
# Directly: s · g[n]. Through μ: x̂[m] moves by −s/N for every m, giving −s · mean(g). Through σ²: x̂[m] moves by
# −x̂[m] x̂[n] s/N, giving −s · x̂[n] · mean(g ⊙ x̂). Together gx = γ s (gy − mean(gy) − x̂ · mean(gy ⊙ x̂)). The two
# sums vanish because BatchNorm's output does not change when a feature is shifted or scaled, so the
# gradient has no component along those moves ([docs/backprop.md](../docs/backprop.md)).
# </details>
#
# npgan's `BatchNorm1d`, checked the CS231n way: inputs shifted and scaled (5 · randn + 12), so that a
# backward which forgot the mean or the variance cannot hide behind x̂ ≈ x.

# %%
bn = nn.BatchNorm1d(4).double()
bn.weight.data[...] = rng.standard_normal(4)
bn.bias.data[...] = rng.standard_normal(4)
x = 5.0 * rng.standard_normal((6, 4)) + 12.0
print(gradcheck(bn, x, atol=1e-5, rtol=1e-4))

# %% [markdown]
# ## 4. A broken BatchNorm that a careless check lets through
#
# Here is a BatchNorm whose backward forgets that σ² depends on x: it drops the term
# −x̂ · mean(gy ⊙ x̂). It is a module like any other (a forward that saves its cache, a backward that adds
# parameter gradients), so `gradcheck` can test it.

# %%
class BrokenBatchNorm(nn.Module):
    """Training-mode BatchNorm with a wrong input gradient: gx = γ s (gy − mean(gy)) — no variance term."""

    def __init__(self, features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(np.ones(features))
        self.bias = nn.Parameter(np.zeros(features))

    def forward(self, x):
        inv_std = 1.0 / np.sqrt(x.var(axis=0) + self.eps)
        x_hat = (x - x.mean(axis=0)) * inv_std
        self._save_for_backward(x_hat, inv_std)
        return self.weight.data * x_hat + self.bias.data

    def backward(self, gy, need_input_grad=True):
        x_hat, inv_std = self._saved_for_backward()
        self.weight.accumulate((gy * x_hat).sum(axis=0))
        self.bias.accumulate(gy.sum(axis=0))
        return self.weight.data * inv_std * (gy - gy.mean(axis=0))  # BUG: − x̂ · mean(gy ⊙ x̂) is missing


broken = BrokenBatchNorm(4)
broken.weight.data[...] = rng.standard_normal(4)
x = 5.0 * rng.standard_normal((6, 4)) + 12.0
ones = gradcheck(broken, x, gy=np.ones((6, 4)), atol=1e-5, rtol=1e-4)
random = gradcheck(broken, x, atol=1e-5, rtol=1e-4)
print("seeded with gy = ones: ", "passed" if ones.passed else "FAILED")
print(ones)
print("\nseeded with a random gy (npgan's default):", "passed" if random.passed else "FAILED")
print(random)

# %% [markdown]
# Why does the all-ones check pass? With gy = 1 the scalar it differentiates is
#
# f(x) = Σₙ Σ_c (γ_c x̂[n, c] + β_c) = N Σ_c β_c,
#
# because every column of x̂ sums to 0. f does not depend on x or on γ at all: the true gx and gγ are
# exactly 0, and the broken backward also returns 0 for gy = 1 (gy − mean(gy) = 0). Both sides agree on
# zero, and the check says nothing (its "relative error" column compares two round-off-sized numbers).
# The picture: f along a random direction d, f(x + t·d), is flat with gy = ones and has a slope with a
# random gy — only the second gives a check something to compare.

# %%
bn = nn.BatchNorm1d(4).double()
bn.weight.data[...] = rng.standard_normal(4)
d = rng.standard_normal(x.shape)
gy_random = rng.standard_normal(x.shape)
t = np.linspace(-1.0, 1.0, 81)
with npgan.no_grad():
    f_ones = [np.sum(bn(x + ti * d)) for ti in t]
    f_random = [np.sum(gy_random * bn(x + ti * d)) for ti in t]
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(t, f_ones, label=r"$\sum\, 1 \odot \mathrm{BN}(x + t d)$  (gy = ones)")
ax.plot(t, f_random, label=r"$\sum\, g_y \odot \mathrm{BN}(x + t d)$  (random gy)")
ax.set_xlabel("t (a step along a random direction d of the input)")
ax.set_ylabel("f")
ax.set_title("What a gradient check differentiates")
ax.legend()
show(fig)

# %% [markdown]
# ## 5. Why npgan's checker works the way it does
#
# * **A random upstream gradient.** f = Σ gy ⊙ y with a random gy exercises every output; all ones can
#   hide whole terms (as above) because Σ y can be constant.
# * **Central differences in float64.** The error of (f(θ + ε) − f(θ − ε))/2ε is O(ε²) from the Taylor
#   series plus O(u·|f|/ε) from rounding (u = 10⁻¹⁶ in float64, 10⁻⁷ in float32). In float32 no ε makes
#   both small — `gradcheck` refuses float32 for that reason.
# * **Element by element for small tensors, along random directions for big ones.** A 784×1200 weight
#   matrix would need 2 forward passes per element, almost 1.9 million; along a random unit direction d
#   the directional derivative gᵀd takes 2 and still catches any error that is not orthogonal to d
#   (a random d is orthogonal to a given error with probability 0).
# * **Away from kinks and with frozen randomness.** ReLU inputs sit away from 0, Dropout masks are frozen
#   during the check, BatchNorm uses batch statistics: f must be a smooth, deterministic function.
# * **A relative error per tensor and the worst element,** so a failure says *where* (the CS231n habit).
#
# ## 6. A two-layer net by hand, trained by your backward pass
#
# D in the next notebooks is a multi-layer perceptron that outputs a logit. Here is its smallest version: a
# two-layer net classifying points of the plane,
#
# h = LeakyReLU₀.₂(x W1 + b1),  s = h W2 + b2 (the logit, (N, 1)),  loss = mean(softplus(s) − t·s),
#
# the logistic loss for labels t ∈ {0, 1} (softplus(s) − t·s = −log σ(s) when t = 1 and −log(1 − σ(s))
# when t = 0, written so that it never takes the log of 0). Write the forward pass and then the backward
# pass, layer by layer in reverse, *with your functions above*: first ∂loss/∂s (what is softplus′?), then
# `linear_backward`, `leaky_relu_backward`, `linear_backward`. Return the loss and a dict of gradients with
# the keys of `params`.

# %%
# EXERCISE: two_layer_net
def two_layer_net(params, x, t):
    """Loss and gradients of the two-layer net: params {"W1" (D, H), "b1" (H,), "W2" (H, 1), "b2" (1,)},
    x (N, D), t (N, 1) in {0, 1}. Returns (loss, {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2})."""
    ### BEGIN SOLUTION
    pre = x @ params["W1"] + params["b1"]
    h = np.where(pre > 0, pre, 0.2 * pre)
    s = h @ params["W2"] + params["b2"]
    loss = np.mean(np.logaddexp(0.0, s) - t * s)
    gs = (0.5 * np.tanh(0.5 * s) + 0.5 - t) / len(s)
    gh, gW2, gb2 = linear_backward(gs, h, params["W2"])
    _, gW1, gb1 = linear_backward(leaky_relu_backward(gh, h, 0.2), x, params["W1"])
    return loss, {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2}
    ### END SOLUTION


# %%
print(course.check("two_layer_net", two_layer_net))

# %% [markdown]
# <details><summary>The chain</summary>
#
# softplus′ = σ, so ∂loss/∂s = (σ(s) − t)/N. Then `gh, gW2, gb2 = linear_backward(gs, h, W2)`,
# `gpre = leaky_relu_backward(gh, h, 0.2)` (h > 0 exactly where the pre-activation is) and
# `_, gW1, gb1 = linear_backward(gpre, x, W1)`. The same chain, with more layers, is `D.backward`.
# </details>
#
# Now train it, with nothing but `two_layer_net`: 400 points of the plane drawn from N(0, I), labelled 1
# inside the circle of radius 1.1 (about 45 % of them), 16 hidden units, and plain gradient descent
# (θ ← θ − 1.0 · ∂loss/∂θ) for 1,500 steps. A new sample of 2,000 points measures the accuracy. With
# correct pieces this reached 97–99 % test accuracy on each of six seeds we tried; a single wrong sign
# in your backward pass and the loss goes up instead of down.

# %%
data_rng = np.random.default_rng(0)
inside_circle = lambda p: ((p ** 2).sum(axis=1, keepdims=True) < 1.21).astype(np.float64)
x_train = data_rng.standard_normal((400, 2))
t_train = inside_circle(x_train)
x_test = data_rng.standard_normal((2000, 2))
t_test = inside_circle(x_test)
H = 16
params = {"W1": data_rng.standard_normal((2, H)) / np.sqrt(2), "b1": np.zeros(H),
          "W2": data_rng.standard_normal((H, 1)) / np.sqrt(H), "b2": np.zeros(1)}


def accuracy(params, x, t):
    pre = x @ params["W1"] + params["b1"]
    s = np.where(pre > 0, pre, 0.2 * pre) @ params["W2"] + params["b2"]
    return float(((s > 0) == (t > 0.5)).mean())


losses = []
for step in range(1500):
    loss, grads = two_layer_net(params, x_train, t_train)
    losses.append(float(loss))
    for key in params:
        params[key] = params[key] - 1.0 * grads[key]
test_accuracy = accuracy(params, x_test, t_test)
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; train accuracy {accuracy(params, x_train, t_train):.3f}, "
      f"test accuracy {test_accuracy:.3f}: " + ("your backward pass trained the net." if test_accuracy > 0.95 else
                                               "below 0.95 — grade your functions: one of them is wrong."))
xx, yy = np.meshgrid(np.linspace(-3, 3, 121), np.linspace(-3, 3, 121))
grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
pre = grid @ params["W1"] + params["b1"]
logit = (np.where(pre > 0, pre, 0.2 * pre) @ params["W2"] + params["b2"]).reshape(xx.shape)
fig, (ax_loss, ax_plane) = plt.subplots(1, 2, figsize=(10, 4))
ax_loss.plot(losses)
ax_loss.set_yscale("log")
ax_loss.set_xlabel("gradient-descent step")
ax_loss.set_ylabel("loss")
ax_plane.contourf(xx, yy, logit > 0, levels=[-0.5, 0.5, 1.5], colors=["#fde0dd", "#deebf7"])
ax_plane.scatter(*x_train.T, c=t_train.ravel(), cmap="coolwarm_r", s=6)
ax_plane.add_patch(plt.Circle((0, 0), 1.1, fill=False, ls=":", color="k"))
ax_plane.set_aspect("equal")
ax_plane.set_title("what the net calls 'inside' (blue), the true circle dotted", fontsize=9)
show(fig)

# %% [markdown]
# **Question 1 (written).** In the broken BatchNorm of section 4, the all-ones check passed and the random
# one failed. Give another layer or loss whose wrong backward pass an all-ones upstream gradient would
# let through, and say why. And: if one of your ReLU units had a negative pre-activation on *every*
# training example, what would gradient descent do to its incoming weights, and why does D use a LeakyReLU?
#
# <!-- BEGIN ANSWER -->
# Any layer whose outputs sum to a constant: a softmax (each row sums to 1), or a mean subtraction
# y = x − mean(x). With gy = 1 the scalar checked, Σ y, does not depend on x, so the true gradient is 0,
# and any wrong backward that also gives 0 for gy = 1 passes — a softmax backward written
# p ⊙ (gy − mean(gy)) instead of p ⊙ (gy − Σ p ⊙ gy), say. A random gy tells them apart. A ReLU unit with a negative
# pre-activation everywhere passes gy · 0 back: its incoming weights and bias get zero gradient and never
# change again (a "dead" unit). LeakyReLU passes slope · gy instead, so the unit keeps learning — and D's
# gradient with respect to its input, which is all G learns from, does not vanish where D's units are off.
# <!-- END ANSWER -->
#
# Grade yourself: `python -m npgan.course grade 01_backprop_by_hand.py` (or the `.ipynb`).
