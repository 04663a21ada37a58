"""Adam (Kingma & Ba, 2015) with PyTorch's rule. For a parameter p with gradient g, weight decay λ, at step
t = 1, 2, ...:

    g ← g + λp                                          (when λ > 0: L2 on the loss, not AdamW's)
    m ← β₁m + (1 − β₁)g                                 (the first moment, m = 0 before the first step)
    v ← β₂v + (1 − β₂)g²                                (the second, v = 0 likewise)
    p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)      (both moments bias-corrected)

The update is one formula, `adam_update`, with a fused CUDA spelling (optim/cuda.py) and a tuned host
spelling (optim/host.py) attached by `@fused`.
"""
from npgan import backend as B
from npgan.kernels import fused
from npgan.nn.checks import check_number
from npgan.optim import cuda, host
from npgan.optim.optimizer import Optimizer


@fused(cuda=cuda.adam_update, host=host.adam_update)
def adam_update(g, step_size, beta1, beta2, inv_sqrt_bias2, eps, p, m, v, work=None):
    """Adam, in place:  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − step_size · m/(√v·c + ε),
    with step_size = lr/(1 − β₁ᵗ) and c = inv_sqrt_bias2 = 1/√(1 − β₂ᵗ) (the bias corrections).
    g, p, m, v: arrays of one shape. `work` (shaped like p) is scratch space for the host spelling; the
    formula needs none."""
    m[...] = beta1 * m + (1.0 - beta1) * g
    v[...] = beta2 * v + (1.0 - beta2) * g * g
    p -= step_size * m / (B.get_array_module(g).sqrt(v) * inv_sqrt_bias2 + eps)


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
