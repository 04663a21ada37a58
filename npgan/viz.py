"""Pictures: sample grids and training curves, saved as PNG. matplotlib is imported lazily (an optional
dependency: `pip install -e .[examples]`), with the non-interactive Agg backend so it works with no screen.
A figure a command names on its command line goes through `save_figure`: one of FIGURE_EXTENSIONS, written
atomically, so an error or Ctrl-C mid-save leaves no partial file."""
import os

import numpy as np

from npgan.backend import to_cpu
from npgan.checkpoint import atomic_file

# The formats a command accepts for a figure (matplotlib's Agg writes each; jpg through Pillow, which
# matplotlib requires): a command checks the name before its work starts (npgan.settings.check_output_file).
FIGURE_EXTENSIONS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def pyplot():
    """matplotlib.pyplot, imported on first use with the non-interactive Agg backend (works with no screen).
    Every figure of npgan, its benchmarks and its commands asks for it here."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def image_grid(images, nrow=10, image_shape=(28, 28), pad=2):
    """Tile images in [0, 1] (rows (N, H·W) or (N, H·W·3), or arrays of `image_shape`) into one float32
    host array: (rows·(H+pad)+pad, nrow·(W+pad)+pad), with a third axis of 3 for colour images; the
    padding is white."""
    height, width = image_shape[:2]
    images = np.clip(to_cpu(images), 0.0, 1.0).reshape(-1, *image_shape)
    nrows = -(-images.shape[0] // nrow)
    grid = np.ones((nrows * (height + pad) + pad, nrow * (width + pad) + pad, *image_shape[2:]), np.float32)
    for index, image in enumerate(images):
        r, c = divmod(index, nrow)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        grid[top:top + height, left:left + width] = image
    return grid


def save_figure(fig, path, **options):
    """fig.savefig to `path` in the format its extension names (one of FIGURE_EXTENSIONS; dpi 100 unless
    given), through a temporary file renamed over `path` at the end (npgan.checkpoint.atomic_file): readers
    never see half a figure. The figure is closed."""
    try:
        with atomic_file(path) as f:
            fig.savefig(f, format=os.path.splitext(path)[1][1:].lower() or "png", **{"dpi": 100, **options})
    finally:
        pyplot().close(fig)
    return path


def save_grid(images, path, nrow=10, image_shape=(28, 28)):
    """Save images in [0, 1] (rows of `image_shape`: (H, W) grey, drawn white on black as MNIST's digits,
    or (H, W, 3) colour) as one PNG grid, atomically: a reader sees the old grid or the new one. Images
    smaller than 28 pixels are enlarged (each pixel a block) so that the grid stays legible."""
    import matplotlib.image
    grid = image_grid(images, nrow, image_shape)
    scale = max(1, -(-28 // max(image_shape[:2])))
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    with atomic_file(path) as f:
        matplotlib.image.imsave(f, grid, cmap="gray", vmin=0.0, vmax=1.0, format="png")
    return path


def smooth(values, window):
    values = np.asarray(values, dtype=np.float64)  # float64: deliberate (plotting, on the host)
    if len(values) < window or window <= 1:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def plot_curves(rows, path, window=50):
    """Two panels over iterations: the D and G losses, and mean D(x) / D(G(z)) (moving averages)."""
    plt = pyplot()
    iterations = np.array([r["iteration"] for r in rows])
    window = max(1, min(window, len(rows) // 10 or 1))
    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
    shifted = iterations[window - 1:] if window > 1 and len(rows) >= window else iterations
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        ax_loss.plot(shifted, smooth([r[key] for r in rows], window), label=label)
    ax_loss.axhline(np.log(4.0), color="gray", ls=":", lw=1, label="log 4 (D loss at equilibrium)")
    ax_loss.set_xlabel("iteration")
    ax_loss.set_title("losses")
    ax_loss.legend()
    for key, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        ax_d.plot(shifted, smooth([r[key] for r in rows], window), label=label)
    ax_d.axhline(0.5, color="gray", ls=":", lw=1, label="1/2 (equilibrium)")
    ax_d.set_ylim(0, 1)
    ax_d.set_xlabel("iteration")
    ax_d.set_title("discriminator outputs")
    ax_d.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def _layer_fields(rows, net):
    """The per-layer gradient-norm fields of `net` in a GradientFlowMonitor row, in network order."""
    return [key for key in rows[0] if key.startswith(f"{net}.") and key.endswith(".grad_norm")
            and key != f"{net}.grad_norm"]


def plot_gradient_flow(rows, path, nets=("G", "D"), window=1):
    """One panel per net (GradientFlowMonitor rows): each layer's gradient norm (thin lines) and the whole
    net's ‖∇θ L‖₂ (thick black) over iterations, on a log scale; a moving average over `window` rows."""
    plt = pyplot()
    iterations = np.array([r["iteration"] for r in rows])
    shifted = iterations[window - 1:] if 1 < window <= len(rows) else iterations
    fig, axes = plt.subplots(1, len(nets), figsize=(5.5 * len(nets), 4), squeeze=False)
    for ax, net in zip(axes[0], nets):
        for key in _layer_fields(rows, net):
            ax.plot(shifted, smooth([r[key] for r in rows], window), lw=0.9, label=key[:-len(".grad_norm")])
        ax.plot(shifted, smooth([r[f"{net}.grad_norm"] for r in rows], window), color="black", lw=2,
                label=f"{net} (all layers)")
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_title(f"{net}: gradient norm per layer")
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return save_figure(fig, path)



class MissingDependency(ImportError):
    """An optional package that a command needs is not installed."""


def require_matplotlib():
    """Refuse at the start of a command, not after its work, when matplotlib (the `examples` extra) is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependency('matplotlib is missing: pip install -e ".[examples]"') from None
