"""The gradient-flow monitor: its norms are the host's norms of the gradients the trainer leaves, one
logging interval costs one device→host transfer, and saturated fractions count what the docstring says."""
import numpy as np
import pytest

import npgan
from npgan import backend as B
from npgan import nn, optim
from npgan.data import Batches
from npgan.gan import GANTrainer, presets
from npgan.testing import strict
from npgan.training.monitor import GradientFlowMonitor


def small_trainer(backend, arch="slides", loss="non-saturating"):
    npgan.manual_seed(0)
    recipe = presets.recipe(arch, z_dim=8, hidden=16)
    G, D = presets.build(recipe)
    G.to(backend)
    D.to(backend)
    trainer = GANTrainer(G, D, optim.Adam(G.parameters(), 1e-3), optim.Adam(D.parameters(), 1e-3), z_dim=8,
                         noise=recipe.noise, loss=loss)
    images = np.random.default_rng(1).random((128, 784), dtype=np.float32)
    batches = Batches(images, batch_size=32, backend=backend, whole_dataset_on_device=False)
    return trainer, (batches.next_batch() for _ in range(1000))


def host_norm(*arrays):
    return float(np.sqrt(sum(np.sum(B.to_cpu(a).astype(np.float64) ** 2) for a in arrays if a is not None)))


@pytest.mark.parametrize("arch", ["slides", "paper"])
def test_norms_equal_a_host_computation_of_the_gradients_each_step_left(backend, arch):
    trainer, stream = small_trainer(backend, arch)
    monitor = GradientFlowMonitor(trainer.G, trainer.D)
    d_grads_after_d_step = {}
    d_step = trainer.discriminator_step

    def recording_d_step(real):  # snapshot D's gradients as its own step leaves them
        result = d_step(real)
        d_grads_after_d_step.update({name: B.to_cpu(p.grad).copy() for name, p in trainer.D.named_parameters()})
        return result

    trainer.discriminator_step = recording_d_step
    expected = []
    for _ in range(3):
        trainer.iteration(stream)
        monitor.observe(trainer)
        want = {}
        for net, model in (("G", trainer.G), ("D", trainer.D)):
            grads = {name: B.to_cpu(p.grad) for name, p in model.named_parameters()}
            if net == "D":  # G's step froze D: D's gradients are still those of its own step
                for name, g in grads.items():
                    np.testing.assert_array_equal(g, d_grads_after_d_step[name])
            want[f"{net}.grad_norm"] = host_norm(*grads.values())
            for name, module in model.named_modules():
                if module._parameters:
                    want[f"{net}.{name}.grad_norm"] = host_norm(*(p.grad for p in module._parameters.values()))
        expected.append(want)
    rows = monitor.pop_rows()
    assert [r["iteration"] for r in rows] == [1, 2, 3]
    for row, want in zip(rows, expected):
        assert set(want) <= set(row)
        for key, value in want.items():
            assert value > 0
            assert row[key] == pytest.approx(value, rel=1e-5), key
    assert list(rows[0]) == monitor.fieldnames()


def test_observing_moves_nothing_and_one_pop_is_one_transfer():
    trainer, stream = small_trainer("strict", "paper")
    monitor = GradientFlowMonitor(trainer.G, trainer.D)
    for _ in range(2):  # warm up: optimizer state is created on the first steps
        trainer.iteration(stream)
        monitor.observe(trainer)
    monitor.pop_rows()
    trainer.pop_records()
    with strict.count_transfers() as t:
        for _ in range(4):
            trainer.iteration(stream)
            monitor.observe(trainer)
    assert (t.to_host_calls, t.to_host_bytes) == (0, 0), t
    assert t.to_device_calls == 4, t  # the four real minibatches, nothing else
    with strict.count_transfers() as t:
        rows = monitor.pop_rows()
    assert len(rows) == 4 and (t.to_host_calls, t.to_device_calls) == (1, 0), t
    assert t.to_host_bytes == 4 * (len(monitor.fieldnames()) - 1) * 4
    assert monitor.pop_rows() == []


def hand_made_net(backend):
    """x → ReLU → Linear(identity, bias (0, 0, 0, −5)) → Sigmoid, to count saturated units by hand."""
    lin1, lin2 = nn.Linear(4, 4), nn.Linear(4, 4)
    for lin, bias in ((lin1, [0, 0, 0, 0]), (lin2, [0, 0, 0, -5])):
        lin.weight.data[...] = np.eye(4, dtype=np.float32)
        lin.bias.data[...] = np.asarray(bias, np.float32)
    return nn.Sequential(lin1, nn.ReLU(), lin2, nn.Sigmoid()).to(backend)


def test_saturated_fractions_on_a_hand_made_input(backend):
    G, D = hand_made_net(backend), nn.Sequential(nn.Linear(4, 1)).to(backend)
    monitor = GradientFlowMonitor(G, D)
    assert monitor.fieldnames()[-2:] == ["G.1.saturated", "G.3.saturated"]
    x = np.array([[-1, 0.5, 2, -3], [1, -2, 3, 0.001]], np.float32)
    # ReLU: zeros at (0, 0), (0, 3), (1, 1): 3/8. Sigmoid of (relu + bias): sigma(6)... none above 0.99,
    # column 3 is sigma(0 − 5) = 0.0067 and sigma(0.001 − 5) < 0.01: 2/8.
    G(B.to_device(x, backend))
    monitor.observe(iteration=1)
    # Two forwards: the second all saturated in the ReLU (x < 0) and in column 3 only in the Sigmoid;
    # a no_grad forward in between is not counted.
    with npgan.no_grad():
        G(B.to_device(np.full((2, 4), 9.0, np.float32), backend))
    G(B.to_device(x, backend))
    G(B.to_device(-np.ones((2, 4), np.float32), backend))
    monitor.observe(iteration=2)
    monitor.observe(iteration=3)  # no forward since the last observe
    rows = monitor.pop_rows()
    assert (rows[0]["G.1.saturated"], rows[0]["G.3.saturated"]) == (3 / 8, 2 / 8)
    assert (rows[1]["G.1.saturated"], rows[1]["G.3.saturated"]) == ((3 / 8 + 1) / 2, (2 / 8 + 2 / 8) / 2)
    assert np.isnan(rows[2]["G.1.saturated"]) and np.isnan(rows[2]["G.3.saturated"])
    assert rows[0]["G.grad_norm"] == 0.0  # no backward yet: no gradient reads 0
    monitor.close()
    G(B.to_device(x, backend))
    monitor.observe(iteration=4)
    assert np.isnan(monitor.pop_rows()[0]["G.1.saturated"])


def test_sigmoid_saturation_thresholds_are_strict():
    G, D = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), nn.Sequential(nn.Linear(2, 1))
    G[0].weight.data[...] = np.eye(2, dtype=np.float32)
    G[0].bias.data[...] = 0.0
    monitor = GradientFlowMonitor(G, D)
    logit = lambda p: float(np.log(p) - np.log1p(-p))
    G(np.array([[logit(0.005), logit(0.995)], [logit(0.02), logit(0.98)]], np.float32))
    monitor.observe(iteration=1)
    assert monitor.pop_rows()[0]["G.1.saturated"] == 0.5


def test_forward_hooks_cost_nothing_unless_registered_and_can_be_removed():
    layer = nn.ReLU()
    layer(np.ones((2, 2), np.float32))
    assert "_forward_hooks" not in vars(layer)  # the class's empty tuple: one truth test per forward
    seen = []
    handle = layer.register_forward_hook(lambda module, x, y: seen.append((module, x.shape, float(y.sum()))))
    layer(-np.ones((2, 3), np.float32))
    with npgan.no_grad():
        layer(np.ones((2, 3), np.float32))  # evaluation forwards are not shown to hooks
    handle.remove()
    layer(np.ones((2, 3), np.float32))
    assert seen == [(layer, (2, 3), 0.0)]


def test_monitor_rows_plot_to_png(tmp_path):
    pytest.importorskip("matplotlib")
    from npgan import viz
    runs = {}
    for loss in ("minimax", "non-saturating"):
        trainer, stream = small_trainer("numpy", "tutorial", loss)
        monitor = GradientFlowMonitor(trainer.G, trainer.D)
        for _ in range(5):
            trainer.iteration(stream)
            monitor.observe(trainer)
        runs[loss] = monitor.pop_rows()
    for loss, rows in runs.items():
        path = viz.plot_gradient_flow(rows, str(tmp_path / f"{loss}.png"), window=2)
        assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
