"""Time one Algorithm-1 iteration of npgan and of the same GAN in PyTorch, side by side.

    python benchmarks/bench_step.py                      # everything available: numpy (+ cupy on a GPU),
                                                         # PyTorch CPU (+ CUDA) when torch imports
    python benchmarks/bench_step.py --arch slides --backend numpy --batch-sizes 128 1024 --json out.json
    python benchmarks/bench_step.py --quick              # few repeats: a smoke test
    python benchmarks/bench_step.py --profile --arch slides --batch-sizes 128 1024
                                                         # where npgan's time goes, function by function
    python benchmarks/bench_step.py --check              # npgan and the PyTorch reference agree?

One iteration = one D step (k = 1) + one G step, non-saturating G loss, SGD with momentum (lr 0.1,
momentum 0.5, the paper's setting, for both nets and both frameworks), optimizer updates included. The
real data are random float32 "images" uniform in [0, 1] (a pool of 4 batches cycled; on the GPU the pool
lives on the device, as npgan's loader keeps MNIST there by default): the arithmetic does not depend on
the pixel values. PyTorch's version is benchmarks/torch_reference.py, started from npgan's weights.

Each framework runs a configuration in its own fresh process, so thread pools, allocators and the
peak-memory reading do not leak between them. Each warms up (at least 3 iterations and 0.5 s; the
processes one after the other), then the processes take turns: npgan times a block of n iterations, then
PyTorch does, and so on for `repeats` (11) rounds, each round in the reverse order of the one before, with
a 0.25 s pause before every block so the last one's spinning BLAS/OpenMP threads have stopped. n is chosen
so a block lasts about 0.25 s. ms_per_iter is the median over blocks, and the spread is reported as the
blocks' min, max and interquartile range. Interleaving matters on a shared machine: timed one after the
other, the same two processes gave npgan/PyTorch ratios from 1.2 to 1.6 on different runs. On the GPU
every block ends with a device synchronize (the iteration itself never syncs).

Record fields (JSON: a list of them):
  framework, backend, arch, batch, hidden, ms_per_iter, gemm_ms, peak_mb, and
  ms_min, ms_max, ms_iqr, ms_blocks (every block's ms/iter), iters_per_block, threads,
  minor_faults_per_iter   page faults per timed iteration (fresh memory touched every step),
  gemm_share   gemm_ms / ms_per_iter
  gemm_lib     which library timed the GEMM bound: each record uses its own framework's
               (npgan numpy: NumPy/OpenBLAS, npgan cupy: CuPy/cuBLAS, torch: torch.mm / MKL or cuBLAS)
  gflop        floating-point operations of the iteration's matrix products (2·M·N·K each)
  ratio        (npgan records) npgan ms / torch ms for the same configuration (torch variant "concat")
  ratio_rounds (npgan records) npgan's block / PyTorch's block of the same round (they ran back to back),
               and ratio_q1, ratio_q3 their quartiles
  variant      (torch records) "concat": one D forward over [real; fake] when D has no BatchNorm, as npgan
               does; "separate": D(real) and D(fake) as two calls (the everyday idiom).
               (npgan records) absent for npgan itself; "torch-gemms": the diagnostic where npgan's Linear
               layers multiply with torch.mm (MKL) on the same memory and everything else is npgan's
               (CPU, slides rows): what the iteration would take with PyTorch's BLAS

GEMM lower bound: every matrix product of the iteration at its shape and transposition, each once, timed
alone into preallocated outputs: one pass after every timed block, so that the floor and the iteration are
sampled under the same load of a shared machine; gemm_ms is the median pass. These are the products npgan
performs:
D step: G forward (no backward: G runs under no_grad), D forward over the 2m stacked rows, D backward with
weight gradients for every layer and input gradients for all but the first trainable layer (the data need
none); G step: G forward, D forward, D backward with input gradients only (D is frozen: no weight-gradient
GEMMs), G backward with weight gradients for every layer and input gradients for all but the first (the
noise needs none). PyTorch's autograd skips exactly the same ones with the reference's idioms.

Peak memory (peak_mb): host: the rise of the process's resident-set high-water mark (VmHWM in
/proc/self/status, reset through /proc/self/clear_refs after the setup) over the resident size after setup,
i.e. everything the iterations added: activations, gradients, optimizer state, BLAS buffers, allocator
slack. The parameters and the data pool are part of the setup (model sizes are in the table's notes).
CuPy: the memory pool's total bytes (its high-water: the pool keeps freed blocks) minus the bytes in use
after setup. torch CUDA: torch.cuda.max_memory_allocated() minus memory_allocated() after setup.

Threads: both frameworks get the same count (default: all cores): OPENBLAS/OMP/MKL_NUM_THREADS in each
child's environment and torch.set_num_threads. `--unset-openblas-hints` removes OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE from the children's environment (to measure a machine where they are set both ways).
"""
import argparse
import functools
import inspect
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # torch_reference
sys.path.insert(0, str(HERE.parent))  # npgan from this checkout, even when not installed

ARCHS = ("slides", "paper")
CPU_BATCHES = (64, 128, 256, 1024)
GPU_BATCHES = CPU_BATCHES + (4096,)
HIDDEN_SIZES = (32, 64, 128, 256, 512)  # the slides arch's hidden width, for the scaling plot
SCALING_BATCH = 128
LR, MOMENTUM = 0.1, 0.5
POOL = 4  # real batches cycled
IMAGE_DIM = 784
OPENBLAS_HINTS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# --- the iteration's matrix products ------------------------------------------------------------------------

def layer_dims(arch, hidden=None):
    """[(in, columns)] of every Linear/Maxout weight of G and of D, in forward order, z_dim, the noise prior
    and whether D has BatchNorm (then real and fake go through D separately)."""
    from npgan import models, nn
    recipe = models.recipe(arch, hidden=hidden)
    G, D = models.build(recipe)
    dims = lambda net: [tuple(m.weight.data.shape) for m in net.modules() if isinstance(m, nn.Linear)]
    d_has_bn = any(isinstance(m, nn.BatchNorm1d) for m in D.modules())
    return dims(G), dims(D), recipe.z_dim, recipe.noise, d_has_bn


def iteration_gemms(g_dims, d_dims, m, concat=True):
    """The GEMMs of one iteration as (what, layout, M, K, N): C (M×N) = op(A) (M×K) · op(B) (K×N).
    layout "NN": x W (forward);  "NT": gy Wᵀ (input gradient);  "TN": xᵀ gy (weight gradient)."""
    out = []

    def forward(net, dims, rows, what):
        out.extend((f"{what} fwd {i}x{o}", "NN", rows, i, o) for i, o in dims)

    def backward(net, dims, rows, what, weights, first_input):
        for index in range(len(dims) - 1, -1, -1):
            i, o = dims[index]
            if weights:
                out.append((f"{what} gW {i}x{o}", "TN", i, rows, o))
            if index > 0 or first_input:
                out.append((f"{what} gx {i}x{o}", "NT", rows, o, i))

    forward("G", g_dims, m, "Dstep G")
    for rows in ([2 * m] if concat else [m, m]):
        forward("D", d_dims, rows, "Dstep D")
    for rows in ([2 * m] if concat else [m, m]):
        backward("D", d_dims, rows, "Dstep D", weights=True, first_input=False)
    forward("G", g_dims, m, "Gstep G")
    forward("D", d_dims, m, "Gstep D")
    backward("D", d_dims, m, "Gstep D", weights=False, first_input=True)
    backward("G", g_dims, m, "Gstep G", weights=True, first_input=False)
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


# --- timing ---------------------------------------------------------------------------------------------------

def time_blocks(step, sync, after_block, warmup_iters, warmup_s, repeats, block_s, paired=None, interleaved=False):
    """Warm up, then time `repeats` blocks of n iterations; returns (ms per iteration of each block, n,
    minor page faults per timed iteration, ms of `paired` timed once after each block). Pairing the GEMM
    floor with the iteration this way samples both under the same load of a shared machine.

    interleaved: this process is one of a configuration's workers (see `run_interleaved`): it says
    "ready" after the warm-up, then runs each block when a line arrives on stdin and says "block" after it."""
    import resource
    start, n = time.perf_counter(), 0
    while n < warmup_iters or time.perf_counter() - start < warmup_s:
        step()
        n += 1
    sync()
    after_block()
    per_iter = (time.perf_counter() - start) / n
    per_block = max(1, round(block_s / per_iter))
    blocks, paired_ms, fault_count = [], [], 0
    if paired is not None:
        paired()
    if interleaved:
        print("ready", flush=True)
    for _ in range(repeats):
        if interleaved:
            sys.stdin.readline()  # our turn
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        sync()
        t = time.perf_counter()
        for _ in range(per_block):
            step()
        sync()
        blocks.append(1e3 * (time.perf_counter() - t) / per_block)
        fault_count += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        after_block()
        if paired is not None:
            paired_ms.append(paired())
        if interleaved:
            print("block", flush=True)
    return blocks, per_block, fault_count / (repeats * per_block), paired_ms


def _proc_status_kb(field):
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class HostPeak:
    """Rise of the resident-set high-water mark over the resident size at construction (MB)."""

    def __init__(self):
        try:  # "5" resets VmHWM to the current RSS (Linux ≥ 4.0)
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM after clear_refs"
        except OSError:
            self.method = "VmHWM (not reset)"
        self.base = _proc_status_kb("VmRSS")

    def peak_mb(self):
        hwm = _proc_status_kb("VmHWM")
        if hwm is None or self.base is None:
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "ru_maxrss (absolute)"
        return max(hwm - self.base, 0) / 1024, self.method


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
        return {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
    except ImportError:
        return {}


def gemms_by_torch(threads):
    """Diagnostic (variant "torch-gemms"): npgan's Linear layers do their matrix products with torch.mm
    (MKL) on the same NumPy memory, shared without a copy; everything else in npgan stays as it is. It
    separates what the BLAS costs from what npgan's own code costs. The two functions restate
    npgan.nn.functional's linear pair with `mm` for `@`."""
    import torch
    from npgan import nn
    from npgan.nn import functional as F
    torch.set_num_threads(threads)

    def mm(a, b):
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
        torch.mm(torch.from_numpy(a), torch.from_numpy(b), out=torch.from_numpy(out))
        return out

    def linear_forward(x, W, b):
        y = mm(x, W)
        y += b
        return y, (x, W)

    def linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
        x, W = cache
        gx = None if not need_gx else gy * W[:, 0] if W.shape[1] == 1 else mm(gy, W.T)
        return gx, (mm(x.T, gy) if need_gW else None), (gy.sum(axis=0) if need_gb else None)

    F.linear_forward, F.linear_backward = linear_forward, linear_backward
    nn.Linear._backward = staticmethod(linear_backward)


def run_npgan(spec):
    from npgan import backend as B
    from npgan import models, optim
    from npgan.gan import GANTrainer
    backend, m = spec["backend"], spec["batch"]
    if spec.get("variant") == "torch-gemms":
        gemms_by_torch(spec["threads"])
    B.manual_seed(0)
    recipe = models.recipe(spec["arch"], hidden=spec.get("hidden"))
    G, D = models.build(recipe)
    host_pool = [np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32) for i in range(POOL)]
    xp = B.get_xp(backend)
    gpu = backend == "cupy"
    if gpu:
        pool = xp.get_default_memory_pool()
    G.to(backend)
    D.to(backend)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), LR, momentum=MOMENTUM),
                         optim.SGD(D.parameters(), LR, momentum=MOMENTUM), recipe.z_dim, k=1,
                         loss="non-saturating", noise=recipe.noise)
    data = itertools.cycle([B.to_device(x, backend) for x in host_pool])
    sync = lambda: B.synchronize(xp)
    finite = [True]

    def after_block():
        try:
            trainer.pop_records()  # the logging interval: one device→host transfer
        except FloatingPointError:
            finite[0] = False

    g_dims, d_dims, *_ = layer_dims(spec["arch"], spec.get("hidden"))
    gemms = iteration_gemms(g_dims, d_dims, m, concat=trainer.concat_real_fake)
    gemm_run, gemm_sync = gemm_pass(gemms, backend)  # operands allocated before the memory baseline
    if gpu:
        sync()
        pool.free_all_blocks()
        base = pool.used_bytes()
    else:
        peak = HostPeak()
    blocks, per_block, faults, gemm_samples = time_blocks(
        lambda: trainer.iteration(data), sync, after_block, **spec["timing"],
        paired=lambda: time_pass(gemm_run, gemm_sync))
    if gpu:
        peak_mb, method = (pool.total_bytes() - base) / 2 ** 20, "CuPy memory pool high-water"
    else:
        peak_mb, method = peak.peak_mb()
    gemm_ms = statistics.median(gemm_samples)
    threads = _blas_threads().get("openblas", os.environ.get("OPENBLAS_NUM_THREADS")) if not gpu else None
    return dict(peak_mb=peak_mb, peak_method=method, gemm_ms=gemm_ms, gemm_lib=_lib_name(backend),
                gflop=gemm_flops(gemms) / 1e9, finite=finite[0], threads=threads,
                blocks=blocks, per_block=per_block, faults=faults)


def run_torch(spec):
    import torch
    import torch_reference as R
    from npgan import backend as B
    from npgan import models
    device = "cuda" if spec["backend"] == "cuda" else "cpu"
    if device == "cpu":
        torch.set_num_threads(spec["threads"])
    m = spec["batch"]
    torch.manual_seed(0)
    B.manual_seed(0)
    recipe = models.recipe(spec["arch"], hidden=spec.get("hidden"))
    nG, nD = models.build(recipe)  # start from npgan's weights
    G, D = R.build(spec["arch"], recipe.z_dim, recipe.hidden)
    R.copy_from_npgan(G, nG)
    R.copy_from_npgan(D, nD)
    G.to(device)
    D.to(device)
    host_pool = [np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32) for i in range(POOL)]
    data = itertools.cycle([torch.from_numpy(x).to(device) for x in host_pool])
    step = R.TorchGANStep(G, D, recipe.z_dim, LR, MOMENTUM, noise=recipe.noise,
                          concat=None if spec.get("variant", "concat") == "concat" else False)
    gpu = device == "cuda"
    sync = torch.cuda.synchronize if gpu else (lambda: None)
    last = [None]

    def iteration():
        last[0] = step.iteration(next(data))

    def after_block():
        pass

    g_dims, d_dims, *_ = layer_dims(spec["arch"], spec.get("hidden"))
    gemms = iteration_gemms(g_dims, d_dims, m, concat=step.concat)
    gemm_run, gemm_sync = gemm_pass(gemms, "torch", device)  # operands allocated before the memory baseline
    if gpu:
        sync()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        peak = HostPeak()
    blocks, per_block, faults, gemm_samples = time_blocks(
        iteration, sync, after_block, **spec["timing"], paired=lambda: time_pass(gemm_run, gemm_sync))
    if gpu:
        peak_mb, method = (torch.cuda.max_memory_allocated() - base) / 2 ** 20, "torch.cuda.max_memory_allocated"
    else:
        peak_mb, method = peak.peak_mb()
    finite = all(math.isfinite(float(v)) for v in last[0])
    gemm_ms = statistics.median(gemm_samples)
    return dict(peak_mb=peak_mb, peak_method=method, gemm_ms=gemm_ms, gemm_lib=_lib_name("torch-" + device),
                gflop=gemm_flops(gemms) / 1e9, finite=finite, threads=torch.get_num_threads() if not gpu else None,
                blocks=blocks, per_block=per_block, faults=faults)


def _lib_name(kind):
    return {"numpy": "numpy (OpenBLAS)" if "openblas" in _blas_threads() else "numpy",
            "cupy": "cupy (cuBLAS)", "torch-cpu": "torch.mm (CPU BLAS)", "torch-cuda": "torch.mm (cuBLAS)"}[kind]


def child_main(spec):
    """Run one configuration in this (fresh) process; print one JSON line."""
    result = (run_npgan if spec["framework"] == "npgan" else run_torch)(spec)
    blocks = result.pop("blocks")
    q = statistics.quantiles(blocks, n=4) if len(blocks) >= 2 else [blocks[0]] * 3
    record = {"framework": spec["framework"], "backend": spec["backend"], "arch": spec["arch"],
              "batch": spec["batch"], "hidden": spec["hidden"], "ms_per_iter": statistics.median(blocks),
              "gemm_ms": result["gemm_ms"], "peak_mb": result["peak_mb"]}
    record.update(ms_min=min(blocks), ms_max=max(blocks), ms_iqr=q[2] - q[0], ms_blocks=blocks,
                  iters_per_block=result["per_block"], gemm_share=result["gemm_ms"] / record["ms_per_iter"],
                  gemm_lib=result["gemm_lib"], gflop=result["gflop"], threads=result["threads"],
                  peak_method=result["peak_method"], finite=result["finite"],
                  minor_faults_per_iter=result["faults"])
    if spec["framework"] == "torch":
        record["variant"] = spec.get("variant", "concat")
    elif spec.get("variant"):
        record["variant"] = spec["variant"]
    print(json.dumps(record))


# --- the parent: plan, run children, report ---------------------------------------------------------------------

def torch_status():
    """(torch importable?, CUDA usable?, why not)"""
    try:
        import torch
    except Exception as error:
        return False, False, f"PyTorch not importable ({type(error).__name__}: {error}); pip install -e .[bench]"
    cuda = torch.cuda.is_available()
    return True, cuda, None if cuda else "PyTorch sees no CUDA device"


def gpu_status():
    from npgan import backend as B
    return B.gpu_available(), B._gpu_problem()


PAUSE_S = 0.25  # between two workers' blocks: long enough for the last one's BLAS/OpenMP threads to stop spinning


def run_interleaved(specs, env, repeats, timeout=900):
    """Run one configuration's workers (npgan and its PyTorch variants) side by side in time.

    Each worker is a fresh process. They warm up one after the other, then take turns block by block, the
    order of each round reversed in the next, so a drift in the load of a shared machine hits every
    framework alike instead of whichever ran last. Returns the records of the workers that succeeded."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child"]
    started, workers, records = [], [], []
    deadline = threading.Timer(timeout, lambda: [w.proc.kill() for w in started])
    deadline.start()
    try:
        for spec in specs:
            worker = _Worker(cmd, dict(spec, timing=dict(spec["timing"], interleaved=True)), env)
            started.append(worker)
            if worker.says("ready"):
                workers.append(worker)
        for round_ in range(repeats):
            for worker in (workers if round_ % 2 == 0 else workers[::-1]):
                time.sleep(PAUSE_S)
                if not worker.failed:
                    worker.proc.stdin.write("go\n")
                    worker.proc.stdin.flush()
                    worker.says("block")
        for worker in workers:
            record = worker.finish()
            if record is not None:
                records.append(record)
    finally:
        deadline.cancel()
    return records


class _Worker:
    """One framework's process for one configuration, spoken to line by line."""

    def __init__(self, cmd, spec, env):
        self.spec, self.stderr, self.failed = spec, tempfile.TemporaryFile(mode="w+"), False
        self.proc = subprocess.Popen(cmd + [json.dumps(spec)], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)

    def says(self, word):
        """Wait for the worker's next line; anything but `word` ends it as a failure."""
        if self.proc.stdout.readline().strip() == word:
            return True
        self.proc.kill()
        self.proc.wait()
        self._report_failure()
        self.failed = True
        return False

    def finish(self):
        """Close its turn signal; its record (the last JSON line), or None if it failed."""
        if self.failed:
            return None
        if self.proc.poll() is None:
            self.proc.stdin.close()
        lines = [line for line in self.proc.stdout.read().splitlines() if line.startswith("{")]
        if self.proc.wait() == 0 and lines:
            return json.loads(lines[-1])
        self._report_failure()
        return None

    def _report_failure(self):
        self.stderr.seek(0)
        spec = self.spec
        print(f"  ! {spec['framework']}/{spec['backend']} {spec['arch']} batch {spec['batch']} failed or timed "
              f"out (exit {self.proc.returncode}):\n{self.stderr.read()[-2000:]}", file=sys.stderr)


def child_env(threads, unset_hints):
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    if unset_hints:
        for name in OPENBLAS_HINTS:
            env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def machine_info(threads, unset_hints):
    info = {"python": platform.python_version(), "numpy": np.__version__, "threads": threads,
            "cores": os.cpu_count(), "platform": platform.platform()}
    try:
        model = [line.split(":", 1)[1].strip() for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name")]
        info["cpu"] = model[0] if model else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                        for i in threadpool_info() if i["user_api"] == "blas"]
    except ImportError:
        config = np.show_config(mode="dicts") if "mode" in inspect.signature(np.show_config).parameters else {}
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = [{"internal_api": blas.get("name"), "version": blas.get("version"),
                         "architecture": "(install threadpoolctl to see the kernel)"}]
    info["openblas_env"] = {k: os.environ[k] for k in OPENBLAS_HINTS if k in os.environ}
    info["openblas_env_unset_for_children"] = bool(unset_hints and info["openblas_env"])
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_blas"] = "MKL" if torch.backends.mkl.is_available() else "other"
        info["torch_cuda"] = torch.version.cuda
    except Exception:
        info["torch"] = None
    ok, _ = gpu_status()
    if ok:
        from npgan.backend import cupy
        info["cupy"] = cupy.__version__
        info["gpu"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
        info["cupy_tf32"] = os.environ.get("CUPY_TF32", "0")  # float32 GEMMs in full float32 unless "1"
    if info.get("torch_cuda"):
        import torch
        info["torch_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
    return info


def plan(args):
    """The configurations to run: (framework, backend, arch, batch, hidden, variant)."""
    gpu_ok, gpu_why = gpu_status()
    torch_ok, cuda_ok, torch_why = torch_status()
    if args.frameworks and "torch" not in args.frameworks:
        torch_ok = False
    backends = args.backend or (["numpy", "cupy"] if gpu_ok else ["numpy"])
    notes = []
    if "cupy" in backends and not gpu_ok:
        notes.append(f"skipped backend cupy: {gpu_why}")
        backends = [b for b in backends if b != "cupy"]
    if not torch_ok:
        notes.append(f"skipped PyTorch: {torch_why or 'not asked for'}")
    elif "cupy" in backends and not cuda_ok:
        notes.append(f"skipped PyTorch CUDA: {torch_why}")
    run_npgan = not args.frameworks or "npgan" in args.frameworks
    groups = []
    pairs = [0]

    def add(backend, arch, batch, hidden, scaling=False):
        hidden = hidden or default_hidden(arch)
        torch_backend = "cuda" if backend == "cupy" else "cpu"
        pair = []
        if run_npgan:
            pair.append(("npgan", backend, arch, batch, hidden, None))
        if torch_ok and (torch_backend == "cpu" or cuda_ok):
            pair.append(("torch", torch_backend, arch, batch, hidden, "concat"))
            if arch == "slides" and not scaling and not args.quick and hidden == 128:
                pair.append(("torch", torch_backend, arch, batch, hidden, "separate"))
                if run_npgan and backend == "numpy":
                    pair.append(("npgan", backend, arch, batch, hidden, "torch-gemms"))
        if pairs[0] % 2:  # alternate who warms up and goes first
            pair.reverse()
        pairs[0] += 1
        groups.append(pair)

    for backend in backends:
        batches = args.batch_sizes or (GPU_BATCHES if backend == "cupy" else CPU_BATCHES)
        for arch in args.arch or ARCHS:
            for batch in batches:
                add(backend, arch, batch, None)
        if args.scaling:
            for hidden in args.hidden_sizes:
                if hidden != 128 or SCALING_BATCH not in batches or "slides" not in (args.arch or ARCHS):
                    add(backend, "slides", SCALING_BATCH, hidden, scaling=True)
    return groups, notes


def default_hidden(arch):
    from npgan import models
    return models.recipe(arch).hidden


def attach_ratios(records):
    """npgan ms / torch ms (variant concat) for each configuration, on the npgan record; the torch
    records get the npgan GEMM bound too (gemm_ms_npgan), for the table."""
    key = lambda r: ("cuda" if r["backend"] in ("cupy", "cuda") else "cpu", r["arch"], r["batch"], r["hidden"])
    torch_by = {key(r): r for r in records if r["framework"] == "torch" and r.get("variant") == "concat"}
    npgan_by = {key(r): r for r in records if r["framework"] == "npgan" and not r.get("variant")}
    for r in records:  # the diagnostic npgan variant, against the same PyTorch
        if r["framework"] == "npgan" and r.get("variant") and key(r) in torch_by:
            r["ratio"] = r["ms_per_iter"] / torch_by[key(r)]["ms_per_iter"]
    for k, r in npgan_by.items():
        if k in torch_by:
            r["torch_ms"] = torch_by[k]["ms_per_iter"]
            r["ratio"] = r["ms_per_iter"] / torch_by[k]["ms_per_iter"]
            torch_by[k]["ratio"] = r["ratio"]
            # the two blocks of a round ran back to back: their ratio is the least drift-prone comparison
            r["ratio_rounds"] = [a / b for a, b in zip(r["ms_blocks"], torch_by[k]["ms_blocks"])]
            q = statistics.quantiles(r["ratio_rounds"], n=4) if len(r["ratio_rounds"]) >= 2 else [r["ratio"]] * 3
            r["ratio_q1"], r["ratio_q3"] = q[0], q[2]


def format_table(records):
    """A markdown table: one row per (device, arch, batch, hidden)."""
    key = lambda r: ("GPU" if r["backend"] in ("cupy", "cuda") else "CPU", r["arch"], r["hidden"], r["batch"])
    rows = defaultdict(dict)
    for r in records:
        name = f"{r['framework']}-{r['variant']}" if r.get("variant") else r["framework"]
        name = "torch-concat" if name == "torch" else name
        rows[key(r)][name] = r
    spread = lambda r: f"{r['ms_per_iter']:.2f} ({r['ms_min']:.2f}–{r['ms_max']:.2f})"
    out = ["| device | arch | hidden | batch | npgan ms/iter (min–max) | PyTorch ms/iter (min–max) | "
           "npgan / PyTorch (round by round: quartiles) | GEMM bound ms: NumPy·CuPy / torch | GEMM share: npgan / torch | "
           "peak MB: npgan / torch | PyTorch, D(real), D(fake) separately: ms | "
           "npgan with torch.mm's GEMMs: ms (/ PyTorch) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in sorted(rows, key=lambda k: (k[0], ARCHS.index(k[1]) if k[1] in ARCHS else 9, k[2], k[3])):
        n, t, s = rows[k].get("npgan"), rows[k].get("torch-concat"), rows[k].get("torch-separate")
        mixed = rows[k].get("npgan-torch-gemms")
        mixed = f"{mixed['ms_per_iter']:.2f} ({mixed['ratio']:.2f})" if mixed and "ratio" in mixed else "–"
        cell = lambda r, f, fmt: format(r[f], fmt) if r and r.get(f) is not None else "–"
        ratio = (f"**{n['ms_per_iter'] / t['ms_per_iter']:.2f}** ({n['ratio_q1']:.2f}–{n['ratio_q3']:.2f})"
                 if n and t and "ratio_q1" in n else "–")
        out.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {spread(n) if n else '–'} | {spread(t) if t else '–'} | "
                   f"{ratio} | {cell(n, 'gemm_ms', '.2f')} / {cell(t, 'gemm_ms', '.2f')} | "
                   f"{cell(n, 'gemm_share', '.0%')} / {cell(t, 'gemm_share', '.0%')} | "
                   f"{cell(n, 'peak_mb', '.1f')} / {cell(t, 'peak_mb', '.1f')} | {cell(s, 'ms_per_iter', '.2f')} | "
                   f"{mixed} |")
    return "\n".join(out)


def plot(records, path):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax_b, ax_h) = plt.subplots(1, 2, figsize=(12, 4.8))
    style = {("npgan", "numpy"): ("C0", "npgan (NumPy)"), ("torch", "cpu"): ("C1", "PyTorch CPU"),
             ("npgan", "cupy"): ("C2", "npgan (CuPy)"), ("torch", "cuda"): ("C3", "PyTorch CUDA")}
    marker = {"slides": "o", "paper": "s"}
    main = [r for r in records if r.get("variant", "concat") == "concat"]
    for (fw, backend), (color, label) in style.items():
        for arch in ARCHS:
            pts = sorted((r["batch"], r["ms_per_iter"], r["gemm_ms"]) for r in main if r["framework"] == fw
                         and r["backend"] == backend and r["arch"] == arch and r["hidden"] == default_hidden(arch))
            if len(pts) < 2:
                continue
            b, ms, gemm = zip(*pts)
            ax_b.plot(b, ms, marker=marker[arch], color=color, label=f"{label}, {arch}",
                      linestyle="-" if arch == "slides" else "--")
            if fw == "npgan":
                ax_b.plot(b, gemm, color=color, alpha=0.45, linestyle=":", marker=marker[arch], markersize=3,
                          label=f"GEMMs alone ({backend}), {arch}")
        pts = sorted((r["hidden"], r["ms_per_iter"], r["gemm_ms"]) for r in main if r["framework"] == fw
                     and r["backend"] == backend and r["arch"] == "slides" and r["batch"] == SCALING_BATCH)
        if len(pts) >= 2:
            h, ms, gemm = zip(*pts)
            ax_h.plot(h, ms, marker="o", color=color, label=label)
            if fw == "npgan":
                ax_h.plot(h, gemm, color=color, alpha=0.45, linestyle=":", marker="o", markersize=3,
                          label=f"GEMMs alone ({backend})")
    ax_b.set(xscale="log", yscale="log", xlabel="batch size m", ylabel="ms per iteration (D step + G step)",
             title="time per iteration vs batch size")
    ax_h.set(xscale="log", yscale="log", xlabel="hidden width h (slides: G z→h→2h→4h→8h→784)",
             ylabel="ms per iteration", title=f"slides arch, batch {SCALING_BATCH}: vs hidden width")
    for ax in (ax_b, ax_h):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    hiddens = {r["hidden"] for r in main if r["arch"] == "slides" and r["batch"] == SCALING_BATCH}
    for ax, xs in ((ax_b, sorted({r["batch"] for r in main})), (ax_h, sorted(hiddens))):
        if xs:
            ax.set_xticks(xs)
            ax.set_xticklabels([str(x) for x in xs])
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:g}" if str(int(v))[0] in "25" and v == float(f"{v:.1g}") else ""))
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- correctness: npgan and the reference do the same maths ---------------------------------------------------

def check(archs, batch=64):
    """One iteration of npgan and of torch_reference from the same weights, data and noise, in float64 (so
    that round-off cannot hide a difference in the maths) with dropout off (the masks cannot be shared):
    the parameters after the update must agree. Returns True when every arch passes."""
    import torch
    import torch_reference as R
    from npgan import backend as B
    from npgan import models, nn, optim
    from npgan.gan import GANTrainer
    ok = True
    for arch in archs:
        B.manual_seed(1)
        recipe = models.recipe(arch)
        G, D = models.build(recipe)
        G, D = G.double(), D.double()
        tG, tD = (net.double() for net in R.build(arch, recipe.z_dim, recipe.hidden))
        for net in (D, tD):
            for mod in net.modules():
                if isinstance(mod, (nn.Dropout, torch.nn.Dropout)):
                    mod.p = 0.0
        R.copy_from_npgan(tG, G)
        R.copy_from_npgan(tD, D)
        rng = np.random.default_rng(0)
        real = rng.random((batch, IMAGE_DIM))
        noise = [rng.standard_normal((batch, recipe.z_dim)) for _ in range(2)]
        before = [p.data.copy() for p in G.parameters() + D.parameters()]
        draws = iter(noise)
        trainer = GANTrainer(G, D, optim.SGD(G.parameters(), LR, momentum=MOMENTUM),
                             optim.SGD(D.parameters(), LR, momentum=MOMENTUM), recipe.z_dim,
                             noise_sampler=lambda m: next(draws))
        trainer.iteration(iter([real]))
        step = R.TorchGANStep(tG, tD, recipe.z_dim, LR, MOMENTUM)
        tdraws = iter(torch.from_numpy(z) for z in noise)
        step.noise_batch = lambda m: next(tdraws)
        step.iteration(torch.from_numpy(real))
        theirs = [p.detach().numpy() for p in list(tG.parameters()) + list(tD.parameters())]
        ours = [p.data for p in G.parameters() + D.parameters()]
        theirs = [t.T if t.ndim == 2 else t for t in theirs]
        updates = [float(np.abs(o - b).max()) for o, b in zip(ours, before)]
        floor = 0.01 * max(updates)  # a parameter with a ~0 update (a bias before BatchNorm) compares on this
        worst = max(float(np.abs(o - t).max()) / max(u, floor) for o, t, u in zip(ours, theirs, updates))
        passed = worst < 1e-6
        ok &= passed
        print(f"check {arch}: after one iteration from the same weights, data and noise, max over parameters "
              f"of |npgan − torch| / |update| = {worst:.1e} ({'ok' if passed else 'MISMATCH'})")
    return ok


# --- profile: where npgan's time goes -------------------------------------------------------------------------------

class Profiler:
    """Exclusive wall time per wrapped function (its own time minus that of wrapped callees).

    Wraps npgan's functional maths, its fused kernels, the losses, the layers' and Sequential's forward/
    backward, the optimizer, the trainer's steps and helpers (get_array_module, check_input, the cache
    bookkeeping). Work done inline in a wrapped function (xp.concatenate in the D step, say) counts as
    that function's own. The GEMMs inside linear_forward/linear_backward are timed again alone at the
    shapes seen, so the table splits those functions into GEMM and the rest.
    """

    def __init__(self):
        self.stats = defaultdict(lambda: [0, 0.0])  # name -> [calls, exclusive seconds]
        self.gemm_calls = defaultdict(int)  # (name, layout, M, K, N) -> calls
        self.stack = []
        self.active = False
        self._undo = []

    def _wrap(self, name, fn, gemm_hook=None):
        prof = self

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not prof.active:
                return fn(*args, **kwargs)
            prof.stack.append(0.0)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t
                child = prof.stack.pop()
                s = prof.stats[name]
                s[0] += 1
                s[1] += dt - child
                if prof.stack:
                    prof.stack[-1] += dt
                if gemm_hook is not None:
                    try:
                        for g in gemm_hook(*args, **kwargs):
                            prof.gemm_calls[(name,) + g] += 1
                    except Exception:  # a changed signature: no GEMM split for this function
                        pass

        wrapper.__wrapped_by_profiler__ = fn
        return wrapper

    def _replace_everywhere(self, original, wrapper):
        """Point every reference to `original` in npgan's modules and classes at `wrapper`."""
        for mod_name, mod in list(sys.modules.items()):
            if not (mod_name == "npgan" or mod_name.startswith("npgan.")) or mod is None:
                continue
            for attr, value in list(vars(mod).items()):
                if value is original:
                    self._set(mod, attr, wrapper)
                elif isinstance(value, type) and value.__module__.startswith("npgan"):
                    for cattr, cvalue in list(vars(value).items()):
                        if cvalue is original:
                            self._set(value, cattr, wrapper)
                        elif isinstance(cvalue, staticmethod) and cvalue.__func__ is original:
                            self._set(value, cattr, staticmethod(wrapper))

    def _set(self, owner, attr, value):
        self._undo.append((owner, attr, vars(owner)[attr]))
        setattr(owner, attr, value)

    def install(self):
        from npgan import backend as B
        from npgan import gan, kernels, optim
        from npgan.nn import activations, functional, layers, losses, module

        def linear_fwd_gemms(x, W, *rest, **kw):
            return [("NN", x.shape[0], W.shape[0], W.shape[1])]

        def linear_bwd_gemms(gy, cache, need_gx=True, need_gW=True, need_gb=True):
            x, W = cache[0], cache[1]
            out = []
            if need_gx:
                out.append(("NT", gy.shape[0], W.shape[1], W.shape[0]))
            if need_gW:
                out.append(("TN", x.shape[1], x.shape[0], gy.shape[1]))
            return out

        hooks = {"linear_forward": linear_fwd_gemms, "linear_backward": linear_bwd_gemms}
        targets = []
        for mod in (functional, losses):
            targets += [(f"{mod.__name__.split('.')[-1]}.{n}", f) for n, f in vars(mod).items()
                        if inspect.isfunction(f) and f.__module__ == mod.__name__]
        targets += [(f"kernels.{n}", k) for n, k in vars(kernels).items()
                    if isinstance(k, (kernels.Elementwise, kernels.ColumnSum))]
        targets += [("backend.get_array_module", B.get_array_module), ("layers.check_input", layers.check_input),
                    ("gan.sample_noise", gan.sample_noise)]
        for name, fn in targets:
            short = name.split(".")[-1]
            wrapper = self._wrap(name, fn, hooks.get(short))
            self._replace_everywhere(fn, wrapper)
        classes = [module.Parameter, module.Module, module.Sequential, optim.Optimizer, optim.SGD, optim.Adam,
                   gan.GANTrainer]
        classes += [c for m in (layers, activations) for c in vars(m).values()
                    if isinstance(c, type) and issubclass(c, module.Module) and c.__module__ == m.__name__]
        for cls in classes:
            for attr, value in list(vars(cls).items()):
                if inspect.isfunction(value) and (not attr.startswith("__") or attr == "__call__") \
                        and not getattr(value, "__wrapped_by_profiler__", None) \
                        and not inspect.isgeneratorfunction(value) and attr not in ("state_dict", "load_state_dict"):
                    self._set(cls, attr, self._wrap(f"{cls.__name__}.{attr}", value))

    def uninstall(self):
        for owner, attr, value in reversed(self._undo):
            setattr(owner, attr, value)
        self._undo = []


def profile(args):
    """Per-function exclusive time of npgan's iteration (NumPy backend; on CuPy the host-side time, i.e. the
    launch cost, since nothing syncs), at each batch size. Rounds of profiled iterations alternate with
    unprofiled ones; every figure is the median over rounds, so a burst of load on a shared machine moves
    one round, not the table."""
    import resource
    from npgan import backend as B
    from npgan import models, optim
    from npgan.gan import GANTrainer
    backend = (args.backend or ["numpy"])[0]
    xp = B.get_xp(backend)
    timing = timing_params(args)
    rounds = timing["repeats"]
    results = []
    for arch in args.arch or ["slides"]:
        for m in args.batch_sizes or [128, 1024]:
            B.manual_seed(0)
            recipe = models.recipe(arch)
            G, D = models.build(recipe)
            G.to(backend)
            D.to(backend)
            trainer = GANTrainer(G, D, optim.SGD(G.parameters(), LR, momentum=MOMENTUM),
                                 optim.SGD(D.parameters(), LR, momentum=MOMENTUM), recipe.z_dim, noise=recipe.noise)
            data = itertools.cycle([B.to_device(np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32),
                                                backend) for i in range(POOL)])
            sync = lambda: B.synchronize(xp)
            warm, n, *_ = time_blocks(lambda: trainer.iteration(data), sync, trainer.pop_records,
                                  **dict(timing, repeats=1))
            g_dims, d_dims, *_ = layer_dims(arch)
            gemms = iteration_gemms(g_dims, d_dims, m, trainer.concat_real_fake)
            prof = Profiler()
            prof.install()
            plain, profiled, faults, bound, per_round = [], [], [], [], []
            try:
                for _ in range(rounds):
                    for active, times in ((False, plain), (True, profiled)):
                        prof.active = active
                        before = {k: list(v) for k, v in prof.stats.items()}
                        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                        sync()
                        t = time.perf_counter()
                        for _ in range(n):
                            trainer.iteration(data)
                        sync()
                        times.append((time.perf_counter() - t) / n * 1e3)
                        prof.active = False
                        if not active:
                            faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / n)
                        else:
                            per_round.append({k: (v[1] - before.get(k, [0, 0.0])[1]) * 1e3 / n
                                              for k, v in prof.stats.items()})
                        trainer.pop_records()
                    bound.append(time_gemms(gemms, backend, 1))
            finally:
                prof.uninstall()
            total_calls = {k: v[0] / (n * rounds) for k, v in prof.stats.items()}
            gemm_alone = defaultdict(float)
            for (name, lay, M, K, N), calls in prof.gemm_calls.items():
                gemm_alone[name] += time_gemms([("", lay, M, K, N)], backend, rounds) * calls / (n * rounds)
            iteration_ms, wall, bound_ms = (statistics.median(x) for x in (plain, profiled, bound))
            rows = []
            for name in total_calls:
                ms = statistics.median(r.get(name, 0.0) for r in per_round)
                gemm = gemm_alone.get(name, 0.0)
                rows.append({"function": name, "calls_per_iter": total_calls[name], "ms": ms, "gemm_ms": gemm,
                             "non_gemm_ms": ms - gemm})
            rows.sort(key=lambda r: -r["non_gemm_ms"])
            non_gemm = sum(r["non_gemm_ms"] for r in rows)
            print(f"\n## profile: npgan {backend}, {arch}, batch {m}: {iteration_ms:.2f} ms/iter unprofiled "
                  f"(rounds {min(plain):.2f}–{max(plain):.2f}), {wall:.2f} profiled; all GEMMs alone {bound_ms:.2f} ms "
                  f"({bound_ms / iteration_ms:.0%}); iteration − GEMMs = {iteration_ms - bound_ms:.2f} ms; "
                  f"sum of the non-GEMM parts below {non_gemm:.2f} ms; minor page faults/iter "
                  f"{statistics.median(faults):.0f}\n")
            print("| function (exclusive time) | calls/iter | ms/iter | of which GEMM ms | non-GEMM ms | "
                  "non-GEMM % of iteration |\n|---|---|---|---|---|---|")
            for r in rows:
                if abs(r["non_gemm_ms"]) < 0.002 * wall:
                    continue
                print(f"| {r['function']} | {r['calls_per_iter']:.0f} | {r['ms']:.3f} | {r['gemm_ms']:.3f} | "
                      f"{r['non_gemm_ms']:.3f} | {r['non_gemm_ms'] / iteration_ms:.1%} |")
            results.append({"arch": arch, "batch": m, "backend": backend, "ms_per_iter": iteration_ms,
                            "ms_rounds": plain, "ms_profiled": wall, "gemm_ms": bound_ms,
                            "minor_faults_per_iter": statistics.median(faults), "functions": rows})
    return results


# --- main ---------------------------------------------------------------------------------------------------------

def timing_params(args):
    if args.quick:
        return {"warmup_iters": 2, "warmup_s": 0.1, "repeats": args.repeats or 3, "block_s": 0.05}
    return {"warmup_iters": 3, "warmup_s": 0.5, "repeats": args.repeats or 11, "block_s": 0.25}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", nargs="+", choices=ARCHS, help="default: slides paper")
    p.add_argument("--backend", nargs="+", choices=("numpy", "cupy"),
                   help="npgan backends (PyTorch follows: numpy -> CPU, cupy -> CUDA); default: numpy, and cupy "
                        "when a GPU is usable")
    p.add_argument("--batch-sizes", nargs="+", type=int,
                   help=f"default {' '.join(map(str, CPU_BATCHES))} (and 4096 on the GPU)")
    p.add_argument("--frameworks", nargs="+", choices=("npgan", "torch"), help="default: both")
    p.add_argument("--json", help="write the records here")
    p.add_argument("--markdown", help="write the machine description and the table here")
    p.add_argument("--plot", default=str(HERE / "img" / "scaling.png"),
                   help="the log-log scaling plot (default benchmarks/img/scaling.png; 'none' to skip)")
    p.add_argument("--quick", action="store_true", help="few repeats, short blocks: a smoke test")
    p.add_argument("--repeats", type=int, help="timed blocks per configuration (default 11; --quick 3)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both frameworks (default: all cores)")
    p.add_argument("--no-scaling", dest="scaling", action="store_false",
                   help=f"skip the hidden-width sweep (slides, batch {SCALING_BATCH})")
    p.add_argument("--hidden-sizes", nargs="+", type=int, default=list(HIDDEN_SIZES))
    p.add_argument("--unset-openblas-hints", action="store_true",
                   help="remove OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the children's environment")
    p.add_argument("--check", action="store_true", help="only check that npgan and the PyTorch reference agree")
    p.add_argument("--no-check", dest="precheck", action="store_false",
                   help="skip the agreement check that runs before the timings")
    p.add_argument("--profile", action="store_true",
                   help="per-function profile of npgan's iteration instead of the comparison")
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    if args.profile:
        results = profile(args)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return 0
    if args.check:
        return 0 if check(args.arch or ARCHS) else 1
    info = machine_info(args.threads, args.unset_openblas_hints)
    print("machine:", json.dumps(info))
    torch_ok, _, _ = torch_status()
    if args.precheck and torch_ok and (not args.frameworks or len(args.frameworks) == 2):
        if not check(args.arch or ARCHS):
            print("npgan and the PyTorch reference disagree: the timings compare different maths", file=sys.stderr)
            return 1
    groups, notes = plan(args)
    for note in notes:
        print(note)
    env = child_env(args.threads, args.unset_openblas_hints)
    timing = timing_params(args)
    records = []
    start = time.perf_counter()
    for group in groups:
        specs = [{"framework": framework, "backend": backend, "arch": arch, "batch": batch, "hidden": hidden,
                  "variant": variant, "threads": args.threads, "timing": timing}
                 for framework, backend, arch, batch, hidden, variant in group]
        for record in run_interleaved(specs, env, timing["repeats"]):
            records.append(record)
            variant = record.get("variant")
            tag = f"{record['framework']}-{variant}" if variant else record["framework"]
            print(f"  {tag:16s} {record['backend']:5s} {record['arch']:6s} h={record['hidden']:<4d} "
                  f"batch {record['batch']:5d}: {record['ms_per_iter']:9.2f} ms/iter "
                  f"[{record['ms_min']:.2f}–{record['ms_max']:.2f}]  GEMMs alone {record['gemm_ms']:8.2f} ms "
                  f"({record['gemm_share']:.0%})  peak {record['peak_mb']:.1f} MB", flush=True)
    attach_ratios(records)
    table = format_table(records)
    print(f"\n{table}\n\n({len(records)} configurations in {time.perf_counter() - start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1))
    if args.plot and args.plot != "none" and records:
        plot(records, args.plot)
        print(f"plot: {args.plot}")
    if args.markdown:
        Path(args.markdown).write_text(f"machine: {json.dumps(info)}\n\n{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
