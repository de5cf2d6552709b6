"""Every dashboard in a real browser: Voila on 127.0.0.1, Playwright driving Debian's Chromium.

One Voila server (serving all three dashboards) is started for the whole module.
Skipped with a reason when Chromium or Playwright is missing, unless ``CI`` is
set, in which case that is a failure.
"""

from __future__ import annotations

import os

import pytest
from browser_support import Page, VoilaServer, browser, playwright_missing

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_missing = playwright_missing()
if _missing:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {_missing}", pytrace=False)
    pytest.skip(_missing, allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    srv = VoilaServer("all", pool=0).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def context():
    with browser() as ctx:
        yield ctx


def open_dashboard(context, server, name: str) -> Page:
    page = Page(context, server.page_url(name), timeout=90)
    return page


def assert_clean(page: Page) -> None:
    assert page.error_outputs() == [], "error output on the page"
    assert page.errors == [], "browser console errors"


def font_size(page: Page, selector: str) -> float:
    return page.page.eval_on_selector(
        selector, "el => parseFloat(getComputedStyle(el).fontSize)")


def test_trainer(context, server):
    p = open_dashboard(context, server, "trainer")
    page = p.page
    assert_clean(p)
    assert page.get_by_text("Coproduction simulator: trainer's view").is_visible()
    caption = page.locator("p.coprod-caption").first.inner_text()
    assert caption.startswith("By week")

    # changing a control changes the chart
    before = p.draws()
    src = page.locator("img.coprod-chart-img").first.get_attribute("src")
    page.get_by_label("Pay out-of-pocket expenses").check()
    p.wait_redraw(before)
    assert page.locator("img.coprod-chart-img").first.get_attribute("src") != src

    # the chart picker switches chart
    before = p.draws()
    page.locator(".coprod-root select").filter(has_text="Who is missing").select_option(
        label="Who is missing")
    p.wait_redraw(before)
    assert page.locator("img.coprod-chart-img").first.get_attribute("data-chart") == \
        "who_is_missing"

    # presenter mode changes the text size (and redraws the chart larger)
    label = ".coprod-lever .widget-label"
    small = font_size(p, label)
    small_caption = font_size(p, "p.coprod-caption")
    before = p.draws()
    page.get_by_role("button", name="Presenter mode").click()
    p.wait_redraw(before)
    assert font_size(p, label) > small
    assert font_size(p, "p.coprod-caption") > small_caption

    # predict, then reveal
    page.get_by_role("button", name="Hide results").click()
    page.get_by_text("Results hidden.").wait_for()
    assert not page.locator("img.coprod-chart-img").first.is_visible()
    page.get_by_role("button", name="Go up").click()
    page.get_by_role("button", name="Reveal").click()
    page.locator(".coprod-message-ok").filter(has_text="Taking part").wait_for()
    assert page.locator("img.coprod-chart-img").first.is_visible()
    assert_clean(p)


def test_compare(context, server):
    p = open_dashboard(context, server, "compare")
    page = p.page
    page.wait_for_function("document.querySelectorAll('img.coprod-chart-img').length >= 2")
    assert_clean(p)
    titles = page.locator("h3.coprod-side-title").all_inner_texts()
    assert titles == ["A: Tokenistic consultation", "B: Full coproduction"]
    table = page.locator("table.coprod-difference")
    assert "Difference (B minus A)" in table.inner_text()
    assert table.locator("tr[data-outcome]").count() >= 10
    missing = page.locator("figure img[alt^='Who is missing in each scenario']")
    alt = missing.get_attribute("alt")
    assert "A: Tokenistic consultation" in alt and "B: Full coproduction" in alt

    # change scenario B: its chart and the differences change, A's chart does not
    diff = table.inner_text()
    before_a, before_b = p.draws(0), p.draws(1)
    page.locator(".coprod-side-b select").first.select_option(label="Questionnaire only")
    p.wait_redraw(before_b, nth=1)
    page.wait_for_function(
        "t => document.querySelector('table.coprod-difference').innerText !== t", arg=diff)
    assert p.draws(0) == before_a
    assert "B: Questionnaire only" in page.locator("h3.coprod-side-title").all_inner_texts()
    assert_clean(p)


def test_explorer(context, server):
    p = open_dashboard(context, server, "explorer")
    page = p.page
    assert_clean(p)
    assert page.locator(".widget-accordion, .jupyter-widget-Accordion").count() >= 1
    before = p.draws()
    page.locator(".coprod-root select").first.select_option(label="Full coproduction")
    p.wait_redraw(before)
    assert_clean(p)
