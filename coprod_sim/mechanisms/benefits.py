"""Mechanism 8d: costs now, benefits later (the long game), within a budget.

Briefing paper: cost-efficiency "can only deliver short-term reactive benefits
and often overlooks the less tangible preventative benefits"; "the economic
and humanistic benefits of coproduction are not necessarily immediate";
services that "play the 'long game'" may reap them. Views from a group that
represents everyone affected fit needs better than idiosyncratic group views
(Gibbs 1997, cited by the paper). Service users are assets who bring
"knowledge, skills and manpower" (co-delivery).

The benefit structure (evidence.md, "Economics of coproduction"):

- benefit comes only from views actually adopted, each weighted by how deeply
  users shaped it: the depth of the method it came through
  (:data:`coprod_sim.mechanisms.attendance.DEPTH`: a form, a conversation, a
  partnership) and the co-production stages users take part in (Governance
  International 2013); co-design and co-production give more substantial
  outputs than lighter involvement (Ezaydi et al. 2023);
- preventative benefits build gradually: each adopted change is put into
  practice over the cycle after it is adopted, then matures over a distributed
  lag (an Erlang kernel of mean ``benefit_lag_weeks``, shape
  ``benefit_lag_shape``), so benefit rises smoothly from the first adoptions,
  small at first, with no week where it jumps from nothing;
- costs come first (set-up in week 0, then every activity as it happens;
  SCIE 2013: short-term rises in costs);
- the money value of a unit of improvement is ``benefit_cost_ratio`` x
  ``value_per_view``: ``value_per_view`` is the break-even value (the value at
  which full coproduction's five-year benefit equals its cost), so
  ``benefit_cost_ratio`` is the assumed return per pound of a deep design,
  a labelled lever the sources put between below 0 and about 6.

Budget (``limit_budget``, ``budget``): the plan lives within a spending cap.
What is cut when money runs short is fixed and documented
(:data:`SETUP_ORDER`, :data:`ACTIVITY_CUTS`).

Unit costs are assumptions, except expenses (NIHR payment guidance).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammainc, gammaincinv

from coprod_sim.mechanisms.attendance import DEPTH
from coprod_sim.presets import STAGES
from coprod_sim.state import FOCUS, FORUM, INTERVIEW, QUESTIONNAIRE, Model, Week

#: The co-delivery stage's code (index into ``presets.STAGES``).
CO_DELIVERY = STAGES.index("co_delivery")

#: How much of a view's possible depth each method allows (forum, focus group,
#: interview, questionnaire): the methods' depth (``attendance.DEPTH``: 3
#: partnership, 2 conversation, 1 a form) over the deepest. A description of
#: the methods, not a fitted weight.
METHOD_DEPTH = DEPTH / DEPTH.max()
#: Share of the lag kernel's mass the kernel is cut at (the rest goes in its last week).
KERNEL_MASS = 0.999
#: Unit costs in GBP (assumption).
COSTS = {
    "forum_meeting": 120.0, "focus_group": 350.0, "interview": 45.0,
    "questionnaire": 2.5, "invitation": 1.5, "large_print": 0.5, "plain_language_setup": 300.0,
    "hearing_loop_setup": 250.0, "accessible_venue": 40.0, "flexible_timing": 20.0,
    "digital_inclusion": 5.0, "ground_rules_setup": 100.0, "vision_setup": 150.0,
    "training_hours": 7.0, "peer_support_week": 50.0, "feedback_per_view": 3.0,
    "inclusive_comms_week": 10.0, "roles_setup": 100.0,
}

#: With a budget, what the plan buys at the start, in this order, while the money
#: lasts (an item the money left cannot cover whole is dropped, as if its lever
#: were off): invitations first (without them nothing else happens), then staff
#: training, the one-off set-ups, and last the weekly support funded for the whole
#: run. So, as the budget shrinks, the weekly support is cut first and the
#: invitations last. What is left pays for the activities (:data:`ACTIVITY_CUTS`).
SETUP_ORDER: tuple[str, ...] = (
    "invitations", "staff_training", "ground_rules", "written_vision", "roles_4rs",
    "plain_language", "hearing_loop", "peer_support", "inclusive_communication")
#: With a budget, an activity goes ahead only when the money left covers its full
#: cost (everyone invited coming, with the expenses, print, buddies and feedback
#: it carries: no second-class meetings); when money runs short they stop in this
#: order: new focus groups first, then interview rounds, then questionnaire
#: rounds, and the standing forum (commitments to its members) last.
ACTIVITY_CUTS: tuple[int, ...] = (FOCUS, INTERVIEW, QUESTIONNAIRE, FORUM)


def _setup_items(b: Model) -> dict[str, np.ndarray]:
    """What each set-up item of :data:`SETUP_ORDER` costs, per run (0 when not chosen)."""
    lev = b.lev
    weeks = lev.weeks[:, 0]
    return {
        "invitations": COSTS["invitation"] * b.state.reached.sum(axis=-1),
        "staff_training": (COSTS["training_hours"] * lev.staff_hour_cost[:, 0]
                           * lev.n_staff[:, 0] * lev.staff_training[:, 0]),
        "ground_rules": COSTS["ground_rules_setup"] * lev.ground_rules[:, 0],
        "written_vision": COSTS["vision_setup"] * lev.written_vision[:, 0],
        "roles_4rs": COSTS["roles_setup"] * lev.roles_4rs[:, 0],
        "plain_language": COSTS["plain_language_setup"] * lev.plain_language[:, 0],
        "hearing_loop": COSTS["hearing_loop_setup"] * lev.hearing_loop[:, 0],
        "peer_support": COSTS["peer_support_week"] * lev.peer_support[:, 0] * weeks,
        "inclusive_communication": (COSTS["inclusive_comms_week"]
                                    * lev.inclusive_communication[:, 0] * weeks),
    }


def buy_setup(b: Model) -> None:
    """With a budget, buy the set-up items in :data:`SETUP_ORDER` while the money lasts.

    Called once when a batch is built, before anything reads the levers it may
    cut. An item not bought is switched off for the run (``b.lev.cut``); invitations
    not bought reach nobody. ``b.budget_cuts`` lists, per run, what was cut.
    Without ``limit_budget`` nothing changes.
    """
    lev = b.lev
    b.budget_cuts = [[] for _ in range(b.B)]
    capped = lev.limit_budget[:, 0]
    if not capped.any():
        return
    left = np.where(capped, lev.budget[:, 0], np.inf)
    for name, cost in _setup_items(b).items():
        short = capped & (cost > 0) & (cost > left)
        left = np.where(short, left, left - cost)
        if not short.any():
            continue
        for r in np.flatnonzero(short):
            b.budget_cuts[r].append(name)
        if name == "invitations":
            st = b.state
            for arr in (st.reached, st.engaged, st.aware_forum):
                arr[short] = False
        else:
            lev.cut(name, short)


def setup_costs(b: Model) -> np.ndarray:
    """One-off costs in week 0 (per run): invitations, set-up of adjustments, staff training.

    The weekly support (peer support, inclusive communication) is paid week by
    week (:func:`fixed_weekly_cost`), though a budget reserves it at the start.
    """
    items = _setup_items(b)
    c = sum(v for k, v in items.items() if k not in ("peer_support", "inclusive_communication"))
    return np.asarray(c, dtype=float)


def weekly_cost(b: Model, wk: Week) -> np.ndarray:
    """Costs of this week's activities, adjustments and support (per run).

    Meetings (forum, focus group: the room, the seated staff's hours, the
    venue and timing adjustments), interviews, questionnaires, expenses per
    visit, large print and digital inclusion for the people who need them,
    buddies' hours in meetings, feedback per view, and the weekly support.
    """
    fixed = b.fixed_weekly_cost
    if not wk.invited.any():
        return fixed
    r = b.once("cost_rates", lambda: _cost_rates(b))
    st, took = b.state, wk.took
    held = wk.running.any(axis=0).tolist()
    c = np.zeros(b.B)
    visits = np.zeros(b.B, dtype=np.int64)
    for m, cost in ((FORUM, COSTS["forum_meeting"]), (FOCUS, COSTS["focus_group"])):
        if held[m]:
            c = c + groups_met(b, took[m]) * (cost + r["per_meeting"])
            visits = visits + took[m].sum(axis=-1)
    if held[INTERVIEW]:
        interviews = took[INTERVIEW].sum(axis=-1)
        c = c + COSTS["interview"] * interviews
        visits = visits + interviews
    if held[QUESTIONNAIRE]:
        c = c + COSTS["questionnaire"] * wk.invited[QUESTIONNAIRE].sum(axis=-1)
    if r["any_visit"]:
        c = c + r["per_visit"] * visits
    if r["any_print"]:
        c = c + r["print"] * (wk.part & st.needs[:, :, 0]).sum(axis=-1)
    if r["any_digital"]:
        c = c + r["digital"] * (wk.part & st.needs[:, :, 5]).sum(axis=-1)
    if r["any_buddy"] and (held[FORUM] or held[FOCUS]):
        buddied = (took[FORUM] | took[FOCUS]) & (st.confidence < 0.5)
        c = c + r["buddy"] * buddied.sum(axis=-1)
    if r["any_feedback"]:
        c = c + r["feedback"] * wk.gave_view.sum(axis=-1)
    return c + fixed


def groups_met(b: Model, took: np.ndarray) -> np.ndarray:
    """How many of the plan's groups met this week (per run): each pays its own room.

    The plan runs one group per ``people_per_group`` people
    (:func:`coprod_sim.mechanisms.attendance.meeting_groups`); a group met when
    anyone of it came.
    """
    if b.one_group:
        return took.any(axis=-1).astype(float)
    groups = int(b.n_groups.max())
    index = (b._rows[:, None] * groups + b.group_of)[took]
    met = np.bincount(index, minlength=b.B * groups).reshape(b.B, groups) > 0
    return met.sum(axis=-1).astype(float)


def _cost_rates(b: Model) -> dict:
    """Per-run unit costs fixed for a run (and whether any run pays each)."""
    lev = b.lev
    hour = lev.staff_hour_cost[:, 0] * lev.meeting_hours[:, 0]
    seats = b.staff_state.seat.sum(axis=-1)
    rates = {
        "per_meeting": hour * seats + (COSTS["accessible_venue"] * lev.accessible_venue[:, 0]
                                       + COSTS["flexible_timing"] * lev.flexible_timing[:, 0]),
        "per_visit": np.where(lev.pay_expenses[:, 0], lev.expenses_per_visit[:, 0], 0.0),
        "print": np.where(lev.large_print[:, 0], COSTS["large_print"], 0.0),
        "digital": np.where(lev.digital_inclusion[:, 0], COSTS["digital_inclusion"], 0.0),
        "buddy": np.where(lev.buddying[:, 0], hour * 0.5, 0.0),
        "feedback": np.where(lev.feedback_rationale[:, 0], COSTS["feedback_per_view"], 0.0),
    }
    for key in ("visit", "print", "digital", "buddy", "feedback"):
        rates[f"any_{key}"] = bool((rates["per_visit" if key == "visit" else key] != 0).any())
    return rates


def fixed_weekly_cost(b: Model) -> np.ndarray:
    """The weekly cost of support that runs every week (peer support, inclusive communication)."""
    lev = b.lev
    return (COSTS["peer_support_week"] * lev.peer_support[:, 0]
            + COSTS["inclusive_comms_week"] * lev.inclusive_communication[:, 0])


def full_activity_cost(b: Model) -> np.ndarray:
    """Each activity's cost if everyone invited came, per run and method ``(runs, 4)``.

    A meeting, in each of the plan's groups: the room, the seated staff's hours,
    venue and timing, and for each seat the expenses, print, digital inclusion, a
    buddy's time and feedback; a focus group seats the people it over-recruits; an
    interview round: each interview with its extras; a questionnaire round: each
    form sent, with print, digital inclusion and feedback.
    """
    lev, r = b.lev, b.once("cost_rates", lambda: _cost_rates(b))
    extra = r["per_visit"] + r["print"] + r["digital"] + r["buddy"] + r["feedback"]
    meeting = r["per_meeting"]
    focus_people = np.ceil(lev.focus_group_size[:, 0] / (1.0 - lev.focus_group_no_show[:, 0]))
    pool = (b.state.reached & b.state.engaged).sum(axis=-1)
    groups = b.n_groups.astype(float)  # every group of the plan meets
    return np.stack([
        groups * (COSTS["forum_meeting"] + meeting + lev.forum_seats[:, 0] * extra),
        groups * (COSTS["focus_group"] + meeting + focus_people * extra),
        groups * lev.interviews_per_round[:, 0] * (COSTS["interview"] + extra),
        pool * (COSTS["questionnaire"] + r["print"] + r["digital"] + r["feedback"]),
    ], axis=-1)


def plan_within_budget(b: Model, running: np.ndarray) -> np.ndarray:
    """Which planned activities go ahead this week within the budget ``(runs, 4)``.

    Every activity the money left (budget minus cost so far, less the weekly
    support still to pay to the end of the run) covers at full cost goes ahead;
    when it cannot cover them all, they are cut in the order of
    :data:`ACTIVITY_CUTS` until the rest fits.
    Runs without ``limit_budget`` keep their plan.
    """
    capped = b.lev.limit_budget[:, 0]
    if not capped.any() or not running.any():
        return running
    # the weekly support bought at the start is kept for the rest of the run
    weeks_left = np.maximum(b.lev.weeks[:, 0] - b.week, 1)
    left = b.lev.budget[:, 0] - b.cost - b.fixed_weekly_cost * weeks_left
    full = np.where(running, full_activity_cost(b), 0.0)
    keep = running.copy()
    total = full.sum(axis=-1)
    for m in ACTIVITY_CUTS:
        over = capped & (total > left) & keep[:, m]
        keep[:, m] &= ~over
        total = np.where(over, total - full[:, m], total)
    return keep


def stage_depth(b: Model) -> np.ndarray:
    """How deeply users shape the service through the stages they take part in, per run.

    1 when users take part in one co-production stage (or none), rising by
    ``stage_depth_gain`` / 3 for each further stage (co-commissioning, co-design,
    co-delivery, co-assessment; Governance International 2013), so all four
    give 1 + ``stage_depth_gain``: co-design and co-production give more
    substantial outputs than lighter involvement (Ezaydi et al. 2023).
    """
    stages = b.user_stages.sum(axis=-1)
    return 1.0 + b.constants.stage_depth_gain * np.maximum(stages - 1, 0) / 3.0


def lag_kernel(b: Model) -> np.ndarray:
    """The share of an adopted view's improvement that matures each week after it ``(runs, T)``.

    A change is put into practice over the project cycle after it is adopted
    (evenly over ``cycle_weeks`` weeks: changes go live as the cycle delivers
    them), and its preventative benefit then builds over an Erlang (gamma)
    distributed lag of mean ``benefit_lag_weeks`` and shape ``benefit_lag_shape``.
    The kernel is the two together (a convolution): column ``k`` is the share
    maturing in the ``k + 1``-th week after adoption; the mean delay from
    adoption is about ``cycle_weeks`` / 2 + ``benefit_lag_weeks``. The gamma is
    cut at :data:`KERNEL_MASS` of its mass (the rest in its last week). With
    shape above 1 the first weeks carry little: benefit rises smoothly, small at
    first, from the first adoptions. Without ``mech_benefit_lag`` all of it
    matures the week after adoption.
    """
    lev, shape = b.lev, float(b.constants.benefit_lag_shape)
    mean = lev.benefit_lag_weeks[:, 0].astype(float)
    cycle = lev.cycle_weeks[:, 0].astype(int)
    scale = mean / shape
    # weeks enough for KERNEL_MASS of the slowest run's gamma
    width = int(np.ceil(gammaincinv(shape, KERNEL_MASS) * float(scale.max()))) + 1
    edges = np.arange(width + 1)[None, :] / scale[:, None]
    cdf = gammainc(shape, edges)
    lagged = np.diff(cdf, axis=-1)
    lagged[:, -1] += 1.0 - cdf[:, -1]
    kernel = np.zeros((b.B, width + int(cycle.max()) - 1))
    done: dict[tuple[int, float], np.ndarray] = {}
    for r in range(b.B):  # one convolution per distinct (cycle, lag) of the batch
        key = (int(cycle[r]), float(scale[r]))
        if key not in done:
            done[key] = np.convolve(np.full(key[0], 1.0 / key[0]), lagged[r])
        kernel[r, :done[key].size] = done[key]
    at_once = np.zeros_like(kernel)
    at_once[:, 0] = 1.0
    return np.where(lev.mech_benefit_lag[:, 0, None], kernel, at_once)


def improvement_units(b: Model, wk: Week) -> tuple[np.ndarray, np.ndarray]:
    """Changes from this week's adopted views, and the same weighted by depth, per run.

    Each adopted view is a change of (``representative_floor`` + (1 - floor) x
    the mix of people taking part, as the recorder measured it last week): views
    from a group unlike everyone affected fit needs less. Its depth is that times
    the depth of the method it came through (:data:`METHOD_DEPTH`) times the depth
    of the stages users take part in (:func:`stage_depth`).
    """
    depth = METHOD_DEPTH[np.maximum(wk.view_method, 0)]
    deep = np.where(wk.adopted, depth, 0.0).sum(axis=-1)
    floor = b.constants.representative_floor
    mix = floor + (1.0 - floor) * b.representativeness
    return mix * wk.n_adopted, mix * deep * b.once("stage_depth", lambda: stage_depth(b))


def schedule_benefits(b: Model, wk: Week) -> None:
    """Book the future improvement from this week's adopted views over the lag kernel.

    The changes and their depth (:func:`improvement_units`) mature week by week
    after adoption as :func:`lag_kernel` says (``b.benefit_ramp[0]`` and ``[1]``
    hold what matures in each week).
    """
    if not wk.n_adopted.any():
        return
    kernel = b.once("lag_kernel", lambda: lag_kernel(b))
    runs = np.flatnonzero(wk.n_adopted > 0)
    changes, deep = improvement_units(b, wk)
    width = kernel.shape[1]
    end = b.week + 1 + width
    if end > b.benefit_ramp.shape[-1]:  # stepping past the planned horizon
        extra = np.zeros((2, b.B, end - b.benefit_ramp.shape[-1]))
        b.benefit_ramp = np.concatenate([b.benefit_ramp, extra], axis=-1)
    b.benefit_ramp[0, runs, b.week + 1:end] += changes[runs, None] * kernel[runs]
    b.benefit_ramp[1, runs, b.week + 1:end] += deep[runs, None] * kernel[runs]


def value_per_unit(b: Model) -> np.ndarray:
    """Weekly value of a unit of depth, per run: ``benefit_cost_ratio`` x ``value_per_view``."""
    return b.lev.benefit_cost_ratio[:, 0] * b.lev.value_per_view[:, 0]


def benefit_flow(b: Model) -> np.ndarray:
    """Weekly value of the improvement so far (per run).

    :func:`value_per_unit` for each unit of depth that has matured
    (``improvement_depth``), all of it worth less as the changes made
    (``improvement``) close the service's gap to needs: x 1 / (1 + changes /
    (``room_per_person`` x people)), so half as much at ``room_per_person``
    changes per person. Depth raises the value of a change; it does not use up
    the room faster.
    """
    room = b.constants.room_per_person * b.n
    return value_per_unit(b) * b.improvement_depth / (1.0 + b.improvement / room)


def accrue(b: Model, wk: Week) -> None:
    """Mechanism 8d: add this week's cost and the benefit that has matured.

    Briefing paper: benefits are not immediate, so services must play the
    'long game'; users are assets (Boyle et al. 2010).

    During co-delivery, people who take part add value at once as assets
    (their knowledge, skills and time: ``co_delivery_value`` a person-week,
    times ``benefit_cost_ratio``), if users join co-delivery.
    """
    b.cost += weekly_cost(b, wk)
    schedule_benefits(b, wk)
    if b.week < b.benefit_ramp.shape[-1]:
        matured = b.benefit_ramp[:, :, b.week]
        if matured.any() or b.week == 0:  # otherwise improvement, and so the flow, stand
            b.improvement += matured[0]
            b.improvement_depth += matured[1]
            b.benefit_flow[:] = benefit_flow(b)
    b.benefit += b.benefit_flow
    if b.co_delivery_possible:
        b.locate()
        delivering = b.delivering
        if delivering.any():
            ratio = b.lev.benefit_cost_ratio[:, 0]
            b.benefit += np.where(delivering, ratio * b.constants.co_delivery_value
                                  * wk.part.sum(axis=-1), 0.0)
