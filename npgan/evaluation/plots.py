"""The metrics of npgan.evaluation against the epochs of a run: one panel per metric (FID, classifier
score, class entropy with coverage — when the data have labels —, Parzen LL and the memorisation number
when measured), the real images' value dashed beside each.
matplotlib is imported lazily (npgan.viz); the figure is written atomically in the format its name gives."""
import numpy as np

from npgan import viz


def plot_over_epochs(rows, real, path, title="", real_label="real digits", paper_level=True):
    """FID, classifier score, coverage/entropy (when present) and Parzen LL and the memorisation number (if
    measured) against epochs, real data dashed (`real_label`); `paper_level`: the paper's 225 nats dotted
    on the Parzen panel (MNIST)."""
    plt = viz.pyplot()
    epochs = [r["epoch"] for r in rows]
    classes = len(rows[0]["class_fractions"]) if rows and "class_fractions" in rows[0] else 0
    panels = [("fid", "FID (lower is better)"), ("classifier_score", f"classifier score (max {classes})"),
              ("class_entropy", f"class entropy, nats (max {np.log(max(classes, 1)):.3f})")] if classes else []
    if rows and "parzen" in rows[0]:
        panels.append(("parzen", "Parzen LL, nats (± s.e.)"))
    if rows and "memorisation" in rows[0] and not classes:
        panels.append(("memorisation", "memorisation (NN distance ratio)"))
    if not panels:
        raise ValueError("no metric to plot: the rows hold neither classifier metrics nor Parzen nor memorisation")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4))
    for ax, (key, label) in zip(np.atleast_1d(axes), panels):
        if key == "parzen":
            ax.errorbar(epochs, [r["parzen"]["mean"] for r in rows], [r["parzen"]["sem"] for r in rows],
                        marker="o", capsize=3)
            level = real.get("parzen", {}).get("mean")
        elif key == "memorisation":
            ax.plot(epochs, [r[key]["ratio"] for r in rows], marker="o")
            level = real.get(key, {}).get("ratio")
        else:
            ax.plot(epochs, [r[key] for r in rows], marker="o")
            level = real.get(key)
        if key == "fid":
            ax.set_yscale("log")
        if key == "class_entropy":
            twin = ax.twinx()
            twin.plot(epochs, [r["classes_covered"] for r in rows], color="C1", ls=":", marker="s", ms=3)
            twin.set_ylim(0, classes + 0.5)
            twin.set_ylabel("classes covered", color="C1")
        if key == "parzen" and paper_level:
            ax.axhline(225.0, color="C3", ls=":", lw=1, label="the paper's GAN: 225")
        if level is not None:
            ax.axhline(level, color="gray", ls="--", lw=1, label=real_label)
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
