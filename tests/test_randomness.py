"""Counter-based random numbers: each draw is a pure function of its key.

A run's numbers depend on (seed, mechanism, week, draw number, person index)
and on nothing else: not on other runs in the batch, not on what other
mechanisms drew, not on the order of computation.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from coprod_sim import Scenario
from coprod_sim.batch import STREAMS, Batch
from coprod_sim.randomness import (
    Streams,
    gamma,
    name_id,
    normal,
    setup_generator,
    smallest,
    stream_key,
    uniform,
    weighted_keys,
)


def keys(seeds, name="attendance", draw=0):
    return np.array([stream_key(s, name, draw) for s in seeds], dtype=np.uint64)


def test_a_draw_is_a_pure_function_of_its_key():
    a = uniform(keys([3, 4, 5]), 7, (200,))
    b = uniform(keys([5, 3]), 7, (250,))  # other runs, other order, longer
    np.testing.assert_array_equal(a[2], b[0, :200])
    np.testing.assert_array_equal(a[0], b[1, :200])
    np.testing.assert_array_equal(uniform(keys([3]), 7, (200,))[0], a[0])


def test_names_have_stable_ids_not_pythons_randomised_hash():
    # blake2b of the name: the same in every process (Python's hash() of a str is not)
    digest = hashlib.blake2b(b"attendance", digest_size=8).digest()
    assert name_id("attendance") == int.from_bytes(digest, "little")
    assert len({name_id(m) for m, _ in STREAMS}) == len({m for m, _ in STREAMS})


def test_streams_prepared_together_or_alone_give_the_same_numbers():
    seeds = [0, 11, 12]
    together = Streams(seeds, STREAMS, 300)
    together.prepare(5)
    alone = Streams(seeds, STREAMS, 300)
    alone.prepare(5, [])  # nothing prepared: each stream is computed on its own
    for name, draw in STREAMS:
        np.testing.assert_array_equal(together.take(name, draw, 5), alone.take(name, draw, 5))
        np.testing.assert_array_equal(together.take(name, draw, 5)[1],
                                      uniform(keys([11], name, draw), 5, (300,))[0])


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_different_mechanisms_weeks_seeds_and_draws_are_independent():
    n = 20_000
    base = uniform(keys([1], "dropout"), 3, (n,))
    others = [uniform(keys([1], "panel_drift"), 3, (n,)),   # another mechanism
              uniform(keys([1], "dropout"), 4, (n,)),       # another week
              uniform(keys([2], "dropout"), 3, (n,)),       # another seed
              uniform(keys([1], "dropout", 1), 3, (n,))]    # another draw number
    for other in others:
        assert not np.array_equal(base, other)
        # independent uniforms: correlation within 5 standard errors (1/sqrt(n))
        assert abs(_correlation(base, other)) < 5 / np.sqrt(n)
    # neighbouring people's numbers are not correlated either
    assert abs(_correlation(base[0, :-1], base[0, 1:])) < 5 / np.sqrt(n)


def test_uniforms_are_in_zero_one_and_uniform():
    n = 200_000
    u = uniform(keys(range(10)), 0, (n // 10,)).ravel()
    assert u.min() >= 0.0 and u.max() < 1.0
    # mean within 5 standard errors of 1/2 (sd of a uniform is 1/sqrt(12))
    assert abs(u.mean() - 0.5) < 5 / np.sqrt(12 * n)
    # every tenth of [0, 1) holds a tenth of the draws, within 5 standard errors
    counts = np.bincount((u * 10).astype(int), minlength=10) / n
    assert np.all(np.abs(counts - 0.1) < 5 * np.sqrt(0.1 * 0.9 / n))


def test_normals_and_gammas_have_their_moments():
    u = uniform(keys(range(4)), 0, (50_000,)).ravel()
    z = normal(u)
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
    g = gamma(u, 4.0, 0.25)  # mean 1, variance 0.25
    assert abs(g.mean() - 1.0) < 0.01 and abs(g.var() - 0.25) < 0.01


def test_choice_without_replacement_takes_k_of_the_candidates():
    u = uniform(keys([0, 1, 2]), 0, (50,))
    candidates = np.zeros((3, 50), dtype=bool)
    candidates[:, ::2] = True
    chosen = smallest(np.where(candidates, u, np.inf), np.array([3, 0, 40]))
    assert chosen.sum(axis=1).tolist() == [3, 0, 25]  # at most the candidates there are
    assert not (chosen & ~candidates).any()


def test_weighted_choice_favours_heavier_weights_in_proportion():
    # Efraimidis-Spirakis keys: drawing one of two, weights 3 and 1, picks the first 3/4
    n = 40_000
    u = uniform(keys([9]), 0, (n, 2))[0]
    key = weighted_keys(u, np.array([3.0, 1.0]))
    first = float(np.mean(key[:, 0] < key[:, 1]))
    assert first == pytest.approx(0.75, abs=5 * np.sqrt(0.75 * 0.25 / n))


def test_set_up_generators_are_keyed_by_seed_and_component():
    a = setup_generator(5, "population").random(10)
    assert np.array_equal(a, setup_generator(5, "population").random(10))
    assert not np.array_equal(a, setup_generator(5, "staff").random(10))
    assert not np.array_equal(a, setup_generator(6, "population").random(10))


def test_a_run_draws_the_same_numbers_whoever_shares_its_batch():
    s = Scenario(weeks=3)
    alone = Batch([s], [7])
    shared = Batch([s.replace(power_sharing=0.9), s, s.replace(use_interviews=True)], [1, 7, 2])
    np.testing.assert_array_equal(alone.state.motivation[0], shared.state.motivation[1])
    for _week in range(3):
        alone.step()
        shared.step()
        np.testing.assert_array_equal(alone.uniform("dropout", 0)[0],
                                      shared.uniform("dropout", 0)[1])
