"""Gradient mode: whether forward passes keep the caches their backward passes need."""
import contextlib

enabled = True  # read by Module on every forward; changed only by no_grad()


@contextlib.contextmanager
def no_grad():
    """Forward passes inside this block keep no cache, so they cannot be backpropagated and do not
    disturb a cache kept for a pending backward (use it for evaluation and logging)."""
    global enabled
    previous, enabled = enabled, False
    try:
        yield
    finally:
        enabled = previous


def is_grad_enabled():
    return enabled
