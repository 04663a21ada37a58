"""The IDX file format of MNIST: a reader that checks everything and names the file in every error.

Layout: a 4-byte big-endian magic number ``0x0000TTDD`` (TT the type code, 0x08 = unsigned byte; DD the
number of dimensions), DD big-endian uint32 sizes, then the values in C order. Files may be gzipped
(detected from their first bytes, not their name).
"""
import gzip
import math
import os
import zlib

import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801  # ubyte data, 3 dims / 1 dim
# IDX type codes (third byte of the magic number) -> big-endian dtype
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MnistFormatError(ValueError):
    """A file is not a valid IDX (or mnist_5k CSV) file; the message names the file and the problem."""


def read_idx(path, magic=None):
    """Read an IDX file, raw or gzipped (detected from its first bytes, not its name), into a NumPy array.

    Layout: a 4-byte big-endian magic number ``0x0000TTDD`` (TT the type code, 0x08 = unsigned byte; DD the
    number of dimensions), DD big-endian uint32 sizes, then the values in C order. Checks the magic (against
    `magic` when given), the sizes, and that the length is exactly header + data; anything else raises
    :class:`MnistFormatError` naming the file. The data are read in blocks up to the size the header
    declares, so a file that declares more than it holds fails without allocating the declared size.
    """
    try:
        with _open(path) as f:
            return _read_idx(f, path, magic)
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError; a cut stream is EOFError
        if _is_gzip(path):
            raise MnistFormatError(f"{path}: broken gzip stream ({type(error).__name__}: {error}): "
                                   "truncated or corrupt download?") from None
        raise MnistFormatError(f"{path}: cannot read it ({type(error).__name__}: {error})") from None


def _read_idx(f, path, magic):
    head = f.read(4)
    if len(head) < 4:
        raise MnistFormatError(f"{path}: {len(head)} bytes is too short for an IDX header: truncated?")
    found = int.from_bytes(head, "big")
    if magic is not None and found != magic:
        raise MnistFormatError(f"{path}: wrong magic number 0x{found:08x}, expected 0x{magic:08x}"
                               f" ({'images' if magic == IMAGES_MAGIC else 'labels'} file): not this IDX file")
    code, ndim = head[2], head[3]
    if head[:2] != b"\0\0" or code not in _IDX_DTYPES or ndim == 0:
        raise MnistFormatError(f"{path}: bad magic number 0x{found:08x}: not an IDX file")
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise MnistFormatError(f"{path}: header of {ndim} dimensions needs {4 + 4 * ndim} bytes, file has "
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
        raise MnistFormatError(f"{path}: shape {shape} of {dtype.name} means {4 + 4 * ndim + expected} bytes, "
                               f"file has {size}{' (decompressed)' if _is_gzip(path) else ''}: {problem}")
    # astype to native byte order copies, so the result is writable and independent of the bytes read
    return np.frombuffer(b"".join(blocks), dtype).reshape(shape).astype(dtype.newbyteorder("="))


_BLOCK = 1 << 24


def _is_gzip(path):
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _open(path):
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")
