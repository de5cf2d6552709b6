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


import os
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from coprod_sim.cli import UsageError
from coprod_sim.experiments import store
from coprod_sim.experiments.backends import (  # noqa: F401 (re-exported)
    CONNECT_TIMEOUT,
    GUARD_MESSAGE,
    MAX_CHUNK,
    MIN_CHUNK,
    POLL_SECONDS,
    WORKERS_GONE_AFTER,
    WorkersGone,
    _dask,
    _processes,
    _serial,
    _threads,
    backend_name,
    check_versions,
    connect,
    iter_chunks,
    make_chunks,
    process_context,
    refuse_while_bootstrapping,
    task_cost,
)
from coprod_sim.experiments.checkpoint import Checkpoint
from coprod_sim.experiments.design import (
    Experiment,
    Plan,
    build_plan,
    check_plan_size,
    check_size,
    load_experiment,
)
from coprod_sim.experiments.paths import LAYOUT, Paths, check_writable, output_paths
from coprod_sim.experiments.progress import _bar_class
from coprod_sim.experiments.provenance import package_versions, provenance
from coprod_sim.experiments.publish import _finish
from coprod_sim.experiments.store import ID_COLUMNS
from coprod_sim.experiments.sweep_result import SweepResult, load_manifest, load_results
from coprod_sim.experiments.tables import (  # noqa: F401 (re-exported)
    _concat,
    _Damaged,
    _read_json,
    chunk_tables,
    read_table,
    write_table,
)

__all__ = ["ID_COLUMNS", "Paths", "SweepResult", "load_manifest", "load_results",
           "output_paths", "resume", "run_experiment"]


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
    ours = header is not None and header["fingerprint"] == fingerprint
    if finished is None and not replace and not ours:
        # tables beside --out without a manifest: not a sweep's results (or another's
        # half-published ones): never deleted or replaced without --force
        for path in (paths.runs, paths.weekly, paths.failures):
            if path.exists() or path.is_symlink():
                raise UsageError(f"{path} already exists and is not the results of a sweep "
                                 f"(no {paths.manifest.name}); choose another --out, or add "
                                 "--force to replace it")
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
    refuse_while_bootstrapping()
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
                try:
                    notes.extend(checkpoint.tidy(plan.weekly))
                except _Damaged as err:
                    raise UsageError(str(err)) from None
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
    timed = {"seconds": 0.0, "person_weeks": 0.0}

    def pace() -> float | None:
        return timed["seconds"] / timed["person_weeks"] if timed["person_weeks"] else None

    chunks = iter_chunks(pending, total - len(done), plan.task, n_workers, chunk_size, pace)
    constants = plan.constants_values
    if backend == "dask":
        results = _dask(chunks, plan.weekly, client, own, constants)
    elif backend == "serial":
        results = _serial(chunks, plan.weekly, constants)
    else:
        results = _processes(chunks, plan.weekly,
                             max(1, min(workers, total - len(done))), start_method, constants)

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
            if isinstance(result, BrokenProcessPool) and runs_this_session == 0:
                raise UsageError(GUARD_MESSAGE + (f"; nothing was lost: carry on with "
                                                  f"{_resume_hint(paths, scheduler)}"
                                                  if paths and finished else ""))
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
            if result.get("runs"):
                timed["seconds"] += result.get("seconds", 0.0)
                timed["person_weeks"] += sum(task_cost(t) for t in chunk)
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
        "constants": plan.experiment.get("constants"),
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
    except pa.ArrowException as err:
        if isinstance(err, OSError) and err.errno:  # a write error: as below
            raise UsageError(f"could not write {paths.out}: {err}. Every finished run is "
                             f"saved in {paths.parts}; fix the problem, then carry on with: "
                             f"{_resume_hint(paths, scheduler)}") from None
        raise UsageError(f"a part file in {paths.parts} is damaged ({' '.join(str(err).split())}"
                         f"); nothing was published. Remove {paths.parts} to run everything "
                         "again, or the damaged file, then carry on with: "
                         f"{_resume_hint(paths, scheduler)}") from None
    except OSError as err:
        raise UsageError(f"could not write {err.filename or paths.out}: {err.strerror or err}. "
                         f"Every finished run is saved in {paths.parts}; fix the problem, then "
                         f"carry on with: {_resume_hint(paths, scheduler)}") from None
    return SweepResult(lambda: read_table(paths.runs),
                       (lambda: read_table(paths.weekly)) if plan.weekly else None,
                       failures, plan, manifest, paths, notes)



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
            result = load_results(paths.out)
            result.notes.append(f"Already finished: every run of {paths.out} has finished; "
                                "nothing to resume.")
            return result
        raise UsageError(f"nothing to resume at {paths.out}: no {paths.parts.name} folder")
    plan = Plan.from_dict(header["plan"])
    return run_experiment(plan, paths.out, workers=workers, scheduler=scheduler,
                          chunk_size=chunk_size, progress=progress,
                          yes=yes or header.get("size_confirmed") is True,
                          command=header.get("command", "sweep"), on_chunk=on_chunk)
