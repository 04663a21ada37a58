"""The mistakes a user can make with data, as exceptions a command line catches and prints as one line.

Every one is a :class:`DataError` (a ValueError), so ``except DataError`` catches them all:

- :class:`DataFormatError`: a file is not what it should be (an IDX or CSV file, a .npz/.npy, an image,
  a folder of images); the message names the file and the problem.
- :class:`DatasetNotFoundError` (also a FileNotFoundError): the data are nowhere (a path that does not
  exist, a dataset neither in its folder nor in the cache nor downloadable, scikit-learn not installed);
  the message says where to put them or what to install.
- :class:`TooFewImagesError`: fewer images than one batch.

Messages are one line, except MNIST's own not-found message (kept as it was: it lists the download attempts).
"""


class DataError(ValueError):
    """A problem with the data that the user can fix; the message names the file or folder."""


class DataFormatError(DataError):
    """A file is not a valid file of its kind (IDX, CSV, .npz, .npy, PNG/JPEG); the message names it."""


class DatasetNotFoundError(DataError, FileNotFoundError):
    """No source of a dataset worked; the message says how to provide the data."""


class TooFewImagesError(DataError):
    """A dataset holds fewer images than one batch."""


def one_line(error):
    """The text of an exception (or anything) on one line, to quote inside a DataError's message."""
    return " ".join(str(error).split())
