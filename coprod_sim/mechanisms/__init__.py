"""The model's mechanisms, one function each, in the order a week runs them.

:data:`SCHEDULE` is the weekly order used by
:meth:`coprod_sim.batch.Batch.step` (so by
:meth:`coprod_sim.model.CoproductionModel.step`, a batch of one); each entry
names the mechanism, the function, the switch that turns it off (``None`` when
the step is bookkeeping that cannot be switched off) and the briefing paper's
claim it implements. ``docs/ODD.md`` is checked against this list by the tests.

Every function takes ``(b, wk)``: the running :class:`~coprod_sim.batch.Batch`
(state arrays with a leading run axis, per-run levers ``b.lev`` of shape
``(runs, 1)``) and the :class:`~coprod_sim.state.Week` being built. A
mechanism updates state arrays in place (never rebinds them: a model's
``state`` is a view of row 0), masks by run where a switch or an activity
differs between runs, never reduces over the run axis, and draws its random
numbers from its own counter-based streams (``b.uniform(name, draw)``,
:mod:`coprod_sim.randomness`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coprod_sim.mechanisms import (
    attendance,
    benefits,
    decisions,
    feedback,
    learning,
    meetings,
    staff,
    steps,
    turnover,
)


@dataclass(frozen=True)
class Mechanism:
    """A named mechanism of the weekly schedule."""

    name: str
    function: Callable
    switches: tuple[str, ...]
    claim: str


SCHEDULE: tuple[Mechanism, ...] = (
    Mechanism("step_model", steps.do_step, ("mech_step_actions",),
              "Each step of a step model does its own work: identify, select, be "
              "clear, engage, support, build alliances, set out roles, agree governance, "
              "identify needs, co-create a vision, deliver, evaluate."),
    Mechanism("invitations", attendance.invite, (),
              "Methods differ in reach: forums, focus groups, interviews, questionnaires."),
    Mechanism("attendance", attendance.decide_attendance,
              ("mech_barriers", "mech_segment_gap", "mech_peer_influence",
               "mech_confidence_bias", "mech_commitment", "mech_payment_incentive"),
              "Barriers, confidence, motivation and peers decide who takes part."),
    Mechanism("voice", meetings.share_voice,
              ("mech_voice_inequality", "mech_jargon", "mech_manager_dominance"),
              "Voice is unequal; ground rules and a vision flatten it, a buddy lends "
              "confidence; jargon hurts understanding; managers dominate working parties."),
    Mechanism("adoption", decisions.adopt_views, ("mech_power_sharing",),
              "Views are adopted according to power sharing, openness and resistance; "
              "the staff add items of their own as far as power is not shared."),
    Mechanism("email_exclusion", decisions.exclude_by_email, ("mech_email_exclusion",),
              "Decisions by email without service users undermine coproduction."),
    Mechanism("feedback", feedback.give_feedback, ("mech_feedback",),
              "Views adopted, or explained when not, keep people engaged; ignored "
              "views, and being talked over, drive disengagement."),
    Mechanism("ignored_memory", feedback.remember_ignored, ("mech_ignored_memory",),
              "People whose views go unheard disengage, and carry it: they come less "
              "even when invited again."),
    Mechanism("word_of_mouth", feedback.spread_word, ("mech_word_of_mouth",),
              "People who were not heard tell their peers, who come less too."),
    Mechanism("confidence", learning.grow_confidence, ("mech_confidence_growth",),
              "Being heard, with support, builds confidence."),
    Mechanism("fatigue", learning.build_fatigue, ("mech_fatigue",),
              "Burden tires people, more so when the purpose is unclear."),
    Mechanism("staff_training", staff.train_staff, (),
              "Investment in staff training builds confidence to coproduce."),
    Mechanism("staff_anxiety", staff.update_anxiety, ("mech_staff_anxiety",),
              "Power shifts create anxiety about risk."),
    Mechanism("staff_openness", staff.update_openness, ("mech_staff_learning",),
              "Training and good experiences bring the cultural shift."),
    Mechanism("dropout", turnover.drop_out, ("mech_dropout",),
              "People disengage when not heard or worn out; involved peers and clear "
              "roles hold them in."),
    Mechanism("life_exits", turnover.leave_life, ("mech_life_exits",),
              "People stop for reasons of their own life, whatever the design."),
    Mechanism("peer_recruitment", turnover.recruit_peers, ("mech_peer_recruitment",),
              "Peer support networks spread involvement past people's thresholds."),
    Mechanism("panel_drift", turnover.drift_panel, ("mech_panel_drift",),
              "Standing groups go quiet unless refreshed."),
    Mechanism("costs_and_benefits", benefits.accrue, ("mech_benefit_lag",),
              "Costs come first; benefits come late (the long game)."),
)

__all__ = ["SCHEDULE", "Mechanism"]
