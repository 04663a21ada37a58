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
# `backward` that turns **gy = ∂L/∂y** into **gx = ∂L/∂x** and adds **∂L/∂θ** into each parameter's
# `.grad`. In this notebook you derive three of them — Linear, ReLU/Sigmoid and BatchNorm — check them with
# `npgan.gradcheck`, and then see a *wrong* BatchNorm backward that a careless check lets through.
#
# **Exercises** are the code cells that begin with `# EXERCISE:`. Write the body of the function (in the
# student version it raises `NotImplementedError`); the cell after it checks your answer. `np` is NumPy.
# The grader runs only those cells: `python -m npgan.course grade 01_backprop_by_hand.py`.
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
# One element: y[n, j] = Σᵢ x[n, i] W[i, j] + b[j]. Follow each variable to the outputs it touches:
#
# * x[n, i] reaches every y[n, j] of its row through W[i, j]: ∂L/∂x[n, i] = Σⱼ gy[n, j] W[i, j], so
#   **gx = gy Wᵀ**.
# * W[i, j] reaches y[n, j] of every row through x[n, i]: ∂L/∂W[i, j] = Σₙ x[n, i] gy[n, j], so
#   **gW = xᵀ gy** — the sum over the batch is inside the matrix product.
# * b[j] is added to every row: **gb = Σₙ gy[n, :]**.
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
# φ′ can be computed from — for both of these, the *output*:
#
# * ReLU, y = max(x, 0): φ′(x) = [x > 0] = [y > 0], so **gx = gy · [y > 0]**.
# * Sigmoid, y = σ(x) = 1/(1 + e⁻ˣ): σ′(x) = e⁻ˣ/(1 + e⁻ˣ)² = σ(x)(1 − σ(x)), so **gx = gy · y(1 − y)**.
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
# EXERCISE: sigmoid_backward
def sigmoid_backward(gy, y):
    """y = σ(x). Given gy and the forward's output y (same shape): return gx. Keep y's dtype."""
    ### BEGIN SOLUTION
    return gy * y * (1.0 - y)
    ### END SOLUTION


# %%
print(course.check("sigmoid_backward", sigmoid_backward))

# %% [markdown]
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
# The parameter gradients are as for any affine map: **gβ = Σₙ gy**, **gγ = Σₙ gy ⊙ x̂**.
#
# The input gradient is the interesting one, because μ and σ² depend on *every* row: x[n] reaches y[m]
# for all m. Write s = 1/√(σ² + ε) (the cache's `inv_std`) and g = γ ⊙ gy = ∂L/∂x̂. Then
#
# * directly: ∂x̂[n]/∂x[n] = s, giving s · g[n];
# * through μ: ∂μ/∂x[n] = 1/N, and x̂[m] moves by −s/N for every m: −s · mean(g);
# * through σ²: ∂σ²/∂x[n] = 2(x[n] − μ)/N and ∂s/∂σ² = −s³/2, so x̂[m] moves by −x̂[m] x̂[n] s/N:
#   −s · x̂[n] · mean(g ⊙ x̂).
#
# Together: **gx = γ s (gy − mean(gy) − x̂ · mean(gy ⊙ x̂))**, means over the batch (axis 0).
# Two facts fall out that are worth remembering: Σₙ gx[n] = 0 and Σₙ gx[n] x̂[n] = 0 — BatchNorm's output
# does not change when you shift or scale a feature, so the gradient has no component along those moves.

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
# Grade yourself: `python -m npgan.course grade 01_backprop_by_hand.py` (or the `.ipynb`).
