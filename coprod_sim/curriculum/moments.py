"""The predict-then-reveal moments of notebooks 00-06, by key.

Each moment states the question, the plans compared and, in ``why``, the
teaching point in plain words with the briefing paper's sources. The notebooks
show a moment with ``kit.moment("key")``. The test suite checks that every
moment runs, and reports where the model's answer differs from the paper's point
(``EXPECTED``), so calibration changes that contradict the paper are noticed.
"""

from __future__ import annotations

from coprod_sim.curriculum.exercises import EX4 as _EX4_CHALLENGE
from coprod_sim.curriculum.predict import Compare, Estimate, Moment, Plan
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
_EX4 = _EX4_CHALLENGE.start
_EVERYONE = dict(invite_families=True, invite_community=True, invitation_reach=0.9)
_WIDE_Q = preset("questionnaire_only").replace(**_EVERYONE)
_WIDE_F = preset("forum_only").replace(**_EVERYONE)
_PARTNER = _D.replace(use_interviews=True, feedback_rationale=True, power_sharing=0.7,
                      staff_training=True, ground_rules=True)

_LIST: list[Moment] = [
    Estimate(
        "00_usual", "00",
        "About 200 people are affected by the change. In the model's usual plan (a forum "
        "and a questionnaire, inviting patients and carers), what share of all 200 will be "
        "taking part at the end of the year? Move the slider.",
        "Most people affected never take part. Half of the patients and carers hear "
        "about it, families and neighbours are not invited, and of those invited many "
        "do not come or soon stop. The notebooks ahead look at why, and what changes it.",
        plan=Plan("the usual plan", _D), outcome="participation_rate",
        low=0, high=100, step=1, close_within=5),
    Compare(
        "01_levels", "01",
        "Two projects run for a year. Plan A sends a questionnaire and staff keep the "
        "decisions. Plan B holds interviews, gives feedback on every view, trains staff, "
        "agrees ground rules and shares much of the power. Which ends the year further "
        "along the line from description towards transformation (the higher partnership "
        "score)?",
        "When service users only answer set questions and have little say, their "
        "involvement stays near description or recognition. Real power, feedback and "
        "support move a project along the line towards transformation, an equal "
        "partnership (Needham & Carr 2009). But look at where plan B stops after one "
        "year: short of an equal partnership. Getting there takes longer, which is the "
        "long game of notebook 06.",
        plans=[Plan("Plan A", preset("tokenistic_consultation"),
                    "a questionnaire; staff keep the decisions"),
               Plan("Plan B", _PARTNER,
                    "interviews, feedback, trained staff, ground rules, much power shared")],
        outcome="ladder_score", same_within=0.05),
    Compare(
        "02_reach", "02",
        "Plan A invites patients and carers. Plan B also invites families and the wider "
        "community. Both reach half of the people they invite and use the same methods. "
        "At the end of the year, which plan has the larger share of everyone affected "
        "taking part?",
        "Step 1 of the CAFA (2012) model is to identify every group the change affects, "
        "directly (patients) and indirectly (carers, families, the community). Inviting "
        "more of them brings more of the people affected in. But look at the cost line: "
        "every extra person invited costs staff time and money. That is the balance "
        "between inclusion and practicality the briefing paper asks for.",
        plans=[Plan("Plan A", _D, "patients and carers invited"),
               Plan("Plan B", _D.replace(invite_families=True, invite_community=True),
                    "patients, carers, families and the community invited")],
        outcome="participation_rate", same_within=0.02, also=("cost",)),
    Estimate(
        "02_young", "02",
        "In the model's usual plan (a forum and a questionnaire), what share of people "
        "aged 16 to 34 will be taking part at the end of the year? Move the slider.",
        "Younger adults and people in deprived areas answer health surveys and join groups "
        "far less often than older people (the Scottish Health and Care Experience Survey, "
        "in the kit's evidence notes; the briefing paper does not cite it). Unless a plan "
        "reaches out to them on purpose, they are the people who end up missing.",
        plan=Plan("the usual plan", _D), outcome="part_age_16_34",
        low=0, high=60, step=1, close_within=5),
    Compare(
        "03_reach", "03",
        "Both plans invite everyone affected and reach nine in ten of them. One uses only "
        "a questionnaire; the other only an established forum. Which reaches the more "
        "representative mix of people?",
        "Questionnaires reach a bigger and broader group, and are easier for people who "
        "are less confident. Forums and focus groups draw small numbers of the confident "
        "and articulate, so they may not represent everyone (Gibbs 1997).",
        plans=[Plan("A questionnaire only", _WIDE_Q), Plan("A forum only", _WIDE_F)],
        outcome="representativeness"),
    Compare(
        "03_influence", "03",
        "Now the other side. With which method do service users' views change more of "
        "what is decided?",
        "In a forum, service users are in the room and can shape the discussion. In a "
        "questionnaire the questions are set by professionals, so answers can change "
        "little: used alone, it risks being tokenistic.",
        plans=[Plan("A questionnaire only", _WIDE_Q), Plan("A forum only", _WIDE_F)],
        outcome="influence"),
    Compare(
        "03_tandem", "03",
        "Which engages the most people over the year (the biggest share who take part "
        "at least once)? Plan A runs a forum. Plan B sends a questionnaire. Plan C runs a "
        "forum, focus groups and interviews and sends a questionnaire.",
        "Each method reaches some people and misses others. Used in tandem, methods make "
        "up for each other's gaps, which is why the briefing paper suggests using several "
        "together to involve as many service users as possible.",
        plans=[Plan("Plan A", preset("forum_only"), "a forum"),
               Plan("Plan B", preset("questionnaire_only"), "a questionnaire"),
               Plan("Plan C", preset("mixed_methods"), "all four methods together")],
        outcome="ever_took_part"),
    Compare(
        "04_barriers", "04",
        "Both plans invite everyone affected and reach nine in ten of them, with a forum "
        "and a questionnaire. Plan A makes no adjustments. Plan B offers large print, "
        "plain language, a hearing loop, an accessible venue, meeting times that suit "
        "people, paid expenses and contact for people who are not online. Which plan has "
        "more people with an access need taking part?",
        "Each barrier that is removed lets in the people who face it (NLIAH 2010). A "
        "barrier that nobody removes quietly shuts out the people who have that need. "
        "Look at the second line too: people with no access need are counted there. If "
        "they take part more as well, ask why; in the model, people who take part bring "
        "their peers along.",
        plans=[Plan("Plan A", _D.replace(**_EVERYONE), "no adjustments"),
               Plan("Plan B", _D.replace(**_EVERYONE, **_BARRIERS), "seven barriers removed")],
        outcome="part_with_needs", same_within=0.015, also=("part_without_needs",)),
    Compare(
        "04_quiet", "04",
        "Both plans use a forum and focus groups. Plan B adds buddying, ground rules made "
        "together and a clear written vision. In which plan do less confident people get "
        "the fairer share of talking time?",
        "Buddying helps people follow and join in with meetings (NLIAH 2010). Ground "
        "rules made together build mutual respect, and a shared written vision means "
        "everyone knows what the meeting is for. Together they make it easier for "
        "quieter people to speak.",
        plans=[Plan("Plan A", _FG, "meetings as usual"),
               Plan("Plan B", _FG.replace(buddying=True, ground_rules=True,
                                          written_vision=True),
                    "buddying, ground rules and a written vision")],
        outcome="quiet_voice", same_within=0.05),
    Compare(
        "05_feedback", "05",
        "In both plans staff adopt few of the views they hear. In plan A they tell people "
        "what happened to each view, and why when it was not used. In plan B they say "
        "nothing. Over two years, which plan keeps more people involved?",
        "When a view is not used and nobody says why, people feel unheard and drift "
        "away. A reason, even for a 'no', keeps trust and keeps people involved.",
        plans=[Plan("Plan A", _FG.replace(power_sharing=0.3, feedback_rationale=True),
                    "staff explain what happened to each view"),
               Plan("Plan B", _FG.replace(power_sharing=0.3), "staff say nothing")],
        outcome="retention", weeks=104),  # people drift away slowly: two years shows it
    Compare(
        "05_email", "05",
        "In plan A, staff take most decisions by email between meetings, and service "
        "users are not on the emails. In plan B, no decisions are taken by email: they "
        "are all taken in meetings. At the end of the year, in which plan do service users "
        "trust the service more?",
        "Staff often talk by email between meetings. When service users are left out of "
        "those conversations, decisions seem to appear from nowhere, which can undermine "
        "the whole effort of coproduction. In both plans trust drifts down over the year; "
        "the question is how much the emails add to that.",
        plans=[Plan("Plan A", _D.replace(email_decision_share=0.8),
                    "most decisions by email, without service users"),
               Plan("Plan B", _D.replace(email_decision_share=0.0),
                    "no decisions by email")],
        outcome="trust", same_within=0.015),
    Compare(
        "05_power", "05",
        "Three plans are run the same way (staff trained, feedback given) but share "
        "different amounts of power with service users: plan A a little, plan B some, "
        "plan C much. Which has the most influence (the most of users' views adopted "
        "into the plan)?",
        "Moving from description to recognition to transformation means giving service "
        "users more say over what is decided (Needham & Carr 2009). Only then can their "
        "views change the plan.",
        plans=[Plan("Plan A", _RUN_WELL.replace(power_sharing=0.1), "a little power shared"),
               Plan("Plan B", _RUN_WELL.replace(power_sharing=0.5), "some power shared"),
               Plan("Plan C", _RUN_WELL.replace(power_sharing=0.9), "much power shared")],
        outcome="influence"),
    Compare(
        "06_first_year", "06",
        "A finance manager compares two plans after one year. Plan A sends a "
        "questionnaire. Plan B uses every method, removes barriers, trains staff and "
        "shares power. Which shows the better balance of benefit minus cost?",
        "In the first year coproduction is mostly cost: meetings, support and training. "
        "In this model benefits build up slowly, once changes shaped by service users "
        "start to work. A view that looks only at this year's costs sees the cheap plan "
        "as better.",
        plans=[Plan("Plan A", preset("questionnaire_only"), "a questionnaire only"),
               Plan("Plan B", preset("full_coproduction"), "full coproduction")],
        outcome="net_benefit", same_within=500),
    Compare(
        "06_five_years", "06",
        "The same two plans, now looked at after five years. Which shows the better "
        "balance of benefit minus cost?",
        "This is the long game. The briefing paper warns that the gains of coproduction "
        "may be slow to come, but says that its ideas and the evidence so far "
        "promise rewards if services can wait for them. How long the delay is, and how "
        "big the benefit, are assumptions in this model, not measured facts.",
        plans=[Plan("Plan A", preset("questionnaire_only"), "a questionnaire only"),
               Plan("Plan B", preset("full_coproduction"), "full coproduction")],
        outcome="net_benefit", same_within=500, weeks=260, seeds=(1, 2, 3)),
    Compare(
        "06_training", "06",
        "Both plans share a lot of power with service users. In plan A staff have no "
        "training; in plan B they are trained in coproduction first. In which plan are "
        "staff more anxious about risk at the end of the year?",
        "Shifting power can make staff anxious about risk, and existing policies can add "
        "to the resistance. The paper says training helps staff understand why "
        "coproduction matters and feel confident doing it. How much training calms "
        "anxiety in the model is an assumption, not a measured figure.",
        plans=[Plan("Plan A", _D.replace(power_sharing=0.9), "no training"),
               Plan("Plan B", _D.replace(power_sharing=0.9, staff_training=True),
                    "staff trained")],
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
    Estimate(
        "ex4_as_it_is", "ex4",
        "Suppose the falls prevention project carries on exactly as it is for five years. "
        "What will its benefit minus cost be at the end? Move the slider (in pounds; below "
        "zero means it cost more than it gave back).",
        "In this model, benefits come only from changes that users' views shaped, and only "
        "after a delay. A project where staff keep most decisions produces few such "
        "changes, so waiting longer helps it less than you might hope. The long game is a "
        "case for patience with real coproduction, not with any project.",
        plan=Plan("the project as it is", _EX4.replace(weeks=260)), outcome="net_benefit",
        low=-60000, high=60000, step=1000, close_within=10000, weeks=260, seeds=(1, 2, 3)),
]

#: Moments by key.
MOMENTS: dict[str, Moment] = {m.key: m for m in _LIST}

#: The answer the briefing paper's point leads us to expect, for each choice moment.
EXPECTED: dict[str, str] = {
    "01_levels": "Plan B",
    "02_reach": "Plan B",
    "03_reach": "A questionnaire only",
    "03_influence": "A forum only",
    "03_tandem": "Plan C",
    "04_barriers": "Plan B",
    "04_quiet": "Plan B",
    "05_feedback": "Plan A",
    "05_email": "Plan B",
    "05_power": "Plan C",
    "06_first_year": "Plan A",
    "06_five_years": "Plan B",
    "06_training": "Plan A",
}

assert set(EXPECTED) <= set(MOMENTS)


def get_moment(key: str) -> Moment:
    """Return a moment by key.

    Raises:
        KeyError: naming the key and the known keys.
    """
    try:
        return MOMENTS[key]
    except KeyError:
        raise KeyError(f"unknown moment {key!r}; known: {', '.join(MOMENTS)}") from None
