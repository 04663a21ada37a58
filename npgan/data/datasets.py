"""Datasets by name: the images a GAN trains on, with their shape, labels, provenance and identity.

    data = load_dataset("mnist")                 # a Dataset: float32 images (N, D) in [0, 1], labels (N,)
    data.image_shape, data.n_classes             # (28, 28), 10
    data = load_dataset("sklearn-digits", "test")       # (355, 64), image_shape (8, 8)
    data = load_files("faces/")                  # your own: a .npz, a .npy or a folder of PNG/JPEG images
    data = training_set("mnist", train_images=50000)   # what a run trains on (the offline subset repeated)
    data = training_set(path="faces/")           # the same for your own files
    check_enough(data, batch_size=100)           # TooFewImagesError when it holds less than one batch

A :class:`Dataset` carries everything a run, a checkpoint and an evaluation need to know about its data:
the images as rows (N, D) with D = prod(image_shape) (image_shape is (H, W) for grey images, (H, W, 3)
for colour, None for plain vectors), integer labels 0..C−1 or None, where they came from (`source`,
`path`) and a `checksum` of the split's values, so that a resume or a cached classifier can tell whether
it sees the same data.

The datasets by name (:data:`DATASETS`) and where each is looked for:

- ``mnist``: npgan.data.mnist (``data_dir``, else ``$NPGAN_DATA_DIR``, the cache ``$XDG_CACHE_HOME/npgan/
  mnist``, a download, the offline 5,000-digit subset).
- ``fashion-mnist``, ``kmnist``: npgan.data.idx_datasets (``data_dir``, else the cache ``$XDG_CACHE_HOME/
  npgan/<name>``, a download; no offline fallback, and ``$NPGAN_DATA_DIR`` stays MNIST's).
- ``sklearn-digits``: npgan.data.sklearn_digits (scikit-learn's own copy, or ``data_dir`` holding one).

Every mistake a user can make (a file that is not what it should be, data that are nowhere, too few images)
raises a :class:`npgan.data.errors.DataError` whose message is one line naming the file.
"""
import dataclasses
import hashlib
import math
import os

import numpy as np

from npgan.data import idx_datasets, sklearn_digits
from npgan.data.errors import DataError, TooFewImagesError
from npgan.data.files import read_files
from npgan.data.mnist import load_mnist, training_rows

DATASETS = ("mnist", "fashion-mnist", "kmnist", "sklearn-digits")
MNIST_SHAPE = (28, 28)
FILES_NAME = "files"  # the name of a Dataset read from the user's own files


def fingerprint(images, labels=None):
    """"sha256:" and the first 16 hex digits of the SHA-256 of the images' bytes (as float32, C order) and
    the labels' (as int64): equal data give equal checksums on every machine."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(images, dtype=np.float32).data)
    if labels is not None:
        digest.update(np.ascontiguousarray(labels, dtype=np.int64).data)
    return "sha256:" + digest.hexdigest()[:16]


@dataclasses.dataclass(eq=False)
class Dataset:
    """Images as float32 rows (N, D) in [0, 1], optional int64 labels (N,) in 0..C−1, their shape and
    where they came from. `checksum` is computed from the values when not given."""
    name: str
    images: np.ndarray
    labels: np.ndarray = None
    image_shape: tuple = None
    source: str = ""
    path: str = ""
    checksum: str = ""

    def __post_init__(self):
        if self.image_shape is not None:
            self.image_shape = tuple(int(side) for side in self.image_shape)
            if math.prod(self.image_shape) != self.images.shape[1]:
                raise ValueError(f"{self.name}: image_shape {self.image_shape} has "
                                 f"{math.prod(self.image_shape)} values, the rows have {self.images.shape[1]}")
        if not self.checksum:
            self.checksum = fingerprint(self.images, self.labels)

    def __len__(self):
        return len(self.images)

    @property
    def dim(self):
        """D, the width of a row."""
        return self.images.shape[1]

    @property
    def n_classes(self):
        """C, the number of classes (labels 0..C−1), or None without labels."""
        return None if self.labels is None or not len(self.labels) else int(self.labels.max()) + 1

    def info(self):
        """What a checkpoint records about the data: {"dataset", "source", "path", "checksum"} (strings)."""
        return {"dataset": self.name, "source": self.source, "path": str(self.path), "checksum": self.checksum}


def load_dataset(name="mnist", split="train", data_dir=None, **kwargs):
    """The `split` ("train" or "test") of the dataset called `name` (one of :data:`DATASETS`) as a
    :class:`Dataset`: float32 images (N, D) in [0, 1], int64 labels (N,) in 0..9.

    mnist, fashion-mnist, kmnist: 28×28 grey (D = 784), 60,000 training and 10,000 test images (MNIST offline:
    its 5,000-digit subset, 4,000 + 1,000). sklearn-digits: 8×8 grey (D = 64), 1,442 training and 355 test
    images. `data_dir` is the folder holding the files (see the module docstring); the keyword arguments go
    to the dataset's loader (npgan.data.mnist.load_mnist, npgan.data.idx_datasets.load_idx_dataset)."""
    if name == "mnist":
        data = load_mnist(split, data_dir=data_dir, **kwargs)
        return Dataset(name, data.images, data.labels, MNIST_SHAPE, data.source, data.path)
    if name in idx_datasets.SOURCES:
        images, labels, source, path = idx_datasets.load_idx_dataset(name, split, data_dir, **kwargs)
        return Dataset(name, images, labels, MNIST_SHAPE, source, path)
    if name == "sklearn-digits":
        images, labels, path = sklearn_digits.load_digits(split, data_dir, **kwargs)
        return Dataset(name, images, labels, sklearn_digits.SHAPE, "sklearn", path)
    raise DataError(f"unknown dataset {name!r} (known: {', '.join(DATASETS)}; your own files: --data PATH)")


def load_files(path):
    """Your own images at `path` — a .npz (``images``, optional ``labels``), a .npy, or a folder of same-size
    PNG/JPEG images (class subfolders give labels) — as a :class:`Dataset` named "files": float32 rows
    (N, D) in [0, 1], int64 labels or None, image_shape (H, W), (H, W, 3) or None (vectors). Its `path` is
    the absolute path; the formats and their checks are npgan.data.files'. DataError (one line naming the
    file) for anything it cannot take."""
    images, labels, image_shape = read_files(path)
    return Dataset(FILES_NAME, images, labels, image_shape, FILES_NAME, os.path.abspath(path))


def training_set(name="mnist", data_dir=None, train_images=None, log=print, path=None):
    """What a GAN run trains on: the training split of the dataset `name`, or, when `path` is given, the
    user's files there (:func:`load_files`; `name` and `data_dir` are then ignored); its first
    `train_images` rows when given. The checksum stays the whole split's (the run records `train_images`
    beside it).

    On MNIST's offline 5,000-digit subset (4,000 for training) an epoch goes over them as many times as
    makes one epoch of full MNIST, so that a preset's epochs mean as many updates as on the full set (8
    epochs of 15 updates would only draw blobs); npgan.data.mnist.training_rows does this for every dataset
    and for npgan.data.mnist.load_training_set. `log`: where that note goes (None: nowhere)."""
    data = load_files(path) if path is not None else load_dataset(name, "train", data_dir)
    images, labels = training_rows(data.images, data.labels, data.source, train_images, log)
    return dataclasses.replace(data, images=images, labels=labels)


def check_enough(data, batch_size):
    """`data` (a Dataset) unchanged when it holds at least one batch of `batch_size` images, else
    :class:`TooFewImagesError` naming its path (or its name)."""
    if len(data) < batch_size:
        raise TooFewImagesError(f"{data.path or data.name}: {len(data)} images, fewer than one batch of "
                                f"{batch_size}: add images or lower --batch-size")
    return data
