"""Counter-based random numbers: every draw is a pure function of its key.

A mechanism's random numbers in a week are a function of ``(run seed,
mechanism name, week, draw number, person or staff index)`` and of nothing
else: not of what other mechanisms drew, not of which runs share a batch, not
of the order in which runs are computed. So two runs with the same seed share
their chance events mechanism by mechanism (common random numbers), and a run
gives the same numbers alone or in any batch.

The generator is SplitMix64 (Steele, Lea & Flood 2014), used as a counter
hash: a 64-bit key for ``(seed, mechanism, draw number)`` (its mechanism part
from a stable hash of the name, ``zlib.crc32`` and ``blake2b``, never
Python's randomised ``hash()``), plus the counter ``week * 2**32 + index``
times the golden-ratio increment, through the SplitMix64 finaliser. Uniforms
are the top 53 bits times ``2**-53`` (in ``[0, 1)``). All arithmetic is on
``uint64`` arrays (wrapping), vectorised over runs and people.

Set-up draws (the population, the staff, the peer network) come from a numpy
``Generator`` per ``(seed, component)`` (:func:`setup_generator`).
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np
from scipy.special import gammaincinv, ndtri

#: SplitMix64 constants.
GOLDEN = 0x9E3779B97F4A7C15
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1
_S30, _S27, _S31, _S11 = (np.uint64(k) for k in (30, 27, 31, 11))
_TO_UNIT = 2.0 ** -53


@cache
def name_id(name: str) -> int:
    """A stable 64-bit id of a mechanism or component name (blake2b, not ``hash()``)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def _mix_int(x: int) -> int:
    """The SplitMix64 finaliser on one Python int (for keys)."""
    x &= _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def stream_key(seed: int, name: str, draw: int = 0) -> int:
    """The 64-bit key of one run's stream ``(seed, name, draw number)``."""
    return _mix_int(_mix_int(_mix_int(int(seed) + GOLDEN) ^ name_id(name)) + GOLDEN * (draw + 1))


def stream_keys(seeds, names) -> np.ndarray:
    """:func:`stream_key` for every seed and ``(name, draw)`` pair: ``(seeds, pairs)`` uint64."""
    seeds = np.array([int(s) & _MASK for s in seeds], dtype=np.uint64).reshape(-1)
    ids = np.array([name_id(name) for name, _draw in names], dtype=np.uint64)
    draws = np.array([(GOLDEN * (draw + 1)) & _MASK for _name, draw in names], dtype=np.uint64)
    first = mix(seeds + np.uint64(GOLDEN))
    return mix(mix(first[:, None] ^ ids[None, :]) + draws[None, :])


def mix(z: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser on a ``uint64`` array (modified in place and returned)."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


@cache
def _counter_steps(size: int) -> np.ndarray:
    steps = (np.arange(size, dtype=np.uint64) * np.uint64(GOLDEN))
    steps.flags.writeable = False
    return steps


def _week_step(week: int) -> np.uint64:
    return np.uint64(((int(week) << 32) * GOLDEN) & _MASK)


def bits(keys: np.ndarray, week: int, size: int) -> np.ndarray:
    """Raw 64-bit draws: ``(runs, size)`` for ``keys`` of shape ``(runs,)``."""
    z = (keys + _week_step(week))[:, None] + _counter_steps(size)
    return mix(z)


def uniform(keys: np.ndarray, week: int, shape: tuple[int, ...]) -> np.ndarray:
    """Uniforms in ``[0, 1)`` of shape ``(runs, *shape)``; index ``i`` is the flat position."""
    size = int(np.prod(shape))
    u = np.multiply(bits(keys, week, size) >> _S11, _TO_UNIT)
    return u.reshape((keys.size, *shape))


def open_uniform(u: np.ndarray) -> np.ndarray:
    """Map ``[0, 1)`` uniforms to ``(0, 1)`` (half a step up), for inverse CDFs."""
    return u + 2.0 ** -54


def normal(u: np.ndarray) -> np.ndarray:
    """Standard normals from uniforms by the inverse CDF (``scipy.special.ndtri``)."""
    return ndtri(open_uniform(u))


def gamma(u: np.ndarray, shape: float, scale: float) -> np.ndarray:
    """Gamma(shape, scale) variates from uniforms by the inverse CDF (``gammaincinv``)."""
    return gammaincinv(shape, open_uniform(u)) * scale


def smallest(keys: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row, mark the ``k[row]`` entries with the smallest keys (``inf`` never chosen).

    Choice without replacement: give every candidate a random key and every
    non-candidate ``inf``; ties (impossible in practice with 53-bit keys) go to
    the lower index (a stable sort).
    """
    order = np.argsort(keys, axis=-1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(keys.shape[0])[:, None], order] = np.arange(keys.shape[-1])
    return (rank < np.reshape(k, (-1, 1))) & np.isfinite(keys)


def weighted_keys(u: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Efraimidis-Spirakis (2006) keys for weighted choice without replacement.

    The ``k`` smallest of ``-log(u) / weight`` are a weighted sample of ``k``
    without replacement (chance of each draw in proportion to ``weight``).
    """
    return -np.log(open_uniform(u)) / weight


def setup_generator(seed: int, component: str) -> np.random.Generator:
    """A numpy ``Generator`` for one set-up component of a run (population, staff, peers)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [int(seed) & _MASK, name_id(component) & 0xFFFFFFFF, name_id(component) >> 32])))


class Streams:
    """The random streams of a batch of runs, one week at a time.

    ``names`` lists the ``(mechanism, draw number)`` pairs a week may use; each
    is ``size`` numbers long (one per person or staff index). :meth:`prepare`
    computes the streams a week will use in one vectorised pass (one pass costs
    far less than one per draw); a stream asked for that was not prepared is
    computed on its own. Every entry is the pure function of its own key, so
    which streams are prepared, or used, changes no number.
    """

    def __init__(self, seeds, names, size: int):
        self.seeds = [int(s) for s in seeds]
        self.names = tuple(names)
        self.index = {name: k for k, name in enumerate(self.names)}
        self.size = int(size)
        self.keys = stream_keys(self.seeds, self.names)
        self._week: int | None = None
        self._weeks = 1
        self._table: np.ndarray | None = None
        self._slot: dict[int, int] = {}
        self._extra: dict[int, np.ndarray] = {}

    def prepare(self, week: int, wanted: list[int] | None = None, weeks: int = 1) -> None:
        """Compute the streams ``wanted`` (indices into ``names``; default all) in one pass.

        For ``weeks`` weeks from ``week`` on.
        """
        wanted = list(range(len(self.names))) if wanted is None else list(wanted)
        self._week, self._weeks = week, weeks
        self._slot = {k: j for j, k in enumerate(wanted)}
        self._extra = {}
        if wanted:
            steps = np.array([_week_step(w) for w in range(week, week + weeks)], dtype=np.uint64)
            keys = self.keys[:, wanted][None] + steps[:, None, None]  # weeks, runs, streams
            z = keys[..., None] + _counter_steps(self.size)
            self._table = np.multiply(mix(z) >> _S11, _TO_UNIT)
        else:
            self._table = None

    def table(self, week: int) -> np.ndarray:
        """Every stream's uniforms of ``week``: ``(runs, streams, size)``."""
        self.prepare(week)
        return self._table[0]

    def take(self, name: str, draw: int, week: int, n: int | None = None) -> np.ndarray:
        """Uniforms ``(runs, n)`` of stream ``(name, draw)`` in ``week`` (index: person, staff)."""
        k = self.index[(name, draw)]
        if self._week is None or not 0 <= week - self._week < self._weeks:
            self.prepare(week, [])
        j = self._slot.get(k)
        if j is not None:
            u = self._table[week - self._week, :, j]
        else:
            u = self._extra.get(k)
            if u is None:
                u = uniform(self.keys[:, k], week, (self.size,))
                self._extra[k] = u
        return u if n is None else u[:, :n]


__all__ = ["Streams", "uniform", "normal", "gamma", "smallest", "weighted_keys",
           "setup_generator", "stream_key", "stream_keys", "name_id", "mix", "bits",
           "open_uniform"]
