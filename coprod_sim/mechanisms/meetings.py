"""Mechanism 3: voice in meetings, understanding, and who the staff voices are.

Briefing paper: meetings let service users "not only contribute to but also
shape discussions", but forums and focus groups favour the confident and
articulate (Gibbs 1997); buddying helps people "understand and analyse the
information" (NLIAH 2010); a clear written vision and collaboratively created
ground rules foster mutual respect; jargon is a barrier; professional working
parties "are usually dominated with managerial/senior levels of staff".

Each support works through one path: a buddy lends confidence to a less
confident person (:func:`effective_confidence`, which then shapes who comes,
who is heard and who understands) and explains decisions to them (the
feedback mechanism treats a buddied person's unadopted view as explained:
the paper's buddy helps people "understand and analyse"); ground rules and a written vision flatten
who takes the talking time (mutual respect); plain language removes jargon.
"""

from __future__ import annotations

import numpy as np

from coprod_sim.mechanisms.attendance import FOCUS, FORUM, INTERVIEW, QUESTIONNAIRE
from coprod_sim.state import Model, Week

#: People below this starting confidence count as "less confident" for quiet_voice.
LESS_CONFIDENT = 0.4
#: Comprehension of a person of no health literacy, with jargon and in plain language
#: (assumption: plain language removes jargon, not every difference in what people follow).
JARGON_FLOOR, PLAIN_FLOOR = 0.3, 0.7


def buddied(model: Model) -> np.ndarray:
    """Who has a buddy: less confident people (below 0.5), when buddying is funded."""
    if not model.levers.buddying:
        return np.zeros(model.state.n, dtype=bool)
    return model.state.confidence < 0.5


def effective_confidence(model: Model) -> np.ndarray:
    """The confidence each person brings to an activity: their own, plus a buddy's.

    Briefing paper (NLIAH 2010): buddying pairs a service user who wants it
    with a professional. A buddy lends ``buddy_lift`` to people below 0.5.
    """
    st = model.state
    if not model.levers.buddying:
        return st.confidence
    return np.where(st.confidence < 0.5, np.minimum(1.0, st.confidence
                                                    + model.constants.buddy_lift),
                    st.confidence)


def comprehension(model: Model) -> np.ndarray:
    """How much of the discussion each person follows (0-1).

    Jargon lowers comprehension for people with low health literacy unless
    plain language is used (briefing paper, NLIAH 2010); in plain language
    people still differ by literacy, less (base ``PLAIN_FLOOR`` +
    (1 - ``PLAIN_FLOOR``) sqrt(literacy) against ``JARGON_FLOOR`` ... with
    jargon), so nobody follows everything for sure; understanding grows
    as confidence grows (a confident person asks when lost), so buddying and
    growing confidence help people analyse the information (NLIAH 2010).
    """
    s, st, c = model.levers, model.state, model.constants
    if not s.mech_jargon or s.plain_language:
        # no jargon: people still differ in what they follow (literacy), less so
        base = PLAIN_FLOOR + (1.0 - PLAIN_FLOOR) * np.sqrt(st.literacy)
    else:
        base = JARGON_FLOOR + (1.0 - JARGON_FLOOR) * np.sqrt(st.literacy)
    gain = c.understanding_from_confidence * (effective_confidence(model) - 0.5)
    return np.clip(base + (1.0 - base) * gain, 0.05, 1.0)


def share_voice(model: Model, wk: Week) -> None:
    """Mechanism 3: share talking time in each meeting and turn it into views.

    Talking time goes by (confidence x articulacy) to a power; ground rules
    and a written vision flatten it (briefing paper), and a buddy lends
    confidence. Each person's chance of giving a view follows their share of
    talking time and how much they understood; ``wk.heard`` keeps their share
    against a fair share (1 is fair) for the feedback on being heard.
    Interviews and questionnaires ask everyone the same questions, so each
    respondent gives a view as far as they understand it.
    """
    s, st, rng, c = model.levers, model.state, model.rng, model.constants
    view_weight = c.array("view_chance")
    if not wk.part.any():
        return
    comp = comprehension(model)
    model.understanding_sum += float(comp[wk.part].sum())
    model.understanding_n += int(np.count_nonzero(wk.part))
    conf_all = effective_confidence(model)
    view_chance = np.zeros(st.n)
    heard = np.zeros(st.n)
    best_method = np.full(st.n, -1)
    for method in (FORUM, FOCUS):
        who = np.flatnonzero(wk.took[:, method])
        if who.size == 0:
            continue
        k = c.voice_exponent if s.mech_voice_inequality else 0.0
        if s.ground_rules:
            k *= c.ground_rules_flatten
        if s.written_vision:
            k *= c.vision_flatten
        weight = (conf_all[who] * st.articulacy[who]) ** k * comp[who]
        weight = weight * rng.gamma(c.voice_noise_shape, 1.0 / c.voice_noise_shape, who.size)
        share = weight / weight.sum()
        st.airtime[who] += share
        st.meetings[who] += 1
        heard[who] = np.maximum(heard[who], share * who.size)
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
    wk.heard = heard
    st.views += wk.gave_view


def staff_talk_share(power_sharing: float) -> float:
    """The staff's share of a meeting's talking time: they talk more when less power is shared."""
    return 0.6 - 0.4 * power_sharing


def staff_voice(model: Model) -> None:
    """Share the staff's talking time in a meeting between managers and front-line staff.

    Staff talk more when less power is shared. Each seated staff member speaks
    up by their standing (a manager carries ``manager_weight`` when managers
    dominate) and their confidence in coproduction (skill from training), with
    the chance of the day; so front-line voice varies from meeting to meeting
    and grows when front-line staff are seated and trained (briefing paper:
    working parties are usually dominated by managers).
    """
    s, sf, c, rng = model.levers, model.staff_state, model.constants, model.rng
    seated = np.flatnonzero(sf.seat)
    if seated.size == 0:
        return
    staff_share = staff_talk_share(s.power_sharing)
    standing = np.where(sf.manager[seated],
                        c.manager_weight if s.mech_manager_dominance else 1.0, 1.0)
    weight = standing * (0.5 + sf.skill[seated]) * rng.gamma(
        c.voice_noise_shape, 1.0 / c.voice_noise_shape, seated.size)
    sf.airtime[seated] += staff_share * weight / weight.sum()


def gini(x: np.ndarray) -> float:
    """Gini coefficient of a non-negative array (0 equal, 1 one holds all).

    With the small-sample correction ``n / (n - 1)``, so that a meeting of 6 and
    one of 12 with the same spread of voices score alike.
    """
    n = x.size
    if n < 2 or x.sum() <= 0:
        return 0.0
    xs = np.sort(x)
    g = float((2.0 * np.arange(1, n + 1) - n - 1) @ xs / (n * xs.sum()))
    return min(1.0, g * n / (n - 1))
