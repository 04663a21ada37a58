"""Fashion-MNIST and KMNIST: MNIST's drop-in replacements (the same four IDX files under the same names,
28×28 grey images, labels 0..9), read by MNIST's reader and downloaded by its verified download.

    images, labels, source, path = load_idx_dataset("fashion-mnist", "train")   # (60000, 784), (60000,)

:func:`load_idx_dataset` looks for a split's two files in this order:

1. ``data_dir``, when given (``--data-dir``): it must hold them, gzipped or not — a typo is an error, not a
   silent switch to a download. ``$NPGAN_DATA_DIR`` is MNIST's folder and does not apply here (the files of
   these datasets have MNIST's names, so one folder cannot hold two of them).
2. The per-user cache, ``$XDG_CACHE_HOME/npgan/<name>`` (default ``~/.cache/npgan/<name>``).
3. A download into that cache from the dataset's mirrors, each archive written atomically and checked
   against its published MD5 before it is kept.
4. Otherwise :class:`DatasetNotFoundError`, one line naming the files, the folder to put them in, where they
   are published and what the download attempts answered. There is no offline fallback.

The mirrors and MD5s are those torchvision's ``FashionMNIST`` and ``KMNIST`` datasets publish (checked
against the datasets' own pages: github.com/zalandoresearch/fashion-mnist, github.com/rois-codh/kmnist).
"""
import dataclasses
import os

from npgan.data.download import DownloadError, cache_dir as dataset_cache_dir, download_file
from npgan.data.errors import DatasetNotFoundError, one_line
from npgan.data.idx import FILES, find_files, read_split, to_float


@dataclasses.dataclass(frozen=True)
class IdxSource:
    """Where a dataset of MNIST's four IDX files is published: URL prefixes tried in order, the MD5 of each
    .gz archive, and the dataset's home page."""
    title: str
    mirrors: tuple
    md5: dict
    homepage: str


SOURCES = {
    "fashion-mnist": IdxSource(
        "Fashion-MNIST",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # the one torchvision uses
         "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
         "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
         "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
        "https://github.com/zalandoresearch/fashion-mnist"),
    "kmnist": IdxSource(
        "KMNIST",
        ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",  # the one torchvision uses
         "https://codh.rois.ac.jp/kmnist/dataset/kmnist/"),
        {"train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
         "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
         "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
         "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134"},
        "https://github.com/rois-codh/kmnist"),
}


def load_idx_dataset(name, split="train", data_dir=None, *, download=True, cache_dir=None, fetch=None):
    """`split` ("train": 60,000 images, "test": 10,000) of the dataset `name` (a key of :data:`SOURCES`) as
    float32 images (N, 784) in [0, 1] (uint8 / 255), int64 labels (N,) in 0..9, where they came from
    ("data_dir", "cache" or "download") and the folder that holds them.

    `download=False` never downloads; `cache_dir` replaces the per-user cache; `fetch(url, dest)` downloads
    one file (default :func:`npgan.data.download.urllib_fetch`)."""
    source = SOURCES[name]
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    cache = cache_dir or dataset_cache_dir(name)
    attempts = []
    if data_dir:
        where, paths = "data_dir", find_files(data_dir, split)
        if paths is None:
            raise DatasetNotFoundError(f"--data-dir {data_dir!r} does not hold the {source.title} {split} files "
                                       f"{_files(split)} (gzipped or not); {_published(source)}")
    else:
        where, paths = "cache", find_files(cache, split)
        if paths is None and download:
            try:
                paths = tuple(download_file(file + ".gz", cache, source.mirrors, fetch, source.md5)
                              for file in FILES[split])
                where = "download"
            except DownloadError as error:
                attempts = error.attempts
        if paths is None:
            tried = "; ".join(f"{url}: {one_line(why)}" for url, why in attempts)
            raise DatasetNotFoundError(
                f"{source.title} {split} data not found: put {_files(split)} (gzipped or not) in {cache}, or in a "
                f"folder passed as --data-dir DIR; {_published(source)}" + (f"; download failed: {tried}" if tried
                                                                           else ""))
    images, labels = to_float(*read_split(*paths, dataset=source.title))
    return images, labels, where, os.path.dirname(paths[0])


def _files(split):
    return " and ".join(file + ".gz" for file in FILES[split])


def _published(source):
    return f"they are published at {source.mirrors[0]} (see {source.homepage})"
