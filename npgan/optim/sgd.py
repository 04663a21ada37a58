"""Stochastic gradient descent with momentum (the paper's optimizer), with PyTorch's rule. For a parameter p
with gradient g, weight decay λ, momentum μ and learning rate lr, each step:

    g ← g + λp                    (when λ > 0)
    v ← μv + g                    (v ← g at the first step: PyTorch starts the buffer at the first gradient)
    p ← p − lr·v                  (Nesterov: p ← p − lr·(g + μv))

and without momentum simply p ← p − lr·g. The heavy-ball update is one formula, `sgd_momentum_update`, with
a fused CUDA spelling (optim/cuda.py) and a tuned host spelling (optim/host.py) attached by `@fused`.
"""
from npgan.kernels import fused
from npgan.nn.checks import check_number
from npgan.optim import cuda, host
from npgan.optim.optimizer import Optimizer


@fused(cuda=cuda.sgd_momentum_update, host=host.sgd_momentum_update)
def sgd_momentum_update(g, lr, momentum, p, v, work=None):
    """Heavy-ball momentum, in place:  v ← μv + g;  p ← p − lr·v.  g, p, v: arrays of one shape.
    `work` (shaped like p) is scratch space for the host spelling; the formula needs none."""
    v[...] = momentum * v + g
    p -= lr * v


def sgd_nesterov_update(g, lr, momentum, p, v):
    """Nesterov momentum, in place:  v ← μv + g;  p ← p − lr·(g + μv).  g, p, v: arrays of one shape."""
    v[...] = momentum * v + g
    p -= lr * (g + momentum * v)


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
        if not self.momentum:
            p -= self.lr * g
            return
        v = state.get("momentum_buffer")
        if v is None:  # the first step: v ← g
            v = state["momentum_buffer"] = g.copy()
            p -= self.lr * (g + self.momentum * v if self.nesterov else v)
        elif self.nesterov:
            sgd_nesterov_update(g, self.lr, self.momentum, p, v)
        else:
            sgd_momentum_update(g, self.lr, self.momentum, p, v, self._work(state, param))
