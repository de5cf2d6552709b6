"""Running an experiment: serial, local processes or Dask; checkpoints; outputs.

Every run is a pure function of its scenario and seed, and results are put in
run order at the end, so the tables are identical whatever the backend, the
number of workers or the order in which chunks finish.

With an output path, each finished chunk is written at once (to a temporary
file, then moved into place with ``os.replace``) into ``<stem>.parts/``. An
interrupted sweep started again with the same output path (or
:func:`resume`) runs only the runs not yet written: none is lost or repeated.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.cli import UsageError
from coprod_sim.experiments.design import (
    Experiment,
    Plan,
    build_plan,
    chunked,
    load_experiment,
)
from coprod_sim.experiments.worker import run_chunk
from coprod_sim.fileio import atomic_write
from coprod_sim.parameters import PARAMETERS
from coprod_sim.scenario import atomic_write_text

#: How long to wait for a Dask scheduler given by address.
CONNECT_TIMEOUT = "15s"

#: Identifier columns at the start of every row.
ID_COLUMNS = ("run", "point", "replicate", "seed", "scenario")


# ---------------------------------------------------------------------------
# Paths and results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Paths:
    """Where a sweep writes.

    ``results.parquet`` gives ``results.weekly.parquet``, ``results.manifest.json``,
    ``results.failures.csv`` and, while running, ``results.parts/``.
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


@dataclass
class SweepResult:
    """The result of an experiment.

    Attributes:
        runs: One row per finished run: ids, every parameter, the run's summary.
        weekly: One row per finished run and week (None if not kept).
        failures: One dict per failed run: run, seed, scenario, parameters, error.
        plan: The :class:`~coprod_sim.experiments.design.Plan` that was run.
        manifest: The manifest (also written beside the outputs).
        paths: Where the outputs were written (None if kept in memory only).
    """

    runs: pd.DataFrame
    weekly: pd.DataFrame | None
    failures: list[dict[str, Any]]
    plan: Plan
    manifest: dict[str, Any]
    paths: Paths | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every planned run finished."""
        return not self.failures and len(self.runs) == len(self.plan.runs)

    def __repr__(self) -> str:
        return (f"SweepResult({len(self.runs)} of {len(self.plan.runs)} runs, "
                f"{len(self.failures)} failed)")


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------
def design_table(plan: Plan, runs: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per run: ids and every parameter value of its scenario."""
    rows = []
    wanted = None if runs is None else set(runs)
    for run_id, point, replicate, seed in plan.runs:
        if wanted is not None and run_id not in wanted:
            continue
        name = plan.points[point][0]
        rows.append({"run": run_id, "point": point, "replicate": replicate, "seed": seed,
                     "scenario": name, **plan.values(point)})
    columns = list(ID_COLUMNS) + list(PARAMETERS)
    table = pd.DataFrame.from_records(rows, columns=columns)
    for name, p in PARAMETERS.items():
        kind = {"bool": "bool", "int": "int64", "float": "float64"}.get(p.kind)
        if kind and len(table):
            table[name] = table[name].astype(kind)
    for col in ("run", "point", "replicate", "seed"):
        table[col] = table[col].astype("int64")
    return table


def _runs_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame.from_records(rows)
    if "payback_week" in table:
        table["payback_week"] = table["payback_week"].astype("Float64").astype("Int64")
    return table


def assemble(plan: Plan, runs: pd.DataFrame, weekly: pd.DataFrame | None
             ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Join finished runs to their parameters; sort by run (and week)."""
    if runs.empty:
        table = design_table(plan, [])
    else:
        runs = runs.sort_values("run", kind="stable").reset_index(drop=True)
        table = design_table(plan, runs["run"].tolist()).merge(runs, on="run", how="inner",
                                                               validate="one_to_one")
    week_table = None
    if plan.weekly:
        if weekly is None or weekly.empty:
            week_table = design_table(plan, []).assign(week=pd.Series(dtype="int64"))
        else:
            weekly = weekly.sort_values(["run", "week"], kind="stable").reset_index(drop=True)
            ids = design_table(plan, sorted(set(weekly["run"].tolist())))
            week_table = ids.merge(weekly, on="run", how="inner", validate="one_to_many")
            front = list(ID_COLUMNS) + ["week"]
            week_table = week_table[front + [c for c in week_table.columns if c not in front]]
    return table, week_table


# ---------------------------------------------------------------------------
# Atomic files
# ---------------------------------------------------------------------------
def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    atomic_write(path, b"", writer=lambda tmp: write(Path(tmp)))


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a table to Parquet or CSV (by suffix), atomically."""
    if path.suffix.lower() == ".csv":
        _atomic(path, lambda p: table.to_csv(p, index=False))
    else:
        _atomic(path, lambda p: table.to_parquet(p, index=False))


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table`."""
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path)
        if "payback_week" in table:
            table["payback_week"] = table["payback_week"].astype("Int64")
        return table
    return pd.read_parquet(path)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    atomic_write_text(path, json.dumps(data, indent=1, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


# ---------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------
class Checkpoint:
    """The ``<stem>.parts/`` folder: the plan and one set of files per finished chunk.

    A chunk is committed when its ``-runs.parquet`` file exists; its weekly
    file and failure list are written first, so a chunk is either wholly
    there or not there at all.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def plan_file(self) -> Path:
        """The stored plan and settings."""
        return self.folder / "plan.json"

    def read_header(self) -> dict[str, Any] | None:
        """The stored plan and settings, or None."""
        if not self.plan_file.exists():
            return None
        return json.loads(self.plan_file.read_text(encoding="utf-8"))

    def start(self, header: dict[str, Any]) -> None:
        """Create the folder and store the plan (once)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.plan_file.exists():
            write_json(self.plan_file, header)

    def committed(self) -> list[str]:
        """Stems of the committed chunks."""
        return sorted(p.name[: -len("-runs.parquet")]
                      for p in self.folder.glob("part-*-runs.parquet"))

    def tidy(self) -> None:
        """Drop leftovers of an interrupted write and old failure lists (retried now)."""
        done = set(self.committed())
        for p in self.folder.glob("part-*"):
            stem = p.name.split("-runs.")[0].split("-weekly.")[0].split("-failed.")[0]
            if p.name.startswith(".") or stem not in done or p.name.endswith("-failed.json"):
                p.unlink()
        for p in self.folder.glob(".*.tmp"):
            p.unlink()

    def done_runs(self) -> set[int]:
        """Runs already finished (in a committed chunk)."""
        done: set[int] = set()
        for stem in self.committed():
            table = pd.read_parquet(self.folder / f"{stem}-runs.parquet", columns=["run"])
            done.update(int(r) for r in table["run"])
        return done

    def write_chunk(self, run_ids: Sequence[int], result: dict[str, Any],
                    failures: list[dict[str, Any]]) -> None:
        """Commit one chunk: weekly table, failures, then the run table (the marker)."""
        digest = hashlib.sha1(",".join(map(str, run_ids)).encode()).hexdigest()[:8]
        stem = f"part-{min(run_ids):07d}-{max(run_ids):07d}-{digest}"
        if result.get("weekly") is not None:
            write_table(result["weekly"], self.folder / f"{stem}-weekly.parquet")
        if failures:
            write_json(self.folder / f"{stem}-failed.json", failures)
        runs = _runs_frame(result["runs"]) if result["runs"] else pd.DataFrame({"run": []},
                                                                               dtype="int64")
        write_table(runs, self.folder / f"{stem}-runs.parquet")

    def load(self) -> tuple[pd.DataFrame, pd.DataFrame | None, list[dict[str, Any]]]:
        """Read every committed chunk."""
        runs, weekly, failures = [], [], []
        for stem in self.committed():
            table = pd.read_parquet(self.folder / f"{stem}-runs.parquet")
            if len(table):
                runs.append(table)
            wpath = self.folder / f"{stem}-weekly.parquet"
            if wpath.exists():
                weekly.append(pd.read_parquet(wpath))
            fpath = self.folder / f"{stem}-failed.json"
            if fpath.exists():
                failures.extend(json.loads(fpath.read_text(encoding="utf-8")))
        run_table = pd.concat(runs, ignore_index=True) if runs else pd.DataFrame()
        week_table = pd.concat(weekly, ignore_index=True) if weekly else None
        return run_table, week_table, failures


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


def _serial(chunks: list[Chunk], weekly: bool) -> Iterator[tuple[Chunk, Any]]:
    for chunk in chunks:
        yield chunk, run_chunk(chunk, weekly)


def _processes(chunks: list[Chunk], weekly: bool, workers: int,
               start_method: str | None = None) -> Iterator[tuple[Chunk, Any]]:
    # The pool starts and every chunk is submitted now (before any other thread,
    # such as the progress bar's, exists); results are yielded as they finish.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=process_context(start_method))
    try:
        futures = {pool.submit(run_chunk, chunk, weekly): i for i, chunk in enumerate(chunks)}
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise

    def results() -> Iterator[tuple[Chunk, Any]]:
        try:
            for fut in as_completed(futures):
                try:
                    result: Any = fut.result()
                except BrokenProcessPool as err:  # workers could not start or died
                    result = BrokenProcessPool(
                        f"{err} (a worker process stopped; in a script, run the sweep under "
                        "`if __name__ == '__main__':`)")
                except Exception as err:  # report the chunk's runs as failed
                    result = err
                yield chunks[futures[fut]], result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return results()


def connect(scheduler: Any) -> tuple[Any, bool]:
    """A Dask client for an address, a ``LocalCluster`` or a ``Client``.

    Returns:
        ``(client, own)``; ``own`` is True when the caller should close it.

    Raises:
        UsageError: if the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError as err:  # pragma: no cover - dask is a dependency
        raise UsageError(f"--scheduler needs dask.distributed ({err})") from None
    if isinstance(scheduler, str):
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), True
        except (OSError, TimeoutError) as err:
            raise UsageError(f"could not reach the Dask scheduler at {scheduler!r} ({err}); "
                             "check the address (for example tcp://host:8786)") from None
    if hasattr(scheduler, "scheduler_address") and not hasattr(scheduler, "submit"):
        return Client(scheduler), True  # a cluster object: connect to it
    return scheduler, False


def _dask(chunks: list[Chunk], weekly: bool, client: Any, own: bool
          ) -> Iterator[tuple[Chunk, Any]]:
    from distributed import as_completed as dask_completed

    futures: dict[Any, int] = {}
    try:
        for i, chunk in enumerate(chunks):
            futures[client.submit(run_chunk, chunk, weekly, pure=False)] = i
        for fut in dask_completed(list(futures)):
            try:
                result: Any = fut.result()
            except Exception as err:
                result = err
            yield chunks[futures[fut]], result
    finally:
        client.cancel(list(futures))
        if own:
            client.close()


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


def make_chunks(tasks: Sequence[Any], workers: int, chunk_size: int | None = None
                ) -> list[list[Any]]:
    """Split tasks into chunks (one chunk is one task for a worker).

    With ``chunk_size`` every chunk has that many runs. Otherwise chunks
    shrink as the work runs out ("guided" scheduling): each holds about a
    sixth of a worker's share of what is left (at most 50 runs, at least a
    fortieth of a worker's share of the whole), so there are few chunks while
    much work remains and the last ones are small, leaving no worker idle long
    at the end.
    """
    if chunk_size:
        return list(chunked(tasks, chunk_size))
    chunks, start, n = [], 0, len(tasks)
    workers = max(1, workers)
    smallest = max(1, math.ceil(n / (workers * 40)))
    while start < n:
        size = max(smallest, min(50, math.ceil((n - start) / (workers * 6))))
        chunks.append(list(tasks[start:start + size]))
        start += size
    return chunks


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
def _failure(plan: Plan, run_id: int, error: str) -> dict[str, Any]:
    _, point, replicate, seed = plan.runs[run_id]
    name, values = plan.points[point]
    return {"run": run_id, "point": point, "replicate": replicate, "seed": seed,
            "scenario": name, "parameters": values, "error": error}


def _enrich(plan: Plan, failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_failure(plan, f["run"], f["error"]) for f in failures]


def describe_failure(failure: dict[str, Any]) -> str:
    """One line on a failed run: run, scenario, seed, parameters and error."""
    params = ", ".join(f"{k}={v!r}" for k, v in failure["parameters"].items())
    return (f"run {failure['run']} (scenario {failure['scenario']!r}, seed {failure['seed']}"
            f"{', ' + params if params else ''}) failed: {failure['error']}")


def run_experiment(experiment: Experiment | Plan | str | os.PathLike,
                   out: str | os.PathLike | None = None, *, workers: int | None = None,
                   scheduler: Any = None, chunk_size: int | None = None,
                   progress: bool = True, restart: bool = False, command: str = "sweep",
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
            see :func:`make_chunks`).
        progress: Show a progress bar (terminal or Jupyter).
        restart: Discard an unfinished sweep of a *different* plan at ``out``.
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
        UsageError: for a bad output path, an unreachable scheduler, or an
            unfinished sweep of another plan at ``out``.
    """
    if isinstance(experiment, (str, os.PathLike)):
        experiment = load_experiment(experiment)
    plan = experiment if isinstance(experiment, Plan) else build_plan(experiment)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    paths = output_paths(out) if out is not None else None
    fingerprint = plan.fingerprint()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    checkpoint = None
    done: set[int] = set()
    notes: list[str] = []
    if paths is not None:
        checkpoint = Checkpoint(paths.parts)
        header = checkpoint.read_header()
        if header is not None and header["fingerprint"] != fingerprint:
            if not restart:
                raise UsageError(
                    f"{paths.parts} holds an unfinished sweep of a different experiment "
                    "(or package version); choose another --out, or add --restart to "
                    "discard it")
            shutil.rmtree(paths.parts)
            header = None
        if header is not None:
            started = header["started"]
            checkpoint.tidy()
            done = checkpoint.done_runs()
            notes.append(f"Resuming: {len(done)} of {len(plan.runs)} runs were already done.")
        checkpoint.start({"fingerprint": fingerprint, "command": command, "started": started,
                          "format": paths.fmt, "plan": plan.to_dict()})

    pending = [r for r in plan.runs if r[0] not in done]
    tasks: Chunk = [(run_id, plan.points[point][0], plan.values(point), seed)
                    for run_id, point, _, seed in pending]
    if backend is None:
        backend = "dask" if scheduler is not None else "serial" if workers <= 1 else "processes"
    if backend not in ("serial", "processes", "dask"):
        raise UsageError(f"backend is {backend!r}; allowed: 'serial', 'processes' or 'dask'")
    n_workers = 1 if backend == "serial" else workers
    client, own = None, False
    if backend == "dask":
        if scheduler is None:
            raise UsageError("the dask backend needs a scheduler address, Client or cluster")
        client, own = connect(scheduler)
        try:
            n_workers = max(1, sum(client.ncores().values()))
        except Exception:  # pragma: no cover - a scheduler we cannot ask
            n_workers = max(1, workers)
    chunks = make_chunks(tasks, n_workers, chunk_size)

    mem_runs: list[dict[str, Any]] = []
    mem_weekly: list[pd.DataFrame] = []
    failures: list[dict[str, Any]] = []
    clock = time.perf_counter()
    if backend == "dask":
        results = _dask(chunks, plan.weekly, client, own)
    elif backend == "serial":
        results = _serial(chunks, plan.weekly)
    else:
        results = _processes(chunks, plan.weekly, min(workers, max(1, len(chunks))),
                             start_method)
    bar = _bar_class()(total=len(plan.runs), initial=len(done), unit="run", disable=not progress,
               desc=plan.experiment.get("name", "sweep"))
    finished = len(done)
    worker_wall = worker_cpu = 0.0
    try:
        for chunk, result in results:
            run_ids = [t[0] for t in chunk]
            if isinstance(result, BaseException):
                error = f"{type(result).__name__}: {result}"
                result = {"runs": [], "weekly": None,
                          "failures": [{"run": r, "error": error} for r in run_ids]}
            worker_wall += result.get("seconds", 0.0)
            worker_cpu += result.get("cpu_seconds", 0.0)
            chunk_failures = _enrich(plan, result["failures"])
            failures.extend(chunk_failures)
            if checkpoint is not None:
                checkpoint.write_chunk(run_ids, result, chunk_failures)
            else:
                mem_runs.extend(result["runs"])
                if result.get("weekly") is not None:
                    mem_weekly.append(result["weekly"])
            finished += len(run_ids)
            bar.update(len(run_ids))
            if on_chunk is not None:
                on_chunk(finished, len(plan.runs))
    finally:
        results.close()
        bar.close()
    elapsed = time.perf_counter() - clock

    if checkpoint is not None:
        run_part, week_part, failures = checkpoint.load()
    else:
        run_part = _runs_frame(mem_runs) if mem_runs else pd.DataFrame()
        week_part = pd.concat(mem_weekly, ignore_index=True) if mem_weekly else None
    failures = sorted(failures, key=lambda f: f["run"])
    runs, weekly = assemble(plan, run_part, week_part)
    manifest = {
        "coprod_sim_version": plan.versions.get("coprod_sim"),
        "fingerprint": fingerprint, "command": command, "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_this_session": round(elapsed, 3),
        "runs_this_session": len(tasks),
        "worker_seconds_this_session": round(worker_wall, 3),
        "worker_cpu_seconds_this_session": round(worker_cpu, 3),
        "backend": backend_name(backend, workers, scheduler),
        "runs_planned": len(plan.runs), "runs_finished": int(len(runs)),
        "failures": failures,
        "outputs": ({"runs": paths.runs.name, "weekly": paths.weekly.name if plan.weekly
                     else None, "format": paths.fmt} if paths else None),
        "seed_rule": "numpy SeedSequence(seed, spawn_key=(replicate,) if same_seeds else "
                     "(point, replicate)).generate_state(1, uint32)[0]",
        **plan.to_dict(),
    }
    if paths is not None:
        write_table(runs, paths.runs)
        if weekly is not None:
            write_table(weekly, paths.weekly)
        if failures:
            table = pd.DataFrame([{**{k: v for k, v in f.items() if k != "parameters"},
                                   "parameters": json.dumps(f["parameters"])}
                                  for f in failures])
            write_table(table, paths.failures)
        elif paths.failures.exists():
            paths.failures.unlink()
        write_json(paths.manifest, manifest)
        if not failures:
            shutil.rmtree(paths.parts, ignore_errors=True)
    return SweepResult(runs, weekly, failures, plan, manifest, paths, notes)


def pending_header(out: str | os.PathLike) -> dict[str, Any] | None:
    """The stored plan and settings of an unfinished sweep at ``out`` (or None)."""
    return Checkpoint(output_paths(out).parts).read_header()


def resume(out: str | os.PathLike, *, workers: int | None = None, scheduler: Any = None,
           chunk_size: int | None = None, progress: bool = True,
           on_chunk: Callable[[int, int], None] | None = None) -> SweepResult:
    """Finish an interrupted sweep (or retry its failed runs) from its checkpoints.

    Raises:
        UsageError: if there is nothing to resume at ``out``.
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
                          command=header.get("command", "sweep"), on_chunk=on_chunk)


def load_results(out: str | os.PathLike) -> SweepResult:
    """Read a finished sweep (tables and manifest) from disk.

    Raises:
        UsageError: if the manifest or tables are missing.
    """
    paths = output_paths(out)
    if not paths.manifest.exists() or not paths.runs.exists():
        raise UsageError(f"no finished results at {paths.out} (need {paths.runs.name} and "
                         f"{paths.manifest.name})")
    manifest = json.loads(paths.manifest.read_text(encoding="utf-8"))
    plan = Plan.from_dict(manifest)
    weekly = read_table(paths.weekly) if plan.weekly and paths.weekly.exists() else None
    return SweepResult(read_table(paths.runs), weekly, manifest.get("failures", []), plan,
                       manifest, paths)
