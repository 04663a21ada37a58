"""The benchmark's turn-taking protocol: workers in their own processes, blocks in turns, one record each.

Timings are never asserted (a test cannot time anything honestly on a shared 2-core runner); what is
checked is that the side-by-side run produces its records and survives a worker that fails.
"""
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_step.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_step", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_step"] = module
    spec.loader.exec_module(module)
    return module


def worker_spec(bench, arch="slides"):
    timing = {"warmup_iters": 1, "warmup_s": 0.0, "repeats": 3, "block_s": 0.01}
    return {"framework": "npgan", "backend": "numpy", "arch": arch, "batch": 8, "hidden": 16, "variant": None,
            "threads": 1, "timing": timing}


def test_workers_take_turns_and_each_returns_its_record(bench, monkeypatch):
    monkeypatch.setattr(bench, "PAUSE_S", 0.0)
    env = bench.child_env(1, False)
    records = bench.run_interleaved([worker_spec(bench), worker_spec(bench)], env, repeats=3, timeout=300)
    assert len(records) == 2
    for record in records:
        assert record["framework"] == "npgan" and record["arch"] == "slides" and record["batch"] == 8
        assert len(record["ms_blocks"]) == 3 and all(ms > 0 for ms in record["ms_blocks"])
        assert record["finite"] and record["gemm_ms"] > 0


def test_a_failing_worker_is_reported_and_the_others_still_run(bench, monkeypatch, capsys):
    monkeypatch.setattr(bench, "PAUSE_S", 0.0)
    env = bench.child_env(1, False)
    records = bench.run_interleaved([worker_spec(bench, arch="no-such-arch"), worker_spec(bench)], env,
                                    repeats=2, timeout=300)
    assert [r["arch"] for r in records] == ["slides"]
    error = capsys.readouterr().err
    assert "npgan/numpy no-such-arch batch 8 failed" in error and "arch: must be one of slides, paper, tutorial, got 'no-such-arch'" in error


def test_the_torch_gemms_diagnostic_computes_what_npgan_computes():
    """The diagnostic swaps only the BLAS: three iterations from one seed give the same parameters (to
    float32 rounding) with NumPy's GEMMs and with torch.mm's. Run in a child, as the patch is global."""
    pytest.importorskip("torch", reason="the diagnostic needs PyTorch (pip install -e .[bench])")
    import subprocess
    program = f"""
import itertools, sys
import numpy as np
sys.path.insert(0, {str(BENCH.parent)!r})
import bench_step
from npgan import backend as B, models, optim
from npgan.gan import GANTrainer

def parameters_after_three_iterations():
    B.manual_seed(0)
    recipe = models.recipe("slides", hidden=16)
    G, D = models.build(recipe)
    sgd = lambda net: optim.SGD(net.parameters(), 0.1, momentum=0.5)
    trainer = GANTrainer(G, D, sgd(G), sgd(D), recipe.z_dim)
    data = itertools.cycle([np.random.default_rng(i).random((32, 784), dtype=np.float32) for i in range(2)])
    for _ in range(3):
        trainer.iteration(data)
    return [p.data.copy() for p in G.parameters() + D.parameters()]

ours = parameters_after_three_iterations()
bench_step.gemms_by_torch(1)
theirs = parameters_after_three_iterations()
print(max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(ours, theirs)))
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip().splitlines()[-1]) < 1e-5
