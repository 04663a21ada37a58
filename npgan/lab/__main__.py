"""`python -m npgan.lab --record --data ring --frames 60 --out lab.html`: a recorded lab run as one page.

The interactive lab runs in Jupyter (`from npgan.lab import show_lab`); this command records a run for a
page that needs no kernel and no network (npgan.lab.export). Every flag is checked before any training:
a bad one is one line and exit 2; an existing --out is refused unless --overwrite; the page is written
atomically. (The command line sits here, at the lab's edge, rather than in npgan/cli/; it uses cli's
`run_command` for the one-line errors and exit statuses every npgan command shares.)
"""
import argparse
import sys
import time

from npgan.cli.console import ArgumentParser, run_command
from npgan.gan import NonFiniteError
from npgan.lab import engine, export, problems
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.settings import SettingError, check_output_file
from npgan.threads import single_blas_thread
from npgan.viz import MissingDependency, require_matplotlib

PROG = "python -m npgan.lab"


def build_parser():
    d = engine.DEFAULTS
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--record", action="store_true", help="train and record a run into --out (required: the "
                                                         "interactive lab runs in Jupyter, npgan.lab.show_lab)")
    p.add_argument("--out", default="lab.html", help="the page to write (.html)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--data", choices=problems.DATASETS, default=d["data"],
                   help="a preset of npgan.data.toy, or 'drawn' with --points")
    p.add_argument("--points", help="with --data drawn: the points, 'x,y; x,y; ...' (or 'x; x; ...' in 1-D)")
    p.add_argument("--std", type=float, default=d["std"], help="with --data drawn: each point's Gaussian std")
    p.add_argument("--loss", choices=GENERATOR_LOSSES, default=d["loss"], help="G's loss")
    p.add_argument("--k", type=int, default=d["k"], help=f"D steps per G step, 1 to {engine.MAX_K}")
    p.add_argument("--optimizer", choices=engine.OPTIMIZERS, default=d["optimizer"])
    p.add_argument("--lr", type=float, default=d["lr"], help="learning rate of G and D, in (0, 1]")
    p.add_argument("--hidden", type=int, default=d["hidden"], help=f"hidden width of G and D, 1 to "
                                                                   f"{engine.MAX_HIDDEN}")
    p.add_argument("--batch-size", type=int, default=d["batch_size"], help=f"minibatch m, 2 to {engine.MAX_BATCH}")
    p.add_argument("--seed", type=int, default=d["seed"], help="seed of the run, >= 0")
    p.add_argument("--resolution", type=int, default=d["resolution"],
                   help=f"heatmap cells a side, 10 to {engine.MAX_RESOLUTION}")
    p.add_argument("--frames", type=int, default=60, help=f"frames after frame 0, 1 to {export.MAX_FRAMES}")
    p.add_argument("--every", type=int, default=10, help=f"iterations between frames, 1 to {export.MAX_EVERY}")
    return p


def settings_of(args):
    points = None
    if args.points is not None:
        if args.data != problems.DRAWN:
            raise SettingError("points", "needs --data drawn")
        points = problems.parse_points(args.points.replace(";", "\n"))
    return dict(points=points, std=args.std, loss=args.loss, k=args.k, optimizer=args.optimizer, lr=args.lr,
                hidden=args.hidden, batch_size=args.batch_size, seed=args.seed, resolution=args.resolution)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.record:
        parser.error("nothing to do: pass --record (the interactive lab runs in Jupyter: "
                     "from npgan.lab import show_lab)")

    def job():
        settings = engine.check({**engine.DEFAULTS, **settings_of(args), "data": args.data})
        export.check_int("frames", args.frames, high=export.MAX_FRAMES)
        export.check_int("every", args.every, high=export.MAX_EVERY)
        check_output_file("out", args.out, (".html",), overwrite=args.overwrite)
        require_matplotlib()  # the colour table comes from matplotlib
        single_blas_thread()  # small matrices: a second BLAS thread only fights
        started = time.perf_counter()
        lab = engine.Lab(**settings)
        rec = export.record(lab, args.frames, args.every)
        export.write_html(rec, args.out)
        last = rec["frames"][-1]
        modes = "" if last["modes"] is None else f", {last['modes']}/{len(lab.problem.centres)} modes"
        print(f"wrote {args.out}: {len(rec['frames'])} frames, iteration {last['iteration']}, V(D, G) "
              f"{last['value']:+.3f}, JSD {last['jsd']:.3f}{modes} ({time.perf_counter() - started:.1f} s)")
        return 0

    return run_command(job, PROG, (NonFiniteError, MissingDependency), parser)


if __name__ == "__main__":
    sys.exit(main())
