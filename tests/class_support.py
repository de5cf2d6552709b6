"""Shared helpers for the class tests and benchmarks/bench_class.py.

:class:`ClassHub` runs ``coprod-sim class`` (the real JupyterHub, its npm proxy,
the trainer's view and the idle culler) on 127.0.0.1 at a free port, with a
class folder of its own. :class:`Trainee` is one simulated trainee: a
``requests`` session that logs in with the class code and a first name, gets
its own hub token, starts its server, opens a notebook and runs a box over the
kernel's websocket, as JupyterLab does.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coprod_sim.serve import free_port  # noqa: E402

FIRST_BOX = 'from coprod_sim.curriculum import start\nkit = start("00")\nkit.welcome()'


def jupyterhub_missing() -> str | None:
    """Why a class cannot run here (None when it can)."""
    try:
        import jupyterhub  # noqa: F401
        import jupyterhub_idle_culler  # noqa: F401
    except ImportError:
        return "JupyterHub is not installed (pip install 'coprod-sim[class]')"
    from coprod_sim.classroom.proxy import ProxyError, find_proxy

    try:
        find_proxy()
    except ProxyError as err:
        return str(err)
    return None


@dataclass
class ClassHub:
    """One ``coprod-sim class`` process (the hub itself: the command replaces itself)."""

    folder: Path
    port: int = 0
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.folder = Path(self.folder)
        self.log_path = self.folder.parent / f"{self.folder.name}-hub.log"
        self.out_path = self.folder.parent / f"{self.folder.name}-banner.txt"

    @property
    def url(self) -> str:
        """The class's address."""
        return f"http://127.0.0.1:{self.port}/"

    def info(self) -> dict[str, str]:
        """The class's codes."""
        return json.loads((self.folder / "class.json").read_text())

    def start(self, timeout: float = 180) -> ClassHub:
        """Start the hub and wait until the login page and the trainer's view answer."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        out = open(self.out_path, "wb")  # noqa: SIM115 - the terminal's banner
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coprod_sim.cli", "class", "--folder", str(self.folder),
             "--port", str(self.port), *self.args],
            stdout=out, stderr=log, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
        log.close()
        out.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the class stopped: {self.log()[-3000:]}")
            try:
                ok = requests.get(self.url + "hub/login", timeout=3).status_code == 200
                svc = requests.get(self.url + "services/class/", timeout=3,
                                   allow_redirects=False).status_code in (302, 303)
                if ok and svc:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the class did not start in {timeout} s: {self.log()[-3000:]}")

    def banner(self) -> str:
        """What the command printed for the trainer (address, codes, QR code)."""
        return self.out_path.read_text(errors="replace")

    def log(self) -> str:
        """Everything the hub logged."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def processes(self) -> list[Any]:
        """The hub and every process under it (proxy, services, servers, kernels)."""
        import psutil

        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        """Send ``sig`` to the hub (only the hub) and wait for it to end."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def kill_all(self) -> None:
        """Clean up after a test: kill the hub's process group and anything left of it."""
        procs = self.processes()
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait(10)
        for p in procs:
            try:
                p.kill()
            except Exception:  # noqa: BLE001
                pass


def survivors(procs: list[Any], wait: float = 10) -> list[str]:
    """Which of ``procs`` still run (not zombies) after up to ``wait`` seconds."""
    import psutil

    end = time.monotonic() + wait
    alive: list[Any] = list(procs)
    while time.monotonic() < end:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return []
        time.sleep(0.25)
    out = []
    for p in alive:
        try:
            out.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except psutil.Error:
            pass
    return out


class Trainee:
    """One simulated trainee (or the trainer) talking to the hub as a browser would."""

    def __init__(self, hub: ClassHub, name: str):
        self.hub, self.name = hub, name
        self.http = requests.Session()
        self.user = ""
        self.token = ""

    def use_cookies(self, cookies: list[dict[str, Any]]) -> None:
        """Take over a browser context's cookies (Playwright's ``context.cookies()``)."""
        for c in cookies:
            self.http.cookies.set(c["name"], c["value"], path=c.get("path", "/"),
                                  domain=c.get("domain", ""))

    def xsrf(self) -> str:
        """The hub's own ``_xsrf`` cookie (servers and services set their own)."""
        for c in self.http.cookies:
            if c.name == "_xsrf" and c.path.startswith("/hub"):
                return c.value
        return ""

    def login(self, code: str) -> requests.Response:
        """Post the join form (class code and first name); return the final response."""
        self.http.get(self.hub.url + "hub/login", timeout=30)
        xsrf = self.xsrf()
        return self.http.post(self.hub.url + "hub/login",
                              data={"username": self.name, "password": code, "_xsrf": xsrf},
                              timeout=120, allow_redirects=False)

    def get_token(self) -> str:
        """A hub token of this user's own (as JupyterLab's hub extension would hold)."""
        whoami = self.http.get(self.hub.url + "hub/api/user", timeout=30,
                               headers={"X-XSRFToken": self.xsrf()})
        whoami.raise_for_status()
        self.user = whoami.json()["name"]
        r = self.http.post(self.hub.url + f"hub/api/users/{self.user}/tokens", timeout=30,
                           headers={"X-XSRFToken": self.xsrf()},
                           json={"note": "test", "expires_in": 3600})
        r.raise_for_status()
        self.token = r.json()["token"]
        return self.token

    def api(self, method: str, path: str, token: str | None = None, **kw: Any
            ) -> requests.Response:
        """A request to the hub's address with a token in the header (no cookies)."""
        headers = {"Authorization": f"token {token or self.token}"}
        return requests.request(method, self.hub.url + path.lstrip("/"), headers=headers,
                                timeout=kw.pop("timeout", 60), **kw)

    def start_server(self, timeout: float = 180) -> float:
        """Ask for this user's server and wait until it is ready; return the seconds."""
        t0 = time.monotonic()
        self.api("POST", f"hub/api/users/{self.user}/server")
        end = t0 + timeout
        while time.monotonic() < end:
            r = self.api("GET", f"hub/api/users/{self.user}")
            server = (r.json().get("servers") or {}).get("", {}) if r.ok else {}
            if server.get("ready"):
                return time.monotonic() - t0
            time.sleep(0.5)
        raise TimeoutError(f"{self.user}'s server did not start in {timeout} s")

    def open_notebook(self, path: str = "notebooks/00_start_here.ipynb") -> str:
        """Open a notebook as JupyterLab does (read it, start its kernel); return the kernel id."""
        base = f"user/{self.user}/api/"
        r = self.api("GET", base + "contents/" + path)
        r.raise_for_status()
        r = self.api("POST", base + "sessions", json={
            "path": path, "name": Path(path).name, "type": "notebook",
            "kernel": {"name": "python3"}})
        r.raise_for_status()
        return r.json()["kernel"]["id"]

    def run(self, kernel: str, code: str, timeout: float = 180) -> dict[str, Any]:
        """Run ``code`` in a kernel over its websocket; return the reply and the outputs."""
        return in_thread(_run(self.hub.url, self.user, self.token, kernel, code, timeout))


def in_thread(coro: Any) -> Any:
    """Run a coroutine to its end in a thread of its own (Playwright's sync API keeps an
    event loop running in the main thread, where ``asyncio.run`` is refused)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _run(url: str, user: str, token: str, kernel: str, code: str,
               timeout: float) -> dict[str, Any]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    ws_url = url.replace("http://", "ws://") + f"user/{user}/api/kernels/{kernel}/channels"
    conn = await websocket_connect(HTTPRequest(ws_url, headers={
        "Authorization": f"token {token}"}, request_timeout=timeout, connect_timeout=60))
    msg_id = uuid.uuid4().hex
    session = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": user, "session": session,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    out: dict[str, Any] = {"outputs": [], "reply": None}
    idle = False
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            raw = await asyncio.wait_for(conn.read_message(), end - time.monotonic())
            if raw is None:
                raise RuntimeError(f"{user}'s kernel closed its websocket (the kernel died)")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind in ("stream", "execute_result", "display_data", "error"):
                out["outputs"].append(msg["content"])
            elif kind == "execute_reply":
                out["reply"] = msg["content"]
            elif kind == "status" and msg["content"].get("execution_state") == "idle":
                idle = True
            # the reply (shell) and the outputs (iopub) travel on different channels: the
            # outputs are complete only once the kernel says it is idle again
            if out["reply"] is not None and idle:
                return out
    finally:
        conn.close()
    raise TimeoutError(f"no reply from {user}'s kernel in {timeout} s")
