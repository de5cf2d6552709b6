"""One run, one answer: the same scenario and seed give bit-identical weekly tables.

Alone, in batches of any size, composition and order, via ``run_replicates``,
via the Mesa model stepped by hand, and in sweeps run serially, on local
processes and on Dask, whatever the chunking.
"""

import random

import numpy as np
import pandas as pd
import pytest

from coprod_sim import PARAMETERS, Scenario, presets, run, run_replicates
from coprod_sim.engine import run_batch
from coprod_sim.experiments import experiment_from_dict, run_experiment
from coprod_sim.model import CoproductionModel
from coprod_sim.runner import run_many, run_seeds
from coprod_sim.scenario import ScenarioError

WEEKS = 16

#: Runs that differ in levers the engine holds per run, and one of another size.
CASES = [
    (Scenario(weeks=WEEKS), 3),
    (presets.get("mixed_methods").replace(weeks=WEEKS, n_people=120), 7),
    (presets.get("full_coproduction").replace(weeks=WEEKS, n_people=120), 7),
    (presets.get("full_coproduction").replace(weeks=WEEKS, n_people=120,
                                              feedback_rationale=False), 7),
    (presets.get("forum_only").replace(weeks=WEEKS, n_people=120, power_sharing=0.9), 11),
    (Scenario(weeks=WEEKS, n_people=60, n_staff=8), 3),
    (presets.get("mixed_methods").replace(weeks=WEEKS - 4, n_people=120), 5),
]


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=True)


@pytest.fixture(scope="module")
def alone():
    return [run(scenario, seed=seed).weekly for scenario, seed in CASES]


def test_a_run_alone_twice_is_identical(alone):
    scenario, seed = CASES[1]
    same(run(scenario, seed=seed).weekly, alone[1])


def test_the_same_run_in_any_batch_size_is_identical(alone):
    for max_batch in (1, 2, 3, 5, None):
        for result, table in zip(run_batch(CASES, max_batch=max_batch), alone, strict=True):
            same(result.weekly, table)


def test_mixed_batches_in_any_order_are_identical(alone):
    order = list(range(len(CASES)))
    for trial in range(3):
        random.Random(trial).shuffle(order)
        results = run_batch([CASES[i] for i in order], max_batch=4 if trial else None)
        for i, result in zip(order, results, strict=True):
            same(result.weekly, alone[i])
            assert result.seed == CASES[i][1]
    # one run among strangers: other levers, other seeds, other sizes
    crowd = [(CASES[2][0], s) for s in range(10, 15)] + [CASES[2]] + [(CASES[0][0], 1)]
    same(run_many(crowd)[5].weekly, alone[2])


def test_every_preset_beside_every_other_is_identical():
    # runs of different methods in one batch: a run must not see which streams,
    # methods or meetings its neighbours use (found by a sweep's reproduce check:
    # forum_only beside mixed_methods differed from week 9)
    runs = [(presets.get(name).replace(n_people=100, weeks=26), seed)
            for name in presets.names() for seed in (1146676384, 5)]
    for (scenario, seed), result in zip(runs, run_batch(runs), strict=True):
        table = run(scenario, seed=seed).weekly
        assert result.weekly.equals(table), f"{scenario.name} seed {seed} differs in a batch"
        same(result.weekly, table)


def _random_scenario(rng: random.Random) -> Scenario:
    """A valid scenario with about half the levers drawn at random from their ranges."""
    while True:
        values = {}
        for name, p in PARAMETERS.items():
            if name in ("n_people", "n_staff", "weeks") or rng.random() < 0.5:
                continue
            if p.kind == "bool":
                values[name] = rng.random() < 0.5
            elif p.kind == "choice":
                values[name] = rng.choice(list(p.choices))
            elif p.kind == "int":
                values[name] = rng.randint(int(p.low), int(p.high))
            else:
                values[name] = rng.uniform(p.low, p.high)
        try:
            return Scenario(n_people=80, n_staff=10, weeks=30, **values)
        except ScenarioError:  # a cross-lever limit: draw again
            continue


def test_runs_with_random_levers_in_one_batch_are_each_identical_to_alone():
    rng = random.Random(12)
    runs = [(_random_scenario(rng), rng.randrange(10**6)) for _ in range(16)]
    for (scenario, seed), result in zip(runs, run_batch(runs), strict=True):
        same(result.weekly, run(scenario, seed=seed).weekly)


def test_run_replicates_gives_each_seed_its_own_run():
    scenario = CASES[1][0]
    stacked = run_replicates(scenario, seeds=[7, 2, 9])
    for seed in (7, 2, 9):
        rows = stacked[stacked["seed"] == seed].drop(columns="seed")
        same(rows, run(scenario, seed=seed).weekly)
    assert [r.seed for r in run_seeds(scenario, [4, 1])] == [4, 1]


def test_the_mesa_model_stepped_by_hand_is_the_same_run(alone):
    for i in (0, 3):
        scenario, seed = CASES[i]
        model = CoproductionModel(scenario, rng=seed)
        for _ in range(scenario.weeks):
            model.step()
        same(pd.DataFrame(model.datacollector.model_vars), alone[i])


def test_calibration_traces_are_the_same_alone_or_batched():
    from coprod_sim.calibration.measures import watch, watch_many

    runs = [CASES[1], CASES[4], (CASES[1][0], 8)]
    for one, batched in zip([watch(sc, seed) for sc, seed in runs], watch_many(runs),
                            strict=True):
        for name in ("invited", "took", "focus_accepted", "running", "views", "adopted",
                     "age", "dep", "aware_forum", "cost_need"):
            assert np.array_equal(getattr(one, name), getattr(batched, name)), name
        assert pd.Series(one.summary, dtype=object).equals(
            pd.Series(batched.summary, dtype=object))  # NaN (does not apply) equals NaN


def test_a_fresh_seed_is_recorded_and_repeats_the_run():
    first = run(Scenario(weeks=4), seed=None)
    assert isinstance(first.seed, int)
    same(run(Scenario(weeks=4), seed=first.seed).weekly, first.weekly)


# --- sweeps: serial, local processes, Dask ---------------------------------------------
SPEC = {
    "name": "identity", "base": "default", "weeks": 8, "replicates": 2, "seed": 5,
    "set": {"n_people": 40}, "design": {"kind": "grid"},
    "factors": {"feedback_rationale": [False, True], "n_people": [40, 70],
                "power_sharing": [0.2, 0.8]},
}


@pytest.fixture(scope="module")
def serial():
    return run_experiment(experiment_from_dict(SPEC), workers=1, progress=False)


def test_a_sweep_row_is_the_run_alone(serial):
    weekly = serial.weekly
    for _, row in serial.runs.iloc[[0, 5, 14]].iterrows():
        values = {k: row[k] for k in ("feedback_rationale", "n_people", "power_sharing")}
        alone_table = run(Scenario(weeks=8, **{k: v.item() if hasattr(v, "item") else v
                                               for k, v in values.items()}),
                          seed=int(row["seed"])).weekly
        rows = weekly[weekly["run"] == row["run"]]
        numeric = [c for c in alone_table.columns
                   if pd.api.types.is_numeric_dtype(alone_table[c]) and c in rows]
        same(rows[numeric].astype(alone_table[numeric].dtypes.to_dict()), alone_table[numeric])


def test_sweep_chunking_changes_no_row(serial):
    for chunk_size in (1, 3, 16):
        other = run_experiment(experiment_from_dict(SPEC), workers=1, chunk_size=chunk_size,
                               progress=False)
        pd.testing.assert_frame_equal(other.runs, serial.runs, check_exact=True)
        pd.testing.assert_frame_equal(other.weekly, serial.weekly, check_exact=True)


def test_local_processes_give_the_same_rows(serial, tmp_path):
    pooled = run_experiment(experiment_from_dict(SPEC), tmp_path / "p.parquet", workers=2,
                            chunk_size=5, progress=False)
    pd.testing.assert_frame_equal(pooled.runs, serial.runs, check_exact=True)
    pd.testing.assert_frame_equal(pooled.weekly, serial.weekly, check_exact=True)


def test_dask_gives_the_same_rows(serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = run_experiment(experiment_from_dict(SPEC), scheduler=cluster,
                                 chunk_size=3, progress=False)
    pd.testing.assert_frame_equal(on_dask.runs, serial.runs, check_exact=True)
    pd.testing.assert_frame_equal(on_dask.weekly, serial.weekly, check_exact=True)
