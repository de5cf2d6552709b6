"""The class's parts that need no hub: names and codes, the fence, the guard, the bet
hook, the command line's plain lines, and the light install (no research stack)."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from coprod_sim.classroom import report
from coprod_sim.classroom.codes import ALPHABET, ClassError, load_or_create, trainee_name
from coprod_sim.classroom.sandbox import landlock_abi

ROOT = Path(__file__).resolve().parent.parent
RESEARCH = ("dask", "distributed", "pyarrow", "SALib", "optuna", "ema_workbench", "cloudpickle")


@pytest.mark.parametrize("typed, name", [("Anna", "anna"), ("  Anna B ", "anna-b"),
                                         ("José", "jose"), ("mary_jane", "mary-jane")])
def test_a_first_name_becomes_a_hub_user_name(typed, name):
    assert trainee_name(typed) == name


@pytest.mark.parametrize("typed", ["", "   ", "trainer", "Admin", "1anna", "a" * 31, "<b>"])
def test_names_that_cannot_be_used_get_one_plain_line(typed):
    with pytest.raises(ClassError) as err:
        trainee_name(typed)
    assert "\n" not in str(err.value)


def test_a_class_keeps_its_codes_and_refuses_a_folder_of_other_files(tmp_path):
    info = load_or_create(tmp_path / "c")
    assert len(info.class_code) == 6 and len(info.trainer_code) == 12
    assert set(info.class_code + info.trainer_code) <= set(ALPHABET)
    assert (info.folder / "class.json").stat().st_mode & 0o077 == 0
    assert load_or_create(tmp_path / "c") == info  # the same class on another day
    other = tmp_path / "other"
    other.mkdir()
    (other / "thesis.docx").write_text("x")
    with pytest.raises(ClassError, match="holds other files"):
        load_or_create(other)
    with pytest.raises(ClassError, match="which is a file"):
        load_or_create(other / "thesis.docx")


def test_a_guarded_program_dies_with_its_parent(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, '-m', 'coprod_sim.classroom.guard',
                                  'sleep', '120'])
        print(child.pid, flush=True)
        time.sleep(120)
        """)], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    for _ in range(200):  # until the guard has become the program
        if Path(f"/proc/{child}/comm").read_text().strip() == "sleep":
            break
        time.sleep(0.1)
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    for _ in range(40):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
            return
        time.sleep(0.25)
    pytest.fail("the guarded program outlived its parent")


@pytest.mark.skipif(landlock_abi() < 1, reason="this system has no Landlock")
def test_the_fence_lets_a_server_write_its_own_folder_only(tmp_path):
    home, other = tmp_path / "trainees" / "anna", tmp_path / "trainees" / "ben"
    home.mkdir(parents=True)
    other.mkdir(parents=True)
    (other / "secret.txt").write_text("Ben's notes")
    code = textwrap.dedent(f"""
        import json, os, sys
        from pathlib import Path
        from coprod_sim.classroom import sandbox
        read = [str(p) for p in sandbox.python_paths(exclude=Path({str(tmp_path)!r}))]
        assert sandbox.confine({str(home)!r}, read=read)
        out = {{}}
        for name, act in [("own", lambda: open({str(home / 'a.txt')!r}, 'w').write('x')),
                          ("other", lambda: open({str(other / 'secret.txt')!r}).read()),
                          ("list", lambda: os.listdir({str(tmp_path / 'trainees')!r})),
                          ("numpy", lambda: __import__('numpy').zeros(3).sum())]:
            try:
                act(); out[name] = "ok"
            except OSError as e:
                out[name] = type(e).__name__
        print(json.dumps(out))
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=home)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got == {"own": "ok", "other": "PermissionError", "list": "PermissionError",
                   "numpy": "ok"}


def test_the_memory_ceiling_stops_a_runaway_kernel():
    code = ("from coprod_sim.classroom.sandbox import limit_memory\n"
            "limit_memory(1024 ** 3)\n"
            "try:\n    x = bytearray(2 * 1024 ** 3); print('got it')\n"
            "except MemoryError:\n    print('MemoryError')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "MemoryError"


def test_a_bet_goes_nowhere_outside_a_class(monkeypatch):
    monkeypatch.delenv(report.BETS_URL_ENV, raising=False)
    assert report.send_bet("00", "00_usual", 30) is None
    assert not report.in_class()


def test_a_bet_goes_to_the_class_with_the_token_in_a_header(monkeypatch):
    got = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, self.headers["Authorization"], json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/services/class/api/bet"
        monkeypatch.setenv(report.BETS_URL_ENV, url)
        monkeypatch.setenv(report.TOKEN_ENV, "secret-token-123")
        assert report.send_bet("02", "02_reach", "Plan B", 1, wait=True) is True
        report.send_bet("02", "02_reach", float("nan"), 2).join(10)  # in the background
    finally:
        server.shutdown()
    assert got[0] == ("/services/class/api/bet", "token secret-token-123",
                      {"section": "02", "moment": "02_reach", "guess": "Plan B", "try": 1})
    assert got[1][2]["guess"] is None and "secret" not in got[0][0]


def _cli(*args: str, env: dict | None = None,
         block: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    pre = "".join(f"sys.modules[{m!r}] = None; " for m in block)
    code = f"import sys; {pre}from coprod_sim.cli import main; sys.exit(main({list(args)!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args, says", [
    (["--mem-limit", "lots"], "--mem-limit is 'lots'; allowed: a size such as 800M"),
    (["--mem-limit", "100M"], "allowed: 256M or more"),
    (["--port", "80"], "--port is 80; allowed: a whole number from 1024 to 65535"),
    (["--max-trainees", "0"], "--max-trainees is 0; allowed: 1 or more"),
])
def test_class_options_that_are_not_allowed_get_one_line(tmp_path, args, says):
    done = _cli("class", "--folder", str(tmp_path / "c"), "--dry-run", *args)
    assert done.returncode == 2 and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_the_class_command_says_which_extra_it_needs_when_jupyterhub_is_missing(tmp_path):
    done = _cli("class", "--folder", str(tmp_path / "c"), "--dry-run",
                block=("jupyterhub",))
    assert done.returncode == 2
    assert "install coprod-sim[class]" in done.stderr and "Traceback" not in done.stderr


def test_the_core_works_without_the_research_stack(tmp_path):
    code = (f"import sys; {''.join(f'sys.modules[{m!r}] = None; ' for m in RESEARCH)}"
            "import coprod_sim; r = coprod_sim.run('default', weeks=4); "
            "print(len(r.weekly))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "4", done.stderr
    done = _cli("start", "--help", block=RESEARCH)
    assert done.returncode == 0 and "working folder" in done.stdout
    done = _cli("sweep", "experiments/example_sweep.toml", "--out", str(tmp_path / "s"),
                block=RESEARCH)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().endswith("install coprod-sim[research]")
    assert len(done.stderr.strip().splitlines()) == 1
