"""Algorithm 1 of Goodfellow et al. (2014): minibatch stochastic gradient training of a GAN.

    for each training iteration:
        for k steps:
            sample m noise vectors z ~ p_g(z) and m examples x ~ p_data
            update D by ascending  (1/m) Σ [log D(x) + log(1 − D(G(z)))]
        sample m noise vectors z ~ p_g(z)
        update G by descending (1/m) Σ log(1 − D(G(z)))      ("minimax", eq. 1)
               or by ascending  (1/m) Σ log D(G(z))           ("non-saturating", the paper's heuristic)

D outputs logits; the objectives are computed from them (npgan.nn.losses), finite at any logit.
Two things are never computed: D's weight gradients in G's step (D is frozen there) and any gradient
into G in D's step (G runs under no_grad). Statistics stay on the device until `pop_records()`, which
moves them to the host in one transfer per logging interval.
"""
from npgan import backend as B
from npgan.nn import BatchNorm1d, no_grad
from npgan.nn.layers import freeze_dropout
from npgan.nn.losses import (GENERATOR_LOSSES, discriminator_loss_stacked, generator_loss, neg_log_d,
                             neg_log_one_minus_d, sigmoid)

NOISE_PRIORS = ("normal", "uniform", "uniform-sqrt3")
UPDATE_ORDERS = ("alternating", "simultaneous")
RECORD_FIELDS = ("d_loss", "g_loss", "d_real", "d_fake", "value")


class NonFiniteError(FloatingPointError):
    """A loss, parameter, buffer or optimizer state became NaN or infinite: training stops, and the last
    good checkpoint is kept. `names` lists what went non-finite, `iteration` when it was seen."""

    def __init__(self, message, names=(), iteration=None):
        super().__init__(message)
        self.names, self.iteration = list(names), iteration


class NonFiniteLossError(NonFiniteError):
    """A loss became NaN or infinite."""


class NonFiniteStateError(NonFiniteError):
    """A parameter, buffer or optimizer state tensor holds NaN or infinite values while the losses look
    finite (Adam's second moments overflow first when its learning rate is far too large)."""


def sample_noise(m, z_dim, prior, xp, dtype="float32", rng=None):
    """m draws from the noise prior p_g(z), on the device of `xp`, from the run's seeded generator
    (or from `rng`, a generator of that device).

    normal: N(0, I);  uniform: U[−1, 1];  uniform-sqrt3: U[−√3, √3] (unit variance, the authors' MNIST setting).
    """
    rng = rng or B.rng_for(xp)
    if prior == "normal":
        return rng.standard_normal((m, z_dim), dtype=dtype)
    if prior not in NOISE_PRIORS:
        raise ValueError(f"unknown noise prior {prior!r}: choose one of {', '.join(NOISE_PRIORS)}")
    half_width = 1.0 if prior == "uniform" else 3.0 ** 0.5
    z = rng.random((m, z_dim), dtype=dtype)
    z *= 2.0 * half_width
    z -= half_width
    return z


class GANTrainer:
    """Runs Algorithm 1 on a generator G (noise → images) and a discriminator D (images → one logit).

    k: discriminator steps per generator step (the paper: 1). loss: "non-saturating" (default) or "minimax".
    update: "alternating" (Algorithm 1 as printed) or "simultaneous" (the authors' released code: D's and
    G's gradients from the same minibatch and the same D, both applied in one step, D's objective × ½).
    schedules: objects with an `optimizer` and a `step()`, stepped after every update of that optimizer
    (the paper's learning-rate decay).
    epoch_schedules: objects with a `step(epoch)`, stepped by `begin_epoch(epoch)` (the paper's momentum ramp).
    noise_sampler: `m -> (m, z_dim) device array`, the draws of p_g(z); by default `sample_noise` from the
    run's seeded generator, on G's device and in G's dtype. Tests, benchmarks and data-parallel runs pass
    their own (the same noise for two frameworks; each rank's slice of the global batch).
    ema: an object whose `update()` runs after every generator step (npgan.gan.ema.GeneratorAverage), or None.
    """

    def __init__(self, G, D, opt_G, opt_D, z_dim, k=1, loss="non-saturating", noise="normal",
                 update="alternating", schedules=(), epoch_schedules=(), noise_sampler=None, ema=None):
        if update not in UPDATE_ORDERS:
            raise ValueError(f"unknown update order {update!r}: choose one of {', '.join(UPDATE_ORDERS)}")
        if loss not in GENERATOR_LOSSES:
            raise ValueError(f"unknown generator loss {loss!r}: choose one of {', '.join(GENERATOR_LOSSES)}")
        self.G, self.D, self.opt_G, self.opt_D = G, D, opt_G, opt_D
        self.z_dim, self.k, self.loss, self.noise, self.update = z_dim, k, loss, noise, update
        self.schedules, self.epoch_schedules = list(schedules), list(epoch_schedules)
        self.noise_sampler = noise_sampler or self._default_noise
        self.ema = ema
        # Without BatchNorm in D, real and fake rows are independent: one forward over both is the same
        # maths with GEMMs twice as tall. With BatchNorm, each batch must be normalised on its own.
        self.concat_real_fake = not any(isinstance(m, BatchNorm1d) for m in D.modules())
        self._d_params = D.parameters()  # looked up once: the G step freezes and unfreezes them
        self._g_first = G.parameters()[0]  # its dtype and device are those of the noise
        self.d_updates = self.g_updates = self.iterations = 0
        self._records = []

    @property
    def xp(self):
        return self.G.xp

    def noise_batch(self, m):
        """m noise vectors z ~ p_g(z), from `noise_sampler`."""
        return self.noise_sampler(m)

    def _default_noise(self, m):
        """m draws of the recipe's prior on G's device, in G's dtype."""
        first = self._g_first.data
        return sample_noise(m, self.z_dim, self.noise, B.get_array_module(first), dtype=first.dtype)

    # --- Algorithm 1 --------------------------------------------------------------------------------------

    def iteration(self, real_batches):
        """One training iteration: k discriminator steps (each pulls a fresh real minibatch), then one
        generator step. `real_batches` is an iterator of (m, data_dim) device arrays (784 for MNIST)."""
        if self.update == "simultaneous":
            record = self._simultaneous_step(next(real_batches))
        else:
            for _ in range(self.k):
                real = next(real_batches)
                d_loss, d_real, d_fake = self.discriminator_step(real)
            g_loss = self.generator_step(real.shape[0])
            record = (d_loss, g_loss, d_real, d_fake)
        self.iterations += 1
        self._records.append(record)
        return record

    def discriminator_step(self, real):
        """Ascend log D(x) + log(1 − D(G(z))) on a real minibatch and m fresh fakes. Returns device scalars
        (D's loss, mean D(x), mean D(G(z)))."""
        m = real.shape[0]
        with no_grad():  # D's step does not backpropagate into G: G keeps no cache, computes no gradient
            fake = self.G(self.noise_batch(m))
        self.opt_D.zero_grad()
        if self.concat_real_fake:
            xp = self.xp
            logits = self.D(xp.concatenate([real, fake]))
            loss, g_logits, d_real, d_fake = discriminator_loss_stacked(logits, m)
            self.D.backward(g_logits, need_input_grad=False)
        else:
            real_logits = self.D(real)
            loss_real, g_real = neg_log_d(real_logits)
            self.D.backward(g_real, need_input_grad=False)
            fake_logits = self.D(fake)
            loss_fake, g_fake = neg_log_one_minus_d(fake_logits)
            self.D.backward(g_fake, need_input_grad=False)  # adds to the real batch's gradients
            loss = loss_real + loss_fake
            d_real, d_fake = sigmoid(real_logits).mean(), sigmoid(fake_logits).mean()
        self.opt_D.step()
        self.d_updates += 1
        self._step_schedules(self.opt_D)
        return loss, d_real, d_fake

    def generator_step(self, m):
        """Descend G's loss on m fresh noise vectors, backpropagating through a frozen D. Returns G's loss."""
        fake = self.G(self.noise_batch(m))
        self._freeze_d(True)  # no weight-gradient GEMMs in D during G's step
        try:
            loss, g_logits = generator_loss(self.D(fake), self.loss)
            self.opt_G.zero_grad()
            g_fake = self.D.backward(g_logits)  # dLoss/dG(z): D's input gradient only
            self.G.backward(g_fake, need_input_grad=False)
        finally:
            self._freeze_d(False)
        self.opt_G.step()
        self.g_updates += 1
        self._step_schedules(self.opt_G)
        if self.ema is not None:
            self.ema.update()  # θ̄ ← d·θ̄ + (1 − d)·θ
        return loss

    def _simultaneous_step(self, real):
        """The released code's update: both gradients at the same parameters and the same fakes, D's
        objective scaled by ½, then both steps. D sees the fakes twice with one frozen dropout mask (once for
        its own gradient, once, frozen, for G's), which is what one computation graph would do."""
        m = real.shape[0]
        fake = self.G(self.noise_batch(m))
        self.opt_D.zero_grad()
        self.opt_G.zero_grad()
        real_logits = self.D(real)
        loss_real, g_real = neg_log_d(real_logits)
        self.D.backward(g_real * 0.5, need_input_grad=False)
        freeze_dropout(self.D, True)
        try:
            fake_logits = self.D(fake)
            loss_fake, g_fake = neg_log_one_minus_d(fake_logits)
            self.D.backward(g_fake * 0.5, need_input_grad=False)
            self._freeze_d(True)
            g_loss, g_logits = generator_loss(self.D(fake), self.loss)
            self.G.backward(self.D.backward(g_logits), need_input_grad=False)
        finally:
            self._freeze_d(False)
            freeze_dropout(self.D, False)
        self.opt_D.step()
        self.opt_G.step()
        self.d_updates += 1
        self.g_updates += 1
        self._step_schedules(self.opt_D)
        self._step_schedules(self.opt_G)
        if self.ema is not None:
            self.ema.update()
        return loss_real + loss_fake, g_loss, sigmoid(real_logits).mean(), sigmoid(fake_logits).mean()

    def _freeze_d(self, frozen):
        for p in self._d_params:
            p.requires_grad = not frozen

    def _step_schedules(self, optimizer):
        for schedule in self.schedules:
            if schedule.optimizer is optimizer:
                schedule.step()

    def begin_epoch(self, epoch):
        """Step the per-epoch schedules (epochs counted from 1, as pylearn2 did)."""
        for schedule in self.epoch_schedules:
            schedule.step(epoch)

    def set_lr(self, lr):
        """Both optimizers' learning rate is `lr` from now on; a decay schedule restarts from it."""
        for optimizer in (self.opt_D, self.opt_G):
            optimizer.lr = float(lr)
        for schedule in self.schedules:
            if hasattr(schedule, "restart"):
                schedule.restart(lr)

    # --- records and state -------------------------------------------------------------------------------

    def state_tensors(self):
        """(name, device array) of everything training changes: both nets' parameters and buffers and both
        optimizers' state ("G/3.weight", "D/1.running_var", "opt_D/2.exp_avg_sq")."""
        for net_name, net in (("G", self.G), ("D", self.D)):
            for name, param in net.named_parameters():
                yield f"{net_name}/{name}", param.data
            for name, _, _, array in net.named_buffers():
                yield f"{net_name}/{name}", array
        for opt_name, optimizer in (("opt_G", self.opt_G), ("opt_D", self.opt_D)):
            for name, array in optimizer.named_state():
                yield f"{opt_name}/{name}", array

    def pop_records(self, check_state=True):
        """The per-iteration records since the last call, as dicts of floats, in one device→host transfer.

        Fields: d_loss, g_loss, d_real = mean D(x), d_fake = mean D(G(z)), value = −d_loss, the minibatch
        estimate of V(D, G). Raises NonFiniteLossError if a loss is NaN or infinite and, with `check_state`,
        NonFiniteStateError if a parameter, buffer or optimizer state is: the sum of each tensor rides in the
        same transfer (a sum is finite exactly when every element is, short of float32 overflow, which only
        a diverged tensor reaches).
        """
        if not self._records:
            return []
        xp = self.xp
        names, tensors = zip(*self.state_tensors()) if check_state else ((), ())
        records = xp.stack([xp.stack(list(r)) for r in self._records])
        sums = [t.sum(dtype=records.dtype) for t in tensors]
        host = B.to_cpu(xp.concatenate([records.ravel(), xp.stack(sums)]) if sums else records.ravel())
        first, count = self.iterations - len(self._records), len(self._records)
        self._records = []
        rows = []
        for offset, (d_loss, g_loss, d_real, d_fake) in enumerate(host[:4 * count].reshape(count, 4).tolist()):
            row = {"iteration": first + offset + 1, "d_loss": d_loss, "g_loss": g_loss, "d_real": d_real,
                   "d_fake": d_fake, "value": -d_loss}
            if not all(map(_finite, (d_loss, g_loss))):
                raise NonFiniteLossError(f"non-finite loss at iteration {row['iteration']}: D loss {d_loss}, "
                                         f"G loss {g_loss}", ["d_loss" if not _finite(d_loss) else "g_loss"],
                                         row["iteration"])
            rows.append(row)
        bad = [name for name, total in zip(names, host[4 * count:].tolist()) if not _finite(total)]
        if bad:
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            raise NonFiniteStateError(f"non-finite values by iteration {self.iterations} in "
                                      f"{', '.join(bad[:3])}{more}", bad, self.iterations)
        return rows

    def state_dict(self):
        state = {"G": self.G.state_dict(), "D": self.D.state_dict(), "opt_G": self.opt_G.state_dict(),
                 "opt_D": self.opt_D.state_dict(),
                 "counters": {"d_updates": self.d_updates, "g_updates": self.g_updates,
                              "iterations": self.iterations}}
        for i, schedule in enumerate(self.schedules):
            if hasattr(schedule, "state_dict"):
                state[f"schedule_{i}"] = schedule.state_dict()
        return state

    def load_state_dict(self, state):
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        for name, value in state["counters"].items():
            setattr(self, name, int(value))
        for i, schedule in enumerate(self.schedules):
            if hasattr(schedule, "load_state_dict"):
                schedule.load_state_dict(state[f"schedule_{i}"])
        self._records = []


def _finite(value):
    return value == value and abs(value) != float("inf")

