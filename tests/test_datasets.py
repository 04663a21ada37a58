"""npgan.data.datasets: datasets by name as a Dataset, and what a run trains on. Every file is made by the
test; nothing touches the network (Fashion-MNIST and KMNIST's downloads: test_download_http.py), and
scikit-learn's 8×8 digits are read from its wheel."""
import gzip
import sys

import numpy as np
import pytest

from idx_files import write_split

from npgan.data import (DataError, DataFormatError, Dataset, DatasetNotFoundError, MnistFormatError,
                        MnistNotFoundError, TooFewImagesError, load_dataset, training_set)
from npgan.data import mnist, sklearn_digits


# --- the errors --------------------------------------------------------------------------------------------

def test_every_data_error_is_one_data_error_and_the_old_names_still_work():
    assert issubclass(DataFormatError, DataError) and issubclass(DataError, ValueError)
    assert issubclass(DatasetNotFoundError, DataError) and issubclass(DatasetNotFoundError, FileNotFoundError)
    assert issubclass(TooFewImagesError, DataError)
    assert MnistFormatError is DataFormatError and issubclass(MnistNotFoundError, DatasetNotFoundError)
    from npgan.data.download import DownloadError
    assert issubclass(DownloadError, DataError) and issubclass(DownloadError, OSError)


def test_unknown_name_is_a_data_error():
    with pytest.raises(DataError, match="unknown dataset 'cifar' .known: mnist, fashion-mnist, kmnist, "
                                        "sklearn-digits"):
        load_dataset("cifar")


# --- MNIST through the Dataset interface -------------------------------------------------------------------

def test_mnist_training_set_is_load_training_set(tmp_path):
    """The run's Dataset and the old tuple are the same rows: one logic (mnist.training_rows) under both."""
    write_split(tmp_path, "train", 30)
    images, labels, info = mnist.load_training_set(str(tmp_path), 20, log=None)
    data = training_set("mnist", data_dir=str(tmp_path), train_images=20, log=None)
    np.testing.assert_array_equal(data.images, images)
    np.testing.assert_array_equal(data.labels, labels)
    assert (data.source, data.path) == (info["source"], info["path"]) and data.image_shape == (28, 28)
    assert data.checksum == load_dataset("mnist", data_dir=str(tmp_path)).checksum  # the whole split's


# --- scikit-learn's 8×8 digits -----------------------------------------------------------------------------

@pytest.fixture
def real_digits():
    path = sklearn_digits.find_digits()
    if path is None:
        pytest.skip("needs scikit-learn installed (pip install scikit-learn, or the test extra)")
    return path


def test_sklearn_digits_from_the_wheel(real_digits):
    train, test = load_dataset("sklearn-digits", "train"), load_dataset("sklearn-digits", "test")
    everything, labels, path = sklearn_digits.load_digits("all")
    assert path == real_digits == train.path and train.source == "sklearn"
    assert everything.shape == (1797, 64) and (len(train), len(test)) == (1442, 355)
    for data in (train, test):
        assert data.images.dtype == np.float32 and data.dim == 64 and data.image_shape == (8, 8)
        assert data.labels.dtype == np.int64 and data.n_classes == 10
        assert 0.0 == data.images.min() and data.images.max() == 1.0
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    np.testing.assert_array_equal(np.bincount(test.labels), np.bincount(labels) // 5)  # the last fifth of each
    # the two splits are the file's rows, each once, and the values are scikit-learn's own divided by 16
    rows = np.concatenate([train.images, test.images])
    assert len(np.unique(rows, axis=0)) == len(np.unique(everything, axis=0))
    reference = pytest.importorskip("sklearn.datasets").load_digits()
    np.testing.assert_array_equal(everything, reference.data.astype(np.float32) / np.float32(16))
    np.testing.assert_array_equal(labels, reference.target)
    assert load_dataset("sklearn-digits", "train").checksum == train.checksum  # deterministic


def fake_sklearn(root, rows):
    """A site-packages folder whose 'sklearn' must not be imported, holding datasets/data/digits.csv.gz."""
    data = root / "site" / "sklearn" / "datasets" / "data"
    data.mkdir(parents=True)
    (root / "site" / "sklearn" / "__init__.py").write_text("raise RuntimeError('npgan must not import sklearn')\n")
    text = "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"
    (data / "digits.csv.gz").write_bytes(gzip.compress(text.encode()))
    return str(data / "digits.csv.gz")


def test_sklearn_digits_located_not_imported(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 5)
    rows = np.column_stack([rng.integers(0, 17, size=(50, 64)), labels])
    path = fake_sklearn(tmp_path, rows)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "sklearn", raising=False)
    data = load_dataset("sklearn-digits", "test")
    assert "sklearn" not in sys.modules and data.path == path
    assert len(data) == 10 and data.image_shape == (8, 8)
    keep = [5 * digit + 4 for digit in range(10)]  # each digit's last row
    np.testing.assert_array_equal(data.images, rows[keep, :64].astype(np.float32) / np.float32(16))


def test_sklearn_digits_missing_or_broken(tmp_path, monkeypatch):
    monkeypatch.setattr(sklearn_digits, "find_digits", lambda: None)
    with pytest.raises(DatasetNotFoundError, match=r"pip install scikit-learn \(or pip install npgan\[digits\]\)"):
        load_dataset("sklearn-digits")
    with pytest.raises(DatasetNotFoundError, match=f"--data-dir '{tmp_path}' does not hold digits.csv.gz"):
        load_dataset("sklearn-digits", data_dir=str(tmp_path))
    (tmp_path / "digits.csv.gz").write_bytes(gzip.compress(b"1,2,3\n"))
    with pytest.raises(DataFormatError, match="rows have 3 columns, expected 65"):
        load_dataset("sklearn-digits", data_dir=str(tmp_path))
    (tmp_path / "digits.csv.gz").write_bytes(gzip.compress((",".join(["17"] * 64) + ",3\n").encode()))
    with pytest.raises(DataFormatError, match=r"pixels must be integers in 0..16 and labels in 0..9"):
        load_dataset("sklearn-digits", data_dir=str(tmp_path))


def test_dataset_checks_its_shape():
    with pytest.raises(ValueError, match=r"image_shape \(3, 3\) has 9 values, the rows have 8"):
        Dataset("x", np.zeros((2, 8), np.float32), image_shape=(3, 3))
