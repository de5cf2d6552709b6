"""Mechanisms 8a-8d: dropping out, peers recruiting peers, standing groups drifting, life exits.

Briefing paper: people whose views go unheard "disengage from the process";
"engaging peer support networks is an effective way of transferring knowledge
and supporting change" (Boyle et al. 2010). Thresholds follow Granovetter
(1978); standing panels go dormant when not refreshed (UK citizens' panels).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.mechanisms.attendance import held_commitment, peer_share, peers_felt
from coprod_sim.state import Model, Week


def drop_out(b: Model, wk: Week) -> None:
    """Mechanism 8a: people leave when motivation or trust falls below their tolerance.

    Briefing paper: people who feel unheard disengage; tolerances follow
    Granovetter (1978). Only people who have taken part can leave. Peers who
    are still involved hold people in (``peer_hold``, stronger with a funded
    peer support network, Boyle et al. 2010): who stays depends on peers.
    Clear roles (the 4Rs, NLIAH 2010, made clear by ``roles_4rs`` or a step
    model's roles step) lower the point at which people give up
    (``roles_tolerance``). Commitment to a standing forum holds its members in
    too (``commitment_hold``; Piliavin, Grube & Callero 2002: a role identity
    keeps people taking part through disappointments), as far as they still
    expect to be heard (:func:`~coprod_sim.mechanisms.attendance.held_commitment`).
    """
    lev, st, c = b.lev, b.state, b.constants
    # clip trust, efficacy and motivation to 0-1, in place (one block of rows when the
    # state keeps them so, see coprod_sim.batch.RECORDED_PEOPLE)
    beliefs = getattr(st, "block_beliefs", None)
    for x in (st.motivation, st.trust, st.efficacy) if beliefs is None else (beliefs,):
        np.minimum(np.maximum(x, 0.0, out=x), 1.0, out=x)
    on = lev.mech_dropout
    if not on.any():
        return
    could = st.engaged & st.ever_part & on  # only people who have taken part can leave
    if not could.any():
        return
    wk.peer_share = peer_share(b)  # after this week's activities; recruitment reuses it
    held = c.peer_hold * wk.peer_share * b.once(
        "peer_boost", lambda: 1.0 + c.peer_support_boost * lev.peer_support)
    if lev.mech_commitment.any():  # a member's role in a standing group holds them in too
        held = held + np.where(lev.mech_commitment, c.commitment_hold * held_commitment(b),
                                 0.0)
    tolerance = st.tolerance * np.where(b.roles_clear, c.roles_tolerance, 1.0)[:, None]
    # motivation or trust (the lower of them) below the tolerance, with peers' hold
    low = np.minimum(st.motivation, st.trust) + held < tolerance
    leaving = could & low & (b.uniform("dropout", 0) < c.leave_hazard)
    if leaving.any():
        np.putmask(st.engaged, leaving, False)
        np.putmask(st.joined, leaving, False)
        np.putmask(st.dropped_week, leaving, b.week)


def leave_life(b: Model, wk: Week) -> None:
    """Mechanism 8d: a few people stop each year for reasons of their own life.

    People move away, fall ill, take on caring or lose interest whatever the
    design: life changes and other commitments are the commonest reasons
    volunteers stop (NCVO 2019, Time Well Spent). Each person still engaged
    (whether or not they have taken part yet) stops with yearly chance
    ``life_exit_rate`` (an assumption, 5% a year: the model's figure, not a
    measured one), so even the best design
    keeps fewer than all of its people over five years. The draws come from
    a stream of their own (``life_exits`` in :mod:`coprod_sim.randomness`, keyed
    by seed, week and person), the same whatever the design.
    """
    lev, st, c = b.lev, b.state, b.constants
    if not lev.mech_life_exits.any() or c.life_exit_rate <= 0:
        return
    hazard = 1.0 - (1.0 - c.life_exit_rate) ** (1 / 52)
    # The people's own stream of life events: the same draws whatever the design,
    # so comparing two designs with one seed compares their effects, not luck.
    # Everyone engaged, whether or not they have taken part yet: a life event does not
    # wait for the design, and the same people leave in any two designs (one seed).
    leaving = st.engaged & lev.mech_life_exits & (b.uniform("life_exits", 0) < hazard)
    if leaving.any():
        np.putmask(st.engaged, leaving, False)
        np.putmask(st.joined, leaving, False)
        np.putmask(st.dropped_week, leaving & st.ever_part, b.week)


def recruit_peers(b: Model, wk: Week) -> None:
    """Mechanism 8b: people not reached join when enough of their peers are involved.

    Briefing paper: peer support networks transfer knowledge and support change
    (Boyle et al. 2010). A person not reached joins, at ``peer_recruitment_rate``
    a week, once the number of their peers involved reaches their Granovetter
    (1978) threshold (a funded peer support network makes each tie count more).
    """
    lev, st = b.lev, b.state
    on = b.once("recruit_on", lambda: lev.mech_peer_recruitment & (lev.peer_recruitment_rate > 0))
    outside = ~st.reached & on
    if not outside.any():
        return
    share = wk.peer_share if wk.peer_share is not None else peer_share(b)
    felt = peers_felt(b, share * b.degree)
    ready = outside & (felt > 0) & (felt >= st.threshold)
    joining = ready & (b.uniform("peer_recruitment", 0) < lev.peer_recruitment_rate)
    if not joining.any():
        return
    st.reached |= joining
    st.engaged |= joining
    st.joined |= joining
    np.putmask(st.joined_week, joining, b.week)
    aware = b.uniform("peer_recruitment", 1) < lev.forum_awareness
    np.copyto(st.aware_forum, aware, where=joining)


def drift_panel(b: Model, wk: Week) -> None:
    """Mechanism 8c: people who know the standing forum go quiet at ``panel_drift`` a year.

    Evidence (evidence.md): UK citizens' panels lose 15-33% of members a year
    when not refreshed; the paper notes forums draw small numbers (Gibbs 1997).
    A member who goes quiet stops being invited to the forum.
    """
    lev, st = b.lev, b.state
    on = b.once("drift_on", lambda: lev.mech_panel_drift & lev.use_forum)
    if not on.any():
        return
    # a week's hazard; 0 where drift is off, so no one goes quiet there
    hazard = b.once("drift_hazard", lambda: np.where(on, 1.0 - (1.0 - lev.panel_drift)
                                                     ** (1 / 52), 0.0))
    quiet = st.aware_forum & (b.uniform("panel_drift", 0) < hazard)
    if quiet.any():
        np.putmask(st.aware_forum, quiet, False)
        np.putmask(st.forum_dropped, quiet & (st.forum_first >= 0) & (st.forum_dropped < 0),
                   b.week)
