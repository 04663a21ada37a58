"""Parameter and Module: the bookkeeping around the layers' forward/backward pairs (Sequential: nn/sequential.py).

A module's life in one training step::

    y = module(x)              # forward: computes y, keeps what backward needs (its cache)
    gx = module.backward(gy)   # returns dL/dx and ADDS dL/dparam into each parameter's .grad

There is no autograd tape: each layer hand-writes its backward, and Sequential runs them in reverse.
"""
from collections import OrderedDict

import numpy as np

from npgan import backend as B
from npgan.nn import grad_mode


class ForwardBackwardMismatch(RuntimeError):
    """backward was called without exactly one matching forward."""


class HookHandle:
    """Returned by `Module.register_forward_hook`; `remove()` unregisters that hook."""
    _next_id = 0

    def __init__(self, hooks):
        self.hooks, self.id = hooks, HookHandle._next_id
        HookHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)


class Parameter:
    """A trainable array: `data`, its gradient `grad` (None until a backward adds one), `requires_grad`."""

    def __init__(self, data, requires_grad=True):
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad

    def accumulate(self, g):
        """grad += g. The first gradient after zero_grad() is taken as is: no zero-fill, no copy."""
        if self.grad is None:
            self.grad = g
        else:
            self.grad += g

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def __repr__(self):
        frozen = "" if self.requires_grad else ", requires_grad=False"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}, backend={B.backend_of(self.data)}{frozen})"


class Module:
    """Base class: holds parameters, buffers (state that is saved but not trained) and sub-modules in
    insertion order, so `named_parameters()` and `state_dict()` are the same on every run."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        self.training = True
        self._cache = None
        self._forwards_pending = 0

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name, array):
        """A non-trainable array that belongs to the state (BatchNorm's running statistics)."""
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def _set_buffer(self, name, array):
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    # --- forward / backward ----------------------------------------------------------------------------

    def __call__(self, x):
        y = self.forward(x)
        if self._forward_hooks and grad_mode.enabled:  # an empty tuple when none: one truth test, nothing else
            for hook in tuple(self._forward_hooks.values()):
                hook(self, x, y)
        return y

    # --- forward hooks (what a monitor uses to see activations) -------------------------------------------

    _forward_hooks = ()  # replaced by an instance dict at the first registration

    def register_forward_hook(self, hook):
        """Call `hook(module, x, y)` after every forward of this module that keeps a cache for backward.

        Forwards under no_grad() are not shown to hooks: they are evaluation or the fakes fed to D's step,
        which no backward pass will follow, and a monitor counting them would count a batch twice.
        Returns a handle; `handle.remove()` unregisters the hook (PyTorch's spelling).
        """
        if not self._forward_hooks:
            object.__setattr__(self, "_forward_hooks", OrderedDict())
        handle = HookHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def forward(self, x):
        raise NotImplementedError

    def backward(self, gy, need_input_grad=True):
        raise NotImplementedError

    def _save_for_backward(self, *cache):
        """Keep what backward needs. Under no_grad() nothing is kept and a pending cache survives."""
        if not grad_mode.enabled:
            return
        self._cache = cache
        self._forwards_pending += 1

    def _saved_for_backward(self):
        """The cache of the one forward this backward belongs to; released after use.

        A module called twice before one backward (D on real, then D on fake) would otherwise silently
        backpropagate through the last call only: that is an error here, with the ways out.
        """
        if self._forwards_pending != 1:
            count, self._forwards_pending = self._forwards_pending, 0
            if count == 0:
                raise ForwardBackwardMismatch(
                    f"{self!r}: backward called without a forward to match (or the forward ran under "
                    f"no_grad(), or backward was already called for it)")
            self._cache = None
            raise ForwardBackwardMismatch(
                f"{self!r}: forward was called {count} times since the last backward, so its cache only "
                f"holds the last call. Concatenate the batches into one forward, call backward after each "
                f"forward, or run the extra forwards under npgan.nn.no_grad()")
        cache, self._cache, self._forwards_pending = self._cache, None, 0
        return cache

    # --- parameters, buffers, sub-modules --------------------------------------------------------------

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return [module for _, module in self.named_modules()]

    def children(self):
        return list(self._modules.values())

    def named_parameters(self, prefix=""):
        for module_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self):
        return [param for _, param in self.named_parameters()]

    def named_buffers(self):
        for module_name, module in self.named_modules():
            for name, array in module._buffers.items():
                yield (f"{module_name}.{name}" if module_name else name), module, name, array

    def _release_caches(self):
        """Forget every pending forward cache in this module and its sub-modules."""
        for module in self.modules():
            module._cache, module._forwards_pending = None, 0

    def apply(self, fn):
        for module in self.modules():
            fn(module)
        return self

    def zero_grad(self):
        """Forget accumulated gradients (set to None: the next backward writes them without a memset)."""
        for param in self.parameters():
            param.grad = None

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze parameters: frozen weights get no weight-gradient GEMM at all."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def train(self, mode=True):
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    # --- where the arrays live ---------------------------------------------------------------------------

    def to(self, backend=None, dtype=None):
        """Move parameters AND buffers to `backend` ("numpy"/"cupy"/"strict") and/or cast to `dtype`.

        Gradients and caches are dropped: they belong to the old arrays.
        """
        def move(array):
            if backend is not None:
                array = B.to_device(array, backend)
            if dtype is not None and array.dtype != np.dtype(dtype):
                array = array.astype(dtype)
            return array

        for module in self.modules():
            for param in module._parameters.values():
                param.data, param.grad = move(param.data), None
            for name, array in list(module._buffers.items()):
                module._set_buffer(name, move(array))
            module._cache, module._forwards_pending = None, 0
        return self

    def double(self):
        return self.to(dtype=np.float64)  # float64: deliberate (gradient checks)

    def float(self):
        return self.to(dtype=np.float32)

    @property
    def xp(self):
        """The array module of this module's parameters (numpy when it has none)."""
        params = self.parameters()
        return B.get_array_module(params[0].data) if params else np

    # --- state ---------------------------------------------------------------------------------------------

    def state_dict(self):
        """Host copies of every parameter and buffer, keyed "0.weight", "1.running_mean", ..."""
        state = OrderedDict()
        for name, param in self.named_parameters():
            state[name] = np.array(B.to_cpu(param.data), copy=True)
        for name, _, _, array in self.named_buffers():
            state[name] = np.array(B.to_cpu(array), copy=True)
        return state

    def load_state_dict(self, state):
        """Copy `state` into this module's arrays (on their device, in their dtype), all or nothing.

        Every entry is checked before anything is written: keys, shapes, and the dtype kind (parameters and
        buffers are floating point, so an int, bool, complex or string array is refused rather than cast).
        On any mismatch it raises StateDictMismatch listing every difference, and nothing changes.
        """
        own = OrderedDict((name, param.data) for name, param in self.named_parameters())
        own.update((name, array) for name, _, _, array in self.named_buffers())
        missing = [name for name in own if name not in state]
        unexpected = [name for name in state if name not in own]
        mismatched, wrong_dtype, host = [], [], {}
        for name in own:
            if name not in state:
                continue
            value = np.asarray(state[name])
            if tuple(own[name].shape) != value.shape:
                mismatched.append(f"{name}: expected {tuple(own[name].shape)}, got {value.shape}")
            elif value.dtype.kind != "f":
                wrong_dtype.append(f"{name}: expected a floating-point array, got dtype {value.dtype}")
            else:
                host[name] = value
        if missing or unexpected or mismatched or wrong_dtype:
            raise StateDictMismatch(type(self).__name__, missing, unexpected, mismatched, wrong_dtype)
        # every entry checked: now write
        for name, target in own.items():
            target[...] = B.to_device(host[name].astype(target.dtype, copy=False), B.backend_of(target))

    def extra_repr(self):
        return ""

    def __repr__(self):
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): {module!r}".replace("\n", "\n  ") for name, module in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class StateDictMismatch(ValueError):
    """load_state_dict (or a checkpoint) was given the state of a different architecture."""

    def __init__(self, owner, missing, unexpected, mismatched, wrong_dtype=()):
        self.missing, self.unexpected, self.mismatched = missing, unexpected, mismatched
        self.wrong_dtype = list(wrong_dtype)
        parts = [f"state does not match {owner}:"]
        if missing:
            parts.append(f"missing keys: {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {', '.join(unexpected)}")
        if mismatched:
            parts.append(f"shape mismatches: {'; '.join(mismatched)}")
        if wrong_dtype:
            parts.append(f"dtype mismatches: {'; '.join(wrong_dtype)}")
        super().__init__("\n  ".join(parts))

