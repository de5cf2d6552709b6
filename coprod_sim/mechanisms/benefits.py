"""Mechanism 8d: costs now, benefits later (the long game).

Briefing paper: cost-efficiency "can only deliver short-term reactive benefits
and often overlooks the less tangible preventative benefits"; "the economic
and humanistic benefits of coproduction are not necessarily immediate";
services that "play the 'long game'" may reap them. Views from a group that
represents everyone affected fit needs better than idiosyncratic group views
(Gibbs 1997, cited by the paper). Service users are assets who bring
"knowledge, skills and manpower" (co-delivery).

Unit costs are assumptions, except expenses (NIHR payment guidance).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.presets import STAGES
from coprod_sim.state import FOCUS, FORUM, INTERVIEW, QUESTIONNAIRE, Model, Week

#: The co-delivery stage's code (index into ``presets.STAGES``).
CO_DELIVERY = STAGES.index("co_delivery")

#: Weeks over which a benefit ramps up once it starts to show.
RAMP_WEEKS = 13
#: Unit costs in GBP (assumption).
COSTS = {
    "forum_meeting": 120.0, "focus_group": 350.0, "interview": 45.0,
    "questionnaire": 2.5, "invitation": 1.5, "large_print": 0.5, "plain_language_setup": 300.0,
    "hearing_loop_setup": 250.0, "accessible_venue": 40.0, "flexible_timing": 20.0,
    "digital_inclusion": 5.0, "ground_rules_setup": 100.0, "vision_setup": 150.0,
    "training_hours": 7.0, "peer_support_week": 50.0, "feedback_per_view": 3.0,
    "inclusive_comms_week": 10.0, "roles_setup": 100.0, "co_delivery_value": 5.0,
}


def setup_costs(b: Model) -> np.ndarray:
    """One-off costs in week 0 (per run): invitations, set-up of adjustments, staff training."""
    lev = b.lev
    c = COSTS["invitation"] * b.state.reached.sum(axis=-1)
    c = c + COSTS["plain_language_setup"] * lev.plain_language[:, 0]
    c = c + COSTS["hearing_loop_setup"] * lev.hearing_loop[:, 0]
    c = c + COSTS["ground_rules_setup"] * lev.ground_rules[:, 0]
    c = c + COSTS["vision_setup"] * lev.written_vision[:, 0]
    c = c + COSTS["roles_setup"] * lev.roles_4rs[:, 0]
    c = c + (COSTS["training_hours"] * lev.staff_hour_cost[:, 0] * lev.n_staff[:, 0]
             * lev.staff_training[:, 0])
    return c.astype(float)


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
            met = took[m].any(axis=-1)
            c = c + np.where(met, cost + r["per_meeting"], 0.0)
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


def schedule_benefits(b: Model, wk: Week) -> None:
    """Book the future improvement from this week's adopted views.

    Each adopted view is one unit of improvement, scaled by how well the
    people taking part represent everyone affected (idiosyncratic views fit
    needs less). A change goes live at the end of the project cycle in which
    it was adopted and starts to show ``benefit_lag_weeks`` after the middle
    of that cycle (so about ``benefit_lag_weeks`` later on average, sooner
    with shorter cycles), ramping up over 13 weeks (without the lag switch it
    shows at once).
    """
    lev = b.lev
    if not wk.n_adopted.any():
        return
    runs = np.flatnonzero(wk.n_adopted > 0)
    # the mix of people taking part, as the recorder measured it last week
    units = (0.3 + 0.7 * b.representativeness[runs]) * wk.n_adopted[runs]
    start = np.full(runs.size, b.week)
    cycle = lev.cycle_weeks[runs, 0]
    lagged = -(-(b.week + 1) // cycle) * cycle + lev.benefit_lag_weeks[runs, 0] - cycle // 2
    # changes go live at the end of a project cycle, then take time
    start = np.where(lev.mech_benefit_lag[runs, 0], lagged, start)
    end = start + RAMP_WEEKS
    if end.max() > b.benefit_ramp.shape[1]:  # stepping past the planned horizon
        extra = np.zeros((b.B, int(end.max()) - b.benefit_ramp.shape[1]))
        b.benefit_ramp = np.concatenate([b.benefit_ramp, extra], axis=1)
    columns = start[:, None] + np.arange(RAMP_WEEKS)
    b.benefit_ramp[runs[:, None], columns] += (units / RAMP_WEEKS)[:, None]


def benefit_flow(b: Model) -> np.ndarray:
    """Weekly value of the improvement so far (per run).

    ``value_per_view`` a unit at first, levelling off as the service's fit to
    needs closes.
    """
    room = b.constants.room_per_person * b.n
    units = b.improvement
    return b.lev.value_per_view[:, 0] * units / (1.0 + units / room)


def accrue(b: Model, wk: Week) -> None:
    """Mechanism 8d: add this week's cost and the benefit that has matured.

    Briefing paper: benefits are not immediate, so services must play the
    'long game'; users are assets (Boyle et al. 2010).

    During co-delivery, people who take part add value at once as assets
    (their knowledge, skills and time), if users join co-delivery.
    """
    b.cost += weekly_cost(b, wk)
    schedule_benefits(b, wk)
    if b.week < b.benefit_ramp.shape[1]:
        matured = b.benefit_ramp[:, b.week]
        if matured.any() or b.week == 0:  # otherwise improvement, and so the flow, stand
            b.improvement += matured
            b.benefit_flow[:] = benefit_flow(b)
    b.benefit += b.benefit_flow
    if b.co_delivery_possible:
        b.locate()
        delivering = b.delivering
        if delivering.any():
            b.benefit += np.where(delivering, COSTS["co_delivery_value"]
                                  * wk.part.sum(axis=-1), 0.0)
