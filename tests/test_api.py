"""Python API: your own design points (a DataFrame) and your own outcome functions."""

import pandas as pd
import pytest

from coprod_sim import presets, run
from coprod_sim.cli import UsageError
from coprod_sim.experiments import run_experiment
from coprod_sim.experiments.api import evaluate, outcomes_from_weekly, plan_from_points

POINTS = pd.DataFrame({"power_sharing": [0.1, 0.9], "staff_training": [False, True]})
BASE = dict(base="mixed_methods", weeks=8)


def final_influence(result):
    return result.weekly["influence"].iloc[-1]


def weeks_taking_part(weekly):
    return int((weekly["participants"] > 0).sum())


@pytest.fixture(scope="module")
def table():
    return evaluate(POINTS, seeds=2, outcomes={"final_influence": final_influence,
                                               "people": lambda r: len(r.people)},
                    weekly_outcomes={"weeks_taking_part": weeks_taking_part}, workers=1,
                    **BASE)


def test_one_tidy_row_per_run_with_levers_summary_and_own_outcomes(table):
    assert len(table) == 4
    assert list(table.columns[:5]) == ["point", "replicate", "seed", "power_sharing",
                                       "staff_training"]
    assert table["point"].tolist() == [0, 0, 1, 1]
    assert {"influence", "trust", "final_influence", "people", "weeks_taking_part"} \
        <= set(table.columns)
    assert (table["final_influence"] == table["influence"]).all()
    assert "error" not in table
    # the same seeds at every point (common random numbers)
    assert table.loc[table.point == 0, "seed"].tolist() == \
        table.loc[table.point == 1, "seed"].tolist()


def test_a_row_reproduces_with_the_plain_runner(table):
    row = table.iloc[3]
    again = run(_scenario(0.9, True), seed=int(row["seed"]))
    assert again.weekly["influence"].iloc[-1] == row["final_influence"]


def _scenario(power, trained):
    return presets.get("mixed_methods").replace(weeks=8, power_sharing=power,
                                                staff_training=trained)


def test_two_workers_and_lambdas_give_the_same_table(table):
    two = evaluate(POINTS, seeds=2, outcomes={"final_influence": final_influence,
                                              "people": lambda r: len(r.people)},
                   weekly_outcomes={"weeks_taking_part": weeks_taking_part}, workers=2,
                   **BASE)
    pd.testing.assert_frame_equal(two, table)


def test_explicit_seeds_and_a_failing_outcome_fail_only_that_run():
    def picky(result):
        if result.scenario.power_sharing > 0.5:
            raise ValueError("too much power")
        return 1

    out = evaluate(POINTS, seeds=[7], outcomes={"picky": picky}, summary=False, **BASE)
    assert out["seed"].tolist() == [7, 7]
    assert out["error"].isna().tolist() == [True, False]
    assert "too much power" in out.loc[1, "error"]


def test_bad_points_get_one_plain_line():
    with pytest.raises(UsageError, match="column 'warp' is not a lever"):
        evaluate(pd.DataFrame({"warp": [1]}))
    with pytest.raises(UsageError, match="points row 1"):
        evaluate(pd.DataFrame({"power_sharing": [0.5, 7.0]}), **BASE)
    with pytest.raises(UsageError, match="allowed: a function"):
        evaluate(POINTS, outcomes={"x": 3}, **BASE)
    with pytest.raises(UsageError, match="taken by a column"):
        evaluate(POINTS, outcomes={"seed": final_influence}, **BASE)
    with pytest.raises(UsageError, match="seeds"):
        evaluate(POINTS, seeds=0, **BASE)


def test_points_run_through_the_experiment_runner_and_weekly_outcomes(table):
    plan = plan_from_points(POINTS, seeds=2, weekly=True, **BASE)
    result = run_experiment(plan, workers=1, progress=False)
    assert result.runs["influence"].tolist() == table["influence"].tolist()
    assert result.runs["power_sharing"].tolist() == [0.1, 0.1, 0.9, 0.9]
    mine = outcomes_from_weekly(result.weekly, {"weeks_taking_part": weeks_taking_part})
    assert mine["weeks_taking_part"].tolist() == table["weeks_taking_part"].tolist()


def test_a_large_evaluation_needs_confirming(monkeypatch):
    from coprod_sim.experiments import design
    monkeypatch.setattr(design, "CONFIRM_RUNS", 3)
    with pytest.raises(UsageError, match="4 runs.*yes=True"):
        evaluate(POINTS, seeds=2, **BASE)
    assert len(evaluate(POINTS, seeds=2, yes=True, summary=False, **BASE)) == 4
