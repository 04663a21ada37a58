"""The run checkpoint: its layout (versioned), loading it with errors that name the file, resuming with
changed settings, and the generator it holds (`load_generator`; sampling it: npgan.gan.sampling).

Layout ``npgan-run-3`` (one .npz, npgan.checkpoint: nested keys, no pickle)::

    layout    "npgan-run-3"
    trainer   G, D, opt_G, opt_D (their state_dicts), counters, schedule_i
    loader    the data order: epoch, position, permutation
    rng       the run's random generators (JSON)
    recipe    the training recipe (JSON, npgan.gan.presets.Recipe), with the data's image_shape, data_dim
              and n_classes
    progress  epoch (the one to continue in), done_in_epoch (its iterations already done)
    run       seed, images (the number of training images), and the data's data_dataset (its name, or
              "files"), data_source, data_path, data_checksum (npgan.data.Dataset.info)
    ema       only when the recipe averages the generator (npgan.gan.ema): G (the averaged weights and
              BatchNorm buffers, as G's state_dict), decay, updates

``npgan-run-2`` (npgan 0.2) is the same without the data's shape, name and checksum: it still loads, as a
run on MNIST (28 × 28, 10 classes). ``npgan-run-1`` is also without the `ema` section (and recipes without
`ema`); it still loads. Files of the first npgan have no `layout` entry and no `run` section; they load as
``npgan-run-0``.
"""
import dataclasses
import json

import numpy as np

from npgan import backend as B
from npgan._version import __version__
from npgan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from npgan.gan import presets
from npgan.gan.ema import standing_statistics
from npgan.gan.sampling import recipe_noise
from npgan.nn.module import StateDictMismatch
from npgan.settings import SettingError

LAYOUT = "npgan-run-3"
KNOWN_LAYOUTS = ("npgan-run-0", "npgan-run-1", "npgan-run-2", LAYOUT)
SECTIONS = ("trainer", "loader", "rng", "recipe", "progress")
# Recipe fields a resumed run may change; every other field describes the state itself.
RESUMABLE = ("epochs", "lr", "momentum", "betas", "loss", "ema")


class ResumeError(ValueError):
    """A resume asked for something the checkpoint cannot continue with."""


def describe(recipe):
    data = "×".join(map(str, recipe.image_shape)) + " images" if recipe.image_shape else f"{recipe.data_dim}-vectors"
    return f"'{recipe.arch}' GAN (z_dim {recipe.z_dim}, hidden {recipe.hidden}, {data})"


@dataclasses.dataclass
class RunCheckpoint:
    path: str
    state: dict
    recipe: presets.Recipe
    epoch: int
    done_in_epoch: int
    seed: int          # None for files of npgan 0.2
    images: int        # None for files of npgan 0.2
    data: dict         # the data: {"dataset", "source", "path", "checksum"} (what was recorded; "dataset"
                       # is "mnist" for files before npgan-run-3)

    @property
    def iterations(self):
        return int(self.state["trainer"]["counters"]["iterations"])

    @property
    def completed_epochs(self):
        return self.epoch - 1

    def restore(self, trainer, loader):
        """Load the trainer, the data order and the random generators (all checked against this file)."""
        bad = non_finite(self.state["trainer"])
        if bad:
            raise CheckpointError(f"{self.path} holds non-finite values ({', '.join(bad[:3])}): the run had "
                                  f"diverged when it was saved; resume from an earlier checkpoint")
        if self.images is not None and self.images != len(loader.images):
            raise ResumeError(f"{self.path} was trained on {self.images} images, this data has "
                              f"{len(loader.images)}: resume with the same data (--data-dir, --train-images)")
        try:
            trainer.load_state_dict(self.state["trainer"])
            loader.load_state_dict(self.state["loader"])
            if trainer.ema is not None and "ema" in self.state:
                trainer.ema.load_state_dict(self.state["ema"])  # the average so far (a new decay applies on)
            elif trainer.ema is not None:
                trainer.ema.restart()  # --ema given on resume: the average starts at the resumed weights
        except StateDictMismatch as error:
            raise CheckpointError(f"{self.path}: its weights do not fit the {describe(self.recipe)} that its "
                                  f"recipe describes ({error})") from None
        except (KeyError, ValueError, TypeError) as error:
            raise CheckpointError(f"{self.path}: cannot restore the run from it ({type(error).__name__}: "
                                  f"{error})") from None
        B.set_rng_state(self.state["rng"], fallback_offset=trainer.iterations)


def load_run_checkpoint(path):
    """Read and check a run checkpoint; every problem is a CheckpointError naming the file."""
    if isinstance(path, RunCheckpoint):
        return path
    state = load_checkpoint(path)
    layout = state.get("layout", "npgan-run-0")
    if layout not in KNOWN_LAYOUTS:
        raise CheckpointError(f"{path}: run layout {layout!r} is not one this npgan {__version__} reads "
                              f"({', '.join(KNOWN_LAYOUTS)}): written by a newer npgan?")
    missing = [name for name in SECTIONS if name not in state]
    if missing:
        raise CheckpointError(f"{path}: not a training-run checkpoint (it has no {', '.join(missing)} "
                              f"section{'s' if len(missing) > 1 else ''})")
    try:
        recipe = presets.Recipe.from_dict(json.loads(state["recipe"]))
        progress, run = state["progress"], state.get("run", {})
        epoch, done = int(progress["epoch"]), int(progress["done_in_epoch"])
        int(state["trainer"]["counters"]["iterations"])
    except (SettingError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise CheckpointError(f"{path}: damaged run checkpoint ({type(error).__name__}: {error})") from None
    if recipe.ema and not isinstance(state.get("ema"), dict):
        raise CheckpointError(f"{path}: its recipe averages the generator (ema {recipe.ema}) but it has no ema "
                              f"section")
    data = {k[len("data_"):]: str(v) for k, v in run.items() if k.startswith("data_")}
    if layout != LAYOUT:
        data.setdefault("dataset", "mnist")  # every run before npgan-run-3 trained on MNIST
    return RunCheckpoint(str(path), state, recipe, epoch, done, _int_or_none(run.get("seed")),
                         _int_or_none(run.get("images")), data)


def non_finite(tree, prefix=""):
    """The names of the floating-point arrays in a nested state dict that hold NaN or inf."""
    bad = []
    for name, value in tree.items() if isinstance(tree, dict) else ():
        if isinstance(value, dict):
            bad += non_finite(value, f"{prefix}{name}/")
        elif np.issubdtype(np.asarray(value).dtype, np.floating) and not np.isfinite(value).all():
            bad.append(prefix + name)
    return bad


def _int_or_none(value):
    return None if value is None else int(value)


def save_run_checkpoint(path, trainer, loader, recipe, epoch, done_in_epoch, seed, data=None):
    """Write the run's state at the end of an iteration: it continues in `epoch` after `done_in_epoch`.
    `data`: the images' dataset, source, path and checksum (npgan.data.Dataset.info), so that a resume,
    sampling and evaluation find them again."""
    run = {"seed": seed, "images": len(loader.images), **{f"data_{k}": str(v) for k, v in (data or {}).items()}}
    state = {"layout": LAYOUT, "trainer": trainer.state_dict(), "loader": loader.state_dict(), "rng": B.rng_state(),
             "recipe": json.dumps(recipe.to_dict()), "progress": {"epoch": epoch, "done_in_epoch": done_in_epoch},
             "run": run}
    if trainer.ema is not None:
        state["ema"] = trainer.ema.state_dict()
    save_checkpoint(path, state)
    return path


def apply_changes(saved, changes):
    """The recipe a resumed run continues with: the stored one, with the RESUMABLE fields of `changes`
    replaced. Any other field that differs is a ResumeError naming it (the state cannot follow it)."""
    recipe = saved.recipe
    for name, value in changes.items():
        if value is None or value == getattr(recipe, name):
            continue
        if name == "arch":
            raise ResumeError(f"{saved.path} holds a {describe(recipe)}; --arch {value} asks for another "
                              f"architecture: drop --arch (a resume keeps the stored one)")
        if name not in RESUMABLE:
            raise ResumeError(f"{saved.path} was trained with {name} = {getattr(recipe, name)!r}; a resume cannot "
                              f"change it to {value!r} (it may change: {', '.join(RESUMABLE)})")
        if name == "momentum" and recipe.final_momentum is not None:
            raise ResumeError(f"{saved.path}: momentum follows the recipe's ramp to {recipe.final_momentum}; "
                              f"a resume cannot set it")
    allowed = {k: v for k, v in changes.items() if k in RESUMABLE and v is not None}
    return dataclasses.replace(recipe, **allowed)


def apply_hyperparameters(trainer, recipe, changes):
    """After a restore: the optimizers take the changed lr, momentum and betas (their saved values would
    otherwise win)."""
    if changes.get("lr") is not None:
        trainer.set_lr(recipe.lr)
    for optimizer in (trainer.opt_G, trainer.opt_D):
        if changes.get("momentum") is not None and hasattr(optimizer, "momentum"):
            optimizer.momentum = recipe.momentum
        if changes.get("betas") is not None and hasattr(optimizer, "betas"):
            optimizer.betas = tuple(recipe.betas)


def check_generator_finite(saved, average=True, advice="use an earlier checkpoint"):
    """Refuse (CheckpointError naming the tensors) a checkpoint whose trained G, or with `average` its
    average, holds NaN or inf. A diverged G is refused even when its average still looks finite: the next
    update would spoil that too."""
    bad = non_finite(saved.state["trainer"].get("G", {}))
    if average:
        bad += [f"average's {name}" for name in non_finite(saved.state.get("ema", {}).get("G", {}))]
    if bad:
        raise CheckpointError(f"{saved.path}: the generator's {', '.join(bad[:3])} hold{'s' if len(bad) == 1 else ''} "
                              f"non-finite values (the run diverged); {advice}")


def load_generator(path, backend=None, averaged=None):
    """(G, recipe) of a run checkpoint: G on `backend`, in eval mode. Refuses a generator whose weights are
    not all finite (a diverged run: sample from an earlier checkpoint).

    averaged: None (default) gives the averaged generator when the run kept one (recipe.ema), else the
    trained G; True insists on the average (CheckpointError if there is none); False gives the raw G."""
    saved = load_run_checkpoint(path)
    if averaged and not saved.recipe.ema:
        raise CheckpointError(f"{path}: the run kept no generator average (it was trained without --ema)")
    use_average = saved.recipe.ema is not None and averaged is not False
    G, _ = presets.build(saved.recipe)
    check_generator_finite(saved, use_average, "sample from an earlier checkpoint")
    weights = saved.state["ema"]["G"] if use_average else saved.state["trainer"].get("G", {})
    try:
        G.load_state_dict(weights)
    except (StateDictMismatch, ValueError, TypeError) as error:
        raise CheckpointError(f"{path}: its generator does not fit the {describe(saved.recipe)} its recipe "
                              f"describes ({error})") from None
    G.to(B.resolve_backend(backend))
    if use_average:  # its BatchNorm statistics, re-estimated through the averaged weights (npgan.gan.ema)
        standing_statistics(G, recipe_noise(saved.recipe))
    return G.eval(), saved.recipe
