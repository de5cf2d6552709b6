"""Speed of a default run against Mesa's own Boltzmann wealth example.

Times, in one process and interleaved (so machine noise hits both alike):

- a default coprod-sim run (about 200 people + 15 staff, 52 weeks), including
  building the model and the weekly table;
- Mesa's Boltzmann wealth model (shipped inside the mesa package) with the
  same number of agents and steps, including building it.

Prints the median wall time of each, microseconds per agent-step, and their
ratio (coprod-sim / Boltzmann; the floor is <= 1.0), plus a 5,000-person run.

    .venv/bin/python benchmarks/bench_model.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

from coprod_sim import Scenario, run


def time_coprod(scenario: Scenario, seed: int) -> float:
    start = time.perf_counter()
    run(scenario, seed=seed)
    return time.perf_counter() - start


def time_boltzmann(n_agents: int, steps: int, seed: int) -> float:
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    side = max(2, round(n_agents ** 0.5))
    start = time.perf_counter()
    model = BoltzmannWealth(BoltzmannScenario(n=n_agents, width=side, height=side, rng=seed))
    for _ in range(steps):
        model.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scenario = Scenario()
    agents = scenario.n_people + scenario.n_staff
    steps = scenario.weeks
    time_coprod(scenario, 0)  # warm up imports and caches
    time_boltzmann(agents, steps, 0)
    ours, theirs = [], []
    for seed in range(args.repeats):
        ours.append(time_coprod(scenario, seed))
        theirs.append(time_boltzmann(agents, steps, seed))
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    per_ours = ours_s / (agents * steps) * 1e6
    per_theirs = theirs_s / (agents * steps) * 1e6
    print(f"agents: {agents} ({scenario.n_people} people + {scenario.n_staff} staff), "
          f"steps: {steps}, repeats: {args.repeats} (medians)")
    print(f"coprod-sim default run:  {ours_s * 1000:8.1f} ms  {per_ours:6.2f} us/agent-step")
    print(f"Mesa Boltzmann wealth:   {theirs_s * 1000:8.1f} ms  {per_theirs:6.2f} us/agent-step")
    print(f"ratio (coprod-sim / Boltzmann per agent-step): {per_ours / per_theirs:.2f} "
          f"(floor: <= 1.00)")
    big = scenario.replace(n_people=5000, n_staff=100)
    big_s = statistics.median(time_coprod(big, seed) for seed in range(3))
    print(f"5,000 people + 100 staff, 52 weeks: {big_s * 1000:.0f} ms "
          f"({big_s / (5100 * steps) * 1e6:.2f} us/agent-step)")


if __name__ == "__main__":
    main()
