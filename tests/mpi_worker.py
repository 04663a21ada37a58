"""The program tests/test_distributed.py launches as `mpiexec -n 2 python tests/mpi_worker.py ...` (and runs
in-process at P = 1): a preset with tiny widths, trained by GANTrainer on synthetic digits, data-parallel
through npgan.distributed. Rank 0 writes the final checkpoint (trainer, loader, generators, logged rows).

    train:   --preset tutorial|paper|slides --out final.npz [--sync-bn] [--ghost-bn P] [--desync-at I]
             [--save-at I --checkpoint mid.npz] [--resume mid.npz]
    syncbn:  --out report.json   SyncBatchNorm1d on each rank's half vs BatchNorm1d on the whole batch,
             forward and backward in float64, and central differences of the global loss
"""
import argparse
import json
import sys

import numpy as np

from npgan import backend as B
from npgan import distributed, nn, optim
from npgan.checkpoint import load_checkpoint, save_checkpoint
from npgan.data import Batches, synthetic_digits
from npgan.gan import GANTrainer, presets
from npgan.nn import functional as F

Z_DIM = 8
TINY = {  # (G, D) builders with tiny widths, the presets' own shapes and initialisations
    "tutorial": lambda means: (presets.tutorial_generator(z_dim=Z_DIM, hidden=16), presets.tutorial_discriminator(16)),
    "paper": lambda means: (presets.paper_generator(z_dim=Z_DIM, hidden=16, pixel_means=means),
                            presets.paper_discriminator(hidden=8, pieces=3)),
    "slides": lambda means: (presets.slides_generator(z_dim=Z_DIM, hidden=4), presets.slides_discriminator(hidden=4)),
}


class GhostBatchNorm1d(nn.BatchNorm1d):
    """Reference for the per-rank default, in ONE process: the batch is cut into `chunks` equal parts and
    each is normalised with its own statistics (what P ranks do with plain BatchNorm1d), each with its
    own running estimates; `finish()` averages them (what DataParallel.sync_buffers does)."""

    def __init__(self, bn, chunks):
        super().__init__(bn.num_features, bn.eps, bn.momentum)
        self.weight, self.bias, self.chunks = bn.weight, bn.bias, chunks
        self.register_buffer("running_mean", bn.running_mean)
        self.register_buffer("running_var", bn.running_var)
        self._running = [(bn.running_mean.copy(), bn.running_var.copy()) for _ in range(chunks)]

    def forward(self, x):
        outs, caches = [], []
        for part, (rm, rv) in zip(np.split(x, self.chunks), self._running):
            y, cache = F.batchnorm_forward(part, self.weight.data, self.bias.data, self.eps, rm, rv, self.momentum)
            outs.append(y)
            caches.append(cache)
        self._save_for_backward(caches)
        return np.concatenate(outs)

    def backward(self, gy, need_input_grad=True):
        (caches,) = self._saved_for_backward()
        parts = [F.batchnorm_backward(g, c) for g, c in zip(np.split(gy, self.chunks), caches)]
        # each part's loss is its own mean on a rank: the rank's gy is P × this gy, its grads P × these, and
        # the allreduce divides by P — so the sum of the parts' gradients is what the ranks apply
        self.weight.accumulate(sum(p[1] for p in parts))
        self.bias.accumulate(sum(p[2] for p in parts))
        return np.concatenate([p[0] for p in parts])

    def finish(self):
        self.running_mean[...] = np.mean([rm for rm, _ in self._running], axis=0)
        self.running_var[...] = np.mean([rv for _, rv in self._running], axis=0)


def ghost_batchnorm(net, chunks):
    layers = []
    for parent in net.modules():
        for name, child in list(parent._modules.items()):
            if type(child) is nn.BatchNorm1d:
                ghost = GhostBatchNorm1d(child, chunks)
                setattr(parent, name, ghost)
                layers.append(ghost)
    return layers


def build(args, comm):
    B.manual_seed(args.seed)
    images, _ = synthetic_digits(args.examples, seed=args.seed)
    G, D = TINY[args.preset](images.mean(axis=0))
    G, D = G.to(args.backend, args.dtype), D.to(args.backend, args.dtype)
    ghosts = ghost_batchnorm(G, args.ghost_bn) + ghost_batchnorm(D, args.ghost_bn) if args.ghost_bn else []
    r = presets.recipe(args.preset)
    if r.optimizer == "sgd":
        opt_G, opt_D = (optim.SGD(net.parameters(), r.lr, momentum=r.momentum) for net in (G, D))
    else:
        opt_G, opt_D = (optim.Adam(net.parameters(), r.lr, betas=r.betas) for net in (G, D))
    schedules = ([optim.ExponentialDecay(opt, r.lr_decay, r.min_lr) for opt in (opt_D, opt_G)]
                 if r.lr_decay != 1.0 else [])
    trainer = GANTrainer(G, D, opt_G, opt_D, Z_DIM, k=r.k, loss=r.loss, noise=r.noise,
                         update=r.update, schedules=schedules)
    dp = distributed.DataParallel(trainer, args.batch, comm=comm, sync_bn=args.sync_bn)
    loader = Batches(images, batch_size=args.batch, backend=args.backend, shard=dp.shard)
    return trainer, dp, loader, ghosts


def train(args, comm):
    trainer, dp, loader, ghosts = build(args, comm)
    if args.resume:
        state = load_checkpoint(args.resume)
        trainer.load_state_dict(state["trainer"])
        loader.load_state_dict(state["loader"])
        B.set_rng_state(state["rng"])
    batches = endless(loader, args.dtype)
    rows, calls_before = [], comm.calls["allreduce"]
    try:
        while trainer.iterations < args.iterations:
            trainer.iteration(batches)
            if args.desync_at == trainer.iterations and comm.rank == 1:  # one weight off by 1e-6, one rank
                w = trainer.D.parameters()[0].data.reshape(-1)
                w[0] += 1e-6 * abs(float(w[0]))
            if trainer.iterations % args.log_every == 0:
                rows += dp.pop_records()
            if args.save_at == trainer.iterations:
                dp.sync_buffers()
                if dp.is_writer:
                    save_checkpoint(args.checkpoint, snapshot(trainer, loader, rows, 0))
    except distributed.DesyncError as error:
        if dp.is_writer:
            with open(args.out, "w") as f:
                json.dump({"error": str(error), "iteration": trainer.iterations}, f)
        return None
    finally:
        dp.close()
    rows += dp.pop_records()
    calls = comm.calls["allreduce"] - calls_before
    dp.sync_buffers()
    for ghost in ghosts:
        ghost.finish()
    state = snapshot(trainer, loader, rows, calls)
    if dp.is_writer:
        save_checkpoint(args.out, state)
    return state


def endless(loader, dtype):
    while True:
        x = loader.next_batch()
        yield x if x.dtype == dtype else x.astype(dtype)


def snapshot(trainer, loader, rows, allreduce_calls):
    fields = ("iteration", "d_loss", "g_loss", "d_real", "d_fake")
    records = np.array([[row[f] for f in fields] for row in rows], dtype=np.float64)  # float64: host log
    return {"trainer": trainer.state_dict(), "loader": loader.state_dict(), "rng": B.rng_state(),
            "records": records.reshape(-1, len(fields)), "allreduce_calls": allreduce_calls}


def syncbn_check(args, comm):
    """SyncBatchNorm1d on rank r's rows of a global batch vs BatchNorm1d on the whole batch (float64)."""
    P, r, n, C = comm.size, comm.rank, 3, 4
    rng = np.random.default_rng(5)  # the same numbers on every rank
    x = 5.0 * rng.standard_normal((P * n, C)) + 12.0  # shifted and scaled, as CS231n checks BatchNorm
    gy = rng.standard_normal((P * n, C))
    gamma, beta = rng.standard_normal(C) + 1.0, rng.standard_normal(C)
    rows = slice(r * n, (r + 1) * n)
    plain = nn.BatchNorm1d(C).double()
    synced = distributed.SyncBatchNorm1d(C, comm=comm).double()
    for layer in (plain, synced):
        layer.weight.data[...], layer.bias.data[...] = gamma, beta
    y_plain = plain(x)
    gx_plain = plain.backward(gy)
    calls = comm.calls["allreduce"]
    y = synced(x[rows])
    gx = synced.backward(gy[rows])
    calls = comm.calls["allreduce"] - calls
    sums = np.concatenate([synced.weight.grad, synced.bias.grad])
    comm.allreduce_sum(sums)  # the plain layer's parameter gradients are the sums over the whole batch
    report = {"calls_forward_backward": calls,
              "forward": float(np.abs(y - y_plain[rows]).max()),
              "backward_x": float(np.abs(gx - gx_plain[rows]).max()),
              "backward_params": float(np.abs(sums - np.concatenate([plain.weight.grad, plain.bias.grad])).max()),
              "running": float(max(np.abs(synced.running_mean - plain.running_mean).max(),
                                   np.abs(synced.running_var - plain.running_var).max()))}

    def global_loss(local_x):  # L = Σ over the global batch of gy ⊙ y, every rank's rows together
        with nn.no_grad():
            local = np.array([np.sum(gy[rows] * synced(local_x))])
        return comm.allreduce_sum(local)[0]

    eps, worst = 1e-5, 0.0
    for owner in range(P):  # element by element, each rank's inputs in turn (every rank runs every step)
        for index in np.ndindex(n, C):
            xs = [x[rows].copy() for _ in range(2)]
            if r == owner:
                xs[0][index] += eps
                xs[1][index] -= eps
            numeric = (global_loss(xs[0]) - global_loss(xs[1])) / (2 * eps)
            if r == owner:
                worst = max(worst, abs(numeric - gx[index]) / max(1.0, abs(numeric)))
    for param, analytic in ((synced.weight, sums[:C]), (synced.bias, sums[C:])):
        for j in range(C):  # a parameter is the same on every rank: all perturb it together
            saved = param.data[j]
            param.data[j] = saved + eps
            plus = global_loss(x[rows])
            param.data[j] = saved - eps
            minus = global_loss(x[rows])
            param.data[j] = saved
            worst = max(worst, abs((plus - minus) / (2 * eps) - analytic[j]) / max(1.0, abs(analytic[j])))
    gathered = comm.allgather(worst)
    report["finite_differences"] = float(max(gathered))
    if comm.rank == 0:
        with open(args.out, "w") as f:
            json.dump(report, f)
    return report


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("train", "syncbn"))
    p.add_argument("--out", required=True)
    p.add_argument("--preset", choices=tuple(TINY), default="tutorial")
    p.add_argument("--iterations", type=int, default=6)
    p.add_argument("--batch", type=int, default=8, help="the global minibatch")
    p.add_argument("--examples", type=int, default=40)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--log-every", type=int, default=2)
    p.add_argument("--backend", default=None)
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--sync-bn", action="store_true")
    p.add_argument("--ghost-bn", type=int, default=0, help="one process, BatchNorm per 1/P of the batch")
    p.add_argument("--desync-at", type=int, default=0)
    p.add_argument("--save-at", type=int, default=0)
    p.add_argument("--checkpoint")
    p.add_argument("--resume")
    return p.parse_args(argv)


def main(argv=None, comm=None):
    args = parse_args(argv)
    args.backend = B.resolve_backend(args.backend)
    comm = comm or distributed.world()
    return (train if args.mode == "train" else syncbn_check)(args, comm)


if __name__ == "__main__":
    main(sys.argv[1:])
