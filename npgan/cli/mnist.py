"""`npgan-mnist`: train the original GAN (Goodfellow et al., 2014, Algorithm 1) on MNIST — `npgan-train
--dataset mnist` (npgan/cli/train.py), with every flag of it but --dataset and --data.

    npgan-mnist                                  # (or python -m npgan.cli.mnist)
    npgan-mnist --backend cupy                   # the same on the GPU
    npgan-mnist --arch paper                     # the paper's maxout/dropout nets and SGD recipe
    npgan-mnist --resume runs/mnist/latest.npz [--epochs 20] [--lr 5e-4]
    npgan-mnist --checkpoint runs/mnist/latest.npz --sample 64 --sample-out digits.npy
"""
import sys

from npgan.cli import train
from npgan.cli.train import MAX_SAMPLES, RECIPE_FLAGS, USER_ERRORS  # noqa: F401 (the names this command had)

PROG = "npgan-mnist"
DESCRIPTION = "Train the original GAN (Goodfellow et al., 2014, Algorithm 1) on MNIST: the command line."


def build_parser():
    return train.build_parser(PROG, any_data=False, description=DESCRIPTION)


def main(argv=None):
    return train.main(argv, PROG, any_data=False, description=DESCRIPTION)


if __name__ == "__main__":
    sys.exit(main())
