"""Layers: property-based finite-difference checks of every backward (float64), forward values against
plain NumPy, PyTorch's BatchNorm semantics, float32 in -> float32 out, skipped work, the forward/backward
pairing, the errors a user meets, and the module bookkeeping (names, state, devices, modes).

Every test body that takes `backend` runs on numpy, strict (CuPy's device rules on the CPU) and cupy (when
a GPU is present): inputs are made with NumPy on the host and moved with `to_device`, modules with `.to`.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from npgan import backend as B
from npgan import nn
from npgan.gradcheck import away_from_zero, gradcheck

batch = st.integers(2, 16)
features = st.integers(1, 32)
seeds = st.integers(0, 2 ** 16)

# The `backend` fixture only names the backend (a string): nothing in it needs resetting between examples.
every_backend = settings(suppress_health_check=[*settings.default.suppress_health_check,
                                                HealthCheck.function_scoped_fixture])


def data(seed, shape, scale=1.0, shift=0.0):
    """Host float64 N(shift, scale²) draws."""
    return scale * np.random.default_rng(seed).standard_normal(shape) + shift


def on(backend, x, dtype=None):
    """A host array moved to `backend` (cast first when dtype is given)."""
    x = np.ascontiguousarray(x if dtype is None else x.astype(dtype))
    return B.to_device(x, backend)


def check(layer, x, backend="numpy", **kwargs):
    """gradcheck `layer` in float64 on `backend`; the failure message is the report."""
    layer.double().to(backend)
    report = gradcheck(layer, on(backend, x), **kwargs)
    assert report.passed, "\n" + str(report)
    return report


# --- gradient checks, every layer (float64, random upstream gradient) ---------------------------------------

@every_backend
@given(n=batch, d_in=features, d_out=features, seed=seeds)
def test_linear_gradients(backend, n, d_in, d_out, seed):
    report = check(nn.Linear(d_in, d_out), data(seed, (n, d_in)), backend)
    assert [row["name"] for row in report.rows] == ["input", "weight", "bias"]


@every_backend
@given(n=batch, d_in=features, seed=seeds)
def test_one_output_linear_gradients(backend, n, d_in, seed):
    """D's logit layer: one output column, so its input gradient gy Wᵀ is an outer product."""
    check(nn.Linear(d_in, 1), data(seed, (n, d_in)), backend)


def test_one_output_linear_input_gradient_is_exactly_the_gemms():
    from npgan.nn import functional as F
    x, gy = data(1, (7, 5)).astype(np.float32), data(2, (7, 1)).astype(np.float32)
    W = data(3, (5, 1)).astype(np.float32)
    gx, gW, gb = F.linear_backward(gy, (x, W))
    np.testing.assert_array_equal(gx, gy @ W.T)  # one product per element: no rounding difference
    assert gx.dtype == np.float32 and gx.shape == (7, 5)


@every_backend
@given(n=batch, d=features, seed=seeds)
def test_batchnorm_train_gradients_on_shifted_scaled_input(backend, n, d, seed):
    """CS231n's habit: 5·randn + 12 input, random γ and β, and a random upstream gradient (with all ones
    Σ BN(x) is constant in x and γ, so a broken backward would pass)."""
    bn = nn.BatchNorm1d(d)
    bn.weight.data[...] = data(seed + 1, d) + 1.0
    bn.bias.data[...] = data(seed + 2, d)
    x = data(seed, (n, d), scale=5.0, shift=12.0)
    gy = on(backend, data(seed + 3, (n, d)))
    check(bn, x, backend, gy=gy, atol=1e-5, rtol=1e-3)


@every_backend
@given(n=batch, d=features, seed=seeds)
def test_batchnorm_eval_gradients(backend, n, d, seed):
    bn = nn.BatchNorm1d(d)
    bn.weight.data[...] = data(seed + 3, d)
    bn.running_mean[...] = data(seed, d)
    bn.running_var[...] = np.abs(data(seed + 1, d)) + 0.5
    bn.eval()
    check(bn, data(seed + 2, (n, d), scale=3.0), backend)


@every_backend
@given(n=batch, d=features, seed=seeds)
def test_relu_gradients_away_from_the_kink(backend, n, d, seed):
    check(nn.ReLU(), away_from_zero(data(seed, (n, d))), backend)


@every_backend
@given(n=batch, d=features, seed=seeds, slope=st.floats(0.0, 1.5))
def test_leaky_relu_gradients_away_from_the_kink(backend, n, d, seed, slope):
    check(nn.LeakyReLU(slope), away_from_zero(data(seed, (n, d))), backend)


@every_backend
@given(n=batch, d=features, seed=seeds, layer=st.sampled_from([nn.Sigmoid, nn.Tanh]))
def test_smooth_activation_gradients(backend, n, d, seed, layer):
    check(layer(), data(seed, (n, d), scale=3.0), backend)


@every_backend
@given(n=batch, d=features, seed=seeds, p=st.floats(0.05, 0.9))
def test_dropout_gradients_with_a_frozen_mask(backend, n, d, seed, p):
    check(nn.Dropout(p), data(seed, (n, d)), backend)


@every_backend
@given(n=batch, d_in=features, units=st.integers(1, 8), pieces=st.integers(1, 5), seed=seeds)
def test_maxout_gradients(backend, n, d_in, units, pieces, seed):
    check(nn.Maxout(d_in, units, pieces), data(seed, (n, d_in)), backend)


# --- forward values against plain NumPy (float32, every backend) --------------------------------------------

def numpy_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def test_forward_values_against_plain_numpy(backend):
    x = data(1, (7, 6), scale=3.0).astype(np.float32)
    lin, maxout = nn.Linear(6, 4), nn.Maxout(6, 3, 2)
    W, b = lin.weight.data.copy(), lin.bias.data.copy()
    Wm, bm = maxout.weight.data.copy(), maxout.bias.data.copy()
    z = x @ Wm + bm  # unit j owns columns 2j, 2j + 1
    cases = [(lin, x @ W + b), (maxout, np.maximum(z[:, 0::2], z[:, 1::2])), (nn.ReLU(), np.maximum(x, 0)),
             (nn.LeakyReLU(0.2), np.where(x > 0, x, 0.2 * x)), (nn.Sigmoid(), numpy_sigmoid(x)),
             (nn.Tanh(), np.tanh(x))]
    for layer, expected in cases:
        layer.to(backend)
        y = layer(on(backend, x))
        assert B.backend_of(y) == backend and y.dtype == np.float32, repr(layer)
        np.testing.assert_allclose(B.to_cpu(y), expected, rtol=1e-5, atol=1e-6, err_msg=repr(layer))


def test_sigmoid_never_overflows(backend):
    x = np.array([[-1000.0, -80.0, 0.0, 80.0, 1000.0]], np.float32)
    y = B.to_cpu(nn.Sigmoid()(on(backend, x)))  # RuntimeWarnings are errors in this suite
    np.testing.assert_allclose(y, [[0.0, 0.0, 0.5, 1.0, 1.0]], atol=1e-30)


def test_batchnorm_pytorch_semantics_by_hand(backend):
    """Columns (1, 3, 5) and (10, 10, 16): means 3 and 12, biased variances 8/3 and 8 normalise, unbiased
    variances 4 and 12 enter the running estimate with momentum 0.1, and eval uses the running estimate."""
    x = on(backend, np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 16.0]], np.float32))
    bn = nn.BatchNorm1d(2)  # eps 1e-5, momentum 0.1: PyTorch's defaults
    assert (bn.eps, bn.momentum) == (1e-5, 0.1)
    bn.weight.data[...] = [2.0, 0.5]
    bn.bias.data[...] = [1.0, -1.0]
    bn.to(backend)
    y = B.to_cpu(bn(x))
    x_hat = np.array([[-2.0, -2.0], [0.0, -2.0], [2.0, 4.0]]) / np.sqrt(np.array([8 / 3, 8.0]) + 1e-5)
    np.testing.assert_allclose(y, x_hat * [2.0, 0.5] + [1.0, -1.0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B.to_cpu(bn.running_mean), [0.3, 1.2], rtol=1e-6)    # 0.9·0 + 0.1·mean
    np.testing.assert_allclose(B.to_cpu(bn.running_var), [1.3, 2.1], rtol=1e-6)     # 0.9·1 + 0.1·unbiased
    bn(x)
    np.testing.assert_allclose(B.to_cpu(bn.running_mean), [0.57, 2.28], rtol=1e-6)
    np.testing.assert_allclose(B.to_cpu(bn.running_var), [1.57, 3.09], rtol=1e-6)
    bn.eval()
    y_eval = B.to_cpu(bn(x))
    expected = (np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 16.0]]) - [0.57, 2.28]) / np.sqrt(
        np.array([1.57, 3.09]) + 1e-5) * [2.0, 0.5] + [1.0, -1.0]
    np.testing.assert_allclose(y_eval, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B.to_cpu(bn.running_mean), [0.57, 2.28], rtol=1e-6)  # eval leaves them alone


def test_batchnorm_against_numpy_formulas(backend):
    x = data(2, (9, 5), scale=2.0, shift=1.0).astype(np.float32)
    bn = nn.BatchNorm1d(5, momentum=0.3).to(backend)
    y = B.to_cpu(bn(on(backend, x)))
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(B.to_cpu(bn.running_mean), 0.3 * x.mean(0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(B.to_cpu(bn.running_var), 0.7 + 0.3 * x.var(0, ddof=1), rtol=1e-5)


def test_dropout_is_identity_in_eval_and_mean_preserving_in_train(backend):
    x = on(backend, np.ones((400, 50), np.float32))
    drop = nn.Dropout(0.3)
    y = B.to_cpu(drop(x))
    assert y.dtype == np.float32
    assert np.all(np.isclose(y, 0.0) | np.isclose(y, 1 / 0.7))          # inverted dropout: kept units × 1/(1 − p)
    assert abs(np.mean(y == 0.0) - 0.3) < 0.02 and abs(y.mean() - 1.0) < 0.03
    gx = B.to_cpu(drop.backward(on(backend, np.full((400, 50), 2.0, np.float32))))
    np.testing.assert_allclose(gx, 2.0 * y)                               # the same mask going back
    drop.eval()
    assert np.array_equal(B.to_cpu(drop(x)), np.ones((400, 50), np.float32))
    np.testing.assert_array_equal(B.to_cpu(drop.backward(x)), B.to_cpu(x))
    assert np.array_equal(B.to_cpu(nn.Dropout(0.0)(x)), np.ones((400, 50), np.float32))
    with pytest.raises(ValueError, match=r"Dropout: p must be a finite number in \[0, 1\), got 1.0"):
        nn.Dropout(1.0)


# --- float32 stays float32 -----------------------------------------------------------------------------------

LAYERS = {
    "Linear": lambda: nn.Linear(5, 3), "Maxout": lambda: nn.Maxout(5, 3, 2), "BatchNorm1d": lambda: nn.BatchNorm1d(5),
    "BatchNorm1d-eval": lambda: nn.BatchNorm1d(5).eval(), "ReLU": nn.ReLU, "LeakyReLU": lambda: nn.LeakyReLU(0.2),
    "LeakyReLU-steep": lambda: nn.LeakyReLU(1.5), "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh,
    "Dropout": lambda: nn.Dropout(0.5), "Dropout-eval": lambda: nn.Dropout(0.5).eval(),
}


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_keeps_float32(backend, name):
    layer = LAYERS[name]().to(backend)
    x = on(backend, data(3, (6, 5), scale=2.0), np.float32)
    y = layer(x)
    assert y.dtype == x.dtype == np.float32, f"{name}: forward gave {y.dtype}"
    gx = layer.backward(on(backend, data(4, y.shape), np.float32))
    assert gx.dtype == np.float32 and B.backend_of(gx) == backend, f"{name}: backward gave {gx.dtype}"
    for pname, p in layer.named_parameters():
        assert p.data.dtype == p.grad.dtype == np.float32, f"{name}.{pname}: {p.data.dtype}, grad {p.grad.dtype}"
    for bname, _, _, array in layer.named_buffers():
        assert array.dtype == np.float32, f"{name}.{bname}: {array.dtype}"


# --- skipped work ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", LAYERS)
def test_backward_without_input_gradient_returns_none(backend, name):
    layer = LAYERS[name]().to(backend)
    y = layer(on(backend, data(5, (6, 5)), np.float32))
    assert layer.backward(on(backend, data(6, y.shape), np.float32), need_input_grad=False) is None
    assert all(p.grad is not None for p in layer.parameters() if p.requires_grad)  # params still get theirs


@pytest.mark.parametrize("name", ["Linear", "Maxout", "BatchNorm1d", "BatchNorm1d-eval"])
def test_frozen_parameters_get_no_gradient(backend, name):
    layer = LAYERS[name]().requires_grad_(False).to(backend)
    y = layer(on(backend, data(7, (6, 5)), np.float32))
    gx = layer.backward(on(backend, data(8, y.shape), np.float32))
    assert gx.shape == (6, 5)
    assert all(p.grad is None for p in layer.parameters())


def test_linear_skips_the_weight_gemm_when_frozen(monkeypatch):
    from npgan.nn import functional as F
    asked = []
    original = F.linear_backward
    monkeypatch.setattr(nn.Linear, "_backward", staticmethod(
        lambda gy, cache, need_gx, need_gW, need_gb: asked.append((need_gx, need_gW, need_gb))
        or original(gy, cache, need_gx, need_gW, need_gb)))
    lin = nn.Linear(4, 3)
    lin.weight.requires_grad = False
    lin(data(9, (5, 4)).astype(np.float32))
    lin.backward(data(10, (5, 3)).astype(np.float32), need_input_grad=False)
    assert asked == [(False, False, True)]
    assert lin.weight.grad is None and lin.bias.grad is not None


@pytest.mark.parametrize("frozen", ["weight", "bias"])
def test_batchnorm_freezes_gamma_and_beta_separately(frozen):
    bn = nn.BatchNorm1d(3)
    getattr(bn, frozen).requires_grad = False
    trainable = bn.bias if frozen == "weight" else bn.weight
    x, gy = data(11, (6, 3), 5.0, 12.0).astype(np.float32), data(12, (6, 3)).astype(np.float32)
    bn(x)
    bn.backward(gy)
    assert getattr(bn, frozen).grad is None
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    expected = gy.sum(0) if frozen == "weight" else (gy * x_hat).sum(0)
    np.testing.assert_allclose(trainable.grad, expected, rtol=1e-4, atol=1e-5)


def test_sequential_without_input_gradient_skips_layers_before_the_first_trainable_one(backend, monkeypatch):
    net = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 2))
    net[1].requires_grad_(False)
    net.to(backend)
    calls = []
    for index, layer in enumerate(net):
        original = layer.backward
        monkeypatch.setattr(layer, "backward", (lambda i, f: lambda gy, need_input_grad=True:
                                                calls.append((i, need_input_grad)) or f(gy, need_input_grad))(
                                                    index, original))
    x = on(backend, data(13, (6, 4)), np.float32)
    net(x)
    assert net.backward(on(backend, data(14, (6, 2)), np.float32), need_input_grad=False) is None
    assert calls == [(5, True), (4, True), (3, False)]  # layers 0-2 never run: nothing below 3 trains
    assert net[1].weight.grad is None and net[3].weight.grad is not None
    net(x)  # the skipped layers' caches were released: the next step pairs up again
    calls.clear()
    net.backward(on(backend, data(15, (6, 2)), np.float32))
    assert [i for i, _ in calls] == [5, 4, 3, 2, 1, 0]


def test_nested_skipped_layers_release_their_caches():
    net = nn.Sequential(nn.Sequential(nn.Tanh(), nn.Dropout(0.5)), nn.Linear(3, 2))
    x, gy = data(16, (4, 3)).astype(np.float32), data(17, (4, 2)).astype(np.float32)
    net(x)
    net.backward(gy, need_input_grad=False)
    net(x)
    assert net.backward(gy).shape == (4, 3)  # not "Tanh: forward was called 2 times"


def test_gradients_accumulate_until_zero_grad(backend):
    lin = nn.Linear(3, 2).to(backend)
    x, gy = on(backend, data(18, (4, 3)), np.float32), on(backend, data(19, (4, 2)), np.float32)
    lin(x)
    lin.backward(gy)
    first = B.to_cpu(lin.weight.grad).copy()
    lin(x)
    lin.backward(gy)
    np.testing.assert_allclose(B.to_cpu(lin.weight.grad), 2 * first, rtol=1e-6)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


# --- forward/backward pairing ------------------------------------------------------------------------------------

def D_net():
    return nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))


def test_two_forwards_before_one_backward_is_an_error_not_a_wrong_gradient():
    D = D_net()
    real, fake = data(20, (5, 3)).astype(np.float32), data(21, (5, 3)).astype(np.float32)
    gy = np.ones((5, 1), np.float32)
    D(real)
    D(fake)
    with pytest.raises(nn.ForwardBackwardMismatch, match="called 2 times.*no_grad"):
        D.backward(gy)
    D(real)  # the remedy works straight away: no layer is left with a stale count
    D.backward(gy)
    with pytest.raises(nn.ForwardBackwardMismatch, match="without a forward"):
        D.backward(gy)  # twice for one forward
    with pytest.raises(nn.ForwardBackwardMismatch, match="without a forward"):
        nn.Linear(3, 4).backward(np.ones((5, 4), np.float32))


def test_forward_backward_pairs_for_real_then_fake():
    D, twin = D_net(), D_net()
    twin.load_state_dict(D.state_dict())
    real, fake = data(22, (5, 3)).astype(np.float32), data(23, (5, 3)).astype(np.float32)
    gy_real, gy_fake = data(24, (5, 1)).astype(np.float32), data(25, (5, 1)).astype(np.float32)
    D(real)
    D.backward(gy_real)
    D(fake)
    D.backward(gy_fake)
    twin(np.concatenate([real, fake]))  # the same gradient from one forward of the stacked batch
    twin.backward(np.concatenate([gy_real, gy_fake]))
    for (name, p), q in zip(D.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-5, atol=1e-6, err_msg=name)


def test_no_grad_forward_leaves_the_pending_cache_alone(backend):
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).to(backend)
    twin = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))
    twin.load_state_dict(net.state_dict())
    twin.to(backend)
    x, other = on(backend, data(26, (5, 3)), np.float32), on(backend, data(27, (5, 3)), np.float32)
    gy = on(backend, data(28, (5, 2)), np.float32)
    net(x)
    assert nn.is_grad_enabled()
    with nn.no_grad():
        assert not nn.is_grad_enabled()
        net(other)
    assert nn.is_grad_enabled()
    gx = net.backward(gy)
    twin(x)
    np.testing.assert_allclose(B.to_cpu(gx), B.to_cpu(twin.backward(gy)), rtol=1e-5, atol=1e-6)
    for (name, p), q in zip(net.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(B.to_cpu(p.grad), B.to_cpu(q.grad), rtol=1e-5, atol=1e-6, err_msg=name)
    with nn.no_grad():
        net(x)
    with pytest.raises(nn.ForwardBackwardMismatch, match="no_grad"):
        net.backward(gy)  # a no_grad forward keeps nothing to backpropagate


# --- errors ----------------------------------------------------------------------------------------------------

def test_wrong_shape_names_the_layer_the_expectation_and_the_input():
    with pytest.raises(nn.InputError, match=r"Linear\(in_features=784, out_features=10\).*\(N, 784\).*\(8, 100\)"):
        nn.Linear(784, 10)(np.zeros((8, 100), np.float32))
    with pytest.raises(nn.InputError, match=r"Linear\(.*\(N, 784\).*got \(784,\)"):
        nn.Linear(784, 10)(np.zeros(784, np.float32))
    with pytest.raises(nn.InputError, match=r"Maxout\(in_features=6, out_features=2, pieces=3\).*\(N, 6\).*\(4, 5\)"):
        nn.Maxout(6, 2, 3)(np.zeros((4, 5), np.float32))
    with pytest.raises(nn.InputError, match=r"BatchNorm1d\(3.*\(N, 3\).*\(4, 3, 1\)"):
        nn.BatchNorm1d(3)(np.zeros((4, 3, 1), np.float32))
    with pytest.raises(nn.InputError, match=r"Linear\(.*expected an array.*got list"):
        nn.Linear(2, 1)([[1.0, 2.0]])


def test_wrong_dtype_names_the_layer_the_expectation_and_the_input():
    with pytest.raises(nn.InputError, match=r"Linear\(.*expected dtype float32.*got float64"):
        nn.Linear(784, 10)(np.zeros((8, 784)))
    with pytest.raises(nn.InputError, match=r"BatchNorm1d\(.*expected dtype float64.*got float32"):
        nn.BatchNorm1d(3).double()(np.zeros((4, 3), np.float32))


def test_wrong_device_names_the_layer_and_both_backends():
    with pytest.raises(nn.InputError, match=r"Linear\(.*backend 'numpy'.*parameters are on 'strict'"):
        nn.Linear(3, 2).to("strict")(np.zeros((2, 3), np.float32))
    with pytest.raises(nn.InputError, match=r"BatchNorm1d\(.*backend 'strict'.*parameters are on 'numpy'"):
        nn.BatchNorm1d(3)(B.to_device(np.zeros((2, 3), np.float32), "strict"))


def test_batchnorm_batch_of_one_in_training_is_an_error(backend):
    bn = nn.BatchNorm1d(3).to(backend)
    one = on(backend, np.ones((1, 3), np.float32))
    with pytest.raises(nn.InputError, match=r"BatchNorm1d\(3.*batch of 1.*\.eval\(\)"):
        bn(one)
    assert B.to_cpu(bn.eval()(one)).shape == (1, 3)  # fine with running statistics


# --- module bookkeeping -------------------------------------------------------------------------------------------

def small_G():
    return nn.Sequential(nn.Linear(10, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 4), nn.Sigmoid())


def test_named_parameters_have_stable_names_in_order():
    G = small_G()
    names = ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"]
    assert [n for n, _ in G.named_parameters()] == names
    assert [p.shape for p in G.parameters()] == [(10, 8), (8,), (8,), (8,), (8, 4), (4,)]  # W is (in, out)
    assert [n for n, _ in small_G().named_parameters()] == names  # the same on every build
    GD = nn.Sequential(G, nn.Sequential(nn.Linear(4, 1)))
    assert [n for n, _ in GD.named_parameters()][-3:] == ["0.3.bias", "1.0.weight", "1.0.bias"]


def test_state_dict_round_trip_with_running_statistics(backend):
    G = small_G().to(backend)
    x = on(backend, data(29, (6, 10)), np.float32)
    G(x)
    G(x)  # the running statistics have moved
    state = G.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias",
                           "1.running_mean", "1.running_var"]
    assert all(type(v) is np.ndarray and v.dtype == np.float32 for v in state.values())  # host copies
    assert not np.allclose(state["1.running_var"], 1.0)
    H = small_G().to(backend)
    H.load_state_dict(state)
    for key, value in H.state_dict().items():
        np.testing.assert_array_equal(value, state[key], err_msg=key)
    assert B.backend_of(H[1].running_mean) == backend
    np.testing.assert_array_equal(B.to_cpu(G.eval()(x)), B.to_cpu(H.eval()(x)))
    state["0.weight"][...] = 0.0  # a copy, not a view of the parameters
    assert np.any(B.to_cpu(G[0].weight.data) != 0.0)


def test_load_state_dict_lists_every_mismatch_and_changes_nothing():
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    before = net.state_dict()
    state = net.state_dict()
    state["2.weight"] = np.zeros((5, 2), np.float32)
    state["0.weight"] = np.zeros((4, 3), np.float32)
    del state["0.bias"], state["1.running_var"]
    state["3.weight"] = np.zeros(1, np.float32)
    with pytest.raises(nn.StateDictMismatch) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert "missing keys: 0.bias, 1.running_var" in message and "unexpected keys: 3.weight" in message
    assert "2.weight: expected (3, 2), got (5, 2)" in message
    assert error.value.missing == ["0.bias", "1.running_var"] and error.value.unexpected == ["3.weight"]
    for key, value in net.state_dict().items():  # nothing was half-loaded
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_to_moves_parameters_and_buffers(backend):
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Maxout(4, 2, 2))
    x = on(backend, data(30, (5, 3)), np.float32)
    net.to(backend)
    assert all(B.backend_of(p.data) == backend for p in net.parameters())
    assert all(B.backend_of(array) == backend for _, _, _, array in net.named_buffers())
    assert net.xp is B.get_xp(backend)
    net(x)
    net.backward(on(backend, data(31, (5, 2)), np.float32))
    assert all(B.backend_of(p.grad) == backend for p in net.parameters())
    net.to("numpy").double()  # back to the host, in float64: gradients and caches are dropped
    assert all(type(p.data) is np.ndarray and p.dtype == np.float64 and p.grad is None for p in net.parameters())
    assert net[1].running_var.dtype == np.float64 and type(net[1].running_var) is np.ndarray


def test_requires_grad_train_and_eval_propagate():
    inner = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    net = nn.Sequential(inner, nn.Linear(4, 1))
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not inner[2].training
    net.train()
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    inner.requires_grad_(True)
    assert [p.requires_grad for p in net.parameters()] == [True] * 4 + [False] * 2


# --- constructor arguments: one clear line naming the argument and its range ------------------------------------

BAD_LAYER_ARGUMENTS = [
    (lambda: nn.Linear(0, 5), ValueError, "Linear: in_features must be an integer >= 1, got 0"),
    (lambda: nn.Linear(5, 0), ValueError, "Linear: out_features must be an integer >= 1, got 0"),
    (lambda: nn.Linear(2.5, 5), TypeError, "Linear: in_features must be an integer >= 1, got float 2.5"),
    (lambda: nn.Linear(5, "3"), TypeError, "Linear: out_features must be an integer >= 1, got str '3'"),
    (lambda: nn.Linear(True, 3), TypeError, "Linear: in_features must be an integer >= 1, got bool True"),
    (lambda: nn.Maxout(4, 3, 0), ValueError, "Maxout: pieces must be an integer >= 1, got 0"),
    (lambda: nn.Maxout(4, 3, -2), ValueError, "Maxout: pieces must be an integer >= 1, got -2"),
    (lambda: nn.Maxout(0, 3, 2), ValueError, "Maxout: in_features must be an integer >= 1, got 0"),
    (lambda: nn.BatchNorm1d(0), ValueError, "BatchNorm1d: num_features must be an integer >= 1, got 0"),
    (lambda: nn.BatchNorm1d(4, eps=0.0), ValueError, r"BatchNorm1d: eps must be a finite number > 0, got 0.0"),
    (lambda: nn.BatchNorm1d(4, eps=-1e-5), ValueError, r"BatchNorm1d: eps must be a finite number > 0, got -1e-05"),
    (lambda: nn.BatchNorm1d(4, momentum=1.5), ValueError,
     r"BatchNorm1d: momentum must be a finite number in \[0, 1\], got 1.5"),
    (lambda: nn.BatchNorm1d(4, momentum=-0.1), ValueError, r"BatchNorm1d: momentum must be .* in \[0, 1\], got -0.1"),
    (lambda: nn.Dropout(-0.1), ValueError, r"Dropout: p must be a finite number in \[0, 1\), got -0.1"),
    (lambda: nn.Dropout(float("nan")), ValueError, r"Dropout: p must be a finite number in \[0, 1\), got nan"),
    (lambda: nn.Dropout("0.5"), TypeError, r"Dropout: p must be a finite number in \[0, 1\), got str '0.5'"),
    (lambda: nn.LeakyReLU(float("inf")), ValueError, "LeakyReLU: negative_slope must be a finite number, got inf"),
    (lambda: nn.LeakyReLU(None), TypeError, "LeakyReLU: negative_slope must be a finite number, got NoneType None"),
]


@pytest.mark.parametrize("make, error, message", BAD_LAYER_ARGUMENTS, ids=[m for _, _, m in BAD_LAYER_ARGUMENTS])
def test_layer_constructors_name_the_bad_argument_and_its_range(make, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        make()


def test_layer_constructors_accept_numpy_integers_and_the_range_ends():
    assert nn.Linear(np.int64(3), np.int32(2)).weight.shape == (3, 2)
    assert nn.BatchNorm1d(2, momentum=0.0).momentum == 0.0 and nn.BatchNorm1d(2, momentum=1).momentum == 1.0
    assert nn.Dropout(0).p == 0.0 and nn.LeakyReLU(np.float32(0.2)).negative_slope == pytest.approx(0.2)
    assert nn.Maxout(3, 2, 1).weight.shape == (3, 2)


# --- load_state_dict: all or nothing, dtype kind included ---------------------------------------------------------

@pytest.mark.parametrize("bad", [np.zeros((3, 2), np.int32), np.zeros((3, 2), bool), np.zeros((3, 2), np.complex64),
                                 np.full((3, 2), "x"), np.zeros((3, 2), object)],
                         ids=["int32", "bool", "complex64", "str", "object"])
def test_load_state_dict_refuses_non_floating_arrays_and_changes_nothing(bad):
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    before = net.state_dict()
    state = {key: value + 1.0 for key, value in before.items()}  # good entries, all different from before
    state["2.weight"] = bad  # the bad one comes after them
    with pytest.raises(nn.StateDictMismatch, match=rf"2.weight: expected a floating-point array, got dtype {bad.dtype}"):
        net.load_state_dict(state)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_load_state_dict_casts_other_floating_dtypes():
    net = nn.Linear(2, 2)
    state = {key: value.astype(np.float64) for key, value in net.state_dict().items()}  # float64: deliberate (cast on load)
    net.load_state_dict(state)
    assert net.weight.data.dtype == np.float32
