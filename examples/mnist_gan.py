"""Train the original GAN (Goodfellow et al., 2014, Algorithm 1) on MNIST.

    python examples/mnist_gan.py                       # the lecture-slides GAN on the CPU, about 3.5 minutes on 2 cores
    python examples/mnist_gan.py --backend cupy        # the same on the GPU
    python examples/mnist_gan.py --arch paper          # the paper's maxout/dropout nets and SGD recipe
    python examples/mnist_gan.py --resume runs/mnist/latest.npz --epochs 20
    python examples/mnist_gan.py --checkpoint runs/mnist/latest.npz --sample 64 --sample-out digits.npy

`--help` lists every flag. The command line lives in the library (npgan/cli/mnist.py), so an installed npgan
runs the same job as `npgan-mnist` or `python -m npgan.cli.mnist`; what it wires together is short enough to
read in one sitting:

    recipe = npgan.gan.presets.recipe("slides", epochs=12)                  # the preset, any field overridden
    images = npgan.cli.mnist.load_training_images(data_dir, recipe.train_images)
    result = npgan.training.train(recipe, images, npgan.training.RunConfig(out="runs/mnist"))

npgan.training owns the epoch loop, the logs, the checkpoints (their layout and version), resume, Ctrl-C and
the divergence stop; npgan.gan.GANTrainer is Algorithm 1 itself.
"""
import sys

from npgan.cli.mnist import main

if __name__ == "__main__":
    sys.exit(main())
