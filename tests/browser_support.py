"""Shared helpers for the browser tests and the dashboard benchmark.

Starts the dashboard server (``coprod_sim.serve_app``, Voila behind the kit's
checks) on 127.0.0.1 at a free port for one dashboard, and Debian's Chromium
through Playwright with a fresh profile. An offline training room has no
internet, so every request to another host is blocked and recorded
(:attr:`Page.external`): the tests expect none.

:func:`axe_violations` runs axe-core (the npm package, WCAG 2.1 A and AA
rules) in any page, for the dashboards and the room's join page alike;
:func:`axe_source` installs it with npm into ``tests/.axe`` (git-ignored) the
first time.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coprod_sim.serve import dashboard_url, free_port, voila_command  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: Requests to any host but this computer (CDNs for icon fonts, MathJax): blocked.
BLOCKED = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/]|\[::1\][:/])")

#: The axe-core release the accessibility tests use (from the npm registry).
AXE_VERSION = "4.11.0"
AXE_DIR = ROOT / "tests" / ".axe"


def chromium_path() -> str | None:
    """Return the Chromium executable, or None when it is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def playwright_missing() -> str | None:
    """Return why the browser tests cannot run, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if chromium_path() is None:
        return ("Debian's chromium is not installed (apt-get install chromium); "
                "Playwright's own browser download does not work here")
    return None


def require_browser() -> None:
    """Skip the calling test module when no browser can run (fail instead in CI)."""
    missing = playwright_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {missing}", pytrace=False)
        pytest.skip(missing, allow_module_level=True)


def stop_process_group(proc: subprocess.Popen | None, grace: float = 10) -> None:
    """Stop a server started in its own process group, and every kernel left in it."""
    if proc is None or proc.poll() is not None:
        return
    pgid = os.getpgid(proc.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)  # kernels left in the group


@dataclass
class VoilaServer:
    """A Voila process serving one dashboard on 127.0.0.1."""

    dashboard: str
    pool: int = 1
    port: int = 0
    env: dict = field(default_factory=dict)
    room: bool = False
    token: str = "test-room-token"  # the trainer's token (opens everything)
    join_token: str = "test-join-token"  # the trainees' token (the join page only)
    max_kernels: int = 8
    per_client: int = 100
    cull_minutes: float = 10
    verbose: bool = True  # the full log: the pool's "is filled with" lines are waited for
    proc: subprocess.Popen | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(
        prefix="voila-", suffix=".log")[1]))

    @property
    def url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}/"

    def with_token(self, url: str) -> str:
        """``url`` with the trainer's token added (room mode), as the trainer's address has it."""
        if not self.room:
            return url
        return url + ("&" if "?" in url else "?") + f"token={self.token}"

    def page_url(self, dashboard: str | None = None) -> str:
        """Address of a dashboard on this server (with the token in room mode)."""
        return self.with_token(dashboard_url(self.url, dashboard or self.dashboard,
                                             self.dashboard))

    def start(self, timeout: float = 90) -> VoilaServer:
        """Start Voila and wait until it answers (and its pool is filled, if any)."""
        self.port = self.port or free_port()
        cmd = voila_command(self.dashboard, self.port, pool=self.pool,
                            cull_minutes=self.cull_minutes, python=sys.executable,
                            room=self.room, max_kernels=self.max_kernels,
                            per_client=self.per_client, verbose=self.verbose)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_PLATFORM_DIRS": "1",
               **self.env}
        if self.room:
            env["COPROD_ROOM_TOKEN"] = self.token
            env["COPROD_ROOM_JOIN_TOKEN"] = self.join_token
            env["COPROD_ROOM_URL"] = f"http://127.0.0.1:{self.port}/"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Voila exited early:\n{self.log()}")
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", self.log())
            if found:
                self.port = int(found.group(1))
                if self._answers() and (self.pool == 0 or self.pool_filled()):
                    return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"Voila did not start within {timeout:.0f} s:\n{self.log()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.with_token(self.url + "voila/static/voila.js"),
                                        timeout=2):
                return True
        except OSError:
            return False

    def pool_filled(self) -> bool:
        """True once Voila reports a preheated kernel ready."""
        return "is filled with" in self.log()

    def wait_pool(self, count: int = 1, timeout: float = 60) -> None:
        """Wait until the pool has been (re)filled ``count`` times in total."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count("is filled with") >= count:
                return
            time.sleep(0.2)
        raise RuntimeError("preheated kernel pool did not fill")

    def log(self) -> str:
        """Voila's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def kernel_pids(self) -> list[int]:
        """Process ids of this server's kernels (its child processes)."""
        import psutil

        if self.proc is None:
            return []
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [c.pid for c in children if "ipykernel" in " ".join(c.cmdline())]

    def wait_kernels_idle(self, count: int = 1, timeout: float = 120,
                          min_mb: float = 150) -> None:
        """Wait until ``count`` kernels have rendered their dashboard and gone quiet.

        A kernel counts as rendered once it holds at least ``min_mb`` MB (a bare
        kernel holds about 60 MB; one showing a dashboard about 200 MB) and has
        used almost no CPU for a second.
        """
        import psutil

        deadline = time.monotonic() + timeout
        calm = 0
        while time.monotonic() < deadline:
            pids = self.kernel_pids()
            try:
                procs = [psutil.Process(pid) for pid in pids]
                watched = [*procs, psutil.Process(self.proc.pid)]  # and Voila itself
                for p in watched:
                    p.cpu_percent(None)
                time.sleep(0.5)
                busy = max((p.cpu_percent(None) for p in watched), default=100.0)
                small = min((p.memory_info().rss / 2**20 for p in procs), default=0.0)
            except psutil.NoSuchProcess:
                continue
            calm = calm + 1 if len(pids) >= count and busy < 5 and small >= min_mb else 0
            if calm >= 2:
                return
        raise RuntimeError("kernels did not become idle")

    def stop(self) -> None:
        """Stop Voila and its kernels (the process group this server started)."""
        stop_process_group(self.proc, grace=10)
        if getattr(self, "_log", None):
            self._log.close()


@contextlib.contextmanager
def voila(dashboard: str, pool: int = 1, **options) -> Iterator[VoilaServer]:
    """Serve ``dashboard`` for the duration of the ``with`` block (options: VoilaServer's)."""
    server = VoilaServer(dashboard, pool=pool, **options).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def browser(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A headless Chromium context with a fresh profile (Playwright's BrowserContext).

    Every request to another host is blocked (and recorded by :class:`Page`).
    """
    profile = tempfile.mkdtemp(prefix="coprod-chromium-")
    try:
        context = _playwright().chromium.launch_persistent_context(
            profile, executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": width, "height": height})
        context.route(BLOCKED, lambda route: route.abort())
        try:
            yield context
        finally:
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


_PLAYWRIGHT: list = []


def _playwright() -> object:
    """One Playwright driver for the whole test run (several browsers may be open at once)."""
    if not _PLAYWRIGHT:
        import atexit

        from playwright.sync_api import sync_playwright

        _PLAYWRIGHT.append(sync_playwright().start())
        atexit.register(_PLAYWRIGHT[0].stop)
    return _PLAYWRIGHT[0]


class Page:
    """A dashboard page with its console errors and requests to other hosts recorded."""

    def __init__(self, context: object, url: str, timeout: float = 60,
                 wait_for: str = "img.coprod-chart-img"):
        self.page = context.new_page()  # type: ignore[attr-defined]
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("request", self._request)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        self.t0 = time.perf_counter()
        self.page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        self.page.wait_for_selector(wait_for, timeout=timeout * 1000)
        self.load_seconds = time.perf_counter() - self.t0

    def _request(self, request: object) -> None:
        url = request.url  # type: ignore[attr-defined]
        if BLOCKED.search(url) and not url.startswith("data:"):
            self.external.append(url)

    def _console(self, msg: object) -> None:
        if msg.type == "error":  # type: ignore[attr-defined]
            self.errors.append(msg.text)  # type: ignore[attr-defined]

    def draws(self, nth: int = 0) -> int:
        """The draw counter of the nth chart image on the page."""
        return int(self.page.locator("img.coprod-chart-img").nth(nth).get_attribute(
            "data-draw"))

    def wait_redraw(self, before: int, nth: int = 0, timeout: float = 60) -> float:
        """Wait until the nth chart is redrawn after ``before``; return seconds waited."""
        t0 = time.perf_counter()
        self.page.wait_for_function(
            "([n, b]) => { const im = document.querySelectorAll('img.coprod-chart-img')[n];"
            " return im && Number(im.dataset.draw) > b; }",
            arg=[nth, before], timeout=timeout * 1000, polling="raf")
        return time.perf_counter() - t0

    def error_outputs(self) -> list[str]:
        """Texts of error outputs on the page (tracebacks, stderr, error messages)."""
        return self.page.eval_on_selector_all(
            ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr'], "
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
            ".coprod-message-error, .jp-RenderedText pre .ansi-red-fg",
            "els => els.map(e => e.innerText)")


def axe_source() -> str | None:
    """The text of axe-core's ``axe.min.js``, installed with npm into tests/.axe if needed.

    Returns None when it is not installed and npm cannot install it.
    """
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists() and shutil.which("npm"):
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund",
                        "--prefix", str(AXE_DIR), f"axe-core@{AXE_VERSION}"],
                       capture_output=True, timeout=300, check=False)
    return script.read_text(encoding="utf-8") if script.exists() else None


def axe_violations(page: object, source: str | None = None) -> list[dict]:
    """Run axe-core's WCAG 2.1 A and AA rules in a Playwright page; return the violations.

    Each violation is axe's record (``id``, ``impact``, ``help``, ``nodes``).

    Raises:
        RuntimeError: when axe-core cannot be had (no npm and not installed).
    """
    source = source or axe_source()
    if source is None:
        raise RuntimeError("axe-core is not installed and npm is not available")
    # evaluated through the DevTools protocol, so a page's Content-Security-Policy
    # (the join page allows only its own scripts) neither blocks it nor logs an error
    page.evaluate(source + "\n;0")  # type: ignore[attr-defined]
    return page.evaluate(  # type: ignore[attr-defined]
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' +
                                   (n.failureSummary || '').slice(0, 200))}));
        }""")


def describe_violations(violations: list[dict]) -> str:
    """A readable list of axe violations for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n}" for n in v["nodes"][:6]]
    return "\n".join(lines)
