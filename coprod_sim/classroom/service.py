"""The trainer's view of a class: who has got how far, and the class's bets, live.

A JupyterHub service (started by the hub, at ``/services/class/``), with two doors:

* ``GET /services/class/`` and ``.../live``: the trainer's view, for the hub user
  ``trainer`` only (the hub's own login, OAuth). It lists each trainee (working now
  or not, the notebook they are in, moments answered) and, for every
  predict-then-reveal moment anyone has bet on, the class's bets beside the
  model's result, drawn with the room's charts (:mod:`coprod_sim.room.widget`).
  The page refreshes itself every second or two.
* ``POST /services/class/api/bet``: where trainees' kernels send their bets
  (:mod:`coprod_sim.classroom.report`), with their server's hub token in the
  ``Authorization`` header. The hub says whose token it is; the bet is recorded
  under that name and no other. The moment and answer are checked against the
  curriculum, the first try at each moment is kept (as in the reflection
  record), and the model's result is worked out here, never taken from a trainee.

Bets are kept in ``class.sqlite`` in the class folder, in the room's store format
(:class:`coprod_sim.room.store.Store`): one question per moment, one answer per
trainee. Only this service writes it; trainees' servers cannot read it.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import (
    HubAuth,
    HubOAuth,
    HubOAuthCallbackHandler,
    HubOAuthenticated,
)
from tornado import httpclient, web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

from coprod_sim.classroom.codes import TRAINER, load_or_create
from coprod_sim.room.store import Question, RoomError, Store, now

log = logging.getLogger("coprod_sim.classroom.service")

#: Environment variable naming the class folder (set by the hub's configuration).
FOLDER_ENV = "COPROD_CLASS_FOLDER"
#: Environment variable holding the join address shown to the room.
ADDRESS_ENV = "COPROD_CLASS_ADDRESS"

MAX_BODY = 2048


def device_of(name: str) -> str:
    """The store's device id for a trainee (a fixed pseudonym of the hub name)."""
    return "trainee-" + hashlib.sha256(f"coprod-class:{name}".encode()).hexdigest()[:24]


class ClassStore(Store):
    """The room's store, with one question per moment kept open all class long."""

    def question_for(self, key: str) -> tuple[Question, bool]:
        """The question of a moment, made (open) on the first bet; and whether it is new."""
        from coprod_sim.room.questions import moment_spec

        con = self._con()
        row = con.execute("SELECT id FROM questions WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return self.question(int(row[0])), False
        spec = moment_spec(key)
        con.execute("BEGIN IMMEDIATE")
        try:
            row = con.execute("SELECT id FROM questions WHERE key = ?", (key,)).fetchone()
            if row is None:
                cur = con.execute(
                    "INSERT INTO questions (key, kind, text, options, low, high, step, unit, "
                    "state, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                    (spec.key, spec.kind, spec.text, json.dumps(list(spec.options)), spec.low,
                     spec.high, spec.step, spec.unit, now()))
                qid, new = int(cur.lastrowid), True
            else:
                qid, new = int(row[0]), False
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return self.question(qid), new

    def model_result(self, key: str) -> dict[str, Any] | None:
        """The model's result of a moment, once worked out."""
        text = self.meta(f"result:{key}")
        return json.loads(text) if text else None

    def last_section(self, name: str) -> str:
        """The notebook of a trainee's latest bet (``""`` when none)."""
        from coprod_sim.curriculum.moments import MOMENTS

        row = self._con().execute(
            "SELECT q.key FROM answers a JOIN questions q ON q.id = a.question_id "
            "WHERE a.name = ? ORDER BY a.updated_at DESC, q.id DESC LIMIT 1", (name,)).fetchone()
        return MOMENTS[row[0]].section if row and row[0] in MOMENTS else ""

    def answers_by_trainee(self) -> dict[str, int]:
        """How many moments each trainee (by name) has bet on."""
        rows = self._con().execute("SELECT name, COUNT(*) FROM answers GROUP BY name")
        return {r[0]: int(r[1]) for r in rows.fetchall()}


class _Trainer(HubOAuthenticated, web.RequestHandler):
    """The trainer's pages: the hub's login, and the trainer's name only."""

    def initialize(self, app: ClassApp) -> None:
        """Keep the service's state."""
        self.app = app

    def check_xsrf_cookie(self) -> None:
        """The trainer's pages only read (GET)."""
        return None

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    def _trainer(self) -> None:
        user = self.current_user
        if not user or user.get("name") != TRAINER:
            raise web.HTTPError(403, "This page is for the class's trainer only.")


class PageHandler(_Trainer):
    """The trainer's view (a page that refreshes its live part)."""

    @web.authenticated
    def get(self) -> None:
        """Show the page."""
        self._trainer()
        self.write(self.app.page())


class LiveHandler(_Trainer):
    """The live part of the trainer's view, as an HTML fragment."""

    @web.authenticated
    def get(self) -> None:
        """Return the progress table and the bets."""
        self._trainer()
        self.write(self.app.live_html())


class BetHandler(web.RequestHandler):
    """Trainees' kernels post their bets here, with their server's hub token."""

    def initialize(self, app: ClassApp) -> None:
        """Keep the service's state."""
        self.app = app

    def check_xsrf_cookie(self) -> None:
        """No cookie is used here: the token comes in a header."""
        return None

    async def post(self) -> None:
        """Record the bet of the token's owner."""
        auth = self.request.headers.get("Authorization", "")
        token = auth[6:].strip() if auth.lower().startswith("token ") else ""
        if not token:
            raise web.HTTPError(401, "a trainee's server token is needed")
        model = await self.app.hub_auth.user_for_token(token, sync=False)
        if not model or model.get("kind", "user") != "user" or not model.get("name") \
                or model["name"] == TRAINER:
            raise web.HTTPError(403, "only a trainee's server may send bets")
        if len(self.request.body) > MAX_BODY:
            raise web.HTTPError(413, "the bet is too long")
        try:
            data = json.loads(self.request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            raise web.HTTPError(400, "the bet is not JSON") from None
        try:
            kept = self.app.record(model["name"], data)
        except (RoomError, KeyError, ValueError) as err:
            self.set_status(400)
            self.finish({"ok": False, "error": str(err).strip("'\"")})
            return
        self.finish({"ok": True, "kept": kept})


class ClassApp:
    """The service's state: the class folder, its store, the hub's API."""

    def __init__(self, folder: Path, address: str = ""):
        self.info = load_or_create(folder)
        # on Kubernetes the codes come from a secret, through the environment
        self.class_code = os.environ.get("COPROD_CLASS_CODE") or self.info.class_code
        self.address = address
        self.store = ClassStore(self.info.store_path)
        self.hub_auth = HubAuth(cache_max_age=60)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="coprod-class-model")
        self.users: list[dict[str, Any]] = []
        self.users_at = 0.0
        self.prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/class/")

    # -- bets ------------------------------------------------------------------
    def record(self, name: str, data: dict[str, Any]) -> bool:
        """Check and keep one trainee's bet; return False when it is not a first try."""
        from coprod_sim.curriculum.moments import get_moment

        key = data.get("moment")
        if not isinstance(key, str):
            raise ValueError("moment is missing; allowed: a moment's key")
        get_moment(key)  # a moment of the curriculum (KeyError names the known ones)
        tries = data.get("try", 1)
        if not isinstance(tries, int) or tries < 1:
            raise ValueError(f"try is {tries!r}; allowed: 1, 2, 3, ...")
        q, new = self.store.question_for(key)
        if new or self.store.model_result(key) is None:
            self.pool.submit(self._work_out, key)
        if tries > 1 or self.store.answer_of(q.id, device_of(name)) is not None:
            return False  # the class keeps each trainee's first guess, as the record does
        guess = data.get("guess")
        if guess is None:
            return False
        if q.kind == "choice":
            self.store.submit(q.id, device_of(name), choice=guess, name=name)
        else:
            self.store.submit(q.id, device_of(name), value=guess, name=name)
        return True

    def _work_out(self, key: str) -> None:
        from coprod_sim.room.questions import moment_result

        if self.store.model_result(key) is not None:
            return
        try:
            result = moment_result(key)
        except Exception as err:  # noqa: BLE001 - the view shows the bets without it
            log.warning("no model result for %s: %s", key, err)
            return
        self.store.set_meta(f"result:{key}", json.dumps(result))

    # -- the hub's users -----------------------------------------------------------
    async def refresh_users(self) -> None:
        """Ask the hub which trainees there are and whose server runs (every few seconds)."""
        if time.monotonic() - self.users_at < 3:
            return
        self.users_at = time.monotonic()
        api = os.environ.get("JUPYTERHUB_API_URL", "").rstrip("/")
        token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        if not api or not token:
            return
        try:
            resp = await httpclient.AsyncHTTPClient().fetch(
                f"{api}/users?limit=500", headers={"Authorization": f"token {token}"},
                request_timeout=5)
            data = json.loads(resp.body)
            self.users = data.get("items", data) if isinstance(data, dict) else data
        except Exception as err:  # noqa: BLE001 - show the folders without the hub's view
            log.warning("the hub's user list is not available: %s", type(err).__name__)

    def chapter(self, name: str) -> str:
        """The notebook a trainee is on: the one saved last since their server started.

        JupyterLab saves a notebook every two minutes while it is open and changed
        (running a box changes it). Before any save, the notebook of their last bet.
        """
        folder = self.info.home(name)
        try:
            since = (folder / ".coprod-workspace").stat().st_mtime + 1
        except OSError:
            since = 0.0
        best, when = "", since
        for sub in ("notebooks", "exercises"):
            for nb in (folder / sub).glob("*.ipynb"):
                try:
                    t = nb.stat().st_mtime
                except OSError:
                    continue
                if t > when:
                    best, when = nb.stem, t
        if best:
            return best.split("_")[0]
        return self.store.last_section(name)

    # -- pages -------------------------------------------------------------------
    def page(self) -> str:
        """The trainer's page (its live part is fetched every 1.5 s)."""
        from coprod_sim.room.qr import qr_img_html
        from coprod_sim.room.widget import CSS

        address = self.address
        join = ""
        if address:
            join = (f'<div class="join">{qr_img_html(address, 170)}<div><p>Trainees open '
                    f'<b class="big">{html.escape(address)}</b></p><p>and type the class '
                    f'code <b class="big code">{html.escape(self.class_code)}</b> '
                    "and their first name.</p></div></div>")
        live = self.prefix + "live"
        dash = os.environ.get("JUPYTERHUB_BASE_URL", "/") + \
            "user/trainer/voila/render/dashboards/trainer.ipynb"
        return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>The class: trainer's view</title><meta name="viewport" content="width=device-width">
{CSS}<style>
body {{ font-family: Arial, Helvetica, sans-serif; font-size: 18px; margin: 16px 24px;
  color: #111; background: #fff; }}
h1 {{ font-size: 28px; margin: 0 0 8px; color: #0b3d6b; }} h2 {{ font-size: 22px; }}
.join {{ display: flex; gap: 16px; align-items: center; }} .big {{ font-size: 24px; }}
.code {{ letter-spacing: 3px; }}
table.people {{ border-collapse: collapse; margin: 8px 0 16px; }}
table.people th, table.people td {{ text-align: left; padding: 4px 14px 4px 0;
  border-bottom: 1px solid #ccc; }}
.moment {{ border: 2px solid #0072B2; padding: 8px 12px; margin: 12px 0; }}
.moment h3 {{ font-size: 19px; margin: 0 0 6px; }}
a.button {{ display: inline-block; font-size: 18px; padding: 8px 14px; background: #0072B2;
  color: #fff; text-decoration: none; border-radius: 4px; margin: 4px 8px 4px 0; }}
a.button:focus, a.button:hover {{ outline: 3px solid #E69F00; }}
</style></head><body>
<h1>The class: trainer's view</h1>{join}
<p><a class="button" href="{html.escape(dash)}" target="_blank" rel="noopener">Open the
trainer dashboard</a> <a class="button" href="{html.escape(self.prefix)}export.csv">Save the
bets (CSV)</a></p>
<div id="live" aria-live="polite">{self.live_html()}</div>
<script>
async function refresh() {{
  try {{
    const r = await fetch({json.dumps(live)}, {{credentials: "same-origin"}});
    if (r.ok) document.getElementById("live").innerHTML = await r.text();
  }} catch (e) {{}}
}}
setInterval(refresh, 1500);
</script></body></html>"""

    def live_html(self) -> str:
        """The progress table and every moment's bets beside the model's result."""
        from coprod_sim.curriculum.moments import MOMENTS
        from coprod_sim.room.questions import room_verdict
        from coprod_sim.room.widget import bars_html, model_html

        answered = self.store.answers_by_trainee()
        working = {u["name"]: u for u in self.users if u.get("name") != TRAINER}
        names = set(working) | set(answered)
        if self.info.trainees_dir.is_dir():
            names |= {p.name for p in self.info.trainees_dir.iterdir() if p.is_dir()}
        rows = []
        for name in sorted(names):
            u = working.get(name, {})
            server = (u.get("servers") or {}).get("", {})
            state = "working now" if server.get("ready") else (
                "starting" if server else "not connected")
            chap = self.chapter(name)
            rows.append(f"<tr><th scope='row'>{html.escape(name)}</th><td>{state}</td>"
                        f"<td>{'notebook ' + html.escape(chap) if chap else '-'}</td>"
                        f"<td>{answered.get(name, 0)}</td></tr>")
        people = ("<h2>Trainees</h2><table class='people'><thead><tr><th>Name</th><th>Now"
                  "</th><th>In notebook</th><th>Moments answered</th></tr></thead><tbody>"
                  + "".join(rows) + "</tbody></table>" if rows else
                  "<h2>Trainees</h2><p>Nobody has joined yet.</p>")
        parts = [people, "<h2>The class's bets</h2>"]
        order = list(MOMENTS)
        questions = sorted(self.store.questions(),
                           key=lambda q: order.index(q.key) if q.key in order else 999)
        if not questions:
            parts.append("<p>No bets yet: they appear here as trainees press the buttons "
                         "in their notebooks.</p>")
        for q in questions:
            result = self.store.model_result(q.key)
            counts = self.store.counts(q.id) if q.kind == "choice" else None
            values = self.store.values(q.id) if q.kind == "estimate" else None
            n = self.store.answered(q.id)
            section = MOMENTS[q.key].section if q.key in MOMENTS else "?"
            parts.append(f"<div class='moment' data-moment='{html.escape(q.key)}'><h3>Notebook "
                         f"{html.escape(section)}: {html.escape(q.text)}</h3>"
                         f"<p class='coprod-room-count'><b>{n}</b> "
                         f"bet{'s' if n != 1 else ''}</p>"
                         + bars_html(q, counts, values, result))
            if result:
                result = dict(result, unit=q.unit)
                result["room"] = room_verdict(q.kind, result, counts, values or [])
                parts.append(model_html(q, result))
            else:
                parts.append("<p class='coprod-room-waiting'>Working out the model's "
                             "result…</p>")
            parts.append("</div>")
        stamp = datetime.now(UTC).strftime("%H:%M:%S UTC")
        parts.append(f"<p><small>Updated {stamp}.</small></p>")
        return "".join(parts)


class ExportHandler(_Trainer):
    """The class's bets as CSV (trainees as pseudonyms, names in their own column)."""

    @web.authenticated
    def get(self) -> None:
        """Send the CSV file."""
        self._trainer()
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="class-bets.csv"')
        self.write(self.app.store.export_csv())


def make_app(folder: Path, address: str = "") -> tuple[web.Application, ClassApp]:
    """The service's tornado application."""
    state = ClassApp(folder, address)
    prefix = state.prefix
    args = {"app": state}

    handlers: list[Any] = [
        (prefix, PageHandler, args),
        (prefix + "live", LiveHandler, args),
        (prefix + "export.csv", ExportHandler, args),
        (prefix + "api/bet", BetHandler, args),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
    ]
    app = web.Application(handlers, cookie_secret=os.urandom(32),
                          hub_auth=HubOAuth(cache_max_age=60), xsrf_cookies=False,
                          log_function=_log_request)
    return app, state


def _log_request(handler: web.RequestHandler) -> None:
    """One line per request: method, path without its query (no codes or tokens), status."""
    log.info("%s %s %s %.0fms", handler.get_status(), handler.request.method,
             handler.request.path, 1000 * handler.request.request_time())


def main() -> None:
    """Run the service (started by the hub; reads its address from the environment)."""
    logging.basicConfig(level=logging.INFO, format="[class %(asctime)s] %(message)s")
    folder = Path(os.environ[FOLDER_ENV])
    app, state = make_app(folder, os.environ.get(ADDRESS_ENV, ""))
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    server = HTTPServer(app, xheaders=True)
    server.listen(url.port or 80, url.hostname or "127.0.0.1")

    async def poll() -> None:
        while True:
            await state.refresh_users()
            await asyncio.sleep(2)

    loop = IOLoop.current()
    loop.add_callback(poll)
    log.info("the trainer's view is ready")
    loop.start()


if __name__ == "__main__":
    main()
