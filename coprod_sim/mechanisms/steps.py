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
- ``govern``: how the project will be governed is agreed (CAFA): roles are
  clear from then on (as ``roles``), and ``governance`` rises towards 1, so
  organisational resistance is less in the way of adopting views
  (``governance_relief`` of it, :func:`coprod_sim.mechanisms.decisions.adoption_chance`);
- ``needs``: needs are identified (NHS SPH): the concerns of the people
  involved go on the professionals' agenda (each with chance g a week), so
  closed questions (a questionnaire, the set part of an interview) can carry
  them into the plan;
- ``vision``: a vision is co-created (1000 Lives): ``vision`` rises towards 1
  and flattens talking time in meetings as a written vision does (the
  ``written_vision`` lever is a vision already in hand), and the purpose gets
  clearer (as ``clarify``);
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
                            "roles", "partner", "assets", "design", "deliver", "evaluate",
                            "govern", "needs", "vision")


_CODE = {a: k for k, a in enumerate(ACTIONS)}


def do_step(b: Model, wk: Week) -> None:
    """Mechanism 0: the current step of the step model does its work this week.

    Briefing paper: the step models (CAFA 2012, Hill 2012, Spencer, Dineen &
    Phillips 2013, the paper's seven-step summary). See the module's list.
    Each run does its own step's action (runs may be at different steps).
    """
    lev, st = b.lev, b.state
    on = lev.mech_step_actions[:, 0]
    if not b.once("steps_any", on.any):
        return
    action = b.action if b.once("steps_all", on.all) else np.where(on, b.action, -1)
    present = set(action.tolist())
    g = b.constants.step_gain
    q = g / 4  # a week's change to a person's own state is smaller than to the project's

    def rows(name: str) -> np.ndarray | None:
        if _CODE[name] not in present:
            return None
        return (action == _CODE[name])[:, None]

    if (r := rows("identify")) is not None:
        missing = st.invited_group & ~st.reached & r
        found = missing & (b.uniform("step_model", 0) < g)
        st.reached |= found
        st.engaged |= found
    if (r := rows("select")) is not None:
        ever = (st.ever_part[:, :, None] & b.segment_onehot).sum(axis=1)
        size = b.segment_size
        seg_rate = ever / np.maximum(size, 1)
        rate = np.take_along_axis(seg_rate, st.segment, axis=-1)
        low = rate < rate.mean(axis=-1, keepdims=True)
        asked = st.reached & st.engaged & ~st.ever_part & low & r
        np.add(st.motivation, q * (1 - st.motivation), out=st.motivation, where=asked)
    if (r := rows("clarify")) is not None:
        np.add(b.clarity, g * (1.0 - b.clarity), out=b.clarity, where=r[:, 0])
    if (r := rows("engage")) is not None:
        hear = (st.reached & ~st.aware_forum & lev.use_forum & r
                & (b.uniform("step_model", 1) < 0.25 * g))
        st.aware_forum |= hear
    if (r := rows("support")) is not None:
        p = involved(b) & r
        np.add(st.confidence, q * (1 - st.confidence), out=st.confidence, where=p)
    if (r := rows("roles")) is not None:
        b.roles_clear |= r[:, 0]
    if (r := rows("partner")) is not None:
        np.add(b.integration, g * (1.0 - b.integration), out=b.integration, where=r[:, 0])
    if (r := rows("assets")) is not None:
        p = involved(b) & r
        np.add(st.efficacy, q * (1 - st.efficacy), out=st.efficacy, where=p)
    if (r := rows("deliver")) is not None:
        p = involved(b) & r & lev.stage_co_delivery
        np.add(st.efficacy, q * (1 - st.efficacy), out=st.efficacy, where=p)
        np.add(st.confidence, q * (1 - st.confidence), out=st.confidence, where=p)
    if (r := rows("evaluate")) is not None:
        p = involved(b) & (st.adopted > 0) & r & lev.stage_co_assessment
        np.add(st.efficacy, q * (1 - st.efficacy), out=st.efficacy, where=p)
    if (r := rows("govern")) is not None:
        b.roles_clear |= r[:, 0]
        np.add(b.governance, g * (1.0 - b.governance), out=b.governance, where=r[:, 0])
    if (r := rows("needs")) is not None:
        heard = involved(b) & r & (b.uniform("step_model", 0) < g)
        st.on_agenda |= heard
    if (r := rows("vision")) is not None:
        np.add(b.vision, g * (1.0 - b.vision), out=b.vision, where=r[:, 0])
        np.add(b.clarity, g * (1.0 - b.clarity), out=b.clarity, where=r[:, 0])


def vision_held(b: Model) -> np.ndarray:
    """How far a vision is held, per run (runs, 1): 1 with a written vision, else as co-created."""
    return np.maximum(b.lev.written_vision, b.vision[:, None])


def _doing(b: Model, name: str) -> np.ndarray:
    """Which runs' step model does ``name`` this week (runs,)."""
    return b.lev.mech_step_actions[:, 0] & (b.action == _CODE[name])


def contact_boost(b: Model) -> np.ndarray:
    """Factor on staff's contact with users this week, per run (``alliance_boost`` in alliance)."""
    return np.where(_doing(b, "alliance"), b.constants.alliance_boost, 1.0)


def joint_evaluation(b: Model) -> np.ndarray:
    """Whether staff and users judge the change together this week (co-assessment), per run.

    In an evaluation step with users in co-assessment, the seated staff meet
    service users to judge what changed, a meeting of its own whatever the
    activities' cadence.
    """
    return _doing(b, "evaluate") & b.lev.stage_co_assessment[:, 0]


def experience_boost(b: Model) -> np.ndarray:
    """Factor on staff's good experiences this week, per run: 2 while users judge the change."""
    return np.where(joint_evaluation(b), 2.0, 1.0)
