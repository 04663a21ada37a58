"""Train the GAN on a folder of your own same-size images (PNG or JPEG, grey or colour), with npgan's library calls.

    python examples/train_on_folder.py my_images/ --out runs/mine          # the slides GAN, 20 epochs
    python examples/train_on_folder.py my_images/ --epochs 50 --batch-size 32
    npgan-evaluate runs/mine/latest.npz      # then: FID, score and coverage by a classifier of your own data
                                             # (with labels: one subfolder per class, as torchvision's ImageFolder)

Read `train` top to bottom. The folder becomes an npgan.data.Dataset (npgan.data.load_files): images as rows
(N, H·W) or (N, H·W·3) in [0, 1], their shape, the labels when the images sit in one subfolder per class, and a
checksum; every bad input (mixed sizes, a file that is not an image, an empty folder) is one line naming the
file. npgan.training.train then sizes the recipe's G and D for the data, trains, and writes samples_epochNNN.png
(a colour grid for colour images), curves.png and the checkpoints into --out. `npgan-train --data FOLDER` is the
same run with every flag (resume, sampling, the recipe's fields, mpiexec).
"""
import sys

from npgan import backend as B
from npgan import gan, training, viz
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import DataError, check_enough, load_files
from npgan.gan import presets
from npgan.settings import check_int

PROG = "train_on_folder.py"
USER_ERRORS = (DataError, training.RunFolderError)  # each ends in one line, exit 1


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       epilog="npgan-train --data FOLDER trains with every flag: npgan-train --help")
    p.add_argument("folder", help="a folder of same-size PNG/JPEG images (or one subfolder of them per class), "
                                  "or a .npz / .npy of images")
    p.add_argument("--arch", choices=presets.ARCHS, default="slides", help="network preset (default slides)")
    p.add_argument("--epochs", type=int, default=20, help="passes over the images (default 20)")
    p.add_argument("--batch-size", type=int, help="minibatch size (default: the preset's; at most the images)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw of the run (default 0)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--out", default="runs/folder", help="output folder (default runs/folder)")
    p.add_argument("--overwrite", action="store_true", help="replace a run that --out already holds")
    return p


def train(args):
    seed = check_int("seed", args.seed, low=0)
    training.RunFolder(args.out).check_available(overwrite=args.overwrite)  # refused before the images are read

    # The data: every image of the folder, checked and scaled to [0, 1], with its shape and (subfolders) labels.
    data = load_files(args.folder)
    print(f"{data.path}: {len(data)} images of {'×'.join(map(str, data.image_shape or (data.dim,)))}"
          + (f", {data.n_classes} classes" if data.labels is not None else ""))

    # What trains: the preset's recipe with the flags given; train() sizes G's output and D's input for the data.
    recipe = presets.recipe(args.arch, epochs=args.epochs, batch_size=args.batch_size)
    check_enough(data, recipe.batch_size)

    # The run: Algorithm 1 over shuffled minibatches, the sample grids, curves and checkpoints in --out.
    config = training.RunConfig(out=args.out, seed=seed, overwrite=args.overwrite)
    result = training.train(recipe, data, config, backend=args.backend)
    if result.exit_code:
        return result.exit_code                         # 130 (Ctrl-C) or 1 (diverged): latest.npz is kept

    # Draw from the trained generator (the average, when the recipe keeps one) and save a grid of 64.
    G, recipe = training.load_generator(f"{args.out}/latest.npz")
    images = gan.sample(G, 64, recipe, seed=seed)
    if recipe.image_shape is not None:
        grid = viz.save_grid(images, f"{args.out}/final_samples.png", nrow=8, image_shape=recipe.image_shape)
        print(f"64 samples of the trained generator: {grid}")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: train(args), PROG, USER_ERRORS, parser)


if __name__ == "__main__":
    sys.exit(main())
