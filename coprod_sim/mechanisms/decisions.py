"""Mechanism 4: views become proposals; some are adopted into the action plan.

Briefing paper: the views of service users "should be incorporated into
action plans"; interviews and questionnaires risk tokenism because "the
questions have been predetermined by a professional agenda"; power shifts
along description, recognition and transformation (Needham & Carr 2009);
policies and procedures act as barriers; parallel health and social care
bring finance and governance issues (Boyle, Slay & Stephens 2010);
"communication between professionals often occurs outside of meetings via
email" and leaving service users out "may undermine the effort".

The plan grows from the work: every view considered ends either in an item
from the service user (the view adopted) or, by chance (``staff_items_per_view``,
fewer with more open staff), in an item of the staff's own; so the plan's
share from users does not change with the number of people affected.
"""

from __future__ import annotations

import numpy as np

from coprod_sim.state import Model, Week

#: How open each method's questions are (forum, focus group, interview,
#: questionnaire): a description of the method, not a fitted weight. A forum
#: or focus group lets people raise what matters to them; a semi-structured
#: interview partly; a questionnaire's questions are all set by professionals
#: (briefing paper). A view through closed questions can carry a person's own
#: concern only when it is already on the professionals' agenda.
OPEN_QUESTIONS = np.array([1.0, 1.0, 0.5, 0.0])
#: Reference conditions of ``adoption_rate`` (Slade et al. 2010): power shared
#: in the middle of the range, open staff, no resistance, joined-up services.
REFERENCE_POWER, REFERENCE_OPENNESS = 0.5, 0.7


def adoption_chance(model: Model, method: np.ndarray) -> np.ndarray:
    """Chance that a view raising a person's own concern is adopted (per view).

    Log-odds: ``adoption_rate`` (Slade et al. 2010) at the reference conditions,
    plus power sharing (Needham & Carr 2009) and staff openness, minus
    organisational resistance and health/social care friction, plus
    ``in_stage`` when users take part in the current stage (Governance
    International 2013). With ``mech_power_sharing`` off no power is shared
    (the power term of power 0), so the switch measures what sharing power adds.
    """
    s, c = model.levers, model.constants
    seated = model.staff_state.seat
    openness = float(model.staff_state.openness[seated].mean()) if seated.any() else 0.5
    logit = np.log(s.adoption_rate / (1.0 - s.adoption_rate))
    # Switched off, no power is shared: the term of power 0 (so at any power above 0,
    # power sharing raises adoption), while adoption_rate stays the rate at REFERENCE_POWER.
    power = s.power_sharing if s.mech_power_sharing else 0.0
    logit += c.power_slope * (power - REFERENCE_POWER)
    logit += c.openness_slope * (openness - REFERENCE_OPENNESS)
    logit -= c.resistance_slope * model.resistance
    logit -= c.friction_slope * (1.0 - model.integration)
    if model.user_stage:
        logit += c.in_stage
    p = 1.0 / (1.0 + np.exp(-logit))
    return np.full(np.shape(method), p)


def staff_item_chance(model: Model) -> float:
    """Chance that a view considered and not adopted ends in a staff item of the plan.

    ``staff_items_per_view`` for seated staff of openness 0.5; more open staff
    write fewer items of their own over users' views (x (1.5 - openness), so
    half as many at full openness, 1.5 times as many at none).
    """
    seated = model.staff_state.seat
    openness = float(model.staff_state.openness[seated].mean()) if seated.any() else 0.5
    return float(np.clip(model.constants.staff_items_per_view * (1.5 - openness), 0.0, 1.0))


def own_views(model: Model, wk: Week) -> np.ndarray:
    """Which views raise the person's own concern (not only answer set questions)."""
    st = model.state
    who = wk.gave_view
    open_part = OPEN_QUESTIONS[np.maximum(wk.view_method, 0)]
    draw = model.rng.random(st.n) < open_part
    return who & (draw | st.on_agenda)


def adopt_views(model: Model, wk: Week) -> None:
    """Mechanism 4: decide which views are adopted and grow the action plan.

    Briefing paper: service users' views should be incorporated into action
    plans; how many are depends on the power shared (Needham & Carr 2009).
    A view given only in answer to questions set by professionals (its
    concern off their agenda) adds nothing of the user's own to the plan.
    Every view considered and not adopted may end in a staff item instead
    (a binomial draw, :func:`staff_item_chance`).
    """
    st, rng = model.state, model.rng
    if not wk.gave_view.any():
        return
    own = own_views(model, wk)
    who = np.flatnonzero(own)
    adopted = np.zeros(st.n, dtype=bool)
    if who.size:
        p = adoption_chance(model, wk.view_method[who])
        adopted[who] = rng.random(who.size) < p
    wk.own_view = own
    wk.adopted = adopted
    st.adopted += adopted
    n_adopted = int(adopted.sum())
    n_views = int(np.count_nonzero(wk.gave_view))
    model.plan_users += n_adopted
    model.views_considered += n_views
    model.own_views += int(np.count_nonzero(own))
    wk.staff_items = int(rng.binomial(n_views - n_adopted, staff_item_chance(model)))
    model.plan_staff += wk.staff_items
    wk.n_adopted = n_adopted


def exclude_by_email(model: Model, wk: Week) -> None:
    """Mechanism 4b: decisions by email that leave service users out erode trust.

    People who have been to a meeting in the last eight weeks notice decisions
    made without them. Inclusive communication prevents it, except for people
    who are not online unless digital inclusion is funded (briefing paper).
    This is the only path of email decisions (they do not also change adoption).
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
