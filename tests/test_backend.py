"""The backend switch: names, the environment variable, a clear error when CuPy cannot run, explicit
host/device moves, and seeded float32 random streams."""
import json
import types

import numpy as np
import pytest

import npgan
from npgan import backend as B
from npgan import nn

NO_CUPY = "CuPy could not be imported (ModuleNotFoundError: No module named 'cupy')"


def test_resolve_by_name_environment_and_default(monkeypatch):
    monkeypatch.delenv("NPGAN_BACKEND", raising=False)
    assert B.resolve_backend() == "numpy" == B.DEFAULT_BACKEND
    assert B.resolve_backend("numpy") == "numpy" and B.resolve_backend("NumPy") == "numpy"
    assert B.resolve_backend("strict") == "strict"
    monkeypatch.setenv("NPGAN_BACKEND", "strict")
    assert B.resolve_backend() == "strict" and B.get_xp() is B.get_xp("strict")
    assert B.resolve_backend("numpy") == "numpy"  # an explicit name wins over the environment
    monkeypatch.setenv("NPGAN_BACKEND", "")
    assert B.resolve_backend() == "numpy"  # an empty variable means the default


@pytest.mark.parametrize("name", ["jax", "torch", "gpu"])
def test_unknown_backend_is_a_value_error(monkeypatch, name):
    with pytest.raises(ValueError, match=rf"unknown backend '{name}': choose one of numpy, cupy, strict"):
        B.resolve_backend(name)
    monkeypatch.setenv("NPGAN_BACKEND", name)
    with pytest.raises(ValueError, match="unknown backend"):
        B.resolve_backend()


def assert_clear_cupy_error(error):
    message = str(error.value)
    assert "backend 'cupy' was requested, but" in message
    assert "pip install cupy-cuda12x" in message and "docs.cupy.dev" in message      # how to install it
    assert "NumPy is npgan's default backend and needs no GPU" in message            # and the way out
    assert "--backend numpy" in message
    assert error.value.__cause__ is None and error.value.__context__ is None          # no CuPy traceback
    assert error.traceback[-1].path.name == "backend.py"                              # raised by npgan


def test_cupy_without_cupy_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(B, "_gpu_problem", lambda: NO_CUPY)
    with pytest.raises(B.BackendUnavailableError) as error:
        B.resolve_backend("cupy")
    assert_clear_cupy_error(error)
    assert NO_CUPY in str(error.value) and not B.gpu_available()
    for attempt in (lambda: B.to_device(np.zeros(2), "cupy"), lambda: B.to_gpu(np.zeros(2)),
                    lambda: B.get_xp("cupy"), lambda: B.get_rng("cupy"), lambda: nn.Linear(2, 2).to("cupy")):
        with pytest.raises(B.BackendUnavailableError):
            attempt()
    monkeypatch.setenv("NPGAN_BACKEND", "cupy")
    with pytest.raises(B.BackendUnavailableError):
        B.get_xp()


@pytest.mark.parametrize("device_count,reason", [(lambda: 0, "CuPy is installed but no GPU is visible"),
                                                 (lambda: 1 / 0, "CUDA reports no usable device")])
def test_cupy_installed_but_no_gpu_is_a_clear_error(monkeypatch, device_count, reason):
    """The real _gpu_problem, with a stand-in CuPy whose CUDA runtime sees no device (or fails)."""
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=device_count)))
    monkeypatch.setattr(B, "cupy", fake)
    monkeypatch.setattr(B, "_CUPY_IMPORT_ERROR", None)
    assert reason in B._gpu_problem() and not B.gpu_available()
    with pytest.raises(B.BackendUnavailableError, match=reason) as error:
        B.resolve_backend("cupy")
    assert_clear_cupy_error(error)


@pytest.mark.skipif(B.gpu_available(), reason="this machine has a GPU: the real 'no CuPy' path cannot happen")
def test_cupy_is_refused_here_with_the_real_reason():
    with pytest.raises(B.BackendUnavailableError) as error:
        B.resolve_backend("cupy")
    assert_clear_cupy_error(error)


def test_array_module_and_explicit_moves(backend):
    xp = B.get_xp(backend)
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    device = B.to_device(host, backend)
    assert B.get_array_module(device) is xp and B.backend_of(device) == backend
    assert B.get_array_module(host) is np and B.get_array_module(host, 1.0, None) is np
    assert B.get_array_module(host, device) is xp and B.get_array_module(device, host) is xp
    assert B.get_array_module(device * 2.0) is xp  # results stay on the device
    assert B.to_device(device, backend) is device  # no copy when it is already there
    back = B.to_cpu(device)
    assert type(back) is np.ndarray and back.dtype == np.float32
    np.testing.assert_array_equal(back, host)
    assert B.to_cpu(host) is host and B.to_cpu(2.5) == 2.5
    assert type(B.to_device(device, "numpy")) is np.ndarray


def test_mixing_host_and_device_arrays_is_a_type_error():
    device = B.to_device(np.ones(3, np.float32), "strict")
    with pytest.raises(TypeError):
        device + np.ones(3, np.float32)


def test_manual_seed_makes_every_stream_reproducible_in_float32(backend):
    draws = []
    for _ in range(2):
        npgan.manual_seed(42)
        host = B.get_rng("host").random(5, dtype=np.float32)
        dev = B.get_rng(backend).standard_normal((5,), dtype=np.float32)
        assert B.backend_of(dev) == backend
        draws.append((host, B.to_cpu(dev), nn.Linear(3, 2).weight.data.copy()))
    for a, b in zip(*draws):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    npgan.manual_seed(43)
    assert B.initial_seed() == 43
    assert not np.array_equal(B.get_rng("host").random(5, dtype=np.float32), draws[0][0])


def test_host_stream_does_not_depend_on_the_backend():
    """Parameters are drawn on the host, so a seed gives the same network on every backend."""
    npgan.manual_seed(7)
    B.get_rng("strict").random(10)  # draws on a device stream do not move the host stream
    a = nn.Linear(4, 3).weight.data.copy()
    npgan.manual_seed(7)
    b = nn.Linear(4, 3).to("strict").weight.data
    np.testing.assert_array_equal(a, B.to_cpu(b))


def test_rng_state_round_trip():
    npgan.manual_seed(5)
    B.get_rng("host").random(3)
    B.get_rng("numpy").random(3)
    B.get_rng("strict").standard_normal(2)
    saved = B.rng_state()
    assert json.loads(saved)["seed"] == 5  # a plain JSON string: a checkpoint stores it without pickle
    expected = [B.to_cpu(B.get_rng(name).random(4, dtype=np.float32)) for name in ("host", "numpy", "strict")]
    npgan.manual_seed(999)
    B.get_rng("host").random(100)
    B.set_rng_state(saved)
    assert B.initial_seed() == 5
    for name, values in zip(("host", "numpy", "strict"), expected):
        np.testing.assert_array_equal(B.to_cpu(B.get_rng(name).random(4, dtype=np.float32)), values, err_msg=name)
