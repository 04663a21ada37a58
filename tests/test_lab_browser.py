"""The recorded lab page in a real browser: headless Chromium opens it at two frames, the page reports it
loaded without a script error (it sets its title: "npgan lab: ready frame=N", or "npgan lab: error: ...",
read here through --dump-dom), and the two screenshots differ where the heatmap is. A page with a script
error is caught the same way (the check is not blind). Skipped, with the reason, without Chromium.
`NPGAN_LAB_SCREENSHOTS=docs/img` keeps the two screenshots (docs/lab.md shows them)."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from npgan.lab import Lab, export

BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (Debian: apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,720"]
PLANE = (slice(110, 560), slice(60, 520))  # rows, columns of the screenshot inside the heatmap


def browser(*args, timeout=90):
    return subprocess.run([BROWSER, *FLAGS, *args], capture_output=True, text=True, timeout=timeout)


def title(url):
    found = re.search(r"<title>(.*?)</title>", browser("--dump-dom", url).stdout)
    return found.group(1) if found else None


def screenshot(url, path):
    browser(f"--screenshot={path}", url)
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)


def test_the_page_loads_without_script_errors_and_the_heatmap_changes_between_frames(tmp_path):
    pytest.importorskip("matplotlib")
    page = export.write_html(export.record(Lab("ring", seed=0, hidden=64), frames=8, every=25),
                             str(tmp_path / "lab.html"))
    url = "file://" + page
    assert title(url + "#frame=0") == "npgan lab: ready frame=0"
    assert title(url + "#frame=8") == "npgan lab: ready frame=8"
    keep = os.environ.get("NPGAN_LAB_SCREENSHOTS")
    folder = keep or str(tmp_path)
    first = screenshot(url + "#frame=0", os.path.join(folder, "lab_frame0.png"))
    last = screenshot(url + "#frame=8", os.path.join(folder, "lab_frame8.png"))
    assert first.shape == last.shape == (720, 1000, 3)
    inside = np.abs(first[PLANE] - last[PLANE]).mean(axis=2)
    assert (inside > 30).mean() > 0.05, "the heatmap looks the same at frames 0 and 8"
    assert first[PLANE].std() > 5  # something is drawn there at all


def test_a_script_error_is_seen(tmp_path):
    pytest.importorskip("matplotlib")
    page = export.html(export.record(Lab("gaussian", hidden=8, resolution=20), frames=1, every=1))
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace("draw(asked ? +asked[1] : 0);", "drawn(0);"), encoding="utf-8")
    assert title("file://" + str(broken)).startswith("npgan lab: error:")
