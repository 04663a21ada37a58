"""Judging a trained generator: the numbers and the figures, each beside the same number for real digits.

- metrics.py       Parzen-window log-likelihood (the paper's Table 1), FID, classifier score, mode coverage;
                   `MnistEvaluator` holds the real-data side
- classifier.py    the MNIST classifier behind FID, score and coverage, trained on first use and cached
- memorisation.py  nearest training images and the memorisation number
- figures.py       the paper's Figures 2 and 3
- report.py        a checkpoint or a run folder scored: `score`, `reference`, `evaluate_over_epochs`, the table
- plots.py         the metrics against the epochs of a run
"""
from npgan.evaluation.classifier import MnistClassifier, load_or_train_classifier, train_classifier
from npgan.evaluation.memorisation import Memorisation, nearest_neighbours
from npgan.evaluation.metrics import (MnistEvaluator, classifier_metrics, fid, mode_coverage, parzen_estimate)
from npgan.evaluation.plots import plot_over_epochs
from npgan.evaluation.report import (describe, epoch_checkpoints, evaluate_over_epochs, format_table, reference,
                                     sample_images, score)

__all__ = ["MnistEvaluator", "parzen_estimate", "fid", "classifier_metrics", "mode_coverage", "MnistClassifier",
           "load_or_train_classifier", "train_classifier", "Memorisation", "nearest_neighbours", "plot_over_epochs",
           "score", "reference", "describe", "sample_images", "epoch_checkpoints", "evaluate_over_epochs",
           "format_table"]
