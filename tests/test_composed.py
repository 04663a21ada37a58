"""Whole networks against finite differences in float64: the lecture-slides G and D composed as one network
nn.Sequential(G, D) (the path of the generator's gradient in Algorithm 1), and the paper-style
maxout/dropout discriminator with frozen dropout masks."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from npgan import backend as B
from npgan import nn
from npgan.gan import presets
from npgan.gradcheck import gradcheck


def slides_pair(z_dim, hidden, out):
    return presets.slides_generator(z_dim, hidden, out=out), presets.slides_discriminator(hidden, inp=out)


def assert_close_to_finite_differences(report):
    assert report.passed, "\n" + str(report)
    assert report.overall_relative_error < 1e-6, f"overall {report.overall_relative_error:.2e}\n{report}"


def test_slides_networks_have_the_lecture_shape():
    G, D = slides_pair(z_dim=5, hidden=3, out=20)
    linears = [m for m in G if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(5, 3), (3, 6), (6, 12), (12, 24), (24, 20)]
    assert [type(m).__name__ for m in G][:3] == ["Linear", "BatchNorm1d", "ReLU"] and isinstance(G[-1], nn.Sigmoid)
    linears = [m for m in D if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(20, 12), (12, 6), (6, 3), (3, 1)]
    assert [m.negative_slope for m in D if isinstance(m, nn.LeakyReLU)] == [0.2, 0.2, 0.2]


def test_slides_generator_then_discriminator(backend):
    GD = nn.Sequential(*slides_pair(z_dim=4, hidden=3, out=10)).double().to(backend)
    z = B.to_device(np.random.default_rng(0).standard_normal((7, 4)), backend)
    report = gradcheck(GD, z, atol=1e-6, rtol=1e-5)
    assert {row["name"] for row in report.rows} >= {"input", "0.0.weight", "0.1.weight", "0.12.bias", "1.6.weight"}
    assert_close_to_finite_differences(report)


def test_slides_networks_in_eval_mode(backend):
    """G's BatchNorm with its running statistics (sampling mode): another map, checked the same way."""
    G, D = slides_pair(4, 3, 10)
    G(np.random.default_rng(1).standard_normal((16, 4)).astype(np.float32))  # move the running statistics
    GD = nn.Sequential(G, D).double().to(backend).eval()
    report = gradcheck(GD, B.to_device(np.random.default_rng(2).standard_normal((5, 4)), backend),
                       atol=1e-6, rtol=1e-5)
    assert_close_to_finite_differences(report)


@settings(max_examples=6)
@given(seed=st.integers(0, 2 ** 16), n=st.integers(2, 9), z_dim=st.integers(1, 5), hidden=st.integers(1, 3),
       out=st.integers(1, 8))
def test_slides_networks_property_based(seed, n, z_dim, hidden, out):
    B.manual_seed(seed)  # a different initialisation per example
    GD = nn.Sequential(*slides_pair(z_dim, hidden, out)).double()
    z = np.random.default_rng(seed).standard_normal((n, z_dim))
    assert_close_to_finite_differences(gradcheck(GD, z, atol=1e-6, rtol=1e-5, seed=seed))


def paper_style_discriminator(inp=12, units=5, pieces=3):
    return nn.Sequential(nn.Dropout(0.2), nn.Maxout(inp, units, pieces), nn.Dropout(0.5),
                         nn.Maxout(units, 4, pieces), nn.Dropout(0.5), nn.Linear(4, 1))


def test_paper_discriminator_with_frozen_dropout_masks(backend):
    D = paper_style_discriminator().double().to(backend)
    x = B.to_device(np.random.default_rng(3).random((6, 12)), backend)
    report = gradcheck(D, x)
    assert_close_to_finite_differences(report)
    assert all(layer._frozen_mask is None for layer in D if isinstance(layer, nn.Dropout))  # released after


def test_paper_discriminator_masks_really_drop_units():
    """The check above is not vacuous: the frozen masks zero some units, and the gradient follows them."""
    D = paper_style_discriminator().double()
    x = np.random.default_rng(4).random((6, 12))
    nn.layers.freeze_dropout(D)
    y = D(x)
    D.backward(np.ones_like(y))
    first = D[0]._frozen_mask
    assert np.any(first == 0.0) and np.any(first == 1.25)
    with nn.no_grad():
        np.testing.assert_array_equal(D(x), y)  # the same masks again: deterministic
    nn.layers.freeze_dropout(D, False)
    with nn.no_grad():
        assert not np.array_equal(D(x), y)  # fresh masks


def test_large_tensors_are_checked_along_random_directions():
    net = nn.Sequential(nn.Linear(40, 30), nn.Tanh(), nn.Linear(30, 2)).double()
    report = gradcheck(net, np.random.default_rng(5).standard_normal((5, 40)), max_elementwise=100)
    modes = {row["name"]: row["mode"] for row in report.rows}
    assert modes["0.weight"] == "3 dirs" and modes["2.bias"] == "elementwise"
    assert_close_to_finite_differences(report)


def test_the_checker_catches_a_broken_batchnorm_backward(monkeypatch):
    """A BatchNorm backward that forgets the x̂·mean(gy x̂) term passes an all-ones check but not ours."""
    from npgan.nn import functional as F
    original = F.batchnorm_backward

    def broken(gy, cache, need_gx=True, need_gparams=True):
        gx, ggamma, gbeta = original(gy, cache, need_gx, need_gparams)
        x_hat, inv_std, gamma = cache
        forgotten = gamma * inv_std * x_hat * (gy * x_hat).mean(axis=0)
        return (gx + forgotten if gx is not None else None), ggamma, gbeta

    monkeypatch.setattr(F, "batchnorm_backward", broken)
    bn = nn.BatchNorm1d(3).double()
    x = 5 * np.random.default_rng(6).standard_normal((6, 3)) + 12
    report = gradcheck(bn, x)
    assert not report.passed and "FAIL" in str(report)
    assert gradcheck(bn, x, gy=np.ones((6, 3))).passed  # why the checker never uses all ones


def test_the_checker_catches_a_wrong_weight_gradient(monkeypatch):
    from npgan.nn import functional as F
    original = F.linear_backward
    monkeypatch.setattr(nn.Linear, "_backward", staticmethod(
        lambda gy, cache, *need: (lambda gx, gW, gb: (gx, None if gW is None else 1.001 * gW, gb))(
            *original(gy, cache, *need))))
    GD = nn.Sequential(*slides_pair(3, 2, 6)).double()
    report = gradcheck(GD, np.random.default_rng(7).standard_normal((4, 3)))
    failed = {row["name"] for row in report.rows if not row["passed"]}
    assert "input" not in failed and failed and all(name.endswith("weight") for name in failed), str(report)


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(nn.Linear(2, 2), np.zeros((2, 2), np.float32))
