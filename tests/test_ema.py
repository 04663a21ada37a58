"""Generator averaging (npgan.gan.ema, --ema): the average after known updates equals the hand computation, on
every backend; a trainer updates it after every G step; the averaged G's BatchNorm statistics are
re-estimated through its weights; run checkpoints keep it
(layout npgan-run-3, run-1 and run-2 still read); load_generator returns it, or the raw G when asked; bad decays
are refused at the edge."""
import types

import numpy as np
import pytest

from npgan import backend as B
from npgan import gan, training
from npgan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from npgan.cli.mnist import main
from npgan.data import Batches
from npgan.gan import presets
from npgan.gan.ema import ema_update, standing_statistics
from npgan.settings import SettingError
from npgan.training import checkpoints

TINY = dict(z_dim=4, hidden=4, batch_size=8, epochs=1)


def test_ema_update_after_known_updates_equals_the_hand_computation(backend):
    rng = np.random.default_rng(0)
    thetas = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(4)]
    d = 0.75
    average = B.to_device(thetas[0].copy(), backend)
    for theta in thetas[1:]:
        ema_update(average, B.to_device(theta, backend), d)
    # θ̄₃ = d³θ₀ + d²(1 − d)θ₁ + d(1 − d)θ₂ + (1 − d)θ₃
    hand = d ** 3 * thetas[0] + d ** 2 * (1 - d) * thetas[1] + d * (1 - d) * thetas[2] + (1 - d) * thetas[3]
    got = B.to_cpu(average)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, hand, rtol=1e-6, atol=1e-6)


def _trainer(backend="numpy", ema=0.9):
    B.manual_seed(0)
    return presets.build_trainer(presets.recipe("slides", ema=ema, **TINY), backend=backend)


def _arrays(G):
    return [p.data for p in G.parameters()] + [a for _, _, _, a in G.named_buffers()]


def test_the_trainer_averages_the_parameters_after_every_g_step(backend):
    trainer = _trainer(backend)
    d = trainer.ema.decay
    params = lambda G: [p.data for p in G.parameters()]  # noqa: E731
    hand = [B.to_cpu(a).astype(np.float64) for a in params(trainer.G)]  # θ̄ starts at θ₀
    real = iter([B.to_device(np.random.default_rng(i).random((8, 784), dtype=np.float32), backend)
                 for i in range(3)])
    for _ in range(3):
        trainer.iteration(real)
        hand = [d * h + (1 - d) * B.to_cpu(a) for h, a in zip(hand, params(trainer.G))]
    assert trainer.ema.updates == trainer.g_updates == 3
    for h, a, live in zip(hand, params(trainer.ema.averaged), params(trainer.G)):
        assert B.get_array_module(a) is B.get_array_module(live)  # kept on the device
        np.testing.assert_allclose(B.to_cpu(a), h, rtol=1e-5, atol=1e-6)
    assert not np.allclose(B.to_cpu(params(trainer.ema.averaged)[0]), B.to_cpu(params(trainer.G)[0]))


def test_standing_statistics_are_the_mean_of_the_batch_statistics(backend):
    """BatchNorm of the averaged G: re-estimated through its weights; the first layer's by hand."""
    G = presets.slides_generator(4, 4).to(backend)
    bn = G[1]
    bn.running_mean[...] = 7.0  # stale statistics are replaced, not blended
    draws = [np.random.default_rng([9, i]).standard_normal((32, 4)).astype(np.float32) for i in range(3)]
    standing_statistics(G, lambda m, rng: draws.pop(0), batches=3, batch_size=32)
    assert not G.training and bn.momentum == 0.1
    W, b = B.to_cpu(G[0].weight.data), B.to_cpu(G[0].bias.data)
    outs = [z @ W + b for z in (np.random.default_rng([9, i]).standard_normal((32, 4)).astype(np.float32)
                                for i in range(3))]
    np.testing.assert_allclose(B.to_cpu(bn.running_mean), np.mean([o.mean(axis=0) for o in outs], axis=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B.to_cpu(bn.running_var), np.mean([o.var(axis=0, ddof=1) for o in outs], axis=0),
                               rtol=1e-4, atol=1e-6)


def test_the_average_is_a_separate_copy_that_is_never_trained():
    trainer = _trainer()
    assert trainer.ema.averaged is not trainer.G and not trainer.ema.averaged.training
    for avg, live in zip(_arrays(trainer.ema.averaged), _arrays(trainer.G)):
        assert avg is not live and not np.shares_memory(avg, live)


def _save(tmp_path, trainer, recipe, name="ck.npz"):
    loader = Batches(np.zeros((16, 784), np.float32), batch_size=8)
    return checkpoints.save_run_checkpoint(str(tmp_path / name), trainer, loader, recipe, 2, 0, seed=0)


def test_a_checkpoint_round_trip_keeps_the_average_and_load_generator_returns_it(tmp_path):
    recipe = presets.recipe("slides", ema=0.9, **TINY)
    trainer = _trainer()
    real = iter([np.random.default_rng(i).random((8, 784), dtype=np.float32) for i in range(2)])
    for _ in range(2):
        trainer.iteration(real)
    path = _save(tmp_path, trainer, recipe)
    state = load_checkpoint(path)
    assert state["layout"] == checkpoints.LAYOUT and float(state["ema"]["decay"]) == 0.9
    fresh = _trainer()
    loader = Batches(np.zeros((16, 784), np.float32), batch_size=8)
    checkpoints.load_run_checkpoint(path).restore(fresh, loader)
    assert fresh.ema.updates == 2
    for a, b in zip(_arrays(fresh.ema.averaged), _arrays(trainer.ema.averaged)):
        np.testing.assert_array_equal(a, b)
    G, _ = training.load_generator(path, "numpy")
    raw, _ = training.load_generator(path, "numpy", averaged=False)
    standing_statistics(trainer.ema.averaged, gan.recipe_noise(recipe))  # as load_generator does
    for a, b, c, e in zip(_arrays(G), _arrays(trainer.ema.averaged), _arrays(raw), _arrays(trainer.G)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(c, e)
    z = np.random.default_rng(5).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_array_equal(gan.sample(G, 6, z=z), gan.sample(trainer.ema.averaged, 6, z=z))


def test_a_run_without_averaging_has_no_average_to_load(tmp_path):
    recipe = presets.recipe("slides", ema=0, **TINY)
    path = _save(tmp_path, _trainer(ema=0), recipe)
    assert "ema" not in load_checkpoint(path) and training.load_generator(path)[1].ema is None
    with pytest.raises(CheckpointError, match="kept no generator average"):
        training.load_generator(path, averaged=True)


def test_layout_run_1_files_still_load_and_an_averaging_run_without_its_section_is_refused(tmp_path):
    recipe = presets.recipe("slides", ema=0, **TINY)
    path = _save(tmp_path, _trainer(ema=0), recipe)
    state = load_checkpoint(path)
    state["layout"] = "npgan-run-1"
    save_checkpoint(path, state)
    G, loaded = training.load_generator(path)
    assert loaded == recipe
    averaging = _save(tmp_path, _trainer(), presets.recipe("slides", ema=0.9, **TINY), name="avg.npz")
    state = load_checkpoint(averaging)
    del state["ema"]
    save_checkpoint(averaging, state)
    with pytest.raises(CheckpointError, match="no ema section"):
        training.load_generator(averaging)


@pytest.mark.parametrize("value", [1.0, 1.5, -0.1, float("nan")])
def test_a_decay_outside_zero_one_is_refused(value):
    with pytest.raises(SettingError, match="ema"):
        presets.recipe("slides", ema=value)


def test_decay_zero_means_off():
    assert presets.recipe("slides", ema=0.0).ema is None
    assert presets.build_trainer(presets.recipe("slides", ema=0.0, **TINY)).ema is None


def test_the_cli_refuses_a_bad_decay_with_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["--ema", "1", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert "argument --ema" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_a_data_parallel_run_refuses_the_conditional_model_not_averaging(tmp_path):
    """Averaging works under mpiexec (tests/test_distributed_run.py trains it on 2 ranks against 1 process);
    the conditional model is refused there, before anything is written."""
    comm = types.SimpleNamespace(size=2, rank=0)
    with pytest.raises(SettingError, match="conditional: runs in one process only"):
        training.train(presets.recipe("slides", ema=0.9, conditional=True, **TINY), np.zeros((16, 784), np.float32),
                  training.RunConfig(out=str(tmp_path / "x")), comm=comm)
    assert not (tmp_path / "x").exists()


def test_a_resume_may_switch_averaging_on_or_change_its_decay(tmp_path):
    """--ema on a resume: without a stored average it starts at the resumed weights; with one, the stored
    average continues under the new decay."""
    recipe = presets.recipe("slides", ema=0, **TINY)
    path = _save(tmp_path, _trainer(ema=0), recipe)
    saved = training.load_run_checkpoint(path)
    changed = training.apply_changes(saved, {"ema": 0.5})
    assert changed.ema == 0.5
    trainer = presets.build_trainer(changed)
    saved.restore(trainer, Batches(np.zeros((16, 784), np.float32), batch_size=8))
    for a, b in zip(_arrays(trainer.ema.averaged), _arrays(trainer.G)):
        np.testing.assert_array_equal(a, b)
    assert trainer.ema.updates == 0
    averaging = _save(tmp_path, _trainer(), presets.recipe("slides", ema=0.9, **TINY), name="avg.npz")
    stored = training.load_run_checkpoint(averaging)
    trainer = presets.build_trainer(training.apply_changes(stored, {"ema": 0.99}))
    stored.restore(trainer, Batches(np.zeros((16, 784), np.float32), batch_size=8))
    assert trainer.ema.decay == 0.99
    for a, b in zip(_arrays(trainer.ema.averaged), stored.state["ema"]["G"].values()):
        np.testing.assert_array_equal(a, b)


def test_averaging_never_changes_the_training_itself():
    """The raw G of a run with --ema is the run without it, bit for bit (so one run measures both)."""
    states = []
    for decay in (None, 0.9):
        trainer = _trainer(ema=decay)
        real = iter([np.random.default_rng(i).random((8, 784), dtype=np.float32) for i in range(3)])
        for _ in range(3):
            trainer.iteration(real)
        states.append([B.to_cpu(a) for _, a in trainer.state_tensors()])
    assert len(states[0]) == len(states[1])
    for a, b in zip(*states):
        np.testing.assert_array_equal(a, b)
