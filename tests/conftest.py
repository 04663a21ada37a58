"""Shared test set-up: hypothesis profiles, seeding, and the backend fixture every test body runs on."""
import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from npgan import backend as B

# CI must never flake: derandomised examples, no deadline (a 2-core runner is slow and noisy).
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=25, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _backend_params():
    params = [pytest.param("numpy", id="numpy")]
    params.append(pytest.param("strict", id="strict"))
    params.append(pytest.param("cupy", id="cupy", marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(not B.gpu_available(), reason="CuPy backend: CuPy not importable or no GPU visible"),
    ]))
    return params


@pytest.fixture(params=_backend_params())
def backend(request):
    """Each test body that takes `backend` runs on numpy, strict (device rules on the CPU) and cupy."""
    return request.param


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same seed, so a failure reproduces."""
    B.manual_seed(1234)
    yield


@pytest.fixture(autouse=True)
def _strict_guards_end_with_the_test():
    """The strict backend's numpy.asarray guards go in with its first array and out after the test, so a test
    on the default backend never sees patched NumPy (npgan.testing.numpy_guards; nothing is imported here)."""
    yield
    guards = sys.modules.get("npgan.testing.numpy_guards")
    if guards is not None:
        guards.uninstall()


@pytest.fixture
def host_rng():
    return np.random.default_rng(20141208)


def real_mnist_path():
    """$NPGAN_DATA_DIR when it holds the real MNIST files, else None. Only the variable counts: a user's
    machine has nothing else, and the suite must pass there (see the `mnist` marker in pytest.ini)."""
    path = os.environ.get("NPGAN_DATA_DIR")
    found = path and any(os.path.exists(os.path.join(path, "train-images-idx3-ubyte" + ending))
                         for ending in (".gz", ""))
    return path if found else None


@pytest.fixture
def real_mnist_dir():
    """The real MNIST files (development and CI: NPGAN_DATA_DIR); the test is skipped without them."""
    path = real_mnist_path()
    if path is None:
        pytest.skip("needs the real MNIST files: set NPGAN_DATA_DIR to their folder")
    return path


def pytest_collection_modifyitems(items):
    """A test that takes the real files is marked `mnist`, so `pytest -m mnist` selects every test whose
    result depends on real MNIST (others carry the mark by hand)."""
    for item in items:
        if "real_mnist_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mnist)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A tiny MNIST folder of synthetic IDX files (96 training, 32 test digits), one per test module; a
    module that needs other sizes defines its own `data_dir`."""
    from idx_files import write_split
    directory = tmp_path_factory.mktemp("mnist")
    write_split(directory, "train", 96)
    write_split(directory, "test", 32)
    return str(directory)
