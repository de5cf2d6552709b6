"""Where the room's questions come from, and the model's answer to each.

Two sources:

* the curriculum's predict-then-reveal moments
  (:data:`coprod_sim.curriculum.moments.MOMENTS`): the same question, options
  or slider range as in the trainee notebooks, and, at the reveal, the same
  runs (same seeds) and the same plain explanation with the paper's sources;
* the trainer's own "predict, then reveal" on the plan on screen: will an
  outcome go down, stay about the same or go up once the trainer's changes
  run? (:func:`plan_spec`; the trainer's dashboard computes that answer).

At the reveal the kit adds the model's reasons from :mod:`coprod_sim.explain`
when it is available (which mechanisms moved the outcome, and how much).
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from typing import Any

from coprod_sim.curriculum.moments import MOMENTS, get_moment
from coprod_sim.curriculum.predict import (
    DOWN,
    FLAT,
    SAME,
    UP,
    Compare,
    Direction,
    Estimate,
    Moment,
    fmt_value,
    label_of,
)
from coprod_sim.curriculum.predict import final_values as moment_values
from coprod_sim.room.store import QuestionSpec

log = logging.getLogger(__name__)

#: The answers of a "predict, then reveal" question on the plan on screen (the
#: same words as the trainer dashboard's "The room predicts" buttons).
PLAN_OPTIONS = (DOWN, FLAT, UP)

#: Key prefix of plan questions.
PLAN = "plan:"


def moment_spec(key: str) -> QuestionSpec:
    """The room question of a curriculum moment (raises KeyError naming the known keys)."""
    m = get_moment(key)
    if isinstance(m, Estimate):
        unit = "%" if m.percent else ("week" if m.outcome == "payback_week" else "")
        return QuestionSpec(key, "estimate", m.question, low=float(m.low),
                            high=float(m.high), step=float(m.step), unit=unit)
    return QuestionSpec(key, "choice", m.question, options=tuple(m.options or ()))


def moment_label(key: str, width: int = 90) -> str:
    """A short label for a moment in the trainer's question picker."""
    m = get_moment(key)
    text = m.question if len(m.question) <= width else m.question[:width - 1].rstrip() + "…"
    return f"Notebook {m.section}: {text}"


def moment_choices() -> list[tuple[str, str]]:
    """``(label, key)`` of every moment, in the curriculum's order."""
    return [(moment_label(k), k) for k in MOMENTS]


def plan_spec(outcome: str) -> QuestionSpec:
    """The room question of the trainer's "predict, then reveal" on the plan on screen."""
    label = label_of(outcome)
    return QuestionSpec(f"{PLAN}{outcome}", "choice",
                        f"The trainer is changing the plan on the screen. When it runs "
                        f"again, what will happen to {label[0].lower() + label[1:]}?",
                        options=PLAN_OPTIONS)


def reasons(kind: str, *scenarios: Any, outcome: str, seeds: Sequence[int] = range(5),
            weeks: int | None = None) -> list[str]:
    """The model's reasons in plain sentences, from :mod:`coprod_sim.explain`.

    ``kind`` is ``"one"`` (why did the outcome come out so, for one scenario)
    or ``"difference"`` (why does the second scenario differ from the first).
    An empty list when the explain module is not installed or cannot explain
    this outcome (the reveal still shows the result and the paper's reasons).
    """
    try:
        from coprod_sim import explain as ex
    except ImportError:
        return []
    try:
        if kind == "difference":
            e = ex.explain_difference(scenarios[0], scenarios[1], outcome, seeds=seeds,
                                      weeks=weeks)
        else:
            e = ex.explain(scenarios[0], outcome, seeds=seeds, weeks=weeks)
        return [str(s) for s in e.sentences]
    except Exception as err:  # noqa: BLE001 - the reveal must not fail for want of reasons
        log.warning("no reasons for %s: %s", outcome, err)
        return []


def moment_result(key: str) -> dict[str, Any]:
    """Run a moment's plans (its own seeds) and return the model's answer for the room.

    Returns:
        A JSON-ready dict: ``answer`` (an option, or a number in the slider's
        units), ``answer_text``, ``summary`` (one sentence for the devices),
        ``lines`` (the result and the paper's reasons, plain words), ``reasons``
        (from :mod:`coprod_sim.explain`, may be empty), and for estimates
        ``low``/``high`` (the runs' range) and ``close_within``.
    """
    m = get_moment(key)
    reveal = m.reveal(None)
    lines = [x for x in reveal.lines[1:]]  # the first line judges a trainee's own guess
    out: dict[str, Any] = {"key": key, "lines": lines, "reasons": _moment_reasons(m)}
    if isinstance(m, Estimate):
        values, _ = moment_values(m.plan.scenario, m.outcome, m.seeds, m.weeks)
        shown = [v * 100 if m.percent else v for v in values]
        mid = float(statistics.median(shown))
        out.update(answer=mid, low=float(min(shown)), high=float(max(shown)),
                   close_within=float(m.close_within), answer_text=_show(m, mid))
        out["summary"] = (f"The model's middle result: {_show(m, mid)} (runs from "
                          f"{_show(m, min(shown))} to {_show(m, max(shown))}).")
    else:
        out.update(answer=reveal.answer, answer_text=str(reveal.answer))
        out["summary"] = lines[0] if lines else ""
        if reveal.answer == SAME:
            out["summary"] = "The model says: about the same. " + out["summary"]
    return out


def _show(m: Estimate, v: float) -> str:
    if m.percent:
        return f"{v:.0f}%"
    return fmt_value(m.outcome, v)


def _moment_reasons(m: Moment) -> list[str]:
    seeds = m.seeds
    if isinstance(m, Compare):
        a, b = m.plans[0], m.plans[-1]
        found = reasons("difference", a.scenario, b.scenario, outcome=m.outcome, seeds=seeds,
                        weeks=m.weeks)
        return [f"Why '{b.label}' differs from '{a.label}':", *found] if found else []
    if isinstance(m, Direction | Estimate):
        return reasons("one", m.plan.scenario, outcome=m.outcome, seeds=seeds, weeks=m.weeks)
    return []


def room_verdict(kind: str, result: dict[str, Any], counts: dict[str, int] | None = None,
                 values: Sequence[float] = ()) -> str:
    """One sentence: how the room's answers compare with the model's."""
    if kind == "choice":
        counts = counts or {}
        n = sum(counts.values())
        if n == 0:
            return "Nobody in the room answered this question."
        answer = result.get("answer")
        right = counts.get(answer, 0)
        top = max(counts, key=lambda k: counts[k])
        text = (f"{right} of {n} in the room ({right / n:.0%}) chose the model's answer, "
                f"'{answer}'.")
        if top != answer:
            text += f" The room's most common answer was '{top}' ({counts[top]} of {n})."
        return text
    n = len(values)
    if n == 0:
        return "Nobody in the room answered this question."
    mid = result["answer"]
    lo, hi, within = result["low"], result["high"], result.get("close_within", 0)
    near = sum(1 for v in values if lo <= v <= hi or abs(v - mid) <= within)
    unit = result.get("unit", "")
    spread = (f"guesses from {_fmt(min(values), unit)} to {_fmt(max(values), unit)}"
              if min(values) != max(values) else
              ("one guess" if n == 1 else "every guess the same"))
    return (f"The room's middle guess was {_fmt(statistics.median(values), unit)} "
            f"({spread}); {near} of {n} {'was' if n == 1 else 'were'} inside the model's "
            f"range of runs or close to its middle result, {result['answer_text']}.")


def _fmt(v: float, unit: str) -> str:
    if unit == "%":
        return f"{v:.0f}%"
    if unit == "week":
        return f"week {v:.0f}"
    return f"{v:g}"
