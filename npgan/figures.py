"""The paper's Figures 2 and 3 for a trained generator, and the memorisation number beside Figure 2.

    python examples/figures.py --figure2 runs/mnist/latest.npz --out figure2.png   # + the memorisation number
    python examples/figures.py --figure3 runs/mnist/latest.npz --rows 8 --steps 10 --seed 0 --out figure3.png

Figure 2 (Goodfellow et al. 2014): samples in a grid whose last column, framed, shows for each row's last
sample its nearest training image (Euclidean distance over all the images the run trained on), so a
reader can see the samples are not copies. Beside it, the memorisation number

    median_i min_j ‖g_i − x_j‖  /  median_i min_j ‖t_i − x_j‖      (g: samples, x: training images, t: test digits)

about 1 when samples are no closer to the training set than new digits of the same distribution are, near
0 when the model replays training images. Figure 3: digits along straight lines in z space,
z = (1 − t)·z₁ + t·z₂ for t from 0 to 1 (endpoints drawn from the run's prior with a seed, or given).
"""
import argparse
import sys

import numpy as np

from npgan import backend as B
from npgan import viz
from npgan.checkpoint import CheckpointError
from npgan.console import run_command
from npgan.data.mnist import MnistFormatError, MnistNotFoundError, load_mnist
from npgan.gan import sample_noise
from npgan.runstate import load_generator, sample
from npgan.settings import SettingError, check_int

PROG = "figures.py"
FRAME_COLOR = "#f5c518"  # the paper frames the nearest-neighbour column in yellow


# --- nearest neighbours and the memorisation number --------------------------------------------------------

def nearest_neighbours(queries, references, query_block=1024, reference_block=8192):
    """For each row q of `queries` (N, D): the index j of its nearest row of `references` (M, D) and the
    distance ‖q − r_j‖, on the inputs' device (int64 (N,), float32 (N,)).

        ‖q − r‖² = ‖q‖² − 2 q·r + ‖r‖²

    The middle term of a block of queries against a block of references is one matrix product. ‖q‖² is the
    same for every candidate, so the search minimises ‖r‖² − 2 q·r and adds ‖q‖² to the winner only.
    Memory: one (query_block, reference_block) float32 matrix at a time, whatever N and M; nothing leaves
    the device. Ties go to the lowest index (argmin in a block, a strict < across blocks). The expansion
    cancels in float32 (an error of about 1e-6·‖q‖² in the squared distance, 0.01 in distance for an MNIST
    digit: it only matters between near-equal candidates), so the winner's distance is then computed
    directly as ‖q − r_j‖ (exactly 0 for a copy).
    """
    xp = B.get_array_module(queries, references)
    q, r = queries.astype("float32", copy=False), references.astype("float32", copy=False)
    r_sq = (r * r).sum(axis=1)
    best_index = xp.zeros(q.shape[0], dtype="int64")
    best_score = xp.full(q.shape[0], float("inf"), dtype="float32")
    distance = xp.empty(q.shape[0], dtype="float32")
    for start in range(0, q.shape[0], query_block):
        qb = q[start:start + query_block]
        index, score = best_index[start:start + query_block], best_score[start:start + query_block]  # views
        for r_start in range(0, r.shape[0], reference_block):
            scores = qb @ r[r_start:r_start + reference_block].T
            scores *= -2.0
            scores += r_sq[None, r_start:r_start + reference_block]
            block_index, block_score = scores.argmin(axis=1), scores.min(axis=1)
            better = block_score < score
            index[...] = xp.where(better, block_index + r_start, index)
            score[...] = xp.where(better, block_score, score)
        diff = qb - r[index]
        distance[start:start + query_block] = xp.sqrt((diff * diff).sum(axis=1))
    return best_index, distance


class Memorisation:
    """The memorisation number of sample sets against one training set, with the held-out side computed once.

    train: the images the run trained on (N, 784); heldout: real digits it never saw (the test set), on
    any backend (moved to `backend` once). Calling it on samples returns a dict of floats: ratio
    (median sample distance / median held-out distance), median_samples, median_heldout, n_samples,
    n_heldout, n_train. `self.sanity` is the same number for the held-out digits themselves, the even rows
    against the odd ones: about 1, and its distance from 1 shows the sampling noise of the ratio."""

    def __init__(self, train, heldout, backend="numpy"):
        self.backend = B.resolve_backend(backend)
        self.train = B.to_device(train, self.backend)
        self.n_heldout = int(heldout.shape[0])
        d = B.to_cpu(nearest_neighbours(B.to_device(heldout, self.backend), self.train)[1])
        self.median_heldout = float(np.median(d))
        self.sanity = self._report(d[0::2], float(np.median(d[1::2])))

    def _report(self, distances, median_heldout):
        median = float(np.median(distances))
        ratio = median / median_heldout if median_heldout > 0 else float("nan")  # held-out digits in the train set
        return {"ratio": ratio, "median_samples": median, "median_heldout": median_heldout,
                "n_samples": int(len(distances)), "n_heldout": self.n_heldout, "n_train": int(self.train.shape[0])}

    def __call__(self, samples):
        distances = B.to_cpu(nearest_neighbours(B.to_device(samples, self.backend), self.train)[1])
        return self._report(distances, self.median_heldout)


def training_images(recipe, data_dir=None):
    """The images a run with `recipe` trained on: the first recipe.train_images of the MNIST training split
    (all of it when None), once each (the offline subset too, which the run repeats within an epoch)."""
    images = load_mnist("train", data_dir=data_dir).images
    return images[:recipe.train_images] if recipe.train_images else images


# --- Figure 3: straight lines in z space ---------------------------------------------------------------------

def interpolate(z1, z2, steps):
    """Points along the segments from z1[i] to z2[i] (both (R, Z)): (R·steps, Z), row-major by segment,
    z = (1 − t)·z1 + t·z2 for t = 0, 1/(steps − 1), ..., 1, so the first and last points are z1 and z2
    exactly. On the inputs' device and in their dtype."""
    xp = B.get_array_module(z1, z2)
    t = xp.linspace(0.0, 1.0, steps, dtype=z1.dtype)[None, :, None]
    z = (1 - t) * z1[:, None, :] + t * z2[:, None, :]
    return z.reshape(-1, z1.shape[1])


def line_endpoints(rows, recipe, seed):
    """z1, z2 ((rows, z_dim) float32 host arrays): independent draws from the run's prior, seeded."""
    z = sample_noise(2 * rows, recipe.z_dim, recipe.noise, np, rng=np.random.default_rng([seed, 3]))
    return z[:rows], z[rows:]


def figure3(G, recipe, path, rows=8, steps=10, seed=0, endpoints=None):
    """Save the grid of G's digits along `rows` straight lines in z space, `steps` points each, to `path`.
    endpoints: (rows, 2, z_dim) host array to use instead of seeded draws. Returns the images (host)."""
    z1, z2 = (endpoints[:, 0], endpoints[:, 1]) if endpoints is not None else line_endpoints(rows, recipe, seed)
    z = B.to_device(np.ascontiguousarray(interpolate(z1.astype(np.float32), z2.astype(np.float32), steps)),
                    _backend(G))
    images = sample(G, len(z), z=z)
    _save(viz.image_grid(images, steps), path, f"z = (1 − t)·z₁ + t·z₂,  t = 0 … 1 in {steps} steps")
    return images


# --- Figure 2: samples and their nearest training images ------------------------------------------------------

def figure2(G, recipe, train, path, rows=10, cols=5, seed=0, memorisation=None):
    """Save `rows` × `cols` samples of G with, right of each row, the training image nearest to its last
    sample, to `path`; `memorisation` (the dict of a Memorisation call) goes under the figure. Returns
    the indices of the nearest training images and their distances (host int64 and float32 (rows,))."""
    samples = sample(G, rows * cols, recipe, seed=seed).reshape(rows, cols, -1)
    train = B.to_device(train, _backend(G))  # a no-op when it is there already (Memorisation.train)
    index, distance = nearest_neighbours(B.to_device(np.ascontiguousarray(samples[:, -1]), _backend(G)), train)
    nearest = B.to_cpu(train[index])  # only the rows' nearest images come back
    grid = viz.image_grid(np.concatenate([samples, nearest[:, None]], axis=1).reshape(-1, samples.shape[2]),
                          cols + 1)
    caption = (f"memorisation {memorisation['ratio']:.2f}\nmedian distance to the nearest training image:\n"
               f"{memorisation['median_samples']:.2f} ({memorisation['n_samples']} samples), "
               f"{memorisation['median_heldout']:.2f} ({memorisation['n_heldout']} test digits)"
               if memorisation else "")
    _save(grid, path, "samples  |  nearest training image", caption, framed_column=cols)
    return B.to_cpu(index), B.to_cpu(distance)


def _backend(G):
    return B.backend_of(G.parameters()[0].data)


def _save(grid, path, title, caption="", framed_column=None, side=28, pad=2):
    """The image grid as a PNG, a title above and caption lines below, the framed column outlined in yellow
    as in the paper (two screen pixels per image pixel)."""
    plt = viz._pyplot()
    from matplotlib.patches import Rectangle
    height, width = grid.shape
    lines = caption.count("\n") + 1 if caption else 0
    top, bottom = 0.3, 0.05 + 0.14 * lines  # inches
    w, h = max(width / 50.0, 3.0), height / 50.0
    fig = plt.figure(figsize=(w, h + top + bottom), dpi=100)
    ax = fig.add_axes([0.01, bottom / (h + top + bottom), 0.98, h / (h + top + bottom)])  # room for the frame
    ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    if framed_column is not None:
        left = framed_column * (side + pad) + pad / 2 - 0.5
        ax.add_patch(Rectangle((left, pad / 2 - 0.5), side + pad, height - pad, fill=False, lw=2,
                               edgecolor=FRAME_COLOR))
    ax.set_axis_off()
    fig.text(0.5, 1.0 - 0.08 / (h + top + bottom), title, ha="center", va="top", fontsize=8)
    if caption:
        fig.text(0.5, 0.03 / (h + top + bottom), caption, ha="center", va="bottom", fontsize=7, linespacing=1.2)
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    return path


# --- the command line (examples/figures.py) --------------------------------------------------------------------

def build_parser():
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--figure2", metavar="CKPT", help="samples with the nearest training image of each row's "
                                                         "last sample, and the memorisation number")
    which.add_argument("--figure3", metavar="CKPT", help="digits along straight lines in z space")
    p.add_argument("--out", help="the PNG to write (default figure2.png / figure3.png)")
    p.add_argument("--rows", type=int, help="rows of the grid (default: 10 for Figure 2, 8 for Figure 3)")
    p.add_argument("--cols", type=int, default=5, help="Figure 2: samples per row, before the nearest image (default 5)")
    p.add_argument("--steps", type=int, default=10, help="Figure 3: points along each line, ends included (default 10)")
    p.add_argument("--endpoints", metavar="NPY", help="Figure 3: a .npy of shape (rows, 2, z_dim): each row's z1 "
                                                      "and z2 (default: drawn from the prior with --seed)")
    p.add_argument("--n", type=int, default=10000, help="Figure 2: samples (and test digits) behind the "
                                                       "memorisation number (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples / line endpoints (default 0)")
    p.add_argument("--backend", choices=B.BACKENDS, help="array backend (default: $NPGAN_BACKEND, else numpy)")
    p.add_argument("--data-dir", help="Figure 2: folder with the MNIST IDX files (default: $NPGAN_DATA_DIR, the "
                                      "cache, a download)")
    return p


def _endpoints(path, rows, z_dim):
    try:
        endpoints = np.load(path)
    except (OSError, ValueError) as error:
        raise SettingError("endpoints", f"cannot read {path!r} as a .npy array ({error})") from None
    if endpoints.ndim != 3 or endpoints.shape[1:] != (2, z_dim) or not np.issubdtype(endpoints.dtype, np.floating):
        raise SettingError("endpoints", f"{path!r} holds a {endpoints.dtype} array of shape {endpoints.shape}; "
                                        f"the generator needs floats of shape (rows, 2, {z_dim})")
    if rows is not None and rows != len(endpoints):
        raise SettingError("rows", f"{rows} rows asked for, but --endpoints holds {len(endpoints)}")
    return endpoints


def make_figure(args):
    for name in ("cols", "n"):
        check_int(name, getattr(args, name))
    check_int("rows", args.rows, optional=True)
    check_int("steps", args.steps, low=2)
    check_int("seed", args.seed, low=0)
    backend = B.resolve_backend(args.backend)
    G, recipe = load_generator(args.figure2 or args.figure3, backend)
    if args.figure3:
        if args.endpoints:
            endpoints = _endpoints(args.endpoints, args.rows, recipe.z_dim)
            rows = len(endpoints)
        else:
            endpoints, rows = None, args.rows or 8
        out = args.out or "figure3.png"
        figure3(G, recipe, out, rows, args.steps, args.seed, endpoints)
        print(f"wrote {out}: {rows} lines in z space, {args.steps} steps each")
        return 0
    train = training_images(recipe, args.data_dir)
    heldout = load_mnist("test", data_dir=args.data_dir).images[:args.n]
    memorise = Memorisation(train, heldout, backend)
    number = memorise(sample(G, args.n, recipe, seed=args.seed))  # evaluate.py --memorisation's samples
    out = args.out or "figure2.png"
    figure2(G, recipe, memorise.train, out, args.rows or 10, args.cols, args.seed, number)
    print(f"wrote {out}")
    print(format_memorisation(number, memorise.sanity))
    return 0


def format_memorisation(number, sanity=None):
    """One line: the ratio, its two medians, and (when given) the held-out digits' own ratio."""
    line = (f"memorisation: {number['ratio']:.3f} (median distance to the nearest of {number['n_train']} training "
            f"images: {number['median_samples']:.3f} for {number['n_samples']} samples, "
            f"{number['median_heldout']:.3f} for {number['n_heldout']} test digits)")
    return line + (f"; test digits, even vs odd: {sanity['ratio']:.3f}" if sanity else "")


USER_ERRORS = (CheckpointError, MnistNotFoundError, MnistFormatError, B.BackendUnavailableError, OSError)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: make_figure(args), PROG, USER_ERRORS, parser)


if __name__ == "__main__":
    sys.exit(main())
