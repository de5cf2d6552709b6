"""The batched engine: many runs of the model as one array program.

:func:`run_batch` takes ``(scenario, seed)`` pairs, groups them into batches
of the same shape (people, staff, weeks), at most ``max_batch`` runs each,
computes every batch as one array program (:class:`~coprod_sim.batch.Batch`)
and returns one :class:`~coprod_sim.runner.RunResult` per pair, in input
order. Every random number is keyed by the run's own seed
(:mod:`coprod_sim.randomness`) and no array operation mixes runs, so a run's
result is bit-identical alone or in any batch, grouping or order.

>>> from coprod_sim import Scenario
>>> from coprod_sim.engine import run_batch
>>> a, b = run_batch([(Scenario(weeks=8), 1), (Scenario(weeks=8, ground_rules=True), 1)])
>>> len(a.weekly), len(b.weekly)
(8, 8)
"""

from __future__ import annotations

from collections.abc import Sequence

from coprod_sim.batch import Batch
from coprod_sim.calibration.constants import Constants
from coprod_sim.scenario import Scenario

#: Runs per array batch when ``max_batch`` is None: enough to spread the weekly
#: Python overhead thin, few enough that a batch of 200-person runs stays small.
DEFAULT_MAX_BATCH = 64
#: Cap on run-people per batch (memory). A run-person holds about 250 bytes of
#: state and peaks near 1.4 KB while a week runs (state, the week's scratch
#: arrays, its random numbers and the recorder's group table), so a batch peaks
#: near 140 MB at this cap: 5,000-person runs go 20 to a batch.
MAX_RUN_PEOPLE = 100_000


def batch_size(n_people: int, max_batch: int | None = None) -> int:
    """How many runs of ``n_people`` go in one array batch."""
    cap = DEFAULT_MAX_BATCH if max_batch is None else int(max_batch)
    return max(1, min(cap, MAX_RUN_PEOPLE // max(1, n_people)))


def run_batch(runs: Sequence[tuple[Scenario, int]], weeks: int | None = None,
              constants: Constants | None = None, max_batch: int | None = None) -> list:
    """Run every ``(scenario, seed)`` pair; return one RunResult each, in input order.

    Args:
        runs: ``(scenario, seed)`` pairs; each scenario a validated
            :class:`~coprod_sim.scenario.Scenario`, each seed a whole number.
        weeks: Weeks to simulate for every run (overrides the scenarios' ``weeks``).
        constants: One set of trial constants for all runs (None: the fitted ones).
        max_batch: At most this many runs per array batch (None: the engine's default).

    Returns:
        A list of :class:`~coprod_sim.runner.RunResult`, in the order of ``runs``.
    """
    pairs = list(runs)
    if max_batch is not None and (isinstance(max_batch, bool) or int(max_batch) < 1):
        raise ValueError(f"max_batch is {max_batch!r}; allowed: a whole number of 1 or more")
    if weeks is not None:
        pairs = [(s if s.weeks == weeks else s.replace(weeks=weeks), seed) for s, seed in pairs]
    groups: dict[tuple[int, int, int], list[int]] = {}
    for k, (scenario, _seed) in enumerate(pairs):
        groups.setdefault((scenario.n_people, scenario.n_staff, scenario.weeks), []).append(k)
    out: list = [None] * len(pairs)
    for (n_people, _m, horizon), members in groups.items():
        size = batch_size(n_people, max_batch)
        for start in range(0, len(members), size):
            chunk = members[start:start + size]
            batch = Batch([pairs[k][0] for k in chunk], [pairs[k][1] for k in chunk],
                          constants)
            batch.run(horizon)
            for k, result in zip(chunk, batch.results(), strict=True):
                out[k] = result
    return out


__all__ = ["run_batch", "Batch", "batch_size", "DEFAULT_MAX_BATCH"]
