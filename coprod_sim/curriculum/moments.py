"""The predict-then-reveal moments of notebooks 00-06, by key.

Each moment states the question, the plans compared and, in ``why``, the
teaching point in plain words with the briefing paper's sources. The notebooks
show a moment with ``kit.moment("key")``. The test suite checks that every
moment runs, and reports where the model's answer differs from the paper's point
(``EXPECTED``), so calibration changes that contradict the paper are noticed.
"""

from __future__ import annotations

from collections.abc import Callable

from coprod_sim.curriculum.exercises import EX4 as _EX4_CHALLENGE
from coprod_sim.curriculum.predict import Compare, Direction, Estimate, Moment, Plan
from coprod_sim.presets import get as preset

_D = preset("default")
_FG = _D.replace(use_focus_groups=True)
#: The same, for a larger project: more people in the meetings, so a fair share of
#: talking time is measured over more voices.
_FG_LARGE = _FG.replace(n_people=600, n_staff=45)
_RUN_WELL = _D.replace(staff_training=True, feedback_rationale=True)
_LONG = _D.replace(use_interviews=True, power_sharing=0.7, feedback_rationale=True,
                   inclusive_communication=True, staff_training=True, plain_language=True,
                   large_print=True, pay_expenses=True, ground_rules=True, roles_4rs=True,
                   invite_families=True)
_EX4 = _EX4_CHALLENGE.start
_EVERYONE = dict(invite_families=True, invite_community=True, invitation_reach=0.9)
_ALL = _D.replace(**_EVERYONE)
_WIDE_Q = preset("questionnaire_only").replace(**_EVERYONE)
_WIDE_F = preset("forum_only").replace(**_EVERYONE)
_CONSULT = preset("tokenistic_consultation")
#: The usual plan with users welcome at every stage, so each step model can do its own work.
_STAGES = _D.replace(stage_co_commissioning=True, stage_co_design=True,
                     stage_co_delivery=True, stage_co_assessment=True)

#: A larger project run through meetings (a forum and frequent small focus groups,
#: no questionnaire), inviting everyone: where barriers to meeting bite, and each
#: group facing one is big enough for one adjustment's effect to show.
_MEETINGS = preset("mixed_methods").replace(
    invite_families=True, invite_community=True, invitation_reach=1.0,
    use_questionnaire=False, use_interviews=False, focus_group_size=10,
    focus_group_every_weeks=2, forum_seats=40, feedback_rationale=True,
    n_people=600, n_staff=45)


def _barrier(key: str, lever: str, need: str, who: str, question: str, why: str,
             base=_ALL) -> Compare:
    """A moment on one practical barrier: one adjustment, measured on its own group."""
    return Compare(
        key, "04", question, why,
        plans=[Plan("Plan A", base, "no adjustments"),
               Plan("Plan B", base.replace(**{lever: True}), who)],
        outcome=f"part_need_{need}", same_within=0.02, also=("part_with_needs", "cost"))


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
        "Glenys answers the outpatient department's questionnaire. Two teams run the same "
        "questionnaire for a year, the same way, with one difference: in Plan A staff keep "
        "the decisions; in Plan B staff share much of the power over what is decided. "
        "Which ends the year further along the line from description towards "
        "transformation (the higher partnership score)?",
        "When service users only answer set questions and have little say, their "
        "involvement stays near description. Sharing power moves a project along the "
        "line, because more of what people say can change the plan (Needham & Carr "
        "2009). Where each plan ends on the line is in the result above: read it before "
        "you decide whether power alone is enough.",
        plans=[Plan("Plan A", _CONSULT, "staff keep the decisions"),
               Plan("Plan B", _CONSULT.replace(power_sharing=0.7),
                    "staff share much of the power (70%)")],
        outcome="ladder_score", same_within=0.05),
    Compare(
        "01_steps", "01",
        "Two teams run the model's usual plan, with service users welcome at every stage "
        "(deciding what to commission, design, delivery and assessment). One team follows "
        "no step model. The other follows the CAFA five steps (2012), which start by "
        "finding every group the change affects and then reaching out to them. Nothing "
        "else differs. At the end of the year, which has more of the people affected "
        "taking part?",
        "A step model is not just a label: each does its own work. In the model, CAFA's "
        "steps of identifying every group and engaging them bring more people in. The "
        "other step models do different work: the NHS Solutions for Public Health steps "
        "(Hill 2012) put people's concerns on the agenda and build partnerships, so more "
        "of their views are used; the 1000 Lives steps (Spencer, Dineen & Phillips 2013) "
        "create a shared vision, so voices in the room are more equal. The paper's point "
        "stands: there is no one size that fits all, so pick the steps for what you most "
        "need.",
        plans=[Plan("Plan A", _STAGES.replace(pathway="none"), "no step model"),
               Plan("Plan B", _STAGES.replace(pathway="cafa"), "the CAFA five steps")],
        outcome="participation_rate", same_within=0.015),
    Estimate(
        "02_young", "02",
        "Rhys is 24 and lives in one of the poorest parts of the area. In the model's usual "
        "plan (a forum and a questionnaire), what share of people aged 16 to 34, like "
        "him, will be taking part at the end of the year? Move the slider.",
        "Younger adults and people in deprived areas answer health surveys and join groups "
        "far less often than older people (the Scottish Health and Care Experience Survey, "
        "in the kit's evidence notes; the briefing paper does not cite it). Unless a plan "
        "reaches out to them on purpose, they are the people who end up missing.",
        plan=Plan("the usual plan", _D), outcome="part_age_16_34",
        low=0, high=60, step=1, close_within=5),
    Compare(
        "02_reach", "02",
        "Plan A invites patients and carers. Plan B also invites families and the wider "
        "community. Both reach nine in ten of the people they invite and use the same "
        "methods. "
        "At the end of the year, which plan has the larger share of everyone affected "
        "taking part?",
        "Step 1 of the CAFA (2012) model is to identify every group the change affects, "
        "directly (patients) and indirectly (carers, families, the community). Look at "
        "the cost line too: every extra person invited costs staff time and money. That "
        "is the balance between inclusion and practicality the briefing paper asks for.",
        plans=[Plan("Plan A", _D.replace(invitation_reach=0.9), "patients and carers invited"),
               Plan("Plan B", _D.replace(invitation_reach=0.9, invite_families=True,
                                         invite_community=True),
                    "patients, carers, families and the community invited")],
        outcome="participation_rate", same_within=0.02, also=("cost",)),
    Compare(
        "03_purpose", "03",
        "Two teams invite the same people to the same forum and questionnaire. Plan A "
        "says little about what the work is for. Plan B says clearly what it is for and "
        "what it asks of people. Which has more of the people affected take part at least "
        "once over the year?",
        "Being clear about the purpose and what is expected lets people choose the level "
        "of involvement they can give (GSCC et al. 2007). In the model a clear purpose "
        "makes it easier for an invited person to say yes.",
        plans=[Plan("Plan A", _D.replace(purpose_clarity=0.1), "a vague purpose"),
               Plan("Plan B", _D.replace(purpose_clarity=0.9), "a clear purpose")],
        outcome="ever_took_part", same_within=0.01),
    Compare(
        "03_reach", "03",
        "Both plans invite everyone affected and reach nine in ten of them. One uses only "
        "a questionnaire; the other only an established forum. Which reaches the more "
        "representative mix of people?",
        "The paper: questionnaires and interviews can capture a bigger and broader "
        "spectrum of views, while forums and focus groups are criticised for drawing "
        "small numbers of the more confident and articulate (Gibbs 1997). Whether the "
        "model agrees, and by how much, is in the result above.",
        plans=[Plan("A questionnaire only", _WIDE_Q), Plan("A forum only", _WIDE_F)],
        outcome="representativeness", same_within=0.01),
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
        outcome="ever_took_part", same_within=0.02, also=("cost",)),
    Compare(
        "03_tandem_mix", "03",
        "The same two plans again: Plan A sends a questionnaire; Plan B uses all four "
        "methods together. Which reaches the more representative mix of the people "
        "affected?",
        "More people is not the same as a fairer mix. Over the year the extra methods "
        "bring in more people, but the mix of who takes part ends up about the same as "
        "with a questionnaire alone, or a little fairer, never clearly worse; and they "
        "cost many times more (see the cost line). "
        "To change who takes part, a plan must reach out to the people who are missing "
        "(notebooks 02 and 04).",
        plans=[Plan("Plan A", preset("questionnaire_only"), "a questionnaire"),
               Plan("Plan B", preset("mixed_methods"), "all four methods together")],
        outcome="representativeness", same_within=0.05, also=("ever_took_part", "cost")),
    Compare(
        "03_frontline", "03",
        "Both working parties have six staff seats. In Plan A, managers fill them as "
        "usual. In Plan B, half the staff seats are kept for front-line staff such as "
        "Priya, a nurse. In which do front-line staff get the larger share of the staff "
        "talking time?",
        "The paper: professional working parties are usually dominated by managers and "
        "senior staff rather than the front-line staff who deliver the care. Keeping "
        "seats for front-line staff brings their voice into the room.",
        plans=[Plan("Plan A", _D.replace(frontline_seats=0.0), "managers fill the seats"),
               Plan("Plan B", _D.replace(frontline_seats=0.5),
                    "half the staff seats for front-line staff")],
        outcome="frontline_voice", same_within=0.05),
    _barrier("04_hearing", "hearing_loop", "hearing", "a hearing loop",
             "Megan is a carer with hearing loss. Both plans are for a larger project "
             "(600 people affected), invite everyone, and work through meetings: a forum "
             "and small focus groups, no questionnaire. Plan B fits a hearing loop; nothing "
             "else differs. Which has more of the people who need a hearing loop taking "
             "part?",
             "Each barrier that is removed lets in the people who face it (NLIAH 2010). A "
             "barrier nobody removes quietly shuts out the people who have that need, "
             "even when the overall numbers barely move (the second line).",
             base=_MEETINGS),
    _barrier("04_timing", "flexible_timing", "time_of_day", "meetings at times that suit "
             "people",
             "Some people can only come at certain times, because of medication, work or "
             "caring. Both plans are for a larger project (600 people affected), invite "
             "everyone, and work through meetings. Plan B holds meetings at times that "
             "suit people; nothing else differs. Which has more of those people taking "
             "part?",
             "Medicines can affect people more at certain times of day, and work and "
             "caring fill others (NLIAH 2010). Timing is a barrier only for the people "
             "it shuts out. In this model it is a small barrier: few people are kept "
             "away by timing alone, so the gap is small and chance can hide it. What "
             "holds run after run is that Plan B does not leave people out: choosing "
             "times that suit people never costs anyone their place.",
             base=_MEETINGS),
    _barrier("04_expenses", "pay_expenses", "cost", "out-of-pocket expenses paid",
             "For some people the bus fare or a carer's cover is a real cost. Plan B pays "
             "out-of-pocket expenses; nothing else differs. Which has more of the people "
             "facing costs taking part?",
             "If people give their time and expertise, that should be recognised: paying "
             "out-of-pocket costs is fair, as staff can claim theirs (NLIAH 2010)."),
    _barrier("04_print", "large_print", "large_print", "papers in large print",
             "Plan B sends its papers in large print; nothing else differs. Which has "
             "more of the people who need large print taking part?",
             "Specific learning or reading needs, such as large print, are among the "
             "practical barriers the paper lists (NLIAH 2010)."),
    _barrier("04_jargon", "plain_language", "low_literacy", "plain language, no jargon",
             "Plan B writes and speaks in plain language, with no jargon; nothing else "
             "differs. Which has more of the people who find jargon hard taking part?",
             "Avoiding unnecessary jargon is one of the paper's practical steps "
             "(NLIAH 2010)."),
    _barrier("04_venue", "accessible_venue", "physical_access", "an accessible venue",
             "Plan B meets in a venue people can reach and use, including people with "
             "physical health problems; nothing else differs. Which has more of the people "
             "who need such a venue taking part? Both plans are for a larger project (600 "
             "people affected), invite everyone, and work through meetings.",
             "A suitable space is one of the paper's practical steps (NLIAH 2010).",
             base=_MEETINGS),
    Compare(
        "04_buddy", "04",
        "Both plans use a forum and focus groups. In Plan B, less confident service users "
        "can have a buddy, a member of staff who helps them follow and join in; nothing "
        "else differs. In which do less confident people get the fairer share of "
        "talking time?",
        "Buddying helps people understand and weigh up what is said in meetings, so "
        "they can take a full part (NLIAH 2010).",
        plans=[Plan("Plan A", _FG, "meetings as usual"),
               Plan("Plan B", _FG.replace(buddying=True), "buddying offered")],
        outcome="quiet_voice", same_within=0.02),
    Compare(
        "04_ground_rules", "04",
        "Plan B's group agrees its own ground rules at its first meeting; nothing else "
        "differs. In which do less confident people get the fairer share of talking time?",
        "Ground rules made together build mutual respect, so people feel safe and "
        "confident to share their views.",
        plans=[Plan("Plan A", _FG, "meetings as usual"),
               Plan("Plan B", _FG.replace(ground_rules=True), "ground rules made together")],
        outcome="quiet_voice", same_within=0.02),
    Compare(
        "04_vision", "04",
        "Both plans are for a larger project (600 people affected), with a forum and "
        "focus groups. Plan B gives everyone a short, clear written vision of the project; "
        "nothing else differs. In which do less confident people get the fairer share of "
        "talking time?",
        "A written vision everyone has seen means everyone knows their part: 'singing "
        "from the same hymn sheet'.",
        plans=[Plan("Plan A", _FG_LARGE, "meetings as usual"),
               Plan("Plan B", _FG_LARGE.replace(written_vision=True),
                    "a clear written vision")],
        outcome="quiet_voice", same_within=0.02),
    Compare(
        "04_peer", "04",
        "Plan B funds a peer support network, so people who take part support each other "
        "between meetings; nothing else differs. Which keeps more of the people who took "
        "part still involved at the end of the year?",
        "Peer support networks are an effective way of passing on knowledge and "
        "supporting change (Boyle, Coote, Sherwood & Slay 2010).",
        plans=[Plan("Plan A", _D, "no peer support"),
               Plan("Plan B", _D.replace(peer_support=True), "a peer support network")],
        outcome="retention", same_within=0.02),
    Direction(
        "05_trust", "05",
        "Megan, a carer, is invited in January to help with the usual plan (a forum and a "
        "questionnaire; staff share some power), which runs for two years. Will trust in "
        "the service among the people invited, like her, go up, go down or stay about the "
        "same by the end of the second year?",
        "Trust follows what people see happen to their views. When few views are used "
        "and nobody says why, each meeting teaches people that taking part changes "
        "little.",
        plan=Plan("the usual plan", _D), outcome="trust", same_within=0.02, weeks=104),
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
        "05_feedback", "05",
        "In both plans staff adopt few of the views they hear. In plan A they tell people "
        "what happened to each view, and why when it was not used. In plan B they say "
        "nothing. Over two years, which plan keeps more people involved?",
        "When a view is not used and nobody says why, people feel unheard and drift "
        "away. A reason, even for a 'no', keeps trust and keeps people involved.",
        plans=[Plan("Plan A", _FG.replace(power_sharing=0.3, feedback_rationale=True),
                    "staff explain what happened to each view"),
               Plan("Plan B", _FG.replace(power_sharing=0.3), "staff say nothing")],
        outcome="retention", same_within=0.02, weeks=104),  # people drift away slowly
    Compare(
        "05_email", "05",
        "In plan A, staff take most decisions by email between meetings, and service "
        "users are not on the emails. In plan B, no decisions are taken by email: they "
        "are all taken in meetings. At the end of the year, in which plan do service users "
        "trust the service more?",
        "Staff often talk by email between meetings. When service users are left out of "
        "those conversations, decisions seem to appear from nowhere, which can undermine "
        "the whole effort of coproduction.",
        plans=[Plan("Plan A", _D.replace(email_decision_share=0.8),
                    "most decisions by email, without service users"),
               Plan("Plan B", _D.replace(email_decision_share=0.0),
                    "no decisions by email")],
        outcome="trust", same_within=0.01),
    Compare(
        "05_4rs", "05",
        "Both plans use a forum and focus groups. In Plan B, everyone is told their role, "
        "remit, relationships and responsibility (the 4Rs); nothing else differs. Which "
        "keeps more of the people who took part still involved?",
        "People stay when they know what is expected of them and what they can expect "
        "(NLIAH 2010).",
        plans=[Plan("Plan A", _FG, "nothing said about roles"),
               Plan("Plan B", _FG.replace(roles_4rs=True), "the 4Rs made clear")],
        outcome="retention", same_within=0.0125),
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
        "big the benefit, are assumptions in this model, not measured facts. The answer "
        "rests on two of them: that each pound spent brings back more than a pound once "
        "changes work (the sources range from a loss to about six times), and that the "
        "service has plenty of room to improve. With little room, even a few good "
        "changes use most of it, and deeper work adds less.",
        plans=[Plan("Plan A", preset("questionnaire_only"), "a questionnaire only"),
               Plan("Plan B", preset("full_coproduction"), "full coproduction")],
        outcome="net_benefit", same_within=500, weeks=260),
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
        "by users have had time to work (an assumption), then grow as more changes are "
        "made. So payback comes years, not months, after the start.",
        plan=Plan("the well-supported plan", _LONG), outcome="payback_week",
        low=1, high=260, step=1, close_within=26, weeks=260),
    Estimate(
        "ex4_as_it_is", "ex4",
        "Suppose the falls prevention project carries on exactly as it is for five years. "
        "What will its benefit minus cost be at the end? Move the slider (in pounds; below "
        "zero means it cost more than it gave back).",
        "In this model, benefits come only from changes that users' views shaped, and only "
        "after a delay. A project where staff keep most decisions produces few such "
        "changes, so waiting helps it less than real coproduction: compare your result "
        "here with what a plan that shares power and explains its decisions reaches in "
        "the challenge below.",
        plan=Plan("the project as it is", _EX4.replace(weeks=260)), outcome="net_benefit",
        low=-60000, high=60000, step=1000, close_within=10000, weeks=260),
]

#: Moments by key.
MOMENTS: dict[str, Moment] = {m.key: m for m in _LIST}

#: The person each chapter's bet is about: told first after a wrong guess.
PEOPLE: dict[str, str] = {"01_levels": "glenys", "02_young": "rhys", "04_hearing": "megan",
                          "05_trust": "megan", "03_frontline": "priya",
                          "06_training": "gareth"}
for _key, _person in PEOPLE.items():
    MOMENTS[_key].person = _person

#: The answer the briefing paper's point leads us to expect, for each choice moment.
EXPECTED: dict[str, str] = {
    "01_levels": "Plan B",
    "01_steps": "Plan B",
    "02_reach": "Plan B",
    "03_purpose": "Plan B",
    "03_reach": "A questionnaire only",
    "03_influence": "A forum only",
    "03_tandem": "Plan C",
    "03_tandem_mix": "not:Plan A",
    "03_frontline": "Plan B",
    "04_hearing": "Plan B",
    "04_timing": "not:Plan A",
    "04_expenses": "Plan B",
    "04_print": "Plan B",
    "04_jargon": "Plan B",
    "04_venue": "Plan B",
    "04_buddy": "Plan B",
    "04_ground_rules": "Plan B",
    "04_vision": "Plan B",
    "04_peer": "Plan B",
    "05_trust": "Go down",
    "05_feedback": "Plan A",
    "05_email": "Plan B",
    "05_4rs": "Plan B",
    "05_power": "Plan C",
    "06_first_year": "Plan A",
    "06_five_years": "Plan B",
    "06_training": "Plan A",
}

#: The lesson of each slider moment, checked on fresh seeds by
#: :mod:`coprod_sim.curriculum.lessons`: (the claim, a test of a block's middle
#: result in the outcome's own units). A slider moment with no entry teaches only
#: that the figure it shows is typical (see :func:`typical`).
LESSONS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "00_usual": ("most of the people affected are not taking part at the end of the year",
                 lambda v: v < 0.5),
    "06_payback": ("benefit catches up with cost only after the first year",
                   lambda v: v > 52),
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
