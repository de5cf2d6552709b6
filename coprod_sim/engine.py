"""The batched engine: many runs of the model as one array program.

Placeholder with the final signature of :func:`run_batch` (a loop over
:func:`coprod_sim.runner.run`), so callers can code against it while the
batched engine is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from coprod_sim.calibration.constants import Constants
from coprod_sim.scenario import Scenario


def run_batch(runs: Sequence[tuple[Scenario, int]], weeks: int | None = None,
              constants: Constants | None = None, max_batch: int | None = None) -> list:
    """Run every ``(scenario, seed)`` pair; return one RunResult each, in input order."""
    from coprod_sim import runner
    return [runner.run(scenario, seed=seed, weeks=weeks, constants=constants)
            for scenario, seed in runs]


__all__ = ["run_batch"]
