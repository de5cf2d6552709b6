"""The join page's server: the token on every route, size caps, checked answers, 30 devices.

One dashboard server in room mode (127.0.0.1, a free port) for the module; the
trainer's side (opening and closing questions) goes through the session file,
as the trainer's panel does from its own process.
"""

from __future__ import annotations

import threading
import time

import pytest
from room_support import Device, RoomServer

from coprod_sim.room.store import QuestionSpec

pytestmark = pytest.mark.slow

CHOICE = QuestionSpec("05_email", "choice", "Will trust go up or down?",
                      options=("Go up", "Go down", "Stay about the same"))
ESTIMATE = QuestionSpec("02_young", "estimate", "What share of 16-34s?", low=0, high=60,
                        step=1, unit="%")

ROUTES = ["join", "join/", "join/static/room.js", "join/static/room.css",
          "join/api/question", "join/api/answer", "join/static/nothing.js", "join/else"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = RoomServer(tmp_path_factory.mktemp("rooms") / "sessions").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def store(server):
    s = server.store()
    yield s
    s.close()


def test_the_session_file_is_created_in_the_room_folder(server, store):
    assert server.session().parent == server.room_dir
    assert store.meta("join_url") == server.join_url("join")


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("token", ["", "wrong-token-00", "room-test-Token_4"])
def test_every_route_needs_the_room_token(server, path, token):
    d = Device(server)
    for method, body in (("GET", None), ("POST", b'{"question": 1, "choice": "Go up"}')):
        r = d.request(path, body, token=token, headers={"Content-Type": "application/json"},
                      method=method)
        assert r.status == 403, (method, path, r.status)
        assert b"coproduction" not in r.body.lower() or b"token" in r.body.lower()


#: Routes of the dashboard server outside the join page: pages, files, kernels, APIs.
DASHBOARD_ROUTES = ["", "voila/render/trainer.ipynb", "voila/static/voila.js",
                    "voila/api/themes/light/index.css", "api/kernels", "api/contents",
                    "api/sessions", "voila/files/README.md", "static/lab/x.js", "tree",
                    "login", "joinx"]


def _ws_status(server, path: str, token: str | None) -> int:
    """Status of a websocket handshake on ``path`` (101 when it is accepted)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    query = f"?token={token}" if token else ""
    conn.request("GET", f"/{path}{query}", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Origin": f"http://127.0.0.1:{server.port}"})
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("path", DASHBOARD_ROUTES)
def test_the_join_token_opens_no_dashboard_page_file_kernel_or_api(server, path):
    d = Device(server)
    assert d.join().status == 200  # the device has its cookie, as a trainee's phone does
    for method, body in (("GET", None), ("POST", b"{}")):
        r = d.request(path, body, token=server.join_token, method=method,
                      headers={"Content-Type": "application/json"})
        assert r.status == 403, (method, path, r.status)
        assert b"joining the room only" in r.body
        assert "Set-Cookie" not in r.headers
    r = d.request(path, token="", headers={"Authorization": f"token {server.join_token}"})
    assert r.status == 403, path
    r = d.request(path, token="")  # the join page's cookies open nothing either
    assert r.status == 403, path


def test_the_join_token_opens_no_kernel_websocket(server):
    for token in (server.join_token, "", "wrong-token-00"):
        assert _ws_status(server, "api/kernels/0000/channels", token) == 403, token
    # the trainer's token passes the guard (an unknown kernel is then not found)
    assert _ws_status(server, "api/kernels/0000/channels", server.token) != 403


def test_the_trainers_token_opens_the_dashboard_and_its_files(server):
    d = Device(server)
    for path in ("voila/static/voila.js", ""):
        r = d.request(path, token=server.token)
        assert r.status == 200, (path, r.status)
    page = d.request("", token=server.token).body.decode()
    assert "coprod" in page.lower()
    # the trainer's cookie then opens them without the token, and is HttpOnly, Lax
    assert any(c.name == "coprod_trainer" for c in d.jar)
    assert d.request("voila/static/voila.js", token="").status == 200
    raw = d.request("voila/static/voila.js", token=server.token).headers["Set-Cookie"]
    assert "HttpOnly" in raw and "SameSite=Lax" in raw and server.token not in raw
    # and the join page too
    assert d.request("join", token=server.token).status == 200
    assert d.request("join/api/question", token=server.token).status == 200


def test_the_join_page_and_its_files_are_served_with_the_token(server):
    d = Device(server)
    page = d.join()
    assert page.status == 200
    text = page.body.decode()
    assert "Your prediction" in text and '<html lang="en">' in text
    assert "http" not in text.replace('http-equiv', '')  # nothing from another site
    assert "Content-Security-Policy" in page.headers
    # a whole head, and no inline script added by the dashboard server (its policy forbids one)
    assert text.count("</head>") == 1 and "<script>" not in text
    assert any(c.name == "coprod_device" for c in d.jar)  # the device's id
    for name, kind in (("room.js", "javascript"), ("room.css", "css")):
        r = d.request(f"join/static/{name}")
        assert r.status == 200 and kind in r.headers["Content-Type"]
    for bad in ("join/static/join.html", "join/static/..%2F..%2Fstore.py",
                "join/static/%2e%2e/handlers.py", "join/else"):
        assert d.request(bad).status == 404, bad


def test_answers_are_checked_and_bodies_capped(server, store):
    qid = store.open_question(CHOICE)
    d = Device(server)
    d.join()
    ok = d.answer({"question": qid, "choice": "Go up"})
    assert ok.status == 200 and ok.json() == {"ok": True, "question": qid, "answer": "Go up"}

    cases = [
        ({"question": qid, "choice": "Go sideways"}, 400, "choice is 'Go sideways'; allowed"),
        ({"question": qid, "value": 3}, 400, "asks for a choice"),
        ({"question": "1", "choice": "Go up"}, 400, "question is '1'; allowed"),
        ({"question": 999, "choice": "Go up"}, 400, "question is 999; allowed"),
        ({"question": qid, "choice": "Go up", "admin": True}, 400, "field 'admin' is not"),
        ({"question": qid, "choice": "Go up", "name": "x" * 41}, 400, "name has 41"),
    ]
    for payload, status, message in cases:
        d = Device(server)  # one device each: a device may send only a few a second
        d.join()
        r = d.answer(payload)
        assert r.status == status, payload
        assert message in r.json()["error"], r.json()
        assert "\n" not in r.json()["error"]

    big = d.request("join/api/answer", b'{"question": 1, "name": "' + b"x" * 5000 + b'"}',
                    headers={"Content-Type": "application/json"})
    assert big.status == 413 and "too large" in big.json()["error"]
    form = d.request("join/api/answer", b"question=1&choice=Go+up",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status == 415
    junk = d.request("join/api/answer", b"{not json", headers={"Content-Type":
                                                                 "application/json"})
    assert junk.status == 400 and "not valid JSON" in junk.json()["error"]
    other_site = d.request("join/api/answer", b'{"question": 1, "choice": "Go up"}',
                           headers={"Content-Type": "application/json",
                                    "Origin": "http://evil.example"})
    assert other_site.status == 403
    no_cookie = Device(server).answer({"question": qid, "choice": "Go up"})
    assert no_cookie.status == 400 and "open the join page first" in no_cookie.json()["error"]
    assert store.counts(qid) == {"Go up": 1, "Go down": 0, "Stay about the same": 0}


def test_an_estimate_must_be_within_its_range(server, store):
    qid = store.open_question(ESTIMATE)
    d = Device(server)
    d.join()
    assert d.question().json()["question"] == {
        "id": qid, "kind": "estimate", "text": ESTIMATE.text, "state": "open", "low": 0,
        "high": 60, "step": 1, "unit": "%"}
    for bad in (61, -0.5, "20", None, True):
        r = d.answer({"question": qid, "value": bad})
        assert r.status == 400 and "allowed: a number from 0 to 60" in r.json()["error"], bad
    assert d.answer({"question": qid, "value": 25}).status == 200
    assert d.question().json()["mine"] == {"choice": None, "value": 25.0, "name": ""}


def test_a_device_may_change_its_answer_until_the_question_closes(server, store):
    qid = store.open_question(CHOICE)
    d = Device(server)
    d.join()
    assert d.answer({"question": qid, "choice": "Go up"}).status == 200
    assert d.answer({"question": qid, "choice": "Go down", "name": "Ann"}).status == 200
    assert store.answered(qid) == 1 and store.counts(qid)["Go down"] == 1
    store.close_question(qid)
    r = d.answer({"question": qid, "choice": "Go up"})
    assert r.status == 409 and r.json()["error"].startswith("This question is closed")
    state = d.question().json()
    assert state["question"]["state"] == "closed"
    assert state["mine"] == {"choice": "Go down", "value": None, "name": "Ann"}


def test_thirty_devices_answer_within_five_seconds_and_all_are_counted(server, store):
    qid = store.open_question(CHOICE)
    devices = [Device(server) for _ in range(30)]
    for d in devices:
        assert d.join().status == 200
    barrier = threading.Barrier(30)
    results: list[int] = []
    lock = threading.Lock()

    def send(i: int, d: Device) -> None:
        barrier.wait()
        r = d.answer({"question": qid, "choice": CHOICE.options[i % 3]})
        with lock:
            results.append(r.status)

    threads = [threading.Thread(target=send, args=(i, d)) for i, d in enumerate(devices)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    print(f"30 devices answered over HTTP in {seconds:.2f} s")
    assert results == [200] * 30
    assert seconds < 5
    assert store.answered(qid) == 30
    assert store.counts(qid) == {"Go up": 10, "Go down": 10, "Stay about the same": 10}
    assert devices[0].question().json()["answered"] == 30
