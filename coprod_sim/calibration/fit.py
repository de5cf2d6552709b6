"""The fit: a loss over targets, minimised with optuna, and writing ``fitted.toml``.

Why optuna (its TPE sampler) rather than pyabc's ABC-SMC: the model is cheap
but noisy and the targets are a handful of summary figures with ranges, not a
likelihood. What the kit needs is a *point* estimate of the constants that
puts every figure inside its range, reproducible bit for bit from a seed, in a
few minutes on a laptop, with no database or cluster. Optuna's seeded
``TPESampler`` gives that in one process with a progress bar, and handles
bounded, mixed-scale parameters well. ABC-SMC gives a posterior over the
constants, which is more than the kit can use (its defaults are one value
each), needs many more model runs per generation, and its results depend on
parallel scheduling unless run on one core. A researcher who wants a
posterior can feed the same :func:`evaluate` loss to pyabc.

The loss of a target is its distance from the value in units of the range's
half on that side, squared within the range (so 1.0 at the edge) and linear
beyond it (Huber), so a target the model cannot reach does not drown the
others; the total is their weighted sum, measured over the same replicate
seeds in every trial.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coprod_sim.calibration.constants import FITTED, Constants
from coprod_sim.calibration.measures import MEASURES, MeasureError, Trace, watch_many
from coprod_sim.calibration.targets import CalibrationError, FitSpace, Target, Targets
from coprod_sim.fileio import atomic_write
from coprod_sim.scenario import Scenario

#: Significant figures kept for a fitted value (the file and the fit agree exactly).
DIGITS = 4
HEADER_START = "# --- calibration record (written by `coprod-sim calibrate --write`) ---"
HEADER_END = "# --- end of calibration record ---"


@dataclass(frozen=True)
class TargetFit:
    """One target's figure under some constants.

    Attributes:
        target: The target.
        figure: The measured figure (NaN when it cannot be measured).
        loss: Its contribution to the loss.
        problem: Why it could not be measured ("" when it could).
    """

    target: Target
    figure: float
    loss: float
    problem: str = ""

    @property
    def holds(self) -> bool:
        """Whether the figure is inside the target's range."""
        return self.target.holds(self.figure)


@dataclass(frozen=True)
class Evaluation:
    """Every target's fit under one set of constants."""

    constants: Constants
    fits: tuple[TargetFit, ...]
    seeds: tuple[int, ...]

    @property
    def loss(self) -> float:
        """The total loss (sum over targets)."""
        return float(sum(f.loss for f in self.fits))

    @property
    def all_hold(self) -> bool:
        """Whether every target is within its range."""
        return all(f.holds for f in self.fits)


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`calibrate`.

    Attributes:
        targets: The targets file.
        best: The best trial's constants and figures.
        current: The figures under the base constants, before fitting (the
            shipped defaults unless another base was given).
        trials: Trials run (0: only ``current`` was measured).
        values: The fitted entries' values, keyed like ``base_chance[0]``.
        optuna_version: The optuna that ran the fit.
    """

    targets: Targets
    best: Evaluation
    current: Evaluation
    trials: int
    values: dict[str, float]
    optuna_version: str


def seeds_of(targets: Targets, seeds: int | None = None) -> tuple[int, ...]:
    """The replicate seeds: 0 .. K-1 (K from the file unless given)."""
    return tuple(range(seeds if seeds is not None else targets.settings["seeds"]))


def evaluate(targets: Targets | Sequence[Target], constants: Constants | None = None,
             seeds: Iterable[int] = range(4)) -> Evaluation:
    """Measure every target under ``constants`` (default: the fitted ones) over ``seeds``.

    Runs of the same scenario are shared between targets, and every run the
    targets need (each scenario over every seed) is watched in one call, as
    batches of the engine (:func:`~coprod_sim.calibration.measures.watch_many`).
    """
    constants = constants if constants is not None else Constants.load()
    seeds = tuple(seeds)
    items = targets.targets if isinstance(targets, Targets) else tuple(targets)
    scenarios = list(dict.fromkeys(s for t in items for s in (t.scenario, t.compare)
                                   if s is not None))
    watched = watch_many([(sc, seed) for sc in scenarios for seed in seeds], constants)
    n = len(seeds)
    cache: dict[Scenario, list[Trace]] = {sc: watched[k * n:(k + 1) * n]
                                          for k, sc in enumerate(scenarios)}

    def traces(scenario: Scenario) -> list[Trace]:
        return cache[scenario]

    fits = []
    for t in items:
        measure = MEASURES[t.measure]
        try:
            figure = float(measure.function(traces(t.scenario), t.params,
                                            traces(t.compare) if t.compare else None))
            problem = "" if math.isfinite(figure) else "not a finite number"
        except MeasureError as err:
            figure, problem = float("nan"), str(err)
        fits.append(TargetFit(t, figure, t.loss(figure), problem))
    return Evaluation(constants, tuple(fits), seeds)


def _round(value: float) -> float:
    if value == 0:
        return 0.0
    return float(f"{value:.{DIGITS}g}")


def apply(base: Constants, space: Sequence[FitSpace], values: dict[str, float]) -> Constants:
    """Constants with the fitted entries set to ``values`` (keyed by ``FitSpace.key``)."""
    data = base.to_dict()
    for f in space:
        if f.key not in values:
            continue
        v = values[f.key]
        if f.index is None:
            data[f.constant] = int(round(v)) if isinstance(data[f.constant], int) else v
        else:
            data[f.constant] = list(data[f.constant])
            data[f.constant][f.index] = v
    return Constants.from_dict(data, "fit")


def current_values(space: Sequence[FitSpace], constants: Constants) -> dict[str, float]:
    """The values the fitted entries have in ``constants``."""
    out = {}
    for f in space:
        v = getattr(constants, f.constant)
        out[f.key] = float(v if f.index is None else v[f.index])
    return out


def calibrate(targets: Targets, trials: int | None = None, seeds: int | None = None,
              progress: bool = True, base: Constants | None = None) -> FitResult:
    """Fit the constants listed in the targets file's ``[[fit]]`` with optuna's TPE.

    Args:
        targets: A loaded targets file.
        trials: Optuna trials (default: the file's ``trials``); 0 only evaluates
            the current constants.
        seeds: Replicate seeds per trial (default: the file's ``seeds``).
        progress: Show a progress bar.
        base: Constants the fit builds on (default: the shipped fitted ones);
            constants not listed in ``[[fit]]`` keep these values.

    Returns:
        A :class:`FitResult` with the best trial's constants and figures.
    """
    import optuna

    base = base if base is not None else Constants.load()
    trials = targets.settings["trials"] if trials is None else trials
    seed_list = seeds_of(targets, seeds)
    current = evaluate(targets, base, seed_list)
    if trials == 0 or not targets.fit:
        return FitResult(targets, current, current, 0, current_values(targets.fit, base),
                         optuna.__version__)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=targets.settings["sampler_seed"], n_startup_trials=min(10, max(1, trials // 5)),
        multivariate=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    first = {f.key: f.start for f in targets.fit if f.start is not None}
    if first:
        study.enqueue_trial(first)
    evaluations: dict[int, Evaluation] = {}

    def objective(trial: Any) -> float:
        values = {f.key: _round(trial.suggest_float(f.key, f.low, f.high, log=f.log))
                  for f in targets.fit}
        ev = evaluate(targets, apply(base, targets.fit, values), seed_list)
        evaluations[trial.number] = ev
        return ev.loss

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.optimize(objective, n_trials=trials, show_progress_bar=progress)
    best = study.best_trial
    values = {f.key: _round(best.params[f.key]) for f in targets.fit}
    return FitResult(targets, evaluations[best.number], current, trials, values,
                     optuna.__version__)


# Writing fitted.toml -----------------------------------------------------------

def _toml_number(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    text = repr(float(v))
    return text


def _toml_value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_number(x) for x in v) + "]"
    return _toml_number(v)


def header(result: FitResult, targets_name: str | None = None) -> str:
    """The comment block recording how the values were fitted."""
    t = result.targets
    name = targets_name or t.path.name
    lines = [HEADER_START,
             f"# targets:      {name} (sha256 {t.sha256})",
             f"# seeds:        {len(result.best.seeds)} (0..{len(result.best.seeds) - 1}); "
             f"trials: {result.trials}; sampler: optuna TPE, seed "
             f"{t.settings['sampler_seed']}",
             f"# optuna:       {result.optuna_version}",
             f"# date:         {_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
             f"# fitted:       {', '.join(f'{k} = {v:g}' for k, v in result.values.items())}",
             f"# total loss:   {result.best.loss:.3f} (1.0 per target = at the edge of its "
             "range)",
             "# loss per target (figure, target, range, within range?):"]
    for f in result.best.fits:
        tg = f.target
        lines.append(f"#   {tg.name:<30} {f.loss:7.3f}  {f.figure:.4g} vs {tg.value:g} "
                     f"[{tg.low:g}, {tg.high:g}] {'yes' if f.holds else 'NO'}")
    lines.append(HEADER_END)
    return "\n".join(lines) + "\n"


def render_fitted(text: str, constants: Constants, record: str) -> str:
    """``fitted.toml``'s text with the values of ``constants`` and a new record.

    Comments and order are kept; only the values of changed keys and the
    record block at the top are rewritten.
    """
    data = constants.to_dict()
    start = text.find(HEADER_START)
    if start >= 0:
        end = text.find(HEADER_END, start)
        if end < 0:
            raise CalibrationError("fitted.toml has a calibration record with no end marker")
        text = text[:start] + text[end + len(HEADER_END):].lstrip("\n")
    out = []
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", line)
        if m and m.group(1) in data:
            old = tomllib.loads(line)[m.group(1)]
            new = data[m.group(1)]
            if (list(old) if isinstance(old, list) else old) != new:
                line = f"{m.group(1)} = {_toml_value(new)}"
        out.append(line)
    body = "\n".join(out).rstrip("\n") + "\n"
    return record + "\n" + body


def write_fitted(result: FitResult, path: str | Path = FITTED,
                 base_text: str | None = None, targets_name: str | None = None) -> Path:
    """Write the fitted constants to ``path`` atomically, keeping its comments.

    The new text is checked (it must load as the same constants) before it
    replaces the file.
    """
    path = Path(path)
    if base_text is None:
        base_text = (path if path.exists() else FITTED).read_text(encoding="utf-8")
    text = render_fitted(base_text, result.best.constants, header(result, targets_name))
    check = Constants.from_dict(tomllib.loads(text), str(path))
    if check != result.best.constants:
        raise CalibrationError(f"{path}: the values written would not read back the same")
    return atomic_write(path, text)


def recorded_hash(path: str | Path = FITTED) -> str | None:
    """The sha256 of the targets file recorded in a fitted file's header, if any."""
    m = re.search(r"^# targets: .*\(sha256 ([0-9a-f]{64})\)", Path(path).read_text("utf-8"),
                  re.MULTILINE)
    return m.group(1) if m else None


__all__ = ["Evaluation", "FitResult", "TargetFit", "apply", "calibrate", "current_values",
           "evaluate", "header", "recorded_hash", "render_fitted", "seeds_of",
           "write_fitted"]
