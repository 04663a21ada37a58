"""Notebook 02's exercises: the pieces of one iteration of Algorithm 1 — D's loss from logits, the two
generator losses, D's and G's backward passes through npgan nets, the Adam update — each checked by
central differences on the parameters (npgan.gradcheck, float64) or against npgan's own optimizer, on
the notebook's inputs and on hidden ones (other seeds, unequal batch sizes, wider nets, 2-D data, logits
so confident that log σ(a) rounds to −inf).

The nets an answer gets are npgan Sequentials of Linear and Tanh layers (smooth: no kink for a finite
difference to straddle), built in float64 from weights the grader drew, in the answer's process and again
in the grader's for the check.
"""
import numpy as np

from npgan import nn
from npgan.course.checks import (AnswerError, Exercise, Variant, against, as_arrays, call, copies, failed,
                                 first_problem, from_gradcheck, returned, scalar)
from npgan.gradcheck import gradcheck_function
from npgan.nn import losses
from npgan.nn.module import Parameter
from npgan.optim import Adam


def _softplus(a):
    return np.logaddexp(0.0, a)


def _sigmoid(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


# ---- losses from logits ----------------------------------------------------------------------------------

def _logits_make(rng, m_real=6, m_fake=6, scale=2.0):
    return {"real": scale * rng.standard_normal((m_real, 1)), "fake": scale * rng.standard_normal((m_fake, 1))}


def _d_loss(real, fake):
    """L_D = mean softplus(−a_real) + mean softplus(a_fake) = −mean log D(x) − mean log(1 − D(G(z)))."""
    return np.mean(_softplus(-real)) + np.mean(_softplus(fake))


def _d_loss_run(fn, i):
    loss, g_real, g_fake = returned(call(fn, i["real"], i["fake"]), ("loss", "g_real", "g_fake"),
                                    "discriminator_loss").values()
    return {"loss": scalar(loss), "g_real": g_real, "g_fake": g_fake}


def _d_loss_judge(inputs, out):
    real, fake = copies(inputs, "real fake")
    name = "discriminator_loss"
    failed_ = first_problem(name, out, {"loss": (), "g_real": real.shape, "g_fake": fake.shape})
    if failed_:
        return failed_
    value = against(name, out, {"loss": _d_loss(real, fake)}, "")
    if not value.passed:
        return value._replace(message=f"the loss is off (rel. error {value.relative_error:.2e})")
    return from_gradcheck(name, gradcheck_function(lambda: _d_loss(real, fake), {"g_real": real, "g_fake": fake},
                                                   {"g_real": out["g_real"], "g_fake": out["g_fake"]}),
                          "loss, g_real, g_fake against central differences")


GENERATOR_LOSSES = {  # name: (G's loss from D's logits on fakes, npgan's spelling of the same)
    "minimax_generator_loss": (lambda a: -np.mean(_softplus(a)), "minimax"),  # mean log(1 − σ(a))
    "non_saturating_generator_loss": (lambda a: np.mean(_softplus(-a)), "non-saturating"),  # −mean log σ(a)
}


def _g_loss_run(name):
    def run(fn, i):
        loss, g_fake = returned(call(fn, i["fake"]), ("loss", "g_fake"), name).values()
        return {"loss": scalar(loss), "g_fake": g_fake}
    return run


def _g_loss_judge(name):
    def judge(inputs, out):
        fake = np.array(inputs["fake"])
        loss = GENERATOR_LOSSES[name][0]
        failed_ = first_problem(name, out, {"loss": (), "g_fake": fake.shape})
        if failed_:
            return failed_
        value = against(name, out, {"loss": loss(fake)}, "")
        if not value.passed:
            return value._replace(message=f"the loss is off (rel. error {value.relative_error:.2e})")
        return from_gradcheck(name, gradcheck_function(lambda: loss(fake), {"g_fake": fake}, {"g_fake": out["g_fake"]}),
                              "loss, g_fake against central differences")
    return judge


# ---- backward passes through nets --------------------------------------------------------------------------

def net_weights(rng, widths):
    """[W1, b1, W2, b2, ...] for a Linear–Tanh–...–Linear net of the given widths, drawn from rng."""
    weights = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        weights += [rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in), 0.3 * rng.standard_normal(fan_out)]
    return weights


def build_net(weights):
    """A float64 npgan Sequential (Linear, Tanh, ..., Linear) holding copies of `weights`."""
    layers = []
    for W in weights[::2]:
        layers += [nn.Linear(*W.shape), nn.Tanh()]
    net = nn.Sequential(*layers[:-1]).double()
    for param, value in zip(net.parameters(), weights):
        param.data[...] = value
    return net


def _grads(net, prefix):
    """{prefix + "W1": its gradient, ...}: zeros for a parameter no backward reached."""
    names = _names(prefix, len(net.parameters()) // 2)
    return {name: p.grad if p.grad is not None else np.zeros_like(p.data) for name, p in zip(names, net.parameters())}


def _names(prefix, layers=3):
    """("gW1", "gb1", ..., "gb3") for prefix "g": the names a net's parameter gradients travel under."""
    return tuple(f"{prefix}{kind}{index}" for index in range(1, layers + 1) for kind in "Wb")


def _net_shapes(weights, prefix):
    return dict(zip(_names(prefix, len(weights) // 2), (w.shape for w in weights)))


def _d_backward_make(rng, m_real=6, m_fake=6, dim=1, hidden=8):
    return {"D": net_weights(rng, (dim, hidden, hidden, 1)), "real": rng.standard_normal((m_real, dim)) + 1.0,
            "fake": rng.standard_normal((m_fake, dim)) - 1.0}


def _d_backward_run(fn, i):
    D = build_net(i["D"])
    D.zero_grad()
    loss = call(fn, D, i["real"], i["fake"], losses.discriminator_loss)
    return as_arrays({"loss": scalar(loss), **_grads(D, "g")})


def _d_backward_judge(inputs, out):
    name = "discriminator_backward"
    real, fake = copies(inputs, "real fake")
    D = build_net([np.array(w) for w in inputs["D"]])
    failed_ = first_problem(name, out, {"loss": (), **_net_shapes(inputs["D"], "g")})
    if failed_:
        return failed_

    def loss():
        with nn.no_grad():
            return _d_loss(D(real), D(fake))

    value = against(name, out, {"loss": loss()}, "")
    if not value.passed:
        return value._replace(message=f"the loss returned is off (rel. error {value.relative_error:.2e})")
    params = dict(zip(_grads(D, "g"), (p.data for p in D.parameters())))
    return from_gradcheck(name, gradcheck_function(loss, params, {key: out[key] for key in params}),
                          "D's gradients against central differences on its parameters")


def _g_backward_make(rng, m=6, z_dim=1, dim=1, hidden=8, kind="non-saturating"):
    G, D = net_weights(rng, (z_dim, hidden, hidden, dim)), net_weights(rng, (dim, hidden, hidden, 1))
    return {"G": G, "D": D, "z": rng.standard_normal((m, z_dim)), "kind": kind,
            "D_grads": [rng.standard_normal(w.shape) for w in D]}


def _g_backward_run(fn, i):
    G, D = build_net(i["G"]), build_net(i["D"])
    G.zero_grad()
    for param, grad in zip(D.parameters(), i["D_grads"]):  # what D's own step left: G's step must not touch it
        param.grad = np.array(grad)
    loss = call(fn, G, D, i["z"], lambda logits: losses.generator_loss(logits, i["kind"]))
    frozen = [not p.requires_grad for p in D.parameters()]
    return as_arrays({"loss": scalar(loss), **_grads(G, "g"), **_grads(D, "D_g"), "D_frozen": np.array(any(frozen))})


def _g_backward_judge(inputs, out):
    name = "generator_backward"
    z = np.array(inputs["z"])
    G, D = build_net([np.array(w) for w in inputs["G"]]), build_net([np.array(w) for w in inputs["D"]])
    failed_ = first_problem(name, out, {"loss": (), **_net_shapes(inputs["G"], "g"), **_net_shapes(inputs["D"], "D_g")})
    if failed_:
        return failed_
    if any(not np.array_equal(out[key], before) for key, before in zip(_grads(D, "D_g"), inputs["D_grads"])):
        return failed(name, "D's .grad changed in G's step: freeze D (p.requires_grad = False for its parameters) "
                            "while G's gradient passes through it, so that D keeps its own step's gradient")
    if out["D_frozen"]:
        return failed(name, "D is still frozen after G's step: set requires_grad back to True (in a finally:)")
    loss_of_logits = GENERATOR_LOSSES["minimax_generator_loss" if inputs["kind"] == "minimax"
                                      else "non_saturating_generator_loss"][0]

    def loss():
        with nn.no_grad():
            return loss_of_logits(D(G(z)))

    value = against(name, out, {"loss": loss()}, "")
    if not value.passed:
        return value._replace(message=f"the loss returned is off (rel. error {value.relative_error:.2e})")
    params = dict(zip(_grads(G, "g"), (p.data for p in G.parameters())))
    return from_gradcheck(name, gradcheck_function(loss, params, {key: out[key] for key in params}),
                          "G's gradients through a frozen D against central differences")


# ---- the optimizer -----------------------------------------------------------------------------------------

def _adam_make(rng, shape=(3, 4), steps=3, lr=1e-2, betas=(0.5, 0.999), eps=1e-8):
    return {"p0": rng.standard_normal(shape), "grads": [rng.standard_normal(shape) for _ in range(steps)],
            "lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps}


def _adam_run(fn, i):
    """Steps t = 1, 2, ... from m = v = 0, each on copies of what the previous step returned."""
    p, m, v = np.array(i["p0"]), np.zeros_like(i["p0"]), np.zeros_like(i["p0"])
    for t, g in enumerate(i["grads"], 1):
        step = as_arrays(returned(call(fn, p, g, m, v, t, i["lr"], i["beta1"], i["beta2"], i["eps"]), ("p", "m", "v"),
                                  "adam_update"))
        problem = first_problem("adam_update", step, {"p": p.shape, "m": p.shape, "v": p.shape})
        if problem:  # before the next step turns it into a broadcasting error
            raise AnswerError(f"step {t}: {problem.message}")
        p, m, v = step["p"], step["m"], step["v"]
    return {"p": p, "m": m, "v": v}


def _adam_judge(inputs, out):
    """The steps against npgan.optim.Adam (PyTorch's rule): p, m and v after the last one."""
    p0 = np.array(inputs["p0"])
    failed_ = first_problem("adam_update", out, {"p": p0.shape, "m": p0.shape, "v": p0.shape})
    if failed_:
        return failed_
    param = Parameter(p0.copy())
    reference = Adam([param], lr=inputs["lr"], betas=(inputs["beta1"], inputs["beta2"]), eps=inputs["eps"])
    for g in inputs["grads"]:
        param.grad = np.array(g)
        reference.step()
    state = dict(reference.named_state())
    m, v = state["0.exp_avg"], state["0.exp_avg_sq"]
    for key, want in (("m", m), ("v", v)):
        moment = against("adam_update", out, {key: want}, "")
        if not moment.passed:
            return moment._replace(message=f"{key} is off after {len(inputs['grads'])} steps "
                                           f"(rel. error {moment.relative_error:.2e})")
    return against("adam_update", {"step": out["p"] - p0}, {"step": param.data - p0},
                   f"{len(inputs['grads'])} steps against npgan.optim.Adam")


def _adam_variant(label, seed, **sizes):
    return Variant(label, seed, sizes)


EXERCISES = {
    "discriminator_loss": Exercise(
        _logits_make, _d_loss_run, _d_loss_judge, ("loss", "g_real", "g_fake"),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 5 real and 9 fake rows", 1, dict(m_real=5, m_fake=9)),
         Variant("a confident D: logits around ±40, where log σ(a) rounds to −inf", 2, dict(scale=40.0))),
        "−log σ(a) = softplus(−a) and −log(1 − σ(a)) = softplus(a), softplus(t) = np.logaddexp(0, t); "
        "softplus' = σ, so g_real = (σ(a_real) − 1)/m_real and g_fake = σ(a_fake)/m_fake"),
    "minimax_generator_loss": Exercise(
        _logits_make, _g_loss_run("minimax_generator_loss"), _g_loss_judge("minimax_generator_loss"), ("loss", "g_fake"),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 11 rows", 1, dict(m_fake=11)),
         Variant("a confident D: logits around ±40", 2, dict(scale=40.0))),
        "loss = mean log(1 − σ(a)) = −mean softplus(a); g_fake = −σ(a)/m: it vanishes as D(G(z)) = σ(a) → 0"),
    "non_saturating_generator_loss": Exercise(
        _logits_make, _g_loss_run("non_saturating_generator_loss"), _g_loss_judge("non_saturating_generator_loss"),
        ("loss", "g_fake"),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 11 rows", 1, dict(m_fake=11)),
         Variant("a confident D: logits around ±40", 2, dict(scale=40.0))),
        "loss = −mean log σ(a) = mean softplus(−a); g_fake = (σ(a) − 1)/m, which tends to −1/m as σ(a) → 0"),
    "discriminator_backward": Exercise(
        _d_backward_make, _d_backward_run, _d_backward_judge, ("loss",) + _names("g"),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, 5 real and 9 fake rows of 2-D data, 6 hidden "
                                                           "units", 1, dict(m_real=5, m_fake=9, dim=2, hidden=6))),
        "logits = D(np.concatenate([real, fake])); loss, g_real, g_fake = discriminator_loss(logits[:m], "
        "logits[m:]) with m = len(real); D.backward(np.concatenate([g_real, g_fake])); return loss"),
    "generator_backward": Exercise(
        _g_backward_make, _g_backward_run, _g_backward_judge,
        ("loss",) + _names("g") + _names("D_g") + ("D_frozen",),
        (Variant("the notebook's inputs", 0, {}), Variant("other seed, the minimax loss, z in R^3, 2-D data, 7 rows", 1,
                                                           dict(m=7, z_dim=3, dim=2, hidden=5, kind="minimax"))),
        "fake = G(z); freeze D's parameters; loss, g = generator_loss(D(fake)); G.backward(D.backward(g)); "
        "unfreeze D (in a finally:); return loss"),
    "adam_update": Exercise(
        _adam_make, _adam_run, _adam_judge, ("p", "m", "v"),
        (Variant("the notebook's inputs", 0, {}),
         _adam_variant("other seed, a bias vector of 5, betas (0.9, 0.99), 5 steps", 1, shape=(5,), steps=5, lr=3e-3,
                       betas=(0.9, 0.99)),
         _adam_variant("a large eps (0.1), shape (2, 3)", 2, shape=(2, 3), eps=0.1)),
        "m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); "
        "p ← p − lr · m̂/(√v̂ + ε)"),
}
