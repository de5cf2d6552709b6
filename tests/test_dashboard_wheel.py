"""Installed from the built wheel, outside the source tree, the kit serves its dashboards.

Builds the wheel (offline: no build isolation, no dependencies), installs it
into a fresh virtual environment that borrows this environment's packages
through a ``.pth`` file (so nothing is downloaded), and runs
``coprod-sim dashboard`` from an empty folder elsewhere.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest
from browser_support import ROOT

from coprod_sim.serve import DASHBOARDS, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(tmp / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp / "dist").glob("coprod_sim-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_path("
                                "'purelib'))"], capture_output=True, text=True,
                               check=True).stdout.strip())
    # borrow this environment's packages (listed after the venv's own, so the
    # wheel's coprod_sim comes first; the editable install's hooks are not run)
    (site / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # (pip itself is borrowed too; --ignore-installed: the borrowed packages hold
    # this checkout's editable install, which must not count as installed)
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
                    "--quiet", str(wheel)], check=True, timeout=300, capture_output=True,
                   env=clean_env())
    return {"wheel": wheel, "venv": venv, "python": py, "site": site, "tmp": tmp}


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    # Voila's templates and the widgets' JavaScript are data files of the
    # borrowed environment (a real install puts them in its own share/jupyter)
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return env


def test_the_wheel_holds_the_dashboards(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for name in DASHBOARDS:
        assert f"coprod_sim/content/notebooks/dashboards/{name}.ipynb" in names
    assert not any(n.startswith("notebooks/") for n in names)


def test_the_installed_package_finds_its_notebooks(installed, tmp_path):
    out = subprocess.run(
        [installed["python"], "-c", "import coprod_sim, coprod_sim.serve as s; "
         "print(coprod_sim.__file__); print(s.notebook_path('trainer'))"],
        capture_output=True, text=True, cwd=tmp_path, env=clean_env(), check=True)
    module, notebook = out.stdout.split()
    assert module.startswith(str(installed["site"]))
    assert notebook.startswith(str(installed["site"])) and Path(notebook).is_file()


def test_coprod_sim_dashboard_serves_from_another_folder(installed, tmp_path):
    port = free_port()
    cmd = [str(installed["venv"] / "bin" / "coprod-sim"), "dashboard", "--port", str(port),
           "--no-browser", "--pool", "0"]
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=clean_env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while f"http://127.0.0.1:{port}/" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
        assert resp.status == 200
        assert "application/vnd.jupyter.widget-view+json" in body
        assert not re.search(r"Traceback|ModuleNotFoundError|No such file", body)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    text = log.read_text()
    assert "Stopped." in text and "Traceback" not in text, text
