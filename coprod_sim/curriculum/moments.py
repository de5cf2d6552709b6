"""The predict-then-reveal moments of notebooks 01-06, by key.

Each moment states the question, the plans compared and, in ``why``, the
teaching point in plain words with the briefing paper's sources. The notebooks
show a moment with ``kit.moment("key")``. The test suite checks that every
moment runs, and reports where the model's answer differs from the paper's point
(``EXPECTED``), so calibration changes that contradict the paper are noticed.
"""

from __future__ import annotations

from coprod_sim.curriculum.predict import (
    DOWN,
    UP,
    Compare,
    Direction,
    Estimate,
    Moment,
    Plan,
)
from coprod_sim.presets import get as preset

_D = preset("default")
_BARRIERS = dict(large_print=True, plain_language=True, hearing_loop=True,
                 accessible_venue=True, flexible_timing=True, pay_expenses=True,
                 digital_inclusion=True)
_FG = _D.replace(use_focus_groups=True)
_RUN_WELL = _D.replace(staff_training=True, feedback_rationale=True)
_LONG = _D.replace(use_interviews=True, power_sharing=0.7, feedback_rationale=True,
                   inclusive_communication=True, staff_training=True, plain_language=True,
                   large_print=True, pay_expenses=True, ground_rules=True, roles_4rs=True,
                   invite_families=True)

_LIST: list[Moment] = [
    Compare(
        "01_levels", "01",
        "Two projects run for a year. Which ends up further along the line from "
        "description towards transformation (the higher partnership score)?",
        "Where service users only answer set questions and have little say, their "
        "involvement stays at the level of description or recognition. When people "
        "take part in several ways, with support and real power, the project moves "
        "towards transformation: an equal partnership (Needham & Carr 2009).",
        plans=[Plan("A: a questionnaire, little power shared",
                    preset("tokenistic_consultation")),
               Plan("B: many methods, support, shared power", preset("full_coproduction"))],
        outcome="ladder_score"),
    Compare(
        "02_reach", "02",
        "Plan A invites only patients and reaches a few of them. Plan B invites patients, "
        "carers, families and the wider community, and reaches most of them. Which plan "
        "ends up with the more representative mix of people taking part?",
        "Inviting everyone who is affected, directly and indirectly, gives a mix that "
        "looks more like the whole community (CAFA 2012, step 1). It also costs more: "
        "look at the cost of each plan too. That is the balance between inclusion and "
        "practicality.",
        plans=[Plan("A: patients only, small reach",
                    _D.replace(invite_carers=False, invitation_reach=0.3)),
               Plan("B: everyone affected, wide reach",
                    _D.replace(invite_families=True, invite_community=True,
                               invitation_reach=0.9))],
        outcome="representativeness"),
    Estimate(
        "02_young", "02",
        "In the model's usual plan (a forum and a questionnaire), what share of people "
        "aged 16 to 34 will be taking part at the end of the year? Move the slider.",
        "Younger adults and people in deprived areas answer surveys and join groups far "
        "less often than older people (evidence.md: Scottish Health and Care Experience "
        "Survey). Unless a plan reaches out to them on purpose, they are the people who "
        "end up missing.",
        plan=Plan("the usual plan", _D), outcome="part_age_16_34",
        low=0, high=60, step=1, close_within=5),
    Compare(
        "03_reach", "03",
        "Which method alone reaches the more representative mix of people: "
        "a questionnaire or an established forum?",
        "Questionnaires reach a bigger and broader group, and are easier for people who "
        "are less confident. Forums and focus groups draw small numbers of the confident "
        "and articulate, so they may not represent everyone (Gibbs 1997).",
        plans=[Plan("A questionnaire only", preset("questionnaire_only")),
               Plan("A forum only", preset("forum_only"))],
        outcome="representativeness"),
    Compare(
        "03_influence", "03",
        "Now the other side. With which method do service users' views change more of "
        "what is decided?",
        "In a forum, service users are in the room and can shape the discussion. In a "
        "questionnaire the questions are set by professionals, so answers can change "
        "little: used alone, it risks being tokenistic.",
        plans=[Plan("A questionnaire only", preset("questionnaire_only")),
               Plan("A forum only", preset("forum_only"))],
        outcome="influence"),
    Compare(
        "03_tandem", "03",
        "Which engages the most people over the year (the biggest share who take part "
        "at least once): a forum alone, a questionnaire alone, or all four methods used "
        "together?",
        "Each method reaches some people and misses others. Used in tandem, methods make "
        "up for each other's gaps, which is why several methods together can make the "
        "most of service user engagement.",
        plans=[Plan("A forum alone", preset("forum_only")),
               Plan("A questionnaire alone", preset("questionnaire_only")),
               Plan("All four methods together", preset("mixed_methods"))],
        outcome="ever_took_part"),
    Compare(
        "04_barriers", "04",
        "Plan B adds large print, plain language, a hearing loop, an accessible venue, "
        "meeting times that suit people, paid expenses and contact for people who are "
        "not online. Which plan has more people with an access need taking part?",
        "Each barrier that is removed lets in the people who face it (NLIAH 2010). A "
        "barrier that nobody removes quietly shuts out the people who have that need, "
        "and they are often the people a service most needs to hear.",
        plans=[Plan("A: no adjustments", _D), Plan("B: barriers removed",
                                                   _D.replace(**_BARRIERS))],
        outcome="part_with_needs", same_within=0.015),
    Compare(
        "04_quiet", "04",
        "Both plans use a forum and focus groups. Plan B adds buddying, ground rules made "
        "together and a clear written vision. In which plan do less confident people get "
        "the fairer share of talking time?",
        "Buddying helps people follow and join in with meetings (NLIAH 2010). Ground "
        "rules made together build mutual respect, and a shared written vision means "
        "everyone knows what the meeting is for. Together they make it easier for "
        "quieter people to speak.",
        plans=[Plan("A: meetings as usual", _FG),
               Plan("B: buddying, ground rules, vision",
                    _FG.replace(buddying=True, ground_rules=True, written_vision=True))],
        outcome="quiet_voice", same_within=0.05),
    Compare(
        "05_feedback", "05",
        "In both plans staff adopt few of the views they hear. In plan B they explain "
        "what happened to each view and why. Which plan keeps more people involved?",
        "When a view is not used and nobody says why, people feel unheard and drift "
        "away. A reason, even for a 'no', keeps trust and keeps people involved.",
        plans=[Plan("A: no feedback", _D.replace(power_sharing=0.3)),
               Plan("B: feedback with reasons",
                    _D.replace(power_sharing=0.3, feedback_rationale=True))],
        outcome="retention"),
    Direction(
        "05_email", "05",
        "In this project most decisions are made by email between meetings, and service "
        "users are not on the emails. Over the year, will service users' trust go up, "
        "go down or stay about the same?",
        "Staff often talk by email between meetings. When service users are left out of "
        "those conversations, decisions seem to appear from nowhere, which undermines "
        "the whole effort of coproduction.",
        plan=Plan("decisions by email", _D.replace(email_decision_share=0.8)),
        outcome="trust"),
    Compare(
        "05_power", "05",
        "Three plans are run the same way (staff trained, feedback given) but share "
        "different amounts of power with service users. Which has the most influence "
        "(the most of users' views adopted into the plan)?",
        "Moving from description to recognition to transformation means giving service "
        "users more say over what is decided (Needham & Carr 2009). Only then can their "
        "views change the plan.",
        plans=[Plan("Little power shared", _RUN_WELL.replace(power_sharing=0.1)),
               Plan("Some power shared", _RUN_WELL.replace(power_sharing=0.5)),
               Plan("Much power shared", _RUN_WELL.replace(power_sharing=0.9))],
        outcome="influence"),
    Compare(
        "06_first_year", "06",
        "A finance manager compares two plans after one year. Which shows the better "
        "balance of benefit minus cost?",
        "In the first year coproduction is mostly cost: meetings, support and training. "
        "Benefits build up slowly, once changes shaped by service users start to work. "
        "A view that looks only at this year's costs sees the cheap plan as better.",
        plans=[Plan("A: a questionnaire only", preset("questionnaire_only")),
               Plan("B: full coproduction", preset("full_coproduction"))],
        outcome="net_benefit", same_within=500),
    Compare(
        "06_five_years", "06",
        "The same two plans, now looked at after five years. Which shows the better "
        "balance of benefit minus cost?",
        "This is the long game: the benefits of coproduction are not immediate, but over "
        "time they can outweigh the costs (Boyle, Slay & Stephens 2010). How long the "
        "delay is, and how big the benefit, are assumptions in this model, not measured "
        "facts.",
        plans=[Plan("A: a questionnaire only", preset("questionnaire_only")),
               Plan("B: full coproduction", preset("full_coproduction"))],
        outcome="net_benefit", same_within=500, weeks=260, seeds=(1, 2, 3)),
    Compare(
        "06_training", "06",
        "Both plans share a lot of power with service users. In plan B staff are trained "
        "in coproduction first. In which plan are staff more anxious about risk?",
        "Shifting power can make staff anxious about risk, and existing policies can add "
        "to the resistance. Training helps staff understand why coproduction matters and "
        "feel confident doing it.",
        plans=[Plan("A: no training", _D.replace(power_sharing=0.9)),
               Plan("B: staff trained", _D.replace(power_sharing=0.9, staff_training=True))],
        outcome="staff_anxiety"),
    Estimate(
        "06_payback", "06",
        "A well-supported plan runs for five years. In which week will the benefit so far "
        "catch up with the cost so far? Move the slider.",
        "Costs start in week 1. In this model, benefits start only once changes shaped "
        "by users have had time to work (an assumption of about a year), then grow as "
        "more changes are made. So payback comes years, not months, after the start.",
        plan=Plan("the well-supported plan", _LONG), outcome="payback_week",
        low=1, high=260, step=1, close_within=26, weeks=260, seeds=(1, 2, 3)),
]

#: Moments by key.
MOMENTS: dict[str, Moment] = {m.key: m for m in _LIST}

#: The answer the briefing paper's point leads us to expect, for each choice moment.
EXPECTED: dict[str, str] = {
    "01_levels": "B: many methods, support, shared power",
    "02_reach": "B: everyone affected, wide reach",
    "03_reach": "A questionnaire only",
    "03_influence": "A forum only",
    "03_tandem": "All four methods together",
    "04_barriers": "B: barriers removed",
    "04_quiet": "B: buddying, ground rules, vision",
    "05_feedback": "B: feedback with reasons",
    "05_email": DOWN,
    "05_power": "Much power shared",
    "06_first_year": "A: a questionnaire only",
    "06_five_years": "B: full coproduction",
    "06_training": "A: no training",
}

assert set(EXPECTED) <= set(MOMENTS)
assert UP != DOWN


def get_moment(key: str) -> Moment:
    """Return a moment by key.

    Raises:
        KeyError: naming the key and the known keys.
    """
    try:
        return MOMENTS[key]
    except KeyError:
        raise KeyError(f"unknown moment {key!r}; known: {', '.join(MOMENTS)}") from None
