"""Provenance and self-describing output: a reviewer can tell which code made a result.

The manifest records the commit, platform, processor and every package that
can change a number; reproduce names what differs before comparing numbers;
the Parquet tables carry units and descriptions and categorical columns;
`coprod-sim outcomes` lists every column.
"""

import json
import re
import tomllib
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import coprod_sim
from coprod_sim import OUTCOMES, PARAMETERS
from coprod_sim.cli import main
from coprod_sim.experiments import experiment_from_dict, load_results, run_experiment
from coprod_sim.experiments.provenance import PACKAGES, cautions, differences, git_info

ROOT = Path(__file__).resolve().parents[1]
SPEC = {"name": "prov", "weeks": 4, "replicates": 2, "seed": 5, "set": {"n_people": 40},
        "factors": {"power_sharing": [0.2, 0.8], "pathway": ["cafa", "none"]}}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("prov") / "r.parquet"
    run_experiment(experiment_from_dict(SPEC), out, workers=1, progress=False)
    return out


def manifest_of(out: Path) -> dict:
    return json.loads(out.with_name("r.manifest.json").read_text())


def test_manifest_records_code_platform_and_every_package(finished):
    prov = manifest_of(finished)["provenance"]
    for pkg in ("coprod_sim", "python", "numpy", "pandas", "mesa", "SALib", "pyarrow", "dask",
                "networkx", "scipy"):
        assert prov["versions"][pkg] not in ("", None), pkg
    assert set(PACKAGES) <= set(prov["versions"])
    assert prov["platform"]["platform"] and prov["platform"]["processor"]
    assert prov["platform"]["machine"]
    if git_info() is not None:  # run from a checkout
        assert re.fullmatch(r"[0-9a-f]{40}", prov["git"]["commit"])
        assert isinstance(prov["git"]["dirty"], bool)


def test_the_version_is_written_in_one_place():
    from coprod_sim._version import __version__
    assert coprod_sim.__version__ == __version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert "version" not in project["project"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "coprod_sim._version.__version__"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Version policy" in changelog and "whenever outputs can change" in changelog


def test_reproduce_names_what_differs_before_comparing_numbers(finished, capsys):
    assert main(["reproduce", str(finished), "--run", "3"]) == 0
    out = capsys.readouterr().out
    assert "Installed software matches the recorded versions." in out
    path = finished.with_name("r.manifest.json")
    original = path.read_text()
    manifest = json.loads(original)
    manifest["provenance"]["versions"]["numpy"] = "1.0.0"
    manifest["provenance"]["git"] = {"commit": "0" * 40, "dirty": False}
    path.write_text(json.dumps(manifest))
    try:
        assert main(["reproduce", str(finished), "--run", "3"]) == 0
        out = capsys.readouterr().out
    finally:
        path.write_text(original)
    assert "Software differs from the recorded run" in out
    assert "numpy: recorded 1.0.0, installed" in out
    if git_info() is not None:
        assert "code commit: recorded 000000000000" in out
    assert out.index("Software differs") < out.index("Reproduced exactly")


def test_differences_lists_each_package_plainly():
    now = coprod_sim.experiments.provenance.package_versions()
    assert differences({"versions": dict(now), "git": git_info()}) == []
    if git_info() is not None:
        assert cautions({"git": {"commit": "0" * 40, "dirty": True}})[0].startswith(
            "the recorded run was made from a checkout with uncommitted changes")
    lines = differences({"versions": {**now, "mesa": "2.0"}})
    assert lines == [f"mesa: recorded 2.0, installed {now['mesa']}"]


def test_tables_are_self_describing_datasets(finished):
    for name, table in (("r.parquet", "runs"), ("r.weekly.parquet", "weekly")):
        data = ds.dataset(finished.with_name(name), format="parquet")
        schema = data.schema
        assert schema.metadata[b"coprod_sim.table"].decode() == table
        for field in schema:
            meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            assert meta.get("description"), field.name
            assert "unit" in meta, field.name
        for col in ("scenario", "pathway", "ladder"):
            assert pa.types.is_dictionary(schema.field(col).type), col
    runs = ds.dataset(finished, format="parquet").schema
    trust = {k.decode(): v.decode() for k, v in runs.field("trust").metadata.items()}
    assert trust["description"].startswith("In the last week of the run: ")
    assert trust["unit"] == OUTCOMES["trust"].unit
    lever = {k.decode(): v.decode() for k, v in runs.field("power_sharing").metadata.items()}
    assert PARAMETERS["power_sharing"].label in lever["description"]


def test_the_runs_table_has_no_ambiguous_last_week_columns(finished):
    runs = load_results(finished).runs
    assert "week" not in runs and "participants" not in runs and "stage" not in runs
    assert {"final_week_participants", "final_stage", "payback_week"} <= set(runs.columns)
    assert runs["pathway"].dtype == "category"
    assert list(runs["pathway"].cat.categories) == list(PARAMETERS["pathway"].choices)


@pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")  # inside dask, pandas 3.1
def test_results_are_read_lazily(finished):
    result = load_results(finished)
    assert isinstance(result.weekly_dataset, ds.Dataset)
    assert result.weekly_dataset.count_rows() == 8 * 4
    assert result._weekly is not None and callable(result._weekly)  # nothing read yet
    frame = result.to_dask("weekly")
    assert int(frame["run"].nunique().compute()) == 8


def test_outcomes_command_lists_every_column_of_the_tables(finished, capsys):
    assert main(["outcomes"]) == 0
    text = capsys.readouterr().out
    listed = set(re.findall(r"^  (\w+) ", text, re.M))
    result = load_results(finished)
    for col in list(result.runs.columns) + list(result.weekly.columns):
        assert col in listed or col in PARAMETERS, col
