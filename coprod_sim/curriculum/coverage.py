"""Every idea of the briefing paper, and where the course explores it.

:data:`ITEMS` lists the paper's ideas (its definitions, benefits, difficulties,
six characteristics, three levels, three step models, methods and their
criticisms, supports, barriers, trust, the 4Rs and the seven steps), each with
the places a trainee explores it: a predict-then-reveal moment (one idea, one
change), an activity for an idea the model does not hold (a sort or a case), a
live lever, an exercise, or notebook 07's planner. The trainer guide's coverage
table is :func:`table`, and ``tests/test_coverage.py`` keeps both complete:
every item has a place, and every place exists and is used in a notebook.

A place is written ``kind:key``: ``moment:01_levels``, ``activity:01_six_features``,
``live:hearing_loop`` (a lever of a chapter's Try-it-yourself panel),
``exercise:ex2`` or ``planner:07``.
"""

from __future__ import annotations

#: (area of the paper, the idea, where it is explored).
ITEMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("What it is", "The definition: an equal and reciprocal relationship",
     ("activity:01_what_is_it",)),
    ("What it is", "Relational, not transactional; working with, not doing to",
     ("activity:01_what_is_it",)),
    ("What it is", "Moving away from top-down consultation", ("activity:01_what_is_it",
                                                               "moment:01_levels")),
    ("What it is", "Service users as experts by experience", ("activity:01_six_features",)),
    ("What it is", "Cost-efficiency misses preventative benefits",
     ("moment:06_first_year", "moment:06_five_years")),
    ("Four stages", "Co-commissioning, co-design, co-delivery, co-assessment",
     ("planner:07", "exercise:ex3")),
    ("Benefits", "People feel valued when views are used, not just heard",
     ("activity:01_benefit_or_difficulty", "moment:05_feedback")),
    ("Benefits", "Different perspectives make services fit needs better",
     ("moment:03_influence",)),
    ("Benefits", "Shifting power builds resilient communities",
     ("activity:01_benefit_or_difficulty",)),
    ("Benefits", "Underused knowledge, skills and time", ("activity:01_benefit_or_difficulty",)),
    ("Benefits", "People who invest in a service stay engaged", ("moment:04_peer",
                                                                 "moment:05_4rs")),
    ("Difficulties", "Joining up health and social care (finance and governance)",
     ("activity:06_joined_up", "activity:01_benefit_or_difficulty")),
    ("Difficulties", "Benefits are not immediate: the long game",
     ("moment:06_first_year", "moment:06_five_years", "moment:06_payback",
      "exercise:ex4")),
    ("Difficulties", "Shifting power makes staff anxious about risk", ("moment:06_training",
                                                                       "exercise:ex3")),
    ("Difficulties", "Policies and procedures as barriers; resistance to change",
     ("activity:06_policy", "activity:01_benefit_or_difficulty")),
    ("Difficulties", "Staff need training", ("moment:06_training", "live:staff_training")),
    ("Six characteristics", "People as assets", ("activity:01_six_features",)),
    ("Six characteristics", "Building on people's capabilities", ("activity:01_six_features",)),
    ("Six characteristics", "Mutuality and reciprocity", ("activity:01_six_features",)),
    ("Six characteristics", "Peer support networks", ("activity:01_six_features",
                                                      "moment:04_peer")),
    ("Six characteristics", "Blurring distinctions", ("activity:01_six_features",)),
    ("Six characteristics", "Facilitating rather than delivering",
     ("activity:01_six_features",)),
    ("Three levels", "Description", ("activity:01_three_levels", "moment:01_levels")),
    ("Three levels", "Recognition", ("activity:01_three_levels", "moment:01_levels")),
    ("Three levels", "Transformation", ("activity:01_three_levels", "moment:01_levels",
                                        "exercise:ex3")),
    ("Step models", "No one size fits all; a model gives structure", ("moment:01_steps",)),
    ("Step models", "CAFA five steps", ("moment:01_steps", "planner:07")),
    ("Step models", "NHS SPH five steps", ("moment:01_steps", "planner:07")),
    ("Step models", "1000 Lives six steps", ("moment:01_steps", "planner:07")),
    ("Engaging", "Identify everyone affected, directly and indirectly",
     ("moment:02_reach", "live:invite_families")),
    ("Engaging", "Balance inclusion with practicality", ("moment:02_reach",
                                                         "live:invitation_reach",
                                                         "exercise:ex1")),
    ("Engaging", "Who goes missing: young people, deprived areas", ("moment:02_young",)),
    ("Engaging", "Be clear about purpose and expectation", ("moment:03_purpose",)),
    ("Engaging", "People choose their own level of engagement", ("activity:02_own_level",)),
    ("Methods", "Established forums", ("moment:03_reach", "moment:03_influence")),
    ("Methods", "Focus groups", ("moment:03_tandem", "activity:03_small_group")),
    ("Methods", "Semi-structured interviews", ("moment:03_tandem", "live:use_interviews")),
    ("Methods", "Questionnaires", ("moment:03_reach", "live:use_questionnaire")),
    ("Methods", "Forums shape discussions, not just add to them", ("moment:03_influence",)),
    ("Methods", "Forums and groups may not be representative", ("moment:03_reach",)),
    ("Methods", "Small groups foster idiosyncratic views", ("activity:03_small_group",)),
    ("Methods", "Working parties dominated by managers", ("moment:03_frontline",)),
    ("Methods", "Interviews and questionnaires can be tokenistic", ("moment:03_influence",
                                                                    "exercise:ex4")),
    ("Methods", "Several methods in tandem", ("moment:03_tandem", "moment:03_tandem_mix")),
    ("Support", "Buddying", ("moment:04_buddy",)),
    ("Support", "A clear written vision", ("moment:04_vision",)),
    ("Support", "Ground rules made together", ("moment:04_ground_rules",)),
    ("Barriers", "Large print", ("moment:04_print",)),
    ("Barriers", "Avoiding jargon", ("moment:04_jargon",)),
    ("Barriers", "Hearing loop", ("moment:04_hearing", "live:hearing_loop")),
    ("Barriers", "A suitable venue", ("moment:04_venue",)),
    ("Barriers", "A suitable time", ("moment:04_timing", "live:flexible_timing")),
    ("Barriers", "Paying out-of-pocket expenses", ("moment:04_expenses", "exercise:ex2")),
    ("Trust", "Trust over a year", ("moment:05_trust",)),
    ("Trust", "Sharing power", ("moment:05_power", "live:power_sharing")),
    ("Trust", "Feedback with a reason, or people disengage", ("moment:05_feedback",
                                                              "live:feedback_rationale",
                                                              "exercise:ex2")),
    ("Trust", "Decisions by email leave people out", ("moment:05_email", "exercise:ex2")),
    ("The 4Rs", "Role, remit, relationships, responsibility", ("activity:05_4rs",
                                                               "moment:05_4rs")),
    ("Seven steps", "1 Identify", ("moment:02_reach", "planner:07")),
    ("Seven steps", "2 Select", ("moment:02_reach", "planner:07")),
    ("Seven steps", "3 Be clear", ("moment:03_purpose", "planner:07")),
    ("Seven steps", "4 Choose level, stage and method", ("moment:03_tandem", "planner:07")),
    ("Seven steps", "5 Support", ("moment:04_buddy", "planner:07")),
    ("Seven steps", "6 Build alliances", ("moment:05_feedback", "planner:07")),
    ("Seven steps", "7 Understand the 4Rs", ("moment:05_4rs", "planner:07")),
)

#: What each kind of place is called in the trainer guide.
KINDS = {"moment": "moment", "activity": "activity", "live": "live lever",
         "exercise": "exercise", "planner": "planner"}


def where(place: str) -> str:
    """A place in plain words with the notebook it is in (for the table)."""
    kind, key = place.split(":", 1)
    return f"{KINDS[kind]} `{key}`"


def table() -> str:
    """The coverage table, as Markdown (what the trainer guide holds)."""
    lines = ["| Area | Idea of the paper | Where a trainee explores it |", "|---|---|---|"]
    for area, item, places in ITEMS:
        lines.append(f"| {area} | {item} | {', '.join(where(p) for p in places)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
