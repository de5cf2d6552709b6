"""The room on the command line: ``coprod-sim room export``.

::

    coprod-sim room export my_work/room/room-20261201-091500.sqlite --out answers.csv

The CSV is written atomically (never half a file); a file that is not a room
session is one clear line, and is never changed (it is opened read-only).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from coprod_sim import cli
from coprod_sim.room.store import RoomError, Store


def cmd_export(args: argparse.Namespace) -> int:
    """Write a room session's answers as CSV (a problem is one line and status 2)."""
    try:
        if Path(args.out).suffix.lower() != ".csv":
            raise RoomError(f"--out is {args.out!r}; allowed: a file name ending in .csv")
        store = Store(args.session, create=False)
        text = store.export_csv()
        path = store.export(args.out)
    except RoomError as err:
        print(f"coprod-sim room export: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"coprod-sim room export: cannot write {args.out}: {err.strerror or err}",
              file=sys.stderr)
        return 2
    rows = max(0, text.count("\n") - 1)
    print(f"Wrote {rows} answers to {len(store.questions())} questions to {path}.")
    return 0


def _add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("room", help="the room's answers (class-wide predictions)")
    rsub = p.add_subparsers(dest="room_command", required=True)
    e = rsub.add_parser("export", help="write a session's answers as CSV")
    e.add_argument("session", help="the session file (room-....sqlite)")
    e.add_argument("--out", required=True, help="the CSV file to write")
    e.set_defaults(func=cmd_export)


cli.register("room", _add_parser)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m coprod_sim.room.cli ...`` (the same as ``coprod-sim room ...``)."""
    return cli.main(["room", *(argv if argv is not None else sys.argv[1:])])
