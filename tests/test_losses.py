"""Losses: property-based finite-difference checks (float64), values against plain NumPy, stability at
logits ±1000, the GAN objectives' closed-form gradients, every backend, and clear errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from npgan import backend as B
from npgan import nn
from npgan.gradcheck import gradcheck_function, gradcheck_loss
from npgan.nn.losses import discriminator_loss, discriminator_loss_stacked, generator_loss

shapes = st.tuples(st.integers(2, 16), st.integers(1, 32))
seeds = st.integers(0, 2 ** 16)
kinds = st.sampled_from(["non-saturating", "minimax"])


def rand(seed, shape, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# --- gradient checks ---------------------------------------------------------------------------------------------

@given(shape=shapes, seed=seeds, soft=st.booleans())
def test_bce_with_logits_gradient(shape, seed, soft):
    target = np.random.default_rng(seed + 1).random(shape)
    target = target if soft else (target > 0.5).astype(np.float64)
    report = gradcheck_loss(nn.BCEWithLogitsLoss(), rand(seed, shape, 4.0), target)
    assert report.passed, "\n" + str(report)


@given(shape=shapes, seed=seeds)
def test_bce_on_probabilities_gradient(shape, seed):
    p = 0.05 + 0.9 * np.random.default_rng(seed).random(shape)
    target = np.random.default_rng(seed + 1).random(shape)
    report = gradcheck_loss(nn.BCELoss(), p, target)
    assert report.passed, "\n" + str(report)


@given(shape=shapes, seed=seeds)
def test_mse_gradient(shape, seed):
    report = gradcheck_loss(nn.MSELoss(), rand(seed, shape), rand(seed + 1, shape))
    assert report.passed, "\n" + str(report)


@given(n=st.integers(2, 16), classes=st.integers(2, 32), seed=seeds)
def test_cross_entropy_gradient(n, classes, seed):
    labels = np.random.default_rng(seed).integers(0, classes, n)
    crit = nn.CrossEntropyLoss()
    logits = rand(seed, (n, classes), 3.0)
    crit(logits, labels)
    analytic = crit.backward()
    report = gradcheck_function(lambda: crit(logits, labels), {"logits": logits}, {"logits": analytic})
    assert report.passed, "\n" + str(report)


@given(m=st.integers(2, 16), seed=seeds)
def test_discriminator_loss_gradient(m, seed):
    real, fake = rand(seed, (m, 1), 3.0), rand(seed + 1, (m, 1), 3.0)
    loss, g_real, g_fake = discriminator_loss(real, fake)
    report = gradcheck_function(lambda: discriminator_loss(real, fake)[0], {"real": real, "fake": fake},
                                {"real": g_real, "fake": g_fake})
    assert report.passed, "\n" + str(report)


@given(m=st.integers(2, 16), seed=seeds, kind=kinds)
def test_generator_loss_gradient(m, seed, kind):
    fake = rand(seed, (m, 1), 3.0)
    _, g = generator_loss(fake, kind)
    report = gradcheck_function(lambda: generator_loss(fake, kind)[0], {"fake": fake}, {"fake": g})
    assert report.passed, "\n" + str(report)


@given(m=st.integers(2, 16), seed=seeds)
def test_stacked_discriminator_loss_gradient(m, seed):
    logits = rand(seed, (2 * m, 1), 3.0)
    _, g, _, _ = discriminator_loss_stacked(logits, m)
    report = gradcheck_function(lambda: discriminator_loss_stacked(logits, m)[0], {"logits": logits},
                                {"logits": g.copy()})
    assert report.passed, "\n" + str(report)


# --- values against plain NumPy ------------------------------------------------------------------------------------

def test_values_against_plain_numpy():
    z, t = rand(0, (6, 3), 2.0), (rand(1, (6, 3)) > 0).astype(np.float64)
    value = nn.BCEWithLogitsLoss()(z, t)
    assert isinstance(value, float)
    assert value == pytest.approx(-np.mean(t * np.log(sigmoid(z)) + (1 - t) * np.log(1 - sigmoid(z))), rel=1e-12)
    p = 0.1 + 0.8 * np.random.default_rng(2).random((6, 3))
    assert nn.BCELoss()(p, t) == pytest.approx(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)), rel=1e-12)
    assert nn.MSELoss()(z, t) == pytest.approx(np.mean((z - t) ** 2), rel=1e-12)
    labels = np.array([0, 2, 1, 2, 0, 1])
    log_softmax = z - np.log(np.exp(z).sum(1, keepdims=True))
    assert nn.CrossEntropyLoss()(z, labels) == pytest.approx(-log_softmax[np.arange(6), labels].mean(), rel=1e-12)
    real, fake = rand(3, (5, 1)), rand(4, (5, 1))
    D_real, D_fake = sigmoid(real), sigmoid(fake)
    loss = discriminator_loss(real, fake)[0]
    assert float(loss) == pytest.approx(-(np.log(D_real).mean() + np.log(1 - D_fake).mean()), rel=1e-12)
    assert float(generator_loss(fake, "minimax")[0]) == pytest.approx(np.log(1 - D_fake).mean(), rel=1e-12)
    assert float(generator_loss(fake, "non-saturating")[0]) == pytest.approx(-np.log(D_fake).mean(), rel=1e-12)


def test_gradients_against_plain_numpy():
    z, t = rand(5, (4, 3)), np.random.default_rng(6).random((4, 3))
    crit = nn.BCEWithLogitsLoss()
    crit(z, t)
    np.testing.assert_allclose(crit.backward(), (sigmoid(z) - t) / z.size, rtol=1e-12)
    p = 0.1 + 0.8 * np.random.default_rng(7).random((4, 3))
    crit = nn.BCELoss()
    crit(p, t)
    np.testing.assert_allclose(crit.backward(), (-t / p + (1 - t) / (1 - p)) / p.size, rtol=1e-10)
    crit = nn.MSELoss()
    crit(z, t)
    np.testing.assert_allclose(crit.backward(), 2 * (z - t) / z.size, rtol=1e-12)


def test_stacked_discriminator_loss_equals_the_two_part_loss():
    real, fake = rand(8, (7, 1)).astype(np.float32), rand(9, (7, 1)).astype(np.float32)
    loss, g_real, g_fake = discriminator_loss(real, fake)
    stacked, g, d_real, d_fake = discriminator_loss_stacked(np.concatenate([real, fake]), 7)
    assert float(stacked) == pytest.approx(float(loss), rel=1e-6)
    np.testing.assert_allclose(g, np.concatenate([g_real, g_fake]), rtol=1e-6)
    assert float(d_real) == pytest.approx(float(sigmoid(real).mean()), rel=1e-6)
    assert float(d_fake) == pytest.approx(float(sigmoid(fake).mean()), rel=1e-6)


def test_every_loss_on_every_backend_keeps_float32(backend):
    host = {"z": rand(10, (6, 1), 2.0).astype(np.float32), "t": (rand(11, (6, 1)) > 0).astype(np.float32),
            "p": (0.1 + 0.8 * np.random.default_rng(12).random((6, 1))).astype(np.float32),
            "logits": rand(13, (6, 4)).astype(np.float32)}
    dev = {k: B.to_device(v, backend) for k, v in host.items()}
    labels = np.array([0, 3, 1, 2, 2, 0])
    cases = [(nn.BCEWithLogitsLoss(), "z", "t"), (nn.BCELoss(), "p", "t"), (nn.MSELoss(), "z", "t"),
             (nn.CrossEntropyLoss(), "logits", None)]
    for crit, pred, target in cases:
        expected = crit(host[pred], labels if target is None else host[target])
        crit.backward()
        got = crit(dev[pred], B.to_device(labels, backend) if target is None else dev[target])
        assert isinstance(got, float) and got == pytest.approx(expected, rel=1e-5), type(crit).__name__
        g = crit.backward()
        assert B.backend_of(g) == backend and g.dtype == np.float32, type(crit).__name__
    loss, g_real, g_fake = discriminator_loss(dev["z"], dev["p"])
    assert float(loss) == pytest.approx(float(discriminator_loss(host["z"], host["p"])[0]), rel=1e-5)
    for kind in ("minimax", "non-saturating"):
        loss, g = generator_loss(dev["z"], kind)
        assert B.backend_of(g) == backend and g.dtype == np.float32
        np.testing.assert_allclose(B.to_cpu(g), generator_loss(host["z"], kind)[1], rtol=1e-6)
    assert all(B.backend_of(a) == backend and a.dtype == np.float32 for a in (g_real, g_fake))


# --- stability and the generator's two objectives --------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_finite_at_extreme_logits(dtype):
    z = np.array([[-1000.0], [1000.0], [-1000.0], [1000.0]], dtype)
    t = np.array([[1.0], [0.0], [0.0], [1.0]], dtype)
    crit = nn.BCEWithLogitsLoss()
    assert crit(z, t) == pytest.approx(500.0)  # (1000 + 1000 + 0 + 0) / 4
    g = crit.backward()
    assert np.all(np.isfinite(g)) and g.dtype == dtype
    np.testing.assert_allclose(g.ravel(), np.array([-1, 1, 0, 0]) / 4, atol=1e-7)
    loss, g_real, g_fake = discriminator_loss(z, -z)
    assert np.isfinite(float(loss)) and np.all(np.isfinite(g_real)) and np.all(np.isfinite(g_fake))
    for kind in ("minimax", "non-saturating"):
        loss, g = generator_loss(z, kind)
        assert np.isfinite(float(loss)) and np.all(np.isfinite(g)) and g.dtype == dtype


@pytest.mark.parametrize("m", [1, 5, 41])
def test_generator_gradients_equal_their_closed_forms(m):
    """Averaged over m fakes: minimax ∂/∂a log(1 − σ(a)) = −σ(a)/m;
    non-saturating ∂/∂a −log σ(a) = −(1 − σ(a))/m."""
    a = np.linspace(-20, 20, m).reshape(-1, 1)
    _, g = generator_loss(a, "minimax")
    np.testing.assert_allclose(g, -sigmoid(a) / m, rtol=1e-12, atol=1e-15)
    _, g = generator_loss(a, "non-saturating")
    np.testing.assert_allclose(g, -(1 - sigmoid(a)) / m, rtol=1e-12, atol=1e-15)


def test_minimax_saturates_where_non_saturating_does_not():
    a = np.full((4, 1), -30.0)  # D confidently rejects the fakes
    assert np.all(np.abs(generator_loss(a, "minimax")[1]) < 1e-13)
    np.testing.assert_allclose(generator_loss(a, "non-saturating")[1], -1 / 4, rtol=1e-12)


# --- errors -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("crit", [nn.BCEWithLogitsLoss(), nn.BCELoss(), nn.MSELoss()],
                         ids=lambda crit: type(crit).__name__)
def test_nan_prediction_is_a_clear_error(crit):
    pred = np.array([[0.5], [np.nan], [0.25]], np.float32)
    with np.errstate(invalid="ignore"), pytest.raises(FloatingPointError, match=(
            rf"{type(crit).__name__}: the loss is nan; 1 of 3 prediction values are not finite")):
        crit(pred, np.ones((3, 1), np.float32))


def test_infinite_logit_in_cross_entropy_is_a_clear_error():
    logits = np.array([[0.5, np.inf], [0.0, 1.0]])
    with np.errstate(invalid="ignore"), pytest.raises(FloatingPointError, match="1 of 4 prediction values"):
        nn.CrossEntropyLoss()(logits, np.array([0, 1]))


def test_shape_mismatch_and_misuse_are_clear_errors():
    crit = nn.BCEWithLogitsLoss()
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: target shape \(2, 1\) does not match prediction "
                                         r"shape \(3, 1\)"):
        crit(np.zeros((3, 1), np.float32), np.zeros((2, 1), np.float32))
    with pytest.raises(ValueError, match=r"MSELoss: target shape \(3,\) does not match prediction shape \(3, 1\)"):
        nn.MSELoss()(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match=r"expected logits \(N, C\) and labels \(N,\), got \(3, 2\) and \(4,\)"):
        nn.CrossEntropyLoss()(np.zeros((3, 2)), np.zeros(4, int))
    with pytest.raises(RuntimeError, match="before the loss"):
        nn.MSELoss().backward()
    mse = nn.MSELoss()
    mse(np.zeros(2), np.ones(2))
    mse.backward()
    with pytest.raises(RuntimeError, match="before the loss"):
        mse.backward()  # one backward per loss
    with pytest.raises(ValueError, match="unknown generator loss 'wasserstein'"):
        generator_loss(np.zeros((2, 1)), "wasserstein")
