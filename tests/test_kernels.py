"""The fused element-wise kernels: the CUDA spelling computes what the NumPy spelling computes."""
import numpy as np
import pytest

from npgan import backend as B
from npgan import kernels

gpu = pytest.mark.skipif(not B.gpu_available(), reason="CuPy backend: CuPy not importable or no GPU visible")

CASES = {  # kernel -> arguments (arrays drawn on the host, scalars as Python floats)
    "leaky_relu": lambda r: (r((64, 33)), 0.2),
    "relu_grad": lambda r: (r((64, 33)), r((64, 33))),
    "sigmoid": lambda r: (r((64, 33)) * 30,),
    "sigmoid_grad": lambda r: (r((64, 33)), r((64, 33))),
    "tanh_grad": lambda r: (r((64, 33)), r((64, 33))),
    "bn_normalize": lambda r: (r((64, 33)), r((33,)), abs(r((33,))), r((33,)), r((33,))),
    "bn_grad": lambda r: (r((64, 33)), r((64, 33)), r((33,)), r((33,)), r((33,)), abs(r((33,))), 1 / 64),
    "bce_logits": lambda r: (r((64, 1)) * 50, (r((64, 1)) > 0).astype(r((1,)).dtype), 1 / 64),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_host_twin_keeps_dtype_and_shape(name, dtype):
    rng = np.random.default_rng(0)
    args = CASES[name](lambda shape: rng.standard_normal(shape).astype(dtype))
    out = getattr(kernels, name)(*args)
    for array in out if isinstance(out, tuple) else (out,):
        assert array.dtype == dtype and array.shape == args[0].shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_sums_and_statistics_host_twins(dtype):
    rng = np.random.default_rng(3)
    x, y = (rng.standard_normal((50, 7)).astype(dtype) for _ in range(2))
    np.testing.assert_allclose(kernels.sum_of_products(x, y), (x * y).sum(axis=0), rtol=1e-5)
    mean = x.mean(axis=0)
    np.testing.assert_allclose(kernels.centered_sum_of_squares(x, mean), 50 * x.var(axis=0), rtol=1e-5)
    rm, rv, inv_std = np.zeros(7, dtype), np.ones(7, dtype), np.empty(7, dtype)
    kernels.bn_statistics(mean, 50 * x.var(axis=0), 1 / 50, 0.1, 50 / 49, 1e-5, rm, rv, inv_std)
    np.testing.assert_allclose(rm, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(inv_std, 1 / np.sqrt(x.var(axis=0) + 1e-5), rtol=1e-5)


def test_leaky_relu_host_twin_handles_slopes_above_one():
    x = np.array([-2.0, -0.5, 0.0, 1.5], np.float32)
    np.testing.assert_array_equal(kernels.leaky_relu(x, 3.0)[0], np.where(x > 0, x, 3.0 * x))
    np.testing.assert_array_equal(kernels.leaky_relu(x, 0.2)[0], np.where(x > 0, x, np.float32(0.2) * x))


def test_gpu_only_kernels_refuse_host_arrays():
    p = np.zeros(3, np.float32)
    with pytest.raises(TypeError, match="GPU-only"):
        kernels.sgd_momentum(p, 0.1, 0.5, p, p.copy())


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_kernel_matches_host_twin(name, dtype):
    rng = np.random.default_rng(1)
    args = CASES[name](lambda shape: rng.standard_normal(shape).astype(dtype))
    kernel = getattr(kernels, name)
    expected = kernel(*args)
    got = kernel(*[B.to_gpu(a) if isinstance(a, np.ndarray) else a for a in args])
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for e, g in zip(expected, got):
        assert g.dtype == dtype
        np.testing.assert_allclose(B.to_cpu(g), e, rtol=tol, atol=tol)


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cuda_reductions_and_statistics_match_host(dtype):
    rng = np.random.default_rng(4)
    x, y = (rng.standard_normal((300, 17)).astype(dtype) for _ in range(2))
    mean = x.mean(axis=0)
    for name, args in (("sum_of_products", (x, y)), ("centered_sum_of_squares", (x, mean))):
        kernel = getattr(kernels, name)
        np.testing.assert_allclose(B.to_cpu(kernel(*map(B.to_gpu, args))), kernel(*args), rtol=1e-5)
    host = [np.zeros(17, dtype), np.ones(17, dtype), np.empty(17, dtype)]
    device = [B.to_gpu(a) for a in host]
    sum_sq = kernels.centered_sum_of_squares(x, mean)
    kernels.bn_statistics(mean, sum_sq, 1 / 300, 0.1, 300 / 299, 1e-5, *host)
    kernels.bn_statistics(B.to_gpu(mean), B.to_gpu(sum_sq), 1 / 300, 0.1, 300 / 299, 1e-5, *device)
    for h, d in zip(host, device):
        np.testing.assert_allclose(B.to_cpu(d), h, rtol=1e-5)


@pytest.mark.gpu
@gpu
def test_fused_optimizer_updates_match_the_host_rules():
    from npgan import nn, optim
    rng = np.random.default_rng(2)
    for make in (lambda ps: optim.SGD(ps, 0.1, momentum=0.9), lambda ps: optim.Adam(ps, 1e-2)):
        host, device = nn.Linear(5, 4), nn.Linear(5, 4)
        device.load_state_dict(host.state_dict())
        device.to("cupy")
        opt_h, opt_d = make(host.parameters()), make(device.parameters())
        for _ in range(4):
            grads = [rng.standard_normal(p.shape).astype(np.float32) for p in host.parameters()]
            for p, g in zip(host.parameters(), grads):
                p.grad = g.copy()
            for p, g in zip(device.parameters(), grads):
                p.grad = B.to_gpu(g)
            opt_h.step()
            opt_d.step()
        for ph, pd in zip(host.parameters(), device.parameters()):
            np.testing.assert_allclose(B.to_cpu(pd.data), ph.data, rtol=1e-5, atol=1e-6)
