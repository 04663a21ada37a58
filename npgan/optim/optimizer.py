"""The base class of the optimizers: what every update rule shares and none of them computes.

An optimizer holds a list of Parameters and, per parameter, a dict of state (momentum buffers, Adam's
moments and step count). `step()` calls the subclass's `_update(param, state)` for every parameter that
is trainable and got a gradient; frozen parameters and those without a gradient are left alone. State
arrays are created lazily with `xp.zeros_like(param)`, so they are born on the parameter's device, in its
dtype. `state_dict()` / `load_state_dict()` save and restore the step count, the hyper-parameters and the
state, in PyTorch's layout (state per parameter index).
"""
import numpy as np

from npgan import backend as B
from npgan.nn.checks import check_int_at_least, check_number, scalar
from npgan.nn.module import Module, Parameter


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
    """Parameters, per-parameter state and the step count; a subclass writes `_update(param, state)`, which
    applies its rule to one parameter in place (param.data from param.grad) and keeps its state in `state`."""

    _saved_keys = ()  # the state tensors (saved); other state entries are step counters
    _hyper = ("lr",)

    def __init__(self, params, lr):
        self.params = _check_params(type(self).__name__, params)
        self.lr = check_number(type(self).__name__, "lr", lr, low=0.0, low_open=True)
        self.state = [dict() for _ in self.params]
        self.steps = 0

    def zero_grad(self):
        """Forget every gradient (backward passes add into .grad, so each step starts from None)."""
        for param in self.params:
            param.grad = None

    def step(self):
        """One update of every trainable parameter that has a gradient."""
        self.steps += 1
        for param, state in zip(self.params, self.state):
            if param.requires_grad and param.grad is not None:
                self._update(param, state)

    def _buffer(self, state, key, param):
        """state[key], created as zeros shaped like the parameter, on its device and in its dtype."""
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
        steps = check_int_at_least(owner, "steps", scalar(saved["steps"]), 0)
        new_states = []
        for i, param in enumerate(self.params):
            new = {}
            for key, value in states.get(str(i), {}).items():
                if key not in self._saved_keys:  # a step counter
                    what = f"state '{key}' of parameter {i}"
                    new[key] = check_int_at_least(owner, what, scalar(value), 0)
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
