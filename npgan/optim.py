"""Optimizers (SGD with momentum — the paper's — and Adam) and the paper's schedules, with PyTorch's rules.

State (momentum buffers, Adam moments) is created lazily with `xp.zeros_like(param)`, so it is born on the
parameter's device, in its dtype. Updates run in place through one reusable work buffer per parameter, so
a step allocates nothing once warm. Parameters that are frozen or got no gradient are left alone.
"""
import numpy as np

from npgan import backend as B
from npgan import kernels


class Optimizer:
    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        self.lr = float(lr)
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

    _saved_keys = ()
    _hyper = ("lr",)

    def state_dict(self):
        """{'steps', hyper-parameters, 'state': {index: {name: host array or count}}}; work buffers are
        scratch space, not state."""
        state = {str(i): {key: (np.array(B.to_cpu(value), copy=True) if key in self._saved_keys else value)
                          for key, value in s.items() if key != "work"}
                 for i, s in enumerate(self.state)}
        hyper = {name: getattr(self, name) for name in self._hyper}
        return {"steps": self.steps, **hyper, "num_params": len(self.params), "state": state}

    def load_state_dict(self, saved):
        # A checkpoint drops empty dicts (a parameter with no state yet, or SGD without momentum), so a
        # parameter's entry, or "state" itself, may be missing: "num_params" keeps the count.
        states = saved.get("state", {})
        count = int(saved.get("num_params", len(states)))
        if count != len(self.params):
            raise ValueError(f"{type(self).__name__}: state for {count} parameters, "
                             f"optimizer has {len(self.params)}")
        self.steps = int(saved["steps"])
        for name in self._hyper:
            value = saved[name]
            setattr(self, name, tuple(float(v) for v in value) if np.ndim(value) else float(value))
        for i, (param, state) in enumerate(zip(self.params, self.state)):
            state.clear()
            for key, value in states.get(str(i), {}).items():
                if key not in self._saved_keys:  # a counter
                    state[key] = int(value)
                    continue
                if tuple(np.shape(value)) != tuple(param.shape):
                    raise ValueError(f"{type(self).__name__}: state '{key}' of parameter {i} has shape "
                                     f"{tuple(np.shape(value))}, parameter has {tuple(param.shape)}")
                host = np.array(value, dtype=param.data.dtype)
                state[key] = B.to_device(host, B.backend_of(param.data))


class SGD(Optimizer):
    """PyTorch's SGD:  g ← g + λp;  v ← μv + g (v = g at the first step);  p ← p − lr·v
    (Nesterov: p ← p − lr·(g + μv))."""

    _saved_keys = ("momentum_buffer",)
    _hyper = ("lr", "momentum", "weight_decay")

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        if nesterov and momentum <= 0:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = float(momentum), nesterov, float(weight_decay)

    def _update(self, param, state):
        xp = B.get_array_module(param.data)
        if xp is B.cupy and "momentum_buffer" in state and not (self.nesterov or self.weight_decay):
            # the same update as below in one fused GPU kernel: v ← μv + g; p ← p − lr·v
            kernels.sgd_momentum(param.grad, self.lr, self.momentum, param.data, state["momentum_buffer"])
            return
        grad, work = param.grad, self._buffer(state, "work", param)
        if self.weight_decay:
            xp.multiply(param.data, self.weight_decay, out=work)
            work += grad
            grad = work
        if self.momentum:
            velocity = state.get("momentum_buffer")
            if velocity is None:  # PyTorch starts the buffer at the first gradient, not at zero
                velocity = state["momentum_buffer"] = grad.copy()
            else:
                velocity *= self.momentum
                velocity += grad
            grad = grad + self.momentum * velocity if self.nesterov else velocity
        xp.multiply(grad, self.lr, out=work)
        param.data -= work


class Adam(Optimizer):
    """PyTorch's Adam:  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)."""

    _saved_keys = ("exp_avg", "exp_avg_sq")
    _hyper = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps, self.weight_decay = float(eps), float(weight_decay)

    def _update(self, param, state):
        xp = B.get_array_module(param.data)
        beta1, beta2 = self.betas
        grad = param.grad
        if self.weight_decay:
            grad = grad + self.weight_decay * param.data
        m = self._buffer(state, "exp_avg", param)
        v = self._buffer(state, "exp_avg_sq", param)
        state["t"] = t = state.get("t", 0) + 1
        bias1, bias2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        if xp is B.cupy:  # the same update as below in one fused GPU kernel
            kernels.adam(grad, self.lr / bias1, beta1, beta2, 1.0 / bias2 ** 0.5, self.eps, param.data, m, v)
            return
        work = self._buffer(state, "work", param)
        m *= beta1
        xp.multiply(grad, 1.0 - beta1, out=work)
        m += work
        v *= beta2
        xp.multiply(grad, grad, out=work)
        work *= 1.0 - beta2
        v += work
        xp.sqrt(v, out=work)
        work *= 1.0 / bias2 ** 0.5
        work += self.eps
        xp.divide(m, work, out=work)
        work *= self.lr / bias1
        param.data -= work


# --- schedules (the paper's code used pylearn2's MomentumAdjustor and ExponentialDecay) ---------------------

class MomentumRamp:
    """Momentum rising linearly from `start` (at `start_epoch`) to `end` (at `saturate_epoch`), then flat.
    Call `step(epoch)` at the start of each epoch (epochs counted from 1, as pylearn2 did)."""

    def __init__(self, optimizer, start=0.5, end=0.7, start_epoch=1, saturate_epoch=250):
        self.optimizer, self.start, self.end = optimizer, float(start), float(end)
        self.start_epoch, self.saturate_epoch = start_epoch, saturate_epoch
        optimizer.momentum = self.start

    def value(self, epoch):
        span = max(self.saturate_epoch - self.start_epoch, 1)
        fraction = min(max((epoch - self.start_epoch) / span, 0.0), 1.0)
        return self.start + fraction * (self.end - self.start)

    def step(self, epoch):
        self.optimizer.momentum = self.value(epoch)


class ExponentialDecay:
    """lr_t = max(lr_0 / decay_factor^t, min_lr) after t updates; call `step()` after every update.
    (The paper's MNIST run: decay_factor 1.000004, min_lr 1e-6.)"""

    def __init__(self, optimizer, decay_factor=1.000004, min_lr=1e-6):
        self.optimizer, self.decay_factor, self.min_lr = optimizer, float(decay_factor), float(min_lr)
        self.base_lr, self.updates = optimizer.lr, 0

    def step(self):
        self.updates += 1
        self.optimizer.lr = max(self.base_lr / self.decay_factor ** self.updates, self.min_lr)

    def restart(self, lr):
        """Decay from `lr`, now (a resumed run given a new learning rate)."""
        self.base_lr, self.updates = float(lr), 0
        self.optimizer.lr = max(self.base_lr, self.min_lr)

    def state_dict(self):
        return {"base_lr": self.base_lr, "updates": self.updates}

    def load_state_dict(self, saved):
        self.base_lr, self.updates = float(saved["base_lr"]), int(saved["updates"])
        self.optimizer.lr = max(self.base_lr / self.decay_factor ** self.updates, self.min_lr)
