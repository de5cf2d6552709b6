"""Mechanism 5: feedback on what happened to each view.

Briefing paper: "The views of service users should be incorporated into action
plans and if not a rationale should be provided for this, otherwise service
users may feel that their views are not being heard and disengage from the
process." Learning follows a Bush-Mosteller rule (Macy & Flache 2002) at
``learning_rate``; feedback is often missing (Mathie et al. 2018).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.mechanisms.meetings import buddied
from coprod_sim.state import Model, Week


def give_feedback(b: Model, wk: Week) -> None:
    """Mechanism 5: update efficacy, trust and motivation of everyone who gave a view.

    Briefing paper: a view not used needs a rationale, or people disengage;
    learning follows Macy & Flache (2002).

    - adopted: efficacy and trust move up towards 1;
    - not adopted, with a reason (``feedback_rationale``, or a buddy who
      explains to a person they support): a small step down in efficacy and trust
      (``rationale_softening`` of the full step: the view was heard, but a reason
      is still a no, so trust never grows from rejections);
    - not adopted, no reason: a full step down in efficacy, trust and motivation;
    - in a meeting, being heard (a fair share of the talking time or more)
      raises motivation and being talked over lowers it (``heard_weight``), so
      support that evens out voice keeps less confident people involved.
    """
    lev, st, c = b.lev, b.state, b.constants
    if not wk.part.any():
        return
    on = lev.mech_feedback & wk.part.any(axis=-1, keepdims=True)
    if not on.any():
        return
    lr = lev.learning_rate
    met = (wk.heard > 0) & on
    if met.any():
        felt = np.clip(wk.heard, 0.0, 2.0) - 1.0  # -1 silenced .. +1 twice a fair share
        step = c.heard_weight * lr * felt * np.where(felt > 0, 1 - st.motivation,
                                                     st.motivation)
        np.add(st.motivation, step, out=st.motivation, where=met)
    soft = c.rationale_softening
    gave, adopted = wk.gave_view & on, wk.adopted & on
    up = adopted
    np.add(st.efficacy, lr * (1 - st.efficacy), out=st.efficacy, where=up)
    np.add(st.trust, 0.5 * lr * (1 - st.trust), out=st.trust, where=up)
    np.add(st.motivation, 0.3 * lr * (1 - st.motivation), out=st.motivation, where=up)
    down = gave & ~adopted
    # A reason is given to everyone when feedback_rationale is on; otherwise a
    # buddy explains to the person they support (NLIAH 2010: a buddy helps people
    # understand and analyse the information).
    explained = lev.feedback_rationale | buddied(b)
    soft_down, hard_down = down & explained, down & ~explained
    loss = c.ignored_loss
    np.subtract(st.efficacy, soft * lr * st.efficacy, out=st.efficacy, where=soft_down)
    np.subtract(st.trust, soft * loss * lr * st.trust, out=st.trust, where=soft_down)
    np.subtract(st.efficacy, lr * st.efficacy, out=st.efficacy, where=hard_down)
    np.subtract(st.trust, loss * lr * st.trust, out=st.trust, where=hard_down)
    np.subtract(st.motivation, loss * lr * st.motivation, out=st.motivation, where=hard_down)
