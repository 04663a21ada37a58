"""One Algorithm-1 iteration of npgan against the same maths written in PyTorch (float64): same weights,
data and noise must give the same parameters, to round-off. Skipped where PyTorch is not installed
(it is an optional extra: `pip install -e .[bench]`)."""
import numpy as np
import pytest

from npgan import models, optim
from npgan.gan import GANTrainer

torch = pytest.importorskip("torch", reason="PyTorch not installed (optional: pip install -e .[bench])")


def torch_copy(seq):
    layers = []
    for m in seq:
        kind = type(m).__name__
        if kind == "Linear":
            layer = torch.nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
            layer.weight.data = torch.tensor(m.weight.data.T.copy())  # npgan stores W as (in, out)
            layer.bias.data = torch.tensor(m.bias.data.copy())
            layers.append(layer)
        elif kind == "BatchNorm1d":
            layers.append(torch.nn.BatchNorm1d(m.num_features, dtype=torch.float64))
        else:
            layers.append({"ReLU": torch.nn.ReLU(), "Sigmoid": torch.nn.Sigmoid(),
                           "LeakyReLU": torch.nn.LeakyReLU(0.2)}[kind])
    return torch.nn.Sequential(*layers)


def as_numpy_layout(module):
    return [p.detach().numpy().T if p.ndim == 2 else p.detach().numpy() for p in module.parameters()]


@pytest.mark.parametrize("optimizer,loss", [("adam", "non-saturating"), ("sgd", "non-saturating"),
                                            ("sgd", "minimax")])
def test_one_iteration_matches_pytorch(optimizer, loss):
    G = models.slides_generator(z_dim=8, hidden=8, out=20).double()
    D = models.slides_discriminator(hidden=8, inp=20).double()
    tG, tD = torch_copy(G), torch_copy(D)
    rng = np.random.default_rng(0)
    real = rng.random((16, 20))
    noise = [rng.standard_normal((16, 8)), rng.standard_normal((16, 8))]

    def make(params, torch_params):
        if optimizer == "adam":
            return optim.Adam(params, 1e-2, betas=(0.5, 0.999)), torch.optim.Adam(torch_params, 1e-2, betas=(0.5, 0.999))
        return optim.SGD(params, 0.1, momentum=0.5), torch.optim.SGD(torch_params, 0.1, momentum=0.5)

    (opt_G, topt_G), (opt_D, topt_D) = make(G.parameters(), tG.parameters()), make(D.parameters(), tD.parameters())
    for step in range(2):
        draws = iter(noise)  # the same noise for both frameworks
        trainer = GANTrainer(G, D, opt_G, opt_D, z_dim=8, loss=loss, noise_sampler=lambda m: next(draws))
        trainer.iteration(iter([real]))

        # PyTorch, written the way a practitioner would
        bce = torch.nn.BCEWithLogitsLoss()
        fake = tG(torch.tensor(noise[0])).detach()
        real_logits, fake_logits = tD(torch.tensor(real)), tD(fake)
        d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
        topt_D.zero_grad()
        d_loss.backward()
        topt_D.step()
        tD.requires_grad_(False)
        logits = tD(tG(torch.tensor(noise[1])))
        if loss == "non-saturating":
            g_loss = bce(logits, torch.ones_like(logits))
        else:
            g_loss = -bce(logits, torch.zeros_like(logits))
        topt_G.zero_grad()
        g_loss.backward()
        topt_G.step()
        tD.requires_grad_(True)

    for ours, theirs in zip([p.data for p in G.parameters()] + [p.data for p in D.parameters()],
                            as_numpy_layout(tG) + as_numpy_layout(tD)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    bn = G[1]
    np.testing.assert_allclose(bn.running_mean, tG[1].running_mean.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(bn.running_var, tG[1].running_var.numpy(), rtol=1e-12, atol=1e-14)
