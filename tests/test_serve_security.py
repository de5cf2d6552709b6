"""The dashboard server as an attacker would try it.

Local mode answers only requests that name this computer (a foreign ``Host``
is how DNS rebinding reaches a server on 127.0.0.1); room mode wants the token
on every route; the number of dashboard kernels is capped, and one device
cannot start many; no path from the browser reaches outside the dashboards.
The live tests start the real server on 127.0.0.1 at a free port.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from types import SimpleNamespace

import pytest
from browser_support import VoilaServer

from coprod_sim.serve import ServeOptions, main, voila_command
from coprod_sim.serve_app import Guard, kernels_in_use, opens_a_kernel

# -- helpers ---------------------------------------------------------------------------


def get(server: VoilaServer, path: str, host: str | None = None,
        headers: dict | None = None, timeout: float = 120) -> tuple[int, str, dict]:
    """GET ``path`` from the server with an optional forged Host header."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    hdrs = {"Host": host or f"127.0.0.1:{server.port}", **(headers or {})}
    conn.request("GET", path, headers=hdrs)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    out = resp.status, body, {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return out


def fake_request(host="127.0.0.1:8866", query="", cookie=None, auth=None, path="/",
                 method="GET", ip="127.0.0.1"):
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    if cookie:
        jar.load(cookie)
    headers = {"Host": host}
    if auth:
        headers["Authorization"] = auth
    return SimpleNamespace(headers=headers, cookies=jar, path=path, method=method,
                           remote_ip=ip,
                           query_arguments={k: [v.encode() for v in vs] for k, vs in
                                            urllib.parse.parse_qs(query).items()})


# -- the guard's rules (no server) -------------------------------------------------------


@pytest.mark.parametrize("host, local", [
    ("127.0.0.1:8866", True), ("localhost:8866", True), ("LOCALHOST", True),
    ("[::1]:8866", True), ("127.0.0.1", True),
    ("evil.example:8866", False), ("127.0.0.1.evil.example", False), ("", False),
    ("192.168.1.20:8866", False), ("localhost.evil.example:80", False),
])
def test_local_mode_answers_only_local_host_names(host, local):
    guard = Guard(room=False, token="", max_kernels=8, per_client=6)
    assert guard.host_ok(fake_request(host=host)) is local


def test_room_mode_needs_the_token_in_address_header_or_cookie():
    guard = Guard(room=True, token="abcdef123", max_kernels=8, per_client=6)
    assert guard.token_ok(fake_request()) == (False, False)
    assert guard.token_ok(fake_request(query="token=wrong")) == (False, False)
    assert guard.token_ok(fake_request(query="token=abcdef123")) == (True, True)
    assert guard.token_ok(fake_request(auth="token abcdef123")) == (True, False)
    assert guard.token_ok(fake_request(cookie=f"coprod_trainer={guard.cookie_value}"))[0]
    assert not guard.token_ok(fake_request(cookie="coprod_trainer=abcdef123"))[0]
    # any Host is fine in room mode (devices use the IP address): the token is the key
    assert guard.host_ok(fake_request(host="192.168.1.20:8866"))


@pytest.mark.parametrize("path", ["/", "/voila/render/trainer.ipynb", "/voila/static/voila.js",
                                  "/api/kernels", "/api/kernels/abc/channels", "/api/contents",
                                  "/voila/api/themes/light/index.css", "/voila/files/x",
                                  "/static/x.js", "/login", "/joinx", "/x/join"])
def test_the_join_token_opens_no_route_but_the_join_page(path):
    guard = Guard(room=True, token="trainer-tok", max_kernels=8, per_client=6,
                  join_token="join-tok-1")
    assert guard.token_ok(fake_request(path=path, query="token=join-tok-1")) == (False, False)
    # nor as a header, nor as the trainer's cookie (its value is a hash of the trainer's token)
    assert not guard.token_ok(fake_request(path=path, auth="token join-tok-1"))[0]
    assert not guard.token_ok(fake_request(path=path, cookie="coprod_trainer=join-tok-1"))[0]
    assert not guard.token_ok(fake_request(path=path, cookie="coprod_device=join-tok-1"))[0]
    # the trainer's token opens it (and sets the trainer's cookie from the address)
    assert guard.token_ok(fake_request(path=path, query="token=trainer-tok")) == (True, True)
    assert not guard.token_ok(fake_request(path=path))[0]
    assert not guard.token_ok(fake_request(path=path, query="token=wrong"))[0]


@pytest.mark.parametrize("path", ["/join", "/join/", "/join/static/room.js",
                                  "/join/api/question", "/join/api/answer"])
def test_the_join_token_opens_the_join_page_without_a_cookie(path):
    guard = Guard(room=True, token="trainer-tok", max_kernels=8, per_client=6,
                  join_token="join-tok-1")
    assert guard.token_ok(fake_request(path=path, query="token=join-tok-1")) == (True, False)
    assert guard.token_ok(fake_request(path=path, query="token=trainer-tok"))[0]
    assert not guard.token_ok(fake_request(path=path, query="token=wrong"))[0]
    assert not guard.token_ok(fake_request(path=path))[0]


def test_the_room_needs_two_different_tokens():
    with pytest.raises(ValueError):
        Guard(room=True, token="same-tok", max_kernels=8, per_client=6, join_token="same-tok")
    with pytest.raises(ValueError):
        Guard(room=True, token="", max_kernels=8, per_client=6, join_token="join-tok-1")


def test_one_device_may_open_only_so_many_pages_a_minute():
    guard = Guard(room=True, token="abcdef123", max_kernels=50, per_client=3)
    phone, laptop = fake_request(ip="10.0.0.5"), fake_request(ip="10.0.0.6")
    assert [guard.client_ok(phone, now=t) for t in (0, 1, 2, 3)] == [True] * 3 + [False]
    assert guard.client_ok(laptop, now=3)  # another device is not held up
    assert guard.client_ok(phone, now=61)  # a minute later, one more


@pytest.mark.parametrize("path", ["/voila/files/../../etc/passwd", "/a/%2e%2e/b",
                                  "/a/%252e%252e/b", "/a\\..\\b", "/x%00y"])
def test_paths_with_dot_dot_are_refused(path):
    assert not Guard.path_ok(fake_request(path=path))
    assert Guard.path_ok(fake_request(path="/voila/static/voila.js"))


def _page_fixes(headers: dict, body: bytes) -> bytes:
    from tornado.httputil import HTTPHeaders

    from coprod_sim.serve_app import PageFixes

    fix = PageFixes(SimpleNamespace())
    return fix.transform_first_chunk(200, HTTPHeaders(headers), body, True)[2]


def test_page_fixes_leave_a_page_with_its_own_security_policy_alone():
    page = (b'<html><head><link href="https://cdn.jsdelivr.net/x.css" rel="stylesheet">'
            b"</head><body></body></html>")
    html_type = {"Content-Type": "text/html; charset=utf-8"}
    fixed = _page_fixes(html_type, page)  # a dashboard page: script added, CDN link gone
    assert b"<script>" in fixed and b"cdn.jsdelivr" not in fixed
    own = _page_fixes({**html_type, "Content-Security-Policy": "default-src 'none'"}, page)
    assert own == page  # the join page: byte for byte as sent
    # Jupyter's own policy sets no script rule: its pages are still fixed
    jupyter = "frame-ancestors 'self'; report-uri /api/security/csp-report"
    assert b"<script>" in _page_fixes({**html_type, "Content-Security-Policy": jupyter}, page)


@pytest.mark.parametrize("policy, forbids", [
    ("", False), ("frame-ancestors 'self'; report-uri /x", False),
    ("default-src 'none'; script-src 'self'", True), ("default-src 'self'", True),
    ("script-src 'self' 'unsafe-inline'", False),
    ("script-src 'unsafe-inline' 'nonce-abc'", True),
    ("default-src 'none'; script-src-elem 'self' 'unsafe-inline'", False),
])
def test_which_policies_refuse_an_inline_script(policy, forbids):
    from coprod_sim.serve_app import forbids_inline_script

    assert forbids_inline_script(policy) is forbids


def test_pooled_kernels_do_not_count_as_pages():
    done = SimpleNamespace()
    km = SimpleNamespace(list_kernel_ids=lambda: ["a", "b", "c"], _pools={"t.ipynb": [done]})
    assert kernels_in_use(km) == 2
    assert kernels_in_use(SimpleNamespace(list_kernel_ids=lambda: ["a"])) == 1


def test_only_dashboard_pages_open_kernels():
    from voila.tornado.handler import TornadoVoilaHandler

    assert opens_a_kernel(fake_request(path="/"), TornadoVoilaHandler)
    assert opens_a_kernel(fake_request(path="/voila/render/trainer.ipynb"), TornadoVoilaHandler)
    assert not opens_a_kernel(fake_request(path="/", method="POST"), TornadoVoilaHandler)
    assert not opens_a_kernel(fake_request(path="/voila/static/x.js"), object)


# -- options ---------------------------------------------------------------------------------


CULL = "allowed: 0 (never) or a number of minutes from 1 to 1440 (a day)."


@pytest.mark.parametrize("args, says", [
    (["--cull-minutes", "-1"], f"--cull-minutes is -1; {CULL}"),
    (["--cull-minutes", "inf"], f"--cull-minutes is inf; {CULL}"),
    (["--cull-minutes=-inf"], f"--cull-minutes is -inf; {CULL}"),
    (["--cull-minutes", "1e300"], f"--cull-minutes is 1e+300; {CULL}"),
    (["--cull-minutes", "nan"], f"--cull-minutes is nan; {CULL}"),
    (["--cull-minutes", "0.5"], f"--cull-minutes is 0.5; {CULL}"),
    (["--cull-minutes", "1441"], f"--cull-minutes is 1441; {CULL}"),
    (["--continue"], "--continue and --new-session go with --room"),
    (["--room", "--continue", "--new-session"], "--continue and --new-session are both"),
    (["--pool", "-2"], "--pool is -2; allowed: a whole number from 0"),
    (["--timeout", "0"], "--timeout is 0; allowed: 1 or more seconds."),
    (["--max-kernels", "0"], "--max-kernels is 0; allowed: a whole number from 1 to 200."),
    (["--per-client", "0"], "--per-client is 0; allowed"),
    (["--port", "70000"], "--port is 70000; allowed: a whole number from 1 to 65535."),
])
def test_bad_serve_options_are_refused_in_one_line(capsys, args, says):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(ValueError):
        ServeOptions(**{"cull_minutes": -1}).check()


def test_local_server_listens_on_loopback_only_and_token_is_not_on_the_command_line():
    cmd = voila_command("trainer", 8866)
    assert "--Voila.ip=127.0.0.1" in cmd and "--CoprodVoila.room=False" in cmd
    room = voila_command("trainer", 8866, room=True, token="abcdef123")
    assert "--Voila.ip=0.0.0.0" in room
    assert not any("abcdef123" in part for part in room)


def test_a_taken_port_moves_to_the_next_free_one_and_says_so():
    import socket

    from coprod_sim.serve import first_free_port

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        found = first_free_port(taken)
        assert found is not None and found != taken


# -- live servers ------------------------------------------------------------------------------

live = pytest.mark.slow


@pytest.fixture(scope="module")
def local_server():
    srv = VoilaServer("trainer", pool=0, max_kernels=1, per_client=100).start()
    yield srv
    srv.stop()


@live
@pytest.mark.parametrize("path", ["/", "/voila/static/voila.js", "/api/kernels",
                                  "/voila/api/themes/light/index.css"])
@pytest.mark.parametrize("host", ["evil.example", f"rebind.example:{8866}",
                                  "127.0.0.1.nip.example"])
def test_a_foreign_host_is_refused_on_every_route(local_server, path, host):
    status, body, _ = get(local_server, path, host=host)
    assert status == 403 and "served to this computer only" in body


@live
def test_the_kernel_cap_holds_with_a_room_is_full_page(local_server):
    status, body, _ = get(local_server, "/")
    assert status == 200 and "coprod" in body
    assert len(local_server.kernel_pids()) == 1
    status, body, headers = get(local_server, "/")
    assert status == 503 and "The room is full" in body and headers.get("retry-after")
    assert len(local_server.kernel_pids()) == 1  # no kernel started for the refused page


@live
def test_paths_from_the_browser_do_not_reach_outside(local_server, tmp_path):
    secret = "coprod-secret-" + str(time.time_ns())
    outside = local_server.log_path.parent / "coprod-outside.toml"
    outside.write_text(f'name = "{secret}"\n')
    try:
        rel = "../" * 12 + str(outside).lstrip("/")
        for path in (f"/voila/files/{rel}", f"/voila/files/%2e%2e/%2e%2e/{outside.name}",
                     f"/voila/static/{rel}", f"/voila/templates/{rel}",
                     f"/voila/labextensions/{rel}", f"/{rel}", f"/api/contents/{rel}",
                     "/voila/files/" + urllib.parse.quote(str(outside), safe="")):
            status, body, _ = get(local_server, path)
            assert secret not in body, path
            assert status in (301, 302, 400, 403, 404), (path, status)
    finally:
        outside.unlink()


@live
def test_many_pages_at_once_never_pass_the_cap():
    """The issue's finding: 8 requests gave 11 processes. Now: the cap plus the pool."""
    srv = VoilaServer("trainer", pool=1, max_kernels=2, per_client=100).start()
    try:
        results: list[int] = []

        def one():
            results.append(get(srv, "/")[0])

        threads = [threading.Thread(target=one) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        assert sorted(results).count(200) <= 2 and results.count(503) >= 6, results
        time.sleep(3)
        assert len(srv.kernel_pids()) <= 2 + 1  # pages served plus the preheated one
    finally:
        srv.stop()


@live
def test_one_device_cannot_start_many_kernels():
    srv = VoilaServer("trainer", pool=0, max_kernels=5, per_client=1).start()
    try:
        assert get(srv, "/")[0] == 200
        status, body, _ = get(srv, "/")
        assert status == 429 and "wait a minute" in body
        assert len(srv.kernel_pids()) == 1
    finally:
        srv.stop()


@live
def test_room_mode_needs_the_token_on_every_route():
    srv = VoilaServer("trainer", pool=0, room=True, token="roomtoken42").start()
    try:
        for path in ("/", "/voila/static/voila.js", "/api/kernels", "/join", "/join/api/state",
                     "/voila/api/themes/light/index.css", "/login", "/voila/files/x"):
            status, body, _ = get(srv, path, host="192.168.1.20:8866")
            assert status == 403 and "full address" in body, path
            status, _, _ = get(srv, path + "?token=wrong-token")
            assert status == 403, path
        status, _, headers = get(srv, "/voila/static/voila.js?token=roomtoken42",
                                 host="192.168.1.20:8866")
        assert status == 200
        cookie = headers["set-cookie"].split(";")[0]
        assert cookie.startswith("coprod_trainer=") and "roomtoken42" not in cookie
        assert "httponly" in headers["set-cookie"].lower()
        assert "samesite=lax" in headers["set-cookie"].lower()
        status, _, _ = get(srv, "/voila/static/voila.js", headers={"Cookie": cookie})
        assert status == 200
    finally:
        srv.stop()


@live
def test_room_prints_a_working_address_with_its_token_and_the_port_in_use(tmp_path):
    """`coprod-sim dashboard --room` with its port taken: the printed address works."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys

    from browser_support import ROOT

    from coprod_sim.serve import free_port

    taken = socket.socket()
    taken.bind(("0.0.0.0", free_port()))
    taken.listen()
    port = taken.getsockname()[1]
    log = tmp_path / "room.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_PLATFORM_DIRS": "1",
           "COPROD_ROOM_DIR": str(tmp_path / "room")}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "coprod_sim", "dashboard", "--room", "--port", str(port),
             "--no-browser", "--pool", "0"], cwd=tmp_path, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not (found := re.search(r"Trainer's dashboard: (http://\S+)\n"
                                      r"Trainees join at: (http://\S+)\n", log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        assert "Room address" not in log.read_text()
        url = urllib.parse.urlsplit(found.group(1))
        join = urllib.parse.urlsplit(found.group(2))
        assert join.path == "/join" and join.netloc == url.netloc and url.path == "/"
        assert re.fullmatch(r"token=[A-Za-z0-9_-]{8,}", join.query) and join.query != url.query
        for path, query, status in (("/join", join.query, 200), ("/", join.query, 403),
                                    ("/voila/static/voila.js", join.query, 403)):
            conn = http.client.HTTPConnection(join.hostname, join.port, timeout=30)
            conn.request("GET", f"{path}?{query}")
            assert conn.getresponse().status == status, (path, status)
            conn.close()
        assert f"Port {port} is in use; using {url.port}." in log.read_text()
        assert url.port != port and url.hostname not in ("localhost", socket.gethostname())
        assert re.fullmatch(r"token=[A-Za-z0-9_-]{8,}", url.query)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request("GET", f"/voila/static/voila.js?{url.query}")
        assert conn.getresponse().status == 200
        conn.close()
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request("GET", "/voila/static/voila.js")
        assert conn.getresponse().status == 403
        conn.close()
    finally:
        taken.close()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    assert "Traceback" not in log.read_text()


@live
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_stopping_prints_no_traceback(tmp_path, sig):
    """Ctrl+C (or SIGTERM) with a page open, its kernel and helper running: one quiet stop."""
    import os
    import signal
    import subprocess
    import sys

    from browser_support import ROOT

    from coprod_sim.serve import free_port

    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_PLATFORM_DIRS": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "coprod_sim", "dashboard", "--port", str(port),
             "--no-browser", "--pool", "1", "--verbose"], cwd=tmp_path, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "is filled with" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        srv = SimpleNamespace(port=port)
        assert get(srv, "/")[0] == 200  # a page: its kernel has started its helper
        time.sleep(3)
        proc.send_signal(getattr(signal, sig))
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text()
    assert "Stopped." in text
    for noise in ("Traceback", "KeyboardInterrupt", "without encryption", "not trusted"):
        assert noise not in text, text
