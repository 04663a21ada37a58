"""The training run around Algorithm 1: epochs, logs, sample grids, checkpoints, resume, Ctrl-C, divergence.

- loop.py         `train(recipe, images, RunConfig(...))`: the epoch loop
- checkpoints.py  the run checkpoint's versioned layout, resume with changed settings, `load_generator`
- runfolder.py    what a run writes, in an order that survives a kill at any moment, and its lock
- signals.py      Ctrl-C / SIGTERM as a request to stop between iterations
- monitor.py      per-layer gradient norms and saturated units (`--log-grad-norms`)
- progress.py     the progress bar (tqdm when installed)
"""
from npgan.checkpoint import CheckpointError
from npgan.training.checkpoints import (LAYOUT, ResumeError, RunCheckpoint, apply_changes, load_generator,
                                        load_run_checkpoint, save_run_checkpoint)
from npgan.training.loop import GRID_SIZE, RunConfig, RunResult, train
from npgan.training.runfolder import OutputFolder, RunFolder, RunFolderError

__all__ = ["train", "RunConfig", "RunResult", "GRID_SIZE", "load_generator", "load_run_checkpoint",
           "save_run_checkpoint", "apply_changes", "RunCheckpoint", "LAYOUT", "RunFolder", "OutputFolder",
           "RunFolderError", "ResumeError", "CheckpointError"]
