"""npgan.data.datasets: datasets by name as a Dataset, and what a run trains on. Every file is made by the
test; nothing touches the network (Fashion-MNIST and KMNIST's downloads: test_download_http.py)."""
import numpy as np
import pytest

from idx_files import write_split

from npgan.data import (DataError, DataFormatError, Dataset, DatasetNotFoundError, MnistFormatError,
                        MnistNotFoundError, TooFewImagesError, load_dataset, training_set)
from npgan.data import mnist


# --- the errors --------------------------------------------------------------------------------------------

def test_every_data_error_is_one_data_error_and_the_old_names_still_work():
    assert issubclass(DataFormatError, DataError) and issubclass(DataError, ValueError)
    assert issubclass(DatasetNotFoundError, DataError) and issubclass(DatasetNotFoundError, FileNotFoundError)
    assert issubclass(TooFewImagesError, DataError)
    assert MnistFormatError is DataFormatError and issubclass(MnistNotFoundError, DatasetNotFoundError)
    from npgan.data.download import DownloadError
    assert issubclass(DownloadError, DataError) and issubclass(DownloadError, OSError)


def test_unknown_name_is_a_data_error():
    with pytest.raises(DataError, match="unknown dataset 'cifar' .known: mnist, fashion-mnist, kmnist"):
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


def test_dataset_checks_its_shape():
    with pytest.raises(ValueError, match=r"image_shape \(3, 3\) has 9 values, the rows have 8"):
        Dataset("x", np.zeros((2, 8), np.float32), image_shape=(3, 3))
