"""Every fused spelling computes what its plain formula computes, on every backend.

`@fused` (npgan/kernels.py) attaches a CUDA spelling and, where it measured faster, a tuned host spelling to
a plain formula. Here each function in `kernels.FUSED` runs as the plain body and as every spelling that
applies to the backend (host: NumPy and strict; CUDA: CuPy), from the same inputs, in float32 and float64;
the returned arrays and every array updated in place (running statistics, optimizer state, parameters)
must agree.
"""
import numpy as np
import pytest

from npgan import backend as B
from npgan import kernels, optim, threads  # noqa: F401 (ema: its fused update joins kernels.FUSED)
from npgan.gan import ema
from npgan.nn import functional as F
from npgan.nn import losses


def _bn_cache(r, m, w):
    return (r((m, w)), abs(r((w,))) + 0.5, r((w,)))


CASES = {  # name -> arguments from r(shape) (host arrays of the dtype under test) and Python scalars
    "linear_forward": lambda r: (r((12, 7)), r((7, 5)), r((5,))),
    "relu_forward": lambda r: (r((12, 33)),),
    "linear_backward": lambda r: (r((12, 1)), (r((12, 7)), r((7, 1))), True, True, True),  # D's logit layer
    "leaky_relu_backward": lambda r: (r((12, 33)), r((12, 33))),
    "batchnorm_forward": lambda r: (3 * r((12, 7)) + 5, r((7,)), r((7,)), 1e-5, r((7,)), abs(r((7,))), 0.1),
    "batchnorm_backward": lambda r: (r((12, 7)), _bn_cache(r, 12, 7), True, True),
    "batchnorm_eval_forward": lambda r: (r((12, 7)), r((7,)), r((7,)), r((7,)), abs(r((7,))), 1e-5),
    "relu_backward": lambda r: (r((12, 33)), r((12, 33))),
    "leaky_relu_forward": lambda r: (r((12, 33)), 0.2),
    "sigmoid_forward": lambda r: (30 * r((12, 33)),),
    "sigmoid_backward": lambda r: (r((12, 33)), r((12, 33))),
    "tanh_backward": lambda r: (r((12, 33)), r((12, 33))),
    "bce_logits": lambda r: (50 * r((16, 1)), (r((16, 1)) > 0).astype(r((1,)).dtype), 1 / 16),
    "sgd_momentum_update": lambda r: (r((6, 5)), 0.1, 0.9, r((6, 5)), r((6, 5))),
    "adam_update": lambda r: (r((6, 5)), 1e-2, 0.9, 0.999, 1.3, 1e-8, r((6, 5)), r((6, 5)), abs(r((6, 5)))),
    "ema_update": lambda r: (r((6, 5)), r((6, 5)), 0.999),
}
# Other argument sets worth their own check: branches inside a spelling.
EXTRA = {
    "relu_forward": [lambda r: (r(()),), lambda r: (r((5, 4, 3)),)],  # any shape, 0-d included
    "linear_backward": [lambda r: (r((12, 5)), (r((12, 7)), r((7, 5))), True, True, True),
                        lambda r: (r((12, 1)), (r((12, 7)), r((7, 1))), True, False, False)],
    "sigmoid_backward": [lambda r: (r((9,)), r((9,)))],
    "batchnorm_backward": [lambda r: (r((12, 7)), _bn_cache(r, 12, 7), False, True),
                           lambda r: (r((12, 7)), _bn_cache(r, 12, 7), True, False)],
    "sgd_momentum_update": [lambda r: (r((6, 5)), 0.1, 0.9, r((6, 5)), r((6, 5)), r((6, 5)))],  # with work
    "adam_update": [lambda r: (r((6, 5)), 1e-2, 0.9, 0.999, 1.3, 1e-8, r((6, 5)), r((6, 5)), abs(r((6, 5))),
                               r((6, 5)))],
    "leaky_relu_forward": [lambda r: (r((12, 33)), 0.0), lambda r: (r((12, 33)), 1.0),
                           lambda r: (r((12, 33)), 3.0), lambda r: (r((12, 33)), -0.5)],
}
SCRATCH = {"sgd_momentum_update": 5, "adam_update": 9}  # the `work` argument: scratch, not compared
FUNCTIONS = {f.__name__: f for f in kernels.FUSED}


def test_every_fused_function_is_checked_here():
    assert set(FUNCTIONS) == set(CASES), "a fused function without a test case (or a case without one)"
    assert FUNCTIONS["batchnorm_backward"] is F.batchnorm_backward and FUNCTIONS["bce_logits"] is losses.bce_logits
    assert FUNCTIONS["adam_update"] is optim.adam_update


def _arrays(tree):
    """The arrays in a (nested) result, in order; None and scalars are skipped."""
    if isinstance(tree, (tuple, list)):
        return [a for item in tree for a in _arrays(item)]
    return [tree] if hasattr(tree, "shape") else []


def _run(spelling, make_args, dtype, backend, scratch=None):
    """Call `spelling` on fresh inputs (the same seed every time) moved to `backend`; return everything it
    returned and every input array afterwards (the in-place updates) but the `scratch` one, on the host."""
    rng = np.random.default_rng(7)
    args = make_args(lambda shape: rng.standard_normal(shape).astype(dtype))

    def move(a):
        if isinstance(a, tuple):
            return tuple(move(x) for x in a)
        return B.to_device(a, backend) if isinstance(a, np.ndarray) else a

    args = move(args)
    out = spelling(*args)
    compared = [a for i, a in enumerate(args) if i != scratch]
    return [B.to_cpu(a) for a in _arrays(out)], [B.to_cpu(a) for a in _arrays(compared)]


def _spellings(fn, backend):
    """The spellings that run on `backend`, besides the plain body."""
    if backend == "cupy":
        return {"cuda": fn.cuda, "dispatched": fn}
    return {"host": fn.host, "dispatched": fn} if fn.host is not None else {"dispatched": fn}


CHECKS = [pytest.param(name, make, id=f"{name}-{i}") for name in sorted(CASES)
          for i, make in enumerate([CASES[name]] + EXTRA.get(name, []))]


@pytest.fixture(params=["whole", "blocks"])
def cut(request, monkeypatch):
    """"whole": the test's small arrays run on the calling thread; "blocks": three threads, one block per
    element at most, so every host spelling runs cut in blocks (npgan.threads.blocks)."""
    if request.param == "blocks":
        monkeypatch.setattr(threads, "GRAIN", 1)
        monkeypatch.setattr(threads, "_count", 3)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, make_args", CHECKS)
def test_each_spelling_matches_the_plain_formula(backend, name, make_args, dtype, cut):
    fn = FUNCTIONS[name]
    expected_out, expected_args = _run(fn.plain, make_args, dtype, backend, SCRATCH.get(name))
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for label, spelling in _spellings(fn, backend).items():
        if spelling is None:
            continue
        out, args = _run(spelling, make_args, dtype, backend, SCRATCH.get(name))
        assert len(out) == len(expected_out), f"{name} ({label}) returns {len(out)} arrays, the formula {len(expected_out)}"
        for i, (got, want) in enumerate(zip(out + args, expected_out + expected_args)):
            what = f"{name} ({label}) {'output' if i < len(out) else 'argument'} {i if i < len(out) else i - len(out)}"
            assert got.dtype == want.dtype == dtype, f"{what}: dtype {got.dtype}, formula {want.dtype}"
            assert got.shape == want.shape, f"{what}: shape {got.shape}, formula {want.shape}"
            np.testing.assert_allclose(got, want, err_msg=what, **tol)


def test_the_host_spellings_take_over_on_host_arrays(monkeypatch):
    """The dispatcher really calls the attached spelling (so the comparison above compares something)."""
    calls = []
    monkeypatch.setattr(F.sigmoid_backward, "host", lambda gy, y: calls.append("host") or gy)
    gy = np.ones(3, np.float32)
    assert F.sigmoid_backward(gy, gy) is gy and calls == ["host"]
    monkeypatch.setattr(F.sigmoid_backward, "host", None)
    np.testing.assert_array_equal(F.sigmoid_backward(gy, gy), np.zeros(3, np.float32))  # the plain body


def test_leaky_relu_host_spelling_is_exact_for_slopes_in_the_unit_interval():
    x = np.array([-2.0, -0.5, 0.0, 1.5], np.float32)
    for slope in (0.0, 0.2, 1.0, 3.0, -0.5):
        y, k = F.leaky_relu_forward.host(x, slope)
        np.testing.assert_array_equal(y, np.where(x > 0, x, np.float32(slope) * x))
        np.testing.assert_array_equal(k, np.where(x > 0, 1.0, slope).astype(np.float32))


def test_cuda_kernels_refuse_host_arrays():
    p = np.zeros(3, np.float32)
    with pytest.raises(TypeError, match="npgan_sgd_momentum is a CUDA kernel"):
        optim.sgd_momentum_update.cuda(p, 0.1, 0.5, p, p.copy())
    with pytest.raises(TypeError, match="is a CUDA kernel"):
        kernels.ColumnSum("T a", "a", "npgan_test_sum")(np.zeros((2, 2), np.float32))


@pytest.mark.parametrize("name, make_args", [c for c in CHECKS if FUNCTIONS[c.values[0]].host is not None])
def test_host_spellings_give_the_same_bits_cut_in_blocks_or_whole(name, make_args, monkeypatch):
    """Cut into blocks, every element goes through the same operations in the same order, so a run gives
    the same bits on any number of threads."""
    fn = FUNCTIONS[name]
    whole = _run(fn.host, make_args, np.float32, "numpy", SCRATCH.get(name))
    monkeypatch.setattr(threads, "GRAIN", 1)
    monkeypatch.setattr(threads, "_count", 3)
    cut = _run(fn.host, make_args, np.float32, "numpy", SCRATCH.get(name))
    for got, want in zip(cut[0] + cut[1], whole[0] + whole[1]):
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_the_outer_product_gives_the_blas_bits():
    """D's logit layer: gy (N, 1) times Wᵀ (1, D) by broadcasting is the GEMM's own numbers."""
    rng = np.random.default_rng(3)
    gy, W = rng.standard_normal((256, 1), np.float32), rng.standard_normal((128, 1), np.float32)
    np.testing.assert_array_equal(F.linear_backward.host(gy, (None, W), True, False, False)[0], gy @ W.T)
