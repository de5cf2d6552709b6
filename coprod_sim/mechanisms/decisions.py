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


def adoption_chance(b: Model, method: np.ndarray) -> np.ndarray:
    """Chance that a view raising a person's own concern is adopted (per view).

    Log-odds: ``adoption_rate`` (Slade et al. 2010) at the reference conditions,
    plus power sharing (Needham & Carr 2009) and staff openness, minus
    organisational resistance and health/social care friction, plus
    ``in_stage`` when users take part in the current stage (Governance
    International 2013). With ``mech_power_sharing`` off no power is shared
    (the power term of power 0), so the switch measures what sharing power adds.
    ``method`` has a leading run axis; the chance has its shape.
    """
    lev, c = b.lev, b.constants
    openness = seated_openness(b)
    rate = lev.adoption_rate[:, 0]
    logit = np.log(rate / (1.0 - rate))
    # Switched off, no power is shared: the term of power 0 (so at any power above 0,
    # power sharing raises adoption), while adoption_rate stays the rate at REFERENCE_POWER.
    power = np.where(lev.mech_power_sharing[:, 0], lev.power_sharing[:, 0], 0.0)
    logit = logit + c.power_slope * (power - REFERENCE_POWER)
    logit = logit + c.openness_slope * (openness - REFERENCE_OPENNESS)
    logit = logit - c.resistance_slope * b.resistance
    logit = logit - c.friction_slope * (1.0 - b.integration)
    logit = logit + np.where(b.user_stage, c.in_stage, 0.0)
    p = 1.0 / (1.0 + np.exp(-logit))
    method = np.asarray(method)
    return np.broadcast_to(p.reshape((-1,) + (1,) * (method.ndim - 1)), method.shape)


def seated_openness(b: Model) -> np.ndarray:
    """Mean openness of the seated staff, per run (0.5 where none is seated)."""
    sf = b.staff_state
    seats = sf.seat.sum(axis=-1)
    return np.where(seats > 0, np.where(sf.seat, sf.openness, 0.0).sum(axis=-1)
                    / np.maximum(seats, 1), 0.5)


def staff_item_chance(b: Model) -> np.ndarray:
    """Chance that a view considered and not adopted ends in a staff item of the plan (per run).

    ``staff_items_per_view`` for seated staff of openness 0.5; more open staff
    write fewer items of their own over users' views (x (1.5 - openness), so
    half as many at full openness, 1.5 times as many at none).
    """
    return np.clip(b.constants.staff_items_per_view * (1.5 - seated_openness(b)), 0.0, 1.0)


def own_views(b: Model, wk: Week) -> np.ndarray:
    """Which views raise the person's own concern (not only answer set questions)."""
    open_part = OPEN_QUESTIONS[np.maximum(wk.view_method, 0)]
    draw = b.uniform("adoption", 0) < open_part
    return wk.gave_view & (draw | b.state.on_agenda)


def adopt_views(b: Model, wk: Week) -> None:
    """Mechanism 4: decide which views are adopted and grow the action plan.

    Briefing paper: service users' views should be incorporated into action
    plans; how many are depends on the power shared (Needham & Carr 2009).
    A view given only in answer to questions set by professionals (its
    concern off their agenda) adds nothing of the user's own to the plan.
    Every view considered and not adopted may end in a staff item instead
    (a binomial draw, :func:`staff_item_chance`: one chance per such view).
    """
    st = b.state
    if not wk.gave_view.any():
        return
    own = own_views(b, wk)
    p = adoption_chance(b, wk.view_method)
    adopted = own & (b.uniform("adoption", 1) < p)
    wk.own_view = own
    wk.adopted = adopted
    np.add(st.adopted, 1, out=st.adopted, where=adopted)
    n_adopted = adopted.sum(axis=-1)
    n_views = wk.gave_view.sum(axis=-1)
    b.plan_users += n_adopted
    b.views_considered += n_views
    b.own_views += own.sum(axis=-1)
    # a binomial draw: one chance for each view considered and not adopted
    not_adopted = (n_views - n_adopted)[:, None]
    chance = staff_item_chance(b)[:, None]
    items = (b.uniform("adoption", 2) < chance) & (np.arange(b.n) < not_adopted)
    wk.staff_items = items.sum(axis=-1).astype(float)
    b.plan_staff += wk.staff_items
    wk.n_adopted = n_adopted


def exclude_by_email(b: Model, wk: Week) -> None:
    """Mechanism 4b: decisions by email that leave service users out erode trust and efficacy.

    Briefing paper: communication between professionals "often occurs outside
    of meetings via email" and leaving service users out "may undermine the
    effort". People who have been to a meeting in the last eight weeks notice
    decisions made without them: each week they lose ``email_trust_loss`` x
    ``email_decision_share`` of their trust (the service decides behind their
    backs) and ``email_efficacy_loss`` x ``email_decision_share`` of their
    efficacy (what they say in meetings is not where things are decided).
    Both then act as everywhere else: lower trust and efficacy make people
    come less (:func:`coprod_sim.mechanisms.attendance.drive`), and lower
    trust makes them leave (:func:`coprod_sim.mechanisms.turnover.drop_out`).
    Inclusive communication prevents it, except for people who are not online
    unless digital inclusion is funded. This is the only path of email
    decisions (they do not also change adoption).
    """
    lev, st = b.lev, b.state
    on = b.once("email_on", lambda: lev.mech_email_exclusion & (lev.email_decision_share > 0))
    if not on.any() or b.week - st.last_part.max() >= 8:  # nobody took part lately
        return
    recent = (st.meetings > 0) & (b.week - st.last_part < 8) & st.engaged
    # who notices, fixed for a run: everyone, or with inclusive communication only
    # the people not online (unless digital inclusion is funded); none where it is off
    noticing = b.once("email_noticing", lambda: on & (~lev.inclusive_communication | (
        st.needs[:, :, 5] & ~lev.digital_inclusion)))
    recent &= noticing
    c = b.constants
    loss = b.once("email_loss", lambda: c.email_trust_loss * lev.email_decision_share)
    np.subtract(st.trust, loss * st.trust, out=st.trust, where=recent)
    felt = b.once("email_felt", lambda: c.email_efficacy_loss * lev.email_decision_share)
    np.subtract(st.efficacy, felt * st.efficacy, out=st.efficacy, where=recent)
