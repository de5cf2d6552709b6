"""The four holes of the room's security review, each tried as the attack was.

1. Script through Voila's ``?theme=`` (and ``?template=``): no query parameter
   reaches a dashboard page; the server answers with a redirect to the bare page.
2. The kernel cap on the decoded path: ``/voila/render/trainer%2Eipynb`` counts,
   and another web site cannot start kernels (``<img>``, ``fetch``, frames).
3. (the room's devices: see ``tests/test_room_devices.py``)
4. The trainer's token: exchanged for an HttpOnly cookie with a redirect to a
   clean address, and never written in a log line.

The rules are tried on the guard itself (fast), then on a live server on
127.0.0.1 (marked slow).
"""

from __future__ import annotations

import http.client
import logging
import threading
import time

import pytest
from browser_support import VoilaServer
from test_serve_security import fake_request
from voila.tornado.handler import TornadoVoilaHandler

from coprod_sim.serve import voila_command
from coprod_sim.serve_app import (
    Guard,
    _TrainerLog,
    clean_address,
    decoded_path,
    opens_a_kernel,
    redact,
)

XSS = "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(document.domain)%3E"

# -- 1. no page-changing parameter -----------------------------------------------------------


def test_voila_is_told_to_ignore_theme_and_template_from_the_address():
    cmd = voila_command("trainer", 8866)
    assert "--VoilaConfiguration.allow_theme_override=NO" in cmd
    assert "--VoilaConfiguration.allow_template_override=NO" in cmd


@pytest.mark.parametrize("path", ["/", "//evil.example/x", "/\\evil.example",
                                  "/voila/render/trainer.ipynb"])
def test_the_clean_address_stays_on_this_server(path):
    to = clean_address(fake_request(path=path))
    assert to.startswith("/") and not to.startswith(("//", "/\\"))


# -- 2. the cap on the decoded path, and other sites --------------------------------------------


@pytest.mark.parametrize("path, single, opens", [
    ("", True, True), ("favicon.ico", True, False), ("x.ipynb", True, False),
    ("trainer.ipynb", False, True), ("trainer%2Eipynb", False, True),
    ("trainer%252Eipynb", False, True), ("trainer.IPYNB", False, True),
    ("./trainer.ipynb", False, True), ("a/../trainer.ipynb/", False, True),
    ("%2E", False, False), ("notes.txt", False, False), ("", False, True),
])
def test_a_page_is_found_on_the_decoded_normalised_path(path, single, opens):
    kwargs = {"notebook_path": "trainer.ipynb"} if single else {}
    assert opens_a_kernel(fake_request(path="/x"), TornadoVoilaHandler, [path.encode()],
                          kwargs) is opens


def test_decoded_path_undoes_encoding_and_dots():
    assert decoded_path(b"voila%2Frender%2F..%2Ftrainer%252Eipynb") == "voila/trainer.ipynb"
    assert decoded_path("///") == ""


def _headers(**h):
    r = fake_request()
    r.headers.update({k.replace("_", "-"): v for k, v in h.items()})
    return r


@pytest.mark.parametrize("headers, cross", [
    ({}, False),  # curl, a script on this computer: not a browser page
    ({"Sec_Fetch_Site": "same-origin", "Sec_Fetch_Mode": "navigate"}, False),
    ({"Sec_Fetch_Site": "none", "Sec_Fetch_Mode": "navigate"}, False),  # typed address
    # a link followed from another site (an e-mail, a course page): allowed
    ({"Sec_Fetch_Site": "cross-site", "Sec_Fetch_Mode": "navigate",
      "Sec_Fetch_Dest": "document"}, False),
    # the attack: <img>, fetch no-cors, a frame, from another site
    ({"Sec_Fetch_Site": "cross-site", "Sec_Fetch_Mode": "no-cors",
      "Sec_Fetch_Dest": "image"}, True),
    ({"Sec_Fetch_Site": "cross-site", "Sec_Fetch_Mode": "no-cors",
      "Sec_Fetch_Dest": "empty"}, True),
    ({"Sec_Fetch_Site": "cross-site", "Sec_Fetch_Mode": "navigate",
      "Sec_Fetch_Dest": "iframe"}, True),
    ({"Sec_Fetch_Site": "same-site", "Sec_Fetch_Mode": "no-cors"}, True),
    # browsers without Sec-Fetch: Origin, then a foreign Referer on a non-page request
    ({"Origin": "http://evil.example"}, True),
    ({"Origin": "null"}, True),
    ({"Origin": "http://127.0.0.1:8866"}, False),
    ({"Referer": "http://evil.example/a", "Accept": "image/avif,image/*"}, True),
    ({"Referer": "http://evil.example/a", "Accept": "text/html,*/*"}, False),
])
def test_other_sites_cannot_start_kernels(headers, cross):
    assert Guard.cross_site(_headers(**headers)) is cross


# -- 4. no token in a log line ----------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "403 GET /?token=room-test-Token_42 (10.0.0.5) 1.20ms",
    "403 GET /join?token=room-test-Token_4 (10.0.0.5) 1.20ms",  # a near miss
    "403 GET /voila/static/voila.js?v=1&token=room-test-Token_42x (10.0.0.5)",
    'Cookie: "coprod_trainer=abc123def; coprod_device=2|1:0|10:17|x"',
    "Authorization: token room-test-Token_42",
    "GET /x?_xsrf=2|abcd&token=room-test-Token_42",
])
def test_no_token_survives_in_a_log_line(line):
    out = redact(line)
    assert "room-test-Token" not in out and "abc123def" not in out and "abcd" not in out
    assert "[hidden]" in out


def test_the_log_filter_hides_tokens_and_shortens_tracebacks():
    keep = _TrainerLog(verbose=False)
    try:
        raise ValueError("database or disk is full")
    except ValueError:
        import sys

        rec = logging.LogRecord("tornado.application", logging.ERROR, __file__, 1,
                                "Uncaught exception GET /join/api/answer?token=%s",
                                ("join-test-Token_17",), sys.exc_info())
    assert keep.filter(rec)
    text = logging.Formatter().format(rec)
    assert "join-test-Token" not in text and "Traceback" not in text
    assert text.count("\n") == 0 and "ValueError: database or disk is full" in text


# -- live ---------------------------------------------------------------------------------------

live = pytest.mark.slow


def raw(server, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    conn.request(method, path, headers={"Host": f"127.0.0.1:{server.port}",
                                        **(headers or {})})
    r = conn.getresponse()
    body = r.read().decode("utf-8", "replace")
    out = r.status, body, {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return out


@live
def test_theme_and_template_in_the_address_never_reach_the_page():
    srv = VoilaServer("trainer", pool=0, max_kernels=3, per_client=100).start()
    try:
        for query in (f"theme={XSS}", f"template={XSS}", f"theme=dark&template={XSS}",
                      f"x=1&theme={XSS}", "classic-tree=true"):
            status, body, headers = raw(srv, f"/?{query}")
            assert status == 302 and headers["location"] == "/", (query, status)
            assert "onerror" not in body
        assert srv.kernel_pids() == []  # a refused page starts no kernel
        status, body, _ = raw(srv, "/")
        assert status == 200 and "onerror" not in body and "alert(document" not in body
    finally:
        srv.stop()


@live
def test_the_cap_counts_encoded_paths_and_other_sites_start_nothing():
    """The issue's finding: six `trainer%2Eipynb` started six kernels past a cap of 2."""
    srv = VoilaServer("all", pool=0, max_kernels=2, per_client=100).start()
    try:
        evil = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
                "Sec-Fetch-Dest": "image", "Referer": "http://evil.example/"}
        for _ in range(3):
            status, body, _ = raw(srv, "/voila/render/trainer%2Eipynb", evil)
            assert status == 403 and "another web site" in body
        assert srv.kernel_pids() == []
        results: list[int] = []

        def one():
            results.append(raw(srv, "/voila/render/trainer%2Eipynb")[0])

        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        assert results.count(200) <= 2 and results.count(503) >= 4, results
        time.sleep(2)
        assert len(srv.kernel_pids()) <= 2
    finally:
        srv.stop()


@live
def test_the_trainers_token_becomes_a_cookie_and_leaves_the_address_and_the_log():
    srv = VoilaServer("trainer", pool=0, room=True, token="roomtoken42",
                      env={"COPROD_ROOM_DIR": "/tmp/coprod-holes-room"}).start()
    try:
        status, _, headers = raw(srv, "/?token=roomtoken42")
        assert status == 302 and headers["location"] == "/"
        cookie = headers["set-cookie"]
        assert "httponly" in cookie.lower() and "roomtoken42" not in cookie
        status, body, _ = raw(srv, "/", {"Cookie": cookie.split(";")[0]})
        assert status == 200 and "roomtoken42" not in body
        for guess in ("roomtoken4", "roomtoken42x", "ROOMTOKEN42", "roomtoken42%00"):
            assert raw(srv, f"/voila/static/voila.js?token={guess}")[0] == 403
        assert raw(srv, "/favicon.ico")[0] == 200  # a phone's icon: no token, no 403 line
        time.sleep(1)
        # the banner gives the trainer the address; no other line has the token
        log = "\n".join(line for line in srv.log().splitlines()
                        if not line.startswith("Trainer's dashboard: "))
        assert "roomtoken4" not in log.lower(), log
    finally:
        srv.stop()


def test_the_browser_is_opened_through_a_file_not_a_command_line(monkeypatch, tmp_path):
    """--room opens the trainer's page with the token, never on a process's command line."""
    import webbrowser
    from pathlib import Path
    from urllib.parse import urlsplit

    from coprod_sim.serve_app import CoprodVoila

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: opened.append(url))
    app = CoprodVoila(port=8899, room=True)
    app.room_token = "roomtoken42"
    app.launch_browser()
    (url,) = opened
    assert url.startswith("file://") and "roomtoken42" not in url
    text = Path(urlsplit(url).path).read_text()
    assert 'url=http://127.0.0.1:8899/?token=roomtoken42"' in text
