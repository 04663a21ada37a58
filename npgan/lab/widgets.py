"""The lab's controls: ipywidgets around a LabView, each callback one call of the engine.

    w = LabWidget(Lab("ring")); w.display()

play / pause (an ipywidgets Play: each tick is `lab.advance()` and one redraw), one D step, one G step, one
iteration, reset; speed (iterations per frame), seed; loss, k, optimizer and learning rate, changed while
it runs; width; data (the presets, or the points drawn on the plane or pasted); which heatmap (D or D*);
which fake to inspect (or click one, with ipympl). A setting the engine refuses (SettingError: fewer than
two drawn points, a NaN learning rate, a width of 0) is one red line in `message`, and the run is left as
it was; so is a run that diverges (NonFiniteError), which also stops play.

The figure is an ipympl canvas when ipympl is installed and `ipympl` is not False (in Jupyter: a live,
clickable figure), else an Image widget that gets a PNG per frame.
"""
import html
import math

from npgan.gan import NonFiniteError
from npgan.lab import engine, problems
from npgan.lab.view import LabView
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.settings import SettingError


def _has_ipympl():
    try:
        import ipympl  # noqa: F401
        return True
    except ImportError:
        return False


class LabWidget:
    def __init__(self, lab, ipympl=None):
        import ipywidgets as W

        self.lab, self.drawn = lab, []
        use_ipympl = _has_ipympl() if ipympl is None else ipympl
        self.view = LabView(lab, ipympl=use_ipympl)
        s = lab.settings
        self.play = W.Play(value=0, min=0, max=10**9, step=1, interval=100, show_repeat=False,
                           description="play")
        self.d_button, self.g_button = W.Button(description="one D step"), W.Button(description="one G step")
        self.it_button, self.reset_button = W.Button(description="one iteration"), W.Button(description="reset")
        self.speed = W.IntSlider(value=s["speed"], min=1, max=50, description="it./frame")
        self.seed = W.IntText(value=s["seed"], description="seed")
        self.loss = W.Dropdown(options=GENERATOR_LOSSES, value=s["loss"], description="G loss")
        self.k = W.IntSlider(value=s["k"], min=1, max=20, description="k")
        self.optimizer = W.Dropdown(options=engine.OPTIMIZERS, value=s["optimizer"], description="optimizer")
        self.lr = W.Text(value=repr(s["lr"]), description="lr", continuous_update=False)
        self.hidden = W.IntText(value=s["hidden"], description="width")
        self.data = W.Dropdown(options=problems.DATASETS, value=s["data"], description="data")
        self.heat = W.ToggleButtons(options=[("D", "d"), ("D*", "d_star")], value="d", description="heatmap")
        self.draw_mode = W.ToggleButton(value=False, description="draw points")
        self.points = W.Textarea(placeholder="x, y per line (or x): paste points", rows=3)
        self.use_points = W.Button(description="use these points")
        self.sample = W.BoundedIntText(value=0, min=0, max=len(lab.fake_net) - 1, description="inspect fake")
        self.message, self.numbers = W.HTML(), W.HTML()
        self.figure = self.view.canvas if use_ipympl else W.Image(format="png")
        self._wire()
        self.redraw()
        self.box = W.VBox([W.HBox([self.play, self.d_button, self.g_button, self.it_button, self.reset_button]),
                           W.HBox([self.speed, self.seed, self.heat]),
                           W.HBox([self.loss, self.k, self.optimizer, self.lr, self.hidden]),
                           W.HBox([self.data, self.draw_mode, self.points, self.use_points]),
                           self.message, W.HBox([self.figure, W.VBox([self.sample, self.numbers])])])

    def display(self):
        from IPython.display import display
        display(self.box)

    # --- wiring: every callback is one engine call, guarded ---------------------------------------------

    def _on(self, widget, setting, convert=lambda v: v):
        """widget's new value goes to lab.set(setting=...) (not while the controls are being synced)."""
        def changed(change):
            if not self._syncing:
                extra = {"points": self._drawn_points()} if setting == "data" else {}
                self.set(**{setting: convert(change["new"])}, **extra)
        widget.observe(changed, "value")

    def _wire(self):
        self._syncing = False
        self.play.observe(lambda change: self._do(self.lab.advance), "value")
        self.d_button.on_click(lambda _: self._do(self.lab.d_step))
        self.g_button.on_click(lambda _: self._do(self.lab.g_step))
        self.it_button.on_click(lambda _: self._do(self.lab.iteration))
        self.reset_button.on_click(lambda _: self._do(self.lab.reset, rebuilt=True))
        for name in ("speed", "loss", "k", "optimizer", "seed", "hidden", "data"):
            self._on(getattr(self, name), name)
        self._on(self.lr, "lr", _number)
        self.heat.observe(lambda change: self._heat(change["new"]), "value")
        self.use_points.on_click(lambda _: self.paste(self.points.value))
        self.sample.observe(lambda change: self.inspect(change["new"]), "value")
        if self.view.ipympl:
            self.view.canvas.mpl_connect("button_press_event", self._click)

    def _do(self, action, rebuilt=False):
        """Run one engine action; a refusal or a divergence is one line, play stops, the view stays."""
        try:
            action()
        except SettingError as error:
            return self._say(str(error))
        except NonFiniteError as error:
            self.play.playing = False
            return self._say(f"the run diverged ({error}): press reset, or lower the learning rate")
        self._say("")
        self.redraw(rebuilt)
        return True

    def set(self, **changes):
        """lab.set(...) from a control; a refused value is one line and the control shows the lab's value."""
        before = self.lab.problem
        ok = self._do(lambda: self.lab.set(**changes))
        if not ok:
            self._sync()
        elif self.lab.problem is not before:
            self.redraw(rebuilt=True)
        return ok

    def paste(self, text):
        """Pasted points become the data ("drawn")."""
        try:
            points = problems.parse_points(text)
        except SettingError as error:
            return self._say(str(error))
        kept, self.drawn = self.drawn, points.tolist()
        ok = self._use_drawn()
        if not ok:
            self.drawn = kept  # the run and the drawn points stay as they were
        return ok

    def add_point(self, x, y=None):
        """A point drawn on the plane (a click in draw mode); the data switch once there are two."""
        self.drawn.append([x] if y is None or self.lab.problem.dim == 1 else [x, y])
        if len(self.drawn) < 2:
            return self._say(f"{len(self.drawn)} point drawn: a distribution needs at least two")
        return self._use_drawn()

    def _use_drawn(self):
        ok = self.set(data=problems.DRAWN, points=self._drawn_points())
        if ok:
            self._sync()
        return ok

    def _drawn_points(self):
        return [list(p) for p in self.drawn] if self.drawn else None

    def inspect(self, index):
        try:
            n = self.lab.inspect(index)
        except SettingError as error:
            return self._say(str(error))
        self.view.selected = n["index"]
        self.numbers.value = _numbers_html(n)
        self.redraw()

    def _click(self, event):
        if event.inaxes is not self.view.ax or event.xdata is None:
            return
        if self.draw_mode.value:
            self.add_point(float(event.xdata), float(event.ydata) if self.lab.problem.dim == 2 else None)
        else:
            self.sample.value = self.lab.nearest_fake([event.xdata, event.ydata])

    def _heat(self, source):
        self.view.heat_source = source
        self.redraw()

    # --- showing ------------------------------------------------------------------------------------------

    def redraw(self, rebuilt=False):
        if rebuilt:
            self.view.selected = None
            self.view.build()
        else:
            self.view.update()
        self.sample.max = len(self.lab.fake_net) - 1
        if self.view.selected is not None and self.view.selected < len(self.lab.fake_net):
            self.numbers.value = _numbers_html(self.lab.inspect(self.view.selected))
        if not self.view.ipympl:
            self.figure.value = self.view.png()

    def _say(self, text):
        self.message.value = f"<span style='color:#b00'>{html.escape(text)}</span>" if text else ""
        return False

    def _sync(self):
        """Controls show the lab's settings again (after a refused value), without calling the lab."""
        s = self.lab.settings
        self._syncing = True
        try:
            for widget, value in ((self.hidden, s["hidden"]), (self.seed, s["seed"]), (self.lr, repr(s["lr"])),
                                  (self.data, s["data"]), (self.k, s["k"]), (self.loss, s["loss"]),
                                  (self.optimizer, s["optimizer"]), (self.speed, s["speed"])):
                widget.value = value
        finally:
            self._syncing = False


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text  # the engine's check names it


def _numbers_html(n):
    def fmt(v):
        return "—" if v is None else f"{v:.4g}" if isinstance(v, float) and math.isfinite(v) else str(v)
    rows = [("x", ", ".join(fmt(v) for v in n["x"])), ("D(x)", fmt(n["d"])), ("logit", fmt(n["logit"])),
            (f"term of G's loss ({n['loss']})", fmt(n["term"])),
            ("∂term/∂x", ", ".join(fmt(v) for v in n["d_term_dx"])),
            ("gx (to G's backward)", ", ".join(fmt(v) for v in n["gx"])), ("arrows from", n["arrows_from"])]
    rows += [(f"‖∇ G.{k}‖", fmt(v)) for k, v in n["g_grad_norms"].items()]
    rows += [(f"‖∇ D.{k}‖", fmt(v)) for k, v in n["d_grad_norms"].items()]
    return (f"<b>fake #{n['index']}</b><table>" + "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>"
                                                          for a, b in rows) + "</table>")
