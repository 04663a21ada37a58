"""The strict backend enforces CuPy's host/device rules on the CPU, and counts every transfer; one training
iteration moves exactly one real minibatch to the device and nothing back until the log interval."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import npgan
from npgan import backend as B
from npgan import optim
from npgan.data import Batches
from npgan.gan import GANTrainer, presets
from npgan.testing import numpy_guards, strict


def device(array):
    return strict.to_device(np.asarray(array, dtype=np.float32))


@pytest.mark.parametrize("operation", [
    lambda d, h: d + h, lambda d, h: h * d, lambda d, h: d @ h.T, lambda d, h: np.maximum(d, h),
    lambda d, h: np.concatenate([d, h]), lambda d, h: np.where(d > 0, h, d), lambda d, h: np.dot(d, h.T),
    lambda d, h: np.add(d, d, out=h), lambda d, h: d.__iadd__(h),
])
def test_mixing_device_and_host_arrays_raises(operation):
    d, h = device(np.ones((2, 3))), np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="strict backend"):
        operation(d, h)


def test_device_operations_stay_on_the_device_and_keep_float32():
    d = device(np.arange(6).reshape(2, 3))
    for result in (d * 2.0 + 1.0, np.tanh(d), d.T @ d, d.sum(axis=0), d.mean(), d.max(), d[0], d.reshape(-1),
                   np.concatenate([d, d]), strict.zeros_like(d), strict.arange(3)):
        assert isinstance(result, strict.ndarray), type(result)
    assert (d * 2.0).dtype == np.float32 and d.sum().shape == ()
    d + np.float32(1.0)  # scalars are fine, as in CuPy
    d + np.array(1.0, np.float32)


def test_implicit_copies_to_the_host_are_refused_or_counted():
    d = device(np.ones((2, 2)))
    with pytest.raises(TypeError, match="implicitly"):
        float(d)
    with pytest.raises(TypeError):
        bool(d)
    with strict.count_transfers() as t:
        assert float(d.sum()) == 4.0
        host = strict.asnumpy(d)
    assert type(host) is np.ndarray
    assert (t.to_host_calls, t.to_host_bytes) == (2, 4 + 16)


def test_backend_module_knows_the_strict_backend():
    x = np.ones((3, 2), np.float32)
    with strict.count_transfers() as t:
        d = B.to_device(x, "strict")
        back = B.to_cpu(d)
    assert B.get_array_module(d) is strict and B.backend_of(d) == "strict" and B.get_xp("strict") is strict
    assert type(back) is np.ndarray and (t.to_device_bytes, t.to_host_bytes) == (24, 24)
    B.manual_seed(3)
    a = B.get_rng("strict").standard_normal((4,), dtype=np.float32)
    B.manual_seed(3)
    b = B.get_rng("strict").standard_normal((4,), dtype=np.float32)
    assert isinstance(a, strict.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(strict.asnumpy(a), strict.asnumpy(b))


def test_strict_and_numpy_runs_compute_the_same_numbers():
    """The strict backend draws from the same stream as NumPy, so a strict run is the NumPy run."""
    finals = []
    for backend in ("numpy", "strict"):
        npgan.manual_seed(8)
        G, D = presets.slides_generator(4, 4, out=12), presets.slides_discriminator(4, inp=12)
        G.to(backend)
        D.to(backend)
        trainer = GANTrainer(G, D, optim.Adam(G.parameters(), 1e-3), optim.Adam(D.parameters(), 1e-3), z_dim=4)
        images = np.random.default_rng(0).random((64, 12), dtype=np.float32)
        batches = Batches(images, batch_size=16, backend=backend)
        stream = (batches.next_batch() for _ in range(10))
        for _ in range(3):
            trainer.iteration(stream)
        finals.append([B.to_cpu(p.data) for p in G.parameters() + D.parameters()])
    for a, b in zip(*finals):
        np.testing.assert_array_equal(a, b)


def test_the_mixing_error_reads_like_cupys_and_says_what_to_do():
    d, h = device(np.ones((2, 3))), np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match=r"Unsupported type <class 'numpy.ndarray'>.*numpy.add mixes a device "
                                        r"\(strict\) array with a host numpy.ndarray.*to_device/asnumpy"):
        d + h


@pytest.mark.parametrize("operation", [
    lambda d, h: d.dot(h.T), lambda d, h: np.copyto(d, h), lambda d, h: d == h, lambda d, h: d + [1.0, 2.0, 3.0],
    lambda d, h: np.add.reduce(d, axis=0, where=h > 0), lambda d, h: np.multiply(d, 2.0, out=h),
    lambda d, h: np.stack([d, h]), lambda d, h: np.einsum("ij,ij->i", d, h), lambda d, h: strict.array([d, h]),
])
def test_mixing_through_methods_comparisons_lists_and_keywords_raises(operation):
    d, h = device(np.ones((2, 3))), np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="strict backend"):
        operation(d, h)


@pytest.mark.parametrize("call", [
    lambda h: strict.exp(h), lambda h: strict.concatenate([h, h]), lambda h: strict.linalg.norm(h),
    lambda h: strict.maximum.reduce(h), lambda h: strict.sum(h), lambda h: strict.random.default_rng(0).permutation(h),
])
def test_the_device_namespace_refuses_host_arrays_as_cupy_does(call):
    """`xp.f(host)` with xp the device module is a leak even when no device array is involved yet."""
    with pytest.raises(TypeError, match="is given a host numpy.ndarray"):
        call(np.ones((2, 3), np.float32))


def test_implicit_conversion_to_a_host_array_is_refused():
    d = device(np.ones((2, 2)))
    for convert in (np.asarray, np.array, np.ascontiguousarray, lambda x: np.array([x, x])):
        with pytest.raises(TypeError, match="implicit conversion"):
            convert(d)
    assert isinstance(np.array(d, subok=True), strict.ndarray)  # no conversion asked for
    assert type(np.asarray([1.0, 2.0])) is np.ndarray  # host inputs: numpy as ever
    strict.uninstall_numpy_guards()
    assert type(np.asarray(d)) is np.ndarray  # unguarded, the subclass converts silently
    with strict.numpy_guards():
        with pytest.raises(TypeError):
            np.asarray(d)
    assert type(np.asarray(d)) is np.ndarray  # the block left NumPy as it found it
    d + 1.0  # a new strict array: the backend is in use again, guards back in
    with pytest.raises(TypeError):
        np.asarray(d)


IMPORTS_LEAVE_NUMPY_ALONE = """
import numpy as np
names = {names!r}
originals = {{name: getattr(np, name) for name in names}}
untouched = lambda: all(getattr(np, name) is originals[name] for name in names)
import npgan, npgan.testing, npgan.testing.strict, npgan.testing.strict_array, npgan.testing.numpy_guards
from npgan import backend as B
assert B.get_xp("strict") is npgan.testing.strict and untouched(), "importing or naming the backend patches nothing"
assert untouched(), "importing npgan and its strict backend must leave numpy alone"
x = B.to_device(np.ones(3, np.float32), "strict")
assert not untouched(), "the first strict array puts the guards in"
npgan.testing.strict.uninstall_numpy_guards()
assert untouched(), "uninstall restores the very originals"
with npgan.testing.strict.numpy_guards():
    assert not untouched()
assert untouched()
print("ok")
"""


def test_importing_npgan_and_the_strict_backend_leaves_numpy_untouched():
    """In a clean interpreter: numpy.asarray and friends are the originals (identity) after importing npgan,
    npgan.testing.strict and the old name npgan.testing.strict; they change only once a strict array exists."""
    program = IMPORTS_LEAVE_NUMPY_ALONE.format(names=numpy_guards.GUARDED)
    root = os.path.join(os.path.dirname(__file__), "..")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    env.pop("NPGAN_BACKEND", None)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_a_strict_array_puts_the_guards_in():
    device(np.ones(2))
    assert numpy_guards.installed and hasattr(np.asarray, "_strict_original")


def test_and_the_next_test_sees_numpy_unpatched():
    """Runs after the test above (file order): conftest removed its guards when it ended."""
    assert not numpy_guards.installed
    assert all(not hasattr(getattr(np, name), "_strict_original") for name in numpy_guards.GUARDED)


def test_results_are_device_arrays_where_numpy_would_give_scalars_or_plain_arrays():
    d = device(np.arange(6).reshape(2, 3))
    for result in (d[0, 1], d.argmax(), np.argmax(d), d.std(), np.linalg.norm(d), d.any(), *d[0], *np.split(d, 3, 1),
                   *np.linalg.eigh(d @ d.T), *strict.linalg.eigh(d @ d.T), *d.nonzero(), strict.exp(0.5)):
        assert isinstance(result, strict.ndarray), type(result)
    assert d[0, 1].shape == () and d[0, 1].dtype == np.float32
    assert np.linalg.eigh(d @ d.T).eigenvalues.dtype == np.float32  # named tuples keep their names
    out = strict.empty((2, 3), dtype=np.float32)
    assert np.multiply(d, 2.0, out=out) is out and np.dot(d.T, d, out=strict.empty((3, 3), np.float32)) is not None
    gram = strict.empty((2, 2), dtype=np.float32)
    assert np.dot(d, d.T, out=gram) is gram


def test_creation_functions_make_device_arrays_of_the_asked_dtype():
    h = np.ones((2, 3), np.float32)
    for a in (strict.zeros((2, 3), np.float32), strict.ones_like(h), strict.full_like(h, 2.0), strict.empty_like(h),
              strict.full((2, 3), 1.5, dtype=np.float32), strict.zeros_like(device(h))):
        assert isinstance(a, strict.ndarray) and a.shape == (2, 3) and a.dtype == np.float32
    assert isinstance(strict.arange(4), strict.ndarray) and isinstance(strict.eye(2), strict.ndarray)
    assert strict.float32 is np.float32 and strict.ndarray is not np.ndarray


def test_scalar_conversions_are_counted_and_name_their_call_site():
    d = device([[1.0, 2.0], [3.0, 4.0]])
    with strict.count_transfers() as t:
        assert float(d.sum()) == 10.0 and int(d[0, 0]) == 1 and bool(d[1, 1]) and d[0, 1].item() == 2.0
        assert f"{d.mean():.1f}" == "2.5" and d[0].tolist() == [1.0, 2.0]
        assert repr(d[0]).startswith("strict.array(")
    assert (t.to_host_calls, t.to_host_bytes) == (7, 5 * 4 + 8 + 8), t
    assert {what for _, _, what, _ in t.events} >= {"float()", "int()", "bool()", ".item()", "format()"}
    assert all(where.startswith(__file__) for _, _, _, where in t.events), t
    with pytest.raises(TypeError, match="implicitly"):
        int(d)


def test_host_index_arrays_and_values_are_accepted_but_counted_as_cupy_copies_them():
    d = device(np.arange(12).reshape(4, 3))
    index = np.array([3, 0], dtype=np.int64)
    with strict.count_transfers() as t:
        rows = d[strict.to_device(index)]
    assert (t.to_device_calls, t.to_device_bytes) == (1, 16)  # only the explicit move
    with strict.count_transfers() as t:
        assert isinstance(d[index], strict.ndarray)
        d[0] = np.zeros(3, np.float32)
        np.add.at(d, index, 1.0)
        d[d > 5.0] = 0.0  # a device mask: free
    assert (t.to_device_calls, t.to_device_bytes) == (3, 16 + 12 + 16), t
    assert isinstance(rows, strict.ndarray) and rows.shape == (2, 3)


def test_explicit_moves_copy_and_are_counted_in_bytes():
    strict.reset_transfer_stats()
    h = np.arange(6, dtype=np.float32)
    d = strict.to_device(h)
    h[0] = 99.0  # device memory is separate memory
    back = strict.asnumpy(d)
    back[1] = 99.0
    assert float(d[0]) == 0.0 and float(d[1]) == 1.0
    assert strict.asarray(d) is d and strict.to_device(d) is d and strict.asnumpy(h) is h  # nothing moved
    stats = strict.transfer_stats()
    assert stats.as_dict() == {"to_device_bytes": 24, "to_device_calls": 1, "to_host_bytes": 24 + 8,
                               "to_host_calls": 3}, stats
    with strict.count_transfers() as t:
        strict.asarray([1.0, 2.0])  # cupy.asarray(host data) is a copy to the device
        strict.array([d[0], d[1]])  # a list of device arrays is assembled on the device
        np.savez(io.BytesIO(), d=d)  # cupy.savez copies to the host
    assert (t.to_device_calls, t.to_device_bytes, t.to_host_calls, t.to_host_bytes) == (1, 16, 1, 24), t
    strict.reset_transfer_stats()
    assert strict.transfer_stats().as_dict() == dict.fromkeys(stats.as_dict(), 0)


def test_the_generator_is_seeded_float32_and_its_state_can_be_saved():
    a, b = strict.random.default_rng([5, 1]), strict.random.default_rng([5, 1])
    x = a.standard_normal((3, 4), dtype=np.float32)
    assert isinstance(x, strict.ndarray) and x.dtype == np.float32
    np.testing.assert_array_equal(strict.asnumpy(x), strict.asnumpy(b.standard_normal((3, 4), dtype=np.float32)))
    np.testing.assert_array_equal(  # the same stream as NumPy's, so strict runs reproduce NumPy runs
        strict.asnumpy(strict.random.default_rng(9).random(5, dtype=np.float32)),
        np.random.default_rng(9).random(5, dtype=np.float32))
    state = a.bit_generator.state
    first = strict.asnumpy(a.random((2,), dtype=np.float32))
    a.bit_generator.state = state
    np.testing.assert_array_equal(strict.asnumpy(a.random((2,), dtype=np.float32)), first)
    u = a.uniform(-1.0, 1.0, size=(1000,), dtype=np.float32)
    assert u.dtype == np.float32 and -1.0 <= float(u.min()) and float(u.max()) < 1.0
    for draw in (a.integers(0, 5, size=3), a.permutation(4), a.permutation(strict.arange(4)), a.random()):
        assert isinstance(draw, strict.ndarray)
    out = strict.empty((2,), np.float32)
    assert a.random((2,), dtype=np.float32, out=out) is out


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), data=st.data())
def test_device_arithmetic_equals_numpy_arithmetic_and_keeps_float32(shape, data):
    elements = st.floats(-10, 10, width=32)
    x = data.draw(hnp.arrays(np.float32, shape, elements=elements))
    y = data.draw(hnp.arrays(np.float32, shape, elements=elements))
    dx, dy = strict.to_device(x), strict.to_device(y)
    for f in (lambda a, b, m: a * b + 0.5, lambda a, b, m: m.maximum(a, b) - a.mean(axis=0),
              lambda a, b, m: m.tanh(a) @ m.swapaxes(b, -1, -2) if a.ndim > 1 else a @ b,
              lambda a, b, m: m.where(a > b, a, 2.0 * b).sum(axis=-1), lambda a, b, m: m.concatenate([a, b])[::2]):
        got, want = f(dx, dy, strict), f(x, y, np)
        assert isinstance(got, strict.ndarray) and got.dtype == np.float32
        np.testing.assert_allclose(strict.asnumpy(got), want, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("arch", ["slides", "paper"])
def test_one_iteration_moves_one_minibatch_to_the_device_and_nothing_back(arch):
    npgan.manual_seed(0)
    recipe = presets.recipe(arch, z_dim=8, hidden=16)
    G, D = presets.build(recipe)
    G.to("strict")
    D.to("strict")
    opt = (lambda ps: optim.SGD(ps, 0.01, momentum=0.5)) if arch == "paper" else (lambda ps: optim.Adam(ps, 1e-3))
    trainer = GANTrainer(G, D, opt(G.parameters()), opt(D.parameters()), z_dim=8, noise=recipe.noise)
    m = 32
    images = np.random.default_rng(1).random((4 * m, 784), dtype=np.float32)
    batches = Batches(images, batch_size=m, backend="strict", whole_dataset_on_device=False)
    stream = (batches.next_batch() for _ in range(100))
    for _ in range(2):  # warm up: optimizer state is created on the first steps
        trainer.iteration(stream)
    trainer.pop_records()
    with strict.count_transfers() as t:
        for _ in range(3):
            trainer.iteration(stream)
    assert (t.to_device_calls, t.to_device_bytes) == (3, 3 * m * 784 * 4), t
    assert (t.to_host_calls, t.to_host_bytes) == (0, 0), t
    with strict.count_transfers() as t:
        rows = trainer.pop_records()  # the logging interval: one transfer for all of it
    assert len(rows) == 3 and t.to_host_calls == 1 and t.to_device_calls == 0


def test_the_mnist_example_runs_on_the_strict_backend(tmp_path):
    from idx_files import write_split
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    write_split(data_dir, "train", 64)
    from npgan.cli import mnist as example  # npgan-mnist, built from the pieces examples/mnist_gan.py wires
    out = tmp_path / "run"
    assert example.main(["--backend", "strict", "--epochs", "1", "--batch-size", "16", "--z-dim", "8",
                         "--hidden", "8", "--data-dir", str(data_dir), "--out", str(out), "--no-progress"]) == 0
    assert (out / "samples_epoch001.png").exists() and (out / "latest.npz").exists()
    assert example.main(["--backend", "strict", "--checkpoint", str(out / "latest.npz"), "--sample", "5",
                         "--sample-out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (5, 784)
