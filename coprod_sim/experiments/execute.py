"""Running an experiment: serial, local processes or Dask; checkpoints; outputs.

Every run is a pure function of its scenario and seed, so the tables are
identical whatever the backend, the number of workers or the order in which
chunks finish (read them sorted by run, as :func:`load_results` does).

Nothing is gathered whole in memory. Work is cut into chunks as it proceeds
and only a few chunks per worker are in flight at once (so Dask workers that
join later get work). Each finished chunk is written at once as one Parquet
file of each table into ``<stem>.parts/`` (to a temporary file, then moved
into place). When the session ends, the part files are published as the
results: ``results.parquet`` is a folder of Parquet files (a dataset read
lazily with ``pyarrow.dataset`` or ``dask.dataframe``; ``pandas.read_parquet``
reads it too). An interrupted sweep started again with the same output path
(or :func:`resume`) runs only the runs not yet written: none is lost or repeated.
"""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from coprod_sim.cli import UsageError
from coprod_sim.experiments import store
from coprod_sim.experiments.design import (
    Experiment,
    Plan,
    build_plan,
    check_plan_size,
    check_size,
    load_experiment,
)
from coprod_sim.experiments.provenance import package_versions, provenance
from coprod_sim.experiments.store import ID_COLUMNS
from coprod_sim.experiments.worker import run_chunk, watch_parent, worker_versions
from coprod_sim.fileio import atomic_write
from coprod_sim.parameters import PARAMETERS

__all__ = ["ID_COLUMNS", "Paths", "SweepResult", "load_results", "output_paths", "resume",
           "run_experiment"]

#: How long to wait for a Dask scheduler given by address.
CONNECT_TIMEOUT = "15s"

#: Seconds without any Dask worker before the sweep stops and says how to resume.
WORKERS_GONE_AFTER = 30.0

#: Seconds between checks on the Dask workers while waiting for results.
POLL_SECONDS = 2.0

#: Chunks in flight per worker (local processes and Dask).
IN_FLIGHT_PER_WORKER = 2

#: Most runs in one automatically sized chunk (bounds the memory of one result).
MAX_CHUNK = 200

#: Fewest runs in an automatically sized chunk (while that many remain). A worker
#: computes a chunk as batches of the engine, and a chunk's fixed costs (setting
#: up a batch, building and converting its tables) are paid once per chunk, so
#: small chunks cost more per run (measured by ``benchmarks/bench_engine.py``).
MIN_CHUNK = 32

#: Guided scheduling: a chunk holds about 1/GUIDED of a worker's share of what is left.
GUIDED = 3

#: Version of the output layout (1: single files, 0.1.0; 2: dataset folders).
LAYOUT = 2


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Paths:
    """Where a sweep writes.

    ``results.parquet`` (a folder of Parquet part files) gives
    ``results.weekly.parquet`` (another), ``results.manifest.json``,
    ``results.failures.csv`` and, while running, ``results.parts/``. With
    ``results.csv`` the tables are single CSV files.
    """

    out: Path

    @property
    def fmt(self) -> str:
        """``"csv"`` when the output ends in ``.csv``, else ``"parquet"``."""
        return "csv" if self.out.suffix.lower() == ".csv" else "parquet"

    @property
    def stem(self) -> Path:
        """The output path without its suffix."""
        return self.out.with_suffix("")

    def _with(self, tail: str) -> Path:
        return self.stem.parent / (self.stem.name + tail)

    @property
    def runs(self) -> Path:
        """One row per run (summary)."""
        return self.out

    @property
    def weekly(self) -> Path:
        """One row per run and week."""
        return self._with(f".weekly.{self.fmt}")

    @property
    def manifest(self) -> Path:
        """The manifest (JSON)."""
        return self._with(".manifest.json")

    @property
    def failures(self) -> Path:
        """Failed runs (CSV), written only when some failed."""
        return self._with(".failures.csv")

    @property
    def parts(self) -> Path:
        """Checkpoint folder (removed once every run has finished)."""
        return self._with(".parts")

    @property
    def indices(self) -> Path:
        """Sensitivity indices (CSV)."""
        return self._with(".indices.csv")

    @property
    def plots(self) -> Path:
        """Folder of sensitivity plots."""
        return self._with(".plots")

    def outputs(self) -> list[Path]:
        """Every result file or folder a finished sweep writes."""
        return [self.runs, self.weekly, self.failures, self.manifest]


def output_paths(out: str | os.PathLike) -> Paths:
    """Check an output path and return where everything goes.

    Raises:
        UsageError: if the output does not end in ``.parquet`` or ``.csv``.
    """
    path = Path(out)
    if path.name.endswith(".manifest.json"):
        path = path.with_name(path.name[: -len(".manifest.json")] + ".parquet")
        if not path.exists() and path.with_suffix(".csv").exists():
            path = path.with_suffix(".csv")
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise UsageError(f"--out must end in .parquet or .csv, got {path.name!r}")
    return Paths(path)


def check_writable(paths: Paths) -> None:
    """Check, before anything runs, that the output folder can be written.

    Nothing is created: the nearest existing folder must be writable.

    Raises:
        UsageError: naming the folder and the reason.
    """
    folder = paths.out.parent.resolve()
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"cannot write {paths.out}: {probe} is a file, not a folder; "
                         "choose another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {paths.out}: the folder {probe} is not writable; "
                         "choose another --out")
    if paths.out.exists() and paths.fmt == "parquet" and not paths.out.is_dir() \
            and not os.access(paths.out, os.W_OK) and not os.access(folder, os.W_OK):
        raise UsageError(f"cannot replace {paths.out}: permission denied")


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
class SweepResult:
    """The result of an experiment; its tables are read from disk when first used.

    Attributes:
        runs: One row per finished run: ids, every parameter, the run's summary
            (sorted by run).
        weekly: One row per finished run and week (None if not kept), sorted by
            run and week. For large sweeps use :attr:`weekly_dataset` or
            :meth:`to_dask` instead: they read lazily.
        failures: One dict per failed run: run, seed, scenario, parameters, error.
        plan: The :class:`~coprod_sim.experiments.design.Plan` that was run.
        manifest: The manifest (also written beside the outputs).
        paths: Where the outputs were written (None if kept in memory only).
        notes: Plain sentences about this session (resumed, nothing to do, ...).
    """

    def __init__(self, runs: Any, weekly: Any, failures: list[dict[str, Any]], plan: Plan,
                 manifest: dict[str, Any], paths: Paths | None = None,
                 notes: list[str] | None = None):
        self._runs, self._weekly = runs, weekly
        self.failures, self.plan, self.manifest = failures, plan, manifest
        self.paths, self.notes = paths, list(notes or [])

    @property
    def runs(self) -> pd.DataFrame:
        """The runs table (read on first use)."""
        if callable(self._runs):
            self._runs = self._runs()
        return self._runs

    @property
    def weekly(self) -> pd.DataFrame | None:
        """The weekly table (read on first use; None if not kept)."""
        if callable(self._weekly):
            self._weekly = self._weekly()
        return self._weekly

    def _dataset(self, table: str) -> Any:
        if self.paths is None or self.paths.fmt != "parquet":
            raise UsageError("a lazy dataset needs results written to a .parquet --out")
        folder = self.paths.runs if table == "runs" else self.paths.weekly
        if not folder.is_dir():
            raise UsageError(f"no {table} table at {folder}")
        return store.dataset(folder)

    @property
    def runs_dataset(self) -> Any:
        """The runs table as a ``pyarrow.dataset.Dataset`` (nothing read yet)."""
        return self._dataset("runs")

    @property
    def weekly_dataset(self) -> Any:
        """The weekly table as a ``pyarrow.dataset.Dataset`` (nothing read yet)."""
        return self._dataset("weekly")

    def to_dask(self, table: str = "weekly") -> Any:
        """The ``runs`` or ``weekly`` table as a lazy ``dask.dataframe`` (larger than memory)."""
        import dask.dataframe as dd

        self._dataset(table)  # checks it exists
        folder = self.paths.runs if table == "runs" else self.paths.weekly
        return dd.read_parquet(str(folder))

    @property
    def runs_finished(self) -> int:
        """How many runs finished (from the manifest; nothing is read)."""
        if "runs_finished" in self.manifest:
            return int(self.manifest["runs_finished"])
        return len(self.runs)

    @property
    def complete(self) -> bool:
        """True when every planned run finished."""
        return not self.failures and self.runs_finished == len(self.plan.runs)

    def __repr__(self) -> str:
        return (f"SweepResult({self.runs_finished} of {len(self.plan.runs)} runs, "
                f"{len(self.failures)} failed)")


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------
def _ids(plan: Plan, tasks: Sequence[Any], wanted: set[int]) -> pd.DataFrame:
    rows = []
    for run_id, name, values, seed in tasks:
        if run_id in wanted:
            point, replicate = divmod(run_id, plan.replicates)
            rows.append({"run": run_id, "point": point, "replicate": replicate, "seed": seed,
                         "scenario": name, **values})
    table = pd.DataFrame.from_records(rows, columns=list(ID_COLUMNS) + list(PARAMETERS))
    for col in ("run", "point", "replicate", "seed"):
        table[col] = table[col].astype("int64")
    return table


def chunk_tables(plan: Plan, tasks: Sequence[Any], result: dict[str, Any]
                 ) -> tuple[pa.Table | None, pa.Table | None]:
    """The runs and weekly rows of one finished chunk, as self-describing Arrow tables."""
    if not result["runs"]:
        return None, None
    summary = pd.DataFrame.from_records(result["runs"])
    ids = _ids(plan, tasks, set(summary["run"]))
    runs = ids.merge(summary, on="run", how="inner", validate="one_to_one")
    runs = runs.sort_values("run", kind="stable").reset_index(drop=True)
    names = list(plan.scenarios)
    weekly = None
    if plan.weekly and result.get("weekly") is not None:
        week = ids.merge(result["weekly"], on="run", how="inner", validate="one_to_many")
        front = list(ID_COLUMNS) + ["week"]
        week = week[front + [c for c in week.columns if c not in front]]
        week = week.sort_values(["run", "week"], kind="stable").reset_index(drop=True)
        weekly = store.to_arrow(week, "weekly", names)
    return store.to_arrow(runs, "runs", names), weekly


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a small table to Parquet or CSV (by suffix), atomically."""
    if path.suffix.lower() == ".csv":
        atomic_write(path, b"", writer=lambda p: table.to_csv(p, index=False))
    else:
        atomic_write(path, b"", writer=lambda p: table.to_parquet(p, index=False))


def read_table(path: Path, where: Any = None) -> pd.DataFrame:
    """Read a runs or weekly table: a dataset folder, a Parquet file or a CSV file.

    Args:
        path: The table.
        where: Optional ``pyarrow.dataset`` filter (dataset folders only).

    Raises:
        UsageError: if the table is damaged, naming it.
    """
    sort = ("run", "week") if ".weekly." in path.name else ("run",)
    if path.is_dir():
        return store.read_dataset(path, where=where, sort=sort)
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path)
            if "payback_week" in table:
                table["payback_week"] = table["payback_week"].astype("Int64")
            return table
        return pd.read_parquet(path)
    except (pa.ArrowException, ValueError, pd.errors.ParserError) as err:
        raise UsageError(f"{path} is damaged ({err}); run the sweep again with --force") \
            from None


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    atomic_write(path, store.json_dump(data))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise _Damaged(f"{path.name} cannot be read ({type(err).__name__}: {err})") from None


class _Damaged(Exception):
    """A checkpoint or manifest file that cannot be read."""


# ---------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------
class Checkpoint:
    """The ``<stem>.parts/`` folder: the plan and the part files of finished chunks.

    ``runs/`` and ``weekly/`` hold one Parquet file per finished chunk (same
    name in both); ``failed/`` one JSON list per chunk with failed runs. A
    chunk is committed when its runs file exists: its weekly file and failure
    list are written first, so a chunk is either wholly there or not at all.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.runs_dir = folder / "runs"
        self.weekly_dir = folder / "weekly"
        self.failed_dir = folder / "failed"

    @property
    def plan_file(self) -> Path:
        """The stored plan and settings."""
        return self.folder / "plan.json"

    def read_header(self) -> dict[str, Any] | None:
        """The stored plan and settings; None when there is no checkpoint folder.

        Raises:
            _Damaged: if the folder exists but its plan is missing or unreadable.
        """
        if not self.folder.exists():
            return None
        if not self.folder.is_dir():
            raise _Damaged(f"{self.folder.name} is a file, not a checkpoint folder")
        if not self.plan_file.exists():
            if not store.part_files(self.runs_dir) and not store.part_files(self.weekly_dir):
                return None  # stopped as it started: nothing saved, nothing to lose
            raise _Damaged(f"{self.folder.name} has no plan.json (it was not written by a "
                           "sweep, or the sweep was stopped as it started)")
        header = _read_json(self.plan_file)
        if not isinstance(header, dict) or not {"fingerprint", "plan"} <= set(header):
            raise _Damaged(f"{self.plan_file.name} in {self.folder.name} is not a stored plan")
        return header

    def start(self, header: dict[str, Any]) -> None:
        """Create the folder and store the plan (once)."""
        for folder in (self.runs_dir, self.weekly_dir, self.failed_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if not self.plan_file.exists():
            write_json(self.plan_file, header)

    def tidy(self) -> list[str]:
        """Drop leftovers of an interrupted write, damaged parts and old failure lists.

        Returns:
            A note per damaged part file dropped (its runs will run again).
        """
        import pyarrow.parquet as pq

        notes = []
        for path in store.part_files(self.runs_dir):
            try:
                pq.read_metadata(path)
            except (pa.ArrowException, OSError):
                notes.append(f"Part file {path.name} was damaged (cut short?); its runs "
                             "will run again.")
                path.unlink()
        done = {p.name for p in store.part_files(self.runs_dir)}
        for path in store.part_files(self.weekly_dir):
            if path.name not in done:
                path.unlink()
        for folder in (self.folder, self.runs_dir, self.weekly_dir, self.failed_dir):
            for path in folder.glob(".*.tmp"):
                path.unlink()
        for path in self.failed_dir.glob("*.json"):  # retried now
            path.unlink()
        return notes

    def done_runs(self) -> set[int]:
        """Runs already finished (in a committed chunk)."""
        import pyarrow.parquet as pq

        done: set[int] = set()
        for path in store.part_files(self.runs_dir):
            done.update(pq.read_table(path, columns=["run"]).column("run").to_pylist())
        return done

    def write_chunk(self, run_ids: Sequence[int], runs: pa.Table | None,
                    weekly: pa.Table | None, failures: list[dict[str, Any]]) -> None:
        """Commit one chunk: weekly part, failures, then the runs part (the marker)."""
        import hashlib

        digest = hashlib.sha1(",".join(map(str, run_ids)).encode()).hexdigest()[:8]
        stem = f"part-{min(run_ids):09d}-{max(run_ids):09d}-{digest}"
        if weekly is not None:
            store.write_part(self.weekly_dir, stem, weekly)
        if failures:
            write_json(self.failed_dir / f"{stem}.json", failures)
        if runs is not None:
            store.write_part(self.runs_dir, stem, runs)

    def failures(self) -> list[dict[str, Any]]:
        """Every failure recorded this session."""
        out: list[dict[str, Any]] = []
        for path in sorted(self.failed_dir.glob("*.json")):
            out.extend(json.loads(path.read_text(encoding="utf-8")))
        return out


# ---------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------
Chunk = list[tuple[int, str, dict[str, Any], int]]


def process_context(start_method: str | None = None) -> multiprocessing.context.BaseContext:
    """The start method for local worker processes.

    By default ``forkserver`` where it exists: the simulation is imported once,
    in the fork server, and each worker is forked from it warm, safely even when
    this process runs threads (Jupyter, Dask, Arrow); ``spawn`` elsewhere
    (Windows). Scripts using either must guard their entry point with
    ``if __name__ == "__main__":``. ``"fork"`` may be asked for explicitly.
    """
    methods = multiprocessing.get_all_start_methods()
    if start_method is None:
        start_method = "forkserver" if "forkserver" in methods else "spawn"
    if start_method not in methods:
        raise UsageError(f"start method is {start_method!r}; allowed here: "
                         + ", ".join(repr(m) for m in methods))
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(["coprod_sim.experiments._warm"])
    return ctx


def iter_chunks(pending: Iterator[int], remaining: int, tasks: Callable[[int], Any],
                workers: Callable[[], int], chunk_size: int | None = None
                ) -> Iterator[list[Any]]:
    """Cut the pending runs into chunks as the work proceeds (nothing listed up front).

    With ``chunk_size`` every chunk has that many runs. Otherwise chunks shrink
    as the work runs out ("guided" scheduling): each holds about a third
    (:data:`GUIDED`) of a worker's share of what is left, at most
    :data:`MAX_CHUNK` runs and at least :data:`MIN_CHUNK` (or a fortieth of a
    worker's share of the whole, if more), so there are few chunks while much
    work remains and the last ones are small, leaving no worker idle long at
    the end. ``workers()`` is asked each time, so workers that join later
    count. A worker computes a chunk as batches of runs of the same population
    size, each within its memory budget (see :func:`~coprod_sim.runner.batch_size`):
    the larger the chunk, the less each run costs.
    """
    smallest = min(MAX_CHUNK, max(MIN_CHUNK, math.ceil(remaining / (max(1, workers()) * 40))))
    while remaining > 0:
        size = chunk_size or min(MAX_CHUNK, max(smallest, math.ceil(
            remaining / (max(1, workers()) * GUIDED))))
        runs = list(itertools.islice(pending, size))
        if not runs:
            return
        remaining -= len(runs)
        yield [tasks(r) for r in runs]


def make_chunks(tasks: Sequence[Any], workers: int, chunk_size: int | None = None
                ) -> list[list[Any]]:
    """Split a list of tasks into chunks as :func:`iter_chunks` would."""
    return list(iter_chunks(iter(range(len(tasks))), len(tasks), lambda i: tasks[i],
                            lambda: workers, chunk_size))


def _serial(chunks: Iterator[Chunk], weekly: bool) -> Iterator[tuple[Chunk, Any]]:
    for chunk in chunks:
        yield chunk, run_chunk(chunk, weekly)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: cancel what waits and end the worker processes."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(5)
        if proc.is_alive():
            proc.kill()


def _processes(chunks: Iterator[Chunk], weekly: bool, workers: int,
               start_method: str | None = None) -> Iterator[tuple[Chunk, Any]]:
    # The pool starts and the first chunks are submitted now (before any other
    # thread, such as the progress bar's, exists); results are yielded as they
    # finish, and a new chunk is submitted for each one done.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=process_context(start_method),
                               initializer=watch_parent)
    inflight: dict[Any, Chunk] = {}

    def fill() -> None:
        while len(inflight) < workers * IN_FLIGHT_PER_WORKER:
            chunk = next(chunks, None)
            if chunk is None:
                return
            inflight[pool.submit(run_chunk, chunk, weekly)] = chunk

    try:
        fill()
    except BaseException:
        _stop_pool(pool)
        raise

    def results() -> Iterator[tuple[Chunk, Any]]:
        finished = False
        try:
            while inflight:
                done, _ = wait_futures(list(inflight), return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk = inflight.pop(fut)
                    try:
                        result: Any = fut.result()
                    except BrokenProcessPool as err:  # workers could not start or died
                        result = BrokenProcessPool(
                            f"{err} (a worker process stopped; in a script, run the sweep "
                            "under `if __name__ == '__main__':`)")
                    except Exception as err:  # report the chunk's runs as failed
                        result = err
                    yield chunk, result
                if not isinstance(pool, ProcessPoolExecutor) or not getattr(
                        pool, "_broken", False):
                    fill()
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:
                _stop_pool(pool)

    return results()


class WorkersGone(UsageError):
    """Every Dask worker left (or the scheduler went away) during a sweep."""


def connect(scheduler: Any) -> tuple[Any, bool]:
    """A Dask client for an address, a ``LocalCluster`` or a ``Client``.

    Returns:
        ``(client, own)``; ``own`` is True when the caller should close it.

    Raises:
        UsageError: if the scheduler cannot be reached or the address is not one.
    """
    try:
        from distributed import Client
    except ImportError as err:  # pragma: no cover - dask is a dependency
        raise UsageError(f"--scheduler needs dask.distributed ({err})") from None
    if isinstance(scheduler, str):
        if "://" not in scheduler and ":" not in scheduler:
            raise UsageError(f"--scheduler is {scheduler!r}; allowed: a Dask scheduler "
                             "address such as tcp://10.0.0.5:8786")
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), True
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise UsageError(f"could not reach the Dask scheduler at {scheduler!r} ({err}); "
                             "check the address (for example tcp://host:8786)") from None
    if hasattr(scheduler, "scheduler_address") and not hasattr(scheduler, "submit"):
        return Client(scheduler), True  # a cluster object: connect to it
    return scheduler, False


def check_versions(client: Any) -> None:
    """Check that every Dask worker has the client's package versions.

    Dask's own check (``get_versions(check=True)``) covers Dask and its
    dependencies; this one adds every package that can change a number.

    Raises:
        UsageError: naming each worker and package that differs.
    """
    try:
        client.get_versions(check=True)
    except ValueError as err:
        raise UsageError("the Dask workers run other versions of Dask's packages than this "
                         f"client: {' '.join(str(err).split())}") from None
    mine = package_versions()
    try:
        theirs = client.run(worker_versions)
    except Exception as err:  # e.g. coprod-sim not installed on a worker
        raise UsageError(f"the Dask workers could not report their package versions "
                         f"({type(err).__name__}: {err}); install coprod-sim "
                         f"{mine['coprod_sim']} on every worker") from None
    problems = [f"{addr}: {pkg} {v.get(pkg)} (here {mine[pkg]})"
                for addr, v in sorted(theirs.items()) for pkg in mine if v.get(pkg) != mine[pkg]]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more"
                                           if len(problems) > 5 else "")
        raise UsageError("the Dask workers run other package versions than this client, so "
                         f"their numbers could differ: {shown}. Install the same versions")


def _threads(client: Any) -> int:
    try:
        return max(0, sum(client.nthreads().values()))
    except Exception:  # the scheduler went away; noticed by the caller
        return 0


def _dask(chunks: Iterator[Chunk], weekly: bool, client: Any, own: bool
          ) -> Iterator[tuple[Chunk, Any]]:
    from distributed import wait as dask_wait

    inflight: dict[Any, Chunk] = {}
    threads = {"n": max(1, _threads(client)), "asked": time.monotonic()}

    def fill() -> None:
        if time.monotonic() - threads["asked"] > 1.0:
            threads["n"], threads["asked"] = max(1, _threads(client)), time.monotonic()
        while len(inflight) < threads["n"] * IN_FLIGHT_PER_WORKER + 1:
            chunk = next(chunks, None)
            if chunk is None:
                return
            inflight[client.submit(run_chunk, chunk, weekly, pure=False)] = chunk

    alone_since: float | None = None
    try:
        fill()
        while inflight:
            try:
                done = dask_wait(list(inflight), timeout=POLL_SECONDS,
                                 return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            except Exception as err:  # the scheduler itself is gone
                raise WorkersGone(f"lost the Dask scheduler ({type(err).__name__})") from None
            if not done or alone_since is not None:
                if _threads(client) == 0:
                    alone_since = alone_since or time.monotonic()
                    if time.monotonic() - alone_since >= WORKERS_GONE_AFTER:
                        raise WorkersGone(f"every Dask worker has gone (none for "
                                          f"{WORKERS_GONE_AFTER:.0f} s)")
                else:
                    alone_since = None
                continue
            for fut in done:
                try:
                    # the result lives on a worker: if it left meanwhile, the task runs
                    # again, so wait a little and otherwise look again later
                    result: Any = fut.result(timeout=POLL_SECONDS)
                except TimeoutError:
                    continue
                except Exception as err:
                    result = err
                alone_since = None
                yield inflight.pop(fut), result
            fill()
    finally:
        try:
            client.cancel(list(inflight))
        except Exception:  # the scheduler is gone: nothing to cancel
            pass
        if own:
            try:
                client.close(timeout=5)
            except Exception:  # pragma: no cover - closing a dead connection
                pass


def _bar_class() -> type:
    """tqdm.auto's bar (terminal or Jupyter) without its monitor thread.

    The monitor thread would outlive the sweep and stop later sweeps in this
    process from forking their workers.
    """
    from tqdm.auto import tqdm

    class Bar(tqdm):  # type: ignore[misc, valid-type]
        monitor_interval = 0

    return Bar


def backend_name(backend: str, workers: int, scheduler: Any) -> str:
    """A short description of the backend, for messages and the manifest."""
    if backend == "dask":
        where = scheduler if isinstance(scheduler, str) else type(scheduler).__name__
        return f"dask ({where})"
    if backend == "processes":
        return f"local processes ({workers} worker{'s' if workers > 1 else ''})"
    return "serial (this process)"


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
def _failure(plan: Plan, run_id: int, error: str) -> dict[str, Any]:
    _, point, replicate, seed = plan.runs[run_id]
    name, values = plan.points[point]
    return {"run": run_id, "point": point, "replicate": replicate, "seed": seed,
            "scenario": name, "parameters": values, "error": error}


def describe_failure(failure: dict[str, Any]) -> str:
    """One line on a failed run: run, scenario, seed, parameters and error."""
    params = ", ".join(f"{k}={v!r}" for k, v in failure["parameters"].items())
    return (f"run {failure['run']} (scenario {failure['scenario']!r}, seed {failure['seed']}"
            f"{', ' + params if params else ''}) failed: {failure['error']}")


def _resume_hint(paths: Paths, scheduler: Any = None) -> str:
    where = f" --scheduler {scheduler}" if isinstance(scheduler, str) else ""
    return f"coprod-sim resume {paths.out}{where}"


def _existing(paths: Paths, fingerprint: str, replace: bool, restart: bool
              ) -> tuple[dict[str, Any] | None, str | None]:
    """Decide what to do with what is already at the output path.

    Returns:
        ``(checkpoint header or None, note)``; the note is set when every run
        of this experiment has already finished there.

    Raises:
        UsageError: when results of another experiment (or other files) would
            be replaced or mixed, naming what is there and the way out.
    """
    finished = None
    if paths.manifest.exists():
        try:
            finished = _read_json(paths.manifest)
            if not isinstance(finished, dict):
                raise _Damaged(f"{paths.manifest.name} is not a manifest")
        except _Damaged as err:
            if not replace:
                raise UsageError(f"{paths.out} holds results whose manifest is damaged ({err});"
                                 " choose another --out, or add --force to replace them") \
                    from None
            finished = None
    elif paths.runs.exists() and not replace:
        raise UsageError(f"{paths.out} already exists and is not the results of a sweep (no "
                         f"{paths.manifest.name}); choose another --out, or add --force to "
                         "replace it")
    if finished is not None and finished.get("fingerprint") != fingerprint and not replace:
        name = (finished.get("experiment") or {}).get("name", "?")
        raise UsageError(
            f"{paths.out} holds finished results of a different experiment ({name!r}, "
            f"{finished.get('runs_finished', '?')} runs, finished "
            f"{finished.get('finished', '?')}); choose another --out, or add --force to "
            "replace them")
    checkpoint = Checkpoint(paths.parts)
    try:
        header = checkpoint.read_header()
    except _Damaged as err:
        if not (restart or replace):
            raise UsageError(f"{paths.parts} cannot be resumed: {err}. Add --restart to "
                             "discard it and start again (the runs in it are lost), or remove "
                             "the folder") from None
        return None, None
    if header is not None and header["fingerprint"] != fingerprint:
        if not (restart or replace):
            raise UsageError(
                f"{paths.parts} holds an unfinished sweep of a different experiment "
                "(or package version); choose another --out, or add --restart to "
                "discard it")
        return None, None
    if header is None and finished is not None and not replace \
            and finished.get("fingerprint") == fingerprint and not finished.get("failures"):
        return None, (f"Every run had already finished at {paths.out}; nothing to run "
                      "(add --force to run them again).")
    return header, None


def _clear(paths: Paths, outputs: bool) -> None:
    store.remove(paths.parts)
    if outputs:
        for path in paths.outputs():
            store.remove(path)


def run_experiment(experiment: Experiment | Plan | str | os.PathLike,
                   out: str | os.PathLike | None = None, *, workers: int | None = None,
                   scheduler: Any = None, chunk_size: int | None = None,
                   progress: bool = True, restart: bool = False, force: bool = False,
                   yes: bool = False, command: str = "sweep",
                   on_chunk: Callable[[int, int], None] | None = None,
                   start_method: str | None = None, backend: str | None = None
                   ) -> SweepResult:
    """Run every run of an experiment and return (and optionally write) tidy tables.

    Args:
        experiment: An :class:`Experiment`, a :class:`Plan`, or a TOML file path.
        out: Output path (``.parquet`` or ``.csv``). With it, finished chunks are
            checkpointed and an interrupted sweep resumes when run again.
        workers: Local worker processes (default: all CPUs); 1 runs in this process.
        scheduler: A Dask scheduler address (``"tcp://host:8786"``), a
            ``distributed.Client`` or a ``LocalCluster``; overrides ``workers``.
        chunk_size: Runs per task (default: chunks that shrink as work runs out;
            see :func:`iter_chunks`).
        progress: Show a progress bar (terminal or Jupyter).
        restart: Discard an unfinished sweep of a *different* plan (or a damaged
            checkpoint) at ``out``.
        force: Replace finished results (of any experiment) or other files at ``out``.
        yes: Confirm a design (an experiment or a plan) of more than
            :data:`~coprod_sim.experiments.design.CONFIRM_RUNS` runs. The
            confirmation is recorded in the checkpoint and the manifest, and
            :func:`resume` passes it on.
        command: ``"sweep"`` or ``"sensitivity"`` (recorded for ``resume``).
        on_chunk: Called as ``on_chunk(done, total)`` after each chunk is saved.
        start_method: ``"fork"``, ``"forkserver"`` or ``"spawn"`` for local
            processes (default: see :func:`process_context`).
        backend: ``"serial"``, ``"processes"`` or ``"dask"``; by default Dask when
            ``scheduler`` is given, else in this process for one worker and local
            processes for more.

    Returns:
        A :class:`SweepResult`; failed runs are listed in ``failures``.

    Raises:
        UsageError: for a bad output path, an unreachable scheduler, results of
            another experiment at ``out``, or a design too large.
    """
    if isinstance(experiment, (str, os.PathLike)):
        experiment = load_experiment(experiment)
    if isinstance(experiment, Experiment):
        check_size(experiment, confirmed=yes)
    elif isinstance(experiment, Plan):
        check_plan_size(experiment, confirmed=yes)
    else:
        raise UsageError(f"experiment is a {type(experiment).__name__}; allowed: an "
                         "Experiment, a Plan or the path of an experiment file (.toml)")
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if backend is None:
        backend = "dask" if scheduler is not None else "serial" if workers <= 1 else "processes"
    if backend not in ("serial", "processes", "dask"):
        raise UsageError(f"backend is {backend!r}; allowed: 'serial', 'processes' or 'dask'")
    if backend == "dask" and scheduler is None:
        raise UsageError("the dask backend needs a scheduler address, Client or cluster")
    paths = output_paths(out) if out is not None else None
    if paths is not None:
        check_writable(paths)
    plan = experiment if isinstance(experiment, Plan) else build_plan(experiment)
    fingerprint = plan.fingerprint()
    header, already = (None, None)
    if paths is not None:
        header, already = _existing(paths, fingerprint, force, restart)
        if already:
            result = load_results(paths.out)
            result.notes.append(already)
            return result

    client, own = None, False
    if backend == "dask":  # connect before anything is written
        client, own = connect(scheduler)
        try:
            check_versions(client)
        except BaseException:
            if own:
                client.close()
            raise
    try:
        return _run(plan, fingerprint, paths, header, client, own, backend, workers,
                    scheduler, chunk_size, progress, force, command, on_chunk, start_method,
                    bool(yes))
    finally:
        if own and client is not None and client.status not in ("closed", "closing"):
            client.close()


def _run(plan: Plan, fingerprint: str, paths: Paths | None, header: dict[str, Any] | None,
         client: Any, own: bool, backend: str, workers: int, scheduler: Any,
         chunk_size: int | None, progress: bool, force: bool, command: str,
         on_chunk: Callable[[int, int], None] | None, start_method: str | None,
         confirmed: bool = False) -> SweepResult:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    checkpoint = None
    done: set[int] = set()
    notes: list[str] = []
    total = len(plan.runs)
    if paths is not None:
        try:
            if header is None:
                _clear(paths, outputs=force)
            checkpoint = Checkpoint(paths.parts)
            if header is not None:
                started = header["started"]
                notes.extend(checkpoint.tidy())
                done = checkpoint.done_runs()
                notes.insert(0, f"Resuming: {len(done)} of {total} runs were already done.")
            checkpoint.start({"fingerprint": fingerprint, "command": command,
                              "started": started, "format": paths.fmt, "layout": LAYOUT,
                              "size_confirmed": confirmed, "plan": plan.to_dict()})
        except OSError as err:
            raise UsageError(f"cannot write {err.filename or paths.parts}: "
                             f"{err.strerror or err}; choose another --out") from None

    pending = (r for r in range(total) if r not in done)
    if backend == "dask":
        def n_workers() -> int:
            return max(1, _threads(client))
    else:
        def n_workers() -> int:
            return 1 if backend == "serial" else workers
    chunks = iter_chunks(pending, total - len(done), plan.task, n_workers, chunk_size)
    if backend == "dask":
        results = _dask(chunks, plan.weekly, client, own)
    elif backend == "serial":
        results = _serial(chunks, plan.weekly)
    else:
        results = _processes(chunks, plan.weekly,
                             max(1, min(workers, total - len(done))), start_method)

    mem_runs: list[pa.Table] = []
    mem_weekly: list[pa.Table] = []
    failures: list[dict[str, Any]] = []
    clock = time.perf_counter()
    bar = _bar_class()(total=total, initial=len(done), unit="run", disable=not progress,
                       desc=plan.experiment.get("name", "sweep"))
    finished = len(done)
    runs_this_session = 0
    worker_wall = worker_cpu = 0.0
    mine = package_versions()
    try:
        for chunk, result in results:
            run_ids = [t[0] for t in chunk]
            if isinstance(result, BaseException):
                error = f"{type(result).__name__}: {result}"
                result = {"runs": [], "weekly": None,
                          "failures": [{"run": r, "error": error} for r in run_ids]}
            elif result.get("versions", mine) != mine:
                theirs = result["versions"]
                differ = ", ".join(f"{k} {theirs.get(k)} (here {v})" for k, v in mine.items()
                                   if theirs.get(k) != v)
                raise UsageError(f"a worker runs other package versions than this client "
                                 f"({differ}), so its numbers could differ; install the same "
                                 "versions on every worker"
                                 + (f", then carry on with: {_resume_hint(paths, scheduler)}"
                                    if paths else ""))
            worker_wall += result.get("seconds", 0.0)
            worker_cpu += result.get("cpu_seconds", 0.0)
            chunk_failures = [_failure(plan, f["run"], f["error"]) for f in result["failures"]]
            failures.extend(chunk_failures)
            runs_table, weekly_table = chunk_tables(plan, chunk, result)
            if checkpoint is not None:
                try:
                    checkpoint.write_chunk(run_ids, runs_table, weekly_table, chunk_failures)
                except OSError as err:
                    raise UsageError(
                        f"could not write {err.filename or paths.parts}: "
                        f"{err.strerror or err}. The {finished} runs finished before are "
                        f"saved in {paths.parts}; fix the problem (for example free some disk "
                        f"space), then carry on with: {_resume_hint(paths, scheduler)}") \
                        from None
            else:
                if runs_table is not None:
                    mem_runs.append(runs_table)
                if weekly_table is not None:
                    mem_weekly.append(weekly_table)
            finished += len(run_ids)
            runs_this_session += len(run_ids)
            bar.update(len(run_ids))
            if on_chunk is not None:
                on_chunk(finished, total)
    except WorkersGone as err:
        where = (f"the {finished} runs finished so far are saved; when workers are back, "
                 f"carry on with: {_resume_hint(paths, scheduler)}" if paths
                 else "nothing was saved (give an output path to keep finished runs)")
        raise WorkersGone(f"{err}; {where}") from None
    finally:
        results.close()
        bar.close()
    elapsed = time.perf_counter() - clock

    if checkpoint is not None:
        failures = checkpoint.failures()
    failures = sorted(failures, key=lambda f: f["run"])
    n_finished = (len(checkpoint.done_runs()) if checkpoint is not None
                  else sum(t.num_rows for t in mem_runs))
    manifest = {
        "coprod_sim_version": plan.versions.get("coprod_sim"),
        "fingerprint": fingerprint, "command": command, "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_this_session": round(elapsed, 3),
        "runs_this_session": runs_this_session,
        "worker_seconds_this_session": round(worker_wall, 3),
        "worker_cpu_seconds_this_session": round(worker_cpu, 3),
        "backend": backend_name(backend, workers, scheduler),
        "runs_planned": total, "runs_finished": n_finished,
        "size_confirmed": confirmed,
        "failures": failures,
        "provenance": provenance(),
        "outputs": ({"runs": paths.runs.name, "weekly": paths.weekly.name if plan.weekly
                     else None, "format": paths.fmt, "layout": LAYOUT,
                     "layout_note": ("each .parquet table is a folder of Parquet files (a "
                                     "dataset); read it with pandas.read_parquet, "
                                     "pyarrow.dataset or dask.dataframe, sorted by run")}
                    if paths else None),
        "seed_rule": "numpy SeedSequence(seed, spawn_key=(replicate,) if same_seeds else "
                     "(point, replicate)).generate_state(1, uint32)[0]",
        **plan.to_dict(),
    }
    if paths is None:
        return SweepResult(_concat(mem_runs, plan, "runs"),
                           _concat(mem_weekly, plan, "weekly") if plan.weekly else None,
                           failures, plan, manifest, None, notes)
    try:
        _finish(paths, checkpoint, plan, failures, manifest)
    except OSError as err:
        raise UsageError(f"could not write {err.filename or paths.out}: {err.strerror or err}. "
                         f"Every finished run is saved in {paths.parts}; fix the problem, then "
                         f"carry on with: {_resume_hint(paths, scheduler)}") from None
    return SweepResult(lambda: read_table(paths.runs),
                       (lambda: read_table(paths.weekly)) if plan.weekly else None,
                       failures, plan, manifest, paths, notes)


def _concat(tables: list[pa.Table], plan: Plan, kind: str) -> pd.DataFrame:
    if not tables:
        empty = _ids(plan, [], set())
        if kind == "weekly":
            empty = empty.assign(week=pd.Series(dtype="int64"))
        return empty
    table = pa.concat_tables(tables, promote_options="permissive")
    sort = ["run", "week"] if kind == "weekly" else ["run"]
    table = table.sort_by([(s, "ascending") for s in sort])
    return store._pandas(table).reset_index(drop=True)


def _finish(paths: Paths, checkpoint: Checkpoint, plan: Plan,
            failures: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
    """Publish the part files as the results, then the failures and the manifest."""
    tables = [(checkpoint.runs_dir, paths.runs, ["run"])]
    if plan.weekly:
        tables.append((checkpoint.weekly_dir, paths.weekly, ["run", "week"]))
    for folder, target, sort in tables:
        if not store.part_files(folder):  # nothing finished: an empty table
            empty = _ids(plan, [], set())
            if "week" in sort:
                empty = empty.assign(week=pd.Series(dtype="int64"))
            store.write_part(folder, "part-000000000-000000000-00000000",
                             pa.Table.from_pandas(empty, preserve_index=False))
        if paths.fmt == "csv":
            store.write_csv(folder, target, sort)
        else:
            store.publish(folder, target)
    if failures:
        table = pd.DataFrame([{**{k: v for k, v in f.items() if k != "parameters"},
                               "parameters": json.dumps(f["parameters"])} for f in failures])
        write_table(table, paths.failures)
    elif paths.failures.exists():
        paths.failures.unlink()
    write_json(paths.manifest, manifest)
    if not failures:
        shutil.rmtree(paths.parts, ignore_errors=True)


def pending_header(out: str | os.PathLike) -> dict[str, Any] | None:
    """The stored plan and settings of an unfinished sweep at ``out`` (or None).

    Raises:
        UsageError: if a checkpoint folder is there but cannot be resumed.
    """
    paths = output_paths(out)
    try:
        return Checkpoint(paths.parts).read_header()
    except _Damaged as err:
        raise UsageError(f"{paths.parts} cannot be resumed: {err}. Start again with "
                         f"`coprod-sim sweep EXPERIMENT --out {paths.out} --restart` (the runs "
                         "in it are lost), or remove the folder") from None


def resume(out: str | os.PathLike, *, workers: int | None = None, scheduler: Any = None,
           chunk_size: int | None = None, progress: bool = True,
           on_chunk: Callable[[int, int], None] | None = None,
           yes: bool = False) -> SweepResult:
    """Finish an interrupted sweep (or retry its failed runs) from its checkpoints.

    A large design confirmed when the sweep started (``yes=True``, ``--yes``)
    needs no confirmation again: the checkpoint records it. ``yes`` confirms
    one that does not (a checkpoint written before this was recorded).

    Raises:
        UsageError: if there is nothing to resume at ``out``, or the design is
            too large and was not confirmed.
    """
    paths = output_paths(out)
    header = pending_header(paths.out)
    if header is None:
        if paths.manifest.exists():
            raise UsageError(f"nothing to resume: every run of {paths.runs.name} has "
                             "finished (see its manifest)")
        raise UsageError(f"nothing to resume at {paths.out}: no {paths.parts.name} folder")
    plan = Plan.from_dict(header["plan"])
    return run_experiment(plan, paths.out, workers=workers, scheduler=scheduler,
                          chunk_size=chunk_size, progress=progress,
                          yes=yes or header.get("size_confirmed") is True,
                          command=header.get("command", "sweep"), on_chunk=on_chunk)


def load_manifest(out: str | os.PathLike) -> tuple[Paths, dict[str, Any]]:
    """The paths and manifest of finished results.

    Raises:
        UsageError: if the manifest is missing or damaged.
    """
    paths = output_paths(out)
    if not paths.manifest.exists():
        raise UsageError(f"no finished results at {paths.out} (no {paths.manifest.name})")
    try:
        manifest = _read_json(paths.manifest)
    except _Damaged as err:
        raise UsageError(f"the manifest of {paths.out} is damaged: {err}") from None
    if not isinstance(manifest, dict):
        raise UsageError(f"{paths.manifest} is not a manifest")
    return paths, manifest


def load_results(out: str | os.PathLike) -> SweepResult:
    """Open finished results; the tables are read only when first used.

    ``result.runs`` and ``result.weekly`` read a table into pandas (sorted by
    run); ``result.runs_dataset`` / ``result.weekly_dataset`` give lazy
    ``pyarrow`` datasets and ``result.to_dask("weekly")`` a ``dask.dataframe``,
    for tables larger than memory.

    Raises:
        UsageError: if the manifest or tables are missing or damaged.
    """
    paths, manifest = load_manifest(out)
    if not paths.runs.exists():
        raise UsageError(f"no finished results at {paths.out} (need {paths.runs.name} and "
                         f"{paths.manifest.name})")
    plan = Plan.from_dict(manifest)
    weekly = None
    if plan.weekly and paths.weekly.exists():
        def weekly() -> pd.DataFrame:
            return read_table(paths.weekly)
    return SweepResult(lambda: read_table(paths.runs), weekly, manifest.get("failures", []),
                       plan, manifest, paths)
