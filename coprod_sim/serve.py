"""Serve a dashboard as a web page with Voila.

::

    python -m coprod_sim.serve                        # the trainer dashboard
    python -m coprod_sim.serve --dashboard compare --port 8870
    python -m coprod_sim.serve --room                 # let others on the network connect

Defaults suit one trainer's laptop and a room of people:

- listens on 127.0.0.1 only (``--room`` listens on every network address and
  asks for a token, printed in the address);
- notebook sources are stripped, so viewers see the dashboard, not the code;
- every browser tab gets its own Python process (a "kernel"). Voila does not
  always stop it when a tab closes, so kernels with no tab connected are
  stopped ("culled") after ``--cull-minutes`` idle (default 20), checked every
  minute; kernels of tabs still open are kept;
- one kernel is kept started and the dashboard pre-rendered in it
  ("preheated"), so the next visitor gets a page at once (``--pool 0`` turns
  this off);
- a dashboard that takes longer than ``--timeout`` seconds to start is stopped
  with a message instead of hanging.

``voila_command()`` returns the command without running it (the tests and the
benchmark use it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

#: The dashboards (notebooks shipped as package data in ``coprod_sim/content/dashboards``).
DASHBOARDS = ("trainer", "compare", "explorer")


def dashboards_dir() -> Path:
    """The folder holding the dashboard notebooks, found through ``importlib.resources``.

    It is inside the installed package, so an installed wheel serves the same
    notebooks as a source checkout.
    """
    folder = resources.files("coprod_sim") / "content" / "dashboards"
    return Path(str(folder))


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


def voila_command(dashboard: str = "trainer", port: int = 8866, *, room: bool = False,
                  pool: int = 1, cull_minutes: float = 20, timeout: int = 60,
                  open_browser: bool = False, token: str | None = None,
                  python: str | None = None) -> list[str]:
    """Return the Voila command line that serves one dashboard.

    Args:
        dashboard: ``"trainer"``, ``"compare"``, ``"explorer"``, or ``"all"`` for a
            page listing all three.
        port: TCP port.
        room: Listen on every network address (with a token) instead of 127.0.0.1.
        pool: Preheated kernels kept ready (0 turns preheating off).
        cull_minutes: Stop a kernel idle for this many minutes (0 never).
        timeout: Seconds a dashboard may take to render before it is stopped.
        open_browser: Open a browser tab at the address.
        token: A fixed access token (``--room`` makes one when not given).
        python: The Python to run Voila with (this one by default).

    Returns:
        The command as a list of strings.
    """
    nb = notebook_path(dashboard)
    cull = int(cull_minutes * 60)
    cmd = [
        python or sys.executable, "-m", "voila", str(nb),
        f"--port={port}",
        "--Voila.ip=" + ("0.0.0.0" if room else "127.0.0.1"),
        "--no-browser" if not open_browser else "--Voila.open_browser=True",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
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
        "--VoilaConfiguration.extension_denylist="
        "['jupyter-matplotlib','jupyterlab_pygments']",
    ]
    if pool > 0:
        # Refill the pool a few seconds after a kernel is taken, so that starting
        # the next one does not compete for the CPU with the page being opened.
        cmd += ["--preheat_kernel=True", f"--pool_size={pool}",
                "--VoilaKernelManager.fill_delay=5"]
    if room:
        cmd += [f"--token={token}"] if token else ["--token"]
    elif token:
        cmd += [f"--token={token}"]
    return cmd


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m coprod_sim.serve",
        description="Serve a coprod-sim dashboard in the browser with Voila.")
    p.add_argument("--dashboard", choices=(*DASHBOARDS, "all"), default="trainer",
                   help="which dashboard to serve (default: trainer; all: a page listing "
                        "the three)")
    p.add_argument("--port", type=int, default=8866, help="port (default: 8866)")
    p.add_argument("--room", action="store_true",
                   help="let other computers on the network connect (asks for a token)")
    p.add_argument("--pool", type=int, default=1,
                   help="kernels kept preheated and ready (default 1; 0 turns it off)")
    p.add_argument("--cull-minutes", type=float, default=20,
                   help="stop a viewer's kernel after this many idle minutes (default 20)")
    p.add_argument("--timeout", type=int, default=60,
                   help="seconds a dashboard may take to start (default 60)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument("--print", action="store_true", dest="print_only",
                   help="print the Voila command instead of running it")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run Voila (replaces this process)."""
    args = _parser().parse_args(argv)
    if args.port < 1 or args.port > 65535:
        print(f"--port is {args.port}; allowed: a whole number from 1 to 65535.",
              file=sys.stderr)
        return 2
    cmd = voila_command(args.dashboard, args.port, room=args.room, pool=args.pool,
                        cull_minutes=args.cull_minutes, timeout=args.timeout,
                        open_browser=not args.no_browser)
    if args.print_only:
        print(" ".join(cmd))
        return 0
    if shutil.which("voila") is None and not _has_voila():
        print("Voila is not installed in this Python; run ./kit dashboard instead.",
              file=sys.stderr)
        return 1
    host = "every network address (use this computer's address)" if args.room else "127.0.0.1"
    print(f"Serving the {args.dashboard} dashboard on {host}, port {args.port}.\n"
          f"Open http://127.0.0.1:{args.port}/ in a browser. Press Ctrl+C to stop.",
          file=sys.stderr)
    sys.stderr.flush()
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return


def _has_voila() -> bool:
    try:
        import voila  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
