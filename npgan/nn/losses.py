"""Losses and the GAN objectives, each with its gradient written out.

Criterion objects follow one small API (mean reduction)::

    crit = BCEWithLogitsLoss()
    loss = crit(pred, target)     # a Python float
    gpred = crit.backward()       # dL/dpred, pred's shape and dtype

The GAN objectives are functions of D's *logits* a (D(x) = σ(a)), which keeps them finite at any logit:
log σ(a) = −softplus(−a) and log(1 − σ(a)) = −softplus(a), with softplus(t) = log(1 + eᵗ) = logaddexp(0, t).
They take D's logits on m rows, shaped (m, 1), and return the loss as a 0-d array (no device sync) together
with the gradients, shaped like the logits.
"""
import math

from npgan.backend import get_array_module
from npgan.kernels import Elementwise, fused
from npgan.nn.functional import sigmoid_forward

GENERATOR_LOSSES = ("non-saturating", "minimax")


def softplus(x):
    """softplus(x) = log(1 + eˣ) = logaddexp(x, 0), stable for any x; any shape."""
    return get_array_module(x).logaddexp(x, 0.0)


def sigmoid(x):
    """σ(x) = 1/(1 + e^−x): sigmoid_forward's y, without its cache; any shape."""
    return sigmoid_forward(x)[0]


@fused(cuda=Elementwise("T a, T t, T inv_m", "T loss, T grad, T prob",
                        "prob = tanh(a * (T)0.5) * (T)0.5 + (T)0.5; "
                        "loss = max(a, (T)0) + log1p(exp(-fabs(a))) - t * a; "
                        "grad = (prob - t) * inv_m", "npgan_bce_logits"))
def bce_logits(a, t, inv_m):
    """Binary cross-entropy on logits, per element, for logit a and target t ∈ [0, 1]:
    loss = softplus(a) − t·a = −[t log σ(a) + (1 − t) log(1 − σ(a))],  grad = (σ(a) − t)·inv_m,
    and prob = σ(a) = D's output. softplus never overflows, so the loss is finite at any logit.
    a any shape, t a number or an array shaped like a, inv_m a number (1/m for the gradient of a mean over
    m elements); loss, grad and prob shaped like a."""
    prob = sigmoid(a)
    return softplus(a) - t * a, (prob - t) * inv_m, prob


# --- the GAN objectives (Goodfellow et al., 2014, eq. 1) --------------------------------------------------

def neg_log_d(logits):
    """−mean log D = mean softplus(−a);  ∂/∂a = −σ(−a)/m = (σ(a) − 1)/m.

    D's loss on real data, and the non-saturating generator loss on fakes."""
    rows, g, _ = bce_logits(logits, 1.0, 1.0 / logits.shape[0])
    return rows.mean(), g


def neg_log_one_minus_d(logits):
    """−mean log(1 − D) = mean softplus(a);  ∂/∂a = σ(a)/m.  D's loss on fakes."""
    rows, g, _ = bce_logits(logits, 0.0, 1.0 / logits.shape[0])
    return rows.mean(), g


def discriminator_loss(real_logits, fake_logits):
    """D's loss −[mean log D(x) + mean log(1 − D(G(z)))]. Minimising it ascends V(D, G), so −loss is the
    minibatch estimate of V(D, G). Returns (loss, g_real, g_fake)."""
    loss_real, g_real = neg_log_d(real_logits)
    loss_fake, g_fake = neg_log_one_minus_d(fake_logits)
    return loss_real + loss_fake, g_real, g_fake


def discriminator_loss_stacked(logits, m):
    """discriminator_loss for the logits of [m real rows; m fake rows] from one forward (a discriminator
    without BatchNorm sees both halves in one pass). Returns (loss, g_logits, mean D(x), mean D(G(z)))."""
    real, fake = logits[:m], logits[m:]
    loss, g_real, g_fake = discriminator_loss(real, fake)
    g_logits = get_array_module(logits).concatenate([g_real, g_fake])
    return loss, g_logits, sigmoid(real).mean(), sigmoid(fake).mean()


def generator_loss(fake_logits, kind="non-saturating"):
    """G's loss and its gradient with respect to D's logits a on fakes.

    minimax (eq. 1, descend log(1 − D(G(z)))):  loss = −mean softplus(a),  ∂/∂a = −σ(a)/m.
        When D confidently rejects the fakes (a → −∞) this gradient vanishes: it saturates early in training.
    non-saturating (the paper's heuristic, ascend log D(G(z))):  loss = mean softplus(−a),
        ∂/∂a = (σ(a) − 1)/m, which tends to −1/m exactly where the minimax gradient vanishes.
    """
    if kind == "non-saturating":
        return neg_log_d(fake_logits)
    if kind == "minimax":
        loss, g = neg_log_one_minus_d(fake_logits)
        g *= -1.0
        return -loss, g
    raise ValueError(f"unknown generator loss {kind!r}: choose one of {', '.join(GENERATOR_LOSSES)}")


# --- criterion objects --------------------------------------------------------------------------------------

class _Criterion:
    """loss = crit(pred, target) computes the loss (a float) and keeps dL/dpred for `backward()`; a
    subclass writes `_compute(pred, target) -> (loss, dL/dpred)`."""

    def __call__(self, pred, target):
        if hasattr(target, "shape") and target.shape != pred.shape:
            raise ValueError(f"{type(self).__name__}: target shape {tuple(target.shape)} does not match "
                             f"prediction shape {tuple(pred.shape)}")
        loss, self._grad = self._compute(pred, target)
        value = float(loss)
        if not math.isfinite(value):
            xp = get_array_module(pred)
            bad = int((~xp.isfinite(pred)).sum())
            raise FloatingPointError(f"{type(self).__name__}: the loss is {value}; {bad} of {pred.size} "
                                     f"prediction values are not finite")
        return value

    def backward(self):
        """dL/dpred for the last call."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before the loss was computed")
        grad, self._grad = self._grad, None
        return grad

    _grad = None


class BCEWithLogitsLoss(_Criterion):
    """mean[softplus(z) − t z] = −mean[t log σ(z) + (1 − t) log(1 − σ(z))];  gz = (σ(z) − t)/n."""

    def _compute(self, z, t):
        rows, grad, _ = bce_logits(z, t, 1.0 / z.size)
        return rows.mean(), grad


class BCELoss(_Criterion):
    """−mean[t log p + (1 − t) log(1 − p)] on probabilities, p clipped to [eps, 1 − eps] so the log is
    finite;  gp = (p − t) / (p (1 − p)) / n."""

    def __init__(self, eps=1e-6):
        self.eps = eps

    def _compute(self, p, t):
        xp = get_array_module(p)
        p = xp.clip(p, self.eps, 1.0 - self.eps)
        loss = -(t * xp.log(p) + (1.0 - t) * xp.log1p(-p)).mean()
        grad = (p - t) / (p * (1.0 - p))
        grad *= 1.0 / p.size
        return loss, grad


class MSELoss(_Criterion):
    """mean (p − t)²;  gp = 2 (p − t)/n."""

    def _compute(self, p, t):
        diff = p - t
        return (diff * diff).mean(), diff * (2.0 / p.size)


class CrossEntropyLoss(_Criterion):
    """Softmax cross-entropy for classifiers: logits (N, C), integer labels (N,).

    loss = −mean_n log softmax(z_n)[y_n];  gz = (softmax(z) − onehot(y))/N.
    """

    def __call__(self, logits, labels):
        if logits.ndim != 2 or labels.shape != (logits.shape[0],):
            raise ValueError(f"CrossEntropyLoss: expected logits (N, C) and labels (N,), got "
                             f"{tuple(logits.shape)} and {tuple(labels.shape)}")
        return super().__call__(logits, _Labels(labels))

    def _compute(self, z, labels):
        xp = get_array_module(z)
        y = labels.array
        n = z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        log_norm = xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        log_probs = shifted - log_norm
        rows = xp.arange(n)
        loss = -log_probs[rows, y].mean()
        grad = xp.exp(log_probs)
        grad[rows, y] -= 1.0
        grad *= 1.0 / n
        return loss, grad


class _Labels:
    """Wraps integer labels so the shape check of _Criterion (target shaped like pred) does not apply."""

    def __init__(self, array):
        self.array = array
