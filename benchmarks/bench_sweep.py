"""Sweep throughput: runs per second with 1 and 2 workers, local processes and Dask.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sweep.py            # 192 runs per timing
    .venv/bin/python benchmarks/bench_sweep.py --runs 384 --repeat 3

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
    from coprod_sim.experiments.worker import run_one
    for _, name, values, seed in tasks:
        run_one(name, values, seed)


class Bare:
    """Two bare processes, each running its half of the runs.

    No chunks, no results sent back, no tables: the best any runner could do on
    this machine at that moment (parallel runs slow each other down on shared
    hardware). Calling it times one pass.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=192, help="runs per timing (multiple of 4)")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="timings per setting (best kept)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    args = parser.parse_args()
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
