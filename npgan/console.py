"""What a long job shows on the terminal: a progress bar (tqdm when installed, else nothing: `bar.write`
prints either way), and one BLAS thread for programs whose matrices are too small to share between cores."""


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


def single_blas_thread():
    """Run the BLAS on one thread from now on (threadpoolctl, when installed; else nothing changes).

    For tiny matrices (the 1-D and 2-D toy GANs) one thread is as fast as two, and a second thread only
    spins, slowing everything else on a 2-core machine. Returns the threadpoolctl limiter, or None."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1, user_api="blas")
