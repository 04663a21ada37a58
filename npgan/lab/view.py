"""The lab's figure: the plane (or line) and the curves, built once and updated in place.

`LabView(lab).update()` redraws from `lab.frame()` by changing data only — `set_data` on the heatmap,
`set_offsets` on the scatters, `set_UVC` on the arrows, `set_segments` on G's map, `set_data` on the
curves — never by clearing axes — and blits: the axes, ticks and labels are drawn once into a background,
and a frame restores it and draws only the artists that move (a full redraw only when a curve leaves its
axes' limits, which then grow by half). In 2-D: D(x) (or D*) as a heatmap, the real samples (green), the fakes of
G's step (purple) with their arrows −gx (scaled so the longest is 8 % of the window), G's map as the image
of a z-grid (grey mesh), a ring around the inspected fake. In 1-D: npgan.theory.figure1's panel (p_data,
p_g, D, D*, G's map) with the fakes and their arrows on the x axis. Right: V(D, G) against −log 4, the JSD
and the modes covered, per measured frame.

The figure is a bare matplotlib Figure (no pyplot state): `ipympl=True` puts it on an ipympl canvas (a
widget, redrawn by `draw_idle`), otherwise it renders with Agg and `png()` gives the bytes to show.
"""
import io
import math

import numpy as np

LOG4 = math.log(4.0)
ARROW_FRACTION = 0.08  # the longest arrow, as a fraction of the window
COLORMAP = "PuOr_r"


class LabView:
    def __init__(self, lab, ipympl=False, figsize=(10.5, 5.0), dpi=80):
        from matplotlib.figure import Figure

        self.lab, self.heat_source, self.selected = lab, "d", None
        self.fig = Figure(figsize=figsize, dpi=dpi)
        if ipympl:
            from ipympl.backend_nbagg import new_figure_manager_given_figure
            self.canvas = new_figure_manager_given_figure(id(self.fig), self.fig).canvas
            self.canvas.header_visible = False
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            self.canvas = FigureCanvasAgg(self.fig)
        self.ipympl = ipympl
        self.build()

    # --- building -----------------------------------------------------------------------------------------

    def build(self):
        """(Re)make the axes and artists for the lab's problem (after a reset to other data, say)."""
        from matplotlib.collections import LineCollection

        self.fig.clear()
        lab, fig = self.lab, self.fig
        grid = fig.add_gridspec(3, 2, width_ratios=[1.15, 1.0], hspace=0.55, wspace=0.18, left=0.05, right=0.98,
                                top=0.88, bottom=0.08)
        self.dim, (lo, hi) = lab.problem.dim, lab.problem.window
        f = lab.frame()
        if self.dim == 2:
            ax = self.ax = fig.add_subplot(grid[:, 0])
            self.image = ax.imshow(f["d"], extent=(lo, hi, lo, hi), origin="lower", cmap=COLORMAP, vmin=0.0,
                                   vmax=1.0, interpolation="bilinear")
            self.gmap = ax.add_collection(LineCollection([], colors="0.25", linewidths=0.6, alpha=0.5))
            self.real = ax.scatter(f["real"][:, 0], f["real"][:, 1], s=4, color="#1a9641", linewidths=0, zorder=2)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_aspect("equal")
            fig.colorbar(self.image, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=7)
            y0 = f["fake"][:, 1]
        else:
            from npgan.theory.figure1 import Figure1Panel
            self.panel = Figure1Panel(fig, grid[:, 0], (lo, hi), legend=True)
            self.ax = ax = self.panel.ax
            y0 = np.full(len(f["fake"]), 0.03)
        self.fakes = ax.scatter(f["fake"][:, 0], y0, s=12, color="#7b3294", edgecolors="white", linewidths=0.4,
                                zorder=4)
        self.quiver = self._quiver(f)
        self.ring = ax.scatter([], [], s=110, facecolors="none", edgecolors="red", linewidths=1.5, zorder=5)
        self.title = fig.text(0.05, 0.955, "", fontsize=9, va="bottom")
        ax.tick_params(labelsize=7)
        self.curves = {}
        for row, (name, label) in enumerate((("value", "V(D, G) on the grid; dashed: −log 4"),
                                             ("jsd", "JSD(p_data ‖ p_g) on the grid"),
                                             ("modes", f"modes covered (of {len(lab.problem.centres)})"))):
            cax = fig.add_subplot(grid[row, 1])
            cax.set_title(label, fontsize=8, loc="left")
            cax.tick_params(labelsize=7)
            self.curves[name] = cax.plot([], [], color="#2166ac", lw=1.3)[0]
            if name == "value":
                cax.axhline(-LOG4, color="#d7191c", ls="--", lw=1)
        limits = {"value": (-LOG4 - 0.3, -LOG4 + 0.3), "jsd": (0.0, math.log(2.0) + 0.02),
                  "modes": (-0.2, len(lab.problem.centres) + 0.5)}
        for name, line in self.curves.items():
            line.axes.set_xlim(0, 50)
            line.axes.set_ylim(*limits[name])
        if self.dim == 2:
            self.moving = [self.image, self.gmap, self.real, self.fakes, self.quiver, self.ring, self.title]
        else:
            p = self.panel
            self.moving = [*p.lines.values(), p.arrows, p.heads, *p.z_ends, self.fakes, self.quiver, self.ring,
                           self.title]
        for artist in self.moving + list(self.curves.values()):
            artist.set_animated(True)
        self.background = None
        self.update()

    def _quiver(self, f):
        y0 = f["fake"][:, 1] if self.dim == 2 else np.full(len(f["fake"]), 0.03)
        return self.ax.quiver(f["fake"][:, 0], y0, np.zeros(len(y0)), np.zeros(len(y0)), angles="xy",
                              scale_units="xy", scale=1.0, width=0.003, color="#111", zorder=3)

    # --- updating -----------------------------------------------------------------------------------------

    def arrows(self, f):
        """−gx per fake, scaled so the longest is ARROW_FRACTION of the window (directions and ratios kept)."""
        lo, hi = self.lab.problem.window
        push = -np.asarray(f["gx"], np.float64)
        longest = np.sqrt((push ** 2).sum(axis=1)).max() if len(push) else 0.0
        return push * (ARROW_FRACTION * (hi - lo) / longest if longest > 0 else 0.0)

    def update(self):
        """Redraw from the lab's current frame, changing only artists' data."""
        f = self.lab.frame()
        push = self.arrows(f)
        if len(f["fake"]) != len(self.quiver.U):  # the batch size changed: a quiver's count is fixed
            self.quiver.remove()
            self.quiver = self._quiver(f)
        if self.dim == 2:
            self.image.set_data(f[self.heat_source])
            self.gmap.set_segments(list(f["gmap"]))
            xy, uv = f["fake"], push
        else:
            lo, hi = self.lab.problem.window
            width = (hi - lo) / len(f["p_data"])
            snap = {"x": self.lab.cells[:, 0], "p_data": f["p_data"] / width, "p_g": f["p_g"] / width, "d": f["d"],
                    "d_star": f["d_star"], "z_lines": np.linspace(-1, 1, len(f["gmap"])),
                    "x_lines": f["gmap"][:, 0], "iteration": f["iteration"], "z_ends": ("z = −2.5", "z = 2.5")}
            self.panel.update(snap, title="")
            xy = np.stack([f["fake"][:, 0], np.full(len(f["fake"]), 0.03)], axis=1)
            uv = np.stack([push[:, 0], np.zeros(len(push))], axis=1)
        self.fakes.set_offsets(xy)
        self.quiver.set_offsets(xy)
        self.quiver.set_UVC(uv[:, 0], uv[:, 1])
        self.ring.set_offsets(xy[self.selected:self.selected + 1] if self.selected is not None
                              and self.selected < len(xy) else np.empty((0, 2)))
        modes = "" if f["modes"] is None else f", modes {f['modes']}/{len(self.lab.problem.centres)}"
        self.title.set_text(f"iteration {f['iteration']} ({f['d_updates']} D, {f['g_updates']} G updates); "
                            f"{'D*' if self.heat_source == 'd_star' and self.dim == 2 else 'D'}; arrows: "
                            f"{f['arrows_from']}; V {f['value']:+.3f}, JSD {f['jsd']:.3f}{modes}")
        history = f["history"]
        its = np.array([h["iteration"] for h in history], np.float64)
        for name, line in self.curves.items():
            values = np.array([np.nan if h[name] is None else h[name] for h in history], np.float64)
            line.set_data(its, values)
            if _widen(line.axes, its, values):
                self.background = None
        self.draw()
        return f

    def draw(self):
        """Render the frame: restore the background and draw the moving artists on it (blit); draw the
        whole figure first when there is no background yet (the first frame, new limits, a resize)."""
        canvas = self.canvas
        if self.background is None or getattr(canvas, "_lab_size", None) != canvas.get_width_height():
            canvas.draw()  # everything but the animated artists
            self.background = canvas.copy_from_bbox(self.fig.bbox)
            canvas._lab_size = canvas.get_width_height()
        else:
            canvas.restore_region(self.background)
        renderer = canvas.get_renderer()
        for artist in self.moving + list(self.curves.values()):
            artist.draw(renderer)
        if self.ipympl:
            canvas.blit(self.fig.bbox)

    def png(self):
        """The rendered frame as PNG bytes (the Image fallback, and the notebook's static copy)."""
        from PIL import Image
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).convert("RGB").save(buffer, format="PNG",
                                                                                   compress_level=1)
        return buffer.getvalue()


def _widen(ax, x, y):
    """Grow the axes' limits by half when the curve leaves them; True when they changed."""
    changed = False
    finite = y[np.isfinite(y)]
    if len(x) and x.max() > ax.get_xlim()[1]:
        ax.set_xlim(0, 1.5 * x.max())
        changed = True
    low, high = ax.get_ylim()
    if finite.size and (finite.min() < low or finite.max() > high):
        span = high - low
        ax.set_ylim(min(low, finite.min() - 0.25 * span), max(high, finite.max() + 0.25 * span))
        changed = True
    return changed
