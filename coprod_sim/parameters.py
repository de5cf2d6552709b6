"""The parameter table: every lever of the model, defined once.

This table is the single source of truth for a lever's name, type, plain-language
label, unit, default, allowed range or choices, one-line help, evidence label and
the step of the briefing paper's seven-step summary it belongs to. Validation
(:mod:`coprod_sim.scenario`), the documentation (``docs/ODD.md``, ``coprod-sim
params``) and the widgets all read it; nothing else lists parameters.

Evidence labels are ``"briefing paper"`` (a claim of the briefing paper), a
named source from ``evidence.md`` (for example ``"Krueger & Casey 2000"``), or
``"assumption"`` (no published figure: notebooks must not present it as fact).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: The groups of levers, in the order of the briefing paper's seven-step
#: summary, then the groups a researcher needs. Keys are stable identifiers.
GROUPS: dict[str, str] = {
    "identify": "1. Identify who is affected",
    "select": "2. Select who to invite",
    "be_clear": "3. Be clear about purpose",
    "choose": "4. Choose level, stage and method",
    "support": "5. Support people to take part",
    "build": "6. Build strong working alliances",
    "understand": "7. Understand roles (the 4Rs)",
    "behaviour": "How people and services behave",
    "mechanisms": "Switch mechanisms on or off",
    "run": "Run settings",
}

#: The seven steps of the paper's own summary (group keys in order).
SEVEN_STEPS: tuple[str, ...] = tuple(list(GROUPS)[:7])


@dataclass(frozen=True)
class Param:
    """One lever of the model.

    Attributes:
        name: Identifier used in code, files and sweeps.
        kind: ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``.
        default: Default value.
        label: Plain-language label shown to trainees.
        help: One-line plain-language help.
        evidence: ``"briefing paper"``, a named source, or ``"assumption"``.
        group: Key of :data:`GROUPS`.
        unit: Unit of measure ("" when none).
        low: Smallest allowed value (numbers only).
        high: Largest allowed value (numbers only).
        choices: Allowed values (choices only), mapped to plain labels.
        main: Whether the lever belongs on the trainer's short list.
        target: The outcomes the lever is meant to move and the direction, as
            ``(outcome, "up" | "down")`` pairs: the effect of the high value
            over the low one (True over False; for a choice, of every other
            choice over the first). Empty for run settings.
        context: The scenario in which the lever should matter, where the
            default scenario hides it: lever changes, plus optionally
            ``"preset"`` (a preset to start from), ``"weeks"``, ``"seeds"``
            (how many seeds the liveness sweep needs to see it) and, for a
            choice, ``"choice_targets"`` (a choice whose own target differs).
        why: One line on why the lever moves its target that way.
    """

    name: str
    kind: str
    default: Any
    label: str
    help: str
    evidence: str
    group: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: dict[str, str] = field(default_factory=dict)
    main: bool = False
    target: tuple[tuple[str, str], ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    why: str = ""

    def allowed(self) -> str:
        """Describe the allowed values in plain words."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        word = "a whole number" if self.kind == "int" else "a number"
        return f"{word} from {self.low:g} to {self.high:g}"

    @property
    def is_switch(self) -> bool:
        """True for the mechanism on/off switches."""
        return self.group == "mechanisms"


def _f(name, default, low, high, label, help, evidence, group, unit="", main=False):
    return Param(name, "float", float(default), label, help, evidence, group, unit,
                 float(low), float(high), main=main)


def _i(name, default, low, high, label, help, evidence, group, unit="", main=False):
    return Param(name, "int", int(default), label, help, evidence, group, unit,
                 low, high, main=main)


def _b(name, default, label, help, evidence, group, main=False):
    return Param(name, "bool", bool(default), label, help, evidence, group, main=main)


def _c(name, default, choices, label, help, evidence, group, main=False):
    return Param(name, "choice", default, label, help, evidence, group,
                 choices=dict(choices), main=main)


def _m(name, label, help, evidence="briefing paper"):
    return Param(name, "bool", True, label, help, evidence, "mechanisms")


BP = "briefing paper"
AS = "assumption"

_TABLE: list[Param] = [
    # 1. Identify -----------------------------------------------------------
    _i("n_people", 200, 20, 5000, "People affected by the change",
       "Patients, carers, families and community members the change affects.",
       BP + " (CAFA 2012 step 1)", "identify", "people"),
    _f("carer_share", 0.20, 0.0, 0.6, "Share who are carers",
       "Carers are affected indirectly but often closely.", AS, "identify", "share"),
    _f("family_share", 0.15, 0.0, 0.6, "Share who are family members",
       "Family members other than the main carer.", AS, "identify", "share"),
    _f("community_share", 0.20, 0.0, 0.6, "Share who are community members",
       "Neighbours and local people affected by the service.", AS, "identify", "share"),
    _f("young_share", 0.25, 0.05, 0.6, "Share aged 16-34",
       "Younger adults among the people affected.", AS + " (near UK adult shares)",
       "identify", "share"),
    _f("older_share", 0.30, 0.05, 0.7, "Share aged 65 and over",
       "Older adults; health service users skew older.", AS + " (near UK adult shares)",
       "identify", "share"),
    _i("n_staff", 15, 2, 1000, "Staff involved",
       "Front-line staff and managers working on the change.", AS, "identify", "staff"),
    _f("manager_share", 0.30, 0.05, 0.8, "Share of staff who are managers",
       "Managers among the staff on the project.", AS, "identify", "share"),
    # 2. Select -------------------------------------------------------------
    _b("invite_patients", True, "Invite patients",
       "Invite people who use the service directly.", BP, "select", main=True),
    _b("invite_carers", True, "Invite carers",
       "Invite carers of people who use the service.", BP, "select", main=True),
    _b("invite_families", False, "Invite families",
       "Invite family members.", BP, "select"),
    _b("invite_community", False, "Invite community members",
       "Invite neighbours and the wider community.", BP, "select"),
    _f("invitation_reach", 0.5, 0.05, 1.0, "How far invitations reach",
       "Share of each invited group that actually receives an invitation. "
       "Wider reach includes more people but costs more.",
       BP + " (balance inclusion with practicality)", "select", "share", main=True),
    _i("staff_seats", 6, 2, 30, "Staff seats in the working party",
       "How many staff sit in the working party meetings.", AS, "select", "seats"),
    _f("frontline_seats", 0.2, 0.0, 1.0, "Seats kept for front-line staff",
       "Share of staff seats kept for front-line staff; the rest go to managers first.",
       BP + " (working parties dominated by managers)", "select", "share", main=True),
    # 3. Be clear -----------------------------------------------------------
    _f("purpose_clarity", 0.5, 0.0, 1.0, "How clear the purpose is",
       "How clearly the purpose and what is expected are explained before people "
       "choose how involved to be.", BP + " (GSCC et al. 2007)", "be_clear", "0-1",
       main=True),
    # 4. Choose -------------------------------------------------------------
    _b("use_forum", True, "Use an established forum",
       "Work with a standing group that already meets.", BP, "choose", main=True),
    _i("forum_every_weeks", 4, 1, 13, "Forum meets every",
       "Weeks between forum meetings.", AS, "choose", "weeks"),
    _f("forum_awareness", 0.45, 0.05, 1.0, "People who know the forum exists",
       "Share of invited people who know about the forum.", "Agass et al. 1991",
       "choose", "share"),
    _i("forum_seats", 12, 4, 40, "Seats at a forum meeting",
       "How many people a forum meeting can seat; regulars keep their seats.",
       AS + " (evidence.md: forums draw small numbers)", "choose", "seats"),
    _b("use_focus_groups", False, "Run focus groups",
       "Run small groups set up just for this change.", BP, "choose", main=True),
    _i("focus_group_every_weeks", 6, 1, 26, "Focus group every",
       "Weeks between focus groups.", AS, "choose", "weeks"),
    _i("focus_group_size", 7, 4, 10, "Focus group size",
       "How many people a focus group aims to seat.", "Krueger & Casey 2000",
       "choose", "people"),
    _f("focus_group_no_show", 0.20, 0.10, 0.33, "Over-recruit for no-shows",
       "Share of people expected to agree but not turn up, which the organisers "
       "over-recruit for (about 0.2 do not turn up).",
       "practitioner over-recruitment guidance", "choose", "share"),
    _b("use_interviews", False, "Hold interviews",
       "Hold one-to-one semi-structured interviews.", BP, "choose", main=True),
    _i("interview_every_weeks", 4, 1, 26, "Interview round every",
       "Weeks between rounds of interviews.", AS, "choose", "weeks"),
    _i("interviews_per_round", 8, 1, 50, "Interviews per round",
       "How many people are asked for an interview each round.", AS, "choose", "people"),
    _i("people_per_group", 200, 50, 5000, "People served by each group",
       "A plan for more people runs more groups of the same size: one forum group, one "
       "focus group and one round of interviews for every this many people affected.",
       AS, "choose", "people"),
    _b("use_questionnaire", True, "Send questionnaires",
       "Send a questionnaire to everyone invited.", BP, "choose", main=True),
    _i("questionnaire_every_weeks", 13, 4, 52, "Questionnaire every",
       "Weeks between questionnaire rounds.", AS, "choose", "weeks"),
    _f("questionnaire_response_rate", 0.30, 0.20, 0.60, "Typical questionnaire response",
       "Share who answer a questionnaire when nothing else helps or hinders.",
       "GP Patient Survey 2011-2024", "choose", "share"),
    _f("power_sharing", 0.4, 0.0, 1.0, "Power shared with service users",
       "How much say service users have in decisions: low is description, middle is "
       "recognition, high is transformation.", BP + " (Needham & Carr 2009)",
       "choose", "0-1", main=True),
    _b("stage_co_commissioning", False, "Users help decide what to commission",
       "Service users take part in co-commissioning.", BP + " (Governance International 2013)",
       "choose"),
    _b("stage_co_design", True, "Users help design",
       "Service users take part in co-design.", BP + " (Governance International 2013)",
       "choose"),
    _b("stage_co_delivery", False, "Users help deliver",
       "Service users take part in co-delivery.", BP + " (Governance International 2013)",
       "choose"),
    _b("stage_co_assessment", False, "Users help assess",
       "Service users take part in co-assessment (judging how it went).",
       BP + " (Governance International 2013)", "choose"),
    _c("pathway", "seven_steps", {
        "none": "No step model: decide, design, deliver, look back, with no steps",
        "seven_steps": "The paper's seven-step summary",
        "cafa": "CAFA five steps (2012)",
        "nhs_sph": "NHS SPH five steps (Hill 2012)",
        "1000_lives": "1000 Lives six steps (Spencer, Dineen & Phillips 2013)",
    }, "Step model followed",
       "Which step model sets the order of stages in each cycle.", BP, "choose", main=True),
    _i("cycle_weeks", 39, 26, 52, "Length of one project cycle",
       "Weeks for one pass through the step model.",
       "experience-based co-design guidance (6-12 months)", "choose", "weeks"),
    _b("limit_budget", False, "Live within a budget",
       "Hold the plan to the budget below. At the start the money buys, in order: "
       "invitations, staff training, ground rules, a written vision, the 4Rs, plain "
       "language, a hearing loop, then peer support and inclusive communication for the "
       "whole run; whatever it cannot cover whole is dropped. Then an activity goes ahead "
       "only if the money left covers it in full; when money runs short, focus groups stop "
       "first, then interviews, then questionnaires, and the forum last. Off: no cap.",
       AS + " (the order of cuts is a design choice, docs/ODD.md 7.17)", "choose"),
    _f("budget", 50000.0, 0.0, 2000000.0, "Budget for the whole project",
       "Money the plan may spend over the whole run when it lives within a budget (0: no "
       "money, so nothing that costs anything happens).", AS, "choose", "GBP"),
    # 5. Support ------------------------------------------------------------
    _b("large_print", False, "Large print materials",
       "Offer papers and questionnaires in large print.", BP + " (NLIAH 2010)", "support",
       main=True),
    _b("plain_language", False, "Plain language, no jargon",
       "Avoid jargon in papers, meetings and questionnaires.", BP + " (NLIAH 2010)",
       "support", main=True),
    _b("hearing_loop", False, "Hearing loop",
       "Fit a hearing loop in meeting rooms.", BP + " (NLIAH 2010)", "support"),
    _b("accessible_venue", False, "Accessible venue",
       "Meet in a place people with physical health needs can reach.",
       BP + " (NLIAH 2010)", "support"),
    _b("flexible_timing", False, "Meeting times that suit people",
       "Choose meeting times around medication effects and work.", BP + " (NLIAH 2010)",
       "support"),
    _b("pay_expenses", False, "Pay out-of-pocket expenses",
       "Pay people's travel and other costs of taking part.", BP + "; Edwards et al. 2002",
       "support", main=True),
    _b("digital_inclusion", False, "Include people without email or internet",
       "Post papers and phone people who are not online.", BP, "support"),
    _b("buddying", False, "Buddying",
       "Pair a service user who wants it with a staff member.", BP + " (NLIAH 2010)",
       "support", main=True),
    _f("expenses_per_visit", 25.0, 13.8, 495.0, "Expenses paid per visit",
       "Money paid for each meeting or interview when expenses are paid.",
       "NIHR payment guidance 2025", "support", "GBP"),
    # 6. Build --------------------------------------------------------------
    _b("ground_rules", False, "Ground rules made together",
       "Agree ground rules with everyone at the start.", BP, "build", main=True),
    _b("written_vision", False, "A clear written vision",
       "Write down what the project is for so everyone shares it.", BP, "build"),
    _b("feedback_rationale", False, "Explain decisions",
       "Tell people what happened to their views and why, when a view is not used.",
       BP, "build", main=True),
    _b("inclusive_communication", False, "Include users between meetings",
       "Share decisions made between meetings (for example by email) with service users.",
       BP, "build", main=True),
    _f("email_decision_share", 0.3, 0.0, 1.0, "Decisions made between meetings",
       "Share of decisions taken outside meetings, for example by email.", AS, "build",
       "share"),
    _b("peer_support", False, "Peer support network",
       "Fund a peer support network among the people involved.",
       BP + " (Boyle et al. 2010)", "build"),
    _b("staff_training", False, "Train staff in coproduction",
       "Train staff so they feel confident sharing power.", BP, "build", main=True),
    # 7. Understand ---------------------------------------------------------
    _b("roles_4rs", False, "Roles made clear (the 4Rs)",
       "Make role, remit, relationships and responsibility clear to everyone.",
       BP + " (NLIAH 2010)", "understand", main=True),
    # Behaviour (evidence-based defaults) -------------------------------------
    _f("age_gap", 0.15, 0.10, 0.40, "Response of ages 16-34 compared with 65+",
       "How much less often younger adults respond than older adults.",
       "Scottish Health and Care Experience Survey 2023/24", "behaviour", "ratio"),
    _f("deprivation_gap", 0.47, 0.40, 0.70, "Response of most compared with least deprived",
       "How much less often people in the most deprived areas respond.",
       "Scottish Health and Care Experience Survey 2021/22", "behaviour", "ratio"),
    _f("tolerance_mean", 0.25, 0.05, 0.5, "Average point at which people give up",
       "Motivation or trust below a person's own point makes them drop out.",
       "Granovetter 1978", "behaviour", "0-1"),
    _f("tolerance_sd", 0.15, 0.05, 0.25, "Spread of those points",
       "How much people differ in what they will put up with.", "Granovetter 1978",
       "behaviour", "0-1"),
    _f("learning_rate", 0.2, 0.05, 0.5, "How fast people learn from outcomes",
       "How quickly 'my views change things' follows what happens to views.",
       "Macy & Flache 2002", "behaviour", "0-1"),
    _f("adoption_rate", 0.6, 0.4, 0.8, "Share of views adopted in a fair process",
       "Share of service-user recommendations adopted when power is shared "
       "in the middle of the range and staff are open.", "Slade et al. 2010",
       "behaviour", "share"),
    _f("peer_weight", 1.0, 0.0, 3.0, "Pull of peers taking part",
       "How much seeing peers take part raises a person's own chance.",
       AS + " (Granovetter 1978 thresholds)", "behaviour", "log-odds"),
    _f("peer_recruitment_rate", 0.02, 0.0, 0.2, "Peers bringing peers",
       "Weekly chance that a person with active peers joins in.", AS, "behaviour",
       "per week"),
    _f("panel_drift", 0.20, 0.15, 0.33, "Forum members going quiet each year",
       "Share of standing forum members who become inactive in a year.",
       "UK citizens' panels (derived)", "behaviour", "per year"),
    _f("organisational_resistance", 0.4, 0.0, 1.0, "Policies and procedures in the way",
       "How much existing policies and procedures resist change.",
       BP + " (assumption for size)", "behaviour", "0-1", main=True),
    _f("integration", 0.3, 0.0, 1.0, "How joined-up health and social care are",
       "Low values add finance and governance friction to decisions.",
       BP + " (Boyle, Slay & Stephens 2010; assumption for size)", "behaviour", "0-1"),
    _i("benefit_lag_weeks", 52, 26, 156, "Average delay before benefits show",
       "Average weeks from putting a change into practice (over the cycle after it is "
       "adopted) to its benefit: benefits build up gradually over months to years, a "
       "little at first.",
       AS + " (evidence.md: 6-36 months; SCIE 2013)", "behaviour", "weeks"),
    _f("value_per_view", 6.6, 0.0, 100.0, "Break-even weekly value of an adopted view",
       "Weekly value of an adopted view (deep, representative) at which full coproduction "
       "just pays back its cost over five years; the benefit counted is this times the "
       "assumed return per £1.", "derived from the model (docs/ODD.md 7.17)", "behaviour",
       "GBP per week"),
    _f("staff_hour_cost", 35.0, 10.0, 120.0, "Cost of an hour of staff time",
       "Used for staff time in meetings, buddying and training.", AS, "behaviour", "GBP"),
    _f("meeting_hours", 2.0, 1.0, 2.5, "Length of a meeting",
       "Hours per forum or focus group meeting.",
       "Krueger & Casey 2000; Loria-Rebolledo et al. 2022", "behaviour", "hours"),
    _f("benefit_cost_ratio", 2.0, -1.0, 6.0, "Assumed return per £1 (deep coproduction)",
       "Benefit per £1 spent that a deep, representative design returns over five years: "
       "the sources range from below 0 (returns can be negative) to about 6. Lighter "
       "designs adopt fewer and shallower views, so they return less in all.",
       AS + " (evidence.md: Boyle, Slay & Stephens 2010 'up to six times'; Local Area "
       "Coordination £3-4 per £1; WSIPP 2023 1.94, or negative)", "behaviour", "GBP per GBP"),
    # Mechanism switches ------------------------------------------------------
    _m("mech_barriers", "Practical barriers",
       "Unmet access needs lower the chance of taking part."),
    _m("mech_payment_incentive", "Payment draws answers",
       "Paying people doubles the odds that they answer a questionnaire.",
       "Edwards et al. 2002"),
    _m("mech_segment_gap", "Gaps by age and deprivation",
       "Younger and more deprived people start less willing to take part.",
       "Scottish Health and Care Experience Survey"),
    _m("mech_peer_influence", "Peers influence peers",
       "People are more likely to take part when their peers do."),
    _m("mech_confidence_bias", "Groups favour the confident",
       "Forums and focus groups draw the confident and articulate more."),
    _m("mech_commitment", "Members commit to a standing group",
       "Each forum meeting attended builds a habit of coming; missed meetings wear it away.",
       "Piliavin, Grube & Callero 2002"),
    _m("mech_voice_inequality", "Unequal voice in meetings",
       "Confident, articulate people take more of the talking time."),
    _m("mech_jargon", "Jargon lowers understanding",
       "Jargon lowers understanding for people with low health literacy (plain "
       "language removes it; people still differ in what they follow)."),
    _m("mech_manager_dominance", "Managers dominate",
       "Managers take more of the staff talking time than front-line staff."),
    _m("mech_power_sharing", "Power decides adoption",
       "More power sharing means more users' views are adopted; off, no power is shared."),
    _m("mech_email_exclusion", "Decisions by email leave people out",
       "Decisions taken between meetings without users erode trust."),
    _m("mech_feedback", "Feedback shapes belief",
       "What happens to a view changes trust and 'my views change things'."),
    _m("mech_ignored_memory", "People remember being ignored",
       "People whose views were ignored without a reason expect it again and come less, "
       "for a long time.", "Brodie et al. 2011; Ocloo & Matthews 2016"),
    _m("mech_word_of_mouth", "Word of mouth",
       "People who were ignored tell their peers, who come less too.",
       "Brodie et al. 2011; Ocloo & Matthews 2016 (assumption for size)"),
    _m("mech_confidence_growth", "Confidence grows",
       "Supported participation builds confidence."),
    _m("mech_fatigue", "Fatigue",
       "Taking part tires people; support and payment reduce it."),
    _m("mech_staff_anxiety", "Staff anxiety about risk",
       "Shifting power makes untrained staff anxious and resistant."),
    _m("mech_staff_learning", "Staff culture shift",
       "Contact with service users in meetings, training and good experiences make "
       "staff more open over time; off, openness never changes."),
    _m("mech_dropout", "Dropping out",
       "People leave when motivation or trust falls below what they tolerate."),
    _m("mech_life_exits", "Life gets in the way",
       "A few people stop each year for reasons of their own (moving, illness, caring).",
       "assumption"),
    _m("mech_peer_recruitment", "Peers recruit peers",
       "People bring in peers who were not reached."),
    _m("mech_panel_drift", "Standing groups drift",
       "Forum members go quiet over time.", "UK citizens' panels (derived)"),
    _m("mech_benefit_lag", "Benefits come late",
       "Benefits of changes show only after a delay (the long game)."),
    _m("mech_step_actions", "Steps do their work",
       "Each step of the chosen step model does what it says (identify, be clear, "
       "support, deliver...)."),
    # Run -------------------------------------------------------------------
    _i("weeks", 52, 1, 520, "Weeks to simulate",
       "One step is one week; 260 weeks is five years.", AS, "run", "weeks", main=True),
]


#: What each lever is meant to move (see :class:`Param` ``target``, ``context``
#: and ``why``). ``tests/test_liveness.py`` sweeps this whole table over fixed
#: seeds and fails when a lever does not move its target, or moves it the wrong
#: way. Contexts name a preset or lever changes where the default scenario
#: hides a lever; ``MIXED`` is the mixed-methods preset.
UP, DOWN = "up", "down"
_NEEDS_CONTEXT = {"preset": "mixed_methods", "n_people": 800, "n_staff": 60}
#: Interviews only, many a round: no seats, and hearing, time and cost barriers matter.
_INTERVIEW_CONTEXT = {"preset": "interviews_only", "interviews_per_round": 50, "n_people": 400,
                      "n_staff": 30, "seeds": 48}
#: A design heavy on meetings and interviews, where barriers to meeting show.
_MEETINGS_CONTEXT = {"preset": "mixed_methods", "use_questionnaire": False,
                     "use_interviews": False, "n_people": 400,
                     "n_staff": 30, "forum_seats": 40, "forum_awareness": 0.25, "seeds": 32,
                     "invitation_reach": 1.0, "focus_group_size": 10,
                     "focus_group_every_weeks": 2, "feedback_rationale": True}
_TARGETS: dict[str, tuple[tuple[tuple[str, str], ...], dict[str, Any], str]] = {
    "n_people": ((("peak_participants", UP),), {},
                 "More people affected, more take part (the rates stay put: tests/test_scale.py)."),
    "carer_share": ((("participation_rate", DOWN),), {"invite_carers": False},
                    "Who the people affected are matters when some groups are not invited."),
    "family_share": ((("participation_rate", DOWN),), {},
                     "Families are not invited by default, so more of them means fewer invited."),
    "community_share": ((("participation_rate", DOWN),), {},
                        "Community members are not invited by default."),
    "young_share": ((("participation_rate", DOWN),), {},
                    "Younger adults respond less (age gap)."),
    "older_share": ((("participation_rate", UP),),
                    {"n_people": 800, "n_staff": 60, "feedback_rationale": True},
                    "Older adults respond more, despite more access needs (seen where views "
                    "are explained, so that no one is driven away by being ignored)."),
    "n_staff": ((("cost", UP),), {"staff_training": True},
                "Training more staff costs more."),
    "manager_share": ((("frontline_voice", DOWN),), {},
                      "More managers take more of the seats and the staff's talking time."),
    "invite_patients": ((("participation_rate", UP),), {}, "More people invited."),
    "invite_carers": ((("participation_rate", UP),), {}, "More people invited."),
    "invite_families": ((("participation_rate", UP),), {"seeds": 16}, "More people invited."),
    "invite_community": ((("participation_rate", UP),), {}, "More people invited."),
    "invitation_reach": ((("participation_rate", UP),), {}, "Invitations reach more people."),
    "staff_seats": ((("frontline_voice", UP),), {},
                    "Seats beyond the managers go to front-line staff."),
    "frontline_seats": ((("frontline_voice", UP),), {},
                        "Seats kept for front-line staff give them a voice."),
    "purpose_clarity": ((("participation_rate", UP),), {},
                        "People know what they are choosing (GSCC et al. 2007)."),
    "use_forum": ((("influence", UP),), {},
                  "A forum lets people raise their own concerns, not only answer set questions."),
    "forum_every_weeks": ((("contacts_per_person", DOWN),), {"preset": "forum_only"},
                          "Fewer meetings."),
    "forum_awareness": ((("ever_took_part", UP),), {"preset": "forum_only"},
                        "More people know the forum, more come."),
    "forum_seats": ((("ever_took_part", UP),),
                    {"preset": "forum_only", "forum_awareness": 0.9, "invitation_reach": 1.0},
                    "More seats, more people at a meeting."),
    "use_focus_groups": ((("influence", UP),), {"seeds": 16},
                         "A focus group lets people raise their own concerns."),
    "focus_group_every_weeks": ((("ever_took_part", DOWN),), {"preset": "focus_groups_only"},
                                "Fewer groups."),
    "focus_group_size": ((("ever_took_part", UP),), {"preset": "focus_groups_only"},
                         "Bigger groups seat more people."),
    "focus_group_no_show": ((("focus_group_fill", UP),),
                            {"preset": "focus_groups_only", "n_people": 400,
                             "people_per_group": 400},
                            "Over-recruiting for more no-shows fills more seats, where more "
                            "people would accept than a group asks for (one group of 400; "
                            "among 200, fewer than the 8 asked for accept in about half the "
                            "rounds, so asking for 11 changes little: +0.013, SE 0.008, "
                            "against +0.046, SE 0.009, here; 8 seeds)."),
    "use_interviews": ((("ever_took_part", UP),), {}, "Another way in."),
    "interview_every_weeks": ((("ever_took_part", DOWN),), {"preset": "interviews_only"},
                              "Fewer rounds."),
    "interviews_per_round": ((("ever_took_part", UP),), {"preset": "interviews_only"},
                             "More interviews."),
    "people_per_group": ((("ever_took_part", DOWN),),
                         {"preset": "forum_only", "forum_awareness": 0.9,
                          "invitation_reach": 1.0},
                         "Fewer groups for the same people: fewer seats, fewer people at a "
                         "meeting."),
    "use_questionnaire": ((("ever_took_part", UP),), {}, "The broadest way in."),
    "questionnaire_every_weeks": ((("participation_rate", DOWN),), {}, "Fewer rounds."),
    "questionnaire_response_rate": ((("participation_rate", UP),), {},
                                    "More people answer."),
    "power_sharing": ((("influence", UP), ("staff_anxiety", UP)), {},
                      "More say for users; untrained staff grow anxious (Needham & Carr 2009)."),
    "stage_co_commissioning": ((("influence", UP),), {},
                               "Users' views count in the commissioning weeks too."),
    "stage_co_design": ((("influence", UP),), {}, "Users' views count in the design weeks."),
    "stage_co_delivery": ((("efficacy", UP),), {"pathway": "cafa"},
                          "Users who help deliver the change see what they can do."),
    "stage_co_assessment": ((("efficacy", UP), ("staff_openness", UP)),
                            {"pathway": "1000_lives", "preset": "mixed_methods"},
                            "Users who judge the change see its results; so do staff."),
    "pathway": ((("participation_rate", UP),),
                {"seeds": 24, "stage_co_delivery": True, "stage_co_assessment": True,
                 "choice_targets": {"1000_lives": (("efficacy", UP),)}},
                "Every step model's steps do work (identify, engage, support...) that "
                "design throughout does not; 1000 Lives mostly through assets, delivery "
                "and evaluation, which raise efficacy."),
    "cycle_weeks": ((("benefit", DOWN),), {"preset": "full_coproduction", "weeks": 104},
                    "Changes are put into practice over the cycle after they are adopted: a "
                    "longer cycle, later benefits."),
    "large_print": ((("part_need_large_print", UP),),
                    {"preset": "questionnaire_only", "n_people": 800, "n_staff": 60,
                     "seeds": 16},
                    "Removes the print barrier for people who need it."),
    "plain_language": ((("part_need_low_literacy", UP), ("understanding", UP)), _NEEDS_CONTEXT,
                       "Removes jargon for people with low health literacy."),
    "hearing_loop": ((("part_need_hearing", UP),), _INTERVIEW_CONTEXT,
                     "Removes the hearing barrier in meetings."),
    "accessible_venue": ((("part_need_physical_access", UP),),
                         {"preset": "forum_only", "n_people": 400, "n_staff": 30,
                          "forum_seats": 40, "forum_awareness": 0.6, "invitation_reach": 1.0,
                          "weeks": 26, "seeds": 32},
                         "Removes the venue barrier."),
    "flexible_timing": ((("part_need_time_of_day", UP),), _INTERVIEW_CONTEXT,
                        "Removes the time-of-day barrier."),
    "pay_expenses": ((("part_need_cost", UP),),
                     {"preset": "forum_only", "n_people": 400, "n_staff": 30,
                      "forum_seats": 40, "forum_awareness": 0.6, "invitation_reach": 1.0,
                      "weeks": 26, "seeds": 32},
                     "Payment doubles the odds for people who cannot afford to come "
                     "(Edwards et al. 2002)."),
    "digital_inclusion": ((("part_need_digital", UP),), _NEEDS_CONTEXT,
                          "Papers by post and phone calls reach people who are not online."),
    "buddying": ((("quiet_voice", UP),), {"preset": "mixed_methods"},
                 "A buddy lends confidence to less confident people."),
    "expenses_per_visit": ((("cost", UP),), {"pay_expenses": True}, "Pays more per visit."),
    "ground_rules": ((("voice_equality", UP),), {}, "Mutual respect evens out talking time."),
    "written_vision": ((("voice_equality", UP),), {}, "Mutual respect evens out talking time."),
    "feedback_rationale": ((("retention", UP),), {"preset": "mixed_methods", "weeks": 78},
                           "A reason for a view not used keeps people involved."),
    "inclusive_communication": ((("trust", UP),), {"email_decision_share": 0.6},
                                "Users see the decisions made between meetings."),
    "email_decision_share": ((("trust", DOWN),), {}, "More decisions made without users."),
    "peer_support": ((("participation_rate", UP), ("retention", UP)), {},
                     "Peers pull each other in and hold each other in (Boyle et al. 2010)."),
    "staff_training": ((("staff_anxiety", DOWN), ("staff_openness", UP)), {"power_sharing": 0.7},
                       "Trained staff feel confident sharing power."),
    "roles_4rs": ((("retention", UP),), {"preset": "mixed_methods", "weeks": 78},
                  "People who know their role, remit, relationships and responsibility "
                  "stay through hard patches."),
    "age_gap": ((("part_age_16_34", UP),), {"pathway": "none"},
                "A smaller gap: young people respond more."),
    "deprivation_gap": ((("part_most_deprived", UP),),
                        {"n_people": 800, "n_staff": 60, "seeds": 16, "pathway": "none",
                         "feedback_rationale": True},
                        "A smaller gap: the most deprived respond more (seen where views are "
                        "explained, so that no one is driven away by being ignored)."),
    "tolerance_mean": ((("retention", DOWN),), {"preset": "mixed_methods", "weeks": 78},
                       "People give up sooner."),
    "tolerance_sd": ((("retention", DOWN),), {"preset": "mixed_methods", "weeks": 78},
                     "More people with a low point of giving up... and more with a high one; "
                     "with most people above the mean, the high ones leave."),
    "learning_rate": ((("efficacy", DOWN),), {"power_sharing": 0.1},
                      "Views mostly ignored: faster learning, faster loss of belief."),
    "adoption_rate": ((("influence", UP),), {}, "More views adopted (Slade et al. 2010)."),
    "peer_weight": ((("participation_rate", UP),), {"preset": "peer_tipping"},
                    "Peers pull people in (Granovetter 1978)."),
    "peer_recruitment_rate": ((("ever_took_part", UP),), {"peer_support": True},
                              "Peers bring in people the invitations missed."),
    "panel_drift": ((("participants", DOWN),),
                    {"preset": "forum_only", "weeks": 104, "pathway": "none",
                     "forum_awareness": 0.25, "feedback_rationale": True, "seeds": 32},
                    "Fewer people still know the forum."),
    "organisational_resistance": ((("influence", DOWN),), {},
                                  "Policies and procedures block changes."),
    "integration": ((("influence", UP),), {}, "Less finance and governance friction."),
    "benefit_lag_weeks": ((("benefit", DOWN),), {"preset": "full_coproduction", "weeks": 104},
                          "Benefits start later."),
    "value_per_view": ((("benefit", UP),), {"preset": "full_coproduction", "weeks": 104},
                       "Each change is worth more."),
    "benefit_cost_ratio": ((("benefit", UP),), {"preset": "full_coproduction", "weeks": 104},
                           "Each change, and each person delivering it, is worth more."),
    "limit_budget": ((("cost", DOWN),), {"budget": 3000.0},
                     "A budget below the plan's cost stops activities when money runs short."),
    "budget": ((("cost", UP),), {"limit_budget": True},
               "More money, more of the plan goes ahead."),
    "staff_hour_cost": ((("cost", UP),), {}, "Staff time costs more."),
    "meeting_hours": ((("fatigue", UP), ("cost", UP)), {}, "Longer meetings tire and cost more."),
    "mech_barriers": ((("part_with_needs", DOWN),), dict(_NEEDS_CONTEXT, seeds=16),
                      "Unmet needs keep people away."),
    "mech_payment_incentive": ((("participation_rate", UP),),
                               {"preset": "questionnaire_only", "pay_expenses": True},
                               "Payment doubles the odds of answering (Edwards et al. 2002)."),
    "mech_segment_gap": ((("part_age_16_34", DOWN),), {}, "Younger people start less willing."),
    "mech_peer_influence": ((("participation_rate", UP),),
                            {"preset": "peer_tipping", "seeds": 16},
                            "Peers pull people in."),
    "mech_confidence_bias": ((("confidence_lift", UP),), _MEETINGS_CONTEXT,
                             "Groups draw the confident."),
    "mech_voice_inequality": ((("voice_equality", DOWN),), {},
                              "The confident take the talking time."),
    "mech_jargon": ((("understanding", DOWN),), {}, "Jargon loses people."),
    "mech_manager_dominance": ((("frontline_voice", DOWN),), {}, "Managers talk more."),
    "mech_power_sharing": ((("influence", UP),), {"power_sharing": 0.9},
                           "High power sharing adopts more views than the reference."),
    "mech_email_exclusion": ((("trust", DOWN),), {"email_decision_share": 0.6},
                             "Decisions by email erode trust."),
    "mech_feedback": ((("efficacy", DOWN),), {"power_sharing": 0.1},
                      "Views ignored lower belief that views change things."),
    "mech_ignored_memory": ((("participation_rate", DOWN),),
                            {"power_sharing": 0.1, "weeks": 104, "mech_word_of_mouth": False},
                            "People ignored without a reason come less, long after."),
    "mech_word_of_mouth": ((("participation_rate", DOWN),),
                           {"power_sharing": 0.1, "weeks": 104},
                           "Peers of people ignored come less too."),
    "mech_confidence_growth": ((("confidence", UP),), {"preset": "forum_only"},
                               "Being heard builds confidence."),
    "mech_fatigue": ((("fatigue", UP),), {}, "Taking part tires people."),
    "mech_staff_anxiety": ((("staff_anxiety", UP),), {"power_sharing": 0.8},
                           "Power shifts make untrained staff anxious."),
    "mech_staff_learning": ((("staff_openness", UP),), {},
                            "Contact, skill and good experiences open staff."),
    "mech_dropout": ((("retention", DOWN),), {}, "People leave."),
    "mech_life_exits": ((("retention", DOWN),), {"preset": "full_coproduction", "weeks": 104},
                        "Even the best design loses a few people to their own lives."),
    "mech_commitment": ((("contacts_per_person", UP),), {"preset": "forum_only"},
                        "Members of a standing forum keep coming."),
    "mech_peer_recruitment": ((("ever_took_part", UP),), {"peer_support": True},
                              "Peers bring peers."),
    "mech_panel_drift": ((("participants", DOWN),),
                         {"preset": "forum_only", "weeks": 104, "pathway": "none",
                          "forum_awareness": 0.25, "feedback_rationale": True, "seeds": 32},
                         "Forum members go quiet."),
    "mech_benefit_lag": ((("benefit", DOWN),), {"preset": "full_coproduction", "weeks": 104},
                         "Benefits come late."),
    "mech_step_actions": ((("ever_took_part", UP),), {}, "The steps do their work."),
}

def _with_targets(p: Param) -> Param:
    if p.name not in _TARGETS:
        return p
    target, context, why = _TARGETS[p.name]
    return replace(p, target=target, context=dict(context), why=why)


_TABLE = [_with_targets(p) for p in _TABLE]

#: The parameter table, keyed by name, in table order.
PARAMETERS: dict[str, Param] = {p.name: p for p in _TABLE}

assert set(_TARGETS) <= set(PARAMETERS), sorted(set(_TARGETS) - set(PARAMETERS))
assert all(p.target for p in _TABLE if p.group != "run"), \
    [p.name for p in _TABLE if p.group != "run" and not p.target]

assert len(PARAMETERS) == len(_TABLE), "duplicate parameter name"
assert all(p.group in GROUPS for p in _TABLE), "unknown group"


def defaults() -> dict[str, Any]:
    """Return a fresh dict of every parameter's default value."""
    return {name: p.default for name, p in PARAMETERS.items()}


def by_group() -> dict[str, list[Param]]:
    """Return the parameters grouped by :data:`GROUPS` key, in table order."""
    out: dict[str, list[Param]] = {g: [] for g in GROUPS}
    for p in _TABLE:
        out[p.group].append(p)
    return out


def table_markdown() -> str:
    """Render the parameter table as Markdown (used by docs and ``coprod-sim params``)."""
    rows = ["| name | label | unit | default | allowed | evidence | help |",
            "|---|---|---|---|---|---|---|"]
    for g, params in by_group().items():
        rows.append(f"| **{GROUPS[g]}** | | | | | | |")
        for p in params:
            rows.append(f"| `{p.name}` | {p.label} | {p.unit} | {p.default!r} | "
                        f"{p.allowed()} | {p.evidence} | {p.help} |")
    return "\n".join(rows)
