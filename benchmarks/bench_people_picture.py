"""Speed of the people picture and the chapters' live levers (prints figures; not a test).

    .venv/bin/python benchmarks/bench_people_picture.py [--browser]

1. In the kernel: the time of one live-lever update (one 52-week run with every
   person's week recorded, the people we follow, their stories and the data for
   the browser), over lever changes that each make a new plan; and the size of
   the data sent to the browser.
2. With ``--browser``: Voila on 127.0.0.1 serving a one-cell notebook with a live
   lever, in Debian's Chromium through Playwright: weeks shown per second while
   playing, the browser's time to draw one week, and the time from clicking a
   lever to the redrawn picture (kernel run, messages and drawing).

Floors from issue 9: at least 10 weeks a second for 200 people; a live update
within 300 ms for one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from coprod_sim.curriculum.live import LiveLever  # noqa: E402
from coprod_sim.presets import get  # noqa: E402


def kernel_side(changes: int = 20) -> None:
    """Time live updates in the kernel; print median and slowest."""
    panel = LiveLever(get("default"), ["power_sharing", "feedback_rationale"], "retention")
    times = []
    for k in range(changes):
        times.append(panel.update(power_sharing=round(0.05 + 0.9 * k / changes, 3),
                                  feedback_rationale=bool(k % 2)))
    size = len(json.dumps(panel.picture.data))
    print(f"kernel: live update median {statistics.median(times):.0f} ms, slowest "
          f"{max(times):.0f} ms over {changes} new plans; {size / 1024:.0f} KB sent to "
          "the browser per update")


def browser_side() -> None:
    """Serve a live lever with Voila and measure it in Chromium."""
    from browser_support import CHROMIUM_ARGS, chromium_path, playwright_missing
    from playwright.sync_api import sync_playwright

    why = playwright_missing()
    if why:
        print(f"browser: skipped ({why})")
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-people-"))
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": "from coprod_sim.curriculum import start\n"
                               "kit = start('05')\n"
                               "kit.live('feedback_rationale', outcome='retention')"}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / "live.ipynb").write_text(json.dumps(nb))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_PLATFORM_DIRS": "1",
           "COPROD_WORK_DIR": str(folder / "my_work"), "MPLBACKEND": "Agg"}
    log = open(folder / "voila.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "voila", "live.ipynb", f"--port={port}",
                             "--no-browser", "--Voila.ip=127.0.0.1"], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/static/voila.js",
                                       timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1366, "height": 768})
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda r: r.abort())
            page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
            page.wait_for_selector(".coprod-people svg", timeout=180_000)
            pic = page.query_selector(".coprod-people")
            pic.query_selector(".coprod-people-play").click()
            w0, t0 = int(pic.get_attribute("data-week")), time.monotonic()
            time.sleep(2.0)
            w1, t1 = int(pic.get_attribute("data-week")), time.monotonic()
            draw = pic.get_attribute("data-draw-ms")
            time.sleep(4.5)
            lags = []
            for _ in range(6):
                built = pic.get_attribute("data-built")
                idle = [x for x in page.query_selector_all(".widget-toggle-buttons button")
                        if "mod-active" not in (x.get_attribute("class") or "")]
                start = time.monotonic()
                idle[0].click()
                page.wait_for_function("([el, b]) => el.dataset.built !== b",
                                       arg=[pic, built], timeout=20_000)
                lags.append((time.monotonic() - start) * 1000)
                time.sleep(0.4)
            b.close()
        print(f"browser: {(w1 - w0) / (t1 - t0):.1f} weeks a second while playing "
              f"(one week drawn in {draw} ms); click to redrawn picture median "
              f"{statistics.median(lags):.0f} ms, slowest {max(lags):.0f} ms")
    finally:
        os.killpg(os.getpgid(proc.pid), 15)
        log.close()


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--browser", action="store_true", help="also measure in Chromium")
    args = ap.parse_args()
    kernel_side()
    if args.browser:
        browser_side()


if __name__ == "__main__":
    main()
