"""The join page and its API: tornado handlers added to the dashboard's server.

The dashboard server (:mod:`coprod_sim.serve_app`) adds these routes through
``coprod_sim.serve.extra_handlers`` when it runs with ``--room``, so they sit
behind the same checks as the dashboards; each route also checks the token
itself (``?token=`` in its address), so a request without it gets 403 and
nothing else. The token in the join link is the trainees' *join token*, which
the server accepts on these routes only: it opens no dashboard, kernel or file
(the trainer's token, which opens everything, works here too). The routes:

* ``GET  /join?token=T`` — the join page (sets the device cookie);
* ``GET  /join/static/room.js?token=T`` and ``room.css`` — its two files (a
  fixed list: no name from the browser reaches the disk);
* ``GET  /join/api/question?token=T`` — the current question, this device's
  answer, and how many have answered;
* ``POST /join/api/answer?token=T`` — this device's answer, as JSON
  (``{"question": 3, "choice": "Go up"}`` or ``{"question": 4, "value": 25}``,
  with an optional ``"name"``).

Bodies are capped at :data:`MAX_BODY` bytes, must be JSON, and are checked
against the question (an option of the question, or an estimate within its
range). Errors are one plain line (JSON ``{"error": ...}``); a database that
cannot be written (a full disk) is a 503 and one line in the trainer's
terminal, never a traceback. The database work runs on one worker thread, so
the server's event loop (which also carries the dashboards' traffic) never
waits on the disk.

Devices are issued by the server: the device cookie is an id signed with the
session's secret (:func:`~coprod_sim.room.store.device_key`, tornado's signed
values), so a script cannot make up ids. One network address gets at most
:data:`DEVICES_PER_ADDRESS` new ids per :data:`ISSUE_WINDOW` seconds, so one
client cannot fill the room's :data:`~coprod_sim.room.store.MAX_DEVICES`; and
answers are limited per device and per address (:data:`ANSWERS_PER_DEVICE`,
:data:`ANSWERS_PER_ADDRESS` per :data:`ANSWER_WINDOW` seconds; a 429 past that).
The trainer's own computer (a loopback address) is not limited per address.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import json
import os
import secrets
import sqlite3
import sys
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import tornado.web
from tornado.ioloop import IOLoop

from coprod_sim.room.store import (
    MAX_ID,
    SESSION_ENV,
    QuestionClosed,
    RoomError,
    Store,
    device_key,
    room_dir,
    token_hash,
)

#: Largest request body accepted, in bytes (an answer is under 200).
MAX_BODY = 2048

#: The cookie holding this device's random id, signed by the server.
DEVICE_COOKIE = "coprod_device"

#: Days a device id stays valid (a class, or two days of one).
DEVICE_DAYS = 2

#: Most new device ids one network address is given per :data:`ISSUE_WINDOW` seconds
#: (a trainee's phone and laptop, a shared tablet, a cleared cookie or two).
DEVICES_PER_ADDRESS = 10
ISSUE_WINDOW = 600.0

#: Most answers per device, and per network address, per :data:`ANSWER_WINDOW` seconds
#: (a trainee changing their mind a few times; a class behind one address).
ANSWERS_PER_DEVICE = 6
ANSWERS_PER_ADDRESS = 60
ANSWER_WINDOW = 10.0

_UNAVAILABLE = ("The room cannot keep answers just now (the trainer's computer could not "
                "save them). Your answer was not saved; the trainer has been told.")

STATIC = Path(__file__).resolve().parent / "static"

#: The only files the join page may ask for, and their types.
STATIC_FILES = {"room.js": "text/javascript; charset=utf-8",
                "room.css": "text/css; charset=utf-8"}

_FIELDS = {"question", "choice", "value", "name"}

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass
class Room:
    """What the handlers share: the session file, the token and the URL prefix.

    Args:
        store_path: The session's SQLite file.
        token: The trainees' join token every route checks (and the page's links carry).
        base_url: The server's URL prefix (``/`` unless Voila's ``base_url`` is set).
        trainer_token: The trainer's token, accepted here too (optional).
    """

    store_path: Path
    token: str
    base_url: str = "/"
    trainer_token: str = ""
    _store: Store | None = field(default=None, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, repr=False)
    _secret: str = field(default="", repr=False)
    _seen: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque),
                                           repr=False)
    joined: int = 0
    _last_fault: float = field(default=-1e9, repr=False)

    def __post_init__(self) -> None:
        if not self.token:
            raise RoomError("token is empty; allowed: a room token of letters and digits")
        self.base_url = "/" + self.base_url.strip("/") + ("/" if self.base_url.strip("/")
                                                          else "")

    @property
    def store(self) -> Store:
        """The session store (opened on first use)."""
        if self._store is None:
            self._store = Store(self.store_path)
        return self._store

    @property
    def secret(self) -> str:
        """The session's secret for signing device ids."""
        if not self._secret:
            self._secret = device_key(self.store)
        return self._secret

    def allow(self, kind: str, key: str, most: int, window: float,
              now: float | None = None) -> bool:
        """Whether one more ``kind`` event for ``key`` fits (and count it): a sliding window."""
        now = time.monotonic() if now is None else now
        seen = self._seen[f"{kind}:{key}"]
        while seen and now - seen[0] > window:
            seen.popleft()
        if len(seen) >= most:
            return False
        seen.append(now)
        return True

    def fault(self, what: str, err: BaseException) -> None:
        """One line in the trainer's terminal for a database fault (at most one a minute)."""
        now = time.monotonic()
        if now - self._last_fault >= 60:
            self._last_fault = now
            print(f"The room could not {what}: {err}. Free some disk space on this "
                  "computer; answers will be taken again at once.", file=sys.stderr,
                  flush=True)

    def check(self, token: str | None) -> bool:
        """Whether ``token`` is the join token or the trainer's (compared in constant time)."""
        if not token:
            return False
        given = token.encode()
        return hmac.compare_digest(given, self.token.encode()) or bool(
            self.trainer_token) and hmac.compare_digest(given, self.trainer_token.encode())

    def prefix(self) -> str:
        """The path the join page's routes share (``/join/``)."""
        return f"{self.base_url}join/"

    def link(self, path: str) -> str:
        """The address of one of the join page's routes, with the token in it."""
        return f"{self.prefix()}{path}?{urlencode({'token': self.token})}"

    async def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store call on the room's database thread."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coprod-room")
        return await IOLoop.current().run_in_executor(self._pool,
                                                      lambda: fn(*args, **kwargs))


class _Fail(tornado.web.HTTPError):
    """An error answered with one plain line (and not logged as a server fault)."""

    def __init__(self, status: int, message: str):
        super().__init__(status)
        self.status, self.message = status, message


_FORBIDDEN = ("This room address is not right. Scan the trainer's code again, or type the "
              "address shown on the trainer's screen.")


class _RoomHandler(tornado.web.RequestHandler):
    """Shared: token check, security headers, one-line errors."""

    room: Room

    def initialize(self, room: Room) -> None:  # noqa: D102
        self.room = room

    def set_default_headers(self) -> None:  # noqa: D102
        for k, v in _SECURITY_HEADERS.items():
            self.set_header(k, v)

    def prepare(self) -> None:  # noqa: D102
        given = self.request.query_arguments.get("token", [b""])[-1]
        if not self.room.check(given.decode("utf-8", "replace")):
            raise _Fail(403, _FORBIDDEN)
        if self.request.method not in ("GET", "HEAD"):
            self.check_xsrf_cookie()

    def check_xsrf_cookie(self) -> None:
        """No XSRF cookie: the token is in the address, bodies are JSON, Origin must match."""
        origin = self.request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != self.request.host:
            raise _Fail(403, "This answer came from another web site and was refused.")

    def write_error(self, status_code: int, **kwargs: Any) -> None:  # noqa: D102
        err = kwargs.get("exc_info", (None, None))[1]
        message = err.message if isinstance(err, _Fail) else {
            403: _FORBIDDEN, 404: "There is nothing at this address.",
            405: "This address does not take that kind of request.",
            413: f"The request is too large (at most {MAX_BODY} bytes).",
        }.get(status_code, "Something went wrong; please try again.")
        self.set_status(status_code)
        self.clear_header("Content-Type")
        if status_code == 429:
            self.set_header("Retry-After", str(int(ANSWER_WINDOW)))
        if self.request.path.rsplit("/", 2)[-2:-1] == ["api"]:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": message}))
        else:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(message + "\n")

    def address(self) -> str:
        """The network address the request came from."""
        return str(self.request.remote_ip or "unknown")

    def per_address(self, kind: str, most: int, window: float) -> bool:
        """Whether this address may do one more ``kind`` (this computer itself always may)."""
        address = self.address()
        try:
            if ipaddress.ip_address(address).is_loopback:
                return True  # the trainer's own computer (its pages, its tests)
        except ValueError:
            pass
        return self.room.allow(kind, address, most, window)

    def device(self, create: bool) -> str | None:
        """The device's id from its signed cookie; a new one (and cookie) when ``create``.

        An id the server did not sign (made up, or from another session) is no id.
        A new id is given only while this address has had fewer than
        :data:`DEVICES_PER_ADDRESS` in the last :data:`ISSUE_WINDOW` seconds.
        """
        from tornado.web import create_signed_value, decode_signed_value

        value = self.get_cookie(DEVICE_COOKIE)
        if value:
            found = decode_signed_value(self.room.secret, DEVICE_COOKIE, value,
                                        max_age_days=DEVICE_DAYS)
            if found is not None:
                return found.decode("ascii", "replace")
        if not create:
            return None
        if not self.per_address("issue", DEVICES_PER_ADDRESS, ISSUE_WINDOW):
            return None
        device = secrets.token_urlsafe(18)
        signed = create_signed_value(self.room.secret, DEVICE_COOKIE, device).decode()
        self.set_cookie(DEVICE_COOKIE, signed, path=self.room.prefix(), httponly=True,
                        samesite="Strict", expires_days=DEVICE_DAYS)
        self.room.joined += 1
        n = self.room.joined
        print(f"A device joined the room ({n} so far).", file=sys.stderr, flush=True)
        return device


class JoinPageHandler(_RoomHandler):
    """The join page: a question, big buttons or a slider, and a send button."""

    _page: str | None = None

    def get(self) -> None:  # noqa: D102
        self.device(create=True)
        page = JoinPageHandler._page
        if page is None:
            page = JoinPageHandler._page = (STATIC / "join.html").read_text(encoding="utf-8")
        links = {"{{css}}": self.room.link("static/room.css"),
                 "{{js}}": self.room.link("static/room.js"),
                 "{{question}}": self.room.link("api/question"),
                 "{{answer}}": self.room.link("api/answer")}
        for key, value in links.items():
            page = page.replace(key, html.escape(value, quote=True))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


class StaticHandler(_RoomHandler):
    """The join page's script and style sheet (a fixed list of files)."""

    _cache: dict[str, bytes] = {}

    def get(self, name: str) -> None:  # noqa: D102
        if name not in STATIC_FILES:
            raise _Fail(404, "There is nothing at this address.")
        data = self._cache.get(name)
        if data is None:
            data = self._cache[name] = (STATIC / name).read_bytes()
        self.set_header("Content-Type", STATIC_FILES[name])
        self.set_header("Cache-Control", "no-cache")
        self.finish(data)


class QuestionHandler(_RoomHandler):
    """The current question, this device's answer and how many have answered."""

    async def get(self) -> None:  # noqa: D102
        device = self.device(create=True)
        try:
            data = await self.room.call(_state, self.room.store, device)
        except sqlite3.Error as err:
            self.room.fault("read the room's question", err)
            raise _Fail(503, _UNAVAILABLE) from None
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data))


def _state(store: Store, device: str | None) -> dict[str, Any]:
    q = store.current()
    if q is None:
        return {"question": None, "mine": None, "answered": 0}
    return {"question": q.public(), "mine": store.answer_of(q.id, device) if device else None,
            "answered": store.answered(q.id)}


@tornado.web.stream_request_body
class AnswerHandler(_RoomHandler):
    """Record this device's answer to the current question."""

    def prepare(self) -> None:  # noqa: D102
        super().prepare()
        self._body = bytearray()
        if self.request.method != "POST":
            return
        self.request.connection.set_max_body_size(MAX_BODY)
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            raise _Fail(413, f"The request is too large (at most {MAX_BODY} bytes).")
        ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise _Fail(415, f"Content-Type is {ctype or 'missing'!r}; allowed: "
                             "'application/json'")

    def data_received(self, chunk: bytes) -> None:  # noqa: D102
        self._body += chunk

    async def post(self) -> None:  # noqa: D102
        if len(self._body) > MAX_BODY:
            raise _Fail(413, f"The request is too large (at most {MAX_BODY} bytes).")
        device = self.device(create=False)
        if device is None:
            raise _Fail(400, "This device has no id yet: open the join page first "
                             "(and allow cookies for it).")
        if not (self.room.allow("answer-device", device, ANSWERS_PER_DEVICE, ANSWER_WINDOW)
                and self.per_address("answer-address", ANSWERS_PER_ADDRESS, ANSWER_WINDOW)):
            raise _Fail(429, "Too many answers from this device: wait a few seconds, "
                             "then send your answer again.")
        try:
            data = json.loads(self._body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _Fail(400, "The answer is not valid JSON.") from None
        if not isinstance(data, dict):
            raise _Fail(400, "The answer must be a JSON object with 'question' and "
                             "'choice' or 'value'.")
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise _Fail(400, f"field {unknown[0]!r} is not known; allowed: "
                             + ", ".join(sorted(_FIELDS)))
        qid = data.get("question")
        if isinstance(qid, bool) or not isinstance(qid, int) or not 0 < qid <= MAX_ID:
            raise _Fail(400, f"question is {repr(qid)[:40]}; allowed: the id of the "
                             "current question")
        try:
            q = await self.room.call(self.room.store.submit, qid, device,
                                     choice=data.get("choice"), value=data.get("value"),
                                     name=data.get("name") or "")
        except QuestionClosed as err:
            raise _Fail(409, str(err)) from None
        except RoomError as err:
            raise _Fail(400, str(err)) from None
        except sqlite3.Error as err:  # a full disk, a locked or damaged file
            self.room.fault("save an answer", err)
            raise _Fail(503, _UNAVAILABLE) from None
        mine = data.get("choice") if q.kind == "choice" else data.get("value")
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"ok": True, "question": q.id, "answer": mine}))


class NotFoundHandler(_RoomHandler):
    """Any other address under a right token: 404 (a wrong token still gets 403)."""

    def get(self, rest: str = "") -> None:  # noqa: D102
        raise _Fail(404, "There is nothing at this address.")

    post = get


def room_handlers(room: Room) -> list[tuple[str, type, dict[str, Any]]]:
    """The join page's routes, to put before the dashboard's own (Voila's catch-all)."""
    base = room.base_url
    args = {"room": room}
    return [
        (rf"{base}join/?", JoinPageHandler, args),
        (rf"{base}join/static/(?P<name>[^/]+)", StaticHandler, args),
        (rf"{base}join/api/question", QuestionHandler, args),
        (rf"{base}join/api/answer", AnswerHandler, args),
        (rf"{base}join/(?P<rest>.*)", NotFoundHandler, args),
    ]


def server_handlers(base_url: str = "/") -> list[tuple[str, type, dict[str, Any]]]:
    """Start the room for a dashboard server in room mode; return its routes.

    Called once, in the server process, by ``coprod_sim.serve.extra_handlers``.
    Creates this session's file in :func:`~coprod_sim.room.store.room_dir`
    (``--room-dir``, passed as ``$COPROD_ROOM_DIR``; the folder is created on
    first use), or carries on with the one in ``$COPROD_ROOM_CONTINUE`` (chosen
    by :func:`~coprod_sim.room.store.choose_session`), writes the join address
    and a hash of the token into it, and puts the file's path in
    ``$COPROD_ROOM_SESSION`` for kernels started from
    now on. (Preheated kernels copied the environment earlier: the trainer's
    panel then finds the newest session in the folder whose hash matches.)

    Raises:
        SystemExit: with one line, when there is no room token or the folder
            cannot be written.
    """
    from coprod_sim.room.links import ENV_JOIN_TOKEN, ENV_TOKEN, room_link

    token = os.environ.get(ENV_TOKEN, "")
    join = os.environ.get(ENV_JOIN_TOKEN, "")
    if not token or not join:
        raise SystemExit("coprod-sim dashboard: the room needs the trainer's token "
                         f"({ENV_TOKEN}) and the join token ({ENV_JOIN_TOKEN}).")
    folder = room_dir()
    carry_on = os.environ.get("COPROD_ROOM_CONTINUE")
    try:
        store = Store(carry_on) if carry_on else Store.create_session(folder)
        store.set_meta("join_url", room_link("join") or "")
        store.set_meta("token_hash", token_hash(token))
        device_key(store)
    except (OSError, RoomError, sqlite3.Error) as err:
        raise SystemExit(f"coprod-sim dashboard: --room-dir is {str(folder)!r}, which cannot "
                         f"hold the room's answers: {getattr(err, 'strerror', None) or err}"
                         ) from None
    os.environ[SESSION_ENV] = str(store.path.resolve())
    room = Room(store.path, join, base_url or "/", trainer_token=token)
    room._store = store
    print(f"The room's answers are kept in {store.path}.", file=sys.stderr, flush=True)
    return room_handlers(room)
