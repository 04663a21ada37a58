"""Downloads for every dataset: the per-user cache, and a verified, atomic fetch from a list of mirrors.

    directory = cache_dir("fashion-mnist")          # $XDG_CACHE_HOME/npgan/fashion-mnist
    path = download_file("train-images-idx3-ubyte.gz", directory, MIRRORS, md5={name: "8d4f..."})

A download is written to a temporary file beside its target and renamed into place (``os.replace``, atomic)
only once its MD5 matches the published one, so an interrupted, cut or corrupt download never leaves a file
under the real name, and a file under the real name was once checked.
"""
import hashlib
import os
import shutil
import tempfile
import urllib.request

from npgan.data.errors import DataError

TIMEOUT_S = 60.0
PART_SUFFIX = ".part"  # a download in progress: .<name>.<random>.part beside the target


def cache_dir(name):
    """``$XDG_CACHE_HOME/npgan/<name>``, or ``~/.cache/npgan/<name>`` when XDG_CACHE_HOME is unset."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "npgan", name)


def urllib_fetch(url, dest, timeout=TIMEOUT_S):
    """Download `url` into the file `dest` (the default `fetch`; tests pass a fake one). A connection that
    closes before the Content-Length it announced raises ConnectionError (http.client would return the
    shorter body without a word)."""
    request = urllib.request.Request(url, headers={"User-Agent": "npgan"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
        announced, got = response.headers.get("Content-Length"), out.tell()
    if announced is not None and announced.isdigit() and got != int(announced):
        raise ConnectionError(f"the connection closed after {got} of the {announced} bytes announced")


class DownloadError(DataError, OSError):
    """Every mirror failed for a file; `.attempts` lists (url, reason) pairs, and so does the message."""

    def __init__(self, message, attempts):
        super().__init__(message)
        self.attempts = attempts


def download_file(name, directory, mirrors, fetch=None, md5=None):
    """Fetch the file `name` into `directory` from the first of `mirrors` (URL prefixes, tried in order)
    whose copy has the MD5 ``md5[name]``; returns its path.

    Each attempt writes a temporary file beside the target and renames it into place only once verified,
    and removes it otherwise. A file already in place (there only once checked) is kept, so an interrupted
    set of files resumes where it stopped. `fetch(url, dest)` downloads one URL into a file (default
    :func:`urllib_fetch`). Raises :class:`DownloadError` listing every attempt when all mirrors fail.
    """
    fetch = urllib_fetch if fetch is None else fetch
    expected = md5[name]
    os.makedirs(directory, exist_ok=True)
    dest, attempts = os.path.join(directory, name), []
    if os.path.isfile(dest):
        return dest
    for mirror in mirrors:
        url = mirror + name
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=PART_SUFFIX, dir=directory)
        os.close(fd)
        try:
            fetch(url, tmp)
            digest = file_md5(tmp)
            if digest != expected:
                raise ValueError(f"MD5 {digest} differs from the published {expected}")
            os.replace(tmp, dest)
            return dest
        except Exception as error:  # URLError, timeouts, HTTP errors, a cut body, bad checksum: next mirror
            attempts.append((url, f"{type(error).__name__}: {error}"))
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    lines = "".join(f"\n  {url}: {why}" for url, why in attempts)
    raise DownloadError(f"could not download {name}:{lines}", attempts)


def file_md5(path):
    """The MD5 of a file's bytes, as 32 hex digits."""
    digest = hashlib.md5(usedforsecurity=False)  # a checksum, not security: allowed on FIPS systems
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
