"""Mechanism 4: views become proposals; some are adopted into the action plan.

Briefing paper: the views of service users "should be incorporated into
action plans"; interviews and questionnaires risk tokenism because "the
questions have been predetermined by a professional agenda"; power shifts
along description, recognition and transformation (Needham & Carr 2009);
policies and procedures act as barriers; parallel health and social care
bring finance and governance issues (Boyle, Slay & Stephens 2010);
"communication between professionals often occurs outside of meetings via
email" and leaving service users out "may undermine the effort".

The plan grows from two sources: service users' adopted views, and the
staff's own agenda, which adds items every week whatever users say
(:func:`staff_agenda`), more the less power is shared: with no power shared
the plan is the staff's. Both grow with the people served (views with the
people taking part, the staff's agenda with the groups the plan runs), so the
plan's share from users does not change with the number of people affected.

The professionals' agenda (which concerns closed questions can hear) starts
with the share ``agenda_overlap`` of people's concerns (an input: what
services already know) and grows by behaviour: a concern raised in an open
setting (a forum, a focus group, an interview) is heard and goes on the
agenda, and a step model's "identify needs" step puts the concerns of the
people involved on it. So how much less a questionnaire's views carry is
emergent: the starting overlap, plus what the design's open methods and steps
have heard.
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
    # governance agreed (a step model's govern step) settles policies and procedures
    # for the project: resistance is less in the way of adoption
    logit = logit - c.resistance_slope * b.resistance * (1.0 - c.governance_relief
                                                         * b.governance)
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


def staff_agenda(b: Model, wk: Week) -> None:
    """Items the staff add to the action plan from their own agenda this week (per run).

    Every week, whatever users say: ``staff_agenda_rate`` items per group the
    plan runs (:func:`coprod_sim.mechanisms.attendance.meeting_groups`) at equal
    power (0.5), times ``(1 - power) / power`` (the staff fill the plan in
    proportion to the power they keep, Needham & Carr 2009: with no power
    shared the plan is theirs; power floored at 0.02), times
    ``1.5 - openness`` of the seated staff (more open staff write fewer items of
    their own). The expected number of items, added as a rate (not drawn).
    With ``mech_power_sharing`` off no power is shared.
    """
    def make():
        lev = b.lev
        power = np.where(lev.mech_power_sharing[:, 0], lev.power_sharing[:, 0], 0.0)
        power = np.maximum(power, 0.02)
        sf = b.staff_state
        seats = sf.seat.sum(axis=-1)
        return (b.constants.staff_agenda_rate * b.n_groups * (1.0 - power) / power,
                sf.seat.astype(float) / np.maximum(seats, 1)[:, None], seats > 0)

    base, seat_weight, seated = b.once("staff_agenda", make)
    openness = np.where(seated, (b.staff_state.openness * seat_weight).sum(axis=-1), 0.5)
    items = base * np.maximum(1.5 - openness, 0.0)
    wk.staff_items = items
    b.plan_staff += items


def own_views(b: Model, wk: Week) -> np.ndarray:
    """Which views raise the person's own concern (not only answer set questions).

    A view in an open setting raises it as far as the method's questions are
    open (:data:`OPEN_QUESTIONS`); through closed questions only when the
    concern is on the professionals' agenda. A concern raised is heard: it is on
    the agenda from then on (:func:`hear_concerns`).
    """
    open_part = OPEN_QUESTIONS[np.maximum(wk.view_method, 0)]
    draw = b.uniform("adoption", 0) < open_part
    own = wk.gave_view & (draw | b.state.on_agenda)
    hear_concerns(b, own)
    return own


def hear_concerns(b: Model, raised: np.ndarray) -> None:
    """Concerns raised in a view go on the professionals' agenda (closed questions ask next time).

    The agenda starts with ``agenda_overlap`` of people's concerns (an input);
    what open methods and a step model's "identify needs" step hear is added
    (behaviour), so a questionnaire's relative influence emerges from the design.
    """
    b.state.on_agenda |= raised


def adopt_views(b: Model, wk: Week) -> None:
    """Mechanism 4: decide which views are adopted and grow the action plan.

    Briefing paper: service users' views should be incorporated into action
    plans; how many are depends on the power shared (Needham & Carr 2009).
    A view given only in answer to questions set by professionals (its
    concern off their agenda) adds nothing of the user's own to the plan.
    The staff add items of their own every week (:func:`staff_agenda`).
    """
    st = b.state
    staff_agenda(b, wk)
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
