"""Train the classifier of a dataset behind npgan.evaluation.metrics (FID, classifier score, mode coverage)
and cache it.

    python examples/train_classifier.py                      # MNIST: about 1.5 minutes on a 2-core CPU
    python examples/train_classifier.py --dataset sklearn-digits     # or fashion-mnist, kmnist
    python examples/train_classifier.py --data my_images/    # your own labelled images (class folders, a .npz)
    python examples/train_classifier.py --backend cupy --out my_classifier.npz

An MLP of npgan layers (D → 512 → 256 → C, the data's width D and number of classes C; ReLU, dropout 0.2
on the input and 0.3 on the hidden layers, softmax cross-entropy, Adam) trained on the first 5/6 of the
dataset's training split (MNIST: its first 50,000 images) and scored on its test split (your own files: the
last fifth of each class, held out); the test accuracy is printed after every epoch. The result goes to the
per-user cache, where npgan-evaluate finds it: MNIST's to ``$XDG_CACHE_HOME/npgan/mnist/
mnist_classifier.npz`` (or ``$NPGAN_CLASSIFIER``; one trained on the offline subset to
``mnist_classifier_subset.npz``, never used where full MNIST is available), any other dataset's to
``$XDG_CACHE_HOME/npgan/classifiers/<name>-<checksum>.npz``: a classifier is used only for its own data.
The classifier is npgan/evaluation/classifier.py; this command line is npgan/cli/train_classifier.py
(`python -m npgan.cli.train_classifier` runs the same).
"""
import sys

from npgan.cli.train_classifier import main

if __name__ == "__main__":
    sys.exit(main())
