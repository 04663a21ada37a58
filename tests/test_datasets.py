"""npgan.data.datasets: datasets by name as a Dataset, scikit-learn's 8×8 digits read from its wheel, your own
files (.npz, .npy, folders of PNG/JPEG images) with every bad input ending in one line that names the file,
and what a run trains on. Every file is made by the test; nothing touches the network."""
import gzip
import sys

import numpy as np
import pytest

from idx_files import write_split

from npgan.data import (DataError, DataFormatError, Dataset, DatasetNotFoundError, MnistFormatError,
                        MnistNotFoundError, TooFewImagesError, check_enough, load_dataset, load_files,
                        training_set)
from npgan.data import mnist, sklearn_digits

Image = pytest.importorskip("PIL.Image", reason="Pillow reads the folders of images (matplotlib installs it)")


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


# --- your own files: every good form -----------------------------------------------------------------------

def grey(n=6, h=5, w=4, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w), dtype=np.uint8)


def test_npz_with_and_without_labels(tmp_path):
    images, labels = grey(), np.array([0, 1, 2, 0, 1, 2])
    np.savez(tmp_path / "a.npz", images=images, labels=labels)
    data = load_files(tmp_path / "a.npz")
    assert (data.name, data.source, data.path) == ("files", "files", str(tmp_path / "a.npz"))
    assert data.image_shape == (5, 4) and data.images.shape == (6, 20) and data.images.dtype == np.float32
    np.testing.assert_array_equal(data.images, images.reshape(6, 20).astype(np.float32) / np.float32(255))
    assert data.labels.dtype == np.int64 and data.n_classes == 3
    np.savez_compressed(tmp_path / "b.npz", images=images)
    data = load_files(str(tmp_path / "b.npz"))
    assert data.labels is None and data.n_classes is None and data.info()["dataset"] == "files"


@pytest.mark.parametrize("form", ["uint8", "int64", "float01", "float255", "grey1", "colour", "vectors"])
def test_npy_forms(tmp_path, form):
    base = grey(4, 3, 2)
    array, shape, expected = {
        "uint8": (base, (3, 2), base / 255),
        "int64": (base.astype(np.int64), (3, 2), base / 255),
        "float01": (base / 255, (3, 2), base / 255),
        "float255": (base.astype(np.float64), (3, 2), base / 255),
        "grey1": (base[..., None], (3, 2), base / 255),
        "colour": (np.stack([base, base // 2, 255 - base], -1), (3, 2, 3), np.stack([base, base // 2, 255 - base],
                                                                                     -1) / 255),
        "vectors": (base.reshape(4, 6).astype(np.float32) / 255, None, base / 255),
    }[form]
    np.save(tmp_path / "x.npy", array)
    data = load_files(tmp_path / "x.npy")
    assert data.image_shape == shape and data.images.dtype == np.float32 and data.labels is None
    np.testing.assert_allclose(data.images, expected.reshape(4, -1), rtol=0, atol=1e-7)
    assert 0.0 <= data.images.min() and data.images.max() <= 1.0


def save_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_grey_png_folder_in_name_order_skipping_hidden_files(tmp_path):
    images = grey(3, 7, 5)
    for i, name in enumerate(["b.png", "a.PNG", "c.png"]):
        save_png(tmp_path / "faces" / name, images[i])
    (tmp_path / "faces" / ".DS_Store").write_bytes(b"\0\1junk")
    (tmp_path / "faces" / ".cache").mkdir()
    data = load_files(tmp_path / "faces")
    assert data.image_shape == (7, 5) and data.labels is None and data.path == str(tmp_path / "faces")
    expected = images[[1, 0, 2]].reshape(3, 35).astype(np.float32) / np.float32(255)  # a.PNG, b.png, c.png
    np.testing.assert_array_equal(data.images, expected)


def test_colour_png_folder_with_grey_rgba_and_palette_images(tmp_path):
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, size=(4, 6, 3), dtype=np.uint8)
    save_png(tmp_path / "d" / "1.png", colour)
    g = grey(1, 4, 6)[0]
    save_png(tmp_path / "d" / "2.png", g)  # grey among colour: repeated in the three channels
    rgba = np.concatenate([colour, np.full((4, 6, 1), 255, np.uint8)], -1)
    rgba[0, 0, 3] = 0  # one transparent pixel: drawn over black
    save_png(tmp_path / "d" / "3.png", rgba)
    Image.fromarray(colour).convert("P").save(tmp_path / "d" / "4.png")
    data = load_files(tmp_path / "d")
    assert data.image_shape == (4, 6, 3) and data.images.shape == (4, 72)
    pictures = data.images.reshape(4, 4, 6, 3)
    np.testing.assert_array_equal(pictures[0], colour / np.float32(255))
    np.testing.assert_array_equal(pictures[1], np.repeat(g[..., None], 3, -1) / np.float32(255))
    np.testing.assert_array_equal(pictures[2][0, 0], [0, 0, 0])
    np.testing.assert_allclose(pictures[2][1:], colour[1:] / 255, atol=1e-7)
    assert 0 <= pictures[3].min() and pictures[3].max() <= 1  # the palette's nearest colours


def test_grey_pictures_saved_as_colour_make_a_grey_folder(tmp_path):
    g = grey(2, 3, 3)
    for i in range(2):
        save_png(tmp_path / "d" / f"{i}.png", np.repeat(g[i][..., None], 3, -1))  # RGB, equal channels
    Image.fromarray(g[0]).convert("1").save(tmp_path / "d" / "2.png")  # a bilevel image: 0 or 1
    data = load_files(tmp_path / "d")
    assert data.image_shape == (3, 3)
    np.testing.assert_array_equal(data.images[:2], g.reshape(2, 9) / np.float32(255))
    assert set(np.unique(data.images[2])) <= {0.0, 1.0}


def test_sixteen_bit_png_and_jpeg(tmp_path):
    deep = (np.arange(12, dtype=np.uint16) * 5000).reshape(3, 4)
    save_png(tmp_path / "deep" / "a.png", deep)
    data = load_files(tmp_path / "deep")
    assert data.image_shape == (3, 4)
    np.testing.assert_allclose(data.images[0], deep.ravel() / 65535, atol=1e-7)
    smooth = np.tile(np.linspace(0, 255, 16, dtype=np.uint8), (16, 1))
    (tmp_path / "jpeg").mkdir()
    Image.fromarray(smooth).save(tmp_path / "jpeg" / "a.jpg", quality=95)
    Image.fromarray(np.stack([smooth, smooth.T, 255 - smooth], -1)).save(tmp_path / "jpeg" / "b.JPEG", quality=95)
    data = load_files(tmp_path / "jpeg")
    assert data.image_shape == (16, 16, 3) and len(data) == 2
    np.testing.assert_allclose(data.images[0].reshape(16, 16, 3)[..., 1], smooth / 255, atol=0.05)  # lossy


def test_class_folders_give_labels_in_sorted_name_order(tmp_path):
    for cls, count in (("zebra", 2), ("ant", 3), ("cat", 1)):
        for i in range(count):
            save_png(tmp_path / "d" / cls / f"{i}.png", np.full((4, 4), 10 * i, np.uint8))
    (tmp_path / "d" / "ant" / ".DS_Store").write_bytes(b"x")
    data = load_files(tmp_path / "d")
    np.testing.assert_array_equal(data.labels, [0, 0, 0, 1, 2, 2])  # ant, cat, zebra
    assert data.n_classes == 3 and data.image_shape == (4, 4)


def test_training_set_from_files_and_check_enough(tmp_path, monkeypatch):
    np.save(tmp_path / "x.npy", grey(8))
    data = training_set("kmnist", train_images=5, log=None, path=str(tmp_path / "x.npy"))  # the name is ignored
    assert (data.name, data.path, len(data)) == ("files", str(tmp_path / "x.npy"), 5)
    assert data.checksum == load_files(tmp_path / "x.npy").checksum  # the whole file's
    assert check_enough(data, 5) is data
    with pytest.raises(TooFewImagesError) as error:
        check_enough(data, 6)
    assert str(error.value) == f"{tmp_path / 'x.npy'}: 5 images, fewer than one batch of 6: add images or lower " \
                               "--batch-size"
    monkeypatch.chdir(tmp_path)
    assert load_files("x.npy").path == str(tmp_path / "x.npy")  # recorded absolute, for a resume elsewhere


def test_dataset_checks_its_shape():
    with pytest.raises(ValueError, match=r"image_shape \(3, 3\) has 9 values, the rows have 8"):
        Dataset("x", np.zeros((2, 8), np.float32), image_shape=(3, 3))


# --- your own files: every bad input, one line naming the file ---------------------------------------------

def npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def npy(path, array, allow_pickle=False):
    np.save(path, array, allow_pickle=allow_pickle)
    return path


def raw(path, data):
    path.write_bytes(data)
    return path


def folder(path, pictures, extra=None):
    """A folder of PNGs {relative name: array} and other files {relative name: bytes}."""
    path.mkdir(exist_ok=True)
    for name, array in pictures.items():
        save_png(path / name, array)
    for name, data in (extra or {}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        raw(path / name, data)
    return path


def cut_npz(t):
    """The first 100 bytes of a good .npz: a zip cut before its directory."""
    whole = npz(t / "whole.npz", images=grey()).read_bytes()
    return raw(t / "a.npz", whole[:100])


PNG = grey(1, 5, 4)[0]  # 4 pixels wide, 5 high
BAD = {  # case -> (make(tmp_path) -> path, or (path, the file the message must name), phrase, error class)
    "missing path": (lambda t: t / "nope.npz", "no such file or folder", DatasetNotFoundError),
    "unknown suffix": (lambda t: raw(t / "a.csv", b"1,2"), "not a .npz, a .npy or a folder of PNG/JPEG images",
                       DataFormatError),
    "single image": (lambda t: folder(t / "f", {"a.png": PNG}) / "a.png", "a single image; pass the folder",
                     DataFormatError),
    "text as npy": (lambda t: raw(t / "a.npy", b"1,2,3"), "not a .npz or .npy file (it starts with b'1,2,3')",
                    DataFormatError),
    "empty npy": (lambda t: raw(t / "a.npy", b""), "not a .npz or .npy file (empty)", DataFormatError),
    "cut npz": (cut_npz, "cannot read it as a .npz file", DataFormatError),
    "no images key": (lambda t: npz(t / "a.npz", pictures=grey(), labels=np.arange(6)),
                      "no 'images' array in it (it holds 'pictures', 'labels')", DataFormatError),
    "pickle npy": (lambda t: npy(t / "a.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True),
                   "holds Python objects, which would need pickle", DataFormatError),
    "pickle npz": (lambda t: npz(t / "a.npz", images=grey(), labels=np.array(["a", 1], dtype=object)),
                   "holds Python objects, which would need pickle", DataFormatError),
    "1-D array": (lambda t: npy(t / "a.npy", np.arange(5, dtype=np.uint8)),
                  "images of shape (5,): expected (N, H, W), (N, H, W, 1), (N, H, W, 3) or (N, D)", DataFormatError),
    "four channels": (lambda t: npy(t / "a.npy", np.zeros((2, 3, 3, 4), np.uint8)),
                      "images of shape (2, 3, 3, 4): expected", DataFormatError),
    "no images": (lambda t: npy(t / "a.npy", np.zeros((0, 3, 3), np.uint8)), "holds no images (shape (0, 3, 3))",
                  DataFormatError),
    "booleans": (lambda t: npy(t / "a.npy", np.zeros((2, 3, 3), bool)),
                 "images of type bool: expected integers 0..255, or floats in [0, 1] or in [0, 255]", DataFormatError),
    "above 255": (lambda t: npy(t / "a.npy", np.full((2, 3), 300, np.int64)),
                  "image values lie in [300, 300]: expected integers 0..255", DataFormatError),
    "negative": (lambda t: npy(t / "a.npy", np.array([[0.5, -0.25]])), "image values lie in [-0.25, 0.5]: expected",
                 DataFormatError),
    "float above 255": (lambda t: npy(t / "a.npy", np.array([[0.5, 256.0]], np.float32)),
                        "image values lie in [0.5, 256.0]", DataFormatError),
    "nan": (lambda t: npy(t / "a.npy", np.array([[0.5, 0.5], [0.1, np.nan]])),
            "images hold NaN or infinite values (the first in image 1)", DataFormatError),
    "inf": (lambda t: npy(t / "a.npy", np.array([[np.inf, 0.5]], np.float32)),
            "images hold NaN or infinite values (the first in image 0)", DataFormatError),
    "labels too few": (lambda t: npz(t / "a.npz", images=grey(), labels=np.arange(5)),
                       "6 images but labels of shape (5,): expected one per image, shape (6,)", DataFormatError),
    "labels 2-D": (lambda t: npz(t / "a.npz", images=grey(), labels=np.zeros((6, 1), int)),
                   "6 images but labels of shape (6, 1)", DataFormatError),
    "labels float": (lambda t: npz(t / "a.npz", images=grey(), labels=np.arange(6.0)),
                     "labels of type float64: expected integers 0..C-1", DataFormatError),
    "labels negative": (lambda t: npz(t / "a.npz", images=grey(), labels=np.array([0, 1, -1, 0, 1, 0])),
                        "label -1 is negative: expected integers 0..C-1", DataFormatError),
    "empty folder": (lambda t: folder(t / "f", {}, {".DS_Store": b"x"}),
                     "holds no images (.png, .jpg, .jpeg; hidden files are skipped)", DataFormatError),
    "non-image file": (lambda t: (folder(t / "f", {"a.png": PNG}, {"notes.txt": b"hi"}), t / "f" / "notes.txt"),
                       "not a PNG or JPEG image", DataFormatError),
    "broken png": (lambda t: (folder(t / "f", {"a.png": PNG}, {"b.png": b"\x89PNG\r\n\x1a\nbroken"}),
                              t / "f" / "b.png"), "cannot read it as an image", DataFormatError),
    "mixed sizes": (lambda t: (folder(t / "f", {"a.png": PNG, "b.png": PNG, "c.png": grey(1, 6, 4)[0],
                                                "d.png": grey(1, 7, 7)[0]}), t / "f" / "c.png"),
                    "4×6 pixels (width×height), but {f}/a.png is 4×5: every image must have the same size",
                    DataFormatError),
    "images and folders": (lambda t: folder(t / "f", {"a.png": PNG, "cls/b.png": PNG}),
                           "holds both images ({f}/a.png) and folders ({f}/cls)", DataFormatError),
    "empty class": (lambda t: (folder(t / "f", {"cat/a.png": PNG}, {"dog/.keep": b""}), t / "f" / "dog"),
                    "an empty class folder", DataFormatError),
    "nested folder": (lambda t: (folder(t / "f", {"cat/a.png": PNG, "cat/more/b.png": PNG}),
                                 t / "f" / "cat" / "more"), "a folder inside the class folder", DataFormatError),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_naming_the_file(tmp_path, case):
    make, phrase, kind = BAD[case]
    made = make(tmp_path)
    path, named = made if isinstance(made, tuple) else (made, made)
    with pytest.raises(kind) as error:
        load_files(str(path))
    message = str(error.value)
    assert isinstance(error.value, DataError) and "\n" not in message
    assert message.startswith(f"{named}:"), (named, message)
    assert phrase.format(f=tmp_path / "f") in message, (phrase, message)


def test_a_folder_without_pillow_says_how_to_install_it(tmp_path, monkeypatch):
    folder(tmp_path / "f", {"a.png": grey()[0]})
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now fails
    with pytest.raises(DataError, match="needs Pillow: pip install pillow"):
        load_files(tmp_path / "f")
