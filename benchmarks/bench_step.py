"""Time one Algorithm-1 iteration of npgan, of the same GAN in PyTorch and (slides) in DeZero, side by side.

    python benchmarks/bench_step.py                      # everything available: numpy (+ cupy on a GPU),
                                                         # PyTorch CPU (+ CUDA), DeZero (slides, CPU)
    python benchmarks/bench_step.py --arch slides --backend numpy --batch-sizes 128 1024 --json out.json
    python benchmarks/bench_step.py --quick              # few repeats: a smoke test
    python benchmarks/bench_step.py --profile --arch slides --batch-sizes 128 1024
                                                         # where npgan's time goes, function by function
    python benchmarks/bench_step.py --check              # npgan, PyTorch and DeZero compute the same update?

The parts: step_workers.py (one framework, one configuration, one process: the iteration and its record),
harness.py (blocks, turn-taking between the workers, peak memory), gemm_floor.py (the iteration's GEMMs
alone), report.py (ratios, table, plot), profile_step.py (--profile), torch_gemms.py (the diagnostic row
where npgan multiplies with torch.mm), dezero_reference.py; the PyTorch reference is
npgan.testing.torch_reference, shared with tests/test_vs_torch.py. benchmarks/README.md explains the
method and every field.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # npgan from this checkout, even when not installed

from harness import child_env, positive_int, run_interleaved  # noqa: E402
from report import (ARCHS, SCALING_BATCH, attach_ratios, default_hidden, format_table, gpu_status,  # noqa: E402
                    machine_info, plot)
from step_workers import IMAGE_DIM, LR, MOMENTUM  # noqa: E402

CPU_BATCHES = (64, 128, 256, 1024)
GPU_BATCHES = CPU_BATCHES + (4096,)
HIDDEN_SIZES = (32, 64, 128, 256, 512)  # the slides arch's hidden width, for the scaling plot
FRAMEWORKS = ("npgan", "torch", "dezero")
WORKER = [sys.executable, str(HERE / "step_workers.py")]


def torch_status():
    """(torch importable?, CUDA usable?, why not)"""
    try:
        import torch
    except Exception as error:
        return False, False, f"PyTorch not importable ({type(error).__name__}: {error}); pip install -e .[bench]"
    cuda = torch.cuda.is_available()
    return True, cuda, None if cuda else "PyTorch sees no CUDA device"


def dezero_status():
    """(dezero installed?, why not). Not imported here: its NumPy-2 shims stay in its own worker."""
    if importlib.util.find_spec("dezero") is None:
        return False, "DeZero not installed; pip install -e .[bench]"
    return True, None


def plan(args):
    """The configurations to run: (framework, backend, arch, batch, hidden, variant)."""
    gpu_ok, gpu_why = gpu_status()
    torch_ok, cuda_ok, torch_why = torch_status()
    dezero_ok, dezero_why = dezero_status()
    if args.frameworks and "torch" not in args.frameworks:
        torch_ok = False
    if args.frameworks and "dezero" not in args.frameworks:
        dezero_ok, dezero_why = False, None
    backends = args.backend or (["numpy", "cupy"] if gpu_ok else ["numpy"])
    notes = []
    if "cupy" in backends and not gpu_ok:
        notes.append(f"skipped backend cupy: {gpu_why}")
        backends = [b for b in backends if b != "cupy"]
    if not torch_ok:
        notes.append(f"skipped PyTorch: {torch_why or 'not asked for'}")
    elif "cupy" in backends and not cuda_ok:
        notes.append(f"skipped PyTorch CUDA: {torch_why}")
    if not dezero_ok:
        notes.append(f"skipped DeZero: {dezero_why or 'not asked for'}")
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
        if dezero_ok and backend == "numpy" and arch == "slides" and not scaling:
            pair.append(("dezero", backend, arch, batch, hidden, "as-shipped" if args.dezero_as_shipped else None))
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


def check(archs, batch=64, torch=True, dezero=True):
    """npgan against the PyTorch reference (npgan.testing.torch_reference.agreement, the function
    tests/test_vs_torch.py checks with): one iteration from the same weights, data and noise, in float64 (so
    round-off cannot hide a difference in the maths), dropout off (masks cannot be shared); then DeZero's
    slides iteration the same way, in its own process. True when every check passes."""
    from npgan import backend as B
    from npgan import nn
    from npgan.gan import presets
    ok = True
    if torch and torch_status()[0]:
        from npgan.testing import torch_reference as R
        for arch in archs:
            B.manual_seed(1)
            recipe = presets.recipe(arch)
            G, D = (net.double() for net in presets.build(recipe))
            for mod in D.modules():
                if isinstance(mod, nn.Dropout):
                    mod.p = 0.0
            rng = np.random.default_rng(0)
            real = rng.random((batch, IMAGE_DIM))
            noises = [rng.standard_normal((batch, recipe.z_dim)) for _ in range(2)]
            worst = R.agreement(G, D, real, noises, "sgd", lr=LR, momentum=MOMENTUM)
            ok &= worst < 1e-6
            print(f"check {arch}: after one iteration from the same weights, data and noise, max over parameters "
                  f"of |npgan − torch| / |update| = {worst:.1e} ({'ok' if worst < 1e-6 else 'MISMATCH'})")
    if dezero and "slides" in archs and dezero_status()[0]:
        dezero_check = subprocess.run([sys.executable, str(HERE / "dezero_reference.py")], env=child_env(1, False))
        ok &= dezero_check.returncode == 0
    return ok


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
    p.add_argument("--batch-sizes", nargs="+", type=positive_int,
                   help=f"default {' '.join(map(str, CPU_BATCHES))} (and 4096 on the GPU)")
    p.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS, help="default: all that import")
    p.add_argument("--dezero-as-shipped", action="store_true",
                   help="time DeZero without the float32 shim (under NumPy 2 its backward drifts to float64)")
    p.add_argument("--json", help="write the records here")
    p.add_argument("--markdown", help="write the machine description and the table here")
    p.add_argument("--plot", default=str(HERE / "img" / "scaling.png"),
                   help="the log-log scaling plot (default benchmarks/img/scaling.png; 'none' to skip)")
    p.add_argument("--quick", action="store_true", help="few repeats, short blocks: a smoke test")
    p.add_argument("--repeats", type=positive_int, help="timed blocks per configuration (default 11; --quick 3)")
    p.add_argument("--threads", type=positive_int, default=os.cpu_count(),
                   help="threads for every framework (default: all cores)")
    p.add_argument("--no-scaling", dest="scaling", action="store_false",
                   help=f"skip the hidden-width sweep (slides, batch {SCALING_BATCH})")
    p.add_argument("--hidden-sizes", nargs="+", type=positive_int, default=list(HIDDEN_SIZES))
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
    if args.child:  # the worker used to live here; kept for old command lines
        from step_workers import child_main
        return child_main(json.loads(args.child))
    if args.profile:
        from profile_step import profile
        results = profile(args, timing_params(args))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return 0
    if args.check:
        return 0 if check(args.arch or ARCHS) else 1
    info = machine_info(args.threads, args.unset_openblas_hints)
    print("machine:", json.dumps(info))
    compared = [f for f in (args.frameworks or FRAMEWORKS) if f != "npgan"]
    if args.precheck and (not args.frameworks or "npgan" in args.frameworks) and compared:
        if not check(args.arch or ARCHS, torch="torch" in compared, dezero="dezero" in compared):
            print("npgan and a reference (PyTorch, DeZero) disagree: the timings compare different maths",
                  file=sys.stderr)
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
        for record in run_interleaved(specs, env, timing["repeats"], WORKER):
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
