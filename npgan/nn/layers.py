"""Layers with parameters (Linear, Maxout, BatchNorm1d) and Dropout. The maths is in functional.py."""
import numpy as np

from npgan import backend as B
from npgan.nn import functional as F
from npgan.nn import init
from npgan.nn.checks import check_int_at_least, check_number
from npgan.nn.module import Module, Parameter


class InputError(ValueError):
    """A layer was given an input of the wrong shape, dtype or device."""


def check_input(layer, x, features, like):
    """Raise InputError naming the layer, what it expected and what it got."""
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise InputError(f"{layer!r}: expected an array of shape (N, {features}), got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != features:
        raise InputError(f"{layer!r}: expected input of shape (N, {features}), got {tuple(x.shape)}")
    if x.dtype != like.dtype:
        raise InputError(f"{layer!r}: expected dtype {like.dtype} (the parameters' dtype), got {x.dtype}; "
                         f"cast with x.astype(np.{like.dtype}) or move the module with .to(dtype=...)")
    if B.get_array_module(x) is not B.get_array_module(like):
        raise InputError(f"{layer!r}: the input is on backend '{B.backend_of(x)}' but the parameters are on "
                         f"'{B.backend_of(like)}'; move one of them explicitly (to_device / module.to)")


class Linear(Module):
    """y = x W + b with W of shape (in_features, out_features).

    Initialised like PyTorch's Linear: W and b uniform in ±1/√in_features (use npgan.nn.init to change).
    """

    def __init__(self, in_features, out_features, bias=True, columns=None):
        super().__init__()
        owner = type(self).__name__
        in_features = check_int_at_least(owner, "in_features", in_features, 1)
        out_features = check_int_at_least(owner, "out_features", out_features, 1)
        self.in_features, self.out_features = in_features, out_features
        columns = columns or out_features
        bound = in_features ** -0.5
        self.weight = Parameter(init.uniform((in_features, columns), bound))
        self.bias = Parameter(init.uniform((columns,), bound) if bias else np.zeros(columns, np.float32),
                              requires_grad=bias)

    def _forward(self, x):
        return F.linear_forward(x, self.weight.data, self.bias.data)

    _backward = staticmethod(F.linear_backward)

    def forward(self, x):
        check_input(self, x, self.in_features, self.weight.data)
        y, cache = self._forward(x)
        self._save_for_backward(*cache)
        return y

    def backward(self, gy, need_input_grad=True):
        cache = self._saved_for_backward()
        gx, gW, gb = self._backward(gy, cache, need_input_grad, self.weight.requires_grad, self.bias.requires_grad)
        if gW is not None:
            self.weight.accumulate(gW)
        if gb is not None:
            self.bias.accumulate(gb)
        return gx

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"


class Maxout(Linear):
    """Maxout units (Goodfellow et al., 2013): `pieces` linear pieces per unit, the unit outputs their max.

    A Linear layer with out_features · pieces columns followed by a max over each unit's pieces:
    W has shape (in_features, out_features · pieces); unit j owns columns j·pieces … j·pieces + pieces − 1.
    """

    def __init__(self, in_features, out_features, pieces):
        pieces = check_int_at_least("Maxout", "pieces", pieces, 1)
        out_features = check_int_at_least("Maxout", "out_features", out_features, 1)
        super().__init__(in_features, out_features, columns=out_features * pieces)
        self.pieces = pieces

    def _forward(self, x):
        return F.maxout_forward(x, self.weight.data, self.bias.data, self.pieces)

    _backward = staticmethod(F.maxout_backward)

    def extra_repr(self):
        return f"{super().extra_repr()}, pieces={self.pieces}"


class BatchNorm1d(Module):
    """Batch normalisation over (N, C) with PyTorch's semantics.

    Training: normalise with the batch's mean and biased variance, and update the running estimates
    running = (1 − momentum)·running + momentum·batch, the variance entering unbiased (× N/(N − 1)).
    Evaluation: normalise with the running estimates (buffers, saved in the state but not trained).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        num_features = check_int_at_least("BatchNorm1d", "num_features", num_features, 1)
        self.num_features = num_features
        self.eps = check_number("BatchNorm1d", "eps", eps, low=0.0, low_open=True)
        self.momentum = check_number("BatchNorm1d", "momentum", momentum, 0.0, 1.0)
        self.weight = Parameter(np.ones(num_features, np.float32))
        self.bias = Parameter(np.zeros(num_features, np.float32))
        self.register_buffer("running_mean", np.zeros(num_features, np.float32))
        self.register_buffer("running_var", np.ones(num_features, np.float32))

    def forward(self, x):
        check_input(self, x, self.num_features, self.weight.data)
        gamma, beta = self.weight.data, self.bias.data
        if not self.training:
            y, cache = F.batchnorm_eval_forward(x, gamma, beta, self.running_mean, self.running_var, self.eps)
            self._save_for_backward(False, cache)
            return y
        if x.shape[0] == 1:
            raise InputError(f"{self!r}: a batch of 1 has no variance to normalise by in training mode; "
                             f"use a batch of 2 or more, or call .eval()")
        y, cache = F.batchnorm_forward(x, gamma, beta, self.eps, self.running_mean, self.running_var, self.momentum)
        self._save_for_backward(True, cache)
        return y

    def backward(self, gy, need_input_grad=True):
        used_batch_stats, cache = self._saved_for_backward()
        step = F.batchnorm_backward if used_batch_stats else F.batchnorm_eval_backward
        gx, ggamma, gbeta = step(gy, cache, need_input_grad, self.weight.requires_grad or self.bias.requires_grad)
        if self.weight.requires_grad:
            self.weight.accumulate(ggamma)
        if self.bias.requires_grad:
            self.bias.accumulate(gbeta)
        return gx

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class Dropout(Module):
    """Inverted dropout with drop probability p; the identity in eval mode.

    `freeze_mask(True)` reuses the last mask for every later forward, which makes the layer deterministic
    for gradient checks.
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.p = check_number("Dropout", "p", p, 0.0, 1.0, high_open=True)
        self._frozen_mask = None
        self._freeze = False

    def freeze_mask(self, freeze=True):
        self._freeze = freeze
        if not freeze:
            self._frozen_mask = None
        return self

    def forward(self, x):
        if not self.training or self.p == 0.0:
            self._save_for_backward(None)
            return x
        if self._freeze and self._frozen_mask is not None and self._frozen_mask.shape == x.shape:
            mask = self._frozen_mask
            y = x * mask
        else:
            y, mask = F.dropout_forward(x, self.p, B.rng_for(B.get_array_module(x)))
            if self._freeze:
                self._frozen_mask = mask
        self._save_for_backward(mask)
        return y

    def backward(self, gy, need_input_grad=True):
        (mask,) = self._saved_for_backward()
        if not need_input_grad:
            return None
        return gy if mask is None else F.dropout_backward(gy, mask)

    def extra_repr(self):
        return f"p={self.p}"


def freeze_dropout(module, freeze=True):
    """Freeze (or release) the masks of every Dropout in `module`: each reuses its last mask."""
    for m in module.modules():
        if isinstance(m, Dropout):
            m.freeze_mask(freeze)
