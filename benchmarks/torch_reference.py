"""The npgan presets and one Algorithm-1 iteration written in PyTorch, for benchmarks/bench_step.py.

The same networks (`slides`, `paper`), the same losses (the GAN objectives from D's logits) and the same
update (SGD with momentum, PyTorch's rule, which npgan.optim.SGD copies), written the way a practitioner
would write them, so that the comparison is with a fair reference and not a strawman:

    D step:  z ~ p(z);  with torch.no_grad(): fake = G(z)      (no graph into G at all)
             opt_D.zero_grad(set_to_none=True)
             logits = D(cat([real, fake]))                     (one forward when D has no BatchNorm,
                                                                as npgan does; else D(real), D(fake))
             loss = BCEWithLogits(logits, [1…1, 0…0]) summed / m,  i.e.  −[mean log D(x) + mean log(1 − D(G(z)))]
             loss.backward();  opt_D.step()
    G step:  z ~ p(z);  fake = G(z);  D.requires_grad_(False)   (no weight gradients in D)
             loss = BCEWithLogits(D(fake), 1)                   (non-saturating: −mean log D(G(z)))
             opt_G.zero_grad(set_to_none=True);  loss.backward();  opt_G.step();  D.requires_grad_(True)

`copy_from_npgan` loads npgan's parameters (W stored (in, out) there, (out, in) here), so one iteration of
both from the same weights, data and noise can be compared (`bench_step.py --check`).
"""
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


def slides_generator(z_dim=64, hidden=128, out=784):
    widths = [z_dim, hidden, 2 * hidden, 4 * hidden, 8 * hidden]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.BatchNorm1d(fan_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], out), nn.Sigmoid())


def slides_discriminator(hidden=128, inp=784):
    widths = [inp, 4 * hidden, 2 * hidden, hidden]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Linear(hidden, 1))


def paper_generator(z_dim=100, hidden=1200, out=784):
    return nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, out), nn.Sigmoid())


def paper_discriminator(hidden=240, pieces=5, inp=784):
    return nn.Sequential(nn.Dropout(0.2), Maxout(inp, hidden, pieces), nn.Dropout(0.5),
                         Maxout(hidden, hidden, pieces), nn.Dropout(0.5), nn.Linear(hidden, 1))


def build(arch, z_dim, hidden, device="cpu"):
    """(G, D) for `arch` ("slides" or "paper") in float32 on `device`. For `paper`, `hidden` is G's width
    (D is the paper's 240 × 5 maxout net, as npgan.models.paper_discriminator)."""
    if arch == "slides":
        G, D = slides_generator(z_dim, hidden), slides_discriminator(hidden)
    elif arch == "paper":
        G, D = paper_generator(z_dim, hidden), paper_discriminator()
    else:
        raise ValueError(f"no PyTorch reference for arch {arch!r}")
    return G.to(device), D.to(device)


def copy_from_npgan(torch_module, npgan_module):
    """Copy npgan parameters (and BatchNorm running statistics) into the matching PyTorch module."""
    ours = [p.data for p in npgan_module.parameters()]
    theirs = list(torch_module.parameters())
    if len(ours) != len(theirs):
        raise ValueError(f"{len(ours)} npgan parameters, {len(theirs)} PyTorch parameters")
    with torch.no_grad():
        for p, array in zip(theirs, ours):
            array = torch.as_tensor(array.T.copy() if array.ndim == 2 else array.copy())
            if tuple(array.shape) != tuple(p.shape):
                raise ValueError(f"shape {tuple(array.shape)} does not match {tuple(p.shape)}")
            p.copy_(array)
        ours = [array for _, _, _, array in npgan_module.named_buffers()]  # running_mean, running_var, ...
        theirs = [b for name, b in torch_module.named_buffers() if not name.endswith("num_batches_tracked")]
        for b, array in zip(theirs, ours):
            b.copy_(torch.as_tensor(array))


class TorchGANStep:
    """One Algorithm-1 iteration (k = 1, non-saturating G loss) in PyTorch, SGD with momentum.

    noise: "normal" N(0, I), or "uniform-sqrt3" U[−√3, √3] (npgan's priors for `slides` and `paper`).
    concat: one D forward over [real; fake] (None: exactly when D has no BatchNorm, as npgan decides).
    """

    def __init__(self, G, D, z_dim, lr, momentum, noise="normal", concat=None):
        self.G, self.D, self.z_dim, self.noise = G, D, z_dim, noise
        self.opt_G = torch.optim.SGD(G.parameters(), lr=lr, momentum=momentum)
        self.opt_D = torch.optim.SGD(D.parameters(), lr=lr, momentum=momentum)
        if concat is None:
            concat = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())
        self.concat = concat
        self.device, self.dtype = next(G.parameters()).device, next(G.parameters()).dtype
        self._targets = {}
        self.noise_batch = self._sample  # replaceable, so a check can feed the same noise as npgan

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
        if self.concat:
            targets = self._ones_zeros(m)
            loss = F.binary_cross_entropy_with_logits(self.D(torch.cat([real, fake])), targets,
                                                      reduction="sum") / m
        else:  # two means, as −[mean log D(x) + mean log(1 − D(G(z)))]
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
        loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        self.opt_G.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        return loss

    def iteration(self, real):
        d_loss = self.discriminator_step(real)
        g_loss = self.generator_step(real.shape[0])
        return d_loss, g_loss
