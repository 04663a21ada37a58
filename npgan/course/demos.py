"""The course's demonstration of the minimax loss saturating (notebook 03, docs/gradient_flow.md), in one
function that the notebook runs and a test checks over seeds and backends, so that what the prose says
is what the code measures.

    rows, records, G = saturation_run(images, "minimax", seed=0)     # the monitor's rows, D's records, G

The settings are chosen for an effect that is large and the same on every seed and BLAS build
(SATURATION): the paper's own optimizer, SGD with momentum 0.5 and learning rate 0.1, one D step per G step
(Algorithm 1 with k = 1), a small G (the slides architecture, hidden width 16) against a D of width 32,
minibatches of 64, 300 iterations. SGD's step is proportional to the gradient, so a G whose gradient
vanishes stops moving; Adam divides by the gradient's running RMS and keeps a starved G moving, which
makes the effect depend on the run (`optimizer="adam"`, learning rate 10⁻³ unless given, shows it).
"""
import itertools

import numpy as np

from npgan import optim
from npgan.backend import manual_seed
from npgan.data import Batches
from npgan.gan import GANTrainer, presets
from npgan.training.monitor import GradientFlowMonitor

SATURATION = {"z_dim": 16, "g_hidden": 16, "d_hidden": 32, "batch_size": 64, "k": 1, "lr": 0.1, "momentum": 0.5,
              "iterations": 300, "log_every": 50}


def saturation_run(images, loss, seed=0, backend="numpy", optimizer="sgd", **overrides):
    """Algorithm 1 on `images` (N, 784) in [0, 1] with G's `loss` ("minimax" or "non-saturating") and the
    SATURATION settings (or `overrides`); the same initial weights and noise for both losses at one seed.
    Returns (the GradientFlowMonitor's rows, the trainer's records, G), one row and one record per
    iteration: `rows[i]["G.grad_norm"]` is ‖∇θ_G L_G‖₂ after iteration i + 1, `records[i]["d_fake"]` the
    minibatch mean of D(G(z)) in D's step."""
    s = {**SATURATION, **({"lr": 1e-3} if optimizer == "adam" else {}), **overrides}
    manual_seed(seed)
    G = presets.slides_generator(s["z_dim"], s["g_hidden"])
    D = presets.slides_discriminator(s["d_hidden"])
    G.to(backend)
    D.to(backend)
    if optimizer == "sgd":
        opt_G, opt_D = (optim.SGD(net.parameters(), lr=s["lr"], momentum=s["momentum"]) for net in (G, D))
    else:
        opt_G, opt_D = (optim.Adam(net.parameters(), lr=s["lr"], betas=(0.5, 0.999)) for net in (G, D))
    trainer = GANTrainer(G, D, opt_G, opt_D, z_dim=s["z_dim"], k=s["k"], loss=loss)
    monitor = GradientFlowMonitor(G, D)
    batches = Batches(images, batch_size=s["batch_size"], backend=backend)  # one minibatch moved per step
    real = (batches.next_batch() for _ in itertools.count())
    rows, records = [], []
    for iteration in range(1, s["iterations"] + 1):
        trainer.iteration(real)          # k D steps, then one G step
        monitor.observe(trainer)         # G's gradients from its step, D's from its last step
        if iteration % s["log_every"] == 0 or iteration == s["iterations"]:
            rows += monitor.pop_rows()   # one device→host transfer each
            records += trainer.pop_records()
    monitor.close()
    return rows, records, G


def median_over(rows, key, first, last):
    """The median of `key` over iterations first..last (a median: one spike would dominate a mean)."""
    return float(np.median([r[key] for r in rows if first <= r["iteration"] <= last]))


def saturation_summary(rows, records, late=(201, 300)):
    """The numbers the prose quotes for one run: medians of G's gradient norm and of mean D(G(z)) over
    iterations 1–20 and over `late`, and the largest mean D(G(z)) over `late`."""
    return {"g_early": median_over(rows, "G.grad_norm", 1, 20), "g_late": median_over(rows, "G.grad_norm", *late),
            "d_early": median_over(records, "d_fake", 1, 20), "d_late": median_over(records, "d_fake", *late),
            "d_late_max": max(r["d_fake"] for r in records if late[0] <= r["iteration"] <= late[1])}
