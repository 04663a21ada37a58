"""The conditional GAN of the paper's §7: "a conditional generative model p(x | c) can be obtained by adding
c as input to both G and D".

The label c (one of C classes: the 10 digits of MNIST) enters as a one-hot row. Written as a GAN on the
joint variable (x, c):

    real rows:  [x, c]                with (x, c) from the data            (D's input: x joined with c)
    fake rows:  [G([z, c′]), c′]      with z ~ p_g(z), c′ uniform on 0..C−1 (G's input: z joined with c′)

so D learns p_data(x, c) against p(c′)·p_g(x | c′), and at the optimum p_g(x | c) = p_data(x | c). The
trainer (npgan.gan) is unchanged: the noise sampler joins c′ to z (`LabelledNoise`), the data rows carry
their one-hot label (`join_labels`), and `ConditionOn` wraps G so that its output carries c′ on to D.

Join and split are one formula pair, with the CS231n shape:

    y, width = concat_forward(x, c)       y = [x, c]                   (N, A) and (N, C) → (N, A + C)
    gx, gc = concat_backward(gy, width)   gx = gy[:, :A], gc = gy[:, A:]   (the gradient is split back)
"""
import numpy as np

from npgan import backend as B
from npgan.nn.module import Module

N_CLASSES = 10


def concat_forward(x, c):
    """y = [x, c] along the feature axis; the cache is x's width."""
    return B.get_array_module(x).concatenate([x, c], axis=1), x.shape[1]


def concat_backward(gy, width):
    """The gradient of y = [x, c] split back: (gx, gc) = (gy[:, :width], gy[:, width:])."""
    return gy[:, :width], gy[:, width:]


def one_hot(labels, xp=np, dtype=np.float32, n_classes=N_CLASSES):
    """(N,) integer labels → (N, n_classes) one-hot rows of `dtype` on the device of `xp`."""
    if isinstance(labels, np.ndarray) and xp is not np:
        labels = B.to_device(labels, "cupy" if xp is B.cupy else "strict")  # sampling: host labels, moved once
    return (labels[:, None] == xp.arange(n_classes)[None, :]).astype(dtype)


def join_labels(images, labels, n_classes=N_CLASSES):
    """The conditional training rows [x, one_hot(y)]: float32 host (N, D + C), so each minibatch still
    crosses to the device as one array (npgan.data.Batches)."""
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, one per image: got {labels.dtype} {labels.shape} for "
                         f"{len(images)} images")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    return np.concatenate([images, one_hot(labels, np, images.dtype, n_classes)], axis=1)


class ConditionOn(Module):
    """G conditioned on its label:  [z, c] ↦ [net([z, c]), c]  (the label rides on to D's input).

    forward:   y = concat_forward(net(zc), c), with c the last `n_classes` columns of zc.
    backward:  (gx, gc) = concat_backward(gy, width);  gzc = net.backward(gx);  gzc[:, -n:] += gc
               (the label reaches the output twice: through net and directly).
    """

    def __init__(self, net, n_classes=N_CLASSES):
        super().__init__()
        self.net, self.n_classes = net, n_classes

    def forward(self, zc):
        c = zc[:, zc.shape[1] - self.n_classes:]
        return concat_forward(self.net(zc), c)[0]

    def backward(self, gy, need_input_grad=True):
        gx, gc = concat_backward(gy, gy.shape[1] - self.n_classes)
        gzc = self.net.backward(gx, need_input_grad=need_input_grad)
        if not need_input_grad:
            return None
        gz, gc_through_net = concat_backward(gzc, gzc.shape[1] - self.n_classes)
        return concat_forward(gz, gc_through_net + gc)[0]

    def images(self, y):
        """The image part of an output row block (the label columns dropped)."""
        return y[:, :y.shape[1] - self.n_classes]


class LabelledNoise:
    """A noise sampler for the conditional GAN: m draws [z, one_hot(c′)], z from `base` (the trainer's own
    sampler of p_g(z)), c′ uniform on 0..n−1 from the run's seeded device generator (so a resume continues
    the same stream)."""

    def __init__(self, base, xp, dtype, n_classes=N_CLASSES):
        self.base, self.xp, self.dtype, self.n_classes = base, xp, dtype, n_classes

    def __call__(self, m):
        z = self.base(m)
        u = B.rng_for(self.xp).random((m,), dtype=self.dtype)
        labels = self.xp.minimum((u * self.n_classes).astype(np.int64), self.n_classes - 1)
        return concat_forward(z, one_hot(labels, self.xp, self.dtype, self.n_classes))[0]


def class_labels(n, n_classes=N_CLASSES):
    """0, 1, ..., C − 1, 0, 1, ... : n labels covering every class equally (the default for sampling)."""
    return np.arange(n) % n_classes


def grid_labels(per_class=10, n_classes=N_CLASSES):
    """The class grid's labels: row i (of `per_class` images) shows class i."""
    return np.repeat(np.arange(n_classes), per_class)
