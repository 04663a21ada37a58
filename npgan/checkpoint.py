"""Checkpoints: one `.npz` holding a nested dict of arrays, numbers and strings — no pickle anywhere.

    save_checkpoint("run/latest.npz", {"G": G.state_dict(), "opt_G": opt.state_dict(), "step": 1200})
    state = load_checkpoint("run/latest.npz")      # the same nested dict back

Nested keys are flattened with "/" ("G/0.weight"). The file is written to a temporary file in the same
folder (named ``.npgan-tmp-*``, so a later run can recognise and remove one that a kill left behind),
flushed to disk and renamed over the target, so a crash mid-write leaves the previous checkpoint intact.
Loading uses `allow_pickle=False`: a checkpoint cannot execute code.
"""
import contextlib
import os
import tempfile
import zipfile

import numpy as np

from npgan.backend import to_cpu

FORMAT = "npgan-checkpoint-1"
SEP = "/"
TEMP_PREFIX = ".npgan-tmp-"


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


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()  # read once: os.umask can only be read by setting it, which races with other threads


@contextlib.contextmanager
def atomic_file(path, mode="wb"):
    """Open a temporary file beside `path`; on a clean exit it is flushed, synced and renamed over `path`
    (with the permissions a plain `open` would give, 0644 under the usual umask); on any exception it is
    removed. Readers see the old file or the new one, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = os.path.splitext(path)[1]
    handle, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=folder)
    try:
        with os.fdopen(handle, mode) as f:  # owns the handle from here: closed on every way out
            os.fchmod(f.fileno(), 0o666 & ~UMASK)  # mkstemp makes 0600; outputs are ordinary files
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(error, OSError) and not error.filename:  # "File too large", "No space left": say where
            raise OSError(error.errno, f"cannot write {path}: {error.strerror or error}") from error
        raise


def save_checkpoint(path, state):
    """Write `state` (a nested dict) atomically to `path` (".npz" is not appended)."""
    flat = flatten(state)
    flat["__format__"] = np.asarray(FORMAT)
    with atomic_file(path) as f:
        np.savez(f, **flat)
    return path


def load_checkpoint(path):
    """Read a checkpoint written by save_checkpoint; errors name the file and what is wrong."""
    if not os.path.exists(path):
        raise CheckpointError(f"checkpoint {path!r} does not exist")
    if os.path.isdir(path):
        raise CheckpointError(f"{path!r} is not an npgan checkpoint: it is a directory")
    if not zipfile.is_zipfile(path):
        kind = "a plain .npy array" if _starts_with(path, b"\x93NUMPY") else "not a complete .npz archive (truncated, corrupt or another format)"
        raise CheckpointError(f"{path!r} is not an npgan checkpoint: it is {kind}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            flat = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as error:
        raise CheckpointError(f"checkpoint {path!r} is corrupt or not an .npz file ({error})") from error
    if flat.pop("__format__", None) is None:
        raise CheckpointError(f"{path!r} is an .npz file but not an npgan checkpoint (no __format__ entry)")
    return unflatten(flat)


def _starts_with(path, magic):
    with open(path, "rb") as f:
        return f.read(len(magic)) == magic
