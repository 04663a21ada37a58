"""Data-parallel training over MPI (mpi4py), hand-written: see docs/distributed.md.

    mpiexec -n 2 npgan-mnist                         # P ranks, each on m/P rows of every global batch

- comm.py      the communicator: world(), rank, size, allreduce of one buffer, broadcast, allgather
- parallel.py  DistributedOptimizer (one allreduce of one flat buffer per step), DataParallel (a trainer
               made data-parallel), parameter broadcast and checksums, the sliced random draws
- syncbn.py    SyncBatchNorm1d (global batch statistics) and convert_sync_batchnorm

mpi4py is imported only when the process was launched by mpiexec.
"""
from npgan.distributed.comm import (MPI_INSTALL_HINT, DistributedSetupError, DistributedUnsupported,
                                    MPICommunicator, SingleProcess, launched_size, world)
from npgan.distributed.parallel import (DataParallel, DesyncError, DistributedOptimizer, ShardedDraws,
                                        broadcast_parameters, check_in_sync, checksum)
from npgan.distributed.syncbn import SyncBatchNorm1d, convert_sync_batchnorm, has_batchnorm

__all__ = ["world", "SingleProcess", "MPICommunicator", "launched_size", "DistributedSetupError",
           "DistributedUnsupported", "MPI_INSTALL_HINT", "DistributedOptimizer", "DataParallel", "DesyncError",
           "ShardedDraws", "broadcast_parameters", "checksum", "check_in_sync", "SyncBatchNorm1d",
           "convert_sync_batchnorm", "has_batchnorm"]
