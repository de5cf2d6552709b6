"""The result of a run: its weekly table, its summary and its people.

:class:`RunResult` is what :func:`coprod_sim.runner.run` returns for one run and
what the batched engine (:mod:`coprod_sim.batch`) builds for each run of a
batch; :func:`summarise` and :func:`people_columns` make its parts. This module
imports nothing that runs the model, so the engine and the runner both build on
it (no import circle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.outcomes import OUTCOMES
from coprod_sim.population import AGES, DEPRIVATION, NEEDS, ROLES
from coprod_sim.scenario import Scenario


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


#: The people table's band columns' dtypes (built once: building one per run is slow).
_BANDS = {"role": pd.CategoricalDtype(list(ROLES)), "age": pd.CategoricalDtype(list(AGES)),
          "deprivation": pd.CategoricalDtype(list(DEPRIVATION))}


def people_columns(model: Any) -> dict[str, Any]:
    """Snapshot of each person's final state, as columns (copied arrays)."""
    st = model.state
    columns: dict[str, Any] = {
        "role": pd.Categorical.from_codes(st.role, dtype=_BANDS["role"]),
        "age": pd.Categorical.from_codes(st.age, dtype=_BANDS["age"]),
        "deprivation": pd.Categorical.from_codes(st.dep, dtype=_BANDS["deprivation"]),
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


__all__ = ["RunResult", "people_columns", "summarise"]
