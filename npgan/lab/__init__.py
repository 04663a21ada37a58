"""A GAN lab you can poke: Algorithm 1 live in a notebook, and a recorded run as one HTML page.

- problems.py  the data (npgan.data.toy's mixtures, or points drawn or pasted) and the measures on a grid
               of cells: p_data, p_g, D*, V(D, G), the JSD
- engine.py    `Lab`: a GANTrainer stepped by hand (D step, G step, iteration, play), settings changed while
               it runs, and each frame's data (D's heatmap, fakes and the gx on each, G's map, the curves)
- view.py      the matplotlib figure, its artists updated in place
- widgets.py   the ipywidgets controls around a view (`show_lab`)
- export.py    a recorded run written as one self-contained HTML page (`record`, `write_html`)

    from npgan.lab import Lab, show_lab
    show_lab("ring")                  # in Jupyter (ipywidgets; %matplotlib widget for ipympl)
    python -m npgan.lab --record --data ring --frames 60 --out lab.html
"""
from npgan.lab.engine import Lab, Tap
from npgan.lab.problems import DATASETS, PRESETS, parse_points


def show_lab(data="ring", **settings):
    """The lab's controls and figure, displayed in Jupyter; returns the LabWidget (its `.lab` is the engine)."""
    from npgan.lab.widgets import LabWidget
    widget = LabWidget(Lab(data, **settings))
    widget.display()
    return widget


__all__ = ["Lab", "Tap", "show_lab", "DATASETS", "PRESETS", "parse_points"]
