"""The MNIST classifier behind npgan.metrics' FID, classifier score and mode coverage, built with npgan.

    clf = load_or_train_classifier()            # the cached one, or trains one (a few minutes on a CPU)
    features, probs = clf.embed(images)         # (N, 256) penultimate features, (N, 10) p(y|x), float64 host

The network is an MLP of npgan layers, 784 → 512 → 256 → 10 with ReLU, dropout on the input (p = 0.2) and
on each hidden layer (p = 0.3), trained with softmax cross-entropy and Adam on the first 50,000 training
images (the last 10,000 stay held out, as the paper's validation split; they give the real-data reference
values of the metrics). It reaches about 98.5 % test accuracy. Its "features" are the 256 activations of
the last hidden ReLU, the input of the final Linear layer.

It is cached as one ``.npz`` (npgan.checkpoint: no pickle) in the same per-user cache folder as MNIST,
``$XDG_CACHE_HOME/npgan/mnist/mnist_classifier.npz``; ``$NPGAN_CLASSIFIER`` or ``path=`` put it elsewhere.
"""
import json
import os
import sys
import time

import numpy as np

from npgan import backend as B
from npgan import nn, optim
from npgan._version import __version__
from npgan.checkpoint import load_checkpoint, save_checkpoint

CLASSIFIER_ENV = "NPGAN_CLASSIFIER"
FILE_NAME = "mnist_classifier.npz"
DEFAULTS = {"hidden": (512, 256), "p_input": 0.2, "p_hidden": 0.3}
TRAINING = {"epochs": 30, "batch_size": 128, "lr": 1e-3, "n_train": 50000}


def default_classifier_path():
    """``$NPGAN_CLASSIFIER``, else ``mnist_classifier.npz`` in MNIST's per-user cache folder."""
    from npgan.data.mnist import default_cache_dir
    return os.environ.get(CLASSIFIER_ENV) or os.path.join(default_cache_dir(), FILE_NAME)


class MnistClassifier:
    """`body` (input → last hidden ReLU, the features) then Dropout and `head` (Linear → 10 logits).

    `net` is the whole Sequential (train it); `embed`/`predict` run it in eval mode, in batches.
    """

    def __init__(self, hidden=DEFAULTS["hidden"], p_input=DEFAULTS["p_input"], p_hidden=DEFAULTS["p_hidden"],
                 inp=784, classes=10):
        self.config = {"hidden": list(hidden), "p_input": p_input, "p_hidden": p_hidden, "inp": inp,
                       "classes": classes}
        layers, width = [nn.Dropout(p_input)] if p_input else [], inp
        for index, out in enumerate(hidden):
            if index and p_hidden:
                layers.append(nn.Dropout(p_hidden))
            layers += [nn.Linear(width, out), nn.ReLU()]
            width = out
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, classes)
        self.net = nn.Sequential(self.body, nn.Dropout(p_hidden), self.head)
        self.info = {}

    @property
    def backend(self):
        return B.backend_of(self.net.parameters()[0].data)

    def to(self, backend):
        self.net.to(backend)
        return self

    @property
    def feature_dim(self):
        return self.head.in_features

    def embed(self, images, batch_size=2000):
        """(features, probs) of host float32 images (N, 784): float64 host arrays (N, F) and (N, 10).

        Softmax p = exp(z − max z) / Σ exp(z − max z), in float64."""
        self.net.eval()
        feats, probs = [], []
        with nn.no_grad():
            for start in range(0, len(images), batch_size):
                x = B.to_device(np.ascontiguousarray(images[start:start + batch_size], dtype=np.float32),
                                self.backend)
                f = self.body(x)
                z = self.head(f).astype("float64")
                z -= z.max(axis=1, keepdims=True)
                p = B.get_array_module(z).exp(z)
                p /= p.sum(axis=1, keepdims=True)
                feats.append(B.to_cpu(f).astype(np.float64))  # float64: deliberate (metrics)
                probs.append(B.to_cpu(p))
        return np.concatenate(feats), np.concatenate(probs)

    def predict(self, images):
        return self.embed(images)[1].argmax(axis=1)

    def accuracy(self, images, labels):
        return float((self.predict(images) == labels).mean())

    # --- the cache file ---------------------------------------------------------------------------------

    def save(self, path):
        return save_checkpoint(path, {"classifier": self.net.state_dict(), "config": json.dumps(self.config),
                                      "info": json.dumps(self.info)})

    @classmethod
    def load(cls, path, backend="numpy"):
        state = load_checkpoint(path)
        config = json.loads(state["config"])
        clf = cls(config["hidden"], config["p_input"], config["p_hidden"], config["inp"], config["classes"])
        clf.net.load_state_dict(state["classifier"])
        clf.info = json.loads(state["info"])
        return clf.to(backend)


def train_classifier(images, labels, test=None, epochs=None, batch_size=None, lr=None, backend="numpy", seed=0,
                     log=print, **config):
    """Train a MnistClassifier with softmax cross-entropy and Adam (lr halved for the last quarter of the
    epochs); epochs, batch_size and lr default to TRAINING's. `test` = (images, labels) is scored after every
    epoch. Returns the classifier, eval mode, with `info` (accuracy, seconds, epochs, ...) filled in."""
    from npgan.data import Batches
    epochs, batch_size, lr = (TRAINING[k] if v is None else v for k, v in
                              (("epochs", epochs), ("batch_size", batch_size), ("lr", lr)))
    B.manual_seed(seed)
    clf = MnistClassifier(**config).to(backend)
    opt, criterion = optim.Adam(clf.net.parameters(), lr=lr), nn.CrossEntropyLoss()
    loader = Batches(images, labels, batch_size=batch_size, backend=backend)
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        clf.net.train()
        if epoch == epochs - epochs // 4 + 1:
            opt.lr = lr / 2
        total = 0.0
        for x, y in loader:
            opt.zero_grad()
            total += criterion(clf.net(x), y)
            clf.net.backward(criterion.backward(), need_input_grad=False)
            opt.step()
        line = f"epoch {epoch}/{epochs}  loss {total / len(loader):.4f}  {time.perf_counter() - started:.0f} s"
        if test is not None:
            clf.info["test_accuracy"] = clf.accuracy(*test)
            line += f"  test accuracy {clf.info['test_accuracy']:.4f}"
        log(line)
    clf.net.eval()
    clf.info.update({"train_seconds": round(time.perf_counter() - started, 1), "epochs": epochs,
                     "batch_size": batch_size, "lr": lr, "n_train": len(images), "backend": backend,
                     "seed": seed, "npgan": __version__})
    return clf


def train_on_mnist(data_dir=None, backend="numpy", log=print, **kwargs):
    """Train on MNIST's first 50,000 training images, score on the test set."""
    from npgan.data import load_mnist, train_validation_split
    images, labels = load_mnist("train", data_dir=data_dir)
    (train_x, train_y), _ = train_validation_split(images, labels, TRAINING["n_train"])
    test = load_mnist("test", data_dir=data_dir)
    return train_classifier(train_x, train_y, test=test, backend=backend, log=log, **kwargs)


def load_or_train_classifier(path=None, data_dir=None, backend="numpy", train=True, log=None):
    """The cached classifier at `path` (default :func:`default_classifier_path`), on `backend`; when there is
    none, train one on MNIST now (saying so, and where it will be cached) unless `train` is False."""
    path = path or default_classifier_path()
    if os.path.exists(path):
        return MnistClassifier.load(path, backend)
    if not train:
        raise FileNotFoundError(f"no MNIST classifier at {path}: run `python examples/train_classifier.py` "
                                f"(a few minutes on a CPU) or pass its path")
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    log(f"No MNIST classifier cached at {path}: training one now for the FID / score / coverage metrics "
        f"({TRAINING['epochs']} epochs, a few minutes on a CPU; `python examples/train_classifier.py` does "
        f"this ahead of time).")
    clf = train_on_mnist(data_dir, backend, log=log)
    clf.save(path)
    log(f"saved the classifier (test accuracy {clf.info['test_accuracy']:.4f}) to {path}")
    return clf
