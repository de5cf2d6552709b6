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
from coprod_sim.presets import STAGES
from coprod_sim.state import Model, Week

#: The co-delivery stage's code (index into ``presets.STAGES``).
CO_DELIVERY = STAGES.index("co_delivery")

#: Weeks over which a benefit ramps up once it starts to show.
RAMP_WEEKS = 13
#: Room for improvement: adopted views per person affected at which the weekly
#: benefit reaches half its ceiling; each further view adds less, as the
#: service's fit to needs closes (assumption).
ROOM_PER_PERSON = 0.75
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
    """Costs of this week's activities, adjustments and support (per run)."""
    fixed = b.fixed_weekly_cost
    if not wk.invited.any():
        return 0.0 + fixed
    s = _Columns(b.lev)
    st = b.state
    took = wk.took
    forum_held = took[FORUM].any(axis=-1)
    focus_held = took[FOCUS].any(axis=-1)
    meetings = forum_held.astype(np.int64) + focus_held
    attendees = (took[FORUM].sum(axis=-1)
                 + took[FOCUS].sum(axis=-1))
    interviews = took[INTERVIEW].sum(axis=-1)
    c = COSTS["forum_meeting"] * forum_held + COSTS["focus_group"] * focus_held
    c = c + COSTS["interview"] * interviews
    questionnaires = wk.invited[QUESTIONNAIRE].sum(axis=-1)
    c = c + COSTS["questionnaire"] * questionnaires
    seats = b.staff_state.seat.sum(axis=-1)
    c = c + meetings * s.staff_hour_cost * s.meeting_hours * seats
    visits = attendees + interviews
    c = c + s.pay_expenses * s.expenses_per_visit * visits
    print_users = (wk.part & st.needs[:, :, 0]).sum(axis=-1)
    c = c + s.large_print * COSTS["large_print"] * print_users
    c = c + meetings * (COSTS["accessible_venue"] * s.accessible_venue
                        + COSTS["flexible_timing"] * s.flexible_timing)
    c = c + (s.digital_inclusion * COSTS["digital_inclusion"]
             * (wk.part & st.needs[:, :, 5]).sum(axis=-1))
    buddied = (took[FORUM] | took[FOCUS]) & (st.confidence < 0.5)
    c = c + np.where(s.buddying, s.staff_hour_cost * s.meeting_hours * 0.5
                     * buddied.sum(axis=-1), 0.0)
    views = wk.gave_view.sum(axis=-1)
    c = c + COSTS["feedback_per_view"] * s.feedback_rationale * views
    return c + fixed


class _Columns:
    """Levers as flat per-run arrays ``(runs,)`` (for per-run sums)."""

    def __init__(self, lev):
        self._lev = lev

    def __getattr__(self, name: str) -> np.ndarray:
        return getattr(self._lev, name)[:, 0]


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
    runs = np.flatnonzero(wk.n_adopted > 0)
    if runs.size == 0:
        return
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
    room = ROOM_PER_PERSON * b.n
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
        delivering = (b.stage == CO_DELIVERY) & b.lev.stage_co_delivery[:, 0]
        if delivering.any():
            b.benefit += np.where(delivering, COSTS["co_delivery_value"]
                                  * wk.part.sum(axis=-1), 0.0)
