"""The benchmark's parts: the turn-taking protocol (workers in their own processes, blocks in turns, one
record each), the GEMM floor's list of products, the DeZero reference and the torch-gemms diagnostic.

Timings are never asserted (a test cannot time anything honestly on a shared 2-core runner); what is
checked is that the side-by-side run produces its records, survives a worker that fails, and that every
framework timed computes what npgan computes.
"""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_step  # noqa: E402
import gemm_floor  # noqa: E402
import harness  # noqa: E402


needs_dezero = pytest.mark.skipif(importlib.util.find_spec("dezero") is None,  # not imported: it needs shims
                                  reason="the DeZero row needs DeZero (pip install -e .[bench])")


def worker_spec(arch="slides", framework="npgan"):
    timing = {"warmup_iters": 1, "warmup_s": 0.0, "repeats": 3, "block_s": 0.01}
    return {"framework": framework, "backend": "numpy", "arch": arch, "batch": 8, "hidden": 16, "variant": None,
            "threads": 1, "timing": timing}


def test_workers_take_turns_and_each_returns_its_record(monkeypatch):
    monkeypatch.setattr(harness, "PAUSE_S", 0.0)
    env = harness.child_env(1, False)
    records = harness.run_interleaved([worker_spec(), worker_spec()], env, repeats=3, cmd=bench_step.WORKER,
                                      timeout=300)
    assert len(records) == 2
    for record in records:
        assert record["framework"] == "npgan" and record["arch"] == "slides" and record["batch"] == 8
        assert len(record["ms_blocks"]) == 3 and all(ms > 0 for ms in record["ms_blocks"])
        assert record["finite"] and record["gemm_ms"] > 0 and record["dtypes"] == ["float32"]


def test_a_failing_worker_is_reported_and_the_others_still_run(monkeypatch, capsys):
    monkeypatch.setattr(harness, "PAUSE_S", 0.0)
    env = harness.child_env(1, False)
    records = harness.run_interleaved([worker_spec(arch="no-such-arch"), worker_spec()], env, repeats=2,
                                      cmd=bench_step.WORKER, timeout=300)
    assert [r["arch"] for r in records] == ["slides"]
    error = capsys.readouterr().err
    assert "npgan/numpy no-such-arch batch 8 failed" in error and "arch: must be one of slides, paper, tutorial, got 'no-such-arch'" in error


def test_the_gemm_floor_lists_the_products_each_framework_performs():
    g, d = [(4, 8), (8, 3)], [(3, 5), (5, 1)]
    npgan = gemm_floor.iteration_gemms(g, d, m=2, concat=True)
    dezero = gemm_floor.iteration_gemms(g, d, m=2, concat=False, frozen_d=False, first_input_grads=True)
    layouts = lambda gemms: [layout for _, layout, *_ in gemms].count
    # forwards: G twice (2 layers), D over 2m rows once + D in G's step; DeZero: D over m rows twice
    assert layouts(npgan)("NN") == 2 + 2 + 2 + 2 and layouts(dezero)("NN") == 2 + 4 + 2 + 2
    # weight gradients: D in D's step, G in G's step; DeZero also D in G's step (it cannot freeze D)
    assert layouts(npgan)("TN") == 2 + 2 and layouts(dezero)("TN") == 4 + 2 + 2
    # input gradients: none into the data or the noise; DeZero computes them all
    assert layouts(npgan)("NT") == 1 + 2 + 1 and layouts(dezero)("NT") == 4 + 2 + 2
    assert gemm_floor.gemm_flops([("", "NN", 2, 3, 4)]) == 48


@needs_dezero
def test_dezero_computes_what_npgan_computes():
    """One slides iteration in DeZero (float64) from npgan's weights, data and noise gives npgan's parameters,
    in a child process: the NumPy-2 shims DeZero needs stay out of this one."""
    program = f"""
import sys
sys.path.insert(0, {str(BENCH)!r})
import dezero_reference as Z
worst, dtypes = Z.agreement("slides", batch=16, hidden=8)
print(worst, ",".join(dtypes))
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300,
                            env=harness.child_env(1, False))
    assert result.returncode == 0, result.stderr
    worst, dtypes = result.stdout.split()
    assert float(worst) < 1e-9 and dtypes == "float64"


@needs_dezero
def test_the_dezero_worker_runs_float32_with_the_shim(monkeypatch):
    monkeypatch.setattr(harness, "PAUSE_S", 0.0)
    records = harness.run_interleaved([worker_spec(framework="dezero")], harness.child_env(1, False), repeats=1,
                                      cmd=bench_step.WORKER, timeout=300)
    assert len(records) == 1 and records[0]["dtypes"] == ["float32"] and records[0]["variant"] == "float32"


def test_the_torch_gemms_diagnostic_computes_what_npgan_computes():
    """The diagnostic swaps only the BLAS: three iterations from one seed give the same parameters (to
    float32 rounding) with NumPy's GEMMs and with torch.mm's. Run in a child, as the patch is global."""
    pytest.importorskip("torch", reason="the diagnostic needs PyTorch (pip install -e .[bench])")
    program = f"""
import itertools, sys
import numpy as np
sys.path.insert(0, {str(BENCH)!r})
from torch_gemms import gemms_by_torch
from npgan import backend as B
from npgan import optim
from npgan.gan import GANTrainer, presets

def parameters_after_three_iterations():
    B.manual_seed(0)
    recipe = presets.recipe("slides", hidden=16)
    G, D = presets.build(recipe)
    sgd = lambda net: optim.SGD(net.parameters(), 0.1, momentum=0.5)
    trainer = GANTrainer(G, D, sgd(G), sgd(D), recipe.z_dim)
    data = itertools.cycle([np.random.default_rng(i).random((32, 784), dtype=np.float32) for i in range(2)])
    for _ in range(3):
        trainer.iteration(data)
    return [p.data.copy() for p in G.parameters() + D.parameters()]

ours = parameters_after_three_iterations()
gemms_by_torch(1)
theirs = parameters_after_three_iterations()
print(max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(ours, theirs)))
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300,
                            env=harness.child_env(1, False))
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip().splitlines()[-1]) < 1e-5


def test_the_profiler_wraps_only_its_listed_sites_and_puts_them_back():
    import profile_step
    from npgan.nn import functional as F
    from npgan.nn import layers
    before = (F.linear_forward, layers.Linear.__dict__["_backward"], layers.Linear.forward)
    prof = profile_step.Profiler()
    prof.install()
    try:
        assert F.linear_forward is not before[0] and layers.Linear.forward is not before[2]
        assert isinstance(layers.Linear.__dict__["_backward"], staticmethod)
        assert layers.Linear.__dict__["_backward"].__func__ is F.linear_backward  # one wrapper per function
    finally:
        prof.uninstall()
    assert (F.linear_forward, layers.Linear.__dict__["_backward"], layers.Linear.forward) == before


@pytest.mark.parametrize("flag", ["--batch-sizes", "--repeats", "--threads", "--hidden-sizes"])
def test_a_count_flag_below_one_is_one_clear_line(flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        bench_step.parse_args([flag, "0"])
    assert exit_.value.code == 2
    assert f"argument {flag}: expected an integer >= 1, got 0" in capsys.readouterr().err
