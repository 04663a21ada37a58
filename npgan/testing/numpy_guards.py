"""NumPy's public conversion functions refuse strict arrays — but only while the strict backend is in use.

CuPy refuses ``numpy.asarray(device_array)`` ("Implicit conversion to a NumPy array is not allowed"). A
strict array is an ndarray subclass, and NumPy never calls ``__array__`` on one, so the only way to refuse
it is to wrap the public names ``numpy.asarray``, ``numpy.array``, ``numpy.ascontiguousarray``,
``numpy.asfortranarray`` and ``numpy.asarray_chkfinite`` (NumPy's internal references stay untouched, so
the subclass machinery keeps working; every other input behaves exactly as before).

Scope: "in use" means from the moment a strict array comes into being until :func:`uninstall`.

* Importing npgan, :mod:`npgan.testing` or :mod:`npgan.testing.strict` installs nothing.
* The first strict array created (``to_device``, a creation function, a draw, or any operation returning
  one — the array type's ``__array_finalize__`` calls :func:`install`) installs the guards.
* :func:`uninstall` removes them. The test suite calls it after every test (``tests/conftest.py``), so a
  test on the default backend never sees patched NumPy; ``with numpy_guards(): ...`` installs them for a
  block and leaves NumPy as it found it.

Known gap: a strict array kept alive past :func:`uninstall` (a module-level one) is not guarded again until
the next strict array is created.
"""
import contextlib
import functools

import numpy as np

GUARDED = ("asarray", "array", "ascontiguousarray", "asfortranarray", "asarray_chkfinite")
installed = False  # read on every strict array creation: a module global is the cheapest check
_originals = {}


def implicit_message(name):
    return (f"strict backend: implicit conversion of a device (strict) array to a host numpy.ndarray by {name} "
            f"is not allowed; use asnumpy/to_cpu (CuPy: 'Implicit conversion to a NumPy array is not allowed')")


def _guard(name, np_func, holds_strict, strict_type):
    @functools.wraps(np_func)
    def guarded(a, *args, **kwargs):
        if holds_strict(a) and not (kwargs.get("subok") and isinstance(a, strict_type)):
            raise TypeError(implicit_message(f"numpy.{name}"))
        return np_func(a, *args, **kwargs)
    guarded._strict_original = np_func
    return guarded


def install(holds_strict, strict_type):
    """Make ``numpy.asarray(strict)`` and friends raise, as they do for CuPy arrays (idempotent).
    `holds_strict(a)` says whether an argument holds strict arrays; `strict_type` is their class (the
    strict_array module passes both, so this module needs nothing of it)."""
    global installed
    for name in GUARDED:
        current = getattr(np, name)
        if not hasattr(current, "_strict_original"):
            _originals[name] = current
            setattr(np, name, _guard(name, current, holds_strict, strict_type))
    installed = True


def uninstall():
    """Restore NumPy's own conversion functions (idempotent)."""
    global installed
    for name, original in _originals.items():
        setattr(np, name, original)
    _originals.clear()
    installed = False


@contextlib.contextmanager
def numpy_guards(holds_strict, strict_type):
    """Guards on inside the block (see install); afterwards NumPy is as it was before the block."""
    was = installed
    install(holds_strict, strict_type)
    try:
        yield
    finally:
        if not was:
            uninstall()
