"""When a guess was wrong: the model explains itself, with one of our people as an example.

The explanation comes from the model, not from a fixed sentence:
:func:`coprod_sim.explain.explain_difference` switches each mechanism off in
turn (same seeds) and ranks the mechanisms by how much of the difference
between the plans they made. The example is one of the people we follow
(:mod:`~coprod_sim.curriculum.people`) whose year differed most between the
plans, told from their own history in each run.

Explaining costs a few dozen extra runs, so it is only asked for when a guess
was wrong, and on three of the moment's seeds.
"""

from __future__ import annotations

from typing import Any

from coprod_sim.curriculum import people
from coprod_sim.curriculum.history import PICTURE_SEED, record_run
from coprod_sim.curriculum.predict import SAME, Compare, Moment, Plan, Reveal

#: Seeds the explanations use (the moment's first three).
EXPLAIN_SEEDS = 3


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


def model_reasons(moment: Moment, result: Reveal) -> list[str]:
    """The model's own ranking of why the result came out as it did (plain sentences).

    Empty when the explanation cannot be had (the trainee still gets the rest).
    """
    try:
        from coprod_sim.explain import explain, explain_difference
    except ImportError:
        return []
    seeds = moment.seeds[:EXPLAIN_SEEDS]
    try:
        if isinstance(moment, Compare):
            pair = _plans_to_explain(moment, result)
            if pair is None:
                return []
            # In the moment's own order, so the explanation's "plan A" and "plan B"
            # are the first and second of the two plans it compares.
            a, b = sorted(pair, key=moment.plans.index)
            e = explain_difference(a.scenario, b.scenario, moment.outcome, seeds=seeds,
                                   weeks=moment.weeks)
            head = f"Why {a.label} and {b.label} differ, in the model's own terms: "
            return [head + _name_plans(e.text(), a.label, b.label)] if e.text() else []
        else:
            plan = getattr(moment, "plan", None)
            if plan is None:
                return []
            e = explain(plan.scenario, moment.outcome, seeds=seeds, weeks=moment.weeks)
            head = "What moved this result most, in the model's own terms: "
    except Exception:  # noqa: BLE001 - an explanation must never break a lesson
        return []
    text = e.text()
    return [head + text] if text else []


def person_example(moment: Moment, result: Reveal) -> str:
    """One of the people we follow, as an example of the difference (or of the result)."""
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
        text = people.contrast(ha, hb, a.label, b.label, moment.outcome, sign)
        if not text and result.answer == SAME:
            text = people.contrast(ha, hb, a.label, b.label, moment.outcome, -sign)
        return text
    plan = getattr(moment, "plan", None)
    if plan is None:
        return ""
    h = record_run(plan.scenario, seed=PICTURE_SEED, weeks=moment.weeks)
    for f in people.choose(h):
        if not f.staff and h.attended[:, f.index].any():
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
