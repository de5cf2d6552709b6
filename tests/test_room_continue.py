"""Restarting the room with the same folder carries on with the last session (failure 12).

Before, every restart opened a new, empty session although every answer was
kept: the trainer lost the open question and the phones the join address. Now
a session used in the last few hours (a restart during a class) is carried on
with its answers, its open question and its join token; an older one (the next
class) is left alone; ``--continue`` and ``--new-session`` choose.
"""

from __future__ import annotations

import os
import time

import pytest

from coprod_sim.room.store import CONTINUE_HOURS, QuestionSpec, RoomError, Store, choose_session

Q = QuestionSpec("05_email", "choice", "Will trust go up or down?",
                 options=("Go up", "Go down", "Stay about the same"))


def _session(folder, hours_ago: float, join_token="join-old-Token1", open_q=True):
    store = Store.create_session(folder)
    store.set_meta("join_url", f"http://10.0.0.2:8866/join?token={join_token}")
    if open_q:
        store.open_question(Q)
    store.close()
    stamp = time.time() - hours_ago * 3600
    for p in folder.glob(f"{store.path.name}*"):
        os.utime(p, (stamp, stamp))
    return store.path


@pytest.mark.parametrize("hours_ago, flag, carries_on, says", [
    (0.2, None, True, "Carrying on with the room session"),
    (CONTINUE_HOURS - 0.5, None, True, "Its open question: 'Will trust go up or down?'"),
    (CONTINUE_HOURS + 1, None, False, "--continue carries on with it"),
    (30, "continue", True, "Carrying on"),
    (0.2, "new", False, "Starting a new room session (--new-session)."),
    (None, None, False, "Starting a new room session."),
])
def test_which_session_a_restart_uses(tmp_path, hours_ago, flag, carries_on, says):
    path = _session(tmp_path, hours_ago) if hours_ago is not None else None
    found, line = choose_session(tmp_path, flag == "continue", flag == "new")
    assert says in line and line.count("\n") == 0
    if carries_on:
        assert found is not None and found.path == path
        assert found.join_token == "join-old-Token1"  # the phones' address still works
        assert found.question == Q.text
    else:
        assert found is None


def test_continue_with_no_session_is_one_clear_line(tmp_path):
    with pytest.raises(RoomError, match="there is no room session in .* to carry on with"):
        choose_session(tmp_path / "empty", want_continue=True)


def test_the_newest_session_is_the_one_carried_on(tmp_path):
    _session(tmp_path, 2.0, join_token="join-older-01")
    newer = _session(tmp_path, 0.1, join_token="join-newer-01", open_q=False)
    found, line = choose_session(tmp_path)
    assert found.path == newer and found.join_token == "join-newer-01"
    assert found.question is None and "open question" not in line


def test_a_damaged_file_is_passed_over(tmp_path):
    good = _session(tmp_path, 1.0)
    (tmp_path / "room-20990101-000000.sqlite").write_bytes(b"not a database" * 10)
    found, _ = choose_session(tmp_path)
    assert found.path == good


@pytest.mark.slow
def test_a_restarted_room_carries_on_with_its_open_question(tmp_path):
    """Start, ask, stop, start again: the same session, question and join address."""
    import json
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    from browser_support import ROOT

    from coprod_sim.serve import free_port

    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_PLATFORM_DIRS": "1"}
    for name in ("COPROD_ROOM_TOKEN", "COPROD_ROOM_JOIN_TOKEN", "COPROD_ROOM_SESSION"):
        env.pop(name, None)
    folder = tmp_path / "room"

    def start(*extra):
        log = tmp_path / f"serve-{len(list(tmp_path.glob('serve-*')))}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "coprod_sim", "dashboard", "--room", "--port",
                 str(free_port()), "--no-browser", "--pool", "0", "--room-dir", str(folder),
                 *extra], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 120
        while not (found := re.search(r"Trainees join at: http://\S+?:(\d+)/join\?token=(\S+)",
                                      log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        port, join = found.groups()
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/join/api/question?"
                                            f"token={join}", timeout=5) as r:
                    return proc, log, port, join, json.loads(r.read())
            except OSError:
                time.sleep(0.3)
        raise AssertionError(log.read_text())

    def stop(proc):
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)

    proc, log, _, join, state = start()
    try:
        assert state["question"] is None and "Starting a new room session." in log.read_text()
        (session,) = folder.glob("room-*.sqlite")
        Store(session).open_question(Q)  # the trainer asks (the panel writes the file)
    finally:
        stop(proc)
    proc, log, _, join2, state = start()
    try:
        text = log.read_text()
        assert "Carrying on with the room session" in text and Q.text in text
        assert list(folder.glob("room-*.sqlite")) == [session]
        assert join2 == join  # the phones' address and QR code still work
        assert state["question"]["text"] == Q.text and state["question"]["state"] == "open"
        assert "Traceback" not in text
    finally:
        stop(proc)
    proc, log, _, join3, state = start("--new-session")
    try:
        assert state["question"] is None and join3 != join
        assert len(list(folder.glob("room-*.sqlite"))) == 2
    finally:
        stop(proc)
