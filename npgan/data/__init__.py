"""Data: MNIST (IDX files, cache, download, offline 5k subset), a synthetic stand-in, and the minibatch loader."""
from npgan.data.datasets import DATASETS, DataError, Dataset, check_enough, load_dataset, training_set
from npgan.data.loader import Batches
from npgan.data.mnist import (MnistFormatError, MnistNotFoundError, MnistSplit, load_mnist, load_training_set,
                              read_idx, synthetic_digits, train_validation_split)

DataLoader = Batches  # the name PyTorch users look for

__all__ = ["DATASETS", "DataError", "Dataset", "check_enough", "load_dataset", "training_set", "Batches", "DataLoader", "load_mnist", "load_training_set", "read_idx", "train_validation_split",
           "synthetic_digits", "MnistFormatError", "MnistNotFoundError", "MnistSplit"]
