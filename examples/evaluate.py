"""Score a generator trained by examples/mnist_gan.py: FID, classifier score, mode coverage, Parzen LL.

    python examples/evaluate.py runs/mnist/latest.npz                   # 10,000 samples, classifier metrics
    python examples/evaluate.py runs/mnist/latest.npz --parzen --json scores.json
    python examples/evaluate.py runs/mnist --plot metrics_vs_epochs.png # every ckpt_epochNNN.npz of a run

`--help` lists the options. The functions and this command line live in npgan/evaluation/report.py (the metrics
themselves in npgan/evaluation/metrics.py, the classifier in npgan/evaluation/classifier.py), so an installed npgan runs the same
as `python -m npgan.evaluation`. Each number is printed beside the same metric of real MNIST digits, and
the classifier's provenance and accuracy beside them.
"""
import sys

from npgan.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
