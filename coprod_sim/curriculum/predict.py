"""Predict, then reveal: the trainee guesses first, then the model runs.

A *moment* asks one question about the model. The trainee answers in a widget
(a choice or a slider), presses the button, and the model runs the plans over a
few fixed seeds (so everyone sees the same result). The kit then says, in plain
words, what the model did, how the trainee's guess compares, and why, citing the
briefing paper's sources. The prediction and the result go into the reflection
record.

Three kinds of moment:

* :class:`Compare`: which of two or three plans gives the higher (or lower) result?
* :class:`Direction`: over the run, will an outcome go up, go down or stay about the same?
* :class:`Estimate`: what number will an outcome reach? (a slider)

:meth:`Moment.reveal` does the work and is what the tests call; the widget only
collects the guess and shows the :class:`Reveal`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.outcomes import OUTCOMES
from coprod_sim.runner import RunResult, run_many, run_seeds
from coprod_sim.scenario import Scenario

#: The fixed seeds every moment uses: five runs with different luck.
SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5)

SAME = "About the same"
#: Fewer people than this taking part make a "representative mix" shaky (said so).
SMALL_GROUP = 30
UP, DOWN, FLAT = "Go up", "Go down", "Stay about the same"


def fmt_value(outcome: str, value: float | None) -> str:
    """Format a value of an outcome in plain words (percent, pounds, people, weeks)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not reached"
    if outcome == "payback_week":
        return f"week {value:.0f}"
    o = OUTCOMES.get(outcome)
    unit = o.unit if o else ""
    if unit == "share":
        return f"{value:.0%}"
    if unit == "GBP":
        return f"−£{-value:,.0f}" if round(value) < 0 else f"£{value:,.0f}"
    if unit in ("people", "week"):
        return f"{value:,.0f} {unit}"
    return f"{value:.2f}"


def label_of(outcome: str) -> str:
    """Plain label of an outcome (or of a whole-run figure such as the payback week)."""
    if outcome == "payback_week":
        return "Week when benefit catches up with cost"
    return OUTCOMES[outcome].label


def threshold_words(outcome: str, threshold: float) -> str:
    """A moment's "about the same" threshold in plain words."""
    if outcome == "payback_week":
        return f"{threshold:.0f} weeks"
    unit = OUTCOMES[outcome].unit
    if unit == "share":
        v = threshold * 100
        points = f"{v:.0f}" if v >= 9.5 else f"{v:.1f}".rstrip("0").rstrip(".")
        return f"{points} point{'' if points == '1' else 's'}"
    return fmt_value(outcome, threshold)


def scale_note(outcome: str) -> str:
    """Say once what a point is, for an outcome that is a share."""
    if outcome != "payback_week" and OUTCOMES[outcome].unit == "share":
        return " (points on the 0-100% scale: 40% to 45% is 5 points)"
    return ""


def final_values(scenario: Scenario, outcome: str, seeds: Sequence[int] = SEEDS,
                 weeks: int | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """Run a plan over seeds; return the outcome's final value per seed and all weekly rows.

    For ``payback_week`` a run that never pays back counts as one week past the end.
    """
    return _final(run_seeds(scenario, seeds, weeks=weeks), outcome)  # the seeds as one batch


def _final(results: Sequence[RunResult], outcome: str) -> tuple[np.ndarray, pd.DataFrame]:
    values, tables = [], []
    for r in results:
        v = r.summary[outcome]
        if outcome == "payback_week" and v is None:
            v = r.summary["weeks"] + 1
        values.append(float(v))
        tables.append(r.weekly.assign(seed=r.seed))
    return np.array(values), pd.concat(tables, ignore_index=True)


def plans_final_values(scenarios: Sequence[Scenario], outcome: str,
                       seeds: Sequence[int] = SEEDS, weeks: int | None = None
                       ) -> list[tuple[np.ndarray, pd.DataFrame]]:
    """:func:`final_values` of several plans, every plan and seed run as one batch."""
    seeds = list(seeds)
    if weeks is not None:
        scenarios = [s.replace(weeks=weeks) for s in scenarios]
    results = run_many([(s, seed) for s in scenarios for seed in seeds])
    n = len(seeds)
    return [_final(results[i * n:(i + 1) * n], outcome) for i in range(len(scenarios))]


@dataclass
class Reveal:
    """What the model did, compared with the trainee's guess.

    Attributes:
        answer: The model's answer in the same words as the options (or a number).
        verdict: ``"match"``, ``"close"``, ``"different"`` or ``"no guess"``.
        lines: Plain sentences: the result, the comparison with the guess, why.
        guess: The trainee's guess, as given.
        tables: Weekly rows of every run, by plan label (for charts).
        chart_outcome: The outcome to chart.
    """

    answer: Any
    verdict: str
    lines: list[str]
    guess: Any = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    chart_outcome: str = ""

    @property
    def text(self) -> str:
        """The plain-words explanation as one string."""
        return " ".join(self.lines)

    def _repr_html_(self) -> str:
        return "".join(f"<p>{html.escape(x)}</p>" for x in self.lines)


class Moment:
    """Base class of a predict-then-reveal moment.

    Args:
        key: Short identifier, unique within the curriculum.
        section: Notebook key for the reflection record (for example ``"03"``).
        question: The question, in plain words.
        why: Why the model behaves this way, in plain words, citing the paper's sources.
        weeks: Weeks per run.
        seeds: Seeds of the runs.
        person: The followed person the question is about, if any.
    """

    def __init__(self, key: str, section: str, question: str, why: str,
                 weeks: int = 52, seeds: Sequence[int] = SEEDS, person: str = ""):
        self.key, self.section, self.question, self.why = key, section, question, why
        #: The followed person the question is about ("megan"), told first after a
        #: wrong guess when their year shows the result.
        self.person = person
        self.weeks, self.seeds = weeks, tuple(seeds)
        self.on_reveal: Callable[[Moment, Reveal], None] | None = None

    # subclasses: options (or None for a number), and _reveal(guess)
    options: tuple[str, ...] | None = None

    def reveal(self, guess: Any = None) -> Reveal:
        """Run the model, compare with ``guess`` and explain; calls ``on_reveal`` if set."""
        result = self._reveal(guess)
        result.lines.append("Why: " + self.why)
        if self.on_reveal is not None:
            self.on_reveal(self, result)
        return result

    def _reveal(self, guess: Any) -> Reveal:  # pragma: no cover - abstract
        raise NotImplementedError

    def _judge_choice(self, guess: Any, answer: str, close: set[str]) -> tuple[str, str]:
        if guess is None or guess == "":
            return "no guess", ("You did not make a prediction. Next time, choose an answer "
                                "before you press the button: guessing first is how "
                                "the learning sticks.")
        if guess not in (self.options or ()):
            raise ValueError(f"guess is {guess!r}; allowed: one of "
                             + ", ".join(repr(o) for o in self.options or ()))
        if guess == answer:
            return "match", f"You predicted '{guess}'. The model agrees."
        if guess in close:
            return "close", (f"You predicted '{guess}'. The model says '{answer}', but the "
                             "difference is smaller than this moment's threshold, so your "
                             "answer was close.")
        return "different", (f"You predicted '{guess}'. The model says '{answer}'. "
                             "That is worth thinking about: what did the model include "
                             "that you did not, or the other way round?")


@dataclass(frozen=True)
class Plan:
    """A named plan (scenario) in a moment.

    Attributes:
        label: The name the trainee picks (for example "Plan A").
        scenario: The plan.
        does: What the plan does, in plain words (shown with a neutral label).
    """

    label: str
    scenario: Scenario
    does: str = ""

    @property
    def described(self) -> str:
        """The label with what the plan does, for sentences."""
        return f"{self.label} ({self.does})" if self.does else self.label


class Compare(Moment):
    """Ask which plan gives the higher (or lower) value of one outcome at the end.

    Args:
        plans: Two or three :class:`Plan` objects.
        outcome: An outcome name (or ``"payback_week"``).
        lowest: Ask which is lowest instead of highest.
        same_within: The moment's threshold: middle results closer than this count
            as "about the same". A guess is only ever "close" when the difference
            it got wrong is smaller than this.
        also: Other outcomes to report for every plan (for example the cost).
        **kw: Passed to :class:`Moment`.
    """

    def __init__(self, key: str, section: str, question: str, why: str, *,
                 plans: Sequence[Plan], outcome: str, lowest: bool = False,
                 same_within: float = 0.03, also: Sequence[str] = (), **kw: Any):
        super().__init__(key, section, question, why, **kw)
        if not 2 <= len(plans) <= 3:
            raise ValueError(f"plans has {len(plans)} plans; allowed: 2 or 3")
        label_of(outcome)
        for extra in also:
            label_of(extra)
        self.plans, self.outcome = tuple(plans), outcome
        self.lowest, self.same_within, self.also = lowest, same_within, tuple(also)
        self.options = tuple(p.label for p in plans) + (SAME,)

    def plan(self, label: str) -> Plan:
        """The plan with this label."""
        return next(p for p in self.plans if p.label == label)

    def differences(self) -> list[str]:
        """Every lever on which the plans differ, in plain words: one line per lever.

        Shown under the question, so a moment names every change it makes.
        """
        from coprod_sim.curriculum.record import describe_changes
        dicts = [p.scenario.to_dict() for p in self.plans]
        names = [k for k in dicts[0] if k not in ("name", "description", "weeks")
                 and len({repr(d[k]) for d in dicts}) > 1]
        lines = []
        for k in names:
            shown = [describe_changes({k: d[k]}) for d in dicts]
            if not all(shown):
                continue
            label = shown[0][0].split(": ")[0]
            lines.append(f"{label}: " + "; ".join(
                f"{p.label} {x[0].split(': ', 1)[1]}" for p, x in zip(self.plans, shown,
                                                                     strict=True)))
        return lines

    def results(self) -> dict[str, tuple[np.ndarray, pd.DataFrame]]:
        """Run every plan; return its final values per seed and its weekly rows."""
        found = plans_final_values([p.scenario for p in self.plans], self.outcome,
                                   self.seeds, self.weeks)
        return {p.label: f for p, f in zip(self.plans, found, strict=True)}

    def _reveal(self, guess: Any) -> Reveal:
        res = self.results()
        mids = {label: float(np.median(v)) for label, (v, _) in res.items()}
        order = sorted(mids, key=mids.get, reverse=not self.lowest)
        best, second = order[0], order[1]
        gap = abs(mids[best] - mids[second])
        answer = best if gap >= self.same_within else SAME
        if len(self.plans) == 2:
            word = "lower" if self.lowest else "higher"
        else:
            word = "lowest" if self.lowest else "highest"
        lines = [f"{label_of(self.outcome)} at week {self.weeks}, middle result of "
                 f"{len(self.seeds)} runs (range in brackets): " + "; ".join(
                     f"{label}: {fmt_value(self.outcome, mids[label])} "
                     f"({fmt_value(self.outcome, float(v.min()))} to "
                     f"{fmt_value(self.outcome, float(v.max()))})"
                     for label, (v, _) in res.items()) + "."]
        if answer == SAME:
            lines.append("The plans come out about the same: the gap between the top "
                         "two is smaller than this moment's threshold.")
        else:
            lines.append(f"'{best}' gives the {word} result.")
            lo_best, hi_best = res[best][0].min(), res[best][0].max()
            lo_sec, hi_sec = res[second][0].min(), res[second][0].max()
            if min(hi_best, hi_sec) >= max(lo_best, lo_sec):
                lines.append("The ranges overlap, so in a single run chance could swap "
                             "them; over several runs the pattern holds.")
        if answer == SAME:
            # Naming a plan within the threshold of the best is close.
            close = {label for label in order
                     if abs(mids[best] - mids[label]) < self.same_within}
        else:
            # The plans differ by more than the threshold: "about the same" is wrong,
            # and so is a plan further than the threshold from the best.
            close = {label for label in order[1:] if abs(mids[best] - mids[label])
                     < self.same_within}
        lines.append(f"This moment counts results as about the same when they differ by "
                     f"less than {threshold_words(self.outcome, self.same_within)}"
                     f"{scale_note(self.outcome)}; here the top two differ by "
                     f"{threshold_words(self.outcome, gap)}.")
        for extra in self.also:
            ends = {label: float(t[t["week"] == t["week"].max()][extra].median())
                    for label, (_, t) in res.items()}
            lines.append(f"{label_of(extra)} at week {self.weeks} (middle result): "
                         + "; ".join(f"{label}: {fmt_value(extra, v)}"
                                     for label, v in ends.items()) + ".")
        if self.outcome == "representativeness":
            lines.append(_measured_on(res, self.plans))
        if self.outcome == "ladder_score":
            from coprod_sim.outcomes import ladder_rung
            lines.append("On the line from description to transformation (Needham & Carr "
                         "2009), the middle results sit at: " + "; ".join(
                             f"{label}: {ladder_rung(mids[label]).lower()}"
                             for label in mids) + ".")
        verdict, sentence = self._judge_choice(guess, answer, close)
        lines.insert(0, sentence)
        return Reveal(answer, verdict, lines, guess,
                      {label: t for label, (_, t) in res.items()}, self.outcome)


def _measured_on(res: dict[str, tuple[np.ndarray, pd.DataFrame]],
                 plans: Sequence[Plan]) -> str:
    """How many people a representative mix was measured on, per plan."""
    parts, fewest = [], float("inf")
    for p in plans:
        t = res[p.label][1]
        last = t[t["week"] == t["week"].max()]
        k = float(np.median(last["participation_rate"])) * p.scenario.n_people
        fewest = min(fewest, k)
        parts.append(f"{p.label}: about {k:.0f}")
    text = ("The mix is measured on the people taking part in the last 13 weeks ("
            + "; ".join(parts) + ").")
    if fewest < SMALL_GROUP:
        text += " On a handful of people, a few more or less from one group moves it a lot."
    return text


class Direction(Moment):
    """Ask whether an outcome goes up, goes down or stays about the same over the run.

    The start is the middle result in week ``start_week``; the end is the last week.
    """

    def __init__(self, key: str, section: str, question: str, why: str, *,
                 plan: Plan, outcome: str, start_week: int = 1, same_within: float = 0.03,
                 **kw: Any):
        super().__init__(key, section, question, why, **kw)
        label_of(outcome)
        self.plan, self.outcome = plan, outcome
        self.start_week, self.same_within = start_week, same_within
        self.options = (UP, DOWN, FLAT)

    def _reveal(self, guess: Any) -> Reveal:
        ends, table = final_values(self.plan.scenario, self.outcome, self.seeds, self.weeks)
        starts = table[table["week"] == self.start_week][self.outcome].to_numpy(dtype=float)
        start, end = float(np.median(starts)), float(np.median(ends))
        change = end - start
        answer = FLAT if abs(change) < self.same_within else (UP if change > 0 else DOWN)
        lines = [f"In '{self.plan.label}', {label_of(self.outcome).lower()} was "
                 f"{fmt_value(self.outcome, start)} in week {self.start_week} and "
                 f"{fmt_value(self.outcome, end)} in week {self.weeks} (middle result of "
                 f"{len(self.seeds)} runs; the last week ranged from "
                 f"{fmt_value(self.outcome, float(ends.min()))} to "
                 f"{fmt_value(self.outcome, float(ends.max()))})."]
        # "About the same" is close only when the change is within the threshold,
        # that is when the answer itself is "about the same".
        close = {UP if change > 0 else DOWN} if answer == FLAT else set()
        lines.append(f"This moment counts a change smaller than "
                     f"{threshold_words(self.outcome, self.same_within)}"
                     f"{scale_note(self.outcome)} as staying about the same; here it "
                     f"changed by {threshold_words(self.outcome, abs(change))}.")
        verdict, sentence = self._judge_choice(guess, answer, close)
        lines.insert(0, sentence)
        return Reveal(answer, verdict, lines, guess, {self.plan.label: table}, self.outcome)


class Estimate(Moment):
    """Ask what value an outcome will reach by the last week (a slider).

    Args:
        low: Slider minimum (in display units: percent for shares).
        high: Slider maximum.
        step: Slider step.
        close_within: A guess this far (display units) from the middle result counts as close.
    """

    def __init__(self, key: str, section: str, question: str, why: str, *,
                 plan: Plan, outcome: str, low: float, high: float, step: float,
                 close_within: float, **kw: Any):
        super().__init__(key, section, question, why, **kw)
        label_of(outcome)
        self.plan, self.outcome = plan, outcome
        self.low, self.high, self.step, self.close_within = low, high, step, close_within
        self.percent = outcome != "payback_week" and OUTCOMES[outcome].unit == "share"

    def _to_display(self, v: float) -> float:
        return v * 100 if self.percent else v

    def _show(self, v: float) -> str:
        """Show a value in display units (percent for shares)."""
        if self.percent:
            return f"{v:.0f}%"
        return fmt_value(self.outcome, v)

    def _reveal(self, guess: Any) -> Reveal:
        values, table = final_values(self.plan.scenario, self.outcome, self.seeds, self.weeks)
        shown = np.array([self._to_display(v) for v in values])
        mid, lo, hi = float(np.median(shown)), float(shown.min()), float(shown.max())
        never = self.outcome == "payback_week" and mid > self.weeks
        lines = [f"In '{self.plan.label}', the middle result of {len(self.seeds)} runs was "
                 + ("that benefit never caught up with cost within the run"
                    if never else f"{self._show(mid)}")
                 + f" (runs ranged from {self._show(lo)} to {self._show(hi)})."]
        if guess is None:
            verdict, sentence = "no guess", "You did not make a prediction."
        else:
            g = float(guess)
            if not self.low <= g <= self.high:
                raise ValueError(f"guess is {guess!r}; allowed: a number from "
                                 f"{self.low:g} to {self.high:g}")
            if lo <= g <= hi or abs(g - mid) <= self.close_within:
                verdict = "match" if lo <= g <= hi else "close"
                sentence = (f"You guessed {self._show(g)}. That is "
                            + ("inside the range of the runs: well judged."
                               if verdict == "match" else "close to the model's result."))
            else:
                verdict = "different"
                side = "higher" if g > mid else "lower"
                sentence = (f"You guessed {self._show(g)}, which is {side} than the model's "
                            "result. What might the model include that you did not?")
        lines.insert(0, sentence)
        answer = None if never else (mid / 100 if self.percent else mid)
        return Reveal(answer, verdict, lines, guess, {self.plan.label: table}, self.outcome)


@dataclass(frozen=True)
class Attempt:
    """One guess at a moment: which try it was, what was guessed and the verdict."""

    moment: str
    number: int
    guess: Any
    verdict: str

    @property
    def name(self) -> str:
        """'first try', 'second try', 'third try' and so on."""
        return ordinal_try(self.number)


def ordinal_try(number: int) -> str:
    """Plain name of the n-th try at a moment ("first try", "second try", ... "try 11")."""
    words = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
    return f"{words[number - 1]} try" if 1 <= number <= len(words) else f"try {number}"


class Tries:
    """Every guess at every moment, in order.

    The first guess at a moment is locked once it is revealed: it stays in the
    record as the first try, whatever comes after. A later guess is recorded as
    a second try (then a third, ...), beside the first, never in its place.
    """

    def __init__(self, counts: dict[str, int] | None = None):
        self._counts = dict(counts or {})
        self.attempts: list[Attempt] = []

    def count(self, key: str) -> int:
        """How many guesses at this moment have been revealed."""
        return self._counts.get(key, 0)

    def locked(self, key: str) -> bool:
        """True once a guess at this moment has been revealed."""
        return self.count(key) > 0

    def next_number(self, key: str) -> int:
        """The number the next guess at this moment will have."""
        return self.count(key) + 1

    def add(self, key: str, guess: Any, verdict: str) -> Attempt:
        """Record a revealed guess and return it as an :class:`Attempt`."""
        attempt = Attempt(key, self.next_number(key), guess, verdict)
        self._counts[key] = attempt.number
        self.attempts.append(attempt)
        return attempt

    def first(self, key: str) -> Attempt | None:
        """The locked first guess at a moment made in this session, if any."""
        return next((a for a in self.attempts if a.moment == key and a.number == 1), None)
