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
# # 05 · The GAN lab: Algorithm 1 you can poke
#
# The GAN of notebook 02, on the plane: 8 Gaussians on a ring, a generator G from z ∈ ℝ² and a
# discriminator D, both two-hidden-layer nets of npgan, trained by npgan's `GANTrainer`. The lab
# (`npgan.lab`) shows one step at a time what Algorithm 1 does:
#
# * D's output D(x) over the plane as a heatmap (purple: "fake", orange: "real"), or D* = p_data/(p_data + p_g)
#   (Proposition 1, measured on a grid of cells, as `npgan.theory` does on a line);
# * the real samples (green), the fakes of G's last step (purple), and **on every fake the arrow
#   −∂(G's loss)/∂x**: the very `gx` that D's backward hands to G's backward in that step;
# * G's map: the image of a grid of z values (the grey mesh);
# * V(D, G) against −log 4, JSD(p_data ‖ p_g) and the modes covered, as training goes.
#
# In Jupyter, run `%matplotlib widget` first (ipympl) for a live, clickable figure; without it the figure is
# redrawn as an image. `pip install -e ".[lab]"` brings ipywidgets and ipympl. Read alongside:
# [docs/lab.md](../docs/lab.md), [docs/theory.md](../docs/theory.md), [docs/mixture_2d.md](../docs/mixture_2d.md).
# Exercises are the `# EXERCISE:` cells; the grader, `python -m npgan.course grade 05_gan_lab.py`, also runs
# hidden checks.

# %%
import os

# One BLAS thread: on a busy 2-core machine OpenBLAS's second thread mostly spins (see notebook 03).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %matplotlib inline
import numpy as np
from IPython.display import Image, display

from npgan import course
from npgan.lab import Lab
from npgan.nn.losses import generator_loss

lab = Lab("ring", hidden=64, seed=0)  # non-saturating loss, k = 1, Adam 2e-3, batch 128

# %% [markdown]
# ## The lab
#
# The controls: play / pause, one D step, one G step, one iteration, reset; speed (iterations per frame),
# seed; G's loss, k, the optimizer and the learning rate (changed while it plays); the width of the nets;
# the data (a preset of `npgan.data.toy`, or points you draw on the plane — "draw points" — or paste);
# which heatmap; and "inspect fake" (or click one) for its numbers: D(x), its term of G's loss, ∂/∂x, and
# the gradient norm of every layer in the last step. A value the lab refuses (a NaN learning rate, a width
# of 0, a single drawn point) is one red line, and the run goes on as it was.

# %%
try:
    from npgan.lab.widgets import LabWidget
    widget = LabWidget(lab)
    widget.display()
    view = widget.view
except ImportError:  # no ipywidgets: the same figure, without the controls
    from npgan.lab.view import LabView
    widget, view = None, LabView(lab)
display(Image(view.png()))  # a still of the first frame (the arrows previewed under the untrained D)

# %% [markdown]
# ## Exercise: predict the arrows before pressing "one G step"
#
# In G's step D is frozen: G's loss is a function of the fakes x = G(z) through D alone,
# L_G = −(1/m) Σ log D(x_i) (non-saturating) or (1/m) Σ log(1 − D(x_i)) (minimax). The arrow on a fake is
# −∂L_G/∂x_i. Look at the heatmap first: where should the arrows point, and which fakes get the longest?
# Then write them: from D (an npgan net), the fakes (m, d) and the loss's name, return the arrows (m, d).
# `D(x)` gives the logits a, `D.backward(g)` the gradient with respect to D's input given ∂L/∂a.

# %%
# EXERCISE: generator_arrows
def generator_arrows(D, fake, kind):
    """−∂L_G/∂x for each fake x (m, d): L_G is G's loss over the batch, "non-saturating" or "minimax"."""
    ### BEGIN SOLUTION
    a = D(fake)
    sigma = 0.5 * np.tanh(0.5 * a) + 0.5
    g_logits = (sigma - 1.0) / len(fake) if kind == "non-saturating" else -sigma / len(fake)
    return -D.backward(g_logits)
    ### END SOLUTION


# %%
print(course.check("generator_arrows", generator_arrows))

# %% [markdown]
# <details><summary>The arrows, and the step</summary>
#
# With a = D's logit, the non-saturating loss −log σ(a) has ∂/∂a = σ(a) − 1, the minimax log(1 − σ(a)) has
# ∂/∂a = −σ(a); each divided by m for the mean. D's backward carries that to x. The arrows point up D's
# slope (towards where D says "real"), and under the minimax loss they vanish where D is sure a fake is
# fake (σ(a) ≈ 0): the saturation of notebook 03, visible on the plane.
# </details>
#
# Now press "one G step" (here: `lab.g_step()`) and compare your arrows with the lab's. D does not change
# in G's step, so yours, computed from D at the step's own fakes, must be the lab's to float32 round-off.

# %%
lab.g_step()
yours = generator_arrows(lab.D, lab.fake_net, lab.trainer.loss)
print(f"largest difference from the lab's arrows: {np.abs(yours - (-lab.gx)).max():.2e} "
      f"(arrows up to {np.abs(lab.gx).max():.2e})")
if widget is not None:
    widget.redraw()
display(Image(view.png()))

# %% [markdown]
# ## Play
#
# 600 iterations of Algorithm 1 (what "play" does, a frame at a time), then the picture and one fake's
# numbers. Watch V(D, G) approach −log 4 while the JSD on the grid falls.

# %%
lab.set(speed=20)
for frame in range(30):
    lab.advance()
    if widget is not None and frame % 10 == 9:
        widget.redraw()
view.update()
display(Image(view.png()))
numbers = lab.inspect(0)
print(f"fake 0 at {np.round(numbers['x'], 3)}: D(x) = {numbers['d']:.3f}, term of G's loss {numbers['term']:.3f}, "
      f"∂term/∂x = {np.round(numbers['d_term_dx'], 4)}")
print("G's gradient norm per layer:", {k: round(v, 4) for k, v in numbers["g_grad_norms"].items()})
row = lab.history[-1]
print(f"iteration {row['iteration']}: V(D, G) = {row['value']:+.3f} (−log 4 = {-np.log(4):+.3f}), "
      f"JSD {row['jsd']:.3f}, modes {row['modes']}/8")

# %% [markdown]
# ## Find the k that collapses the ring
#
# Switch to the minimax loss and raise k, the number of D steps per G step: D gets closer to D* before
# each G step. Run each setting from the same seed and count the modes covered along the way (a mode is
# covered when at least 0.8 % of 2,000 samples lie within 3 std of it, `npgan.data.toy.mode_coverage`).
# Try it in the widget too (change k while it plays).

# %%
K_VALUES = (1, 5)
for k in K_VALUES:
    trial = Lab("ring", loss="minimax", k=k, hidden=64, seed=0)
    modes = []
    for step in range(1500):
        trial.iteration()
        if (step + 1) % 250 == 0:
            modes.append(trial.frame()["modes"])
    print(f"minimax, k = {k}: modes covered every 250 iterations: {modes}")

# %% [markdown]
# **Question 5 (written).** Which k collapsed the ring here, and what did the arrows look like just
# before? Use the lab: with the minimax loss, raise k while it plays and watch the heatmap and the arrows.
# Explain, with the arrows' formula from the exercise, why a stronger D (larger k) makes the minimax G
# collapse onto few modes, and say what the non-saturating loss changes.
#
# <!-- BEGIN ANSWER -->
# With larger k, D is trained closer to D* before each G step: it becomes confident that the fakes are
# fake (D(G(z)) ≈ 0 around them), and the minimax arrows −∂/∂x log(1 − σ(a)) = σ(a)·∂a/∂x vanish there,
# except for the fakes that happen to sit where D is least sure, near one or two modes; those move, the
# rest barely do, and G's map folds onto those modes (in the run above, the minimax runs with k = 5 cover
# fewer modes for longer). The arrows just before show it: long arrows on a few fakes, all pointing to the
# same one or two modes, near-zero arrows elsewhere. The non-saturating loss has ∂/∂a = σ(a) − 1 ≈ −1
# where D is sure, so every fake keeps a strong arrow; mode collapse can still happen (docs/mixture_2d.md),
# but not through vanishing gradients. Numbers vary with the seed and the machine: read the trend.
# <!-- END ANSWER -->
#
# ## Record a page
#
# `python -m npgan.lab --record --data ring --frames 60 --every 20 --out lab.html` writes a recorded run as
# one HTML page that needs no kernel: a slider and a play button over every frame's heatmap, arrows, map
# and curves. Here, a short one into `scratch/`:

# %%
from npgan.lab.export import record, write_html

os.makedirs("scratch", exist_ok=True)
page = write_html(record(Lab("ring", seed=0), frames=10, every=20), os.path.join("scratch", "lab.html"))
print(f"wrote {page} ({os.path.getsize(page) / 1e6:.1f} MB): open it in a browser")
