"""Data: datasets by name (MNIST, Fashion-MNIST, KMNIST, scikit-learn's 8×8 digits) and your own files (.npz,
.npy, a folder of PNG/JPEG images) as a Dataset, the MNIST sources (IDX files, cache, download, offline 5k
subset), a synthetic stand-in, the minibatch loader, and the errors a user's data can raise (every one a
DataError, one line each)."""
from npgan.data.datasets import (DATASETS, Dataset, check_enough, fingerprint, load_dataset, load_files,
                                 training_set)
from npgan.data.download import DownloadError
from npgan.data.errors import DataError, DataFormatError, DatasetNotFoundError, TooFewImagesError
from npgan.data.loader import Batches
from npgan.data.mnist import (MnistFormatError, MnistNotFoundError, MnistSplit, load_mnist, load_training_set,
                              read_idx, synthetic_digits, train_validation_split)

DataLoader = Batches  # the name PyTorch users look for

__all__ = ["DATASETS", "Dataset", "load_dataset", "load_files", "training_set", "check_enough", "fingerprint",
           "Batches", "DataLoader", "load_mnist", "load_training_set", "read_idx", "train_validation_split",
           "synthetic_digits", "DataError", "DataFormatError", "DatasetNotFoundError", "TooFewImagesError",
           "DownloadError", "MnistFormatError", "MnistNotFoundError", "MnistSplit"]
