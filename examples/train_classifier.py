"""Train the MNIST classifier behind npgan.evaluation.metrics (FID, classifier score, mode coverage) and cache it.

    python examples/train_classifier.py                      # about 1.5 minutes on a 2-core CPU
    python examples/train_classifier.py --backend cupy --out my_classifier.npz

An MLP of npgan layers (784 → 512 → 256 → 10, ReLU, dropout 0.2 on the input and 0.3 on the hidden
layers, softmax cross-entropy, Adam) trained on MNIST's first 50,000 training images; the test accuracy is
printed after every epoch. The result goes to the per-user cache (``$XDG_CACHE_HOME/npgan/mnist/
mnist_classifier.npz``, or ``$NPGAN_CLASSIFIER``), where examples/evaluate.py finds it; one trained on the
offline subset goes to ``mnist_classifier_subset.npz`` and is never used where full MNIST is available.
The classifier is npgan/evaluation/classifier.py; this command line is npgan/cli/train_classifier.py
(`python -m npgan.cli.train_classifier` runs the same).
"""
import sys

from npgan.cli.train_classifier import main

if __name__ == "__main__":
    sys.exit(main())
