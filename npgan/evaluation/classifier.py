"""The classifier behind npgan.evaluation.metrics' FID, classifier score and mode coverage: trained on the
dataset it judges, cached under that dataset's name and checksum, never used for other data.

    clf = load_or_train_classifier(real=load_real_data("sklearn-digits"))   # cached, or trained now
    features, probs = clf.embed(images)          # (N, 256) penultimate features, (N, C) p(y|x), float64 host

The network is npgan.evaluation.classifier_net's MLP, D → 512 → 256 → C (D and C: the data's width and
number of classes), trained with softmax cross-entropy and Adam on the training split's first 5/6 (MNIST:
images 0–50,000, the paper's split; npgan.evaluation.realdata says how every dataset is split) and scored
on the test split. On MNIST it reaches about 98.5 % test accuracy.

Where it is cached (one ``.npz`` each, no pickle; ``path=`` or ``--classifier`` put one elsewhere):

- MNIST: ``$XDG_CACHE_HOME/npgan/mnist/mnist_classifier.npz`` as before (``$NPGAN_CLASSIFIER`` overrides
  it), and ``mnist_classifier_subset.npz`` for one trained on the offline subset's 4,000 digits (about 95 %):
  never used where full MNIST is available.
- any other dataset: ``$XDG_CACHE_HOME/npgan/classifiers/<name>-<checksum>.npz`` (the checksum's 16 hex
  digits: ``files-3f2a…npz`` for your own files), so two datasets, or two versions of one, never share one.

A classifier records what it was trained on in `info`: "dataset", "checksum" (of the data a run of them
records), "data_source" (the dataset, or "offline-subset"), "source" and "data_path" (where the images
were read), "n_train", "test_accuracy", ... A classifier is used only for the data it was
trained on — the same name and, when it recorded one, the same checksum (files of npgan 0.2 hold neither
and are MNIST's); every report prints its provenance (:func:`provenance`).
"""
import os
import re
import sys
import time

import numpy as np

from npgan import backend as B
from npgan import nn, optim
from npgan._version import __version__
from npgan.evaluation.classifier_net import DEFAULTS, Classifier, ClassifierError, MnistClassifier
from npgan.evaluation.realdata import display_name, image_noun, load_real_data

__all__ = ["Classifier", "MnistClassifier", "ClassifierError", "DEFAULTS", "TRAINING", "CLASSIFIER_ENV",
           "train_classifier", "default_epochs", "train_on", "train_on_mnist", "load_or_train_classifier", "default_classifier_path",
           "provenance", "trained_on_subset", "mismatch"]

CLASSIFIER_ENV = "NPGAN_CLASSIFIER"  # MNIST's classifier file (other datasets: the classifiers folder)
FILE_NAME = "mnist_classifier.npz"
SUBSET_FILE_NAME = "mnist_classifier_subset.npz"  # trained on the offline subset: never mistaken for the other
# epochs: 30 on MNIST; on any other dataset at least 30 and at least min_updates Adam steps (8x8 digits: 200)
TRAINING = {"epochs": 30, "min_updates": 2000, "batch_size": 128, "lr": 1e-3, "n_train": 50000}


def default_classifier_path(subset=False, dataset="mnist", checksum=None):
    """Where the classifier of `dataset` is cached. MNIST: ``$NPGAN_CLASSIFIER``, else ``mnist_classifier.npz``
    (``mnist_classifier_subset.npz`` for one trained on the offline subset) in MNIST's per-user cache folder.
    Any other dataset: ``classifiers/<name>-<16 hex digits of checksum>.npz`` beside it."""
    from npgan.data.mnist import default_cache_dir
    if dataset == "mnist":
        name = SUBSET_FILE_NAME if subset else FILE_NAME
        return os.environ.get(CLASSIFIER_ENV) or os.path.join(default_cache_dir(), name)
    digits = (checksum or "").split(":")[-1][:16] or "unknown"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", dataset).strip("._") or "data"
    return os.path.join(os.path.dirname(default_cache_dir()), "classifiers", f"{safe}-{digits}.npz")


def trained_on_subset(clf):
    """Whether `clf` was trained on MNIST's offline subset (files without a data_source: by their size)."""
    if clf.info.get("dataset", "mnist") != "mnist":
        return False
    source = clf.info.get("data_source")
    return source == "offline-subset" if source else clf.info.get("n_train", TRAINING["n_train"]) < 10000


def provenance(clf):
    """One line: what the classifier was trained on and its test accuracy."""
    name = clf.info.get("dataset", "mnist")
    data = "the offline MNIST subset" if trained_on_subset(clf) else display_name(name)
    n = clf.info.get("n_train", "?")
    count = f"{n:,}" if isinstance(n, int) and name != "mnist" else n  # MNIST's line as it always was
    checksum = f", checksum {clf.info['checksum']}" if clf.info.get("checksum") and name != "mnist" else ""
    accuracy = clf.info.get("test_accuracy")
    return (f"npgan MLP classifier trained on {data} ({count} training {image_noun(name)}{checksum}), test accuracy "
            + (f"{accuracy:.2%}" if accuracy is not None else "unknown"))


def mismatch(clf, real=None, full_data=True):
    """Why `clf` cannot judge the data `real` (an npgan.evaluation.realdata.RealData; None: MNIST, not
    loaded), as the end of a sentence, or None when it can: another width or number of classes, another
    dataset, another checksum, or MNIST's offline subset where `full_data` (full MNIST) is at hand."""
    name = real.name if real is not None else "mnist"
    dim, classes = (real.dim, real.n_classes) if real is not None else (784, 10)
    its, checksum = clf.info.get("dataset", "mnist"), clf.info.get("checksum")
    if its != name:
        return (f"is a classifier of {display_name(its)}" + (f" ({checksum})" if checksum else "")
                + f", not of {display_name(name)}")
    if (clf.config["inp"], clf.config["classes"]) != (dim, classes):
        return (f"classifies {clf.config['inp']}-value images into {clf.config['classes']} classes, but "
                f"{display_name(name)}'s have {dim} values and {classes} classes")
    if name == "mnist" and full_data and trained_on_subset(clf):
        return f"was trained on the offline MNIST subset ({provenance(clf)}), but full MNIST is available here"
    if real is not None and checksum and checksum != real.checksum:
        return (f"was trained on other {display_name(name)} data (checksum {checksum}; the data judged here "
                f"have {real.checksum})")
    return None


def train_classifier(images, labels, test=None, epochs=None, batch_size=None, lr=None, backend="numpy", seed=0,
                     log=print, **config):
    """Train a Classifier with softmax cross-entropy and Adam (lr halved for the last quarter of the
    epochs); epochs, batch_size and lr default to TRAINING's, and its width and classes to the data's. `test` = (images, labels) is scored after every epoch. Returns the classifier,
    eval mode, with `info` (accuracy, seconds, epochs, ...) filled in."""
    from npgan.data import Batches
    epochs, batch_size, lr = (TRAINING[k] if v is None else v for k, v in
                              (("epochs", epochs), ("batch_size", batch_size), ("lr", lr)))
    config = {"inp": images.shape[1], "classes": int(labels.max()) + 1, **config}
    B.manual_seed(seed)
    clf = Classifier(**config).to(backend)
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


def default_epochs(name, n, batch_size):
    """TRAINING's epochs; for any dataset but MNIST (whose 50,000 images make 11,700 steps in them) more when
    n images make fewer than TRAINING's min_updates steps of batch_size in them."""
    if name == "mnist":
        return TRAINING["epochs"]
    return max(TRAINING["epochs"], -(-TRAINING["min_updates"] // max(n // batch_size, 1)))


def train_on(real, backend="numpy", log=print, **kwargs):
    """Train on the fit part of `real` (an npgan.evaluation.realdata.RealData), score on its test split;
    `info` records the dataset, its checksum and source. The batch size defaults to TRAINING's, or the
    number of training images when they are fewer; the epochs :func:`default_epochs`."""
    train, test = real.classifier_sets()
    if kwargs.get("batch_size") is None:
        kwargs["batch_size"] = min(TRAINING["batch_size"], len(train[0]))
    if kwargs.get("epochs") is None:
        kwargs["epochs"] = default_epochs(real.name, len(train[0]), kwargs["batch_size"])
    kwargs.setdefault("classes", real.n_classes)
    clf = train_classifier(*train, test=test, backend=backend, log=log, **kwargs)
    subset = real.source == "offline-subset"  # data_source: the dataset, or MNIST's subset (as npgan 0.2 wrote it)
    clf.info.update(dataset=real.name, checksum=real.checksum, data_source="offline-subset" if subset else real.name,
                    source=real.source, data_path=real.path, n_test=len(test[0]), test_split=real.test_rule)
    return clf


def train_on_mnist(data_dir=None, backend="numpy", log=print, **kwargs):
    """train_on(MNIST from `data_dir`): its first 50,000 training images, scored on the test set."""
    return train_on(load_real_data("mnist", data_dir), backend, log, **kwargs)


def load_or_train_classifier(path=None, data_dir=None, backend="numpy", train=True, log=None, full_data=True,
                             real=None):
    """The classifier of the data `real` (an npgan.evaluation.realdata.RealData; None: MNIST from
    `data_dir`, loaded only to train) cached at `path` (default :func:`default_classifier_path` of the
    data), on `backend`; when there is none, train one now (saying so, and where it is cached) unless
    `train` is False.

    A classifier of other data (:func:`mismatch`) named explicitly (`path`, or ``$NPGAN_CLASSIFIER`` for
    MNIST) is refused (ClassifierError, one line with the way out); the default cache's is retrained.
    full_data: whether full MNIST is available (taken from `real` when given)."""
    name = real.name if real is not None else "mnist"
    if real is not None and name == "mnist":
        full_data = real.source != "offline-subset"
    explicit = path is not None or (name == "mnist" and bool(os.environ.get(CLASSIFIER_ENV)))
    path = path or default_classifier_path(not full_data, name, real.checksum if real is not None else None)
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    what = display_name(name)
    if os.path.exists(path):
        clf = Classifier.load(path, backend)
        problem = mismatch(clf, real, full_data)
        if problem is None:
            return clf
        if explicit or not train:
            flags = "" if name == "mnist" else " --data PATH" if name == "files" else f" --dataset {name}"
            if name == "mnist" and full_data and trained_on_subset(clf):  # stale: MNIST's own, from the subset
                raise ClassifierError(f"{path} {problem}: retrain it with `python examples/train_classifier.py "
                                      f"--out {path} --overwrite`, or drop it to use the default one")
            raise ClassifierError(f"{path} {problem}: pass a classifier of {what} (`python examples/"
                                  f"train_classifier.py{flags} --out FILE` makes one), or drop it to use the "
                                  f"cached one of {what} (trained on first use)")
        log(f"{path} {problem}; it is retrained")
    elif not train:
        raise FileNotFoundError(f"no {what} classifier at {path}: run `python examples/train_classifier.py` "
                                f"(a few minutes on a CPU) or pass its path")
    log(f"No {what} classifier cached at {path}: training one now for the FID / score / coverage metrics "
        f"(at least {TRAINING['epochs']} epochs, a few minutes on a CPU; `python examples/train_classifier.py` "
        f"does this ahead of time).")
    clf = train_on(real if real is not None else load_real_data("mnist", data_dir), backend, log=log)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    clf.save(path)
    log(f"saved the classifier (test accuracy {clf.info['test_accuracy']:.4f}) to {path}")
    return clf
