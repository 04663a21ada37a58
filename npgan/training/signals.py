"""Two small pieces of the run loop (npgan.training): Ctrl-C/SIGTERM as a request to stop between iterations,
and the endless stream of minibatches."""
import signal
import sys


def endless(loader):
    """Batch after batch, rolling into the next shuffle when an epoch's batches run out (k > 1 may need a
    batch from the next one)."""
    while True:
        yield loader.next_batch()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that `finally` blocks and atomic writes clean up as for Ctrl-C
    (npgan.cli.console turns it into exit status 143)."""


class StopSignals:
    """Ctrl-C (SIGINT) and SIGTERM set a flag that the loop reads between iterations, so a checkpoint is
    never taken halfway through an update; `signum` says which came. A second signal stops at once
    (KeyboardInterrupt, or Terminated for SIGTERM; temporary files are removed on the way out)."""

    def __init__(self):
        self.requested, self.signum = False, None
        self._previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                previous = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: signals stay as they are
                continue
            if previous is not None:  # None: a handler installed outside Python, which cannot be put back
                self._previous[signum] = previous

    @property
    def terminated(self):
        return self.signum == signal.SIGTERM

    def _handle(self, signum, frame):
        if self.requested:
            self.restore()
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        self.requested, self.signum = True, signum
        print("\nstopping: finishing this iteration, saving a checkpoint, then exiting (signal again to stop "
              "at once, without saving)", file=sys.stderr)

    def restore(self):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
