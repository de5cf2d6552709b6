"""The patterns a valid model reproduces (model.md, pattern-oriented modelling).

Each test compares scenarios over the same fixed seeds and asserts the
direction and a minimum size of the effect, stated in the test. Averages are
over :data:`SEEDS`; the sizes are floors well below what the model shows, so a
test fails only when a pattern weakens or reverses.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from coprod_sim import Scenario, presets, run

SEEDS = range(12)

ADJUSTMENTS = dict(large_print=True, plain_language=True, hearing_loop=True,
                   accessible_venue=True, flexible_timing=True, pay_expenses=True,
                   digital_inclusion=True)


@cache
def _run(scenario: Scenario, seed: int, weeks: int):
    return run(scenario, seed=seed, weeks=weeks)


def summary(scenario: Scenario, weeks: int = 52) -> pd.Series:
    """Mean of each numeric summary figure over SEEDS."""
    rows = [_run(scenario, seed, weeks).summary for seed in SEEDS]
    return pd.DataFrame(rows).mean(numeric_only=True)


def people_mean(scenario: Scenario, value, weeks: int = 52) -> float:
    """Mean over SEEDS of ``value(people_table)``."""
    return float(np.mean([value(_run(scenario, seed, weeks).people) for seed in SEEDS]))


@pytest.mark.parametrize("name", [
    "forum_only",
    "focus_groups_only",
])
def test_1_questionnaires_reach_more_and_more_representatively_but_give_less_influence(name):
    q = summary(presets.get("questionnaire_only"))
    group = summary(presets.get(name))
    # reach: at least 1.5 times as many people ever take part
    assert q.ever_took_part >= 1.5 * group.ever_took_part, name
    # influence: at most half as much
    assert q.influence <= 0.5 * group.influence, name
    # mix: at least 0.02 more representative (the measure discounts what a random
    # sample of the same size would show by chance, so a small group is not
    # marked down for its size alone; the gap is its skew to the already engaged)
    assert q.representativeness >= group.representativeness + 0.02, name


def test_2_forums_and_focus_groups_over_represent_the_confident():
    def lift(people):  # starting confidence of participants minus that of all invited
        return (people.loc[people.took_part, "confidence_at_start"].mean()
                - people.loc[people.reached, "confidence_at_start"].mean())

    questionnaire = people_mean(presets.get("questionnaire_only"), lift)
    for name in ("forum_only", "focus_groups_only"):
        groups = people_mean(presets.get(name), lift)
        assert groups >= 0.04, name  # participants at least 0.04 more confident (0-1 scale)
        assert groups >= questionnaire + 0.03, name


def test_3_methods_in_tandem_engage_more_and_more_representatively():
    # Reach is a clear effect. Representativeness: the tandem is more representative
    # than each meeting method alone (the groups draw the already engaged; the
    # questionnaire and interviews in the tandem bring others), by a direction-only
    # margin over 24 seeds (about +0.02 over 96 seeds). The model does NOT
    # reproduce "more representative than a questionnaire alone":
    # every method here shares the same age and deprivation gaps, so adding groups
    # to a questionnaire adds the already engaged
    # (docs/ODD.md, patterns, says so).
    seeds = range(24)

    def mean_of(name):
        rows = [_run(presets.get(name), seed, 52).summary for seed in seeds]
        return pd.DataFrame(rows).mean(numeric_only=True)

    mixed = mean_of("mixed_methods")
    singles = [mean_of(n) for n in
               ("questionnaire_only", "forum_only", "focus_groups_only", "interviews_only")]
    assert mixed.ever_took_part >= max(s.ever_took_part for s in singles) + 0.03
    meetings = singles[1:3]  # forum, focus groups
    assert mixed.representativeness > max(s.representativeness for s in meetings)


def test_4_removing_barriers_raises_participation_of_people_with_needs():
    base = presets.get("mixed_methods")
    before, after = summary(base), summary(base.replace(**ADJUSTMENTS))
    needs = [c for c in before.index if c.startswith("part_need_")]
    # averaged over the seven needs, at least 1 percentage point more of the people
    # with each need take part (each adjustment shows on the people it helps; older
    # people have most needs and also answer most, so people with and without needs
    # take part about equally before any adjustment)
    assert after[needs].mean() >= before[needs].mean() + 0.01
    # and people with needs gain on people without
    assert (after.part_with_needs - after.part_without_needs
            > before.part_with_needs - before.part_without_needs)


def test_5_feedback_with_reasons_sustains_and_ignoring_views_collapses_participation():
    # No step model, so that no new people are found each cycle: the pattern is
    # about the people already involved.
    base = presets.get("mixed_methods").replace(power_sharing=0.3, pathway="none")
    ignored = base.replace(feedback_rationale=False)
    explained = base.replace(feedback_rationale=True)
    a, b = summary(ignored, weeks=104), summary(explained, weeks=104)
    assert b.retention >= a.retention + 0.06  # at least 6 points better kept
    assert b.participation_rate >= 1.2 * a.participation_rate
    # with views ignored, participation in the second year falls well below the first
    weekly = [_run(ignored, seed, 104).weekly for seed in SEEDS]
    first = np.mean([w.participation_rate.iloc[:52].mean() for w in weekly])
    second = np.mean([w.participation_rate.iloc[52:].mean() for w in weekly])
    assert second <= 0.8 * first


def test_6_email_decisions_that_exclude_users_erode_trust():
    base = presets.get("mixed_methods").replace(email_decision_share=0.6)
    excluded = summary(base.replace(inclusive_communication=False))
    included = summary(base.replace(inclusive_communication=True))
    assert included.trust >= excluded.trust + 0.02


def test_7_buddying_and_ground_rules_raise_voice_and_retention_of_less_confident_people():
    base = presets.get("mixed_methods")
    supported = base.replace(buddying=True, ground_rules=True)

    def kept(people):  # the less confident a buddy can meet: those who went to a meeting
        quiet = people.took_part & (people.confidence_at_start < 0.4) & (people.meetings > 0)
        return 1.0 - people.loc[quiet, "dropped_out"].mean()

    assert summary(supported).quiet_voice >= summary(base).quiet_voice + 0.2
    # a buddy acts in meetings only (no longer as if explaining every decision): voice
    # without power keeps few more, so the retention claim is a direction
    assert people_mean(supported, kept) >= people_mean(base, kept)


def test_8_power_sharing_raises_influence_and_efficacy_and_untrained_staff_anxiety():
    base = presets.get("mixed_methods")
    low, high = base.replace(power_sharing=0.2), base.replace(power_sharing=0.8)
    trained = high.replace(staff_training=True)
    lo, hi, tr = summary(low), summary(high), summary(trained)

    def efficacy(people):  # among regular participants (three or more activities)
        return people.loc[people.times >= 3, "efficacy"].mean()

    assert hi.influence >= 1.5 * lo.influence
    assert people_mean(high, efficacy) >= people_mean(low, efficacy) + 0.04
    assert hi.staff_anxiety >= lo.staff_anxiety + 0.2
    assert hi.resistance >= lo.resistance + 0.1
    assert tr.staff_anxiety <= hi.staff_anxiety - 0.2  # training prevents it
    assert tr.resistance <= hi.resistance - 0.1


def test_9_benefits_lag_costs_the_long_game():
    full = presets.get("full_coproduction")
    one_year, five_years = summary(full, weeks=52), summary(full, weeks=260)
    assert one_year.net_benefit < 0  # a one-year view sees a cost
    assert one_year.benefit < 0.2 * one_year.cost  # built up from the first adoptions, small
    assert five_years.net_benefit > 0  # a five-year view sees a return


def test_10_managers_dominate_unless_front_line_staff_are_included():
    default = summary(Scenario(frontline_seats=0.0))
    included = summary(Scenario(frontline_seats=0.6))
    frontline_share_of_staff = 1 - round(0.3 * 15) / 15
    assert default.frontline_voice <= 0.5 * frontline_share_of_staff
    assert included.frontline_voice >= default.frontline_voice + 0.15


def test_11_the_long_game_pays_and_a_short_view_misleads():
    from coprod_sim.calibration.patterns import Runs, p11

    failing = [(c.claim, c.figure) for c in p11(Runs(seeds=SEEDS)) if not c.holds]
    assert not failing


def test_12_the_long_game_does_not_rest_on_one_unsourced_number():
    """Every robustness case holds except the one known gap (coprod_sim/calibration/gaps.py).

    With room_per_person halved, full coproduction nets about £19k against the default's
    £27k over five years (it is ahead only above a return of about £2.12 per £1 there): how
    far deep coproduction pulls ahead depends on how much room for improvement a service
    has (docs/ODD.md, P12). That check must keep failing until the model changes; every
    other case must hold.
    """
    from coprod_sim.calibration.gaps import KNOWN_GAPS
    from coprod_sim.calibration.patterns import Runs, p12

    checks = p12(Runs(seeds=SEEDS))
    failing = {f"pattern 12: {c.claim}" for c in checks if not c.holds}
    known = {name for name in KNOWN_GAPS if name.startswith("pattern 12:")}
    assert failing == known


def _holds(pattern_number: int):
    from coprod_sim.calibration.patterns import PATTERNS, Runs

    pattern = next(p for p in PATTERNS if p.number == pattern_number)
    return [(c.claim, c.figure) for c in pattern.checks(Runs()) if not c.holds]


def test_13_leaving_the_less_confident_out_lowers_equal_voice():
    # equal voice about 0.36 with groups favouring the confident against 0.60 without
    # (floor: 5 points); less confident people's voice 0.10 against 0.33 (floor 0.05);
    # no meeting: missing, not 0
    assert not _holds(13)


def test_14_the_plan_is_the_users_only_as_far_as_power_is_shared():
    # users' share of the plan about 1%, 52%, 95% at power 0, 0.4, 0.85
    # (floors: at most 10% at 0; each step at least 15 points)
    assert not _holds(14)


def test_15_step_models_differ_by_what_their_steps_do():
    # with every stage open: NHS SPH influence +0.048, 1000 Lives equal voice +0.064,
    # CAFA participation +0.060 over no step model (floor 0.02); 0.000 with steps off.
    # Named paths: at high resistance CAFA's influence is +0.008 over no step model with
    # the governance relief and -0.009 without it (its other steps bring more views), so
    # the relief adds +0.018 (floor 0.01; it no longer must vanish without it); NHS
    # SPH's lead 0.048 -> 0.030 without friction; 1000 Lives' 0.064 -> 0.026 without
    # unequal voice
    assert not _holds(15)
