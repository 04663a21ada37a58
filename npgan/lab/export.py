"""A recorded lab run as one self-contained HTML page: no kernel, no network.

    rec = record(Lab("ring"), frames=60, every=10)   # frame 0, then one frame every 10 iterations
    write_html(rec, "lab.html")                       # atomically; the page is npgan.lab.page's template

`record` returns plain JSON-able data: the run's settings (`meta`), the real samples shown, and per frame
the iteration and update counts, D's output on the R × R cells (2-D: bytes, 255·D(x), base64; 1-D: numbers),
D* where p_data is known, the fakes of the step behind the frame with their `gx` (D's backward into G's,
float32 values to 8 significant digits: the page draws −gx), G's map (the image of the z-grid), and V(D, G),
the JSD and the modes covered. The page draws each frame on a canvas (a slider and a play button pick it;
`lab.html#frame=N` opens at frame N) and sets its title to "npgan lab: ready frame=N" once a frame is drawn,
or to "npgan lab: error: ..." on any script error, which is what the browser check reads.
"""
import base64
import json
import math

import numpy as np

from npgan._version import __version__
from npgan.checkpoint import atomic_file
from npgan.lab.page import TEMPLATE
from npgan.settings import check_int

MAX_FRAMES, MAX_EVERY = 1000, 10000
COLORMAP = "PuOr_r"  # D(x) near 0 (fake) purple ... near 1 (real) orange, as in the notebook's view


def _numbers(array, digits=8):
    """A list (nested as the array) of floats to `digits` significant digits (None for NaN)."""
    flat = [float(f"{v:.{digits}g}") if math.isfinite(v) else None for v in np.asarray(array, np.float64).ravel()]
    return np.array(flat, dtype=object).reshape(np.shape(array)).tolist()


def _bytes(d):
    """D(x) in [0, 1] as base64 of the bytes round(255·D(x)), row by row (row 0: the lowest y)."""
    return base64.b64encode(np.clip(np.rint(255.0 * np.asarray(d)), 0, 255).astype(np.uint8).tobytes()).decode()


def frame_data(lab):
    """One frame of the page from the lab's current state."""
    f = lab.frame()
    two_d = lab.problem.dim == 2
    out = {"iteration": f["iteration"], "d_updates": f["d_updates"], "g_updates": f["g_updates"],
           "fake": _numbers(f["fake"], 6), "gx": _numbers(f["gx"]), "arrows_from": f["arrows_from"],
           "gmap": _numbers(f["gmap"], 5), "value": f["value"], "jsd": f["jsd"], "modes": f["modes"]}
    if two_d:
        out.update(heat=_bytes(f["d"]), d_star=_bytes(f["d_star"]))
    else:
        width = (lab.problem.window[1] - lab.problem.window[0]) / lab.settings["resolution"]
        out.update(d=_numbers(f["d"], 4), d_star=_numbers(f["d_star"], 4), p_g=_numbers(f["p_g"] / width, 4))
    return out


def record(lab, frames=60, every=10, progress=None):
    """Frame 0 (the untrained nets, arrows previewed), then `frames` frames `every` iterations apart."""
    frames, every = check_int("frames", frames, high=MAX_FRAMES), check_int("every", every, high=MAX_EVERY)
    p, s = lab.problem, lab.settings
    _, centres = p.edges(s["resolution"])
    meta = {"version": __version__, "data": p.name, "dim": p.dim, "window": list(p.window), "scale": p.scale,
            "resolution": s["resolution"], "cells": _numbers(centres, 6), "loss": s["loss"], "k": s["k"],
            "optimizer": s["optimizer"], "lr": s["lr"], "hidden": s["hidden"], "batch_size": s["batch_size"],
            "seed": s["seed"], "every": every, "log4": math.log(4.0), "n_modes": len(p.centres),
            "colormap": _lut(COLORMAP)}
    if p.dim == 1:
        meta["p_data"] = _numbers(lab.p_data / ((p.window[1] - p.window[0]) / s["resolution"]), 4)
    out = {"meta": meta, "real": _numbers(lab.real_shown[:300], 5), "frames": [frame_data(lab)]}
    for index in range(frames):
        for _ in range(every):
            lab.iteration()
        out["frames"].append(frame_data(lab))
        if progress:
            progress(index + 1)
    return out


def _lut(name):
    """256 '#rrggbb' colours of a matplotlib colormap (matplotlib is needed to record; the page is not)."""
    from matplotlib import colormaps
    rgba = colormaps[name](np.linspace(0.0, 1.0, 256))
    return ["#%02x%02x%02x" % tuple(int(round(255 * c)) for c in row[:3]) for row in rgba]


def html(rec):
    """The page: the template with the record inlined as JSON (`</` escaped, so no data can end the script)."""
    data = json.dumps(rec, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return TEMPLATE.replace("/*DATA*/null", data)


def write_html(rec, path):
    """Write the page atomically (a reader sees the old file or the whole new one)."""
    with atomic_file(path, "w") as f:
        f.write(html(rec))
    return path


def read_record(path):
    """The record inlined in a page written by write_html (for tests and tools)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("const DATA = ") + len("const DATA = ")
    end = text.index(";\n", start)
    return json.loads(text[start:end].replace("<\\/", "</"))
