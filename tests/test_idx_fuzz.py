"""read_idx under fuzzing (hypothesis, derandomised in CI): truncations, trailing bytes, random magic numbers
and dimensions, and headers that declare enormous sizes. Whatever the bytes, the reader returns the right
array or raises MnistFormatError naming the file — never another exception, and never allocates the size a
header merely declares."""
import gzip
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from idx_files import idx_bytes
from npgan.data.mnist import MnistFormatError, read_idx

VALID = idx_bytes(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))


def read(tmp_path_factory, data, compress):
    path = tmp_path_factory.mktemp("idx") / "file.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    try:
        return read_idx(str(path)), str(path)
    except MnistFormatError as error:
        assert str(path) in str(error)  # the message names the file
        return error, str(path)


@given(cut=st.integers(0, len(VALID) - 1), compress=st.booleans())
def test_every_truncation_is_a_format_error(tmp_path_factory, cut, compress):
    result, _ = read(tmp_path_factory, VALID[:cut], compress)
    assert isinstance(result, MnistFormatError)


@given(extra=st.binary(min_size=1, max_size=64), compress=st.booleans())
def test_trailing_bytes_are_a_format_error(tmp_path_factory, extra, compress):
    result, _ = read(tmp_path_factory, VALID + extra, compress)
    assert isinstance(result, MnistFormatError) and "trailing bytes" in str(result)


@given(data=st.binary(max_size=96), compress=st.booleans())
def test_random_bytes_never_raise_anything_else(tmp_path_factory, data, compress):
    result, _ = read(tmp_path_factory, data, compress)
    assert isinstance(result, (MnistFormatError, np.ndarray))


@given(shape=st.lists(st.integers(0, 5), min_size=1, max_size=4),
       code=st.sampled_from([(0x08, ">u1"), (0x09, ">i1"), (0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"),
                             (0x0E, ">f8")]),
       delta=st.integers(-3, 3), compress=st.booleans())
def test_dimensions_and_type_codes(tmp_path_factory, shape, code, delta, compress):
    """A header of any dimensions and type, followed by exactly, or a few bytes more or less than, the data it
    declares: the exact case reads back the right shape and values, the others are format errors."""
    dtype = np.dtype(code[1])
    values = np.arange(int(np.prod(shape)), dtype=np.int64).astype(dtype).reshape(shape)
    header = bytes([0, 0, code[0], len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)
    body = values.tobytes()
    body = body[:len(body) + delta] if delta < 0 else body + b"\0" * delta
    result, _ = read(tmp_path_factory, header + body, compress)
    if delta == 0:
        assert isinstance(result, np.ndarray) and result.shape == tuple(shape)
        np.testing.assert_array_equal(result, values)
    else:
        assert isinstance(result, MnistFormatError) or (delta < 0 and values.size == 0)


@given(sizes=st.lists(st.integers(2 ** 20, 2 ** 32 - 1), min_size=1, max_size=4), compress=st.booleans(),
       body=st.integers(0, 4096))
def test_huge_declared_sizes_fail_without_allocating_them(tmp_path_factory, sizes, compress, body):
    header = bytes([0, 0, 0x0E, len(sizes)]) + b"".join(n.to_bytes(4, "big") for n in sizes)
    tracemalloc.start()
    try:
        result, _ = read(tmp_path_factory, header + b"\1" * body, compress)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(result, MnistFormatError) and "truncated" in str(result)
    assert peak < 32 * 2 ** 20, peak  # a few blocks, not the terabytes declared


@pytest.mark.parametrize("magic", [0x00000801, 0x00000803])
def test_the_expected_magic_is_checked(tmp_path, magic):
    path = tmp_path / "x.idx"
    path.write_bytes(VALID)  # a 3-dimension file: an images file, not a labels one
    if magic == 0x00000803:
        assert read_idx(str(path), magic).shape == (2, 3, 4)
    else:
        with pytest.raises(MnistFormatError, match="wrong magic number 0x00000803, expected 0x00000801"):
            read_idx(str(path), magic)
