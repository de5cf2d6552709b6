"""Scale-free outcomes: 200 people and 2,000 people (staff scaled too) give the same rates.

Every 0-1 rate of the weekly table, averaged over the last 13 weeks and over
:data:`SEEDS`, must be within 0.05 at 200 people + 15 staff and at 2,000
people + 150 staff, except where a fixed-size method legitimately reaches a
smaller share of a larger population:

- a forum seats ``forum_seats`` (12) people however many are affected, so with
  a forum in the design the shares taking part (``participation_rate``,
  ``ever_took_part`` and every ``part_*``) are smaller at 2,000, and so is the
  forum's share of the views, which moves the per-view outcomes that differ
  between a forum and a questionnaire (``influence``, ``user_plan_share``,
  ``tokenism``, ``ladder_score``, ``retention``). These may differ by up to
  :data:`FIXED_SIZE_LIMIT`, and no more people may take part at 2,000. The
  default design does not meet this yet (a known gap, see the xfail below and
  ``coprod_sim/calibration/gaps.py``).
- an oversubscribed meeting (at 2,000 people every forum and focus group is
  full) seats its regulars and its most willing, a more alike group than the
  half-full meetings of 200 people, whose few regulars' confidence grows
  apart: ``voice_equality`` may differ by up to :data:`FIXED_SIZE_LIMIT`
  (it is higher at 2,000), and so may ``confidence_lift``.

A questionnaire alone has no fixed size: there every rate is within 0.05.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from coprod_sim import presets
from coprod_sim.engine import run_batch
from coprod_sim.outcomes import OUTCOMES

SEEDS = range(16)
TOLERANCE = 0.05
FIXED_SIZE_LIMIT = 0.1
RATES = [k for k, o in OUTCOMES.items() if o.unit == "share" and o.high == 1.0]
#: Rates a fixed-size forum legitimately lowers at 2,000 people (the shares taking part).
FORUM_SHARE = {"participation_rate", "ever_took_part"} | {k for k in RATES
                                                           if k.startswith("part_")}
#: Per-view rates that follow the forum's share of the views (lower with a smaller share,
#: except tokenism and retention, which rise as questionnaire answers dominate).
FORUM_MIX_DOWN = {"influence", "user_plan_share", "ladder_score"}
FORUM_MIX_UP = {"tokenism", "retention"}
#: Rates that differ between half-full and oversubscribed meetings.
FULL_MEETINGS = {"voice_equality", "confidence_lift"}


#: Seeds for the voice figures of meetings: front-line voice varies a lot between
#: runs (which staff hold the six seats, and the chance of the day), so its mean
#: over 16 seeds has a standard error near 0.04, too near the 0.05 tolerance; over
#: 96 seeds it is near 0.017.
MEETING_SEEDS = range(96)


@cache
def rates(preset: str, n_people: int, n_staff: int, seeds: range = SEEDS) -> pd.Series:
    scenario = presets.get(preset, n_people=n_people, n_staff=n_staff)
    rows = [r.weekly.iloc[-13:][RATES + ["quiet_voice"]].mean()
            for r in run_batch([(scenario, s) for s in seeds])]
    return pd.DataFrame(rows).mean()


def differences(preset: str) -> pd.Series:
    return rates(preset, 2000, 150) - rates(preset, 200, 15)


@pytest.mark.slow
def test_a_questionnaire_gives_the_same_rates_at_200_and_2000_people():
    d = differences("questionnaire_only")
    off = d[d.abs() > TOLERANCE]
    assert off.empty, off.round(3).to_dict()


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "known gap (issue 8): default design between 200 and 2,000 people (16 seeds): "
    "motivation +0.057 and fatigue -0.064 against at most 0.05; retention +0.174, "
    "tokenism +0.144, influence -0.140 and user_plan_share -0.179 against at most 0.10"))
def test_the_default_design_is_scale_free_except_for_the_fixed_size_forum():
    d = differences("default")
    exempt = FORUM_SHARE | FORUM_MIX_DOWN | FORUM_MIX_UP | FULL_MEETINGS
    off = d[[k for k in RATES if k not in exempt and abs(d[k]) > TOLERANCE]]
    assert off.empty, off.round(3).to_dict()
    for k in exempt:
        assert abs(d[k]) <= FIXED_SIZE_LIMIT, (k, round(d[k], 3))
    # the forum's 12 seats are a smaller share of 2,000 people: never more take part
    assert d["participation_rate"] <= 0.01 and d["ever_took_part"] <= 0.01


@pytest.mark.slow
def test_meetings_have_seats_so_voice_does_not_depend_on_the_population():
    seeds = MEETING_SEEDS
    for preset in ("forum_only", "focus_groups_only"):
        small, big = rates(preset, 200, 15, seeds), rates(preset, 2000, 150, seeds)
        for k in ("frontline_voice", "understanding"):
            assert abs(big[k] - small[k]) <= TOLERANCE, (preset, k, small[k], big[k])
        for k in FULL_MEETINGS:
            assert abs(big[k] - small[k]) <= FIXED_SIZE_LIMIT, (preset, k, small[k], big[k])
    small = rates("focus_groups_only", 200, 15, seeds)
    big = rates("focus_groups_only", 2000, 150, seeds)
    assert abs(big["quiet_voice"] - small["quiet_voice"]) <= TOLERANCE


def test_a_forum_meeting_never_seats_more_than_its_seats():
    from coprod_sim.model import CoproductionModel

    model = CoproductionModel(presets.get("forum_only", n_people=3000, n_staff=200,
                                          forum_awareness=1.0), rng=0)
    most = 0
    for _ in range(26):
        model.step()
        most = max(most, int(np.count_nonzero(model.current_week.took[:, 0])))
    assert 0 < most <= model.levers.forum_seats
