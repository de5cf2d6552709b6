"""Time an ABC-SMC posterior in one process and on local workers, and check they agree.

    python benchmarks/bench_posterior.py                       # a small targets file
    python benchmarks/bench_posterior.py --targets evidence --particles 60 \\
        --generations 3 --seeds 2 --workers 2

Prints wall time per backend, particles run, the serial run's processor
time, and whether the posteriors are identical (they must be:
the sampler proposes in batches and replays them in order).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

SMALL = """
[calibration]
seeds = 1
trials = 10
sampler_seed = 7
weeks = 26

[[fit]]
constant = "questionnaire_calibration"
low = 0.0
high = 3.0

[[fit]]
constant = "show_base"
low = 0.0
high = 4.0

[[target]]
name = "questionnaire"
measure = "questionnaire_response"
value = 0.3
tolerance = 0.1
source = "benchmark"
scenario = { preset = "questionnaire_only", n_people = 60 }

[[target]]
name = "no_show"
measure = "focus_group_no_show"
value = 0.2
tolerance = 0.1
source = "benchmark"
scenario = { preset = "focus_groups_only", n_people = 60 }
"""


def cpu() -> float:
    """Processor seconds of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    from coprod_sim.calibration.posterior import posterior
    from coprod_sim.calibration.targets import load

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", help="a targets file or 'evidence' (default: a small one)")
    p.add_argument("--particles", type=int, default=40)
    p.add_argument("--generations", type=int, default=2)
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.targets
        if path is None:
            path = Path(tmp) / "small.toml"
            path.write_text(SMALL)
        targets = load(path)
        results = {}
        for workers in (1, args.workers):
            c0, w0 = cpu(), time.perf_counter()
            res = posterior(targets, particles=args.particles, generations=args.generations,
                            seeds=args.seeds, workers=workers)
            wall, used = time.perf_counter() - w0, cpu() - c0
            n = res.posterior.info["evaluations"]
            results[workers] = res
            # worker processes are forked from a fork server, not from this process,
            # so their processor time is not counted here: only the serial run's is
            cost = (f"{used:6.1f} processor-s ({n / used:.1f} particles per processor-second)"
                    if workers == 1 else "workers' processor time not measured")
            print(f"{workers} worker(s): {wall:6.1f} s wall, {n} particles run "
                  f"({n / wall:.2f} per second), {cost}; tolerances "
                  + ", ".join(f"{e:.3g}" for e in res.generations["epsilon"]))
        a, b = (results[w].posterior.samples for w in (1, args.workers))
        print("identical posteriors:", bool(a.equals(b)))


if __name__ == "__main__":
    main()
