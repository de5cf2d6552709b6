"""Mechanism 7: staff anxiety, openness and organisational resistance.

Briefing paper: "The shift in the balance of power between professionals and
service users in coproduction can create anxieties in relation to issues such
as risk and with existing policies and procedures acting as barriers as well,
this may create organisations that are resistant to change." It "requires
investment in staff training to help them understand the principles" so that
they "feel confident in applying coproduction in practice" (the cultural shift).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.mechanisms.meetings import staff_talk_share
from coprod_sim.mechanisms.steps import contact_boost, experience_boost, joint_evaluation
from coprod_sim.state import FOCUS, FORUM, Model, Week


def train_staff(b: Model, wk: Week) -> None:
    """Mechanism 7a: training raises staff skill over the first weeks.

    Briefing paper: coproduction requires investment in staff training so staff
    feel confident applying it.
    """
    sf, c = b.staff_state, b.constants
    on = b.lev.staff_training
    if on.any():
        np.add(sf.skill, c.training_pace * (c.trained_skill - sf.skill), out=sf.skill,
               where=on & (sf.skill < c.trained_skill))


def update_anxiety(b: Model, wk: Week) -> None:
    """Mechanism 7b: anxiety about risk rises with power shared beyond staff skill.

    Briefing paper: the shift in power creates anxieties about risk. Each member
    moves towards their own target: the anxiety the power shift brings, their
    sensitivity to risk (drawn at set-up, :class:`coprod_sim.population.Staff`)
    x power shared x (1 - skill), or where they started when that is higher.
    So anxiety differs between staff and between runs, never falls below where
    it started, and falls back as training raises skill.
    Switched off, anxiety stays where it started (the power shift adds nothing).
    """
    lev, sf = b.lev, b.staff_state
    on = lev.mech_staff_anxiety
    if not on.any():
        return
    shift = np.clip(sf.risk_sensitivity * lev.power_sharing * (1 - sf.skill), 0, 1)
    target = np.maximum(sf.anxiety0, shift)
    np.add(sf.anxiety, b.constants.anxiety_pace * (target - sf.anxiety), out=sf.anxiety,
           where=on)


def contact(b: Model, wk: Week) -> np.ndarray:
    """Each staff member's contact with service users in this week's meetings.

    Seated staff meet the users of each forum or focus group held this week;
    in co-assessment every member of staff meets users to judge the change
    (:func:`coprod_sim.mechanisms.steps.joint_evaluation`). Each is weighted by
    the users' share of the talking time (1 - the staff's share,
    :func:`coprod_sim.mechanisms.meetings.staff_talk_share`) and strengthened in
    a step that builds alliances (:func:`coprod_sim.mechanisms.steps.contact_boost`).
    Otherwise staff who are not seated, and every design without meetings, have none.
    """
    sf, took = b.staff_state, wk.took
    held = took[FORUM].any(axis=-1).astype(float) + took[FOCUS].any(axis=-1)
    judged = joint_evaluation(b)
    if not held.any() and not judged.any():
        return np.zeros(sf.seat.shape)
    users = 1.0 - staff_talk_share(b.lev.power_sharing)
    # every member of staff on the change takes part in judging it with users
    return (np.where(sf.seat, (held * contact_boost(b))[:, None], 0.0)
            + judged[:, None]) * users


def update_openness(b: Model, wk: Week) -> None:
    """Mechanism 7c: contact, skill and good experiences open staff up, below 1.

    Briefing paper: the cultural shift needs training, and the benefits of
    coproduction are not immediate.

    Openness moves towards 1 by a share of the remaining gap each week, a share
    that grows with the skill staff gained in training, with good experiences
    (how much of the room for improvement the changes adopted from users' views
    have filled once they started to pay back,
    ``improvement / (improvement + room_per_person x people)``, as the benefit
    flow saturates; so openness follows benefits, which lag, and a handful of
    adopted views is a handful of good experiences; counted twice over when staff and
    users judge the change together, :func:`coprod_sim.mechanisms.steps.experience_boost`)
    and with contact with service users in meetings (:func:`contact`, weight
    ``contact_weight``). What was gained slips back towards where staff started
    by ``openness_decay`` a week, so without training, contact or good
    experiences nothing opens staff up (the cultural shift has causes), and
    openness gained falls back when they stop. It never reaches 1; anxiety acts
    through organisational resistance (:func:`organisational_resistance`), not here.
    Switched off, openness never changes (the step models' alliance and
    evaluation steps act through this mechanism, so they stop too).
    """
    sf, c = b.staff_state, b.constants
    on = b.lev.mech_staff_learning
    if not on.any():
        return
    room = c.room_per_person * b.n
    good = b.improvement / (b.improvement + room)
    judged = joint_evaluation(b)
    if judged.any():  # otherwise every factor is 1
        good = good * experience_boost(b)
    trained = np.maximum(sf.skill - sf.skill0, 0.0)
    learning = trained + good[:, None]
    if wk.running[:, :2].any() or judged.any():  # otherwise nobody had contact with users
        learning = learning + c.contact_weight * contact(b, wk)
    pace = c.openness_pace * learning
    change = pace * (1.0 - sf.openness) - c.openness_decay * (sf.openness - sf.openness0)
    np.add(sf.openness, change, out=sf.openness, where=on)


def organisational_resistance(b: Model) -> np.ndarray:
    """Mechanism 7d: the organisation's resistance to change (0-1), per run.

    Policies and procedures (``organisational_resistance``) resist more when
    staff are anxious and less when they are open.
    """
    sf = b.staff_state
    m = sf.anxiety.shape[-1]
    level = (b.lev.organisational_resistance[:, 0] * (0.6 + sf.anxiety.sum(axis=-1) / m)
             * (1.3 - sf.openness.sum(axis=-1) / m))
    return np.clip(level, 0.0, 1.0)
