"""Experiments API: designs, seeds, backends agree, resume, failures, reproduce, sensitivity."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from coprod_sim import PARAMETERS, Scenario, run
from coprod_sim.cli import UsageError
from coprod_sim.experiments import (
    Experiment,
    Plan,
    analyse,
    build_plan,
    design_size,
    experiment_from_dict,
    load_results,
    make_factor,
    plot_indices,
    plot_overview,
    reproduce_run,
    resume,
    run_experiment,
    run_seed,
    save_plots,
)
from coprod_sim.experiments import worker as worker_module
from coprod_sim.experiments.design import describe_size

SMALL = {"n_people": 40}


def grid_spec(**extra):
    spec = {
        "name": "tiny_grid", "base": "default", "weeks": 8, "replicates": 2, "seed": 11,
        "set": dict(SMALL),
        "design": {"kind": "grid"},
        "factors": {"power_sharing": [0.1, 0.9], "feedback_rationale": [False, True],
                    "pathway": ["cafa", "none"]},
    }
    spec.update(extra)
    return spec


@pytest.fixture(scope="module")
def serial_result():
    return run_experiment(experiment_from_dict(grid_spec()), workers=1, progress=False)


# --- designs and seeds ------------------------------------------------------
def test_grid_is_full_factorial_with_every_parameter_and_seed_in_each_row(serial_result):
    runs, weekly = serial_result.runs, serial_result.weekly
    assert len(runs) == 2 * 2 * 2 * 2
    assert runs["run"].tolist() == list(range(16))
    combos = runs[["power_sharing", "feedback_rationale", "pathway"]].drop_duplicates()
    assert len(combos) == 8
    for name in PARAMETERS:
        assert name in runs.columns and name in weekly.columns
    assert (runs["n_people"] == 40).all() and (runs["weeks"] == 8).all()
    assert len(weekly) == 16 * 8
    assert weekly.groupby("run")["week"].apply(list).map(lambda w: w == list(range(1, 9))).all()
    # the weekly rows carry the same seed and parameters as the run rows
    merged = weekly.drop_duplicates("run").merge(runs, on="run", suffixes=("", "_r"))
    assert (merged["seed"] == merged["seed_r"]).all()
    assert (merged["power_sharing"] == merged["power_sharing_r"]).all()


def test_each_row_is_the_run_of_its_scenario_and_seed(serial_result):
    row = serial_result.runs.iloc[5]
    scenario = Scenario(**{k: row[k].item() if hasattr(row[k], "item") else row[k]
                           for k in PARAMETERS})
    again = run(scenario, seed=int(row["seed"]))
    assert again.summary["influence"] == row["influence"]
    assert again.summary["trust"] == row["trust"]


def test_seeds_derive_from_base_seed_and_replicate():
    plan = build_plan(experiment_from_dict(grid_spec()))
    seeds = {(p, r): s for _, p, r, s in plan.runs}
    assert seeds[(0, 0)] == seeds[(3, 0)] != seeds[(0, 1)]  # same seeds across points
    assert seeds[(2, 1)] == run_seed(11, 2, 1)
    other = build_plan(experiment_from_dict(grid_spec(same_seeds=False)))
    assert len({s for *_, s in other.runs}) == len(other.runs)
    assert build_plan(experiment_from_dict(grid_spec())).runs == plan.runs


def test_scenarios_are_crossed_with_the_grid():
    spec = grid_spec(scenarios=[{"name": "a", "preset": "forum_only"},
                                {"name": "b", "preset": "mixed_methods",
                                 "set": {"purpose_clarity": 0.9}}])
    plan = build_plan(experiment_from_dict(spec))
    assert len(plan.points) == 2 * 8
    assert {n for n, _ in plan.points} == {"a", "b"}
    point_b = next(i for i, (n, _) in enumerate(plan.points) if n == "b")
    assert plan.scenario(point_b).purpose_clarity == 0.9
    assert plan.scenario(point_b).n_people == 40  # top-level set applies to each scenario


@pytest.mark.parametrize("kind,samples,expected", [("latin", 10, 10), ("morris", 3, 3 * 5),
                                                   ("saltelli", 4, 4 * (4 + 2))])
def test_sampled_designs_stay_within_the_table_ranges(kind, samples, expected):
    spec = {"weeks": 4, "set": dict(SMALL), "design": {"kind": kind, "samples": samples},
            "factors": {"power_sharing": {"low": 0.2, "high": 0.6}, "staff_seats": {},
                        "use_forum": {}, "pathway": {"choices": ["cafa", "none"]}}}
    plan = build_plan(experiment_from_dict(spec))
    assert len(plan.points) == expected
    values = pd.DataFrame([v for _, v in plan.points])
    assert values["power_sharing"].between(0.2, 0.6).all()
    seats = PARAMETERS["staff_seats"]
    assert values["staff_seats"].map(lambda v: isinstance(v, int)).all()
    assert values["staff_seats"].between(seats.low, seats.high).all()
    assert set(values["use_forum"]) <= {True, False}
    assert set(values["pathway"]) <= {"cafa", "none"}
    if kind != "morris":  # a Morris trajectory can repeat a level
        assert values["power_sharing"].nunique() > 1
    assert np.asarray(plan.unit).shape == (expected, 4)


@pytest.mark.parametrize("kind,replicates", [("grid", 1), ("latin", 3), ("saltelli", 3),
                                             ("morris", 3)])
def test_sensitivity_designs_have_replicates_by_default(kind, replicates):
    spec = {"weeks": 4, "design": {"kind": kind},
            "factors": {"power_sharing": [0.2, 0.6], "use_forum": [False, True]}}
    if kind != "grid":
        spec["design"]["samples"] = 4
        spec["factors"] = {"power_sharing": {}, "use_forum": {}}
    exp = experiment_from_dict(spec)
    assert exp.replicates == replicates
    assert len(build_plan(exp).runs) == design_size(exp)[1] == design_size(exp)[0] * replicates
    line = describe_size(exp)
    assert f"x {replicates} replicate" in line
    assert ("is the default" in line) == (kind != "grid")
    explicit = experiment_from_dict({**spec, "replicates": 1})
    assert explicit.replicates == 1 and "default" not in describe_size(explicit)
    assert Experiment(kind=kind).replicates == replicates  # the same default in Python


def test_factor_mapping_from_unit_interval():
    ints = make_factor("staff_seats", {"low": 2, "high": 5})
    assert [ints.from_unit(u) for u in (0, 0.24, 0.26, 0.74, 0.76, 1.0)] == [2, 2, 3, 4, 5, 5]
    switch = make_factor("use_forum")
    assert [switch.from_unit(u) for u in (0, 0.49, 0.5, 1)] == [False, False, True, True]
    choice = make_factor("pathway", {"choices": ["cafa", "none", "nhs_sph"]})
    assert [choice.from_unit(u) for u in (0, 0.34, 0.67, 1)] == ["cafa", "none", "nhs_sph",
                                                                   "nhs_sph"]
    spaced = make_factor("purpose_clarity", {"steps": 3}, grid=True)
    assert spaced.grid_values() == (0.0, 0.5, 1.0)


# --- backends agree -----------------------------------------------------------
def test_process_pool_gives_the_same_tables_as_serial(serial_result, tmp_path):
    exp = experiment_from_dict(grid_spec())
    pooled = run_experiment(exp, tmp_path / "r.parquet", workers=2, chunk_size=3,
                            progress=False)
    pd.testing.assert_frame_equal(pooled.runs, serial_result.runs)
    pd.testing.assert_frame_equal(pooled.weekly, serial_result.weekly)
    loaded = load_results(tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(loaded.runs, serial_result.runs)
    pd.testing.assert_frame_equal(loaded.weekly, serial_result.weekly)
    assert not (tmp_path / "r.parts").exists()  # checkpoints removed once complete


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    yield cluster
    cluster.close()


def test_dask_local_cluster_gives_the_same_tables(serial_result, dask_cluster, tmp_path):
    exp = experiment_from_dict(grid_spec())
    # by scheduler address, as a user on a real cluster would
    by_address = run_experiment(exp, tmp_path / "d.parquet", scheduler=dask_cluster
                                .scheduler_address, chunk_size=2, progress=False)
    pd.testing.assert_frame_equal(by_address.runs, serial_result.runs)
    pd.testing.assert_frame_equal(by_address.weekly, serial_result.weekly)
    assert by_address.manifest["backend"].startswith("dask")
    # chunk order differs with another chunk size; rows do not
    by_cluster = run_experiment(exp, scheduler=dask_cluster, chunk_size=7, progress=False)
    pd.testing.assert_frame_equal(by_cluster.runs, serial_result.runs)


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    from coprod_sim.experiments import backends
    monkeypatch.setattr(backends, "CONNECT_TIMEOUT", "1s")
    exp = experiment_from_dict(grid_spec(replicates=1))
    with pytest.raises(UsageError, match="could not reach the Dask scheduler"):
        run_experiment(exp, scheduler="tcp://127.0.0.1:9", progress=False)


# --- outputs, manifest, reproduce -----------------------------------------------
def test_manifest_records_versions_design_seeds_and_reproduces_a_run(tmp_path):
    exp = experiment_from_dict(grid_spec())
    result = run_experiment(exp, tmp_path / "res.parquet", workers=1, progress=False)
    manifest = json.loads((tmp_path / "res.manifest.json").read_text())
    assert manifest["coprod_sim_version"] and manifest["versions"]["mesa"]
    assert manifest["experiment"]["kind"] == "grid"
    plan = Plan.from_dict(manifest)
    assert [r[3] for r in plan.runs] == result.runs["seed"].tolist()
    assert manifest["started"] and manifest["finished"]
    for run_id in (0, 13):
        rep = reproduce_run(tmp_path / "res.manifest.json", run_id)
        assert rep.matches, rep.differences[:3]
        assert rep.checked > 8 * 20
    # a tampered table is caught
    out = tmp_path / "res.parquet"
    table = pd.read_parquet(out).sort_values("run")
    table.loc[table["run"] == 13, "trust"] += 0.01
    shutil.rmtree(out)
    out.mkdir()
    table.to_parquet(out / "part-000000000-000000015-00000000.parquet")
    rep = reproduce_run(tmp_path / "res.parquet", 13)
    assert not rep.matches and any(d.startswith("trust") for d in rep.differences)


def test_csv_output_on_request(tmp_path, serial_result):
    exp = experiment_from_dict(grid_spec())
    run_experiment(exp, tmp_path / "res.csv", workers=1, progress=False)
    table = pd.read_csv(tmp_path / "res.csv")
    assert len(table) == len(serial_result.runs)
    assert (tmp_path / "res.weekly.csv").exists()
    assert np.allclose(table["influence"], serial_result.runs["influence"], rtol=1e-12)
    assert reproduce_run(tmp_path / "res.csv", 3).matches


# --- robustness: resume and failures ---------------------------------------------
class Stop(KeyboardInterrupt):
    pass


def test_interrupted_sweep_resumes_without_losing_or_repeating_runs(tmp_path, serial_result):
    exp = experiment_from_dict(grid_spec())
    out = tmp_path / "res.parquet"
    seen = []

    def interrupt(done, total):
        seen.append(done)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        run_experiment(exp, out, workers=2, chunk_size=3, progress=False, on_chunk=interrupt)
    assert not out.exists()
    parts = tmp_path / "res.parts"
    committed = sorted((parts / "runs").glob("part-*.parquet"))
    assert len(committed) == 2
    done_before = sum(len(pd.read_parquet(p)) for p in committed)
    # leftovers of a write cut short must not leak into the results
    (parts / "runs" / ".part-x.tmp").write_text("half")
    serial_result.weekly.head(3).to_parquet(
        parts / "weekly" / "part-000000099-000000099-deadbeef.parquet")

    resumed = resume(out, workers=2, chunk_size=4, progress=False)
    assert resumed.notes and "already done" in resumed.notes[0]
    assert resumed.manifest["runs_this_session"] == len(serial_result.runs) - done_before
    assert resumed.runs["run"].is_unique
    assert resumed.weekly[["run", "week"]].value_counts().max() == 1
    pd.testing.assert_frame_equal(resumed.runs, serial_result.runs)
    pd.testing.assert_frame_equal(resumed.weekly, serial_result.weekly)
    assert not parts.exists()


def test_sweep_refuses_to_mix_two_experiments_in_one_output(tmp_path):
    out = tmp_path / "res.parquet"

    def interrupt(done, total):
        raise Stop

    with pytest.raises(Stop):
        run_experiment(experiment_from_dict(grid_spec()), out, workers=1, chunk_size=2,
                       progress=False, on_chunk=interrupt)
    other = experiment_from_dict(grid_spec(seed=12))
    with pytest.raises(UsageError, match="different experiment"):
        run_experiment(other, out, workers=1, progress=False)
    fresh = run_experiment(other, out, workers=1, progress=False, restart=True)
    assert fresh.complete


def test_failed_run_is_reported_and_other_runs_are_kept(tmp_path, monkeypatch,
                                                        serial_result):
    exp = experiment_from_dict(grid_spec())
    bad_seed = int(serial_result.runs.loc[6, "seed"])
    bad_ps = float(serial_result.runs.loc[6, "power_sharing"])
    real = worker_module.run_batch

    def flaky(runs, **options):  # a batch holding the bad run crashes
        if any(seed == bad_seed and sc.power_sharing == bad_ps for sc, seed in runs):
            raise RuntimeError("simulated crash")
        return real(runs, **options)

    monkeypatch.setattr(worker_module, "run_batch", flaky)
    out = tmp_path / "res.parquet"
    result = run_experiment(exp, out, workers=1, chunk_size=4, progress=False)
    failed_runs = sorted(f["run"] for f in result.failures)
    expected = serial_result.runs[(serial_result.runs["seed"] == bad_seed)
                                  & (serial_result.runs["power_sharing"] == bad_ps)]["run"]
    assert failed_runs == sorted(expected) and 6 in failed_runs
    failure = next(f for f in result.failures if f["run"] == 6)
    assert failure["seed"] == bad_seed and failure["parameters"]["power_sharing"] == bad_ps
    assert "simulated crash" in failure["error"]
    assert len(result.runs) == len(serial_result.runs) - len(failed_runs)
    kept = serial_result.runs[~serial_result.runs["run"].isin(failed_runs)].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.runs, kept)
    assert (tmp_path / "res.failures.csv").exists()
    manifest = json.loads((tmp_path / "res.manifest.json").read_text())
    assert [f["run"] for f in manifest["failures"]] == failed_runs
    # once the cause is fixed, resume runs only the failed runs
    monkeypatch.setattr(worker_module, "run_batch", real)
    again = resume(out, workers=1, progress=False)
    assert again.manifest["runs_this_session"] == len(failed_runs)
    pd.testing.assert_frame_equal(again.runs, serial_result.runs)
    assert not (tmp_path / "res.failures.csv").exists()


# --- sensitivity ------------------------------------------------------------------
def sampled_spec(kind, samples, **extra):
    spec = {"name": f"tiny_{kind}", "base": "mixed_methods", "weeks": 8, "seed": 3,
            "replicates": 1,  # kept fast: sampled designs default to 3 replicates
            "set": dict(SMALL), "design": {"kind": kind, "samples": samples},
            "factors": {"power_sharing": {}, "invitation_reach": {}, "pay_expenses": {}},
            "outputs": {"weekly": False,
                        "outcomes": ["influence", "participation_rate", "trust"]}}
    spec.update(extra)
    return spec


@pytest.mark.parametrize("kind,samples,measures", [("saltelli", 8, {"S1", "ST"}),
                                                    ("morris", 6, {"mu_star", "sigma", "mu"}),
                                                    ("latin", 24, {"S1"})])
def test_sensitivity_indices_for_each_outcome(kind, samples, measures):
    result = run_experiment(experiment_from_dict(sampled_spec(kind, samples)), workers=2,
                            progress=False)
    assert result.weekly is None
    sens = analyse(result)
    table = sens.indices
    assert set(table["outcome"]) == {"influence", "participation_rate", "trust"}
    assert set(table["measure"]) == measures
    assert set(table["parameter"]) == {"power_sharing", "invitation_reach", "pay_expenses"}
    assert table["value"].notna().all()
    ranking = sens.ranking()
    assert ranking.shape == (3, 3)
    pd.testing.assert_frame_equal(analyse(result).indices, table)  # bootstrap is seeded
    if kind == "morris":
        # power sharing decides how many views are adopted: it must move influence
        infl = sens.table("influence")
        assert infl.loc["power_sharing", "mu_star"] > 0


def test_sensitivity_plots_have_title_caption_and_palette(tmp_path):
    result = run_experiment(experiment_from_dict(sampled_spec("saltelli", 4)), workers=1,
                            progress=False)
    sens = analyse(result)
    fig = plot_indices(sens, "influence")
    assert fig.axes[0].get_title() and "influence" in fig.caption.lower()
    assert len(fig.caption) < 160 and "\n" not in fig.caption
    colours = {tuple(np.round(p.get_facecolor()[:3], 3)) for p in fig.axes[0].patches}
    from matplotlib.colors import to_rgb
    okabe = {tuple(np.round(to_rgb(c), 3)) for c in ("#E69F00", "#0072B2")}
    assert colours == okabe
    big = plot_indices(sens, "influence", large_text=True)
    assert big.axes[0].title.get_fontsize() > fig.axes[0].title.get_fontsize()
    overview = plot_overview(sens)
    assert overview.axes[0].get_title() and overview.caption
    files = save_plots(sens, tmp_path / "plots")
    assert {p.name for p in files if p.suffix == ".png" and p.name.count(".") == 1} == {
        "influence.png", "participation_rate.png", "trust.png", "overview.png"}
    import matplotlib.pyplot as plt
    plt.close("all")


def test_analysis_refuses_grids_and_missing_runs(serial_result):
    with pytest.raises(UsageError, match="needs 'saltelli'"):
        analyse(serial_result)


def test_constant_outcome_gets_a_note_not_a_crash():
    spec = sampled_spec("morris", 2)
    spec["outputs"]["outcomes"] = ["influence", "peak_participants"]
    spec["set"] = {**SMALL, "use_forum": False, "use_questionnaire": False,
                   "use_focus_groups": False, "use_interviews": False}  # nobody takes part
    result = run_experiment(experiment_from_dict(spec), workers=1, progress=False)
    sens = analyse(result)
    const = [o for o in sens.outcomes if result.runs[o].nunique() == 1]
    assert const
    for outcome in const:
        assert any(outcome in note for note in sens.notes)


def test_chunks_cover_every_run_once_and_shrink_towards_the_end():
    from coprod_sim.experiments.execute import MAX_CHUNK, make_chunks
    for n, workers in ((1, 1), (37, 1), (192, 2), (5000, 8)):
        chunks = make_chunks(list(range(n)), workers)
        assert [t for c in chunks for t in c] == list(range(n))
        sizes = [len(c) for c in chunks]
        assert sizes == sorted(sizes, reverse=True) and max(sizes) <= MAX_CHUNK
        assert len(chunks) >= min(3 * workers, n // MAX_CHUNK + 1)  # work for every worker
    assert [len(c) for c in make_chunks(list(range(10)), 4, chunk_size=4)] == [4, 4, 2]


def test_the_file_format_examples_in_the_docs_are_valid():
    import re
    import tomllib
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "docs" / "research.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    full = experiment_from_dict(tomllib.loads(blocks[0]))
    assert len(build_plan(full).points) == 3 * 3 * 4 * 2 * 2
    sampled = tomllib.loads(blocks[1])
    sampled["design"] = {"kind": "latin", "samples": 4}
    plan = build_plan(experiment_from_dict(sampled))
    assert len(plan.points) == 4 and len(plan.points[0][1]) == 5


def test_a_chunk_runs_as_batches_of_one_size_within_the_memory_budget(monkeypatch):
    from coprod_sim.runner import BATCH_MEMORY, BYTES_PER_RUN_PERSON, batch_size
    calls = []
    real = worker_module.run_batch

    def spy(runs, **options):
        calls.append(([sc.n_people for sc, _ in runs], options.get("max_batch")))
        return real(runs, **options)

    monkeypatch.setattr(worker_module, "run_batch", spy)
    tasks = [(r, "x", {"n_people": 40 if r % 2 else 3000, "weeks": 2}, r) for r in range(12)]
    result = worker_module.run_chunk(tasks)
    assert sorted(row["run"] for row in result["runs"]) == list(range(12))
    assert not result["failures"]
    for sizes, cap in calls:
        assert len(set(sizes)) == 1 and len(sizes) <= cap == batch_size(sizes[0])
        assert len(sizes) * sizes[0] * BYTES_PER_RUN_PERSON <= max(BATCH_MEMORY,
                                                                   sizes[0] * BYTES_PER_RUN_PERSON)
    big = batch_size(3000)  # 5 at 4,096 bytes per run-person and 64 MB
    assert [len(s) for s, _ in calls if s[0] == 3000] == [big, 6 - big]
    assert [s for s, _ in calls if s[0] == 40] == [[40] * 6]  # the small runs: one batch
