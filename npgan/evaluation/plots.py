"""The metrics of npgan.evaluation against the epochs of a run: one panel per metric (FID, classifier
score, class entropy with coverage, Parzen LL when measured), the real digits' value dashed beside each.
matplotlib is imported lazily (npgan.viz); the figure is written atomically in the format its name gives."""
import numpy as np

from npgan import viz


def plot_over_epochs(rows, real, path, title=""):
    """FID, classifier score, coverage/entropy and (if present) Parzen LL against epochs, real data dashed."""
    plt = viz.pyplot()
    epochs = [r["epoch"] for r in rows]
    panels = [("fid", "FID (lower is better)"), ("classifier_score", "classifier score (max 10)"),
              ("class_entropy", "class entropy, nats (max 2.303)")]
    if rows and "parzen" in rows[0]:
        panels.append(("parzen", "Parzen LL, nats (± s.e.)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4))
    for ax, (key, label) in zip(np.atleast_1d(axes), panels):
        if key == "parzen":
            ax.errorbar(epochs, [r["parzen"]["mean"] for r in rows], [r["parzen"]["sem"] for r in rows],
                        marker="o", capsize=3)
            level = real.get("parzen", {}).get("mean")
        else:
            ax.plot(epochs, [r[key] for r in rows], marker="o")
            level = real.get(key)
        if key == "fid":
            ax.set_yscale("log")
        if key == "class_entropy":
            twin = ax.twinx()
            twin.plot(epochs, [r["classes_covered"] for r in rows], color="C1", ls=":", marker="s", ms=3)
            twin.set_ylim(0, 10.5)
            twin.set_ylabel("classes covered", color="C1")
        if key == "parzen":
            ax.axhline(225.0, color="C3", ls=":", lw=1, label="the paper's GAN: 225")
        if level is not None:
            ax.axhline(level, color="gray", ls="--", lw=1, label="real digits")
            ax.legend(loc="best", fontsize=8)
        ax.set_xlabel("epoch")
        ax.set_title(label, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        viz.save_figure(fig, path, dpi=100)
    finally:
        plt.close(fig)
    return path
