"""Mechanism 4: views become proposals; some are adopted into the action plan.

Briefing paper: the views of service users "should be incorporated into
action plans"; interviews and questionnaires risk tokenism because "the
questions have been predetermined by a professional agenda"; power shifts
along description, recognition and transformation (Needham & Carr 2009);
policies and procedures act as barriers; parallel health and social care
bring finance and governance issues (Boyle, Slay & Stephens 2010);
"communication between professionals often occurs outside of meetings via
email" and leaving service users out "may undermine the effort".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from coprod_sim.model import CoproductionModel, Week



def adoption_chance(model: CoproductionModel, method: np.ndarray) -> np.ndarray:
    """Chance that a view given through ``method`` is adopted (per person).

    ``adoption_rate`` (Slade et al. 2010) at power sharing 0.5 with open staff,
    scaled by power sharing (Needham & Carr 2009), the method's influence, the
    stage users take part in (Governance International 2013), staff openness,
    organisational resistance and health/social care integration.
    """
    s, c = model.levers, model.constants
    power = 0.2 + 1.6 * s.power_sharing if s.mech_power_sharing else 1.0
    stage = c.in_stage if model.user_stage else c.out_of_stage
    seated = model.staff_state.seat
    openness = model.staff_state.openness[seated].mean()
    friction = 1.0 - 0.3 * (1.0 - s.integration)
    p = (s.adoption_rate * power * stage * (0.5 + openness)
         * (1.0 - 0.5 * model.resistance) * friction * c.array("influence_weight")[method])
    if s.mech_email_exclusion and not s.inclusive_communication:
        p = p * (1.0 - 0.5 * s.email_decision_share)
    return np.clip(p, 0.0, 0.95)


def adopt_views(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 4: decide which views are adopted and grow the action plan.

    Briefing paper: service users' views should be incorporated into action
    plans; how many are depends on the power shared (Needham & Carr 2009).

    Decisions taken between meetings by email without service users cut the
    adoption of their views (see :func:`adoption_chance`) and add staff-only
    items to the plan.
    """
    st, rng = model.state, model.rng
    weight = model.constants.array("influence_weight")
    who = np.flatnonzero(wk.gave_view)
    adopted = np.zeros(st.n, dtype=bool)
    if who.size:
        p = adoption_chance(model, wk.view_method[who])
        adopted[who] = rng.random(who.size) < p
    wk.adopted = adopted
    st.adopted += adopted
    n_adopted = int(adopted.sum())
    model.plan_users += n_adopted
    model.views_weighted += float(weight[wk.view_method[who]].sum()) if who.size else 0
    model.adopted_weighted += (float(weight[wk.view_method[adopted]].sum())
                               if n_adopted else 0.0)
    model.plan_staff += model.constants.staff_items_per_seat * model.staff_state.seat.sum()
    wk.n_adopted = n_adopted


def exclude_by_email(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 4b: decisions by email that leave service users out erode trust.

    People who have been to a meeting in the last eight weeks notice decisions
    made without them. Inclusive communication prevents it, except for people
    who are not online unless digital inclusion is funded (briefing paper).
    """
    s, st = model.levers, model.state
    if not s.mech_email_exclusion or s.email_decision_share == 0:
        return
    recent = (st.meetings > 0) & (model.week - st.last_part < 8) & st.engaged
    if s.inclusive_communication:
        offline = st.needs[:, 5] & (not s.digital_inclusion)
        recent &= offline
    loss = model.constants.email_trust_loss * s.email_decision_share
    st.trust[recent] -= loss * st.trust[recent]
