"""Generator averaging: an exponential moving average of G's weights, sampled instead of the last G.

After every generator step, every parameter θ of G updates its average:

    θ̄ ← d·θ̄ + (1 − d)·θ          (d = the decay, e.g. 0.999: about the last 1/(1 − d) = 1000 steps)

starting from θ̄ = θ at the first step (so no bias correction is needed: the average is never pulled
towards zero). The averaged generator is a second copy of G on the same device, never trained; it is what
the run's sample grids show and what `npgan.training.load_generator` returns when the run averaged.

BatchNorm statistics: only the parameters are averaged. The averaged generator's running mean and
variance are re-estimated through the averaged weights ("standing statistics", `standing_statistics`):
reset, then `STANDING_BATCHES` minibatches of noise from a fixed seed in training mode with BatchNorm's
momentum 1/(i + 1), so they end as the mean of those batches' statistics. Averaging the running statistics
as buffers was tried first and measured worse (benchmarks/RESULTS.md: FID 47.7 against 32.7 after 5
epochs with d = 0.99): statistics gathered under the moving live weights do not match averaged weights.
The noise comes from its own seeded generator, so re-estimating never touches the run's random stream,
and it is a function of θ̄ alone (a resumed run stays bit-identical).

The update is one formula, `ema_update`, with a fused CUDA spelling attached (one kernel that reads θ̄
and θ once and writes θ̄ once, per tensor); on the host the formula runs as written, in place.
"""
import copy

import numpy as np

from npgan import backend as B
from npgan import nn
from npgan.kernels import Elementwise, fused
from npgan.settings import check_float

_ema_kernel = Elementwise("T p, T decay", "T a", "a = decay * a + ((T)1 - decay) * p", "npgan_ema")


def _ema_update_cuda(average, param, decay):
    _ema_kernel(param, decay, average)


@fused(cuda=_ema_update_cuda)
def ema_update(average, param, decay):
    """In place:  average ← decay·average + (1 − decay)·param  (arrays of one shape, dtype and device)."""
    average *= decay
    average += (1.0 - decay) * param


class GeneratorAverage:
    """The exponential moving average of a generator's parameters (BatchNorm statistics: re-estimated).

    `averaged` is a copy of G (same device, eval mode) whose arrays hold θ̄; `update()` applies one step
    of the average and is called by the trainer after every generator step."""

    def __init__(self, G, decay):
        self.decay = check_float("ema", decay, 0.0, 1.0, low_open=True, high_open=True)
        self.G = G
        self.averaged = copy.deepcopy(G).eval()
        self.averaged._release_caches()
        self.updates = 0
        self.standing_updates = None  # the `updates` at which the BatchNorm statistics were last re-estimated

    def _pairs(self):
        for (_, avg), (_, live) in zip(self.averaged.named_parameters(), self.G.named_parameters()):
            yield avg.data, live.data

    def update(self):
        """θ̄ ← d·θ̄ + (1 − d)·θ for every parameter, on the device."""
        for average, param in self._pairs():
            ema_update(average, param, self.decay)
        self.updates += 1

    def state_dict(self):
        """The averaged generator's weights (host copies, as G.state_dict(), BatchNorm buffers as last
        re-estimated), the decay and the count."""
        return {"G": self.averaged.state_dict(), "decay": self.decay, "updates": self.updates}

    def load_state_dict(self, state):
        """The saved average and count; the decay stays this object's (a resume may change it)."""
        self.averaged.load_state_dict(state["G"])
        self.updates = int(state["updates"])
        self.standing_updates = None

    def standing(self, draw):
        """The averaged G, in eval mode, with BatchNorm statistics re-estimated through its weights
        (:func:`standing_statistics`; draw(m, rng) gives its inputs) — once per update: the estimate is
        seeded, so asking again before the next update gives the same bits and costs nothing."""
        if self.standing_updates != self.updates:
            standing_statistics(self.averaged, draw)
            self.standing_updates = self.updates
        return self.averaged.eval()

    def restart(self):
        """θ̄ ← θ: the average starts again from G's current weights (averaging switched on mid-run)."""
        for average, param in self._pairs():
            average[...] = param
        self.updates = 0
        self.standing_updates = None



STANDING_BATCHES, STANDING_BATCH_SIZE, STANDING_SEED = 20, 256, 12345


def standing_statistics(G, draw, batches=STANDING_BATCHES, batch_size=STANDING_BATCH_SIZE, seed=STANDING_SEED):
    """Re-estimate G's BatchNorm running statistics through its current weights, in place; G ends in eval.

    draw(m, rng) -> (m, G's input width) host float32 noise (from the host generator `rng`). Each running
    mean / variance ends as the mean over `batches` minibatches of the batch mean / unbiased variance.
    A G without BatchNorm is left as it is."""
    layers = [m for m in G.modules() if isinstance(m, nn.BatchNorm1d)]
    if layers:
        momenta = [layer.momentum for layer in layers]
        rng = np.random.default_rng(seed)
        device = B.backend_of(G.parameters()[0].data)
        G.train()
        try:
            with nn.no_grad():
                for i in range(batches):
                    for layer in layers:
                        layer.momentum = 1.0 / (i + 1)  # i = 0 replaces the old statistics outright
                    G(B.to_device(draw(batch_size, rng), device))
        finally:
            for layer, momentum in zip(layers, momenta):
                layer.momentum = momentum
    return G.eval()
