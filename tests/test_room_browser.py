"""The room in real Chromium: the trainer's page shows the join code, 30 devices answer,
the trainer's view counts them, Reveal shows the model beside the room, and a phone answers.

The server runs in room mode on 127.0.0.1; devices are HTTP clients with their
own cookies (tests/room_support.py); Playwright drives Debian's Chromium.
Screenshots go to a temporary folder (printed with ``-s``).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest
from browser_support import (
    Page,
    axe_source,
    browser,
    describe_violations,
    require_browser,
)
from room_support import Device, RoomServer

from coprod_sim.room.questions import moment_label

pytestmark = [pytest.mark.browser, pytest.mark.slow]

require_browser()

SHOTS = Path(os.environ.get("COPROD_SCREENSHOTS") or tempfile.mkdtemp(prefix="room-shots-"))

AXE_RUN = """async (selector) => {
    const r = await axe.run(selector ? {include: [[selector]]} : document,
        {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
    return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' +
                           (n.failureSummary || '').slice(0, 200))}));
}"""


def axe(page, selector: str | None = None) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations; loaded by evaluation (the join page's CSP
    forbids inline scripts, which is what injecting a script tag would add)."""
    source = axe_source()
    if source is None:
        pytest.skip("axe-core is not installed and npm is not available")
    page.evaluate(source)
    return page.evaluate(AXE_RUN, selector)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = RoomServer(tmp_path_factory.mktemp("rooms") / "sessions").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def context():
    with browser(1366, 768) as ctx:
        yield ctx


def shot(page, name: str, selector: str | None = None) -> Path:
    path = SHOTS / f"{name}.png"
    if selector:
        page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def wait_store(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("the session did not reach the expected state")


def test_a_room_of_predictions_end_to_end(context, server):
    trainer = Page(context, server.url(""), timeout=120, wait_for="img.coprod-room-qr")
    page = trainer.page
    store = server.store()

    # the join code: a QR code and the address, with the token, naming this server
    join = server.join_url("join")  # the join token, never the trainer's
    assert page.locator(".coprod-room-address").inner_text().strip() == join
    assert join in page.locator("img.coprod-room-qr").get_attribute("alt")

    # ask the room a curriculum moment
    page.locator(".coprod-room select").select_option(label=moment_label("05_email"))
    page.get_by_role("button", name="Ask the room").click()
    wait_store(lambda: store.current() is not None and store.current().state == "open")
    q = store.current()
    assert q.key == "05_email"
    page.wait_for_selector(".coprod-room-question")

    # a phone joins: the question, with one large, labelled choice per option
    phone = context.new_page()
    errors: list[str] = []
    external: list[str] = []
    phone.on("console", lambda m: errors.append(f"{m.text} at {m.location}")
             if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    phone.on("request", lambda r: external.append(r.url)
             if not r.url.startswith(server.base) else None)
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(join, wait_until="load")
    phone.get_by_role("group", name=q.text).wait_for()
    for option in q.options:
        assert phone.get_by_role("radio", name=option).is_enabled()
    shot(phone, "join-phone-choice-390x844")
    found = axe(phone)
    assert found == [], describe_violations(found)

    # 30 devices answer over HTTP, at once
    devices = [Device(server) for _ in range(30)]
    for d in devices:
        assert d.join().status == 200
    barrier = threading.Barrier(30)
    statuses: list[int] = []

    def send(i: int, d: Device) -> None:
        barrier.wait()
        statuses.append(d.answer({"question": q.id, "choice": q.options[i % 3]}).status)

    threads = [threading.Thread(target=send, args=(i, d)) for i, d in enumerate(devices)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = time.perf_counter() - t0
    assert statuses == [200] * 30 and sent < 5

    # the trainer's view counts 30 (it reads the answers every second)
    t1 = time.perf_counter()
    page.wait_for_function(
        "() => { const b = document.querySelector('.coprod-room-count b');"
        " return b && b.textContent.trim() === '30'; }", timeout=20000)
    seen = time.perf_counter() - t1
    print(f"30 answers sent in {sent:.2f} s; the trainer's view showed 30 {seen:.1f} s later")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.coprod-room-bars td.n')]"
        ".map(td => td.textContent).join() === '10 (33%),10 (33%),10 (33%)'", timeout=10000)
    shot(page, "trainer-room-live-1366x768", ".coprod-room")

    # reveal: the model's result beside the room's distribution, with reasons
    page.get_by_role("button", name="Reveal").click()
    model = page.locator(".coprod-room-model")
    model.wait_for(timeout=90000)
    answer = model.locator(".answer").inner_text().strip()
    assert answer in q.options
    assert page.locator(".coprod-room-bars tr.model th").inner_text().startswith(answer)
    bars_box = page.locator(".coprod-room-distribution").bounding_box()
    model_box = page.locator(".coprod-room-result").bounding_box()
    assert model_box["x"] >= bars_box["x"] + bars_box["width"] - 1  # beside, not below
    assert model_box["y"] < bars_box["y"] + bars_box["height"]
    assert "chose the model's answer" in model.inner_text()
    assert store.current().state == "revealed"
    top = "el => el.scrollIntoView({block: 'start'})"
    page.locator(".coprod-room h3").evaluate(top)
    shot(page, "trainer-room-reveal-1366x768")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.locator(".coprod-room h3").evaluate(top)
    shot(page, "trainer-room-reveal-1280x720")
    # presenter mode (a projector) makes the room's text larger too
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    small = page.locator(".coprod-room-bars").evaluate(size)
    page.get_by_role("button", name="Presenter mode").click()
    page.wait_for_function("() => document.querySelector('.coprod-presenter')")
    assert page.locator(".coprod-room-bars").evaluate(size) > small
    # one projector screen shows the question, the room's answers and the chart together
    for width, height in ((1280, 720), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        shot(page, f"trainer-room-presenter-{width}x{height}")
        for selector in ("img.coprod-chart-img", ".coprod-room-question",
                         ".coprod-room-bars"):
            box = page.locator(selector).first.bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= height + 1, \
                (width, height, selector, box)
        # the model's answer starts on the same screen too
        assert page.locator(".coprod-room-model").bounding_box()["y"] < height, (width,)
    found = axe(page)  # the whole page, in presenter mode with the room
    assert found == [], describe_violations(found)
    page.get_by_role("button", name="Presenter mode").click()
    page.set_viewport_size({"width": 1366, "height": 768})

    found = axe(page, ".coprod-room")
    assert found == [], describe_violations(found)
    assert trainer.errors == [], "browser console errors on the trainer's page"
    assert trainer.external == [], "the trainer's page asked another host (a CDN)"

    # the phone shows the next question (a slider) and answers it on screen
    page.locator(".coprod-room select").select_option(label=moment_label("02_young"))
    page.get_by_role("button", name="Ask the room").click()
    wait_store(lambda: store.current().key == "02_young")
    phone.get_by_label(store.current().text).wait_for()  # the open page follows by itself
    slider = phone.get_by_label(store.current().text)
    slider.fill("20")
    phone.get_by_role("button", name="More").click()
    assert phone.locator("#estimate-value").inner_text() == "21%"
    shot(phone, "join-phone-390x844")
    phone.get_by_role("button", name="Send my prediction").click()
    phone.get_by_text("Sent: 21%").wait_for()
    qid = store.current().id
    assert store.values(qid) == [21.0]
    for target in ("button", "input", "label.option"):
        for box in [el.bounding_box() for el in phone.locator(target).all()
                    if el.is_visible()]:
            assert box["height"] >= 44, (target, box)
    found = axe(phone)
    assert found == [], describe_violations(found)

    # the trainer reveals; the phone shows the model's answer
    page.get_by_role("button", name="Reveal").click()
    phone.locator("#result").wait_for(state="visible", timeout=90000)
    assert phone.locator("#result-answer").inner_text().strip().endswith("%")
    assert phone.get_by_role("button", name="Send my prediction").is_disabled()
    shot(phone, "join-phone-revealed-390x844")
    for width, height in ((1366, 768), (1280, 720)):  # a trainee's laptop
        phone.set_viewport_size({"width": width, "height": height})
        shot(phone, f"join-laptop-revealed-{width}x{height}")
    assert errors == [], "browser console errors on the join page"
    assert external == [], "the join page asked another host"
    assert trainer.errors == [], "browser console errors on the trainer's page"
    assert trainer.external == [], "the trainer's page asked another host (a CDN)"
    store.close()
