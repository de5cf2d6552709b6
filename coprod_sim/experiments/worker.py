"""The work done by each worker: run a chunk of runs and return tidy pieces.

A task is ``(run, scenario name, parameter values, seed)``: plain data, so it
travels to local processes and Dask workers alike. The runs of a chunk are
computed on the batched engine (:func:`coprod_sim.engine.run_batch`): grouped
by population size, and cut into batches no larger than
:data:`coprod_sim.runner.BATCH_MEMORY` bytes at
:data:`coprod_sim.runner.BYTES_PER_RUN_PERSON` bytes per person of each run
(:func:`coprod_sim.runner.batch_size`). A run's numbers do not depend on the batch
it shares, so the rows are the same whatever the chunking. A run that raises
is caught and returned as a failure (with its parameters and seed), so one
bad run never loses the others: a batch that fails is run again one run at a
time to find which.

Local worker processes watch the process that started them
(:func:`watch_parent`): if it is killed, even with ``SIGKILL``, they exit at
once rather than linger.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from coprod_sim.calibration.constants import Constants
from coprod_sim.columns import DROPPED, RENAMED
from coprod_sim.engine import run_batch
from coprod_sim.experiments.provenance import package_versions
from coprod_sim.runner import MAX_BATCH, RunResult, batch_size, run
from coprod_sim.scenario import Scenario

#: Summary keys dropped from the run table (``weeks`` is already a parameter
#: column; ``week`` always equals it).
DROP_SUMMARY = ("weeks", *DROPPED)

#: ``(run, scenario name, parameter values, seed)`` or, from a plan, with a fifth
#: item: the constants this run changes, by address (``{"base_chance[0]": 0.3}``).
Task = tuple[Any, ...]

__all__ = ["MAX_BATCH", "batch_size", "run_chunk", "run_one", "run_tasks", "watch_parent",
           "worker_versions"]

def _summary(result: RunResult) -> dict[str, Any]:
    return {RENAMED.get(k, k): v for k, v in result.summary.items() if k not in DROP_SUMMARY}


def run_one(name: str, values: dict[str, Any], seed: int, constants: Constants | None = None
            ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run one scenario with one seed; return its summary (runs-table names) and weekly table."""
    result = run(Scenario(name=name, **values), seed=seed, constants=constants)
    return _summary(result), result.weekly


def _error(err: BaseException) -> str:
    return traceback.format_exception_only(type(err), err)[-1].strip()


def run_tasks(tasks: Sequence[Task], constants: dict[str, Any] | Constants | None = None
              ) -> Iterator[tuple[Task, RunResult | str]]:
    """Run tasks on the batched engine; yield each task with its result or error line.

    Tasks are grouped by population size and by the constants they run on
    (input order kept within a group) and each group is cut into batches of
    :func:`batch_size` runs; results come batch by batch, so only one batch's
    results are held at a time. A batch that raises is run again one run at a
    time, so only the runs that fail are lost. A run's numbers do not depend
    on its batch, so they are the same as running it alone.

    Args:
        tasks: ``(run, name, values, seed)`` or ``(run, name, values, seed,
            constant changes)``.
        constants: The constants every task starts from (values or a
            :class:`Constants`; None: the shipped fit); a task's fifth item
            changes some of them for that run.
    """
    base = _constants(constants)
    trial: dict[tuple[tuple[str, float], ...], Constants | None] = {(): base}
    groups: dict[tuple[int, tuple[tuple[str, float], ...]], list[tuple[Task, Scenario]]] = {}
    for task in tasks:
        name, values = task[1], task[2]
        changes = tuple(sorted((task[4] or {}).items())) if len(task) > 4 else ()
        try:
            scenario = Scenario(name=name, **values)
            if changes not in trial:
                trial[changes] = (base or Constants.load()).with_values(
                    dict(changes), f"run {task[0]}'s constants")
        except Exception as err:  # a bad design point is reported, not fatal
            yield task, _error(err)
            continue
        groups.setdefault((scenario.n_people, changes), []).append((task, scenario))
    for (n_people, changes), group in groups.items():
        size = batch_size(n_people)
        these = trial[changes]
        for start in range(0, len(group), size):
            batch = group[start:start + size]
            try:
                results = run_batch([(sc, int(task[3])) for task, sc in batch],
                                    constants=these, max_batch=size)
            except Exception:  # find the run that failed; keep the others
                for task, sc in batch:
                    try:
                        result: RunResult | str = run_batch([(sc, int(task[3]))],
                                                            constants=these)[0]
                    except Exception as err:
                        result = _error(err)
                    yield task, result
                continue
            yield from zip((task for task, _ in batch), results, strict=True)


def _constants(constants: dict[str, Any] | Constants | None) -> Constants | None:
    if constants is None or isinstance(constants, Constants):
        return constants
    return _constants_from(json.dumps(constants, sort_keys=True))


@functools.lru_cache(maxsize=8)
def _constants_from(text: str) -> Constants:
    return Constants.from_dict(json.loads(text), "the plan's constants")


def run_chunk(tasks: Sequence[Task], weekly: bool = True,
              constants: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a chunk of tasks (on ``constants``: see :func:`run_tasks`).

    Returns:
        ``{"runs": [summary dicts with 'run'], "weekly": DataFrame or None,
        "failures": [dicts with run, seed, error], "seconds": wall time,
        "cpu_seconds": processor time, "versions": this worker's package
        versions}`` (the times are of this worker).
    """
    start, cpu = time.perf_counter(), time.process_time()
    rows: list[dict[str, Any]] = []
    tables: list[pd.DataFrame] = []
    failures: list[dict[str, Any]] = []
    for task, result in run_tasks(tasks, constants):
        run_id, name, seed = task[0], task[1], task[3]
        if isinstance(result, str):  # a failed run is reported, not fatal
            failures.append({"run": int(run_id), "seed": int(seed), "scenario": name,
                             "error": result})
            continue
        rows.append({"run": int(run_id), **_summary(result)})
        if weekly:
            table = result.weekly.copy()
            table.insert(0, "run", int(run_id))
            tables.append(table)
    table = pd.concat(tables, ignore_index=True) if tables else None
    return {"runs": rows, "weekly": table, "failures": failures,
            "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "versions": package_versions()}


def worker_versions() -> dict[str, str]:
    """The package versions of the process this runs in (asked of Dask workers)."""
    return package_versions()


def watch_parent() -> None:
    """Exit this worker process as soon as the process that started it is gone.

    Used as the initializer of local worker processes. The parent holds one
    end of a pipe (``multiprocessing.parent_process().sentinel``) that the
    operating system closes when the parent dies, however it dies, so a
    thread waiting on it wakes at once and ends the worker.
    """
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def wait() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(3)

    threading.Thread(target=wait, name="watch-parent", daemon=True).start()
