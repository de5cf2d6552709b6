"""A class end to end: the real JupyterHub, Chromium, and what a trainee must never reach.

One hub for the module (``coprod-sim class``, cap of 2 trainees), with:

* two trainees joining in their own Chromium contexts (class code and first
  name), landing in JupyterLab at notebook 00 of their own folder, running it
  and betting; the trainer, in a third context, sees both bets beside the
  model's result;
* the join rules: a full class, a name in use, a wrong code;
* security: a trainee's token and cookies never open another trainee's server,
  files, kernel or websocket, or the trainer's view; a trainee's kernel cannot
  read outside its own folder (Landlock), signal another's kernel, or pass its
  memory ceiling or kernel limit; bets are recorded only as their sender;
  no token or code in the hub's log;
* stopping: Ctrl+C, SIGKILL and SIGTERM in turn, with a restart between that finds
  the work again, each leaving no process of the class behind.

Screenshots (1366x768) of the join page, a trainee's notebook 00 and the
trainer's view go to ``$COPROD_CLASS_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import html
import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import requests
from class_support import ClassHub, Trainee, in_thread, jupyterhub_missing, survivors

pytestmark = [pytest.mark.slow, pytest.mark.browser]

missing = jupyterhub_missing()
if missing:
    if os.environ.get("CI"):
        pytest.fail(f"the class tests cannot run in CI: {missing}", pytrace=False)
    pytest.skip(missing, allow_module_level=True)

from browser_support import (  # noqa: E402
    BLOCKED,
    CHROMIUM_ARGS,
    _playwright,
    chromium_path,
    require_browser,
)

require_browser()

from coprod_sim.classroom.sandbox import landlock_abi  # noqa: E402
from coprod_sim.classroom.service import device_of  # noqa: E402

VIEW = {"width": 1366, "height": 768}
SHOTS = os.environ.get("COPROD_CLASS_SCREENSHOTS")
FIRST = "notebooks/00_start_here.ipynb"


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"class-{name}.png"))


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = ClassHub(tmp_path_factory.mktemp("class") / "tuesday", args=["--max-trainees", "2"])
    hub.start()
    try:
        yield hub
    finally:
        hub.kill_all()


@pytest.fixture(scope="module")
def chromium():
    browser = _playwright().chromium.launch(executable_path=chromium_path(),
                                            args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


def new_context(chromium):
    ctx = chromium.new_context(viewport=VIEW)
    ctx.route(BLOCKED, lambda route: route.abort())
    return ctx


def join(page, hub: ClassHub, code: str, name: str) -> None:
    page.goto(hub.url, wait_until="domcontentloaded")
    page.wait_for_selector("#password_input")
    page.fill("#password_input", code)
    page.fill("#username_input", name)
    page.click("#login_submit")


def bet_in_notebook(page) -> None:
    """Run every box of notebook 00 (Run menu) and press the moment's button."""
    page.get_by_role("menuitem", name="Run", exact=True).click(timeout=60_000)
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=30_000)
    button = page.locator("button:has-text('Show me what the model does')")
    button.wait_for(timeout=180_000)
    button.scroll_into_view_if_needed()
    button.click()
    page.wait_for_selector("text=You guessed", timeout=120_000)


@pytest.fixture(scope="module")
def people(hub, chromium):
    """Anna and Ben joined in Chromium; their API clients (cookies, own tokens)."""
    code = hub.info()["class_code"]
    out = {}
    for name in ("Anna", "Ben"):
        ctx = new_context(chromium)
        page = ctx.new_page()
        page.goto(hub.url, wait_until="domcontentloaded")
        page.wait_for_selector("#password_input")
        if name == "Anna":
            shot(page, "join")
        # the code as a trainee might type it: small letters, a space
        join(page, hub, code.lower()[:3] + " " + code.lower()[3:], name)
        page.wait_for_selector(".jp-Notebook", timeout=180_000)
        client = Trainee(hub, name)
        client.use_cookies(ctx.cookies())
        client.get_token()
        out[name.lower()] = {"ctx": ctx, "page": page, "api": client}
    yield out
    for p in out.values():
        p["ctx"].close()


def test_trainees_land_in_their_own_notebook_00_and_the_trainer_sees_their_bets(
        hub, chromium, people):
    anna, ben = people["anna"], people["ben"]
    for who, p in (("anna", anna), ("ben", ben)):
        assert p["page"].url.endswith(f"/user/{who}/lab/tree/{FIRST}")
        p["page"].locator("h1:has-text('00 Start here')").first.wait_for(timeout=60_000)
        folder = hub.folder / "trainees" / who
        assert (folder / FIRST).is_file() and (folder / "my_work").is_dir()
        assert not any("solution" in str(f).lower() for f in folder.rglob("*.ipynb"))
    shot(anna["page"], "notebook-00")
    for p in (anna, ben):
        bet_in_notebook(p["page"])
    shot(anna["page"], "notebook-00-revealed")

    trainer = new_context(chromium)
    page = trainer.new_page()
    join(page, hub, hub.info()["trainer_code"], "anyone")
    page.wait_for_url("**/services/class/", timeout=120_000)
    t0 = time.monotonic()
    page.wait_for_selector(".moment[data-moment='00_usual'] .coprod-room-count:has-text('2 bets')",
                           timeout=60_000)
    page.wait_for_selector(".moment[data-moment='00_usual'] .coprod-room-model",
                           timeout=120_000)
    seen = time.monotonic() - t0
    text = page.inner_text("#live")
    assert "anna" in text and "ben" in text and "working now" in text
    assert "The model's answer" in text
    shot(page, "trainer-view")
    # each bet is also in the trainee's own reflection record, as before
    for who in ("anna", "ben"):
        record = json.loads((hub.folder / "trainees" / who / "my_work" /
                             "reflection.json").read_text())
        assert any(e["kind"] == "prediction" for e in record["entries"])
    trainer.close()
    print(f"the trainer's view showed both bets {seen:.1f} s after it opened")


def test_joining_rules_full_class_name_in_use_wrong_code(hub, people):
    code = hub.info()["class_code"]
    for name, typed, message in (("Cara", code, "The class is full"),
                                 ("anna", code, "using the name 'anna'"),
                                 ("Dan", "WRONG1", "not this class's code")):
        r = Trainee(hub, name).login(typed)
        assert r.status_code == 403 and message in html.unescape(r.text), (name, r.status_code)
    # Anna's own browser may log in again with her name
    again = Trainee(hub, "Anna")
    again.use_cookies(people["anna"]["ctx"].cookies())
    assert again.login(code).status_code == 302


def test_a_trainee_can_never_open_another_trainees_server(hub, people):
    anna, ben = people["anna"]["api"], people["ben"]["api"]
    kernels = ben.api("GET", "user/ben/api/kernels").json()
    assert kernels, "Ben's notebook has a kernel"
    kid = kernels[0]["id"]
    for method, path in (("GET", "user/ben/api/contents/my_work"),
                         ("GET", f"user/ben/api/contents/{FIRST}"),
                         ("GET", "user/ben/api/kernels"),
                         ("GET", "user/ben/api/sessions"),
                         ("POST", "user/ben/api/sessions"),
                         ("GET", "user/ben/files/my_work/reflection.json"),
                         ("DELETE", f"user/ben/api/kernels/{kid}"),
                         ("GET", "hub/api/users/ben"),
                         ("GET", "hub/api/users"),
                         ("POST", "hub/api/users/ben/server"),
                         ("DELETE", "hub/api/users/ben/server"),
                         ("POST", "hub/api/users/ben/tokens")):
        r = anna.api(method, path, allow_redirects=False)
        assert r.status_code in (302, 403, 404), (method, path, r.status_code)
        if r.status_code == 302:  # to the hub's login, never into Ben's server
            assert "/user/ben/" not in r.headers["Location"].split("?")[0]
    # with Anna's browser cookies too
    for path in ("user/ben/api/contents/my_work", "user/ben/lab", "services/class/live"):
        r = anna.http.get(hub.url + path, timeout=60)
        assert r.status_code in (403, 404) or "/user/ben/" not in r.url, (path, r.url)
        assert "reflection.json" not in r.text
    r = anna.http.get(hub.url + "services/class/live", timeout=60)
    assert r.status_code == 403
    # the kernel's websocket
    with pytest.raises(Exception, match="403"):
        _ws_as(anna, "ben", kid)
    # Ben's server is untouched
    assert ben.api("GET", "user/ben/api/kernels").json()[0]["id"] == kid


def _ws_as(client: Trainee, user: str, kernel: str) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = client.hub.url.replace("http://", "ws://") + f"user/{user}/api/kernels/{kernel}/channels"

    async def go():
        conn = await websocket_connect(HTTPRequest(url, headers={
            "Authorization": f"token {client.token}"}, connect_timeout=30))
        conn.close()

    in_thread(go())


@pytest.mark.skipif(landlock_abi() < 1, reason="this system has no Landlock")
def test_a_trainees_kernel_is_fenced_into_its_own_folder(hub, people):
    anna = people["anna"]["api"]
    kid = anna.api("GET", "user/anna/api/kernels").json()[0]["id"]
    ben_kernel_pid = None
    others = []  # processes whose environment holds a token: Ben's server, the proxy
    for p in hub.processes():
        cmd = " ".join(p.cmdline())
        if "ipykernel" in cmd and "/trainees/ben/" in cmd:
            ben_kernel_pid = p.pid
        elif "singleuser" in cmd and "/trainees/ben" in cmd or "configurable-http" in cmd:
            others.append(f"/proc/{p.pid}/environ")
    tries = [str(hub.folder / "trainees" / "ben" / "my_work" / "reflection.json"),
             str(hub.folder / "trainees"), str(hub.folder / "class.json"),
             str(hub.folder / "class.sqlite"), str(hub.folder / "hub" / "jupyterhub.sqlite"),
             str(hub.folder / "hub" / "jupyterhub_cookie_secret"),
             f"/proc/{hub.proc.pid}/environ", *others]
    code = f"""
import os, json
out = {{}}
for p in {tries!r}:
    try:
        (os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1))
        out[p] = 'open'
    except OSError as e:
        out[p] = type(e).__name__
try:
    os.kill({ben_kernel_pid or 0}, 0); out['signal'] = 'sent'
except OSError as e:
    out['signal'] = type(e).__name__
try:
    x = bytearray(3 * 1024 ** 3); out['memory'] = 'got 3 GB'
except MemoryError:
    out['memory'] = 'MemoryError'
out['own'] = os.listdir(os.path.expanduser('~/my_work'))
print(json.dumps(out))
"""
    res = anna.run(kid, code, timeout=120)
    got = json.loads(res["outputs"][-1]["text"])
    assert len(others) == 2
    for p in tries:
        assert got[p] == "PermissionError", (p, got[p])
    if landlock_abi() >= 6 and ben_kernel_pid:
        assert got["signal"] == "PermissionError"
    assert got["memory"] == "MemoryError"
    assert "reflection.json" in got["own"]
    # the kernel limit: 2 kernels a trainee (notebook 00 has one)
    assert anna.open_notebook("notebooks/01_what_is_coproduction.ipynb")
    r = anna.api("POST", "user/anna/api/sessions", json={
        "path": "notebooks/02_who_is_affected.ipynb", "type": "notebook",
        "name": "02", "kernel": {"name": "python3"}})
    assert r.status_code >= 400 and "notebooks running" in r.text


def test_bets_are_recorded_only_as_their_sender(hub, people):
    anna = people["anna"]["api"]
    url = "services/class/api/bet"
    bet = {"moment": "01_levels", "section": "01", "guess": "Plan B", "try": 1,
           "name": "ben", "user": "ben"}
    assert requests.post(hub.url + url, json=bet, timeout=30).status_code == 401
    trainer = Trainee(hub, "x")
    trainer.login(hub.info()["trainer_code"])
    trainer.get_token()
    assert trainer.api("POST", url, json=bet).status_code == 403
    assert anna.api("POST", url, json=dict(bet, guess="Plan Z")).status_code == 400
    r = anna.api("POST", url, json=bet)
    assert r.status_code == 200 and r.json()["kept"] is True
    con = sqlite3.connect(hub.folder / "class.sqlite")
    rows = con.execute("SELECT a.device, a.name, a.choice FROM answers a JOIN questions q "
                       "ON q.id = a.question_id WHERE q.key = '01_levels'").fetchall()
    assert rows == [(device_of("anna"), "anna", "Plan B")]


def test_no_token_or_code_in_the_logs_or_the_address(hub, people):
    log = hub.log()
    info = hub.info()
    secrets = [people["anna"]["api"].token, people["ben"]["api"].token, info["class_code"],
               info["trainer_code"]]
    for s in secrets:
        assert s not in log
    banner = hub.banner()
    assert f"Class address:   {hub.url}\n" in banner and "?" not in hub.url


def test_ctrl_c_kill_and_term_leave_nothing_running_and_work_survives(hub, people):
    anna = people["anna"]["api"]
    r = anna.api("PUT", "user/anna/api/contents/my_work/note.txt",
                 json={"type": "file", "format": "text", "content": "my plan"})
    assert r.status_code in (200, 201)
    for p in people.values():
        p["ctx"].close()
    procs = hub.processes()
    assert len(procs) >= 6  # hub, proxy, two services, two servers (and their kernels)
    hub.stop(signal.SIGINT, timeout=120)
    assert survivors(procs) == []

    hub.port = 0
    hub.__post_init__()
    hub.start()
    again = Trainee(hub, "Anna")
    assert again.login(hub.info()["class_code"]).status_code == 302
    again.get_token()
    again.start_server()
    r = again.api("GET", "user/anna/api/contents/my_work/note.txt")
    assert r.status_code == 200 and r.json()["content"] == "my plan"
    record = again.api("GET", "user/anna/api/contents/my_work/reflection.json").json()
    assert "I predicted" in record["content"]
    again.open_notebook()
    procs = hub.processes()
    assert any("ipykernel" in " ".join(p.cmdline()) for p in procs)
    hub.stop(signal.SIGKILL, timeout=30)
    assert survivors(procs) == []

    # after kill -9, the class starts again with the work there; SIGTERM stops it too
    hub.port = 0
    hub.__post_init__()
    hub.start()
    last = Trainee(hub, "Anna")
    assert last.login(hub.info()["class_code"]).status_code == 302
    last.get_token()
    last.start_server()
    assert last.api("GET", "user/anna/api/contents/my_work/note.txt").json()["content"] == \
        "my plan"
    procs = hub.processes()
    hub.stop(signal.SIGTERM, timeout=120)
    assert survivors(procs) == []
