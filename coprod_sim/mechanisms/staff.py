"""Mechanism 7: staff anxiety, openness and organisational resistance.

Briefing paper: "The shift in the balance of power between professionals and
service users in coproduction can create anxieties in relation to issues such
as risk and with existing policies and procedures acting as barriers as well,
this may create organisations that are resistant to change." It "requires
investment in staff training to help them understand the principles" so that
they "feel confident in applying coproduction in practice" (the cultural shift).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from coprod_sim.model import CoproductionModel, Week



def train_staff(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 7a: training raises staff skill over the first weeks.

    Briefing paper: coproduction requires investment in staff training so staff
    feel confident applying it.
    """
    sf, c = model.staff_state, model.constants
    if model.levers.staff_training:
        sf.skill += c.training_pace * (c.trained_skill - sf.skill) * (sf.skill < c.trained_skill)


def update_anxiety(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 7b: anxiety about risk rises with power shared beyond staff skill.

    Briefing paper: the shift in power creates anxieties about risk.
    """
    s, sf = model.levers, model.staff_state
    if not s.mech_staff_anxiety:
        return
    target = np.clip(1.4 * s.power_sharing * (1 - sf.skill), 0, 1)
    sf.anxiety += model.constants.anxiety_pace * (target - sf.anxiety)


def update_openness(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 7c: skill and good experiences open staff up; anxiety closes them.

    Briefing paper: the cultural shift needs training, and the benefits of
    coproduction are not immediate.

    A good experience is a change adopted from users' views that has started
    to pay back (so openness follows benefits, which lag).
    """
    s, sf = model.levers, model.staff_state
    if not s.mech_staff_learning:
        return
    good = min(1.0, model.benefit_flow / (s.value_per_view * 10 + 1e-9))
    sf.openness += 0.006 * (sf.skill - 0.4) + 0.004 * good - 0.01 * np.maximum(sf.anxiety - 0.3, 0)
    np.clip(sf.openness, 0, 1, out=sf.openness)


def organisational_resistance(model: CoproductionModel) -> float:
    """Mechanism 7d: the organisation's resistance to change (0-1).

    Policies and procedures (``organisational_resistance``) resist more when
    staff are anxious and less when they are open.
    """
    s, sf = model.levers, model.staff_state
    level = s.organisational_resistance * (0.6 + sf.anxiety.mean()) * (1.3 - sf.openness.mean())
    return float(np.clip(level, 0.0, 1.0))
