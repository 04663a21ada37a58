"""What a run writes, as extensions of the Trainer (Chainer's `training/extensions`): each a short class with a
trigger, called by npgan.training.Trainer at the moments its trigger names (see trainer.py).

    log = trainer.extend(LogReport())                  # metrics.csv: a row per iteration, at each "log"
    trainer.extend(EpochSummary(log))                  # history.jsonl and the printed line, every epoch
    trainer.extend(ProgressBar())                      # a tqdm bar per epoch
    trainer.extend(GradientFlow())                     # grad_norms.csv / .png (per-layer gradient norms)
    trainer.extend(SampleGrid(seed, every=1))          # samples_epochNNN.png, from a fixed noise batch
    trainer.extend(PlotCurves(log))                    # curves.png
    trainer.extend(Snapshot(seed, every=5, data=data)) # ckpt_epochNNN.npz every 5 epochs, latest.npz always

An extension reads the run from the trainer it is called with: `trainer.gan` (Algorithm 1), `.loader`,
`.recipe`, `.folder` (the RunFolder), `.epoch`, `.done_in_epoch` of `.per_epoch`, `.observation` (the
records of the last "log") and `.moment`. Its files follow the run folder's rules (npgan.training.runfolder):
every one replaced atomically, the logs cut back to the checkpoint on resume.
"""
import time

import numpy as np

from npgan import backend as B
from npgan import viz
from npgan.gan.conditional import concat_forward, grid_labels, one_hot
from npgan.gan.sampling import recipe_noise, sample
from npgan.gan.trainer import RECORD_FIELDS, sample_noise
from npgan.training.checkpoints import save_run_checkpoint
from npgan.training.monitor import GradientFlowMonitor
from npgan.training.progress import progress

GRID_SIZE = 100  # samples in each epoch's grid, from a fixed noise batch
GRID_COLUMNS = 10  # images per row of the grid (a conditional grid: one row per class)


class Trigger:
    """When an extension is called: at any of `moments` ("iteration", "log", "epoch", "stop"); at "epoch" only
    every `every`-th epoch, and at the run's last epoch too when `last`."""

    def __init__(self, *moments, every=1, last=False):
        self.moments, self.every, self.last = moments, every, last

    def __call__(self, trainer, moment):
        if moment not in self.moments:
            return False
        return moment != "epoch" or trainer.epoch % self.every == 0 or (self.last and trainer.epoch == trainer.epochs)


class Extension:
    """`__call__(trainer)` when `trigger` fires; `initialize(trainer)` once before the first iteration (the
    run folder is open), then `finalize(trainer)` once when the run ends, however it ends. Extensions called
    at the same moment run by `priority`, highest first, then in the order they were added."""
    trigger = Trigger("epoch")
    priority = 0

    def initialize(self, trainer):
        pass

    def __call__(self, trainer):
        raise NotImplementedError

    def finalize(self, trainer):
        pass


class LogReport(Extension):
    """metrics.csv: one row per iteration (epoch, iteration, d_loss, g_loss, d_real, d_fake, value), appended
    at each "log". `rows`: the run's rows as written (6 significant digits), those before a resume read back
    from the file, so that what is computed from them (the epoch means, the curves) is the same after a resume.
    Starting, it cuts the logs back to where the run continues (RunFolder.start_logs)."""
    trigger = Trigger("log")

    def initialize(self, trainer):
        self.rows = trainer.folder.start_logs(RECORD_FIELDS, trainer.gan.iterations, trainer.epoch)

    def __call__(self, trainer):
        self.rows += trainer.folder.append_rows(trainer.epoch, trainer.observation)


class EpochSummary(Extension):
    """history.jsonl: one line per epoch (its seconds, the iterations so far and the means of `log`'s rows of
    the epoch), and the same printed."""
    trigger = Trigger("epoch")

    def __init__(self, log):
        self.log = log

    def __call__(self, trainer):
        seconds = time.perf_counter() - trainer.epoch_started
        rows = self.log.rows[-trainer.per_epoch:]
        summary = {"epoch": trainer.epoch, "seconds": round(seconds, 2), "iterations": trainer.gan.iterations,
                   **{key: float(np.mean([r[key] for r in rows])) for key in RECORD_FIELDS}}
        trainer.folder.append_summary(summary)
        trainer.log(f"epoch {trainer.epoch}/{trainer.epochs}  {seconds:.1f} s  D loss {summary['d_loss']:.3f}  "
                    f"G loss {summary['g_loss']:.3f}  D(x) {summary['d_real']:.3f}  D(G(z)) {summary['d_fake']:.3f}")


class ProgressBar(Extension):
    """A bar per epoch (tqdm, when installed), with the last logged D and G losses, D(x) and D(G(z))."""
    trigger = Trigger("iteration", "log")

    def __init__(self):
        self.bar = None

    def __call__(self, trainer):
        if trainer.moment == "iteration":
            if self.bar is None:
                self.bar = progress(trainer.per_epoch, initial=trainer.done_in_epoch - 1, desc=f"epoch {trainer.epoch}")
            self.bar.update(1)
            return
        r = trainer.observation[-1]
        self.bar.set_postfix(D=f"{r['d_loss']:.3f}", G=f"{r['g_loss']:.3f}", Dx=f"{r['d_real']:.2f}",
                             DGz=f"{r['d_fake']:.2f}")
        if trainer.done_in_epoch == trainer.per_epoch:
            self.finalize(trainer)

    def finalize(self, trainer):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class GradientFlow(Extension):
    """Per-layer gradient norms of G and D and their saturated units (npgan.training.monitor), observed on
    the device after every iteration, written to grad_norms.csv at each "log" (cut back on resume, like
    metrics.csv) and drawn to grad_norms.png at each epoch's end."""
    trigger = Trigger("iteration", "log", "epoch")
    NAME, FIGURE = "grad_norms.csv", "grad_norms.png"

    def initialize(self, trainer):
        self.monitor = GradientFlowMonitor(trainer.gan.G, trainer.gan.D)
        self.fields = ("epoch", *self.monitor.fieldnames())
        self.rows = trainer.folder.start_csv(self.NAME, self.fields, trainer.gan.iterations)

    def __call__(self, trainer):
        if trainer.moment == "iteration":
            self.monitor.observe(trainer.gan)
        elif trainer.moment == "log":
            self.rows += trainer.folder.append_csv(self.NAME, self.fields, trainer.epoch, self.monitor.pop_rows())
        else:
            viz.plot_gradient_flow(self.rows, trainer.folder.file(self.FIGURE))

    def finalize(self, trainer):
        self.monitor.close()


class SampleGrid(Extension):
    """samples_epochNNN.png every `every` epochs and at the last: G's images of a fixed noise batch (its own
    generator, seeded by the run's `seed`: the same batch after a resume), drawn at the data's shape
    (recipe.image_shape, colour included); a conditional G draws class i in row i. When the run averages G
    (recipe.ema), the average is drawn, as evaluation uses it. Data without an image shape (vectors) get
    no grid."""

    def __init__(self, seed, every=1):
        self.seed, self.trigger = seed, Trigger("epoch", every=every, last=True)

    def initialize(self, trainer):
        recipe = self.recipe = trainer.recipe
        size = GRID_SIZE if not recipe.conditional else GRID_COLUMNS * recipe.n_classes
        z = sample_noise(size, recipe.z_dim, recipe.noise, np, rng=np.random.default_rng([self.seed, 99]))
        if recipe.conditional:
            z = concat_forward(z, one_hot(grid_labels(GRID_COLUMNS, recipe.n_classes), n_classes=recipe.n_classes))[0]
        self.noise = B.to_device(z, trainer.loader.backend)

    def __call__(self, trainer):
        if self.recipe.image_shape is None:
            return
        G = trainer.gan.G if trainer.gan.ema is None else standing_average(trainer)
        path = trainer.folder.file(f"samples_epoch{trainer.epoch:03d}.png")
        viz.save_grid(sample(G, len(self.noise), z=self.noise), path, GRID_COLUMNS, self.recipe.image_shape)


class PlotCurves(Extension):
    """curves.png every `every` epochs and at the last (with the sample grids: drawing them costs about a
    third of a second, which an epoch of small data may not take): the losses, D(x) and D(G(z)) of `log`'s
    rows over the iterations."""

    def __init__(self, log, every=1):
        self.log, self.trigger = log, Trigger("epoch", every=every, last=True)

    def __call__(self, trainer):
        viz.plot_curves(self.log.rows, trainer.folder.file("curves.png"))


class Snapshot(Extension):
    """The run checkpoints (npgan.training.checkpoints): at an epoch's end ckpt_epochNNN.npz every `every`
    epochs, then latest.npz, in that order (a kill between them loses no periodic checkpoint); at a stop,
    latest.npz. They record the run's `seed` and `data` (npgan.data.Dataset.info(): where a resume finds the
    images). Called after the other extensions of the same moment (priority -1): the logs and figures are
    on disk before the checkpoint that they must agree with."""
    trigger = Trigger("epoch", "stop")
    priority = -1

    def __init__(self, seed, every=5, data=None):
        self.seed, self.every, self.data = seed, every, data

    def __call__(self, trainer):
        if trainer.moment == "stop":  # mid-epoch: the run continues after the iterations done
            return self.save(trainer, trainer.latest, trainer.epoch, trainer.done_in_epoch)
        if trainer.epoch % self.every == 0:  # before latest.npz moves past this epoch
            self.save(trainer, trainer.folder.file(f"ckpt_epoch{trainer.epoch:03d}.npz"), trainer.epoch + 1, 0)
        self.save(trainer, trainer.latest, trainer.epoch + 1, 0)

    def save(self, trainer, path, epoch, done_in_epoch):
        if trainer.gan.ema is not None:
            standing_average(trainer)  # the saved average carries BatchNorm statistics of its own weights
        save_run_checkpoint(path, trainer.gan, trainer.loader, trainer.recipe, epoch, done_in_epoch,
                            seed=self.seed, data=self.data)


def standing_average(trainer):
    """The averaged generator with its BatchNorm statistics re-estimated through its weights (npgan.gan.ema),
    once per update of the average: the grid and the checkpoints of one epoch's end share it."""
    return trainer.gan.ema.standing(recipe_noise(trainer.recipe))
