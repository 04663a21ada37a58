"""The training run: Algorithm 1 over epochs, with logs, sample grids, checkpoints, resume and Ctrl-C.

    from npgan import gan, training
    recipe = gan.recipe("slides", epochs=12)
    result = training.train(recipe, images, training.RunConfig(out="runs/mnist"))  # images: float32 (N, 784)
    result = training.train(None, images, training.RunConfig(out="runs/mnist"), resume="runs/mnist/latest.npz",
                            changes={"epochs": 20})                              # continue, and train longer
    G, recipe = training.load_generator("runs/mnist/latest.npz")
    digits = gan.sample(G, 64, recipe, seed=0)                                   # float32 (64, 784) in [0, 1]

Each epoch: the per-epoch schedules (momentum ramp), `iterations_per_epoch` iterations of Algorithm 1
(the per-update learning-rate decay runs inside the trainer), a log flush every `log_every` iterations
(one device→host transfer, which also checks every loss, parameter and optimizer state for NaN/inf),
then history.jsonl, the sample grid, the curves, the periodic checkpoint and last `latest.npz`. Ctrl-C or
SIGTERM finishes the iteration, saves latest.npz and stops; a non-finite value stops the run with the last
good checkpoint intact. The checkpoint layout is defined in :mod:`npgan.training.checkpoints`, with a version.
"""
import dataclasses
import os
import sys
import time

import numpy as np

from npgan import backend as B
from npgan import viz
from npgan._version import __version__
from npgan.data import Batches
from npgan.gan import presets
from npgan.gan.conditional import N_CLASSES, concat_forward, grid_labels, join_labels, one_hot
from npgan.gan.ema import standing_statistics
from npgan.gan.presets import IMAGE_DIM
from npgan.gan.sampling import recipe_noise, sample
from npgan.gan.trainer import RECORD_FIELDS, NonFiniteError, sample_noise
from npgan.settings import SettingError, check_int
from npgan.training.checkpoints import (ResumeError, apply_changes, apply_hyperparameters, load_run_checkpoint,
                                        save_run_checkpoint)
from npgan.training.progress import progress
from npgan.training.runfolder import RunFolder
from npgan.training.signals import StopSignals, endless

GRID_SIZE = 100  # samples in each epoch's grid, from a fixed noise batch


@dataclasses.dataclass
class RunConfig:
    """How a run is kept: where, how often it logs, draws and checkpoints (not what it trains)."""
    out: str = "runs/mnist"
    seed: int = None               # None: 0 for a new run, the stored seed on resume
    log_every: int = 20            # iterations between log flushes (one device sync each)
    sample_every: int = 1          # epochs between sample grids (the last epoch always gets one)
    checkpoint_every: int = 5      # epochs between ckpt_epochNNN.npz (latest.npz: every epoch)
    progress: bool = True          # a tqdm bar per epoch, when tqdm is installed
    overwrite: bool = False        # replace a run already in `out`
    interrupt_after: int = None    # for tests: stop as Ctrl-C would after this many iterations
    log_grad_norms: bool = False   # per-layer gradient norms and saturation to grad_norms.csv (npgan.training.monitor)

    def __post_init__(self):
        self.seed = check_int("seed", self.seed, low=0, optional=True)
        for name in ("log_every", "sample_every", "checkpoint_every"):
            setattr(self, name, check_int(name, getattr(self, name)))
        self.interrupt_after = check_int("interrupt_after", self.interrupt_after, optional=True)


@dataclasses.dataclass
class RunResult:
    status: str        # "done" | "interrupted" | "diverged" | "complete" (resumed, nothing left to train)
    epoch: int         # the epoch a resume would continue in
    iterations: int
    latest: str        # the checkpoint to resume from (or the last good one)

    @property
    def exit_code(self):
        return {"done": 0, "complete": 0, "interrupted": 130, "diverged": 1}[self.status]


def train(recipe, images, config=None, *, backend=None, resume=None, changes=None, data=None, comm=None,
          sync_bn=False, log=print, labels=None):
    """Train `recipe` on `images` (float32 host array (N, 784) in [0, 1]) into `config.out`; a conditional
    recipe needs the digits' `labels` (integers (N,)), joined to the images as one-hot columns.

    resume: a run checkpoint (path or RunCheckpoint) to continue; the recipe is then the stored one, with
    `changes` (a dict of recipe fields the caller set: a longer `epochs`, a new `lr`, ...) applied or
    refused (ResumeError). `data` ({"source", "path"}) is recorded in the checkpoints so that a resume can
    find the images again. `comm` (npgan.distributed.world()): with several ranks the run is data-parallel
    (each rank trains on its shard of every global batch; rank 0 alone writes); `sync_bn`: BatchNorm over
    the global batch. Everything is validated before anything is written. Returns a RunResult."""
    config = config or RunConfig()
    backend = B.resolve_backend(backend)
    changes = changes or {}
    saved = load_run_checkpoint(resume) if resume else None
    if saved:
        recipe, resume = apply_changes(saved, changes), saved.path
        if config.seed is not None and saved.seed is not None and config.seed != saved.seed:
            raise ResumeError(f"{resume} was trained with seed {saved.seed}; a resume keeps it (drop --seed)")
    stored_seed = saved.seed if saved and saved.seed is not None else 0
    config = dataclasses.replace(config, seed=stored_seed if config.seed is None else config.seed)
    if recipe is None:
        raise SettingError("recipe", "a new run needs a recipe (npgan.gan.presets.recipe)")
    per_epoch = _iterations_per_epoch(recipe, len(images))
    ranks = 1 if comm is None else comm.size
    # The generator average needs nothing of its own under mpiexec: every rank applies the same G update,
    # so every rank's average is the same, and rank 0 re-estimates its BatchNorm statistics when it saves.
    if ranks > 1 and recipe.conditional:
        raise SettingError("conditional", "runs in one process only (drop --conditional under mpiexec)")
    if recipe.conditional:
        if labels is None:
            raise SettingError("conditional", "a conditional run needs the images' labels (labels=)")
        images = join_labels(images, labels)
    if recipe.batch_size % ranks:
        raise SettingError("batch_size", f"{recipe.batch_size} must be divisible by the {ranks} ranks (each takes "
                           f"batch_size / {ranks} rows of every minibatch)")
    folder = RunFolder(config.out)
    folder.check_available(resume, config.overwrite)
    if ranks > 1:
        comm.barrier()  # every rank has checked the folder before rank 0 writes into it

    B.manual_seed(config.seed)
    trainer = presets.build_trainer(recipe, pixel_means=images[:, :IMAGE_DIM].mean(axis=0),
                                   backend=backend)
    parallel = None
    if ranks > 1 or sync_bn:
        from npgan.distributed import DataParallel
        parallel = DataParallel(trainer, recipe.batch_size, comm=comm, sync_bn=sync_bn)
    writer = parallel is None or parallel.is_writer
    log = log if writer else _quiet
    loader = Batches(images, batch_size=recipe.batch_size, backend=backend,
                     shard=parallel.shard if parallel else None)
    # the grids' noise has its own generator, so it is the same after a resume
    fixed_noise = sample_noise(GRID_SIZE, recipe.z_dim, recipe.noise, np, rng=np.random.default_rng([config.seed, 99]))
    if recipe.conditional:  # the class grid: row i shows digit i
        fixed_noise = concat_forward(fixed_noise, one_hot(grid_labels(GRID_SIZE // N_CLASSES)))[0]
    fixed_noise = B.to_device(fixed_noise, backend)
    epoch, done_in_epoch = 1, 0
    if saved:
        saved.restore(trainer, loader)
        apply_hyperparameters(trainer, recipe, changes)
        epoch, done_in_epoch = saved.epoch, saved.done_in_epoch
        if epoch > recipe.epochs:
            log(f"{resume}: the run is already complete ({recipe.epochs} of {recipe.epochs} epochs); pass a "
                f"larger --epochs to train further")
            return RunResult("complete", epoch, trainer.iterations, resume)

    if not writer:  # ranks other than 0 train their shards and touch no file
        try:
            return _Loop(trainer, loader, recipe, config, None, None, per_epoch, [], log, data, parallel).run(
                epoch, done_in_epoch)
        finally:
            parallel.close()
    stale = folder.open()
    try:
        if config.overwrite:
            folder.clear()
        if stale:
            log(f"removed {stale} temporary file(s) left in {config.out} by a run that was killed")
        history = folder.start_logs(RECORD_FIELDS, trainer.iterations, epoch)
        where = f"resumed from {resume}: epoch {epoch}, iteration {trainer.iterations}; " if saved else ""
        ranks_text = f" ranks={ranks}{' sync-bn' if sync_bn else ''}" if parallel else ""
        log(f"npgan {__version__}: {where}arch={recipe.arch} backend={backend} optimizer={recipe.optimizer} "
            f"lr={trainer.opt_G.lr:g} batch={recipe.batch_size} k={recipe.k} loss={recipe.loss} "
            f"noise={recipe.noise} epochs={recipe.epochs} images={len(images)}{_extras(recipe)}{ranks_text} -> "
            f"{config.out}")
        loop = _Loop(trainer, loader, recipe, config, folder, fixed_noise, per_epoch, history, log, data, parallel)
        return loop.run(epoch, done_in_epoch)
    finally:
        folder.close()
        if parallel is not None:
            parallel.close()


def _quiet(*args, **kwargs):
    pass


def _extras(recipe):
    return (f" ema={recipe.ema:g}" if recipe.ema else "") + (" conditional" if recipe.conditional else "")


def _iterations_per_epoch(recipe, n_images):
    batches = n_images // recipe.batch_size
    per_epoch = batches // (1 if recipe.update == "simultaneous" else recipe.k)
    if per_epoch == 0:
        raise SettingError("batch_size", f"{n_images} training images make no full iteration of "
                           f"{recipe.k} minibatch(es) of {recipe.batch_size}: use a smaller batch size")
    return per_epoch


class _Loop:
    """The epoch loop of one run (the state that the closures of a longer function would otherwise hold)."""

    def __init__(self, trainer, loader, recipe, config, folder, fixed_noise, per_epoch, history, log, data,
                 parallel=None):
        self.trainer, self.loader, self.recipe, self.config, self.data = trainer, loader, recipe, config, data
        self.parallel = parallel  # npgan.distributed.DataParallel, or None
        self.writer = folder is not None
        self.folder, self.fixed_noise, self.per_epoch, self.history, self.log = (folder, fixed_noise, per_epoch,
                                                                                 history, log)
        self.latest = folder.file("latest.npz") if folder else None
        self.grad_log = None
        if config.log_grad_norms and folder is not None:  # rank 0 alone: the gradients are the same everywhere
            from npgan.training.monitor import GradientFlowLog
            self.grad_log = GradientFlowLog(trainer, folder, trainer.iterations)

    def run(self, epoch, done_in_epoch):
        stop, batches = StopSignals(), endless(self.loader)
        try:
            while epoch <= self.recipe.epochs:
                self.trainer.begin_epoch(epoch)
                started = time.perf_counter()
                bar = progress(self.per_epoch, not (self.config.progress and self.writer), done_in_epoch,
                               f"epoch {epoch}")
                try:
                    while done_in_epoch < self.per_epoch:
                        self.trainer.iteration(batches)
                        if self.grad_log:
                            self.grad_log.observe()
                        done_in_epoch += 1
                        stopping = self._stopping(stop, done_in_epoch)
                        if stopping or done_in_epoch % self.config.log_every == 0 or done_in_epoch == self.per_epoch:
                            self._flush(epoch, bar)
                        bar.update(1)
                        if stopping:
                            self._save(self.latest, epoch, done_in_epoch)
                            self.log(f"interrupted at epoch {epoch}, iteration {self.trainer.iterations}: saved "
                                     f"{self.latest}; continue with --resume {self.latest}")
                            return RunResult("interrupted", epoch, self.trainer.iterations, self.latest)
                finally:
                    bar.close()
                self._end_epoch(epoch, time.perf_counter() - started)
                epoch, done_in_epoch = epoch + 1, 0
        except NonFiniteError as error:
            kept = self.latest if self.writer and os.path.exists(self.latest) else "none yet"
            if self.writer:
                print(f"stopped: {error}. The run diverged: try a smaller learning rate. The last good checkpoint "
                      f"is kept: {kept}", file=sys.stderr)
            return RunResult("diverged", epoch, self.trainer.iterations, kept)
        finally:
            stop.restore()
            if self.grad_log:
                self.grad_log.close()
        self.log(f"done: samples and checkpoints in {self.config.out}")
        return RunResult("done", epoch, self.trainer.iterations, self.latest)

    def _stopping(self, stop, done_in_epoch):
        """Whether to stop after this iteration: Ctrl-C / SIGTERM, or the tests' interrupt_after. Ranks must
        agree, so a data-parallel run decides at logging points only, by one small allreduce."""
        local = stop.requested or self.trainer.iterations == self.config.interrupt_after
        if self.parallel is None or self.parallel.comm.size == 1:
            return local
        if done_in_epoch % self.config.log_every and done_in_epoch != self.per_epoch and \
                self.trainer.iterations != self.config.interrupt_after:
            return False
        flag = np.array([float(local)])
        self.parallel.comm.allreduce_sum(flag)
        return bool(flag[0])

    def _flush(self, epoch, bar):
        popped = (self.parallel or self.trainer).pop_records()  # raises NonFiniteError before any write
        if not self.writer:
            return
        rows = self.folder.append_rows(epoch, popped)
        self.history.extend(rows)
        if self.grad_log:
            self.grad_log.flush(epoch)
        if rows:
            r = rows[-1]
            bar.set_postfix(D=f"{r['d_loss']:.3f}", G=f"{r['g_loss']:.3f}", Dx=f"{r['d_real']:.2f}",
                            DGz=f"{r['d_fake']:.2f}")

    def _end_epoch(self, epoch, seconds):
        if self.parallel is not None:
            self.parallel.sync_buffers()  # every rank: per-rank BatchNorm statistics averaged before saving
        if not self.writer:
            return
        rows = self.history[-self.per_epoch:]
        summary = {"epoch": epoch, "seconds": round(seconds, 2), "iterations": self.trainer.iterations,
                   **{key: float(np.mean([r[key] for r in rows])) for key in RECORD_FIELDS}}
        self.folder.append_summary(summary)
        self.log(f"epoch {epoch}/{self.recipe.epochs}  {seconds:.1f} s  D loss {summary['d_loss']:.3f}  "
                 f"G loss {summary['g_loss']:.3f}  D(x) {summary['d_real']:.3f}  D(G(z)) {summary['d_fake']:.3f}")
        if epoch % self.config.sample_every == 0 or epoch == self.recipe.epochs:
            G = self.trainer.G if self.trainer.ema is None else self._standing_average()  # the one evaluated
            viz.save_grid(sample(G, len(self.fixed_noise), z=self.fixed_noise),
                          self.folder.file(f"samples_epoch{epoch:03d}.png"))
        viz.plot_curves(self.history, self.folder.file("curves.png"))
        if self.grad_log:
            self.grad_log.draw()
        if epoch % self.config.checkpoint_every == 0:  # before latest.npz moves past this epoch
            self._save(self.folder.file(f"ckpt_epoch{epoch:03d}.npz"), epoch + 1, 0)
        self._save(self.latest, epoch + 1, 0)

    def _standing_average(self):
        return standing_statistics(self.trainer.ema.averaged, recipe_noise(self.recipe))

    def _save(self, path, epoch, done_in_epoch):
        if self.parallel is not None and done_in_epoch:
            self.parallel.sync_buffers()  # an interrupted epoch: the same averaging as at an epoch's end
        if not self.writer:
            return
        if self.trainer.ema is not None:
            self._standing_average()  # the saved average carries BatchNorm statistics of its own weights
        save_run_checkpoint(path, self.trainer, self.loader, self.recipe, epoch, done_in_epoch,
                            seed=self.config.seed, data=self.data)
