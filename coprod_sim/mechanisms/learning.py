"""Mechanism 6: confidence grows with supported participation; fatigue with burden.

Briefing paper: support should build confidence and break down barriers;
buddying pairs a service user with a professional (NLIAH 2010); peer support
networks transfer knowledge (Boyle et al. 2010); people's time should be
recognised and out-of-pocket expenses paid; meetings should be accessible in
place and time. More intensive involvement raises the risk of exit (NCVO 2019).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from coprod_sim.model import CoproductionModel, Week



def grow_confidence(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 6a: confidence grows for people who take part with support.

    Taking part in a meeting or interview builds a little confidence; buddying
    (for people below 0.5) and peer support build more. In meetings, a buddy
    and ground rules made together help less confident people feel protected
    and comfortable, which keeps up their motivation and trust (briefing paper).
    """
    s, st = model.levers, model.state
    if not s.mech_confidence_growth or not wk.part.any():
        return
    talked = wk.depth >= 2
    less_confident = st.confidence < 0.5
    buddied = s.buddying & less_confident
    rate = 0.01 + 0.02 * s.peer_support + np.where(buddied, 0.04, 0.0)
    st.confidence[talked] += rate[talked] * (1 - st.confidence[talked])
    met = (wk.depth >= 2) & less_confident
    lift = model.constants.support_lift * (s.buddying + s.ground_rules)
    if lift and met.any():
        st.motivation[met] += lift * (1 - st.motivation[met])
        st.trust[met] += 0.5 * lift * (1 - st.trust[met])


def build_fatigue(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 6b: fatigue grows with the hours and strain of taking part.

    Briefing paper: recognise people's time, pay expenses and make meetings
    accessible (NLIAH 2010); intensive involvement raises exit (NCVO 2019).

    Strain is higher when the activity is deeper than the person chose and the
    purpose was unclear, and for each unmet barrier they faced; paying
    expenses, accessible arrangements and clear roles (the 4Rs) lower it.
    Fatigue recovers each week and lowers motivation.
    """
    s, st = model.levers, model.state
    if not s.mech_fatigue:
        return
    st.fatigue *= model.constants.fatigue_recovery
    part = wk.part
    if not part.any():
        return
    mismatch = np.maximum(wk.depth - st.willing_depth, 0) * (1 - s.purpose_clarity)
    strain = (1 + 0.5 * mismatch) * (1 + 0.3 * model.unmet_count)
    relief = ((0.7 if s.pay_expenses else 1.0)
              * (0.8 if s.accessible_venue and s.flexible_timing else 1.0)
              * (0.8 if s.roles_4rs else 1.0))
    load = model.constants.fatigue_per_hour * wk.hours * strain * relief
    st.fatigue[part] = np.minimum(1.0, st.fatigue[part] + load[part])
    st.motivation -= 0.05 * st.fatigue
