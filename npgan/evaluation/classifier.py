"""The MNIST classifier behind npgan.evaluation.metrics' FID, classifier score and mode coverage, built with npgan.

    clf = load_or_train_classifier()            # the cached one, or trains one (a few minutes on a CPU)
    features, probs = clf.embed(images)         # (N, 256) penultimate features, (N, 10) p(y|x), float64 host

The network is an MLP of npgan layers, 784 → 512 → 256 → 10 with ReLU, dropout on the input (p = 0.2) and
on each hidden layer (p = 0.3), trained with softmax cross-entropy and Adam on the first 50,000 training
images (the last 10,000 stay held out, as the paper's validation split; they give the real-data reference
values of the metrics). It reaches about 98.5 % test accuracy. Its "features" are the 256 activations of
the last hidden ReLU, the input of the final Linear layer.

It is cached as one ``.npz`` (npgan.checkpoint: no pickle) in the same per-user cache folder as MNIST,
``$XDG_CACHE_HOME/npgan/mnist/mnist_classifier.npz``; ``$NPGAN_CLASSIFIER`` or ``path=`` put it elsewhere.

A classifier records what it was trained on (`info["data_source"]`: "mnist", or "offline-subset" for the
4,000 digits of the offline fallback, which give a weaker classifier: about 95 % instead of 98.6 %). The
two are cached under different names, a subset-trained classifier is never used where full MNIST is
available, and every report prints the classifier's provenance and accuracy (:func:`provenance`).
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
SUBSET_FILE_NAME = "mnist_classifier_subset.npz"  # trained on the offline subset: never mistaken for the other
DEFAULTS = {"hidden": (512, 256), "p_input": 0.2, "p_hidden": 0.3}
TRAINING = {"epochs": 30, "batch_size": 128, "lr": 1e-3, "n_train": 50000}


class ClassifierError(ValueError):
    """A classifier cannot be used for these metrics (trained on the subset where full MNIST is available)."""


def default_classifier_path(subset=False):
    """``$NPGAN_CLASSIFIER``, else ``mnist_classifier.npz`` (``mnist_classifier_subset.npz`` for one trained
    on the offline subset) in MNIST's per-user cache folder."""
    from npgan.data.mnist import default_cache_dir
    name = SUBSET_FILE_NAME if subset else FILE_NAME
    return os.environ.get(CLASSIFIER_ENV) or os.path.join(default_cache_dir(), name)


def trained_on_subset(clf):
    """Whether `clf` was trained on the offline subset (files without a data_source: by their size)."""
    source = clf.info.get("data_source")
    return source == "offline-subset" if source else clf.info.get("n_train", TRAINING["n_train"]) < 10000


def provenance(clf):
    """One line: what the classifier was trained on and its test accuracy."""
    data = ("the offline MNIST subset" if trained_on_subset(clf) else "MNIST") + \
        f" ({clf.info.get('n_train', '?')} training digits)"
    accuracy = clf.info.get("test_accuracy")
    return f"npgan MLP classifier trained on {data}, test accuracy " + \
        (f"{accuracy:.2%}" if accuracy is not None else "unknown")


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
        """The classifier saved at `path`; ClassifierError (or CheckpointError) naming the file when it is
        not one, is damaged, or holds non-finite weights."""
        state = load_checkpoint(path)
        if "trainer" in state or "layout" in state:
            raise ClassifierError(f"{path} is a GAN checkpoint, not a classifier (examples/train_classifier.py "
                                  f"makes one)")
        missing = [name for name in ("classifier", "config", "info") if name not in state]
        if missing:
            raise ClassifierError(f"{path} is an npgan checkpoint but not a classifier (it has no "
                                  f"{', '.join(missing)} entry)")
        try:
            config = json.loads(state["config"])
            clf = cls(config["hidden"], config["p_input"], config["p_hidden"], config["inp"], config["classes"])
            clf.net.load_state_dict(state["classifier"])
            clf.info = dict(json.loads(state["info"]))
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # StateDictMismatch is a ValueError
            raise ClassifierError(f"{path}: damaged classifier file ({type(error).__name__}: {error})") from None
        bad = [name for name, param in clf.net.named_parameters() if not np.isfinite(param.data).all()]
        if bad:
            raise ClassifierError(f"{path}: the classifier's {', '.join(bad[:3])} hold non-finite values; retrain "
                                  f"it with examples/train_classifier.py")
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


def mnist_training_data(data_dir=None):
    """(train, test, source): MNIST's first 50,000 training images and labels (the classifier trains on
    them), the test set (images, labels), and where they came from ("mnist" or "offline-subset")."""
    from npgan.data import load_mnist, train_validation_split
    split = load_mnist("train", data_dir=data_dir)
    train, _ = train_validation_split(*split, TRAINING["n_train"])
    return train, load_mnist("test", data_dir=data_dir), "offline-subset" if split.is_subset else "mnist"


def train_on_mnist(data_dir=None, backend="numpy", log=print, data=None, **kwargs):
    """Train on MNIST's first 50,000 training images, score on the test set; `info` records the source.
    data: the (train, test, source) of mnist_training_data, when already loaded."""
    train, test, source = data or mnist_training_data(data_dir)
    clf = train_classifier(*train, test=test, backend=backend, log=log, **kwargs)
    clf.info["data_source"] = source
    return clf


def load_or_train_classifier(path=None, data_dir=None, backend="numpy", train=True, log=None, full_data=True):
    """The cached classifier at `path` (default :func:`default_classifier_path`), on `backend`; when there is
    none, train one on MNIST now (saying so, and where it will be cached) unless `train` is False.

    full_data: whether full MNIST is available. Then a classifier trained on the offline subset is not
    used: one named explicitly is refused (ClassifierError, with the command to retrain it), the default
    cache's is retrained."""
    explicit = path is not None or bool(os.environ.get(CLASSIFIER_ENV))
    path = path or default_classifier_path(subset=not full_data)
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    if os.path.exists(path):
        clf = MnistClassifier.load(path, backend)
        if (clf.config["inp"], clf.config["classes"]) != (784, 10):
            raise ClassifierError(f"{path} classifies {clf.config['inp']}-pixel images into {clf.config['classes']} "
                                  f"classes; the metrics need MNIST's 784 pixels and 10 digits")
        if not (full_data and trained_on_subset(clf)):
            return clf
        if explicit or not train:
            raise ClassifierError(f"{path} was trained on the offline MNIST subset ({provenance(clf)}), but full "
                                  f"MNIST is available here: retrain it with `python examples/train_classifier.py "
                                  f"--out {path} --overwrite`, or drop it to use the default one")
        log(f"{path} was trained on the offline subset; full MNIST is available now, so it is retrained")
    elif not train:
        raise FileNotFoundError(f"no MNIST classifier at {path}: run `python examples/train_classifier.py` "
                                f"(a few minutes on a CPU) or pass its path")
    log(f"No MNIST classifier cached at {path}: training one now for the FID / score / coverage metrics "
        f"({TRAINING['epochs']} epochs, a few minutes on a CPU; `python examples/train_classifier.py` does "
        f"this ahead of time).")
    clf = train_on_mnist(data_dir, backend, log=log)
    clf.save(path)
    log(f"saved the classifier (test accuracy {clf.info['test_accuracy']:.4f}) to {path}")
    return clf
