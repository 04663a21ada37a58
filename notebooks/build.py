"""Build the notebooks: each jupytext percent-format source notebooks/NN_name.py becomes NN_name.ipynb.

    python notebooks/build.py                  # .ipynb with empty outputs (fast)
    python notebooks/build.py --execute        # executed top to bottom, figures embedded (what is committed)
    python notebooks/build.py --execute 03 --docs-figure   # also copy 03's figure to docs/img/grad_flow.png

Needs the `notebooks` extra: pip install -e ".[notebooks]". Each notebook runs in a fresh "python3"
kernel (ipykernel's, in this environment) inside a temporary folder, so its files never land in the repo;
the run time of each is printed.
"""
import argparse
import glob
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOCS_FIGURE = ("03_saturation", os.path.join("scratch", "grad_flow.png"), os.path.join(ROOT, "docs", "img", "grad_flow.png"))


def sources(only=()):
    paths = sorted(glob.glob(os.path.join(HERE, "[0-9][0-9]_*.py")))
    return [p for p in paths if not only or any(os.path.basename(p).startswith(o) for o in only)]


def execute(notebook, workdir, timeout=600):
    """Run `notebook` (an nbformat node) in place in a fresh kernel whose cwd is `workdir`."""
    import nbclient
    path = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))  # the kernel imports this npgan
    nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": workdir}}).execute(env={**os.environ, "PYTHONPATH": path})
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="notebook number prefixes (e.g. 01 03); default all")
    parser.add_argument("--execute", action="store_true", help="run each notebook and keep its outputs")
    parser.add_argument("--docs-figure", action="store_true",
                        help=f"copy {DOCS_FIGURE[0]}'s {DOCS_FIGURE[1]} to docs/img (needs --execute)")
    args = parser.parse_args(argv)
    if args.docs_figure and not args.execute:
        parser.error("--docs-figure needs --execute")
    try:
        import jupytext
    except ImportError:
        parser.exit(2, 'build.py: jupytext is missing: pip install -e ".[notebooks]"\n')
    paths = sources(args.only)
    if not paths:
        parser.error(f"no notebook matches {' '.join(args.only)}")
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        notebook = jupytext.read(path)
        started = time.perf_counter()
        if args.execute:
            with tempfile.TemporaryDirectory(prefix=f"npgan-{name}-") as workdir:
                execute(notebook, workdir)
                if args.docs_figure and name == DOCS_FIGURE[0]:
                    shutil.copyfile(os.path.join(workdir, DOCS_FIGURE[1]), DOCS_FIGURE[2])
                    print(f"wrote {os.path.relpath(DOCS_FIGURE[2], ROOT)}")
        target = os.path.join(HERE, name + ".ipynb")
        jupytext.write(notebook, target)
        seconds = time.perf_counter() - started
        print(f"wrote {os.path.relpath(target, ROOT)}" + (f"  (executed in {seconds:.1f} s)" if args.execute else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
