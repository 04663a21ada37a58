"""Make the figures for docs/: `python docs/make_figures.py` writes docs/img/saturation.png (replacing the
one in git, atomically: that is what the command is for).

saturation.png — the two generator losses of Goodfellow et al. (2014), Section 3, and their gradients with
respect to the discriminator's logit a on a fake sample, where D(G(z)) = sigmoid(a):

    minimax          L = log(1 - sigmoid(a))    dL/da = -sigmoid(a)       = -D(G(z))       -> 0  as D -> 0
    non-saturating   L = -log sigmoid(a)        dL/da = -(1 - sigmoid(a)) = -(1 - D(G(z)))  -> -1 as D -> 0

G minimises L in both cases. Early in training D rejects fakes confidently (D(G(z)) near 0): there the
minimax gradient vanishes and the non-saturating one is as large as it gets.
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = "make_figures.py"

sys.path.insert(0, ROOT)  # this checkout's npgan
from npgan.cli.console import ArgumentParser, run_command  # noqa: E402
from npgan.viz import MissingDependency, require_matplotlib, save_figure  # noqa: E402


def saturation_figure(path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = np.linspace(1e-3, 1 - 1e-3, 999)           # D(G(z)) = sigmoid(a)
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 4.6), constrained_layout=True)

    ax_loss.plot(d, np.log1p(-d), color="tab:red", label=r"minimax: $\log(1 - D(G(z)))$")
    ax_loss.plot(d, -np.log(d), color="tab:blue", label=r"non-saturating: $-\log D(G(z))$")
    ax_loss.set(xlabel=r"$D(G(z))$", ylabel="generator loss (G minimises it)", ylim=(-5, 5),
                title="(a) the two generator losses")

    ax_grad.plot(d, -d, color="tab:red", label=r"minimax: $\partial/\partial a = -\sigma(a) = -D$")
    ax_grad.plot(d, -(1 - d), color="tab:blue",
                 label=r"non-saturating: $\partial/\partial a = -(1-\sigma(a)) = -(1-D)$")
    ax_grad.set(xlabel=r"$D(G(z)) = \sigma(a)$", ylabel=r"gradient w.r.t. D's logit $a$",
                ylim=(-1.05, 0.05), title="(b) their gradients w.r.t. the logit")

    for ax in (ax_loss, ax_grad):
        ax.axvspan(0, 0.1, color="0.9", zorder=0)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlim(0, 1)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9, frameon=False)
        ax.grid(alpha=0.3)
    ax_grad.annotate("early training:\nD rejects fakes,\nminimax gradient ~ 0", xy=(0.02, -0.02),
                     xytext=(0.18, -0.35), arrowprops=dict(arrowstyle="->"), fontsize=9)

    save_figure(fig, path, dpi=120)


def main(argv=None):
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)

    def job():
        require_matplotlib()
        path = os.path.join(ROOT, "docs", "img", "saturation.png")
        saturation_figure(path)  # atomic_file creates docs/img if it is missing
        print("wrote", os.path.relpath(path, ROOT))
        return 0

    return run_command(job, PROG, (MissingDependency,), parser)


if __name__ == "__main__":
    sys.exit(main())
