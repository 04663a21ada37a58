"""The whole run in one call: `train` builds the Trainer, adds the default extensions and runs them.

    from npgan import gan, training
    recipe = gan.recipe("slides", epochs=12)
    result = training.train(recipe, images, training.RunConfig(out="runs/mnist"))  # images: float32 (N, 784)
    result = training.train(recipe, data.training_set("sklearn-digits"), training.RunConfig(out="runs/digits"))
    result = training.train(None, images, training.RunConfig(out="runs/mnist"), resume="runs/mnist/latest.npz",
                            changes={"epochs": 20})                              # continue, and train longer
    G, recipe = training.load_generator("runs/mnist/latest.npz")
    digits = gan.sample(G, 64, recipe, seed=0)                                   # float32 (64, 784) in [0, 1]

The data decide the shapes: `images` (N, D) with their `image_shape` ((H, W) grey, (H, W, 3) colour, None
for vectors), or an npgan.data.Dataset that carries its shape, labels and provenance. The recipe is sized
for them (npgan.gan.presets.fit_data) and records them, so sampling, evaluation and resume need nothing else.

The pieces are npgan.training.Trainer (the loop: trainer.py) and its extensions (what the run writes:
extensions.py); examples/mnist_gan.py wires the same pieces by hand. The checkpoint layout is defined in
npgan.training.checkpoints, with a version.
"""
import dataclasses

import numpy as np

from npgan import backend as B
from npgan.data import Batches, Dataset
from npgan.gan import presets
from npgan.gan.conditional import join_labels
from npgan.settings import SettingError, check_int
from npgan.training.checkpoints import ResumeError, apply_changes, load_run_checkpoint
from npgan.training.extensions import (EpochSummary, GradientFlow, LogReport, PlotCurves, ProgressBar, SampleGrid,
                                       Snapshot)
from npgan.training.runfolder import RunFolder
from npgan.training.trainer import Trainer, iterations_per_epoch


@dataclasses.dataclass
class RunConfig:
    """How a run is kept: where, how often it logs, draws and checkpoints (not what it trains)."""
    out: str = "runs/mnist"
    seed: int = None               # None: 0 for a new run, the stored seed on resume
    log_every: int = 20            # iterations between log flushes (one device sync each)
    sample_every: int = 1          # epochs between sample grids and curves (the last epoch always gets them)
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


FROM_RECIPE = "recipe"  # train(image_shape=...)'s default: the recipe's shape (MNIST's, 28 × 28, unless fitted)


def train(recipe, images, config=None, *, backend=None, resume=None, changes=None, data=None, comm=None,
          sync_bn=False, log=print, labels=None, image_shape=FROM_RECIPE):
    """Train `recipe` on `images` into `config.out`: a float32 host array (N, D) in [0, 1] whose rows have
    `image_shape` ((H, W), (H, W, 3), None for vectors; default: the recipe's), or an npgan.data.Dataset
    (its images, labels, shape and provenance). A conditional recipe needs the `labels` (integers (N,)
    in 0..C−1), joined to the images as one-hot columns; it takes its C from them.

    resume: a run checkpoint (path or RunCheckpoint) to continue; the recipe is then the stored one, with
    `changes` (a dict of recipe fields the caller set: a longer `epochs`, a new `lr`, ...) applied or
    refused (ResumeError), and the data must be those it trained on (same width, same checksum when both
    are known). `data` ({"dataset", "source", "path", "checksum"}: a Dataset's info()) is recorded in the
    checkpoints so that a resume can find the images again. `comm` (npgan.distributed.world()): with several ranks the run is data-parallel
    (each rank trains on its shard of every global batch; rank 0 alone writes); `sync_bn`: BatchNorm over
    the global batch. Everything is validated before anything is written. Returns a RunResult."""
    config = config or RunConfig()
    backend = B.resolve_backend(backend)
    if isinstance(images, Dataset):
        data = {**images.info(), **(data or {})}
        labels = images.labels if labels is None else labels
        images, image_shape = images.images, images.image_shape
    saved = load_run_checkpoint(resume) if resume else None
    if saved:
        recipe = apply_changes(saved, changes or {})
    if recipe is None:
        raise SettingError("recipe", "a new run needs a recipe (npgan.gan.presets.recipe)")
    if saved:
        check_same_data(saved, images, data)
    else:
        recipe = fit(recipe, images, labels, image_shape)
    check_setup(recipe, 1 if comm is None else comm.size, saved, config.seed)
    seed = config.seed if config.seed is not None else saved.seed if saved and saved.seed is not None else 0
    pixels = images
    images = _checked(recipe, images, labels, 1 if comm is None else comm.size)
    RunFolder(config.out).check_available(saved and saved.path, config.overwrite)  # before any work

    B.manual_seed(seed)
    gan = presets.build_trainer(recipe, pixel_means=pixels.mean(axis=0), backend=backend)
    parallel = None
    if (comm is not None and comm.size > 1) or sync_bn:
        from npgan.distributed import DataParallel
        parallel = DataParallel(gan, recipe.batch_size, comm=comm, sync_bn=sync_bn)
    try:
        loader = Batches(images, batch_size=recipe.batch_size, backend=backend,
                         shard=parallel.shard if parallel else None)
        trainer = Trainer(gan, loader, recipe, config.out, log_every=config.log_every, overwrite=config.overwrite,
                          parallel=parallel, log=log, interrupt_after=config.interrupt_after)
        if saved:
            trainer.restore(saved, changes)
        log_report = trainer.extend(LogReport())
        trainer.extend(EpochSummary(log_report))
        if config.progress:
            trainer.extend(ProgressBar())
        if config.log_grad_norms:
            trainer.extend(GradientFlow())
        trainer.extend(SampleGrid(seed, every=config.sample_every))
        trainer.extend(PlotCurves(log_report, every=config.sample_every))
        trainer.extend(Snapshot(seed, every=config.checkpoint_every, data=data))
        return trainer.run()
    finally:
        if parallel is not None:
            parallel.close()


def check_setup(recipe, ranks=1, saved=None, seed=None):
    """What can be refused before the images are loaded: the recipe against the number of ranks, and a
    resume's seed (a resumed run keeps its own). SettingError or ResumeError, naming the setting."""
    if saved is not None and seed is not None and saved.seed is not None and seed != saved.seed:
        raise ResumeError(f"{saved.path} was trained with seed {saved.seed}; a resume keeps it (drop --seed)")
    # The generator average needs nothing of its own under mpiexec: every rank applies the same G update,
    # so every rank's average is the same, and rank 0 re-estimates its BatchNorm statistics when it saves.
    if ranks > 1 and recipe.conditional:
        raise SettingError("conditional", "runs in one process only (drop --conditional under mpiexec)")
    if recipe.batch_size % ranks:
        raise SettingError("batch_size", f"{recipe.batch_size} must be divisible by the {ranks} ranks (each takes "
                           f"batch_size / {ranks} rows of every minibatch)")


def fit(recipe, images, labels=None, image_shape=FROM_RECIPE):
    """The recipe of a new run sized for its data: width D from `images` (N, D), `image_shape` (default: the
    recipe's, which must then fit D), the number of classes from `labels` (a conditional G draws them)."""
    if np.ndim(images) != 2 or len(images) == 0:
        raise SettingError("images", f"must be rows (N, D) with N ≥ 1, got an array of shape {np.shape(images)}")
    if image_shape == FROM_RECIPE:
        image_shape = recipe.image_shape if recipe.data_dim == images.shape[1] else None
        if image_shape is None and recipe.image_shape is not None:
            raise SettingError("image_shape", f"the images are {images.shape[1]} wide, not {recipe.data_dim} as "
                               f"{recipe.image_shape} images: pass their image_shape (None for vectors)")
    n_classes = None  # (a recipe without labels keeps its default, MNIST's 10)
    if labels is not None and len(labels):
        n_classes = max(2, int(np.max(labels)) + 1)
    return presets.fit_data(recipe, image_shape, images.shape[1], n_classes)


def check_same_data(saved, images, data):
    """A resume trains on the data it started with: the same width, and the same dataset (by checksum) when
    both the checkpoint and the caller know it. ResumeError naming both."""
    if saved.recipe.data_dim != np.shape(images)[1]:
        raise ResumeError(f"{saved.path} was trained on data {saved.recipe.data_dim} wide, these images are "
                          f"{np.shape(images)[1]} wide: resume with the same data")
    was, now = saved.data.get("checksum"), (data or {}).get("checksum")
    if was and now and was != now:
        raise ResumeError(f"{saved.path} was trained on {saved.data.get('dataset', 'data')} {was}, this data is "
                          f"{(data or {}).get('dataset', 'other data')} {now}: resume with the same data")


def _checked(recipe, images, labels, ranks):
    """The images a run trains on (with a conditional recipe's one-hot labels joined), once the recipe is
    known to fit them and the ranks (check_setup)."""
    iterations_per_epoch(recipe, len(images))
    if not recipe.conditional:
        return images
    if labels is None:
        raise SettingError("conditional", "a conditional run needs the images' labels (labels=)")
    return join_labels(images, labels, recipe.n_classes)
