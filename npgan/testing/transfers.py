"""Transfer accounting for the strict backend: bytes and calls moved host -> device and device -> host.

Every move the strict backend sees goes through :func:`record`; :data:`transfers` counts since import (or
the last :func:`reset_transfer_stats`), and :func:`count_transfers` counts one ``with`` block and keeps
each event with its call site, so a failing transfer test names the line that leaked.
"""
import contextlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))  # frames in npgan/testing are the backend's own


class TransferStats:
    """Bytes and calls moved host -> device (``to_device_*``) and device -> host (``to_host_*``).

    ``events`` (only in a :func:`count_transfers` block) lists ``(direction, nbytes, what, where)``, where
    ``where`` is the first caller outside npgan.testing, so a failing transfer test names the leak.
    """

    def __init__(self, keep_events=False):
        self.to_device_bytes = self.to_device_calls = self.to_host_bytes = self.to_host_calls = 0
        self.events = [] if keep_events else None

    def reset(self):
        self.to_device_bytes = self.to_device_calls = self.to_host_bytes = self.to_host_calls = 0
        if self.events is not None:
            self.events.clear()

    def copy(self):
        stats = TransferStats()
        stats.to_device_bytes, stats.to_device_calls = self.to_device_bytes, self.to_device_calls
        stats.to_host_bytes, stats.to_host_calls = self.to_host_bytes, self.to_host_calls
        stats.events = None if self.events is None else list(self.events)
        return stats

    def as_dict(self):
        return {"to_device_bytes": self.to_device_bytes, "to_device_calls": self.to_device_calls,
                "to_host_bytes": self.to_host_bytes, "to_host_calls": self.to_host_calls}

    def __repr__(self):
        text = (f"TransferStats(to_device: {self.to_device_calls} calls, {self.to_device_bytes} bytes; "
                f"to_host: {self.to_host_calls} calls, {self.to_host_bytes} bytes)")
        if self.events:
            text += "".join(f"\n  {d} {n:>10} bytes  {what}  at {where}" for d, n, what, where in self.events)
        return text


transfers = TransferStats()  # since import (or the last reset_transfer_stats())
_active = []                 # the stats of the count_transfers() blocks now open


def transfer_stats():
    """A snapshot of :data:`transfers`."""
    return transfers.copy()


def reset_transfer_stats():
    transfers.reset()


@contextlib.contextmanager
def count_transfers():
    """Count the transfers made inside a ``with`` block: ``with count_transfers() as t: ...; t.to_device_bytes``."""
    stats = TransferStats(keep_events=True)
    _active.append(stats)
    try:
        yield stats
    finally:
        _active.remove(stats)


def _caller():
    frame = sys._getframe(2)
    while frame is not None and (os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE
                                 or frame.f_code.co_filename == contextlib.__file__):
        frame = frame.f_back
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def record(direction, nbytes, what):
    """Count one move (`direction` "to_device" or "to_host") of `nbytes` bytes, described by `what`."""
    nbytes = int(nbytes)
    where = _caller() if _active else None
    for stats in [transfers] + _active:
        if direction == "to_device":
            stats.to_device_bytes += nbytes
            stats.to_device_calls += 1
        else:
            stats.to_host_bytes += nbytes
            stats.to_host_calls += 1
        if stats.events is not None:
            stats.events.append((direction, nbytes, what, where))
