"""Mechanisms 8a-8c: dropping out, peers recruiting peers, and standing groups drifting.

Briefing paper: people whose views go unheard "disengage from the process";
"engaging peer support networks is an effective way of transferring knowledge
and supporting change" (Boyle et al. 2010). Thresholds follow Granovetter
(1978); standing panels go dormant when not refreshed (UK citizens' panels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coprod_sim.mechanisms.attendance import peer_share

if TYPE_CHECKING:
    from coprod_sim.model import CoproductionModel, Week



def drop_out(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 8a: people leave when motivation or trust falls below their tolerance.

    Briefing paper: people who feel unheard disengage; tolerances follow
    Granovetter (1978).

    Only people who have taken part can leave. Clear roles (the 4Rs) lower the
    point at which they give up.
    """
    s, st, rng = model.levers, model.state, model.rng
    np.clip(st.motivation, 0, 1, out=st.motivation)
    np.clip(st.trust, 0, 1, out=st.trust)
    np.clip(st.efficacy, 0, 1, out=st.efficacy)
    if not s.mech_dropout:
        return
    tolerance = st.tolerance * (0.8 if s.roles_4rs else 1.0)
    low = (st.motivation < tolerance) | (st.trust < tolerance)
    leaving = st.engaged & st.ever_part & low & (rng.random(st.n) < model.constants.leave_hazard)
    st.engaged[leaving] = False
    st.dropped_week[leaving] = model.week


def recruit_peers(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 8b: people not reached join when their peers take part.

    Briefing paper: peer support networks transfer knowledge and support change
    (Boyle et al. 2010).
    """
    s, st, rng = model.levers, model.state, model.rng
    if not s.mech_peer_recruitment or s.peer_recruitment_rate == 0:
        return
    outside = ~st.reached
    if not outside.any():
        return
    chance = s.peer_recruitment_rate * peer_share(model) * (2.0 if s.peer_support else 1.0)
    joining = outside & (rng.random(st.n) < chance)
    st.reached[joining] = True
    st.engaged[joining] = True
    st.aware_forum[joining] = rng.random(int(joining.sum())) < 0.5 + 0.5 * s.forum_awareness


def drift_panel(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 8c: standing forum members go quiet at ``panel_drift`` a year.

    Evidence (evidence.md): UK citizens' panels lose 15-33% of members a year
    when not refreshed; the paper notes forums draw small numbers (Gibbs 1997).
    """
    s, st, rng = model.levers, model.state, model.rng
    if not s.mech_panel_drift or not s.use_forum:
        return
    hazard = 1.0 - (1.0 - s.panel_drift) ** (1 / 52)
    st.aware_forum &= rng.random(st.n) >= hazard
