"""The researcher notebook runs top to bottom, headless, and is stored without outputs."""

import json
import os
import sys

import nbformat
from nbclient import NotebookClient

from coprod_sim import resources

NOTEBOOK = resources.research_dir() / "research_tools.ipynb"


def test_research_notebook_is_stored_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


def test_research_notebook_runs(tmp_path, monkeypatch):
    spec = tmp_path / "kernels" / "coprod-research-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "coprod-sim test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path) + os.pathsep
                       + os.environ.get("JUPYTER_PATH", ""))
    monkeypatch.setenv("COPROD_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the inline backend shows the charts
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="coprod-research-test",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "all match" in text
    images = [o for c in nb.cells for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) >= 2
    assert (tmp_path / "work" / "research" / "sweep.manifest.json").exists()
    # the notebook shows what the command line prints: every warning, every flag
    from coprod_sim.experiments import analyse

    sens = analyse(tmp_path / "work" / "research" / "sens.parquet")
    for line in sens.warnings:
        assert line in text
    table = sens.table("influence")
    for param, row in table.iterrows():
        impossible = row["S1"] > 1 or row["ST"] < row["S1"] or min(row["S1"], row["ST"]) < 0
        assert bool(row["flag"]) == bool(impossible), param
        if row["flag"]:
            assert row["flag"] in text
