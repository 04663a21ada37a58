"""Two checkouts of npgan side by side: the speed table's npgan / PyTorch ratios before and after a change,
from one run in which all four workers (npgan and PyTorch of each checkout) take turns block by block.

    python benchmarks/exp_before_after.py --before /path/to/old/checkout [--after .] \\
        --batch-sizes 128 1024 [--repeats 11] [--json out.json]
    python benchmarks/exp_before_after.py --before OLD --npgan-only     # without PyTorch: after / before alone
    python benchmarks/exp_before_after.py --before . --before-env NPGAN_HOST_THREADS=1 --npgan-only
                                                                        # one checkout, a setting on and off

Each checkout's own `benchmarks/bench_step.py --child SPEC` times its own code (its npgan, its PyTorch
reference), with PYTHONPATH pointing at that checkout. The ratio that matters is each checkout's
npgan / PyTorch from the same rounds, so a drift in the machine's load cancels.
"""
import argparse
import json
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import child_env, positive_int, run_interleaved  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", required=True, help="the old checkout (its root folder)")
    p.add_argument("--after", default=str(HERE.parent), help="the new checkout (default: this one)")
    p.add_argument("--arch", default="slides", choices=("slides", "paper"))
    p.add_argument("--batch-sizes", nargs="+", type=positive_int, default=[128, 1024])
    p.add_argument("--repeats", type=positive_int, default=11)
    p.add_argument("--threads", type=positive_int, default=os.cpu_count())
    p.add_argument("--npgan-only", action="store_true",
                   help="time npgan alone (no PyTorch needed): only the after / before ratio")
    p.add_argument("--before-env", nargs="+", default=[], metavar="NAME=VALUE",
                   help="extra environment of the before checkout's workers (with --before . : the same code "
                        "under another setting, e.g. NPGAN_HOST_THREADS=1)")
    p.add_argument("--json")
    args = p.parse_args(argv)
    frameworks = ("npgan",) if args.npgan_only else ("npgan", "torch")
    for name in ("before", "after"):
        if not (Path(getattr(args, name)) / "benchmarks" / "bench_step.py").exists():
            p.error(f"--{name}: no benchmarks/bench_step.py under {getattr(args, name)}")
    roots = {"before": str(Path(args.before).resolve()), "after": str(Path(args.after).resolve())}
    timing = {"warmup_iters": 3, "warmup_s": 0.5, "repeats": args.repeats, "block_s": 0.25}

    def launch(spec):
        root = roots[spec["checkout"]]
        env = child_env(args.threads, False)
        env["PYTHONPATH"] = os.pathsep.join([root] + [q for q in [os.environ.get("PYTHONPATH")] if q])
        if spec["checkout"] == "before":
            env.update(item.split("=", 1) for item in args.before_env)
        return [sys.executable, str(Path(root) / "benchmarks" / "bench_step.py"), "--child"], env

    print(f"load average before: {os.getloadavg()}")
    out = []
    for m in args.batch_sizes:
        specs = [{"framework": fw, "backend": "numpy" if fw == "npgan" else "cpu", "arch": args.arch, "batch": m,
                  "hidden": 128 if args.arch == "slides" else 1200, "variant": None if fw == "npgan" else "concat",
                  "threads": args.threads, "timing": timing, "checkout": checkout}
                 for checkout in ("before", "after") for fw in frameworks]
        records = run_interleaved(specs, None, args.repeats, None, launch=launch)
        if len(records) != len(specs):
            print(f"batch {m}: {len(specs) - len(records)} worker(s) failed", file=sys.stderr)
            return 1
        by = {(s["checkout"], s["framework"]): r for s, r in zip(specs, records)}
        print(f"\n{args.arch}, batch {m}:")
        for checkout in ("before", "after"):
            n, t = by[(checkout, "npgan")], by.get((checkout, "torch"))
            if t is None:
                print(f"  {checkout:6s} npgan {n['ms_per_iter']:8.2f} ms  GEMM share {n['gemm_share']:.0%}")
                out.append({"checkout": checkout, "batch": m, "npgan": n})
                continue
            rounds = [a / b for a, b in zip(n["ms_blocks"], t["ms_blocks"])]
            q = statistics.quantiles(rounds, n=4)
            print(f"  {checkout:6s} npgan {n['ms_per_iter']:8.2f} ms  PyTorch {t['ms_per_iter']:8.2f} ms  "
                  f"npgan / PyTorch, round by round: {q[1]:.3f} ({q[0]:.3f}–{q[2]:.3f});  GEMM share "
                  f"{n['gemm_share']:.0%}")
            out.append({"checkout": checkout, "batch": m, "npgan": n, "torch": t, "ratio_rounds": rounds})
        change = [a / b for a, b in zip(by[("after", "npgan")]["ms_blocks"], by[("before", "npgan")]["ms_blocks"])]
        q = statistics.quantiles(change, n=4)
        print(f"  npgan after / before, round by round: {q[1]:.3f} ({q[0]:.3f}–{q[2]:.3f})")
    print(f"\nload average after: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
