"""Helpers for the room's tests: a dashboard server in room mode on 127.0.0.1, and devices.

The server is the kit's own (``coprod_sim.serve.voila_command`` with
``room=True``), listening on 127.0.0.1 only (the tests never open a port to
the network) on a port free at run time. A :class:`Device` is one trainee's
phone: its own cookie jar, joining over HTTP like the join page's script does.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from browser_support import stop_process_group  # noqa: E402

from coprod_sim.room.store import Store  # noqa: E402
from coprod_sim.serve import free_port, voila_command  # noqa: E402

TOKEN = "room-test-Token_42"  # the trainer's token (opens everything)
JOIN_TOKEN = "join-test-Token_17"  # the trainees' token (the join page only)


@dataclass
class RoomServer:
    """The dashboard server in room mode, its session folder and its log."""

    room_dir: Path
    dashboard: str = "trainer"
    pool: int = 0
    token: str = TOKEN
    join_token: str = JOIN_TOKEN
    port: int = 0
    proc: subprocess.Popen | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(
        prefix="room-server-", suffix=".log")[1]))

    @property
    def base(self) -> str:
        """The server's address (no token)."""
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path: str = "", token: str | None = None) -> str:
        """Address of ``path`` with the trainer's token (or ``token``; ``""`` for none)."""
        token = self.token if token is None else token
        return f"{self.base}{path}" + (f"?token={token}" if token else "")

    def join_url(self, path: str = "join") -> str:
        """Address of ``path`` with the trainees' join token, as the join link has it."""
        return self.url(path, self.join_token)

    def start(self, timeout: float = 90) -> RoomServer:
        """Start the server and wait until the join page answers."""
        self.port = self.port or free_port()
        cmd = voila_command(self.dashboard, self.port, room=True, pool=self.pool,
                            cull_minutes=10, python=sys.executable)
        cmd = ["--Voila.ip=127.0.0.1" if a.startswith("--Voila.ip=") else a for a in cmd]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_PLATFORM_DIRS": "1",
               "COPROD_ROOM_TOKEN": self.token, "COPROD_ROOM_JOIN_TOKEN": self.join_token,
               "COPROD_ROOM_URL": self.base,
               "COPROD_ROOM_DIR": str(self.room_dir)}
        env.pop("COPROD_ROOM_SESSION", None)
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.log()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.join_url("join/api/question"), timeout=2):
                    return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the server did not start within {timeout:.0f} s:\n{self.log()}")

    def session(self) -> Path:
        """The session file the server created."""
        files = sorted(self.room_dir.glob("room-*.sqlite"))
        assert len(files) == 1, files
        return files[0]

    def store(self) -> Store:
        """The session store, as the trainer's panel (another process) opens it."""
        return Store(self.session())

    def log(self) -> str:
        """The server's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server and its kernels (the process group it started)."""
        stop_process_group(self.proc, grace=15)
        if getattr(self, "_log", None):
            self._log.close()


@dataclass
class Response:
    """Status, headers and body of one request."""

    status: int
    headers: dict
    body: bytes

    def json(self) -> dict:
        """The body as JSON."""
        return json.loads(self.body.decode("utf-8"))


class Device:
    """One trainee's device: its own cookies, talking to the room over HTTP."""

    def __init__(self, server: RoomServer):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, body: bytes | None = None, token: str | None = None,
                headers: dict | None = None, method: str | None = None) -> Response:
        """GET (or POST ``body``) ``path``, with the join token unless ``token`` is given.

        Never raises for a status.
        """
        token = self.server.join_token if token is None else token
        req = urllib.request.Request(self.server.url(path, token), data=body,
                                     headers=headers or {}, method=method)
        try:
            with self.opener.open(req, timeout=30) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, dict(err.headers), err.read())

    def join(self) -> Response:
        """Open the join page (which gives the device its id cookie)."""
        return self.request("join")

    def answer(self, payload: dict, token: str | None = None) -> Response:
        """Send an answer as the join page does."""
        return self.request("join/api/answer", json.dumps(payload).encode(), token,
                            {"Content-Type": "application/json"})

    def question(self) -> Response:
        """The current question as the join page polls it."""
        return self.request("join/api/question")
