"""Every notebook and exercise runs top to bottom, headless, with no errors.

Notebooks are executed with nbclient on a kernel that runs *this* interpreter
(so CI tests the installed package). The trainee notebooks and exercises run as a
trainee runs them: their copies in a temporary working folder made by
``coprod-sim start``'s :func:`coprod_sim.workspace.prepare`, saving to its
``my_work``, so a trainee's saved record is never touched; afterwards the kit's
own files must be exactly as before. Widgets must not block: nothing waits for a
button press. The stored files must be clean (no outputs, so no stored errors),
and each curriculum notebook must have the parts the issue asks for.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coprod_sim import resources
from coprod_sim.workspace import prepare

ROOT = Path(__file__).resolve().parents[1]
CURRICULUM = resources.curriculum_notebooks()
EXERCISES = resources.exercise_notebooks()
SOLUTIONS = sorted(resources.solutions_dir().glob("*.ipynb"))
ALL = CURRICULUM + EXERCISES + SOLUTIONS
WIDGET = "application/vnd.jupyter.widget-view+json"


def kit_files() -> dict[str, str]:
    """Fingerprints of the kit's own files, and git's view of the checkout when there is one.

    ``git status`` (tracked and untracked, not ignored) catches a notebook run
    that writes anywhere in the clone; the fingerprints cover an installed kit.
    """
    out = {}
    for path in sorted(p for top in resources.kit_folders() for p in top.rglob("*")):
        if path.is_file() and not {"__pycache__", ".ipynb_checkpoints"} & set(path.parts):
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    if shutil.which("git") and (ROOT / ".git").exists():
        status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                                capture_output=True, text=True, check=False)
        out["git status"] = status.stdout
    return out


@pytest.fixture(scope="module")
def kit_before():
    """The kit's files before any notebook runs."""
    return kit_files()


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory):
    """A trainee's working folder, as ``coprod-sim start`` makes it."""
    folder = tmp_path_factory.mktemp("trainee") / "work"
    prepare(folder)
    return folder


def run_copy(path: Path, workspace: Path) -> Path:
    """The file a trainee runs for a kit notebook: their copy (trainer files run in place)."""
    for sub, folder in (("notebooks", resources.notebooks_dir()),
                        ("exercises", resources.exercises_dir())):
        if path.parent == folder:
            return workspace / sub / path.name
    return path


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory, kit_before, workspace_dir):
    """A kernelspec for the current interpreter; saved work goes to the workspace."""
    base = tmp_path_factory.mktemp("jupyter")
    spec = base / "kernels" / "coprod-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "coprod-sim test", "language": "python"}))
    work = workspace_dir / "my_work"
    old = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "COPROD_WORK_DIR", "MPLBACKEND")}
    os.environ["JUPYTER_PATH"] = str(base) + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    os.environ["COPROD_WORK_DIR"] = str(work)
    os.environ["MPLBACKEND"] = "Agg"
    yield work
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def errors(nb) -> list[str]:
    """Error outputs of an executed (or stored) notebook, as readable strings."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr" \
                    and "Traceback" in out.get("text", ""):
                found.append(f"cell {i}: traceback on stderr")
    return found


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(resources.content_dir())))
def test_notebook_runs_top_to_bottom(path, kernel_env, workspace_dir):
    path = run_copy(path, workspace_dir)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="coprod-test", timeout=120,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    assert errors(nb) == [], f"{path.name} produced errors: {errors(nb)}"
    widgets = [o for c in nb.cells for o in c.get("outputs", []) if WIDGET in o.get("data", {})]
    if "kit.moment(" in "".join(c.source for c in nb.cells) or "kit.challenge(" in \
            "".join(c.source for c in nb.cells):
        assert widgets, f"{path.name}: the prediction or challenge widgets did not display"
    record = kernel_env / "reflection.json"
    if record.exists():  # nothing is revealed or recorded until the trainee acts
        kinds = {e["kind"] for e in json.loads(record.read_text())["entries"]}
        assert "prediction" not in kinds, f"{path.name} revealed a moment without a click"


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(resources.content_dir())))
def test_stored_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert errors(nb) == [], f"{path.name} stores error outputs"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name} cell {i} stores outputs: clear them before committing"


@pytest.mark.parametrize("path", CURRICULUM, ids=lambda p: p.name)
def test_curriculum_notebook_has_every_part(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert re.search(r"\*\*Time:\*\* about \d+ minutes", text), "estimated time"
    assert "By the end you will be able to" in text, "learning objectives"
    assert "kit.reflect(" in src, "reflection questions"
    assert "kit.glossary(" in src or path.name.startswith("00"), "glossary"
    if not path.name.startswith("00"):
        assert "kit.moment(" in src or "kit.planner()" in src, "a predict-then-reveal moment"
        assert "## What the model does not capture" in text, "limits note"
    assert "input(" not in src, "notebooks must not wait for typed input"
    code_lines = [ln for c in nb.cells if c.cell_type == "code" for ln in c.source.splitlines()]
    assert all(len(ln) <= 120 for ln in code_lines), "code cells stay short"


def test_notebook_00_is_what_start_opens():
    from coprod_sim.workspace import FIRST_NOTEBOOK
    assert FIRST_NOTEBOOK == "notebooks/00_start_here.ipynb"
    assert resources.notebook("00").name == "00_start_here.ipynb"


def test_every_numbered_notebook_from_the_issue_exists():
    names = [p.name[:2] for p in CURRICULUM]
    assert names == [f"0{i}" for i in range(8)], names
    assert resources.notebook("07").name == "07_plan_your_project.ipynb"


def test_solutions_are_not_in_the_trainee_copy():
    trainee = "".join(p.read_text() for p in EXERCISES)
    assert len(EXERCISES) >= 4
    assert "solution" not in trainee.lower()
    solutions = resources.solutions_dir()
    assert solutions.parent == resources.exercises_dir(), "exercises/solutions/"
    assert not [p for p in resources.exercises_dir().rglob("*solution*")
                if not p.is_relative_to(solutions)]
    assert len(list(solutions.glob("*_solution.toml"))) >= 4
    from coprod_sim.workspace import trainee_files
    assert not [k for k, v in trainee_files().items()
                if "solution" in k or v.is_relative_to(solutions)], "never copied to a trainee"


@pytest.mark.parametrize("path", CURRICULUM + EXERCISES, ids=lambda p: p.name)
def test_every_grey_box_starts_the_kit_itself(path):
    """A box run first, or again, after a restart must never give a NameError."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            head = cell.source.splitlines()[:2]
            assert head[0] == "from coprod_sim.curriculum import start", (path.name, i)
            assert re.fullmatch(r'kit = start\("[0-9a-z]+"\)', head[1]), (path.name, i)


@pytest.mark.slow
def test_grey_boxes_run_in_any_order_after_a_restart(kernel_env):
    """Every box of notebook 03, last first, in a new kernel: no Python error."""
    path = resources.notebook("03")
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code"][::-1]
    NotebookClient(nb, kernel_name="coprod-test", timeout=180,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    assert errors(nb) == [], errors(nb)


def test_running_every_notebook_left_the_kit_files_unchanged(kit_before, kernel_env):
    """Runs last: every notebook and exercise above ran without changing the kit's files."""
    after = kit_files()
    changed = sorted(k for k in set(kit_before) | set(after)
                     if kit_before.get(k) != after.get(k))
    assert not changed, f"running the notebooks changed the kit's own files: {changed}\n" \
        f"git status before:\n{kit_before.get('git status')}\nafter:\n{after.get('git status')}"
