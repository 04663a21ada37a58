"""The one place that knows about CuPy.

npgan's arrays are NumPy arrays (the default backend, ``"numpy"``) or CuPy arrays (``"cupy"``, optional).
Code elsewhere never imports CuPy: it asks the data which array module to use,

    xp = get_array_module(x)      # numpy, or cupy when x lives on the GPU

and moves arrays between host and device only through :func:`to_device` / :func:`to_cpu`, explicitly.

A third backend, ``"strict"``, exists for tests only (:mod:`npgan.testing.strict`): host memory that behaves
like device memory, so a CPU-only machine can prove the CuPy path never mixes host and device arrays. It is
imported only when asked for by name, and patches nothing in NumPy until its first array exists.

Random numbers come from one seeded generator per backend (:func:`manual_seed`, :func:`get_rng`), plus a
host generator for parameter initialisation and data shuffling, so a run is reproducible from its seed and
the parameters and data order do not depend on the backend.
"""
import json
import os
import sys

import numpy as np

try:  # the only `import cupy` in npgan's layers (npgan/testing/nvrtc.py, test tooling, has its own)
    import cupy
    import cupy.random  # noqa: F401  (Generator lives here)
    _CUPY_IMPORT_ERROR = None
except Exception as error:  # ImportError, or a CUDA library that fails to load
    _CUPY_IMPORT_ERROR = error

    class _CupyMissing:
        """Stands in for the cupy module when it cannot be imported, so `xp is cupy` is simply False."""

        ndarray = type("CupyNdarrayMissing", (), {})

        def __repr__(self):
            return "<cupy: not available>"

    cupy = _CupyMissing()

BACKENDS = ("numpy", "cupy", "strict")
DEFAULT_BACKEND = "numpy"
ENV_VAR = "NPGAN_BACKEND"

CUPY_INSTALL_HINT = (
    "NumPy is npgan's default backend and needs no GPU. To use the GPU, install a CuPy wheel that matches "
    "your CUDA version, e.g. `pip install cupy-cuda12x` (or `pip install -e .[gpu]`), on a machine with an "
    "NVIDIA GPU; see https://docs.cupy.dev/en/stable/install.html. Otherwise run with --backend numpy."
)


class BackendUnavailableError(RuntimeError):
    """The requested backend cannot run here (CuPy missing, or no GPU visible)."""


class UnknownBackendError(ValueError):
    """A backend name (a flag, or $NPGAN_BACKEND) that npgan does not know."""


def gpu_available():
    """True when CuPy imports and sees at least one CUDA device."""
    return _gpu_problem() is None


def _gpu_problem():
    """Why the cupy backend cannot be used here, or None when it can."""
    if _CUPY_IMPORT_ERROR is not None:
        return f"CuPy could not be imported ({type(_CUPY_IMPORT_ERROR).__name__}: {_CUPY_IMPORT_ERROR})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # the CUDA driver is missing or broken
        return f"CuPy is installed but CUDA reports no usable device ({error})"
    if count == 0:
        return "CuPy is installed but no GPU is visible"
    return None


def resolve_backend(name=None):
    """Validate a backend name; None means $NPGAN_BACKEND, else ``"numpy"``.

    Raises UnknownBackendError (a ValueError) for an unknown name and BackendUnavailableError when CuPy is asked for but cannot run.
    """
    source = ""
    if name is None:
        name = os.environ.get(ENV_VAR) or DEFAULT_BACKEND
        source = f" (from ${ENV_VAR})" if os.environ.get(ENV_VAR) else ""
    name = str(name).lower()
    if name not in BACKENDS:
        raise UnknownBackendError(f"unknown backend {name!r}{source}: choose one of {', '.join(BACKENDS)}")
    if name == "cupy":
        problem = _gpu_problem()
        if problem is not None:
            raise BackendUnavailableError(f"backend 'cupy' was requested, but {problem}. {CUPY_INSTALL_HINT}")
    return name


def get_xp(name=None):
    """The array module of a backend by name: numpy, cupy, or the strict test module."""
    name = resolve_backend(name)
    if name == "cupy":
        return cupy
    if name == "strict":
        from npgan.testing import strict  # lazily: test tooling, never loaded for the other backends
        return strict
    return np


# Array types that live on a device -> their array module. CuPy's is known at import; the strict test
# backend's subclass is added the first time one of its arrays is seen.
_DEVICE_MODULES = {} if _CUPY_IMPORT_ERROR is not None else {cupy.ndarray: cupy}


def get_array_module(*arrays):
    """The array module (numpy, cupy or npgan.testing.strict) that owns these arrays.

    Mixed host and device arrays are not resolved here: the operation that mixes them raises TypeError.
    """
    for array in arrays:
        xp = _DEVICE_MODULES.get(type(array))
        if xp is not None:
            return xp
        if isinstance(array, np.ndarray) and type(array) is not np.ndarray:  # a subclass: strict arrays?
            strict = sys.modules.get("npgan.testing.strict")
            if strict is not None and isinstance(array, strict.ndarray):
                _DEVICE_MODULES[type(array)] = strict
                return strict
    return np


def backend_of(array):
    """The backend name (``"numpy"``, ``"cupy"`` or ``"strict"``) of an array."""
    xp = get_array_module(array)
    if xp is np:
        return "numpy"
    return "cupy" if xp is cupy else "strict"


def to_device(array, backend):
    """Move a host (or device) array to `backend`; a no-op when it is there already.

    This is the one explicit host -> device move: the data loader calls it once per batch.
    """
    backend = resolve_backend(backend)
    if backend_of(array) == backend:
        return array
    host = to_cpu(array)
    if backend == "cupy":
        return cupy.asarray(host)
    if backend == "strict":
        return get_xp("strict").to_device(host)
    return host


def to_cpu(array):
    """Copy a device array to a host NumPy array (returns host arrays and Python scalars unchanged)."""
    xp = get_array_module(array)
    if xp is np:
        return array
    return xp.asnumpy(array)


def to_gpu(array):
    """Move a host array to the GPU (shorthand for ``to_device(array, "cupy")``)."""
    return to_device(array, "cupy")


def synchronize(xp):
    """Wait for the device to finish queued work (for timing); a no-op on the host."""
    if xp is cupy:
        cupy.cuda.get_current_stream().synchronize()


# --- random numbers -------------------------------------------------------------------------------------

_seed = 0
_generators = {}


def manual_seed(seed):
    """Seed every generator npgan uses; call once at the start of a run."""
    global _seed
    _seed = int(seed)
    _generators.clear()


def initial_seed():
    return _seed


def get_rng(backend="host"):
    """The run's generator for `backend` (``"host"``, ``"numpy"``, ``"cupy"``, ``"strict"``), created lazily.

    ``"host"`` draws parameter initialisations and data shuffles; the backend generators draw noise and
    dropout masks on the device. Each is seeded from the run seed and a per-stream constant, so the host
    stream is the same whichever backend the run uses. Draw float32 with ``rng.standard_normal(shape,
    dtype=np.float32)`` or ``rng.random(shape, dtype=np.float32)``: both exist on NumPy and CuPy generators.
    """
    if backend not in _generators:
        stream = {"host": 0, "numpy": 1, "strict": 1, "cupy": 2}[backend]
        if backend == "host":
            _generators[backend] = np.random.default_rng([_seed, stream])
        else:
            _generators[backend] = get_xp(backend).random.default_rng([_seed, stream] if backend != "cupy"
                                                                      else _seed * 7919 + stream)
    if _device_rng_wrapper is not None and backend != "host":
        return _device_rng_wrapper(_generators[backend])
    return _generators[backend]


_device_rng_wrapper = None


def set_device_rng_wrapper(wrapper):
    """Route every device draw (noise, dropout masks) through ``wrapper(generator)``; None stops it.

    npgan.distributed installs one so that each rank takes its slice of the global batch's draws. The
    wrapped generators themselves stay in place: their states are what rng_state() saves, and
    manual_seed() / set_rng_state() reseed them without removing the wrapper.
    """
    global _device_rng_wrapper
    _device_rng_wrapper = wrapper


def rng_for(xp):
    """The run's device generator for arrays of module `xp`."""
    if xp is np:
        return get_rng("numpy")
    return get_rng("cupy" if xp is cupy else "strict")


def rng_state():
    """The state of every host-side generator, as a JSON string (checkpoints store it without pickle).

    CuPy's generator state cannot be read back, so a resumed CuPy run continues from a fresh stream
    derived from the seed and the step; NumPy runs resume bit-identically.
    """
    states = {name: _bit_generator(gen).state for name, gen in _generators.items() if name != "cupy"}
    return json.dumps({"seed": _seed, "generators": states})


def set_rng_state(text, fallback_offset=0):
    """Restore :func:`rng_state`; a CuPy generator is reseeded from (seed, fallback_offset)."""
    saved = json.loads(text)
    manual_seed(saved["seed"])
    for name, state in saved["generators"].items():
        _bit_generator(get_rng(name)).state = state
    if gpu_available():
        _generators["cupy"] = cupy.random.default_rng(_seed * 7919 + 2 + 104729 * int(fallback_offset))


def _bit_generator(generator):
    return getattr(generator, "bit_generator", None) or generator._bit_generator
