"""The batched engine: one run, 20 replicates, 5,000 people and sweep throughput.

Prints, for the code under test (this checkout) and, with ``--old``, side by
side for the code before the batched engine (another checkout), each
measured in a fresh process, the two taking turns so machine noise hits both
alike:

- one default run (200 people + 15 staff, 52 weeks, built and run), median;
- 20 replicates of it (``run_replicates``, seeds 0-19), median, and the ratio
  to one run (floor: at most 4x; goal 2x);
- 5,000 people + 100 staff, 52 weeks: one run, and a batch of four computed
  together (memory: the peak of the numbers held while the batch runs,
  traced with ``tracemalloc``, per person of each run held at once, and the
  process's peak resident memory);
- the memory of a batch of 20 default runs, per run-person;
- sweep throughput in runs per second (``run_experiment`` of 240 runs of the
  default scenario with two levers varied, nothing written to disk): in this
  process, and on local processes with one and with two workers (fork server
  warmed first, as in ``bench_sweep.py``). Floor: one worker at least 5x the
  code before the change.

Each time is given as wall time and as processor time (``time.process_time``
of the process, plus the workers' own for sweeps): on a shared machine other
programs take the processors, which lengthens wall times but not processor
times.

Run from the repository root::

    .venv/bin/python benchmarks/bench_engine.py
    git worktree add /tmp/coprod-old 4fa3062     # the code before the change
    .venv/bin/python benchmarks/bench_engine.py --old /tmp/coprod-old --rounds 2

``--old PATH`` is a checkout of the code before the change; each of its
figures is taken with ``PYTHONPATH=PATH``. Figures are medians within a
process and the best over ``--rounds`` processes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
MB = 1024 * 1024


# ---------------------------------------------------------------------------
# Probes (run in a fresh process, against whichever coprod_sim is on the path)
# ---------------------------------------------------------------------------
def _batched() -> bool:
    """Whether the coprod_sim imported here has the batched engine.

    Looks beside the imported package, not through the import system: an
    editable install's finder would find this checkout's engine for an older one.
    """
    from pathlib import Path

    import coprod_sim
    return (Path(coprod_sim.__file__).parent / "engine.py").exists()


def probe_runs(repeats: int) -> dict:
    """Median seconds of one default run and of 20 replicates of it."""
    from coprod_sim import Scenario, run, run_replicates

    scenario = Scenario()
    run(scenario, seed=99)  # warm imports and caches
    run_replicates(scenario, seeds=range(20))
    one, twenty, one_cpu, twenty_cpu = [], [], [], []
    for r in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        run(scenario, seed=r)
        one.append(time.perf_counter() - t)
        one_cpu.append(time.process_time() - c)
        if r % 3 == 0:
            t, c = time.perf_counter(), time.process_time()
            run_replicates(scenario, seeds=range(20))
            twenty.append(time.perf_counter() - t)
            twenty_cpu.append(time.process_time() - c)
    return {"one": statistics.median(one), "twenty": statistics.median(twenty),
            "one_cpu": statistics.median(one_cpu), "twenty_cpu": statistics.median(twenty_cpu)}


def _traced(fn) -> tuple[float, int]:
    """Seconds and the traced peak of numbers held (bytes) while ``fn`` runs."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return seconds, peak


def _batch(scenario, seeds) -> None:
    """Run the seeds together when the engine can (else one after another)."""
    if _batched():
        from coprod_sim.engine import run_batch
        run_batch([(scenario, s) for s in seeds], max_batch=len(seeds))
    else:
        from coprod_sim import run_replicates
        run_replicates(scenario, seeds=seeds)


def probe_big(k: int) -> dict:
    """5,000 people: one run, a batch of ``k`` (time, traced peak), peak RSS; default batch."""
    import resource

    from coprod_sim import Scenario, run

    run(Scenario(n_people=40, weeks=2), seed=0)  # warm
    big = Scenario(n_people=5000, n_staff=100)
    t = time.perf_counter()
    run(big, seed=0)
    one = time.perf_counter() - t
    t = time.perf_counter()
    _batch(big, list(range(1, k + 1)))
    batch = time.perf_counter() - t
    _, peak = _traced(lambda: _batch(big, list(range(1, k + 1))))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    _, small = _traced(lambda: _batch(Scenario(), list(range(20))))
    together = k if _batched() else 1
    return {"one": one, "batch": batch, "k": k, "peak": peak, "rss": rss,
            "per_run_person": peak / (together * 5000),
            "default_per_run_person": small / ((20 if _batched() else 1) * 200)}


def probe_sweep(runs: int, repeat: int) -> dict:
    """Best runs/s of a sweep in this process, and on one and two local worker processes."""
    sys.path.insert(0, str(HERE.parent))
    from bench_sweep import timed_once

    from coprod_sim.experiments import experiment_from_dict, run_experiment

    exp = experiment_from_dict({
        "name": "bench_engine", "base": "default", "seed": 1, "replicates": runs // 4,
        "same_seeds": False, "design": {"kind": "grid"},
        "factors": {"power_sharing": [0.2, 0.8], "feedback_rationale": [False, True]},
        "outputs": {"weekly": True}})
    warm = experiment_from_dict({"name": "warm", "base": "default", "weeks": 4, "seed": 9,
                                 "replicates": 2, "set": {"n_people": 40},
                                 "design": {"kind": "grid"},
                                 "factors": {"power_sharing": [0.2, 0.8]}})
    run_experiment(warm, workers=1, progress=False)
    run_experiment(warm, workers=2, progress=False)  # start (and warm) the fork server
    best = {"serial": 0.0, "1": 0.0, "2": 0.0, "serial_cpu": 0.0, "1_cpu": 0.0}
    for _ in range(repeat):
        for name, how in (("serial", {"workers": 1}),
                          ("1", {"workers": 1, "backend": "processes"}),
                          ("2", {"workers": 2, "backend": "processes"})):
            here = time.process_time()
            rate, _, _, worker_ms = timed_once(exp, **how)
            best[name] = max(best[name], rate)
            if name != "2":  # runs per processor-second: this process and the worker
                mine = time.process_time() - here  # serial: the runs are in it already
                per_run = mine / runs + (worker_ms / 1000 if name == "1" else 0.0)
                best[f"{name}_cpu"] = max(best[f"{name}_cpu"], 1 / per_run)
    return best


PROBES = {"runs": probe_runs, "big": probe_big, "sweep": probe_sweep}


# ---------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------
def measure(tree: Path, probe: str, *args: int) -> dict:
    """Run one probe in a fresh process with ``tree`` first on the path; its figures."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(HERE), "--probe", probe, *map(str, args)],
                         env=env, capture_output=True, text=True, check=False, cwd=str(tree))
    if out.returncode != 0:
        raise SystemExit(f"probe {probe} failed with PYTHONPATH={tree}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(figures: list[dict], key: str, high: bool = False) -> float:
    """The best value of ``key`` over rounds (lowest time, or highest rate)."""
    values = [f[key] for f in figures]
    return max(values) if high else min(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, default=None,
                        help="a checkout of the code before the change, to time side by side")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per figure")
    parser.add_argument("--repeats", type=int, default=15, help="single runs timed per process")
    parser.add_argument("--runs", type=int, default=240, help="runs per sweep timing")
    parser.add_argument("--repeat", type=int, default=2, help="sweep timings per process")
    parser.add_argument("--probe", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        name, *numbers = args.probe
        print(json.dumps(PROBES[name](*map(int, numbers))))
        return 0

    trees = {"new": ROOT} | ({"old": args.old.resolve()} if args.old else {})
    figures: dict[str, dict[str, list[dict]]] = {t: {"runs": [], "big": [], "sweep": []}
                                                 for t in trees}
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"{args.rounds} rounds, old and new taking turns")
    for _ in range(args.rounds):
        for probe, numbers in (("runs", (args.repeats,)), ("big", (4,)),
                               ("sweep", (args.runs, args.repeat))):
            for name, tree in trees.items():
                figures[name][probe].append(measure(tree, probe, *numbers))

    rows = []
    for name in trees:
        f = figures[name]
        one, twenty = best(f["runs"], "one"), best(f["runs"], "twenty")
        big = min(f["big"], key=lambda x: x["batch"])
        one_cpu, twenty_cpu = best(f["runs"], "one_cpu"), best(f["runs"], "twenty_cpu")
        rows.append((name, {
            "one default run (ms)": 1000 * one,
            "  one run, processor time (ms)": 1000 * one_cpu,
            "20 replicates (ms)": 1000 * twenty,
            "  20 replicates, processor time (ms)": 1000 * twenty_cpu,
            "20 replicates / one run": twenty / one,
            "  the same in processor time": twenty_cpu / one_cpu,
            "5,000 people, one run (ms)": 1000 * best(f["big"], "one"),
            "5,000 people, 4 runs (ms)": 1000 * big["batch"],
            "5,000 people, 4 runs: traced peak (MB)": big["peak"] / MB,
            "  per run-person held at once (bytes)": big["per_run_person"],
            "  process peak resident memory (MB)": big["rss"] / MB,
            "20 default runs: per run-person (bytes)": big["default_per_run_person"],
            "sweep in this process (runs/s)": best(f["sweep"], "serial", high=True),
            "  in this process, runs per processor-s": best(f["sweep"], "serial_cpu", high=True),
            "sweep, 1 worker process (runs/s)": best(f["sweep"], "1", high=True),
            "  1 worker, runs per processor-s": best(f["sweep"], "1_cpu", high=True),
            "sweep, 2 worker processes (runs/s)": best(f["sweep"], "2", high=True),
        }))
    names = [n for n, _ in rows]
    print(f"{'':<42}" + "".join(f"{n:>12}" for n in names)
          + ("     new/old" if len(rows) == 2 else ""))
    for key in rows[0][1]:
        values = [r[key] for _, r in rows]
        line = f"{key:<42}" + "".join(f"{v:12.1f}" for v in values)
        if len(rows) == 2 and values[1]:
            line += f"{values[0] / values[1]:12.2f}"
        print(line)
    new = rows[0][1]
    ok = new["20 replicates / one run"] <= 4.0
    print(f"20 replicates cost {new['20 replicates / one run']:.1f}x one run "
          f"(floor 4x, goal 2x): {'OK' if ok else 'ABOVE THE FLOOR'}")
    if len(rows) == 2:
        old = rows[1][1]
        gain = new["sweep, 1 worker process (runs/s)"] / old["sweep, 1 worker process (runs/s)"]
        key = "  1 worker, runs per processor-s"
        cpu_gain = new[key] / old[key]
        ok &= gain >= 5.0
        print(f"one-worker sweep: {gain:.1f}x the code before in runs/s, {cpu_gain:.1f}x in "
              f"runs per processor-second (floor 5x): "
              f"{'OK' if gain >= 5.0 else 'BELOW THE FLOOR'}; one run "
              f"{new['one default run (ms)']:.1f} ms against {old['one default run (ms)']:.1f}"
              " ms before")
    print(f"Load average now {os.getloadavg()[0]:.2f} (2 CPUs shared: rerun when idle).")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
