"""Mesa compatibility: mesa.batch_run drives CoproductionModel like any Mesa model."""

import multiprocessing

import pytest
from mesa.batchrunner import batch_run

from coprod_sim import CoproductionModel, Scenario, run


@pytest.fixture(autouse=True)
def keep_start_method():
    # batch_run forces the global start method to "spawn"; put it back after.
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_batch_run_gives_one_row_per_run_matching_run():
    params = {"power_sharing": [0.1, 0.9], "n_people": 40, "weeks": 6}
    rows = batch_run(CoproductionModel, parameters=params, rng=[1, 2], max_steps=6,
                     number_processes=1, data_collection_period=-1, display_progress=False)
    assert len(rows) == 2 * 2
    assert {(r["power_sharing"], r["rng"]) for r in rows} == {(0.1, 1), (0.1, 2), (0.9, 1),
                                                               (0.9, 2)}
    for row in rows:
        assert row["Step"] == 6 and row["week"] == 6
        expected = run(Scenario(power_sharing=row["power_sharing"], n_people=40, weeks=6),
                       seed=row["rng"]).summary
        for key in ("participation_rate", "influence", "trust", "cost", "ladder"):
            assert row[key] == expected[key], key


def test_batch_run_collects_every_week():
    rows = batch_run(CoproductionModel, parameters={"n_people": 40, "weeks": 5}, rng=[3],
                     max_steps=5, number_processes=1, data_collection_period=1,
                     display_progress=False)
    assert [r["week"] for r in rows] == [1, 2, 3, 4, 5]
    weekly = run(Scenario(n_people=40, weeks=5), seed=3).weekly
    assert [r["participation_rate"] for r in rows] == weekly["participation_rate"].tolist()
