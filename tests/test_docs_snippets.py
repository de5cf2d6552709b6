"""Every snippet of docs/research.md runs as written.

The bash and Python blocks run in order, in a scratch folder holding copies of
``experiments/`` and ``calibration/`` (the page's commands are written from the
repository root), with ``COPROD_SIM_QUICK=1``: the documented switch that makes
every experiment and calibration small. TOML blocks must parse, and Python
blocks that start worker processes must guard their work with ``__main__``.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "research.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
STARTS_PROCESSES = ("run_experiment(", "evaluate(", "number_processes=2", "workers=2")


def blocks(*langs):
    text = DOC.read_text(encoding="utf-8")
    return [(text[:m.start()].count("\n") + 1, m.group(1), m.group(2))
            for m in BLOCK.finditer(text) if m.group(1) in langs]


def test_python_blocks_that_start_processes_guard_their_work():
    for line, _, body in blocks("python"):
        if any(s in body for s in STARTS_PROCESSES):
            assert 'if __name__ == "__main__":' in body, f"docs/research.md line {line}"


def test_toml_blocks_parse():
    for line, _, body in blocks("toml"):
        try:
            tomllib.loads(body)
        except tomllib.TOMLDecodeError as err:
            pytest.fail(f"docs/research.md line {line}: {err}")


def test_every_bash_and_python_block_runs_as_written(tmp_path):
    for folder in ("experiments", "calibration"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "results").mkdir()
    env = {**os.environ, "COPROD_SIM_QUICK": "1", "MPLBACKEND": "Agg",
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    for line, lang, body in blocks("bash", "python"):
        if lang == "bash":
            cmd = ["bash", "-e", "-c", body]
        else:
            script = tmp_path / f"snippet_{line}.py"
            script.write_text(body, encoding="utf-8")
            cmd = [sys.executable, str(script)]
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, (f"docs/research.md line {line} ({lang}) failed:\n"
                                      f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
