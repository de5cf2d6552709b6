"""Mechanism 0: the step model's current step does its work.

Briefing paper: the step models (CAFA 2012; NHS SPH, Hill 2012; 1000 Lives,
Spencer, Dineen & Phillips 2013; the paper's own seven-step summary) each set
an order of work. Each step of :data:`coprod_sim.presets.PATHWAYS` names one
*action*, and in the weeks of that step the action does what the step says,
to people, staff or the plan; the activities (forum, questionnaire...) run on
their own cadence throughout, so no week is idle. Co-delivery and
co-assessment involve users only when their stage levers are on.

Actions (``step_gain`` g is the share of the remaining gap closed a week for the
project's own state; a person's own state moves by g / 4 a week):

- ``identify``: people of the invited groups not yet reached are found and invited;
- ``select``: people of the segments taking part least are personally asked
  (their motivation rises);
- ``clarify``: the purpose and expectations get clearer (``clarity`` rises
  towards 1 from ``purpose_clarity``);
- ``engage``: people reached hear of the forum;
- ``support``: the people involved are supported (confidence grows);
- ``alliance``: staff and users build working alliances: each meeting's contact
  between staff and users counts ``alliance_boost`` (a constant) times over in staff's
  openness learning (:func:`contact_boost`; no meetings, no alliance);
- ``roles``: role, remit, relationships and responsibility are set out (from
  then on, as if ``roles_4rs``);
- ``partner``: partner organisations join up (integration friction falls);
- ``assets``: the assets people bring are named and shared (efficacy of the
  people involved rises);
- ``design``: nothing beyond the activities themselves (co-design);
- ``deliver``: with users in co-delivery, the people involved deliver the
  change with staff (efficacy and confidence rise; value as assets);
- ``evaluate``: with users in co-assessment, the people involved judge what
  changed (efficacy of those whose views were adopted rises) and staff see
  what worked (they meet users to judge it, a meeting of contact of its own,
  :func:`joint_evaluation`, and good experiences count twice in openness
  learning, :func:`experience_boost`).

The alliance and evaluation steps act through staff learning
(:func:`coprod_sim.mechanisms.staff.update_openness`), so with
``mech_staff_learning`` off they do not move openness.

"Involved" is taking part in the last half year (as peers see it).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.mechanisms.attendance import involved
from coprod_sim.state import Model, Week

ACTIONS: tuple[str, ...] = ("identify", "select", "clarify", "engage", "support", "alliance",
                            "roles", "partner", "assets", "design", "deliver", "evaluate")


def do_step(model: Model, wk: Week) -> None:
    """Mechanism 0: the current step of the step model does its work this week.

    Briefing paper: the step models (CAFA 2012, Hill 2012, Spencer, Dineen &
    Phillips 2013, the paper's seven-step summary). See the module's list.
    """
    s, st, rng = model.levers, model.state, model.rng
    if not s.mech_step_actions:
        return
    action = model.step_action
    g = model.constants.step_gain
    q = g / 4  # a week's change to a person's own state is smaller than to the project's
    if action == "identify":
        missing = st.invited_group & ~st.reached
        found = missing & (rng.random(st.n) < g)
        st.reached |= found
        st.engaged |= found
    elif action == "select":
        seg_rate = np.bincount(st.segment, weights=st.ever_part, minlength=9) / np.maximum(
            np.bincount(st.segment, minlength=9), 1)
        low = seg_rate[st.segment] < seg_rate[st.segment].mean()
        asked = st.reached & st.engaged & ~st.ever_part & low
        st.motivation[asked] += q * (1 - st.motivation[asked])
    elif action == "clarify":
        model.clarity += g * (1.0 - model.clarity)
    elif action == "engage":
        if s.use_forum:
            hear = st.reached & ~st.aware_forum & (rng.random(st.n) < 0.25 * g)
            st.aware_forum |= hear
    elif action == "support":
        p = involved(model)
        st.confidence[p] += q * (1 - st.confidence[p])
    elif action == "roles":
        model.roles_clear = True
    elif action == "partner":
        model.integration += g * (1.0 - model.integration)
    elif action == "assets":
        p = involved(model)
        st.efficacy[p] += q * (1 - st.efficacy[p])
    elif action == "deliver":
        if s.stage_co_delivery:
            p = involved(model)
            st.efficacy[p] += q * (1 - st.efficacy[p])
            st.confidence[p] += q * (1 - st.confidence[p])
    elif action == "evaluate":
        if s.stage_co_assessment:
            p = involved(model) & (st.adopted > 0)
            st.efficacy[p] += q * (1 - st.efficacy[p])


#: How many times over a meeting's staff-user contact counts in an alliance step.


def contact_boost(model: Model) -> float:
    """Factor on staff's contact with users this week: ``alliance_boost`` in an alliance step."""
    if model.levers.mech_step_actions and model.step_action == "alliance":
        return model.constants.alliance_boost
    return 1.0


def joint_evaluation(model: Model) -> bool:
    """Whether staff and users judge the change together this week (co-assessment).

    In an evaluation step with users in co-assessment, the seated staff meet
    service users to judge what changed, a meeting of its own whatever the
    activities' cadence.
    """
    s = model.levers
    return bool(s.mech_step_actions and s.stage_co_assessment
                and model.step_action == "evaluate")


def experience_boost(model: Model) -> float:
    """Factor on staff's good experiences this week: 2 while users judge the change with them."""
    return 2.0 if joint_evaluation(model) else 1.0
