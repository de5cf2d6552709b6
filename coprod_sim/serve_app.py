"""The dashboard server: Voila with the checks a served room needs.

Run by :func:`coprod_sim.serve.main` (``coprod-sim dashboard``), never
imported by the model or the widgets. Every request, on every route (pages,
static files, kernel websockets, the pages added through
:func:`coprod_sim.serve.extra_handlers`), first passes :class:`Guard`:

- local mode: the ``Host`` header must name this computer (``localhost``,
  ``127.0.0.1``, ``[::1]``), so a web page elsewhere cannot reach the server
  through DNS rebinding;
- room mode: two tokens. The trainer's token (``?token=``, an
  ``Authorization: token ...`` header, or the HttpOnly cookie it is exchanged
  for) opens every route; a dashboard page asked for with the token in its
  address answers with the cookie and a redirect to the same page without
  it, so the token never stays in the address bar projected to the room or
  in the browser's history. The trainees' join token (``?token=`` only,
  never a cookie) opens only the join page, its files and its answer API
  (``/join``, ``/join/...``): on any other route it gets 403, so the join
  link cannot open a dashboard, a kernel or a file;
- a dashboard page takes no query parameter from the browser: Voila's
  ``?theme=`` and ``?template=`` (written into the page) and any other are
  dropped by a redirect to the bare page (and Voila is told to ignore them);
- a new dashboard page may start a kernel only while fewer than
  ``max_kernels`` are in use (else a "the room is full" page), only
  ``per_client`` a minute from one device (else a "wait a minute" page), and
  never for another web site (an ``<img>``, ``fetch`` or frame there: only a
  link the user follows opens a page). The page is found on the decoded,
  normalised path, as Voila finds it (``trainer%2Eipynb`` counts);
- no token is ever written in a log line (addresses, headers, guesses).

Bodies and websocket messages are capped in size. Stopping (Ctrl+C or
SIGTERM) shuts the kernels down and prints one line, no traceback; the
private folder of the kernels' sockets is removed (and, at the next start,
any such folder a killed server left behind).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import importlib
import logging
import os
import posixpath
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import tornado.ioloop
import tornado.web
from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
from traitlets import Bool, Integer, Unicode
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler
from voila.treehandler import VoilaTreeHandler

from coprod_sim.room.links import ENV_JOIN_TOKEN, ENV_ROOM_URL, ENV_TOKEN, trainer_link
from coprod_sim.serve import LOCAL_NAMES, extra_handlers

#: Largest request body (bytes) and largest websocket message from a browser.
MAX_BODY = 1 * 2**20
MAX_WS_MESSAGE = 4 * 2**20

#: Name of the cookie that carries the trainer's token (a hash of it) after the
#: first visit. The join token never sets a cookie; the join page's own device
#: cookie (``coprod_device``, path ``/join/``) opens nothing here.
COOKIE = "coprod_trainer"

#: Paths served to anyone, without a token (a browser asks for its icon unasked).
PUBLIC_PATHS = ("/favicon.ico",)

#: The handlers that render a page (a dashboard or the list of them).
PAGE_HANDLERS: tuple[type, ...] = (TornadoVoilaHandler, VoilaTreeHandler)


def page(title: str, text: str, status: int) -> str:
    """A small, accessible HTML page for a refusal (no script, large text)."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title>"
            f"<style>body{{font:20px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;"
            f"padding:0 1em;color:#000;background:#fff}}h1{{font-size:28px}}</style></head>"
            f"<body><main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
            f"<p>(HTTP {status})</p></main></body></html>")


class RefuseHandler(tornado.web.RequestHandler):
    """Answers every method with one refusal page (status, title, text)."""

    def initialize(self, status: int, title: str, text: str,  # noqa: D417
                   retry: int | None = None) -> None:
        """Keep the refusal to send."""
        self.status, self.title, self.text, self.retry = status, title, text, retry

    def prepare(self) -> None:
        """Send the refusal whatever the method."""
        self.set_status(self.status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if self.retry:
            self.set_header("Retry-After", str(self.retry))
        self.finish(page(self.title, self.text, self.status))

    def check_xsrf_cookie(self) -> None:  # noqa: D102 - a refusal needs no XSRF check
        return None


class Guard:
    """The checks every request passes, and the kernel cap.

    Args:
        room: Room mode (token required) rather than local mode (local Host only).
        token: The trainer's token (room mode): opens every route.
        max_kernels: Most kernels in use at once, not counting the preheated pool.
        per_client: Most new dashboard pages per device per minute.
        join_token: The trainees' token (room mode): opens the join routes only.
        base_url: The server's URL prefix (where the join routes are).
    """

    WINDOW = 60.0

    def __init__(self, room: bool, token: str, max_kernels: int, per_client: int,
                 join_token: str = "", base_url: str = "/"):
        self.room, self.token, self.join_token = room, token, join_token
        if room and (not token or token == join_token):
            raise ValueError("the room needs a trainer's token, different from the "
                             "join token")
        self.join_prefix = "/" + base_url.strip("/") + ("/" if base_url.strip("/") else "") \
            + "join"
        self.max_kernels, self.per_client = max_kernels, per_client
        self.cookie_value = hashlib.sha256(f"coprod-room:{token}".encode()).hexdigest()
        self.opened: dict[str, deque[float]] = defaultdict(deque)
        self.refused = {"host": 0, "path": 0, "token": 0, "full": 0, "client": 0,
                        "site": 0}
        self.redirected = 0
        self.rendering = 0  # dashboard pages admitted and not yet fully sent

    @staticmethod
    def host_name(host_header: str) -> str:
        """The name part of a ``Host`` header (no port, no IPv6 brackets), lower case."""
        host = host_header.strip().lower()
        if host.startswith("["):
            return host[1:].split("]", 1)[0]
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    def host_ok(self, request: Any) -> bool:
        """Local mode: the Host names this computer. Room mode: any host."""
        if self.room:
            return True
        return self.host_name(request.headers.get("Host", "")) in LOCAL_NAMES

    @staticmethod
    def path_ok(request: Any) -> bool:
        """No ``..`` segment, backslash or NUL in the path (however it is encoded)."""
        path = request.path
        for _ in range(3):  # undo double and triple encoding too
            path = urllib.parse.unquote(path)
        parts = path.replace("\\", "/").split("/")
        return ".." not in parts and "\\" not in request.path and "\x00" not in path

    def is_join_route(self, request: Any) -> bool:
        """Whether the request is for the join page, its files or its API (``/join...``)."""
        path = request.path
        return path == self.join_prefix or path.startswith(self.join_prefix + "/")

    def is_join_token(self, request: Any) -> bool:
        """Whether the address carries the trainees' join token."""
        given = request.query_arguments.get("token", [b""])[-1].decode("utf-8", "replace")
        return bool(self.join_token and given) and hmac.compare_digest(
            given.encode(), self.join_token.encode())

    def token_ok(self, request: Any) -> tuple[bool, bool]:
        """Whether the request may pass, and whether to set the trainer's cookie.

        The trainer's token passes everywhere (and sets the cookie when it is in
        the address); the join token passes on the join routes only, and never
        sets a cookie.
        """
        if not self.room:
            return True, False
        given = request.query_arguments.get("token", [b""])[-1].decode("utf-8", "replace")
        if given and hmac.compare_digest(given.encode(), self.token.encode()):
            return True, True
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("token ") and hmac.compare_digest(auth[6:].strip(),
                                                                     self.token):
            return True, False
        cookie = request.cookies.get(COOKIE)
        if cookie is not None and hmac.compare_digest(cookie.value.encode(),
                                                      self.cookie_value.encode()):
            return True, False
        if self.is_join_route(request) and self.is_join_token(request):
            return True, False
        return False, False

    @staticmethod
    def cross_site(request: Any) -> bool:
        """Whether a request was made by a page of another site without the user's click.

        A link the user follows (a top-level navigation) may come from anywhere; an
        ``<img>``, a ``fetch`` (even ``no-cors``), a frame or a form posted by another
        site may not start anything. Browsers say who asked in ``Sec-Fetch-Site``
        (and ``Sec-Fetch-Mode``/``Sec-Fetch-Dest``); a browser too old for these is
        judged by ``Origin``, else by a foreign ``Referer`` on a request that does
        not ask for a page.
        """
        headers = request.headers
        site = headers.get("Sec-Fetch-Site", "").lower()
        if site:
            if site in ("same-origin", "none"):
                return False
            return not (headers.get("Sec-Fetch-Mode", "").lower() == "navigate"
                        and headers.get("Sec-Fetch-Dest", "document").lower() == "document"
                        and request.method == "GET")
        host = headers.get("Host", "").lower()
        origin = headers.get("Origin")
        if origin:
            return origin == "null" or urllib.parse.urlsplit(origin).netloc.lower() != host
        referer = headers.get("Referer")
        if referer and urllib.parse.urlsplit(referer).netloc.lower() != host:
            return "text/html" not in headers.get("Accept", "")
        return False

    def client(self, request: Any) -> str:
        """The device a request comes from (its address)."""
        return str(request.remote_ip or "unknown")

    def client_ok(self, request: Any, now: float | None = None) -> bool:
        """Whether this device may open one more dashboard page now (and count it)."""
        now = time.monotonic() if now is None else now
        seen = self.opened[self.client(request)]
        while seen and now - seen[0] > self.WINDOW:
            seen.popleft()
        if len(seen) >= self.per_client:
            return False
        seen.append(now)
        return True


def kernels_in_use(kernel_manager: Any) -> int:
    """Kernels serving a page: every running kernel but the preheated pool's."""
    running = len(kernel_manager.list_kernel_ids())
    pools = getattr(kernel_manager, "_pools", {}) or {}
    pooled = sum(len(pool) for pool in pools.values())
    return max(0, running - pooled)


def decoded_path(raw: bytes | str | None) -> str:
    """A path as the server reads it: percent-decoded (however often), ``/`` only, normalised."""
    path = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
    for _ in range(3):
        path = urllib.parse.unquote(path)
    path = path.replace("\\", "/").strip()
    if not path.strip("/"):
        return ""
    return posixpath.normpath(path).lstrip("/")


def opens_a_kernel(request: Any, handler_class: type, path_args: Any = None,
                   handler_kwargs: dict | None = None) -> bool:
    """Whether serving this request renders a dashboard (takes or starts a kernel).

    Decided on the path Voila will read (``path_args``, decoded and normalised), not
    on the address as sent: ``/voila/render/trainer%2Eipynb`` and ``trainer.IPYNB``
    render the trainer dashboard too. A server of one dashboard renders it for the
    bare address only (any other path is a file, never a kernel).
    """
    if request.method != "GET" or not issubclass(handler_class, TornadoVoilaHandler):
        return False
    if path_args is None:  # (no router match given: read the request's own path)
        path_args = [request.path]
    path = decoded_path(path_args[0] if path_args else "")
    if (handler_kwargs or {}).get("notebook_path"):
        return path == ""
    return path == "" or posixpath.splitext(path.rstrip("/"))[1].lower() == ".ipynb"


def is_page(request: Any, handler_class: type) -> bool:
    """Whether the request asks for a rendered page (a dashboard, or the list of them)."""
    return request.method == "GET" and issubclass(handler_class, PAGE_HANDLERS)


def clean_address(request: Any) -> str:
    """The request's own path with no query (never a ``//host`` address elsewhere)."""
    return "/" + request.path.lstrip("/\\")


_COUNTED: dict[type, type] = {}


def counted(handler_class: type) -> type:
    """A subclass of a page handler that tells the guard when its page is done."""
    if handler_class not in _COUNTED:

        class Counted(handler_class):  # type: ignore[misc, valid-type]
            _done = False

            def _release(self) -> None:
                if not self._done:
                    self._done = True
                    self.application.guard.rendering -= 1

            def on_finish(self) -> None:
                self._release()
                super().on_finish()

            def on_connection_close(self) -> None:
                self._release()
                super().on_connection_close()

        Counted.__name__ = Counted.__qualname__ = f"Counted{handler_class.__name__}"
        _COUNTED[handler_class] = Counted
    return _COUNTED[handler_class]


class GuardedApplication(tornado.web.Application):
    """A tornado application whose every request passes :class:`Guard` first."""

    guard: Guard

    def find_handler(self, request: Any, **kwargs: Any) -> Any:  # noqa: D102
        guard = self.guard
        if not guard.host_ok(request):
            guard.refused["host"] += 1
            return self._refuse(request, 403, "Not served to this address",
                                "This dashboard is served to this computer only "
                                "(open it at http://127.0.0.1 on the computer running it).")
        if not guard.path_ok(request):
            guard.refused["path"] += 1
            return self._refuse(request, 404, "Not found",
                                "There is no page at this address.")
        if request.path in PUBLIC_PATHS:
            return super().find_handler(request, **kwargs)
        ok, set_cookie = guard.token_ok(request)
        if not ok and guard.is_join_token(request):
            guard.refused["token"] += 1
            return self._refuse(request, 403, "This address is for joining the room only",
                                "The trainees' code opens the page for answering the "
                                "trainer's questions, nothing else. Open the join page "
                                "the trainer shows.")
        if not ok:
            guard.refused["token"] += 1
            return self._refuse(request, 403, "This room needs its full address",
                                "Open the address the trainer shows, with the room's code "
                                "in it (it ends in ?token=...).")
        delegate = super().find_handler(request, **kwargs)
        if is_page(request, delegate.handler_class) and request.query:
            # No query parameter reaches a page: Voila writes ?theme= and ?template=
            # into it. The trainer's token is kept as a cookie instead of in the address.
            guard.redirected += 1
            if set_cookie:
                request._coprod_cookie = guard.cookie_value  # read by RoomCookie below
            return self.get_handler_delegate(request, CleanRedirect,
                                             {"to": clean_address(request)})
        if opens_a_kernel(request, delegate.handler_class, delegate.path_args,
                          delegate.handler_kwargs):
            if guard.cross_site(request):
                guard.refused["site"] += 1
                return self._refuse(request, 403, "Opened from another web site",
                                    "Another web site asked this computer to open a "
                                    "dashboard page. Open the dashboard's own address "
                                    "instead.")
            # pages still rendering count too: their kernels may not be listed yet
            in_use = kernels_in_use(self.settings["kernel_manager"]) + guard.rendering
            if in_use >= guard.max_kernels:
                guard.refused["full"] += 1
                logging.getLogger("coprod_sim.serve").warning(
                    "the room is full: %d dashboard pages open (most %d)", in_use,
                    guard.max_kernels)
                return self._refuse(request, 503, "The room is full",
                                    f"{guard.max_kernels} dashboard pages are open already, "
                                    "the most this computer serves. Close a page you no "
                                    "longer use, or try again in a few minutes.", retry=60)
            if not guard.client_ok(request):
                guard.refused["client"] += 1
                return self._refuse(request, 429, "Please wait a minute",
                                    f"This device has opened {guard.per_client} dashboard "
                                    "pages in the last minute. Use a page already open, or "
                                    "try again in a minute.", retry=60)
            guard.rendering += 1
            delegate.handler_class = counted(delegate.handler_class)
        if set_cookie:
            request._coprod_cookie = guard.cookie_value  # read by RoomCookie below
        return delegate

    def _refuse(self, request: Any, status: int, title: str, text: str,
                retry: int | None = None) -> Any:
        return self.get_handler_delegate(request, RefuseHandler, {
            "status": status, "title": title, "text": text, "retry": retry})


class CleanRedirect(tornado.web.RequestHandler):
    """Sends the browser to the same page with no query (no token, no ``?theme=``)."""

    def initialize(self, to: str) -> None:  # noqa: D417
        """Keep the address to send the browser to."""
        self.to = to

    def prepare(self) -> None:
        """Redirect whatever the method (only GET gets here)."""
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.redirect(self.to, status=302)

    def check_xsrf_cookie(self) -> None:  # noqa: D102 - a redirect needs no XSRF check
        return None


#: A small icon (the kit's blue square), so a browser's unasked request for one
#: is answered instead of logged as refused.
FAVICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
           b'<rect width="16" height="16" rx="3" fill="#0072B2"/>'
           b'<circle cx="8" cy="8" r="3.5" fill="#fff"/></svg>')


class FaviconHandler(tornado.web.RequestHandler):
    """``/favicon.ico`` for every browser and phone (no token: it holds nothing)."""

    def get(self) -> None:  # noqa: D102
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "public, max-age=86400")
        self.finish(FAVICON)


class RoomCookie(tornado.web.OutputTransform):
    """Sets the room cookie on the response to a request that had the token in its address."""

    def __init__(self, request: Any):
        self.value = getattr(request, "_coprod_cookie", "")
        super().__init__(request)

    def transform_first_chunk(self, status_code: int, headers: Any, chunk: bytes,
                              finishing: bool) -> tuple[int, Any, bytes]:
        """Add the Set-Cookie header when asked."""
        if self.value:
            # Lax, not Strict: a trainer who follows the link from another site
            # (an e-mail, a course page) still gets the cookie after the redirect
            # to the clean address. Nothing a GET does changes the room, and the
            # requests that do (websockets, POSTs) are refused to other sites.
            headers.add("Set-Cookie", f"{COOKIE}={self.value}; Path=/; HttpOnly; "
                                      "SameSite=Lax")
        return status_code, headers, chunk


class LocalSocketKernelManager(ServerKernelManager):
    """A kernel that talks to the server over local sockets in a private folder.

    Not TCP ports on 127.0.0.1, which any user of the computer could connect
    to; each kernel has its own socket names, so kernels starting together never
    share one.
    """

    folder = ""

    #: Options for every dashboard kernel: no command history on disk (nobody
    #: types commands there), and no pyarrow, which pandas loads for text
    #: columns when it is installed (about 40 MB per kernel; the dashboards use
    #: no text columns and no Parquet files).
    KERNEL_OPTIONS = ("--HistoryManager.enabled=False",
                      "--IPKernelApp.exec_lines=import sys; sys.modules.setdefault("
                      "'pyarrow', None)")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.folder:
            self.transport = "ipc"
            self.ip = os.path.join(self.folder, f"k{uuid.uuid4().hex[:10]}")

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The kernel's command line, with :data:`KERNEL_OPTIONS` for a Python kernel."""
        cmd = super().format_kernel_cmd(extra_arguments)
        if any("ipykernel" in part for part in cmd):
            cmd += list(self.KERNEL_OPTIONS)
        return cmd


#: Links Voila's page template puts to a CDN (icon fonts, which Voila's own
#: JavaScript already bundles): an offline room has no internet, so they go.
CDN_LINK = re.compile(rb'<link[^>]+href="https?://(?:cdn\.jsdelivr\.net|unpkg\.com|'
                      rb'cdnjs\.cloudflare\.com)/[^"]*"[^>]*>\s*')

#: Gives every slider handle the name of its lever (ipywidgets leaves the
#: ``role="slider"`` element unnamed, which screen readers announce as "slider").
A11Y_SCRIPT = rb"""<script>(function () {
  function name() {
    document.querySelectorAll('.widget-slider, .jupyter-widget-slider').forEach(function (box) {
      var label = box.querySelector('.widget-label');
      var text = label && label.textContent.trim();
      if (!text) { return; }
      box.querySelectorAll('[role="slider"]').forEach(function (h) {
        if (h.getAttribute('aria-label') !== text) { h.setAttribute('aria-label', text); }
      });
    });
  }
  function upload() {
    // ipywidgets writes "Load a scenario file (0)": the count means nothing to a trainer
    document.querySelectorAll('.coprod-upload').forEach(function (b) {
      b.childNodes.forEach(function (n) {
        if (n.nodeType === 3 && / \(\d+\)$/.test(n.data)) {
          n.data = n.data.replace(/ \(\d+\)$/, '');
        }
      });
    });
  }
  new MutationObserver(upload).observe(document.documentElement,
                                       {childList: true, subtree: true});
  new MutationObserver(name).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', name);
})();</script>"""


def forbids_inline_script(policy: str) -> bool:
    """Whether a ``Content-Security-Policy`` value refuses inline scripts.

    The directive that governs ``<script>`` elements (``script-src-elem``, else
    ``script-src``, else ``default-src``) without ``'unsafe-inline'``, or with a
    nonce or hash (which make browsers ignore ``'unsafe-inline'``). Jupyter's own
    policy (``frame-ancestors 'self'; report-uri ...``) governs no script.
    """
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.strip().lower().split()
        if words:
            directives.setdefault(words[0], words[1:])
    for name in ("script-src-elem", "script-src", "default-src"):
        if name in directives:
            sources = directives[name]
            return "'unsafe-inline'" not in sources or any(
                src.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-"))
                for src in sources)
    return False


class PageFixes(tornado.web.OutputTransform):
    """Fixes in the dashboard pages Voila sends: no CDN links, named slider handles.

    A response whose own ``Content-Security-Policy`` refuses inline scripts
    (the room's join page) is left exactly as it is: the added script would be
    refused there, with an error in the browser's console.
    """

    def __init__(self, request: Any):
        self.html = False
        self.injected = False
        super().__init__(request)

    def _fix(self, chunk: bytes) -> bytes:
        chunk = CDN_LINK.sub(b"", chunk)
        if not self.injected and b"</head>" in chunk:
            chunk = chunk.replace(b"</head>", A11Y_SCRIPT + b"</head>", 1)
            self.injected = True
        return chunk

    def transform_first_chunk(self, status_code: int, headers: Any, chunk: bytes,
                              finishing: bool) -> tuple[int, Any, bytes]:
        """Fix the first part of an HTML page (and its length, when it has one)."""
        # (a page sent in parts with a length given up front is left alone)
        self.html = headers.get("Content-Type", "").startswith("text/html") and (
            finishing or "Content-Length" not in headers) and not forbids_inline_script(
            headers.get("Content-Security-Policy", ""))
        if self.html:
            chunk = self._fix(chunk)
            if "Content-Length" in headers:
                headers["Content-Length"] = str(len(chunk))
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        """Fix the later parts of a streamed page."""
        return self._fix(chunk) if self.html else chunk


class CoprodVoila(Voila):
    """Voila with the guard, size caps, extra handlers and a quiet, clean stop."""

    name = "coprod-dashboard"
    room = Bool(False, help="Room mode: every route needs the token.").tag(config=True)
    max_kernels = Integer(8, help="Most kernels serving pages at once.").tag(config=True)
    per_client = Integer(6, help="Most new pages per device per minute.").tag(config=True)
    dashboard = Unicode("trainer", help="The dashboard served (for messages).").tag(
        config=True)
    verbose = Bool(False, help="Log every request and kernel (else: the addresses, who "
                               "joined, and errors in one line).").tag(config=True)

    def initialize(self, argv: Any = None) -> None:  # noqa: D102
        super().initialize(argv)
        signal.signal(signal.SIGTERM, self._handle_signal_stop)
        # Ctrl+C stops the server even when started from a script that ignores it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.join_token = self.room_token = ""
        if self.room:
            token = os.environ.get(ENV_TOKEN, "")
            join = os.environ.get(ENV_JOIN_TOKEN, "")
            if not token or not join:
                raise SystemExit("coprod-sim dashboard: room mode needs the trainer's "
                                 f"token ({ENV_TOKEN}) and the join token ({ENV_JOIN_TOKEN}).")
            if hmac.compare_digest(token.encode(), join.encode()):
                raise SystemExit(f"coprod-sim dashboard: {ENV_JOIN_TOKEN} must differ from "
                                 f"{ENV_TOKEN} (the trainer's token opens everything).")
            # The guard is the one gate (every route, websockets too). Voila's own
            # token stays unset: it would want the token in every page's address
            # (the guard swaps it for a cookie) and skip websocket origin checks.
            self.room_token, self.join_token = token, join
        quiet_logs(self.verbose)

    def start(self) -> None:  # noqa: D102 - Voila.start with the guarded application
        root = socket_root(self.connection_dir_root)
        remove_stale_folders(root)
        self.connection_dir = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-",
                                               dir=root)
        try:
            self._start()
        finally:
            shutil.rmtree(self.connection_dir, ignore_errors=True)

    def _start(self) -> None:
        # Kernels talk to the server over local sockets in this private folder,
        # not TCP ports other users of the computer could connect to.
        # (by import: run as ``python -m``, this module is also ``__main__``)
        importlib.import_module(__spec__.name if __spec__ else __name__) \
            .LocalSocketKernelManager.folder = self.connection_dir
        self.config.MappingKernelManager.kernel_manager_class = (
            "coprod_sim.serve_app.LocalSocketKernelManager")
        settings = self.init_settings()
        settings["websocket_max_message_size"] = MAX_WS_MESSAGE
        guard = Guard(self.room, self.room_token, self.max_kernels, self.per_client,
                      join_token=self.join_token, base_url=self.base_url)
        self.app = GuardedApplication(transforms=[RoomCookie, PageFixes], **settings)
        self.app.guard = guard
        self.guard = guard
        self.app.settings.update(self.tornado_settings)
        handlers = [(f"{self.base_url.rstrip('/')}/favicon.ico", FaviconHandler),
                    *extra_handlers(self.room, self.base_url), *self.init_handlers()]
        self.app.add_handlers(".*$", handlers)
        self.listen()

    def listen(self) -> None:  # noqa: D102 - one port (checked free first), one clear message
        try:
            self.app.listen(self.port, self.ip, max_body_size=MAX_BODY,
                            max_buffer_size=MAX_BODY + 2**16)
        except OSError as err:
            print(f"coprod-sim dashboard: cannot listen on port {self.port}: "
                  f"{err.strerror or err}. Give another with --port.", file=sys.stderr)
            self.exit(1)
        print(self.banner(), file=sys.stderr, flush=True)
        if self.open_browser:
            self.launch_browser()
        self.ioloop = tornado.ioloop.IOLoop.current()
        try:
            self.ioloop.start()
        except KeyboardInterrupt:
            pass
        finally:
            print("Stopping the dashboard server and its kernels...", file=sys.stderr,
                  flush=True)
            self.stop()
            print("Stopped.", file=sys.stderr, flush=True)

    def launch_browser(self) -> None:
        """Open the dashboard on this computer (with the trainer's token in room mode).

        Through a small local file that sends the browser on, as Jupyter does, so
        the token is not on the browser's command line (other users of the
        computer could read it there); the server then swaps it for a cookie.
        """
        import webbrowser

        url = f"http://127.0.0.1:{self.port}{self.base_url}"
        if self.room:
            url += f"?token={self.room_token}"
        fd, path = tempfile.mkstemp(prefix="coprod-open-", suffix=".html")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            link = html.escape(url, quote=True)
            fh.write(f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                     f'<meta http-equiv="refresh" content="0;url={link}">'
                     f'<meta name="referrer" content="no-referrer"><title>Opening the '
                     f'dashboard</title></head><body><p><a href="{link}">Open the '
                     f"dashboard</a></p></body></html>")
        try:
            webbrowser.open(Path(path).as_uri(), new=2)
        except webbrowser.Error as err:
            print(f"(no web browser could be opened: {err})", file=sys.stderr)

    def banner(self) -> str:
        """What the trainer reads when the server is up: the addresses in use.

        In room mode, one line for the trainer (the trainer's token, which opens
        everything) and one for the trainees (the join page, with the join token).
        """
        local = f"http://127.0.0.1:{self.port}/"
        lines = [f"Serving the {self.dashboard} dashboard (at most {self.max_kernels} pages "
                 "at once)."]
        if self.room:
            base = (os.environ.get(ENV_ROOM_URL) or local).rstrip("/") + "/"
            trainer = trainer_link() or f"{base}?token={self.room_token}"
            lines += [f"Trainer's dashboard: {trainer}",
                      f"Trainees join at: {base}join?token={self.join_token}",
                      "(Keep the trainer's address to yourself: it opens everything. "
                      "The trainees' address opens only the join page.)"]
        else:
            lines.append(f"Open {local} in a browser on this computer.")
        lines.append("Press Ctrl+C to stop.")
        return "\n".join(lines)

    def _handle_signal_stop(self, sig: int, frame: Any) -> None:
        self.ioloop.add_callback_from_signal(self.ioloop.stop)

    def stop(self) -> None:  # noqa: D102 - stop quietly even when interrupted again
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super().stop()
        except Exception as err:  # noqa: BLE001 - a kernel already gone is not an error
            if "Kernel does not exist" not in str(err):
                print(f"(while stopping: {err})", file=sys.stderr)


#: The private folders of the kernels' sockets: ``voila_cp-<server pid>-<random>``.
FOLDER_PREFIX = "voila_cp-"

#: Longest socket path the kernels may use (a Unix socket's path holds 104 bytes on
#: macOS, 108 on Linux; a kernel's socket name adds about 16 to the folder's).
MAX_SOCKET_FOLDER = 80


def socket_root(root: str | os.PathLike | None) -> str:
    """Where the kernels' socket folder goes.

    ``root`` (the temporary folder), or ``/tmp`` when ``root`` is too long for a
    socket's path.
    """
    root = str(root or tempfile.gettempdir())
    if len(root) + len(FOLDER_PREFIX) + 20 > MAX_SOCKET_FOLDER and os.path.isdir("/tmp"):
        return "/tmp"
    return root


def remove_stale_folders(root: str | os.PathLike) -> list[Path]:
    """Remove the socket folders that servers killed without a chance to clean left here.

    Only this kit's folders (``voila_coprod-<pid>-...``), owned by this user, whose
    server process no longer runs. Returns the folders removed.
    """
    removed = []
    try:
        found = list(Path(root).glob(f"{FOLDER_PREFIX}*"))
    except OSError:
        return removed
    for folder in found:
        pid = folder.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.is_symlink() or not folder.is_dir() \
                    or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except (OSError, ValueError):
            continue
    return removed


#: What a token looks like in a logged address, header or cookie.
SECRET = re.compile(r"((?:token|_xsrf)=|[Tt]oken[ :]+|(?:coprod_trainer|coprod_device)=)"
                    r"[^&\s;\"',)]+")


def redact(text: str) -> str:
    """``text`` with every token, cookie or guess at one replaced by ``[hidden]``."""
    return SECRET.sub(r"\1[hidden]", text)


class _TrainerLog(logging.Filter):
    """What the trainer's terminal shows: no token, no alarm that does not apply here.

    Every record leaves with its tokens hidden and, unless ``verbose``, a traceback
    reduced to its last line (the error in one line).
    """

    NOISE = ("is not trusted", "Kernel connection is not encrypted", "not encrypted",
             "Notebook not trusted")

    def __init__(self, verbose: bool = False):
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        msg = record.getMessage()
        if any(n in msg for n in self.NOISE):
            return False
        if record.exc_info and record.exc_info[1] is not None and not self.verbose:
            err = record.exc_info[1]
            msg = f"{msg} ({type(err).__name__}: {err})".replace("\n", " ")
            record.exc_info = record.exc_text = None
        if record.stack_info and not self.verbose:
            record.stack_info = None
        record.msg, record.args = redact(msg), ()
        return True


#: Loggers kept to warnings and errors for the trainer (every request, kernel start,
#: websocket and cull is logged at info level).
CHATTY = ("tornado.access", "CoprodVoila", "coprod-dashboard", "Voila", "ServerApp",
          "traitlets", "jupyter_server", "tornado.general")


def quiet_logs(verbose: bool = False) -> None:
    """Keep the log to what a trainer needs: the addresses, who joined, errors in one line.

    Every handler of every logger set up so far gets the filter that hides tokens
    (a handler's filter sees the records of its logger's children too); unless
    ``verbose``, the chatty loggers show only warnings and errors.
    """
    keep = _TrainerLog(verbose)
    names = ["", *CHATTY, "tornado.application", "coprod_sim", "coprod_sim.room",
             "coprod_sim.serve", *logging.root.manager.loggerDict]
    for name in names:
        logger = logging.getLogger(name)
        logger.addFilter(keep)
        for h in logger.handlers:
            if keep not in h.filters:
                h.addFilter(keep)
    if not logging.root.handlers:  # (else Python's last resort prints whole tracebacks)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
        handler.addFilter(keep)
        logging.root.addHandler(handler)
    if not verbose:
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
        # 4xx answers (a refused address, a wrong guess at the room's code) are the
        # guard's business, not the trainer's: only 5xx reach the terminal
        logging.getLogger("tornado.access").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> None:
    """Run the server with Voila's options (see :func:`coprod_sim.serve.voila_command`).

    Leaves with ``os._exit`` once the kernels are shut down: the messaging
    library can otherwise wait for ever on sockets already closed.
    """
    code = 0
    try:
        CoprodVoila.launch_instance(argv)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
        if isinstance(err.code, str):
            print(err.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
