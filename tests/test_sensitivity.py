"""Sensitivity analysis a reviewer can trust: replicates, intervals, checks, convergence."""

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod_sim.experiments import experiment_from_dict, run_experiment
from coprod_sim.experiments.sensitivity import (
    LIMITS,
    Sensitivity,
    analyse,
    check,
    report,
    seed_noise,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "experiments" / "example_sensitivity.toml"


def spec(samples=8, replicates=2, **extra):
    data = {"name": "tiny_sobol", "base": "mixed_methods", "weeks": 8, "seed": 3,
            "replicates": replicates, "set": {"n_people": 40},
            "design": {"kind": "saltelli", "samples": samples},
            "factors": {"power_sharing": {}, "invitation_reach": {}, "pay_expenses": {}},
            "outputs": {"weekly": False, "outcomes": ["influence", "participation_rate"]}}
    data.update(extra)
    return data


@pytest.fixture(scope="module")
def tiny():
    result = run_experiment(experiment_from_dict(spec()), workers=1, progress=False)
    return analyse(result)


def fake(rows, method="saltelli", replicates=3, samples=256, noise=None, convergence=None):
    """A Sensitivity built by hand, to test the checks on known numbers."""
    table = pd.DataFrame(rows, columns=["outcome", "parameter", "measure", "value", "conf"])
    return Sensitivity(method, table, sorted(set(table["outcome"])), [],
                       noise=noise if noise is not None else pd.DataFrame(
                           columns=["outcome", "replicates", "noise_share",
                                    "run_noise_share"]),
                       convergence=convergence if convergence is not None else pd.DataFrame(
                           columns=["outcome", "parameter", "measure", "half", "full",
                                    "change"]),
                       samples=samples, replicates=replicates)


def clean_rows(outcome="influence"):
    return [(outcome, "power_sharing", "S1", 0.70, 0.05),
            (outcome, "power_sharing", "ST", 0.75, 0.04),
            (outcome, "invitation_reach", "S1", 0.20, 0.04),
            (outcome, "invitation_reach", "ST", 0.24, 0.03)]


# --- seed noise -----------------------------------------------------------------
def test_seed_noise_share_matches_a_known_variance_split():
    rng = np.random.default_rng(5)
    points = np.repeat(np.arange(400), 4)
    signal = np.repeat(rng.normal(0, 1.0, 400), 4)          # variance 1 between points
    noise = rng.normal(0, 2.0, points.size)                  # variance 4 within a point
    share, run_share = seed_noise(pd.DataFrame({"point": points, "value": signal + noise}))
    # averaged over 4 seeds the noise variance is 1, the point means' variance 2: half
    assert share == pytest.approx(0.5, abs=0.08)
    assert run_share == pytest.approx(0.8, abs=0.05)        # 4 / (1 + 4)
    one = pd.DataFrame({"point": np.arange(10), "value": np.arange(10.0)})
    assert all(math.isnan(v) for v in seed_noise(one))


# --- every index has an interval; the report prints them ----------------------------
def test_every_index_has_an_interval_and_the_report_prints_it(tiny):
    s1st = tiny.indices[tiny.indices["measure"].isin(["S1", "ST"])]
    assert s1st["conf"].notna().all() and (s1st["conf"] >= 0).all()
    assert np.allclose(s1st["high"] - s1st["low"], 2 * s1st["conf"])
    text = report(tiny)
    tables = text.split("\nConvergence")[0].split("\n", 1)[1]   # after the header line
    assert tables.count("±") == len(s1st)
    assert "seed noise" in text and "Convergence" in text
    assert set(tiny.noise["outcome"]) == {"influence", "participation_rate"}
    assert tiny.noise["noise_share"].between(0, 1).all()
    conv = tiny.convergence
    assert len(conv) == len(s1st)
    assert np.allclose(conv["change"], conv["full"] - conv["half"])


def test_a_tiny_design_is_flagged_with_what_to_do(tiny):
    # 8 base samples cannot give narrow intervals: the checks must say so
    assert not tiny.trusted
    assert any("base samples" in w for w in tiny.warnings)
    assert "WARNING" in report(tiny)


def test_one_replicate_asks_for_replicates():
    result = run_experiment(experiment_from_dict(spec(samples=4, replicates=1)), workers=1,
                            progress=False)
    sens = analyse(result)
    assert sens.noise["noise_share"].isna().all()
    assert any("Add replicates" in w for w in sens.warnings)


# --- each check on known numbers ----------------------------------------------------------
def test_clean_indices_raise_no_warning():
    assert check(fake(clean_rows())) == []


def test_first_order_sum_far_above_one_is_flagged():
    rows = [("trust", "a", "S1", 1.2, 0.05), ("trust", "a", "ST", 1.25, 0.05),
            ("trust", "b", "S1", 0.8, 0.05), ("trust", "b", "ST", 0.85, 0.05)]
    warnings = check(fake(rows))
    assert any("sum to 2.00" in w and "at least 1024 base samples" in w for w in warnings)


def test_total_below_first_order_beyond_intervals_is_flagged():
    rows = clean_rows() + [("influence", "pay_expenses", "S1", 0.06, 0.01),
                           ("influence", "pay_expenses", "ST", 0.01, 0.01)]
    assert any("below the first-order index" in w for w in check(fake(rows)))
    # within the intervals: no warning
    rows[-1] = ("influence", "pay_expenses", "ST", 0.05, 0.01)
    assert check(fake(rows)) == []


def test_negative_index_beyond_its_interval_is_flagged():
    rows = clean_rows() + [("influence", "pay_expenses", "S1", -0.08, 0.03),
                           ("influence", "pay_expenses", "ST", 0.02, 0.01)]
    assert any("negative" in w for w in check(fake(rows)))
    rows[-2] = ("influence", "pay_expenses", "S1", -0.01, 0.03)   # within its interval
    assert check(fake(rows)) == []


def test_wide_intervals_are_flagged_with_a_sample_size():
    rows = clean_rows()
    rows[0] = ("influence", "power_sharing", "S1", 0.70, 0.2)
    warnings = check(fake(rows, samples=256))
    assert any("intervals are wide" in w and "base samples" in w for w in warnings)
    # allowed here: a fifth of 0.70 = 0.14; (0.2 / (0.8 x 0.14))^2 x 256 = 816 -> 1024
    assert any("at least 1024" in w for w in warnings)
    # a large index known to within a fifth of itself is not flagged
    rows[0] = ("influence", "power_sharing", "S1", 0.70, 0.13)
    assert check(fake(rows, samples=256)) == []


def test_unsettled_indices_are_flagged():
    conv = pd.DataFrame([("influence", "power_sharing", "ST", 0.55, 0.75, 0.20)],
                        columns=["outcome", "parameter", "measure", "half", "full", "change"])
    warnings = check(fake(clean_rows(), convergence=conv))
    assert any("not settled" in w and "0.55" in w for w in warnings)


def test_seed_noise_above_the_limit_asks_for_more_replicates():
    noise = pd.DataFrame([("influence", 3, 0.4, 0.7)],
                         columns=["outcome", "replicates", "noise_share", "run_noise_share"])
    warnings = check(fake(clean_rows(), noise=noise))
    # share 0.4 at 3 replicates -> noise/signal 2; a tenth needs 2 x 9 = 18 replicates
    assert any("Add replicates (at least 18)" in w for w in warnings)
    assert LIMITS["noise"] == 0.2


# --- the shipped example --------------------------------------------------------------------
def example_spec(**changes):
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def test_shipped_example_has_replicates_and_reduced_version_runs():
    data = example_spec()
    assert data["replicates"] >= 2, "sensitivity examples must average over seeds"
    reduced = example_spec(weeks=8)
    reduced["design"] = {**reduced["design"], "samples": 8}
    reduced["set"] = {**reduced["set"], "n_people": 60}
    reduced["replicates"] = 2
    result = run_experiment(experiment_from_dict(reduced), workers=2, progress=False)
    sens = analyse(result)
    assert set(sens.outcomes) == set(data["outputs"]["outcomes"])
    assert sens.indices.loc[sens.indices["measure"] == "ST", "conf"].notna().all()
    assert len(sens.convergence)


@pytest.mark.slow
def test_shipped_example_gives_stable_indices_with_no_warning():
    """The full shipped example (a few minutes on two cores): re-run when the model changes."""
    result = run_experiment(experiment_from_dict(example_spec()), workers=2, progress=False)
    sens = analyse(result)
    assert sens.warnings == [], "\n".join(sens.warnings)
    st = sens.indices[sens.indices["measure"] == "ST"]
    assert (st["high"] <= 1 + LIMITS["wide"]).all()
    assert sens.convergence["change"].abs().max() <= LIMITS["drift"]


# --- what the reader sees: impossible values flagged, pair indices printed -------------
def test_impossible_sobol_values_are_flagged_in_the_table_and_the_report():
    rows = [("trust", "a", "S1", 1.55, 0.9), ("trust", "a", "ST", 1.23, 0.9),
            ("trust", "b", "S1", 0.2, 0.05), ("trust", "b", "ST", 0.3, 0.05),
            ("trust", "c", "S1", -0.1, 0.2), ("trust", "c", "ST", 0.1, 0.05)]
    sens = fake(rows)
    flags = sens.table("trust")["flag"]
    assert "S1 above 1" in flags["a"] and "ST below S1" in flags["a"]
    assert flags["b"] == ""
    assert "negative" in flags["c"]
    text = report(sens)
    assert text.count("impossible") == 2


def test_second_order_indices_are_printed_when_computed():
    rows = clean_rows() + [("influence", "power_sharing x invitation_reach", "S2", 0.12, 0.03)]
    sens = fake(rows)
    assert list(sens.pairs("influence").index) == ["power_sharing x invitation_reach"]
    text = report(sens)
    assert "pair interactions (S2" in text and "0.120 ± 0.030" in text
    assert "-\n" not in text.split("pair interactions")[1]


def test_second_order_run_gives_a_value_for_every_pair():
    result = run_experiment(experiment_from_dict(spec(
        replicates=1, design={"kind": "saltelli", "samples": 8, "second_order": True})),
        workers=1, progress=False)
    sens = analyse(result, ["participation_rate"])
    pairs = sens.pairs("participation_rate")
    assert len(pairs) == 3 and pairs["S2"].notna().all()
    assert "pair interactions" in sens.report()


def test_groups_of_factors_get_one_index_each():
    data = spec(replicates=1)
    data["factors"] = {"invitation_reach": {"group": "reach"}, "pay_expenses": {}}
    data["uncertainties"] = {"voice_exponent": {"low": 2.0, "high": 3.0, "group": "voice"},
                             "power_slope": {"low": 2.0, "high": 4.0, "group": "voice"}}
    result = run_experiment(experiment_from_dict(data), workers=1, progress=False)
    assert len(result.runs) == 8 * (3 + 2)
    sens = analyse(result, ["participation_rate"])
    table = sens.table("participation_rate")
    assert sorted(table.index) == ["pay_expenses", "reach", "voice"]
