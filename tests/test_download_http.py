"""Fashion-MNIST and KMNIST end to end over real HTTP: synthetic files of the real format (gzipped IDX) served by
a loopback server on 127.0.0.1, downloaded by the real urllib fetch into the real cache folder, with the
published MD5 table replaced by the synthetic files' sums. Nothing here leaves the machine.

The server's first path segment says how it behaves: /good/ serves the file, /corrupt/ other bytes of the
same length, /cut/ announces the whole length and closes the connection half-way, /short/ announces (and
sends) only half the file, /missing/ answers 404.
"""
import dataclasses
import gzip
import hashlib
import http.server
import os
import socket
import threading

import numpy as np
import pytest

from idx_files import idx_bytes, tiny_mnist, write_split

from npgan.data import DatasetNotFoundError, DownloadError, load_dataset, training_set
from npgan.data import download, idx_datasets, mnist

NAMES = ("fashion-mnist", "kmnist")
TRAIN = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


class Mirror(http.server.BaseHTTPRequestHandler):
    files = {}      # name -> bytes, set per server
    requests = []   # "/mode/name" in the order asked
    seen = []       # the cache folder's listing while each body was being sent (set when cache is given)
    cache = None

    def do_GET(self):
        self.requests.append(self.path)
        _, mode, name = self.path.split("/")
        data = self.files.get(name)
        if mode == "missing" or data is None:
            self.send_error(404)
            return
        if self.cache is not None:
            self.seen.append((name, sorted(os.listdir(self.cache))))
        body = {"corrupt": data[:-4] + b"oops", "short": data[: len(data) // 2]}.get(mode, data)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server(monkeypatch):
    """A loopback HTTP server in a thread on an ephemeral port; yields a function mode -> mirror URL."""
    for variable in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)  # 127.0.0.1 must not go through a proxy
    handler = type("Handler", (Mirror,), {"files": {}, "requests": [], "seen": [], "cache": None})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = lambda mode: f"http://127.0.0.1:{httpd.server_address[1]}/{mode}/"  # noqa: E731
    url.handler = handler
    yield url
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def archives(split="train", n=12, seed=0):
    """The split's .gz archives as a mirror serves them, their MD5s and the arrays inside."""
    images, labels = tiny_mnist(n, seed)
    names = [name + ".gz" for name in mnist.FILES[split]]
    files = {name: gzip.compress(idx_bytes(array), mtime=0) for name, array in zip(names, (images, labels))}
    return files, {name: hashlib.md5(data).hexdigest() for name, data in files.items()}, (images, labels)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(mnist.DATA_DIR_ENV, raising=False)
    return tmp_path / "cache" / "npgan"


def publish(monkeypatch, server, name, files, md5, modes=("good",)):
    """Serve `files` and make `name` download from the given server modes, checked against `md5`."""
    server.handler.files.update(files)
    source = dataclasses.replace(idx_datasets.SOURCES[name], mirrors=tuple(server(m) for m in modes),
                                 md5={**idx_datasets.SOURCES[name].md5, **md5})
    monkeypatch.setitem(idx_datasets.SOURCES, name, source)


def one_line(error):
    message = str(error.value)
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize("name", NAMES)
def test_download_lands_in_the_cache_atomically_and_loads(name, server, cache, monkeypatch):
    files, md5, (images, labels) = archives()
    publish(monkeypatch, server, name, files, md5)
    folder = cache / name
    server.handler.cache = str(folder)
    data = load_dataset(name, "train")
    assert (data.name, data.source, data.path, data.image_shape, data.n_classes) == \
        (name, "download", str(folder), (28, 28), int(labels.max()) + 1)
    assert data.images.dtype == np.float32 and data.images.shape == (12, 784) and data.labels.dtype == np.int64
    np.testing.assert_array_equal(data.images, images.reshape(12, 784).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(data.labels, labels)
    assert sorted(os.listdir(folder)) == sorted(TRAIN)  # the archives, under their names, and nothing else
    # while each body was on the wire, the cache held only a hidden .part file, never the real name
    assert [name for name, _ in server.handler.seen] == list(TRAIN)
    for file, listing in server.handler.seen:
        assert file not in listing and [f for f in listing if f.startswith(f".{file}.") and
                                        f.endswith(download.PART_SUFFIX)], listing
    asked = len(server.handler.requests)
    again = training_set(name, log=None)  # from the cache now: no request
    assert again.source == "cache" and len(server.handler.requests) == asked
    np.testing.assert_array_equal(again.images, data.images)
    assert again.checksum == data.checksum and again.info()["dataset"] == name


@pytest.mark.parametrize("name", NAMES)
def test_checksum_mismatch_is_refused_and_nothing_cached(name, server, cache, monkeypatch):
    files, md5, _ = archives()
    publish(monkeypatch, server, name, files, md5, modes=("corrupt",))
    with pytest.raises(DatasetNotFoundError) as error:
        load_dataset(name, "train")
    message = one_line(error)
    assert f"{server('corrupt')}{TRAIN[0]}: ValueError: MD5" in message and \
        f"differs from the published {md5[TRAIN[0]]}" in message
    assert os.listdir(cache / name) == []  # no archive, no temporary file


@pytest.mark.parametrize("name", NAMES)
def test_dropped_connection_goes_to_the_next_mirror(name, server, cache, monkeypatch):
    files, md5, (images, _) = archives()
    publish(monkeypatch, server, name, files, md5, modes=("cut", "missing", "good"))
    data = load_dataset(name, "train")
    assert data.source == "download" and len(data) == len(images)
    assert server.handler.requests == [f"/{mode}/{file}" for file in TRAIN for mode in ("cut", "missing", "good")]
    assert sorted(os.listdir(cache / name)) == sorted(TRAIN)


@pytest.mark.parametrize("name", NAMES)
def test_every_mirror_cut_short_is_refused_with_the_attempts(name, server, cache, monkeypatch):
    files, md5, _ = archives()
    publish(monkeypatch, server, name, files, md5, modes=("cut", "short"))
    with pytest.raises(DatasetNotFoundError) as error:
        load_dataset(name, "train")
    message = one_line(error)
    assert f"{server('cut')}{TRAIN[0]}: ConnectionError: the connection closed after" in message
    assert f"{server('short')}{TRAIN[0]}: ValueError: MD5" in message  # the announced length was short
    assert os.listdir(cache / name) == []
    # the download module on its own lists every attempt in DownloadError
    with pytest.raises(DownloadError) as raw:
        download.download_file(TRAIN[1], str(cache / "raw"), (server("cut"), server("missing")), md5=md5)
    assert [url for url, _ in raw.value.attempts] == [server("cut") + TRAIN[1], server("missing") + TRAIN[1]]
    assert "HTTP Error 404" in str(raw.value) and os.listdir(cache / "raw") == []


@pytest.mark.parametrize("name", NAMES)
def test_a_verified_archive_is_kept_when_the_other_fails(name, server, cache, monkeypatch):
    files, md5, (images, labels) = archives()
    publish(monkeypatch, server, name, files, {**md5, TRAIN[1]: "0" * 32})  # the labels' sum is wrong
    with pytest.raises(DatasetNotFoundError):
        load_dataset(name, "train")
    assert os.listdir(cache / name) == [TRAIN[0]]  # the verified images stay; the labels were refused
    publish(monkeypatch, server, name, {}, md5)
    server.handler.requests.clear()
    assert len(load_dataset(name, "train")) == len(images)
    assert server.handler.requests == [f"/good/{TRAIN[1]}"]  # only what was missing


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("name", NAMES)
def test_offline_is_one_line_naming_files_folder_and_source(name, cache, monkeypatch):
    real = idx_datasets.SOURCES[name]
    with pytest.raises(DatasetNotFoundError) as error:  # no download asked: the published mirror is named
        load_dataset(name, "test", download=False)
    message = one_line(error)
    for phrase in (f"{real.title} test data not found", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                   str(cache / name), "--data-dir", real.mirrors[0], real.homepage):
        assert phrase in message, (phrase, message)
    assert "download failed" not in message
    dead = f"http://127.0.0.1:{closed_port()}/"
    monkeypatch.setitem(idx_datasets.SOURCES, name, dataclasses.replace(real, mirrors=(dead, dead + "b/")))
    with pytest.raises(DatasetNotFoundError) as error:  # nothing answers: every attempt is in the line
        load_dataset(name, "train")
    message = one_line(error)
    for phrase in ("train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz", str(cache / name),
                   f"download failed: {dead}train-images-idx3-ubyte.gz: URLError",
                   f"{dead}b/train-images-idx3-ubyte.gz: URLError"):
        assert phrase in message, (phrase, message)
    assert os.listdir(cache / name) == []


@pytest.mark.parametrize("name", NAMES)
def test_data_dir_is_used_and_must_hold_the_files(name, cache, tmp_path, monkeypatch):
    folder = tmp_path / "given"
    folder.mkdir()
    images, labels = write_split(folder, "test", 5, compress=False)
    mnist_folder = tmp_path / "mnist"
    mnist_folder.mkdir()
    monkeypatch.setenv(mnist.DATA_DIR_ENV, str(mnist_folder))  # MNIST's folder: not this dataset's
    data = load_dataset(name, "test", data_dir=str(folder), download=False)
    assert (data.source, data.path, len(data)) == ("data_dir", str(folder), 5)
    np.testing.assert_array_equal(data.labels, labels)
    with pytest.raises(DatasetNotFoundError) as error:  # a folder named explicitly must hold the split
        load_dataset(name, "train", data_dir=str(folder), download=False)
    message = one_line(error)
    assert f"--data-dir {str(folder)!r} does not hold the" in message and "train-labels-idx1-ubyte.gz" in message
    with pytest.raises(DatasetNotFoundError) as error:  # $NPGAN_DATA_DIR is not looked at: the cache is
        load_dataset(name, "test", download=False)
    assert str(cache / name) in one_line(error)
