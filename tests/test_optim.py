"""Optimizers follow PyTorch's update rules step by step (checked against a plain-NumPy float64 hand
computation of those rules), leave frozen and gradient-free parameters alone, keep their state on the
parameter's backend in float32, and continue identically after a state_dict (or checkpoint) round trip."""
import numpy as np
import pytest

from npgan import backend as B
from npgan import optim
from npgan.checkpoint import load_checkpoint, save_checkpoint
from npgan.nn import Parameter

STEPS = 6


def problem(steps=STEPS, shape=(3, 4), seed=0):
    """A starting point and a gradient per step, in float64 on the host."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), [rng.standard_normal(shape) for _ in range(steps)]


def trajectory(make_opt, backend, start, grads, params=None):
    """Run the optimizer (float32, on `backend`); the parameter after every step, on the host."""
    p = params or Parameter(B.to_device(start.astype(np.float32), backend))
    opt = make_opt([p])
    path = []
    for g in grads:
        p.grad = B.to_device(g.astype(np.float32), backend)
        opt.step()
        path.append(B.to_cpu(p.data).copy())
    return path, opt, p


# --- PyTorch's rules, written out by hand in float64 -----------------------------------------------------------

def sgd_reference(p, grads, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    """torch.optim.SGD: g ← g + λp; b ← g at the first step, else μb + g (dampening 0);
    g ← g + μb (Nesterov) or b;  p ← p − lr·g."""
    path, buf = [], None
    momenta = momentum if callable(momentum) else (lambda t: momentum)
    for t, g in enumerate(grads):
        mu = momenta(t)
        g = g + weight_decay * p
        if mu:
            buf = g.copy() if buf is None else mu * buf + g
            g = g + mu * buf if nesterov else buf
        p = p - lr * g
        path.append(p)
    return path


def adam_reference(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam (amsgrad off): g ← g + λp; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
    p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)."""
    path, m, v = [], np.zeros_like(p), np.zeros_like(p)
    b1, b2 = betas
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
        path.append(p)
    return path


def assert_same_path(got, expected):
    for step, (a, b) in enumerate(zip(got, expected), start=1):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6, err_msg=f"after step {step}")
    assert len(got) == len(expected)


SGD_CASES = [dict(), dict(momentum=0.9), dict(momentum=0.5, nesterov=True), dict(momentum=0.9, weight_decay=0.01),
             dict(weight_decay=0.1), dict(momentum=0.7, nesterov=True, weight_decay=0.05)]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "plain")
def test_sgd_matches_the_pytorch_rule_step_by_step(backend, kwargs):
    start, grads = problem()
    got, _, _ = trajectory(lambda ps: optim.SGD(ps, lr=0.1, **kwargs), backend, start, grads)
    assert_same_path(got, sgd_reference(start, grads, 0.1, **kwargs))


ADAM_CASES = [dict(), dict(betas=(0.5, 0.999)), dict(weight_decay=0.1), dict(eps=1e-3, betas=(0.8, 0.9))]


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_adam_matches_the_pytorch_rule_step_by_step(backend, kwargs):
    start, grads = problem()
    got, _, _ = trajectory(lambda ps: optim.Adam(ps, lr=1e-2, **kwargs), backend, start, grads)
    assert_same_path(got, adam_reference(start, grads, 1e-2, **kwargs))


def test_sgd_first_step_is_plain_sgd_and_uses_the_current_momentum():
    """PyTorch starts the momentum buffer at the first gradient, and reads momentum at every step (the
    paper's ramp changes it between epochs)."""
    start, grads = problem()
    p = Parameter(start.astype(np.float32))
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    path = []
    for t, g in enumerate(grads):
        opt.momentum = 0.5 + 0.04 * t
        p.grad = g.astype(np.float32)
        opt.step()
        path.append(p.data.copy())
    np.testing.assert_allclose(path[0], start - 0.1 * grads[0], rtol=1e-6)
    assert_same_path(path, sgd_reference(start, grads, 0.1, momentum=lambda t: 0.5 + 0.04 * t))


def test_several_parameters_each_follow_the_rule():
    (s1, g1), (s2, g2) = problem(seed=1), problem(shape=(5,), seed=2)
    a, b = Parameter(s1.astype(np.float32)), Parameter(s2.astype(np.float32))
    opt = optim.Adam([a, b], lr=1e-2, betas=(0.5, 0.999))
    for x, y in zip(g1, g2):
        a.grad, b.grad = x.astype(np.float32), y.astype(np.float32)
        opt.step()
    np.testing.assert_allclose(a.data, adam_reference(s1, g1, 1e-2, (0.5, 0.999))[-1], rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(b.data, adam_reference(s2, g2, 1e-2, (0.5, 0.999))[-1], rtol=2e-5, atol=2e-6)
    assert opt.steps == STEPS


@pytest.mark.parametrize("make_opt", [lambda ps: optim.SGD(ps, 0.5, momentum=0.9, weight_decay=0.1),
                                      lambda ps: optim.Adam(ps, 0.1, weight_decay=0.1)], ids=["SGD", "Adam"])
def test_frozen_and_gradient_free_parameters_are_untouched(backend, make_opt):
    trained = Parameter(B.to_device(np.ones(3, np.float32), backend))
    frozen = Parameter(B.to_device(np.ones(3, np.float32), backend), requires_grad=False)
    no_grad = Parameter(B.to_device(np.ones(3, np.float32), backend))
    opt = make_opt([trained, frozen, no_grad])
    for _ in range(3):
        trained.grad = frozen.grad = B.to_device(np.ones(3, np.float32), backend)  # a stray gradient on frozen
        opt.step()
    np.testing.assert_array_equal(B.to_cpu(frozen.data), 1.0)
    np.testing.assert_array_equal(B.to_cpu(no_grad.data), 1.0)  # weight decay does not touch it either
    assert np.all(B.to_cpu(trained.data) < 1.0)
    assert opt.state[1] == {} and opt.state[2] == {}  # no state for them: no memory, nothing to save


def test_zero_grad_forgets_gradients():
    p = Parameter(np.ones(2, np.float32))
    p.grad = np.ones(2, np.float32)
    opt = optim.SGD([p], 0.1)
    opt.zero_grad()
    assert p.grad is None
    opt.step()
    np.testing.assert_array_equal(p.data, 1.0)


# --- where the state lives ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("make_opt,keys", [
    (lambda ps: optim.SGD(ps, 0.1, momentum=0.9), ["momentum_buffer"]),
    (lambda ps: optim.SGD(ps, 0.1, momentum=0.9, nesterov=True, weight_decay=0.1), ["momentum_buffer"]),
    (lambda ps: optim.Adam(ps), ["exp_avg", "exp_avg_sq"])], ids=["SGD", "SGD-nesterov", "Adam"])
def test_state_is_born_on_the_parameter_backend_in_float32(backend, make_opt, keys):
    start, grads = problem(steps=2)
    _, opt, p = trajectory(make_opt, backend, start, grads)
    for key in keys:
        state = opt.state[0][key]
        assert B.backend_of(state) == backend and state.dtype == np.float32 and state.shape == p.shape, key
    assert B.backend_of(p.data) == backend and p.data.dtype == np.float32


# --- state_dict ----------------------------------------------------------------------------------------------------

FACTORIES = {"SGD-momentum": lambda ps: optim.SGD(ps, 0.1, momentum=0.9),
             "SGD-nesterov-wd": lambda ps: optim.SGD(ps, 0.1, momentum=0.5, nesterov=True, weight_decay=0.01),
             "SGD-plain": lambda ps: optim.SGD(ps, 0.1),
             "Adam": lambda ps: optim.Adam(ps, 1e-2, betas=(0.5, 0.999))}


@pytest.mark.parametrize("name", FACTORIES)
def test_state_dict_round_trip_continues_identically(backend, name):
    factory = FACTORIES[name]
    start, grads = problem()
    straight, _, _ = trajectory(factory, backend, start, grads)
    half, opt, _ = trajectory(factory, backend, start, grads[:3])
    saved = opt.state_dict()
    p = Parameter(B.to_device(half[-1], backend))
    resumed = factory([p])
    resumed.load_state_dict(saved)
    rest, _, _ = trajectory(lambda ps: resumed, backend, None, grads[3:], params=p)
    np.testing.assert_array_equal(rest[-1], straight[-1])  # bit for bit
    assert resumed.steps == STEPS
    for state in resumed.state:
        assert all(B.backend_of(v) == backend and v.dtype == np.float32 for v in state.values() if hasattr(v, "dtype"))
    cold, _, _ = trajectory(factory, backend, half[-1], grads[3:])
    if name != "SGD-plain":  # without the saved state the continuation differs: the round trip carried it
        assert not np.array_equal(cold[-1], straight[-1])


@pytest.mark.parametrize("name", FACTORIES)
def test_checkpoint_round_trip_continues_identically(tmp_path, name):
    """Through an .npz file, with a frozen parameter (no state) beside a trained one: a checkpoint keeps no
    empty dicts, and loading must still line the state up with the parameters."""
    factory = FACTORIES[name]
    start, grads = problem()

    def run(opt, params, grads):
        for g in grads:
            params[0].grad = g.astype(np.float32)
            opt.step()

    params = [Parameter(start.astype(np.float32)), Parameter(np.ones(2, np.float32), requires_grad=False)]
    opt = factory(params)
    run(opt, params, grads[:3])
    path = save_checkpoint(str(tmp_path / "opt.npz"), {"opt": opt.state_dict()})
    run(opt, params, grads[3:])
    twin = [Parameter(start.astype(np.float32)), Parameter(np.ones(2, np.float32), requires_grad=False)]
    twin_opt = factory(twin)
    run(twin_opt, twin, grads[:3])
    resumed = factory([Parameter(twin[0].data.copy()), Parameter(np.ones(2, np.float32), requires_grad=False)])
    resumed.load_state_dict(load_checkpoint(path)["opt"])
    run(resumed, resumed.params, grads[3:])
    np.testing.assert_array_equal(resumed.params[0].data, params[0].data)
    assert resumed.steps == STEPS


def test_state_dict_before_the_first_step_round_trips(tmp_path):
    opt = optim.Adam([Parameter(np.ones(3, np.float32))])
    path = save_checkpoint(str(tmp_path / "o.npz"), {"opt": opt.state_dict()})
    fresh = optim.Adam([Parameter(np.ones(3, np.float32))], lr=0.5)
    fresh.load_state_dict(load_checkpoint(path)["opt"])
    assert fresh.lr == 1e-3 and fresh.betas == (0.9, 0.999) and fresh.steps == 0


def test_load_state_dict_rejects_a_different_model():
    opt = optim.SGD([Parameter(np.ones(3, np.float32))], 0.1, momentum=0.9)
    opt.params[0].grad = np.ones(3, np.float32)
    opt.step()
    other = optim.SGD([Parameter(np.ones(4, np.float32))], 0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 0 has shape \(3,\), parameter has \(4,\)"):
        other.load_state_dict(opt.state_dict())
    two = optim.SGD([Parameter(np.ones(3, np.float32)), Parameter(np.ones(3, np.float32))], 0.1, momentum=0.9)
    with pytest.raises(ValueError, match="state for 1 parameters, optimizer has 2"):
        two.load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], 0.1)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        optim.SGD([Parameter(np.ones(1, np.float32))], 0.1, nesterov=True)


# --- the paper's schedules ---------------------------------------------------------------------------------------

def test_momentum_ramp_from_half_to_seven_tenths_by_epoch_250():
    opt = optim.SGD([Parameter(np.zeros(1, np.float32))], lr=0.1, momentum=0.9)
    ramp = optim.MomentumRamp(opt, start=0.5, end=0.7, start_epoch=1, saturate_epoch=250)
    assert opt.momentum == 0.5  # set at construction
    assert ramp.value(0) == 0.5 and ramp.value(1) == 0.5
    assert ramp.value(2) == pytest.approx(0.5 + 0.2 / 249, rel=1e-12)
    assert ramp.value(125.5) == pytest.approx(0.6, rel=1e-12)
    assert ramp.value(250) == pytest.approx(0.7, rel=1e-12) and ramp.value(1000) == pytest.approx(0.7, rel=1e-12)
    values = [ramp.value(e) for e in range(1, 260)]
    assert all(a <= b for a, b in zip(values, values[1:]))  # never goes back down
    ramp.step(63)
    assert opt.momentum == pytest.approx(0.5 + 0.2 * 62 / 249, rel=1e-12)


def test_pytorch_momentum_tracks_pylearn2s_rule_under_the_papers_decay():
    """The paper preset keeps PyTorch's momentum rule (b ← μb + g; θ ← θ − lr·b) where the authors' pylearn2
    used v ← μv − lr·g; θ ← θ + v. They are the same when lr is constant; under the paper's decay (lr ÷
    1.000004 per update) a step differs by μ·Σ_s μ^(t−1−s)·g_s·(lr_t − lr_s), relatively about
    4e-6 · μ/(1 − μ): below 1e-5 of the distance travelled (docs/paper_recipe.md)."""
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((3000, 5)) + 0.3  # a drift, so the displacement grows like the steps
    param = Parameter(np.zeros(5))
    opt = optim.SGD([param], lr=0.1, momentum=0.5)
    decay, ramp = optim.ExponentialDecay(opt, 1.000004, 1e-6), optim.MomentumRamp(opt, 0.5, 0.7, 1, 250)
    theta, velocity, lr = np.zeros(5), np.zeros(5), 0.1
    for t, g in enumerate(grads):
        ramp.step(1 + t // 10)  # an "epoch" every 10 updates, so the momentum moves too
        mu = opt.momentum
        param.grad = g.copy()
        opt.step()
        decay.step()
        velocity = mu * velocity - lr * g  # pylearn2's Momentum, then its ExponentialDecay callback
        theta += velocity
        lr = max(0.1 / 1.000004 ** (t + 1), 1e-6)
    assert opt.momentum == pytest.approx(0.7)
    difference = np.abs(param.data - theta).max() / np.abs(theta).max()
    assert 1e-9 < difference < 1e-5


def test_exponential_decay_with_a_floor():
    opt = optim.SGD([Parameter(np.zeros(1, np.float32))], lr=0.1, momentum=0.5)
    decay = optim.ExponentialDecay(opt, decay_factor=1.000004, min_lr=1e-6)
    decay.step()
    assert opt.lr == pytest.approx(0.1 / 1.000004, rel=1e-12)
    for _ in range(999):
        decay.step()
    assert opt.lr == pytest.approx(0.1 / 1.000004 ** 1000, rel=1e-12)
    # The floor: 0.1 / 1.000004^t = 1e-6 at t = ln(1e5) / ln(1.000004) ≈ 2,878,237 updates.
    floor_at = np.log(1e5) / np.log(1.000004)
    decay.updates = int(floor_at) - 2
    decay.step()
    assert opt.lr > 1e-6
    decay.updates = int(floor_at) + 1
    decay.step()
    assert opt.lr == 1e-6
    saved = decay.state_dict()
    other = optim.SGD([Parameter(np.zeros(1, np.float32))], lr=0.1)
    resumed = optim.ExponentialDecay(other, decay_factor=1.000004, min_lr=1e-6)
    resumed.load_state_dict(saved)
    assert other.lr == 1e-6 and resumed.updates == decay.updates


# --- constructor arguments: one clear line naming the argument and its range ------------------------------------

def one_param():
    return [Parameter(np.ones(3, np.float32))]


BAD_OPTIMIZER_ARGUMENTS = [
    (lambda: optim.SGD(one_param(), lr=-1), ValueError, "SGD: lr must be a finite number > 0, got -1.0"),
    (lambda: optim.SGD(one_param(), lr=0), ValueError, "SGD: lr must be a finite number > 0, got 0.0"),
    (lambda: optim.SGD(one_param(), lr=float("nan")), ValueError, "SGD: lr must be a finite number > 0, got nan"),
    (lambda: optim.SGD(one_param(), lr=float("inf")), ValueError, "SGD: lr must be a finite number > 0, got inf"),
    (lambda: optim.SGD(one_param(), lr="0.1"), TypeError, "SGD: lr must be a finite number > 0, got str '0.1'"),
    (lambda: optim.SGD(one_param(), 0.1, momentum=1.0), ValueError,
     r"SGD: momentum must be a finite number in \[0, 1\), got 1.0"),
    (lambda: optim.SGD(one_param(), 0.1, momentum=-0.5), ValueError,
     r"SGD: momentum must be a finite number in \[0, 1\), got -0.5"),
    (lambda: optim.SGD(one_param(), 0.1, weight_decay=-1e-4), ValueError,
     "SGD: weight_decay must be a finite number >= 0, got -0.0001"),
    (lambda: optim.SGD(nn_module(), 0.1), TypeError,
     r"SGD: params must be the parameters, not the module: pass sequential.parameters\(\)"),
    (lambda: optim.SGD([Parameter(np.ones(2, np.float32)), np.ones(2)], 0.1), TypeError,
     r"SGD: params\[1\] is a ndarray, not a Parameter; pass module.parameters\(\)"),
    (lambda: optim.SGD(Parameter(np.ones(2, np.float32)), 0.1), TypeError,
     r"SGD: params must be an iterable of Parameters \(module.parameters\(\)\), got Parameter"),
    (lambda: optim.Adam(one_param(), betas=(1.5, 2)), ValueError,
     r"Adam: betas\[0\] must be a finite number in \[0, 1\), got 1.5"),
    (lambda: optim.Adam(one_param(), betas=(0.9, 1.0)), ValueError,
     r"Adam: betas\[1\] must be a finite number in \[0, 1\), got 1.0"),
    (lambda: optim.Adam(one_param(), betas=0.9), TypeError, r"Adam: betas must be a pair of numbers in \[0, 1\), got 0.9"),
    (lambda: optim.Adam(one_param(), eps=0), ValueError, "Adam: eps must be a finite number > 0, got 0.0"),
    (lambda: optim.Adam(one_param(), lr=-1e-3), ValueError, "Adam: lr must be a finite number > 0, got -0.001"),
    (lambda: optim.Adam(one_param(), weight_decay=float("nan")), ValueError,
     "Adam: weight_decay must be a finite number >= 0, got nan"),
    (lambda: optim.Adam(nn_module().parameters()[:0]), ValueError, "Adam: got an empty parameter list"),
    (lambda: optim.ExponentialDecay(sgd(), decay_factor=0), ValueError,
     "ExponentialDecay: decay_factor must be a finite number > 0, got 0.0"),
    (lambda: optim.ExponentialDecay(sgd(), min_lr=-1e-6), ValueError,
     "ExponentialDecay: min_lr must be a finite number >= 0, got -1e-06"),
    (lambda: optim.MomentumRamp(sgd(), start_epoch=10, saturate_epoch=5), ValueError,
     "MomentumRamp: saturate_epoch must be an integer >= 10, got 5"),
    (lambda: optim.MomentumRamp(sgd(), start=1.0), ValueError,
     r"MomentumRamp: start must be a finite number in \[0, 1\), got 1.0"),
    (lambda: optim.MomentumRamp(sgd(), end=-0.1), ValueError,
     r"MomentumRamp: end must be a finite number in \[0, 1\), got -0.1"),
    (lambda: optim.MomentumRamp(sgd(), start_epoch=1.5), TypeError,
     "MomentumRamp: start_epoch must be an integer >= 0, got float 1.5"),
    (lambda: optim.MomentumRamp(optim.Adam(one_param())), TypeError,
     r"MomentumRamp: optimizer must have a momentum \(SGD\), got Adam"),
]


def nn_module():
    from npgan import nn
    return nn.Sequential(nn.Linear(2, 2))


def sgd():
    return optim.SGD(one_param(), 0.1, momentum=0.5)


@pytest.mark.parametrize("make, error, message", BAD_OPTIMIZER_ARGUMENTS, ids=[m for _, _, m in BAD_OPTIMIZER_ARGUMENTS])
def test_optimizer_constructors_name_the_bad_argument_and_its_range(make, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        make()


def test_optimizers_accept_generators_and_numpy_numbers():
    net = nn_module()
    opt = optim.SGD((p for p in net.parameters()), np.float32(0.5), momentum=np.float64(0.5))
    assert len(opt.params) == 2 and opt.lr == 0.5 and type(opt.lr) is float
    assert optim.Adam(net.parameters(), betas=[0.0, 0.5]).betas == (0.0, 0.5)


# --- load_state_dict: everything checked before anything is assigned --------------------------------------------

def stepped(factory, steps=2):
    opt = factory([Parameter(np.ones((2, 3), np.float32)), Parameter(np.ones(3, np.float32))])
    for _ in range(steps):
        for p in opt.params:
            p.grad = np.full(p.shape, 0.5, np.float32)
        opt.step()
    return opt


def snapshot(opt):
    state = opt.state_dict()
    return state, {k: {n: np.array(v, copy=True) for n, v in s.items()} for k, s in state["state"].items()}


@pytest.mark.parametrize("corrupt, message", [
    (lambda s: s.update(lr=-1.0), "Adam: lr must be a finite number > 0, got -1.0"),
    (lambda s: s.update(lr=float("nan")), "Adam: lr must be a finite number > 0, got nan"),
    (lambda s: s.update(betas=np.array([0.9, 1.5])), r"Adam: betas\[1\] must be a finite number in \[0, 1\), got 1.5"),
    (lambda s: s.update(eps=0.0), "Adam: eps must be a finite number > 0, got 0.0"),
    (lambda s: s.update(steps=-3), "Adam: steps must be an integer >= 0, got -3"),
    (lambda s: s.pop("eps"), "Adam: the state has no eps"),
    (lambda s: s["state"]["1"].update(exp_avg_sq=np.ones(3, np.int32)),
     "Adam: state 'exp_avg_sq' of parameter 1 has dtype int32; a floating-point array is needed"),
    (lambda s: s["state"]["1"].update(exp_avg=np.full(3, "x")),
     "Adam: state 'exp_avg' of parameter 1 has dtype <U1; a floating-point array is needed"),
    (lambda s: s["state"]["1"].update(exp_avg=np.ones(4, np.float32)),
     r"Adam: state 'exp_avg' of parameter 1 has shape \(4,\), parameter has \(3,\)"),
    (lambda s: s["state"]["1"].update(t=-1), "Adam: state 't' of parameter 1 must be an integer >= 0, got -1"),
], ids=["lr<0", "lr-nan", "beta2", "eps", "steps", "missing-eps", "int-state", "str-state", "shape", "counter"])
def test_optimizer_load_state_dict_is_all_or_nothing(corrupt, message):
    factory = lambda ps: optim.Adam(ps, 1e-2, betas=(0.5, 0.999))  # noqa: E731
    source = stepped(factory, steps=3)
    saved = source.state_dict()
    saved["lr"], saved["eps"] = 0.5, 1e-6  # good changes, before the bad one
    corrupt(saved)
    target = stepped(factory, steps=1)
    before, before_arrays = snapshot(target)
    with pytest.raises((ValueError, TypeError), match=f"^{message}$"):
        target.load_state_dict(saved)
    after, after_arrays = snapshot(target)
    assert {k: v for k, v in after.items() if k != "state"} == {k: v for k, v in before.items() if k != "state"}
    assert after_arrays.keys() == before_arrays.keys()
    for key in before_arrays:
        for name, value in before_arrays[key].items():
            np.testing.assert_array_equal(after_arrays[key][name], value, err_msg=f"{key}.{name}")


def test_sgd_load_state_dict_checks_momentum_and_weight_decay():
    saved = stepped(lambda ps: optim.SGD(ps, 0.1, momentum=0.9)).state_dict()
    target = stepped(lambda ps: optim.SGD(ps, 0.1, momentum=0.9), steps=1)
    for field, value, message in [("momentum", 1.0, r"SGD: momentum must be a finite number in \[0, 1\), got 1.0"),
                                  ("weight_decay", -1.0, "SGD: weight_decay must be a finite number >= 0, got -1.0")]:
        bad = dict(saved, **{field: value})
        with pytest.raises(ValueError, match=f"^{message}$"):
            target.load_state_dict(bad)
        assert target.momentum == 0.9 and target.weight_decay == 0.0 and target.steps == 1
    nesterov = optim.SGD(one_param(), 0.1, momentum=0.5, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        nesterov.load_state_dict(dict(optim.SGD(one_param(), 0.1).state_dict()))
    assert nesterov.momentum == 0.5


def test_exponential_decay_load_state_dict_checks_first():
    decay = optim.ExponentialDecay(sgd())
    with pytest.raises(ValueError, match="^ExponentialDecay: updates must be an integer >= 0, got -1$"):
        decay.load_state_dict({"base_lr": 0.2, "updates": -1})
    assert decay.base_lr == 0.1 and decay.updates == 0


# --- named_state: what a divergence check scans on the device -----------------------------------------------------

def test_named_state_yields_every_state_tensor_on_its_device(backend):
    params = [Parameter(B.to_device(np.ones((2, 3), np.float32), backend)),
              Parameter(B.to_device(np.ones(3, np.float32), backend), requires_grad=False),
              Parameter(B.to_device(np.ones(4, np.float32), backend))]
    opt = optim.Adam(params, 1e-2)
    assert list(opt.named_state()) == []  # nothing before the first step
    for p in params:
        p.grad = B.to_device(np.full(p.shape, 0.5, np.float32), backend)
    opt.step()
    named = dict(opt.named_state())
    assert list(named) == ["0.exp_avg", "0.exp_avg_sq", "2.exp_avg", "2.exp_avg_sq"]
    assert all(B.backend_of(a) == backend and a is opt.state[int(k[0])][k[2:]] for k, a in named.items())
    sgd_opt = optim.SGD(params, 0.1, momentum=0.9)
    sgd_opt.step()
    assert list(dict(sgd_opt.named_state())) == ["0.momentum_buffer", "2.momentum_buffer"]
    params[0].grad = B.to_device(np.full((2, 3), np.inf, np.float32), backend)
    with np.errstate(invalid="ignore", over="ignore"):  # inf/inf in the update: what diverging looks like
        opt.step()
    xp = B.get_xp(backend)
    bad = [name for name, a in opt.named_state() if not bool(xp.isfinite(a).all())]
    assert bad == ["0.exp_avg", "0.exp_avg_sq"]
