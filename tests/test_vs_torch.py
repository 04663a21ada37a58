"""npgan against PyTorch: from the same weights, data and noise, Algorithm-1 iterations (float64) must give
the same parameters and BatchNorm running statistics, to round-off. The PyTorch side is
npgan.testing.torch_reference, the very reference benchmarks/bench_step.py times npgan against (and whose
pre-check calls `agreement` too). Skipped where PyTorch is not installed (optional: pip install -e .[bench])."""
import numpy as np
import pytest

from npgan import nn

from npgan.gan import presets
torch = pytest.importorskip("torch", reason="PyTorch not installed (optional: pip install -e .[bench])")
R = pytest.importorskip("npgan.testing.torch_reference")


def data(m, dim, z_dim, iterations):
    rng = np.random.default_rng(0)
    return rng.random((m, dim)), [rng.standard_normal((m, z_dim)) for _ in range(2 * iterations)]


@pytest.mark.parametrize("optimizer,loss", [("adam", "non-saturating"), ("sgd", "non-saturating"),
                                            ("sgd", "minimax")])
def test_two_iterations_of_the_slides_nets_match_pytorch(optimizer, loss):
    """BatchNorm in G (running statistics compared too); D without BatchNorm: one forward over [real; fake]."""
    G = presets.slides_generator(z_dim=8, hidden=8, out=20).double()
    D = presets.slides_discriminator(hidden=8, inp=20).double()
    real, noises = data(16, 20, 8, iterations=2)
    worst = R.agreement(G, D, real, noises, optimizer, loss, lr=1e-2 if optimizer == "adam" else 0.1,
                        betas=(0.5, 0.999), iterations=2)
    assert worst < 1e-9, worst


def test_the_paper_nets_match_pytorch_with_maxout():
    G = presets.paper_generator(z_dim=8, hidden=16).double()
    D = presets.paper_discriminator(hidden=6, pieces=3).double()
    for m in D.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0  # masks cannot be shared between the frameworks
    real, noises = data(12, 784, 8, iterations=1)
    assert R.agreement(G, D, real, noises, "sgd") < 1e-9


def test_the_agreement_check_sees_a_different_update(monkeypatch):
    """It cannot pass blindly: PyTorch with another learning rate than npgan is far off."""
    G = presets.slides_generator(z_dim=4, hidden=4, out=10).double()
    D = presets.slides_discriminator(hidden=4, inp=10).double()
    real, noises = data(8, 10, 4, iterations=1)
    original = R.optimizers

    def torch_lr_doubled(kind, params, lr, *rest):
        ours, _ = original(kind, params, lr, *rest)
        _, theirs = original(kind, params, 2 * lr, *rest)
        return ours, theirs

    monkeypatch.setattr(R, "optimizers", torch_lr_doubled)
    assert R.agreement(G, D, real, noises, "sgd") > 0.1
