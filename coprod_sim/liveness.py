"""Is every lever live? Sweep the parameter table and measure each lever's effect on its target.

Each lever of :data:`coprod_sim.parameters.PARAMETERS` names the outcomes it
is meant to move and the direction (``Param.target``) and the scenario in
which it should matter (``Param.context``). :func:`sweep` runs, for every
lever, its low and high values (False and True; for a choice, the first and
each other choice) from that scenario over the same fixed seeds, and reports
the paired difference of each target outcome with its standard error.

A lever **passes** when, for every target, the mean paired difference goes
the stated way (each outcome's mean over the run's last 13 weeks) and is
both at least :data:`MIN_EFFECT` (a size a trainee can
see; money and counts relative to their size) and at least twice its
standard error over the seeds (a paired test at roughly the 5% level).

>>> rows = sweep(["purpose_clarity"], seeds=range(4))
>>> rows[0].lever
'purpose_clarity'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coprod_sim import presets
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.parameters import PARAMETERS, Param
from coprod_sim.scenario import Scenario

if TYPE_CHECKING:
    from coprod_sim.runner import RunResult

#: Seeds of the standard sweep (fixed; the model is not tuned on them).
SEEDS = tuple(range(8))
#: Outcomes are compared as their mean over the last LAST_WEEKS weeks of a run.
LAST_WEEKS = 13
#: Smallest mean effect that counts as "moves its target": 0.01 on a 0-1 share;
#: for money, counts and unbounded outcomes, 2% of the low value's size.
MIN_EFFECT = 0.01
RELATIVE = 0.02


@dataclass(frozen=True)
class Effect:
    """The effect of one lever on one target outcome."""

    lever: str
    outcome: str
    direction: str
    low: object
    high: object
    low_mean: float
    high_mean: float
    diff: float
    se: float
    floor: float

    @property
    def passed(self) -> bool:
        """Goes the stated way, by at least the floor and twice its standard error."""
        signed = self.diff if self.direction == "up" else -self.diff
        return signed >= self.floor and signed >= 2.0 * self.se

    def sentence(self) -> str:
        """A plain sentence for the validation report."""
        verdict = "moves" if self.passed else "does NOT move"
        return (f"`{self.lever}` {self.low!r} -> {self.high!r} {verdict} `{self.outcome}` "
                f"{self.direction}: {self.low_mean:.3f} -> {self.high_mean:.3f} "
                f"(difference {self.diff:+.3f}, standard error {self.se:.3f}).")


def context_scenario(p: Param) -> tuple[Scenario, int]:
    """The scenario and weeks in which lever ``p`` should matter."""
    ctx = dict(p.context)
    ctx.pop("seeds", None)
    ctx.pop("choice_targets", None)
    weeks = int(ctx.pop("weeks", 52))
    preset = ctx.pop("preset", None)
    base = presets.get(preset) if preset else Scenario()
    return base.replace(**ctx), weeks


def low_high(p: Param) -> list[tuple[object, object]]:
    """The value pairs compared for a lever: (low, high), or (first, other) per choice."""
    if p.kind == "bool":
        return [(False, True)]
    if p.kind == "choice":
        first, *rest = list(p.choices)
        return [(first, other) for other in rest]
    low, high = p.low, p.high
    if p.kind == "int":
        low, high = int(low), int(high)
    return [(low, high)]


def _valid(base: Scenario, p: Param, value: object) -> tuple[Scenario, object]:
    """Return ``base`` with ``p`` at ``value``, or nearer the default where needed.

    Cross-lever limits (role shares, age shares) can forbid the extreme value.
    """
    from coprod_sim.scenario import ScenarioError

    for step in range(11):
        v = value
        if step and p.kind in ("float", "int"):
            v = p.default + (value - p.default) * (1 - step / 10)
            v = int(round(v)) if p.kind == "int" else round(v, 6)
        try:
            return base.replace(**{p.name: v}), v
        except ScenarioError:
            if p.kind not in ("float", "int"):
                raise
    raise ValueError(f"no valid value of {p.name} near {value!r}")


_SUMMARIES: dict[tuple[Scenario, int, int], dict] = {}


def _summarise(result: RunResult) -> dict:
    """Each numeric outcome averaged over the run's last quarter (13 weeks).

    Steadier than the last week alone; the run's summary figures are kept too.
    """
    weeks = len(result.weekly)
    tail = result.weekly.iloc[-min(LAST_WEEKS, weeks):]
    out = dict(result.summary)
    out.update(tail.mean(numeric_only=True).to_dict())
    return out


def _summaries(scenarios: Iterable[Scenario], seeds: tuple[int, ...], weeks: int
               ) -> dict[tuple[Scenario, int], dict]:
    """:func:`_summarise` of every scenario and seed; the runs not yet made run as one batch.

    Results are remembered for the session (the sweep meets some scenarios
    more than once).
    """
    from coprod_sim.runner import run_many

    scenarios = list(dict.fromkeys(scenarios))
    missing = [(sc, s) for sc in scenarios for s in seeds if (sc, s, weeks) not in _SUMMARIES]
    results = run_many([(sc.replace(weeks=weeks), s) for sc, s in missing])
    for (sc, s), result in zip(missing, results, strict=True):
        _SUMMARIES[(sc, s, weeks)] = _summarise(result)
    return {(sc, s): _SUMMARIES[(sc, s, weeks)] for sc in scenarios for s in seeds}


def effects(p: Param, seeds: Iterable[int] = SEEDS) -> list[Effect]:
    """Measure lever ``p``'s effect on each of its targets, over ``seeds``."""
    seeds = tuple(seeds)
    if "seeds" in p.context and len(seeds) < p.context["seeds"]:
        seeds = tuple(range(int(p.context["seeds"])))
    base, weeks = context_scenario(p)
    pairs = [(_valid(base, p, low), _valid(base, p, high)) for low, high in low_high(p)]
    found = _summaries([sc for pair in pairs for sc, _ in pair], seeds, weeks)  # one batch
    out = []
    for (a, low), (b, high) in pairs:
        targets = p.context.get("choice_targets", {}).get(high, p.target)
        for outcome, direction in targets:
            lo = np.array([found[(a, s)][outcome] for s in seeds], dtype=float)
            hi = np.array([found[(b, s)][outcome] for s in seeds], dtype=float)
            d = hi - lo
            se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else 0.0
            bounded = outcome in OUTCOMES and OUTCOMES[outcome].high == 1.0
            floor = MIN_EFFECT if bounded else RELATIVE * max(abs(lo.mean()), 1.0)
            out.append(Effect(p.name, outcome, direction, low, high, float(lo.mean()),
                              float(hi.mean()), float(d.mean()), se, floor))
    return out


def sweep(names: Iterable[str] | None = None, seeds: Iterable[int] = SEEDS) -> list[Effect]:
    """Measure every lever with a target (or only ``names``)."""
    names = list(names) if names is not None else [n for n, p in PARAMETERS.items() if p.target]
    rows: list[Effect] = []
    for name in names:
        rows.extend(effects(PARAMETERS[name], seeds))
    return rows


__all__ = ["Effect", "sweep", "effects", "context_scenario", "low_high", "SEEDS",
           "MIN_EFFECT"]
