"""The long game: benefits from adopted views, by depth, built up over a distributed lag,
scaled by an assumed return per pound, within a budget.

Stochastic claims are over fixed seeds with the effect size stated; the orderings over
five years and their robustness are checked over more seeds in the validation report
(pattern P11 and P12 of ``coprod_sim/calibration/patterns.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from coprod_sim import CoproductionModel, Scenario, presets, run
from coprod_sim.calibration.patterns import VIEWS_JUMP_LIMIT, largest_jump
from coprod_sim.engine import run_batch
from coprod_sim.mechanisms import benefits
from coprod_sim.scenario import ScenarioError

SEEDS = range(4)


def test_the_lag_kernel_is_a_whole_benefit_with_the_mean_lag_asked_for():
    # put into practice over the next cycle (half a cycle on average), then the lag
    for lag, cycle in ((26, 39), (52, 26), (156, 52)):
        model = CoproductionModel(Scenario(benefit_lag_weeks=lag, cycle_weeks=cycle), rng=0)
        kernel = benefits.lag_kernel(model.batch)[0]
        weeks = np.arange(1, kernel.size + 1)
        assert kernel.sum() == pytest.approx(1.0)
        assert (weeks * kernel).sum() == pytest.approx(lag + cycle / 2, rel=0.02)
        # small at first: the first month carries under 2% of it
        assert kernel[:4].sum() < 0.02


def test_benefit_builds_gradually_from_early_on():
    # the old model showed exactly nothing until week 73, then a step
    for seed in SEEDS:
        weekly = run(presets.get("default"), seed=seed, weeks=260).weekly
        assert largest_jump(weekly) <= VIEWS_JUMP_LIMIT  # measured at most 0.017
        first = int(weekly.benefit.gt(0).idxmax())
        assert first < 26
        flow = np.diff(weekly.benefit.to_numpy())
        assert flow[first] < 0.01 * flow.mean()  # small at first


def test_deeper_involvement_is_worth_more_per_adopted_view():
    # method depth: a forum view is worth three questionnaire answers
    assert benefits.METHOD_DEPTH.tolist() == pytest.approx([1.0, 2 / 3, 2 / 3, 1 / 3])
    # stage depth: users in all four stages against one (co-design, the default)
    one = CoproductionModel(Scenario(), rng=0).batch
    four = CoproductionModel(presets.get("full_coproduction"), rng=0).batch
    gain = one.constants.stage_depth_gain
    assert benefits.stage_depth(one)[0] == 1.0
    assert benefits.stage_depth(four)[0] == pytest.approx(1.0 + gain)


def test_the_assumed_return_scales_the_benefit_and_may_be_negative():
    base = presets.get("full_coproduction")
    two, four, none, harm = run_batch([(base, 1), (base.replace(benefit_cost_ratio=4.0), 1),
                                       (base.replace(benefit_cost_ratio=0.0), 1),
                                       (base.replace(benefit_cost_ratio=-1.0), 1)], weeks=104)
    assert four.summary["benefit"] == pytest.approx(2 * two.summary["benefit"])
    assert none.summary["benefit"] == 0.0
    assert harm.summary["benefit"] < 0
    assert four.summary["cost"] == two.summary["cost"]  # the return does not change the plan


def test_without_a_cap_the_budget_changes_nothing():
    base = presets.get("full_coproduction", weeks=52)
    free, unused = run_batch([(base, 3), (base.replace(budget=0.0), 3)])
    assert free.weekly.equals(unused.weekly)


@pytest.mark.parametrize("budget", [0.0, 2_000.0, 20_000.0, 60_000.0])
def test_spending_never_passes_the_budget(budget):
    scenario = presets.get("full_coproduction", weeks=104, limit_budget=True, budget=budget)
    for seed in SEEDS[:2]:
        assert run(scenario, seed=seed).summary["cost"] <= budget + 1e-6


def test_a_zero_budget_means_nothing_paid_happens():
    result = run(presets.get("full_coproduction", limit_budget=True, budget=0.0), seed=0)
    assert result.summary["cost"] == 0.0
    assert result.summary["ever_took_part"] == 0.0
    assert result.summary["benefit"] == 0.0


def test_what_is_cut_follows_the_documented_order():
    scenario = presets.get("full_coproduction", weeks=104)
    # enough for the invitations and one-off set-ups, not the peer support network for
    # two years (£5,200); the cheaper inclusive communication still fits after it
    model = CoproductionModel(scenario.replace(limit_budget=True, budget=6_000.0), rng=0)
    assert model.batch.budget_cuts[0] == ["peer_support"]
    assert not model.batch.lev.peer_support[0, 0]
    assert model.batch.lev.inclusive_communication[0, 0]
    # less money: the one-off set-ups go too, from the end of the order; invitations stay
    model = CoproductionModel(scenario.replace(limit_budget=True, budget=300.0), rng=0)
    cuts = model.batch.budget_cuts[0]
    assert "invitations" not in cuts and "staff_training" in cuts
    assert cuts == [k for k in benefits.SETUP_ORDER if k in cuts]

    # once money runs short: focus groups stop first, then interviews, then
    # questionnaires, and the forum last
    model = CoproductionModel(scenario.replace(limit_budget=True, budget=100_000.0), rng=0)
    b = model.batch
    planned = np.ones((1, 4), dtype=bool)
    price = benefits.full_activity_cost(b)[0]
    support = b.fixed_weekly_cost[0] * (b.lev.weeks[0, 0] - b.week)
    kept = []
    for cut in range(5):
        affordable = price[[m for m in range(4) if m not in benefits.ACTIVITY_CUTS[:cut]]].sum()
        b.cost[0] = 100_000.0 - support - affordable - 0.01
        kept.append(benefits.plan_within_budget(b, planned)[0].tolist())
    assert kept == [[True] * 4, [True, False, True, True], [True, False, False, True],
                    [True, False, False, False], [False] * 4]


def test_a_budget_is_checked_like_any_lever():
    with pytest.raises(ScenarioError, match="'budget' is -1"):
        Scenario(limit_budget=True, budget=-1)
    with pytest.raises(ScenarioError, match="'benefit_cost_ratio' is 9"):
        Scenario(benefit_cost_ratio=9)


def test_the_long_game_pays_and_the_short_view_misleads():
    # four seeds here; P11 in the validation report checks the same over 12
    nets = {}
    for name in ("full_coproduction", "default", "tokenistic_consultation",
                 "questionnaire_only"):
        results = run_batch([(presets.get(name), s) for s in SEEDS], weeks=260)
        nets[name] = (np.mean([r.weekly.net_benefit.iloc[51] for r in results]),
                      np.mean([r.summary["net_benefit"] for r in results]))
    one = {k: v[0] for k, v in nets.items()}
    five = {k: v[1] for k, v in nets.items()}
    # five years: measured about £178k, £50k, £3k, £9k (12 seeds)
    assert five["full_coproduction"] > 2 * five["default"]
    assert five["default"] > 2 * max(five["tokenistic_consultation"], five["questionnaire_only"])
    # one year: the cheap designs lose least (about -£0.8k against -£7k and -£30k)
    assert min(one["tokenistic_consultation"], one["questionnaire_only"]) > one["default"]
    assert one["default"] > one["full_coproduction"]
