"""Reproducibility: a run is a pure function of its scenario and seed.

A researcher must be able to reproduce every run bit for bit: the same seed gives
an identical weekly table (whatever else ran before, whatever the global random
state, in another process), and different seeds give different runs.
"""

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from coprod_sim import CoproductionModel, Scenario, presets, run, run_replicates

WEEKS = 30
SCENARIOS = ["default", "full_coproduction", "tokenistic_consultation"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_seed_gives_an_identical_weekly_table(name):
    s = presets.get(name)
    a = run(s, seed=7, weeks=WEEKS)
    b = run(s, seed=7, weeks=WEEKS)
    assert_frame_equal(a.weekly, b.weekly, check_exact=True)
    assert_frame_equal(a.people, b.people, check_exact=True)
    # NaN (an outcome that does not apply) equals NaN
    assert pd.Series(a.summary, dtype=object).equals(pd.Series(b.summary, dtype=object))


@pytest.mark.parametrize("name", SCENARIOS)
def test_different_seeds_give_different_runs(name):
    s = presets.get(name)
    tables = [run(s, seed=seed, weeks=WEEKS).weekly for seed in (1, 2, 3)]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not tables[i].equals(tables[j])
    # The people themselves differ too, not only what happens to them.
    people = [run(s, seed=seed, weeks=1).people for seed in (1, 2)]
    assert not people[0].equals(people[1])


def test_global_random_state_and_earlier_runs_do_not_matter():
    s = presets.get("mixed_methods")
    first = run(s, seed=11, weeks=WEEKS).weekly
    np.random.seed(123)
    random.seed(456)
    run(s, seed=12, weeks=WEEKS)  # another run in between
    run(presets.get("full_coproduction"), seed=11, weeks=5)
    np.random.seed(999)
    random.seed(0)
    assert_frame_equal(run(s, seed=11, weeks=WEEKS).weekly, first, check_exact=True)


def model_table(model: CoproductionModel, weeks: int) -> pd.DataFrame:
    for _ in range(weeks):
        model.step()
    return pd.DataFrame(model.datacollector.model_vars)


def test_model_built_directly_with_rng_matches_run():
    s = presets.get("full_coproduction").replace(weeks=WEEKS)
    direct = model_table(CoproductionModel(s, rng=5), WEEKS)
    assert_frame_equal(direct, run(s, seed=5).weekly, check_exact=True)


def test_lever_keywords_match_a_scenario_as_batch_run_passes_them():
    changes = {"power_sharing": 0.8, "buddying": True, "n_people": 150}
    by_keyword = model_table(CoproductionModel(rng=3, **changes), 20)
    by_scenario = model_table(CoproductionModel(Scenario(**changes), rng=3), 20)
    assert_frame_equal(by_keyword, by_scenario, check_exact=True)
    assert_frame_equal(by_keyword, run(Scenario(**changes), seed=3, weeks=20).weekly,
                       check_exact=True)


def test_a_shorter_run_is_the_start_of_a_longer_one():
    # A model stopped early reports the same first weeks as a longer run.
    s = presets.get("default")
    short = run(s, seed=9, weeks=10).weekly
    long = run(s, seed=9, weeks=40).weekly
    assert_frame_equal(long.iloc[:10].reset_index(drop=True), short, check_exact=True)


def test_replicates_are_the_single_runs_stacked():
    s = presets.get("forum_only")
    stacked = run_replicates(s, seeds=[4, 8], weeks=15)
    assert sorted(stacked["seed"].unique()) == [4, 8]
    for seed in (4, 8):
        part = stacked[stacked["seed"] == seed].drop(columns="seed").reset_index(drop=True)
        assert_frame_equal(part, run(s, seed=seed, weeks=15).weekly, check_exact=True)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_saved_scenario_reruns_bit_for_bit(tmp_path, suffix):
    s = presets.get("full_coproduction").replace(power_sharing=0.7123456789012345,
                                                 invitation_reach=1 / 3)
    loaded = Scenario.from_file(s.to_file(tmp_path / f"plan{suffix}"))
    assert_frame_equal(run(loaded, seed=2, weeks=20).weekly, run(s, seed=2, weeks=20).weekly,
                       check_exact=True)


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("coprod-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "coprod_sim.cli"]


def test_same_seed_gives_the_same_table_in_another_process(tmp_path):
    """Bit for bit across processes, whatever Python's hash seed (set and dict order)."""
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"weekly_{hash_seed}.csv"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([*cli_command(), "run", "--preset", "full_coproduction", "--seed", "3",
                        "--weeks", "20", "--out", str(out)],
                       check=True, capture_output=True, env=env, timeout=120)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    here = run(presets.get("full_coproduction"), seed=3, weeks=20).weekly
    assert_frame_equal(pd.read_csv(tmp_path / "weekly_1.csv"), here, check_dtype=False,
                       check_exact=False, rtol=1e-12, atol=1e-12)
