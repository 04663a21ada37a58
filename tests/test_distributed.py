"""Data parallelism (npgan.distributed): P = 2 ranks under `mpiexec -n 2` compute what one process computes
at the same global batch; the pieces (communicator, sharding, flat-buffer averaging, SyncBatchNorm1d) are
also checked in-process with a fake two-rank communicator, without MPI."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mpi_worker
from npgan import backend as B
from npgan import distributed, nn, optim
from npgan.checkpoint import flatten, load_checkpoint
from npgan.data import Batches, synthetic_digits
from npgan.distributed import comm as comm_module
from npgan.gan import presets

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(mpi_worker.__file__).resolve()
MPIEXEC = next((str(p) for p in (Path(sys.executable).parent / "mpiexec",) if p.exists()), None) or shutil.which("mpiexec")
needs_mpi = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
                               reason='MPI tests need mpi4py and mpiexec: pip install -e ".[mpi]"')
ITERATIONS, LR = 6, {name: presets.recipe(name).lr for name in ("tutorial", "paper", "slides")}


# --- running the worker ---------------------------------------------------------------------------------------

def mpirun(out, *args, n=2, timeout=120):
    """`mpiexec -n 2 python tests/mpi_worker.py ...`; a failure shows both ranks' output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")  # two ranks on two cores
    cmd = [MPIEXEC, "-n", str(n), sys.executable, str(WORKER), *args, "--out", str(out)]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{' '.join(cmd)} did not finish in {timeout} s (a rank stuck in a collective?)\n"
                    f"{(error.stdout or b'')[-3000:]}\n{(error.stderr or b'')[-3000:]}")
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited with {done.returncode}\nstdout:\n{done.stdout[-3000:]}\n"
                    f"stderr:\n{done.stderr[-3000:]}")
    return out


def one_process(out, *args):
    """The same worker in this process, with the single-process communicator."""
    return mpi_worker.main([*args, "--out", str(out)], comm=distributed.SingleProcess())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The two-rank runs, launched once for the module (each takes about half a second)."""
    if importlib.util.find_spec("mpi4py") is None or MPIEXEC is None:
        pytest.skip('MPI tests need mpi4py and mpiexec: pip install -e ".[mpi]"')
    tmp = tmp_path_factory.mktemp("mpi")
    jobs = {
        "tutorial": ["train", "--preset", "tutorial"],
        "paper": ["train", "--preset", "paper", "--save-at", "3", "--checkpoint", str(tmp / "paper-mid.npz")],
        "slides-sync": ["train", "--preset", "slides", "--sync-bn"],
        "slides-sync-64": ["train", "--preset", "slides", "--sync-bn", "--dtype", "float64"],
        "slides-per-rank": ["train", "--preset", "slides"],
        "syncbn": ["syncbn"],
        "desync": ["train", "--preset", "tutorial", "--desync-at", "3"],
    }
    return {name: mpirun(tmp / f"{name}.out", *args) for name, args in jobs.items()} | {"tmp": tmp}


def flat_checkpoint(path):
    return flatten(load_checkpoint(path))


def compare(two, one, atol, rtol=1e-5, loose=(), loose_atol=None):
    """Every entry of two checkpoints equal: floats to the tolerance (`loose` keys to `loose_atol`), the
    rest exactly. Returns the largest absolute float difference and its key."""
    assert two.keys() == one.keys()
    worst = (0.0, None)
    for key in two:
        a, b = two[key], one[key]
        if key == "allreduce_calls":
            continue
        if a.dtype.kind != "f":
            assert np.array_equal(a, b), f"{key}: {a} != {b}"
            continue
        if a.size and float(np.abs(a - b).max()) > worst[0]:
            worst = (float(np.abs(a - b).max()), key)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=loose_atol if key in loose else atol, err_msg=key)
    return worst


def bn_cancelled_keys(G):
    """The bias of a Linear directly before a BatchNorm1d has gradient exactly 0 (the BatchNorm subtracts the
    batch mean); Adam divides that rounding noise by its own root mean square, so it moves by up to ~lr per
    step whatever the summation order. Those biases, and the running means they feed, get a loose bound."""
    layers = list(G)
    keys = []
    for i, (layer, after) in enumerate(zip(layers, layers[1:])):
        if isinstance(layer, nn.Linear) and isinstance(after, nn.BatchNorm1d):
            keys += [f"trainer/G/{i}.bias", f"trainer/G/{i + 1}.running_mean"]
    return keys


# --- P = 2 equals P = 1 ---------------------------------------------------------------------------------------

@needs_mpi
@pytest.mark.parametrize("preset", ["tutorial", "paper"])
def test_two_ranks_equal_one_process_without_batchnorm(runs, tmp_path, preset):
    one_process(tmp_path / "one.npz", "train", "--preset", preset)
    two, one = flat_checkpoint(runs[preset]), flat_checkpoint(tmp_path / "one.npz")
    compare(two, one, atol=1e-6)  # parameters, optimizer state, loader, generator states, logged means
    assert int(two["allreduce_calls"]) == 2 * ITERATIONS  # one per network per step, not one per parameter


@needs_mpi
def test_sync_bn_equals_one_process(runs, tmp_path):
    G, _ = mpi_worker.TINY["slides"](None)
    one_process(tmp_path / "one.npz", "train", "--preset", "slides")
    compare(flat_checkpoint(runs["slides-sync"]), flat_checkpoint(tmp_path / "one.npz"), atol=1e-6,
            loose=bn_cancelled_keys(G), loose_atol=2 * ITERATIONS * LR["slides"])
    one_process(tmp_path / "one64.npz", "train", "--preset", "slides", "--dtype", "float64")
    compare(flat_checkpoint(runs["slides-sync-64"]), flat_checkpoint(tmp_path / "one64.npz"), atol=1e-11,
            rtol=1e-9)  # in float64 the rounding noise is too small for Adam to amplify: every entry matches


@needs_mpi
def test_per_rank_bn_normalises_each_shard_on_its_own(runs, tmp_path):
    G, _ = mpi_worker.TINY["slides"](None)
    two = flat_checkpoint(runs["slides-per-rank"])
    one_process(tmp_path / "ghost.npz", "train", "--preset", "slides", "--ghost-bn", "2")
    compare(two, flat_checkpoint(tmp_path / "ghost.npz"), atol=1e-6, loose=bn_cancelled_keys(G),
            loose_atol=2 * ITERATIONS * LR["slides"])
    one_process(tmp_path / "global.npz", "train", "--preset", "slides")
    global_bn = flat_checkpoint(tmp_path / "global.npz")
    gap = max(np.abs(two[k] - global_bn[k]).max() for k in two if k.endswith("running_var"))
    assert gap > 1e-3, "per-rank statistics should differ from the global batch's"


@needs_mpi
def test_sync_batchnorm_layer_across_two_ranks(runs):
    report = json.loads(Path(runs["syncbn"]).read_text())
    assert report["calls_forward_backward"] == 2  # one allreduce forward, one backward
    for key in ("forward", "backward_x", "backward_params", "running"):
        assert report[key] < 1e-12, (key, report[key])  # float64, vs BatchNorm1d on the whole batch
    assert report["finite_differences"] < 1e-6, report  # central differences of the global loss


@needs_mpi
def test_desynchronised_rank_is_detected(runs):
    report = json.loads(Path(runs["desync"]).read_text())
    assert report["iteration"] == 4  # the first logging interval after rank 1 was perturbed at iteration 3
    assert "parameters of D differ" in report["error"] and "rank 1 has" in report["error"]


@needs_mpi
def test_two_rank_checkpoint_resumes_with_one_process(runs, tmp_path):
    one_process(tmp_path / "resumed.npz", "train", "--preset", "paper", "--resume", str(runs["tmp"] / "paper-mid.npz"))
    one_process(tmp_path / "straight.npz", "train", "--preset", "paper")
    resumed, straight = flat_checkpoint(tmp_path / "resumed.npz"), flat_checkpoint(tmp_path / "straight.npz")
    resumed.pop("records"), straight.pop("records")  # the resumed run logged only its last 3 iterations
    compare(resumed, straight, atol=1e-6)


# --- the pieces, in one process ---------------------------------------------------------------------------

class FakeTwoRanks(distributed.SingleProcess):
    """Rank 0 of 2 whose partner contributes `other(buffer)` to every sum and `other_obj` to allgather."""

    rank, size = 0, 2

    def __init__(self, other=lambda buffer: buffer.copy(), other_obj=None):
        super().__init__()
        self.other, self.other_obj = other, other_obj

    def allreduce_sum(self, buffer):
        self.calls["allreduce"] += 1
        buffer += self.other(buffer)
        return buffer

    def allgather(self, obj):
        return [obj, obj if self.other_obj is None else self.other_obj]


def test_launch_without_mpi4py_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(comm_module, "_WORLD", None)
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    with pytest.raises(distributed.DistributedSetupError) as info:
        distributed.world()
    assert 'pip install "npgan[mpi]"' in str(info.value) and "\n" not in str(info.value)


def test_plain_python_is_a_single_process(monkeypatch):
    monkeypatch.setattr(comm_module, "_WORLD", None)
    for var in comm_module.LAUNCHER_SIZE_VARS:
        monkeypatch.delenv(var, raising=False)
    comm = distributed.world()
    assert (comm.rank, comm.size) == (0, 1) and isinstance(comm, distributed.SingleProcess)
    assert distributed.launched_size({"OMPI_COMM_WORLD_SIZE": "4"}) == (4, "OMPI_COMM_WORLD_SIZE")


@pytest.mark.parametrize("on_device", [False, True])
def test_sharded_batches_are_slices_of_the_global_batch(backend, on_device):
    images, labels = synthetic_digits(30, seed=1)
    kwargs = dict(batch_size=6, backend=backend, rng=None, whole_dataset_on_device=on_device)
    B.manual_seed(9)
    unsharded = Batches(images, labels, **kwargs)
    whole = [tuple(B.to_cpu(a) for a in unsharded.next_batch()) for _ in range(7)]
    for rank in range(3):
        B.manual_seed(9)
        loader = Batches(images, labels, shard=(rank, 3), **kwargs)
        for x_all, y_all in whole:  # 7 batches: across an epoch boundary
            x, y = loader.next_batch()
            np.testing.assert_array_equal(B.to_cpu(x), x_all[2 * rank:2 * rank + 2])
            np.testing.assert_array_equal(B.to_cpu(y), y_all[2 * rank:2 * rank + 2])
    with pytest.raises(ValueError, match="divisible by the number of ranks 4"):
        Batches(images, batch_size=6, shard=(0, 4))


@pytest.mark.parametrize("blocks", [1, 2])
def test_sharded_draws_are_slices_of_one_process_draws(blocks):
    local, size, width = 3, 2, 5
    plain = np.random.default_rng(4).random((blocks * local * size, width), dtype=np.float32)
    expected = plain.reshape(blocks, local * size, width)
    for rank in range(size):
        draws = distributed.ShardedDraws(np.random.default_rng(4), rank, size, local)
        mine = draws.random((blocks * local, width), dtype=np.float32)
        np.testing.assert_array_equal(mine.reshape(blocks, local, width),
                                      expected[:, rank * local:(rank + 1) * local])
    other = distributed.ShardedDraws(np.random.default_rng(4), 1, size, local).random((4, width), dtype=np.float32)
    np.testing.assert_array_equal(other, np.random.default_rng(4).random((4, width), dtype=np.float32))


def small_net(backend="numpy"):
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(backend)


def test_distributed_optimizer_averages_one_flat_buffer(backend):
    net = small_net(backend)
    inner = optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
    k = len(net.parameters())  # the partner's gradients are 3 × ours; its flags are ours (it has them all)
    comm = FakeTwoRanks(other=lambda buf: np.concatenate([3.0 * buf[:-k], buf[-k:]]))
    opt = distributed.DistributedOptimizer(inner, comm, "net")
    before = [B.to_cpu(p.data).copy() for p in net.parameters()]
    x = B.to_device(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32), backend)
    net.backward(net(x) * 1.0, need_input_grad=False)
    grads = [B.to_cpu(p.grad).copy() for p in net.parameters()]
    opt.step()
    assert comm.calls["allreduce"] == 1
    for p, g, w in zip(net.parameters(), grads, before):  # mean of g and 3g is 2g; SGD's first step: w − lr·2g
        np.testing.assert_allclose(B.to_cpu(p.grad), 2.0 * g, rtol=1e-6)
        np.testing.assert_allclose(B.to_cpu(p.data), w - 0.5 * 2.0 * g, rtol=1e-5, atol=1e-7)
    opt.lr, opt.momentum = 0.25, 0.5  # written through to the wrapped optimizer (schedules rely on it)
    assert (inner.lr, inner.momentum, opt.steps, opt.params) == (0.25, 0.5, 1, inner.params)
    assert opt.state_dict().keys() == inner.state_dict().keys()


def test_gradient_on_some_ranks_only_is_an_error():
    net = small_net()
    flags_cleared = lambda buf: np.concatenate([buf[:-4], np.zeros(4, buf.dtype)])  # the partner has none
    opt = distributed.DistributedOptimizer(optim.SGD(net.parameters(), lr=0.1), FakeTwoRanks(flags_cleared), "D",
                                           [n for n, _ in net.named_parameters()])
    net.backward(net(np.ones((2, 3), np.float32)), need_input_grad=False)
    with pytest.raises(distributed.DesyncError, match="D: 0.weight has a gradient on 1 of 2 ranks"):
        opt.step()


def test_data_parallel_checks_the_batch_and_the_checksums():
    from npgan.gan import GANTrainer
    G, D = small_net(), nn.Sequential(nn.Linear(2, 1))
    make = lambda: GANTrainer(G, D, optim.SGD(G.parameters(), 0.1), optim.SGD(D.parameters(), 0.1), z_dim=3)
    with pytest.raises(ValueError, match="batch_size 7 must be divisible by the number of ranks 2"):
        distributed.DataParallel(make(), 7, comm=FakeTwoRanks())
    other = ({"G": distributed.checksum(G), "D": (1.0, 2.0)}, [], None)
    dp = distributed.DataParallel(make(), 8, comm=FakeTwoRanks(other_obj=other))
    try:
        with pytest.raises(distributed.DesyncError, match="parameters of D differ across ranks"):
            dp.pop_records()
    finally:
        dp.close()
    assert B._device_rng_wrapper is None


def test_sync_batchnorm_on_one_process_is_batchnorm(backend):
    """The synced formulas (float64 sums, Σx²/N − μ²) against BatchNorm1d's, forward and backward."""
    rng = np.random.default_rng(3)
    x = B.to_device(5.0 * rng.standard_normal((6, 4)) + 12.0, backend)
    gy = B.to_device(rng.standard_normal((6, 4)), backend)
    plain, synced = nn.BatchNorm1d(4).to(backend).double(), distributed.SyncBatchNorm1d(4).to(backend).double()
    gamma = B.to_device(rng.standard_normal(4) + 1.0, backend)
    for layer in (plain, synced):
        layer.weight.data[...] = gamma
    results = [(layer(x), layer.backward(gy), layer.weight.grad, layer.bias.grad, layer.running_var)
               for layer in (plain, synced)]
    for a, b in zip(*results):
        np.testing.assert_allclose(B.to_cpu(b), B.to_cpu(a), rtol=1e-10, atol=1e-12)


def test_convert_sync_batchnorm_keeps_parameters_and_keys():
    G = presets.slides_generator(z_dim=4, hidden=2)
    params, keys = G.parameters(), list(G.state_dict())
    distributed.convert_sync_batchnorm(G, distributed.SingleProcess())
    assert list(G.state_dict()) == keys and all(a is b for a, b in zip(G.parameters(), params))
    assert distributed.has_batchnorm(G, synced=True) and not distributed.has_batchnorm(G, synced=False)
