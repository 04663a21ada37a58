"""Figure 1 of Goodfellow et al. (2014), drawn from a live 1-D GAN: one panel, panels (a)-(d), a GIF.

One panel shows, on a common x axis,

    black dots      p_data(x), the data density
    green line      p_g(x), the density of x = G(z) (e.g. a KDE of G's outputs)
    blue dashes     D(x), the discriminator's probability that x is real
    thin blue line  D*(x) = p_data(x) / (p_data(x) + p_g(x)), the best D for this G (Proposition 1)

and, below it, the mapping x = G(z): arrows from evenly spaced points of the z axis (bottom) to where G
sends them on the x axis (top). Where the arrow heads crowd together, p_g is high.

A *snapshot* is a dict of host arrays and numbers: ``x, p_data, p_g, d, d_star`` (the grid and the four
curves), ``z_lines, x_lines`` (the mapping, z in [-1, 1]), ``iteration``, and optionally ``jsd`` and
``value`` (shown in the title) and ``z_ends``, the labels of the z line's two ends ("z = -1", "z = 1"; for
a normal z drawn at its quantiles, say, "Φ(z) = 0" and "Φ(z) = 1"). matplotlib is imported lazily, with the non-interactive Agg backend
(npgan.viz.pyplot).
"""
import os

import numpy as np

from npgan.checkpoint import atomic_file
from npgan.viz import pyplot, save_figure

STYLES = {
    "p_data": dict(color="black", ls="none", marker=".", ms=2.5, label=r"$p_{data}$"),
    "p_g": dict(color="green", lw=1.8, label=r"$p_g$"),
    "d": dict(color="blue", ls="--", lw=1.6, label=r"$D$"),
    "d_star": dict(color="blue", lw=0.6, alpha=0.7, label=r"$D^* = p_{data}/(p_{data}+p_g)$"),
}
ARROW_TOP = 0.93  # arrow heads stop just below the x axis of the mapping strip


def snapshot_title(snap, label=None, two_lines=False):
    """'(a) iteration 300   JSD 0.028   V(D,G) -1.379', optionally broken after the iteration."""
    head = (f"({label}) " if label else "") + f"iteration {snap['iteration']}"
    numbers = []
    if "jsd" in snap:
        numbers.append(f"JSD {snap['jsd']:.3f}")
    if "value" in snap:
        numbers.append(f"V(D,G) {snap['value']:+.3f}")
    return head + ("\n" if two_lines else "   ") + "   ".join(numbers) if numbers else head


class Figure1Panel:
    """The axes and artists of one panel, built once; ``update(snap)`` redraws only what moves (the
    curves, the arrows, the title), which keeps a 60-frame animation to a few seconds."""

    def __init__(self, fig, spec, xlim, ylim=(0.0, 1.1), legend=False, dots=120):
        from matplotlib.collections import LineCollection

        inner = spec.subgridspec(2, 1, height_ratios=[3, 1], hspace=0.0)
        self.ax = ax = fig.add_subplot(inner[0])
        self.ax_map = ax_map = fig.add_subplot(inner[1], sharex=ax)
        self.xlim, self.dots = xlim, dots
        self.lines = {name: ax.plot([], [], **style)[0] for name, style in STYLES.items()}
        ax.axhline(0.5, color="0.6", lw=0.5, ls=":")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.tick_params(labelbottom=False, labelsize=7)
        self.title = ax.set_title("", fontsize=9, pad=16 if legend else 4)
        if legend:  # one row between the title and the plot, clear of every curve
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=7, frameon=False,
                      handlelength=1.8, columnspacing=1.2, borderaxespad=0.1)

        # z in [-1, 1] is drawn on the bottom line, stretched over 90 % of the x window.
        centre, half = 0.5 * (xlim[0] + xlim[1]), 0.45 * (xlim[1] - xlim[0])
        self._z_to_pos = lambda z: centre + half * np.asarray(z, dtype=np.float64)
        ax_map.plot([centre - half, centre + half], [0.0, 0.0], color="black", lw=1.0)
        ax_map.axhline(1.0, color="black", lw=1.0)
        self.arrows = ax_map.add_collection(LineCollection([], colors="0.35", linewidths=0.6))
        self.heads, = ax_map.plot([], [], ls="none", marker="^", ms=3, color="0.35")
        self.z_ends = [ax_map.text(centre + side * half, -0.12, f"z = {side}", ha="center", va="top", fontsize=6)
                       for side in (-1, 1)]
        left, right = xlim[0] + 0.01 * (xlim[1] - xlim[0]), xlim[1] - 0.01 * (xlim[1] - xlim[0])
        ax_map.text(left, 0.05, "z", fontsize=8, style="italic")
        ax_map.text(right, 0.72, "x = G(z)", ha="right", fontsize=7, style="italic")
        ax_map.set_ylim(-0.45, 1.05)
        ax_map.set_yticks([])
        for side in ("left", "right", "top", "bottom"):
            ax_map.spines[side].set_visible(False)
        ax_map.tick_params(labelsize=7, length=2)

    def update(self, snap, title=None):
        x = np.asarray(snap["x"])
        inside = np.flatnonzero((x >= self.xlim[0]) & (x <= self.xlim[1]))
        dots = inside[::max(1, inside.size // self.dots)]
        self.lines["p_data"].set_data(x[dots], np.asarray(snap["p_data"])[dots])
        for name in ("p_g", "d", "d_star"):
            self.lines[name].set_data(x[inside], np.asarray(snap[name])[inside])
        z_pos = self._z_to_pos(snap["z_lines"])
        x_to = np.clip(np.asarray(snap["x_lines"], dtype=np.float64), *self.xlim)
        self.arrows.set_segments([[(zp, 0.0), (xt, ARROW_TOP)] for zp, xt in zip(z_pos, x_to)])
        self.heads.set_data(x_to, np.full_like(x_to, ARROW_TOP))
        for text, label in zip(self.z_ends, snap.get("z_ends", ("z = -1", "z = 1"))):
            text.set_text(label)
        self.title.set_text(snapshot_title(snap) if title is None else title)


def save_panels(snaps, path, xlim, labels="abcd", dpi=110):
    """Panels (a), (b), ... from left to right, one snapshot each, with one shared legend."""
    plt = pyplot()
    fig = plt.figure(figsize=(3.4 * len(snaps), 3.9))
    grid = fig.add_gridspec(1, len(snaps), wspace=0.08)
    for i, snap in enumerate(snaps):
        panel = Figure1Panel(fig, grid[i], xlim)
        panel.update(snap, title=snapshot_title(snap, label=labels[i], two_lines=True))
        if i:
            panel.ax.tick_params(labelleft=False)
    handles, names = panel.ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.subplots_adjust(left=0.03, right=0.99, top=0.86, bottom=0.14)
    return save_figure(fig, path, dpi=dpi)


def save_animation(snaps, gif_path, xlim, frames_dir=None, fps=8, dpi=100, hold_seconds=2.0):
    """One frame per snapshot, each rendered once: an animated GIF and, with frames_dir, one PNG per frame
    (frame_000.png, ...). The GIF is assembled with Pillow (a dependency of matplotlib), as matplotlib's
    PillowWriter does; the last frame stays up for `hold_seconds`. Every file is written atomically."""
    plt = pyplot()
    from PIL import Image

    fig = plt.figure(figsize=(6.0, 4.2), dpi=dpi)
    panel = Figure1Panel(fig, fig.add_gridspec(1, 1)[0], xlim, legend=True)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.06)
    if frames_dir:
        os.makedirs(frames_dir, exist_ok=True)
    images = []
    for i, snap in enumerate(snaps):
        panel.update(snap)
        fig.canvas.draw()
        image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")
        if frames_dir:
            with atomic_file(os.path.join(frames_dir, f"frame_{i:03d}.png")) as f:
                image.save(f, format="PNG")
        images.append(image)
    plt.close(fig)
    if images:
        durations = [round(1000 / fps)] * (len(images) - 1) + [round(1000 * hold_seconds)]
        with atomic_file(gif_path) as f:
            images[0].save(f, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
                           optimize=True)
    return gif_path
