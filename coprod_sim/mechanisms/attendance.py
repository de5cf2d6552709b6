"""Mechanisms 1-2: activities on their cadence, invitations, and who takes part.

Briefing paper: "There are various methods to engage service users, such as
approaching established forums, developing bespoke focus groups, conducting
semi-structured interviews or administering questionnaires"; forums and focus
groups are "less accessible to those that are less confident and/or
articulate"; interviews and questionnaires "may reduce some of the barriers";
practical barriers (large print, jargon, hearing loops, venues, time of day,
out-of-pocket costs) must be acknowledged and overcome (NLIAH 2010).

Meetings have seats: a forum seats ``forum_seats`` people, a focus group
``focus_group_size``; so how many people a meeting holds does not grow with
the number of people affected.
"""

from __future__ import annotations

import numpy as np

from coprod_sim.population import METHODS, NEED_LEVER, NEEDS, engaged_index
from coprod_sim.state import Model, Week

FORUM, FOCUS, INTERVIEW, QUESTIONNAIRE = range(4)

#: How deep each method goes: 1 light (a form), 2 a conversation, 3 partnership.
DEPTH = np.array([3, 2, 2, 1])
#: Hours a person spends per activity (forum and focus group use meeting_hours).
HOURS = np.array([np.nan, np.nan, 1.0, 0.3])
#: Which needs are barriers to which method (rows NEEDS, columns METHODS): a
#: description of the methods (a form needs print and, online, a connection;
#: interviews can be at home), not a fitted number.
BARRIER_WEIGHT = np.array([
    # forum focus interview questionnaire
    [1.0, 1.0, 0.0, 1.0],   # large print (papers, forms)
    [1.0, 1.0, 0.5, 0.0],   # hearing
    [1.0, 1.0, 0.0, 0.0],   # physical access (interviews can be at home)
    [1.0, 1.0, 0.5, 0.0],   # time of day
    [1.0, 1.0, 0.5, 0.0],   # cost of taking part
    [0.5, 0.5, 0.0, 1.0],   # digital exclusion (papers by email; online forms)
    [0.5, 0.5, 0.3, 1.0],   # low health literacy meets jargon
])
#: Weeks that count as "involved" for peers: half a year, longer than the longest
#: usual cadence (a quarterly questionnaire), so a peer who answered the last round
#: still counts when the next one comes.
INVOLVED_WEEKS = 26


def running_methods(model: Model, week: int) -> np.ndarray:
    """Mechanism 1: which methods meet this week, on their cadence.

    Returns a bool per method in :data:`~coprod_sim.population.METHODS` order.
    """
    s = model.levers
    use = (s.use_forum, s.use_focus_groups, s.use_interviews, s.use_questionnaire)
    every = (s.forum_every_weeks, s.focus_group_every_weeks, s.interview_every_weeks,
             s.questionnaire_every_weeks)
    return np.array([u and week % e == 0 for u, e in zip(use, every, strict=True)])


def unmet_barriers(model: Model) -> np.ndarray:
    """Each person's unmet needs (n x len(NEEDS) bools): needs whose adjustment is off.

    A barrier that meets its adjustment costs nothing (model brief, step 5).
    """
    s = model.levers
    if not s.mech_barriers:
        return np.zeros_like(model.state.needs)
    off = np.array([not s[NEED_LEVER[need]] for need in NEEDS])
    return model.state.needs & off


def barrier_penalty(model: Model) -> np.ndarray:
    """Log-odds lost by each person for each method from unmet needs (n x 4)."""
    unmet = unmet_barriers(model).astype(float)
    return (unmet * model.constants.array("barrier_strength")) @ BARRIER_WEIGHT


def involved(model: Model) -> np.ndarray:
    """Who is involved, as a peer sees it: took part in the last half year, still engaged."""
    st = model.state
    recent = np.maximum(st.last_part, st.joined_week)
    return (model.week - recent < INVOLVED_WEEKS) & st.engaged


def peer_count(model: Model) -> np.ndarray:
    """How many of each person's peers are involved (took part in the last half year)."""
    active = involved(model).astype(float)
    return np.bincount(model.edges_src, weights=active[model.edges_dst], minlength=model.state.n)


def peer_share(model: Model) -> np.ndarray:
    """Share of each person's peers who are involved (took part in the last half year)."""
    return peer_count(model) / np.maximum(model.degree, 1.0)


def peers_felt(model: Model, count: np.ndarray | None = None) -> np.ndarray:
    """Involved peers as each person feels them (a peer support network makes each count more).

    Granovetter's (1978) thresholds are a number of others already taking
    part; a peer support network (``peer_support``, Boyle et al. 2010) makes
    each involved peer count ``1 + peer_support_boost`` times.
    """
    s, c = model.levers, model.constants
    count = peer_count(model) if count is None else count
    return count * (1.0 + c.peer_support_boost * s.peer_support)


def peer_pull(model: Model) -> np.ndarray:
    """Log-odds added by peers: a Granovetter (1978) threshold, 0 or the full pull.

    A person is pulled in once the number of their peers who are involved
    reaches their own threshold (:func:`peers_felt`; a count, as in
    Granovetter's model, so a person with many ties is not held back by the
    ones who stay away), and from then on stays pulled (they have joined, until
    they drop out); the pull is ``peer_weight``, and a funded peer support
    network (``peer_support``, Boyle et al. 2010) makes it stronger (times
    ``1 + peer_support_boost``). The tipping this gives: see :data:`TIPPING`.
    """
    s, c, st = model.levers, model.constants, model.state
    weight = s.peer_weight * (1.0 + c.peer_support_boost * s.peer_support)
    new = ~st.joined & (peers_felt(model) >= st.threshold) & st.engaged
    st.joined |= new
    st.joined_week[new] = model.week
    return weight * st.joined


#: Where the threshold model of joining tips (Granovetter 1978): in the
#: ``peer_tipping`` scenario (everyone invited, few reached, a peer support
#: network, 104 weeks), ``ever_took_part`` stays low while invitations reach
#: fewer than about one in ten, then jumps (about +0.2 to +0.3 for +0.025 of
#: reach, near 0.1-0.15) and levels off near everyone: below it too few people
#: anywhere have enough involved peers (their threshold, a count: mean
#: ``threshold_mean`` with a peer support network counting each peer twice)
#: for joining to spread; above it each person who joins takes their peers
#: over theirs and the cascade runs through the network
#: (:func:`coprod_sim.mechanisms.turnover.recruit_peers`). Without peer
#: recruitment the same range of reach moves participation smoothly and
#: little. ``tests/test_peers.py`` checks it; chart (``coprod-sim validate``,
#: docs/validation.md): ``outcome`` against ``lever`` over ``range`` in steps
#: of ``step``.
TIPPING = {"preset": "peer_tipping", "lever": "invitation_reach", "range": (0.05, 0.5),
           "step": 0.025, "outcome": "ever_took_part", "weeks": 104}


def commitment_pull(model: Model) -> np.ndarray:
    """Log-odds each person adds to coming to the standing forum: their commitment.

    Commitment to a standing group (Piliavin, Grube & Callero 2002: taking part
    builds a role identity that keeps people coming; Agass et al. 1991 and the
    paper, Gibbs 1997: forums keep a small self-selected core of the already
    engaged) is ``commitment_weight`` at full commitment, 0 when
    ``mech_commitment`` is off. It builds and fades in :func:`commit`.
    """
    if not model.levers.mech_commitment:
        return np.zeros(model.state.n)
    return model.constants.commitment_weight * model.state.commitment


def commit(model: Model, wk: Week) -> None:
    """Commitment to the standing forum builds with each meeting attended and fades when missed.

    A habit and a role (Piliavin, Grube & Callero 2002): each forum meeting a
    person comes to closes ``commitment_gain`` of the gap to full commitment;
    each one they are invited to and miss loses ``commitment_decay`` of it (so
    someone who stops coming loses the habit within a few meetings). Part of
    the attendance mechanism, switched by ``mech_commitment``.
    """
    s, st, c = model.levers, model.state, model.constants
    if not s.mech_commitment or not wk.running[FORUM]:
        return
    came = wk.took[:, FORUM]
    missed = wk.invited[:, FORUM] & ~came
    st.commitment[came] += c.commitment_gain * (1.0 - st.commitment[came])
    st.commitment[missed] *= 1.0 - c.commitment_decay


def invite(model: Model, wk: Week) -> None:
    """Mechanism 1: invitations reach people by each method's reach.

    Forums invite the people who know the forum exists (Agass et al. 1991: far
    more know a group than attend); focus groups recruit until enough accept
    to fill the seats after the expected no-shows (over-recruitment,
    ``focus_group_no_show``), asking the already engaged first; interviews
    sample a few people; questionnaires go to all.
    """
    s, st, rng = model.levers, model.state, model.rng
    pool = st.reached & st.engaged
    invited = np.zeros((st.n, 4), dtype=bool)
    if wk.running[FORUM]:
        invited[:, FORUM] = pool & st.aware_forum
    idx = np.flatnonzero(pool)
    if wk.running[FOCUS] and idx.size:
        invited[idx, FOCUS] = True  # asked in turn (see _choose)
    if wk.running[INTERVIEW] and idx.size:
        k = min(idx.size, s.interviews_per_round)
        invited[rng.choice(idx, size=k, replace=False), INTERVIEW] = True
    if wk.running[QUESTIONNAIRE]:
        invited[:, QUESTIONNAIRE] = pool
    wk.invited = invited


def decide_attendance(model: Model, wk: Week) -> None:
    """Mechanism 2: each invited person decides whether to take part.

    Motivation, trust and efficacy raise the chance; every unmet barrier lowers
    it; peers who are involved pull people in past their threshold
    (Granovetter 1978); forums and focus groups favour the confident and
    articulate (Gibbs 1997, cited by the paper); a clear purpose helps people
    choose to come (GSCC et al. 2007); commitment to a standing forum, built by
    coming, keeps its members coming (Piliavin, Grube & Callero 2002;
    :func:`commit`). Meetings have seats: when more want a forum seat than
    there are, regulars keep theirs (the self-selected core).
    """
    s, st = model.levers, model.state
    took = _choose(model, wk) if wk.invited.any() else wk.invited
    part = took.any(axis=1)
    hours = HOURS.copy()
    hours[FORUM] = hours[FOCUS] = s.meeting_hours
    wk.took, wk.part = took, part
    wk.hours = took @ hours
    wk.depth = np.where(part, (took * DEPTH).max(axis=1), 0)
    commit(model, wk)
    if part.any():
        st.last_part[part] = model.week
        st.times += took.sum(axis=1)
        st.method_times += took
        st.ever_part |= part
        first = took[:, FORUM] & (st.forum_first < 0)
        st.forum_first[first] = model.week


def drive(model: Model) -> np.ndarray:
    """Each person's log-odds of taking part, before the method and its barriers."""
    s, st, c = model.levers, model.state, model.constants
    d = (c.drive_motivation * (st.motivation - 0.5) + c.drive_trust * (st.trust - 0.5)
         + c.drive_efficacy * (st.efficacy - 0.35)
         + c.drive_purpose * (model.clarity - 0.5))
    if s.mech_segment_gap:
        d = d + st.base_offset
    if s.mech_peer_influence:
        d = d + peer_pull(model)
    return d


def attendance_chance(model: Model) -> np.ndarray:
    """Chance that each person takes part in each method if invited (n x 4).

    Log-odds: the method's base chance, plus the person's drive (motivation,
    trust, efficacy, a clear purpose, the segment gap, peers), minus unmet
    barriers (for focus groups, at the show-up instead: see :func:`_choose`),
    plus confidence and articulacy for groups. Confidence is the
    confidence the person brings, a buddy's included (see
    :func:`coprod_sim.mechanisms.meetings.effective_confidence`).
    """
    from coprod_sim.mechanisms.meetings import effective_confidence

    s, st, c = model.levers, model.state, model.constants
    chance = np.append(c.array("base_chance"), s.questionnaire_response_rate)
    base = np.log(chance / (1 - chance))
    base[QUESTIONNAIRE] += c.questionnaire_calibration
    logit = base + drive(model)[:, None] - model.barrier_penalty
    # Focus groups: practical barriers act on the day, when an accepted person
    # turns up or not (_choose), not at the asking as well (each acts once).
    logit[:, FOCUS] += model.barrier_penalty[:, FOCUS]
    logit[:, FORUM] += commitment_pull(model)
    if s.mech_confidence_bias:
        logit = logit + np.outer(effective_confidence(model) - 0.5, c.array("confidence_bias")) \
            + np.outer(st.articulacy - 0.5, c.array("articulacy_bias"))
    return 1.0 / (1.0 + np.exp(-logit))


def _choose(model: Model, wk: Week) -> np.ndarray:
    """Draw who takes part among the invited (n x 4 bools), within the seats."""
    s, st, rng, c = model.levers, model.state, model.rng, model.constants
    p = attendance_chance(model)
    took = wk.invited & (rng.random(p.shape) < p)
    # Forum: at most forum_seats; regulars (most meetings so far) keep their seats.
    willing = np.flatnonzero(took[:, FORUM])
    if willing.size > s.forum_seats:
        order = np.lexsort((rng.random(willing.size), -st.method_times[willing, FORUM]))
        took[willing[order[s.forum_seats:]], FORUM] = False
    # Focus group: asked in turn until enough accept to cover the expected
    # no-shows; then each accepted person turns up or not; the first
    # focus_group_size take seats. Each influence acts once: drive (motivation,
    # trust, efficacy, purpose, peers) and confidence decide who accepts;
    # practical barriers (travel, cost, access, the time of day) decide who
    # turns up on the day (``show_base`` less the person's unmet barriers).
    if wk.running[FOCUS]:
        # Organisers ask people in turn, the already engaged likelier to be asked
        # (weights exp(recruit_skew x engaged index): the same mix at any size).
        accepted = np.flatnonzero(took[:, FOCUS])
        want = int(np.ceil(s.focus_group_size / (1.0 - s.focus_group_no_show)))
        if accepted.size > want:
            w = np.exp(c.recruit_skew * engaged_index(st)[accepted])
            accepted = rng.choice(accepted, size=want, replace=False, p=w / w.sum())
        st.focus_accepted[accepted] += 1
        show_logit = c.show_base - model.barrier_penalty[accepted, FOCUS]
        shows = accepted[rng.random(accepted.size) < 1.0 / (1.0 + np.exp(-show_logit))]
        took[:, FOCUS] = False
        took[shows[: s.focus_group_size], FOCUS] = True
        wk.focus_accepted = int(accepted.size)
        wk.focus_seats = int(s.focus_group_size)
    return took


__all__ = ["METHODS", "running_methods", "invite", "decide_attendance", "unmet_barriers",
           "barrier_penalty", "peer_share", "peer_pull", "involved", "attendance_chance",
           "drive", "commitment_pull", "commit", "TIPPING"]
