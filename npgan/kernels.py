"""Fused spellings attached to plain formulas: the mechanism only.

Every forward, backward and update in npgan is written once as its formula in array code (the body of a
function in `nn/functional.py`, `nn/losses.py`, `optim/sgd.py`, `optim/adam.py` or `gan/ema.py`). That body
is the reference: it is what a reader reads and what the tests compare every faster spelling against. A
faster spelling of the same formula is attached to the function with `@fused`:

    @fused(cuda=Elementwise("T gy, T y", "T gx", "gx = gy * y * ((T)1 - y)", "npgan_sigmoid_grad"))
    def sigmoid_backward(gy, y):
        return gy * y * (1.0 - y)

Calling `sigmoid_backward(gy, y)` then runs the CUDA spelling when `gy` is a CuPy array, the `host` spelling
(if one is attached — only where the benchmark `benchmarks/bench_kernels.py` measured that it pays) on NumPy
and strict arrays, and the plain body otherwise. `f.plain`, `f.cuda` and `f.host` stay reachable, and
`FUSED` lists every fused function, so the tests can hold each spelling against its plain body.

A one-kernel spelling stays in the `@fused` line, beside its formula, as above. Spellings of several kernels
or several lines live in their own modules, named by what they are, and the `@fused` line points there:
`nn/cuda.py` and `optim/cuda.py` (CUDA), `nn/host.py` and `optim/host.py` (tuned host code).

Why a GPU spelling at all: on the GPU each operator of `gy * y * (1.0 - y)` is one kernel launch writing a
temporary array; a CuPy `ElementwiseKernel` reads each input once and writes each output once.

This module does not import CuPy: it asks `npgan.backend` for it, and only when a CuPy array arrives.
"""
import functools

from npgan import backend as B

FUSED = []  # every function decorated with @fused, in definition order
KERNELS = []  # every Elementwise and ColumnSum constructed, in construction order (tests' ones included)


def fused(cuda=None, host=None):
    """Attach faster spellings to a plain formula. Each spelling takes the plain function's arguments and
    returns what it returns; the first argument decides the backend (it must be an array)."""
    def attach(plain):
        @functools.wraps(plain)
        def dispatch(*args, **kwargs):  # the spellings are looked up at each call, so a benchmark can swap them
            if B.get_array_module(args[0]) is B.cupy:
                return (dispatch.cuda or plain)(*args, **kwargs)
            return (dispatch.host or plain)(*args, **kwargs)

        dispatch.plain, dispatch.cuda, dispatch.host = plain, cuda, host
        FUSED.append(dispatch)
        return dispatch
    return attach


class Elementwise:
    """A CuPy ElementwiseKernel, compiled on first use (then cached by CuPy on disk).

    Arguments come in the order `in_params` then `out_params`; outputs that are passed are updated in
    place. Python scalars are cast to the arrays' dtype, so float32 stays float32 and float64 gradient
    checks work on the GPU too. It refuses host arrays: it is only ever attached as a `cuda` spelling.
    """

    def __init__(self, in_params, out_params, body, name):
        self.in_params, self.out_params, self.body, self.name = in_params, out_params, body, name
        self._kernel = None
        KERNELS.append(self)

    def cupy_kernel(self):
        """The cupy.ElementwiseKernel that runs this spelling (made once; CuPy compiles it at its first launch)."""
        if self._kernel is None:
            self._kernel = B.cupy.ElementwiseKernel(self.in_params, self.out_params, self.body, self.name)
        return self._kernel

    def __call__(self, *args):
        arrays = [a for a in args if hasattr(a, "shape")]
        if B.get_array_module(*arrays) is not B.cupy:
            raise TypeError(f"{self.name} is a CUDA kernel; it was given {type(arrays[0]).__name__} arrays")
        dtype = arrays[0].dtype
        return self.cupy_kernel()(*[a if hasattr(a, "shape") else dtype.type(a) for a in args])

    def __repr__(self):
        return f"Elementwise({self.name}: {self.body})"


class ColumnSum:
    """Σ_n f(row n) for every column of (N, C) arrays in one pass, as a CuPy ReductionKernel over axis 0:
    `map_expr` is f written in C over the `in_params`. CUDA only, like Elementwise."""

    def __init__(self, in_params, map_expr, name):
        self.in_params, self.map_expr, self.name = in_params, map_expr, name
        self._kernel = None
        KERNELS.append(self)

    def cupy_kernel(self):
        """The cupy.ReductionKernel that runs this spelling (made once; CuPy compiles it at its first launch)."""
        if self._kernel is None:
            self._kernel = B.cupy.ReductionKernel(self.in_params, "T y", self.map_expr, "a + b", "y = a", "0",
                                                  self.name)
        return self._kernel

    def __call__(self, *args):
        if B.get_array_module(*args) is not B.cupy:
            raise TypeError(f"{self.name} is a CUDA kernel; it was given {type(args[0]).__name__} arrays")
        return self.cupy_kernel()(*args, axis=0)

    def __repr__(self):
        return f"ColumnSum({self.name}: Σ {self.map_expr})"
