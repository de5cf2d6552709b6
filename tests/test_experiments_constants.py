"""The model's constants as part of an experiment: named, varied like levers, recorded.

No figure of the model is hard-coded here: every check compares runs with
each other (a run in a sweep against the same run alone), so the tests hold
whatever the mechanisms compute.
"""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from coprod_sim import Scenario, run
from coprod_sim.calibration import constants as constants_module
from coprod_sim.calibration.constants import Constants, ConstantsError, addresses
from coprod_sim.cli import main
from coprod_sim.experiments import (
    ExperimentError,
    build_plan,
    experiment_from_dict,
    reproduce_run,
    run_experiment,
)
from coprod_sim.experiments.design import design_size, salib_problem
from coprod_sim.experiments.worker import run_tasks

SMALL = {"n_people": 40}


def spec(**extra):
    data = {"name": "constants", "base": "default", "weeks": 6, "replicates": 2, "seed": 5,
            "set": dict(SMALL), "design": {"kind": "grid", "uncertainty_samples": 3},
            "levers": {"power_sharing": [0.2, 0.8]},
            "uncertainties": {"base_chance[0]": {"low": 0.1, "high": 0.6},
                              "voice_exponent": {"distribution": "triangular", "low": 1.5,
                                                 "mode": 2.5, "high": 3.5}}}
    data.update(extra)
    return data


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("constants") / "c.parquet"
    return run_experiment(experiment_from_dict(spec()), out, workers=1, progress=False)


def _alone(row, base=None):
    constants = (base or Constants.load()).with_values(
        {"base_chance[0]": row["base_chance[0]"], "voice_exponent": row["voice_exponent"]})
    scenario = Scenario(**SMALL, power_sharing=row["power_sharing"], weeks=6)
    return run(scenario, seed=int(row["seed"]), constants=constants)


def test_every_run_with_varied_constants_equals_the_same_run_alone(swept):
    runs = swept.runs
    assert len(runs) == 2 * 3 * 2
    assert sorted(runs["world"].unique()) == [0, 1, 2]
    # each policy meets the same worlds: the same constants and seeds per world
    worlds = runs.groupby("world")[["base_chance[0]", "voice_exponent"]].nunique()
    assert (worlds == 1).all().all()
    for _, row in runs.iterrows():
        alone = _alone(row)
        for key in ("participation_rate", "influence", "trust", "net_benefit"):
            assert row[key] == alone.summary[key], (row["run"], key)


def test_constants_change_the_runs_they_are_given_to(swept):
    # the same seed and levers in different worlds: the constants were used
    runs = swept.runs
    same = runs[(runs["power_sharing"] == 0.2) & (runs["replicate"] == 0)]
    assert same["seed"].nunique() == 1
    assert len({tuple(r) for r in same[["participation_rate", "influence", "trust"]]
                .itertuples(index=False)}) > 1


def test_runs_on_different_constants_in_one_chunk_equal_each_alone():
    base = Constants.load()
    tasks = [(i, "x", {**SMALL, "weeks": 5}, 100 + i % 2,
              {"base_chance[0]": 0.15 + 0.2 * (i % 3)}) for i in range(6)]
    results = dict((task[0], res) for task, res in run_tasks(tasks, base.to_dict()))
    for run_id, _, values, seed, changes in tasks:
        alone = run(Scenario(**values), seed=seed, constants=base.with_values(changes))
        pd.testing.assert_frame_equal(results[run_id].weekly, alone.weekly)


def test_manifest_and_every_parquet_file_record_the_constants_and_their_hash(swept):
    manifest = swept.manifest
    record = manifest["constants"]
    shipped = Constants.load()
    assert record["source"] == "shipped" and record["sha256"] == shipped.sha256()
    assert record["values"] == shipped.to_dict()
    for folder in (swept.paths.runs, swept.paths.weekly):
        for path in folder.glob("*.parquet"):
            meta = pq.read_schema(path).metadata
            assert meta[b"coprod_sim.constants_sha256"].decode() == shipped.sha256()
            assert json.loads(meta[b"coprod_sim.constants"]) == shipped.to_dict()


def test_an_experiment_runs_on_a_constants_file_of_its_own(tmp_path):
    mine = Constants.load().replace(voice_exponent=1.2, base_chance=[0.5, 0.5, 0.75])
    text = "\n".join(f"{k} = {json.dumps(v)}" for k, v in mine.to_dict().items())
    (tmp_path / "mine.toml").write_text(text + "\n")
    data = spec(constants="mine.toml", uncertainties={}, design={"kind": "grid"})
    exp = experiment_from_dict(data, folder=tmp_path)
    result = run_experiment(exp, tmp_path / "m.parquet", workers=1, progress=False)
    assert result.manifest["constants"]["sha256"] == mine.sha256() != Constants.load().sha256()
    assert result.manifest["constants"]["source"] == "mine.toml"
    for _, row in result.runs.iterrows():
        alone = run(Scenario(**SMALL, power_sharing=row["power_sharing"], weeks=6),
                    seed=int(row["seed"]), constants=mine)
        assert row["participation_rate"] == alone.summary["participation_rate"]
        assert row["influence"] == alone.summary["influence"]


def test_changed_constants_change_the_plan_fingerprint():
    a = build_plan(experiment_from_dict(spec()))
    b = experiment_from_dict(spec())
    b.constants = Constants.load().replace(voice_exponent=2.0)
    assert a.fingerprint() != build_plan(b).fingerprint()


def test_reproduce_names_changed_constants_and_uses_the_recorded_ones(swept, monkeypatch):
    changed = Constants.load().replace(voice_exponent=1.0, power_slope=9.0)
    monkeypatch.setattr(constants_module, "_default", lambda: changed)
    rep = reproduce_run(swept.paths.out, 3)
    assert "differ from those recorded" in rep.constants_note
    assert any(line.startswith("voice_exponent") for line in rep.constants_differences)
    assert any(line.startswith("power_slope") for line in rep.constants_differences)
    assert rep.matches  # the recorded constants were used


def test_posterior_samples_vary_together_and_weights_pick_rows(tmp_path):
    post = pd.DataFrame({"base_chance[0]": [0.1, 0.2, 0.3, 0.4],
                         "voice_exponent": [1.5, 2.0, 2.5, 3.0],
                         "weight": [0.0, 1.0, 0.0, 3.0]})
    post.to_csv(tmp_path / "post.csv", index=False)
    data = spec(design={"kind": "latin", "samples": 8}, replicates=1,
                levers={"power_sharing": {}},
                uncertainties={"posterior": {"file": "post.csv"}})
    plan = build_plan(experiment_from_dict(data, folder=tmp_path))
    rows = [plan.points[i][1] for i in range(len(plan.points))]
    used = {r["posterior"] for r in rows}
    assert used <= {1, 3} and used  # rows of weight 0 are never drawn
    for r in rows:
        sample = post.iloc[r["posterior"]]
        assert r["base_chance[0]"] == sample["base_chance[0]"]
        assert r["voice_exponent"] == sample["voice_exponent"]
        assert plan.constant_values(0).keys() == {"base_chance[0]", "voice_exponent"}


def test_distributions_map_the_unit_interval_by_their_quantiles():
    exp = experiment_from_dict(spec(design={"kind": "latin", "samples": 4},
                                    levers={"power_sharing": {}}, uncertainties={
        "power_slope": {"distribution": "normal", "mean": 3.0, "sd": 0.5, "low": 2.0},
        "voice_exponent": {"distribution": "triangular", "low": 1.0, "mode": 1.0,
                           "high": 3.0}}))
    normal, tri = exp.uncertainties
    from scipy.stats import norm
    cut = norm.cdf(2.0, 3.0, 0.5)  # cut at 2.0 below, at the 99.9% point above
    assert normal.from_unit(0.5) == pytest.approx(norm.ppf(cut + 0.5 * (0.999 - cut), 3, 0.5))
    assert normal.from_unit(0.0) == pytest.approx(2.0)
    assert tri.from_unit(0.0) == 1.0 and tri.from_unit(1.0) == 3.0
    assert tri.from_unit(0.75) == pytest.approx(2.0)  # 1 + 2 * (1 - sqrt(0.25))
    draws = np.array([tri.from_unit(u) for u in np.linspace(0, 1, 2001)])
    assert draws.mean() == pytest.approx((1 + 1 + 3) / 3, abs=0.01)


def test_groups_move_together_in_a_sobol_design():
    data = spec(design={"kind": "saltelli", "samples": 8}, replicates=1,
                levers={"power_sharing": {}, "purpose_clarity": {}},
                uncertainties={"base_chance[0]": {"low": 0.1, "high": 0.6, "group": "c"},
                               "voice_exponent": {"low": 1.5, "high": 3.5, "group": "c"}})
    exp = experiment_from_dict(data)
    assert salib_problem(exp.all_factors)["groups"] == ["power_sharing", "purpose_clarity",
                                                         "c", "c"]
    points, _ = design_size(exp)
    assert points == 8 * (3 + 2)
    plan = build_plan(exp)
    assert len(plan.points) == points


@pytest.mark.parametrize("uncertainties, design, key", [
    ({"no_such_constant": {"low": 0, "high": 1}}, None, "uncertainties.no_such_constant"),
    ({"base_chance": {"low": 0, "high": 1}}, None, "uncertainties.base_chance"),
    ({"base_chance[9]": {"low": 0, "high": 1}}, None, "uncertainties.base_chance[9]"),
    ({"voice_exponent[0]": {"low": 0, "high": 1}}, None, "uncertainties.voice_exponent[0]"),
    ({"voice_exponent": {"low": 2}}, None, "uncertainties.voice_exponent.high"),
    ({"voice_exponent": {"low": 2, "high": 1}}, None, "uncertainties.voice_exponent.low"),
    ({"voice_exponent": {"distribution": "lognormal"}}, None,
     "uncertainties.voice_exponent.distribution"),
    ({"voice_exponent": {"distribution": "normal", "mean": 2}}, None,
     "uncertainties.voice_exponent.sd"),
    ({"voice_exponent": {"distribution": "normal", "mean": 2, "sd": -1}}, None,
     "uncertainties.voice_exponent.sd"),
    ({"voice_exponent": {"distribution": "triangular", "low": 1, "mode": 5, "high": 3}}, None,
     "uncertainties.voice_exponent.mode"),
    ({"voice_exponent": {"low": 1, "high": 3, "shape": 2}}, None,
     "uncertainties.voice_exponent.shape"),
    ({"adoption_rate": {"low": -1}}, None, "factors.adoption_rate.low"),
    ({"power_sharing": {}}, None, "uncertainties"),
    ({"posterior": {"file": "missing.csv"}}, {"kind": "latin", "samples": 4},
     "uncertainties.posterior.file"),
    ({"posterior": "x.csv"}, None, "uncertainties.posterior"),
    ({}, {"kind": "grid", "uncertainty_samples": 3}, "design.uncertainty_samples"),
    ({"voice_exponent": {"low": 1, "high": 3}}, {"kind": "latin", "samples": 4,
                                                 "uncertainty_samples": 3},
     "design.uncertainty_samples"),
])
def test_bad_uncertainties_get_one_line_naming_the_key(uncertainties, design, key, tmp_path):
    data = spec(uncertainties=uncertainties)
    if design is not None:
        data["design"] = design
        if design["kind"] != "grid":
            data["levers"] = {"power_sharing": {}}
    if "uncertainty_samples" not in data["design"] and data["design"]["kind"] == "grid":
        data["design"] = {"kind": "grid", "uncertainty_samples": 2}
    with pytest.raises(ExperimentError) as err:
        experiment_from_dict(data, folder=tmp_path)
    assert err.value.key == key, str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("table, problem", [
    ({"nope": [1.0]}, "column 'nope'"),
    ({"voice_exponent": ["a"]}, "numbers only"),
    ({"voice_exponent": [1.0], "weight": [-1.0]}, "weights"),
    ({"voice_exponent": [float("nan")]}, "finite"),
])
def test_bad_posterior_files_are_refused(table, problem, tmp_path):
    pd.DataFrame(table).to_csv(tmp_path / "p.csv", index=False)
    data = spec(design={"kind": "latin", "samples": 4}, levers={"power_sharing": {}},
                uncertainties={"posterior": {"file": "p.csv"}})
    with pytest.raises(ExperimentError, match=problem):
        experiment_from_dict(data, folder=tmp_path)


def test_a_posterior_in_a_grid_needs_uncertainty_samples(tmp_path):
    pd.DataFrame({"voice_exponent": [1.0, 2.0]}).to_csv(tmp_path / "p.csv", index=False)
    data = spec(design={"kind": "grid"}, uncertainties={"posterior": {"file": "p.csv"}})
    with pytest.raises(ExperimentError, match="uncertainty_samples"):
        experiment_from_dict(data, folder=tmp_path)


def test_a_missing_constants_file_is_one_line(tmp_path):
    with pytest.raises(ExperimentError) as err:
        experiment_from_dict(spec(constants="nope.toml"), folder=tmp_path)
    assert err.value.key == "constants" and "\n" not in str(err.value)


def test_addresses_cover_every_value_and_read_back():
    c = Constants.load()
    names = addresses(c)
    assert "base_chance[0]" in names and "voice_exponent" in names
    assert all(c.get(a) == c.with_values({a: c.get(a)}).get(a) for a in names)
    with pytest.raises(ConstantsError):
        c.get("base_chance")


# --- calibrate writes to a file the user names --------------------------------------------
@pytest.mark.parametrize("args, says", [
    (["--write"], "--write needs a file"),
    (["--write", str(constants_module.FITTED)], "the package's own fitted.toml"),
    (["--out", str(constants_module.FITTED)], "the package's own fitted.toml"),
    (["--write", "x.json"], "ending in .toml"),
    (["--write", "a.toml", "--out", "b.toml"], "give one of them"),
])
def test_calibrate_never_writes_over_the_package_fit(args, says, capsys):
    before = constants_module.FITTED.read_bytes()
    assert main(["calibrate", "evidence", "--trials", "0", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
    assert constants_module.FITTED.read_bytes() == before


def test_calibrate_refuses_a_link_to_the_package_fit(tmp_path, capsys):
    link = tmp_path / "link.toml"
    os.symlink(constants_module.FITTED, link)
    assert main(["calibrate", "evidence", "--trials", "0", "--write", str(link)]) == 2
    assert "fitted.toml" in capsys.readouterr().err


def test_a_constants_file_is_read_with_the_scenario_file_limits(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(ConstantsError, match="regular file"):
            Constants.load(path)
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConstantsError):
        Constants.load(deep)
    shutil.rmtree(tmp_path)


def test_the_robustness_example_crosses_every_plan_with_the_same_worlds():
    from pathlib import Path

    from coprod_sim.experiments import load_experiment

    path = Path(__file__).resolve().parents[1] / "experiments" / "example_robustness.toml"
    plan = build_plan(load_experiment(path))
    points = pd.DataFrame([{"scenario": n, **v} for n, v in plan.points])
    assert points["scenario"].nunique() == 3 and points["world"].nunique() == 30
    per_world = points.groupby("world")[["value_per_view", "power_slope", "base_chance[0]"]]
    assert (per_world.nunique() == 1).all().all()  # every plan meets the same worlds
    seeds = {plan.runs[r][3] for r in range(len(plan.runs))}
    assert len(seeds) == 2  # and the same seeds (common random numbers)
