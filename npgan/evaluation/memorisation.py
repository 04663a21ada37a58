"""Does a generator copy its training images? The memorisation number, and the nearest-neighbour search
behind it and behind Figure 2 (npgan.evaluation.figures); evaluate.py --memorisation reports the same number.

    median_i min_j ‖g_i − x_j‖  /  median_i min_j ‖t_i − x_j‖      (g: samples, x: training images, t: test images)

about 1 when samples are no closer to the training set than new images of the same distribution are, near
0 when the model replays training images. It works on any data (any width D). The training images must be
the ones the run trained on: `training_images` finds them (npgan.evaluation.realdata: a run on your own
files is compared with the four fifths of them that are not held out) and refuses data that hold another
number of them, or have another checksum (DataError).
"""
import numpy as np

from npgan import backend as B
from npgan.evaluation.realdata import RunDataError, run_data

MIN_HELDOUT = 2  # the sanity check compares the even held-out rows with the odd ones
DataError = RunDataError  # the data at hand are not the run's, or hold too few test images


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

    train: the images the run trained on (N, D); heldout: real images it never saw (the test set, at least
    MIN_HELDOUT), on any backend (moved to `backend` once). Calling it on samples returns a dict of floats:
    ratio (median sample distance / median held-out distance), median_samples, median_heldout, n_samples,
    n_heldout, n_train. `self.sanity` is the same number for the held-out digits themselves, the even rows
    against the odd ones: about 1, and its distance from 1 shows the sampling noise of the ratio."""

    def __init__(self, train, heldout, backend="numpy"):
        if len(heldout) < MIN_HELDOUT or len(train) < 1:
            raise ValueError(f"Memorisation needs training images and at least {MIN_HELDOUT} held-out digits, got "
                             f"{len(train)} and {len(heldout)}")
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


def training_images(saved, data_dir=None, real=None):
    """The images the run of `saved` (an npgan.training.checkpoints.RunCheckpoint) trained on: the first
    recipe.train_images of its training split (all of it when None), once each (the offline MNIST subset
    too, which the run repeats within an epoch). `real`: the run's data when already found
    (npgan.evaluation.realdata.run_data(saved, data_dir) otherwise). DataError when they are not the run's:
    another number of images (it says where the run's came from), or another checksum."""
    return (real or run_data(saved, data_dir)).run_images(saved)


def heldout_images(real, n):
    """The first n test images of `real` (all there are when fewer: the caller says so), at least MIN_HELDOUT."""
    if len(real.test_x) < MIN_HELDOUT:
        raise DataError(f"the test data here ({real.path}) hold {len(real.test_x)} {real.noun[:-1]}: the "
                        f"memorisation number needs at least {MIN_HELDOUT}")
    return real.test_x[:n]


def heldout_digits(n, data_dir=None):
    """MNIST's first n test digits: heldout_images of MNIST from `data_dir`."""
    from npgan.evaluation.realdata import load_real_data
    return heldout_images(load_real_data("mnist", data_dir), n)


def format_memorisation(number, sanity=None, noun="digits"):
    """One line: the ratio, its two medians, and (when given) the held-out images' own ratio; `noun` names
    them ("digits" for MNIST, "images")."""
    line = (f"memorisation: {number['ratio']:.3f} (median distance to the nearest of {number['n_train']} training "
            f"images: {number['median_samples']:.3f} for {number['n_samples']} samples, "
            f"{number['median_heldout']:.3f} for {number['n_heldout']} test {noun})")
    return line + (f"; test {noun}, even vs odd: {sanity['ratio']:.3f}" if sanity else "")
