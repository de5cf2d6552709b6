"""Voice is measured over everyone invited, and does not apply where no meeting is held.

Seeds 5000-5023 (never used to fit). Effect sizes are floors well below what the
model shows (the figures in the comments).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from coprod_sim import Scenario, presets
from coprod_sim.batch import Batch
from coprod_sim.outcomes import MAY_NOT_APPLY, OUTCOMES, does_not_apply

SEEDS = list(range(5000, 5024))


@cache
def last_quarter(scenario: Scenario, outcome: str) -> float:
    tables = Batch([scenario] * len(SEEDS), SEEDS).run().recorder.tables()
    return float(np.nanmean([t[outcome].iloc[-13:].mean() for t in tables]))


def test_leaving_the_less_confident_out_never_scores_as_equal_voice():
    on, off = Scenario(), Scenario(mech_confidence_bias=False)
    # equal voice: about 0.40 with groups favouring the confident, 0.56 without
    assert last_quarter(on, "voice_equality") <= last_quarter(off, "voice_equality") - 0.08
    # and the less confident's voice against their share of the invited: 0.06 against 0.31
    assert last_quarter(on, "quiet_voice") <= last_quarter(off, "quiet_voice") - 0.1


def test_flattening_talk_still_raises_equal_voice():
    base = Scenario()
    # ground rules: about +0.14
    assert last_quarter(base.replace(ground_rules=True), "voice_equality") >= \
        last_quarter(base, "voice_equality") + 0.05


def test_voice_does_not_apply_without_a_meeting_and_is_never_zero_for_it():
    from coprod_sim import run

    r = run(presets.get("questionnaire_only"), seed=5000)
    for name in ("voice_equality", "quiet_voice", "frontline_voice", "focus_group_fill"):
        assert r.weekly[name].isna().all(), name
        assert math.isnan(r.summary[name]), name
        assert does_not_apply(name, r.summary[name]).startswith("Does not apply"), name
    assert set(MAY_NOT_APPLY) >= {"voice_equality", "quiet_voice", "frontline_voice"}
    assert all(OUTCOMES[k].missing for k in MAY_NOT_APPLY)
    # a design with a forum: a number once the forum has met, missing before
    d = run(Scenario(), seed=5000).weekly
    assert d["voice_equality"].iloc[-1] == d["voice_equality"].iloc[-1]


def test_charts_tables_and_explanations_say_does_not_apply():
    from coprod_sim import plots, run
    from coprod_sim.explain import explain, explain_difference
    from coprod_sim.widgets.charts import fmt, same

    weekly = run(presets.get("questionnaire_only"), seed=5000).weekly
    chart = plots.voice(weekly)
    assert "Does not apply" in chart.caption and "nan" not in chart.alt_text.lower()
    assert fmt("voice_equality", float("nan")) == "does not apply"
    assert same("voice_equality", float("nan"), float("nan"))
    assert not same("voice_equality", 0.0, float("nan"))
    text = explain("questionnaire_only", "voice_equality", seeds=range(5000, 5002)).text()
    assert "does not apply" in text and "nan" not in text.lower()
    text = explain_difference("default", "questionnaire_only", "voice_equality",
                              seeds=range(5000, 5002)).text()
    assert "does not apply to questionnaire_only" in text
