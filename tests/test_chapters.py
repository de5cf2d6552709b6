"""Chapters people can play with: notebooks 02-06 each end with a live control over the
people picture, and the saved notebook keeps the picture's state (so it shows without a
kernel). Executed headless with nbclient, which saves the widget state."""

import json
import os
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from coprod_sim import resources

CHAPTERS = [p for p in resources.curriculum_notebooks() if p.name[:2] in
            {"02", "03", "04", "05", "06"}]
STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    base = tmp_path_factory.mktemp("jupyter")
    spec = base / "kernels" / "coprod-chapters"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "coprod-sim chapters", "language": "python"}))
    work = tmp_path_factory.mktemp("my_work")
    old = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "COPROD_WORK_DIR", "MPLBACKEND")}
    os.environ["JUPYTER_PATH"] = str(base) + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    os.environ["COPROD_WORK_DIR"] = str(work)
    os.environ["MPLBACKEND"] = "Agg"
    yield "coprod-chapters"
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_there_are_five_chapters():
    assert [p.name[:2] for p in CHAPTERS] == ["02", "03", "04", "05", "06"]


@pytest.mark.slow
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_ends_with_a_live_control_over_the_people(path, kernel):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "kit.live(" in code, f"{path.name} has no live control"
    last_moment = max(i for i, c in enumerate(nb.cells) if "kit.moment(" in c.source)
    live = min(i for i, c in enumerate(nb.cells) if "kit.live(" in c.source)
    assert live > last_moment, "the live control comes after the guided moments"
    NotebookClient(nb, kernel_name=kernel, timeout=180, store_widget_state=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    state = nb.metadata["widgets"][STATE]["state"]
    pictures = [m["state"] for m in state.values() if m["model_name"] == "AnyModel"]
    assert pictures, f"{path.name}: no people picture in the saved widget state"
    data = pictures[-1]["data"]
    assert data["n"] == 200 and len(data["status"]) == data["weeks"]
    assert pictures[-1]["alt"].startswith("A picture of the 200 people")
    controls = [m for m in state.values() if m["model_name"] in
                ("ToggleButtonsModel", "FloatSliderModel", "IntSliderModel")]
    assert controls, f"{path.name}: no lever control saved"
    texts = " ".join(str(m["state"].get("value", "")) for m in state.values()
                     if m["model_name"] == "HTMLModel")
    assert "The people we follow" in texts and "Megan" in texts
    assert "updated in" not in texts and " ms." not in texts, "no timings for trainees"
