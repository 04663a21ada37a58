"""The real images every number is compared with, for any dataset: which they are, and how they are split.

    real = run_data(saved)                       # the data a run checkpoint trained on, found again
    real = run_data(saved, data_dir="mnist/")    # IDX datasets: another folder; files: data="moved/here"
    real = load_real_data("sklearn-digits")      # by name; load_real_data(path="faces/") for your own files
    real = RealData.from_datasets(train, test)   # a library call: any npgan.data.Dataset (test may be None)

The splits, the same rule on every dataset:

- **test**: the dataset's test split. Your own files (and a Dataset given without one) have none, so the
  last fifth (rounded down) of each class's rows, in file order, is held out as the test split — of all rows
  when there are no labels (npgan.data.subset.split_last_fifth, the rule of MNIST's offline subset).
- **fit / validation**: the training split's first 5/6 train the classifier behind FID, score and coverage
  (MNIST: images 0–50,000, the paper's split), its last 1/6 are the validation images: the classifier
  never saw them, so they give the real-data column of the report and choose the Parzen window's σ.
- **the run's images** (the memorisation number, Figure 2): the first `train_images` rows of what the run
  trained on, checked against the count and checksum its checkpoint recorded. A run on your own files
  trained on every file, the held-out fifth included; its memorisation number measures distances to the
  other four fifths, so that the held-out images are new to the set they are compared with.

`checksum` is the checksum a run records (npgan.data.Dataset.checksum of the training split; of all the
files for your own files): a classifier is cached and matched by the dataset's name and this checksum.
"""
import dataclasses
import functools
import os

import numpy as np

from npgan.data import DATASETS, Dataset, load_dataset, load_files, train_validation_split
from npgan.data.errors import DataError, DatasetNotFoundError
from npgan.data.subset import split_last_fifth
from npgan.settings import SettingError

FILES = "files"  # the name npgan.data.load_files gives your own files
DISPLAY = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "kmnist": "KMNIST"}
HELD_OUT_RULE = "the last fifth of each class's rows (file order), held out"
HELD_OUT_ROWS = "the last fifth of the rows (file order), held out"


class RunDataError(DataError):
    """The data at hand are not the ones a run trained on, or cannot be found; the message says which
    file or folder and how to point at the right one."""


def display_name(name):
    """How a dataset is named in a sentence: MNIST, Fashion-MNIST, KMNIST, else its name."""
    return DISPLAY.get(name, name)


def image_noun(name):
    """"digits" for the digit datasets (as npgan's MNIST reports always said), "images" for any other."""
    return "digits" if name in ("mnist", "sklearn-digits") else "images"


def class_noun(name, n=2):
    """What the classes of a dataset are called: "digits" ("digit" for n = 1) for the digit datasets, else
    "classes" ("class")."""
    digits = name in ("mnist", "sklearn-digits")
    return ("digit" if digits else "class") if n == 1 else ("digits" if digits else "classes")


@dataclasses.dataclass(eq=False)
class RealData:
    """A dataset's images split for judging a generator (see the module docstring).

    trained_on: what a run of this data trains on (its checksum is the one the run records); held_out: a
    bool mask over its rows, True for the rows that are the test split (your own files), else all False;
    train / test: the training and test splits (Datasets); test_rule: where the test split comes from, in
    words. n_fit: the training split's rows that train the classifier (the rest validate)."""
    trained_on: Dataset
    held_out: np.ndarray
    train: Dataset
    test: Dataset
    test_rule: str = "the dataset's test split"

    @classmethod
    def from_datasets(cls, train, test=None):
        """The splits of `train` (a Dataset: what a run trained on) with `test` as its test split, or, when
        test is None, the last fifth of each class of `train` held out as one."""
        if test is None:
            keys = train.labels if train.labels is not None else np.zeros(len(train), np.int64)
            fit_rows, test_rows = split_last_fifth(keys)
            held_out = np.zeros(len(train), bool)
            held_out[test_rows] = True
            rule = HELD_OUT_RULE if train.labels is not None else HELD_OUT_ROWS
            return cls(train, held_out, _rows(train, fit_rows), _rows(train, test_rows), rule)
        return cls(train, np.zeros(len(train), bool), train, test)

    # --- who they are ------------------------------------------------------------------------------------

    name = property(lambda self: self.trained_on.name)
    checksum = property(lambda self: self.trained_on.checksum)
    source = property(lambda self: self.trained_on.source)
    path = property(lambda self: str(self.trained_on.path))
    image_shape = property(lambda self: self.trained_on.image_shape)
    dim = property(lambda self: self.trained_on.dim)
    noun = property(lambda self: image_noun(self.name))

    @property
    def n_classes(self):
        """C, the number of classes of the labels (None without labels: no classifier metrics)."""
        return self.trained_on.n_classes

    @property
    def labelled(self):
        return self.n_classes is not None and self.n_classes >= 2

    def describe(self):
        """One line: the dataset, where it came from, its checksum and the sizes of its splits."""
        shape = "×".join(map(str, self.image_shape)) if self.image_shape else f"{self.dim}-vectors"
        return (f"{display_name(self.name)} ({self.source}: {self.path}; checksum {self.checksum}; {shape}, "
                f"{self.n_classes or 'no'} classes; {len(self.train):,} training and {len(self.test):,} test "
                f"{self.noun}, test: {self.test_rule})")

    def info(self):
        """The same as a dict (for --json)."""
        return {**self.trained_on.info(), "image_shape": list(self.image_shape or ()) or None,
                "n_classes": self.n_classes, "n_train": len(self.train), "n_fit": self.n_fit,
                "n_validation": len(self.val_x), "n_test": len(self.test), "test_split": self.test_rule}

    # --- the splits ----------------------------------------------------------------------------------------

    @functools.cached_property
    def n_fit(self):
        """Rows of the training split that train the classifier: MNIST's first 50,000 (the paper's split; 5/6
        of fewer, as npgan.data.train_validation_split says in a warning), 5/6 of any other dataset."""
        if self.name == "mnist":
            return len(train_validation_split(self.train.images, self.train.labels)[0][0])
        return len(self.train) * 5 // 6

    fit_x = property(lambda self: self.train.images[:self.n_fit])
    val_x = property(lambda self: self.train.images[self.n_fit:])
    test_x = property(lambda self: self.test.images)
    test_y = property(lambda self: self.test.labels)

    def classifier_sets(self):
        """((images, labels) to train the classifier on, (images, labels) of the test split)."""
        return (self.fit_x, self.train.labels[:self.n_fit]), (self.test_x, self.test_y)

    def run_images(self, saved):
        """The images the run of `saved` (an npgan.training.checkpoints.RunCheckpoint) trained on, once each
        (the MNIST subset, which the run repeats within an epoch, too), less the held-out rows of your own
        files. RunDataError when they are not the run's: another number of images, or another checksum."""
        limit = saved.recipe.train_images
        images = self.trained_on.images[:limit] if limit else self.trained_on.images
        recorded = saved.images  # None for files of npgan 0.2: nothing to compare
        repeated = self.source == "offline-subset" and recorded is not None and recorded % len(images) == 0
        where = f"{display_name(self.name)} data here ({self.path})"
        if recorded is not None and recorded != len(images) and not repeated:
            source = saved.data.get("path") or saved.data.get("source")
            raise RunDataError(f"{saved.path} was trained on {recorded} images{f' from {source}' if source else ''}, "
                               f"but the {where} give {len(images)}: pass the run's data with {_flag(saved)}")
        was = saved.data.get("checksum")
        if was and was != self.checksum:
            raise RunDataError(f"{saved.path} was trained on data of checksum {was}, but the {where} have "
                               f"{self.checksum}: pass the run's data with {_flag(saved)}")
        return images[~self.held_out[:len(images)]]


def _flag(saved):
    return "--data PATH" if saved.data.get("dataset") not in DATASETS else "--data-dir"


def _rows(data, rows):
    labels = None if data.labels is None else data.labels[rows]
    return dataclasses.replace(data, images=data.images[rows], labels=labels, checksum="")


def load_real_data(name="mnist", data_dir=None, path=None):
    """The RealData of the dataset `name` (its train and test splits, from `data_dir` or where
    npgan.data.load_dataset looks), or of your own files at `path` (npgan.data.load_files; last fifth held out)."""
    if path is not None:
        return RealData.from_datasets(load_files(path))
    return RealData.from_datasets(load_dataset(name, "train", data_dir), load_dataset(name, "test", data_dir))


def run_data(saved, data_dir=None, data=None):
    """The RealData of what the run of `saved` trained on, found from its checkpoint: a dataset by name
    (from `data_dir`, else the folder the run read when it named one and that folder is still there, else
    where the dataset is looked for), or its files (at `data`, else where they were). One RunDataError
    line, with the flag that points at them, when they cannot be found (SettingError on `data` for a run
    on a dataset by name); their checksum is checked by the caller (RealData.run_images, or a note beside
    the classifier metrics)."""
    name, where = saved.data.get("dataset", "mnist"), saved.data.get("path", "")
    if name in DATASETS:
        if data is not None:
            raise SettingError("data", f"{saved.path} was trained on {display_name(name)}, not on files: drop --data "
                                       f"(and use --data-dir for another folder of its files)")
        if data_dir is None and saved.data.get("source") == "data_dir" and os.path.isdir(where):
            data_dir = where  # the folder the run was trained from
        return load_real_data(name, data_dir)
    if data is None and name == FILES:
        if not os.path.exists(where):
            raise RunDataError(f"{saved.path} was trained on the files at {where}, which are not there any more: "
                               f"pass --data PATH where they are now")
        data = where
    if data is None:
        raise RunDataError(f"{saved.path} was trained on {name!r}, data given to npgan.training.train in a "
                           f"library call ({saved.data.get('source') or 'no source'}: {where or 'no path'}), which "
                           f"no command can load by that name: save them as a .npz (images, labels) and pass "
                           f"--data FILE")
    try:
        return load_real_data(path=data)
    except DatasetNotFoundError as error:
        raise RunDataError(f"{error} (--data names the files {saved.path} was trained on)") from None
