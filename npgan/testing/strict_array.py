"""The strict array: NumPy memory that obeys CuPy's host/device rules, and the two explicit moves.

* **No mixing.** A ufunc (``+``, ``@``, ``np.exp``, in-place ``out=``) or NumPy function (``np.dot``,
  ``np.concatenate``, ``np.where``) that mixes a strict array with a host ``numpy.ndarray`` of ``ndim >= 1``
  (or a list) raises ``TypeError``, as CuPy does (``Unsupported type <class 'numpy.ndarray'>``). Python and
  NumPy scalars and 0-d host arrays are accepted, as CuPy accepts scalars.
* **Results stay on the device.** Views, ``x.sum()``, ``x[0]`` and ``np.argmax(x)`` return strict arrays
  (0-d where NumPy would give a scalar, as CuPy does).
* **No implicit trip to the host.** ``x.__array__`` raises; ``np.asarray(x)`` and friends raise through
  :mod:`npgan.testing.numpy_guards`, installed when the first strict array is created.
* **Allowed, but counted** (:mod:`npgan.testing.transfers`): what CuPy allows with a hidden copy:
  ``float(x)``, ``int(x)``, ``bool(x)``, ``x.item()``, ``x.tolist()``, ``x.tobytes()``, ``x.get()``,
  ``repr(x)``, ``format(x)`` (device -> host); indexing or assigning with a host index array, list or
  host value, ``x[host_idx]``, ``x[i] = host`` (host -> device). ``float()``/``int()``/``bool()`` of an
  array of more than one element raise ``TypeError``.
* **Explicit moves**: :func:`to_device` (host -> device) and :func:`asnumpy` (device -> host) copy.

How: every operation unwraps strict operands to plain ndarray views of the same memory (refusing host
arrays), runs NumPy, and views the results as strict again (``_unwrap`` / ``_wrap``).
"""
import numpy as np

from npgan.testing import numpy_guards as _guards
from npgan.testing.numpy_guards import implicit_message
from npgan.testing.transfers import record

_np_asarray = np.asarray  # the originals (importing this module installs nothing, see numpy_guards)
_np_array = np.array


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


def holds_strict(obj, depth=0):
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
    return any(k in kinds for k in nested) and any(holds_strict(o, depth + 1) for o in obj if type(o) in nested)


def _count_host_index(key, what):
    """Host index arrays and lists are accepted, as CuPy accepts them, but cost a host -> device copy."""
    for k in key if type(key) is tuple else (key,):
        if _is_host_array(k):
            record("to_device", k.nbytes, what)
        elif isinstance(k, list):
            record("to_device", _np_asarray(k).nbytes, what)


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
                record("to_host", array.nbytes, f"numpy.{func.__name__}")  # CuPy's save copies to the host
        return _wrap(func(*args, **kwargs), originals)

    # -- indexing: host index arrays / values accepted (as in CuPy) but counted
    def __getitem__(self, key):
        _count_host_index(key, "indexing")
        return _wrap(np.ndarray.__getitem__(self, _plain(key)))

    def __setitem__(self, key, value):
        _count_host_index(key, "indexing")
        if _is_host_array(value):
            record("to_device", value.nbytes, "assignment of a host array")
        elif isinstance(value, list):
            record("to_device", _np_asarray(value).nbytes, "assignment of a list")
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
        record("to_host", self.nbytes if nbytes is None else nbytes, what)
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

    def __array_finalize__(self, obj):
        """Every strict array passes here as it comes into being: the strict backend is in use."""
        if not _guards.installed:
            _guards.install(holds_strict, ndarray)

    def __repr__(self):
        return "strict." + repr(self._to_host("repr()"))

    def __str__(self):
        return str(self._to_host("str()"))

    def __format__(self, spec):
        return format(self._to_host("format()"), spec)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(implicit_message("__array__"))


# --- explicit moves -------------------------------------------------------------------------------------

def to_device(host_array, dtype=None):
    """Copy a host array (or list, or scalar) into "device memory"; counted host -> device.

    What ``npgan.backend.to_device(x, "strict")`` calls; a strict array is returned as it is.
    """
    if isinstance(host_array, ndarray):
        return host_array if dtype is None else host_array.astype(dtype, copy=False)
    host = _np_array(host_array, dtype=dtype, copy=True)
    record("to_device", host.nbytes, "to_device")
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
