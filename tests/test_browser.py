"""Every dashboard in a real browser: the kit's server on 127.0.0.1, Playwright driving Chromium.

One server (serving all three dashboards) is started for the whole module.
Each page must render with a clean console, ask nothing of any other host (an
offline room has no internet), pass axe-core's WCAG 2.1 A and AA rules, keep
its text at 14 px or more, and, in presenter mode on a 1280x720 projector,
show the chart (and after Reveal, the verdict beside it) without scrolling.
Skipped with a reason when Chromium or Playwright is missing, unless ``CI`` is
set, in which case that is a failure.
"""

from __future__ import annotations

import os

import pytest
from browser_support import (
    Page,
    VoilaServer,
    axe_source,
    axe_violations,
    browser,
    describe_violations,
    require_browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

require_browser()

DASHBOARDS = ("trainer", "compare", "explorer")


@pytest.fixture(scope="module")
def server():
    # every test opens its own page: room for all of them (the cap has its own tests)
    srv = VoilaServer("all", pool=0, max_kernels=30).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def context():
    with browser() as ctx:
        yield ctx


@pytest.fixture(scope="module")
def projector():
    """A 1280x720 screen, as a projector shows it."""
    with browser(1280, 720) as ctx:
        yield ctx


@pytest.fixture(scope="module")
def axe():
    source = axe_source()
    if source is None:
        if os.environ.get("CI"):
            pytest.fail("axe-core cannot be installed (npm missing)", pytrace=False)
        pytest.skip("axe-core is not installed and npm is not available")
    return source


def open_dashboard(context, server, name: str) -> Page:
    return Page(context, server.page_url(name), timeout=180)


def assert_clean(page: Page) -> None:
    assert page.error_outputs() == [], "error output on the page"
    assert page.errors == [], f"browser console errors: {page.errors}"
    assert page.external == [], f"requests to other hosts: {page.external}"


def font_size(page: Page, selector: str) -> float:
    return page.page.eval_on_selector(
        selector, "el => parseFloat(getComputedStyle(el).fontSize)")


def small_text(page: Page, below: float = 14) -> list[str]:
    """Visible text set smaller than ``below`` px."""
    return page.page.evaluate(
        """(below) => { const out = [];
        for (const el of document.querySelectorAll('body *')) {
          if (!el.getClientRects().length) continue;
          const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
          if (!own) continue;
          const size = parseFloat(getComputedStyle(el).fontSize);
          if (size < below) out.push(size + 'px: ' + el.textContent.trim().slice(0, 40));
        } return out; }""", below)


def box(page: Page, selector: str, nth: int = 0) -> dict:
    return page.page.locator(selector).nth(nth).bounding_box()


def presenter_on(p: Page) -> None:
    before = p.draws()
    p.page.get_by_role("button", name="Presenter mode").click()
    p.wait_redraw(before)
    p.page.wait_for_timeout(300)  # layout settles


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
    page.get_by_role("checkbox", name="Pay out-of-pocket expenses").check()
    p.wait_redraw(before)
    assert page.locator("img.coprod-chart-img").first.get_attribute("src") != src

    # the chart picker switches chart
    before = p.draws()
    page.locator(".coprod-root select").filter(has_text="Who is missing").select_option(
        label="Who is missing")
    p.wait_redraw(before)
    assert page.locator("img.coprod-chart-img").first.get_attribute("data-chart") == \
        "who_is_missing"

    # help opens by a tap or click (a touch screen cannot hover)
    badge = page.locator("details.coprod-help summary").first
    body = page.locator("details.coprod-help .coprod-help-body").first
    assert not body.is_visible()
    badge.click()
    assert body.is_visible() and "Evidence:" in body.inner_text()
    badge.click()

    # presenter mode changes the text size (and redraws the chart larger)
    label = ".coprod-lever .widget-label"
    small = font_size(p, label)
    small_caption = font_size(p, "p.coprod-caption")
    presenter_on(p)
    assert font_size(p, label) > small
    assert font_size(p, "p.coprod-caption") > small_caption

    # predict, then reveal: the verdict sits above the chart of the predicted outcome
    page.get_by_role("button", name="Hide results").click()
    page.get_by_text("Results hidden.").wait_for()
    assert not page.locator("img.coprod-chart-img").first.is_visible()
    page.get_by_role("button", name="Go up").click()
    before = p.draws()
    page.get_by_role("button", name="Reveal").click()
    p.wait_redraw(before)
    verdict = page.locator(".coprod-verdict-text").filter(has_text="Taking part")
    verdict.wait_for()
    chart = page.locator("img.coprod-chart-img").first
    assert chart.is_visible() and chart.get_attribute("data-chart") == "participation"
    assert verdict.bounding_box()["y"] < chart.bounding_box()["y"]
    # the upload button reads as a label, without ipywidgets' file count "(0)"
    upload = page.locator("button.coprod-upload, .coprod-upload button").first
    page.wait_for_function("() => !/\\(\\d+\\)/.test("
                           "document.querySelector('.coprod-upload').textContent)")
    assert upload.inner_text().strip() == "Load a scenario file"
    assert_clean(p)
    page.close()


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
    # the outcomes' definitions open by a tap (a touch screen cannot hover)
    meaning = page.locator(".coprod-difference + details.coprod-definitions")
    assert not meaning.locator("dd").first.is_visible()
    meaning.locator("summary").click()
    assert meaning.locator("dd").first.is_visible()
    assert meaning.locator("dt").count() == table.locator("tr[data-outcome]").count()
    missing = page.locator("figure img[alt^='Who is missing in each scenario']")
    alt = missing.get_attribute("alt")
    assert "A: Tokenistic consultation" in alt and "B: Full coproduction" in alt
    # groups scenario A never invites are "not invited", not missing; plain labels
    assert "families: A: Tokenistic consultation not invited" in alt
    assert "people not online" in alt and "who not online" not in alt

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
    page.close()


def test_explorer(context, server):
    p = open_dashboard(context, server, "explorer")
    page = p.page
    assert_clean(p)
    assert page.locator(".widget-accordion, .jupyter-widget-Accordion").count() >= 1
    before = p.draws()
    page.locator(".coprod-root select").first.select_option(label="Full coproduction")
    p.wait_redraw(before)
    assert_clean(p)
    page.close()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_accessible_and_readable(context, server, axe, name):
    """axe-core finds no WCAG 2.1 A/AA violation, in normal and presenter mode; no small text."""
    p = open_dashboard(context, server, name)
    found = axe_violations(p.page, axe)
    assert found == [], describe_violations(found)
    assert small_text(p) == []
    presenter_on(p)
    found = axe_violations(p.page, axe)
    assert found == [], describe_violations(found)
    assert_clean(p)
    p.page.close()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_presenter_mode_on_a_projector_shows_the_chart_first(projector, server, name):
    p = open_dashboard(projector, server, name)
    presenter_on(p)
    if os.environ.get("COPROD_SCREENSHOTS"):  # a folder to keep them in, for a person to look
        p.page.screenshot(path=os.path.join(os.environ["COPROD_SCREENSHOTS"],
                                            f"{name}-1280x720-presenter.png"))
    charts = 2 if name == "compare" else 1
    for i in range(charts):
        chart = box(p, "img.coprod-chart-img", i)
        assert chart["y"] >= 0 and chart["y"] + chart["height"] <= 720, chart
    # no label or button cut short ("Present...")
    cut = p.page.evaluate("""() => [...document.querySelectorAll(
        '.coprod-toolbar .widget-label, .coprod-toolbar button')]
        .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent.trim())""")
    assert cut == []
    if name == "trainer":
        p.page.get_by_role("button", name="Hide results").click()
        p.page.get_by_role("button", name="Go up").click()
        before = p.draws()
        p.page.get_by_role("button", name="Reveal").click()
        p.wait_redraw(before)
        verdict = p.page.locator(".coprod-verdict-text")
        verdict.wait_for()
        p.page.wait_for_timeout(300)
        v, chart = verdict.bounding_box(), box(p, "img.coprod-chart-img")
        assert v["y"] >= 0 and v["y"] + v["height"] <= chart["y"]
        assert chart["y"] + chart["height"] <= 720
    assert_clean(p)
    p.page.close()
