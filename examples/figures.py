"""The paper's Figures 2 and 3 for a generator trained by examples/mnist_gan.py.

    python examples/figures.py --figure2 runs/mnist/latest.npz --out figure2.png   # + the memorisation number
    python examples/figures.py --figure3 runs/mnist/latest.npz --rows 8 --steps 10 --seed 0 --out figure3.png

`--help` lists the options. The figures, the nearest-neighbour search and the memorisation number live in
npgan/evaluation/figures.py (as does this command line, so `python -m npgan.evaluation.figures` runs the same).
"""
import sys

from npgan.cli.figures import main

if __name__ == "__main__":
    sys.exit(main())
