"""Checkpoints: a nested round trip without pickle, atomic writes, clear errors for bad files, and model +
optimizer + RNG state restored into the same architecture (and refused by a different one)."""
import os

import numpy as np
import pytest

import npgan
from npgan import backend as B
from npgan import nn, optim
from npgan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def test_nested_round_trip(tmp_path):
    state = {"G": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "1.running_var": np.ones(3)},
             "opt": {"state": {"0": {"t": 7, "exp_avg": np.zeros((2, 3), np.float32)}}, "betas": (0.5, 0.999)},
             "step": 12, "lr": 0.05, "name": "slides", "flag": True, "labels": np.array([3, 1, 4], np.int64),
             "shape": (28, 28), "words": ["a", "bc"]}
    path = str(tmp_path / "c.npz")
    assert save_checkpoint(path, state) == path
    back = load_checkpoint(path)
    assert sorted(back) == sorted(state)
    np.testing.assert_array_equal(back["G"]["0.weight"], state["G"]["0.weight"])
    assert back["G"]["0.weight"].dtype == np.float32 and back["G"]["1.running_var"].dtype == np.float64
    assert back["opt"]["state"]["0"]["t"] == 7 and type(back["opt"]["state"]["0"]["t"]) is int
    assert back["opt"]["state"]["0"]["exp_avg"].shape == (2, 3)
    assert back["step"] == 12 and type(back["step"]) is int
    assert back["lr"] == 0.05 and type(back["lr"]) is float
    assert back["name"] == "slides" and type(back["name"]) is str
    assert back["flag"] is True
    np.testing.assert_array_equal(back["labels"], [3, 1, 4])
    # tuples and lists come back as arrays (a checkpoint stores arrays, not Python containers)
    np.testing.assert_array_equal(back["opt"]["betas"], [0.5, 0.999])
    assert tuple(back["shape"]) == (28, 28) and list(back["words"]) == ["a", "bc"]


def test_loading_never_unpickles(tmp_path, monkeypatch):
    path = str(tmp_path / "evil.npz")
    np.savez(path, __format__=np.asarray("npgan-checkpoint-1"), payload=np.array([object()], dtype=object))
    with pytest.raises(CheckpointError, match="evil.npz.*(corrupt|pickle)"):
        load_checkpoint(path)
    seen = []
    original = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: seen.append(k) or original(*a, **k))
    save_checkpoint(str(tmp_path / "ok.npz"), {"x": np.zeros(2)})
    load_checkpoint(str(tmp_path / "ok.npz"))
    assert seen == [{"allow_pickle": False}]


@pytest.mark.parametrize("value", [np.array([object()], dtype=object), None, [1, "a", None], {"nested": None}])
def test_a_value_that_needs_pickle_is_refused_when_saving(tmp_path, value):
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, {"step": 1})
    with pytest.raises(TypeError, match="needs pickle"):
        save_checkpoint(path, {"step": 2, "bad": value})
    assert load_checkpoint(path) == {"step": 1} and os.listdir(tmp_path) == ["c.npz"]


def test_keys_may_not_contain_the_separator(tmp_path):
    with pytest.raises(ValueError, match="may not contain '/'"):
        save_checkpoint(str(tmp_path / "c.npz"), {"a/b": 1})


def test_a_crash_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / "latest.npz")
    save_checkpoint(path, {"step": 1, "w": np.ones(100, np.float32)})
    original = np.savez

    def crash_half_way(file, **arrays):  # write part of the archive, then die
        original(file, **{k: v for k, v in list(arrays.items())[:1]})
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"step": 2, "w": np.zeros(100, np.float32)})
    monkeypatch.setattr(np, "savez", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"step": 3})
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(str(tmp_path / "new.npz"), {"step": 3})
    monkeypatch.undo()
    back = load_checkpoint(path)
    assert back["step"] == 1 and np.all(back["w"] == 1.0)
    assert os.listdir(tmp_path) == ["latest.npz"]  # no temporary file left behind, no half-written new one


def test_overwriting_replaces_the_whole_checkpoint(tmp_path):
    path = str(tmp_path / "latest.npz")
    save_checkpoint(path, {"step": 1, "old": 5})
    save_checkpoint(path, {"step": 2})
    assert load_checkpoint(path) == {"step": 2}
    save_checkpoint(str(tmp_path / "sub" / "dir" / "c.npz"), {"step": 3})  # folders are made
    assert load_checkpoint(str(tmp_path / "sub" / "dir" / "c.npz")) == {"step": 3}


def test_corrupt_truncated_and_foreign_files_are_named(tmp_path):
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, {"x": np.zeros(1000)})
    data = open(path, "rb").read()
    broken = {"truncated.npz": data[: len(data) // 2], "empty.npz": b"", "garbage.npz": b"not a zip file" * 10,
              "flipped.npz": data[:200] + b"\xff" * 100 + data[300:]}
    for name, content in broken.items():
        bad = str(tmp_path / name)
        open(bad, "wb").write(content)
        with pytest.raises(CheckpointError, match=rf"{name}.*corrupt"):
            load_checkpoint(bad)
    with pytest.raises(CheckpointError, match=r"missing.npz.*does not exist"):
        load_checkpoint(str(tmp_path / "missing.npz"))
    foreign = str(tmp_path / "foreign.npz")
    np.savez(foreign, x=np.zeros(2))
    with pytest.raises(CheckpointError, match="foreign.npz.*not an npgan checkpoint"):
        load_checkpoint(foreign)


def small_net():
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 1))


def train_step(net, opt, x):
    net.zero_grad()
    y = net(x)
    net.backward(np.ones_like(y) / len(y), need_input_grad=False)
    opt.step()


def test_model_optimizer_and_rng_round_trip(tmp_path):
    npgan.manual_seed(3)
    net = small_net()
    opt = optim.Adam(net.parameters(), 1e-2, betas=(0.5, 0.999))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    train_step(net, opt, x)
    B.get_rng("numpy").random(5)  # the device stream has moved on from its seed
    path = save_checkpoint(str(tmp_path / "m.npz"), {"model": net.state_dict(), "opt": opt.state_dict(),
                                                     "rng": B.rng_state(), "step": 1})
    train_step(net, opt, x)
    noise = B.get_rng("numpy").standard_normal(3, dtype=np.float32)

    npgan.manual_seed(99)
    state = load_checkpoint(path)
    twin = small_net()
    twin.load_state_dict(state["model"])
    twin_opt = optim.Adam(twin.parameters())
    twin_opt.load_state_dict(state["opt"])
    B.set_rng_state(state["rng"])
    assert state["step"] == 1 and twin_opt.betas == (0.5, 0.999) and twin_opt.lr == 1e-2
    train_step(twin, twin_opt, x)
    for key, value in net.state_dict().items():  # the second step, bit for bit
        np.testing.assert_array_equal(twin.state_dict()[key], value, err_msg=key)
    np.testing.assert_array_equal(B.get_rng("numpy").standard_normal(3, dtype=np.float32), noise)


def test_loading_into_a_different_architecture_lists_the_keys(tmp_path):
    path = save_checkpoint(str(tmp_path / "m.npz"), {"model": small_net().state_dict()})
    other = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 1))
    with pytest.raises(nn.StateDictMismatch) as error:
        other.load_state_dict(load_checkpoint(path)["model"])
    message = str(error.value)
    assert "unexpected keys: 3.weight, 3.bias, 1.running_mean, 1.running_var" in message
    assert "0.weight: expected (4, 5), got (4, 3)" in message and "1.weight: expected (5, 1), got (3,)" in message
    assert error.value.missing == []
