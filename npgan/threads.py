"""The threads a process uses: the BLAS's (threadpoolctl, when installed: the `examples` extra; else nothing
changes), and the same number for element-wise work on the host (`blocks`). The toy GANs run on one; ranks
of `mpiexec` on one machine share its cores.

NumPy runs each ufunc on one core, while the BLAS runs its products on all of them. `blocks(fn, n)` cuts a
range of n rows (or columns) into one block per thread and runs `fn(start, stop)` on each, the calling
thread taking the first: NumPy releases the GIL inside its loops, so the blocks run at once. The workers are
kept between calls (a hand-off costs microseconds, a thread start far more). Arrays too small to pay for a
hand-off (`grain` elements per block) run whole on the calling thread.
"""
import os
import threading

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
GRAIN = 1 << 17  # elements per block below which a hand-off (~17 µs measured) does not pay (benchmarks/RESULTS.md)


def blas_threads(count):
    """Run the BLAS, and the element-wise blocks, on `count` threads from now on (threadpoolctl, when
    installed; else only the blocks change). Returns the threadpoolctl limiter (a context manager that
    restores the BLAS's old count), or None."""
    set_host_threads(count)
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


# --- element-wise blocks ------------------------------------------------------------------------------------

_count = None  # threads for the blocks; None: not yet decided


def default_host_threads():
    """NPGAN_HOST_THREADS, else the first of OMP/OPENBLAS/MKL_NUM_THREADS that is set, else the cores."""
    for name in ("NPGAN_HOST_THREADS",) + THREAD_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def host_threads():
    """How many threads `blocks` uses."""
    global _count
    if _count is None:
        _count = default_host_threads()
    return _count


def set_host_threads(count):
    """Use `count` threads for the element-wise blocks from now on (1: everything on the calling thread)."""
    global _count
    _count = max(1, int(count))


class _Worker:
    """One kept thread that runs the jobs handed to it, one at a time."""

    def __init__(self):
        self.go, self.done = threading.Lock(), threading.Lock()
        self.go.acquire()
        self.done.acquire()
        self.job = self.error = None
        threading.Thread(target=self._loop, daemon=True, name="npgan-blocks").start()

    def _loop(self):
        while True:
            self.go.acquire()
            try:
                self.job()
            except BaseException as error:  # handed back to the caller by wait()
                self.error = error
            self.job = None
            self.done.release()

    def start(self, job):
        self.job = job
        self.go.release()

    def wait(self):
        self.done.acquire()
        error, self.error = self.error, None
        if error is not None:
            raise error


_workers = []
_lock = threading.Lock()  # one caller at a time hands out blocks; another runs its work whole


def _reset_after_fork():
    global _workers, _lock
    _workers, _lock = [], threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def split(n, parts):
    """[(start, stop)] of `parts` near-equal blocks of range(n)."""
    edges = [n * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:]))


def count(n, size, grain=None):
    """How many blocks `blocks(fn, n, size, grain)` cuts range(n) into (1: it runs fn(0, n) here)."""
    return max(1, min(host_threads(), n, size // (grain or GRAIN)))


def blocks(fn, n, size, grain=None):
    """Run fn(start, stop) over blocks of range(n) that together cover it, one per thread, where `size` is
    the number of elements the whole range touches (one block per `grain` of them at most; default GRAIN).
    Returns None; an exception in any block is raised here once every block has finished."""
    parts = count(n, size, grain)
    if parts <= 1 or not _lock.acquire(blocking=False):
        fn(0, n)
        return
    try:
        while len(_workers) < parts - 1:
            _workers.append(_Worker())
        ranges = split(n, parts)
        for worker, (start, stop) in zip(_workers, ranges[1:]):
            worker.start(lambda start=start, stop=stop: fn(start, stop))
        try:
            fn(*ranges[0])
        finally:
            errors = []
            for worker in _workers[:parts - 1]:
                try:
                    worker.wait()
                except BaseException as error:
                    errors.append(error)
            if errors:
                raise errors[0]
    finally:
        _lock.release()
