"""The ``"strict"`` backend: host memory that behaves like CuPy device memory (for tests only).

A CPU-only machine cannot run CuPy, so the CuPy path of npgan would go untested. This module stands in
for it. Its arrays, :class:`ndarray`, are NumPy arrays underneath but obey CuPy's rules, and this module
is their ``xp`` (``get_array_module(x) is npgan.strict``) the way ``cupy`` is for a GPU array:

* **No mixing.** A ufunc (``+``, ``@``, ``np.exp``, in-place ``out=``) or NumPy function (``np.dot``,
  ``np.concatenate``, ``np.where``) that mixes a strict array with a host ``numpy.ndarray`` of ``ndim >= 1``
  (or a list) raises ``TypeError``, as CuPy does (``Unsupported type <class 'numpy.ndarray'>``). Python and
  NumPy scalars and 0-d host arrays are accepted, as CuPy accepts scalars.
* **Results stay on the device.** Views, ``x.sum()``, ``x[0]`` and ``np.argmax(x)`` return strict arrays
  (0-d where NumPy would give a scalar, as CuPy does).
* **No implicit trip to the host.** ``np.asarray(x)``, ``np.array(x)`` raise ``TypeError``, like CuPy's
  "Implicit conversion to a NumPy array is not allowed". NumPy never calls ``__array__`` on an ndarray
  subclass, so importing this module wraps the public ``numpy.asarray``, ``numpy.array``,
  ``numpy.ascontiguousarray``, ``numpy.asfortranarray`` and ``numpy.asarray_chkfinite`` (they behave
  exactly as before for every other input; :func:`uninstall_numpy_guards` undoes it). NumPy's internal
  references are untouched, so the subclass machinery keeps working.
* **Allowed, but counted.** What CuPy allows with a hidden copy is allowed here and counted as a transfer:
  ``float(x)``, ``int(x)``, ``bool(x)``, ``x.item()``, ``x.tolist()``, ``x.tobytes()``, ``x.get()``,
  ``repr(x)``, ``format(x)`` (device -> host); ``xp.asarray(host)``, ``xp.array(host)``, and indexing
  or assigning with a host index array, list or host value, ``x[host_idx]``, ``x[i] = host`` (host ->
  device). ``float()``/``int()``/``bool()`` of an array of more than one element raise ``TypeError``.
* **Explicit moves**: :func:`to_device` (host -> device) and :func:`asnumpy` (device -> host) copy, and are
  counted in :data:`transfers`; :func:`count_transfers` gives the bytes, calls and call sites of a block.

Known gaps: ``np.mean([x, y])`` on a *list* of strict arrays converts inside NumPy unseen; methods that
NumPy implements in C on another array (``x.put``, ``x.choose``) are not checked; the random streams are
NumPy's, not CuPy's.
"""
import contextlib
import functools
import os
import sys
import types

import numpy as np

_np_asarray = np.asarray  # the originals, before install_numpy_guards() wraps the public names
_np_array = np.array


# --- transfer accounting --------------------------------------------------------------------------------

class TransferStats:
    """Bytes and calls moved host -> device (``to_device_*``) and device -> host (``to_host_*``).

    ``events`` (only in a :func:`count_transfers` block) lists ``(direction, nbytes, what, where)``, where
    ``where`` is the first caller outside this module, so a failing transfer test names the leak.
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
    here = os.path.abspath(__file__)
    frame = sys._getframe(2)
    while frame is not None and os.path.abspath(frame.f_code.co_filename) in (here, contextlib.__file__):
        frame = frame.f_back
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _record(direction, nbytes, what):
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


# --- the rules ------------------------------------------------------------------------------------------

def _is_host_array(obj):
    """A host ndarray that CuPy would refuse: not strict, at least one dimension."""
    return isinstance(obj, np.ndarray) and not isinstance(obj, ndarray) and obj.ndim >= 1


def _mixing_error(what, obj, namespace=False):
    what = what if isinstance(what, str) else what()  # built only when raising: the checks are hot
    if isinstance(obj, np.ndarray):
        got = f"a host numpy.ndarray (shape {obj.shape}, dtype {obj.dtype})"
    else:
        got = f"a host {type(obj).__name__}"
    verb = "is given" if namespace else "mixes a device (strict) array with"
    return TypeError(f"Unsupported type {type(obj)}: strict backend: operation {what} {verb} {got}; move it "
                     f"explicitly with to_device/asnumpy (CuPy raises TypeError here too)")


def _unwrap(tree, what, originals=None, namespace=False, depth=0):
    """`tree` (an argument, or lists/tuples/dicts of them) with strict arrays as plain ndarray views of the
    same memory; a host array (ndim >= 1) in it raises TypeError. Strict arrays met go into `originals`."""
    if isinstance(tree, np.ndarray):
        if isinstance(tree, ndarray):
            if originals is not None:
                originals.append(tree)
            return tree.view(np.ndarray)
        if tree.ndim:
            raise _mixing_error(what, tree, namespace)
        return tree
    kind = type(tree)
    if (kind is list or kind is tuple) and depth < 3:
        return kind([_unwrap(item, what, originals, namespace, depth + 1) for item in tree])
    if kind is dict and depth < 3:
        return {key: _unwrap(item, what, originals, namespace, depth + 1) for key, item in tree.items()}
    return tree


def _operand(x, what, namespace=False):
    """One array operand of a ufunc: as _unwrap, and a list or tuple is refused too (CuPy refuses them)."""
    if isinstance(x, np.ndarray):
        if isinstance(x, ndarray):
            return x.view(np.ndarray)
        if x.ndim:
            raise _mixing_error(what, x, namespace)
    elif isinstance(x, (list, tuple)):
        raise _mixing_error(what, x, namespace)
    return x


def _plain(tree, depth=0):
    """Strict arrays (inside lists and tuples too) as plain ndarray views; host arrays let through."""
    if isinstance(tree, ndarray):
        return tree.view(np.ndarray)
    kind = type(tree)
    if (kind is list or kind is tuple) and depth < 3:
        return kind([_plain(item, depth + 1) for item in tree])
    return tree


def _wrap(tree, originals=()):
    """Results as strict arrays: plain arrays viewed as strict, NumPy scalars as 0-d strict arrays.

    A result that *is* one of the plain views made from a strict input (``out=``) comes back as that input.
    """
    if isinstance(tree, np.ndarray):
        if isinstance(tree, ndarray):
            return tree
        for original in originals:
            if tree.base is original.base and _same_view(tree, original):
                return original
        return tree.view(ndarray)
    if isinstance(tree, np.generic):
        return _np_asarray(tree).view(ndarray)
    if isinstance(tree, tuple):  # named tuples too (linalg.eigh's EighResult)
        items = [_wrap(item, originals) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else tuple(items)
    if type(tree) is list:
        return [_wrap(item, originals) for item in tree]
    return tree


def _same_view(a, b):
    return (a.__array_interface__["data"] == b.__array_interface__["data"] and a.shape == b.shape
            and a.strides == b.strides and a.dtype == b.dtype)


def _holds_strict(obj, depth=0):
    """Is `obj` a strict array, or a list/tuple/dict holding one (a flat list of numbers is scanned in C)?"""
    if isinstance(obj, ndarray):
        return True
    if isinstance(obj, dict):
        obj = list(obj.values())
    if not isinstance(obj, (list, tuple)) or depth >= 3:
        return False
    kinds = set(map(type, obj))
    if ndarray in kinds:
        return True
    nested = (list, tuple, dict)
    return any(k in kinds for k in nested) and any(_holds_strict(o, depth + 1) for o in obj if type(o) in nested)


def _count_host_index(key, what):
    """Host index arrays and lists are accepted, as CuPy accepts them, but cost a host -> device copy."""
    for k in key if type(key) is tuple else (key,):
        if _is_host_array(k):
            _record("to_device", k.nbytes, what)
        elif isinstance(k, list):
            _record("to_device", _np_asarray(k).nbytes, what)


class ndarray(np.ndarray):
    """An array in "device memory": a NumPy array that obeys CuPy's rules (see the module docstring)."""

    # -- operations: check, compute on plain views, wrap
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        what = lambda: f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")  # noqa: E731
        if method == "at":  # ufunc.at(a, indices, b): the indices may be host (counted), as in indexing
            _count_host_index(inputs[1], "ufunc.at indices")
            inputs = (_operand(inputs[0], what), _plain(inputs[1])) + tuple(_operand(b, what) for b in inputs[2:])
        else:
            inputs = tuple([_operand(x, what) for x in inputs])
        out = kwargs.get("out")
        if out:
            kwargs["out"] = tuple([None if o is None else _operand(o, what) for o in out])
        if "where" in kwargs:
            kwargs["where"] = _operand(kwargs["where"], what)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if method == "at":
            return None
        if not out:
            return _wrap(result)
        results = result if type(result) is tuple else (result,)
        wrapped = tuple(o if o is not None else _wrap(r) for o, r in zip(out, results))
        return wrapped if type(result) is tuple else wrapped[0]

    def __array_function__(self, func, types_, args, kwargs):
        if not all(issubclass(t, np.ndarray) for t in types_):
            return NotImplemented
        originals = []
        args, kwargs = _unwrap((args, kwargs), lambda: f"numpy.{func.__name__}", originals)
        if func.__name__ in ("save", "savez", "savez_compressed", "savetxt"):
            for array in originals:
                _record("to_host", array.nbytes, f"numpy.{func.__name__}")  # CuPy's save copies to the host
        return _wrap(func(*args, **kwargs), originals)

    # -- indexing: host index arrays / values accepted (as in CuPy) but counted
    def __getitem__(self, key):
        _count_host_index(key, "indexing")
        return _wrap(np.ndarray.__getitem__(self, _plain(key)))

    def __setitem__(self, key, value):
        _count_host_index(key, "indexing")
        if _is_host_array(value):
            _record("to_device", value.nbytes, "assignment of a host array")
        elif isinstance(value, list):
            _record("to_device", _np_asarray(value).nbytes, "assignment of a list")
        np.ndarray.__setitem__(self, _plain(key), _plain(value))

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(len(self)):
            yield self[i]

    def fill(self, value):
        np.ndarray.fill(self.view(np.ndarray), _plain(value))

    # -- methods NumPy implements in C with a scalar result or a second array: route through np.<name>
    def dot(self, b, out=None):
        return np.dot(self, b, out=out)

    def argmax(self, *args, **kwargs):
        return np.argmax(self, *args, **kwargs)

    def argmin(self, *args, **kwargs):
        return np.argmin(self, *args, **kwargs)

    def take(self, indices, *args, **kwargs):
        return np.take(self, indices, *args, **kwargs)

    def nonzero(self):
        return np.nonzero(self)

    # -- device -> host: allowed, counted
    def _to_host(self, what, nbytes=None):
        _record("to_host", self.nbytes if nbytes is None else nbytes, what)
        return self.view(np.ndarray)

    def _scalar(self, convert, what):
        """A one-element array to a Python scalar: a counted device -> host copy (a sync in CuPy)."""
        if self.size != 1:
            raise TypeError(f"strict backend: {what} of a device array of shape {self.shape} would copy it to the "
                            f"host implicitly; use asnumpy()/to_cpu() (only one-element arrays convert)")
        return convert(self._to_host(what).reshape(()))

    def __float__(self):
        return self._scalar(float, "float()")

    def __int__(self):
        return self._scalar(int, "int()")

    def __complex__(self):
        return self._scalar(complex, "complex()")

    def __index__(self):
        return self._scalar(lambda a: a.__index__(), "operator.index()")

    def __bool__(self):
        return self._scalar(bool, "bool()")

    def item(self, *args):
        if not args:
            return self._scalar(lambda a: a.item(), ".item()")
        return self._to_host(".item()", self.itemsize).item(*args)

    def tolist(self):
        return self._to_host(".tolist()").tolist()

    def tobytes(self, order="C"):
        return self._to_host(".tobytes()").tobytes(order)

    def get(self, stream=None, order="C", out=None):
        """CuPy's explicit device -> host copy (``asnumpy`` does the same)."""
        return asnumpy(self, order=order, out=out)

    def __repr__(self):
        return "strict." + repr(self._to_host("repr()"))

    def __str__(self):
        return str(self._to_host("str()"))

    def __format__(self, spec):
        return format(self._to_host("format()"), spec)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_implicit_message("__array__"))


def _implicit_message(name):
    return (f"strict backend: implicit conversion of a device (strict) array to a host numpy.ndarray by {name} "
            f"is not allowed; use asnumpy/to_cpu (CuPy: 'Implicit conversion to a NumPy array is not allowed')")


# --- explicit moves -------------------------------------------------------------------------------------

def to_device(host_array, dtype=None):
    """Copy a host array (or list, or scalar) into "device memory"; counted host -> device.

    What ``npgan.backend.to_device(x, "strict")`` calls; a strict array is returned as it is.
    """
    if isinstance(host_array, ndarray):
        return host_array if dtype is None else host_array.astype(dtype, copy=False)
    host = _np_array(host_array, dtype=dtype, copy=True)
    _record("to_device", host.nbytes, "to_device")
    return host.view(ndarray)


def asnumpy(array, stream=None, order="C", out=None):
    """Copy a device array to a new host numpy.ndarray (the one explicit way back); counted device -> host.

    Host arrays come back as they are (as ``cupy.asnumpy`` returns them), not counted.
    """
    if not isinstance(array, ndarray):
        host = _np_asarray(array, order=order)
    else:
        host = _np_array(array._to_host("asnumpy"), order=order, copy=True)
    if out is not None:
        out[...] = host
        return out
    return host


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
    if isinstance(obj, ndarray) or (isinstance(obj, (list, tuple)) and _holds_strict(obj)):
        plain = _unwrap(obj, "npgan.strict.array")
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
        self._call = _device_function(ufunc, f"npgan.strict.{ufunc.__name__}")

    def __call__(self, *args, **kwargs):
        for x in args:
            _operand(x, f"npgan.strict.{self.__name__}", namespace=True)
        return self._call(*args, **kwargs)

    def at(self, a, indices, b=None):
        if not isinstance(a, ndarray):
            raise TypeError(f"strict backend: {self.__name__}.at needs a device (strict) array, got {type(a)}")
        return self._ufunc.at(a, indices) if b is None else self._ufunc.at(a, indices, b)

    def __getattr__(self, name):
        attr = getattr(self._ufunc, name)
        if name in ("reduce", "accumulate", "reduceat", "outer"):
            attr = _device_function(attr, f"npgan.strict.{self.__name__}.{name}")
            setattr(self, name, attr)
        return attr

    def __repr__(self):
        return f"<strict ufunc {self.__name__!r}>"


class _Namespace(types.ModuleType):
    """A numpy submodule (``linalg``) whose functions follow the strict rules."""

    def __init__(self, module):
        super().__init__(f"npgan.strict.{module.__name__.rsplit('.', 1)[-1]}")
        self._module = module

    def __getattr__(self, name):
        attr = _delegate(getattr(self._module, name), f"npgan.strict.{self._module.__name__[6:]}.{name}")
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
        raise AttributeError(f"module 'npgan.strict' (and numpy) has no attribute {name!r}")
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


random = types.ModuleType("npgan.strict.random", "cupy.random's Generator interface, drawing strict arrays.")
random.Generator = Generator
random.default_rng = default_rng


class _Stream:
    def synchronize(self):
        """Nothing is queued on the host."""


cuda = types.ModuleType("npgan.strict.cuda", "A no-op stand-in for cupy.cuda (synchronize).")
cuda.get_current_stream = _Stream
cuda.Stream = _Stream


# --- numpy's public conversion functions refuse strict arrays -------------------------------------------

_GUARDED = ("asarray", "array", "ascontiguousarray", "asfortranarray", "asarray_chkfinite")
_originals = {}


def _guard(name, np_func):
    @functools.wraps(np_func)
    def guarded(a, *args, **kwargs):
        if _holds_strict(a) and not (kwargs.get("subok") and isinstance(a, ndarray)):
            raise TypeError(_implicit_message(f"numpy.{name}"))
        return np_func(a, *args, **kwargs)
    guarded._strict_original = np_func
    return guarded


def install_numpy_guards():
    """Make ``numpy.asarray(strict)`` and friends raise, as they do for CuPy arrays (done on import)."""
    for name in _GUARDED:
        current = getattr(np, name)
        if not hasattr(current, "_strict_original"):
            _originals[name] = current
            setattr(np, name, _guard(name, current))


def uninstall_numpy_guards():
    """Restore numpy's own conversion functions."""
    for name, original in _originals.items():
        setattr(np, name, original)
    _originals.clear()


install_numpy_guards()
