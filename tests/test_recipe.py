"""Recipes are validated once, when made (a SettingError names the field and its range); build_trainer wires
the per-update and per-epoch schedules; the trainer's state check names what went non-finite."""
import math

import numpy as np
import pytest

from npgan import optim
from npgan.gan import NonFiniteLossError, NonFiniteStateError, presets
from npgan.settings import SettingError


@pytest.mark.parametrize("arch", presets.ARCHS)
def test_every_preset_is_valid_and_round_trips(arch):
    recipe = presets.recipe(arch)
    assert presets.Recipe.from_dict(recipe.to_dict()) == recipe


BAD = [("epochs", 0), ("epochs", -1), ("epochs", 2.5), ("epochs", True), ("batch_size", 0), ("k", 0),
       ("z_dim", 0), ("hidden", -3), ("train_images", 0), ("lr", 0.0), ("lr", -1.0), ("lr", math.nan),
       ("lr", math.inf), ("lr", "0.1"), ("momentum", -0.1), ("momentum", 1.0), ("betas", (1.5, 2.0)),
       ("betas", (0.5,)), ("lr_decay", 0.0), ("lr_decay", 0.99), ("min_lr", -1e-6), ("min_lr", 1.0),
       ("final_momentum", 1.0), ("momentum_saturate_epoch", 0), ("noise", "cauchy"), ("optimizer", "rmsprop"),
       ("loss", "wasserstein"), ("update", "random")]


@pytest.mark.parametrize("field, value", BAD, ids=[f"{f}={v!r}" for f, v in BAD])
def test_a_bad_field_is_refused_with_its_name(field, value):
    with pytest.raises(SettingError) as info:
        presets.recipe("slides", **{field: value})
    assert info.value.name == field and str(info.value).startswith(f"{field}: must be")


def test_unknown_arch_and_unknown_stored_fields():
    with pytest.raises(SettingError, match="arch: must be one of slides, paper, tutorial"):
        presets.recipe("dcgan")
    with pytest.raises(SettingError, match="colour"):
        presets.Recipe.from_dict({**presets.recipe("slides").to_dict(), "colour": "red"})


def test_build_trainer_wires_the_papers_schedules():
    trainer = presets.build_trainer(presets.recipe("paper", hidden=16))
    assert [type(s) for s in trainer.schedules] == [optim.ExponentialDecay] * 2
    assert [type(s) for s in trainer.epoch_schedules] == [optim.MomentumRamp] * 2
    trainer.begin_epoch(126)  # halfway from epoch 1 (0.5) to epoch 250 (0.7)
    assert trainer.opt_G.momentum == pytest.approx(0.5 + 0.2 * 125 / 249)
    for schedule in trainer.schedules:
        for _ in range(10):
            schedule.step()
    trainer.set_lr(0.05)  # a resumed run's new lr: both optimizers, and the decay restarts from it
    assert trainer.opt_G.lr == trainer.opt_D.lr == 0.05
    trainer.schedules[0].step()
    assert trainer.opt_D.lr == pytest.approx(0.05 / 1.000004)
    slides = presets.build_trainer(presets.recipe("slides", hidden=8, z_dim=4))
    assert slides.schedules == [] and slides.epoch_schedules == []
    assert isinstance(slides.opt_G, optim.Adam) and slides.opt_G.betas == (0.5, 0.999)


def _trained(backend="numpy"):
    trainer = presets.build_trainer(presets.recipe("tutorial", hidden=8, z_dim=4, batch_size=8), backend=backend)
    real = iter([trainer.xp.asarray(np.random.default_rng(0).random((8, 784), dtype=np.float32))] * 4)
    trainer.iteration(real)
    return trainer


def test_the_state_check_names_the_tensor_that_went_non_finite():
    trainer = _trained()
    trainer.opt_D.state[2]["exp_avg_sq"][0] = np.inf  # as Adam's second moments overflow at lr 1e6
    with pytest.raises(NonFiniteStateError, match=r"non-finite values by iteration 1 in opt_D/2.exp_avg_sq") as info:
        trainer.pop_records()
    assert info.value.names == ["opt_D/2.exp_avg_sq"] and info.value.iteration == 1
    trainer = _trained()
    trainer.G[2].weight.data[0, 0] = np.nan
    with pytest.raises(NonFiniteStateError, match="G/2.weight"):
        trainer.pop_records()
    trainer = _trained()
    trainer.G[2].weight.data[0, 0] = np.nan
    assert len(trainer.pop_records(check_state=False)) == 1  # the check can be skipped


def test_a_non_finite_loss_is_named_first():
    trainer = _trained()
    trainer._records = [(np.float32(1.0), np.float32(np.nan), np.float32(0.5), np.float32(0.5))]
    with pytest.raises(NonFiniteLossError, match="non-finite loss at iteration 1: D loss 1.0, G loss nan") as info:
        trainer.pop_records()
    assert info.value.names == ["g_loss"]
