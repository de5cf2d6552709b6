"""Objects that travel: every public object pickles, copies and round-trips, and the
calls researchers make with them (Mesa's batch_run, Dask's submit) work.

Runs are small (40 people, a few weeks); results are compared with each other,
never with fixed figures.
"""

import copy
import pickle

import pandas as pd
import pytest

import coprod_sim
from coprod_sim import CoproductionModel, Scenario, presets, run
from coprod_sim.calibration.constants import Constants
from coprod_sim.experiments import build_plan, experiment_from_dict, make_factor
from coprod_sim.experiments.design import Plan

SMALL = {"n_people": 40, "weeks": 4}


def _experiment():
    return experiment_from_dict({
        "name": "travel", "weeks": 4, "set": {"n_people": 40}, "design": {"kind": "grid"},
        "levers": {"power_sharing": [0.2, 0.8]},
        "uncertainties": {"voice_exponent": [2.0, 3.0]}})


def _round_trips(obj):
    return [pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy.deepcopy(obj)]


def test_a_scenario_pickles_copies_and_stays_equal():
    s = presets.get("full_coproduction", n_people=40)
    for other in _round_trips(s):
        assert other == s and other.name == s.name and other.description == s.description
        assert other.to_dict() == s.to_dict()
        assert other.replace(power_sharing=0.3) == s.replace(power_sharing=0.3)


def test_a_run_result_pickles_with_its_tables():
    result = run(Scenario(**SMALL), seed=3)
    for other in _round_trips(result):
        assert other.scenario == result.scenario and other.seed == result.seed
        pd.testing.assert_frame_equal(other.weekly, result.weekly)
        assert other.summary.keys() == result.summary.keys()
        for key, value in result.summary.items():  # NaN ("does not apply") equals NaN here
            assert other.summary[key] == value or (value != value and other.summary[key]
                                                   != other.summary[key]), key
        pd.testing.assert_frame_equal(other.people, result.people)


def test_constants_experiments_plans_and_factors_pickle():
    c = Constants.load().with_values({"base_chance[0]": 0.3})
    for other in _round_trips(c):
        assert other == c and other.sha256() == c.sha256()
    exp = _experiment()
    for other in _round_trips(exp):
        assert other.to_dict() == exp.to_dict()
    plan = build_plan(exp)
    for other in _round_trips(plan):
        assert other.fingerprint() == plan.fingerprint()
        assert list(other.runs) == list(plan.runs)
    assert Plan.from_dict(plan.to_dict()).fingerprint() == plan.fingerprint()
    f = make_factor("power_sharing", {"low": 0.1, "high": 0.9})
    assert _round_trips(f)[0] == f


def test_the_model_takes_a_preset_name_as_run_does():
    model = CoproductionModel("full_coproduction", rng=5, n_people=40, weeks=4)
    assert model.levers == presets.get("full_coproduction", n_people=40, weeks=4)
    for _ in range(4):
        model.step()
    alone = run("full_coproduction", seed=5, weeks=4, n_people=40)
    got = model.datacollector.model_vars["participation_rate"]
    assert list(got)[-4:] == alone.weekly["participation_rate"].tolist()


def test_mesa_batch_run_takes_a_scenario_whole_in_two_processes():
    from mesa.batchrunner import batch_run

    base = Scenario(name="mine", n_people=40)
    rows = batch_run(CoproductionModel, parameters={"scenario": base,
                                                    "power_sharing": [0.2, 0.8]},
                     rng=[1, 2], max_steps=3, number_processes=2, display_progress=False)
    table = pd.DataFrame(rows)
    last = table[table["Step"] == table["Step"].max()]
    assert len(last) == 4  # 2 levels x 2 seeds: the scenario was not split into its names
    assert set(last["power_sharing"]) == {0.2, 0.8}
    one = last[(last["power_sharing"] == 0.2) & (last["rng"] == 1)].iloc[0]
    alone = run(base, seed=1, weeks=3, power_sharing=0.2)
    assert one["participation_rate"] == alone.weekly["participation_rate"].iloc[-1]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_dask_submit_runs_coprod_sim_run_and_sends_scenarios_both_ways(client):
    remote = client.submit(coprod_sim.run, "forum_only", seed=2, **SMALL).result(timeout=120)
    alone = run("forum_only", seed=2, **SMALL)
    pd.testing.assert_frame_equal(remote.weekly, alone.weekly)
    scenario = presets.get("mixed_methods", **SMALL)
    back = client.submit(lambda s: s.replace(power_sharing=0.7), scenario).result(timeout=60)
    assert back == scenario.replace(power_sharing=0.7)
    result = client.submit(run, scenario, seed=4).result(timeout=120)
    assert result.summary == run(scenario, seed=4).summary
