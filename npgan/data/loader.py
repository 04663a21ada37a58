"""Minibatches: a fresh shuffle every epoch from the run's seeded host generator, full batches only.

    batches = Batches(images, batch_size=100, backend="cupy")
    for epoch in range(epochs):
        for x in batches:           # the rest of the current epoch; x is (100, 784) float32 on the GPU
            ...
    x = batches.next_batch()        # or one batch at a time, rolling into the next epoch (Algorithm 1's k steps)

Each batch crosses host -> device once. With ``whole_dataset_on_device`` the dataset crosses once instead
and batches are gathered on the device (the default on CuPy when it fits in a quarter of free GPU memory).
Either way the order comes from the same host permutation, so it does not depend on the backend.

Data-parallel runs pass ``shard=(rank, size)``: every rank draws the same permutation and takes rows
rank·m/P … (rank+1)·m/P − 1 of each global batch of m = batch_size rows, so the P shards together are the
batch one process would see; the state (epoch, position, permutation) is global, so it resumes with any P.
"""
import json

import numpy as np

from npgan.backend import get_rng, get_xp, resolve_backend, to_device
from npgan.settings import SettingError

_DEVICE_SHARE = 4  # auto mode keeps the dataset on the GPU when it takes at most 1/4 of the free memory


class Batches:
    """Iterate shuffled minibatches of `images` (and `labels`, when given) on `backend`.

    images: float32 host array (N, ...); labels: optional integer array (N,). Yields ``x``, or ``(x, y)``
    with labels. The last partial batch of each epoch is dropped, so every batch has exactly `batch_size`
    rows and ``len(batches) == N // batch_size``.

    rng: a host ``numpy.random.Generator``; by default the run's ``npgan.backend.get_rng("host")``, looked up
    afresh each epoch so that restoring the run's generators (``backend.set_rng_state``) is honoured.
    shard: ``(rank, size)`` to yield only this rank's ``batch_size // size`` rows of each global batch
    (batch_size must be divisible by size); None (the default) is ``(0, 1)``.
    """

    def __init__(self, images, labels=None, batch_size=100, backend=None, rng=None, shuffle=True,
                 whole_dataset_on_device=None, shard=None):
        if not isinstance(images, np.ndarray) or images.dtype != np.float32:
            raise TypeError(f"images must be a float32 NumPy array on the host, got "
                            f"{type(images).__name__} of {getattr(images, 'dtype', '?')}; convert once with "
                            "x.astype(np.float32) / 255.0 (load_mnist already does)")
        if labels is not None and (len(labels) != len(images) or not np.issubdtype(labels.dtype, np.integer)):
            raise ValueError(f"labels must be integers, one per image: got {labels.dtype} of length "
                             f"{len(labels)} for {len(images)} images")
        if not 0 < batch_size <= len(images):
            raise SettingError("batch_size", f"{batch_size} must lie in 1..{len(images)} (the number of examples)")
        self.images, self.labels, self.batch_size = images, labels, int(batch_size)
        self.shard = _check_shard(shard, self.batch_size)
        rank, size = self.shard
        self._rows = slice(rank * self.batch_size // size, (rank + 1) * self.batch_size // size)
        self.backend = resolve_backend(backend)
        self.rng, self.shuffle = rng, shuffle
        if whole_dataset_on_device is None:
            whole_dataset_on_device = self.backend == "cupy" and _fits_on_device(images.nbytes, self.backend)
        self.whole_dataset_on_device = bool(whole_dataset_on_device)
        if self.whole_dataset_on_device:  # the one crossing of the whole dataset
            self._images_dev = to_device(images, self.backend)
            self._labels_dev = None if labels is None else to_device(labels, self.backend)
        self.epoch = 0  # epochs started so far
        self.position = 0  # batches handed out in the current epoch
        self._perm = None  # this epoch's order (host), None before the first epoch
        self._perm_dev = None

    def __len__(self):
        return len(self.images) // self.batch_size

    def __iter__(self):
        """The remaining batches of the current epoch; a new epoch (new shuffle) when it is used up."""
        if self._perm is None or self.position >= len(self):
            self._start_epoch()
        while self.position < len(self):
            yield self._take()

    def next_batch(self):
        """The next batch, starting a new epoch (and a new shuffle) whenever one ends."""
        if self._perm is None or self.position >= len(self):
            self._start_epoch()
        return self._take()

    def _start_epoch(self):
        rng = get_rng("host") if self.rng is None else self.rng
        n = len(self.images)
        self._set_perm(rng.permutation(n) if self.shuffle else np.arange(n))
        self.epoch += 1
        self.position = 0

    def _set_perm(self, perm):
        self._perm = perm.astype(np.int64)
        # whole-dataset mode gathers on the device with a device index array: one small crossing per epoch
        self._perm_dev = to_device(self._perm, self.backend) if self.whole_dataset_on_device else None

    def _take(self):
        start = self.position * self.batch_size
        self.position += 1  # counted when handed out: take state_dict() after that batch's update is done
        if self.whole_dataset_on_device:
            index = self._perm_dev[start:start + self.batch_size][self._rows]
            x = self._images_dev[index]
            return x if self.labels is None else (x, self._labels_dev[index])
        index = self._perm[start:start + self.batch_size][self._rows]
        x = to_device(self.images[index], self.backend)  # the batch's one crossing
        return x if self.labels is None else (x, to_device(self.labels[index], self.backend))

    def state_dict(self):
        """Where the iteration stands, as small NumPy arrays (no pickle): epoch, position, the current
        permutation (empty before the first epoch) and, for a generator passed in as `rng`, its state as
        UTF-8 JSON bytes. The run's shared host generator is saved by ``npgan.backend.rng_state()``."""
        state = {"epoch": np.array(self.epoch, dtype=np.int64),
                 "position": np.array(self.position, dtype=np.int64),
                 "permutation": np.empty(0, np.int64) if self._perm is None else self._perm.copy()}
        if self.rng is not None:
            text = json.dumps(self.rng.bit_generator.state)
            state["rng_state"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()
        return state

    def load_state_dict(self, state):
        """Resume exactly where :meth:`state_dict` was taken: the next batch is the one that would have come."""
        perm = np.asarray(state["permutation"], dtype=np.int64)
        if perm.size and perm.shape != (len(self.images),):
            raise ValueError(f"saved permutation has {perm.size} entries, this dataset {len(self.images)}: "
                             "a different dataset?")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        if perm.size:
            self._set_perm(perm)
        else:
            self._perm = self._perm_dev = None
        if "rng_state" in state:
            if self.rng is None:
                raise ValueError("the state holds a private generator's state but this loader uses the run's")
            self.rng.bit_generator.state = json.loads(np.asarray(state["rng_state"]).tobytes().decode("utf-8"))


def _check_shard(shard, batch_size):
    if shard is None:
        return 0, 1
    try:
        rank, size = (int(v) for v in shard)
    except (TypeError, ValueError):
        raise ValueError(f"shard must be a pair (rank, size), got {shard!r}") from None
    if size < 1 or not 0 <= rank < size:
        raise ValueError(f"shard {shard!r}: need size >= 1 and 0 <= rank < size")
    if batch_size % size:
        raise ValueError(f"batch_size {batch_size} must be divisible by the number of ranks {size} "
                         f"(each rank takes batch_size / {size} rows of every batch)")
    return rank, size


def _fits_on_device(nbytes, backend):
    try:
        free, _total = get_xp(backend).cuda.runtime.memGetInfo()
    except Exception:  # no CUDA runtime to ask: keep the per-batch path, which always works
        return False
    return nbytes * _DEVICE_SHARE <= free
