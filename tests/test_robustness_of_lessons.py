"""What the chapters teach survives the model's unsourced assumptions (issue 16, section 6).

``coprod-sim validate`` re-runs every taught conclusion with each assumption at
x0.5 and x1.5 (:mod:`coprod_sim.calibration.robustness`); these tests check the
machinery on cheap cases and that the committed report has no conclusion that
flips without its chapter saying what it depends on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coprod_sim.calibration import report as R
from coprod_sim.calibration import robustness as rob

ROOT = Path(__file__).resolve().parent.parent


def test_assumptions_are_the_unsourced_constants_and_levers():
    names = {a.name: a for a in rob.assumptions()}
    fitted = rob.fitted_names()
    assert fitted, "the calibration record names the fitted constants"
    # a fitted constant is pinned by the evidence, not an assumption
    assert not fitted & set(names)
    # a constant whose comment cites a source is not an assumption (Gibbs 1997)
    assert "confidence_bias" not in names
    # unsourced ones are
    assert names["voice_exponent"].kind == "constant"
    # levers labelled assumption are included; levers with evidence are not
    assert names["benefit_cost_ratio"].kind == "lever"
    assert "questionnaire_response_rate" not in names


def test_scaling_caps_shares_and_keeps_whole_numbers():
    share = rob.Assumption("x", "constant", 0.8, True, "")
    assert share.scaled(1.5) == 1.0 and share.scaled(0.5) == pytest.approx(0.4)
    count = rob.Assumption("n", "lever", 15, False, "")
    assert count.scaled(0.5) == 8 and isinstance(count.scaled(1.5), int)
    many = rob.Assumption("v", "constant", (0.8, 0.9), True, "")
    assert many.scaled(1.5) == [1.0, 1.0]


def test_judge_reads_the_direction_and_the_threshold():
    c = rob.Conclusion("k", "01", "influence", False, 0.03, 52, "A", (("A", None), ("B", None)))
    assert rob.judge(c, {"A": 0.30, "B": 0.20})[0] == "holds"
    assert rob.judge(c, {"A": 0.30, "B": 0.29})[0] == "same"
    assert rob.judge(c, {"A": 0.20, "B": 0.30})[0] == "flips"
    low = rob.Conclusion("k", "06", "staff_anxiety", True, 0.03, 52, "B",
                         (("A", None), ("B", None)))
    assert rob.judge(low, {"A": 0.5, "B": 0.2}) == ("holds", pytest.approx(0.3))


def test_every_taught_conclusion_is_checked():
    from coprod_sim.curriculum.moments import EXPECTED, MOMENTS
    from coprod_sim.curriculum.predict import Compare

    taught = {k for k in EXPECTED if isinstance(MOMENTS.get(k), Compare)}
    assert {c.key for c in rob.conclusions()} == taught


@pytest.mark.slow
def test_a_conclusion_under_a_scaled_constant_runs_with_those_constants():
    """Scaling a constant changes the runs (the constants reach the engine)."""
    keys = ("05_power",)
    base = rob.evaluate_variant((None, 1.0, keys, (30_000, 30_001)))[0]
    low = rob.evaluate_variant(("voice_exponent", 0.5, keys, (30_000, 30_001)))[0]
    assert base["conclusion"] == low["conclusion"] == "05_power"
    assert base["medians"] != low["medians"]


def test_the_committed_report_has_no_conclusion_that_flips_untold():
    data = R.read_data(ROOT / "docs" / "validation.md")
    checks = data["sections"].get("robustness")
    assert checks, "docs/validation.md has no robustness section: run `coprod-sim validate`"
    assert {c["conclusion"] for c in checks} == {c.key for c in rob.conclusions()}
    bad = [c["conclusion"] for c in checks if not c["holds"]]
    assert not bad, f"taught conclusions that flip under an assumption: {bad}"
