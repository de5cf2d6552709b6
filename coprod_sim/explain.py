"""Why did that happen? Rank the model's mechanisms by how much each moved an outcome.

:func:`explain` runs a scenario with every mechanism on, then once more for
each mechanism switch of :data:`coprod_sim.mechanisms.SCHEDULE` with that one
switch off, over the same seeds. A mechanism's *effect* is the mean, over the
seeds, of (outcome with everything on) - (outcome with it off): how much it
moved the outcome. :func:`explain_difference` does the same for the gap
between two plans. Both return plain sentences for trainees, naming each
mechanism by its switch label in the parameter table.

Cost: ``(1 + number of switches) x len(seeds)`` runs (twice that for a
difference), computed together as batches of the engine
(:func:`coprod_sim.runner.run_many`). With 19 switches, 5 seeds and 52 weeks
that is about 0.4 s of processor time for :func:`explain` and 0.9 s for
:func:`explain_difference` (3.1 s and 6.7 s when runs were computed one by
one); pass ``weeks=26`` or fewer seeds to halve it.

>>> e = explain("full_coproduction", "trust", seeds=range(2), weeks=8)
>>> e.contributions[0].label in e.text()
True

This module sits beside :mod:`coprod_sim.runner`; nothing in the model imports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from coprod_sim.mechanisms import SCHEDULE
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.parameters import PARAMETERS
from coprod_sim.runner import run_many
from coprod_sim.scenario import Scenario, ScenarioError

#: Summary figures that are not weekly outcomes but can be explained, with units.
EXTRA_FIGURES: dict[str, tuple[str, str]] = {
    "mean_participation_rate": ("Taking part, averaged over the weeks", "share"),
    "peak_participants": ("Most people taking part in one week", "people"),
}

#: An effect smaller than this many standard errors is called possibly chance.
CLEAR = 2.0


@dataclass(frozen=True)
class Contribution:
    """How much one mechanism moved the outcome.

    Attributes:
        mechanism: The mechanism's name in ``SCHEDULE`` (for example ``"feedback"``).
        label: Plain words: the switch's label in the parameter table.
        effect: Mean over the seeds of (outcome with it on) - (outcome with it off),
            in the outcome's units; for a difference, of (B - A on) - (B - A off).
        spread: Standard error of that mean over the seeds (0 with one seed).
        switch: The parameter that switches it off (for example ``"mech_feedback"``).
        reach: Mean over the seeds of the change it made to the share of people who
            ever took part (``ever_took_part``, on - off): when a mechanism changes
            who takes part, an outcome averaged over the people taking part or over
            their views moves partly because the group changed (the sentences say so).
    """

    mechanism: str
    label: str
    effect: float
    spread: float
    switch: str = ""
    reach: float = 0.0

    @property
    def clear(self) -> bool:
        """Whether the effect is at least twice its standard error (and not zero)."""
        return self.effect != 0 and abs(self.effect) >= CLEAR * self.spread


@dataclass(frozen=True)
class Explanation:
    """Why an outcome came out as it did.

    Attributes:
        outcome: A key of ``RunResult.summary`` (for example ``"trust"``).
        value: Mean outcome with every mechanism on (for a difference: B - A).
        contributions: Every mechanism that was on, largest ``|effect|`` first.
        sentences: Plain sentences for trainees, most important first.
    """

    outcome: str
    value: float
    contributions: tuple[Contribution, ...]
    sentences: tuple[str, ...]

    def text(self) -> str:
        """The sentences joined as one paragraph."""
        return " ".join(self.sentences)


# Inputs ----------------------------------------------------------------------

def _scenario(value: Any, what: str) -> Scenario:
    """A Scenario from a Scenario, a preset name, a dict of lever values or None."""
    if value is None:
        return Scenario()
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str):
        from coprod_sim import presets
        return presets.get(value)
    if isinstance(value, Mapping):
        return Scenario.from_dict(value, source=what)
    raise ScenarioError([(what, type(value).__name__,
                          "a Scenario, a preset name or a dict of lever values")])


def _check_outcome(outcome: str) -> tuple[str, str]:
    """Return the outcome's (label, unit), or raise a one-line ValueError."""
    if outcome in EXTRA_FIGURES:
        return EXTRA_FIGURES[outcome]
    o = OUTCOMES.get(outcome)
    if o is None or o.unit == "text" or outcome == "week":
        known = [k for k, v in OUTCOMES.items() if v.unit != "text" and k != "week"]
        raise ValueError(f"outcome {outcome!r} cannot be explained; choose one of: "
                         f"{', '.join(known + list(EXTRA_FIGURES))}")
    return o.label, o.unit


def _seeds(seeds: Iterable[int]) -> list[int]:
    out = list(seeds)
    if not out:
        raise ValueError("seeds is empty; give at least one seed, e.g. seeds=range(5)")
    return out


def switches() -> list[tuple[str, str]]:
    """Every ``(mechanism name, switch parameter)`` of the schedule, in weekly order."""
    return [(m.name, s) for m in SCHEDULE for s in m.switches if s in PARAMETERS]


def _figures(scenarios: list[Scenario], outcome: str, seeds: list[int],
             weeks: int | None) -> list[np.ndarray]:
    """The outcome per seed of every scenario; all the runs computed as one batch."""
    return _figures_of(scenarios, (outcome,), seeds, weeks)[outcome]


def _figures_of(scenarios: list[Scenario], outcomes: tuple[str, ...], seeds: list[int],
                weeks: int | None) -> dict[str, list[np.ndarray]]:
    """Each outcome per seed of every scenario, from one batch of runs."""
    if weeks is not None:
        scenarios = [s.replace(weeks=weeks) for s in scenarios]
    results = run_many([(s, seed) for s in scenarios for seed in seeds])
    n = len(seeds)
    return {o: [np.array([float(r.summary[o] or 0.0) for r in results[i * n:(i + 1) * n]])
                for i in range(len(scenarios))] for o in outcomes}


#: Outcomes that are averages over the people taking part, their views or the people
#: invited (whose trust and motivation move when they take part): a mechanism that
#: changes who takes part moves them partly through that.
GROUP_AVERAGES = frozenset({
    "influence", "user_plan_share", "ladder_score", "tokenism", "retention",
    "confidence", "fatigue", "understanding", "trust", "efficacy", "motivation",
    "representativeness", "voice_equality", "quiet_voice", "contacts_per_person"})
#: A change of at least this share of everyone affected taking part is worth saying.
REACH_NOTE = 0.02


def _reach_note(c: Contribution, outcome: str) -> str:
    """Say when a mechanism moved the outcome partly by changing who took part."""
    if outcome not in GROUP_AVERAGES or abs(c.reach) < REACH_NOTE:
        return ""
    more = "more" if c.reach > 0 else "fewer"
    return (f" (partly because it changed who took part: with it, "
            f"{_amount(abs(c.reach), 'share')} {more} of the people affected took part)")


def _spread(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0


def _mean(values: np.ndarray) -> float:
    """Mean over the seeds where the outcome applies (NaN where it applies in none)."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else math.nan


def _not_applying(outcome: str, label: str, plan: str = "this plan") -> tuple[str, ...]:
    o = OUTCOMES.get(outcome)
    note = o.missing if o is not None and o.missing else "Does not apply."
    return (f"{label} does not apply to {plan}. {note}",)


# Words -----------------------------------------------------------------------

def _phrase(label: str) -> str:
    """An outcome label for the middle of a sentence."""
    return label if label[:1] in "'\"" or label[1:2].isupper() else label[:1].lower() + label[1:]


def _level(value: float, unit: str) -> str:
    """A level in the outcome's own units: 12%, £1,200, −£3,000, 3.4 people, 0.52."""
    if unit == "share":
        return f"{100 * value:.0f}%"
    if unit == "GBP":
        return f"−£{-value:,.0f}" if round(value) < 0 else f"£{value:,.0f}"
    if unit in ("people", "activities"):
        return f"{value:.1f} {unit}"
    return f"{value:.2f}"


def _amount(value: float, unit: str) -> str:
    """A size of change: 4 points (on the 0-100% scale), £300, 1.2 people, 0.05."""
    value = abs(value)
    if unit == "share":
        points = 100 * value
        text = f"{points:.0f}" if points >= 0.95 else f"{points:.1f}"
        return f"{text} point{'' if text == '1' else 's'}"
    if unit == "GBP":
        return f"£{value:,.0f}"
    if unit in ("people", "activities"):
        return f"{value:.1f} {unit}"
    return f"{value:.2f}"


def _chance_note(c: Contribution) -> str:
    return "" if c.clear else " (a small change that may be chance: it varies from run to run)"


def _others_note(rest: tuple[Contribution, ...], unit: str) -> list[str]:
    if not rest:
        return []
    largest = max(abs(c.effect) for c in rest)
    shown = _amount(largest, unit)
    if largest == 0 or shown.startswith(("0 ", "0.0 ", "£0", "0.00")):
        return [f"None of the other {len(rest)} mechanisms made a difference you could see."]
    return [f"None of the other {len(rest)} mechanisms moved it by more than {shown}."]


def _runs_note(n_seeds: int) -> str:
    return f"(average of {n_seeds} run{'s' if n_seeds != 1 else ''})"


# The two questions -----------------------------------------------------------

def explain(scenario: Scenario | str | Mapping[str, Any] | None, outcome: str, *,
            seeds: Iterable[int] = range(5), weeks: int | None = None,
            top: int = 3) -> Explanation:
    """Explain why ``outcome`` came out as it did.

    Switch each switchable mechanism off in turn (same seeds) and rank the
    mechanisms by how much the outcome moves. Mechanisms already switched off
    in ``scenario`` are left out.

    Args:
        scenario: A Scenario, a preset name, or a dict of lever values.
        outcome: A numeric key of ``RunResult.summary`` (for example ``"trust"``).
        seeds: Seeds, the same for every variant (default five).
        weeks: Weeks to simulate (default: the scenario's own).
        top: How many mechanisms the sentences describe.

    Returns:
        An :class:`Explanation`; about 0.4 s at the defaults (100 runs of 52
        weeks, as one batch).

    Raises:
        ValueError: for an outcome that cannot be explained or no seeds.
        ScenarioError: for a bad scenario.
    """
    label, unit = _check_outcome(outcome)
    seeds = _seeds(seeds)
    base = _scenario(scenario, "scenario")
    live = [(mechanism, switch) for mechanism, switch in switches() if base[switch]]
    figures = _figures_of([base] + [base.replace(**{switch: False}) for _, switch in live],
                          (outcome, "ever_took_part"), seeds, weeks)
    on, *offs = figures[outcome]
    reach_on, *reach_offs = figures["ever_took_part"]
    if np.isnan(on).all():  # e.g. voice in a design that holds no meeting
        return Explanation(outcome, math.nan, (), _not_applying(outcome, label))
    contributions = []
    for (mechanism, switch), off, reach_off in zip(live, offs, reach_offs, strict=True):
        diff = on - off
        if np.isnan(diff).all():  # without it the outcome does not apply: no size to give
            continue
        contributions.append(Contribution(mechanism, PARAMETERS[switch].label,
                                          _mean(diff), _spread(diff), switch,
                                          float((reach_on - reach_off).mean())))
    ranked = tuple(sorted(contributions, key=lambda c: -abs(c.effect)))
    value = _mean(on)
    what = _phrase(label)
    sentences = [f"{label} came out at {_level(value, unit)} {_runs_note(len(seeds))}."]
    shown = ranked[:max(0, top)]
    for c in shown:
        if c.effect == 0:
            sentences.append(f"“{c.label}” made no difference to {what}.")
            continue
        verb = "raised" if c.effect > 0 else "lowered"
        sentences.append(
            f"“{c.label}” {verb} {what} by {_amount(c.effect, unit)}{_reach_note(c, outcome)}"
            f": without it, {what} would have been {_level(value - c.effect, unit)}"
            f"{_chance_note(c)}.")
    if ranked and not any(c.clear for c in shown):
        sentences.append(f"No single mechanism clearly moved {what} on its own: "
                         "the result comes from several working together.")
    sentences += _others_note(ranked[len(shown):], unit)
    return Explanation(outcome, value, ranked, tuple(sentences))


def explain_difference(a: Scenario | str | Mapping[str, Any] | None,
                       b: Scenario | str | Mapping[str, Any] | None, outcome: str, *,
                       seeds: Iterable[int] = range(5), weeks: int | None = None,
                       top: int = 3) -> Explanation:
    """Explain why plan B differs from plan A on ``outcome``.

    For each mechanism m: effect = (B - A with everything on) - (B - A with m
    off in both plans), over the same seeds. A mechanism switched off in both
    plans is left out.

    Args:
        a: Plan A: a Scenario, a preset name, or a dict of lever values.
        b: Plan B, likewise.
        outcome: A numeric key of ``RunResult.summary``.
        seeds: Seeds, the same for every variant (default five).
        weeks: Weeks to simulate (default: each plan's own).
        top: How many mechanisms the sentences describe.

    Returns:
        An :class:`Explanation` whose ``value`` is mean B - A; about 0.9 s at the
        defaults (200 runs of 52 weeks).

    Raises:
        ValueError: for an outcome that cannot be explained or no seeds.
        ScenarioError: for a bad plan.
    """
    label, unit = _check_outcome(outcome)
    seeds = _seeds(seeds)
    plan_a, plan_b = _scenario(a, "plan A"), _scenario(b, "plan B")
    live = [(mechanism, switch) for mechanism, switch in switches()
            if plan_a[switch] or plan_b[switch]]
    variants = [plan_a, plan_b]
    for _, switch in live:
        variants += [plan_a.replace(**{switch: False}), plan_b.replace(**{switch: False})]
    a_on, b_on, *offs = _figures(variants, outcome, seeds, weeks)  # one batch
    name_a = plan_a.name if plan_a.name != "custom" else "plan A"
    name_b = plan_b.name if plan_b.name != "custom" else "plan B"
    if name_a == name_b:
        name_a, name_b = "plan A", "plan B"
    for values, name in ((a_on, name_a), (b_on, name_b)):
        if np.isnan(values).all():  # e.g. voice in a design that holds no meeting
            return Explanation(outcome, math.nan, (), _not_applying(outcome, label, name))
    gap = b_on - a_on
    contributions = []
    for k, (mechanism, switch) in enumerate(live):
        a_off, b_off = offs[2 * k], offs[2 * k + 1]
        diff = gap - (b_off - a_off)
        if np.isnan(diff).all():
            continue
        contributions.append(Contribution(mechanism, PARAMETERS[switch].label,
                                          _mean(diff), _spread(diff), switch))
    ranked = tuple(sorted(contributions, key=lambda c: -abs(c.effect)))
    value = _mean(gap)
    size = _amount(value, unit)
    if abs(value) < 1e-12:
        head = f"{label} came out the same for {name_b} and {name_a}"
    elif unit == "GBP":
        head = (f"{label} came out {size} {'more' if value > 0 else 'less'} for {name_b} "
                f"than for {name_a} ({_level(float(b_on.mean()), unit)} against "
                f"{_level(float(a_on.mean()), unit)}, average of {len(seeds)} "
                f"run{'s' if len(seeds) != 1 else ''})")
    else:
        head = (f"{label} came out {size} {'higher' if value > 0 else 'lower'} for {name_b} "
                f"than for {name_a} ({_level(_mean(b_on), unit)} against "
                f"{_level(_mean(a_on), unit)}, average of {len(seeds)} "
                f"run{'s' if len(seeds) != 1 else ''})")
    sentences = [f"{head}." if abs(value) >= 1e-12 else f"{head} {_runs_note(len(seeds))}."]
    shown = ranked[:max(0, top)]
    for c in shown:
        if c.effect == 0:
            sentences.append(f"“{c.label}” made no difference to the gap.")
            continue
        if abs(value) < 1e-12:
            verb = "moved the gap by"
        elif (c.effect > 0) == (value > 0):
            verb = "accounts for"
        else:
            verb = "narrows the gap by"
        without = value - c.effect
        side = "" if abs(without) < 1e-12 else (
            f" in favour of {name_b if without > 0 else name_a}")
        sentences.append(
            f"“{c.label}” {verb} {_amount(c.effect, unit)}: without it, the gap would be "
            f"{_amount(without, unit)}{side}{_chance_note(c)}.")
    if ranked and not any(c.clear for c in shown):
        sentences.append("No single mechanism clearly explains the gap on its own: "
                         "several work together, or it may be chance.")
    sentences += _others_note(ranked[len(shown):], unit)
    return Explanation(outcome, value, ranked, tuple(sentences))


__all__ = ["Contribution", "Explanation", "explain", "explain_difference", "switches"]
