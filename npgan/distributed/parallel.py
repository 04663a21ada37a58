"""Data-parallel Algorithm 1: every rank holds all of G and D and computes gradients on its shard of the
global minibatch; one allreduce per network per step averages them; every rank applies the same update.

    comm = world()
    loader = Batches(images, batch_size=m, shard=(comm.rank, comm.size))   # this rank's m/P rows
    trainer = GANTrainer(G, D, opt_G, opt_D, ...)
    dp = DataParallel(trainer, batch_size=m, comm=comm, sync_bn=False)
    ...trainer.iteration(batches)...                                   # unchanged
    rows = dp.pop_records()     # once per logging interval: global means, and the parameters checked
    if dp.is_writer: save ...   # rank 0 alone writes

Why P ranks compute exactly one process's update at the global batch m:
- real images: one permutation, drawn identically on every rank from the run's host generator; rank r
  takes rows r·m/P … (r+1)·m/P − 1 of each global batch (npgan.data.Batches's `shard`);
- noise and dropout masks: every rank draws the whole global batch's numbers from the same device
  generator and keeps its rows (ShardedDraws), so its slice is what one process would draw there;
- gradients: each rank's loss is the mean over its rows, so the mean of the P local gradients is the
  gradient of the global mean loss. DistributedOptimizer averages them in ONE allreduce of ONE flat buffer.
The cost of exactness: each rank draws P× the random numbers it uses (cheap next to the GEMMs).
"""
import numpy as np

from npgan import backend as B
from npgan.distributed.comm import DistributedUnsupported, world
from npgan.distributed.syncbn import SyncBatchNorm1d, convert_sync_batchnorm
from npgan.gan import NonFiniteError
from npgan.nn import BatchNorm1d


class DesyncError(RuntimeError):
    """The ranks' parameters (or their gradient layouts) differ: they no longer apply the same update."""


class DistributedOptimizer:
    """Wraps an optimizer: `step()` averages the gradients over the ranks, then runs the wrapped step.

    Gradient averaging, per step: every parameter's gradient is copied into one preallocated flat buffer
    [g_1 | g_2 | … | g_K | h_1 … h_K], where h_i = 1 when parameter i has a gradient to apply
    (requires_grad and grad is not None) and 0 otherwise; one in-place Allreduce(SUM) sums it over the P
    ranks; the gradient part is scaled by 1/P, and each parameter's .grad becomes a view of its slice.
    Σ h_i must be P (all ranks apply the gradient) or 0 (none does); anything else is a DesyncError.

    Everything else — `lr`, `momentum`, `betas`, `params`, `steps`, `state`, `zero_grad`, `state_dict`,
    `load_state_dict` — is the wrapped optimizer's, read and written through, so schedules and checkpoints
    work unchanged and a checkpoint's optimizer state is the same as a single process's.
    """

    def __init__(self, optimizer, comm, name="parameters", param_names=None):
        for key, value in (("optimizer", optimizer), ("comm", comm), ("name", name), ("_flat", None)):
            object.__setattr__(self, key, value)
        params = optimizer.params
        names = list(param_names) if param_names is not None else [f"parameter {i}" for i in range(len(params))]
        dtypes = {p.data.dtype for p in params}
        if len(dtypes) != 1:
            raise TypeError(f"DistributedOptimizer({name}): parameters of several dtypes {sorted(map(str, dtypes))}"
                            f"; cast the network with .to(dtype=...) first")
        if comm.size > 1 and B.get_array_module(params[0].data) is B.cupy:
            raise DistributedUnsupported("data-parallel training on CuPy arrays is untested in npgan: run "
                                         "mpiexec with --backend numpy")
        offsets = np.cumsum([0] + [p.data.size for p in params])
        object.__setattr__(self, "_layout", list(zip(params, offsets[:-1].tolist(), offsets[1:].tolist(), names)))
        object.__setattr__(self, "_numel", int(offsets[-1]))

    # --- the wrapped optimizer's interface, read and written through ---------------------------------------

    def __getattr__(self, key):
        return getattr(self.optimizer, key)

    def __setattr__(self, key, value):
        if key in self.__dict__:
            object.__setattr__(self, key, value)
        else:
            setattr(self.optimizer, key, value)  # lr and momentum set by schedules land on the real optimizer

    def zero_grad(self):
        self.optimizer.zero_grad()

    def state_dict(self):
        return self.optimizer.state_dict()

    def load_state_dict(self, saved):
        self.optimizer.load_state_dict(saved)

    # --- the step ------------------------------------------------------------------------------------------

    def step(self):
        if self.comm.size > 1:
            self.average_gradients()
        self.optimizer.step()

    def average_gradients(self):
        """One allreduce of one flat buffer: each .grad becomes the mean over the ranks (see the class)."""
        xp = B.get_array_module(self._layout[0][0].data)
        if self._flat is None:  # allocated once, on the parameters' device, in their dtype
            object.__setattr__(self, "_flat", xp.empty(self._numel + len(self._layout),
                                                       dtype=self._layout[0][0].data.dtype))
        flat, n = self._flat, self._numel
        flags = flat[n:]
        for i, (param, start, stop, _) in enumerate(self._layout):
            if param.requires_grad and param.grad is not None:
                flat[start:stop] = param.grad.reshape(-1)
                flags[i] = 1.0
            else:
                flat[start:stop] = 0.0
                flags[i] = 0.0
        self.comm.allreduce_sum(flat)
        flat[:n] *= 1.0 / self.comm.size
        counts = np.rint(B.to_cpu(flags)).astype(np.int64)  # K small numbers: the only device -> host move
        for count, (param, start, stop, param_name) in zip(counts.tolist(), self._layout):
            if count == self.comm.size:
                param.grad = flat[start:stop].reshape(param.data.shape)
            elif count != 0:
                raise DesyncError(f"{self.name}: {param_name} has a gradient on {count} of {self.comm.size} "
                                  "ranks; every rank must train the same parameters (freeze it everywhere or "
                                  "nowhere)")

    def __repr__(self):
        return f"DistributedOptimizer({self.optimizer!r}, ranks={self.comm.size})"


# --- parameters: identical on every rank ----------------------------------------------------------------------

def _state_arrays(module):
    return [p.data for p in module.parameters()] + [array for _, _, _, array in module.named_buffers()]


def broadcast_parameters(module, comm, root=0):
    """Copy the root's parameters and buffers into every rank's `module`, in one broadcast."""
    arrays = _state_arrays(module)
    if comm.size == 1 or not arrays:
        return module
    xp = B.get_array_module(arrays[0])
    flat = xp.concatenate([a.reshape(-1).astype(arrays[0].dtype) for a in arrays])
    comm.broadcast(flat, root)
    start = 0
    for a in arrays:
        a[...] = flat[start:start + a.size].reshape(a.shape)
        start += a.size
    return module


def checksum(module):
    """(Σ p, Σ p²) over every parameter of `module`, in float64, as two host floats: cheap, and one changed
    float32 ulp anywhere changes it."""
    params = [p.data for p in module.parameters()]
    xp = B.get_array_module(params[0])
    sums = xp.stack([xp.stack([p.sum(dtype=np.float64), (p.astype(np.float64) ** 2).sum()])  # float64: deliberate
                     for p in params]).sum(axis=0)
    return tuple(float(v) for v in B.to_cpu(sums))


def check_in_sync(gathered, names):
    """Raise DesyncError when the checksums gathered from the ranks (a list, one dict name -> checksum per
    rank) differ, naming the network and the ranks that disagree with rank 0."""
    for name in names:
        reference = gathered[0][name]
        differing = [rank for rank, sums in enumerate(gathered) if sums[name] != reference]
        if differing:
            detail = "; ".join(f"rank {r} has (Σp={gathered[r][name][0]!r}, Σp²={gathered[r][name][1]!r})"
                               for r in differing)
            raise DesyncError(f"the parameters of {name} differ across ranks: rank 0 has (Σp={reference[0]!r}, "
                              f"Σp²={reference[1]!r}), {detail}. The ranks no longer apply the same update; "
                              "stopping")


# --- the global batch's random draws, sliced ----------------------------------------------------------------

class ShardedDraws:
    """A device generator seen by rank `rank` of `size` when each rank holds `local` rows of every batch.

    A draw whose first dimension is k·local (k stacked batches: D's [real; fake] forward has k = 2) draws
    k·local·size rows — exactly the draw one process makes at the global batch — and returns this rank's
    rows of each of the k blocks. Any other draw is passed through (the same on every rank).
    """

    def __init__(self, generator, rank, size, local):
        self.generator, self.rank, self.size, self.local = generator, rank, size, local

    def __getattr__(self, key):  # bit_generator (saved in checkpoints) and other methods: the real ones
        return getattr(self.generator, key)

    def standard_normal(self, size, dtype=np.float64):  # float64: numpy's own default, kept
        return self._draw(self.generator.standard_normal, size, dtype)

    def random(self, size, dtype=np.float64):  # float64: numpy's own default, kept
        return self._draw(self.generator.random, size, dtype)

    def _draw(self, fn, size, dtype):
        shape = (size,) if isinstance(size, int) else tuple(size)
        if not shape or shape[0] % self.local:
            return fn(shape, dtype=dtype)
        k = shape[0] // self.local
        whole = fn((k * self.local * self.size,) + shape[1:], dtype=dtype)
        blocks = whole.reshape((k, self.local * self.size) + shape[1:])
        mine = blocks[:, self.rank * self.local:(self.rank + 1) * self.local]
        return mine.reshape(shape)


class _ShardHook:
    """Installed with backend.set_device_rng_wrapper: wraps each device generator (one wrapper each)."""

    def __init__(self, rank, size, local):
        self.rank, self.size, self.local, self._wrapped = rank, size, local, {}

    def __call__(self, generator):
        key = id(generator)
        if key not in self._wrapped or self._wrapped[key].generator is not generator:
            self._wrapped[key] = ShardedDraws(generator, self.rank, self.size, self.local)
        return self._wrapped[key]


# --- one trainer, P ranks -----------------------------------------------------------------------------------

class DataParallel:
    """Makes a GANTrainer data-parallel over `comm` (default: world()), in place.

    batch_size: the GLOBAL minibatch m (m % P must be 0; each rank's loader yields m/P rows).
    sync_bn: replace G's and D's BatchNorm1d layers by SyncBatchNorm1d (global statistics); by default
    each rank normalises its own shard and the running statistics are averaged at `sync_buffers()`.

    On construction: wraps opt_G and opt_D in DistributedOptimizer (schedules follow the wrappers),
    broadcasts rank 0's parameters and buffers, and routes the device draws through ShardedDraws. With one
    process it changes nothing but `sync_bn`'s layers (which then equal plain BatchNorm1d).
    """

    def __init__(self, trainer, batch_size, comm=None, sync_bn=False):
        self.trainer, self.comm = trainer, comm or world()
        size = self.comm.size
        if batch_size % size:
            raise ValueError(f"batch_size {batch_size} must be divisible by the number of ranks {size} "
                             f"(each rank takes batch_size / {size} rows); try {batch_size - batch_size % size or size}")
        self.batch_size, self.local_batch = batch_size, batch_size // size
        self.networks, self.sync_bn = {"G": trainer.G, "D": trainer.D}, sync_bn
        if sync_bn:
            for net in self.networks.values():
                convert_sync_batchnorm(net, self.comm)
        self._hook = None
        if size == 1:
            return
        for attr, name in (("opt_G", "G"), ("opt_D", "D")):
            opt = getattr(trainer, attr)
            names = {id(p): n for n, p in self.networks[name].named_parameters()}
            wrapped = DistributedOptimizer(opt, self.comm, name, [names.get(id(p), f"parameter {i}")
                                                                  for i, p in enumerate(opt.params)])
            setattr(trainer, attr, wrapped)
            for schedule in trainer.schedules:  # the trainer steps a schedule when its optimizer is the one stepped
                if schedule.optimizer is opt:
                    schedule.optimizer = wrapped
        for net in self.networks.values():
            broadcast_parameters(net, self.comm)
        self._hook = _ShardHook(self.comm.rank, size, self.local_batch)
        B.set_device_rng_wrapper(self._hook)

    @property
    def is_writer(self):
        """Only rank 0 writes logs, figures and checkpoints."""
        return self.comm.rank == 0

    @property
    def shard(self):
        """(rank, size): pass as `Batches(..., shard=dp.shard)`."""
        return self.comm.rank, self.comm.size

    def pop_records(self):
        """trainer.pop_records() averaged over the ranks (the global batch's means), with every rank's
        parameter checksums compared, in one allgather. Call it on every rank at each logging interval.
        Raises NonFiniteError (any rank) or DesyncError (parameters differ) on every rank alike."""
        try:
            rows, error = self.trainer.pop_records(), None
        except NonFiniteError as e:  # a loss, or (NonFiniteStateError) a parameter or optimizer state
            if self.comm.size == 1:
                raise
            rows, error = [], str(e)
        if self.comm.size == 1:
            return rows
        sums = {name: checksum(net) for name, net in self.networks.items()}
        gathered = self.comm.allgather((sums, rows, error))
        errors = [(rank, e) for rank, (_, _, e) in enumerate(gathered) if e]
        if errors:
            raise NonFiniteError(f"rank {errors[0][0]}: {errors[0][1]}")
        check_in_sync([s for s, _, _ in gathered], self.networks)
        fields = ("d_loss", "g_loss", "d_real", "d_fake", "value")
        for i, row in enumerate(rows):
            for key in fields:
                row[key] = sum(r[i][key] for _, r, _ in gathered) / self.comm.size
        return rows

    def sync_buffers(self):
        """Average the running statistics of per-rank BatchNorm1d layers over the ranks (one allreduce), so
        every rank — and the checkpoint rank 0 writes — holds the same state. Call before evaluating or
        saving. With equal shards the averaged running mean is exactly the global batch's moving average;
        the averaged variance estimates the within-shard variance each rank normalised with in training."""
        buffers = [array for net in self.networks.values() for m in net.modules()
                   if isinstance(m, BatchNorm1d) and not isinstance(m, SyncBatchNorm1d)
                   for array in (m.running_mean, m.running_var)]
        if self.comm.size == 1 or not buffers:
            return
        xp = B.get_array_module(buffers[0])
        flat = xp.concatenate([b.reshape(-1) for b in buffers])
        self.comm.allreduce_mean(flat)
        start = 0
        for b in buffers:
            b[...] = flat[start:start + b.size].reshape(b.shape)
            start += b.size

    def close(self):
        """Stop slicing the device draws (the trainer keeps its wrapped optimizers)."""
        if self._hook is not None:
            B.set_device_rng_wrapper(None)
            self._hook = None
