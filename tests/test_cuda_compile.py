"""Every CUDA kernel of npgan compiles, for several GPU architectures, on a machine with no GPU.

The kernels (`kernels.Elementwise`, `kernels.ColumnSum`) run only on a GPU, so the rest of the suite never
compiles them. Here `npgan.testing.nvrtc` asks CuPy for the source it would compile for float32 and float64
arrays and hands it to NVRTC with an explicit architecture. Needs `pip install -e .[gpu-check]` and no GPU;
skipped, with the reason, when CuPy, NVRTC or the CUDA headers are missing — unless NPGAN_REQUIRE_NVRTC=1
(CI), which turns that skip into failures.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import npgan
from npgan import kernels
from npgan.testing import nvrtc

KERNEL_COUNT = 14  # 5 in nn/functional.py, 5 in nn/cuda.py, 1 in nn/losses.py, 2 in optim/cuda.py, 1 in gan/ema.py
DTYPES = ("float32", "float64")
REQUIRED_ARCHS = ("sm_70", "sm_90")  # Volta (NVRTC 12.9 warns it is deprecated, and builds it) and Hopper
OPTIONAL_ARCHS = ("sm_80", "sm_120")  # Ampere and Blackwell, where the installed NVRTC knows them

UNAVAILABLE = nvrtc.unavailable()
needs_nvrtc = pytest.mark.skipif(
    UNAVAILABLE is not None and not os.environ.get("NPGAN_REQUIRE_NVRTC"),
    reason=f"compiling CUDA without a GPU needs `pip install -e .[gpu-check]` ({UNAVAILABLE})")
ARCHS = tuple(sorted(REQUIRED_ARCHS + tuple(arch for arch in OPTIONAL_ARCHS
                                            if UNAVAILABLE is not None or arch in nvrtc.supported_archs()),
                     key=lambda arch: int(arch[3:])))
KERNELS = nvrtc.project_kernels()
# Architecture first: NVRTC's precompiled header is reused until the options change.
CASES = [pytest.param(kernel, dtype, arch, id=f"{kernel.name}-{dtype}-{arch}")
         for arch in ARCHS for kernel in KERNELS for dtype in DTYPES]


def constructed_in_the_source():
    """The names of the kernels whose constructor calls are written in npgan's sources (parsed, so the
    examples in docstrings do not count)."""
    names = []
    for path in sorted(Path(npgan.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                    "Elementwise", "ColumnSum"):
                name = {k.arg: k.value for k in node.keywords}.get("name", node.args[-1])
                names.append(ast.literal_eval(name))
    return sorted(names)


def constructed_on_import():
    """The names in `kernels.KERNELS` in a fresh interpreter once nvrtc.MODULES are imported: every kernel
    they construct, however it is stored (here the registry also holds the kernels tests construct)."""
    code = ("import importlib; from npgan import kernels; from npgan.testing import nvrtc\n"
            "for module in nvrtc.MODULES: importlib.import_module(module)\n"
            "print(' '.join(kernel.name for kernel in kernels.KERNELS))")
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(npgan.__file__).parent.parent,
                         capture_output=True, text=True, check=True)
    return sorted(run.stdout.split())


def test_every_kernel_of_the_project_is_found():
    found = [kernel.name for kernel in KERNELS]
    print(f"\n{len(found)} CUDA kernels, each compiled below for {', '.join(ARCHS)} in {' and '.join(DTYPES)}:")
    for kernel in KERNELS:
        print(f"  {kernel!r}")
    assert len(set(found)) == len(found), f"two kernels share a name: {found}"
    for where, names in [("constructed on import", constructed_on_import()),
                         ("written in npgan's sources", constructed_in_the_source())]:
        assert found == names, (f"project_kernels() found {found}, but the kernels {where} are {names}: "
                                f"missing {sorted(set(names) - set(found))}, extra {sorted(set(found) - set(names))}")
    assert len(found) == KERNEL_COUNT, f"{len(found)} kernels, not {KERNEL_COUNT}: update KERNEL_COUNT"


@needs_nvrtc
def test_the_required_architectures_are_supported():
    missing = set(REQUIRED_ARCHS) - set(nvrtc.supported_archs())
    assert not missing, f"the installed NVRTC cannot compile for {sorted(missing)}: {nvrtc.supported_archs()}"


@needs_nvrtc
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_source_is_cupys_for_the_dtype(dtype):
    ctype = {"float32": "float", "float64": "double"}[dtype]
    for kernel in KERNELS:
        source = nvrtc.cuda_source(kernel, dtype)
        assert source.startswith("#include <cupy/")
        assert f'extern "C" __global__ void {kernel.name}(' in source
        assert f"typedef {ctype} T;" in source and f"CArray<{ctype}, " in source, source
        if isinstance(kernel, kernels.ColumnSum):
            assert "typedef int IndexT;" in source, source  # the reduction's index type, which we add


@needs_nvrtc
@pytest.mark.parametrize("kernel, dtype, arch", CASES)
def test_the_kernel_compiles(kernel, dtype, arch):
    try:
        nvrtc.compile_kernel(kernel, dtype, arch)
    except nvrtc.CompileError as error:
        message = f"{kernel!r}\n{error}"  # the kernel, its body, and NVRTC's log
    else:
        return
    pytest.fail(message, pytrace=False)


BROKEN = {  # body -> what NVRTC says about it
    "y = tanhh(x)": 'identifier "tanhh" is undefined',
    "y = max(x, 0)": 'more than one instance of overloaded function "max"',  # max(T, int): write (T)0
    "y = x; x = (T)0": "expression must be a modifiable lvalue",  # inputs are const
}


@needs_nvrtc
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("body", list(BROKEN))
def test_a_broken_body_fails_with_nvrtcs_message(body, dtype):
    broken = kernels.Elementwise("T x", "T y", body, "npgan_broken")
    with pytest.raises(nvrtc.CompileError) as error:
        nvrtc.compile_kernel(broken, dtype, "sm_90")
    message = str(error.value)
    assert f"npgan_broken[{dtype}] does not compile for sm_90" in message and BROKEN[body] in message, message
    assert body.split(";")[-1].strip() in message, "NVRTC's log shows the offending line"


@needs_nvrtc
def test_a_broken_column_sum_fails_with_nvrtcs_message():
    broken = kernels.ColumnSum("T a", "tanhh(a)", "npgan_broken_sum")
    with pytest.raises(nvrtc.CompileError, match=r'npgan_broken_sum\[float32\] does not compile for sm_70'
                                                 r'[\s\S]*identifier "tanhh" is undefined'):
        nvrtc.compile_kernel(broken, np.float32, "sm_70")
