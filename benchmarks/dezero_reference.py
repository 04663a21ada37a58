"""The `slides` GAN iteration written with DeZero's layers, for the speed table (bench_step.py).

DeZero is the NumPy/CuPy framework of *Deep Learning from Scratch 3* (PyPI ``dezero`` 0.0.13, ``pip install
-e .[bench]``): define-by-run autograd, one Python-level Function per operation. The iteration is npgan's
(one D step, k = 1, then one G step, non-saturating G loss, SGD with momentum), in DeZero's idiom:

    D step:  with dezero.no_grad(): fake = G(z)
             loss = sigmoid_cross_entropy(D(real), 1) + sigmoid_cross_entropy(D(fake), 0)
             D.cleargrads(); loss.backward(); opt_D.update()
    G step:  loss = sigmoid_cross_entropy(D(G(z)), 1)
             G.cleargrads(); loss.backward(); opt_G.update()

DeZero has no concatenation function (so D sees real and fake in two calls) and no way to freeze parameters
(G's backward also computes D's weight gradients, which D's next step clears: +14 % GEMM FLOPs on `slides`).

Shims, applied by :func:`import_dezero` only in the process that times or checks DeZero, never in npgan's:

* ``np.int = int``: dezero's datasets/transforms modules use ``np.int`` (removed in NumPy 1.24) at import.
* float32 (``float32=True``): under NumPy 2 (NEP 50) a float32 array times a 0-d float64 array is float64,
  and DeZero turns every Python scalar operand (``1 - y``, ``loss / N``) into a 0-d float64 array
  (``dezero.core.as_array``), so its backward drifts to float64. The shim makes those 0-d arrays float32;
  with float64 data the result stays float64. ``float32=False`` times DeZero as shipped.
"""
import sys

import numpy as np


def import_dezero(float32=True):
    """Import dezero under NumPy 2 with the documented shims (see the module docstring)."""
    if not hasattr(np, "int") or np.int is not int:
        np.int = int
    import dezero
    import dezero.core
    if float32:
        def as_array(x, array_module=np):
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                return array_module.array(x, dtype=np.float32)  # weak enough: float64 data stays float64
            return np.array(x) if np.isscalar(x) else x  # NumPy scalars keep their dtype, as DeZero does
        dezero.core.as_array = as_array
    return dezero


def mirror(net, dezero):
    """The npgan Sequential `net` as a dezero Sequential of DeZero's layers and functions, weights copied
    (DeZero's Linear stores W as (in, out), as npgan does)."""
    import dezero.functions as F
    import dezero.layers as L
    layers = []
    for m in net:
        kind = type(m).__name__
        if kind == "Linear":
            layer = L.Linear(m.out_features, dtype=m.weight.data.dtype, in_size=m.in_features)
            layer.W.data, layer.b.data = m.weight.data.copy(), m.bias.data.copy()
        elif kind == "BatchNorm1d":  # DeZero's: decay 0.9 (momentum 0.1), eps 2e-5 fixed
            layer = L.BatchNorm()
            layer.gamma.data, layer.beta.data = m.weight.data.copy(), m.bias.data.copy()
            layer.avg_mean.data, layer.avg_var.data = m.running_mean.copy(), m.running_var.copy()
        elif kind == "LeakyReLU":
            layer = (lambda slope: lambda x: F.leaky_relu(x, slope))(m.negative_slope)
        else:
            layer = {"ReLU": F.relu, "Sigmoid": F.sigmoid, "Tanh": F.tanh}[kind]
        layers.append(layer)
    return dezero.models.Sequential(*layers)


class DezeroGANStep:
    """One Algorithm-1 iteration (k = 1, non-saturating G loss) in DeZero, MomentumSGD for both nets
    (``v ← μv − lr·g; θ ← θ + v``: PyTorch's and npgan's rule, v scaled by −lr)."""

    def __init__(self, dezero, G, D, z_dim, lr, momentum, seed=0):
        import dezero.functions as F
        self.dz, self.F, self.G, self.D, self.z_dim = dezero, F, G, D, z_dim
        self.opt_G = dezero.optimizers.MomentumSGD(lr, momentum).setup(G)
        self.opt_D = dezero.optimizers.MomentumSGD(lr, momentum).setup(D)
        self.rng = np.random.default_rng(seed)
        self.noise_batch = lambda m: self.rng.standard_normal((m, z_dim), dtype=np.float32)
        self._targets = {}

    def _target(self, m, value, dtype):
        key = (m, value, dtype)
        if key not in self._targets:
            self._targets[key] = np.full((m, 1), value, dtype=dtype)
        return self._targets[key]

    def iteration(self, real):
        F, m = self.F, real.shape[0]
        with self.dz.no_grad():
            fake = self.G(self.noise_batch(m))
        d_loss = (F.sigmoid_cross_entropy(self.D(real), self._target(m, 1, real.dtype))
                  + F.sigmoid_cross_entropy(self.D(fake), self._target(m, 0, real.dtype)))
        self.D.cleargrads()
        d_loss.backward()
        self.opt_D.update()
        g_loss = F.sigmoid_cross_entropy(self.D(self.G(self.noise_batch(m))), self._target(m, 1, real.dtype))
        self.G.cleargrads()
        g_loss.backward()  # also D's weight gradients: DeZero cannot freeze D (cleared by D's next step)
        self.opt_G.update()
        return d_loss, g_loss

    def dtypes(self):
        """The dtypes of every parameter, gradient and BatchNorm statistic now (as a sorted list)."""
        seen = set()
        for net in (self.G, self.D):
            for p in net.params():
                if p.data is not None:
                    seen.add(str(p.data.dtype))
                if p.grad is not None:
                    seen.add(str(p.grad.data.dtype))
        return sorted(seen)


def agreement(arch="slides", batch=32, hidden=None, seed=0):
    """Worst deviation of npgan's parameters from DeZero's after one iteration from the same weights, data
    and noise, in float64, relative to how far each moved (a floor of 1 % of the largest move), and the
    dtypes DeZero used. npgan's BatchNorm eps is set to DeZero's fixed 2e-5 so both compute the same maths."""
    dezero = import_dezero()
    from npgan import nn, optim
    from npgan.gan import presets
    from npgan.gan import GANTrainer
    recipe = presets.recipe(arch, hidden=hidden)
    G, D = (net.double() for net in presets.build(recipe))
    for mod in G.modules():
        if isinstance(mod, nn.BatchNorm1d):
            mod.eps = 2e-5
    dG, dD = mirror(G, dezero), mirror(D, dezero)
    rng = np.random.default_rng(seed)
    real = rng.random((batch, 784))
    noises = [rng.standard_normal((batch, recipe.z_dim)) for _ in range(2)]
    before = [p.data.copy() for p in G.parameters() + D.parameters()]
    draws = iter(noises)
    sgd = lambda net: optim.SGD(net.parameters(), 0.1, momentum=0.5)
    GANTrainer(G, D, sgd(G), sgd(D), recipe.z_dim, noise_sampler=lambda m: next(draws)).iteration(iter([real]))
    step = DezeroGANStep(dezero, dG, dD, recipe.z_dim, 0.1, 0.5)
    ddraws = iter(noises)
    step.noise_batch = lambda m: next(ddraws)
    step.iteration(real)
    theirs = [a for net in (dG, dD) for layer in net.layers if hasattr(layer, "params")
              for a in ([layer.W.data, layer.b.data] if hasattr(layer, "W") else [layer.gamma.data, layer.beta.data])]
    ours = [p.data for p in G.parameters() + D.parameters()]
    moves = [float(np.abs(o - b).max()) for o, b in zip(ours, before)]
    floor = 0.01 * max(moves)
    worst = max(float(np.abs(o - t).max()) / max(u, floor) for o, t, u in zip(ours, theirs, moves))
    return worst, step.dtypes()


if __name__ == "__main__":  # the benchmark's pre-check runs this in its own process (the shims stay there)
    sys.path.insert(0, __file__.rsplit("/", 2)[0])
    worst, dtypes = agreement()
    ok = worst < 1e-6
    print(f"check dezero slides: after one iteration from the same weights, data and noise, max over parameters "
          f"of |npgan − dezero| / |update| = {worst:.1e} ({'ok' if ok else 'MISMATCH'}; dtypes {', '.join(dtypes)})")
    sys.exit(0 if ok else 1)
