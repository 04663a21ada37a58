"""Score a generator trained by npgan-train (or examples/mnist_gan.py): FID, classifier score and mode
coverage, beside real images of the data it trained on.

    python examples/evaluate.py runs/mnist/latest.npz                   # 10,000 samples, seed 0
    python examples/evaluate.py runs/digits/latest.npz --n 1000 --seed 1

Six library calls: the generator of a run checkpoint (npgan.training.load_generator: the average when the
run kept one, in eval mode), its samples (npgan.gan.sample), the data it trained on found again
(npgan.evaluation.run_data), the real side of every comparison (npgan.evaluation.Evaluator: the held-out
images and that dataset's classifier, trained on first use and cached under its name), the numbers
(npgan.evaluation.score, and reference: the same for real images the classifier never saw) and the table
(format_table). Data without labels have no classifier: npgan-evaluate judges them.

`npgan-evaluate` (npgan/cli/evaluate.py, also `python -m npgan.cli.evaluate`) scores with the same pieces and
has every option: --parzen, --memorisation, --json, --classifier, and a run folder scored epoch by epoch
(--plot). Its table for the same checkpoint, --n and --seed is this one.
"""
import sys

from npgan import backend as B
from npgan.cli.console import ArgumentParser, run_command
from npgan.data import DataError
from npgan.data.mnist import MnistFormatError, MnistNotFoundError
from npgan.evaluation import Evaluator, describe, format_table, reference, run_data, score
from npgan.evaluation.classifier import ClassifierError
from npgan.evaluation.metrics import TooFewDigits
from npgan.evaluation.report import MAX_SAMPLES, MIN_SAMPLES
from npgan.gan import sample
from npgan.settings import check_int
from npgan.training import load_generator, load_run_checkpoint

PROG = "evaluate.py"
USER_ERRORS = (ClassifierError, DataError, TooFewDigits, MnistNotFoundError, MnistFormatError)  # one line, exit 1


def build_parser():
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       epilog="npgan-evaluate scores with the same pieces and every option (--parzen, "
                              "--memorisation, --json, a run folder with --plot): npgan-evaluate --help")
    p.add_argument("checkpoint", help="a run checkpoint (latest.npz, ckpt_epochNNN.npz)")
    p.add_argument("--n", type=int, default=10000, help=f"samples to score, {MIN_SAMPLES}-{MAX_SAMPLES} (default "
                                                       f"10000), against as many real digits")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and of the real digits (default 0)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="folder with the run's IDX files (default: the folder the run read, "
                                      "$NPGAN_DATA_DIR for MNIST, the cache, a download)")
    return p


def evaluate(args):
    n = check_int("n", args.n, low=MIN_SAMPLES, high=MAX_SAMPLES)
    seed = check_int("seed", args.seed, low=0)
    backend = B.resolve_backend(args.backend)

    G, recipe = load_generator(args.checkpoint, backend)  # a diverged generator is refused here
    images = sample(G, n, recipe, seed=seed)              # float32 (n, D) in [0, 1], as npgan-train --sample
    data = run_data(load_run_checkpoint(args.checkpoint), args.data_dir)  # its dataset, splits, checksum
    evaluator = Evaluator(data, backend)                  # and that dataset's classifier (cached, or trained)
    if evaluator.classifier is None:
        raise DataError(f"{data.path}: no labels, no classifier: npgan-evaluate {args.checkpoint} judges them")
    generated = score(images, evaluator)                  # FID, classifier score, confidence, classes, entropy
    real = reference(evaluator, n, seed)                  # the same numbers for n real validation images

    info = describe(args.checkpoint)
    print(f"data: {data.describe()}")
    print(f"classifier: {evaluator.provenance} (here: {evaluator.test_accuracy:.2%} on {len(evaluator.test_x)} "
          f"test {data.noun})")
    print(f"{args.checkpoint}: {info['arch']} GAN after {info['epochs']} epochs; {n} samples, seed {seed}")
    print(format_table(generated, real, n, len(evaluator.test_x), data.n_classes, data.noun))
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: evaluate(args), PROG, USER_ERRORS, parser)


if __name__ == "__main__":
    sys.exit(main())
