"""Named presets and the step-model pathways.

Presets are :class:`~coprod_sim.scenario.Scenario` objects with names. Pathways
are the step models of the briefing paper; each step maps to one of the
co-production stages of the Governance International (2013) star, and a
pathway decides which stage runs in which week of each project cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from coprod_sim.scenario import Scenario, ScenarioError

#: The four co-production stages (Governance International 2013), in order.
STAGES: tuple[str, ...] = ("co_commissioning", "co_design", "co_delivery", "co_assessment")

STAGE_LABELS: dict[str, str] = {
    "co_commissioning": "deciding what is needed (co-commissioning)",
    "co_design": "designing the change (co-design)",
    "co_delivery": "delivering the change (co-delivery)",
    "co_assessment": "judging how it went (co-assessment)",
}


@dataclass(frozen=True)
class Step:
    """One step of a step model: its words, its stage, its share of a cycle and its action.

    ``action`` is what the step does in its weeks (see
    :mod:`coprod_sim.mechanisms.steps`).
    """

    label: str
    stage: str
    share: float
    action: str = "design"


#: The step models of the briefing paper. Shares of a cycle are assumptions;
#: the steps and their order are the sources' own.
PATHWAYS: dict[str, tuple[Step, ...]] = {
    # No step model: a project still decides, designs, delivers and looks at what
    # changed, in about the step models' average shares, but no step does work of its
    # own (the action "design" is only the activities themselves).
    "none": (Step("Decide what to change", "co_commissioning", 0.25, "design"),
             Step("Design the change", "co_design", 0.4, "design"),
             Step("Deliver the change", "co_delivery", 0.25, "design"),
             Step("Look at what changed", "co_assessment", 0.1, "design")),
    "seven_steps": (  # the briefing paper's own summary
        Step("Identify who will be affected", "co_commissioning", 0.08, "identify"),
        Step("Select who to invite", "co_commissioning", 0.07, "select"),
        Step("Be clear about purpose and expectations", "co_commissioning", 0.07,
             "clarify"),
        Step("Choose the level, stage and method", "co_commissioning", 0.08, "engage"),
        Step("Support people, practically and emotionally", "co_design", 0.30, "support"),
        Step("Build strong working alliances", "co_design", 0.25, "alliance"),
        Step("Make sure everyone understands the 4Rs", "co_delivery", 0.15, "roles"),
    ),
    "cafa": (  # CAFA (2012) five steps to co-production
        Step("Identify every group affected", "co_commissioning", 0.10, "identify"),
        Step("Engage with the groups affected", "co_commissioning", 0.15, "engage"),
        Step("Empower participants", "co_design", 0.25, "support"),
        Step("Agree how the project will be governed", "co_design", 0.15, "govern"),
        Step("Deliver", "co_delivery", 0.35, "deliver"),
    ),
    "nhs_sph": (  # Hill (2012), NHS Solutions for Public Health
        Step("Involve people and their communities", "co_commissioning", 0.15, "engage"),
        Step("Form partnerships with organisations", "co_commissioning", 0.10, "partner"),
        Step("Identify needs", "co_design", 0.20, "needs"),
        Step("Identify and agree priority action", "co_design", 0.20, "clarify"),
        Step("Deliver change", "co_delivery", 0.35, "deliver"),
    ),
    "1000_lives": (  # Spencer, Dineen & Phillips (2013), 1000 Lives
        Step("Build the initial team", "co_commissioning", 0.10, "alliance"),
        Step("Define and share assets", "co_commissioning", 0.10, "assets"),
        Step("Co-create the vision", "co_design", 0.15, "vision"),
        Step("Co-design the solution", "co_design", 0.25, "design"),
        Step("Co-delivery", "co_delivery", 0.25, "deliver"),
        Step("Co-evaluate", "co_assessment", 0.15, "evaluate"),
    ),
}


def step_schedule(pathway: str, cycle_weeks: int, weeks: int) -> list[Step]:
    """Return the :class:`Step` of each week of a run (cycles repeat)."""
    steps = PATHWAYS[pathway]
    one_cycle: list[Step] = []
    edge = 0.0
    for step in steps:
        edge += step.share * cycle_weeks
        while len(one_cycle) < round(edge):
            one_cycle.append(step)
    while len(one_cycle) < cycle_weeks:
        one_cycle.append(steps[-1])
    return [one_cycle[w % cycle_weeks] for w in range(weeks)]


def stage_schedule(pathway: str, cycle_weeks: int, weeks: int) -> list[tuple[str, str]]:
    """Return ``(stage, step label)`` for each week of a run.

    The pathway's steps fill one cycle of ``cycle_weeks`` weeks in proportion to
    their shares; cycles repeat until ``weeks``.
    """
    steps = PATHWAYS[pathway]
    one_cycle: list[tuple[str, str]] = []
    edge = 0.0
    for step in steps:
        edge += step.share * cycle_weeks
        while len(one_cycle) < round(edge):
            one_cycle.append((step.stage, step.label))
    while len(one_cycle) < cycle_weeks:
        one_cycle.append((steps[-1].stage, steps[-1].label))
    return [one_cycle[w % cycle_weeks] for w in range(weeks)]


_FULL_SUPPORT = dict(
    large_print=True, plain_language=True, hearing_loop=True, accessible_venue=True,
    flexible_timing=True, pay_expenses=True, digital_inclusion=True, buddying=True,
    ground_rules=True, written_vision=True, feedback_rationale=True,
    inclusive_communication=True, peer_support=True, staff_training=True, roles_4rs=True,
)
_ONE_METHOD = dict(use_forum=False, use_focus_groups=False, use_interviews=False,
                   use_questionnaire=False)

_PRESETS: dict[str, tuple[str, dict]] = {
    "default": ("The model's defaults: a forum and a questionnaire, power shared in the "
                "middle of the range, no extra support.", {}),
    "questionnaire_only": ("Questionnaires alone: broad reach, little influence.",
                           {**_ONE_METHOD, "use_questionnaire": True}),
    "forum_only": ("An established forum alone: deep but small, and skewed to the "
                   "confident.", {**_ONE_METHOD, "use_forum": True}),
    "focus_groups_only": ("Bespoke focus groups alone.",
                          {**_ONE_METHOD, "use_focus_groups": True}),
    "interviews_only": ("Semi-structured interviews alone: a lower confidence barrier, "
                        "but the agenda is set by professionals.",
                        {**_ONE_METHOD, "use_interviews": True}),
    "mixed_methods": ("All four methods used in tandem, with the default support.",
                      {"use_forum": True, "use_focus_groups": True, "use_interviews": True,
                       "use_questionnaire": True}),
    "tokenistic_consultation": (
        "A questionnaire, little power shared, decisions by email and no feedback.",
        {**_ONE_METHOD, "use_questionnaire": True, "power_sharing": 0.1,
         "purpose_clarity": 0.2, "email_decision_share": 0.5}),
    "peer_tipping": (
        "Everyone affected is invited, but invitations reach few; a funded peer support "
        "network spreads involvement to the people they missed. Near a reach of 0.1 a "
        "little more reach tips participation (Granovetter 1978).",
        {"use_forum": True, "use_interviews": True, "use_questionnaire": True,
         "peer_support": True, "invite_families": True, "invite_community": True,
         "invitation_reach": 0.15, "peer_recruitment_rate": 0.1, "pathway": "none",
         "weeks": 104}),
    "full_coproduction": (
        "Methods in tandem, barriers removed, buddying, ground rules, a clear vision, "
        "feedback with reasons, inclusive communication, trained staff and high power "
        "sharing.",
        {"use_forum": True, "use_focus_groups": True, "use_interviews": True,
         "use_questionnaire": True, "power_sharing": 0.85, "purpose_clarity": 0.9,
         "invite_families": True, "invite_community": True, "invitation_reach": 0.8,
         "frontline_seats": 0.5, "stage_co_commissioning": True, "stage_co_design": True,
         "stage_co_delivery": True, "stage_co_assessment": True, **_FULL_SUPPORT}),
}


def names() -> list[str]:
    """Return the preset names."""
    return list(_PRESETS)


def describe(name: str) -> str:
    """Return the one-sentence description of a preset."""
    get(name)
    return _PRESETS[name][0]


def get(name: str, **changes) -> Scenario:
    """Return the named preset as a :class:`Scenario`, optionally with changes.

    Raises:
        ScenarioError: for an unknown preset name or a bad change.
    """
    if name not in _PRESETS:
        raise ScenarioError([("preset", name, "one of " + ", ".join(map(repr, _PRESETS)))])
    description, values = _PRESETS[name]
    return Scenario(name=name, description=description, **{**values, **changes})
