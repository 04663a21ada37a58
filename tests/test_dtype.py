"""float32 end to end: two full training steps of both lecture-slides networks (forward, losses, backward,
optimizer step) keep every parameter, activation, gradient, buffer and optimizer state float32 on its
backend; and a static guard keeps float64 sources out of the package."""
import io
import os
import re
import tokenize

import numpy as np
import pytest

from npgan import backend as B
from npgan import nn, optim
from npgan.gan import presets
from npgan.nn.losses import discriminator_loss_stacked, generator_loss

PACKAGE = os.path.join(os.path.dirname(__file__), "..", "npgan")


def spy_on(net, log, prefix):
    """Record the output of every layer's forward and backward (activations and input gradients)."""
    for index, layer in enumerate(net):
        forward, backward = layer.forward, layer.backward

        def spied_forward(x, forward=forward, name=f"{prefix}[{index}] {type(layer).__name__}"):
            y = forward(x)
            log.append((f"{name} forward", y))
            return y

        def spied_backward(gy, need_input_grad=True, backward=backward,
                           name=f"{prefix}[{index}] {type(layer).__name__}"):
            gx = backward(gy, need_input_grad)
            if gx is not None:
                log.append((f"{name} backward", gx))
            return gx

        layer.forward, layer.backward = spied_forward, spied_backward


@pytest.mark.parametrize("make_opt", [lambda ps: optim.SGD(ps, 0.01, momentum=0.5),
                                      lambda ps: optim.SGD(ps, 0.01, momentum=0.5, nesterov=True, weight_decay=1e-4),
                                      lambda ps: optim.Adam(ps, 2e-4, betas=(0.5, 0.999), weight_decay=1e-4)],
                         ids=["SGD-momentum", "SGD-nesterov-wd", "Adam"])
def test_training_steps_stay_float32(backend, make_opt):
    m, z_dim = 8, 6
    G, D = presets.slides_generator(z_dim, 4), presets.slides_discriminator(4)
    G.to(backend)
    D.to(backend)
    opt_G, opt_D = make_opt(G.parameters()), make_opt(D.parameters())
    xp = B.get_xp(backend)
    rng = B.rng_for(xp)
    log = []
    spy_on(G, log, "G")
    spy_on(D, log, "D")
    for _ in range(2):  # the second step runs the optimizers' in-place updates on existing state
        real = B.to_device(np.random.default_rng(0).random((m, 784), dtype=np.float32), backend)
        # D step: ascend log D(x) + log(1 − D(G(z))) on one stacked batch
        with nn.no_grad():
            fake = G(rng.standard_normal((m, z_dim), dtype=np.float32))
        D.zero_grad()
        logits = D(xp.concatenate([real, fake]))
        d_loss, g_logits, d_real, d_fake = discriminator_loss_stacked(logits, m)
        log += [("D loss", d_loss), ("D loss gradient", g_logits), ("mean D(x)", d_real), ("mean D(G(z))", d_fake)]
        D.backward(g_logits, need_input_grad=False)
        opt_D.step()
        # G step: descend −log D(G(z)) through D
        G.zero_grad()
        fake_logits = D(G(rng.standard_normal((m, z_dim), dtype=np.float32)))
        g_loss, g_fake = generator_loss(fake_logits)
        log += [("G loss", g_loss), ("G loss gradient", g_fake)]
        G.backward(D.backward(g_fake), need_input_grad=False)
        opt_G.step()
    for net_name, net, opt in (("G", G, opt_G), ("D", D, opt_D)):
        for name, p in net.named_parameters():
            log += [(f"{net_name}.{name}", p.data), (f"{net_name}.{name}.grad", p.grad)]
        for name, _, _, array in net.named_buffers():
            log.append((f"{net_name}.{name}", array))
        for i, state in enumerate(opt.state):
            log += [(f"opt_{net_name}[{i}].{key}", value) for key, value in state.items() if hasattr(value, "dtype")]
    kinds = {name.split()[-1] for name, _ in log}
    assert {"forward", "backward"} <= kinds and any(".grad" in name for name, _ in log)
    assert any(name.startswith("opt_G") for name, _ in log) and any("running_var" in name for name, _ in log)
    wrong = [f"{name}: {a.dtype} on {B.backend_of(a)}" for name, a in log
             if a.dtype != np.float32 or B.backend_of(a) != backend]
    assert not wrong, "\n".join(wrong)


# --- the static guard ---------------------------------------------------------------------------------------------

# Each pattern, in code (not strings or comments), makes float64 out of float32 work under NumPy 2.
FLOAT64_SOURCES = [
    (re.compile(r"\bnp\.random\.(randn|rand|random|random_sample|normal|uniform|standard_normal)\("),
     "legacy np.random draws are float64 (use a Generator with dtype=)"),
    (re.compile(r"\bnp\.float64\("), "an np.float64 scalar upcasts float32 arrays"),
    (re.compile(r"\bnp\.pi\b"), "np.pi is an np.float64 scalar"),
    (re.compile(r"\bnp\.sqrt\(\s*[-+]?(\d|\.\d)"), "np.sqrt of a literal is an np.float64 scalar"),
]
FLOAT64_BY_DESIGN = {"theory/minimax.py", "gradcheck.py", "evaluation/metrics.py"}  # npgan/...: float64 is their point
MARK = "float64: deliberate"


def float64_sources(source):
    """(line number, why, line) for every float64 source in Python `source`, ignoring strings, comments
    and lines marked `# float64: deliberate`."""
    lines = source.splitlines()
    code = [list(line) for line in lines]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.STRING, tokenize.COMMENT):
            continue
        (row, col), (end_row, end_col) = token.start, token.end
        for r in range(row, end_row + 1):  # blank the string or comment out, keeping the columns
            first, last = (col if r == row else 0), (end_col if r == end_row else len(code[r - 1]))
            code[r - 1][first:last] = " " * (last - first)
    found = []
    for row, (line, chars) in enumerate(zip(lines, code), start=1):
        if MARK in line:
            continue
        text = "".join(chars)
        found += [(row, why, line.strip()) for pattern, why in FLOAT64_SOURCES if pattern.search(text)]
    return found


def test_no_float64_sources_in_the_package():
    offenders = []
    for root, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            path = os.path.join(root, name)
            if not name.endswith(".py") or os.path.relpath(path, PACKAGE) in FLOAT64_BY_DESIGN:
                continue
            with open(path, encoding="utf-8") as f:
                for row, why, line in float64_sources(f.read()):
                    offenders.append(f"npgan/{os.path.relpath(path, PACKAGE)}:{row}: {why}: {line}")
    assert not offenders, (f"float64 sources in float32 code (fix them, or mark a deliberate one with "
                           f"'# {MARK}'):\n" + "\n".join(offenders))


@pytest.mark.parametrize("line", ["w = np.random.randn(3, 4)", "x = np.random.uniform(-1, 1, size=5)",
                                  "y = x * np.float64(2)", "angle = 2 * np.pi * t", "s = np.sqrt(2) * x",
                                  "s = np.sqrt( 0.5)", "a = f(np.random.normal(0, 1))", "return np.float64(x)",
                                  "y = (x +\n     np.pi)", "print('a', np.pi)"])
def test_the_guard_catches(line):
    assert float64_sources(line + "\n"), line


@pytest.mark.parametrize("line", ["rng = np.random.default_rng(0)", "w = rng.standard_normal(s, dtype=np.float32)",
                                  "y = np.sqrt(var + eps)", "z = x * 0.5  # not np.pi", "'''np.random.randn(3)'''",
                                  "doc = 'uses np.pi'", "a = np.float64  # the type, for a dtype comparison",
                                  "t = 2 * np.pi  # float64: deliberate (host geometry)", "r = np.pie(1)",
                                  "y = np.sqrt(x2)"])
def test_the_guard_does_not_false_alarm(line):
    assert not float64_sources(line + "\n"), line
