"""Optimizers (SGD with momentum — the paper's — and Adam) and the paper's schedules, with PyTorch's rules.

Each update rule is written once as its formula (`sgd_momentum_update`, `adam_update`), updating the
parameter and its state in place; a fused CUDA spelling is attached to it (see npgan/kernels.py), and a
tuned host spelling where the benchmark measured that one pays. State (momentum buffers, Adam moments, and
on the host a scratch array per parameter that is not saved) is created lazily with `xp.zeros_like(param)`,
so it is born on the parameter's device, in its dtype.
Parameters that are frozen or got no gradient are left alone.
"""
import numpy as np

from npgan import backend as B
from npgan.kernels import Elementwise, fused
from npgan.nn.checks import check_int, check_number, scalar
from npgan.nn.module import Module, Parameter
from npgan.optim.schedules import ExponentialDecay, MomentumRamp  # noqa: F401 (the paper's schedules, re-exported)


# --- the update rules ----------------------------------------------------------------------------------------

_sgd_momentum_kernel = Elementwise("T g, T lr, T momentum", "T p, T v", "v = momentum * v + g; p -= lr * v",
                                   "npgan_sgd_momentum")


def _sgd_momentum_update_host(g, lr, momentum, p, v, work=None):
    """sgd_momentum_update with v updated in place and lr·v written into the kept `work` array."""
    v *= momentum
    v += g
    if work is None:
        work = lr * v
    else:
        B.get_array_module(v).multiply(v, lr, out=work)
    p -= work


def _sgd_momentum_update_cuda(g, lr, momentum, p, v, work=None):
    _sgd_momentum_kernel(g, lr, momentum, p, v)


@fused(cuda=_sgd_momentum_update_cuda, host=_sgd_momentum_update_host)
def sgd_momentum_update(g, lr, momentum, p, v, work=None):
    """Heavy-ball momentum, in place:  v ← μv + g;  p ← p − lr·v.
    `work` (shaped like p) is scratch space for the host spelling; the formula needs none."""
    v[...] = momentum * v + g
    p -= lr * v


def _adam_update_host(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v, work=None):
    """adam_update through the kept `work` array instead of a temporary per operator."""
    xp = B.get_array_module(g)
    work = xp.multiply(g, 1.0 - beta1, out=work)
    m *= beta1
    m += work
    xp.multiply(g, g, out=work)
    work *= 1.0 - beta2
    v *= beta2
    v += work
    xp.sqrt(v, out=work)
    work *= inv_sqrt_bias2
    work += eps
    xp.divide(m, work, out=work)
    work *= step_size
    p -= work


_adam_kernel = Elementwise("T g, T step_size, T beta1, T beta2, T inv_sqrt_bias2, T eps", "T p, T m, T v",
                           "m = beta1 * m + ((T)1 - beta1) * g; v = beta2 * v + ((T)1 - beta2) * g * g; "
                           "p -= step_size * m / (sqrt(v) * inv_sqrt_bias2 + eps)", "npgan_adam")


def _adam_update_cuda(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v, work=None):
    _adam_kernel(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v)


@fused(cuda=_adam_update_cuda, host=_adam_update_host)
def adam_update(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v, work=None):
    """Adam, in place:  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − step_size · m/(√v·c + ε),
    with step_size = lr/(1 − β₁ᵗ) and c = inv_sqrt_bias2 = 1/√(1 − β₂ᵗ) (the bias corrections).
    `work` (shaped like p) is scratch space for the host spelling; the formula needs none."""
    m[...] = beta1 * m + (1.0 - beta1) * g
    v[...] = beta2 * v + (1.0 - beta2) * g * g
    p -= step_size * m / (B.get_array_module(g).sqrt(v) * inv_sqrt_bias2 + eps)


# --- the optimizers ------------------------------------------------------------------------------------------

def _check_params(owner, params):
    if isinstance(params, Module):
        raise TypeError(f"{owner}: params must be the parameters, not the module: pass "
                        f"{type(params).__name__.lower()}.parameters()")
    if isinstance(params, Parameter) or not hasattr(params, "__iter__"):
        raise TypeError(f"{owner}: params must be an iterable of Parameters (module.parameters()), "
                        f"got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: got an empty parameter list")
    for index, param in enumerate(params):
        if not isinstance(param, Parameter):
            raise TypeError(f"{owner}: params[{index}] is a {type(param).__name__}, not a Parameter; "
                            f"pass module.parameters()")
    return params


class Optimizer:
    _saved_keys = ()  # the state tensors (saved); other state entries are step counters
    _hyper = ("lr",)

    def __init__(self, params, lr):
        self.params = _check_params(type(self).__name__, params)
        self.lr = check_number(type(self).__name__, "lr", lr, low=0.0, low_open=True)
        self.state = [dict() for _ in self.params]
        self.steps = 0

    def zero_grad(self):
        for param in self.params:
            param.grad = None

    def step(self):
        self.steps += 1
        for param, state in zip(self.params, self.state):
            if param.requires_grad and param.grad is not None:
                self._update(param, state)

    def _buffer(self, state, key, param):
        if key not in state:
            state[key] = B.get_array_module(param.data).zeros_like(param.data)
        return state[key]

    def _work(self, state, param):
        """Scratch space for the host updates, kept between steps: a fresh temporary the size of a weight
        matrix on every step costs page faults (measured in benchmarks/bench_kernels.py). Not state: it is
        never saved. The CUDA kernels need none."""
        if B.get_array_module(param.data) is B.cupy:
            return None
        return self._buffer(state, "work", param)

    def named_state(self):
        """(name, device array) for every state tensor, named "<parameter index>.<key>" ("3.exp_avg_sq"):
        what a divergence check scans for non-finite values without a trip to the host."""
        for index, state in enumerate(self.state):
            for key in self._saved_keys:
                if key in state:
                    yield f"{index}.{key}", state[key]

    def state_dict(self):
        """{'steps', hyper-parameters, 'num_params', 'state': {index: {name: host array or count}}}."""
        state = {str(i): {key: (np.array(B.to_cpu(value), copy=True) if key in self._saved_keys else value)
                          for key, value in s.items() if key != "work"}
                 for i, s in enumerate(self.state)}
        hyper = {name: getattr(self, name) for name in self._hyper}
        return {"steps": self.steps, **hyper, "num_params": len(self.params), "state": state}

    def _check_hyper(self, values):
        """Validate a dict of hyper-parameters (every name in _hyper); returns them converted."""
        return {"lr": check_number(type(self).__name__, "lr", values["lr"], low=0.0, low_open=True)}

    def load_state_dict(self, saved):
        """Load a state_dict. Everything is checked first (the parameter count, every hyper-parameter's
        range, every tensor's shape and floating dtype, every counter); on any error nothing changes."""
        owner = type(self).__name__
        # A checkpoint drops empty dicts (a parameter with no state yet, or SGD without momentum), so a
        # parameter's entry, or "state" itself, may be missing: "num_params" keeps the count.
        states = saved.get("state", {})
        count = int(saved.get("num_params", len(states)))
        if count != len(self.params):
            raise ValueError(f"{owner}: state for {count} parameters, optimizer has {len(self.params)}")
        missing = [name for name in ("steps",) + self._hyper if name not in saved]
        if missing:
            raise ValueError(f"{owner}: the state has no {', '.join(missing)}")
        hyper = self._check_hyper({name: scalar(saved[name]) for name in self._hyper})
        steps = check_int(owner, "steps", scalar(saved["steps"]), 0)
        new_states = []
        for i, param in enumerate(self.params):
            new = {}
            for key, value in states.get(str(i), {}).items():
                if key not in self._saved_keys:  # a step counter
                    new[key] = check_int(owner, f"state '{key}' of parameter {i}", scalar(value), 0)
                    continue
                shape, kind = tuple(np.shape(value)), np.asarray(value).dtype.kind
                if shape != tuple(param.shape):
                    raise ValueError(f"{owner}: state '{key}' of parameter {i} has shape {shape}, "
                                     f"parameter has {tuple(param.shape)}")
                if kind != "f":
                    raise ValueError(f"{owner}: state '{key}' of parameter {i} has dtype "
                                     f"{np.asarray(value).dtype}; a floating-point array is needed")
                new[key] = value
            new_states.append(new)
        # everything checked: now assign
        self.steps = steps
        for name, value in hyper.items():
            setattr(self, name, value)
        for param, state, new in zip(self.params, self.state, new_states):
            state.clear()
            for key, value in new.items():
                if key in self._saved_keys:
                    value = B.to_device(np.array(value, dtype=param.data.dtype), B.backend_of(param.data))
                state[key] = value


class SGD(Optimizer):
    """PyTorch's SGD:  g ← g + λp;  v ← μv + g (v = g at the first step);  p ← p − lr·v
    (Nesterov: p ← p − lr·(g + μv))."""

    _saved_keys = ("momentum_buffer",)
    _hyper = ("lr", "momentum", "weight_decay")

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        self.nesterov = bool(nesterov)
        hyper = self._check_hyper({"lr": lr, "momentum": momentum, "weight_decay": weight_decay})
        self.momentum, self.weight_decay = hyper["momentum"], hyper["weight_decay"]

    def _check_hyper(self, values):
        checked = super()._check_hyper(values)
        checked["momentum"] = check_number("SGD", "momentum", values["momentum"], 0.0, 1.0, high_open=True)
        checked["weight_decay"] = check_number("SGD", "weight_decay", values["weight_decay"], low=0.0)
        if self.nesterov and checked["momentum"] <= 0:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        return checked

    def _update(self, param, state):
        p, g = param.data, param.grad
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            v = state.get("momentum_buffer")
            if v is None:  # PyTorch starts the buffer at the first gradient, not at zero
                v = state["momentum_buffer"] = g.copy()
            elif not self.nesterov:
                sgd_momentum_update(g, self.lr, self.momentum, p, v, self._work(state, param))
                return
            else:
                v[...] = self.momentum * v + g
            g = g + self.momentum * v if self.nesterov else v
        p -= self.lr * g


class Adam(Optimizer):
    """PyTorch's Adam:  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)."""

    _saved_keys = ("exp_avg", "exp_avg_sq")
    _hyper = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        hyper = self._check_hyper({"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})
        self.betas, self.eps, self.weight_decay = hyper["betas"], hyper["eps"], hyper["weight_decay"]

    def _check_hyper(self, values):
        checked = super()._check_hyper(values)
        betas = values["betas"]
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair of numbers in [0, 1), got {betas!r}")
        checked["betas"] = tuple(check_number("Adam", f"betas[{i}]", b, 0.0, 1.0, high_open=True)
                                 for i, b in enumerate(betas))
        checked["eps"] = check_number("Adam", "eps", values["eps"], low=0.0, low_open=True)
        checked["weight_decay"] = check_number("Adam", "weight_decay", values["weight_decay"], low=0.0)
        return checked

    def _update(self, param, state):
        beta1, beta2 = self.betas
        g = param.grad
        if self.weight_decay:
            g = g + self.weight_decay * param.data
        m = self._buffer(state, "exp_avg", param)
        v = self._buffer(state, "exp_avg_sq", param)
        state["t"] = t = state.get("t", 0) + 1
        bias1, bias2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        adam_update(g, self.lr / bias1, beta1, beta2, 1.0 / bias2 ** 0.5, self.eps, param.data, m, v,
                    self._work(state, param))

