"""Scenario challenges with automatic, chance-aware feedback.

A :class:`Challenge` gives the trainee a starting plan, the levers they may
change and the targets to reach. :meth:`Challenge.check` runs the trainee's plan
over fixed seeds (five runs with different luck), takes the middle result of
each target outcome, and judges it against the target with a small tolerance
band, so a plan is not failed by bad luck in one run. When a plan falls short,
the feedback says which target was missed, by how much, and why, in plain words,
and points to levers in the trainee's plan that could help.

Some targets are relative to the starting plan (for example "keep at least 15
points more people involved than before"): the starting plan is run over the
same seeds, so the judgement is fair to the model's randomness and stays
meaningful while the model is being calibrated.

The challenges hold targets, not answers: trainers' solutions live in
``exercises/solutions/`` (``coprod-sim solutions``) and are never
copied to a trainee.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coprod_sim.curriculum.predict import SEEDS, fmt_value, label_of
from coprod_sim.curriculum.record import describe_changes
from coprod_sim.parameters import PARAMETERS
from coprod_sim.presets import get as preset
from coprod_sim.runner import run_seeds
from coprod_sim.scenario import Scenario, ScenarioError


@dataclass(frozen=True)
class Hint:
    """A lever setting that helps a target, and why, in plain words."""

    lever: str
    value: Any
    reason: str


@dataclass(frozen=True)
class Target:
    """One target of a challenge.

    Attributes:
        outcome: Summary key (an outcome name or ``payback_week``).
        at_least: The middle result must be at least this (or None).
        at_most: The middle result must be at most this (or None).
        tolerance: Leeway for chance: a middle result this close still counts.
        relative: When True, ``at_least`` / ``at_most`` are added to the starting
            plan's middle result over the same seeds.
        why: Plain explanation shown when the target is missed.
        hints: Lever settings that help, shown when the trainee's plan lacks them.
    """

    outcome: str
    at_least: float | None = None
    at_most: float | None = None
    tolerance: float = 0.0
    relative: bool = False
    why: str = ""
    hints: tuple[Hint, ...] = ()

    def describe(self, threshold: float) -> str:
        """The target in plain words, for example 'Representative mix at least 80%'."""
        word = "at least" if self.at_least is not None else "at most"
        return f"{label_of(self.outcome)} {word} {fmt_value(self.outcome, threshold)}"


@dataclass
class TargetResult:
    """How a plan did against one target."""

    target: Target
    threshold: float
    median: float
    low: float
    high: float
    runs_meeting: int
    runs: int
    met: bool

    @property
    def gap(self) -> float:
        """How far the middle result is from the threshold (positive is short)."""
        if self.target.at_least is not None:
            return self.threshold - self.median
        return self.median - self.threshold


@dataclass
class Feedback:
    """The verdict on a plan: passed or not, and why, in plain words."""

    passed: bool
    results: list[TargetResult]
    lines: list[str]
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All the feedback as one string."""
        return "\n".join(self.lines)

    def _repr_html_(self) -> str:
        head = ("<p style='font-weight:bold;color:#006B3C'>Well done: your plan meets every "
                "target.</p>" if self.passed else
                "<p style='font-weight:bold;color:#9A3B00'>Not there yet: see why below.</p>")
        return head + "".join(f"<p>{html.escape(x)}</p>" for x in self.lines[1:])


class Challenge:
    """A scenario challenge: a starting plan, levers to change, targets to reach.

    Args:
        key: Identifier (for example ``"ex1"``).
        title: Title shown to trainees.
        start: The starting plan.
        levers: Names of the levers the trainee may change.
        targets: The targets.
        limits: Narrower ranges for some levers, ``{name: (low, high)}``.
        max_changes: The most levers the trainee may change (None for no limit).
        seeds: Seeds of the runs.
        diagnose: A diagnosis challenge: the feedback says what to look into, never
            which lever to change (that is the trainee's to work out).
    """

    def __init__(self, key: str, title: str, start: Scenario, levers: Sequence[str],
                 targets: Sequence[Target], limits: Mapping[str, tuple[float, float]] | None = None,
                 max_changes: int | None = None, seeds: Sequence[int] = SEEDS,
                 diagnose: bool = False):
        unknown = [n for n in levers if n not in PARAMETERS]
        if unknown:
            raise ValueError(f"unknown levers {unknown}; allowed: names in PARAMETERS")
        self.key, self.title, self.start = key, title, start
        self.levers, self.targets = tuple(levers), tuple(targets)
        self.limits = dict(limits or {})
        self.max_changes, self.seeds, self.diagnose = max_changes, tuple(seeds), diagnose
        self._start_medians: dict[str, float] | None = None

    # -- the answer ---------------------------------------------------------
    def answer(self, values: Mapping[str, Any] | Scenario) -> Scenario:
        """Turn the trainee's lever values into a plan, checking they are allowed.

        Raises:
            ScenarioError: naming each lever that may not be changed in this challenge,
                or each value outside what is allowed.
        """
        if isinstance(values, Scenario):
            values = {k: v for k, v in values.to_dict().items() if self.start[k] != v}
        problems = []
        for name, value in values.items():
            if name not in self.levers:
                if name in PARAMETERS and self.start[name] == value:
                    continue
                problems.append((name, value, "a lever of this challenge: "
                                 + ", ".join(self.levers)))
            elif name in self.limits:
                lo, hi = self.limits[name]
                if isinstance(value, int | float) and not lo <= value <= hi:
                    problems.append((name, value, f"a number from {lo:g} to {hi:g} "
                                     "in this challenge"))
        if problems:
            raise ScenarioError(problems)
        plan = self.start.replace(name=f"{self.key} answer", **dict(values))
        changed = plan.to_dict()
        n_changes = sum(1 for k in self.levers if changed[k] != self.start[k])
        if self.max_changes is not None and n_changes > self.max_changes:
            raise ScenarioError([("changes", n_changes,
                                  f"at most {self.max_changes} changed levers")])
        return plan

    def changes(self, plan: Scenario) -> dict[str, Any]:
        """The levers the plan changes from the starting plan."""
        d = plan.to_dict()
        return {k: d[k] for k in self.levers if d[k] != self.start[k]}

    # -- running ------------------------------------------------------------
    def medians(self, plan: Scenario) -> dict[str, np.ndarray]:
        """Run a plan over the seeds; return every target outcome's values per seed."""
        values: dict[str, list[float]] = {t.outcome: [] for t in self.targets}
        for r in run_seeds(plan, self.seeds):  # the seeds as one batch
            s = r.summary
            for name in values:
                v = s[name]
                values[name].append(float(s["weeks"] + 1 if v is None else v))
        return {k: np.array(v) for k, v in values.items()}

    def start_medians(self) -> dict[str, float]:
        """Middle results of the starting plan (cached)."""
        if self._start_medians is None:
            self._start_medians = {k: float(np.median(v))
                                   for k, v in self.medians(self.start).items()}
        return self._start_medians

    def threshold(self, t: Target) -> float:
        """The number a target's middle result is judged against."""
        base = self.start_medians()[t.outcome] if t.relative else 0.0
        return base + (t.at_least if t.at_least is not None else t.at_most)

    # -- judging ------------------------------------------------------------
    def check(self, values: Mapping[str, Any] | Scenario) -> Feedback:
        """Run the trainee's plan and judge it against every target.

        A target is met when the middle result of the runs is on the right side of
        the threshold, allowing the target's tolerance for chance.

        Returns:
            :class:`Feedback`; bad input gives a failed Feedback with a plain message,
            never an exception.
        """
        try:
            plan = self.answer(values)
        except ScenarioError as err:
            return Feedback(False, [], ["Your plan could not be run.",
                                        *[f"'{PARAMETERS[p].label if p in PARAMETERS else p}' "
                                          f"is {v!r}; allowed: {a}." for p, v, a in err.problems]])
        values_by_outcome = self.medians(plan)
        results = []
        for t in self.targets:
            v = values_by_outcome[t.outcome]
            thr = self.threshold(t)
            if t.at_least is not None:
                meets = v >= thr - t.tolerance
                met = float(np.median(v)) >= thr - t.tolerance
            else:
                meets = v <= thr + t.tolerance
                met = float(np.median(v)) <= thr + t.tolerance
            results.append(TargetResult(t, thr, float(np.median(v)), float(v.min()),
                                        float(v.max()), int(meets.sum()), len(v), met))
        changes = self.changes(plan)
        return Feedback(all(r.met for r in results), results,
                        self._explain(plan, results, changes), changes)

    def _explain(self, plan: Scenario, results: list[TargetResult],
                 changes: dict[str, Any]) -> list[str]:
        n = len(self.seeds)
        passed = all(r.met for r in results)
        lines = ["Your plan meets every target." if passed else
                 "Your plan does not meet every target yet."]
        lines.append("What you changed: " + ("; ".join(describe_changes(changes))
                                              if changes else "nothing yet") + ".")
        if not changes and not passed:
            lines.append("This is the project as it was. Read why each target is missed, "
                         "decide what you think the causes are, then change the plan.")
        for r in results:
            t = r.target
            res = (f"{t.describe(r.threshold)}: middle result of {n} runs "
                   f"{fmt_value(t.outcome, r.median)} (runs ranged from "
                   f"{fmt_value(t.outcome, r.low)} to {fmt_value(t.outcome, r.high)}).")
            if r.met:
                luck = ("" if r.runs_meeting == r.runs else
                        f" It was met in {r.runs_meeting} of {r.runs} runs, so luck "
                        "matters here: a stronger plan would be safer.")
                lines.append("Met. " + res + luck)
            else:
                lines.append("Missed. " + res + " " + t.why)
                if not changes or self.diagnose:
                    continue  # the first check shows the problem; the trainee finds the fix
                tips = [h for h in t.hints if h.lever in self.levers
                        and plan[h.lever] != h.value
                        and not (isinstance(h.value, float) and h.lever in PARAMETERS
                                 and _beyond(plan[h.lever], h.value, t))]
                if tips:
                    lines.append("Things you could try: " + " ".join(
                        f"{PARAMETERS[h.lever].label}: {h.reason}" for h in tips[:3]))
        return lines


def _beyond(current: Any, suggested: Any, target: Target) -> bool:
    """True when a numeric lever is already past the suggested value (no tip needed)."""
    try:
        return float(current) >= float(suggested)
    except (TypeError, ValueError):
        return False


def budget_hint(lever: str, value: Any, reason: str) -> Hint:
    """A hint for cutting cost (the value is the cheaper setting)."""
    return Hint(lever, value, reason)


# ---------------------------------------------------------------------------
# The four challenges

_SUPPORT = ("large_print", "plain_language", "hearing_loop", "accessible_venue",
            "flexible_timing", "pay_expenses", "digital_inclusion", "buddying")
_BUILD = ("ground_rules", "written_vision", "feedback_rationale", "inclusive_communication",
          "peer_support", "staff_training", "roles_4rs")
_METHODS = ("use_forum", "use_focus_groups", "use_interviews", "use_questionnaire")

_REP_HINTS = (
    Hint("digital_inclusion", True, "posting papers and phoning people reaches those "
         "who are not online."),
    Hint("plain_language", True, "people with less confidence in reading health "
         "information stay with you (NLIAH 2010)."),
    Hint("flexible_timing", True, "meeting times that suit people bring in those who "
         "work or whose medication affects them at certain times (NLIAH 2010)."),
    Hint("use_interviews", True, "the briefing paper suggests interviews can lower the "
         "barriers for people who are less confident or articulate."),
    Hint("use_questionnaire", True, "questionnaires reach the widest mix of people."),
)
_RET_HINTS = (
    Hint("feedback_rationale", True, "telling people what happened to their views, and "
         "why when a view was not used, keeps them involved."),
    Hint("roles_4rs", True, "people stay when they know their role, remit, relationships "
         "and responsibility (NLIAH 2010)."),
    Hint("ground_rules", True, "rules the group makes together help people feel safe "
         "to keep coming."),
    Hint("inclusive_communication", True, "sharing decisions made by email keeps "
         "people in the loop."),
)

EX1 = Challenge(
    "ex1", "A plan within budget",
    start=preset("default").replace(name="Hillside community mental health team"),
    levers=_METHODS + _SUPPORT + _BUILD + ("invitation_reach", "invite_families",
                                           "invite_community", "power_sharing"),
    targets=(
        Target("cost", at_most=6_200, tolerance=100,
               why="The plan costs more than the £6,200 you have for the year. Meetings "
                   "cost staff time every time they happen, and some kinds of support, such "
                   "as training or a peer support network, cost money up front.",
               hints=(Hint("use_forum", False, "a forum costs staff time at every meeting; "
                           "interviews can reach people for less."),
                      Hint("use_focus_groups", False, "focus groups cost staff time at every "
                           "meeting."),
                      Hint("staff_training", False, "training is valuable but costs money "
                           "up front; choose it if you can afford it elsewhere."),
                      Hint("peer_support", False, "a funded peer network costs money each "
                           "week."))),
        Target("representativeness", at_least=0.88, tolerance=0.02,
               why="The people taking part do not yet match everyone affected. Younger "
                   "people and people in deprived areas are the least likely to take part, "
                   "forums and focus groups favour the confident (Gibbs 1997), and groups "
                   "nobody invites cannot take part at all.",
               hints=(Hint("invite_families", True, "step 1 of the CAFA (2012) model is "
                           "to identify every group the change affects, including "
                           "families."),
                      Hint("invite_community", True, "the wider community is affected "
                           "too (CAFA 2012)."),
                      *_REP_HINTS)),
        Target("retention", at_least=0.80, tolerance=0.02,
               why="Too many of the people who took part have dropped out. People leave "
                   "when their views seem to vanish, when taking part costs them, or "
                   "when they are unsure of their part in the work.",
               hints=_RET_HINTS),
    ),
)

_COLLAPSE = Scenario(
    name="Riverside memory clinic redesign",
    description="Started well, then people stopped coming.",
    use_forum=True, use_focus_groups=True, use_questionnaire=False, pay_expenses=True,
    large_print=True, power_sharing=0.1, email_decision_share=0.9, purpose_clarity=0.2,
    invitation_reach=0.8)

EX2 = Challenge(
    "ex2", "Why did people stop coming?",
    start=_COLLAPSE,
    levers=("feedback_rationale", "inclusive_communication", "power_sharing",
            "purpose_clarity", "hearing_loop", "expenses_per_visit", "accessible_venue",
            "use_questionnaire"),
    max_changes=3,
    diagnose=True,
    targets=(
        Target("retention", at_least=0.02, tolerance=0.01, relative=True,
               why="People are still drifting away. Ask what a person sees after they "
                   "give their view: is it used? Are they told why not? Are decisions "
                   "made by email behind their backs? Fixes to access help people come, "
                   "but they do not make people stay if their views go nowhere.",
               hints=(Hint("feedback_rationale", True, "a view not used, with a reason "
                           "given, costs little trust; a view ignored without a reason "
                           "costs a lot."),
                      Hint("inclusive_communication", True, "decisions made by email "
                           "without service users undermine the partnership."),
                      Hint("power_sharing", 0.5, "when views can change things, people "
                           "see a point in staying."))),
        Target("trust", at_least=0.09, tolerance=0.01, relative=True,
               why="Trust in the service is still falling. In this project most decisions "
                   "were taken by email without service users, and views were ignored "
                   "without a reason: both wear trust down week by week.",
               hints=(Hint("inclusive_communication", True, "share decisions made between "
                           "meetings with everyone."),
                      Hint("feedback_rationale", True, "explain what happened to views."))),
    ),
)

_TOKEN = preset("tokenistic_consultation").replace(name="Outpatient letters consultation")

EX3 = Challenge(
    "ex3", "From consultation to coproduction",
    start=_TOKEN,
    levers=_METHODS + _BUILD + ("power_sharing", "purpose_clarity", "email_decision_share",
                                "stage_co_commissioning", "stage_co_design",
                                "stage_co_delivery", "stage_co_assessment", "buddying",
                                "plain_language", "pay_expenses"),
    targets=(
        Target("ladder_score", at_least=0.70, tolerance=0.03,
               why="The project has not reached transformation, an equal partnership "
                   "(Needham & Carr 2009). Service users need methods where they can shape "
                   "the agenda, real power over decisions, and a share of the plan that "
                   "comes from them.",
               hints=(Hint("power_sharing", 0.7, "more say over decisions means more of "
                           "users' views are adopted."),
                      Hint("use_forum", True, "people in meetings can shape the discussion, "
                           "not just answer set questions."),
                      Hint("feedback_rationale", True, "feedback keeps people involved long "
                           "enough to make a difference."))),
        Target("staff_anxiety", at_most=0.15, tolerance=0.02, relative=True,
               why="Staff have become anxious. Sharing power can make staff worry about "
                   "risk, and without training they may resist the change. Investing in "
                   "training helps staff feel confident working this way.",
               hints=(Hint("staff_training", True, "trained staff are less anxious about "
                           "sharing power."),)),
        Target("trust", at_least=0.03, tolerance=0.01, relative=True,
               why="Trust has not grown. Trust comes from seeing views used, or hearing "
                   "why not, and from not being left out of decisions.",
               hints=(Hint("feedback_rationale", True, "explain what happened to views."),
                      Hint("inclusive_communication", True, "include users in decisions "
                           "made between meetings."))),
    ),
)

_LONG = Scenario(
    name="Community falls prevention service",
    description="A year in: busy meetings, little real say, no savings yet.",
    use_forum=True, use_focus_groups=True, use_questionnaire=True, power_sharing=0.2,
    large_print=True, pay_expenses=True, invite_families=True)

EX4 = Challenge(
    "ex4", "The case for the long game",
    start=_LONG,
    levers=("weeks",) + _METHODS + _SUPPORT + _BUILD + ("power_sharing",),
    limits={"weeks": (52, 260)},
    targets=(
        Target("net_benefit", at_least=0.0, tolerance=0.0,
               why="By the end of the time you chose, the money spent is still more than "
                   "the value gained. In this model a change adopted from users' views "
                   "starts paying back only after a delay (an assumption of about a year), "
                   "so a short view sees the costs and not yet the benefits. This is the "
                   "'long game' the briefing paper describes.",
               hints=(Hint("weeks", 260, "look further ahead: up to five years."),
                      Hint("power_sharing", 0.7, "benefits in this model come from changes "
                           "users' views shaped, so views must be able to change things."),
                      Hint("use_focus_groups", False, "focus groups cost staff time at "
                           "every meeting; ask whether they add enough to pay for it."))),
        Target("influence", at_least=0.42, tolerance=0.02,
               why="Too few of service users' views are being adopted. People take part "
                   "but change little, so their involvement risks being tokenistic. In this "
                   "model the benefits come from changes that users' views shaped, so a "
                   "plan that adopts few of them gets less back from the long game.",
               hints=(Hint("power_sharing", 0.7, "share power so views can be adopted."),
                      Hint("feedback_rationale", True, "feedback keeps people involved."),
                      Hint("staff_training", True, "trained staff are more open to "
                           "adopting users' views."))),
        Target("representativeness", at_least=0.75, tolerance=0.02,
               why="The people involved do not match everyone affected, so the changes "
                   "fit some people's needs and miss others'.",
               hints=_REP_HINTS),
    ),
)

#: The challenges by key.
CHALLENGES: dict[str, Challenge] = {c.key: c for c in (EX1, EX2, EX3, EX4)}

#: Typical wrong answers to each challenge (changes from its starting plan): the
#: lesson tests check that each still misses a target on fresh seeds, and the
#: trainers' notebook shows the feedback on the first.
WRONG_ANSWERS: dict[str, tuple[dict[str, Any], ...]] = {
    "ex1": ({"use_focus_groups": True, "use_interviews": True, "staff_training": True,
             "peer_support": True},
            {"use_forum": False}),
    "ex2": ({"hearing_loop": True, "expenses_per_visit": 60.0, "accessible_venue": True},
            {"inclusive_communication": True}),  # one cause of two: not enough
    "ex3": ({"power_sharing": 0.8},
            {"use_forum": True, "use_focus_groups": True}),
    "ex4": ({"weeks": 260},
            {"weeks": 260, "power_sharing": 0.1, "use_forum": False, "use_interviews": False,
             "feedback_rationale": False}),
}


def solution_changes(key: str) -> dict[str, Any]:
    """The trainer's solution to a challenge, as changes from its starting plan.

    Read from ``exN_solution.toml`` in the trainers' folder
    (:func:`coprod_sim.resources.solutions_dir`): a ``name``, a ``description``
    and the levers the solution changes. Keeping only the changes means a
    solution follows the model's other settings when they are recalibrated.
    """
    import tomllib

    from coprod_sim import resources

    get_challenge(key)
    path = resources.solutions_dir() / f"{key}_solution.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in ("name", "description")}


def solution(key: str) -> Scenario:
    """The trainer's solution to a challenge, as a plan (see :func:`solution_changes`)."""
    ch = get_challenge(key)
    return ch.answer(solution_changes(key)).replace(name=f"{key} trainer solution")


def wrong_answers(key: str) -> list[Scenario]:
    """The typical wrong answers to a challenge, as plans."""
    ch = get_challenge(key)
    return [ch.answer(c) for c in WRONG_ANSWERS.get(key, ())]


def get_challenge(key: str) -> Challenge:
    """Return a challenge by key.

    Raises:
        KeyError: naming the key and the known keys.
    """
    try:
        return CHALLENGES[key]
    except KeyError:
        raise KeyError(f"unknown challenge {key!r}; known: {', '.join(CHALLENGES)}") from None
