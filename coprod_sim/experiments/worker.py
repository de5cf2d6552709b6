"""The work done by each worker: run a chunk of runs and return tidy pieces.

A task is ``(run, scenario name, parameter values, seed)``: plain data, so it
travels to local processes and Dask workers alike. A run that raises is
caught and returned as a failure (with its parameters and seed), so one bad
run never loses the others.

Local worker processes watch the process that started them
(:func:`watch_parent`): if it is killed, even with ``SIGKILL``, they exit at
once rather than linger.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

import pandas as pd

from coprod_sim.columns import DROPPED, RENAMED
from coprod_sim.experiments.provenance import package_versions
from coprod_sim.runner import run
from coprod_sim.scenario import Scenario

#: Summary keys dropped from the run table (``weeks`` is already a parameter
#: column; ``week`` always equals it).
DROP_SUMMARY = ("weeks", *DROPPED)

Task = tuple[int, str, dict[str, Any], int]


def run_one(name: str, values: dict[str, Any], seed: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run one scenario with one seed; return its summary (runs-table names) and weekly table."""
    result = run(Scenario(name=name, **values), seed=seed)
    summary = {RENAMED.get(k, k): v for k, v in result.summary.items() if k not in DROP_SUMMARY}
    return summary, result.weekly


def run_chunk(tasks: Sequence[Task], weekly: bool = True) -> dict[str, Any]:
    """Run a chunk of tasks.

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
    for run_id, name, values, seed in tasks:
        try:
            summary, table = run_one(name, values, seed)
        except Exception as err:  # a failed run is reported, not fatal
            last = traceback.format_exception_only(type(err), err)[-1].strip()
            failures.append({"run": int(run_id), "seed": int(seed), "scenario": name,
                             "error": last})
            continue
        rows.append({"run": int(run_id), **summary})
        if weekly:
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
