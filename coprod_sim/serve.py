"""Serve a dashboard as a web page with Voila.

::

    coprod-sim dashboard                              # the trainer dashboard
    coprod-sim dashboard --dashboard compare --port 8870
    coprod-sim dashboard --room                       # let others on the network connect

(``python -m coprod_sim.serve`` is the same command.) Defaults suit one
trainer's laptop and a room of people:

- listens on 127.0.0.1 only and refuses requests whose ``Host`` is not a local
  name (a web page elsewhere cannot reach it through DNS rebinding);
  ``--room`` listens on every network address and every request, on every
  route, must carry a token: the trainer's token (in the address, or the
  cookie the first such request sets) opens everything; the trainees' join
  token opens only the join page, its files and its answers;
- the port asked for is checked first: when it is taken the next free one is
  used, and the address printed is the one in use;
- notebook sources are stripped, so viewers see the dashboard, not the code;
- every dashboard page gets its own Python process (a "kernel"; its memory is
  measured by benchmarks/bench_dashboard.py and given in docs/dashboards.md).
  At most ``--max-kernels`` run at once (a "the room is full" page past
  that), and one device may open at most ``--per-client`` pages a minute;
- kernels with no tab connected are stopped ("culled") after
  ``--cull-minutes`` idle (default 20; 0 never, at most 1440, a day);
- the terminal shows the addresses, who joins the room, and errors in one
  line (``--verbose`` shows every request and kernel);
- ``--room`` with the same room folder carries on with the last session (its
  answers, its open question, its join address) when it was in use in the
  last :data:`~coprod_sim.room.store.CONTINUE_HOURS` hours, and starts a new
  one otherwise; ``--continue`` and ``--new-session`` choose.
- ``--pool`` kernels are kept started with the dashboard pre-rendered
  ("preheated") and refilled at once when taken, so the next page (a
  trainer reopening it, a second screen) opens in a second or two.

The server itself is :mod:`coprod_sim.serve_app` (Voila with these checks);
:func:`voila_command` returns its command line without running it (the tests
and the benchmark use it). Other parts of the kit add their own pages to the
same server, behind the same checks, through :func:`extra_handlers`.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coprod_sim import resources as kit_files

# Environment variables the server sets for itself and its kernels (the room
# reads them through coprod_sim.room.links, so it never imports the server).
from coprod_sim.room.links import ENV_JOIN_TOKEN, ENV_ROOM_URL, ENV_TOKEN

#: The dashboards (notebooks in ``notebooks/dashboards``; see :mod:`coprod_sim.resources`).
DASHBOARDS = ("trainer", "compare", "explorer")

#: Longest idle time before a page's kernel is stopped, in minutes (a day).
MAX_CULL_MINUTES = 1440

#: Host names a local (not ``--room``) server answers to.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def dashboards_dir() -> Path:
    """The folder holding the dashboard notebooks (see :mod:`coprod_sim.resources`).

    An installed wheel carries them inside the package, so it serves the same
    notebooks as a clone.
    """
    return kit_files.dashboards_dir()


def notebook_path(dashboard: str) -> Path:
    """Return the notebook file of a dashboard (the folder of all of them for ``"all"``).

    Raises:
        ValueError: for an unknown dashboard, naming the known ones.
    """
    if dashboard == "all":
        return dashboards_dir()
    if dashboard not in DASHBOARDS:
        raise ValueError(f"unknown dashboard {dashboard!r}; choose one of "
                         f"{', '.join(DASHBOARDS)} or all")
    return dashboards_dir() / f"{dashboard}.ipynb"


def dashboard_url(base: str, dashboard: str, served: str) -> str:
    """Address of ``dashboard`` on a server started for ``served`` (one dashboard or all)."""
    base = base.rstrip("/") + "/"
    return base if served != "all" else f"{base}voila/render/{dashboard}.ipynb"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` and it can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def first_free_port(port: int, host: str = "127.0.0.1", tries: int = 20) -> int | None:
    """The first free port from ``port`` upwards (``tries`` of them), or None."""
    for candidate in range(port, min(port + tries, 65536)):
        if port_is_free(candidate, host):
            return candidate
    return None


def room_ip() -> str:
    """The address of this computer on the room's network (IPv4), as devices there see it.

    The address of the network interface that leads out of this computer (no
    packet is sent); on a network with no way out, the first non-loopback
    address of the host name; ``127.0.0.1`` when there is none.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, nothing sent
            ip = s.getsockname()[0]
            if not ipaddress.ip_address(ip).is_loopback:
                return ip
        except OSError:
            pass
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    for info in infos:
        ip = str(info[4][0])
        if not ipaddress.ip_address(ip).is_loopback:
            return ip
    return "127.0.0.1"


def token_problem(name: str, token: str | None) -> str | None:
    """One line when a token given in the environment is not allowed, else None."""
    if token is not None and (len(token) < 6 or not all(
            c.isalnum() or c in "-_" for c in token)):
        return f"{name} must be at least 6 letters, digits, - or _."
    return None


def make_token() -> str:
    """A short random room token (about 60 bits), easy to type from the screen."""
    return secrets.token_urlsafe(8)


@dataclass(frozen=True)
class ServeOptions:
    """What to serve and how; :meth:`check` says what is not allowed.

    Attributes:
        dashboard: ``"trainer"``, ``"compare"``, ``"explorer"`` or ``"all"``.
        port: TCP port.
        room: Listen on every network address, with a token on every route.
        pool: Preheated kernels kept ready (0 turns preheating off).
        cull_minutes: Stop a kernel idle for this many minutes (0 never).
        timeout: Seconds a dashboard may take to render before it is stopped.
        max_kernels: Most dashboard pages (kernels) at once, not counting the pool.
        per_client: Most dashboard pages one device may open per minute.
        token: The room's token (``--room`` makes one when not given).
        open_browser: Open a browser tab at the address.
        verbose: Log every request and kernel, not only what a trainer needs.
    """

    dashboard: str = "trainer"
    port: int = 8866
    room: bool = False
    pool: int = 2
    cull_minutes: float = 20
    timeout: int = 60
    max_kernels: int = 8
    per_client: int = 6
    token: str | None = None
    open_browser: bool = False
    verbose: bool = False

    def problems(self) -> list[str]:
        """One line for each option that is not allowed (empty when all are)."""
        out = []
        if self.dashboard not in (*DASHBOARDS, "all"):
            out.append(f"--dashboard is {self.dashboard!r}; allowed: "
                       f"{', '.join(DASHBOARDS)} or all.")
        if not 1 <= self.port <= 65535:
            out.append(f"--port is {self.port}; allowed: a whole number from 1 to 65535.")
        if not 0 <= self.pool <= 8:
            out.append(f"--pool is {self.pool}; allowed: a whole number from 0 "
                       "(no preheated kernel) to 8.")
        if not (self.cull_minutes == 0 or 1 <= self.cull_minutes <= MAX_CULL_MINUTES):
            out.append(f"--cull-minutes is {self.cull_minutes:g}; allowed: 0 (never) or "
                       f"a number of minutes from 1 to {MAX_CULL_MINUTES} (a day).")
        if self.timeout < 1:
            out.append(f"--timeout is {self.timeout}; allowed: 1 or more seconds.")
        if not 1 <= self.max_kernels <= 200:
            out.append(f"--max-kernels is {self.max_kernels}; allowed: a whole number "
                       "from 1 to 200.")
        if not 1 <= self.per_client <= 1000:
            out.append(f"--per-client is {self.per_client}; allowed: a whole number "
                       "from 1 to 1000.")
        if self.token is not None and (len(self.token) < 6 or not all(
                c.isalnum() or c in "-_" for c in self.token)):
            out.append("the room token must be at least 6 letters, digits, - or _.")
        return out

    def check(self) -> ServeOptions:
        """Return these options, or raise ValueError with the first problem's line."""
        found = self.problems()
        if found:
            raise ValueError(found[0])
        return self


def voila_command(dashboard: str = "trainer", port: int = 8866, *, room: bool = False,
                  pool: int = 2, cull_minutes: float = 20, timeout: int = 60,
                  open_browser: bool = False, token: str | None = None,
                  python: str | None = None, max_kernels: int = 8,
                  per_client: int = 6, verbose: bool = False) -> list[str]:
    """Return the command line of the server for one dashboard (or ``"all"``).

    The arguments are those of :class:`ServeOptions`; ``python`` is the Python to
    run it with (this one by default). The token is not on the command line
    (other users of the computer could read it there): the server takes it from
    the ``COPROD_ROOM_TOKEN`` environment variable, and ``room`` without one
    makes one.

    Raises:
        ValueError: for an option that is not allowed (one line).
    """
    opts = ServeOptions(dashboard, port, room, pool, cull_minutes, timeout, max_kernels,
                        per_client, token, open_browser, verbose).check()
    nb = notebook_path(dashboard)
    cull = int(cull_minutes * 60)
    cmd = [
        python or sys.executable, "-m", "coprod_sim.serve_app", str(nb),
        f"--port={port}",
        "--Voila.port_retries=0",
        "--Voila.ip=" + ("0.0.0.0" if room else "127.0.0.1"),
        "--no-browser" if not open_browser else "--Voila.open_browser=True",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        # No browser chooses the page's theme or template: Voila writes them into
        # the page unescaped (the guard also drops every query from a page's address).
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.allow_template_override=NO",
        # Tabs that close leave their kernel running: cull idle ones.
        f"--MappingKernelManager.cull_idle_timeout={cull}",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
        # Render timeout (per cell) and the kernel's start-up timeout.
        f"--VoilaExecutor.timeout={timeout}",
        f"--KernelManager.shutdown_wait_time={5}",
        f"--VoilaConfiguration.http_keep_alive_timeout={10}",
        # The dashboards use plain ipywidgets: do not make every page load the
        # interactive matplotlib widget or code highlighting (sources are hidden).
        "--VoilaConfiguration.extension_denylist=jupyter-matplotlib",
        "--VoilaConfiguration.extension_denylist=jupyterlab_pygments",
        f"--CoprodVoila.max_kernels={opts.max_kernels}",
        f"--CoprodVoila.per_client={opts.per_client}",
        f"--CoprodVoila.room={room}",
        f"--CoprodVoila.dashboard={dashboard}",
        f"--CoprodVoila.verbose={verbose}",
        f"--Voila.log_level={'INFO' if verbose else 'WARN'}",
    ]
    if pool > 0:
        # Refill the pool as soon as a kernel is taken, so a second page (a
        # trainer reopening it, a second screen) also finds a rendered one.
        cmd += ["--preheat_kernel=True", f"--pool_size={pool}",
                "--VoilaKernelManager.fill_delay=0"]
    return cmd


def extra_handlers(room: bool, base_url: str = "/") -> list[tuple[Any, ...]]:
    """Tornado handlers served beside the dashboards: ``(pattern, class[, kwargs])``.

    Every one sits behind the same checks as the dashboards (the local-``Host``
    check, or the room token on every route, and the size caps). Called once by
    :mod:`coprod_sim.serve_app` when the server starts; parts of the kit add
    their pages here.
    """
    handlers: list[tuple[Any, ...]] = []
    # (hook) the room's join page and answers are added on the next line.
    if room:  # the room (issue 10, coprod_sim/room): join page, its files and its API
        from coprod_sim.room.handlers import server_handlers
        handlers += server_handlers(base_url)
    return handlers


def _parser(prog: str = "coprod-sim dashboard") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, description="Serve a coprod-sim dashboard in the browser with Voila.")
    p.add_argument("--dashboard", choices=(*DASHBOARDS, "all"), default="trainer",
                   help="which dashboard to serve (default: trainer; all: a page listing "
                        "the three)")
    p.add_argument("--port", type=int, default=8866,
                   help="port (default: 8866, or the next free one)")
    p.add_argument("--room", action="store_true",
                   help="let other devices on the network connect (with a token)")
    p.add_argument("--pool", type=int, default=None,
                   help="kernels kept preheated and ready for each dashboard (default 2: "
                        "the trainer's page and a second screen; 1 with --dashboard all; "
                        "0 turns it off)")
    p.add_argument("--cull-minutes", type=float, default=20,
                   help="stop a viewer's kernel after this many idle minutes (default 20)")
    p.add_argument("--timeout", type=int, default=60,
                   help="seconds a dashboard may take to start (default 60)")
    p.add_argument("--max-kernels", type=int, default=8,
                   help="most dashboard pages open at once (default 8; the memory of each is "
                        "given in docs/dashboards.md)")
    p.add_argument("--per-client", type=int, default=6,
                   help="most dashboard pages one device may open per minute (default 6)")
    p.add_argument("--room-dir", default=None, metavar="FOLDER",  # the room (coprod_sim/room)
                   help="with --room: folder for the room's answers, one SQLite file per "
                        "session (default: my_work/room; created on first use)")
    p.add_argument("--continue", action="store_true", dest="continue_session",
                   help="with --room: carry on with the last session in the room folder "
                        "(its answers and open question); the default when it was in use "
                        "in the last few hours")
    p.add_argument("--new-session", action="store_true",
                   help="with --room: start a new, empty session")
    p.add_argument("--verbose", action="store_true",
                   help="log every request and kernel (default: the addresses, who joined, "
                        "and errors in one line)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument("--print", action="store_true", dest="print_only",
                   help="print the server's command instead of running it")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "coprod-sim dashboard") -> int:
    """Parse the command line and run the server (replaces this process).

    Bad options print one line naming the option, its value and what is allowed,
    and return 2.
    """
    args = _parser(prog).parse_args(argv)
    pool = args.pool if args.pool is not None else (1 if args.dashboard == "all" else 2)
    opts = ServeOptions(args.dashboard, args.port, args.room, pool, args.cull_minutes,
                        args.timeout, args.max_kernels, args.per_client,
                        os.environ.get(ENV_TOKEN) or None, not args.no_browser, args.verbose)
    found = opts.problems()
    if args.continue_session and args.new_session:
        found.append("--continue and --new-session are both given; allowed: one of them.")
    elif (args.continue_session or args.new_session) and not args.room:
        found.append("--continue and --new-session go with --room (the room's sessions).")
    if found:
        print(f"{prog}: {found[0]}", file=sys.stderr)
        return 2
    host = "0.0.0.0" if opts.room else "127.0.0.1"
    port = opts.port
    if not args.print_only:
        port = first_free_port(opts.port, host)
        if port is None:
            print(f"{prog}: ports {opts.port} to {opts.port + 19} are all in use; "
                  "give another with --port.", file=sys.stderr)
            return 1
        if port != opts.port:
            print(f"Port {opts.port} is in use; using {port}.", file=sys.stderr)
    cmd = voila_command(opts.dashboard, port, room=opts.room, pool=opts.pool,
                        cull_minutes=opts.cull_minutes, timeout=opts.timeout,
                        open_browser=opts.open_browser, max_kernels=opts.max_kernels,
                        per_client=opts.per_client, verbose=opts.verbose)
    if args.print_only:
        print(" ".join(cmd))
        return 0
    if not _has_voila():
        print("Voila is not installed in this Python; run ./kit dashboard instead.",
              file=sys.stderr)
        return 1
    env = dict(os.environ)
    if opts.room:
        # the room's answers (coprod_sim/room): carry on with the last session, or not
        from coprod_sim.room.store import RoomError, choose_session, room_dir
        folder = room_dir(getattr(args, "room_dir", None))
        try:
            session, why = choose_session(folder, args.continue_session, args.new_session)
        except RoomError as err:
            print(f"{prog}: {err}", file=sys.stderr)
            return 2
        print(why, file=sys.stderr)
        token = opts.token or make_token()
        join = os.environ.get(ENV_JOIN_TOKEN) or (session.join_token if session else None)
        found = token_problem(ENV_JOIN_TOKEN, join)
        if found is None and join == token:
            found = f"{ENV_JOIN_TOKEN} must differ from {ENV_TOKEN} (the trainer's token)."
        if found:
            print(f"{prog}: {found}", file=sys.stderr)
            return 2
        env[ENV_TOKEN] = token
        env[ENV_JOIN_TOKEN] = join or make_token()
        env[ENV_ROOM_URL] = f"http://{room_ip()}:{port}/"
        env["COPROD_ROOM_DIR"] = str(folder)
        env.pop("COPROD_ROOM_CONTINUE", None)
        if session is not None:
            env["COPROD_ROOM_CONTINUE"] = str(session.path)
    sys.stderr.flush()
    os.execve(cmd[0], cmd, env)
    return 0  # pragma: no cover - execve does not return


def _has_voila() -> bool:
    try:
        import voila  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main(prog="python -m coprod_sim.serve"))
