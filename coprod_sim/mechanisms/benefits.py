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

from coprod_sim.mechanisms.attendance import FOCUS, FORUM, INTERVIEW, QUESTIONNAIRE
from coprod_sim.state import Model, Week

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


def setup_costs(model: Model) -> float:
    """One-off costs in week 0: invitations, set-up of adjustments, staff training."""
    s = model.levers
    c = COSTS["invitation"] * model.state.reached.sum()
    c += COSTS["plain_language_setup"] * s.plain_language
    c += COSTS["hearing_loop_setup"] * s.hearing_loop
    c += COSTS["ground_rules_setup"] * s.ground_rules
    c += COSTS["vision_setup"] * s.written_vision
    c += COSTS["roles_setup"] * s.roles_4rs
    c += COSTS["training_hours"] * s.staff_hour_cost * s.n_staff * s.staff_training
    return float(c)


def weekly_cost(model: Model, wk: Week) -> float:
    """Costs of this week's activities, adjustments and support."""
    s, st = model.levers, model.state
    fixed = (COSTS["peer_support_week"] * s.peer_support
             + COSTS["inclusive_comms_week"] * s.inclusive_communication)
    if not wk.invited.any():
        return float(fixed)
    took = wk.took
    meetings = int(took[:, FORUM].any()) + int(took[:, FOCUS].any())
    attendees = int(took[:, FORUM].sum() + took[:, FOCUS].sum())
    c = COSTS["forum_meeting"] * took[:, FORUM].any() + COSTS["focus_group"] * took[:, FOCUS].any()
    c += COSTS["interview"] * took[:, INTERVIEW].sum()
    c += COSTS["questionnaire"] * wk.invited[:, QUESTIONNAIRE].sum()
    c += meetings * s.staff_hour_cost * s.meeting_hours * model.staff_state.seat.sum()
    visits = attendees + took[:, INTERVIEW].sum()
    c += s.pay_expenses * s.expenses_per_visit * visits
    c += s.large_print * COSTS["large_print"] * (wk.part & st.needs[:, 0]).sum()
    c += meetings * (COSTS["accessible_venue"] * s.accessible_venue
                     + COSTS["flexible_timing"] * s.flexible_timing)
    c += s.digital_inclusion * COSTS["digital_inclusion"] * (wk.part & st.needs[:, 5]).sum()
    if s.buddying:
        buddied = (took[:, FORUM] | took[:, FOCUS]) & (st.confidence < 0.5)
        c += s.staff_hour_cost * s.meeting_hours * 0.5 * buddied.sum()
    c += COSTS["feedback_per_view"] * s.feedback_rationale * wk.gave_view.sum()
    return float(c + fixed)


def schedule_benefits(model: Model, wk: Week) -> None:
    """Book the future improvement from this week's adopted views.

    Each adopted view is one unit of improvement, scaled by how well the
    people taking part represent everyone affected (idiosyncratic views fit
    needs less). A change goes live at the end of the project cycle in which
    it was adopted and starts to show ``benefit_lag_weeks`` after the middle
    of that cycle (so about ``benefit_lag_weeks`` later on average, sooner
    with shorter cycles), ramping up over 13 weeks (without the lag switch it
    shows at once).
    """
    s = model.levers
    if wk.n_adopted == 0:
        return
    # the mix of people taking part, as the recorder measured it last week
    units = (0.3 + 0.7 * model.representativeness) * wk.n_adopted
    start = model.week
    if s.mech_benefit_lag:  # changes go live at the end of a project cycle, then take time
        cycle = s.cycle_weeks
        start = -(-(model.week + 1) // cycle) * cycle + s.benefit_lag_weeks - cycle // 2
    end = start + RAMP_WEEKS
    if end > model.benefit_ramp.size:  # stepping past the planned horizon
        model.benefit_ramp = np.concatenate([model.benefit_ramp,
                                             np.zeros(end - model.benefit_ramp.size)])
    model.benefit_ramp[start:end] += units / RAMP_WEEKS


def benefit_flow(model: Model) -> float:
    """Weekly value of the improvement so far.

    ``value_per_view`` a unit at first, levelling off as the service's fit to
    needs closes.
    """
    room = model.constants.room_per_person * model.state.n
    units = model.improvement
    return model.levers.value_per_view * units / (1.0 + units / room)


def accrue(model: Model, wk: Week) -> None:
    """Mechanism 8d: add this week's cost and the benefit that has matured.

    Briefing paper: benefits are not immediate, so services must play the
    'long game'; users are assets (Boyle et al. 2010).

    During co-delivery, people who take part add value at once as assets
    (their knowledge, skills and time), if users join co-delivery.
    """
    s = model.levers
    model.cost += weekly_cost(model, wk)
    schedule_benefits(model, wk)
    if model.week < model.benefit_ramp.size:
        model.improvement += model.benefit_ramp[model.week]
    model.benefit_flow = benefit_flow(model)
    model.benefit += model.benefit_flow
    if model.stage == "co_delivery" and s.stage_co_delivery:
        model.benefit += COSTS["co_delivery_value"] * float(np.count_nonzero(wk.part))
