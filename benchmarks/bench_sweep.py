"""Sweep throughput: runs per second with 1 and 2 workers, local processes and Dask.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sweep.py            # 192 runs per timing
    .venv/bin/python benchmarks/bench_sweep.py --runs 384 --repeat 3
    .venv/bin/python benchmarks/bench_sweep.py --scale                 # 10^6 runs (hours)
    .venv/bin/python benchmarks/bench_sweep.py --scale --runs 20000    # minutes

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

``--scale`` measures instead a sweep of ``--runs`` short runs (default 10^6
runs of 40 people x 8 weeks) streamed to disk, with 2 local worker processes
and then with a Dask LocalCluster of 2 single-threaded worker processes: the
client's peak resident memory (goal: under 300 MB), the bytes on disk per
run, runs per CPU-second (client and every worker process, from psutil) and
the ratio of Dask's CPU per run to local processes' (goal: at most 1.1), each
extrapolated to 10^6 runs.
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
    """Samples this process (the client) and every process below it: peak memory, CPU.

    Processor time is summed over every process seen (worker processes that
    end during the sweep count with their last sample), less what each had
    used when sampling began; the client's own processor time is included.
    """

    def __init__(self, every: float = 0.1):
        import threading

        import psutil
        self.proc = psutil.Process()
        self.client = self.children = 0
        self.cpu: dict[int, float] = {}
        self.base: dict[int, float] = {}
        self.every, self._stop = every, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        for child in [self.proc, *self.proc.children(recursive=True)]:
            try:
                t = child.cpu_times()
                self.base[child.pid] = t.user + t.system
            except psutil.Error:
                pass

    def _sample(self) -> None:
        import psutil
        self.client = max(self.client, self.proc.memory_info().rss)
        total = 0
        for child in [self.proc, *self.proc.children(recursive=True)]:
            try:
                t = child.cpu_times()
                self.cpu[child.pid] = t.user + t.system
                if child.pid != self.proc.pid:
                    total += child.memory_info().rss
            except psutil.Error:
                pass
        self.children = max(self.children, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    @property
    def cpu_seconds(self) -> float:
        """Processor seconds of the client and every worker since sampling began."""
        return sum(v - self.base.get(pid, 0.0) for pid, v in self.cpu.items())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()
        self._sample()


def scale_experiment(runs: int, weeks: int, people: int):
    """``runs`` short runs: 400 design points (a grid) x enough replicates."""
    return experiment_from_dict({
        "name": "bench_scale", "base": "mixed_methods", "weeks": weeks, "seed": 3,
        "replicates": max(1, -(-runs // 400)), "set": {"n_people": people},
        "same_seeds": False, "design": {"kind": "grid"},
        "factors": {"power_sharing": {"steps": 100}, "feedback_rationale": [False, True],
                    "pay_expenses": [False, True]},
        "outputs": {"weekly": True}})


def scale_once(exp, folder, label: str, **how) -> dict:
    """One streamed sweep to disk: seconds, CPU, peak memory, files and bytes written."""
    import gc

    from coprod_sim.experiments import load_results
    gc.collect()
    out = folder / f"{label}.parquet"
    with Peak() as peak:
        start = time.perf_counter()
        result = run_experiment(exp, out, progress=False, yes=True, **how)
        seconds = time.perf_counter() - start
    assert result.complete, result.failures[:1]
    loaded = load_results(out)  # lazy: counts rows from the Parquet metadata
    runs = len(exp_runs(result))
    written = [p for p in folder.glob(f"{label}*") if p.name != f"{label}.parts"]
    size = sum(f.stat().st_size for p in written for f in ([p] if p.is_file()
                                                           else p.rglob("*")) if f.is_file())
    return {"runs": runs, "seconds": seconds, "cpu": peak.cpu_seconds, "client": peak.client,
            "in_runs": result.manifest["worker_cpu_seconds_this_session"],
            "workers": peak.children, "weekly_rows": loaded.weekly_dataset.count_rows(),
            "files": (len(list(out.glob("*.parquet"))),
                      len(list(folder.glob(f"{label}.weekly.parquet/*.parquet")))),
            "bytes": size}


def exp_runs(result) -> range:
    return range(result.runs_finished)


def scale(runs: int, weeks: int, people: int, workers: int, dask_too: bool) -> int:
    """Client memory, disk per run and runs per CPU-second of a streamed sweep; Dask beside."""
    import shutil
    import tempfile
    from pathlib import Path

    mb = 1024 * 1024
    target = 10**6
    print(f"Scale: {runs:,} runs of {people} people x {weeks} weeks, {workers} workers, runs "
          f"and weekly tables streamed to Parquet; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")
    exp = scale_experiment(runs, weeks, people)
    warm = scale_experiment(8, 2, 40)
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    results = {}
    try:
        run_experiment(warm, workers=workers, progress=False)  # start the fork server
        results["local processes"] = scale_once(exp, folder, "local", workers=workers,
                                                backend="processes")
        if dask_too:
            import dask
            from distributed import Client, LocalCluster

            from coprod_sim.experiments.backends import DASK_SWEEP_CONFIG
            with dask.config.set(DASK_SWEEP_CONFIG), \
                    LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster, Client(cluster) as client:
                run_experiment(warm, scheduler=client, progress=False)
                results["dask LocalCluster"] = scale_once(exp, folder, "dask",
                                                          scheduler=client)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name, r in results.items():
        per_cpu = r["runs"] / r["cpu"]
        print(f"{name}: {r['runs']:,} runs in {r['seconds']:.0f} s, {r['cpu']:.0f} CPU-s "
              f"(client and workers): {per_cpu:.0f} runs per CPU-second, "
              f"{r['runs'] / r['seconds']:.0f} runs/s")
        print(f"  of which {r['in_runs']:.0f} CPU-s computing chunks in the workers, "
              f"{r['cpu'] - r['in_runs']:.0f} CPU-s everything else (client, scheduler, "
              "transfers, housekeeping)")
        print(f"  peak resident memory: client {r['client'] / mb:.0f} MB, workers together "
              f"{r['workers'] / mb:.0f} MB")
        print(f"  disk: {r['bytes'] / r['runs']:.0f} bytes per run ({r['weekly_rows']:,} weekly "
              f"rows; {r['files'][0]} runs file(s), {r['files'][1]} weekly file(s))")
        print(f"  at 10^6 runs: about {target / per_cpu / 3600:.1f} CPU-hours, "
              f"{target / r['runs'] * r['seconds'] / 3600:.1f} h on this machine as loaded "
              f"now, {r['bytes'] / r['runs'] * target / 1e9:.1f} GB on disk")
    small = all(r["client"] < 300 * mb for r in results.values())
    ok = small
    if len(results) == 2:
        local, dsk = results["local processes"], results["dask LocalCluster"]
        ratio = (dsk["cpu"] / dsk["runs"]) / (local["cpu"] / local["runs"])
        print(f"Dask costs {ratio:.2f}x the CPU per run of local processes (goal: at most "
              f"1.1x): {'OK' if ratio <= 1.1 else 'ABOVE the goal'}")
        ok &= ratio <= 1.1
    print("Client memory " + ("under" if small else "NOT all under") + " the 300 MB goal.")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=192, help="runs per timing (multiple of 4)")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="timings per setting (best kept)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--scale", action="store_true",
                        help="instead: a sweep of --runs short runs streamed to Parquet with "
                        "local processes and Dask: client memory, disk per run, runs per "
                        "CPU-second, extrapolated to 10^6 runs (defaults: 10^6 runs of 40 "
                        "people x 8 weeks)")
    parser.add_argument("--workers", type=int, default=2, help="workers for --scale")
    args = parser.parse_args()
    if args.scale:
        runs = 10**6 if args.runs == 192 else args.runs
        weeks = 8 if args.weeks == 52 else args.weeks
        people = 40 if args.people == 200 else args.people
        return scale(runs, weeks, people, args.workers, not args.no_dask)
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
