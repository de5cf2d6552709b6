"""The page a trainee lands on, in a real browser: notebook 00, code folded, no pop-up.

``coprod-sim start``'s JupyterLab on a fresh working folder, opened at the printed
address with Playwright driving Debian's Chromium (internet hosts blocked).
Skipped with a reason when Chromium or Playwright is missing, unless ``CI`` is
set, in which case that is a failure.
"""

from __future__ import annotations

import pytest
from browser_support import browser, require_browser

from coprod_sim.lab import launch
from coprod_sim.workspace import prepare

pytestmark = [pytest.mark.browser, pytest.mark.slow]

require_browser()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trainee") / "work"
    prepare(folder)
    server = launch(folder)
    assert server.wait_ready(), (folder / ".jupyter" / "lab.log").read_text()[-2000:]
    yield server
    server.stop()


@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_trainee_lands_on_notebook_00_with_code_folded_and_no_pop_up(lab, size):
    with browser() as context:
        page = context.new_page()
        page.set_viewport_size({"width": size[0], "height": size[1]})
        outside = []
        page.on("request", lambda r: None if r.url.startswith("http://127.0.0.1") else
                outside.append(r.url))
        page.goto(lab.url)
        page.wait_for_selector(".jp-Notebook .jp-MarkdownCell", timeout=90_000)
        page.wait_for_timeout(3000)  # let any pop-up arrive
        active = page.locator(".jp-mod-current .lm-TabBar-tabLabel, "
                              ".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
        assert "00_start_here.ipynb" in active.all_inner_texts()
        assert page.locator(".jp-Launcher:visible").count() == 0, "the Launcher covers 00"
        assert page.locator(".Toastify__toast").count() == 0, "a pop-up covers the text"
        assert page.locator(".jp-MarkdownOutput h1", has_text="Start here").is_visible()
        folded = page.locator(".jp-CodeCell .jp-InputPlaceholder")
        assert folded.count() >= 1
        assert page.locator(".jp-CodeCell .jp-InputArea:visible").count() == 0, "code is shown"
        assert "Instructions for the computer" in folded.first.evaluate(
            "e => getComputedStyle(e.querySelector('.jp-PlaceholderText'), '::before')"
            ".content")
        if size == (1366, 768):  # run the first box, as notebook 00 asks
            folded.first.click()
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector(".jp-CodeCell .jp-OutputArea-output:has-text('ready')",
                                   timeout=90_000)
            out = page.locator(".jp-CodeCell .jp-OutputArea-output").first.inner_text()
            assert str(lab.folder / "my_work") in out, out
        assert not [u for u in outside if not u.startswith(("data:", "blob:"))], outside
        page.close()
