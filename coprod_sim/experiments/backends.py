"""Where runs are computed: in this process, in local worker processes, or on Dask.

Each backend takes an iterator of chunks and yields ``(chunk, result)`` as
chunks finish, keeping only a few chunks per worker in flight.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from coprod_sim.cli import UsageError
from coprod_sim.experiments.provenance import package_versions
from coprod_sim.experiments.worker import run_chunk, watch_parent, worker_versions

#: How long to wait for a Dask scheduler given by address.
CONNECT_TIMEOUT = "15s"

#: Seconds without any Dask worker before the sweep stops and says how to resume.
WORKERS_GONE_AFTER = 30.0

#: Seconds between checks on the Dask workers while waiting for results.
POLL_SECONDS = 2.0

#: Chunks in flight per worker (local processes and Dask).
IN_FLIGHT_PER_WORKER = 2

#: Most runs in one automatically sized chunk (bounds the memory of one result;
#: chunks of costly runs are smaller, see :data:`CHECKPOINT_SECONDS`).
MAX_CHUNK = 250

#: Most seconds of work in one automatically sized chunk: a chunk is saved when
#: it is done, so a stop loses at most about this much per worker.
CHECKPOINT_SECONDS = 30.0

#: Seconds per run-person-week assumed before any chunk has been timed (cautious:
#: a loaded laptop core; the engine's measured pace is several times faster).
PRIOR_SECONDS_PER_PERSON_WEEK = 4e-5

#: Fewest runs in an automatically sized chunk (while that many remain). A worker
#: computes a chunk as batches of the engine, and a chunk's fixed costs (setting
#: up a batch, building and converting its tables) are paid once per chunk, so
#: small chunks cost more per run (measured by ``benchmarks/bench_engine.py``).
MIN_CHUNK = 32

#: Guided scheduling: a chunk holds about 1/GUIDED of a worker's share of what is left.
GUIDED = 3


#: Dask settings for sweep workers (set them where the workers start, e.g. in the
#: cluster's ``distributed.yaml``, or with ``dask.config.set`` before a
#: ``LocalCluster``): runs are pure Python, so Dask's sampling profiler (every
#: 10 ms) slows them, and the event loop's housekeeping (ticks, system and
#: memory monitors) costs processor time on every worker while runs compute;
#: compressing results (lz4) costs more than it saves between processes on one
#: machine or a fast network, and chunks are sized so that stealing gains nothing.
DASK_SWEEP_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.comm.compression": None,
    "distributed.scheduler.work-stealing": False,
}

#: What a pool of local processes that broke before finishing any work most likely means.
GUARD_MESSAGE = ("the worker processes stopped before finishing any work: in a Python script, "
                 "put the code that runs the sweep under `if __name__ == \"__main__\":` "
                 "(worker processes import the script again; see docs/research.md)")


def refuse_while_bootstrapping() -> None:
    """Stop a worker process that is importing a script without a ``__main__`` guard.

    A worker started by ``spawn`` or ``forkserver`` imports the main script
    again; a sweep at the script's top level would then start in the worker
    too. The worker exits with one line instead of a traceback, and the
    sweep that started it says what to do (:data:`GUARD_MESSAGE`).
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise SystemExit("coprod-sim: " + GUARD_MESSAGE)


Chunk = list[tuple[Any, ...]]


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


def task_cost(task: Any) -> float:
    """A run's size in person-weeks (0 when the task does not say)."""
    try:
        values = task[2]
        return float(values["n_people"]) * float(values["weeks"])
    except (TypeError, KeyError, IndexError, ValueError):
        return 0.0


def iter_chunks(pending: Iterator[int], remaining: int, tasks: Callable[[int], Any],
                workers: Callable[[], int], chunk_size: int | None = None,
                pace: Callable[[], float | None] | None = None) -> Iterator[list[Any]]:
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

    Chunks are also cut by time: a chunk is saved when it is done, so an
    automatically sized chunk holds at most about :data:`CHECKPOINT_SECONDS`
    of work, by its runs' size in person-weeks times ``pace()`` (seconds per
    person-week measured on the chunks done so far; before any is done, the
    cautious :data:`PRIOR_SECONDS_PER_PERSON_WEEK`). A stop then loses at most
    about that much work per worker, however long a run takes.
    """
    smallest = min(MAX_CHUNK, max(MIN_CHUNK, math.ceil(remaining / (max(1, workers()) * 40))))
    while remaining > 0:
        if chunk_size:
            chunk = [tasks(r) for r in itertools.islice(pending, chunk_size)]
        else:
            size = min(MAX_CHUNK, max(smallest, math.ceil(
                remaining / (max(1, workers()) * GUIDED))))
            rate = (pace() if pace is not None else None) or PRIOR_SECONDS_PER_PERSON_WEEK
            chunk, spent = [], 0.0
            for r in itertools.islice(pending, size):
                task = tasks(r)
                chunk.append(task)
                spent += task_cost(task) * rate
                if spent >= CHECKPOINT_SECONDS:
                    break
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def make_chunks(tasks: Sequence[Any], workers: int, chunk_size: int | None = None
                ) -> list[list[Any]]:
    """Split a list of tasks into chunks as :func:`iter_chunks` would."""
    return list(iter_chunks(iter(range(len(tasks))), len(tasks), lambda i: tasks[i],
                            lambda: workers, chunk_size))


def _serial(chunks: Iterator[Chunk], weekly: bool, constants: dict[str, Any] | None = None
            ) -> Iterator[tuple[Chunk, Any]]:
    for chunk in chunks:
        yield chunk, run_chunk(chunk, weekly, constants)


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
               start_method: str | None = None, constants: dict[str, Any] | None = None
               ) -> Iterator[tuple[Chunk, Any]]:
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
            inflight[pool.submit(run_chunk, chunk, weekly, constants)] = chunk

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


def _dask(chunks: Iterator[Chunk], weekly: bool, client: Any, own: bool,
          constants: dict[str, Any] | None = None) -> Iterator[tuple[Chunk, Any]]:
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
            inflight[client.submit(run_chunk, chunk, weekly, constants, pure=False)] = chunk

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



def backend_name(backend: str, workers: int, scheduler: Any) -> str:
    """A short description of the backend, for messages and the manifest."""
    if backend == "dask":
        where = scheduler if isinstance(scheduler, str) else type(scheduler).__name__
        return f"dask ({where})"
    if backend == "processes":
        return f"local processes ({workers} worker{'s' if workers > 1 else ''})"
    return "serial (this process)"
