"""A small communicator: rank, size, and the three collectives data parallelism needs.

    comm = world()                  # MPI.COMM_WORLD under mpiexec, a single-process stand-in otherwise
    comm.allreduce_sum(flat)        # in place: every rank ends with Σ_ranks flat
    comm.allreduce_mean(flat)       # in place: (1/P) Σ_ranks flat
    comm.broadcast(flat, root=0)    # in place: every rank ends with the root's flat
    comm.allgather(obj)             # [obj of rank 0, obj of rank 1, ...] for small Python objects

Collectives take ONE contiguous buffer: callers pack what they send into a flat array, so a step costs one
message latency, not one per parameter. mpi4py is imported lazily, only when the process was launched by
mpiexec: a plain `python` run needs no MPI at all and behaves exactly as before.

Host and device: MPI here reads host memory. NumPy arrays are reduced in place; arrays of the strict test
backend (host memory that follows device rules) are copied to the host and back explicitly. CuPy arrays are
refused: CUDA-aware MPI and NCCL are untested in npgan (no GPU was available to test them).
"""
import os
import time

import numpy as np

from npgan import backend as B

MPI_INSTALL_HINT = 'pip install "npgan[mpi]"  (mpi4py and the mpich wheel, which brings its own mpiexec)'

# Environment variables by which launchers tell a process how many ranks were started.
LAUNCHER_SIZE_VARS = ("PMI_SIZE",               # MPICH / Hydra, Intel MPI
                      "OMPI_COMM_WORLD_SIZE",   # Open MPI
                      "PMIX_SIZE",              # PMIx launchers
                      "MV2_COMM_WORLD_SIZE")    # MVAPICH
LAUNCHER_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK")


class DistributedSetupError(RuntimeError):
    """The process was launched for MPI but cannot take part (mpi4py missing, or a mismatched MPI)."""


class DistributedUnsupported(NotImplementedError):
    """A combination data-parallel training does not support (CuPy arrays across ranks)."""


def launched_size(environ=None):
    """(number of ranks, variable that says so) when a launcher started this process, else (None, None)."""
    environ = os.environ if environ is None else environ
    for var in LAUNCHER_SIZE_VARS:
        value = environ.get(var)
        if value and value.strip().isdigit():
            return int(value), var
    return None, None


def launched_rank(environ=None):
    """This process's rank as its launcher set it (0 without mpiexec), read from the environment alone: a
    command line can print a refusal once, before (or without) starting MPI."""
    environ = os.environ if environ is None else environ
    for var in LAUNCHER_RANK_VARS:
        value = environ.get(var)
        if value and value.strip().isdigit():
            return int(value)
    return 0


class SingleProcess:
    """The stand-in when there is one process: rank 0 of 1; every collective leaves its buffer as it is."""

    rank, size = 0, 1

    def __init__(self):
        self.calls = {"allreduce": 0, "broadcast": 0, "allgather": 0}  # collectives requested (tests count them)
        self.allreduce_seconds = 0.0  # time spent inside allreduce (the benchmark reads it)

    @property
    def is_root(self):
        return self.rank == 0

    def allreduce_sum(self, buffer):
        self.calls["allreduce"] += 1
        return buffer

    def allreduce_mean(self, buffer):
        """(1/P) Σ_ranks buffer, in place (1/P as a Python float, so float32 stays float32)."""
        self.allreduce_sum(buffer)
        if self.size > 1:
            buffer *= 1.0 / self.size
        return buffer

    def broadcast(self, buffer, root=0):
        self.calls["broadcast"] += 1
        return buffer

    def allgather(self, obj):
        self.calls["allgather"] += 1
        return [obj]

    def barrier(self):
        pass

    def local_size(self):
        """How many ranks share this machine (with this one)."""
        return 1

    def __repr__(self):
        return f"{type(self).__name__}(rank={self.rank}, size={self.size})"


class MPICommunicator(SingleProcess):
    """Collectives over an mpi4py communicator (MPI.COMM_WORLD by default), in place on one buffer."""

    def __init__(self, mpi_comm):
        super().__init__()
        from mpi4py import MPI
        self._MPI, self._comm = MPI, mpi_comm
        self.rank, self.size = mpi_comm.Get_rank(), mpi_comm.Get_size()

    def allreduce_sum(self, buffer):
        self.calls["allreduce"] += 1
        start = time.perf_counter()
        with _host_buffer(buffer, "allreduce") as host:
            self._comm.Allreduce(self._MPI.IN_PLACE, host, op=self._MPI.SUM)
        self.allreduce_seconds += time.perf_counter() - start
        return buffer

    def broadcast(self, buffer, root=0):
        self.calls["broadcast"] += 1
        with _host_buffer(buffer, "broadcast") as host:
            self._comm.Bcast(host, root=root)
        return buffer

    def allgather(self, obj):
        self.calls["allgather"] += 1
        return self._comm.allgather(obj)

    def barrier(self):
        self._comm.Barrier()

    def local_size(self):
        """How many ranks share this machine: the size of the shared-memory sub-communicator."""
        local = self._comm.Split_type(self._MPI.COMM_TYPE_SHARED)
        try:
            return local.Get_size()
        finally:
            local.Free()


class _host_buffer:
    """The host memory an MPI call reads and writes for `buffer`: the array itself when it is a contiguous
    NumPy array; an explicit copy to the host and back for the strict backend; CuPy refused."""

    def __init__(self, buffer, what):
        self.buffer, self.xp = buffer, B.get_array_module(buffer)
        if self.xp is B.cupy:
            raise DistributedUnsupported(f"{what} of a CuPy array: data-parallel training across ranks is "
                                         "untested on the GPU in npgan; use --backend numpy with mpiexec")
        if self.xp is np and not buffer.flags.c_contiguous:
            raise ValueError(f"{what}: the buffer must be one contiguous array (pack it first)")

    def __enter__(self):
        self.host = self.buffer if self.xp is np else B.to_cpu(self.buffer)
        return self.host

    def __exit__(self, *exc):
        if self.xp is not np and exc[0] is None:
            self.buffer[...] = B.to_device(self.host, B.backend_of(self.buffer))
        return False


_WORLD = None


def world():
    """This process's communicator, created once: MPI.COMM_WORLD when launched by mpiexec with more than one
    process, else the single-process stand-in. Raises DistributedSetupError (one line) when launched by
    mpiexec without mpi4py, or when mpi4py's MPI sees a different number of ranks than the launcher
    started (an mpiexec from another MPI implementation)."""
    global _WORLD
    if _WORLD is None:
        size, var = launched_size()
        if size is None or size == 1:
            _WORLD = SingleProcess()
        else:
            try:
                from mpi4py import MPI
            except ImportError:
                raise DistributedSetupError(f"this process was launched by mpiexec as one of {size} ranks "
                                            f"({var}={size}), but mpi4py is not installed: "
                                            f"{MPI_INSTALL_HINT}") from None
            comm = MPICommunicator(MPI.COMM_WORLD)
            if comm.size != size:
                raise DistributedSetupError(
                    f"the launcher started {size} ranks ({var}={size}) but mpi4py's MPI sees {comm.size}: the "
                    "mpiexec on PATH belongs to a different MPI than mpi4py (use the one installed with "
                    f"{MPI_INSTALL_HINT.split('  ')[0]})")
            _WORLD = comm
    return _WORLD
