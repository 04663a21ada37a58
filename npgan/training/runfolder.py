"""The run folder: what a training run writes, in an order that survives a kill at any moment.

    runs/mnist/
      metrics.csv          one row per iteration (appended once per logging interval)
      grad_norms.csv/.png  with log_grad_norms: per-layer gradient norms and saturation (npgan.training.monitor)
      history.jsonl        one line per finished epoch
      samples_epochNNN.png curves.png
      ckpt_epochNNN.npz    every --checkpoint-every epochs, written BEFORE latest.npz moves on
      latest.npz           where a resume continues
      .npgan-lock          held (flock) while a run writes here

Rules: a folder that holds a run is refused unless the caller resumes it or asks to overwrite it; a
second process cannot write into a folder that a live run holds; every file is replaced atomically
(npgan.checkpoint.atomic_file), and temporary files that a killed run left behind are removed when the
next run opens the folder. On resume the logs are cut back to the checkpoint: rows past its iteration,
epochs it had not finished and a torn last line (a kill mid-append) are dropped.

OutputFolder applies the same rules to a command that writes a known set of files once its work is done (the
examples' figures and tables).
"""
import csv
import glob
import json
import os
import re

from npgan.checkpoint import TEMP_PREFIX, atomic_file
from npgan.settings import SettingError, same_file

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; a second writer is then the user's responsibility
    fcntl = None

RUN_FILES = ("latest.npz", "metrics.csv", "history.jsonl", "curves.png", "grad_norms.csv", "grad_norms.png")
RUN_PATTERNS = ("ckpt_epoch*.npz", "samples_epoch*.png")
# The temporary files a killed run leaves (atomic_file's, named for the run's own kinds of output, so that a
# command writing another file into the folder at that moment, npgan-evaluate --json say, keeps its own),
# and the temp names of early 0.1.0.
RUN_ENDINGS = (".npz", ".csv", ".jsonl", ".png")
OLD_TEMP_PATTERN = ".tmp-*.npz"
LOCK_NAME = ".npgan-lock"


class RunFolderError(RuntimeError):
    """The folder cannot be used as asked (it holds another run, another process writes to it, ...)."""


class RunFolder:
    def __init__(self, path):
        self.path = os.fspath(path)
        self._lock = None

    def file(self, name):
        return os.path.join(self.path, name)

    def endings(self):
        """The kinds of file this folder's run writes: a temporary file of one of them is the run's own."""
        return RUN_ENDINGS

    def _pattern(self, pattern):
        """A glob pattern for files of this folder (a folder named with [ or * matches only itself)."""
        return os.path.join(glob.escape(self.path), pattern)

    def run_files(self):
        """The names of the run outputs present (empty for a new or empty folder)."""
        if not os.path.isdir(self.path):
            return []
        names = [name for name in RUN_FILES if os.path.exists(self.file(name))]
        for pattern in RUN_PATTERNS:
            names += sorted(os.path.basename(p) for p in glob.glob(self._pattern(pattern)))
        return names

    def check_usable(self):
        """Refuse an empty name, or a path that exists but is not a folder (before anything is written)."""
        if not self.path:
            raise SettingError("out", "needs a folder name")
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise RunFolderError(f"output folder {self.path!r} exists and is not a folder")

    def check_available(self, resume=None, overwrite=False, resume_with="--resume"):
        """Refuse (before anything is written) a folder that holds another run, unless `resume` is a
        checkpoint of the run that lives here or `overwrite` replaces it; the message says which to use,
        `resume_with` being how the caller's user resumes (a command without --resume names one that has)."""
        self.check_usable()
        held = self.run_files()
        if not held or overwrite:
            return
        if resume and same_file(os.path.dirname(os.path.abspath(resume)), self.path):
            return  # continuing the run that lives here
        shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        checkpoints = [name for name in held if name.endswith(".npz")]
        if not checkpoints:  # killed before its first checkpoint
            raise RunFolderError(f"{self.path!r} holds the logs of a run that saved no checkpoint ({shown}): "
                                 f"replace them with --overwrite, or choose another --out")
        newest = "latest.npz" if "latest.npz" in checkpoints else max(checkpoints)  # killed before latest.npz
        raise RunFolderError(f"{self.path!r} already holds a run ({shown}): continue it with {resume_with} "
                             f"{self.file(newest)}, replace it with --overwrite, or choose another --out")

    # --- opening -----------------------------------------------------------------------------------------

    def open(self):
        """Create the folder, take its lock and remove temporary files a killed run left. Returns how many
        stale temporary files were removed."""
        self.check_usable()
        os.makedirs(self.path, exist_ok=True)
        if fcntl is not None:
            handle = open(self.file(LOCK_NAME), "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise RunFolderError(f"another npgan run is writing to {self.path!r}; wait for it to finish "
                                     "or choose another --out") from None
            self._lock = handle
        patterns = [TEMP_PREFIX + "*" + ending for ending in self.endings()] + [OLD_TEMP_PATTERN]
        stale = [p for pattern in patterns for p in glob.glob(self._pattern(pattern))]
        for path in stale:
            os.remove(path)
        return len(stale)

    def close(self):
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def clear(self):
        """Remove the run outputs (and nothing else: other files in the folder stay)."""
        for name in self.run_files():
            os.remove(self.file(name))

    # --- logs --------------------------------------------------------------------------------------------

    def start_logs(self, fields, iteration=0, epoch=1):
        """Open the logs for a run that continues after `iteration` in `epoch` (0 and 1: a new run).

        Returns the metrics rows kept (dicts of numbers), which the curves are drawn from."""
        self.fields = ("epoch", "iteration", *fields)
        rows = self.start_csv("metrics.csv", self.fields, iteration)
        history = self._read_history(epoch)
        with atomic_file(self.file("history.jsonl"), "w") as f:
            f.writelines(json.dumps(line) + "\n" for line in history)
        for path in glob.glob(self._pattern("samples_epoch*.png")):
            match = re.fullmatch(r"samples_epoch(\d+)\.png", os.path.basename(path))
            if match and int(match.group(1)) >= epoch:
                os.remove(path)  # drawn by the part of a run that the checkpoint does not hold
        return rows

    def start_csv(self, name, fields, iteration=0):
        """Cut the CSV log `name` back to its rows up to `iteration` (a new run: the header alone), tolerating
        a torn last line; returns the kept rows as dicts of numbers."""
        rows, raw = self._read_csv(name, fields, iteration)
        with atomic_file(self.file(name), "w") as f:
            writer = csv.writer(f)
            writer.writerow(fields)
            writer.writerows([[line[k] for k in fields] for line in raw])  # the kept rows, as written
        return rows

    def _read_csv(self, name, fields, iteration):
        path = self.file(name)
        if iteration == 0 or not os.path.exists(path):
            return [], []
        rows, raw = [], []
        with open(path, newline="") as f:
            for line in csv.DictReader(f):
                try:
                    row = {k: (int(line[k]) if k in ("epoch", "iteration") else float(line[k])) for k in fields}
                except (KeyError, TypeError, ValueError):  # a torn line (a kill mid-append) or a foreign one
                    continue
                if row["iteration"] <= iteration:
                    rows.append(row)
                    raw.append(line)
        return rows, raw

    def _read_history(self, epoch):
        path = self.file("history.jsonl")
        if epoch <= 1 or not os.path.exists(path):
            return []
        kept = []
        with open(path) as f:
            for line in f:
                try:
                    summary = json.loads(line)
                except ValueError:
                    continue
                if isinstance(summary, dict) and isinstance(summary.get("epoch"), int) and summary["epoch"] < epoch:
                    kept.append(summary)
        return kept

    def append_rows(self, epoch, rows):
        """Append one logging interval's rows to metrics.csv (see append_csv)."""
        return self.append_csv("metrics.csv", self.fields, epoch, rows)

    def append_csv(self, name, fields, epoch, rows):
        """Append rows (dicts with "iteration" and the other `fields` but "epoch") to the CSV log `name`.
        Returns them as written (6 significant digits), so that what a run computes from its rows (epoch
        means, curves) is the same after a resume, which reads them back from the file."""
        written = [{"epoch": epoch, "iteration": row["iteration"], **{k: f"{row[k]:.6g}" for k in fields[2:]}}
                   for row in rows]
        with open(self.file(name), "a", newline="") as f:
            csv.writer(f).writerows([[line[k] for k in fields] for line in written])
        return [{k: (v if k in ("epoch", "iteration") else float(v)) for k, v in line.items()} for line in written]

    def append_summary(self, summary):
        with open(self.file("history.jsonl"), "a") as f:
            f.write(json.dumps(summary) + "\n")


class OutputFolder(RunFolder):
    """The folder of a command that writes a known set of files when its work is done (the examples' figures
    and tables), under the rules of a run folder: refused while it holds an earlier run's outputs unless the
    user passes --overwrite, locked while in use, temporary files of a killed run removed when opened.

        out = OutputFolder(args.out, ["figure1.png", "metrics.csv", "frames/frame_*.png"])
        out.check_empty(args.overwrite)       # before any work: one line naming the folder and the flag
        with out:                             # creates and locks the folder
            ...                               # the work
            out.clear()                       # the earlier run's outputs go once the new ones are ready
            ...                               # the new outputs, each written with atomic_file
    """

    def __init__(self, path, outputs):
        super().__init__(path)
        self.outputs = tuple(outputs)  # file names and glob patterns, relative to the folder

    def run_files(self):
        if not os.path.isdir(self.path):
            return []
        found = []
        for pattern in self.outputs:
            found += sorted(os.path.relpath(p, self.path)
                            for p in glob.glob(os.path.join(glob.escape(self.path), pattern)))
        return found

    def endings(self):
        return sorted({os.path.splitext(pattern)[1] for pattern in self.outputs} - {""})

    def check_empty(self, overwrite=False):
        self.check_usable()
        held = self.run_files()
        if held and not overwrite:
            shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
            raise RunFolderError(f"{self.path!r} holds the outputs of an earlier run ({shown}): replace them "
                                 f"with --overwrite, or choose another --out")

    def open(self):
        stale = super().open()
        for folder in sorted({os.path.dirname(pattern) for pattern in self.outputs} - {""}):
            for path in glob.glob(os.path.join(glob.escape(self.file(folder)), TEMP_PREFIX + "*")):
                os.remove(path)
                stale += 1
        return stale

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()
