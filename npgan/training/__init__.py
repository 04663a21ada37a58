"""The training run around Algorithm 1: epochs, logs, sample grids, checkpoints, resume, Ctrl-C, divergence.

- trainer.py      `Trainer`: the loop (epochs of `GANTrainer.iteration`), calling its extensions at their triggers
- extensions.py   what a run writes, one short class each: LogReport, EpochSummary, ProgressBar, GradientFlow,
                  SampleGrid, PlotCurves, Snapshot
- run.py          `train(recipe, images, RunConfig(...))`: the Trainer with the default extensions, in one call
- checkpoints.py  the run checkpoint's versioned layout, resume with changed settings, `load_generator`
- runfolder.py    what a run writes, in an order that survives a kill at any moment, and its lock
- signals.py      Ctrl-C / SIGTERM as a request to stop between iterations
- monitor.py      per-layer gradient norms and saturated units (`--log-grad-norms`)
- progress.py     the progress bar (tqdm when installed)
"""
from npgan.checkpoint import CheckpointError
from npgan.training.checkpoints import (LAYOUT, ResumeError, RunCheckpoint, apply_changes, load_generator,
                                        load_run_checkpoint, save_run_checkpoint)
from npgan.training.extensions import (GRID_SIZE, EpochSummary, Extension, GradientFlow, LogReport, PlotCurves,
                                       ProgressBar, SampleGrid, Snapshot, Trigger)
from npgan.training.run import RunConfig, check_setup, train
from npgan.training.runfolder import OutputFolder, RunFolder, RunFolderError
from npgan.training.trainer import RunResult, Trainer

__all__ = ["train", "check_setup", "RunConfig", "RunResult", "Trainer", "Extension", "Trigger", "LogReport", "EpochSummary",
           "ProgressBar", "GradientFlow", "SampleGrid", "PlotCurves", "Snapshot", "GRID_SIZE", "load_generator",
           "load_run_checkpoint", "save_run_checkpoint", "apply_changes", "RunCheckpoint", "LAYOUT", "RunFolder",
           "OutputFolder", "RunFolderError", "ResumeError", "CheckpointError"]
