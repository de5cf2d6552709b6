"""Start a program that dies with its parent: ``python .../classroom/guard.py PROG ARGS``.

The class's hub starts the proxy, its services and every trainee's server, and
each server starts kernels. If the hub is killed outright (``kill -9``), none of
them is told. Every one of them is therefore started through this guard, which
asks Linux to send it ``SIGKILL`` when the process that started it ends
(``PR_SET_PDEATHSIG``, kept across ``exec``) and then becomes the program.
So after the hub is stopped, by Ctrl+C, ``SIGTERM`` or ``SIGKILL``, no process of
the class survives. On systems without ``prctl`` (not Linux) it only runs the program.

It is run as a script (not ``-m``), so that it imports only the standard library and
costs no start-up time; it must stay that way.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent ends.

    Returns True when that was arranged (Linux), False elsewhere.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    """Arrange to die with the parent, then replace this process with ``argv``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print("usage: python guard.py PROGRAM [ARGS...]", file=sys.stderr)
        raise SystemExit(2)
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:  # the parent ended before the request took hold
        raise SystemExit(1)
    # a hub started in the background inherits "ignore Ctrl+C": the hub stops its
    # services with SIGINT first, so they must hear it
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    program = argv[0] if os.sep in argv[0] else (shutil.which(argv[0]) or argv[0])
    os.execv(program, argv)


if __name__ == "__main__":
    main()
