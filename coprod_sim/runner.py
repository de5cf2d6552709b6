"""Running the model: one run, or replicates over seeds, with a tidy result.

>>> from coprod_sim import presets, run
>>> r = run(presets.get("full_coproduction"), seed=1, weeks=52)
>>> r.weekly.shape[0]
52
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.calibration.constants import Constants
from coprod_sim.outcomes import NUMERIC
from coprod_sim.results import RunResult, people_columns, summarise
from coprod_sim.scenario import Scenario, ScenarioError


def _scenario(scenario: Scenario | str | None, weeks: int | None,
              changes: dict[str, Any]) -> Scenario:
    """The validated scenario a run uses: a Scenario, a preset, or the defaults, changed."""
    if scenario is None:
        scenario = Scenario()
    elif isinstance(scenario, str):
        from coprod_sim import presets
        scenario = presets.get(scenario)
    elif not isinstance(scenario, Scenario):
        raise ScenarioError([("scenario", type(scenario).__name__,
                              "a Scenario, a preset name or None")])
    if weeks is not None:
        changes = {**changes, "weeks": weeks}
    if changes:
        scenario = scenario.replace(**changes)
    return scenario


#: Bytes of memory one person of one run takes in a batch, all told, as
#: assumed when sizing batches: the people's state arrays, the week's scratch
#: arrays and random numbers, the peer network and the person's share of the
#: result. ``benchmarks/bench_engine.py`` measures the peak of what a batch
#: holds (``tracemalloc``): about 1,350 bytes per run-person for 5,000-person
#: runs and 1,700 for default ones, so this leaves more than twice that.
BYTES_PER_RUN_PERSON = 4096

#: Most memory one batch may take (bytes): with :data:`BYTES_PER_RUN_PERSON`,
#: 64 default runs of 200 people, or three runs of 5,000 people.
BATCH_MEMORY = 64 * 2**20

#: Most runs in one batch, whatever their size (beyond this a larger batch is
#: no faster per run).
MAX_BATCH = 64


def batch_size(n_people: int, memory: int = BATCH_MEMORY) -> int:
    """Most runs of ``n_people`` people computed together in one batch (at least 1)."""
    return max(1, min(MAX_BATCH, memory // (BYTES_PER_RUN_PERSON * max(1, int(n_people)))))


def run_many(runs: Sequence[tuple[Scenario, int]], constants: Constants | None = None
             ) -> list[RunResult]:
    """Run ``(scenario, seed)`` pairs on the batched engine; one RunResult each, in order.

    Runs of the same size are computed together, in batches within
    :data:`BATCH_MEMORY` (sized for the largest population among them).
    """
    from coprod_sim.engine import run_batch

    if not runs:
        return []
    largest = max(scenario.n_people for scenario, _ in runs)
    return run_batch(list(runs), constants=constants, max_batch=batch_size(largest))


def fresh_seed() -> int:
    """A new seed drawn from the operating system's entropy (for ``seed=None``)."""
    return int(np.random.SeedSequence().generate_state(1, np.uint32)[0])


def _seed(seed: Any, what: str = "seed") -> int:
    if seed is None:
        return fresh_seed()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ScenarioError([(what, seed, "a whole number of 0 or more, or None")])
    return int(seed)


def run(scenario: Scenario | str | None = None, seed: int | None = 0,
        weeks: int | None = None, constants: Constants | None = None,
        **changes: Any) -> RunResult:
    """Run the model once (a batch of one on the batched engine).

    Args:
        scenario: A Scenario, a preset name, or None for the defaults.
        seed: Random seed; the same seed gives an identical weekly table, alone
            or in any batch. None draws a fresh seed (recorded in the result).
        weeks: Weeks to simulate (overrides the scenario's ``weeks``).
        constants: Trial constants (calibration); None for the fitted ones.
        **changes: Lever values to change before running.

    Returns:
        A :class:`RunResult`.

    Raises:
        ScenarioError: for an unknown preset or a bad value.
    """
    scenario = _scenario(scenario, weeks, changes)
    from coprod_sim.engine import run_batch

    return run_batch([(scenario, _seed(seed))], constants=constants)[0]


def run_seeds(scenario: Scenario | str | None = None, seeds: Iterable[int] = range(10),
              weeks: int | None = None, constants: Constants | None = None,
              **changes: Any) -> list[RunResult]:
    """Run one scenario over several seeds as one batch; one RunResult per seed, in order.

    Each result is exactly ``run(scenario, seed=seed)``'s.

    Raises:
        ScenarioError: for an unknown preset, a bad value or a bad seed.
        ValueError: if ``seeds`` is empty.
    """
    scenario = _scenario(scenario, weeks, changes)
    seeds = [_seed(s, "seeds") for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty; give at least one seed, e.g. seeds=range(10)")
    return run_many([(scenario, s) for s in seeds], constants=constants)


def run_replicates(scenario: Scenario | str | None = None, seeds: Iterable[int] = range(10),
                   weeks: int | None = None, constants: Constants | None = None,
                   **changes: Any) -> pd.DataFrame:
    """Run one scenario over several seeds (one batch); return the weekly tables stacked.

    The result has a ``seed`` column; use :func:`bands` for uncertainty bands.
    Each seed's rows are exactly those of ``run(scenario, seed=seed)``.
    """
    results = run_seeds(scenario, seeds, weeks, constants, **changes)
    stacked = pd.concat([r.weekly for r in results], ignore_index=True)
    stacked["seed"] = np.repeat(np.array([r.seed for r in results], dtype=np.int64),
                                [len(r.weekly) for r in results])
    return stacked


def bands(replicates: pd.DataFrame, outcome: str, low: float = 0.1,
          high: float = 0.9) -> pd.DataFrame:
    """Median and a low-high quantile band of one outcome per week across seeds."""
    if outcome not in NUMERIC:
        raise KeyError(f"{outcome!r} is not a numeric outcome; choose from {', '.join(NUMERIC)}")
    g = replicates.groupby("week")[outcome]
    return pd.DataFrame({"median": g.median(), "low": g.quantile(low),
                         "high": g.quantile(high)}).reset_index()


__all__ = ["BATCH_MEMORY", "BYTES_PER_RUN_PERSON", "MAX_BATCH", "RunResult", "bands",
           "batch_size", "fresh_seed", "people_columns", "run", "run_many", "run_replicates",
           "run_seeds", "summarise"]
