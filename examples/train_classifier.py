"""Train the MNIST classifier behind npgan.metrics (FID, classifier score, mode coverage) and cache it.

    python examples/train_classifier.py                      # about 1.5 minutes on a 2-core CPU
    python examples/train_classifier.py --backend cupy --out my_classifier.npz

An MLP of npgan layers (784 → 512 → 256 → 10, ReLU, dropout 0.2 on the input and 0.3 on the hidden
layers, softmax cross-entropy, Adam) trained on MNIST's first 50,000 training images; the test accuracy is
printed after every epoch. The result goes to the per-user cache (``$XDG_CACHE_HOME/npgan/mnist/
mnist_classifier.npz``, or ``$NPGAN_CLASSIFIER``), where examples/evaluate.py finds it.
"""
import argparse
import json
import sys

from npgan import backend as B
from npgan.classifier import DEFAULTS, TRAINING, default_classifier_path, train_on_mnist


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", help="where to save it (default: $NPGAN_CLASSIFIER, else the MNIST cache folder)")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $NPGAN_DATA_DIR, the cache, a "
                                      "download)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--epochs", type=int, default=TRAINING["epochs"])
    p.add_argument("--batch-size", type=int, default=TRAINING["batch_size"])
    p.add_argument("--lr", type=float, default=TRAINING["lr"], help="Adam learning rate (halved for the last "
                                                                      "quarter of the epochs)")
    p.add_argument("--hidden", type=int, nargs="+", default=list(DEFAULTS["hidden"]), help="hidden widths")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-accuracy", type=float, default=0.98, help="exit with status 1 below this test accuracy")
    args = p.parse_args(argv)
    backend = B.resolve_backend(args.backend)
    out = args.out or default_classifier_path()
    clf = train_on_mnist(args.data_dir, backend, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, hidden=tuple(args.hidden))
    clf.save(out)
    print(json.dumps(clf.info))
    print(f"test accuracy {clf.info['test_accuracy']:.4f} after {clf.info['train_seconds']:.0f} s on {backend}; "
          f"saved to {out}")
    if clf.info["test_accuracy"] < args.min_accuracy:
        print(f"below --min-accuracy {args.min_accuracy}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
