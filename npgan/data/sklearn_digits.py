"""scikit-learn's 8×8 handwritten digits: 1,797 images of 10 classes that ship inside scikit-learn's wheel
(``sklearn/datasets/data/digits.csv.gz``), read from that file without importing scikit-learn — a real
dataset that needs no network (``pip install scikit-learn``, or ``pip install npgan[digits]``).

    images, labels, path = load_digits("train")    # float32 (1442, 64) in [0, 1], int64 (1442,) in 0..9

The file (the test set of the UCI "Optical Recognition of Handwritten Digits" data) holds one digit per row,
no header: 64 pixel values 0..16 (an 8×8 image, row by row), then the label. Pixels are divided by 16.
The split is the one of MNIST's offline subset (npgan.data.subset.split_last_fifth): the last fifth of each
class's rows, in file order, is the test split (355 images), the rest the training split (1,442).
"""
import importlib.util
import os
import zlib

import numpy as np

from npgan.data.errors import DataFormatError, DatasetNotFoundError, one_line
from npgan.data.subset import split_last_fifth

FILE = "digits.csv.gz"
SHAPE = (8, 8)
LEVELS = 16  # pixel values are 0..16 (counts of set pixels in 4×4 blocks of a 32×32 bitmap)
N_DIGITS = 1797


def find_digits():
    """Path of ``digits.csv.gz`` inside an installed scikit-learn, or None. ``find_spec`` on the top-level
    package locates it without executing it, so scikit-learn (and SciPy behind it) is never imported."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "datasets", "data", FILE)
        if os.path.isfile(path):
            return path
    return None


def read_digits(path):
    """Read the digits file (gzipped or not): uint8 pixels (N, 64) in 0..16 and int64 labels (N,) in 0..9.
    Anything else raises :class:`DataFormatError` naming the file."""
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (ValueError, OSError, EOFError, zlib.error) as error:
        raise DataFormatError(f"{path}: not a CSV of numbers ({type(error).__name__}: {one_line(error)})") from None
    if table.shape[1] != 65:
        raise DataFormatError(f"{path}: rows have {table.shape[1]} columns, expected 65 (64 pixels, label)")
    if not len(table):
        raise DataFormatError(f"{path}: holds no digits")
    pixels, labels = table[:, :64], table[:, 64]
    if (not np.isfinite(table).all() or (table != np.round(table)).any() or pixels.min() < 0
            or pixels.max() > LEVELS or labels.min() < 0 or labels.max() > 9):
        raise DataFormatError(f"{path}: pixels must be integers in 0..{LEVELS} and labels in 0..9")
    return pixels.astype(np.uint8), labels.astype(np.int64)


def load_digits(split="train", data_dir=None):
    """`split` ("train": 1,442 digits, "test": 355, "all": 1,797 in file order) as float32 images (N, 64) in
    [0, 1] (pixels / 16), int64 labels (N,) in 0..9, and the file read.

    The file is scikit-learn's; `data_dir`, when given, is a folder holding a copy of ``digits.csv.gz``
    instead (for a machine without scikit-learn). :class:`DatasetNotFoundError` when neither is there."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', not {split!r}")
    if data_dir:
        path = os.path.join(data_dir, FILE)
        if not os.path.isfile(path):
            raise DatasetNotFoundError(f"--data-dir {data_dir!r} does not hold {FILE} (sklearn-digits reads "
                                       "scikit-learn's copy when no folder is given)")
    else:
        path = find_digits()
        if path is None:
            raise DatasetNotFoundError("sklearn-digits is read from scikit-learn's wheel, which is not installed: "
                                       "pip install scikit-learn (or pip install npgan[digits])")
    pixels, labels = read_digits(path)
    if split != "all":
        keep = split_last_fifth(labels)[split == "test"]
        pixels, labels = pixels[keep], labels[keep]
    images = pixels.astype(np.float32)
    images /= float(LEVELS)  # in place on float32: stays float32, exact (a power of two)
    return images, labels, path
