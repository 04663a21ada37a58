"""Notebook 05's exercise: the arrows of the GAN lab, predicted before pressing "one G step".

generator_arrows(D, fake, kind) returns, for each fake x_i of one G step's minibatch, the arrow the lab
draws on it: −∂L_G/∂x_i with L_G G's loss over the batch (its mean over m), "non-saturating" (−mean log D)
or "minimax" (mean log(1 − D)). It is checked against central differences of L_G with respect to the fakes
(npgan.gradcheck, float64), on the notebook's inputs and on hidden ones (the other loss, 1-D data, more
rows, a D confident enough that the minimax arrows nearly vanish).
"""
import numpy as np

from npgan import nn
from npgan.course.checks import Exercise, Variant, call, copies, first_problem, from_gradcheck
from npgan.course.gan_exercises import build_net, net_weights
from npgan.gradcheck import gradcheck_function

LOSSES = {"non-saturating": lambda a: np.mean(np.logaddexp(0.0, -a)),  # −mean log σ(a)
          "minimax": lambda a: -np.mean(np.logaddexp(0.0, a))}        # mean log(1 − σ(a))


def _make(rng, m=8, dim=2, hidden=6, kind="non-saturating", shift=0.0):
    return {"D": net_weights(rng, (dim, hidden, hidden, 1)), "fake": rng.standard_normal((m, dim)) + shift,
            "kind": kind}


def _run(fn, i):
    return {"arrows": call(fn, build_net(i["D"]), i["fake"], str(i["kind"]))}


def _judge(inputs, out):
    name = "generator_arrows"
    (fake,) = copies(inputs, "fake")
    problem = first_problem(name, out, {"arrows": fake.shape})
    if problem:
        return problem
    D, loss = build_net([np.array(w) for w in inputs["D"]]), LOSSES[str(inputs["kind"])]

    def g_loss():
        with nn.no_grad():
            return loss(D(fake)[:, 0])

    return from_gradcheck(name, gradcheck_function(g_loss, {"arrows": fake}, {"arrows": -np.asarray(out["arrows"])}),
                          "−arrows against central differences of G's loss in the fakes")


EXERCISES = {
    "generator_arrows": Exercise(
        _make, _run, _judge, ("arrows",),
        (Variant("the notebook's inputs", 0, {}),
         Variant("other seed, the minimax loss, 13 rows", 1, dict(m=13, kind="minimax")),
         Variant("1-D data, 5 rows, 9 hidden units", 2, dict(m=5, dim=1, hidden=9)),
         Variant("fakes far from the data, minimax (small arrows)", 3, dict(kind="minimax", shift=4.0))),
        "logits a = D(fake); ∂L/∂a = (σ(a) − 1)/m (non-saturating) or −σ(a)/m (minimax); "
        "gx = D.backward(∂L/∂a); the arrows are −gx"),
}
