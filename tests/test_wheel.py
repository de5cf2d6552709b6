"""The curriculum travels with the package: the built wheel carries it, and
``coprod-sim start``, installed from that wheel into a fresh virtual environment
outside any clone, makes a working folder and serves notebook 00.

Offline and quick: the wheel is built with the setuptools already installed
(``--no-build-isolation``) from a copy of the source tree, installed with
``--no-deps`` into a fresh venv, and the dependencies (JupyterLab and the rest)
are borrowed from this interpreter's environment by a ``.pth`` file rather than
downloaded.
"""

import json
import os
import shutil
import site
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".ruff_cache", ".hypothesis", "workspace",
                              "my_work", "results", "out", ".ipynb_checkpoints")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(base / "dist"), str(src)],
                   check=True, capture_output=True, timeout=300)
    (found,) = (base / "dist").glob("coprod_sim-*.whl")
    return found


def test_wheel_carries_the_curriculum_and_the_trainer_files_apart(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    content = "coprod_sim/content/"
    for i in range(8):
        assert any(n.startswith(f"{content}notebooks/0{i}_") for n in names), i
    assert sum(n.startswith(f"{content}exercises/ex") for n in names) >= 4
    assert f"{content}exercises/README.md" in names
    assert sum(n.startswith(f"{content}exercises/solutions/") and n.endswith("_solution.toml")
               for n in names) >= 4
    assert not [n for n in names if "solution" in n and "/exercises/solutions/" not in n]
    assert f"{content}notebooks/research/research_tools.ipynb" in names
    for name in ("trainer", "compare", "explorer"):
        assert f"{content}notebooks/dashboards/{name}.ipynb" in names
    # one copy: the wheel's only curriculum is the one under the package
    assert not [n for n in names if n.startswith(("notebooks/", "exercises/"))]
    assert not [n for n in names if "__pycache__" in n or ".ipynb_checkpoints" in n]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True,
                   timeout=120)
    py = env / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path("
                              "'purelib'))"], check=True, capture_output=True, text=True)
    # borrow the dependencies, after the venv's own site-packages
    Path(purelib.stdout.strip(), "borrowed_deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
                    "--no-index", "-q", str(wheel)], check=True, capture_output=True,
                   timeout=300)
    return env


def clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "COPROD_WORK_DIR", "JUPYTER_PATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # JupyterLab's widget extension and kernels are data files of the borrowed environment
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return env


def test_installed_package_finds_its_notebooks_outside_any_clone(venv, tmp_path):
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import coprod_sim, coprod_sim.resources as r; "
                          "print(coprod_sim.__file__); print(r.notebook('00'))"],
                         cwd=tmp_path, env=clean_env(venv), capture_output=True, text=True,
                         check=True)
    module, first = out.stdout.split()
    assert module.startswith(str(venv)), "the test must use the installed wheel"
    assert first.startswith(str(venv)) and first.endswith("00_start_here.ipynb")


def test_start_from_the_wheel_makes_the_folder_and_serves_notebook_00(venv, tmp_path):
    here = tmp_path / "elsewhere"
    here.mkdir()
    proc = subprocess.Popen([str(venv / "bin" / "coprod-sim"), "start", "my course",
                             "--no-browser"], cwd=here, env=clean_env(venv),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        url = None
        end = time.monotonic() + 120
        while url is None and time.monotonic() < end:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "token=" in line:
                url = line.strip()
        assert url, "".join(lines)
        assert "/lab/tree/notebooks/00_start_here.ipynb?token=" in url
        assert url.startswith("http://127.0.0.1:")
        folder = here / "my course"
        assert (folder / "notebooks" / "00_start_here.ipynb").is_file()
        assert (folder / "my_work").is_dir()
        assert not list(folder.rglob("*solution*"))
        with urllib.request.urlopen(url, timeout=30) as resp:
            page = resp.read().decode()
        assert '"treePath": "notebooks/00_start_here.ipynb"' in page
        assert str(venv) in page, "JupyterLab runs from the fresh environment"
        token = url.split("token=")[1]
        req = urllib.request.Request(url.split("/lab/")[0] + "/api/contents",
                                     headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            top = sorted(i["name"] for i in json.load(resp)["content"])
        assert top == ["exercises", "my_work", "notebooks"]
    finally:
        proc.terminate()  # what Ctrl+C does: the server and its kernels stop cleanly
        try:
            rest = proc.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            rest = proc.communicate()[0]
    assert proc.returncode == 0, "".join(lines) + rest
    assert "Stopping JupyterLab" in rest
