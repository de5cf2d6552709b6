"""Mechanism 3: voice in meetings, understanding, and who the staff voices are.

Briefing paper: meetings let service users "not only contribute to but also
shape discussions", but forums and focus groups favour the confident and
articulate (Gibbs 1997); buddying helps people "understand and analyse the
information" (NLIAH 2010); a clear written vision and collaboratively created
ground rules foster mutual respect; jargon is a barrier; professional working
parties "are usually dominated with managerial/senior levels of staff".

Each support works through one path: a buddy goes to meetings with a less
confident person and lends them confidence there (:func:`effective_confidence`,
which then shapes who comes to a meeting, who is heard in it and who
understands it: the paper's buddy helps people "understand and analyse the
information and views presented during meetings", NLIAH 2010); so a buddy
helps only people who meet with one, never a questionnaire's or an
interview's respondents; ground rules and a written vision flatten
who takes the talking time (mutual respect); plain language removes jargon.
"""

from __future__ import annotations

import numpy as np

from coprod_sim.mechanisms.steps import vision_held
from coprod_sim.randomness import gamma
from coprod_sim.state import FOCUS, FORUM, INTERVIEW, QUESTIONNAIRE, Model, Week

#: People below this starting confidence count as "less confident" for quiet_voice.
LESS_CONFIDENT = 0.4
#: Comprehension of a person of no health literacy, with jargon and in plain language
#: (assumption: plain language removes jargon, not every difference in what people follow).
JARGON_FLOOR, PLAIN_FLOOR = 0.3, 0.7


def buddied(b: Model) -> np.ndarray:
    """Who would meet with a buddy: less confident people (below 0.5), when buddying is funded."""
    return b.lev.buddying & (b.state.confidence < 0.5)


def effective_confidence(b: Model) -> np.ndarray:
    """The confidence each person brings to a meeting: their own, plus a buddy's.

    Briefing paper (NLIAH 2010): buddying pairs a service user who wants it
    with a professional, to help them understand and analyse what is presented
    in meetings. A buddy lends ``buddy_lift`` to people below 0.5, in forums
    and focus groups only (who comes, who is heard, who understands there).
    """
    st = b.state
    if not b.lev.buddying.any():
        return st.confidence
    lifted = np.minimum(1.0, st.confidence + b.constants.buddy_lift)
    return np.where(b.lev.buddying & (st.confidence < 0.5), lifted, st.confidence)


def comprehension(b: Model, confidence: np.ndarray | None = None) -> np.ndarray:
    """How much of the discussion each person follows (0-1).

    Jargon lowers comprehension for people with low health literacy unless
    plain language is used (briefing paper, NLIAH 2010); in plain language
    people still differ by literacy, less (base ``PLAIN_FLOOR`` +
    (1 - ``PLAIN_FLOOR``) sqrt(literacy) against ``JARGON_FLOOR`` ... with
    jargon), so nobody follows everything for sure; understanding grows
    as confidence grows (a confident person asks when lost), so buddying and
    growing confidence help people analyse the information (NLIAH 2010).
    ``confidence`` is the confidence people bring (:func:`effective_confidence`),
    if already known.
    """
    lev, st, c = b.lev, b.state, b.constants
    jargon = lev.mech_jargon & ~lev.plain_language
    root = np.sqrt(st.literacy)
    base = np.where(jargon, JARGON_FLOOR + (1.0 - JARGON_FLOOR) * root,
                    PLAIN_FLOOR + (1.0 - PLAIN_FLOOR) * root)
    confidence = effective_confidence(b) if confidence is None else confidence
    gain = c.understanding_from_confidence * (confidence - 0.5)
    return np.clip(base + (1.0 - base) * gain, 0.05, 1.0)


def share_voice(b: Model, wk: Week) -> None:
    """Mechanism 3: share talking time in each meeting and turn it into views.

    Talking time goes by (confidence x articulacy) to a power; ground rules
    and a written vision flatten it (briefing paper), and a buddy lends
    confidence. Each person's chance of giving a view follows their share of
    talking time and how much they understood; ``wk.heard`` keeps their share
    against a fair share (1 is fair) for the feedback on being heard.
    Interviews and questionnaires ask everyone the same questions, so each
    respondent gives a view as far as they understand it. The chance of the
    day in talking time is gamma noise (mean 1, shape ``voice_noise_shape``).
    """
    lev, st, c = b.lev, b.state, b.constants
    if not wk.part.any():
        return
    view_weight = c.array("view_chance")
    conf_all = effective_confidence(b)  # in a meeting, a buddy's confidence included
    comp = comprehension(b, conf_all)
    if lev.buddying.any():  # elsewhere no buddy: each person's own confidence
        comp_alone = comprehension(b, st.confidence)
        in_meeting = wk.took[FORUM] | wk.took[FOCUS]
        b.understanding_sum += np.where(wk.part, np.where(in_meeting, comp, comp_alone),
                                        0.0).sum(axis=-1)
    else:
        comp_alone = comp
        b.understanding_sum += np.where(wk.part, comp, 0.0).sum(axis=-1)
    b.understanding_n += wk.part.sum(axis=-1)
    view_chance = np.zeros((b.B, b.n))
    heard = np.zeros((b.B, b.n))
    best_method = np.full((b.B, b.n), -1)
    k = np.where(lev.mech_voice_inequality, c.voice_exponent, 0.0)
    k = np.where(lev.ground_rules, k * c.ground_rules_flatten, k)
    k = k * (1.0 - (1.0 - c.vision_flatten) * vision_held(b))  # written or co-created
    for draw, method in enumerate((FORUM, FOCUS)):
        who = wk.took[method]
        size = who.sum(axis=-1)
        met = size > 0
        if not met.any():
            continue
        noise = np.ones((b.B, b.n))
        noise[who] = gamma(b.uniform("voice", draw)[who], c.voice_noise_shape,
                           1.0 / c.voice_noise_shape)
        weight = np.where(who, (conf_all * st.articulacy) ** k * comp * noise, 0.0)
        # each group the plan runs holds its own meeting (attendance.meeting_groups)
        total = per_group(b, weight)
        share = weight / np.where(total > 0, total, 1.0)
        count = np.maximum(per_group(b, who.astype(float)), 1.0)
        st.airtime += share
        np.add(st.meetings, 1, out=st.meetings, where=who)
        heard = np.where(who, np.maximum(heard, share * count), heard)
        record_voice(b, share, who, wk.invited[method])
        chance = np.minimum(1.0, share * count * view_weight[method])
        view_chance = np.where(who, np.maximum(view_chance, chance), view_chance)
        best_method = np.where(who & (best_method < 0), method, best_method)
        staff_voice(b, met, draw + 2)
    for method in (INTERVIEW, QUESTIONNAIRE):
        who = wk.took[method]
        if not who.any():
            continue
        chance = view_weight[method] * (0.5 + 0.5 * comp_alone)
        view_chance = np.where(who, np.maximum(view_chance, chance), view_chance)
        best_method = np.where(who & (best_method < 0), method, best_method)
    wk.gave_view = b.uniform("voice", 4) < view_chance
    wk.view_method = best_method
    wk.heard = heard
    np.add(st.views, 1, out=st.views, where=wk.gave_view)


def per_group(b: Model, values: np.ndarray) -> np.ndarray:
    """Each person's group total of ``values`` (runs x people): the sum over their meeting."""
    if b.one_group:
        return np.broadcast_to(values.sum(axis=-1, keepdims=True), values.shape)
    return np.take_along_axis(group_sums(b, values), b.group_of, axis=-1)


def group_sums(b: Model, values: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
    """Sums of ``values`` (runs x people) over each group the plan runs: runs x groups.

    ``group`` is each entry's group (default: each person's, ``b.group_of``).
    """
    width = b.group_start.shape[-1]
    group = b.group_of if group is None else group
    flat = (np.arange(b.B)[:, None] * width + group).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=b.B * width).reshape(b.B, width)


def voice_standing(b: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People in order of their standing in a meeting, lowest first; fixed for a run.

    Standing is starting confidence x articulacy (what the paper says groups
    favour: Gibbs 1997), ordered within each group the plan runs. Returns the
    order as flat indices into ``(runs x people)`` arrays, each ordered
    person's group, and who is less confident (starting confidence below
    ``LESS_CONFIDENT``, runs x people).
    """
    def make():
        st = b.state
        order = np.argsort(st.confidence0 * st.articulacy, axis=-1, kind="stable")
        grp = np.take_along_axis(b.group_of, order, axis=-1)
        order = np.take_along_axis(order, np.argsort(grp, axis=-1, kind="stable"), axis=-1)
        flat = (order + np.arange(b.B)[:, None] * b.n).ravel()
        return (flat, np.take_along_axis(b.group_of, order, axis=-1),
                st.confidence0 < LESS_CONFIDENT)

    return b.once("voice_standing", make)


def record_voice(b: Model, share: np.ndarray, who: np.ndarray, invited: np.ndarray) -> None:
    """Tally one meeting's equal voice and quiet voice over the people it was meant for.

    Both are measured over everyone invited to the meeting (a person who did
    not come has no voice), so excluding people never scores as equality:

    - equal voice: 1 - |C|, where C is the concentration index (Wagstaff, Paci
      & van Doorslaer 1991; Kakwani, Wagstaff & van Doorslaer 1997) of talking
      time across the invited ranked by their standing (confidence x
      articulacy, :func:`voice_standing`): ``C = 2 sum(share_i r_i) - 1`` with
      ``r_i`` the fractional rank among the invited. 0 when talking time goes
      evenly across people of every standing (whoever is absent, absent at
      random), near 1 when the most confident hold it all, whether by talking
      over the others or because the others stayed away;
    - quiet voice: the talking time of less confident people against their
      share of the invited.

    One meeting per group held (a group with someone present).
    """
    tally = b.tally
    flat, group_sorted, quiet = voice_standing(b)
    shape = share.shape
    inv = invited.ravel()[flat].reshape(shape)
    share_sorted = share.ravel()[flat].reshape(shape)  # 0 for people not present
    running = np.cumsum(inv, axis=-1)
    quiet_invited = invited & quiet
    if b.one_group:
        n_inv = np.maximum(running[:, -1:], 1)
        c_index = 2.0 * (share_sorted * (running - 0.5)).sum(axis=-1) / n_inv[:, 0] - 1.0
        held = who.any(axis=-1)
        quiet_share = quiet_invited.sum(axis=-1) / n_inv[:, 0]
        tally["meetings"] += held
    else:
        starts = b.group_start
        edge = np.concatenate([np.zeros((b.B, 1), dtype=running.dtype), running], axis=-1)
        before_g = np.take_along_axis(edge, starts, axis=-1)  # invited before each group
        sizes = np.diff(np.concatenate([starts, np.full((b.B, 1), b.n)], axis=-1), axis=-1)
        n_g = np.take_along_axis(edge, starts + sizes, axis=-1) - before_g
        before = np.take_along_axis(before_g, group_sorted, axis=-1)
        n_inv = np.take_along_axis(n_g, group_sorted, axis=-1).astype(float)
        r = (running - before - 0.5) / np.maximum(n_inv, 1.0)
        c_index = 2.0 * group_sums(b, share_sorted * r, group_sorted) - 1.0
        held = group_sums(b, who.astype(float)) > 0
        quiet_share = group_sums(b, quiet_invited.astype(float)) / np.maximum(
            group_sums(b, invited.astype(float)), 1.0)
        tally["meetings"] += held.sum(axis=-1)
        c_index = np.where(held, c_index, 1.0)  # no meeting in that group: adds nothing
        quiet_share = np.where(held, quiet_share, 0.0).sum(axis=-1)
        c_index = (1.0 - np.abs(c_index)).sum(axis=-1)
        tally["equality_sum"] += c_index
        tally["quiet_airtime"] += np.where(who & quiet, share, 0.0).sum(axis=-1)
        tally["quiet_seats"] += quiet_share
        return
    tally["equality_sum"] += np.where(held, 1.0 - np.abs(c_index), 0.0)
    tally["quiet_airtime"] += (share * quiet).sum(axis=-1)
    tally["quiet_seats"] += np.where(held, quiet_share, 0.0)


def staff_talk_share(power_sharing: np.ndarray | float) -> np.ndarray | float:
    """The staff's share of a meeting's talking time: they talk more when less power is shared."""
    return 0.6 - 0.4 * power_sharing


def staff_voice(b: Model, met: np.ndarray, draw: int = 2) -> None:
    """Share the staff's talking time in a meeting between managers and front-line staff.

    Staff talk more when less power is shared. Each seated staff member speaks
    up by their standing (a manager carries ``manager_weight`` when managers
    dominate) and their confidence in coproduction (skill from training), with
    the chance of the day; so front-line voice varies from meeting to meeting
    and grows when front-line staff are seated and trained (briefing paper:
    working parties are usually dominated by managers). ``met`` marks the runs
    that held the meeting.
    """
    lev, sf, c = b.lev, b.staff_state, b.constants
    seated = sf.seat & met[:, None]
    if not seated.any():
        return
    staff_share = staff_talk_share(lev.power_sharing)
    dominance = np.where(lev.mech_manager_dominance, c.manager_weight, 1.0)
    standing = np.where(sf.manager, dominance, 1.0)
    noise = np.ones(seated.shape)
    noise[seated] = gamma(b.uniform("voice", draw, b.m)[seated], c.voice_noise_shape,
                          1.0 / c.voice_noise_shape)
    weight = np.where(seated, standing * (0.5 + sf.skill) * noise, 0.0)
    total = weight.sum(axis=-1, keepdims=True)
    sf.airtime += np.where(seated, staff_share * weight / np.where(total > 0, total, 1.0), 0.0)


def gini(x: np.ndarray, member: np.ndarray | None = None) -> np.ndarray | float:
    """Gini coefficient of non-negative values (0 equal, 1 one holds all), per row.

    With the small-sample correction ``n / (n - 1)``, so that a meeting of 6 and
    one of 12 with the same spread of voices score alike. ``member`` marks the
    entries of each row that count (default: all); a 1-D ``x`` gives a float.
    """
    if x.ndim == 1:
        return float(gini(x[None, :], None if member is None else member[None, :])[0])
    if member is None:
        member = np.ones(x.shape, dtype=bool)
    n = member.sum(axis=-1)
    width = x.shape[-1]
    xs = np.sort(np.where(member, x, -1.0), axis=-1)  # non-members first
    inside = xs >= 0
    xs = np.where(inside, xs, 0.0)
    rank = np.arange(1.0, width + 1) - (width - n)[:, None]  # 1..n over the members
    total = xs.sum(axis=-1)
    ok = (n >= 2) & (total > 0)
    safe_n = np.where(ok, n, 2)
    g = ((2.0 * rank - safe_n[:, None] - 1) * xs).sum(axis=-1) / (
        safe_n * np.where(ok, total, 1.0))
    return np.where(ok, np.minimum(1.0, g * safe_n / (safe_n - 1)), 0.0)
