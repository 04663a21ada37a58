"""Make the figures for docs/: `python docs/make_figures.py` writes docs/img/saturation.png.

saturation.png — the two generator losses of Goodfellow et al. (2014), Section 3, and their gradients with
respect to the discriminator's logit a on a fake sample, where D(G(z)) = sigmoid(a):

    minimax          L = log(1 - sigmoid(a))    dL/da = -sigmoid(a)       = -D(G(z))       -> 0  as D -> 0
    non-saturating   L = -log sigmoid(a)        dL/da = -(1 - sigmoid(a)) = -(1 - D(G(z)))  -> -1 as D -> 0

G minimises L in both cases. Early in training D rejects fakes confidently (D(G(z)) near 0): there the
minimax gradient vanishes and the non-saturating one is as large as it gets.
"""
from pathlib import Path

import numpy as np


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

    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    out = Path(__file__).resolve().parent / "img"
    out.mkdir(exist_ok=True)
    saturation_figure(out / "saturation.png")
    print("wrote", out / "saturation.png")


if __name__ == "__main__":
    main()
