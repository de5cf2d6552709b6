"""Mechanisms 1-2: activities on their cadence, invitations, and who takes part.

Briefing paper: "There are various methods to engage service users, such as
approaching established forums, developing bespoke focus groups, conducting
semi-structured interviews or administering questionnaires"; forums and focus
groups are "less accessible to those that are less confident and/or
articulate"; interviews and questionnaires "may reduce some of the barriers";
practical barriers (large print, jargon, hearing loops, venues, time of day,
out-of-pocket costs) must be acknowledged and overcome (NLIAH 2010).

Meetings have seats: a forum seats ``forum_seats`` people, a focus group
``focus_group_size``. A plan for more people runs more groups of the same
size: one forum group, one focus group and ``interviews_per_round`` interviews
for every ``people_per_group`` people affected (:func:`meeting_groups`; each
person belongs to one local group), so a trainee who scales up a service sees
the same rates, not a fixed-size meeting diluted in a larger population.
"""

from __future__ import annotations

import numpy as np

from coprod_sim.population import METHODS, NEED_LEVER, NEEDS, engaged_index
from coprod_sim.randomness import smallest, weighted_keys
from coprod_sim.state import FOCUS, FORUM, INTERVIEW, QUESTIONNAIRE, Model, Week

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


def meeting_groups(s_people: np.ndarray, people_per_group: np.ndarray) -> np.ndarray:
    """How many groups the plan runs, per run: one per ``people_per_group`` people affected.

    ``max(1, round(n_people / people_per_group))``: 1 group at the default 200
    people, 25 at 5,000. Each method's capacity (forum seats, focus group
    seats, interviews a round) is per group.
    """
    return np.maximum(1, np.rint(np.asarray(s_people, dtype=float)
                                 / np.asarray(people_per_group, dtype=float))).astype(np.int64)


def smallest_in_groups(b: Model, keys: np.ndarray, k: np.ndarray) -> np.ndarray:
    """:func:`~coprod_sim.randomness.smallest` within each person's local group.

    ``k`` is per run (the capacity of one group); with one group per run this
    is ``smallest`` itself. Ties go to the lower index, as there.
    """
    if b.one_group:
        return smallest(keys, k)
    order = np.argsort(keys, axis=-1, kind="stable")
    by_group = np.take_along_axis(b.group_of, order, axis=-1)
    order = np.take_along_axis(order, np.argsort(by_group, axis=-1, kind="stable"), axis=-1)
    group_sorted = np.take_along_axis(b.group_of, order, axis=-1)
    rank = np.empty_like(order)
    rows = np.arange(keys.shape[0])[:, None]
    rank[rows, order] = np.arange(keys.shape[-1]) - np.take_along_axis(
        b.group_start, group_sorted, axis=-1)
    return (rank < np.reshape(k, (-1, 1))) & np.isfinite(keys)


def running_methods(b: Model, week: int) -> np.ndarray:
    """Mechanism 1: which methods meet this week, on their cadence.

    Returns a bool per run and method in :data:`~coprod_sim.population.METHODS`
    order, ``(runs, 4)``.
    """
    return b.method_use & (week % b.method_every == 0)


def unmet_barriers(b: Model) -> np.ndarray:
    """Each person's unmet needs (runs x people x len(NEEDS) bools): needs whose adjustment is off.

    A barrier that meets its adjustment costs nothing (model brief, step 5).
    """
    lev = b.lev
    off = np.hstack([~getattr(lev, NEED_LEVER[need]) for need in NEEDS])  # (runs, needs)
    on = lev.mech_barriers & off
    return b.state.needs & on[:, None, :]


def barrier_penalty(b: Model) -> np.ndarray:
    """Log-odds lost by each person for each method from unmet needs (methods x runs x people)."""
    unmet = unmet_barriers(b).astype(float)
    strength = b.constants.array("barrier_strength")
    return np.stack([(unmet * (strength * BARRIER_WEIGHT[:, m])).sum(axis=-1)
                     for m in range(len(METHODS))])


def involved(b: Model) -> np.ndarray:
    """Who is involved, as a peer sees it: took part in the last half year, still engaged."""
    st = b.state
    recent = np.maximum(st.last_part, st.joined_week)
    return (b.week - recent < INVOLVED_WEEKS) & st.engaged


def peer_count(b: Model) -> np.ndarray:
    """How many of each person's peers are involved (took part in the last half year).

    Counted over the batch's ties (no tie joins two runs, and counts are exact
    in any order, so no run's count depends on another's).
    """
    return b.peer_counts(involved(b))


def peer_share(b: Model) -> np.ndarray:
    """Share of each person's peers who are involved (took part in the last half year)."""
    return peer_count(b) / b.degree_floor


def peers_felt(b: Model, count: np.ndarray | None = None) -> np.ndarray:
    """Involved peers as each person feels them (a peer support network makes each count more).

    Granovetter's (1978) thresholds are a number of others already taking
    part; a peer support network (``peer_support``, Boyle et al. 2010) makes
    each involved peer count ``1 + peer_support_boost`` times.
    """
    lev, c = b.lev, b.constants
    count = peer_count(b) if count is None else count
    return count * b.once("peer_boost", lambda: 1.0 + c.peer_support_boost * lev.peer_support)


def peer_pull(b: Model, deciding: np.ndarray | None = None) -> np.ndarray:
    """Log-odds added by peers: a Granovetter (1978) threshold, 0 or the full pull.

    A person is pulled in once the number of their peers who are involved
    reaches their own threshold (:func:`peers_felt`; a count, as in
    Granovetter's model, so a person with many ties is not held back by the
    ones who stay away), and from then on stays pulled (they have joined, until
    they drop out); the pull is ``peer_weight``. A funded peer support network
    (``peer_support``, Boyle et al. 2010) acts once on this decision: through
    the count (:func:`peers_felt`), not the pull as well. The tipping this
    gives: see :data:`TIPPING`.
    Runs with ``mech_peer_influence`` off neither join nor are pulled. People
    join when their run decides attendance: ``deciding`` marks those runs
    ``(runs, 1)`` (default: every run), so a run's joining never depends on
    what the other runs of its batch hold that week.
    """
    lev, st = b.lev, b.state
    new = ~st.joined & (peers_felt(b) >= st.threshold) & st.engaged & lev.mech_peer_influence
    if deciding is not None:
        new &= deciding
    st.joined |= new
    np.putmask(st.joined_week, new, b.week)
    return np.where(st.joined, lev.peer_weight, 0.0)


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


def commitment_pull(b: Model) -> np.ndarray:
    """Log-odds each person adds to coming to the standing forum: their commitment.

    Commitment to a standing group (Piliavin, Grube & Callero 2002: taking part
    builds a role identity that keeps people coming; Agass et al. 1991 and the
    paper, Gibbs 1997: forums keep a small self-selected core of the already
    engaged) is ``commitment_weight`` at full commitment, 0 when
    ``mech_commitment`` is off. It builds and fades in :func:`commit` (a
    member who comes less, wary of being ignored, loses it by missing
    meetings); what holds a member in against leaving is
    :func:`held_commitment`.
    """
    return np.where(b.lev.mech_commitment, b.constants.commitment_weight * b.state.commitment,
                    0.0)


def held_commitment(b: Model) -> np.ndarray:
    """The commitment that holds each person in against leaving: commitment x (1 - wariness).

    A role in a standing group holds people through disappointments
    (Piliavin, Grube & Callero 2002), but not through a group whose work goes
    nowhere: meetings that lead to no action make people stop taking part
    (Brodie et al. 2011; Ocloo & Matthews 2016). So against leaving
    (:func:`coprod_sim.mechanisms.turnover.drop_out`) a member's commitment
    counts only as far as they still expect to be heard (wariness 0: all of
    it; see :func:`coprod_sim.mechanisms.feedback.remember_ignored`); the habit
    of coming (:func:`commitment_pull`) is the commitment itself. With both
    wariness mechanisms off, wariness is 0 and this is the commitment itself.
    """
    st = b.state
    return st.commitment * (1.0 - st.wariness)


def commit(b: Model, wk: Week) -> None:
    """Commitment to the standing forum builds with each meeting attended and fades when missed.

    A habit and a role (Piliavin, Grube & Callero 2002): each forum meeting a
    person comes to closes ``commitment_gain`` of the gap to full commitment;
    each one they are invited to and miss loses ``commitment_decay`` of it (so
    someone who stops coming loses the habit within a few meetings). Part of
    the attendance mechanism, switched by ``mech_commitment``.
    """
    st, c = b.state, b.constants
    held = b.lev.mech_commitment & wk.running[:, FORUM, None]
    if not held.any():
        return
    came = wk.took[FORUM] & held
    missed = wk.invited[FORUM] & ~wk.took[FORUM] & held
    np.add(st.commitment, c.commitment_gain * (1.0 - st.commitment), out=st.commitment,
           where=came)
    np.multiply(st.commitment, 1.0 - c.commitment_decay, out=st.commitment, where=missed)



def invite(b: Model, wk: Week) -> None:
    """Mechanism 1: invitations reach people by each method's reach.

    Forums invite the people who know the forum exists (Agass et al. 1991: far
    more know a group than attend); focus groups recruit until enough accept
    to fill the seats after the expected no-shows (over-recruitment,
    ``focus_group_no_show``), asking the already engaged first; interviews
    sample a few people (``interviews_per_round`` for each group the plan runs,
    drawn without replacement); questionnaires go to all. Each person belongs
    to one local group (:func:`meeting_groups`): the forum and focus groups
    meet in every group. ``wk.invited`` is methods x runs x people.
    """
    st, run = b.state, wk.running
    if not run.any():
        return
    pool = st.reached & st.engaged
    invited = np.zeros((4, b.B, b.n), dtype=bool)
    invited[FORUM] = pool & st.aware_forum & run[:, FORUM, None]
    invited[FOCUS] = pool & run[:, FOCUS, None]  # asked in turn (see _choose)
    if run[:, INTERVIEW].any():
        asked = pool & run[:, INTERVIEW, None]
        keys = np.where(asked, b.uniform("invitations", 0), np.inf)
        invited[INTERVIEW] = smallest(keys, b.lev.interviews_per_round * b.n_groups[:, None])
    invited[QUESTIONNAIRE] = pool & run[:, QUESTIONNAIRE, None]
    wk.invited = invited


def decide_attendance(b: Model, wk: Week) -> None:
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
    st = b.state
    if not wk.running.any() or not wk.invited.any():
        return
    took, methods = _choose(b, wk)
    part = took[methods[0]]
    for m in methods[1:]:
        part = part | took[m]
    hours = HOURS.copy()
    depth = np.zeros((b.B, b.n), dtype=np.int64)
    total = np.zeros((b.B, b.n))
    for m in sorted(methods, key=lambda m: DEPTH[m]):  # deepest last
        per_visit = b.lev.meeting_hours if m in (FORUM, FOCUS) else hours[m]
        total = total + np.where(took[m], per_visit, 0.0)
        depth = np.where(took[m], DEPTH[m], depth)
    wk.took, wk.part, wk.hours, wk.depth = took, part, total, depth
    commit(b, wk)
    if part.any():
        np.putmask(st.last_part, part, b.week)
        for m in methods:
            np.add(st.times, 1, out=st.times, where=took[m])
            np.add(st.method_times[:, :, m], 1, out=st.method_times[:, :, m], where=took[m])
        st.ever_part |= part
        first = took[FORUM] & (st.forum_first < 0)
        np.putmask(st.forum_first, first, b.week)


def drive(b: Model, deciding: np.ndarray | None = None) -> np.ndarray:
    """Each person's log-odds of taking part, before the method and its barriers.

    Motivation, trust, efficacy, a clear purpose, the segment gap, peers
    (:func:`peer_pull`), and wariness: people who were ignored, or heard of
    peers who were, come less (``wariness_weight`` at full wariness;
    :func:`coprod_sim.mechanisms.feedback.remember_ignored`,
    :func:`coprod_sim.mechanisms.feedback.spread_word`). ``deciding`` marks
    the runs deciding attendance this week (see :func:`peer_pull`).
    """
    lev, st, c = b.lev, b.state, b.constants
    d = (c.drive_motivation * (st.motivation - 0.5) + c.drive_trust * (st.trust - 0.5)
         + c.drive_efficacy * (st.efficacy - 0.35)
         + c.drive_purpose * (b.clarity[:, None] - 0.5))
    if lev.mech_segment_gap.any():
        d = d + np.where(lev.mech_segment_gap, st.base_offset, 0.0)
    if lev.mech_peer_influence.any():
        d = d + np.where(lev.mech_peer_influence, peer_pull(b, deciding), 0.0)
    if b.once("wariness_on", lambda: lev.mech_ignored_memory | lev.mech_word_of_mouth).any():
        d = d - c.wariness_weight * st.wariness  # 0 for everyone where both are off
    return d


def attendance_chance(b: Model, methods: tuple[int, ...] = (0, 1, 2, 3),
                      d: np.ndarray | None = None) -> np.ndarray:
    """Chance that each person takes part in each method if invited (methods x runs x people).

    Log-odds: the method's base chance, plus the person's drive (motivation,
    trust, efficacy, a clear purpose, the segment gap, peers), minus unmet
    barriers (for focus groups, at the show-up instead: see :func:`_choose`),
    plus commitment for the forum (:func:`commitment_pull`), plus a payment
    for a questionnaire (:func:`payment_pull`), plus confidence and
    articulacy (the confidence bias). For the forum and focus groups the
    confidence is the one the person brings to a meeting, a buddy's included
    (:func:`coprod_sim.mechanisms.meetings.effective_confidence`: a buddy goes
    to meetings); for an interview it is their own. ``methods`` picks the
    methods (rows of the result); ``d`` is the drive if already known.
    """
    from coprod_sim.mechanisms.meetings import effective_confidence

    lev, st, c = b.lev, b.state, b.constants
    d = drive(b) if d is None else d
    on = lev.mech_confidence_bias
    bias = on.any()
    if bias:
        own = st.confidence - 0.5
        conf = effective_confidence(b) - 0.5 if lev.buddying.any() else own
        artic = st.articulacy - 0.5
    out = []
    for m in methods:
        if m == QUESTIONNAIRE:
            chance = lev.questionnaire_response_rate
            base = np.log(chance / (1 - chance)) + c.questionnaire_calibration
            if lev.pay_expenses.any():
                base = base + payment_pull(b)
        else:
            chance = c.base_chance[m]
            base = np.log(chance / (1 - chance))
        # Focus groups: practical barriers act on the day, when an accepted person
        # turns up or not (_choose), not at the asking as well (each acts once).
        logit = base + d if m == FOCUS else base + d - b.barrier_penalty[m]
        if m == FORUM and lev.mech_commitment.any():
            logit = logit + commitment_pull(b)
        if bias:
            lent = conf if m in (FORUM, FOCUS) else own
            logit = (logit + np.where(on, lent * c.confidence_bias[m], 0.0)
                     + np.where(on, artic * c.articulacy_bias[m], 0.0))
        out.append(1.0 / (1.0 + np.exp(-logit)))
    return np.stack(out)


def payment_pull(b: Model) -> np.ndarray:
    """Log-odds a payment adds to answering a questionnaire, for everyone invited (runs x 1).

    Edwards et al. (2002, BMJ; a systematic review of postal questionnaires):
    a monetary incentive roughly doubles the odds of response (odds ratio
    2.0, 1.3-2.3), for everyone asked, not only people who could not afford
    to answer. With ``pay_expenses`` (the lever that pays people for taking
    part) a questionnaire's log-odds rise by ``payment_incentive`` (fitted so
    that the response odds ratio is about 2: calibration target
    ``payment_odds_ratio``); 0 with ``mech_payment_incentive`` off. In
    meetings and interviews payment acts only by removing the cost barrier
    for the people who face costs (:func:`barrier_penalty`; its strength
    there is an assumption).
    """
    lev = b.lev
    return b.once("payment_pull", lambda: np.where(
        lev.pay_expenses & lev.mech_payment_incentive, b.constants.payment_incentive, 0.0))


def _choose(b: Model, wk: Week) -> np.ndarray:
    """Draw who takes part among the invited, within the seats.

    Returns ``(took, methods)``: methods x runs x people bools, and the methods
    held this week in some run (the others' rows are all False).
    """
    lev, st, c = b.lev, b.state, b.constants
    took = np.zeros((4, b.B, b.n), dtype=bool)
    methods = tuple(int(m) for m in np.flatnonzero(wk.running.any(axis=0)))
    d = drive(b, wk.invited.any(axis=(0, 2))[:, None])  # runs with someone invited decide
    p = attendance_chance(b, methods, d)
    for k, m in enumerate(methods):
        took[m] = wk.invited[m] & (b.uniform("attendance", m) < p[k])
    # Forum: at most forum_seats in each group; regulars (most meetings so far)
    # keep their seats, the rest by chance.
    willing = took[FORUM]
    if (willing.sum(axis=-1) > lev.forum_seats[:, 0]).any():
        regular = st.method_times[:, :, FORUM].astype(float)
        key = np.where(willing, b.uniform("attendance", 4) - regular, np.inf)
        took[FORUM] = smallest_in_groups(b, key, lev.forum_seats)
    # Focus group: asked in turn until enough accept to cover the expected
    # no-shows; then each accepted person turns up or not; the first
    # focus_group_size take seats. Each influence acts once: drive (motivation,
    # trust, efficacy, purpose, peers) and confidence decide who accepts;
    # practical barriers (travel, cost, access, the time of day) decide who
    # turns up on the day (``show_base`` less the person's unmet barriers).
    running = wk.running[:, FOCUS]
    if running.any():
        # Organisers ask people in turn, the already engaged likelier to be asked
        # (weights exp(recruit_skew x engaged index): the same mix at any size;
        # weighted choice without replacement, Efraimidis & Spirakis 2006).
        # Seats go in the order people were asked: by the weighted draw when more
        # accepted than were wanted, else in index order.
        accepted = took[FOCUS] & running[:, None]
        want = np.ceil(lev.focus_group_size / (1.0 - lev.focus_group_no_show)).astype(np.int64)
        asked_order = np.broadcast_to(np.arange(b.n, dtype=float), accepted.shape)
        over = accepted.sum(axis=-1) > want[:, 0]  # in some group (checked within each)
        if over.any():
            w = np.exp(c.recruit_skew * engaged_index(st))
            key = np.where(accepted, weighted_keys(b.uniform("attendance", 5), w), np.inf)
            accepted = np.where(over[:, None], smallest_in_groups(b, key, want), accepted)
            asked_order = np.where(over[:, None], key, asked_order)
        np.add(st.focus_accepted, 1, out=st.focus_accepted, where=accepted)
        show_logit = c.show_base - b.barrier_penalty[FOCUS]
        shows = accepted & (b.uniform("attendance", 6) < 1.0 / (1.0 + np.exp(-show_logit)))
        seated = smallest_in_groups(b, np.where(shows, asked_order, np.inf),
                                    lev.focus_group_size)
        took[FOCUS] = np.where(running[:, None], seated, took[FOCUS])
        wk.focus_accepted = accepted.sum(axis=-1)
        wk.focus_seats = np.where(running, lev.focus_group_size[:, 0] * b.n_groups, 0)
    return took, methods


__all__ = ["METHODS", "meeting_groups", "smallest_in_groups", "running_methods", "invite",
           "decide_attendance", "unmet_barriers",
           "barrier_penalty", "peer_share", "peer_pull", "involved", "attendance_chance",
           "drive", "commitment_pull", "commit", "payment_pull", "held_commitment",
           "peer_count", "peers_felt", "TIPPING"]
