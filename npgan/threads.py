"""The BLAS threads a process may use (threadpoolctl, when installed: the `examples` extra; else nothing
changes). The toy GANs run on one; ranks of `mpiexec` on one machine share its cores."""
import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads(count):
    """Run the BLAS on `count` threads from now on (threadpoolctl, when installed; else nothing changes).
    Returns the threadpoolctl limiter (a context manager that restores the old count), or None."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=count, user_api="blas")


def ranks_share_cores(ranks_here):
    """Split this machine's cores between the `ranks_here` processes that run on it (mpiexec -n P on one
    machine): BLAS threads = cores // ranks, at least 1, unless the user set OMP/OPENBLAS/MKL_NUM_THREADS.
    Two ranks with two threads each on two cores ran an epoch 7× slower than with one each (measured)."""
    if ranks_here <= 1 or any(os.environ.get(name) for name in THREAD_VARIABLES):
        return None
    return blas_threads(max(1, (os.cpu_count() or 1) // ranks_here))


def single_blas_thread():
    """Run the BLAS on one thread from now on (threadpoolctl, when installed; else nothing changes).

    For tiny matrices (the 1-D and 2-D toy GANs) one thread is as fast as two, and a second thread only
    spins, slowing everything else on a 2-core machine. Returns the threadpoolctl limiter, or None."""
    return blas_threads(1)
