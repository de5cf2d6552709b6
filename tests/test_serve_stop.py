"""Stopping the dashboard server: no traceback, and no folder left behind on any path.

Failure 11 of the review: 2 stops in 13 printed a traceback, and the private
folder of the kernels' sockets (``voila_*`` in the temporary folder) was left
behind after a SIGKILL or a start refused over ``--room-dir``. Each path is a
row of the table; the server's temporary folder is the test's own (``TMPDIR``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from browser_support import ROOT

from coprod_sim.serve import free_port
from coprod_sim.serve_app import FOLDER_PREFIX, remove_stale_folders


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "0"])
    proc.wait()
    return proc.pid


def test_only_folders_of_dead_servers_are_removed(tmp_path):
    dead = tmp_path / f"{FOLDER_PREFIX}{_dead_pid()}-abc"
    alive = tmp_path / f"{FOLDER_PREFIX}{os.getpid()}-def"
    voilas_own = tmp_path / "voila_xyz"  # not this kit's: never touched
    odd = tmp_path / f"{FOLDER_PREFIX}notapid-x"
    for folder in (dead, alive, voilas_own, odd):
        folder.mkdir()
        (folder / "k1-shell").write_text("")
    assert remove_stale_folders(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and voilas_own.exists() and odd.exists()
    assert remove_stale_folders(tmp_path / "missing") == []


def _start(tmp_path, *args, room=False):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_PLATFORM_DIRS": "1",
           "TMPDIR": str(_short_tmp(tmp_path))}
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "coprod_sim", "dashboard", "--port", str(free_port()),
           "--no-browser", "--pool", "1", *args]
    if room:
        cmd.append("--room")
    out = open(log, "w")  # noqa: SIM115 - closed when the test ends
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


_SHORT: dict = {}


def _short_tmp(tmp_path):
    """A temporary folder of the test's own, with a path short enough for sockets."""
    import tempfile
    from pathlib import Path

    if tmp_path not in _SHORT:
        _SHORT[tmp_path] = Path(tempfile.mkdtemp(prefix="cs", dir="/tmp"))
    return _SHORT[tmp_path]


def _folders(tmp_path):
    return sorted(_short_tmp(tmp_path).glob(f"{FOLDER_PREFIX}*"))


def test_a_long_temporary_folder_falls_back_to_tmp():
    from coprod_sim.serve_app import socket_root

    assert socket_root("/tmp") == "/tmp"
    assert socket_root("/var/folders/zz/" + "x" * 60 + "/T") == "/tmp"


def _wait_up(proc, log, timeout=120):
    deadline = time.monotonic() + timeout
    while "Press Ctrl+C to stop." not in log.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)
    time.sleep(4)  # the pool's kernel is starting: the stop has something to stop


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL", "bad --room-dir"])
def test_every_stop_is_quiet_and_leaves_no_folder(tmp_path, how):
    if how == "bad --room-dir":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        proc, log = _start(tmp_path, "--room-dir", str(blocker / "room"), room=True)
        assert proc.wait(120) != 0
        text = log.read_text()
        assert "--room-dir is" in text and "cannot hold the room's answers" in text
    else:
        proc, log = _start(tmp_path)
        _wait_up(proc, log)
        assert len(_folders(tmp_path)) == 1
        if how == "SIGKILL":
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
            assert len(_folders(tmp_path)) == 1  # nobody could clean: the next start does
            proc, log = _start(tmp_path)
            _wait_up(proc, log)
            assert len(_folders(tmp_path)) == 1  # its own; the dead server's is gone
            how = "SIGTERM"
        proc.send_signal(getattr(signal, how))
        assert proc.wait(90) == 0
        text = log.read_text()
        assert "Stopped." in text
    for noise in ("Traceback", "KeyboardInterrupt", "ZMQError", "zmq.error"):
        assert noise not in text, text
    assert _folders(tmp_path) == [], text
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    import shutil

    shutil.rmtree(_short_tmp(tmp_path), ignore_errors=True)
