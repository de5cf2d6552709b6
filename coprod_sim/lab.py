"""Open JupyterLab on a trainee's working folder, at notebook 00.

:func:`lab_command` builds the command line, :func:`start` runs it: the server
binds 127.0.0.1 on a free port, serves only the working folder (see
:mod:`coprod_sim.workspace`), asks for a fresh random token, fetches no news
and checks for no updates (a training room is often offline), and the printed
address opens notebook 00 directly (``/lab/tree/notebooks/00_start_here.ipynb``).
The token travels in the environment, never on the command line.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from dataclasses import dataclass
from pathlib import Path

from coprod_sim.curriculum.settings import ENV_VAR as WORK_DIR_VAR
from coprod_sim.workspace import CONFIG_DIR, FIRST_NOTEBOOK, LAB_SETTINGS

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """Return a TCP port that is free on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def notebook_url(port: int, token: str, path: str = FIRST_NOTEBOOK, host: str = HOST) -> str:
    """Return the address that opens ``path`` (relative to the folder) in JupyterLab."""
    quoted = urllib.parse.quote(path)
    return f"http://{host}:{port}/lab/tree/{quoted}?token={urllib.parse.quote(token)}"


def lab_command(folder: Path, port: int, python: str | None = None) -> list[str]:
    """Return the JupyterLab command line that serves ``folder`` on 127.0.0.1:``port``."""
    folder = Path(folder).resolve()
    cmd = [python or sys.executable, "-m", "jupyterlab",
           f"--ServerApp.root_dir={folder}",
           f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", "--ServerApp.open_browser=False",
           f"--ServerApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
           f"--LabApp.user_settings_dir={folder / LAB_SETTINGS}",
           f"--LabApp.workspaces_dir={folder / '.jupyter' / 'lab' / 'workspaces'}",
           "--LabApp.news_url=None", "--LabApp.custom_css=True",
           "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements."
           "NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        cmd.append("--allow-root")
    return cmd


@dataclass
class LabServer:
    """A running JupyterLab on a trainee's folder."""

    process: subprocess.Popen
    port: int
    token: str
    folder: Path

    @property
    def url(self) -> str:
        """The address that opens notebook 00."""
        return notebook_url(self.port, self.token)

    def ready(self) -> bool:
        """True when the server answers its status page with this token."""
        req = urllib.request.Request(f"http://{HOST}:{self.port}/api/status",
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout: float = 90) -> bool:
        """Wait until the server answers (True) or has stopped or timed out (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                return False
            if self.ready():
                return True
            time.sleep(0.3)
        return False

    def stop(self, timeout: float = 20) -> int:
        """Stop the server cleanly (it shuts its kernels down) and return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def launch(folder: Path, port: int | None = None, quiet: bool = True) -> LabServer:
    """Start JupyterLab on ``folder`` and return it (not yet necessarily answering).

    The kit's saved work goes to ``folder/my_work`` (``COPROD_WORK_DIR`` is set
    for the server and so for every notebook's kernel). The folder's ``.jupyter``
    is the server's config folder, so a trainee's own Jupyter settings elsewhere
    do not change what the kit shows, and its style sheet applies.
    """
    folder = Path(folder).resolve()
    port = port or free_port()
    token = secrets.token_urlsafe(24)
    env = dict(os.environ, JUPYTER_TOKEN=token, JUPYTER_CONFIG_DIR=str(folder / CONFIG_DIR),
               **{WORK_DIR_VAR: str(folder / "my_work")})
    env.pop("JUPYTER_TOKEN_FILE", None)
    out = subprocess.DEVNULL if quiet else None
    (folder / ".jupyter").mkdir(exist_ok=True)
    log = open(folder / ".jupyter" / "lab.log", "ab") if quiet else None  # noqa: SIM115
    try:
        proc = subprocess.Popen(lab_command(folder, port), cwd=folder, env=env,
                                stdout=out, stderr=log, start_new_session=True)
    finally:
        if log is not None:
            log.close()
    return LabServer(proc, port, token, folder)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def start(folder: Path, open_browser: bool = True, port: int | None = None) -> int:
    """Serve ``folder`` until the trainee presses Ctrl+C; return the exit status.

    A free port is picked (and another one tried if it is taken meanwhile). A
    SIGTERM (for example from a test or a process manager) stops it as cleanly.
    """
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server: LabServer | None = None
    log = Path(folder) / ".jupyter" / "lab.log"
    try:
        for attempt in range(3):
            server = launch(folder, port)
            if server.wait_ready():
                break
            server.stop()
            server = None
            if port is not None or attempt == 2:
                where = f"port {port} is in use, or " if port is not None else ""
                print(f"coprod-sim: JupyterLab did not start ({where}see {log})",
                      file=sys.stderr)
                return 1
        assert server is not None
        print("JupyterLab is ready. Open this address in your web browser "
              "(it opens notebook 00):", flush=True)
        print(f"    {server.url}", flush=True)
        print("Press Ctrl+C here to stop.", flush=True)
        if open_browser:
            webbrowser.open(server.url)
        return server.process.wait()
    except KeyboardInterrupt:
        print("\nStopping JupyterLab...", flush=True)
        return 0
    finally:
        status = server.stop() if server is not None else None
        if status not in (0, None, -signal.SIGTERM):
            print(f"coprod-sim: JupyterLab stopped with status {status}", file=sys.stderr)
