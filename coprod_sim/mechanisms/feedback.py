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


def give_feedback(model: Model, wk: Week) -> None:
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
    s, st = model.levers, model.state
    if not s.mech_feedback or not wk.part.any():
        return
    met = wk.heard > 0
    if met.any():
        felt = np.clip(wk.heard[met], 0.0, 2.0) - 1.0  # -1 silenced .. +1 twice a fair share
        st.motivation[met] += model.constants.heard_weight * s.learning_rate * felt * np.where(
            felt > 0, 1 - st.motivation[met], st.motivation[met])
    lr = s.learning_rate
    soft = model.constants.rationale_softening
    gave, adopted = wk.gave_view, wk.adopted
    up = adopted
    st.efficacy[up] += lr * (1 - st.efficacy[up])
    st.trust[up] += 0.5 * lr * (1 - st.trust[up])
    st.motivation[up] += 0.3 * lr * (1 - st.motivation[up])
    down = gave & ~adopted
    # A reason is given to everyone when feedback_rationale is on; otherwise a
    # buddy explains to the person they support (NLIAH 2010: a buddy helps people
    # understand and analyse the information).
    explained = np.full(st.n, True) if s.feedback_rationale else buddied(model)
    soft_down, hard_down = down & explained, down & ~explained
    loss = model.constants.ignored_loss
    st.efficacy[soft_down] -= soft * lr * st.efficacy[soft_down]
    st.trust[soft_down] -= soft * loss * lr * st.trust[soft_down]
    st.efficacy[hard_down] -= lr * st.efficacy[hard_down]
    st.trust[hard_down] -= loss * lr * st.trust[hard_down]
    st.motivation[hard_down] -= loss * lr * st.motivation[hard_down]
