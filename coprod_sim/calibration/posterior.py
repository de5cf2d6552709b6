"""Calibration with uncertainty: a posterior over the constants by ABC-SMC (pyabc).

The point fit (:mod:`coprod_sim.calibration.fit`, optuna) gives one value per
constant. This module gives a *distribution*: the constants that reproduce the
targets as often as the evidence allows, as weighted samples (particles) of
pyabc's approximate Bayesian computation by sequential Monte Carlo
(Toni et al. 2009; Klinger, Rickert and Hasenauer 2018). From it come an
interval for every constant, warnings when the targets cannot tell constants
apart, and a file that an experiment can draw its constants from, so that
results carry the calibration's uncertainty.

How a particle is scored: its constants are run on ``seeds`` fresh seeds of
its own (drawn from the sampler's seed, never the fit's seeds 0..K-1 or the
held-out ones), every target is measured from those runs, and the distance is
the point fit's loss (:meth:`~coprod_sim.calibration.targets.Target.loss`:
1.0 per target at the edge of its range). Fresh seeds per particle make the
model's own chance part of what the posterior allows for.

Reproducible and parallel at once: pyabc's own parallel samplers accept the
particles that finish first, so their posteriors depend on timing. Here the
sampler (:class:`PrefetchSampler`) proposes a batch of particles in this
process, has the batch's model runs computed anywhere (local worker processes
or Dask, as sweeps are), then replays the proposals in order with the results
in hand, exactly as pyabc's single-core sampler would have. Proposals use only
numpy's random state, which the replay restores, so the posterior is the same
bit for bit whatever the number of workers or the backend.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.calibration.constants import Constants
from coprod_sim.calibration.targets import CalibrationError, FitSpace, Targets

#: Held-out seeds start here (the fit uses 0..K-1; particles draw theirs from
#: [PARTICLE_SEEDS, 2**31)).
HELDOUT_START = 10_000
PARTICLE_SEEDS = 2**20
#: Interval reported for every constant: the 5% and 95% weighted quantiles.
INTERVAL = (0.05, 0.95)
#: A constant whose posterior spread is at least this share of its prior's is
#: "barely pinned down" by the targets.
FLAT = 0.7
#: Two constants whose weighted posterior correlation is at least this (in
#: size) "trade off": the targets fix a combination, not each.
CORRELATED = 0.6
META_KEY = "coprod_sim.posterior"


# ---------------------------------------------------------------------------
# Evaluating particles (in this process, in worker processes or on Dask)
# ---------------------------------------------------------------------------
_TARGETS: dict[tuple[str, str], Targets] = {}


def _targets_at(path: str, sha256: str) -> Targets:
    """The targets file, loaded once per process (workers get a path, not objects)."""
    from coprod_sim.calibration.targets import load

    key = (path, sha256)
    if key not in _TARGETS:
        targets = load(path)
        if targets.sha256 != sha256:
            raise CalibrationError(f"{path} changed while the posterior was being computed")
        _TARGETS[key] = targets
    return _TARGETS[key]


def evaluate_particles(path: str, sha256: str, base: dict[str, Any],
                       items: Sequence[tuple[dict[str, float], tuple[int, ...]]]
                       ) -> list[dict[str, float]]:
    """Every target's figure for each ``(values, seeds)`` item (one task of a worker)."""
    from coprod_sim.calibration.fit import apply, evaluate

    targets = _targets_at(path, sha256)
    constants = Constants.from_dict(base, "posterior base")
    out = []
    for values, seeds in items:
        ev = evaluate(targets, apply(constants, targets.fit, values), seeds)
        out.append({f.target.name: float(f.figure) for f in ev.fits})
    return out


class Evaluator:
    """Computes batches of particles on a backend: this process, local processes or Dask.

    Args:
        targets: The targets file.
        base: The constants the fitted ones are set in.
        workers: Local worker processes (1: this process).
        scheduler: A Dask scheduler address, ``LocalCluster`` or ``Client``
            (instead of local processes).
        progress: Show a progress bar per batch.
    """

    def __init__(self, targets: Targets, base: Constants, workers: int = 1,
                 scheduler: Any = None, progress: bool = False) -> None:
        self.path = str(targets.path)
        self.sha256 = targets.sha256
        self.base = base.to_dict()
        self.workers = max(1, int(workers))
        self.progress = progress
        self.pool: Any = None
        self.client: Any = None
        self.own_client = False
        self.evaluations = 0
        if scheduler is not None:
            from coprod_sim.experiments.execute import check_versions, connect

            self.client, self.own_client = connect(scheduler)
            check_versions(self.client)
        elif self.workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            from coprod_sim.experiments.execute import process_context
            from coprod_sim.experiments.worker import watch_parent

            self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                            mp_context=process_context(),
                                            initializer=watch_parent)

    @property
    def backend(self) -> str:
        """A short description, for messages and the file's header."""
        if self.client is not None:
            return "dask"
        if self.pool is not None:
            return f"local processes ({self.workers} workers)"
        return "this process"

    def _tasks(self) -> int:
        if self.client is not None:
            try:
                return max(1, sum(self.client.nthreads().values()))
            except Exception:  # pragma: no cover - reported when mapping
                return 1
        return self.workers

    def __call__(self, items: list[tuple[dict[str, float], tuple[int, ...]]],
                 label: str = "") -> list[dict[str, float]]:
        """The figures of every item, in order."""
        if not items:
            return []
        self.evaluations += len(items)
        per = max(1, math.ceil(len(items) / (3 * self._tasks())))
        chunks = [items[i:i + per] for i in range(0, len(items), per)]
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            # no monitor thread: it would outlive the run and stop later forks
            tqdm.monitor_interval = 0
            bar = tqdm(total=len(items), desc=label or "particles", unit="particle",
                       leave=False)
        results: list[list[dict[str, float]]] = [[] for _ in chunks]
        try:
            if self.client is not None:
                from distributed import as_completed

                futures = {self.client.submit(evaluate_particles, self.path, self.sha256,
                                              self.base, chunk, pure=False): k
                           for k, chunk in enumerate(chunks)}
                for fut in as_completed(futures):
                    k = futures[fut]
                    results[k] = fut.result()
                    if bar is not None:
                        bar.update(len(chunks[k]))
            elif self.pool is not None:
                from concurrent.futures import as_completed as done

                futs = {self.pool.submit(evaluate_particles, self.path, self.sha256,
                                         self.base, chunk): k for k, chunk in enumerate(chunks)}
                for fut in done(futs):
                    k = futs[fut]
                    results[k] = fut.result()
                    if bar is not None:
                        bar.update(len(chunks[k]))
            else:
                for k, chunk in enumerate(chunks):
                    results[k] = evaluate_particles(self.path, self.sha256, self.base, chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        return [r for chunk in results for r in chunk]

    def close(self) -> None:
        """Stop the worker processes (or close the Dask client this opened)."""
        if self.pool is not None:
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                proc.join(5)
                if proc.is_alive():
                    proc.terminate()
            self.pool = None
        if self.client is not None and self.own_client:
            try:
                self.client.close(timeout=5)
            except Exception:  # pragma: no cover - closing a dead connection
                pass
            self.client = None


# ---------------------------------------------------------------------------
# The model as pyabc sees it, and the reproducible parallel sampler
# ---------------------------------------------------------------------------
PENDING = "__pending__"


class _Model:
    """pyabc's model: parameters in, every target's figure out.

    In ``record`` mode it only notes what it is asked (and returns a
    placeholder that no particle accepts); in ``replay`` mode it answers from
    the results computed in between.
    """

    def __init__(self, space: Sequence[FitSpace], seeds: int) -> None:
        self.space = tuple(space)
        self.seeds = seeds
        self.mode = "replay"
        self.asked: list[tuple[dict[str, float], tuple[int, ...]]] = []
        self.known: dict[tuple[Any, ...], dict[str, float]] = {}

    def values(self, pars: Any) -> dict[str, float]:
        """The constants' values (keyed like ``base_chance[0]``) of pyabc's parameters."""
        out = {}
        for i, f in enumerate(self.space):
            v = float(pars[f"p{i}"])
            out[f.key] = 10.0 ** v if f.log else v
        return out

    def __call__(self, pars: Any) -> dict[str, float]:
        # the particle's seeds come from numpy's random state, as its proposal
        # did, so a replay draws the same ones
        first = int(np.random.randint(PARTICLE_SEEDS, 2**31 - self.seeds))
        seeds = tuple(range(first, first + self.seeds))
        values = self.values(pars)
        key = (tuple(values.values()), seeds)
        if self.mode == "record":
            if key not in self.known:
                self.asked.append((values, seeds))
            return {PENDING: 1.0}
        if key not in self.known:  # the replay left the recorded path: a bug, not input
            raise RuntimeError("a particle was proposed that was not prefetched; the "
                               "proposals used random numbers other than numpy's")
        return dict(self.known[key])


class PrefetchSampler:
    """A pyabc sampler that computes particles in parallel batches, reproducibly.

    Built by :func:`prefetch_sampler` (pyabc is imported only then).
    """


def prefetch_sampler(model: _Model, evaluator: Evaluator,
                     on_generation: Callable[[int, int, int, float], None] | None = None) -> Any:
    """A pyabc ``Sampler`` that proposes in batches and replays them in order.

    The accepted particles, their order and numpy's random state afterwards are
    exactly those of pyabc's ``SingleCoreSampler`` with the same seed.
    """
    from pyabc.sampler import Sampler

    class _Prefetch(Sampler, PrefetchSampler):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.rate = 0.3

        def sample_until_n_accepted(self, n: int, simulate_one: Callable[[], Any], t: int,
                                    *, max_eval: float = np.inf, all_accepted: bool = False,
                                    ana_vars: Any = None) -> Any:
            sample = self._create_empty_sample()
            evaluated = 0
            while sample.n_accepted < n and evaluated < max_eval:
                wanted = n - sample.n_accepted
                rate = 1.0 if all_accepted else max(self.rate, 0.05)
                size = min(int(math.ceil(wanted / rate * 1.2)) + 2, 20 * n)
                if math.isfinite(max_eval):
                    size = max(1, min(size, int(max_eval) - evaluated))
                state = np.random.get_state()
                model.mode, model.asked = "record", []
                for _ in range(size):
                    simulate_one()
                label = f"generation {t + 1}" if t >= 0 else "calibrating"
                figures = evaluator(model.asked, label)
                for (values, seeds), fig in zip(model.asked, figures, strict=True):
                    model.known[(tuple(values.values()), seeds)] = fig
                np.random.set_state(state)
                model.mode = "replay"
                accepted_before, done = sample.n_accepted, 0
                while done < size and sample.n_accepted < n and evaluated < max_eval:
                    sample.append(simulate_one())
                    done += 1
                    evaluated += 1
                self.rate = max((sample.n_accepted - accepted_before) / max(done, 1), 0.0)
                model.known.clear()
            self.nr_evaluations_ = evaluated
            if on_generation is not None:
                eps = getattr(simulate_one, "keywords", {}).get("eps")
                try:
                    value = float(eps(t)) if eps is not None else float("nan")
                except Exception:  # the tolerance of the calibration sample
                    value = float("nan")
                on_generation(t, evaluated, sample.n_accepted, value)
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return _Prefetch()


# ---------------------------------------------------------------------------
# The posterior
# ---------------------------------------------------------------------------
@dataclass
class Posterior:
    """Weighted samples of the fitted constants.

    Attributes:
        space: The fitted constants and their prior ranges.
        samples: One row per particle: a column per constant (keyed like
            ``base_chance[0]``), ``weight`` (summing to 1) and ``distance``.
        info: How it was computed (targets, seeds, particles, generations,
            epsilons, pyabc version, date, ...).
    """

    space: tuple[FitSpace, ...]
    samples: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """The constants' keys, in the targets file's order."""
        return [f.key for f in self.space]

    @property
    def effective_size(self) -> float:
        """Kish's effective sample size of the weights, ``1 / sum(w^2)``."""
        w = self.weights
        return float(1.0 / np.sum(w ** 2))

    @property
    def weights(self) -> np.ndarray:
        """The particles' weights (summing to 1)."""
        w = self.samples["weight"].to_numpy(float)
        return w / w.sum()

    def summary(self) -> pd.DataFrame:
        """Per constant: weighted median, the 5%-95% interval, prior range, shrinkage.

        ``spread`` is the posterior's standard deviation as a share of the
        prior's (on the scale sampled: log for ``log`` constants); near 1 the
        targets say little about the constant.
        """
        w = self.weights
        rows = []
        for f in self.space:
            x = self.samples[f.key].to_numpy(float)
            lo, med, hi = weighted_quantile(x, w, [INTERVAL[0], 0.5, INTERVAL[1]])
            scale = np.log10(x) if f.log else x
            a, b = (math.log10(f.low), math.log10(f.high)) if f.log else (f.low, f.high)
            mean = float(np.sum(w * scale))
            sd = float(np.sqrt(np.sum(w * (scale - mean) ** 2)))
            prior_sd = (b - a) / math.sqrt(12)
            rows.append({"constant": f.key, "median": med, "low": lo, "high": hi,
                         "prior_low": f.low, "prior_high": f.high,
                         "spread": sd / prior_sd if prior_sd > 0 else float("nan")})
        return pd.DataFrame(rows)

    def correlations(self) -> pd.DataFrame:
        """The weighted correlation matrix of the constants (on the scale sampled)."""
        w = self.weights
        cols = []
        for f in self.space:
            x = self.samples[f.key].to_numpy(float)
            cols.append(np.log10(x) if f.log else x)
        X = np.vstack(cols)
        mean = X @ w
        D = X - mean[:, None]
        cov = (D * w) @ D.T
        sd = np.sqrt(np.diag(cov))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        return pd.DataFrame(corr, index=self.keys, columns=self.keys)

    def median_values(self) -> dict[str, float]:
        """The weighted median of each constant."""
        s = self.summary()
        return dict(zip(s["constant"], s["median"].astype(float), strict=True))

    def draw(self, n: int, seed: int = 0) -> pd.DataFrame:
        """``n`` joint draws (rows of constants), resampled by weight with a seeded generator."""
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(self.samples), size=n, p=self.weights)
        return self.samples.iloc[idx][self.keys].reset_index(drop=True)

    def at(self, u: Iterable[float]) -> pd.DataFrame:
        """Joint draws from numbers ``u`` between 0 and 1, one row each.

        Each ``u`` goes through the inverse of the weights' cumulative sum, so a
        design's uniform column picks whole particles.
        """
        u = np.clip(np.asarray(list(u), dtype=float), 0.0, 1.0 - 1e-12)
        cum = np.cumsum(self.weights)
        idx = np.searchsorted(cum / cum[-1], u, side="right")
        return self.samples.iloc[idx][self.keys].reset_index(drop=True)

    def constants(self, values: dict[str, float], base: Constants | None = None) -> Constants:
        """``base`` (default: the shipped constants) with the fitted entries set to ``values``."""
        from coprod_sim.calibration.fit import apply

        return apply(base if base is not None else Constants.load(), self.space, values)

    # -- file ---------------------------------------------------------------
    def metadata(self) -> str:
        """How the posterior was computed, and each constant's prior range, as TOML."""
        import tomli_w

        head = {"posterior": {k: v for k, v in self.info.items() if v is not None},
                "constant": [{"key": f.key, "constant": f.constant,
                              **({"index": f.index} if f.index is not None else {}),
                              "low": f.low, "high": f.high, "log": f.log} for f in self.space]}
        return tomli_w.dumps(head)

    def save(self, path: str | os.PathLike) -> list[Path]:
        """Write the particles: one row each, a column per constant address and ``weight``.

        This is the file an experiment names as an uncertainty
        (``posterior = { file = "..." }``). ``.csv``: a plain table, with how it
        was computed in ``NAME.csv.toml`` beside it; ``.parquet``: the same
        TOML in the file's own metadata. Written atomically.

        Returns:
            The files written.
        """
        from coprod_sim.fileio import atomic_write

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            raise CalibrationError(f"the posterior file must end in .csv or .parquet, got "
                                   f"{path.name!r}")
        table = self.samples[[*self.keys, "weight"]]
        meta = self.metadata()
        if suffix == ".csv":
            body = table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
            side = path.with_name(path.name + ".toml")
            return [atomic_write(path, body), atomic_write(side, meta)]
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                               META_KEY: meta.encode("utf-8")})
        return [atomic_write(path, b"", writer=lambda tmp: pq.write_table(arrow, tmp))]

    @classmethod
    def load(cls, path: str | os.PathLike) -> Posterior:
        """Read a posterior file; bad files give one clear line.

        Any table of constant columns and an optional ``weight`` will do, as
        well as what :meth:`save` writes.

        Without the record of how it was computed, each constant's range is
        taken from its samples.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        meta_text = ""
        try:
            if suffix == ".csv":
                samples = pd.read_csv(path)
                side = path.with_name(path.name + ".toml")
                if side.exists():
                    meta_text = side.read_text(encoding="utf-8")
            elif suffix == ".parquet":
                import pyarrow.parquet as pq

                arrow = pq.read_table(path)
                meta_text = (arrow.schema.metadata or {}).get(META_KEY.encode(), b"").decode()
                samples = arrow.to_pandas()
            else:
                raise CalibrationError(f"the posterior file must end in .csv or .parquet, "
                                       f"got {path.name!r}")
        except OSError as err:
            raise CalibrationError(f"cannot read the posterior {path}: "
                                   f"{err.strerror or err}") from None
        except (ValueError, pd.errors.ParserError) as err:
            raise CalibrationError(f"{path} is not a readable table ({err})") from None
        try:
            meta = tomllib.loads(meta_text) if meta_text else {}
            space = tuple(FitSpace(c["constant"], c.get("index"), float(c["low"]),
                                   float(c["high"]), None, bool(c.get("log", False)))
                          for c in meta.get("constant", []))
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as err:
            raise CalibrationError(f"the record beside {path} is damaged "
                                   f"({type(err).__name__}: {err})") from None
        if not space:
            space = tuple(_space_from(c, samples[c]) for c in samples.columns
                          if c not in ("weight", "distance"))
        keys = [f.key for f in space]
        missing = [k for k in keys if k not in samples.columns]
        if missing or not len(samples) or not keys:
            raise CalibrationError(f"{path} is not a posterior: missing columns "
                                   f"{missing or 'or rows'}")
        if "weight" not in samples.columns:
            samples["weight"] = 1.0
        try:
            w = samples["weight"].to_numpy(float)
            values = samples[keys].to_numpy(float)
        except (TypeError, ValueError):
            raise CalibrationError(f"{path}: every column must hold numbers") from None
        if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise CalibrationError(f"{path}: the weights must be non-negative numbers, "
                                   "not all zero")
        if not np.isfinite(values).all():
            raise CalibrationError(f"{path}: every constant's value must be a finite number")
        samples["weight"] = w / w.sum()
        if "distance" not in samples.columns:
            samples["distance"] = np.nan
        return cls(space, samples, dict(meta.get("posterior", {})))


def _space_from(address: str, values: pd.Series) -> FitSpace:
    import re

    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?", str(address))
    if not m:
        raise CalibrationError(f"column {address!r} is not a constant's address (such as "
                               "base_chance[0]) or 'weight'")
    v = pd.to_numeric(values, errors="coerce")
    return FitSpace(m.group(1), int(m.group(2)) if m.group(2) else None, float(v.min()),
                    float(v.max()))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> list[float]:
    """Quantiles of ``x`` under weights ``w`` (the inverse of the weighted distribution)."""
    order = np.argsort(x, kind="stable")
    xs, ws = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cum = np.cumsum(ws) - 0.5 * ws
    cum /= ws.sum()
    return [float(np.interp(p, cum, xs)) for p in q]


@dataclass
class PosteriorResult:
    """The outcome of :func:`posterior`: the posterior and how it got there.

    Attributes:
        posterior: The last generation's particles.
        generations: Per generation: ``generation``, ``epsilon``,
            ``evaluations``, ``accepted``.
        seconds: Wall time.
    """

    posterior: Posterior
    generations: pd.DataFrame
    seconds: float


def posterior(targets: Targets, *, particles: int = 100, generations: int = 4,
              seeds: int | None = None, sampler_seed: int | None = None,
              base: Constants | None = None, workers: int = 1, scheduler: Any = None,
              progress: bool = False, min_epsilon: float = 0.0,
              report: Callable[[str], None] | None = None) -> PosteriorResult:
    """ABC-SMC over the targets file's ``[[fit]]`` constants (uniform priors on their ranges).

    Args:
        targets: A loaded targets file.
        particles: Particles per generation.
        generations: Generations (each after the first narrows the tolerance to
            the median distance of the one before).
        seeds: Seeds each particle is run on (default: the file's ``seeds``).
        sampler_seed: Seed of the proposals (default: the file's ``sampler_seed``).
        base: Constants the fitted ones are set in (default: the shipped ones).
        workers: Local worker processes (1: this process).
        scheduler: A Dask scheduler address, ``LocalCluster`` or ``Client``.
        progress: A progress bar per batch of particles.
        min_epsilon: Stop early once the tolerance reaches this loss.
        report: Called with a line per generation (e.g. ``print``).

    Returns:
        A :class:`PosteriorResult`. The same arguments give the same posterior,
        bit for bit, whatever ``workers`` or ``scheduler``.
    """
    import logging
    import time

    import pyabc

    if not targets.fit:
        raise CalibrationError(f"{targets.path.name} lists no [[fit]] constants to estimate")
    for name, value, least in (("particles", particles, 4), ("generations", generations, 1),
                               ("seeds", seeds if seeds is not None else 1, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise CalibrationError(f"{name} is {value!r}; allowed: a whole number of at "
                                   f"least {least}")
    seeds = targets.settings["seeds"] if seeds is None else seeds
    sampler_seed = targets.settings["sampler_seed"] if sampler_seed is None else sampler_seed
    base = base if base is not None else Constants.load()
    for name in ("pyabc", "ABC", "Epsilon", "Distance", "Acceptor", "Sampler", "History",
                 "Transition", "Adaptation", "Population", "Data_plot"):
        logging.getLogger(name).setLevel(logging.WARNING)
    model = _Model(targets.fit, seeds)
    priors = {}
    for i, f in enumerate(targets.fit):
        a, b = (math.log10(f.low), math.log10(f.high)) if f.log else (f.low, f.high)
        priors[f"p{i}"] = pyabc.RV("uniform", a, b - a)
    items = [t for t in targets.targets if not t.known_gap]
    observed = {t.name: float(t.value) for t in items}

    def distance(x: dict[str, float], x0: dict[str, float]) -> float:
        if PENDING in x:
            return float("inf")
        return float(sum(t.loss(x[t.name]) for t in items))

    gens: list[dict[str, Any]] = []
    clock = [time.perf_counter()]
    calibration = [0]

    def on_generation(t: int, evaluated: int, accepted: int, eps: float) -> None:
        now = time.perf_counter()
        if t >= 0:
            gens.append({"generation": t + 1, "epsilon": eps, "evaluations": evaluated,
                         "accepted": accepted})
            if report is not None:
                report(f"Generation {t + 1} of {generations}: tolerance {eps:.3g}, "
                       f"{evaluated} particles run for {accepted} accepted "
                       f"({now - clock[0]:.0f} s).")
        if t < 0:
            calibration[0] += evaluated
        clock[0] = now

    evaluator = Evaluator(targets, base, workers=workers, scheduler=scheduler,
                          progress=progress)
    sampler = prefetch_sampler(model, evaluator, on_generation)
    start = time.perf_counter()
    state = np.random.get_state()
    try:
        np.random.seed(sampler_seed % 2**32)
        abc = pyabc.ABCSMC(model, pyabc.Distribution(**priors), distance,
                           population_size=particles, sampler=sampler)
        with tempfile.TemporaryDirectory() as tmp:
            db = "sqlite:///" + os.path.join(tmp, "abc.db")
            history = abc.new(db, observed)
            history = abc.run(minimum_epsilon=min_epsilon, max_nr_populations=generations)
            frame, w = history.get_distribution(m=0, t=history.max_t)
            pop = history.get_population(t=history.max_t)
            dist = {tuple(p.parameter.values()): p.distance for p in pop.particles}
    finally:
        evaluator.close()
        np.random.set_state(state)
    seconds = time.perf_counter() - start
    cols = {}
    for i, f in enumerate(targets.fit):
        v = frame[f"p{i}"].to_numpy(float)
        cols[f.key] = 10.0 ** v if f.log else v
    samples = pd.DataFrame(cols)
    samples["weight"] = np.asarray(w, float) / np.sum(w)
    samples["distance"] = [dist.get(tuple(frame.iloc[k][[f"p{i}" for i in range(
        len(targets.fit))]].to_numpy()), float("nan")) for k in range(len(frame))]
    table = pd.DataFrame(gens, columns=["generation", "epsilon", "evaluations", "accepted"])
    info = {"targets": targets.path.name, "targets_sha256": targets.sha256,
            "seeds_per_particle": seeds, "particles": particles,
            "generations": int(len(table)), "sampler_seed": sampler_seed,
            "epsilons": [float(e) for e in table["epsilon"].fillna(float("nan"))],
            "evaluations": int(table["evaluations"].sum()) + calibration[0],
            "calibration_evaluations": calibration[0],
            "base_constants_sha256": _constants_hash(base),
            "method": "ABC-SMC (pyabc), uniform priors on the [[fit]] ranges, "
                      "distance = the point fit's loss",
            "pyabc": pyabc.__version__,
            "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    return PosteriorResult(Posterior(tuple(targets.fit), samples, info), table, seconds)


def _constants_hash(constants: Constants) -> str:
    import hashlib
    import json

    text = json.dumps(constants.to_dict(), sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------
# What the targets can and cannot tell apart
# ---------------------------------------------------------------------------
def identifiability(targets: Targets, post: Posterior | None = None,
                    pairs: int = 5) -> list[str]:
    """Plain warnings: more constants than targets, flat marginals, trade-offs.

    Without a posterior only the count is checked (a point fit). At most
    ``pairs`` trade-offs are named (the strongest), then how many more.
    """
    out = []
    n_fit = len(targets.fit)
    n_targets = sum(1 for t in targets.targets if not t.known_gap)
    if n_fit >= n_targets:
        out.append(f"{n_fit} constants are fitted to {n_targets} targets: with as many "
                   "constants as figures (or more), many different sets of constants can "
                   "fit equally well, so a good fit does not show that each value is right.")
    if post is None:
        return out
    eps = post.info.get("epsilons") or []
    if eps and eps[-1] > n_targets:
        out.append(f"The last tolerance ({eps[-1]:.3g}) is above {n_targets}, the loss of "
                   "every target at the edge of its range: the particles do not yet fit "
                   "the targets, so the posterior is wider than the evidence allows. Run "
                   "more generations (or more particles).")
    ess, n = post.effective_size, len(post.samples)
    if ess < 0.3 * n:
        out.append(f"A few particles carry most of the weight (effective sample size "
                   f"{ess:.0f} of {n}): the intervals and correlations are rough; run more "
                   "particles.")
    summary = post.summary()
    flat = summary[summary["spread"] >= FLAT]
    for _, row in flat.iterrows():
        out.append(f"The targets barely pin down {row['constant']}: its posterior is "
                   f"about as wide as its prior range (spread {row['spread']:.0%}), so its "
                   "value is mostly an assumption.")
    corr = post.correlations()
    keys = post.keys
    found = []
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            r = corr.loc[a, b]
            if np.isfinite(r) and abs(r) >= CORRELATED:
                found.append((abs(r), a, b, r))
    found.sort(reverse=True)
    for _, a, b, r in found[:pairs]:
        how = "raising one and lowering the other" if r < 0 else "raising both"
        out.append(f"The targets cannot tell {a} and {b} apart: {how} fits about "
                   f"as well (posterior correlation {r:+.2f}); only a combination of the "
                   "two is pinned down.")
    if len(found) > pairs:
        out.append(f"{len(found) - pairs} more pairs of constants trade off (posterior "
                   f"correlation {CORRELATED} or more in size); see "
                   "Posterior.correlations().")
    return out


# ---------------------------------------------------------------------------
# Held-out check
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HeldOut:
    """A fit's figures on the seeds it was fitted on and on fresh ones."""

    fit: Any   # fit.Evaluation on the fit's seeds
    fresh: Any  # fit.Evaluation on held-out seeds

    def table(self) -> str:
        """Per target: the figure on the fit's seeds and on fresh ones, range, within it."""
        from coprod_sim.calibration.measures import MEASURES, format_figure

        rows = [("target", "range", "fit seeds", "within?", "loss", "fresh seeds", "within?",
                 "loss")]
        for a, b in zip(self.fit.fits, self.fresh.fits, strict=True):
            t = a.target
            unit = MEASURES[t.measure].unit
            rows.append((t.name, f"{format_figure(t.low, unit)}-{format_figure(t.high, unit)}",
                         format_figure(a.figure, unit), "yes" if a.holds else "NO",
                         f"{a.loss:.2f}", format_figure(b.figure, unit),
                         "yes" if b.holds else "NO", f"{b.loss:.2f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) if i in (0, 3, 6) else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                         for r in rows)

    def summary(self) -> str:
        """One line each for the fit's seeds and the fresh seeds."""
        n = len(self.fit.fits)
        s_fit, s_new = self.fit.seeds, self.fresh.seeds
        return (f"On the fit's {_seeds(len(s_fit))} ({span(s_fit)}): loss {self.fit.loss:.2f}, "
                f"{sum(f.holds for f in self.fit.fits)} of {n} within range.\n"
                f"On {len(s_new)} fresh {_seeds(len(s_new))[len(str(len(s_new))) + 1:]} "
                f"({span(s_new)}), never seen by the fit: loss "
                f"{self.fresh.loss:.2f}, {sum(f.holds for f in self.fresh.fits)} of {n} "
                "within range.")

    @property
    def left(self) -> list[str]:
        """Targets within range on the fit's seeds but not on fresh ones."""
        return [a.target.name for a, b in zip(self.fit.fits, self.fresh.fits, strict=True)
                if a.holds and not b.holds and not a.target.known_gap]


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def span(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    return ", ".join(map(str, seeds))


def heldout_seeds(n: int) -> tuple[int, ...]:
    """``n`` fresh seeds: from :data:`HELDOUT_START`, never the fit's 0..K-1."""
    return tuple(range(HELDOUT_START, HELDOUT_START + n))


def held_out(targets: Targets, constants: Constants, fit_seeds: Iterable[int],
             fresh: int, fit_evaluation: Any = None) -> HeldOut:
    """Evaluate ``constants`` on the fit's seeds (unless given) and on ``fresh`` new ones."""
    from coprod_sim.calibration.fit import evaluate

    fit_ev = fit_evaluation if fit_evaluation is not None else evaluate(
        targets, constants, tuple(fit_seeds))
    return HeldOut(fit_ev, evaluate(targets, constants, heldout_seeds(fresh)))


__all__ = ["Evaluator", "HELDOUT_START", "HeldOut", "Posterior", "PosteriorResult",
           "evaluate_particles", "held_out", "heldout_seeds", "identifiability", "posterior",
           "prefetch_sampler", "weighted_quantile"]
