"""npgan's networks and one Algorithm-1 iteration in PyTorch: the one reference that tests/test_vs_torch.py
checks npgan against and that benchmarks/bench_step.py times npgan against. Needs PyTorch
(``pip install -e .[bench]``); nothing in npgan imports this module.

The PyTorch side is written the way a practitioner writes it, so the comparison is with a fair reference
and not a strawman:

    D step:  z ~ p(z);  with torch.no_grad(): fake = G(z)      (no graph into G at all)
             opt_D.zero_grad(set_to_none=True)
             logits = D(cat([real, fake]))                     (one forward when D has no BatchNorm, as
                                                                npgan does; else D(real), D(fake))
             loss = −[mean log D(x) + mean log(1 − D(G(z)))]    (BCE with logits)
             loss.backward();  opt_D.step()
    G step:  z ~ p(z);  fake = G(z);  D.requires_grad_(False)   (no weight gradients in D)
             loss = −mean log D(G(z))  (non-saturating)  or  mean log(1 − D(G(z)))  (minimax)
             opt_G.zero_grad(set_to_none=True);  loss.backward();  opt_G.step();  D.requires_grad_(True)

:func:`mirror` builds the PyTorch twin of an npgan network with its weights (W is (in, out) in npgan,
(out, in) in PyTorch); :func:`agreement` runs both frameworks from the same weights, data and noise and
says how far apart their parameters end up.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Maxout(nn.Module):
    """`pieces` linear pieces per unit, the unit outputs their max; unit j owns output columns
    j·pieces … j·pieces + pieces − 1 of the Linear, as in npgan.nn.Maxout."""

    def __init__(self, in_features, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x):
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(dim=2)


def _twin(m):
    """PyTorch's layer for the npgan layer `m`, and the (torch tensor, npgan array) pairs to copy into it."""
    kind = type(m).__name__
    if kind in ("Linear", "Maxout"):
        layer = Maxout(m.in_features, m.out_features, m.pieces) if kind == "Maxout" else nn.Linear(
            m.in_features, m.out_features)
        linear = layer.linear if kind == "Maxout" else layer
        return layer, [(linear.weight, m.weight.data), (linear.bias, m.bias.data)]
    if kind == "BatchNorm1d":
        layer = nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum)
        return layer, [(layer.weight, m.weight.data), (layer.bias, m.bias.data),
                       (layer.running_mean, m.running_mean), (layer.running_var, m.running_var)]
    if kind == "LeakyReLU":
        return nn.LeakyReLU(m.negative_slope), []
    if kind == "Dropout":
        return nn.Dropout(m.p), []
    return {"ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh}[kind](), []


def mirror(net, dtype=torch.float32, device="cpu"):
    """An ``nn.Sequential`` of PyTorch's own layers computing what the npgan Sequential `net` computes, with
    its parameters and BatchNorm running statistics copied (`net` on the host)."""
    twins = [_twin(m) for m in net]
    seq = nn.Sequential(*(layer for layer, _ in twins)).to(device=device, dtype=dtype)  # then copy: no rounding
    with torch.no_grad():
        for _, pairs in twins:
            for tensor, array in pairs:
                tensor.copy_(torch.as_tensor(np.ascontiguousarray(array.T if array.ndim == 2 else array)))
    return seq


def parameters_in_npgan_layout(module):
    """The module's parameters and BatchNorm running statistics as host arrays, W as (in, out)."""
    out = [p.detach().cpu().numpy() for p in module.parameters()]
    out = [a.T if a.ndim == 2 else a for a in out]
    return out + [b.detach().cpu().numpy() for name, b in module.named_buffers()
                  if not name.endswith("num_batches_tracked")]


class TorchGANStep:
    """One Algorithm-1 iteration (k = 1) in PyTorch, as npgan.gan.GANTrainer takes it.

    noise: "normal" N(0, I), or "uniform-sqrt3" U[−√3, √3] (npgan's priors for `slides` and `paper`);
    ``noise_batch`` can be replaced, so a check can feed the same noise as npgan.
    loss: the G loss, "non-saturating" or "minimax".
    concat: one D forward over [real; fake] (None: exactly when D has no BatchNorm, as npgan decides).
    """

    def __init__(self, G, D, opt_G, opt_D, z_dim, loss="non-saturating", noise="normal", concat=None):
        if loss not in ("non-saturating", "minimax"):
            raise ValueError(f"unknown generator loss {loss!r}")
        self.G, self.D, self.opt_G, self.opt_D = G, D, opt_G, opt_D
        self.z_dim, self.loss, self.noise = z_dim, loss, noise
        if concat is None:
            concat = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())
        self.concat = concat
        self.device, self.dtype = next(G.parameters()).device, next(G.parameters()).dtype
        self._targets = {}
        self.noise_batch = self._sample

    def _sample(self, m):
        if self.noise == "normal":
            return torch.randn(m, self.z_dim, device=self.device, dtype=self.dtype)
        if self.noise != "uniform-sqrt3":
            raise ValueError(f"unknown noise prior {self.noise!r}")
        half = 3.0 ** 0.5
        return torch.rand(m, self.z_dim, device=self.device, dtype=self.dtype) * (2 * half) - half

    def _ones_zeros(self, m):
        """Cached (2m, 1) targets: m ones (real) then m zeros (fake)."""
        if m not in self._targets:
            t = torch.zeros(2 * m, 1, device=self.device, dtype=self.dtype)
            t[:m] = 1.0
            self._targets[m] = t
        return self._targets[m]

    def discriminator_step(self, real):
        m = real.shape[0]
        with torch.no_grad():
            fake = self.G(self.noise_batch(m))
        self.opt_D.zero_grad(set_to_none=True)
        if self.concat:  # the sum over 2m rows / m = the two means added
            loss = F.binary_cross_entropy_with_logits(self.D(torch.cat([real, fake])), self._ones_zeros(m),
                                                      reduction="sum") / m
        else:
            real_logits, fake_logits = self.D(real), self.D(fake)
            loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                    + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        loss.backward()
        self.opt_D.step()
        return loss

    def generator_step(self, m):
        fake = self.G(self.noise_batch(m))
        self.D.requires_grad_(False)
        logits = self.D(fake)
        if self.loss == "non-saturating":
            loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        else:
            loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
        self.opt_G.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        return loss

    def iteration(self, real):
        d_loss = self.discriminator_step(real)
        g_loss = self.generator_step(real.shape[0])
        return d_loss, g_loss


def optimizers(kind, params, lr, momentum=0.0, betas=(0.9, 0.999)):
    """(npgan optimizer, PyTorch optimizer) of one kind and settings, for the twin parameter lists."""
    from npgan import optim
    ours, theirs = params
    if kind == "adam":
        return optim.Adam(ours, lr, betas=betas), torch.optim.Adam(theirs, lr, betas=betas)
    return optim.SGD(ours, lr, momentum=momentum), torch.optim.SGD(theirs, lr, momentum=momentum)


def agreement(G, D, real, noises, optimizer="sgd", loss="non-saturating", lr=0.1, momentum=0.5,
              betas=(0.9, 0.999), iterations=1):
    """Train npgan's `G`, `D` (host, float64, dropout off: masks cannot be shared) and their PyTorch mirrors
    for `iterations` from the same weights, data `real` and noise (`noises`: two (m, z_dim) arrays per
    iteration, D step then G step). Returns the worst deviation over parameters and running statistics,
    |npgan − torch| / |how far it moved|, with a floor of 1 % of the largest move (a bias before BatchNorm
    barely moves). 0 is identical; round-off in float64 gives ~1e-13."""
    from npgan.gan import GANTrainer
    tG, tD = mirror(G, torch.float64), mirror(D, torch.float64)
    opt_G, topt_G = optimizers(optimizer, (G.parameters(), list(tG.parameters())), lr, momentum, betas)
    opt_D, topt_D = optimizers(optimizer, (D.parameters(), list(tD.parameters())), lr, momentum, betas)
    ours = lambda: [a.copy() for net in (G, D) for a in [p.data for p in net.parameters()]
                    + [b for _, _, _, b in net.named_buffers()]]
    before = ours()
    draws = iter(noises)
    trainer = GANTrainer(G, D, opt_G, opt_D, z_dim=noises[0].shape[1], loss=loss, noise_sampler=lambda m: next(draws))
    step = TorchGANStep(tG, tD, topt_G, topt_D, noises[0].shape[1], loss=loss)
    tdraws = iter(torch.from_numpy(z) for z in noises)
    step.noise_batch = lambda m: next(tdraws)
    for _ in range(iterations):
        trainer.iteration(iter([real]))
        step.iteration(torch.from_numpy(real))
    after, theirs = ours(), parameters_in_npgan_layout(tG) + parameters_in_npgan_layout(tD)
    moves = [float(np.abs(a - b).max()) for a, b in zip(after, before)]
    floor = 0.01 * max(moves)
    return max(float(np.abs(a - t).max()) / max(move, floor) for a, t, move in zip(after, theirs, moves))
