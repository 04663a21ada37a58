"""The GAN of Goodfellow et al. (2014), built on npgan's framework (nn, optim) and knowing nothing of files:

- trainer.py      Algorithm 1: `GANTrainer` (k D steps, one G step; minimax or non-saturating; alternating
                  or simultaneous updates), `sample_noise`, the non-finite checks
- presets.py      the MNIST presets `slides`, `paper`, `tutorial`: their networks and validated recipes
                  (`recipe`, `Recipe`), `build`, `build_trainer`
- ema.py          generator averaging (θ̄ ← d·θ̄ + (1 − d)·θ) and its BatchNorm statistics
- conditional.py  the paper's §7 conditional model (the one-hot label joins z and x)
- sampling.py     `sample` images from a generator, `infer`, `recipe_noise`
"""
from npgan.gan.presets import ARCHS, OPTIMIZERS, Recipe, build, build_trainer, recipe
from npgan.gan.sampling import infer, recipe_noise, sample
from npgan.gan.trainer import (NOISE_PRIORS, RECORD_FIELDS, UPDATE_ORDERS, GANTrainer, NonFiniteError,
                               NonFiniteLossError, NonFiniteStateError, sample_noise)

__all__ = ["GANTrainer", "sample_noise", "NonFiniteError", "NonFiniteLossError", "NonFiniteStateError",
           "NOISE_PRIORS", "UPDATE_ORDERS", "RECORD_FIELDS", "ARCHS", "OPTIMIZERS", "Recipe", "recipe", "build",
           "build_trainer", "sample", "infer", "recipe_noise"]
