"""Element-wise activations. Each keeps the one array its backward needs (the output where it suffices)."""
from npgan.nn import functional as F
from npgan.nn.checks import check_number
from npgan.nn.module import Module


class _Activation(Module):
    _forward = _backward = None  # the functional pair

    def forward(self, x):
        y, saved = type(self)._forward(x)
        self._save_for_backward(saved)
        return y

    def backward(self, gy, need_input_grad=True):
        (saved,) = self._saved_for_backward()
        return type(self)._backward(gy, saved) if need_input_grad else None


class ReLU(_Activation):
    """y = max(x, 0);  gx = gy · [y > 0]."""
    _forward, _backward = F.relu_forward, F.relu_backward


class Sigmoid(_Activation):
    """y = σ(x);  gx = gy · y (1 − y)."""
    _forward, _backward = F.sigmoid_forward, F.sigmoid_backward


class Tanh(_Activation):
    """y = tanh x;  gx = gy (1 − y²)."""
    _forward, _backward = F.tanh_forward, F.tanh_backward


class LeakyReLU(Module):
    """y = x for x > 0, negative_slope·x otherwise;  gx = gy or negative_slope·gy likewise."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = check_number("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x):
        y, k = F.leaky_relu_forward(x, self.negative_slope)
        self._save_for_backward(k)
        return y

    def backward(self, gy, need_input_grad=True):
        (k,) = self._saved_for_backward()
        return F.leaky_relu_backward(gy, k) if need_input_grad else None

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"
