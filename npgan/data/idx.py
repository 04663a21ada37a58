"""The IDX file format of MNIST (and of Fashion-MNIST and KMNIST, which copy it file for file): a reader that
checks everything and names the file in every error, the standard file names, and a split's pair of files.

Layout: a 4-byte big-endian magic number ``0x0000TTDD`` (TT the type code, 0x08 = unsigned byte; DD the
number of dimensions), DD big-endian uint32 sizes, then the values in C order. Files may be gzipped
(detected from their first bytes, not their name).
"""
import gzip
import math
import os
import zlib

import numpy as np

from npgan.data.errors import DataFormatError

IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801  # ubyte data, 3 dims / 1 dim
# IDX type codes (third byte of the magic number) -> big-endian dtype
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FILES = {  # split -> (images, labels), the standard names (without .gz) of MNIST, Fashion-MNIST and KMNIST
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SHAPE = (28, 28)  # of every image in these datasets

MnistFormatError = DataFormatError  # the name this error had before other datasets used the reader


def read_idx(path, magic=None):
    """Read an IDX file, raw or gzipped (detected from its first bytes, not its name), into a NumPy array.

    Layout: a 4-byte big-endian magic number ``0x0000TTDD`` (TT the type code, 0x08 = unsigned byte; DD the
    number of dimensions), DD big-endian uint32 sizes, then the values in C order. Checks the magic (against
    `magic` when given), the sizes, and that the length is exactly header + data; anything else raises
    :class:`DataFormatError` (alias MnistFormatError) naming the file. The data are read in blocks up to the
    size the header declares, so a file that declares more than it holds fails without allocating it.
    """
    try:
        with _open(path) as f:
            return _read_idx(f, path, magic)
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError; a cut stream is EOFError
        if _is_gzip(path):
            raise DataFormatError(f"{path}: broken gzip stream ({type(error).__name__}: {error}): "
                                   "truncated or corrupt download?") from None
        raise DataFormatError(f"{path}: cannot read it ({type(error).__name__}: {error})") from None


def _read_idx(f, path, magic):
    head = f.read(4)
    if len(head) < 4:
        raise DataFormatError(f"{path}: {len(head)} bytes is too short for an IDX header: truncated?")
    found = int.from_bytes(head, "big")
    if magic is not None and found != magic:
        raise DataFormatError(f"{path}: wrong magic number 0x{found:08x}, expected 0x{magic:08x}"
                               f" ({'images' if magic == IMAGES_MAGIC else 'labels'} file): not this IDX file")
    code, ndim = head[2], head[3]
    if head[:2] != b"\0\0" or code not in _IDX_DTYPES or ndim == 0:
        raise DataFormatError(f"{path}: bad magic number 0x{found:08x}: not an IDX file")
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DataFormatError(f"{path}: header of {ndim} dimensions needs {4 + 4 * ndim} bytes, file has "
                               f"{4 + len(sizes)}: truncated?")
    shape = tuple(int.from_bytes(sizes[4 * i: 4 * i + 4], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow, whatever the header says
    blocks, got = [], 0
    while got < expected:
        block = f.read(min(expected - got, _BLOCK))
        if not block:
            break
        blocks.append(block)
        got += len(block)
    if got < expected or f.read(1):
        size, problem = (f"{4 + 4 * ndim + got}", "truncated?") if got < expected else \
            (f"more than {4 + 4 * ndim + expected}" if _is_gzip(path) else f"{os.path.getsize(path)}",
             "trailing bytes: corrupt?")
        raise DataFormatError(f"{path}: shape {shape} of {dtype.name} means {4 + 4 * ndim + expected} bytes, "
                               f"file has {size}{' (decompressed)' if _is_gzip(path) else ''}: {problem}")
    # astype to native byte order copies, so the result is writable and independent of the bytes read
    return np.frombuffer(b"".join(blocks), dtype).reshape(shape).astype(dtype.newbyteorder("="))


_BLOCK = 1 << 24


def _is_gzip(path):
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _open(path):
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")


# --- a split: the standard pair of files -------------------------------------------------------------------

def find_files(directory, split):
    """Paths of the (images, labels) files of `split` in `directory`, or None when either is missing.

    Accepts each standard name as is, with ``.gz``, or with the ``.idx`` spelling some copies use.
    """
    paths = []
    for name in FILES[split]:
        spellings = (name, name + ".gz", name.replace("-idx", ".idx"), name.replace("-idx", ".idx") + ".gz")
        candidates = [os.path.join(directory, s) for s in spellings]
        found = [path for path in candidates if os.path.isfile(path)]
        folders = [path for path in candidates if os.path.isdir(path)]
        if not found and folders:
            raise DataFormatError(f"{folders[0]}: is a directory, not an IDX file")
        if not found:
            return None
        paths.append(found[0])
    return tuple(paths)


def read_split(images_path, labels_path, dataset="MNIST"):
    """Read and check one split's IDX pair: uint8 images (N, 28, 28) and labels (N,) in 0..9."""
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.ndim != 3 or images.shape[1:] != SHAPE:
        raise DataFormatError(f"{images_path}: images are {images.shape[1:]}, {dataset}'s are {SHAPE}")
    if len(images) == 0:
        raise DataFormatError(f"{images_path}: holds no images")
    if len(images) != len(labels):
        raise DataFormatError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} "
                              "labels: files from different splits?")
    if labels.size and labels.max() > 9:
        raise DataFormatError(f"{labels_path}: label {labels.max()} outside 0..9")
    return images, labels


def to_float(images, labels):
    """uint8 images (N, ...) and labels (N,) as float32 rows (N, D) in [0, 1] and int64 labels (N,)."""
    images = images.reshape(len(images), -1).astype(np.float32)
    images /= 255.0  # in place on float32: stays float32 (and exact: correctly rounded division)
    return images, labels.astype(np.int64)
