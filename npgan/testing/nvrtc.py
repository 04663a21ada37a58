"""Compile npgan's CUDA kernels with NVRTC on a machine with no GPU (test tooling).

CuPy writes the CUDA source of an ElementwiseKernel or ReductionKernel, and compiles it, only inside the
kernel's first launch, which needs a GPU. This module asks CuPy for that very source — for one dtype, without
launching anything — and compiles it with NVRTC for an architecture named explicitly (``sm_70``, ``sm_90``...),
with the options CuPy would use. So CI, with no GPU and no driver, proves that every kernel npgan defines
(:func:`project_kernels`) compiles, and a typo in a kernel body fails with NVRTC's message.

Needs ``pip install -e .[gpu-check]``: CuPy, the NVRTC library, and the CUDA runtime wheel for its headers
(CuPy will not assemble its compiler options without CUDA headers). CuPy is imported inside the functions
only: :mod:`npgan.backend` stays the one module that imports it when npgan is imported.
"""
import importlib

import numpy as np

from npgan import kernels

MODULES = ("npgan.nn.functional", "npgan.nn.cuda", "npgan.nn.losses", "npgan.optim.cuda",
           "npgan.gan.ema")  # where the kernels live
REDUCTION_BLOCK_SIZE = 512  # the block size CuPy's ReductionKernel uses on CUDA: a constant in its source


class CompileError(Exception):
    """NVRTC rejected a source; the message holds the kernel's name, the architecture and NVRTC's log."""


def unavailable():
    """Why kernels cannot be compiled here (a line), or None when CuPy, NVRTC and the CUDA headers are all
    found. Needs no GPU."""
    try:
        from cupy._core import core
        from cupy_backends.cuda.libs import nvrtc
        nvrtc.getVersion()  # loads libnvrtc
        core.assemble_cupy_compiler_options(())  # finds the CUDA headers
    except Exception as error:  # ImportError, a library that fails to load, RuntimeError for missing headers
        return f"{type(error).__name__}: {error}"
    return None


def supported_archs():
    """The real architectures the installed NVRTC compiles for, as names: ('sm_50', ..., 'sm_120', ...)."""
    from cupy_backends.cuda.libs import nvrtc
    return tuple(f"sm_{arch}" for arch in nvrtc.getSupportedArchs())


def project_kernels():
    """Every Elementwise and ColumnSum of npgan, sorted by name: the module-level ones of :data:`MODULES` and
    each fused function's ``.cuda`` spelling. Kernels made by tests are not among them."""
    found = {}
    for module in map(importlib.import_module, MODULES):
        for value in list(vars(module).values()) + [f.cuda for f in kernels.FUSED]:
            if isinstance(value, (kernels.Elementwise, kernels.ColumnSum)):
                found[id(value)] = value
    return sorted(found.values(), key=lambda kernel: kernel.name)


def cuda_source(kernel, dtype):
    """The complete CUDA source CuPy compiles for `kernel` (an Elementwise or ColumnSum) on `dtype` arrays,
    made without a GPU.

    Every parameter is taken to be an array — 1-D and contiguous for an Elementwise; (N, C) inputs and a (C,)
    output for a ColumnSum — as for the launches npgan makes. The layout (ndim, contiguity, 32-bit indexing)
    only fills in CArray's template arguments; a Python scalar argument would be a plain `const T` instead
    of a `const T &` element, which compiles the same way.
    """
    import cupy
    # CuPy's private source generators (cupy/_core/_kernel.pyx, _reduction.pyx, core.pyx): what an
    # ElementwiseKernel / ReductionKernel calls at its first launch, before compiling. Their signatures, and
    # _ArgKind's values (1 array, 2 indexer, 3 scalar), are CuPy 14's: setup.py's gpu-check extra pins
    # cupy-cuda12x to >=14,<15, and tests/test_cuda_compile.py checks the source they produce.
    from cupy._core import _carray, _kernel, _reduction, _scalar, core

    dtype = np.dtype(dtype)
    k = kernel.cupy_kernel()

    def array(ndim):
        return _kernel._ArgInfo(1, cupy.ndarray, dtype, ndim, True, True)

    def indexer(ndim):
        return _kernel._ArgInfo(2, _carray.Indexer, None, ndim, True, True)

    _, _, type_map = _kernel._decide_params_type(k.in_params, k.out_params, (dtype,) * k.nin, (dtype,) * k.nout)
    if isinstance(kernel, kernels.Elementwise):
        arginfos = tuple(array(1) for _ in range(k.nin + k.nout)) + (indexer(1),)
        code = _kernel._get_elementwise_kernel_code(arginfos, type_map, k.params, k.operation, k.name, k.preamble)
    else:  # ColumnSum: axis 0 of (N, C) arrays into (C,); two inputs, so never CuPy's CUB path (one input only)
        type_map = _kernel._TypeMap(type_map._pairs + (("IndexT", np.dtype(np.int32)),))  # below 2**31 rows
        block_stride = _kernel._ArgInfo(3, _scalar.CScalar, np.dtype(np.int32), 0, True, True)
        arginfos = (tuple(array(2) for _ in range(k.nin)) + tuple(array(1) for _ in range(k.nout))
                    + (indexer(2), indexer(1), block_stride))
        code = _reduction._ReductionKernel_get_cached_function_code(
            k.nin, k.nout, k._params, arginfos, type_map, k.name, REDUCTION_BLOCK_SIZE, k.reduce_type,
            k.identity, k.map_expr, k.reduce_expr, k.post_map_expr, k.preamble, k.options)
    return "".join(f"#include <{header}>\n" for header in core._cupy_header_list) + code


def compile_source(source, arch, name="kernel"):
    """Compile `source` with NVRTC for `arch` (``"sm_90"`` for a cubin, ``"compute_90"`` for PTX) with the
    options CuPy passes; return NVRTC's log (empty, or warnings). Raises CompileError with the log."""
    from cupy._core import core
    from cupy_backends.cuda.libs import nvrtc
    # cupy.cuda.compiler.compile_using_nvrtc would ask the driver for the device: we name the architecture.
    options = core.assemble_cupy_compiler_options(()) + (
        "-ftz=true", "--device-as-default-execution-space", f"-arch={arch}")
    if nvrtc.getVersion() >= (12, 8):
        # CuPy's headers precompiled in memory and reused by the next source with the same options (a third
        # less time, the same code), quietly: no "creating/using precompiled header" lines in the log
        options += ("--pch", "--pch-messages=false", "--pch-verbose=false")
    program = nvrtc.createProgram(source, f"{name}.cu", (), ())
    try:
        try:
            nvrtc.compileProgram(program, options)
        except nvrtc.NVRTCError as error:
            raise CompileError(f"{name} does not compile for {arch} ({error}):\n"
                               f"{nvrtc.getProgramLog(program)}") from None
        return nvrtc.getProgramLog(program)
    finally:
        nvrtc.destroyProgram(program)


def compile_kernel(kernel, dtype, arch):
    """Compile `kernel` for `dtype` arrays and architecture `arch`; return NVRTC's log, raise CompileError."""
    return compile_source(cuda_source(kernel, dtype), arch, name=f"{kernel.name}[{np.dtype(dtype)}]")
