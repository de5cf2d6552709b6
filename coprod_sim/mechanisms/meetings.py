"""Mechanism 3: voice in meetings, understanding, and who the staff voices are.

Briefing paper: meetings let service users "not only contribute to but also
shape discussions", but forums and focus groups favour the confident and
articulate (Gibbs 1997); buddying helps people "understand and analyse the
information" (NLIAH 2010); a clear written vision and collaboratively created
ground rules foster mutual respect; jargon is a barrier; professional working
parties "are usually dominated with managerial/senior levels of staff".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coprod_sim.mechanisms.attendance import FOCUS, FORUM, INTERVIEW, QUESTIONNAIRE

if TYPE_CHECKING:
    from coprod_sim.model import CoproductionModel, Week

#: People below this confidence count as "less confident" for quiet_voice.
LESS_CONFIDENT = 0.4


def comprehension(model: CoproductionModel) -> np.ndarray:
    """How much of the discussion each person follows (0-1).

    Jargon lowers comprehension for people with low health literacy unless
    plain language is used (briefing paper, NLIAH 2010); a clear written vision
    helps everyone follow (everyone 'singing from the same hymn sheet');
    buddying helps people analyse the information (NLIAH 2010).
    """
    s, st = model.levers, model.state
    if not s.mech_jargon or s.plain_language:
        c = np.ones(st.n)
    else:
        c = 0.3 + 0.7 * np.sqrt(st.literacy)
    if s.written_vision:
        c = np.minimum(1.0, c + 0.1)
    if s.buddying:
        c = np.where(st.confidence < 0.5, np.minimum(1.0, c + 0.15), c)
    return c


def share_voice(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 3: share talking time in each meeting and turn it into views.

    Talking time goes by (confidence x articulacy) to a power; ground rules,
    a written vision and buddying flatten it (briefing paper). Each person's
    chance of giving a view follows their share of talking time and how much
    they understood. Interviews and questionnaires ask everyone the same
    questions, so each respondent gives a view as far as they understand it.
    Records voice equality (1 - Gini of talking time) for each meeting.
    """
    s, st, rng, c = model.levers, model.state, model.rng, model.constants
    view_weight = c.array("view_chance")
    comp = model.comprehension
    view_chance = np.zeros(st.n)
    best_method = np.full(st.n, -1)
    for method in (FORUM, FOCUS):
        who = np.flatnonzero(wk.took[:, method])
        if who.size == 0:
            continue
        conf = st.confidence[who]
        if s.buddying:
            conf = np.where(conf < 0.5, conf + c.buddy_lift, conf)
        k = c.voice_exponent if s.mech_voice_inequality else 0.0
        if s.ground_rules:
            k *= c.ground_rules_flatten
        if s.written_vision:
            k *= c.vision_flatten
        weight = (conf * st.articulacy[who]) ** k * comp[who]
        share = weight / weight.sum()
        st.airtime[who] += share
        st.meetings[who] += 1
        model.tally["meetings"] += 1
        model.tally["equality_sum"] += 1.0 - gini(share)
        quiet = st.confidence0[who] < LESS_CONFIDENT
        model.tally["quiet_airtime"] += share[quiet].sum()
        model.tally["quiet_seats"] += quiet.sum() / who.size
        chance = np.minimum(1.0, share * who.size * view_weight[method])
        view_chance[who] = np.maximum(view_chance[who], chance)
        best_method[who] = np.where(best_method[who] < 0, method, best_method[who])
        staff_voice(model)
    for method in (INTERVIEW, QUESTIONNAIRE):
        who = np.flatnonzero(wk.took[:, method])
        if who.size == 0:
            continue
        chance = view_weight[method] * (0.5 + 0.5 * comp[who])
        view_chance[who] = np.maximum(view_chance[who], chance)
        best_method[who] = np.where(best_method[who] < 0, method, best_method[who])
    wk.gave_view = rng.random(st.n) < view_chance
    wk.view_method = best_method
    st.views += wk.gave_view


def staff_voice(model: CoproductionModel) -> None:
    """Share the staff's talking time in a meeting between managers and front-line staff.

    Staff talk more when less power is shared; among staff, managers take
    more than their share unless front-line staff are deliberately given seats
    (briefing paper: working parties are usually dominated by managers).
    """
    s, sf = model.levers, model.staff_state
    staff_share = 0.6 - 0.4 * s.power_sharing
    manager = model.constants.manager_weight if s.mech_manager_dominance else 1.0
    weight = np.where(sf.manager, manager, 1.0)
    weight = weight * sf.seat
    total = weight.sum()
    if total > 0:
        sf.airtime += staff_share * weight / total


def gini(x: np.ndarray) -> float:
    """Gini coefficient of a non-negative array (0 equal, near 1 one holds all)."""
    n = x.size
    if n < 2 or x.sum() <= 0:
        return 0.0
    xs = np.sort(x)
    return float((2.0 * np.arange(1, n + 1) - n - 1) @ xs / (n * xs.sum()))
