"""Build the notebooks: each jupytext percent-format source notebooks/NN_name.py becomes NN_name.ipynb.

    python notebooks/build.py                  # .ipynb with empty outputs (fast)
    python notebooks/build.py --execute        # executed top to bottom, figures embedded (the hand-out copies)
    python notebooks/build.py --execute 03 --docs-figure   # also copy 03's figure to docs/img/grad_flow.png

Needs the `notebooks` extra: pip install -e ".[notebooks]". Each notebook runs in a fresh "python3"
kernel (ipykernel's, in this environment) inside a temporary folder, so its files never land in the repo;
the run time of each is printed. An .ipynb that exists (a student's answers, an executed copy) is replaced
only with --overwrite; every file is written atomically. A mistake is one line and a non-zero exit.
"""
import asyncio
import glob
import importlib
import os
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOCS_FIGURE = ("03_saturation", os.path.join("scratch", "grad_flow.png"), os.path.join(ROOT, "docs", "img", "grad_flow.png"))
PROG = "build.py"

sys.path.insert(0, ROOT)  # this checkout's npgan, as the kernels get it
from npgan.checkpoint import atomic_file  # noqa: E402
from npgan.cli.console import ArgumentParser, Terminated, run_command  # noqa: E402
from npgan.viz import MissingDependency  # noqa: E402


def sources(only=()):
    paths = sorted(glob.glob(os.path.join(HERE, "[0-9][0-9]_*.py")))
    return [p for p in paths if not only or any(os.path.basename(p).startswith(o) for o in only)]


def name_of(path):
    return os.path.splitext(os.path.basename(path))[0]


def need(module):
    """The module, or one line saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(f'{module} is missing: pip install -e ".[notebooks]"') from None


def execute(notebook, workdir, timeout=600):
    """Run `notebook` (an nbformat node) in place in a fresh kernel whose cwd is `workdir`. Ctrl-C or SIGTERM
    shuts the kernel down and ends in KeyboardInterrupt or Terminated, as anywhere else in a command."""
    nbclient = need("nbclient")
    from jupyter_client.kernelspec import NoSuchKernel

    class Client(nbclient.NotebookClient):
        """On Ctrl-C or SIGTERM, interrupt the running cell and run no further one; nbclient then shuts the
        kernel down as after any failed cell. (Its own handlers kill the kernel mid-cell, which it reports as a
        dead kernel, then fail on a second clean-up.)"""
        stopped_by = None

        async def async_start_new_kernel(self, **kwargs):
            loop = asyncio.get_running_loop()
            for signum, error in ((signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)):
                loop.add_signal_handler(signum, self.stop, error)  # in place of nbclient's
            return await super().async_start_new_kernel(**kwargs)

        def stop(self, error):
            self.stopped_by = error
            if self.code_cells_executed:  # a cell runs (before the first, the kernel may still be starting)
                asyncio.ensure_future(self.km.interrupt_kernel())

        async def async_execute_cell(self, *args, **kwargs):
            if self.stopped_by:
                raise RuntimeError("stopped")
            return await super().async_execute_cell(*args, **kwargs)

    client = Client(notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": workdir}})
    path = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))  # the kernel imports this npgan
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        client.execute(env={**os.environ, "PYTHONPATH": path})
    except NoSuchKernel:
        raise MissingDependency('no "python3" Jupyter kernel: pip install -e ".[notebooks]" (ipykernel)') from None
    except BaseException:
        if client.stopped_by is None:
            raise
        raise client.stopped_by from None
    finally:
        signal.signal(signal.SIGTERM, sigterm)  # asyncio leaves SIGTERM at its default when it lets go
    return notebook


def build(paths, args):
    jupytext = need("jupytext")
    if args.execute:
        need("nbclient")
    targets = [os.path.join(HERE, name_of(path) + ".ipynb") for path in paths]
    existing = [os.path.relpath(target, ROOT) for target in targets if os.path.exists(target)]
    if existing and not args.overwrite:
        raise FileExistsError(f"{', '.join(existing)} exist{'s' if len(existing) == 1 else ''} (a student's answers "
                              f"or an executed copy may be in it): replace with --overwrite")
    for path, target in zip(paths, targets):
        name = name_of(path)
        notebook = jupytext.read(path)
        started = time.perf_counter()
        if args.execute:
            with tempfile.TemporaryDirectory(prefix=f"npgan-{name}-") as workdir:
                execute(notebook, workdir)
                if args.docs_figure and name == DOCS_FIGURE[0]:
                    with open(os.path.join(workdir, DOCS_FIGURE[1]), "rb") as figure:
                        with atomic_file(DOCS_FIGURE[2]) as f:
                            f.write(figure.read())
                    print(f"wrote {os.path.relpath(DOCS_FIGURE[2], ROOT)}")
        with atomic_file(target, "w") as f:
            f.write(jupytext.writes(notebook, fmt="ipynb"))
        seconds = time.perf_counter() - started
        print(f"wrote {os.path.relpath(target, ROOT)}" + (f"  (executed in {seconds:.1f} s)" if args.execute else ""))
    return 0


def main(argv=None):
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="notebook number prefixes (e.g. 01 03); default all")
    parser.add_argument("--execute", action="store_true", help="run each notebook and keep its outputs")
    parser.add_argument("--docs-figure", action="store_true",
                        help=f"copy {DOCS_FIGURE[0]}'s {os.path.basename(DOCS_FIGURE[1])} to docs/img (needs "
                             f"--execute)")
    parser.add_argument("--overwrite", action="store_true", help="replace .ipynb files that exist")
    args = parser.parse_args(argv)
    if args.docs_figure and not args.execute:
        parser.error("--docs-figure needs --execute")
    paths = sources(args.only)
    if not paths:
        parser.error(f"no notebook matches {' '.join(args.only)}")
    if args.docs_figure and DOCS_FIGURE[0] not in map(name_of, paths):
        parser.error(f"--docs-figure needs notebook {DOCS_FIGURE[0][:2]} among those built")
    return run_command(lambda: build(paths, args), PROG, (MissingDependency,), parser)


if __name__ == "__main__":
    sys.exit(main())
