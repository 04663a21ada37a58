"""The step benchmark's workers: one process times one framework on one configuration and prints a record.

    python benchmarks/step_workers.py '<spec as JSON>'     (bench_step.py starts these; see harness.py)

One iteration = one D step (k = 1) + one G step, non-saturating G loss, SGD with momentum (lr 0.1, momentum
0.5, the paper's setting, for both nets and every framework), optimizer updates included. The real data are
random float32 "images" uniform in [0, 1] (a pool of 4 batches cycled; on the GPU the pool lives on the
device, as npgan's loader keeps MNIST there): the arithmetic does not depend on the pixel values. PyTorch
and DeZero start from npgan's weights (npgan.testing.torch_reference, dezero_reference.py).

Record fields: framework, backend, arch, batch, hidden, ms_per_iter (median block), ms_min, ms_max, ms_iqr,
ms_blocks, iters_per_block, gemm_ms (the framework's own GEMM floor, gemm_floor.py, one pass after every
block, median), gemm_share, gemm_lib, gflop, peak_mb (harness.HostPeak; CuPy: the pool's high-water; torch
CUDA: max_memory_allocated, each over the set-up), minor_faults_per_iter, threads, finite, variant, dtypes.
"""
import itertools
import json
import math
import os
import statistics
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # npgan from this checkout, even when not installed

from gemm_floor import gemm_flops, gemm_pass, iteration_gemms, layer_dims, time_pass  # noqa: E402
from harness import HostPeak, blas_threads, time_blocks  # noqa: E402

LR, MOMENTUM = 0.1, 0.5
POOL = 4  # real batches cycled
IMAGE_DIM = 784


def host_pool(m):
    return [np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32) for i in range(POOL)]


def run_npgan(spec):
    from npgan import backend as B
    from npgan import optim
    from npgan.gan import presets
    from npgan.gan import GANTrainer
    backend, m = spec["backend"], spec["batch"]
    if spec.get("variant") == "torch-gemms":
        from torch_gemms import gemms_by_torch
        gemms_by_torch(spec["threads"])
    B.manual_seed(0)
    recipe = presets.recipe(spec["arch"], hidden=spec.get("hidden"))
    G, D = presets.build(recipe)
    xp = B.get_xp(backend)
    gpu = backend == "cupy"
    G.to(backend)
    D.to(backend)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), LR, momentum=MOMENTUM),
                         optim.SGD(D.parameters(), LR, momentum=MOMENTUM), recipe.z_dim, k=1,
                         loss="non-saturating", noise=recipe.noise)
    data = itertools.cycle([B.to_device(x, backend) for x in host_pool(m)])
    finite = [True]

    def after_block():
        try:
            trainer.pop_records()  # the logging interval: one device→host transfer
        except FloatingPointError:
            finite[0] = False

    g_dims, d_dims, *_ = layer_dims(spec["arch"], spec.get("hidden"))
    concat = getattr(trainer, "concat_real_fake", False)
    result = _timed(spec, lambda: trainer.iteration(data), lambda: B.synchronize(xp), after_block,
                    iteration_gemms(g_dims, d_dims, m, concat=concat), backend,
                    gpu_pool=xp.get_default_memory_pool() if gpu else None)
    threads = blas_threads().get("openblas", os.environ.get("OPENBLAS_NUM_THREADS")) if not gpu else None
    dtypes = sorted({str(p.data.dtype) for p in G.parameters() + D.parameters()})
    return dict(result, gemm_lib=lib_name(backend), finite=finite[0], threads=threads, dtypes=dtypes)


def run_torch(spec):
    import torch
    from npgan import backend as B
    from npgan.gan import presets
    from npgan.testing import torch_reference as R
    device = "cuda" if spec["backend"] == "cuda" else "cpu"
    if device == "cpu":
        torch.set_num_threads(spec["threads"])
    m = spec["batch"]
    torch.manual_seed(0)
    B.manual_seed(0)
    recipe = presets.recipe(spec["arch"], hidden=spec.get("hidden"))
    G, D = (R.mirror(net, device=device) for net in presets.build(recipe))  # start from npgan's weights
    data = itertools.cycle([torch.from_numpy(x).to(device) for x in host_pool(m)])
    sgd = lambda net: torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    step = R.TorchGANStep(G, D, sgd(G), sgd(D), recipe.z_dim, noise=recipe.noise,
                          concat=None if spec.get("variant", "concat") == "concat" else False)
    gpu = device == "cuda"
    last = [None]

    def iteration():
        last[0] = step.iteration(next(data))

    g_dims, d_dims, *_ = layer_dims(spec["arch"], spec.get("hidden"))
    result = _timed(spec, iteration, torch.cuda.synchronize if gpu else (lambda: None), lambda: None,
                    iteration_gemms(g_dims, d_dims, m, concat=step.concat), "torch", device=device)
    finite = all(math.isfinite(v.item()) for v in last[0])
    return dict(result, gemm_lib=lib_name("torch-" + device), finite=finite,
                threads=torch.get_num_threads() if not gpu else None, dtypes=[str(next(G.parameters()).dtype)])


def run_dezero(spec):
    """DeZero on the host (NumPy), `slides` only; variant "float32" (the shim) or "as-shipped"."""
    import dezero_reference as Z
    from npgan import backend as B
    from npgan.gan import presets
    dezero = Z.import_dezero(float32=(spec.get("variant") or "float32") == "float32")
    m = spec["batch"]
    B.manual_seed(0)
    recipe = presets.recipe(spec["arch"], hidden=spec.get("hidden"))
    G, D = (Z.mirror(net, dezero) for net in presets.build(recipe))
    step = Z.DezeroGANStep(dezero, G, D, recipe.z_dim, LR, MOMENTUM)
    data = itertools.cycle(host_pool(m))
    last = [None]

    def iteration():
        last[0] = step.iteration(next(data))

    g_dims, d_dims, *_ = layer_dims(spec["arch"], spec.get("hidden"))
    gemms = iteration_gemms(g_dims, d_dims, m, concat=False, frozen_d=False, first_input_grads=True)
    result = _timed(spec, iteration, lambda: None, lambda: None, gemms, "numpy")
    finite = all(math.isfinite(float(v.data)) for v in last[0])
    return dict(result, gemm_lib=lib_name("numpy"), finite=finite,
                threads=blas_threads().get("openblas", os.environ.get("OPENBLAS_NUM_THREADS")), dtypes=step.dtypes())


def _timed(spec, step, sync, after_block, gemms, lib, device=None, gpu_pool=None):
    """Time `step` in blocks (harness.time_blocks), the GEMM floor of `gemms` after each block, and the
    memory the iterations add over the set-up."""
    gemm_run, gemm_sync = gemm_pass(gemms, lib, device)  # operands allocated before the memory baseline
    if gpu_pool is not None:
        sync()
        gpu_pool.free_all_blocks()
        base = gpu_pool.used_bytes()
    elif device == "cuda":
        import torch
        sync()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        peak = HostPeak()
    blocks, per_block, faults, gemm_samples = time_blocks(step, sync, after_block, **spec["timing"],
                                                          paired=lambda: time_pass(gemm_run, gemm_sync))
    if gpu_pool is not None:
        peak_mb, method = (gpu_pool.total_bytes() - base) / 2 ** 20, "CuPy memory pool high-water"
    elif device == "cuda":
        import torch
        peak_mb, method = (torch.cuda.max_memory_allocated() - base) / 2 ** 20, "torch.cuda.max_memory_allocated"
    else:
        peak_mb, method = peak.peak_mb()
    return dict(peak_mb=peak_mb, peak_method=method, gemm_ms=statistics.median(gemm_samples),
                gflop=gemm_flops(gemms) / 1e9, blocks=blocks, per_block=per_block, faults=faults)


def lib_name(kind):
    return {"numpy": "numpy (OpenBLAS)" if "openblas" in blas_threads() else "numpy",
            "cupy": "cupy (cuBLAS)", "torch-cpu": "torch.mm (CPU BLAS)", "torch-cuda": "torch.mm (cuBLAS)"}[kind]


RUNNERS = {"npgan": run_npgan, "torch": run_torch, "dezero": run_dezero}
DEFAULT_VARIANT = {"torch": "concat", "dezero": "float32"}


def child_main(spec):
    """Run one configuration in this (fresh) process; print one JSON line."""
    result = RUNNERS[spec["framework"]](spec)
    blocks = result.pop("blocks")
    q = statistics.quantiles(blocks, n=4) if len(blocks) >= 2 else [blocks[0]] * 3
    record = {"framework": spec["framework"], "backend": spec["backend"], "arch": spec["arch"],
              "batch": spec["batch"], "hidden": spec["hidden"], "ms_per_iter": statistics.median(blocks),
              "gemm_ms": result["gemm_ms"], "peak_mb": result["peak_mb"]}
    record.update(ms_min=min(blocks), ms_max=max(blocks), ms_iqr=q[2] - q[0], ms_blocks=blocks,
                  iters_per_block=result["per_block"], gemm_share=result["gemm_ms"] / record["ms_per_iter"],
                  gemm_lib=result["gemm_lib"], gflop=result["gflop"], threads=result["threads"],
                  peak_method=result["peak_method"], finite=result["finite"],
                  minor_faults_per_iter=result["faults"], dtypes=result["dtypes"])
    variant = spec.get("variant") or DEFAULT_VARIANT.get(spec["framework"])
    if variant:
        record["variant"] = variant
    print(json.dumps(record))


if __name__ == "__main__":
    child_main(json.loads(sys.argv[-1]))
