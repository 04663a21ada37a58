"""The lab's engine: a GANTrainer on a 1-D or 2-D problem, stepped by hand, and what each frame shows.

No widgets and no matplotlib here: the controls (npgan.lab.widgets), the view (npgan.lab.view), the
recorded page (npgan.lab.export) and the tests all call the same methods.

    lab = Lab("ring", hidden=64, seed=0)
    lab.d_step(); lab.g_step(); lab.iteration()       # one D step, one G step, k D steps + one G step
    lab.advance()                                     # `speed` iterations: one frame of "play"
    lab.set(loss="minimax", k=5, lr=1e-3)             # live: the next step uses them
    lab.set(data="grid")                              # rebuilds the nets (as `reset`)
    frame = lab.frame()                               # D's heatmap, D*, fakes, their arrows, G's map, curves
    lab.inspect(3)                                    # the numbers of fake number 3

The arrows are the gradient G's step backpropagates: G ends in a `Tap`, an identity layer that keeps the
fakes of G's last forward (with gradients on) and the gy its backward receives. In `GANTrainer.generator_step`
that gy is `D.backward(g_logits)`, the gx that flows from D's backward into G's backward, so the arrow on
fake i is −gx_i, the direction in which that very step moves G(z_i) (up to the optimizer's rescaling).
Every setting is checked before anything changes (SettingError, one line): a bad input leaves the run as
it was.
"""
import numpy as np

from npgan import nn, optim
from npgan.backend import manual_seed
from npgan.gan import GANTrainer
from npgan.lab import problems
from npgan.nn import grad_mode, no_grad
from npgan.nn.losses import GENERATOR_LOSSES, generator_loss
from npgan.nn.module import Module
from npgan.settings import SettingError, check_choice, check_float, check_int
from npgan.threads import single_blas_thread

OPTIMIZERS = ("adam", "sgd")  # Adam with β = (0.5, 0.999); SGD with momentum 0.5
LIVE = ("loss", "k", "optimizer", "lr", "batch_size", "speed")  # changed while it runs
REBUILD = ("data", "points", "std", "hidden", "seed", "resolution")  # these start a new run
DEFAULTS = dict(data="ring", points=None, std=0.1, loss="non-saturating", k=1, optimizer="adam", lr=2e-3,
                batch_size=128, hidden=64, seed=0, resolution=100, speed=1)
MAX_HIDDEN, MAX_K, MAX_BATCH, MAX_RESOLUTION, MAX_SPEED = 1024, 100, 4096, 400, 1000
EVAL_SAMPLES = 2000  # G's samples behind p_g, the JSD and the modes covered (fixed noise)
MAP_LINES, MAP_POINTS, Z_SPAN = 11, 41, 2.5  # G's map: the image of a z-grid over [−2.5, 2.5]^dim


class Tap(Module):
    """The identity, x ↦ x, keeping what passes through it with gradients on: `x`, G's last fakes, and
    `gy`, the gradient its backward received (gx of D's backward, in G's step). Forwards under no_grad
    (evaluation, the fakes of D's step) leave both as they were."""

    def __init__(self):
        super().__init__()
        self.x = self.gy = None

    def forward(self, x):
        if grad_mode.enabled:
            self.x, self.gy = x, None
        return x

    def backward(self, gy, need_input_grad=True):
        self.gy = gy
        return gy


def check(settings):
    """Each setting in its canonical type, or SettingError naming it and its range."""
    s = dict(settings)
    check_choice("data", s["data"], problems.DATASETS)
    check_choice("loss", s["loss"], GENERATOR_LOSSES)
    check_choice("optimizer", s["optimizer"], OPTIMIZERS)
    s["k"] = check_int("k", s["k"], high=MAX_K)
    s["lr"] = check_float("lr", s["lr"], 0.0, 1.0, low_open=True)
    s["std"] = check_float("std", s["std"], 0.0, low_open=True)
    s["batch_size"] = check_int("batch_size", s["batch_size"], low=2, high=MAX_BATCH)
    s["hidden"] = check_int("hidden", s["hidden"], high=MAX_HIDDEN)
    s["seed"] = check_int("seed", s["seed"], low=0)
    s["resolution"] = check_int("resolution", s["resolution"], low=10, high=MAX_RESOLUTION)
    s["speed"] = check_int("speed", s["speed"], high=MAX_SPEED)
    if s["data"] == problems.DRAWN:
        if s["points"] is None:
            raise SettingError("points", "draw or paste at least two points first")
        problems.drawn(s["points"], s["std"])  # raises on too few, non-finite, badly shaped
    return s


def build_nets(dim, hidden):
    """G: z (dim) → h → h → x (dim), ReLU, ending in a Tap. D: x (dim) → h → h → one logit, LeakyReLU(0.2)."""
    G = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                      nn.Linear(hidden, dim), Tap())
    D = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                      nn.Linear(hidden, 1))
    return G, D


def make_optimizer(name, params, lr):
    if name == "adam":
        return optim.Adam(params, lr=lr, betas=(0.5, 0.999))
    return optim.SGD(params, lr=lr, momentum=0.5)


def grad_norms(net):
    """{parameter name: ‖grad‖} of a net's last backward (None for a parameter without one)."""
    return {name: (None if p.grad is None else float(np.linalg.norm(p.grad))) for name, p in net.named_parameters()}


class Lab:
    """The state of one lab run; see the module's docstring. Attributes a view reads: `problem`,
    `trainer`, `settings`, `history` (one dict per measured frame), `fake_net`, `gx`, `arrows_from`.

    With `one_blas_thread` (the default) it runs the process's BLAS on one thread (threadpoolctl, when
    installed): for these small matrices a second OpenBLAS thread made an iteration 40x slower on a busy
    2-core machine (1 ms against 47 ms, measured)."""

    def __init__(self, data="ring", one_blas_thread=True, **settings):
        self.settings = check({**DEFAULTS, **settings, "data": data})
        if one_blas_thread:  # process-wide, as the toy examples do: on 2 cores one thread is 40x faster here
            single_blas_thread()
        self._build()

    # --- settings -----------------------------------------------------------------------------------------

    def set(self, **changes):
        """Change settings: live ones (loss, k, optimizer, lr, batch_size, speed) take effect at the next
        step; the others rebuild the run. Everything is checked first: a SettingError changes nothing."""
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise SettingError(unknown[0], f"is not a lab setting (known: {', '.join(DEFAULTS)})")
        new = check({**self.settings, **changes})
        old, self.settings = self.settings, new
        if any(not _same(new[name], old[name]) for name in REBUILD):
            self._build()
            return
        t = self.trainer
        t.loss, t.k = new["loss"], new["k"]
        if new["optimizer"] != old["optimizer"]:  # a new optimizer starts with no state (no momentum)
            t.opt_G = make_optimizer(new["optimizer"], self.G.parameters(), new["lr"])
            t.opt_D = make_optimizer(new["optimizer"], self.D.parameters(), new["lr"])
        t.set_lr(new["lr"])

    def reset(self, seed=None):
        """A new run from the seed (the same seed gives the same run)."""
        if seed is not None:
            self.set(seed=seed)
        self._build()

    def _build(self):
        s = self.settings
        self.problem = (problems.drawn(s["points"], s["std"]) if s["data"] == problems.DRAWN
                        else problems.preset(s["data"]))
        dim, seed = self.problem.dim, s["seed"]
        manual_seed(seed)  # the nets' initial weights
        self.G, self.D = build_nets(dim, s["hidden"])
        self.tap = self.G[len(self.G) - 1]
        noise_rng = np.random.default_rng([seed, 1])
        self.trainer = GANTrainer(self.G, self.D, make_optimizer(s["optimizer"], self.G.parameters(), s["lr"]),
                                  make_optimizer(s["optimizer"], self.D.parameters(), s["lr"]), z_dim=dim,
                                  k=s["k"], loss=s["loss"],
                                  noise_sampler=lambda m: noise_rng.standard_normal((m, dim), dtype=np.float32))
        data_rng, scale = np.random.default_rng([seed, 2]), self.problem.scale
        self._real = (self.problem.sample(self.settings["batch_size"], data_rng) / np.float32(scale)
                      for _ in iter(int, 1))  # endless; batch size read at each draw
        self.real_shown = self.problem.sample(500, np.random.default_rng([seed, 3]))
        self.eval_noise = np.random.default_rng([seed, 4]).standard_normal((EVAL_SAMPLES, dim), dtype=np.float32)
        self._preview_rng = np.random.default_rng([seed, 5])
        self.p_data = self.problem.masses(s["resolution"])
        _, centres = self.problem.edges(s["resolution"])
        if dim == 1:
            self.cells = centres[:, None]
        else:
            gx, gy = np.meshgrid(centres, centres)  # rows: y, columns: x (an image's layout)
            self.cells = np.stack([gx.ravel(), gy.ravel()], axis=1)
        self.cells_net = (self.cells / scale).astype(np.float32)
        self.z_grid = _z_grid(dim)
        self.history, self.d_norms, self.g_norms = [], {}, {}
        self.batch_value = None
        self._measured = None
        self._preview()

    # --- stepping -----------------------------------------------------------------------------------------

    def _next_real(self):
        return next(self._real)

    def d_step(self):
        """One discriminator step (Algorithm 1's inner loop, once); the arrows are then recomputed at the
        same fakes under the new D (`arrows_from` = "preview")."""
        loss, _, _ = self.trainer.discriminator_step(self._next_real())
        self.batch_value = -float(loss)
        self.d_norms = grad_norms(self.D)
        self._preview(self.fake_net)

    def g_step(self):
        """One generator step: the fakes and their gx are those of this very step."""
        self.trainer.generator_step(self.settings["batch_size"])
        self._after_g_step()

    def iteration(self):
        """One iteration of Algorithm 1: k D steps, then one G step (GANTrainer.iteration)."""
        self.trainer.iteration(self._real)
        self.d_norms = grad_norms(self.D)
        self.batch_value = self.trainer.pop_records()[-1]["value"]  # raises if a loss went non-finite
        self._after_g_step()

    def advance(self):
        """`speed` iterations: what one frame of "play" does."""
        for _ in range(self.settings["speed"]):
            self.iteration()

    def _after_g_step(self):
        self.fake_net, self.gx, self.arrows_from = self.tap.x, self.tap.gy, "G step"
        self.g_norms = grad_norms(self.G)

    def _preview(self, fake_net=None):
        """Fakes (fresh ones if none are given) and the gx G's step would get at them under the current D:
        G's loss and D's backward as in GANTrainer.generator_step, without any update."""
        if fake_net is None:
            z = self._preview_rng.standard_normal((self.settings["batch_size"], self.problem.dim), dtype=np.float32)
            with no_grad():
                fake_net = self.G(z)
        self.fake_net, self.arrows_from = fake_net, "preview"
        self.gx = self.probe(fake_net)["gx"]

    def probe(self, x_net):
        """For points x (net units, (m, dim)) as one batch of G's step: D's logits, D(x), each point's term of
        G's loss, and gx = ∂(G's loss)/∂x, the mean loss's gradient (what D's backward hands G's).
        D is frozen meanwhile, as in G's step: no weight gradient is computed or changed."""
        trainer, x_net = self.trainer, np.asarray(x_net, dtype=np.float32)
        trainer._freeze_d(True)
        try:
            logits = self.D(x_net)
            _, g_logits = generator_loss(logits, trainer.loss)
            gx = self.D.backward(g_logits)
        finally:
            trainer._freeze_d(False)
        a = logits[:, 0].astype(np.float64)  # float64: deliberate (reported numbers)
        term = np.logaddexp(0.0, -a) if trainer.loss == "non-saturating" else -np.logaddexp(0.0, a)
        return {"logits": a, "d": 0.5 * np.tanh(0.5 * a) + 0.5, "term": term, "gx": gx}

    # --- what a frame shows -----------------------------------------------------------------------------

    def measure(self):
        """D on the cells, G's samples, p_g, D*, V(D, G), JSD and the modes covered, once per state: the
        history gets one row per iteration measured."""
        key = (self.trainer.d_updates, self.trainer.g_updates)
        if self._measured and self._measured[0] == key:
            return self._measured[1]
        R, scale = self.settings["resolution"], self.problem.scale
        with no_grad():
            logits = self.D(self.cells_net)[:, 0].astype(np.float64)  # float64: deliberate (measures)
            samples = self.G(self.eval_noise) * np.float32(scale)
            gmap = self.G(self.z_grid) * np.float32(scale)
        shape = (R,) if self.problem.dim == 1 else (R, R)
        logits = logits.reshape(shape)
        p_g = problems.binned(samples, self.problem, R)
        m = {"logits": logits, "d": 0.5 * np.tanh(0.5 * logits) + 0.5, "p_g": p_g,
             "d_star": problems.optimal_discriminator(self.p_data, p_g), "samples": samples,
             "gmap": gmap.reshape(-1, MAP_POINTS, self.problem.dim) if self.problem.dim == 2 else gmap,
             "value": problems.value(logits, self.p_data, p_g), "jsd": problems.jsd(self.p_data, p_g),
             "modes": self.problem.coverage(samples).modes if self.problem.name != problems.DRAWN else None}
        self.history.append({"iteration": self.trainer.iterations, "d_updates": key[0], "g_updates": key[1],
                             "value": m["value"], "jsd": m["jsd"], "modes": m["modes"],
                             "batch_value": self.batch_value})
        self._measured = (key, m)
        return m

    def frame(self):
        """Everything one picture needs, in data units, as host arrays and numbers (see export for the page)."""
        m = self.measure()
        scale = self.problem.scale
        return {"iteration": self.trainer.iterations, "d_updates": self.trainer.d_updates,
                "g_updates": self.trainer.g_updates, "d": m["d"], "d_star": m["d_star"], "p_data": self.p_data,
                "p_g": m["p_g"], "real": self.real_shown, "fake": np.asarray(self.fake_net) * scale,
                "gx": np.asarray(self.gx), "arrows_from": self.arrows_from, "gmap": m["gmap"],
                "value": m["value"], "jsd": m["jsd"], "modes": m["modes"], "history": list(self.history)}

    def inspect(self, index):
        """The numbers of fake `index`: x, D(x), its term of G's loss, ∂term/∂x (= m·gx, m the batch) and the
        per-layer gradient norms of the last G and D steps."""
        count = len(self.fake_net)
        if not 0 <= int(index) < count:
            raise SettingError("sample", f"must be an index in [0, {count - 1}], got {index}")
        i = int(index)
        numbers = self.probe(self.fake_net[i:i + 1])
        m = len(self.fake_net)
        return {"index": i, "x": (np.asarray(self.fake_net[i], np.float64) * self.problem.scale).tolist(),
                "d": float(numbers["d"][0]), "logit": float(numbers["logits"][0]), "term": float(numbers["term"][0]),
                "d_term_dx": (m * np.asarray(self.gx[i], np.float64)).tolist(), "gx": np.asarray(self.gx[i]).tolist(),
                "loss": self.trainer.loss, "arrows_from": self.arrows_from, "g_grad_norms": dict(self.g_norms),
                "d_grad_norms": dict(self.d_norms)}

    def nearest_fake(self, point):
        """The index of the fake nearest to `point` (data units): what a click picks."""
        fake = np.asarray(self.fake_net, np.float64) * self.problem.scale
        point = np.atleast_1d(np.asarray(point, np.float64))[:self.problem.dim]
        return int(np.argmin(((fake - point) ** 2).sum(axis=1)))


def _z_grid(dim):
    """The z points whose images draw G's map: in 2-D, MAP_LINES horizontal then MAP_LINES vertical lines of
    MAP_POINTS points over [−Z_SPAN, Z_SPAN]²; in 1-D, MAP_LINES points of the z line."""
    if dim == 1:
        return np.linspace(-Z_SPAN, Z_SPAN, MAP_LINES, dtype=np.float32)[:, None]
    ticks = np.linspace(-Z_SPAN, Z_SPAN, MAP_LINES)
    along = np.linspace(-Z_SPAN, Z_SPAN, MAP_POINTS)
    rows = [np.stack([along, np.full_like(along, t)], axis=1) for t in ticks]
    cols = [np.stack([np.full_like(along, t), along], axis=1) for t in ticks]
    return np.concatenate(rows + cols).astype(np.float32)


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b or (a is not None and b is not None and np.array_equal(a, b))
    return a == b
