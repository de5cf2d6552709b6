"""Running the model: one run, or replicates over seeds, with a tidy result.

>>> from coprod_sim import presets, run
>>> r = run(presets.get("full_coproduction"), seed=1, weeks=52)
>>> r.weekly.shape[0]
52
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.calibration.constants import Constants
from coprod_sim.model import CoproductionModel
from coprod_sim.outcomes import NUMERIC, OUTCOMES
from coprod_sim.population import AGES, DEPRIVATION, NEEDS, ROLES
from coprod_sim.scenario import Scenario, ScenarioError


@dataclass
class RunResult:
    """The result of one run.

    Attributes:
        scenario: The scenario that was run.
        seed: The seed used.
        weekly: One row per week, one column per outcome (see ``OUTCOMES``).
        summary: The run summarised as a dict (see :func:`summarise`).
        people: One row per person at the end: who they are and what happened
            (built on first use).
    """

    scenario: Scenario
    seed: int | None
    weekly: pd.DataFrame
    summary: dict[str, Any]
    _people: dict[str, np.ndarray] = field(repr=False)

    @cached_property
    def people(self) -> pd.DataFrame:
        """One row per person at the end of the run."""
        return pd.DataFrame(self._people)

    def __repr__(self) -> str:
        return (f"RunResult(scenario={self.scenario.name!r}, seed={self.seed}, "
                f"weeks={len(self.weekly)})")


def summarise(weekly: pd.DataFrame) -> dict[str, Any]:
    """Summarise a weekly table: the last week's outcomes, plus whole-run figures.

    Adds ``mean_participation_rate``, ``peak_participants``, ``weeks`` and
    ``payback_week`` (the first week benefit so far reached cost so far, or
    ``None`` within the run).
    """
    last = weekly.iloc[-1]
    out: dict[str, Any] = {}
    for name in OUTCOMES:
        value = last[name]
        out[name] = value.item() if hasattr(value, "item") else value
    out["weeks"] = int(len(weekly))
    out["mean_participation_rate"] = float(weekly["participation_rate"].mean())
    out["peak_participants"] = int(weekly["participants"].max())
    paid = np.flatnonzero((weekly["net_benefit"] >= 0).to_numpy())
    out["payback_week"] = int(weekly["week"].iloc[paid[0]]) if paid.size else None
    return out


def _people_columns(model: CoproductionModel) -> dict[str, Any]:
    """Snapshot of each person's final state, as columns (copied arrays)."""
    st = model.state
    columns: dict[str, Any] = {
        "role": pd.Categorical.from_codes(st.role, ROLES),
        "age": pd.Categorical.from_codes(st.age, AGES),
        "deprivation": pd.Categorical.from_codes(st.dep, DEPRIVATION),
        "reached": st.reached.copy(), "took_part": st.ever_part.copy(),
        "times": st.times.copy(), "views": st.views.copy(), "adopted": st.adopted.copy(),
        "meetings": st.meetings.copy(),
        "forum_times": st.method_times[:, 0].copy(),
        "focus_group_times": st.method_times[:, 1].copy(),
        "interview_times": st.method_times[:, 2].copy(),
        "questionnaire_times": st.method_times[:, 3].copy(),
        "focus_group_accepted": st.focus_accepted.copy(),
        "aware_forum": st.aware_forum.copy(),
        "forum_first_week": st.forum_first.copy(),
        "forum_quiet_week": st.forum_dropped.copy(),
        "last_took_part_week": st.last_part.copy(),
        "dropped_week": st.dropped_week.copy(),
        "joined_by_peers": st.joined.copy(),
        "dropped_out": st.ever_part & ~st.engaged,
        "confidence_at_start": st.confidence0, "confidence": st.confidence.copy(),
        "trust": st.trust.copy(), "efficacy": st.efficacy.copy(),
    }
    for j, need in enumerate(NEEDS):
        columns[f"need_{need}"] = st.needs[:, j].copy()
    return columns


def run(scenario: Scenario | str | None = None, seed: int | None = 0,
        weeks: int | None = None, constants: Constants | None = None,
        **changes: Any) -> RunResult:
    """Run the model once.

    Args:
        scenario: A Scenario, a preset name, or None for the defaults.
        seed: Random seed; the same seed gives an identical weekly table.
        weeks: Weeks to simulate (overrides the scenario's ``weeks``).
        constants: Trial constants (calibration); None for the fitted ones.
        **changes: Lever values to change before running.

    Returns:
        A :class:`RunResult`.

    Raises:
        ScenarioError: for an unknown preset or a bad value.
    """
    if scenario is None:
        scenario = Scenario()
    elif isinstance(scenario, str):
        from coprod_sim import presets
        scenario = presets.get(scenario)
    elif not isinstance(scenario, Scenario):
        raise ScenarioError([("scenario", type(scenario).__name__,
                              "a Scenario, a preset name or None")])
    if weeks is not None:
        changes["weeks"] = weeks
    if changes:
        scenario = scenario.replace(**changes)
    model = CoproductionModel(scenario, rng=seed, constants=constants)
    for _ in range(scenario.weeks):
        model.step()
    weekly = pd.DataFrame(model.datacollector.model_vars)
    return RunResult(scenario, seed, weekly, summarise(weekly), _people_columns(model))


def run_replicates(scenario: Scenario | str | None = None, seeds: Iterable[int] = range(10),
                   weeks: int | None = None, constants: Constants | None = None,
                   **changes: Any) -> pd.DataFrame:
    """Run one scenario over several seeds; return the weekly tables stacked.

    The result has a ``seed`` column; use :func:`bands` for uncertainty bands.
    """
    tables = []
    for seed in seeds:
        weekly = run(scenario, seed=seed, weeks=weeks, constants=constants,
                     **changes).weekly
        tables.append(weekly.assign(seed=seed))
    return pd.concat(tables, ignore_index=True)


def bands(replicates: pd.DataFrame, outcome: str, low: float = 0.1,
          high: float = 0.9) -> pd.DataFrame:
    """Median and a low-high quantile band of one outcome per week across seeds."""
    if outcome not in NUMERIC:
        raise KeyError(f"{outcome!r} is not a numeric outcome; choose from {', '.join(NUMERIC)}")
    g = replicates.groupby("week")[outcome]
    return pd.DataFrame({"median": g.median(), "low": g.quantile(low),
                         "high": g.quantile(high)}).reset_index()
