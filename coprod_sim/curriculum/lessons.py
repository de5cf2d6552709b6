"""Is every lesson true and robust? Re-run each moment and exercise on seeds the kit never uses.

A moment teaches a direction ("Plan B keeps more people involved"); an
exercise teaches that its starting plan falls short and that a sound plan
(the trainer's solution) meets every target. A lesson is only worth teaching
if it holds beyond the five seeds the kit shows. :func:`check_all` re-runs
every lesson on blocks of five seeds far from any the kit uses (from
:data:`FIRST_SEED` on), exactly as the kit would (the middle result of the
block), and counts the blocks where the lesson holds:

* a choice moment holds in a block when the plan the lesson names comes out
  best and ahead of the next plan by at least twice the moment's "about the
  same" threshold (or, for a lesson that the plans come out about the same,
  when every plan is within the threshold);
* a slider moment holds when its lesson's claim (for example "payback comes
  after the first year") is true of the block's middle result;
* an exercise holds when the trainer's solution meets every target and the
  starting plan (and each typical wrong answer) does not.

Every run of a lesson is computed as one batch (:func:`coprod_sim.runner.run_many`).
``python -m coprod_sim.curriculum.lessons`` prints the table; the tests
(``tests/test_lessons.py``) assert that each lesson holds in at least
:data:`PASS_SHARE` of the blocks.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from coprod_sim.curriculum.predict import (
    DOWN,
    SAME,
    UP,
    Compare,
    Direction,
    Estimate,
    Moment,
    final_values,
)
from coprod_sim.runner import run_many
from coprod_sim.scenario import Scenario

#: Blocks of seeds, and seeds per block (as many as a moment uses).
BLOCKS, BLOCK_SIZE = 20, 5
#: The first seed of the blocks: far from the seeds the kit shows (1-5), explains
#: with (1-3), draws its pictures with, and calibrates on.
FIRST_SEED = 10_000
#: Share of blocks in which a lesson must hold.
PASS_SHARE = 0.9
#: A choice moment's gap must be at least this many times its threshold.
GAP_FACTOR = 2.0


def blocks(n: int = BLOCKS, size: int = BLOCK_SIZE, first: int = FIRST_SEED
           ) -> list[tuple[int, ...]]:
    """``n`` blocks of ``size`` consecutive seeds from ``first``."""
    return [tuple(range(first + size * b, first + size * (b + 1))) for b in range(n)]


@dataclass(frozen=True)
class LessonCheck:
    """How one lesson fared over the blocks.

    Attributes:
        key: The moment or exercise key.
        claim: The lesson, in plain words.
        passing: Blocks in which it held.
        blocks: Blocks run.
        gap: Median over the blocks of the gap the lesson rests on (in the
            outcome's units; for an exercise, the share of targets met by the
            solution), or NaN when there is none.
        threshold: What the gap is compared with (twice the moment's threshold).
        seconds: Time taken.
    """

    key: str
    claim: str
    passing: int
    blocks: int
    gap: float
    threshold: float
    seconds: float

    @property
    def share(self) -> float:
        """Share of blocks in which the lesson held."""
        return self.passing / self.blocks if self.blocks else 0.0

    @property
    def holds(self) -> bool:
        """Whether the lesson held in at least :data:`PASS_SHARE` of the blocks."""
        return self.share >= PASS_SHARE

    def line(self) -> str:
        """One line for the table."""
        gap = (f"  middle result {self.gap:.4g}" if np.isnan(self.threshold) else
               f"  gap {self.gap:.4g} (needs {self.threshold:.4g})")
        return (f"{'ok  ' if self.holds else 'FAIL'} {self.key:<16} {self.passing:>2}/"
                f"{self.blocks} blocks{gap}  [{self.seconds:.1f} s]  {self.claim}")


#: Summaries of runs already made: ``{(plan, seed): summary}``. Lessons share
#: plans (the barrier moments share their Plan A, the support moments theirs),
#: so each is run once.
_RUNS: dict[tuple[str, int], dict] = {}


def _summaries(runs: Sequence[tuple[Scenario, int]]) -> list[dict]:
    """The summary of each ``(plan, seed)`` run; runs not made before are made as one batch."""
    keys = [(repr(sorted(sc.to_dict().items())), seed) for sc, seed in runs]
    todo = [(run, key) for run, key in zip(runs, keys, strict=True) if key not in _RUNS]
    if todo:
        for (_, key), r in zip(todo, run_many([run for run, _ in todo]), strict=True):
            _RUNS[key] = r.summary
    return [_RUNS[key] for key in keys]


def _values(scenarios: Sequence[Scenario], outcome: str, weeks: int,
            seed_blocks: Sequence[Sequence[int]]) -> np.ndarray:
    """Final value of ``outcome``: array [scenario, block, seed], all new runs in one batch."""
    seeds = [s for block in seed_blocks for s in block]
    runs = [(sc.replace(weeks=weeks), seed) for sc in scenarios for seed in seeds]
    out = []
    for summary in _summaries(runs):
        v = summary[outcome]
        if outcome == "payback_week" and v is None:
            v = summary["weeks"] + 1
        out.append(float(v))
    return np.array(out).reshape(len(scenarios), len(seed_blocks), len(seed_blocks[0]))


def check_compare(moment: Compare, expected: str,
                  seed_blocks: Sequence[Sequence[int]] | None = None) -> LessonCheck:
    """Check a choice moment's lesson: ``expected`` (a plan label, or "About the same")."""
    seed_blocks = seed_blocks or blocks()
    t0 = time.perf_counter()
    values = _values([p.scenario for p in moment.plans], moment.outcome, moment.weeks,
                     seed_blocks)
    mids = np.median(values, axis=2)  # [plan, block]
    labels = [p.label for p in moment.plans]
    need = GAP_FACTOR * moment.same_within
    sign = -1.0 if moment.lowest else 1.0
    passing, gaps = 0, []
    for b in range(len(seed_blocks)):
        m = sign * mids[:, b]
        if expected == SAME:
            gap = float(m.max() - m.min())
            ok = gap < moment.same_within
        elif expected.startswith("not:"):
            i = labels.index(expected[4:])
            gap = float(np.delete(m, i).max() - m[i])  # how far it is from coming out ahead
            ok = gap > -moment.same_within
        else:
            i = labels.index(expected)
            gap = float(m[i] - np.delete(m, i).max())
            ok = gap >= need
        gaps.append(gap)
        passing += ok
    if expected == SAME:
        claim = (f"the plans come out about the same on {moment.outcome} "
                 f"(within {moment.same_within:g})")
        need = moment.same_within
    elif expected.startswith("not:"):
        claim = (f"'{expected[4:]}' does not come out ahead on {moment.outcome} "
                 f"by {moment.same_within:g} or more")
        need = -moment.same_within
    else:
        word = "lowest" if moment.lowest else "highest"
        claim = f"'{expected}' gives the {word} {moment.outcome}"
    return LessonCheck(moment.key, claim, passing, len(seed_blocks), float(np.median(gaps)),
                       need, time.perf_counter() - t0)


def check_direction(moment: Direction, expected: str,
                    seed_blocks: Sequence[Sequence[int]] | None = None) -> LessonCheck:
    """Check a direction moment: the change over the run, by at least twice the threshold."""
    seed_blocks = seed_blocks or blocks()
    t0 = time.perf_counter()
    seeds = [s for block in seed_blocks for s in block]
    scenario = moment.plan.scenario.replace(weeks=moment.weeks)
    changes = []
    for r in run_many([(scenario, seed) for seed in seeds]):
        w = r.weekly
        start = float(w[w["week"] == moment.start_week][moment.outcome].iloc[0])
        changes.append((start, float(r.summary[moment.outcome])))
    arr = np.array(changes).reshape(len(seed_blocks), len(seed_blocks[0]), 2)
    change = np.median(arr[:, :, 1], axis=1) - np.median(arr[:, :, 0], axis=1)
    need = GAP_FACTOR * moment.same_within
    if expected == DOWN:
        ok, gap = change <= -need, -change
    elif expected == UP:
        ok, gap = change >= need, change
    else:
        ok, gap, need = np.abs(change) < moment.same_within, np.abs(change), moment.same_within
    return LessonCheck(moment.key, f"{moment.outcome} will {expected.lower()} over the run",
                       int(ok.sum()), len(seed_blocks), float(np.median(gap)), need,
                       time.perf_counter() - t0)


def check_estimate(moment: Estimate, claim: str, holds: Callable[[float], bool],
                   seed_blocks: Sequence[Sequence[int]] | None = None) -> LessonCheck:
    """Check a slider moment's lesson: ``holds(middle result of a block)``."""
    seed_blocks = seed_blocks or blocks()
    t0 = time.perf_counter()
    values = _values([moment.plan.scenario], moment.outcome, moment.weeks, seed_blocks)[0]
    mids = np.median(values, axis=1)
    passing = sum(bool(holds(float(v))) for v in mids)
    return LessonCheck(moment.key, claim, passing, len(seed_blocks), float(np.median(mids)),
                       float("nan"), time.perf_counter() - t0)


def check_exercise(key: str, solution: Scenario, wrong: Sequence[Scenario] = (),
                   seed_blocks: Sequence[Sequence[int]] | None = None) -> LessonCheck:
    """Check an exercise: the solution passes, the start and each wrong answer fail."""
    from coprod_sim.curriculum.exercises import get_challenge

    seed_blocks = seed_blocks or blocks()
    t0 = time.perf_counter()
    ch = get_challenge(key)
    plans = [ch.start, solution, *wrong]
    outcomes = [t.outcome for t in ch.targets]
    seeds = [s for block in seed_blocks for s in block]
    runs = [(p, seed) for p in plans for seed in seeds]
    results = _summaries(runs)
    k, n = len(seed_blocks), len(seed_blocks[0])
    vals = {o: np.array([float(r["weeks"] + 1 if r[o] is None else r[o]) for r in results]
                        ).reshape(len(plans), k, n) for o in outcomes}
    def passes(i: int, b: int, start: dict[str, float]) -> tuple[bool, float]:
        met = []
        for t in ch.targets:
            v = float(np.median(vals[t.outcome][i, b]))
            base = start[t.outcome] if t.relative else 0.0
            if t.at_least is not None:
                met.append(v >= base + t.at_least - t.tolerance)
            else:
                met.append(v <= base + t.at_most + t.tolerance)
        return all(met), float(np.mean(met))

    passing, met_shares = 0, []
    for b in range(k):
        start = {o: float(np.median(vals[o][0, b])) for o in outcomes}
        sol_ok, share = passes(1, b, start)
        met_shares.append(share)
        start_fails = not passes(0, b, start)[0]
        wrong_fail = all(not passes(i, b, start)[0] for i in range(2, len(plans)))
        passing += sol_ok and start_fails and wrong_fail
    claim = ("the solution meets every target; the starting plan"
             + (f" and {len(wrong)} typical wrong answer{'s' if len(wrong) != 1 else ''}"
                if wrong else "") + " do not")
    return LessonCheck(key, claim, passing, k, float(np.median(met_shares)), 1.0,
                       time.perf_counter() - t0)


def check_moment(moment: Moment, seed_blocks: Sequence[Sequence[int]] | None = None
                 ) -> LessonCheck:
    """Check one moment's lesson (as listed in :data:`coprod_sim.curriculum.moments.LESSONS`)."""
    from coprod_sim.curriculum.moments import EXPECTED, LESSONS

    if isinstance(moment, Compare):
        return check_compare(moment, EXPECTED[moment.key], seed_blocks)
    if isinstance(moment, Direction):
        return check_direction(moment, EXPECTED[moment.key], seed_blocks)
    assert isinstance(moment, Estimate)
    if moment.key in LESSONS:
        claim, holds = LESSONS[moment.key]
    else:
        claim, holds = typical(moment)
    return check_estimate(moment, claim, holds, seed_blocks)


def typical(moment: Estimate) -> tuple[str, Callable[[float], bool]]:
    """The lesson of a slider moment with no claim of its own: the figure it shows is typical.

    A block's middle result must be within the moment's "close" band of the
    middle result on the kit's own seeds.
    """
    values, _ = final_values(moment.plan.scenario, moment.outcome, moment.seeds, moment.weeks)
    shown = float(np.median(values))
    band = moment.close_within / (100 if moment.percent else 1)
    return (f"the middle result the kit shows ({shown:.4g}) is within {band:g} of a "
            "typical block's", lambda v: abs(v - shown) <= band)


def iter_checks(keys: Sequence[str] | None = None,
                seed_blocks: Sequence[Sequence[int]] | None = None) -> Iterator[LessonCheck]:
    """Check every moment's and exercise's lesson (or only ``keys``), one at a time."""
    from coprod_sim.curriculum.exercises import CHALLENGES, solution, wrong_answers
    from coprod_sim.curriculum.moments import MOMENTS

    for key, m in MOMENTS.items():
        if keys is None or key in keys:
            yield check_moment(m, seed_blocks)
    for key in CHALLENGES:
        if keys is None or key in keys:
            yield check_exercise(key, solution(key), wrong_answers(key), seed_blocks)


def check_all(keys: Sequence[str] | None = None,
              seed_blocks: Sequence[Sequence[int]] | None = None) -> list[LessonCheck]:
    """Check every moment's and exercise's lesson (or only ``keys``)."""
    return list(iter_checks(keys, seed_blocks))


def main(argv: Sequence[str] | None = None) -> int:
    """Print every lesson's check (``python -m coprod_sim.curriculum.lessons [KEY ...]``)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("keys", nargs="*", help="moment or exercise keys (default: all)")
    p.add_argument("--blocks", type=int, default=BLOCKS, help="blocks of five seeds")
    args = p.parse_args(argv)
    if args.blocks < 1:
        print(f"--blocks is {args.blocks}; allowed: a whole number from 1")
        return 2
    ok = True
    for c in iter_checks(args.keys or None, blocks(args.blocks)):
        print(c.line(), flush=True)
        ok = ok and c.holds
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
