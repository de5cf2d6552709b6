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

from coprod_sim.state import Model, Week


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

    Briefing paper: the shift in power creates anxieties about risk.
    """
    lev, sf = b.lev, b.staff_state
    on = lev.mech_staff_anxiety
    if not on.any():
        return
    target = np.clip(1.4 * lev.power_sharing * (1 - sf.skill), 0, 1)
    np.add(sf.anxiety, b.constants.anxiety_pace * (target - sf.anxiety), out=sf.anxiety,
           where=on)


def update_openness(b: Model, wk: Week) -> None:
    """Mechanism 7c: skill and good experiences open staff up, saturating below 1.

    Briefing paper: the cultural shift needs training, and the benefits of
    coproduction are not immediate.

    Openness moves towards 1 by a share of the remaining gap each week, a share
    that grows with skill and with good experiences (the share of the changes
    adopted from users' views that have started to pay back, so openness
    follows benefits, which lag).
    It never runs backwards and never reaches 1; anxiety acts through
    organisational resistance (:func:`organisational_resistance`), not here.
    """
    sf, c = b.staff_state, b.constants
    on = b.lev.mech_staff_learning
    if not on.any():
        return
    good = np.where(b.plan_users > 0,
                    np.minimum(1.0, b.improvement / np.maximum(b.plan_users, 1)), 0.0)
    pace = c.openness_pace * (sf.skill + good[:, None])
    np.add(sf.openness, pace * (1.0 - sf.openness), out=sf.openness, where=on)


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
