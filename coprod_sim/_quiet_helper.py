"""The dashboard helper's initializer: helpers leave interrupts to the kernel.

When the server stops a kernel it interrupts the kernel's whole process group;
a helper that ignores the interrupt ends with the kernel that owns it, without
printing a traceback. Standard library only: the helper's fork server preloads
this module (``set_forkserver_preload``), so a new helper finds :func:`quiet`
already imported and runs it at once, instead of first importing the widgets
and matplotlib to unpickle an initializer that lives there (an interrupt in
that second-long import printed a traceback when a room stopped).
Importing it changes nothing: only calling :func:`quiet` does.
"""

from __future__ import annotations

import signal


def quiet() -> None:
    """Ignore interrupts in this process (the helper's initializer)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


__all__ = ["quiet"]
