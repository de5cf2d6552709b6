"""Provenance: which code, packages and machine produced a result.

Recorded in every manifest and compared by ``coprod-sim reproduce`` with what is
installed now, so a reviewer can tell a changed number from a changed program.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

#: Packages that can change a number (the model, its random numbers, the
#: tables, the designs and the analysis).
PACKAGES = ("numpy", "pandas", "mesa", "SALib", "pyarrow", "dask", "distributed",
            "networkx", "scipy")

#: Seconds allowed for each ``git`` call.
GIT_TIMEOUT = 5


@functools.cache
def package_versions() -> dict[str, str]:
    """``coprod_sim``, Python and every package in :data:`PACKAGES`, by name."""
    from importlib.metadata import PackageNotFoundError, version

    from coprod_sim._version import __version__

    out = {"coprod_sim": __version__, "python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def platform_info() -> dict[str, Any]:
    """The operating system, processor and Python build."""
    return {"platform": platform.platform(), "system": platform.system(),
            "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(),
            "python_implementation": platform.python_implementation(),
            "cpus": os.cpu_count()}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              text=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def git_info() -> dict[str, Any] | None:
    """The commit and whether tracked files differ from it, when run from a checkout.

    Returns None when the package is not inside a git checkout (an installed
    wheel) or ``git`` is not available.
    """
    package = Path(__file__).resolve().parents[2]
    if not any((p / ".git").exists() for p in (package, *package.parents)):
        return None
    commit = _git(package, "rev-parse", "HEAD")
    if not commit:
        return None
    status = _git(package, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def provenance() -> dict[str, Any]:
    """Everything the manifest records about the code and the machine."""
    return {"versions": package_versions(), "platform": platform_info(), "git": git_info()}


def differences(recorded: dict[str, Any] | None) -> list[str]:
    """Plain lines naming each recorded version or commit that differs from now.

    Args:
        recorded: A manifest's ``provenance`` (or an old manifest's ``versions``).
    """
    if not recorded:
        return ["the manifest records no package versions (made by an old version)"]
    versions = recorded.get("versions", recorded)
    now = package_versions()
    lines = []
    for name in sorted(set(versions) | set(now)):
        then, current = versions.get(name, "not recorded"), now.get(name, "not installed")
        if then != current:
            lines.append(f"{name}: recorded {then}, installed {current}")
    then_git, now_git = recorded.get("git"), git_info()
    if then_git and now_git:
        if then_git.get("commit") != now_git.get("commit"):
            lines.append(f"code commit: recorded {then_git.get('commit', '?')[:12]}, "
                         f"now {now_git['commit'][:12]}")
    elif then_git and not now_git:
        lines.append(f"code commit: recorded {then_git.get('commit', '?')[:12]}, now not "
                     "run from a git checkout")
    return lines


def cautions(recorded: dict[str, Any] | None) -> list[str]:
    """Plain lines on uncommitted changes, then or now: the commit alone does not name the code."""
    then_git = (recorded or {}).get("git") or {}
    now_git = git_info() or {}
    lines = []
    if then_git.get("dirty"):
        lines.append("the recorded run was made from a checkout with uncommitted changes, so "
                     "its commit does not fully name its code")
    if now_git.get("dirty"):
        lines.append("this checkout has uncommitted changes")
    return lines


def summary_line(recorded: dict[str, Any] | None) -> str:
    """One line naming the recorded package version and commit."""
    versions = (recorded or {}).get("versions", recorded or {})
    git = (recorded or {}).get("git") or {}
    commit = ""
    if git.get("commit"):
        dirty = " (uncommitted changes)" if git.get("dirty") else ""
        commit = f", commit {git['commit'][:12]}{dirty}"
    return (f"coprod-sim {versions.get('coprod_sim', '?')}, numpy {versions.get('numpy', '?')}, "
            f"mesa {versions.get('mesa', '?')}, Python {versions.get('python', '?')}{commit}")
