"""Synchronised batch normalisation: the statistics of the GLOBAL batch, spread over P ranks.

Plain BatchNorm1d under data parallelism normalises each rank's shard with that shard's own mean and
variance (per-rank statistics, what PyTorch's DistributedDataParallel does by default): the update then
differs from one process's at the same global batch. SyncBatchNorm1d makes the statistics global.

Forward (rank r holds x_r, (n_r, C); N = Σ_r n_r), one allreduce of [n, Σx, Σx²] (1 + 2C numbers):
    μ = Σx / N,   σ² = Σx² / N − μ²   (biased),   x̂ = (x − μ)/√(σ² + ε),   y = γ x̂ + β
    running = (1 − momentum)·running + momentum·batch, the variance unbiased (× N/(N − 1)), as BatchNorm1d.
Backward, one allreduce of [Σ gy, Σ gy x̂] (2C numbers), the sums over the global batch:
    gx = γ/√(σ² + ε) · (gy − Σgy/N − x̂ · Σ(gy x̂)/N)
    ggamma = Σ_local gy x̂,  gbeta = Σ_local gy   (local sums: the optimizer's allreduce averages them)

Why the scales work out: each rank's loss is the mean over its n = N/P rows, i.e. P × its share of the
global mean loss, so every local gradient is P × its share; the optimizer's allreduce divides by P. The
formula above, fed those gy, yields P × the global gradient's rows for gx — consistent with that rule.

The sums are taken in float64: Σx²/N − μ² cancels when |μ| ≫ σ, and float64 keeps the float32 result to
its rounding. With one process (comm.size == 1) the layer is plain batch normalisation.
"""
import numpy as np

from npgan import backend as B
from npgan.nn.layers import BatchNorm1d, InputError, check_input

_SUM_DTYPE = np.float64  # float64: deliberate (Σx² − Nμ² cancels in float32)


class SyncBatchNorm1d(BatchNorm1d):
    """BatchNorm1d whose training-mode statistics are those of the global batch over `comm`'s ranks.

    Same parameters, buffers and state_dict keys as BatchNorm1d, so checkpoints move between the two.
    Every rank must call forward and backward in the same order (each call is a collective).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, comm=None):
        super().__init__(num_features, eps, momentum)
        if comm is None:
            from npgan.distributed.comm import world
            comm = world()
        self.comm = comm

    def forward(self, x):
        if not self.training:
            return super().forward(x)  # the running statistics are identical on every rank: no message
        check_input(self, x, self.num_features, self.weight.data)
        xp = B.get_array_module(x)
        C = self.num_features
        stats = xp.empty(1 + 2 * C, dtype=_SUM_DTYPE)
        stats[0] = x.shape[0]
        stats[1:1 + C] = x.sum(axis=0, dtype=_SUM_DTYPE)
        stats[1 + C:] = (x * x).sum(axis=0, dtype=_SUM_DTYPE)
        self.comm.allreduce_sum(stats)
        n = int(B.to_cpu(stats[:1])[0])
        if n == 1:
            raise InputError(f"{self!r}: a global batch of 1 has no variance to normalise by in training mode")
        mean64 = stats[1:1 + C] / n
        var64 = xp.maximum(stats[1 + C:] / n - mean64 * mean64, 0.0)
        mean, var = mean64.astype(x.dtype), var64.astype(x.dtype)
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        m = self.momentum
        self.running_mean *= 1.0 - m
        self.running_mean += m * mean
        self.running_var *= 1.0 - m
        self.running_var += (m * n / (n - 1)) * var
        x_hat = (x - mean) * inv_std
        y = self.weight.data * x_hat + self.bias.data
        self._save_for_backward(True, (x_hat, inv_std, n))
        return y

    def backward(self, gy, need_input_grad=True):
        if not self.training:
            return super().backward(gy, need_input_grad)
        _, (x_hat, inv_std, n) = self._saved_for_backward()
        xp = B.get_array_module(gy)
        gbeta = gy.sum(axis=0)
        ggamma = (gy * x_hat).sum(axis=0)
        if self.weight.requires_grad:
            self.weight.accumulate(ggamma)
        if self.bias.requires_grad:
            self.bias.accumulate(gbeta)
        if not need_input_grad:  # the same on every rank (same code path): all skip the message together
            return None
        C = self.num_features
        sums = xp.empty(2 * C, dtype=gy.dtype)
        sums[:C], sums[C:] = gbeta, ggamma
        self.comm.allreduce_sum(sums)
        sum_gy, sum_gy_x_hat = sums[:C], sums[C:]
        inv_n = 1.0 / n
        return (self.weight.data * inv_std) * (gy - sum_gy * inv_n - x_hat * (sum_gy_x_hat * inv_n))

    def extra_repr(self):
        return f"{super().extra_repr()}, ranks={self.comm.size}"


def convert_sync_batchnorm(module, comm=None):
    """Replace every BatchNorm1d inside `module` by a SyncBatchNorm1d over `comm`, in place, and return
    `module`. The new layers take over the old Parameter objects and buffers, so optimizers built before
    the conversion keep working and state_dict keys are unchanged (checkpoints stay compatible)."""
    for parent in module.modules():
        for name, child in list(parent._modules.items()):
            if type(child) is BatchNorm1d:
                synced = SyncBatchNorm1d(child.num_features, child.eps, child.momentum, comm)
                synced.weight, synced.bias = child.weight, child.bias
                synced.register_buffer("running_mean", child.running_mean)
                synced.register_buffer("running_var", child.running_var)
                synced.training = child.training
                setattr(parent, name, synced)
    return module


def has_batchnorm(module, synced=None):
    """True when `module` holds a BatchNorm1d (synced=None), a SyncBatchNorm1d (True) or a plain one (False)."""
    for m in module.modules():
        if isinstance(m, BatchNorm1d) and (synced is None or isinstance(m, SyncBatchNorm1d) == synced):
            return True
    return False
