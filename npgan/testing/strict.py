"""The ``"strict"`` backend: host memory that behaves like CuPy device memory (test tooling).

A CPU-only machine cannot run CuPy, so the CuPy path of npgan would go untested. This module stands in
for it: it is the ``xp`` of its arrays (``get_array_module(x) is npgan.testing.strict``) the way ``cupy`` is
for a GPU array, with CuPy's signatures — creation functions, ``asarray``/``array`` (host data copied in,
counted), ``random.default_rng`` and every other NumPy name by delegation (``xp.exp``, ``xp.linalg``...),
refusing host arrays as ``cupy.<name>`` does. ``backend="strict"`` and ``NPGAN_BACKEND=strict`` load it
lazily (:func:`npgan.backend.get_xp`).

Its parts, one concept each:

* :mod:`npgan.testing.strict_array` — the array type :class:`ndarray` and its rules (no mixing with host
  arrays, results stay on the device, implicit copies refused or counted), :func:`to_device`, :func:`asnumpy`;
* :mod:`npgan.testing.transfers` — :data:`transfers`, :func:`count_transfers` and friends;
* :mod:`npgan.testing.numpy_guards` — ``numpy.asarray(strict)`` and friends raise, **only while strict arrays
  are in use**: installed when the first one is created, removed by :func:`uninstall_numpy_guards` (the test
  suite does it after every test) or at the end of a ``with numpy_guards():`` block. Importing this module
  changes nothing in NumPy.

Known gaps: ``np.mean([x, y])`` on a *list* of strict arrays converts inside NumPy unseen; methods that
NumPy implements in C on another array (``x.put``, ``x.choose``) are not checked; the random streams are
NumPy's, not CuPy's.
"""
import functools
import sys
import types

import numpy as np

from npgan.testing import numpy_guards as _guards
from npgan.testing.numpy_guards import uninstall as uninstall_numpy_guards
from npgan.testing.strict_array import (_mixing_error, _np_array, _np_asarray, _operand, _plain, _unwrap, _wrap,
                                        asnumpy, holds_strict, ndarray, to_device)
from npgan.testing.transfers import (TransferStats, count_transfers, reset_transfer_stats, transfer_stats,
                                     transfers)

__all__ = ["ndarray", "to_device", "asnumpy", "get_array_module", "asarray", "array", "ascontiguousarray",
           "TransferStats", "transfers", "transfer_stats", "reset_transfer_stats", "count_transfers",
           "install_numpy_guards", "uninstall_numpy_guards", "numpy_guards", "random", "cuda"]


def install_numpy_guards():
    """``numpy.asarray(strict)`` and friends raise from now on, as they do for CuPy arrays (idempotent)."""
    _guards.install(holds_strict, ndarray)


def numpy_guards():
    """A block inside which the guards are on; afterwards NumPy is as it was before it."""
    return _guards.numpy_guards(holds_strict, ndarray)


def get_array_module(*arrays):
    """``cupy.get_array_module``: this module when any argument is a strict array, else numpy."""
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in arrays) else np


# --- creation (CuPy's signatures, strict results) -------------------------------------------------------

def asarray(a, dtype=None, order=None):
    """Like ``cupy.asarray``: a strict array is returned as is; host data is copied in (counted)."""
    if isinstance(a, ndarray):
        return a if dtype is None and order is None else _np_asarray(a.view(np.ndarray), dtype, order).view(ndarray)
    return array(a, dtype=dtype, copy=None, order=order or "K")


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    """Like ``cupy.array``: a copy by default; host data is copied in (counted).

    A list of device arrays is assembled on the device (CuPy does the same), a list mixing them with host
    arrays is refused.
    """
    if isinstance(obj, ndarray) or (isinstance(obj, (list, tuple)) and holds_strict(obj)):
        plain = _unwrap(obj, "npgan.testing.strict.array")
        copy = copy if isinstance(obj, ndarray) else True
        return _np_array(plain, dtype=dtype, copy=copy, order=order, ndmin=ndmin).view(ndarray)
    return to_device(_np_array(obj, dtype=dtype, copy=copy, order=order, ndmin=ndmin))


def ascontiguousarray(a, dtype=None):
    if isinstance(a, ndarray):
        return np.ascontiguousarray(a.view(np.ndarray), dtype=dtype).view(ndarray)
    return asarray(a, dtype=dtype, order="C")


def _creator(np_func):
    @functools.wraps(np_func)
    def create(*args, **kwargs):
        return np_func(*args, **kwargs).view(ndarray)
    create.__doc__ = f"``numpy.{np_func.__name__}``, returning a strict (device) array."
    return create


def _like_creator(np_func):
    @functools.wraps(np_func)
    def create(a, *args, **kwargs):
        return np_func(_plain(a), *args, **kwargs).view(ndarray)
    create.__doc__ = f"``numpy.{np_func.__name__}`` of any array's shape and dtype, returning a strict array."
    return create


empty, zeros, ones, full, arange, linspace, eye, identity = map(
    _creator, (np.empty, np.zeros, np.ones, np.full, np.arange, np.linspace, np.eye, np.identity))
empty_like, zeros_like, ones_like, full_like = map(
    _like_creator, (np.empty_like, np.zeros_like, np.ones_like, np.full_like))


# --- every other numpy name, by delegation --------------------------------------------------------------

def _device_function(np_func, name):
    """``numpy.<name>`` as ``cupy.<name>``: host arrays refused (even with no strict array), results strict."""
    @functools.wraps(np_func)
    def call(*args, **kwargs):
        originals = []
        args, kwargs = _unwrap((args, kwargs), name, originals, namespace=True)
        return _wrap(np_func(*args, **kwargs), originals)
    return call


class _Ufunc:
    """``cupy.<ufunc>``: a numpy ufunc whose calls and methods refuse host arrays and return strict arrays."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self._call = _device_function(ufunc, f"npgan.testing.strict.{ufunc.__name__}")

    def __call__(self, *args, **kwargs):
        for x in args:
            _operand(x, f"npgan.testing.strict.{self.__name__}", namespace=True)
        return self._call(*args, **kwargs)

    def at(self, a, indices, b=None):
        if not isinstance(a, ndarray):
            raise TypeError(f"strict backend: {self.__name__}.at needs a device (strict) array, got {type(a)}")
        return self._ufunc.at(a, indices) if b is None else self._ufunc.at(a, indices, b)

    def __getattr__(self, name):
        attr = getattr(self._ufunc, name)
        if name in ("reduce", "accumulate", "reduceat", "outer"):
            attr = _device_function(attr, f"npgan.testing.strict.{self.__name__}.{name}")
            setattr(self, name, attr)
        return attr

    def __repr__(self):
        return f"<strict ufunc {self.__name__!r}>"


class _Namespace(types.ModuleType):
    """A numpy submodule (``linalg``) whose functions follow the strict rules."""

    def __init__(self, module):
        super().__init__(f"npgan.testing.strict.{module.__name__.rsplit('.', 1)[-1]}")
        self._module = module

    def __getattr__(self, name):
        attr = _delegate(getattr(self._module, name), f"npgan.testing.strict.{self._module.__name__[6:]}.{name}")
        setattr(self, name, attr)
        return attr


def _delegate(obj, name):
    if isinstance(obj, np.ufunc):
        return _Ufunc(obj)
    if callable(obj) and not isinstance(obj, type):
        return _device_function(obj, name)
    return obj  # dtypes and other classes, constants: as numpy has them (cupy.float32 is numpy.float32)


_delegated = {}


def __getattr__(name):
    """Any other numpy name: ``xp.exp``, ``xp.sum``, ``xp.concatenate``, ``xp.float32``, ``xp.linalg``..."""
    if name.startswith("__") or not hasattr(np, name):
        raise AttributeError(f"module 'npgan.testing.strict' (and numpy) has no attribute {name!r}")
    if name not in _delegated:
        obj = getattr(np, name)
        _delegated[name] = _Namespace(obj) if name in ("linalg", "fft") else _delegate(obj, f"numpy.{name}")
    return _delegated[name]


# --- random numbers -------------------------------------------------------------------------------------

class Generator:
    """``cupy.random.Generator``'s interface on NumPy's stream: draws are strict arrays.

    ``bit_generator`` is NumPy's, so a checkpoint can save and restore its ``state``.
    """

    def __init__(self, bit_generator):
        self._generator = np.random.Generator(bit_generator)

    @property
    def bit_generator(self):
        return self._generator.bit_generator

    def random(self, size=None, dtype=np.float64, out=None):  # float64: deliberate (CuPy's default)
        return self._draw(self._generator.random(size, dtype=dtype), out)

    def standard_normal(self, size=None, dtype=np.float64, out=None):  # float64: deliberate (CuPy's default)
        return self._draw(self._generator.standard_normal(size, dtype=dtype), out)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64):  # float64: deliberate (CuPy's default)
        z = self._generator.standard_normal(size, dtype=dtype)
        return _drawn(z * np.dtype(dtype).type(scale) + np.dtype(dtype).type(loc))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):  # float64: deliberate (CuPy's default)
        u = self._generator.random(size, dtype=dtype)
        t = np.dtype(dtype).type
        return _drawn(u * (t(high) - t(low)) + t(low))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return _drawn(self._generator.integers(_plain(low), _plain(high), size, dtype=dtype, endpoint=endpoint))

    def permutation(self, x):
        return _drawn(self._generator.permutation(_unwrap(x, "Generator.permutation", namespace=True)))

    def _draw(self, values, out):
        if out is None:
            return _drawn(values)
        if not isinstance(out, ndarray):
            raise _mixing_error("Generator draw into out=", out, namespace=True)
        out.view(np.ndarray)[...] = values
        return out

    def __repr__(self):
        return f"strict.random.Generator({type(self.bit_generator).__name__})"


def _drawn(values):
    """A draw as a device array; 0-d for a single value (NumPy gives a Python float, CuPy a 0-d array)."""
    return _np_asarray(values).view(ndarray)


def default_rng(seed=None):
    """``numpy.random.default_rng`` returning a strict :class:`Generator`."""
    return Generator(np.random.default_rng(seed).bit_generator)


random = types.ModuleType("npgan.testing.strict.random", "cupy.random's Generator interface, drawing strict arrays.")
random.Generator = Generator
random.default_rng = default_rng


class _Stream:
    def synchronize(self):
        """Nothing is queued on the host."""


cuda = types.ModuleType("npgan.testing.strict.cuda", "A no-op stand-in for cupy.cuda (synchronize).")
cuda.get_current_stream = _Stream
cuda.Stream = _Stream
