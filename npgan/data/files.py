"""Your own images: a ``.npz`` (``images``, optional ``labels``), a ``.npy``, or a folder of same-size PNG/JPEG
images, checked and scaled to [0, 1]; every bad input is a one-line error that names the file.

    images, labels, image_shape = read_files("faces/")     # float32 (N, D) in [0, 1], int64 (N,) or None

Arrays (``.npy``, or ``images`` in a ``.npz``) are (N, H, W) or (N, H, W, 1) grey images, (N, H, W, 3) colour
images (image_shape (H, W, 3), rows in H, W, channel order), or (N, D) vectors (image_shape None). Integer
arrays hold 0..255 and are divided by 255; float arrays whose values all lie in [0, 1] are kept as they are,
otherwise they must lie in [0, 255] and are divided by 255. Anything else (NaN, infinities, negative values,
more than 255, booleans, objects needing pickle) is refused. ``labels``, when present: integers >= 0, one per
image.

A folder holds PNG/JPEG files (``.png``, ``.jpg``, ``.jpeg``, any case), read in sorted name order; or only
subfolders, one per class, as torchvision's ImageFolder has them: the sorted folder names are the labels
0..C−1. Hidden files and folders (names starting with ".", such as .DS_Store) are skipped; any other file is
refused. Every image must have the size of the first. A folder is grey, image_shape (H, W), when every image
is grey (a grey mode, or colour with three equal channels everywhere); otherwise colour, (H, W, 3), with its
grey images repeated in the three channels. Transparent pixels are drawn over black (each value times its
alpha); 16-bit grey PNGs are divided by 65535. Pillow is imported only to read a folder.
"""
import os
import zipfile

import numpy as np

from npgan.data.errors import DataError, DataFormatError, DatasetNotFoundError, one_line

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
ARRAY_EXTENSIONS = (".npz", ".npy")
_RANGE = "expected integers 0..255, or floats in [0, 1] or in [0, 255]"


def read_files(path):
    """The images at `path` (a .npz, a .npy or a folder of images; see the module docstring) as float32 rows
    (N, D) in [0, 1], int64 labels (N,) or None, and image_shape ((H, W), (H, W, 3) or None)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return read_image_folder(path)
    if not os.path.exists(path):
        raise DatasetNotFoundError(f"{path}: no such file or folder")
    extension = os.path.splitext(path)[1].lower()
    if extension in IMAGE_EXTENSIONS:
        raise DataFormatError(f"{path}: a single image; pass the folder that holds it and the other images")
    if extension not in ARRAY_EXTENSIONS:
        raise DataFormatError(f"{path}: not a .npz, a .npy or a folder of PNG/JPEG images")
    images, labels = read_array_file(path)
    rows, image_shape = array_rows(images, path)
    return rows, check_labels(labels, len(rows), path), image_shape


def read_array_file(path):
    """(images, labels or None) as stored in a .npy (labels None) or a .npz (arrays 'images', 'labels'),
    loaded without pickle."""
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError as error:
        raise DataFormatError(f"{path}: cannot read it ({type(error).__name__}: {one_line(error)})") from None
    if head[:4] != b"PK\x03\x04" and head != b"\x93NUMPY":
        raise DataFormatError(f"{path}: not a .npz or .npy file ({f'it starts with {head!r}' if head else 'empty'})")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded, None
        with loaded:
            if "images" not in loaded.files:
                held = ", ".join(repr(key) for key in loaded.files) or "nothing"
                raise DataFormatError(f"{path}: no 'images' array in it (it holds {held})")
            return loaded["images"], loaded["labels"] if "labels" in loaded.files else None
    except DataFormatError:
        raise
    except ValueError as error:
        if "pickle" in str(error):
            raise DataFormatError(f"{path}: holds Python objects, which would need pickle to load: save plain "
                                  "numeric arrays (npgan loads with allow_pickle=False)") from None
        raise DataFormatError(f"{path}: cannot read it as {_kind(path)} ({one_line(error)})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise DataFormatError(f"{path}: cannot read it as {_kind(path)} ({type(error).__name__}: "
                              f"{one_line(error)})") from None


def array_rows(images, path):
    """Check an array of images and return its float32 rows (N, D) in [0, 1] and its image_shape."""
    shape = images.shape
    if images.ndim == 4 and shape[-1] in (1, 3):
        image_shape = shape[1:3] if shape[-1] == 1 else shape[1:]
    elif images.ndim in (2, 3):
        image_shape = shape[1:] if images.ndim == 3 else None
    else:
        raise DataFormatError(f"{path}: images of shape {shape}: expected (N, H, W), (N, H, W, 1), (N, H, W, 3) "
                              "or (N, D)")
    if len(images) == 0 or images.size == 0:
        raise DataFormatError(f"{path}: holds no images (shape {shape})")
    kind = images.dtype.kind
    if kind not in "uif":
        raise DataFormatError(f"{path}: images of type {images.dtype}: {_RANGE}")
    rows = images.reshape(len(images), -1)
    if kind == "f" and not np.isfinite(rows).all():
        first = int(np.flatnonzero(~np.isfinite(rows).all(axis=1))[0])
        raise DataFormatError(f"{path}: images hold NaN or infinite values (the first in image {first})")
    low, high = rows.min(), rows.max()
    if low < 0 or high > 255:
        raise DataFormatError(f"{path}: image values lie in [{low}, {high}]: {_RANGE}")
    rows = rows.astype(np.float32)
    if kind != "f" or high > 1:
        rows /= 255.0  # in place on float32: stays float32
    return rows, None if image_shape is None else tuple(int(side) for side in image_shape)


def check_labels(labels, n, path):
    """`labels` as int64 (N,), checked: integers >= 0, one per image; None stays None."""
    if labels is None:
        return None
    if labels.dtype.kind not in "ui":
        raise DataFormatError(f"{path}: labels of type {labels.dtype}: expected integers 0..C-1")
    if labels.ndim != 1 or len(labels) != n:
        raise DataFormatError(f"{path}: {n} images but labels of shape {labels.shape}: expected one per image, "
                              f"shape ({n},)")
    if n and labels.min() < 0:
        raise DataFormatError(f"{path}: label {labels.min()} is negative: expected integers 0..C-1")
    return labels.astype(np.int64)


# --- a folder of images ------------------------------------------------------------------------------------

def read_image_folder(path):
    """A folder of PNG/JPEG images, or of class folders of them: float32 rows (N, D) in [0, 1], int64 labels
    (the class folders' sorted names -> 0..C−1) or None, image_shape (H, W) or (H, W, 3)."""
    try:
        from PIL import Image
    except ImportError:
        raise DataError(f"{path}: reading a folder of images needs Pillow: pip install pillow") from None
    files, folders = _entries(path)
    if files and folders:
        raise DataFormatError(f"{path}: holds both images ({files[0]}) and folders ({folders[0]}): put every "
                              "image in a class folder, or none")
    if folders:
        groups = [_class_files(folder) for folder in folders]
        files = [file for group in groups for file in group]
        labels = np.repeat(np.arange(len(groups), dtype=np.int64), [len(group) for group in groups])
    else:
        labels = None
    if not files:
        raise DataFormatError(f"{path}: holds no images ({', '.join(IMAGE_EXTENSIONS)}; hidden files are skipped)")
    pictures, first, size = [], files[0], None
    for file in files:
        picture, found = _read_image(file, Image)
        if size is None:
            size = found
        elif found != size:
            raise DataFormatError(f"{file}: {_wh(found)} pixels (width×height), but {first} is {_wh(size)}: "
                                  "every image must have the same size")
        pictures.append(picture)
    if any(picture.ndim == 3 for picture in pictures):
        pictures = [picture if picture.ndim == 3 else np.repeat(picture[..., None], 3, axis=-1)
                    for picture in pictures]
    images = np.stack(pictures)
    return images.reshape(len(images), -1), labels, images.shape[1:]


def _entries(folder):
    """(image files, folders) in `folder`, sorted, hidden ones skipped; any other file is refused."""
    files, folders = [], []
    for name in sorted(os.listdir(folder)):
        if name.startswith("."):
            continue
        entry = os.path.join(folder, name)
        if os.path.isdir(entry):
            folders.append(entry)
        elif os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
            files.append(entry)
        else:
            raise DataFormatError(f"{entry}: not a PNG or JPEG image (a folder of images may hold only "
                                  f"{', '.join(IMAGE_EXTENSIONS)} files; hidden files are skipped)")
    return files, folders


def _class_files(folder):
    files, folders = _entries(folder)
    if folders:
        raise DataFormatError(f"{folders[0]}: a folder inside the class folder {folder}: a class folder holds "
                              "only images")
    if not files:
        raise DataFormatError(f"{folder}: an empty class folder (every class needs images)")
    return files


GREY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N")


def _read_image(file, Image):
    """(float32 array (H, W) or (H, W, 3) in [0, 1], (width, height)) of one image file."""
    try:
        with Image.open(file) as picture:
            picture.load()
            return _to_array(picture, Image), picture.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise DataFormatError(f"{file}: cannot read it as an image ({type(error).__name__}: "
                              f"{one_line(error)})") from None


def _to_array(picture, Image):
    mode = picture.mode
    if mode.startswith("I"):  # 16-bit grey (PNG): 0..65535
        values = np.asarray(picture, dtype=np.float64)
        if values.min() < 0 or values.max() > 65535:
            raise ValueError(f"mode {mode} values outside 0..65535")
        return (values / 65535.0).astype(np.float32)
    has_alpha = mode in ("LA", "La", "RGBA", "RGBa", "PA") or "transparency" in picture.info
    target = ("LA" if has_alpha else "L") if mode in GREY_MODES else ("RGBA" if has_alpha else "RGB")
    values = np.asarray(picture.convert(target), dtype=np.float32) / np.float32(255)
    if has_alpha:
        values = values[..., :-1] * values[..., -1:]  # drawn over black
        values = values[..., 0] if target == "LA" else values
    if values.ndim == 3 and (values == values[..., :1]).all():
        values = values[..., 0]  # three equal channels: grey
    return np.ascontiguousarray(values, dtype=np.float32)


def _wh(size):
    return f"{size[0]}×{size[1]}"


def _kind(path):
    return "a .npz file" if path.lower().endswith(".npz") else "a .npy file"
