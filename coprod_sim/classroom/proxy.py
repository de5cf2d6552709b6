"""JupyterHub's proxy, ``configurable-http-proxy``, from the npm registry, kept by the kit.

The hub needs this small Node.js program in front of it. :func:`find_proxy`
looks for it in the kit's own Node folder and, when it is missing and ``npm``
is there, installs it with ``npm install`` (nothing global, no administrator
rights): in ``.kit-node/`` of a clone of the kit (git-ignored), otherwise in
the user's cache folder (``~/.cache/coprod-sim/node``). ``$COPROD_NODE_DIR``
chooses another folder. Node.js 18 or newer is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

#: The npm package and the versions the class is tested with.
PACKAGE = "configurable-http-proxy@^5"

#: Environment variable choosing the Node folder.
NODE_DIR_ENV = "COPROD_NODE_DIR"


class ProxyError(RuntimeError):
    """The proxy cannot be found or installed (one plain line says what to do)."""


def node_dir() -> Path:
    """The folder the kit keeps its Node.js packages in."""
    env = os.environ.get(NODE_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    here = Path(__file__).resolve().parent
    for folder in here.parents:
        if (folder / "kit").is_file() and (folder / "pyproject.toml").is_file():
            return folder / ".kit-node"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "coprod-sim" / "node"


def _program(folder: Path) -> Path:
    return folder / "node_modules" / ".bin" / "configurable-http-proxy"


def find_proxy(install: bool = True, quiet: bool = True) -> Path:
    """The ``configurable-http-proxy`` program, installed with npm when missing.

    Two callers at once (two classes starting, or tests in parallel) take turns
    through a lock file beside the install, so npm never runs twice into one
    folder; an install that does not run (``--version`` fails: a broken or
    half-finished ``node_modules``) is removed and done again.

    Raises:
        ProxyError: Node.js or npm is missing, or the install failed.
    """
    import fcntl

    folder = node_dir()
    program = _program(folder)
    if program.is_file() and _runs(program):
        return program
    if not install:
        raise ProxyError(f"configurable-http-proxy is not installed in {folder}")
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        raise ProxyError("The class needs Node.js 18 or newer (with npm) for JupyterHub's "
                         "proxy: install it from your system's packages or nodejs.org, "
                         "then run this again.")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if program.is_file() and _runs(program):  # another caller installed it meanwhile
            return program
        shutil.rmtree(folder / "node_modules", ignore_errors=True)
        print(f"Installing JupyterHub's proxy ({PACKAGE}) with npm into {folder} "
              "(once, about a minute)", flush=True)
        out = subprocess.DEVNULL if quiet else None
        done = subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit",
                               "--no-fund", "--loglevel=error", "--no-save", PACKAGE],
                              stdout=out, stderr=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0 or not program.is_file() or not _runs(program):
            last = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
            raise ProxyError(f"npm could not install {PACKAGE} into {folder}: {last[0]}")
    return program


def _runs(program: Path) -> bool:
    """Whether the installed proxy starts at all (``--version`` answers)."""
    try:
        done = subprocess.run([str(program), "--version"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
