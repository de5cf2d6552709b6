"""Sweep throughput: runs per second with 1 and 2 workers, local processes and Dask.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sweep.py            # 192 runs per timing
    .venv/bin/python benchmarks/bench_sweep.py --runs 384 --repeat 3
    .venv/bin/python benchmarks/bench_sweep.py --scale 10000 --weeks 8 --people 40

Each timing is a whole ``run_experiment`` call (planning, chunking, running,
collecting and assembling the tidy tables; nothing written to disk). Worker
start-up is not timed: the fork server (local processes) and the Dask
workers are warmed first, as they are in a long session or on a cluster. The
Dask workers run with Dask's sampling profiler off (see docs/research.md).
Parallel efficiency = (runs/s with 2 workers) / (2 x runs/s with 1 worker);
the floor is a speed-up of at least 1.8 (efficiency 0.90).

On a shared or virtual machine two runs at once can each run slower (shared
caches, memory, host cores, other programs). So the benchmark also times two
bare processes with no runner at all, taking turns with the runner's timings:
that is the machine's ceiling at that moment, and the share of it the runner
reaches is what the runner itself controls.

``--scale RUNS`` measures instead a sweep streamed to disk (runs and weekly
tables as Parquet datasets): its throughput and the peak resident memory of
the client (this process) and of the workers, at RUNS/10 and RUNS runs, and
extrapolates both to 10^5 runs. The goal is a client that stays under 1 GB.
"""

from __future__ import annotations

import argparse
import os
import time

from coprod_sim.experiments import experiment_from_dict, run_experiment


def experiment(runs: int, weeks: int, people: int, seed: int = 1):
    return experiment_from_dict({
        "name": "bench", "base": "mixed_methods", "weeks": weeks, "seed": seed,
        "replicates": runs // 4, "set": {"n_people": people}, "same_seeds": False,
        "design": {"kind": "grid"}, "factors": {"power_sharing": [0.2, 0.8],
                                                "feedback_rationale": [False, True]},
        "outputs": {"weekly": True}})


def timed_once(exp, workers: int, **kwargs) -> tuple[float, float, float, float]:
    """One timing: runs/s, processor share, busy share and processor ms per run.

    * processor share: the workers' processor time over their wall time; well
      below 100% means other programs were taking the processors;
    * busy share: the workers' time running chunks over (workers x wall time):
      how well the runner keeps every worker fed (overhead shows here);
    * processor ms per run: rises when parallel runs slow each other down
      (shared caches, memory or host cores), which no runner can avoid.
    """
    start = time.perf_counter()
    result = run_experiment(exp, progress=False, workers=workers, **kwargs)
    seconds = time.perf_counter() - start
    assert result.complete, result.failures[:1]
    m = result.manifest
    busy, cpu = m["worker_seconds_this_session"], m["worker_cpu_seconds_this_session"]
    return (len(result.runs) / seconds, cpu / busy, busy / (workers * seconds),
            1000 * cpu / len(result.runs))


def interleaved(exp, repeat: int, settings: dict) -> dict:
    """Best timing of each setting; settings take turns so they meet the same conditions.

    A setting is keyword arguments for :func:`timed_once` or a callable returning
    the same tuple.
    """
    best: dict = {name: (0.0, 0.0, 0.0, 0.0) for name in settings}
    for _ in range(repeat):
        for name, how in settings.items():
            best[name] = max(best[name], how() if callable(how) else timed_once(exp, **how))
    return best


def _bare(tasks) -> None:
    from coprod_sim.experiments.worker import run_tasks
    for _ in run_tasks(tasks):  # the runs as batches of the engine, results dropped
        pass


class Bare:
    """Two bare processes, each running its half of the runs.

    No chunks, no results sent back, no tables: the best any runner could do on
    this machine at that moment (parallel runs slow each other down on shared
    hardware). Each half is computed as batches of the engine, as a worker
    computes a chunk. Calling it times one pass.
    """

    def __init__(self, exp, workers: int = 2):
        from concurrent.futures import ProcessPoolExecutor

        from coprod_sim.experiments.execute import build_plan, process_context
        plan = build_plan(exp)
        tasks = [(r, plan.points[p][0], plan.values(p), s) for r, p, _, s in plan.runs]
        self.n = len(tasks)
        self.shares = [tasks[i::workers] for i in range(workers)]
        self.pool = ProcessPoolExecutor(workers, mp_context=process_context())
        list(self.pool.map(_bare, [t[:1] for t in self.shares]))  # start the workers

    def __call__(self) -> tuple[float, float, float, float]:
        start = time.perf_counter()
        list(self.pool.map(_bare, self.shares))
        return (self.n / (time.perf_counter() - start), 0.0, 0.0, 0.0)


def report(name: str, one: tuple, two: tuple) -> bool:
    speedup = two[0] / one[0]
    print(f"{name:<18} 1 worker {one[0]:5.1f} runs/s  2 workers {two[0]:5.1f} runs/s  "
          f"speed-up {speedup:4.2f}x  efficiency {speedup / 2:4.0%}  "
          f"{'OK' if speedup >= 1.8 else 'BELOW the 1.8x floor'}")
    for label, t in (("1 worker", one), ("2 workers", two)):
        print(f"{'':<18}   {label:<9}: processor share {t[1]:4.0%}, busy {t[2]:4.0%}, "
              f"{t[3]:.0f} processor ms per run")
    return speedup >= 1.8


class Peak:
    """Samples the resident memory of this process (the client) and its children."""

    def __init__(self, every: float = 0.1):
        import threading

        import psutil
        self.proc = psutil.Process()
        self.client = self.children = 0
        self.every, self._stop = every, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil
        while not self._stop.is_set():
            self.client = max(self.client, self.proc.memory_info().rss)
            total = 0
            for child in self.proc.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.children = max(self.children, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()


def scale_once(runs: int, weeks: int, people: int, workers: int, folder) -> dict:
    """One streamed sweep to disk: seconds, peak memory, memory over time, rows written."""
    import gc

    from coprod_sim.experiments import load_results
    gc.collect()
    out = folder / f"scale-{runs}.parquet"
    exp = experiment(runs, weeks, people)
    trace: list[tuple[int, int]] = []
    with Peak() as peak:
        def note(done, total):
            trace.append((done, peak.proc.memory_info().rss))
        start = time.perf_counter()
        result = run_experiment(exp, out, workers=workers, progress=False, on_chunk=note)
        seconds = time.perf_counter() - start
    assert result.complete, result.failures[:1]
    loaded = load_results(out)  # lazy: counts rows from the Parquet metadata
    weekly_rows = loaded.weekly_dataset.count_rows()
    files = len(list(out.glob("*.parquet")))
    m = result.manifest
    return {"runs": runs, "seconds": seconds, "client": peak.client, "workers": peak.children,
            "weekly_rows": weekly_rows, "files": files, "trace": trace,
            "busy": m["worker_seconds_this_session"] / (workers * seconds),
            "bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())}


def growth(trace: list[tuple[int, int]]) -> float:
    """Bytes of client memory per run over the second half of a sweep (least squares)."""
    import numpy as np
    half = trace[len(trace) // 2:]
    if len(half) < 3:
        return 0.0
    x = np.array([d for d, _ in half], dtype=float)
    y = np.array([r for _, r in half], dtype=float)
    return float(np.polyfit(x, y, 1)[0])


def scale(runs: int, weeks: int, people: int, workers: int) -> int:
    """Peak memory and throughput of a streamed sweep of ``runs`` runs, and the extrapolation."""
    import shutil
    import tempfile
    from pathlib import Path

    from coprod_sim.experiments.worker import run_one
    mb = 1024 * 1024
    print(f"Scale: {runs:,} runs of {people} people x {weeks} weeks (short runs, so the "
          f"benchmark takes minutes), {workers} local workers, runs and weekly tables "
          f"streamed to Parquet; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")
    run_experiment(experiment(8, 4, 40, seed=99), workers=workers, progress=False)  # warm
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        big = scale_once(runs, weeks, people, workers, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rate = big["runs"] / big["seconds"]
    print(f"  {big['runs']:,} runs in {big['seconds']:.1f} s: {rate:.1f} runs/s (workers busy "
          f"{big['busy']:.0%} of the time)")
    print(f"  peak resident memory: client {big['client'] / mb:.0f} MB, workers together "
          f"{big['workers'] / mb:.0f} MB")
    print(f"  written: {big['weekly_rows']:,} weekly rows and {big['runs']:,} run rows in "
          f"{big['files']} part files per table, {big['bytes'] / mb:.0f} MB on disk")
    per_run = max(0.0, growth(big["trace"]))
    target = 100_000
    client = big["client"] + per_run * (target - big["runs"])
    t0 = time.perf_counter()
    for i in range(3):
        run_one("x", {"n_people": people, "weeks": 52}, i)
    long_run = (time.perf_counter() - t0) / 3
    t0 = time.perf_counter()
    for i in range(3):
        run_one("x", {"n_people": people, "weeks": weeks}, i)
    short_run = (time.perf_counter() - t0) / 3
    print(f"  client memory over the second half of the sweep grows {per_run / 1024:.2f} KB "
          "per run (least squares)")
    print(f"Extrapolation to {target:,} runs: client peak about {client / mb:.0f} MB "
          f"({'within' if client < 1024 * mb else 'ABOVE'} the 1 GB goal); "
          f"{target / rate / 60:.0f} min at {weeks} weeks with {workers} workers here; at 52 "
          f"weeks about {target / rate * long_run / short_run / 3600:.1f} h (one 52-week run "
          f"takes {long_run / short_run:.1f}x a {weeks}-week run).")
    return 0 if client < 1024 * mb else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=192, help="runs per timing (multiple of 4)")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="timings per setting (best kept)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--scale", type=int, metavar="RUNS", default=None,
                        help="instead: peak memory and throughput of a streamed sweep of RUNS "
                        "runs to Parquet (and of RUNS/10), with the extrapolation to 10^5 "
                        "(e.g. --scale 10000 --weeks 8 --people 40)")
    parser.add_argument("--workers", type=int, default=2, help="workers for --scale")
    args = parser.parse_args()
    if args.scale:
        return scale(args.scale, args.weeks, args.people, args.workers)
    exp = experiment(args.runs, args.weeks, args.people)
    warm = experiment(8, 4, 40, seed=99)
    print(f"{args.runs} runs of {args.people} people x {args.weeks} weeks per timing; "
          f"{os.cpu_count()} CPUs; best of {args.repeat}; load average "
          f"{os.getloadavg()[0]:.2f}")

    serial, share, _, cpu = interleaved(exp, args.repeat, {"serial": {"workers": 1}})["serial"]
    print(f"{'in-process (no pool)':<18} {serial:5.1f} runs/s ({1000 / serial:.0f} ms per run, "
          f"{cpu:.0f} processor ms; processor share {share:.0%})")

    ok = True
    run_experiment(warm, workers=2, progress=False)  # start (and warm) the fork server
    bare = Bare(exp)
    local = interleaved(exp, args.repeat, {1: {"workers": 1, "backend": "processes"},
                                           2: {"workers": 2, "backend": "processes"},
                                           "bare": bare})
    bare.pool.shutdown()
    ok &= report("local processes", local[1], local[2])
    bare = local["bare"][0]
    print(f"{'bare processes':<18} 2 processes {bare:5.1f} runs/s with no runner at all "
          f"({bare / local[1][0]:.2f}x one worker): the machine's own ceiling now; the "
          f"local runner reaches {local[2][0] / bare:.0%} of it")

    if not args.no_dask:
        import dask
        from distributed import Client, LocalCluster
        # Runs are pure Python: Dask's sampling profiler (every 10 ms) slows them.
        quiet = {"distributed.worker.profile.enabled": False}
        with dask.config.set(quiet), \
                LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                             dashboard_address=":0") as one, Client(one) as client1, \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                             dashboard_address=":0") as two, Client(two) as client2:
            for client in (client1, client2):
                run_experiment(warm, scheduler=client, progress=False, chunk_size=1)
            rates = interleaved(exp, args.repeat, {1: {"workers": 1, "scheduler": client1},
                                                   2: {"workers": 2, "scheduler": client2}})
        ok &= report("dask LocalCluster", rates[1], rates[2])
    print(f"Load average now {os.getloadavg()[0]:.2f}. A processor share well below 100% "
          "means other programs were using the processors: rerun on an idle machine.")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
