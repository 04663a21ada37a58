"""Write small IDX files (the MNIST format) for tests: valid, and broken on purpose by the tests."""
import gzip

import numpy as np

from npgan.data import mnist

IDX_CODES = {np.dtype(">u1"): 0x08, np.dtype(">i1"): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C,
             np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array):
    """The IDX encoding of `array` (big-endian values, magic 0x0000TTDD, then the sizes)."""
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">"))
    header = bytes([0, 0, IDX_CODES[big.dtype], array.ndim])
    header += b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    return header + big.tobytes()


def write(path, data, compress=False):
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if compress else data)
    return str(path)


def tiny_mnist(n, seed=0):
    """A small fake MNIST split: uint8 images (n, 28, 28) and uint8 labels (n,)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n, dtype=np.uint8))


def write_split(directory, split, n, compress=True, seed=0):
    images, labels = tiny_mnist(n, seed)
    image_name, label_name = mnist.FILES[split]
    suffix = ".gz" if compress else ""
    write(directory / (image_name + suffix), idx_bytes(images), compress)
    write(directory / (label_name + suffix), idx_bytes(labels), compress)
    return images, labels
