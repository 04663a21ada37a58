"""Checkpoints: one `.npz` holding a nested dict of arrays, numbers and strings — no pickle anywhere.

    save_checkpoint("run/latest.npz", {"G": G.state_dict(), "opt_G": opt.state_dict(), "step": 1200})
    state = load_checkpoint("run/latest.npz")      # the same nested dict back

Nested keys are flattened with "/" ("G/0.weight"). The file is written to a temporary file in the same
folder, flushed to disk and renamed over the target, so a crash mid-write leaves the previous checkpoint
intact. Loading uses `allow_pickle=False`: a checkpoint cannot execute code.
"""
import os
import tempfile
import zipfile

import numpy as np

from npgan.backend import to_cpu

FORMAT = "npgan-checkpoint-1"
SEP = "/"


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, or not an npgan checkpoint."""


def flatten(tree, prefix=""):
    flat = {}
    for key, value in tree.items():
        key = str(key)
        if SEP in key:
            raise ValueError(f"checkpoint keys may not contain {SEP!r}: {key!r}")
        name = f"{prefix}{SEP}{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = np.asarray(to_cpu(value))
            if flat[name].dtype.hasobject:  # np.savez would pickle it silently, and loading would refuse it
                raise TypeError(f"checkpoint entry {name!r} is a {type(value).__name__} that needs pickle; "
                                f"checkpoints hold only arrays, numbers and strings")
    return flat


def unflatten(flat):
    tree = {}
    for name, value in flat.items():
        node = tree
        *parents, leaf = name.split(SEP)
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value.item() if value.ndim == 0 else value
    return tree


def save_checkpoint(path, state):
    """Write `state` (a nested dict) atomically to `path` (".npz" is not appended)."""
    flat = flatten(state)
    flat["__format__"] = np.asarray(FORMAT)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **flat)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def load_checkpoint(path):
    """Read a checkpoint written by save_checkpoint; errors name the file and what is wrong."""
    if not os.path.exists(path):
        raise CheckpointError(f"checkpoint {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            flat = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise CheckpointError(f"checkpoint {path!r} is corrupt or not an .npz file ({error})") from error
    if flat.pop("__format__", None) is None:
        raise CheckpointError(f"{path!r} is an .npz file but not an npgan checkpoint (no __format__ entry)")
    return unflatten(flat)
