"""Common random numbers are real: same seed, same chance events, mechanism by mechanism.

Every number a mechanism draws is a pure function of (run seed, mechanism,
draw number, week, person), so changing a lever that acts through one
mechanism leaves every other mechanism's draws unchanged, and two plans run
with the same seeds differ by what the plans do, not by luck. That narrows
the spread of a paired difference (measured here and in docs/research.md).
"""

import numpy as np
import pandas as pd
import pytest

from coprod_sim import presets, randomness
from coprod_sim.batch import Batch
from coprod_sim.engine import run_batch

#: ``feedback_rationale`` acts only through the feedback mechanism (mechanism 5).
BASE = presets.get("mixed_methods")
ON, OFF = BASE.replace(feedback_rationale=True), BASE.replace(feedback_rationale=False)

#: Paired differences over this many seeds.
PAIRS = 40
#: With common seeds, the sd of the paired difference in final participation
#: (feedback_rationale on - off, mixed_methods, 52 weeks, seeds 0-39) is at
#: most this share of its sd with independent seeds. Measured 0.32 (0.0152
#: against 0.0471); the code before the batched engine, with one shared
#: generator, gave 0.67 (0.0280 against 0.0415).
NARROWING = 0.6


# --- the streams ---------------------------------------------------------------------
def test_a_stream_is_a_pure_function_of_its_key():
    keys = np.array([randomness.stream_key(7, "attendance", 2),
                     randomness.stream_key(8, "attendance", 2)], dtype=np.uint64)
    a = randomness.uniform(keys, 5, (300,))
    assert a.shape == (2, 300) and np.array_equal(a, randomness.uniform(keys, 5, (300,)))
    # a run's row is the same alone or beside another run
    assert np.array_equal(randomness.uniform(keys[:1], 5, (300,))[0], a[0])
    assert np.array_equal(randomness.uniform(keys[::-1], 5, (300,))[1], a[0])
    # another seed, mechanism, draw number or week gives other numbers
    others = [randomness.stream_key(7, "voice", 2), randomness.stream_key(7, "attendance", 3)]
    for key in others:
        assert not np.array_equal(randomness.uniform(np.array([key], dtype=np.uint64), 5,
                                                     (300,))[0], a[0])
    assert not np.array_equal(randomness.uniform(keys, 6, (300,))[0], a[0])
    assert not np.array_equal(a[0], a[1])
    # the key itself depends on nothing but its parts
    assert randomness.stream_key(7, "attendance", 2) == int(keys[0])


def _logged_draws(monkeypatch, runs):
    """Run ``runs`` as one batch, logging each run's draws: {(run, name, draw, week): u}."""
    log = {}
    real = Batch.uniform

    def uniform(self, name, draw, n=None):
        u = real(self, name, draw, n)
        for b in range(self.B):
            log[(self.seeds[b], self.scenarios[b].feedback_rationale, name, draw,
                 self.week)] = u[b].copy()
        return u

    monkeypatch.setattr(Batch, "uniform", uniform)
    results = run_batch(runs)
    monkeypatch.setattr(Batch, "uniform", real)
    return log, results


def test_a_lever_of_one_mechanism_leaves_every_other_mechanisms_draws_unchanged(monkeypatch):
    seed = 4
    alone_on, _ = _logged_draws(monkeypatch, [(ON, seed)])
    alone_off, _ = _logged_draws(monkeypatch, [(OFF, seed)])
    together, _ = _logged_draws(monkeypatch, [(OFF, seed), (ON, seed)])
    on = {k[2:]: v for k, v in alone_on.items()}
    off = {k[2:]: v for k, v in alone_off.items()}
    shared = on.keys() & off.keys()
    mechanisms = {name for name, _, _ in shared}
    assert len(mechanisms) >= 5 and len(shared) >= 0.9 * max(len(on), len(off))
    assert "feedback" not in mechanisms  # the feedback mechanism itself draws nothing
    for key in shared:
        assert np.array_equal(on[key], off[key]), key
    # in one batch together, each run draws what it drew alone (a batch may draw a
    # stream that only its other run needs: the numbers are the same either way)
    for alone in (alone_on, alone_off):
        for key, u in alone.items():
            assert np.array_equal(together[key], u), key


def test_the_set_up_does_not_depend_on_a_lever():
    on, off = run_batch([(ON, 6), (OFF, 6)])
    for column in ("role", "age", "deprivation", "confidence_at_start", "need_cost",
                   "need_hearing"):
        pd.testing.assert_series_equal(on.people[column], off.people[column],
                                       check_exact=True)


def test_weeks_before_the_lever_can_act_are_identical():
    # feedback_rationale acts from the first week (views are heard in week 1), so
    # this uses a lever that acts later: a budget, which changes nothing until the
    # money runs short (about week 17 here) and then stops activities.
    free, capped = BASE, BASE.replace(limit_budget=True, budget=6_000.0)
    a, b = run_batch([(free, 2), (capped, 2)])
    differs = (a.weekly != b.weekly).any(axis=1).to_numpy()
    first = int(a.weekly["week"][differs].min())
    assert first > 13  # a quarter of a year to compare
    before = a.weekly["week"] < first
    pd.testing.assert_frame_equal(a.weekly[before], b.weekly[before], check_exact=True)
    assert b.summary["cost"] < a.summary["cost"]  # and then the lever shows


@pytest.fixture(scope="module")
def paired():
    seeds = range(PAIRS)
    results = run_batch([(ON, s) for s in seeds] + [(OFF, s) for s in seeds]
                        + [(OFF, s + 1000) for s in seeds])
    value = np.array([r.summary["participation_rate"] for r in results], dtype=float)
    return value[:PAIRS], value[PAIRS:2 * PAIRS], value[2 * PAIRS:]


def test_common_seeds_narrow_the_spread_of_a_paired_difference(paired):
    on, off_same, off_other = paired
    common = np.std(on - off_same, ddof=1)
    independent = np.std(on - off_other, ddof=1)
    assert common <= NARROWING * independent, (common, independent, common / independent)
    # both estimate the same effect: the paired one far more tightly
    assert np.mean(on - off_same) > 2 * common / np.sqrt(PAIRS)
