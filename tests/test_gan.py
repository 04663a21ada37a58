"""Algorithm 1's bookkeeping: k D-updates and one G-update per iteration, who changes what, and the
generator's gradient checked end to end (through D) against finite differences."""
import numpy as np
import pytest

import npgan
from npgan import backend as B
from npgan import nn, optim
from npgan.gan import GANTrainer, NonFiniteLossError, presets, sample_noise
from npgan.gradcheck import gradcheck_function
from npgan.nn.losses import generator_loss, sigmoid


def small_gan(backend="numpy", dtype=np.float32, d_batchnorm=False, dropout=False):
    G = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 6), nn.Sigmoid())
    d_layers = [nn.Linear(6, 8)]
    if d_batchnorm:
        d_layers.append(nn.BatchNorm1d(8))
    d_layers.append(nn.LeakyReLU(0.2))
    if dropout:
        d_layers.append(nn.Dropout(0.5))
    D = nn.Sequential(*d_layers, nn.Linear(8, 1))
    return G.to(backend, dtype), D.to(backend, dtype)


def real_stream(backend, m=5, dim=6, dtype=np.float32):
    rng = np.random.default_rng(7)
    while True:
        yield B.to_device(rng.random((m, dim)).astype(dtype), backend)


def snapshot(module):
    return [B.to_cpu(p.data).copy() for p in module.parameters()]


def changed(before, module):
    return [not np.array_equal(b, B.to_cpu(p.data)) for b, p in zip(before, module.parameters())]


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_updates_then_one_generator_update(backend, k):
    G, D = small_gan(backend)
    opt_G, opt_D = optim.SGD(G.parameters(), 0.1, momentum=0.5), optim.SGD(D.parameters(), 0.1, momentum=0.5)
    trainer = GANTrainer(G, D, opt_G, opt_D, z_dim=4, k=k)
    batches = real_stream(backend)
    for _ in range(4):
        trainer.iteration(batches)
    assert (trainer.d_updates, trainer.g_updates, trainer.iterations) == (4 * k, 4, 4)
    assert (opt_D.steps, opt_G.steps) == (4 * k, 4)


def test_discriminator_step_leaves_generator_alone_and_vice_versa(backend):
    G, D = small_gan(backend)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), 0.1), optim.SGD(D.parameters(), 0.1), z_dim=4)
    g_before, d_before = snapshot(G), snapshot(D)
    trainer.discriminator_step(next(real_stream(backend)))
    assert not any(changed(g_before, G)), "D's step changed G's parameters"
    assert all(p.grad is None for p in G.parameters()), "D's step computed gradients for G"
    assert all(changed(d_before, D)), "D's step did not update every D parameter"

    G.zero_grad()
    D.zero_grad()
    g_before, d_before = snapshot(G), snapshot(D)
    trainer.generator_step(5)
    assert not any(changed(d_before, D)), "G's step changed D's parameters"
    assert all(p.grad is None for p in D.parameters()), "G's step computed D's weight gradients"
    assert all(p.requires_grad for p in D.parameters()), "D left frozen after G's step"
    assert any(changed(g_before, G))


@pytest.mark.parametrize("kind", ["non-saturating", "minimax"])
def test_generator_gradient_through_frozen_discriminator_matches_finite_differences(kind):
    """dLoss_G/dθ_G as the trainer computes it, against central differences of the loss itself."""
    G, D = small_gan("numpy", np.float64)
    z = np.random.default_rng(3).standard_normal((5, 4))
    G.eval()  # running statistics: the loss is a deterministic function of θ_G for fixed z

    def loss():
        with npgan.no_grad():
            return float(generator_loss(D(G(z)), kind)[0])

    D.requires_grad_(False)
    G.zero_grad()
    value, g_logits = generator_loss(D(G(z)), kind)
    G.backward(D.backward(g_logits), need_input_grad=False)
    report = gradcheck_function(loss, {n: p.data for n, p in G.named_parameters()},
                                {n: p.grad for n, p in G.named_parameters()})
    assert report.passed, str(report)
    assert report.overall_relative_error < 1e-6, str(report)


@pytest.mark.parametrize("kind,closed_form", [
    ("non-saturating", lambda d: -(1.0 - d)),   # d/da of −log σ(a)
    ("minimax", lambda d: -d),                 # d/da of log(1 − σ(a))
])
def test_generator_gradients_equal_closed_forms_at_d_output(kind, closed_form):
    logits = np.linspace(-12, 12, 25).reshape(-1, 1).astype(np.float64)
    _, g = generator_loss(logits, kind)
    d = sigmoid(logits)
    np.testing.assert_allclose(g * len(logits), closed_form(d), rtol=1e-12, atol=1e-15)


def test_minimax_saturates_where_non_saturating_does_not():
    confident_reject = np.full((4, 1), -10.0, np.float32)  # D(G(z)) ≈ 4.5e-5
    _, g_minimax = generator_loss(confident_reject, "minimax")
    _, g_ns = generator_loss(confident_reject, "non-saturating")
    assert np.abs(g_minimax).max() < 1e-4 * np.abs(g_ns).max()


def test_discriminator_with_batchnorm_sees_real_and_fake_in_separate_forwards(backend):
    G, D = small_gan(backend, d_batchnorm=True)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), 0.1), optim.SGD(D.parameters(), 0.1), z_dim=4)
    assert not trainer.concat_real_fake
    trainer.iteration(real_stream(backend))
    assert trainer.iterations == 1


def test_concatenated_and_separate_discriminator_forwards_give_the_same_update():
    """Without BatchNorm, one forward over [real; fake] is the same maths as two forwards."""
    results = []
    for concat in (True, False):
        npgan.manual_seed(5)
        G, D = small_gan("numpy", np.float64)
        trainer = GANTrainer(G, D, optim.SGD(G.parameters(), 0.1), optim.SGD(D.parameters(), 0.1), z_dim=4)
        trainer.concat_real_fake = concat
        trainer.iteration(real_stream("numpy", dtype=np.float64))
        results.append(snapshot(D) + snapshot(G))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_simultaneous_update_applies_both_steps_once_with_shared_dropout_mask(backend):
    G, D = small_gan(backend, dropout=True)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), 0.1), optim.SGD(D.parameters(), 0.1), z_dim=4,
                         update="simultaneous")
    g_before, d_before = snapshot(G), snapshot(D)
    trainer.iteration(real_stream(backend))
    assert (trainer.d_updates, trainer.g_updates) == (1, 1)
    assert any(changed(g_before, G)) and any(changed(d_before, D))
    assert all(m._frozen_mask is None for m in D.modules() if isinstance(m, nn.Dropout))


def test_records_are_host_floats_and_value_is_minus_d_loss(backend):
    G, D = small_gan(backend)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), 0.05), optim.SGD(D.parameters(), 0.05), z_dim=4)
    batches = real_stream(backend)
    for _ in range(3):
        trainer.iteration(batches)
    rows = trainer.pop_records()
    assert [r["iteration"] for r in rows] == [1, 2, 3]
    for row in rows:
        assert all(isinstance(row[k], float) for k in ("d_loss", "g_loss", "d_real", "d_fake", "value"))
        assert row["value"] == -row["d_loss"]
        assert 0.0 < row["d_real"] < 1.0 and 0.0 < row["d_fake"] < 1.0
    assert trainer.pop_records() == []


def test_non_finite_loss_is_reported_with_the_iteration():
    G, D = small_gan()
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), 0.1), optim.SGD(D.parameters(), 0.1), z_dim=4)
    D[0].weight.data[...] = np.nan
    with np.errstate(invalid="ignore"):  # NumPy's own warnings are not the message under test
        trainer.iteration(real_stream("numpy"))
    with pytest.raises(NonFiniteLossError, match="iteration 1"):
        trainer.pop_records()


@pytest.mark.parametrize("prior,low,high,var", [("normal", -np.inf, np.inf, 1.0), ("uniform", -1, 1, 1 / 3),
                                                ("uniform-sqrt3", -3 ** 0.5, 3 ** 0.5, 1.0)])
def test_noise_priors(backend, prior, low, high, var):
    xp = B.get_xp(backend)
    z = B.to_cpu(sample_noise(20000, 3, prior, xp))
    assert z.dtype == np.float32 and z.shape == (20000, 3)
    assert z.min() >= low and z.max() <= high
    assert abs(z.mean()) < 0.03 and abs(z.var() - var) < 0.03


def test_unknown_choices_are_clear_errors():
    G, D = small_gan()
    opts = optim.SGD(G.parameters(), 0.1), optim.SGD(D.parameters(), 0.1)
    with pytest.raises(ValueError, match="generator loss"):
        GANTrainer(G, D, *opts, z_dim=4, loss="wasserstein")
    with pytest.raises(ValueError, match="update order"):
        GANTrainer(G, D, *opts, z_dim=4, update="sideways")
    with pytest.raises(ValueError, match="noise prior"):
        sample_noise(2, 2, "cauchy", np)


def test_trainer_state_round_trip_continues_identically():
    def run(split):
        npgan.manual_seed(11)
        G, D = small_gan()
        mk = lambda ps: optim.Adam(ps, 1e-2, betas=(0.5, 0.999))  # noqa: E731
        trainer = GANTrainer(G, D, mk(G.parameters()), mk(D.parameters()), z_dim=4)
        batches = real_stream("numpy")
        for _ in range(split):
            trainer.iteration(batches)
        if split < 6:
            state, rng = trainer.state_dict(), B.rng_state()
            npgan.manual_seed(999)  # a fresh process would start elsewhere
            G2, D2 = small_gan()
            trainer = GANTrainer(G2, D2, mk(G2.parameters()), mk(D2.parameters()), z_dim=4)
            trainer.load_state_dict(state)
            B.set_rng_state(rng)
        for _ in range(6 - split):
            trainer.iteration(batches)
        return snapshot(trainer.G) + snapshot(trainer.D)

    for a, b in zip(run(6), run(3)):
        np.testing.assert_array_equal(a, b)


def test_presets_build_the_documented_shapes():
    G, D = presets.build(presets.recipe("slides"))
    assert [p.shape for n, p in G.named_parameters() if n.endswith("weight") and len(p.shape) == 2] == [
        (64, 128), (128, 256), (256, 512), (512, 1024), (1024, 784)]
    assert [p.shape for n, p in D.named_parameters() if n.endswith("weight")] == [
        (784, 512), (512, 256), (256, 128), (128, 1)]
    means = np.linspace(0.0, 0.5, 784).astype(np.float32)
    G, D = presets.build(presets.recipe("paper"), pixel_means=means)
    assert [type(m).__name__ for m in D] == ["Dropout", "Maxout", "Dropout", "Maxout", "Dropout", "Linear"]
    assert D[1].weight.shape == (784, 1200) and np.abs(D[1].weight.data).max() <= 0.005
    assert np.abs(G[0].weight.data).max() <= 0.05
    np.testing.assert_allclose(sigmoid(G[4].bias.data), np.clip(means, 1e-7, 1 - 1e-7), rtol=1e-4, atol=3e-8)
    assert G[4].bias.dtype == np.float32 and float(G[4].bias.data[0]) == pytest.approx(-16.118, abs=1e-3)
    G, D = presets.build(presets.recipe("tutorial"))
    assert G[0].weight.shape == (128, 256) and D[0].weight.shape == (784, 256)
    assert abs(float(G[0].weight.data.std()) - 0.01) < 0.001


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_iterations_hold_no_more_memory_in_steady_state(optimizer):
    """After warm-up, more iterations keep nothing alive: caches are released, work buffers reused and
    the per-iteration records emptied at each logging interval (NumPy reports its buffers to tracemalloc)."""
    import itertools
    import tracemalloc
    npgan.manual_seed(0)
    recipe = presets.recipe("slides", hidden=16)
    G, D = presets.build(recipe)
    make = (lambda ps: optim.SGD(ps, 0.01, momentum=0.5)) if optimizer == "sgd" else (lambda ps: optim.Adam(ps, 1e-4))
    trainer = GANTrainer(G, D, make(G.parameters()), make(D.parameters()), recipe.z_dim)
    rng = np.random.default_rng(0)
    data = itertools.cycle([rng.random((32, 784), dtype=np.float32) for _ in range(3)])

    def run(iterations):
        for _ in range(iterations):
            trainer.iteration(data)
        trainer.pop_records()

    run(3)
    tracemalloc.start()
    try:
        run(3)
        before = tracemalloc.get_traced_memory()[0]
        run(20)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 16 * 1024, f"{grown} bytes more held after 20 more iterations"
