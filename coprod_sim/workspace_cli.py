"""``coprod-sim start`` and ``coprod-sim solutions``: the trainee's and trainer's commands.

``start [FOLDER]`` makes or updates a trainee's working folder (see
:mod:`coprod_sim.workspace`) and opens JupyterLab on it at notebook 00.
``solutions`` prints where the trainers' exercise solutions are, or copies them
to a trainer's folder with ``--copy FOLDER``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from coprod_sim import resources
from coprod_sim.cli import UsageError, register
from coprod_sim.resources import WORKSPACE_MARKER
from coprod_sim.workspace import DEFAULT_FOLDER, WorkspaceError, prepare


def cmd_start(args: argparse.Namespace) -> int:
    """Make or update the working folder, then serve it with JupyterLab."""
    if args.port is not None and not 1024 <= args.port <= 65535:
        raise UsageError(f"--port is {args.port}; allowed: a whole number from 1024 to "
                         "65535, or leave it out for a free one")
    try:
        report = prepare(Path(args.folder) if args.folder else None)
    except WorkspaceError as err:
        raise UsageError(str(err)) from None
    print(report.summary(), flush=True)
    if args.no_lab:
        return 0
    from coprod_sim import lab  # JupyterLab is only needed to serve

    return lab.start(report.folder, open_browser=not args.no_browser, port=args.port)


def cmd_solutions(args: argparse.Namespace) -> int:
    """Print where the solutions are, or copy them to a trainer's folder."""
    source = resources.solutions_dir()
    if not args.copy:
        print(f"The exercise solutions (for trainers only) are in:\n    {source}")
        print("Open check_solutions.ipynb there to see each solution's feedback, or copy "
              "them with: coprod-sim solutions --copy FOLDER")
        return 0
    target = Path(args.copy).expanduser()
    for folder in (target, *target.resolve().parents):
        if (folder / WORKSPACE_MARKER).is_file():
            raise UsageError(f"--copy is {args.copy}, inside a trainee's working folder "
                             f"({folder}); allowed: a folder trainees do not use")
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"--copy is {args.copy}, which is not empty; allowed: a new or "
                         "empty folder")
    shutil.copytree(source, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    print(f"Copied the exercise solutions to {target.resolve()}. Keep them away from trainees.")
    return 0


def add_start(sub: Any) -> None:
    """Add ``coprod-sim start``."""
    p = sub.add_parser("start", help="make your own working folder and open notebook 00")
    p.add_argument("folder", nargs="?", default=None,
                   help=f"your working folder (default: {DEFAULT_FOLDER}, outside the kit, so "
                   "deleting or updating the kit never touches your work)")
    p.add_argument("--no-browser", action="store_true",
                   help="print the address but do not open a web browser")
    p.add_argument("--no-lab", action="store_true",
                   help="only make or update the folder; do not start JupyterLab")
    p.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    p.set_defaults(func=cmd_start)


def add_solutions(sub: Any) -> None:
    """Add ``coprod-sim solutions``."""
    p = sub.add_parser("solutions", help="trainers: where the exercise solutions are")
    p.add_argument("--copy", metavar="FOLDER", help="copy them to this (new) folder")
    p.set_defaults(func=cmd_solutions)


register("start", add_start)
register("solutions", add_solutions)
