"""Fence a trainee's server in: its own folder only, and a memory ceiling.

Every trainee's server runs as the same system user as the hub (a laptop has
no accounts to spare), so the operating system alone would let one trainee's
kernel read another's folder. On Linux 5.13 and later, :func:`confine` uses
**Landlock** (a kernel feature that needs no administrator rights) so that the
server and every kernel it starts:

* may read and run only the system's and Python's own files (``/usr``, ``/etc``,
  the Python installation, this kit's package), ``/sys``, ``/dev`` and a few
  system-wide files of ``/proc`` (never another process's ``/proc/PID``, whose
  ``environ`` holds its hub token);
* may write only inside the trainee's own folder (and ``/dev/shm``);
* cannot see or touch other trainees' folders, the class's store or the hub's
  database and secrets; cannot signal or trace processes outside its own fence
  (so not another trainee's kernel: Landlock ABI 6, Linux 6.12, for signals).

:func:`limit_memory` sets ``RLIMIT_AS`` (address space) on the server; every
kernel it starts inherits the same ceiling, each on its own. A kernel that
goes over it gets a ``MemoryError`` (and Jupyter says the kernel died) instead
of slowing the whole computer.

Where Landlock is missing (an older kernel, macOS), :func:`confine` returns
False and the class says so when it starts: trainees' servers are then kept
apart by the hub's logins only, not by the operating system.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
from collections.abc import Iterable
from pathlib import Path

_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1

# filesystem rights (include/uapi/linux/landlock.h)
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
_READ = EXECUTE | READ_FILE | READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock version this kernel offers (0 when it has none, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        abi = _libc().syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(int(abi), 0)


def _handled(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: bits 0 to 12
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def python_paths(exclude: Path | None = None) -> list[Path]:
    """Folders a Python server needs to read: the installation, ``sys.path``, this package.

    An entry that holds ``exclude`` (the class folder), or lies inside it (the
    hub's own folder, put on ``sys.path`` by ``python -m``), is left out, so that
    the fence never opens the class folder by way of ``sys.path``.
    """
    import coprod_sim

    found = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(sys.executable).resolve().parent.parent, Path(coprod_sim.__file__).parent]
    for entry in sys.path:
        if entry in ("", "."):
            continue
        found.append(Path(entry))
    out: list[Path] = []
    for p in found:
        try:
            p = p.resolve()
        except OSError:
            continue
        if not p.exists() or p == Path("/"):
            continue
        if exclude is not None:
            fence = exclude.resolve()
            if fence.is_relative_to(p) or p.is_relative_to(fence):
                continue
        if p not in out:
            out.append(p)
    return out


#: What every fenced server may read (and run). Not ``/proc`` as a whole: Landlock
#: does not stop a process from reading another's ``/proc/PID/environ`` (where the
#: hub puts each server's token), so only these system-wide files of it are open.
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/sys",
               "/var/lib", "/var/cache/fontconfig", "/run/systemd/resolve", "/proc/cpuinfo",
               "/proc/meminfo", "/proc/stat", "/proc/loadavg", "/proc/sys", "/proc/filesystems",
               "/proc/version")
SYSTEM_WRITE = ("/dev",)


def confine(home: str | os.PathLike, read: Iterable[str | os.PathLike] = (),
            write: Iterable[str | os.PathLike] = ()) -> bool:
    """Fence this process (and all it starts) in, with Landlock.

    Args:
        home: The only folder (with ``write``) where files may be made or changed.
        read: More folders that may be read (and their programs run).
        write: More folders that may be written (besides ``home``).

    Returns:
        True when the fence is up; False when this system has no Landlock.

    Raises:
        OSError: Landlock is there but refused the rules (the server must not start).
    """
    abi = landlock_abi()
    if abi < 1:
        return False
    libc = _libc()
    handled = _handled(abi)
    attr = _RulesetAttr(handled, 0, (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
                        if abi >= 6 else 0)
    size = 24 if abi >= 6 else 8
    fd = libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size),
                      ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "Landlock refused the ruleset")
    try:
        rules = [(p, _READ) for p in (*SYSTEM_READ, *read)]
        rules += [(p, handled) for p in (home, *SYSTEM_WRITE, "/dev/shm", *write)]
        for path, rights in rules:
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a folder this system does not have
            try:
                if not os.path.isdir(path):
                    rights &= _FILE_RIGHTS
                rule = _PathBeneath(rights & handled, pfd)
                if libc.syscall(_SYS_ADD_RULE, fd, _RULE_PATH_BENEATH, ctypes.byref(rule),
                                ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"Landlock refused a rule for {path}")
            finally:
                os.close(pfd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot set no_new_privs")
        if libc.syscall(_SYS_RESTRICT, fd, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "Landlock refused to restrict the server")
    finally:
        os.close(fd)
    return True


def limit_memory(max_bytes: int | None) -> None:
    """Cap this process's address space (each child it starts gets the same cap)."""
    if not max_bytes:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = int(max_bytes) if hard == resource.RLIM_INFINITY else min(int(max_bytes), hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
