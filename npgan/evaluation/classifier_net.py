"""The network behind FID, classifier score and mode coverage: an MLP of npgan layers, sized by the data it
classifies, and its file (npgan.evaluation.classifier trains it on a dataset and caches it).

    clf = Classifier(inp=64, classes=10)         # D → 512 → 256 → C, ReLU, dropout
    features, probs = clf.embed(images)          # (N, 256) penultimate features, (N, C) p(y|x), float64 host

The layers: dropout on the input (p = 0.2), then Linear + ReLU for each hidden width with dropout (p = 0.3)
between them and before the final Linear to C logits. Its "features" are the activations of the last
hidden ReLU, the input of the final Linear layer. `info` records what it was trained on (dataset, checksum,
accuracy, ...; npgan.evaluation.classifier); `save`/`load` keep it in one .npz (npgan.checkpoint: no pickle).
"""
import json

import numpy as np

from npgan import backend as B
from npgan import nn
from npgan.checkpoint import load_checkpoint, save_checkpoint

DEFAULTS = {"hidden": (512, 256), "p_input": 0.2, "p_hidden": 0.3}


class ClassifierError(ValueError):
    """A classifier cannot be used for these metrics: not a classifier, damaged, or trained on other data."""


class Classifier:
    """`body` (input → last hidden ReLU, the features) then Dropout and `head` (Linear → C logits).

    `net` is the whole Sequential (train it); `embed`/`predict` run it in eval mode, in batches.
    inp: D, the width of an image row (784 for MNIST); classes: C.
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
        """(features, probs) of host float32 images (N, D): float64 host arrays (N, F) and (N, C).

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

    # --- the file -----------------------------------------------------------------------------------------

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


MnistClassifier = Classifier  # its name when it classified MNIST alone
