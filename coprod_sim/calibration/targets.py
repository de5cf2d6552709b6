"""The targets file: which figures to fit, how each is measured, and what to tune.

A targets file is TOML. A minimal one::

    [calibration]
    seeds = 4            # replicate seeds per trial: 0, 1, 2, 3
    trials = 150         # optuna trials
    sampler_seed = 2026  # makes the fit reproducible

    [[fit]]              # a constant of fitted.toml to tune, and its search range
    constant = "base_chance"
    index = 0            # for a list constant: which entry (here the forum's)
    low = 0.05
    high = 0.8

    [[target]]
    name = "questionnaire_response"
    measure = "questionnaire_response"      # see coprod_sim.calibration.measures
    value = 0.30
    tolerance = 0.03                        # or: range = [0.27, 0.33]
    source = "GP Patient Survey 2011-2024"
    scenario = { preset = "questionnaire_only", n_people = 2000 }
    weeks = 1

``extends = "evidence"`` (or a path) starts from another targets file: its
settings, its ``[[fit]]`` list (unless this file gives one) and its targets,
which this file's targets replace by name or add to. ``drop = ["name", ...]``
leaves inherited targets out. ``evidence`` is the shipped file of figures
from the literature (``calibration/evidence.toml``).
"""

from __future__ import annotations

import hashlib
import math
import numbers
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coprod_sim.calibration.constants import Constants
from coprod_sim.calibration.measures import MEASURES
from coprod_sim.scenario import Scenario, ScenarioError

#: The built-in targets file of figures from evidence.md (package data).
EVIDENCE = Path(__file__).with_name("evidence.toml")
#: Built-in names a command line accepts instead of a path.
BUILT_IN = {"evidence": EVIDENCE}

SETTINGS = {"seeds": 4, "trials": 150, "sampler_seed": 2026, "weeks": 52}
TARGET_KEYS = {"name", "measure", "value", "range", "tolerance", "source", "scenario",
               "compare", "weeks", "weight", "note", "known_gap"}
FIT_KEYS = {"constant", "index", "low", "high", "start", "log"}


class CalibrationError(ValueError):
    """A targets file or value is not allowed; the message is one clear line."""


#: Added to a target's loss once its figure is outside the range (the fit's goal is
#: every figure inside its range; see :meth:`Target.loss`).
OUTSIDE = 2.0


@dataclass(frozen=True)
class Target:
    """One figure to reproduce.

    Attributes:
        name: A short identifier, unique in the file.
        measure: A key of :data:`~coprod_sim.calibration.measures.MEASURES`.
        value: The figure from the source.
        low: Lowest value that counts as reproduced.
        high: Highest value that counts as reproduced.
        source: Where the figure comes from.
        scenario: The scenario it is measured in.
        compare: The second arm for contrast measures (or None).
        weight: Weight in the loss.
        params: Extra settings of the measure (``method``, ``outcome``, ``top``).
        note: How the figure maps onto the model, in a sentence.
        known_gap: Why the model cannot reproduce the figure yet ("" when it
            can). Such a target is measured and reported but left out of the
            loss, and the tests expect it to miss until the gap is closed.
    """

    name: str
    measure: str
    value: float
    low: float
    high: float
    source: str
    scenario: Scenario
    compare: Scenario | None = None
    weight: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    known_gap: str = ""

    def holds(self, figure: float) -> bool:
        """Whether a measured figure lies within the target's range."""
        return figure == figure and self.low <= figure <= self.high

    def loss(self, figure: float) -> float:
        """Distance from the value, in units of the range's half on that side (Huber).

        Squared inside the range (1.0 at its edge), then growing linearly
        (``2d - 1``) plus :data:`OUTSIDE` once outside it, so that a fit with every
        figure inside its range beats one that buys a smaller total by pushing one
        figure out, while a target the model cannot reach does not drown the
        others; at most 25 (and 25 when the figure cannot be measured).
        """
        if self.known_gap:
            return 0.0
        if figure != figure or math.isinf(figure):
            return 25.0 * self.weight
        side = (self.value - self.low) if figure < self.value else (self.high - self.value)
        side = side if side > 0 else max(abs(self.value), 1e-3) * 0.1
        d = abs(figure - self.value) / side
        return self.weight * min(25.0, d * d if d <= 1.0 else 2.0 * d - 1.0 + OUTSIDE)


@dataclass(frozen=True)
class FitSpace:
    """One constant (or one entry of a list constant) the fit may tune."""

    constant: str
    index: int | None
    low: float
    high: float
    start: float | None = None
    log: bool = False

    @property
    def key(self) -> str:
        """The name optuna uses: ``base_chance[0]`` or ``voice_exponent``."""
        return self.constant if self.index is None else f"{self.constant}[{self.index}]"


@dataclass(frozen=True)
class Targets:
    """A loaded targets file."""

    path: Path
    sha256: str
    settings: dict[str, Any]
    fit: tuple[FitSpace, ...]
    targets: tuple[Target, ...]

    def target(self, name: str) -> Target:
        """The target called ``name``."""
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)


def resolve(path: str | Path) -> Path:
    """A path, or a built-in name (``evidence``), as a file path."""
    text = str(path)
    return BUILT_IN.get(text, Path(text))


def _read(path: Path) -> dict[str, Any]:
    return _read_raw(path)[0]


def _read_raw(path: Path) -> tuple[dict[str, Any], bytes]:
    """Parse a targets file with the limits of scenario files (:mod:`coprod_sim.fileio`).

    A regular file only (never a FIFO or device), at most ``MAX_TEXT_BYTES``,
    not nested hundreds of levels deep.
    """
    from coprod_sim.fileio import MAX_TEXT_BYTES, FileProblem, read_bytes_capped

    if not path.exists() and not path.is_symlink():
        raise CalibrationError(f"targets file {path} not found (give a path, or the "
                               f"built-in name 'evidence')")
    try:
        raw = read_bytes_capped(path, MAX_TEXT_BYTES)
    except FileProblem as err:
        raise CalibrationError(f"targets file {path} {err.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig")), raw
    except UnicodeDecodeError:
        raise CalibrationError(f"targets file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise CalibrationError(f"targets file {path} is not valid TOML ({err})") from None
    except RecursionError:
        raise CalibrationError(f"targets file {path} is nested too deeply; allowed: TOML "
                               "that is not nested hundreds of levels deep") from None


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(float(value)):
        raise CalibrationError(f"{where}: '{key}' is {value!r}; allowed: a finite number")
    return float(value)


def _scenario(where: str, key: str, spec: Any, weeks: int) -> Scenario:
    """A scenario from a preset name or a table (``preset`` plus lever values)."""
    from coprod_sim import presets

    if spec is None:
        spec = "default"
    if isinstance(spec, str):
        spec = {"preset": spec}
    if not isinstance(spec, Mapping):
        raise CalibrationError(f"{where}: '{key}' is {spec!r}; allowed: a preset name or a "
                               "table of lever values (with an optional 'preset')")
    spec = dict(spec)
    preset = spec.pop("preset", "default")
    spec.setdefault("weeks", weeks)
    try:
        return presets.get(str(preset), **spec)
    except ScenarioError as err:
        detail = str(err).split(": ", 1)[-1]
        raise CalibrationError(f"{where}: '{key}': {detail}") from None


def _target(raw: Any, i: int, settings: dict[str, Any], source: str) -> Target:
    where = f"{source}, target {i + 1}"
    if not isinstance(raw, Mapping):
        raise CalibrationError(f"{where}: a target must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise CalibrationError(f"{where}: 'name' is {name!r}; allowed: a short name")
    where = f"{source}, target {name!r}"
    unknown = sorted(set(raw) - TARGET_KEYS - _measure_params())
    if unknown:
        raise CalibrationError(f"{where}: unknown key {unknown[0]!r}; allowed: "
                               f"{', '.join(sorted(TARGET_KEYS))} and a measure's settings")
    measure_name = raw.get("measure")
    measure = MEASURES.get(measure_name) if isinstance(measure_name, str) else None
    if measure is None:
        raise CalibrationError(f"{where}: 'measure' is {measure_name!r}; allowed: one of "
                               f"{', '.join(MEASURES)}")
    params = {}
    for key, allowed in measure.params.items():
        if key in raw:
            if allowed is not None and raw[key] not in allowed:
                raise CalibrationError(f"{where}: '{key}' is {raw[key]!r}; allowed: one of "
                                       f"{', '.join(map(str, allowed))}")
            params[key] = raw[key]
    extra = sorted((set(raw) & _measure_params()) - set(measure.params))
    if extra:
        raise CalibrationError(f"{where}: '{extra[0]}' is not a setting of measure "
                               f"{measure.name!r}")
    if measure.name in ("outcome", "outcome_ratio") and "outcome" not in params:
        raise CalibrationError(f"{where}: measure {measure.name!r} needs 'outcome' (the "
                               "name of a run summary figure, e.g. 'participation_rate')")
    value = _number(where, "value", raw.get("value"))
    if "range" in raw and "tolerance" in raw:
        raise CalibrationError(f"{where}: give 'range' or 'tolerance', not both")
    if "range" in raw:
        rng = raw["range"]
        if not isinstance(rng, list) or len(rng) != 2:
            raise CalibrationError(f"{where}: 'range' is {rng!r}; allowed: [low, high]")
        low, high = (_number(where, "range", v) for v in rng)
    elif "tolerance" in raw:
        tol = _number(where, "tolerance", raw["tolerance"])
        if tol <= 0:
            raise CalibrationError(f"{where}: 'tolerance' is {tol!r}; allowed: above 0")
        low, high = round(value - tol, 12), round(value + tol, 12)
    else:
        raise CalibrationError(f"{where}: give 'range = [low, high]' or 'tolerance'")
    if not low <= value <= high:
        raise CalibrationError(f"{where}: 'value' is {value:g}; allowed: within its range "
                               f"{low:g} to {high:g}")
    if low == high:
        raise CalibrationError(f"{where}: 'range' is [{low:g}, {high:g}]; allowed: low < high")
    weeks = raw.get("weeks", settings["weeks"])
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 520:
        raise CalibrationError(f"{where}: 'weeks' is {weeks!r}; allowed: a whole number "
                               "from 1 to 520")
    scenario = _scenario(where, "scenario", raw.get("scenario"), weeks)
    compare = None
    if "compare" in raw:
        if not isinstance(raw["compare"], Mapping):
            raise CalibrationError(f"{where}: 'compare' is {raw['compare']!r}; allowed: a "
                                   "table of lever values changed from the scenario")
        try:
            compare = scenario.replace(**raw["compare"])
        except ScenarioError as err:
            detail = str(err).split(": ", 1)[-1]
            raise CalibrationError(f"{where}: 'compare': {detail}") from None
    if measure.compare and compare is None:
        raise CalibrationError(f"{where}: measure {measure.name!r} needs 'compare' (the "
                               "lever values of its second arm)")
    weight = _number(where, "weight", raw.get("weight", 1.0))
    if weight <= 0:
        raise CalibrationError(f"{where}: 'weight' is {weight:g}; allowed: above 0")
    source_text = raw.get("source", "")
    if not isinstance(source_text, str) or not source_text.strip():
        raise CalibrationError(f"{where}: 'source' is {source_text!r}; allowed: where the "
                               "figure comes from")
    gap = raw.get("known_gap", "")
    if not isinstance(gap, str):
        raise CalibrationError(f"{where}: 'known_gap' is {gap!r}; allowed: a sentence on why "
                               "the model cannot reproduce the figure yet")
    return Target(name, measure.name, value, low, high, source_text, scenario, compare,
                  weight, params, str(raw.get("note", "")), gap.strip())


def _measure_params() -> set[str]:
    return {k for m in MEASURES.values() for k in m.params}


def _fit(raw: Any, source: str) -> tuple[FitSpace, ...]:
    if not isinstance(raw, list) or not raw:
        raise CalibrationError(f"{source}: '[[fit]]' must list at least one constant to tune")
    names = Constants.names()
    current = Constants.load()
    out = []
    for i, item in enumerate(raw):
        where = f"{source}, fit {i + 1}"
        if not isinstance(item, Mapping):
            raise CalibrationError(f"{where}: each [[fit]] must be a table")
        unknown = sorted(set(item) - FIT_KEYS)
        if unknown:
            raise CalibrationError(f"{where}: unknown key {unknown[0]!r}; allowed: "
                                   f"{', '.join(sorted(FIT_KEYS))}")
        name = item.get("constant")
        if name not in names:
            raise CalibrationError(f"{where}: 'constant' is {name!r}; allowed: one of "
                                   f"{', '.join(names)}")
        value = getattr(current, name)
        index = item.get("index")
        if isinstance(value, tuple):
            if isinstance(index, bool) or not isinstance(index, int) \
                    or not 0 <= index < len(value):
                raise CalibrationError(f"{where}: 'index' is {index!r}; allowed: a whole "
                                       f"number from 0 to {len(value) - 1} for {name!r}")
        elif index is not None:
            raise CalibrationError(f"{where}: 'index' given, but {name!r} is one number")
        low = _number(where, "low", item.get("low"))
        high = _number(where, "high", item.get("high"))
        if not low < high:
            raise CalibrationError(f"{where}: 'low' {low:g} is not below 'high' {high:g}")
        start = item.get("start")
        if start is not None:
            start = _number(where, "start", start)
            if not low <= start <= high:
                raise CalibrationError(f"{where}: 'start' is {start:g}; allowed: from "
                                       f"{low:g} to {high:g}")
        log = bool(item.get("log", False))
        if log and low <= 0:
            raise CalibrationError(f"{where}: 'log' needs 'low' above 0")
        out.append(FitSpace(name, index, low, high, start, log))
    keys = [f.key for f in out]
    if len(set(keys)) != len(keys):
        raise CalibrationError(f"{source}: a constant is listed twice in [[fit]]")
    return tuple(out)


def _settings(raw: Any, base: dict[str, Any], source: str) -> dict[str, Any]:
    if raw is None:
        return dict(base)
    if not isinstance(raw, Mapping):
        raise CalibrationError(f"{source}: '[calibration]' must be a table")
    out = dict(base)
    for key, value in raw.items():
        if key not in SETTINGS:
            raise CalibrationError(f"{source}: unknown setting '{key}' in [calibration]; "
                                   f"allowed: {', '.join(SETTINGS)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < (
                0 if key in ("trials", "sampler_seed") else 1):
            raise CalibrationError(f"{source}: '{key}' is {value!r}; allowed: a whole number"
                                   f"{' of 0 or more' if key != 'seeds' else ' of 1 or more'}")
        out[key] = value
    return out


def load(path: str | Path, _seen: tuple[Path, ...] = ()) -> Targets:
    """Load and check a targets file (a path, or the built-in name ``evidence``).

    Raises:
        CalibrationError: with one line naming the file, the target or key, the
            value and what is allowed.
    """
    path = resolve(path)
    data, raw = _read_raw(path)
    source = path.name
    unknown = sorted(set(data) - {"calibration", "fit", "target", "extends", "drop",
                                  "title", "description"})
    if unknown:
        raise CalibrationError(f"{source}: unknown top-level key {unknown[0]!r}; allowed: "
                               "calibration, fit, target, extends, drop, title, description")
    base: Targets | None = None
    if "extends" in data:
        parent = data["extends"]
        if not isinstance(parent, str):
            raise CalibrationError(f"{source}: 'extends' is {parent!r}; allowed: 'evidence' "
                                   "or a path")
        parent_path = BUILT_IN.get(parent) or (path.parent / parent)
        if parent_path.resolve() in {p.resolve() for p in (*_seen, path)}:
            raise CalibrationError(f"{source}: 'extends' goes round in a circle")
        base = load(parent_path, (*_seen, path))
    settings = _settings(data.get("calibration"), base.settings if base else SETTINGS, source)
    if "fit" in data or base is None:
        fit = _fit(data.get("fit"), source)
    else:
        fit = base.fit
    raw_targets = data.get("target", [])
    if not isinstance(raw_targets, list):
        raise CalibrationError(f"{source}: targets must be written [[target]] tables")
    mine = [_target(raw, i, settings, source) for i, raw in enumerate(raw_targets)]
    names = [t.name for t in mine]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise CalibrationError(f"{source}: target name {dup!r} is used twice")
    targets: list[Target] = []
    if base is not None:
        drop = data.get("drop", [])
        if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
            raise CalibrationError(f"{source}: 'drop' must be a list of target names")
        missing = [d for d in drop if d not in {t.name for t in base.targets}]
        if missing:
            raise CalibrationError(f"{source}: 'drop' names {missing[0]!r}, which "
                                   f"{base.path.name} does not have")
        by_name = {t.name: t for t in mine}
        for t in base.targets:
            if t.name in drop:
                continue
            targets.append(by_name.pop(t.name, t))
        targets.extend(by_name.values())
    else:
        targets = mine
    if not targets:
        raise CalibrationError(f"{source}: no [[target]] to fit")
    # The hash covers the file and, for a file that extends another, that one's hash.
    digest = hashlib.sha256(raw + (base.sha256.encode("ascii") if base else b"")).hexdigest()
    return Targets(path, digest, settings, fit, tuple(targets))


def with_settings(targets: Targets, **changes: Any) -> Targets:
    """A copy with some settings (seeds, trials) changed, e.g. from the command line."""
    return replace(targets, settings={**targets.settings,
                                      **{k: v for k, v in changes.items() if v is not None}})


__all__ = ["BUILT_IN", "CalibrationError", "EVIDENCE", "FitSpace", "Target", "Targets",
           "load", "resolve", "with_settings"]
