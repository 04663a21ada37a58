"""The paper's Table 1 (Parzen-window log-likelihood of the MNIST test set) with our GANs beside it.

    python benchmarks/parzen_table.py                      # train both presets on the CPU (~11 min), score, write
    python benchmarks/parzen_table.py --paper-checkpoint runs/p/latest.npz --slides-checkpoint runs/s/latest.npz

What benchmarks/RESULTS.md shows came from a longer run on a GPU, then the CPU run that adds its rows:

    python benchmarks/parzen_table.py --backend cupy --paper-epochs 50 --slides-epochs 30 --rows-only \
        --suffix ", longer, on a GPU" --out runs/gpu_table && cp runs/gpu_table/rows.json runs/gpu_rows.json
    python benchmarks/parzen_table.py --extra-rows runs/gpu_rows.json

Trains (or loads) the `paper` architecture (maxout/dropout D, SGD + momentum, the authors' recipe) and the
`slides` architecture (the default run: its preset's 5 epochs, a checkpoint every epoch) with
npgan-mnist, scores each with the paper's protocol (npgan.evaluation.metrics.parzen_estimate: 10,000
samples, σ from the grid logspace(−1, 0, 10) chosen on the first 1,000 validation images, mean ± s.e.
over the 10,000 test digits) and with the classifier metrics, scores real digits the same way, evaluates
every epoch of the slides run (docs/img/metrics_vs_epochs.png), and replaces the "## Sample quality"
section of benchmarks/RESULTS.md. Every row states its training budget: epochs, updates, wall time, backend.
`--extra-rows rows.json` adds rows that another run of this script measured (its `rows.json`).
"""
import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECTION = "## Sample quality"
PAPER_ROWS = [  # Goodfellow et al. (2014), Table 1, MNIST column (nats)
    ("DBN [Bengio et al. 2013]", "138 ± 2"),
    ("Stacked CAE [Bengio et al. 2013]", "121 ± 1.6"),
    ("Deep GSN [Bengio et al. 2014]", "214 ± 1.1"),
    ("Adversarial nets [Goodfellow et al. 2014]", "225 ± 2"),
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--paper-checkpoint", help="score this checkpoint instead of training the paper arch")
    p.add_argument("--slides-checkpoint", help="score this checkpoint instead of training the slides arch")
    p.add_argument("--paper-epochs", type=int, default=15, help="training budget of the paper arch")
    p.add_argument("--slides-epochs", type=int, default=5, help="training budget of the slides arch (its "
                                                                 "preset: 5)")
    p.add_argument("--backend", help="array backend for training and scoring (default numpy)")
    p.add_argument("--data-dir", help="folder with the MNIST IDX files")
    p.add_argument("--classifier", help="classifier .npz (default: the cached one)")
    p.add_argument("--out", default="runs/parzen_table", help="training runs and rows.json go here")
    p.add_argument("--n", type=int, default=10000, help="generated samples per model (the paper: 10000)")
    p.add_argument("--parzen-test", type=int, help="score only the first N test digits (default: all 10,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-curve", action="store_true", help="skip the per-epoch evaluation of the slides run")
    p.add_argument("--plot", default=os.path.join(ROOT, "docs", "img", "metrics_vs_epochs.png"))
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--extra-rows", nargs="*", default=[], help="rows.json files of other runs to add")
    p.add_argument("--rows-only", action="store_true", help="write rows.json but not RESULTS.md or the plot")
    p.add_argument("--render-only", action="store_true", help="rewrite RESULTS.md and the plot from the "
                                                               "table.json of an earlier run in --out")
    p.add_argument("--suffix", default="", help="appended to the model names (e.g. ', longer, on a GPU')")
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def train(arch, epochs, args, gan):
    """Train one preset with the MNIST command line (npgan.cli.mnist); returns (checkpoint, wall seconds)."""
    out = os.path.join(args.out, arch)
    flags = ["--arch", arch, "--epochs", str(epochs), "--seed", str(args.seed), "--out", out, "--no-progress",
             "--overwrite",
             "--checkpoint-every", "1" if arch == "slides" else str(epochs), "--log-every", "100"]
    flags += ["--backend", args.backend] if args.backend else []
    flags += ["--data-dir", args.data_dir] if args.data_dir else []
    started = time.perf_counter()
    code = gan.main(flags)
    if code != 0:
        raise SystemExit(f"training {arch} failed with exit status {code}")
    return os.path.join(out, "latest.npz"), time.perf_counter() - started


def history_seconds(checkpoint):
    """Training wall time summed from the history.jsonl beside a checkpoint, or None."""
    path = os.path.join(os.path.dirname(checkpoint), "history.jsonl")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return sum(json.loads(line)["seconds"] for line in f if line.strip())


def model_row(name, checkpoint, seconds, backend, evaluator, ev, args, trained_here):
    info = ev.describe(checkpoint)
    images = ev.sample_images(checkpoint, args.n, evaluator.backend, args.seed)
    metrics = ev.score(images, evaluator, True, parzen_test=args.parzen_test)
    return {"model": name, **info, "train_seconds": None if seconds is None else round(seconds, 1),
            "train_backend": backend, "trained_here": trained_here, "machine": machine(evaluator.backend),
            **metrics}


def machine(backend):
    if backend == "cupy":
        from npgan.backend import cupy
        return cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def budget(row):
    if row.get("kind") == "real":
        return f"{row['n_images']:,} real training digits (0–50,000), no training"
    wall = "wall time not recorded" if row["train_seconds"] is None else f"{row['train_seconds'] / 60:.1f} min"
    where = row["train_backend"] or "backend not recorded"
    if row["train_backend"] and row.get("trained_here"):
        where += f" ({row['machine']})"
    epochs = f"{row['epochs']} epoch{'' if row['epochs'] == 1 else 's'}"
    return f"{epochs}, {row['iterations']:,} updates of G, {wall}, {where}"


def parzen_cell(p):
    return f"{p['mean']:.0f} ± {p['sem']:.1f}"


def markdown(rows, curve, meta, extra_rows, plot_rel, seconds):
    """The '## Sample quality' section: the paper's Table 1 with our rows, the classifier metrics, the curve."""
    classifier, n = meta["classifier"], meta["n"]
    extra = (f"; rows from other runs of it were added from {', '.join(f'`{p}`' for p in extra_rows)}"
             if extra_rows else "")
    lines = [SECTION, "",
             f"Written by `python benchmarks/parzen_table.py {' '.join(meta['argv'])}`{extra} (the script's docstring "
             f"gives the commands); regenerate rather than edit by hand.", "",
             "### Parzen-window log-likelihood (the paper's Table 1, MNIST column)", "",
             "| Model | MNIST (nats) | training budget | σ |", "|---|---|---|---|"]
    lines += [f"| {name} (paper) | {value} | as published | |" for name, value in PAPER_ROWS]
    for row in rows:
        p = row["parzen"]
        lines.append(f"| {row['model']} | {parzen_cell(p)} | {budget(row)} | {p['sigma']:.3f} |")
    p0 = rows[0]["parzen"]
    full = p0["n_samples"] == 10000 and p0["n_test"] == 10000 and p0["n_validation"] == 1000
    real = next(r["parzen"]["mean"] for r in rows if r.get("kind") == "real")
    best = max(r["parzen"]["mean"] for r in rows if r.get("kind") != "real")
    lines += ["", f"Protocol (the authors' `parzen_ll.py`): a Gaussian kernel density on {p0['n_samples']:,} "
              f"samples; σ chosen from logspace(−1, 0, 10) by the mean log-likelihood of the first "
              f"{p0['n_validation']:,} validation digits (MNIST train 50,000–60,000); mean ± standard error over "
              f"{p0['n_test']:,} test digits. One estimate took {min(seconds):.0f}–{max(seconds):.0f} s on "
              f"{meta['machine']} "
              f"(distances by one float64 matrix product per batch, log-sum-exp in float64), "
              + ("so the paper's sizes were kept: nothing was reduced. " if full else
                 "**reduced** from the paper's 10,000 samples / 10,000 test digits / 1,000 validation digits. ")
              + "The TFD column is not reproduced (npgan has no TFD loader). As npgan/evaluation/metrics.py explains, this "
              f"estimate is a poor measure of sample quality: here real digits score {abs(real - best):.0f} nats "
              f"{'above' if real > best else 'below'} our best GAN; a generator that replayed its training set "
              f"would score like the real-digits row ({real:.0f}; Theis et al. 2016, Table 1, report 243 for the "
              f"true distribution), and 10,000 k-means centroids of the training set beat them all (313 there). "
              f"Read the classifier metrics first.", "",
              "### Classifier metrics (npgan's MNIST MLP)", "",
              "| Model | FID ↓ | classifier score (max 10) | classes covered (≥ 2 %) | class entropy (max 2.303) |",
              "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['model']} | {row['fid']:.2f} | {row['classifier_score']:.2f} | "
                     f"{row['classes_covered']}/10 | {row['class_entropy']:.3f} |")
    lines += ["", f"{n:,} samples per model against the {classifier['n_test']:,} test digits; the real-data row uses "
              f"{min(n, 10000):,} validation digits the classifier never saw (FID grows as the sample "
              f"count shrinks, so compare only at equal counts). Classifier: {classifier['hidden']}, test "
              f"accuracy {classifier['test_accuracy']:.4f}, trained in {classifier['train_seconds']:.0f} s on "
              f"{classifier['backend']} by `python examples/train_classifier.py`."]
    if curve:
        lines += ["", "### The default run (slides preset) epoch by epoch", "",
                  f"![metrics vs epochs]({plot_rel})", "",
                  "| epoch | FID ↓ | score | covered | entropy | Parzen LL (nats) |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['epoch']} | {r['fid']:.2f} | {r['classifier_score']:.2f} | {r['classes_covered']}/10 | "
                  f"{r['class_entropy']:.3f} | {parzen_cell(r['parzen'])} |" for r in curve]
    lines += ["", f"Wall times are single measurements on a machine shared with other work (1-minute load "
              f"average {meta['load']:.1f} on {os.cpu_count()} cores when this run started): upper bounds, and "
              f"noisy.", ""]
    return "\n".join(lines)


def write_section(path, text, heading=SECTION):
    """Replace the `heading` section of `path` (up to the next '## ' heading), or append it."""
    old = open(path).read() if os.path.exists(path) else "# Results\n"
    lines = old.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        new = "\n".join(lines[:start] + text.rstrip("\n").splitlines() + ([""] + lines[end:] if end < len(lines)
                                                                           else [])) + "\n"
    with open(path, "w") as f:
        f.write(new)


def measure(args):
    """Train (or load), score and evaluate epoch by epoch; returns the table's data, also saved as table.json
    (and this run's rows as rows.json, for --extra-rows of another run)."""
    load = os.getloadavg()[0]
    from npgan import backend as B
    from npgan.evaluation.metrics import MnistEvaluator
    backend = B.resolve_backend(args.backend)
    from npgan import evaluation as ev
    from npgan.cli import mnist as gan
    os.makedirs(args.out, exist_ok=True)
    runs = {}
    for arch, given, epochs in (("paper", args.paper_checkpoint, args.paper_epochs),
                                ("slides", args.slides_checkpoint, args.slides_epochs)):
        if given:
            runs[arch] = (given, history_seconds(given), None, False)
        else:
            checkpoint, seconds = train(arch, epochs, args, gan)
            runs[arch] = (checkpoint, seconds, backend, True)
        print(f"{arch}: {runs[arch][0]}", flush=True)
    evaluator = MnistEvaluator(args.data_dir, backend, classifier_path=args.classifier)
    rows = []
    for arch, (checkpoint, seconds, trained_on, here) in runs.items():
        rows.append(model_row(f"npgan `{arch}` arch{args.suffix}", checkpoint, seconds, trained_on, evaluator, ev,
                              args, here))
        print(json.dumps({k: rows[-1][k] for k in ("model", "epochs", "fid", "classifier_score")}),
              parzen_cell(rows[-1]["parzen"]), flush=True)
    real = ev.reference(evaluator, args.n, args.seed, parzen=True, parzen_test=args.parzen_test)
    rows.append({"model": "real MNIST digits", "kind": "real", "n_images": min(args.n, 50000), **real})
    print("real", parzen_cell(real["parzen"]), flush=True)
    with open(os.path.join(args.out, "rows.json"), "w") as f:
        json.dump(rows, f, indent=1)
    curve = []
    slides_dir = os.path.dirname(runs["slides"][0])
    if not args.no_curve and ev.epoch_checkpoints(slides_dir):
        curve = ev.evaluate_over_epochs(slides_dir, evaluator, args.n, args.seed, True, backend,
                                        parzen_test=args.parzen_test)
    classifier = {"hidden": "784-" + "-".join(map(str, evaluator.classifier.config["hidden"])) + "-10",
                  "n_test": len(evaluator.test_x), "test_accuracy": evaluator.test_accuracy,
                  **{k: evaluator.classifier.info.get(k) for k in ("train_seconds", "backend")}}
    meta = {"argv": args.argv, "load": load, "machine": machine(backend), "backend": backend, "n": args.n,
            "classifier": classifier}
    table = {"rows": rows, "curve": curve, "meta": meta}
    with open(os.path.join(args.out, "table.json"), "w") as f:
        json.dump(table, f, indent=1)
    return table


def render(table, args):
    """The plot and the RESULTS.md section from measure()'s data, plus the --extra-rows of other runs."""
    from npgan import evaluation as ev
    rows, curve, meta = list(table["rows"]), table["curve"], table["meta"]
    seconds = [row["parzen"]["seconds"] for row in rows]
    for path in args.extra_rows:
        with open(path) as f:
            rows[-1:-1] = [row for row in json.load(f) if row.get("kind") != "real"]
    if curve:
        real = next(row for row in rows if row.get("kind") == "real")
        ev.plot_over_epochs(curve, real, args.plot, f"slides GAN (the default run), {meta['n']:,} samples per "
                                                     f"epoch, {meta['backend']}")
    plot_rel = os.path.relpath(args.plot, os.path.dirname(os.path.abspath(args.results)))
    write_section(args.results, markdown(rows, curve, meta, args.extra_rows, plot_rel, seconds))
    print(f"wrote the '{SECTION}' section of {args.results}")


def main(argv=None):
    args = parse_args(argv)
    if args.render_only:
        with open(os.path.join(args.out, "table.json")) as f:
            table = json.load(f)
    else:
        table = measure(args)
    if not args.rows_only:
        render(table, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
