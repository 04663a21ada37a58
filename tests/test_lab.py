"""The GAN lab as a person uses it: the engine's steps and live settings, the widgets' callbacks (play, step,
change the loss mid-run) with the trainer checked after each, bad input refused in one line with the run
untouched, the arrows equal to the gx npgan's backward computes, and the recorded page's data and command.
(The page in a real browser: tests/test_lab_browser.py.)"""
import html
import math

import numpy as np
import pytest

from npgan import optim, theory
from npgan.lab import Lab, __main__ as command, export, problems
from npgan.nn.losses import generator_loss
from npgan.settings import SettingError

SMALL = dict(hidden=16, batch_size=32, resolution=24)


def snapshot(lab):
    """Everything a refused input must leave as it was."""
    t = lab.trainer
    return (t, t.opt_G, t.loss, t.k, t.opt_G.lr, t.iterations, t.d_updates, t.g_updates, lab.problem,
            [p.data.copy() for p in lab.G.parameters() + lab.D.parameters()])


def assert_untouched(lab, before):
    after = snapshot(lab)
    assert after[:9] == before[:9]
    assert all(np.array_equal(a, b) for a, b in zip(after[9], before[9]))


def gx_by_npgan(lab, fake_net):
    """G's loss on these fakes and D's backward, outside the lab (D's weight gradients are thrown away)."""
    _, g_logits = generator_loss(lab.D(fake_net), lab.trainer.loss)
    gx = lab.D.backward(g_logits)
    lab.D.zero_grad()
    return gx


def test_the_arrows_are_the_gx_of_gs_own_backward_and_equal_npgans_recomputation():
    lab = Lab("ring", seed=1, **SMALL)
    lab.iteration()
    assert lab.arrows_from == "G step" and lab.gx.shape == lab.fake_net.shape == (32, 2)
    np.testing.assert_allclose(lab.gx, gx_by_npgan(lab, lab.fake_net), rtol=1e-6, atol=1e-9)
    # and they are the gradient of G's loss: central differences in float64 on a float64 copy of D
    D = lab.D.double()
    x = np.array(lab.fake_net, np.float64)
    loss = lambda: float(generator_loss(D(x), lab.trainer.loss)[0])  # noqa: E731
    direction = np.random.default_rng(0).standard_normal(x.shape)
    eps = 1e-4
    x += eps * direction
    up = loss()
    x -= 2 * eps * direction
    down = loss()
    assert (up - down) / (2 * eps) == pytest.approx(float((lab.gx * direction).sum()), rel=1e-3)


def test_steps_count_and_live_settings_take_effect_at_the_next_step():
    lab = Lab("ring", **SMALL)
    lab.d_step()
    assert (lab.trainer.d_updates, lab.trainer.g_updates, lab.arrows_from) == (1, 0, "preview")
    np.testing.assert_allclose(lab.gx, gx_by_npgan(lab, lab.fake_net), rtol=1e-6, atol=1e-9)  # under the new D
    lab.g_step()
    assert (lab.trainer.d_updates, lab.trainer.g_updates, lab.arrows_from) == (1, 1, "G step")
    trainer = lab.trainer
    lab.set(loss="minimax", k=3, lr=1e-3, optimizer="sgd", batch_size=16)
    assert lab.trainer is trainer and (trainer.loss, trainer.k) == ("minimax", 3)
    assert isinstance(trainer.opt_G, optim.SGD) and trainer.opt_D.lr == trainer.opt_G.lr == 1e-3
    lab.iteration()
    assert (trainer.d_updates, trainer.g_updates, len(lab.fake_net)) == (4, 2, 16)
    lab.set(hidden=8)  # a rebuild: a new run from the seed
    assert lab.trainer is not trainer and lab.trainer.iterations == 0 and lab.D[0].weight.data.shape == (2, 8)


def test_the_same_seed_gives_the_same_run_and_reset_starts_it_again():
    a, b = Lab("grid", seed=3, **SMALL), Lab("grid", seed=3, **SMALL)
    for lab in (a, b):
        for _ in range(3):
            lab.iteration()
    np.testing.assert_array_equal(a.frame()["d"], b.frame()["d"])
    a.reset()
    assert a.trainer.iterations == 0 and a.history == [] and a.frame()["history"][-1]["iteration"] == 0


@pytest.mark.parametrize("changes, name", [(dict(lr=float("nan")), "lr"), (dict(hidden=0), "hidden"),
                                           (dict(data="drawn", points=[[1.0, 1.0]]), "points"),
                                           (dict(k=0), "k"), (dict(data="moon"), "data"),
                                           (dict(data="drawn", points=[[0.0, np.inf], [1.0, 1.0]]), "points")])
def test_a_refused_setting_names_itself_and_leaves_the_run_untouched(changes, name):
    lab = Lab("ring", **SMALL)
    lab.iteration()
    before = snapshot(lab)
    with pytest.raises(SettingError) as error:
        lab.set(**changes)
    assert error.value.name == name and "\n" not in str(error.value)
    assert_untouched(lab, before)


def test_drawn_and_pasted_points_become_a_mixture_with_known_density():
    points = problems.parse_points("0, 1\n1 0\n-1,-1\n")
    lab = Lab("drawn", points=points, std=0.2, **SMALL)
    assert lab.problem.dim == 2 and lab.p_data.sum() == pytest.approx(1.0, abs=1e-6)
    lab.iteration()
    f = lab.frame()
    assert f["modes"] is None and 0.0 <= f["jsd"] <= math.log(2) + 1e-12
    with pytest.raises(SettingError, match="line 2"):
        problems.parse_points("1,2\n3,x")


def test_the_measures_on_cells_agree_with_npgan_theory_on_a_line():
    problem = problems.preset("bimodal")
    edges, x = problem.edges(400)
    width = edges[1] - edges[0]
    p_data = problem.masses(400)
    p_g = problems.binned(problem.sample(20000, np.random.default_rng(0)) * 0.8 + 0.3, problem, 400)
    assert problems.jsd(p_data, p_g) == pytest.approx(theory.js_divergence(p_data / width, p_g / width, x), abs=2e-3)
    logits = np.linspace(-2, 2, 400)
    assert problems.value(logits, p_data, p_g) == pytest.approx(
        theory.value_from_logits(logits, p_data / width, p_g / width, x), abs=2e-3)
    assert problems.jsd(p_data, p_data) == pytest.approx(0.0, abs=1e-12)


def test_inspecting_a_fake_gives_its_numbers_from_the_same_backward():
    lab = Lab("gaussian", **SMALL)
    lab.iteration()
    n = lab.inspect(4)
    m = len(lab.fake_net)
    assert n["d_term_dx"] == pytest.approx((m * lab.gx[4].astype(np.float64)).tolist(), rel=1e-6)
    assert n["term"] == pytest.approx(-math.log(n["d"]), rel=1e-5)  # non-saturating: −log D(x)
    assert set(n["g_grad_norms"]) == {name for name, _ in lab.G.named_parameters()}
    assert all(v > 0 for v in n["d_grad_norms"].values())
    with pytest.raises(SettingError):
        lab.inspect(m)
    assert lab.nearest_fake(np.asarray(n["x"])) == 4


# --- the widgets, driven as a person would ----------------------------------------------------------------

@pytest.fixture
def widget():
    pytest.importorskip("ipywidgets", reason="the lab's controls need ipywidgets: pip install -e \".[lab]\"")
    pytest.importorskip("matplotlib")
    from npgan.lab.widgets import LabWidget
    return LabWidget(Lab("ring", **SMALL), ipympl=False)


def test_play_step_and_change_the_loss_mid_run_through_the_widgets(widget):
    lab, t = widget.lab, widget.lab.trainer
    widget.play.playing = True
    for _ in range(3):  # what the front end's Play does: advance its value once per tick
        widget.play.value += 1
    assert (t.iterations, t.d_updates, t.g_updates) == (3, 3, 3)
    widget.speed.value = 4
    widget.play.value += 1
    assert t.iterations == 7
    widget.d_button.click()
    assert (t.d_updates, t.g_updates, lab.arrows_from) == (8, 7, "preview")
    widget.g_button.click()
    assert (t.d_updates, t.g_updates, lab.arrows_from) == (8, 8, "G step")
    widget.loss.value = "minimax"  # while it plays
    widget.k.value = 2
    widget.play.value += 1
    assert t.loss == "minimax" and t.k == 2 and (t.d_updates, t.g_updates) == (8 + 4 * 2, 12)
    np.testing.assert_allclose(lab.gx, gx_by_npgan(lab, lab.fake_net), rtol=1e-6, atol=1e-9)
    widget.it_button.click()
    assert (t.iterations, t.g_updates) == (12, 13) and widget.message.value == ""
    widget.optimizer.value = "sgd"
    widget.lr.value = "0.01"
    assert isinstance(t.opt_D, optim.SGD) and t.opt_D.lr == 0.01
    widget.sample.value = 2
    assert "fake #2" in widget.numbers.value and "D(x)" in widget.numbers.value
    assert widget.figure.value[:8] == b"\x89PNG\r\n\x1a\n"
    widget.reset_button.click()
    assert widget.lab.trainer.iterations == 0 and widget.lab.trainer is not t


@pytest.mark.parametrize("act, says", [
    (lambda w: setattr(w.lr, "value", "nan"), "lr: must be a finite number"),
    (lambda w: setattr(w.hidden, "value", 0), "hidden: must be an integer >= 1, got 0"),
    (lambda w: w.paste("1.5, 0.5"), "points: a distribution needs at least two points, got 1"),
    (lambda w: w.add_point(1.0, 1.0), "1 point drawn: a distribution needs at least two"),
    (lambda w: w.paste("1, 2\nnot a point"), "points: line 2 is not numbers")])
def test_bad_input_is_one_clear_message_in_the_widget_and_the_run_untouched(widget, act, says):
    widget.it_button.click()
    before = snapshot(widget.lab)
    act(widget)
    assert html.escape(says) in widget.message.value and widget.message.value.count("<span") == 1
    assert_untouched(widget.lab, before)
    assert widget.hidden.value == widget.lab.settings["hidden"] and widget.lr.value == repr(widget.lab.settings["lr"])
    widget.it_button.click()  # and it goes on, the message cleared
    assert widget.lab.trainer.iterations == 2 and widget.message.value == ""


def test_points_drawn_then_used_switch_the_data(widget):
    widget.add_point(0.5, 0.5)
    widget.add_point(-0.5, 1.0)
    assert widget.lab.problem.name == "drawn" and widget.data.value == "drawn" and widget.message.value == ""
    assert widget.lab.problem.centres.tolist() == [[0.5, 0.5], [-0.5, 1.0]]


# --- the recorded page ------------------------------------------------------------------------------------

def test_the_recorded_page_holds_every_frame_and_the_arrows_npgan_computes(tmp_path):
    pytest.importorskip("matplotlib")
    lab = Lab("ring", seed=2, **SMALL)
    rec = export.record(lab, frames=3, every=2)
    path = export.write_html(rec, str(tmp_path / "lab.html"))
    page = open(path, encoding="utf-8").read()
    assert "<script src" not in page and "http://" not in page and "https://" not in page  # self-contained
    back = export.read_record(path)
    assert [f["iteration"] for f in back["frames"]] == [0, 2, 4, 6]
    assert [f["arrows_from"] for f in back["frames"]] == ["preview", "G step", "G step", "G step"]
    last = back["frames"][-1]
    np.testing.assert_allclose(np.array(last["gx"]), lab.gx, rtol=1e-7, atol=1e-12)  # stored as computed
    np.testing.assert_allclose(np.array(last["gx"]), gx_by_npgan(lab, lab.fake_net), rtol=1e-6, atol=1e-10)
    fake = np.array(last["fake"], np.float32) / np.float32(lab.problem.scale)  # the page's fakes, to 6 digits
    np.testing.assert_allclose(np.array(last["gx"]), gx_by_npgan(lab, fake), rtol=1e-3, atol=1e-7)
    R = back["meta"]["resolution"]
    heat = np.frombuffer(__import__("base64").b64decode(last["heat"]), np.uint8).reshape(R, R)
    np.testing.assert_allclose(heat / 255.0, lab.frame()["d"], atol=0.5 / 255 + 1e-9)
    assert back["frames"][0]["heat"] != last["heat"] and len(back["frames"][0]["gmap"]) == 22


def test_the_command_refuses_bad_flags_in_one_line_and_writes_the_page(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = str(tmp_path / "lab.html")
    for argv, says in ((["--record", "--lr", "nan"], "argument --lr"), (["--record", "--hidden", "0"], "--hidden"),
                       (["--record", "--data", "drawn", "--points", "1,1"], "at least two points"),
                       (["--record", "--out", str(tmp_path / "lab.png")], "must end in .html"), ([], "--record")):
        with pytest.raises(SystemExit) as stop:
            command.main(argv + (["--out", out] if "--out" not in argv else []))
        assert stop.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert says in err and err.startswith("python -m npgan.lab: error:")
    assert command.main(["--record", "--data", "bimodal", "--frames", "2", "--every", "3", "--resolution", "20",
                         "--hidden", "8", "--out", out]) == 0
    assert "wrote" in capsys.readouterr().out and export.read_record(out)["meta"]["dim"] == 1
    with pytest.raises(SystemExit) as stop:
        command.main(["--record", "--frames", "1", "--out", out])
    assert stop.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert command.main(["--record", "--frames", "1", "--every", "1", "--resolution", "20", "--out", out,
                         "--overwrite"]) == 0
    assert export.read_record(out)["meta"]["data"] == "ring"
    assert [p.name for p in tmp_path.iterdir()] == ["lab.html"]  # atomic: no temporary left behind
