"""The GEMM floor: every matrix product of one Algorithm-1 iteration at its shape and transposition, each
once, timed alone into preallocated outputs. Everything a framework takes above it is overhead.

The products are those npgan performs: D step: G forward (no backward: G runs under no_grad), D forward
over the 2m stacked rows (two m-row forwards when D has BatchNorm), D backward with weight gradients for
every layer and input gradients for all but the first (the data need none); G step: G forward, D forward,
D backward with input gradients only (D is frozen), G backward with weight gradients for every layer and
input gradients for all but the first (the noise needs none). PyTorch's autograd skips exactly the same
ones. DeZero can skip none (``frozen_d=False, first_input_grads=True``).
"""
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # npgan from this checkout


def layer_dims(arch, hidden=None):
    """[(in, columns)] of every Linear/Maxout weight of G and of D, in forward order, z_dim, the noise prior
    and whether D has BatchNorm (then real and fake go through D separately)."""
    from npgan import nn
    from npgan.gan import presets
    recipe = presets.recipe(arch, hidden=hidden)
    G, D = presets.build(recipe)
    dims = lambda net: [tuple(m.weight.data.shape) for m in net.modules() if isinstance(m, nn.Linear)]
    d_has_bn = any(isinstance(m, nn.BatchNorm1d) for m in D.modules())
    return dims(G), dims(D), recipe.z_dim, recipe.noise, d_has_bn


def iteration_gemms(g_dims, d_dims, m, concat=True, frozen_d=True, first_input_grads=False):
    """The GEMMs of one iteration as (what, layout, M, K, N): C (M×N) = op(A) (M×K) · op(B) (K×N).
    layout "NN": x W (forward);  "NT": gy Wᵀ (input gradient);  "TN": xᵀ gy (weight gradient)."""
    out = []

    def forward(dims, rows, what):
        out.extend((f"{what} fwd {i}x{o}", "NN", rows, i, o) for i, o in dims)

    def backward(dims, rows, what, weights, first_input):
        for index in range(len(dims) - 1, -1, -1):
            i, o = dims[index]
            if weights:
                out.append((f"{what} gW {i}x{o}", "TN", i, rows, o))
            if index > 0 or first_input:
                out.append((f"{what} gx {i}x{o}", "NT", rows, o, i))

    forward(g_dims, m, "Dstep G")
    for rows in ([2 * m] if concat else [m, m]):
        forward(d_dims, rows, "Dstep D")
    for rows in ([2 * m] if concat else [m, m]):
        backward(d_dims, rows, "Dstep D", weights=True, first_input=first_input_grads)
    forward(g_dims, m, "Gstep G")
    forward(d_dims, m, "Gstep D")
    backward(d_dims, m, "Gstep D", weights=not frozen_d, first_input=True)
    backward(g_dims, m, "Gstep G", weights=True, first_input=first_input_grads)
    return out


def gemm_flops(gemms):
    return sum(2.0 * M * K * N for _, _, M, K, N in gemms)


def _gemm_operands(layout, M, K, N, make):
    a = make((K, M)).T if layout[0] == "T" else make((M, K))
    b = make((N, K)).T if layout[1] == "T" else make((K, N))
    return a, b, make((M, N))


def gemm_pass(gemms, lib, device=None):
    """(run, sync): `run()` performs every GEMM of `gemms` once, into preallocated outputs, with lib in
    {"numpy", "cupy", "torch"}; the operands are allocated here, once."""
    if lib == "numpy":
        rng = np.random.default_rng(0)
        make = lambda shape: rng.random(shape, dtype=np.float32)
        ops = [_gemm_operands(lay, M, K, N, make) for _, lay, M, K, N in gemms]
        return (lambda: [np.matmul(a, b, out=c) for a, b, c in ops]), (lambda: None)
    if lib == "cupy":
        import cupy
        make = lambda shape: cupy.random.random(shape, dtype=np.float32)
        ops = [_gemm_operands(lay, M, K, N, make) for _, lay, M, K, N in gemms]
        return (lambda: [cupy.matmul(a, b, out=c) for a, b, c in ops]), cupy.cuda.get_current_stream().synchronize
    import torch
    make = lambda shape: torch.rand(shape, device=device)
    ops = [_gemm_operands(lay, M, K, N, make) for _, lay, M, K, N in gemms]
    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)
    return (lambda: [torch.mm(a, b, out=c) for a, b, c in ops]), sync


def time_pass(run, sync):
    """ms of one call of run(), the device synchronized before and after."""
    sync()
    t = time.perf_counter()
    run()
    sync()
    return 1e3 * (time.perf_counter() - t)


def time_gemms(gemms, lib, repeats, device=None):
    """Median ms of one pass over `gemms` (each once)."""
    run, sync = gemm_pass(gemms, lib, device)
    for _ in range(2):
        run()
    return statistics.median(time_pass(run, sync) for _ in range(max(repeats, 3)))
