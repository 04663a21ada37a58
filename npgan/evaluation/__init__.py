"""Judging a trained generator on any dataset: the numbers and the figures, each beside the same number for
real images of the data it trained on.

- realdata.py        the real side: the data a run trained on found again (`run_data`), split into the
                     classifier's training images, validation images and a test split (`RealData`)
- metrics.py         Parzen-window log-likelihood (the paper's Table 1), FID, classifier score, mode coverage;
                     `Evaluator` holds the real-data side (`MnistEvaluator`: MNIST's)
- classifier_net.py  the MLP behind FID, score and coverage (`Classifier`, sized by the data) and its file
- classifier.py      that classifier trained on the dataset it judges, cached under the dataset's name and checksum
- memorisation.py    nearest training images and the memorisation number
- figures.py         the paper's Figures 2 and 3, at the data's image shape
- report.py          a checkpoint or a run folder scored: `score`, `reference`, `evaluate_over_epochs`, the table
- plots.py           the metrics against the epochs of a run
"""
from npgan.evaluation.classifier import load_or_train_classifier, train_classifier, train_on
from npgan.evaluation.classifier_net import Classifier, MnistClassifier
from npgan.evaluation.memorisation import Memorisation, nearest_neighbours
from npgan.evaluation.metrics import (Evaluator, MnistEvaluator, classifier_metrics, fid, mode_coverage,
                                      parzen_estimate)
from npgan.evaluation.plots import plot_over_epochs
from npgan.evaluation.realdata import RealData, load_real_data, run_data
from npgan.evaluation.report import (describe, epoch_checkpoints, evaluate_over_epochs, format_table, reference,
                                     sample_images, score)

__all__ = ["Evaluator", "MnistEvaluator", "parzen_estimate", "fid", "classifier_metrics", "mode_coverage",
           "Classifier", "MnistClassifier", "load_or_train_classifier", "train_classifier", "train_on",
           "RealData", "load_real_data", "run_data", "Memorisation", "nearest_neighbours", "plot_over_epochs",
           "score", "reference", "describe", "sample_images", "epoch_checkpoints", "evaluate_over_epochs",
           "format_table"]
