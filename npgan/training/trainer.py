"""The run's loop, Chainer's `Trainer`: epochs of Algorithm 1, with extensions called at their triggers.

    gan = presets.build_trainer(recipe, pixel_means=images.mean(axis=0))     # Algorithm 1 (npgan.gan)
    trainer = Trainer(gan, Batches(images, batch_size=recipe.batch_size), recipe, "runs/mnist")
    log = trainer.extend(LogReport())              # metrics.csv            (npgan.training.extensions)
    trainer.extend(Snapshot(seed=0, every=5))      # ckpt_epochNNN.npz, latest.npz
    result = trainer.run()                         # RunResult: "done", "interrupted", "terminated", "diverged"

An epoch is `per_epoch` iterations of `gan.iteration` (k discriminator steps, one generator step). The
extensions are called at four moments, each one whose trigger fires there (npgan.training.extensions):

    "iteration"  after every iteration
    "log"        every `log_every` iterations, at an epoch's last and at a stop, once the records have left
                 the device in one transfer into `trainer.observation` (`gan.pop_records`, which raises
                 NonFiniteError on a NaN or inf in any loss, parameter or optimizer state: nothing is written)
    "epoch"      at an epoch's end (the history, the grid, the curves, the checkpoints)
    "stop"       after the iteration at which Ctrl-C or SIGTERM came (Snapshot: latest.npz); the run then
                 returns "interrupted" (exit 130), or "terminated" for SIGTERM (143). A non-finite value returns
                 "diverged", the last good checkpoint kept.

The Trainer owns the run folder (refused if it holds another run, locked while the run writes) and what
must happen on every rank of a data-parallel run (npgan.distributed.DataParallel): the records' transfer,
the stop decision and the BatchNorm statistics averaged before a save. Rank 0 alone calls the extensions.
"""
import dataclasses
import os
import sys
import time

import numpy as np

from npgan._version import __version__
from npgan.gan.trainer import NonFiniteError
from npgan.settings import SettingError
from npgan.training.checkpoints import apply_hyperparameters
from npgan.training.runfolder import RunFolder
from npgan.training.signals import StopSignals, endless


@dataclasses.dataclass
class RunResult:
    status: str        # "done" | "interrupted" (Ctrl-C) | "terminated" (SIGTERM) | "diverged" | "complete"
    epoch: int         # the epoch a resume would continue in
    iterations: int
    latest: str        # the checkpoint to resume from (or the last good one)

    @property
    def exit_code(self):
        return {"done": 0, "complete": 0, "interrupted": 130, "terminated": 143, "diverged": 1}[self.status]


def iterations_per_epoch(recipe, n_images):
    """Iterations in an epoch: the full minibatches of the images, k of them per iteration (alternating)."""
    batches = n_images // recipe.batch_size
    per_epoch = batches // (1 if recipe.update == "simultaneous" else recipe.k)
    if per_epoch == 0:
        raise SettingError("batch_size", f"{n_images} training images make no full iteration of "
                           f"{recipe.k} minibatch(es) of {recipe.batch_size}: use a smaller batch size")
    return per_epoch


class Trainer:
    """Trains `gan` (an npgan.gan.GANTrainer) on the minibatches of `loader` (npgan.data.Batches) for
    `recipe.epochs` epochs into the run folder `out`, calling its extensions (see `extend`).

    log_every: iterations between the records' transfers (one device sync each). overwrite: replace a run
    that `out` holds. parallel: the npgan.distributed.DataParallel that `gan` trains under, or None.
    log: where the run's lines go. interrupt_after: for tests, stop as Ctrl-C would after that iteration.
    resume_with: how the user continues a stopped run, in the lines that say so (a command without --resume
    of its own names one that has it).
    """

    def __init__(self, gan, loader, recipe, out, *, log_every=20, overwrite=False, parallel=None, log=print,
                 interrupt_after=None, resume_with="--resume"):
        self.gan, self.loader, self.recipe = gan, loader, recipe
        self.epochs, self.per_epoch = recipe.epochs, iterations_per_epoch(recipe, len(loader.images))
        self.folder, self.log_every, self.overwrite = RunFolder(out), log_every, overwrite
        self.parallel, self.log, self.interrupt_after, self.resume_with = parallel, log, interrupt_after, resume_with
        self.writer = parallel is None or parallel.is_writer  # rank 0 alone writes
        self.latest = self.folder.file("latest.npz") if self.writer else None
        self.extensions = []
        self.epoch, self.done_in_epoch, self.resumed_from = 1, 0, None
        self.moment, self.observation, self.stopping, self.epoch_started = None, None, False, None

    def extend(self, extension):
        """Add an extension (npgan.training.extensions); returns it. When several fire at the same moment
        they run by `priority` (Snapshot last: the logs and figures it must agree with are written first),
        then in the order they were added."""
        self.extensions.append(extension)
        return extension

    def restore(self, saved, changes=None):
        """Continue the run of `saved` (npgan.training.RunCheckpoint): the GAN, the data order and the random
        generators as they were, then the learning rate, momentum or betas that `changes` sets."""
        saved.restore(self.gan, self.loader)
        apply_hyperparameters(self.gan, self.recipe, changes or {})
        self.epoch, self.done_in_epoch, self.resumed_from = saved.epoch, saved.done_in_epoch, saved.path

    # --- the run -----------------------------------------------------------------------------------------

    def run(self):
        """Train from where the run stands (epoch 1, or where `restore` left it) to `recipe.epochs`: the folder
        checked, opened and locked, the extensions initialized, then the epochs. Returns a RunResult."""
        self.folder.check_available(self.resumed_from, self.overwrite, self.resume_with)
        if self.parallel is not None and self.parallel.comm.size > 1:
            self.parallel.comm.barrier()  # every rank has checked the folder before rank 0 writes into it
        if self.epoch > self.epochs:
            self._say(f"{self.resumed_from}: the run is already complete ({self.epochs} of {self.epochs} epochs); "
                      f"pass a larger --epochs to train further")
            return RunResult("complete", self.epoch, self.gan.iterations, self.resumed_from)
        if not self.writer:  # ranks other than 0 train their shards and touch no file
            return self._loop([])
        stale = self.folder.open()
        try:
            if self.overwrite:
                self.folder.clear()
            if stale:
                self.log(f"removed {stale} temporary file(s) left in {self.folder.path} by a run that was killed")
            self.log(self.describe())
            return self._loop(sorted(self.extensions, key=lambda extension: -extension.priority))
        finally:
            self.folder.close()

    def _loop(self, extensions):
        signals, batches, started = StopSignals(), endless(self.loader), []
        try:
            for extension in extensions:
                extension.initialize(self)
                started.append(extension)
            while self.epoch <= self.epochs:
                self.gan.begin_epoch(self.epoch)
                self.epoch_started = time.perf_counter()
                while self.done_in_epoch < self.per_epoch:
                    self.gan.iteration(batches)
                    self.done_in_epoch += 1
                    self.stopping = self._stopping(signals)
                    self._call(extensions, "iteration")
                    if self.stopping or self._log_point():
                        self.observation = (self.parallel or self.gan).pop_records()  # NaN/inf: raises here
                        self._call(extensions, "log")
                    if self.stopping:
                        self._sync_buffers()
                        self._call(extensions, "stop")
                        status = "terminated" if signals.terminated else "interrupted"
                        self._say(f"{status} at epoch {self.epoch}, iteration {self.gan.iterations}: saved "
                                  f"{self.latest}; continue with {self.resume_with} {self.latest}")
                        return RunResult(status, self.epoch, self.gan.iterations, self.latest)
                self._sync_buffers()
                self._call(extensions, "epoch")
                self.epoch, self.done_in_epoch = self.epoch + 1, 0
        except NonFiniteError as error:
            kept = self.latest if self.writer and os.path.exists(self.latest) else "none yet"
            if self.writer:
                print(f"stopped: {error}. The run diverged: try a smaller learning rate. The last good checkpoint "
                      f"is kept: {kept}", file=sys.stderr)
            return RunResult("diverged", self.epoch, self.gan.iterations, kept)
        finally:
            signals.restore()
            for extension in started:
                extension.finalize(self)
        self._say(f"done: samples and checkpoints in {self.folder.path}")
        return RunResult("done", self.epoch, self.gan.iterations, self.latest)

    def _call(self, extensions, moment):
        self.moment = moment
        for extension in extensions:
            if extension.trigger(self, moment):
                extension(self)

    def _log_point(self):
        return self.done_in_epoch % self.log_every == 0 or self.done_in_epoch == self.per_epoch

    def _stopping(self, signals):
        """Whether to stop after this iteration: Ctrl-C / SIGTERM, or the tests' interrupt_after. Ranks must
        agree, so a data-parallel run decides at logging points only, by one small allreduce."""
        local = signals.requested or self.gan.iterations == self.interrupt_after
        if self.parallel is None or self.parallel.comm.size == 1:
            return local
        if not self._log_point() and self.gan.iterations != self.interrupt_after:
            return False
        flag = np.array([float(local)])
        self.parallel.comm.allreduce_sum(flag)
        return bool(flag[0])

    def _sync_buffers(self):
        if self.parallel is not None:
            self.parallel.sync_buffers()  # every rank: per-rank BatchNorm statistics averaged before a save

    def _say(self, line):
        if self.writer:
            self.log(line)

    def describe(self):
        """The run's first line: what trains, on what, into which folder."""
        r, where, ranks = self.recipe, "", ""
        if self.resumed_from:
            where = f"resumed from {self.resumed_from}: epoch {self.epoch}, iteration {self.gan.iterations}; "
        if self.parallel is not None:
            ranks = f" ranks={self.parallel.comm.size}{' sync-bn' if self.parallel.sync_bn else ''}"
        extras = (f" ema={r.ema:g}" if r.ema else "") + (" conditional" if r.conditional else "")
        return (f"npgan {__version__}: {where}arch={r.arch} backend={self.loader.backend} optimizer={r.optimizer} "
                f"lr={self.gan.opt_G.lr:g} batch={r.batch_size} k={r.k} loss={r.loss} noise={r.noise} "
                f"epochs={r.epochs} images={len(self.loader.images)}{self.shape()}{extras}{ranks} -> {self.folder.path}")

    def shape(self):
        """' shape=8x8' (the data's image shape, or ' dim=2' for vectors) except for MNIST's 28x28 default."""
        if self.recipe.image_shape is None:
            return f" dim={self.recipe.data_dim}"
        return "" if self.recipe.image_shape == (28, 28) else f" shape={'x'.join(map(str, self.recipe.image_shape))}"
