"""Mechanisms 8a-8d: dropping out, peers recruiting peers, standing groups drifting, life exits.

Briefing paper: people whose views go unheard "disengage from the process";
"engaging peer support networks is an effective way of transferring knowledge
and supporting change" (Boyle et al. 2010). Thresholds follow Granovetter
(1978); standing panels go dormant when not refreshed (UK citizens' panels).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.mechanisms.attendance import peer_share, peers_felt
from coprod_sim.state import Model, Week


def drop_out(model: Model, wk: Week) -> None:
    """Mechanism 8a: people leave when motivation or trust falls below their tolerance.

    Briefing paper: people who feel unheard disengage; tolerances follow
    Granovetter (1978). Only people who have taken part can leave. Peers who
    are still involved hold people in (``peer_hold``, stronger with a funded
    peer support network, Boyle et al. 2010): who stays depends on peers.
    Clear roles (the 4Rs, NLIAH 2010, made clear by ``roles_4rs`` or a step
    model's roles step) lower the point at which people give up
    (``roles_tolerance``). Commitment to a standing forum holds its members in
    too (``commitment_hold``; Piliavin, Grube & Callero 2002: a role identity
    keeps people taking part through disappointments).
    """
    s, st, rng, c = model.levers, model.state, model.rng, model.constants
    np.clip(st.motivation, 0, 1, out=st.motivation)
    np.clip(st.trust, 0, 1, out=st.trust)
    np.clip(st.efficacy, 0, 1, out=st.efficacy)
    if not s.mech_dropout:
        return
    wk.peer_share = peer_share(model)  # after this week's activities; recruitment reuses it
    held = c.peer_hold * wk.peer_share * (1.0 + c.peer_support_boost * s.peer_support)
    if s.mech_commitment:  # a member's role in a standing group holds them in too
        held = held + c.commitment_hold * st.commitment
    tolerance = st.tolerance * (c.roles_tolerance if model.roles_clear else 1.0)
    low = (st.motivation + held < tolerance) | (st.trust + held < tolerance)
    leaving = st.engaged & st.ever_part & low & (rng.random(st.n) < c.leave_hazard)
    st.engaged[leaving] = False
    st.joined[leaving] = False
    st.dropped_week[leaving] = model.week


def leave_life(model: Model, wk: Week) -> None:
    """Mechanism 8d: a few people stop each year for reasons of their own life.

    People move away, fall ill, take on caring or lose interest whatever the
    design: life changes and other commitments are the commonest reasons
    volunteers stop (NCVO 2019, Time Well Spent). Each person still engaged
    (whether or not they have taken part yet) stops with yearly chance
    ``life_exit_rate`` (an assumption, 5% a year: the model's figure, not a
    measured one), so even the best design
    keeps fewer than all of its people over five years. The draws come from
    a stream of their own (``People.life_rng``), the same whatever the design.
    """
    s, st, c = model.levers, model.state, model.constants
    if not s.mech_life_exits or c.life_exit_rate <= 0:
        return
    hazard = 1.0 - (1.0 - c.life_exit_rate) ** (1 / 52)
    # Drawn from the people's own stream of life events: the same draws whatever the
    # design, so comparing two designs with one seed compares their effects, not luck.
    # Everyone engaged, whether or not they have taken part yet: a life event does not
    # wait for the design, and the same people leave in any two designs (one seed).
    leaving = st.engaged & (st.life_rng.random(st.n) < hazard)
    if leaving.any():
        st.engaged[leaving] = False
        st.joined[leaving] = False
        st.dropped_week[leaving & st.ever_part] = model.week


def recruit_peers(model: Model, wk: Week) -> None:
    """Mechanism 8b: people not reached join when enough of their peers are involved.

    Briefing paper: peer support networks transfer knowledge and support change
    (Boyle et al. 2010). A person not reached joins, at ``peer_recruitment_rate``
    a week, once the number of their peers involved reaches their Granovetter
    (1978) threshold (a funded peer support network makes each tie count more).
    """
    s, st, rng = model.levers, model.state, model.rng
    if not s.mech_peer_recruitment or s.peer_recruitment_rate == 0:
        return
    outside = ~st.reached
    if not outside.any():
        return
    share = wk.peer_share if wk.peer_share is not None else peer_share(model)
    felt = peers_felt(model, share * model.degree)
    ready = outside & (felt > 0) & (felt >= st.threshold)
    joining = ready & (rng.random(st.n) < s.peer_recruitment_rate)
    if not joining.any():
        return
    st.reached[joining] = True
    st.engaged[joining] = True
    st.joined[joining] = True
    st.joined_week[joining] = model.week
    st.aware_forum[joining] = rng.random(int(joining.sum())) < s.forum_awareness


def drift_panel(model: Model, wk: Week) -> None:
    """Mechanism 8c: people who know the standing forum go quiet at ``panel_drift`` a year.

    Evidence (evidence.md): UK citizens' panels lose 15-33% of members a year
    when not refreshed; the paper notes forums draw small numbers (Gibbs 1997).
    A member who goes quiet stops being invited to the forum.
    """
    s, st, rng = model.levers, model.state, model.rng
    if not s.mech_panel_drift or not s.use_forum:
        return
    hazard = 1.0 - (1.0 - s.panel_drift) ** (1 / 52)
    quiet = st.aware_forum & (rng.random(st.n) < hazard)
    if quiet.any():
        st.aware_forum[quiet] = False
        st.forum_dropped[quiet & (st.forum_first >= 0) & (st.forum_dropped < 0)] = model.week
