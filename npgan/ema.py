"""Generator averaging: an exponential moving average of G's weights, sampled instead of the last G.

After every generator step, every parameter θ of G updates its average:

    θ̄ ← d·θ̄ + (1 − d)·θ          (d = the decay, e.g. 0.999: about the last 1/(1 − d) = 1000 steps)

starting from θ̄ = θ at the first step (so no bias correction is needed: the average is never pulled
towards zero). The averaged generator is a second copy of G on the same device, never trained; it is what
the run's sample grids show and what `npgan.run.load_generator` returns when the run averaged.

BatchNorm statistics: the averaged generator's running mean and variance are averaged with the same rule,
as buffers. Each running statistic is itself an average of batch statistics over the last few dozen
steps (BatchNorm's momentum 0.1), so its average follows the weights' average over the same window; the
alternative, re-estimating them with a few batches through the averaged weights, would need extra
forward passes and extra random draws at each use (and would change the run's random stream).

The update is one formula, `ema_update`, with a fused CUDA spelling attached (one kernel that reads θ̄
and θ once and writes θ̄ once, per tensor); on the host the formula runs as written, in place.
"""
import copy

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
    """The exponential moving average of a generator's parameters and BatchNorm buffers.

    `averaged` is a copy of G (same device, eval mode) whose arrays hold θ̄; `update()` applies one step
    of the average and is called by the trainer after every generator step."""

    def __init__(self, G, decay):
        self.decay = check_float("ema", decay, 0.0, 1.0, low_open=True, high_open=True)
        self.G = G
        self.averaged = copy.deepcopy(G).eval()
        self.averaged._release_caches()
        self.updates = 0

    def _pairs(self):
        for (_, avg), (_, live) in zip(self.averaged.named_parameters(), self.G.named_parameters()):
            yield avg.data, live.data
        for (_, _, _, avg), (_, _, _, live) in zip(self.averaged.named_buffers(), self.G.named_buffers()):
            yield avg, live

    def update(self):
        """θ̄ ← d·θ̄ + (1 − d)·θ for every parameter and buffer, on the device."""
        for average, param in self._pairs():
            ema_update(average, param, self.decay)
        self.updates += 1

    def state_dict(self):
        """The averaged generator's weights (host copies, as G.state_dict()), the decay and the count."""
        return {"G": self.averaged.state_dict(), "decay": self.decay, "updates": self.updates}

    def load_state_dict(self, state):
        """The saved average and count; the decay stays this object's (a resume may change it)."""
        self.averaged.load_state_dict(state["G"])
        self.updates = int(state["updates"])

    def restart(self):
        """θ̄ ← θ: the average starts again from G's current weights (averaging switched on mid-run)."""
        for average, param in self._pairs():
            average[...] = param
        self.updates = 0

