"""The room's devices and answers under attack and on a full disk (no dashboard server).

The join page's handlers run in a plain tornado application on 127.0.0.1 (a
thread of this test), with ``X-Real-Ip`` trusted so that one test can speak
from several network addresses, as phones in a room do.

* Hole 3 of the security review: any 16-64 character cookie was a device, and
  500 made-up devices filled the room in 2.3 s. Now devices are issued and
  signed by the server, one address gets a few, and answers are rate-limited
  per device and per address.
* Failure 10: a full disk or a question id of 2**70 gave a 500 and a traceback;
  now a 503 (or 400) with one JSON line, and one line in the trainer's terminal.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import sqlite3
import threading
import urllib.error
import urllib.request

import pytest
import tornado.httpserver
import tornado.web

from coprod_sim.room import handlers as h
from coprod_sim.room.store import MAX_DEVICES, QuestionSpec, Store

TOKEN = "join-test-Token_17"
CHOICE = QuestionSpec("05_email", "choice", "Will trust go up or down?",
                      options=("Go up", "Go down", "Stay about the same"))


class App:
    """The room's routes served from a thread, on a free port of 127.0.0.1."""

    def __init__(self, folder):
        self.store = Store.create_session(folder)
        self.qid = self.store.open_question(CHOICE)
        self.room = h.Room(self.store.path, TOKEN)
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(asyncio.new_event_loop())
            app = tornado.web.Application(h.room_handlers(self.room))
            self.server = tornado.httpserver.HTTPServer(app, xheaders=True)
            self.server.listen(0, "127.0.0.1")
            self.port = next(iter(self.server._sockets.values())).getsockname()[1]
            self.loop = tornado.ioloop.IOLoop.current()
            ready.set()
            self.loop.start()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)

    def stop(self):
        self.loop.add_callback(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def app(tmp_path):
    a = App(tmp_path)
    yield a
    a.stop()


class Phone:
    """One device at one network address, with its own cookies."""

    def __init__(self, app: App, ip: str = "10.0.0.5", cookie: str | None = None):
        self.app, self.ip = app, ip
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.cookie = cookie

    def call(self, path, body=None):
        headers = {"X-Real-Ip": self.ip, "Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = f"{h.DEVICE_COOKIE}={self.cookie}"
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.app.port}/join/{path}?token={TOKEN}",
            data=None if body is None else json.dumps(body).encode(), headers=headers)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def join(self):
        return self.call("")

    def answer(self, choice="Go up", qid=None):
        return self.call("api/answer", {"question": qid or self.app.qid, "choice": choice})


# -- hole 3: devices are the server's ----------------------------------------------------------


@pytest.mark.parametrize("cookie", ["a" * 16, "A" * 64, "made-up-device-id-0001",
                                    "2|1:0|10:1700000000|13:coprod_device|24:eA==|" + "0" * 64])
def test_a_made_up_device_cannot_answer(app, cookie):
    status, _, body = Phone(app, cookie=cookie).answer()
    assert status == 400 and "no id yet" in json.loads(body)["error"]
    assert app.store.answered(app.qid) == 0


def test_a_device_cookie_is_signed_and_works(app):
    phone = Phone(app)
    assert phone.join()[0] == 200
    (cookie,) = [c for c in phone.jar if c.name == h.DEVICE_COOKIE]
    assert cookie.value.count("|") >= 4  # tornado's signed value: version, time, signature
    assert phone.answer()[0] == 200 and app.store.answered(app.qid) == 1
    # a changed signature is no device
    forged = cookie.value[:-4] + ("0000" if not cookie.value.endswith("0000") else "1111")
    assert Phone(app, cookie=forged).answer()[0] == 400


def test_one_address_cannot_fill_the_room(app):
    """The attack: one client makes devices and answers as fast as it can."""
    accepted = 0
    for _ in range(3 * h.DEVICES_PER_ADDRESS):
        phone = Phone(app, ip="10.0.0.66")
        phone.join()
        if phone.answer()[0] == 200:
            accepted += 1
    assert accepted == h.DEVICES_PER_ADDRESS < MAX_DEVICES
    # every real phone, at its own address, still gets in
    for i in range(20):
        real = Phone(app, ip=f"10.0.1.{i + 1}")
        assert real.join()[0] == 200
        assert real.answer()[0] == 200, i
    assert app.store.answered(app.qid) == h.DEVICES_PER_ADDRESS + 20


def test_answers_are_rate_limited_per_device(app):
    phone = Phone(app)
    phone.join()
    got = [phone.answer(("Go up", "Go down")[i % 2])[0] for i in range(h.ANSWERS_PER_DEVICE + 2)]
    assert got[:h.ANSWERS_PER_DEVICE] == [200] * h.ANSWERS_PER_DEVICE
    status, headers, body = phone.answer()
    assert status == 429 and headers.get("Retry-After") and "wait" in json.loads(body)["error"]


def test_answers_are_rate_limited_per_address():
    room = h.Room(__import__("pathlib").Path("/nonexistent.sqlite"), TOKEN)
    ok = [room.allow("answer-address", "10.0.0.9", h.ANSWERS_PER_ADDRESS, h.ANSWER_WINDOW,
                     now=t * 0.01) for t in range(h.ANSWERS_PER_ADDRESS + 1)]
    assert ok == [True] * h.ANSWERS_PER_ADDRESS + [False]
    assert room.allow("answer-address", "10.0.0.10", 1, h.ANSWER_WINDOW, now=0.5)
    assert room.allow("answer-address", "10.0.0.9", h.ANSWERS_PER_ADDRESS, h.ANSWER_WINDOW,
                      now=h.ANSWER_WINDOW + 1)  # a window later, answers again


# -- failure 10: full disk, huge ids: one JSON line, never a traceback ---------------------------


def _disk_full(*_a, **_k):
    raise sqlite3.OperationalError("database or disk is full")


@pytest.mark.parametrize("case, status, says", [
    ("question 2**70", 400, "question is 1180591620717411303424"),
    ("question -1", 400, "question is -1"),
    ("question 2**63", 400, "question is 9223372036854775808"),
    ("question 1.5", 400, "question is 1.5"),
    ("disk full on answer", 503, "cannot keep answers"),
    ("disk full on question", 503, "cannot keep answers"),
])
def test_answers_that_cannot_be_kept_get_one_clear_json_line(app, capfd, monkeypatch, case,
                                                             status, says):
    phone = Phone(app)
    phone.join()
    capfd.readouterr()
    if case.startswith("disk full"):
        monkeypatch.setattr(Store, "submit", _disk_full)
        monkeypatch.setattr(Store, "current", _disk_full)
    if case.startswith("question ") and case != "question 1.5":
        qid = eval(case.split(" ", 1)[1])  # noqa: S307 - the table's own numbers
    else:
        qid = 1.5 if case == "question 1.5" else app.qid
    if case == "disk full on question":
        got, headers, body = phone.call("api/question")
    else:
        got, headers, body = phone.call("api/answer", {"question": qid, "choice": "Go up"})
    assert got == status
    assert headers["Content-Type"].startswith("application/json")
    assert says in json.loads(body)["error"]
    err = capfd.readouterr().err
    assert "Traceback" not in err
    if status == 503:
        assert err.count("\n") == 1 and "database or disk is full" in err
