"""Mechanism 6: confidence grows with supported participation; fatigue with burden.

Briefing paper: support should build confidence and break down barriers;
buddying pairs a service user with a professional (NLIAH 2010); peer support
networks transfer knowledge (Boyle et al. 2010); people's time should be
recognised; roles should be clear (the 4Rs). More intensive involvement
raises the risk of exit (NCVO 2019).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.state import Model, Week


def grow_confidence(b: Model, wk: Week) -> None:
    """Mechanism 6a: confidence grows for people who take part and are heard.

    Taking part in a conversation builds a little confidence
    (``confidence_growth``); in a meeting it grows with how much of a fair
    share of the talking time the person had, so the support that gives less
    confident people a voice (a buddy, ground rules) also builds their
    confidence (briefing paper; NLIAH 2010).
    """
    st = b.state
    if not wk.part.any():
        return
    talked = (wk.depth >= 2) & b.lev.mech_confidence_growth
    if not talked.any():
        return
    heard = np.where(wk.heard > 0, np.clip(wk.heard, 0.0, 2.0), 1.0)
    rate = b.constants.confidence_growth * heard
    np.add(st.confidence, rate * (1 - st.confidence), out=st.confidence, where=talked)


def build_fatigue(b: Model, wk: Week) -> None:
    """Mechanism 6b: fatigue grows with the hours and strain of taking part.

    Briefing paper: recognise people's time (NLIAH 2010); intensive involvement
    raises exit (NCVO 2019).

    Strain is higher when the activity is deeper than the person chose and the
    purpose was unclear. Fatigue recovers each
    week and wears down motivation (its one path: a tired person comes less
    and, below their tolerance, leaves). Unmet access needs act only through
    attendance (:mod:`coprod_sim.mechanisms.attendance`), not here as well.

    A committed member of a standing forum carries the burden they chose
    (Piliavin, Grube & Callero 2002: a role identity sustains taking part), so
    fatigue wears their motivation in proportion to ``1 - commitment``: the
    regular who comes every month is not worn out by coming, while someone
    pulled in deeper than they wanted, or to an unclear purpose, still is.
    Without this, monthly meetings alone drained every regular's motivation
    (about 0.6 a year) until the forum's core left.
    """
    st, c = b.state, b.constants
    on = b.lev.mech_fatigue
    if not on.any():
        return
    np.multiply(st.fatigue, c.fatigue_recovery, out=st.fatigue, where=on)
    part = wk.part & on
    if part.any():
        mismatch = np.maximum(wk.depth - st.willing_depth, 0) * (1 - b.clarity[:, None])
        load = c.fatigue_per_hour * wk.hours * (1 + 0.5 * mismatch)
        np.copyto(st.fatigue, np.minimum(1.0, st.fatigue + load), where=part)
    carried = np.where(b.lev.mech_commitment, st.commitment, 0.0)
    np.subtract(st.motivation, c.fatigue_motivation * st.fatigue * (1.0 - carried),
                out=st.motivation, where=on)
