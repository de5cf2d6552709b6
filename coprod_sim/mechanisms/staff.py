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

from coprod_sim.mechanisms.attendance import FOCUS, FORUM
from coprod_sim.mechanisms.meetings import staff_talk_share
from coprod_sim.mechanisms.steps import contact_boost, experience_boost, joint_evaluation
from coprod_sim.state import Model, Week


def train_staff(model: Model, wk: Week) -> None:
    """Mechanism 7a: training raises staff skill over the first weeks.

    Briefing paper: coproduction requires investment in staff training so staff
    feel confident applying it.
    """
    sf, c = model.staff_state, model.constants
    if model.levers.staff_training:
        sf.skill += c.training_pace * (c.trained_skill - sf.skill) * (sf.skill < c.trained_skill)


def update_anxiety(model: Model, wk: Week) -> None:
    """Mechanism 7b: anxiety about risk rises with power shared beyond staff skill.

    Briefing paper: the shift in power creates anxieties about risk. Each member
    moves towards their own target: the anxiety the power shift brings, their
    sensitivity to risk (drawn at set-up, :class:`coprod_sim.population.Staff`)
    x power shared x (1 - skill), or where they started when that is higher.
    So anxiety differs between staff and between runs, never falls below where
    it started, and falls back as training raises skill.
    Switched off, anxiety stays where it started (the power shift adds nothing).
    """
    s, sf = model.levers, model.staff_state
    if not s.mech_staff_anxiety:
        return
    shift = np.clip(sf.risk_sensitivity * s.power_sharing * (1 - sf.skill), 0, 1)
    target = np.maximum(sf.anxiety0, shift)
    sf.anxiety += model.constants.anxiety_pace * (target - sf.anxiety)


def contact(model: Model, wk: Week) -> np.ndarray:
    """Each staff member's contact with service users in this week's meetings.

    Seated staff meet the users of each forum or focus group held this week;
    in co-assessment every member of staff meets users to judge the change
    (:func:`coprod_sim.mechanisms.steps.joint_evaluation`). Each is weighted by
    the users' share of the talking time (1 - the staff's share,
    :func:`coprod_sim.mechanisms.meetings.staff_talk_share`) and strengthened in
    a step that builds alliances (:func:`coprod_sim.mechanisms.steps.contact_boost`).
    Otherwise staff who are not seated, and every design without meetings, have none.
    """
    sf, took = model.staff_state, wk.took
    held = int(took[:, FORUM].any()) + int(took[:, FOCUS].any())
    judged = joint_evaluation(model)
    if held == 0 and not judged:
        return np.zeros(sf.n)
    users = 1.0 - staff_talk_share(model.levers.power_sharing)
    # every member of staff on the change takes part in judging it with users
    return (sf.seat * (held * contact_boost(model)) + judged) * users


def update_openness(model: Model, wk: Week) -> None:
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
    s, sf, c = model.levers, model.staff_state, model.constants
    if not s.mech_staff_learning:
        return
    room = c.room_per_person * model.state.n
    good = model.improvement / (model.improvement + room)
    trained = np.maximum(sf.skill - sf.skill0, 0.0)
    pace = c.openness_pace * (trained + good * experience_boost(model)
                              + c.contact_weight * contact(model, wk))
    sf.openness += pace * (1.0 - sf.openness) - c.openness_decay * (sf.openness - sf.openness0)


def organisational_resistance(model: Model) -> float:
    """Mechanism 7d: the organisation's resistance to change (0-1).

    Policies and procedures (``organisational_resistance``) resist more when
    staff are anxious and less when they are open.
    """
    s, sf = model.levers, model.staff_state
    level = s.organisational_resistance * (0.6 + sf.anxiety.mean()) * (1.3 - sf.openness.mean())
    return float(np.clip(level, 0.0, 1.0))
