"""Two small pieces of the run loop (npgan.training): Ctrl-C/SIGTERM as a request to stop between iterations,
and the endless stream of minibatches."""
import signal
import sys


def endless(loader):
    """Batch after batch, rolling into the next shuffle when an epoch's batches run out (k > 1 may need a
    batch from the next one)."""
    while True:
        yield loader.next_batch()


class StopSignals:
    """Ctrl-C (SIGINT) and SIGTERM set a flag that the loop reads between iterations, so a checkpoint is
    never taken halfway through an update; a second signal stops at once (temporary files are removed)."""

    def __init__(self):
        self.requested = False
        self._previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: signals stay as they are
                pass

    def _handle(self, signum, frame):
        if self.requested:
            self.restore()
            raise KeyboardInterrupt
        self.requested = True
        print("\nstopping: finishing this iteration, saving a checkpoint, then exiting (signal again to stop "
              "at once, without saving)", file=sys.stderr)

    def restore(self):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
