"""When a guess was wrong: the model explains itself, with one of our people as an example.

The explanation comes from the model, not from a fixed sentence:
:func:`coprod_sim.explain.explain_difference` switches each mechanism off in
turn (same seeds) and ranks the mechanisms by how much of the difference
between the plans they made. The example is one of the people we follow
(:mod:`~coprod_sim.curriculum.people`) whose year differed most between the
plans, told from their own history in each run.

Explaining costs a few dozen extra runs (one batch of the engine), so it is only
asked for when a guess was wrong. It uses the moment's own seeds, and says the
result in the reveal's own figure (the middle result of those runs), so the
verdict and the explanation never give two numbers for one result. A money
result is explained from the reveal's own runs, year by year (no extra runs).
The example person belongs to the group the question is about.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coprod_sim.curriculum import people
from coprod_sim.curriculum.history import PICTURE_SEED, record_run
from coprod_sim.curriculum.predict import (
    SAME,
    Compare,
    Direction,
    Moment,
    Plan,
    Reveal,
    fmt_value,
    label_of,
    threshold_words,
)

#: Outcomes in pounds: explained from the reveal's own runs, year by year.
MONEY = ("net_benefit", "cost", "benefit")


def _plans_to_explain(moment: Compare, result: Reveal) -> tuple[Plan, Plan] | None:
    """The two plans whose difference the trainee misjudged: (their pick, the model's)."""
    labels = [p.label for p in moment.plans]
    guess, answer = result.guess, result.answer
    if answer == SAME:
        if guess == SAME or guess not in labels:
            return None
        other = next(lab for lab in labels if lab != guess)
        return moment.plan(other), moment.plan(guess)
    if guess == SAME:
        others = [lab for lab in labels if lab != answer]
        return moment.plan(others[0]), moment.plan(answer)
    if guess in labels and guess != answer:
        return moment.plan(guess), moment.plan(answer)
    return None


def _name_plans(text: str, label_a: str, label_b: str) -> str:
    """Put the moment's own plan labels where the explanation says "plan A" / "plan B"."""
    label_a, label_b = (x if x.startswith("Plan ") else f"'{x}'" for x in (label_a, label_b))
    for generic, mark in (("plan A", "\0A"), ("plan B", "\0B"), ("Plan A", "\0a"),
                          ("Plan B", "\0b")):
        text = text.replace(generic, mark)
    return (text.replace("\0A", label_a).replace("\0a", label_a)
            .replace("\0B", label_b).replace("\0b", label_b))


def _middle(result: Reveal, label: str, outcome: str, week: int | None = None) -> float:
    """The middle result of one plan's runs in the reveal (last week unless ``week``)."""
    t = result.tables[label]
    w = int(t["week"].max()) if week is None else week
    return float(np.median(t[t["week"] == w][outcome]))


def _money_reasons(moment: Compare, result: Reveal, a: Plan, b: Plan) -> list[str]:
    """Why two plans differ in pounds, year by year, from the reveal's own runs."""
    weeks = int(result.tables[a.label]["week"].max())
    years = [w for w in range(52, weeks + 1, 52)] or [weeks]
    lines = []
    for label in (a.label, b.label):
        parts = []
        for w in years:
            cost = _middle(result, label, "cost", w)
            benefit = _middle(result, label, "benefit", w)
            parts.append(f"by the end of year {w // 52}, {fmt_value('cost', cost)} spent and "
                         f"{fmt_value('benefit', benefit)} of benefit")
        lines.append(f"{label}: " + "; ".join(parts) + ".")
    return ["Where the money went, middle result of the same runs: " + " ".join(lines)
            + " Costs come from the first week; benefit comes only once changes that "
            "service users' views shaped have had time to work."]


def _contributions(e: Any, outcome: str, gap: float | None, top: int = 3) -> list[str]:
    """The mechanisms that made most of a result (or of a gap), in plain words.

    Only each mechanism's own share is given: the result itself is said once, in
    the reveal's figure, never again as another average.
    """
    def size(v: float) -> str:
        return threshold_words(outcome, abs(v))

    lines = []
    for c in e.contributions[:top]:
        if abs(c.effect) < 1e-12:
            continue
        chance = "" if c.clear else " (small, and it varies from run to run)"
        if gap is None:
            verb = "raised it by" if c.effect > 0 else "lowered it by"
        elif (c.effect > 0) == (gap > 0) or abs(gap) < 1e-12:
            verb = "makes" if abs(gap) >= 1e-12 else "moves it by"
            lines.append(f"“{c.label}” {verb} {size(c.effect)} of the gap{chance}."
                         if verb == "makes" else f"“{c.label}” {verb} {size(c.effect)}"
                         f"{chance}.")
            continue
        else:
            verb = "works the other way, narrowing it by"
        lines.append(f"“{c.label}” {verb} {size(c.effect)}{chance}.")
    rest = e.contributions[top:]
    if rest:
        largest = max(abs(c.effect) for c in rest)
        shown = size(largest)
        lines.append(f"None of the other {len(rest)} mechanisms made a difference you could "
                     "see." if shown.startswith(("0 ", "0.0 ", "£0")) or largest == 0 else
                     f"None of the other {len(rest)} mechanisms moved it by more than "
                     f"{shown}.")
    if not lines:
        lines.append("No single mechanism clearly made it: several work together.")
    return lines


def model_reasons(moment: Moment, result: Reveal) -> list[str]:
    """The model's own ranking of why the result came out as it did (plain sentences).

    Empty when the explanation cannot be had (the trainee still gets the rest).
    """
    try:
        from coprod_sim.explain import explain, explain_difference
    except ImportError:
        return []
    seeds = moment.seeds  # the same runs as the verdict
    outcome = getattr(moment, "outcome", "")
    try:
        if isinstance(moment, Compare):
            pair = _plans_to_explain(moment, result)
            if pair is None:
                return []
            # In the moment's own order, so the explanation's "plan A" and "plan B"
            # are the first and second of the two plans it compares.
            a, b = sorted(pair, key=moment.plans.index)
            if outcome in MONEY:
                return _money_reasons(moment, result, a, b)
            e = explain_difference(a.scenario.replace(name=a.label),
                                   b.scenario.replace(name=b.label), outcome, seeds=seeds,
                                   weeks=moment.weeks)
            mid_a, mid_b = _middle(result, a.label, outcome), _middle(result, b.label, outcome)
            gap = mid_b - mid_a
            size = threshold_words(outcome, abs(gap))
            head = (f"{label_of(outcome)}: {b.label} {fmt_value(outcome, mid_b)}, {a.label} "
                    f"{fmt_value(outcome, mid_a)} (the middle results above), a gap of "
                    f"{size}. What makes that gap, switching each of the model's "
                    "mechanisms off in turn on the same runs:")
            reasons = _contributions(e, outcome, gap)
            return [" ".join([head, *reasons])]
        plan = getattr(moment, "plan", None)
        if plan is None or outcome in MONEY or outcome == "payback_week":
            return []
        e = explain(plan.scenario, outcome, seeds=seeds, weeks=moment.weeks)
        if isinstance(moment, Direction):
            end = _middle(result, plan.label, outcome)
            head = (f"{label_of(outcome)} ended at {fmt_value(outcome, end)} (the middle "
                    "result above). What moved it most, switching each of the model's "
                    "mechanisms off in turn on the same runs:")
            return [" ".join([head, *_contributions(e, outcome, None)])]
        head = (f"{label_of(outcome)} came out at {fmt_value(outcome, float(result.answer))} "
                "(the middle result above). What moved it most, switching each of the "
                "model's mechanisms off in turn on the same runs:") \
            if result.answer is not None else "What moved this result most:"
        return [" ".join([head, *_contributions(e, outcome, None)])]
    except Exception:  # noqa: BLE001 - an explanation must never break a lesson
        return []


def person_example(moment: Moment, result: Reveal) -> str:
    """One of the people we follow, from the group the question is about, as an example.

    Nothing for a result no one person's year can show (money, the payback week).
    """
    outcome = getattr(moment, "outcome", "")
    if outcome in MONEY or outcome == "payback_week":
        return ""
    if isinstance(moment, Compare):
        pair = _plans_to_explain(moment, result)
        if pair is None:
            return ""
        a, b = pair
        ha = record_run(a.scenario, seed=PICTURE_SEED, weeks=moment.weeks)
        hb = record_run(b.scenario, seed=PICTURE_SEED, weeks=moment.weeks)
        # b is the plan the model found higher (lower for a "which is lowest" moment);
        # for "about the same", the two plans' people are compared without a side.
        sign = -1 if moment.lowest else 1
        prefer = getattr(moment, "person", "")
        text = people.contrast(ha, hb, a.label, b.label, outcome, sign, prefer=prefer)
        if not text and result.answer == SAME:
            text = people.contrast(ha, hb, a.label, b.label, outcome, -sign, prefer=prefer)
        return text
    plan = getattr(moment, "plan", None)
    if plan is None:
        return ""
    h = record_run(plan.scenario, seed=PICTURE_SEED, weeks=moment.weeks)
    group = people.in_group(h, outcome)
    named = sorted(people.choose(h), key=lambda f: f.key != getattr(moment, "person", ""))
    for f in [*named, *people.everyone(h)]:
        if not f.staff and group[f.index]:
            return "For example: " + " ".join(people.story(h, f))
    return ""


def explain_wrong(moment: Moment, result: Reveal) -> list[str]:
    """Sentences that teach after a wrong guess: the model's reasons, then a person.

    Nothing for a guess that matched.
    """
    if result.verdict not in ("different", "close"):
        return []
    lines = model_reasons(moment, result)
    example = person_example(moment, result)
    if example:
        lines.append(example)
    return lines


def explain_any(moment: Moment, guess: Any) -> list[str]:
    """Reveal a moment with a guess and return the teaching sentences (for scripts)."""
    return explain_wrong(moment, moment.reveal(guess))
