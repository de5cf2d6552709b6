"""A trainee's own working folder: their copies, their saved work, none of the trainer's.

``coprod-sim start`` makes the folder and opens JupyterLab on it at notebook 00.
These tests check what the folder holds, that updating never overwrites a
trainee's typed-in copy, that saved work goes to its ``my_work/``, and that the
served JupyterLab shows notebooks, exercises and saved work but no solutions.
"""

import json
import os
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from coprod_sim import resources, workspace
from coprod_sim.cli import main
from coprod_sim.curriculum.settings import work_dir
from coprod_sim.lab import lab_command, launch, notebook_url
from coprod_sim.workspace import FIRST_NOTEBOOK, WorkspaceError, prepare

ROOT = Path(__file__).resolve().parents[1]


def all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def ws(tmp_path):
    folder = tmp_path / "work"
    prepare(folder)
    return folder


# -- what the folder holds ---------------------------------------------------------------

def test_workspace_holds_notebooks_exercises_and_my_work_but_no_solutions(ws):
    files = all_files(ws)
    notebooks = [f for f in files if f.startswith("notebooks/") and f.endswith(".ipynb")]
    exercises = [f for f in files if f.startswith("exercises/") and f.endswith(".ipynb")]
    assert [Path(f).name[:2] for f in notebooks] == [f"0{i}" for i in range(8)]
    assert len(exercises) == len(resources.exercise_notebooks()) >= 4
    assert (ws / FIRST_NOTEBOOK).is_file()
    assert (ws / "my_work").is_dir() and (ws / "my_work" / "README.md").is_file()
    assert not [f for f in files if "solution" in f.lower()], files
    assert not [f for f in files if "research" in f or "trainer" in f], files
    text = " ".join((ws / f).read_text(encoding="utf-8") for f in files
                    if f.startswith(("notebooks/", "exercises/")))
    assert "_solution" not in text and "solutions/" not in text, \
        "the trainee's copies must not point to the solutions"


def test_copies_hide_code_but_keep_every_box_and_word(ws):
    for rel, source in workspace.trainee_files().items():
        if not rel.endswith(".ipynb"):
            assert (ws / rel).read_bytes() == source.read_bytes()
            continue
        kit, copy = nbformat.read(source, 4), nbformat.read(ws / rel, 4)
        nbformat.validate(copy)
        assert [(c.cell_type, c.source) for c in copy.cells] == \
            [(c.cell_type, c.source) for c in kit.cells], rel
        for cell in copy.cells:
            hidden = cell.metadata.get("jupyter", {}).get("source_hidden", False)
            assert hidden == (cell.cell_type == "code"), f"{rel}: {cell.source[:40]}"


def test_folded_code_boxes_say_what_they_hold(ws):
    css = (ws / workspace.CONFIG_DIR / "custom" / "custom.css").read_text()
    assert css == workspace.LAB_CSS and "Instructions for the computer" in css
    nb00 = (resources.notebook("00")).read_text()
    assert "Expand All Code" in nb00, "notebook 00 says how to show the code"


def test_no_news_or_update_pop_up_in_the_workspace_settings(ws):
    path = ws / workspace.LAB_SETTINGS / "@jupyterlab/apputils-extension" / \
        "notification.jupyterlab-settings"
    assert json.loads(path.read_text()) == {"fetchNews": "false", "checkForUpdates": False}


# -- updating never overwrites a trainee's work ------------------------------------------

def newer_kit(monkeypatch, marker="A newer sentence from the kit."):
    """Pretend the kit's notebooks changed: every copy gets one more text box."""
    original = workspace.trainee_copy

    def copy(path):
        data = original(path)
        if path.suffix != ".ipynb":
            return data
        nb = json.loads(data)
        nb["cells"].append({"cell_type": "markdown", "id": "newer", "metadata": {},
                            "source": [marker]})
        return json.dumps(nb, indent=1).encode()

    monkeypatch.setattr(workspace, "trainee_copy", copy)
    return marker


def test_running_again_changes_nothing(ws):
    before = {f: (ws / f).read_bytes() for f in all_files(ws)}
    report = prepare(ws)
    assert report.added == report.updated == report.beside == []
    assert {f: (ws / f).read_bytes() for f in all_files(ws)} == before


def test_update_replaces_copies_not_typed_in_and_puts_new_versions_beside_typed_ones(
        ws, monkeypatch):
    typed = ws / "notebooks" / "03_engagement_methods.ipynb"
    nb = nbformat.read(typed, 4)
    nb.cells[0].source += "\n\nMy own note: ask the carers' group first."
    nbformat.write(nb, typed)
    ran = ws / "notebooks" / "02_who_is_affected.ipynb"  # run (outputs saved), not typed in
    nb = nbformat.read(ran, 4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    code.execution_count = 1
    nb.metadata["language_info"] = {"name": "python", "version": "3.13.0"}
    nbformat.write(nb, ran)
    (ws / "notebooks" / "05_power_feedback_trust.ipynb").unlink()  # deleted by the trainee
    mine = ws / "my_work" / "reflection.json"
    mine.write_text('{"name": "Sam", "entries": []}')

    marker = newer_kit(monkeypatch)
    report = prepare(ws)

    assert "My own note" in typed.read_text(), "a typed-in copy must never be overwritten"
    assert marker not in typed.read_text()
    beside = ws / "notebooks" / f"03_engagement_methods{workspace.NEW_VERSION}.ipynb"
    assert marker in beside.read_text()
    assert report.beside == [str(beside.relative_to(ws))]
    assert report.kept == ["notebooks/03_engagement_methods.ipynb"]
    assert marker in ran.read_text() and "notebooks/02_who_is_affected.ipynb" in report.updated
    assert "notebooks/05_power_feedback_trust.ipynb" in report.added
    assert marker in (ws / "notebooks" / "00_start_here.ipynb").read_text()
    assert mine.read_text() == '{"name": "Sam", "entries": []}', "saved work is never touched"
    assert "never overwrites" in report.summary()
    # once more with the same kit: nothing new is written beside
    assert prepare(ws).beside == []


@pytest.mark.parametrize("where", ["kit", "file", "busy"])
def test_unsuitable_folders_are_refused_in_one_line(where, tmp_path, capsys):
    folder = {"kit": resources.notebooks_dir(), "file": tmp_path / "a.txt",
              "busy": tmp_path / "Documents"}[where]
    if where == "file":
        folder.write_text("x")
    if where == "busy":
        folder.mkdir()
        (folder / "taxes.xlsx").write_text("x")
    before = all_files(folder) if folder.is_dir() else None
    with pytest.raises(WorkspaceError, match="folder is"):
        prepare(folder)
    assert main(["start", str(folder), "--no-lab"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("coprod-sim: folder is") and "\n" not in err and "allowed" in err
    if before is not None:
        assert all_files(folder) == before


def test_kit_start_runs_coprod_sim_start():
    kit = (ROOT / "kit").read_text()
    start = kit.split("  start)")[1].split(";;")[0]
    assert '"$VENV/bin/coprod-sim" start "$@"' in start


def test_a_bad_port_is_one_plain_line(ws, capsys):
    assert main(["start", str(ws), "--no-browser", "--port", "70000"]) == 2
    assert capsys.readouterr().err.strip() == ("coprod-sim: --port is 70000; allowed: a whole "
                                               "number from 1024 to 65535, or leave it out "
                                               "for a free one")


def test_a_busy_port_is_one_plain_line(ws, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["start", str(ws), "--no-browser", "--port", str(port)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("coprod-sim: JupyterLab did not start") and f"port {port}" in err
    assert "\n" not in err


def test_default_folder_is_outside_the_clone_and_the_command_says_where(tmp_path, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(ROOT / "docs")  # the same from inside a clone
    assert workspace.default_folder() == tmp_path / "coprod-sim"
    assert not workspace.default_folder().is_relative_to(ROOT), "git clean must not wipe it"
    assert main(["start", "--no-lab"]) == 0
    assert f"Your working folder: {tmp_path / 'coprod-sim'}" in capsys.readouterr().out
    assert (tmp_path / "coprod-sim" / FIRST_NOTEBOOK).is_file()


def test_the_kit_folders_are_refused_as_a_working_folder(tmp_path):
    for kit in resources.kit_folders():
        with pytest.raises(WorkspaceError, match="outside the kit's own files"):
            prepare(kit / "mine")
    with pytest.raises(WorkspaceError, match="outside the kit's own files"):
        prepare(resources.package_dir())


def test_the_clone_keeps_its_curriculum_at_the_top():
    if resources.clone_dir() is None:
        pytest.skip("running from an installed wheel")
    assert resources.notebooks_dir() == ROOT / "notebooks"
    assert resources.exercises_dir() == ROOT / "exercises"
    assert resources.solutions_dir() == ROOT / "exercises" / "solutions"
    assert resources.dashboards_dir() == ROOT / "notebooks" / "dashboards"
    assert resources.research_dir() == ROOT / "notebooks" / "research"
    assert not (ROOT / "coprod_sim" / "content").exists(), "one copy of the curriculum"


# -- saved work goes to the workspace, never into the kit --------------------------------

def test_saved_work_goes_to_the_workspace_my_work(ws, monkeypatch):
    monkeypatch.delenv("COPROD_WORK_DIR", raising=False)
    monkeypatch.chdir(ws / "exercises")
    assert work_dir() == ws / "my_work"
    monkeypatch.chdir(resources.exercises_dir())  # the kit's master copies in a clone
    assert not any(work_dir().is_relative_to(k) for k in resources.kit_folders())
    if resources.clone_dir() is not None:
        assert not work_dir().is_relative_to(resources.clone_dir())


def test_running_a_workspace_notebook_saves_to_its_my_work(ws, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    spec = tmp_path / "kernels" / "coprod-ws-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "coprod-sim test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.delenv("COPROD_WORK_DIR", raising=False)  # found from the folder alone
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = ws / FIRST_NOTEBOOK
    nb = nbformat.read(path, 4)
    nb.cells.append(nbformat.v4.new_code_cell("print(kit.export())"))
    NotebookClient(nb, kernel_name="coprod-ws-test", timeout=120,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert Path(printed.strip()) == ws / "my_work" / "my_reflection_record.html"
    assert (ws / "my_work" / "my_reflection_record.html").is_file()


# -- solutions are for trainers ----------------------------------------------------------

def test_solutions_command_prints_where_they_are_and_copies_them(tmp_path, ws, capsys):
    assert main(["solutions"]) == 0
    out = capsys.readouterr().out
    assert str(resources.solutions_dir()) in out
    assert main(["solutions", "--copy", str(tmp_path / "trainer")]) == 0
    copied = all_files(tmp_path / "trainer")
    assert "check_solutions.ipynb" in copied and "ex1_solution.toml" in copied
    assert main(["solutions", "--copy", str(ws / "my_work" / "answers")]) == 2
    assert "trainee's working folder" in capsys.readouterr().err
    assert not (ws / "my_work" / "answers").exists()


def test_trainer_guide_says_where_the_solutions_are():
    guide = (ROOT / "docs" / "trainer-guide.md").read_text()
    assert "coprod-sim solutions" in guide
    assert "solution" not in (resources.exercises_dir() / "README.md").read_text().lower()


# -- the served JupyterLab ---------------------------------------------------------------

def test_lab_command_is_local_quiet_and_keeps_the_token_off_the_command_line(tmp_path):
    cmd = lab_command(tmp_path, 12345)
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port=12345" in cmd
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in cmd
    assert "--LabApp.news_url=None" in cmd and "--LabApp.custom_css=True" in cmd
    assert any("NeverCheckForUpdate" in part for part in cmd)
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)
    assert not any("token" in part.lower() for part in cmd)
    assert notebook_url(8888, "abc") == \
        "http://127.0.0.1:8888/lab/tree/notebooks/00_start_here.ipynb?token=abc"


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token
                                 else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def listing(base: str, token: str, path: str = "") -> list[str]:
    """Every path the contents API shows, walking folders."""
    status, body = get(f"{base}/api/contents/{path}", token)
    assert status == 200, path
    out = []
    for item in json.loads(body)["content"]:
        out.append(item["path"])
        if item["type"] == "directory":
            out += listing(base, token, item["path"])
    return out


@pytest.mark.slow
def test_served_root_lists_notebooks_exercises_and_saved_work_but_no_solutions(ws):
    (ws / "my_work" / "reflection.json").write_text('{"name": "", "entries": []}')
    server = launch(ws)
    try:
        assert server.wait_ready(), (ws / ".jupyter" / "lab.log").read_text()[-2000:]
        base = f"http://127.0.0.1:{server.port}"
        top = json.loads(get(f"{base}/api/contents", server.token)[1])["content"]
        assert sorted(i["name"] for i in top) == ["exercises", "my_work", "notebooks"]
        paths = listing(base, server.token)
        assert FIRST_NOTEBOOK in paths and "my_work/reflection.json" in paths
        assert any(p.startswith("exercises/ex1") for p in paths)
        assert not [p for p in paths if "solution" in p.lower()], paths
        assert get(f"{base}/api/contents")[0] == 403, "every route checks the token"
        status, page = get(server.url)
        assert status == 200
        config = json.loads(page.decode().split('id="jupyter-config-data"')[1]
                            .split(">", 1)[1].split("</script>")[0])
        assert config["treePath"] == FIRST_NOTEBOOK, "the address opens notebook 00"
        assert config["news"] == {"disabled": True}
        status, css = get(f"{base}/custom/custom.css", server.token)
        assert status == 200 and b"Instructions for the computer" in css, \
            "folded code boxes say what they hold"
    finally:
        status = server.stop()
    assert status is not None
    with socket.socket() as s:  # nothing listens any more
        assert s.connect_ex(("127.0.0.1", server.port)) != 0
