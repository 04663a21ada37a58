"""What a command shows on the terminal: a user's mistake as one line (`run_command`), a progress bar
(tqdm when installed, else nothing: `bar.write` prints either way), and the BLAS threads a process may use.
"""
import sys

from npgan.settings import SettingError


def run_command(job, prog, user_errors, parser=None):
    """job(), with a user's mistake turned into one line instead of a traceback: a setting out of its
    range as argparse reports a bad flag (`argument --lr: must be ...`, exit 2), any of `user_errors` (a
    file that is not a checkpoint, missing data, ...) as `prog: error: ...` (exit 1). Anything else is a bug
    in npgan, and keeps its traceback."""
    try:
        return job()
    except SettingError as error:
        message = f"argument --{error.name.replace('_', '-')}: {error.message}"
        if parser is not None:
            parser.error(message)  # exits with status 2
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    except user_errors as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1


class _NoBar:
    """Stands in for a tqdm bar when tqdm is missing or the bar is disabled."""

    def update(self, n=1):
        pass

    def set_postfix(self, **values):
        pass

    def close(self):
        pass

    @staticmethod
    def write(line):
        print(line)


def progress(total, disable=False, initial=0, desc="", unit="it"):
    """A tqdm bar of `total` steps (tqdm is optional: the `examples` extra installs it)."""
    if disable:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=True, leave=False)


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
    import os
    if ranks_here <= 1 or any(os.environ.get(name) for name in THREAD_VARIABLES):
        return None
    return blas_threads(max(1, (os.cpu_count() or 1) // ranks_here))


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def single_blas_thread():
    """Run the BLAS on one thread from now on (threadpoolctl, when installed; else nothing changes).

    For tiny matrices (the 1-D and 2-D toy GANs) one thread is as fast as two, and a second thread only
    spins, slowing everything else on a 2-core machine. Returns the threadpoolctl limiter, or None."""
    return blas_threads(1)
