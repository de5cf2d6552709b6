"""Experiment designs: which scenarios to run, with which seeds.

An :class:`Experiment` is read from a TOML file (see ``docs/research.md``) or
built in Python. :func:`build_plan` turns it into a :class:`Plan`: the full
list of design points (each a complete, validated scenario) and runs (a point
and a replicate, with its seed). Everything here is deterministic: the same
experiment always gives the same plan.

Ranges always come from :data:`coprod_sim.PARAMETERS`; an experiment may only
narrow them. How factors are sampled:

* ``float``: uniform over ``low..high``.
* ``int``: uniform over the whole numbers ``low..high`` (each equally likely;
  the sample in ``[0, 1]`` is cut into ``high - low + 1`` equal bins).
* ``bool``: ``false`` for a sample below 0.5, ``true`` from 0.5.
* ``choice``: the choices (all, or the ``choices`` listed) each take an equal
  share of ``[0, 1]``, in the order given.

The sensitivity methods see every factor on ``[0, 1]`` (SALib problem bounds
``[0, 1]``), so Morris effects are per full range of each lever and are
comparable across levers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coprod_sim import presets
from coprod_sim.cli import UsageError
from coprod_sim.columns import DROPPED, RENAMED
from coprod_sim.experiments.provenance import package_versions
from coprod_sim.fileio import MAX_TEXT_BYTES, FileProblem, read_text_capped
from coprod_sim.outcomes import NUMERIC, OUTCOMES
from coprod_sim.parameters import PARAMETERS, Param
from coprod_sim.scenario import Scenario, ScenarioError

#: Design kinds: full-factorial grid (also plain scenario lists) or sampled.
KINDS = ("grid", "latin", "saltelli", "morris")
SAMPLED = ("latin", "saltelli", "morris")

#: Outcomes analysed by default in a sensitivity analysis (run summaries).
DEFAULT_OUTCOMES = ("participation_rate", "representativeness", "influence", "tokenism",
                    "trust", "net_benefit")

#: Summary values that are not outcome columns but can be analysed.
EXTRA_SUMMARY = ("mean_participation_rate", "peak_participants", "payback_week")

#: Runs (seeds) per design point when an experiment does not say: sensitivity
#: designs average over seeds so that seed noise can be measured and kept out of
#: the indices; a grid runs each point once unless told otherwise.
DEFAULT_REPLICATES = {"grid": 1, "latin": 3, "saltelli": 3, "morris": 3}


def default_replicates(kind: str) -> int:
    """Replicates per design point when none are given (3 for sampled designs, 1 for grids)."""
    return DEFAULT_REPLICATES.get(kind, 1)


_TOP_KEYS = ("name", "description", "base", "base_file", "weeks", "replicates", "seed",
             "same_seeds", "set", "design", "factors", "scenarios", "outputs")
_DESIGN_KEYS = ("kind", "samples", "levels", "second_order", "seed")
_OUTPUT_KEYS = ("weekly", "outcomes")
_SCENARIO_KEYS = ("name", "preset", "file", "set")


class ExperimentError(UsageError):
    """An experiment file or design is not allowed.

    The message names the key, the value given and what is allowed.
    """

    def __init__(self, key: str, value: Any, allowed: str, source: str | None = None):
        self.key, self.value, self.allowed, self.source = key, value, allowed, source
        where = f" in {source}" if source else ""
        super().__init__(f"Experiment problem{where}: '{key}' is {value!r}; allowed: {allowed}.")


# ---------------------------------------------------------------------------
# Factors
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    """One lever varied by an experiment.

    Attributes:
        name: Parameter name (a key of ``PARAMETERS``).
        low: Smallest value (numbers), within the table's range.
        high: Largest value (numbers), within the table's range.
        choices: Allowed choices, in order (choice levers), or ``(False, True)``.
        values: Explicit values for a grid (empty: spaced or all choices).
        steps: Evenly spaced values from low to high for a grid (numbers).
    """

    name: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    values: tuple[Any, ...] = ()
    steps: int | None = None

    @property
    def param(self) -> Param:
        """The parameter-table entry of this factor."""
        return PARAMETERS[self.name]

    def grid_values(self) -> tuple[Any, ...]:
        """The values this factor takes in a full-factorial grid."""
        if self.values:
            return self.values
        if self.choices:
            return self.choices
        steps = self.steps or 3
        raw = np.linspace(self.low, self.high, steps)
        if self.param.kind == "int":
            return tuple(dict.fromkeys(int(round(v)) for v in raw))
        return tuple(float(round(v, 10)) for v in raw)

    def from_unit(self, u: float) -> Any:
        """Map a sample in ``[0, 1]`` to a value of this lever (see module notes)."""
        u = min(max(float(u), 0.0), 1.0)
        kind = self.param.kind
        if kind == "float":
            return float(self.low + u * (self.high - self.low))
        if kind == "int":
            lo, hi = int(self.low), int(self.high)
            return min(hi, lo + int(math.floor(u * (hi - lo + 1))))
        options = self.choices
        return options[min(len(options) - 1, int(math.floor(u * len(options))))]

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description for the manifest."""
        out: dict[str, Any] = {"name": self.name, "kind": self.param.kind}
        if self.low is not None:
            out.update(low=self.low, high=self.high)
        if self.choices:
            out["choices"] = list(self.choices)
        if self.values:
            out["values"] = list(self.values)
        if self.steps:
            out["steps"] = self.steps
        return out


def make_factor(name: str, spec: Any = None, *, grid: bool = False,
                source: str | None = None) -> Factor:
    """Build a factor from the parameter table, optionally narrowed.

    Args:
        name: Parameter name.
        spec: ``None``/``{}`` for the full range; a list of values (grid); or a
            table with ``low``/``high``/``steps`` (numbers) or ``choices``.
        grid: Whether the factor is for a grid (lists of values allowed).
        source: File name for error messages.

    Raises:
        ExperimentError: naming the key, the value and what is allowed.
    """
    key = f"factors.{name}"
    p = PARAMETERS.get(name)
    if p is None:
        raise ExperimentError(key, name, "a known parameter name (see `coprod-sim params`)",
                              source)
    if name == "weeks":
        raise ExperimentError(key, name, "a lever other than 'weeks' (set weeks at the top "
                              "of the file)", source)
    full = (False, True) if p.kind == "bool" else tuple(p.choices) if p.kind == "choice" else ()
    low = float(p.low) if p.low is not None else None
    high = float(p.high) if p.high is not None else None
    if p.kind == "int":
        low, high = int(p.low), int(p.high)
    if spec is None or (isinstance(spec, Mapping) and not spec):
        return Factor(name, low, high, full)
    if isinstance(spec, (list, tuple)):
        if not grid:
            raise ExperimentError(key, spec, "a table such as { low = ..., high = ... } or "
                                  "{ choices = [...] } for a sampled design (lists of values "
                                  "are for grids)", source)
        if not spec:
            raise ExperimentError(key, spec, "a non-empty list of values", source)
        clean = []
        for value in spec:
            try:
                clean.append(Scenario(**{name: value})[name])
            except ScenarioError:
                raise ExperimentError(key, value, p.allowed(), source) from None
        return Factor(name, low, high, full, values=tuple(dict.fromkeys(clean)))
    if not isinstance(spec, Mapping):
        raise ExperimentError(key, spec, "a list of values (grid) or a table such as "
                              "{ low = ..., high = ... }", source)
    allowed_keys = ("choices",) if full else ("low", "high", "steps")
    for k in spec:
        if k not in allowed_keys or (k == "steps" and not grid):
            ok = [a for a in allowed_keys if a != "steps" or grid]
            raise ExperimentError(f"{key}.{k}", spec[k], "one of the keys "
                                  + ", ".join(repr(a) for a in ok), source)
    if full:
        chosen = tuple(spec.get("choices", full))
        if not chosen or any(c not in full for c in chosen) or len(set(chosen)) != len(chosen):
            raise ExperimentError(f"{key}.choices", list(chosen), "a list of distinct values "
                                  "from " + ", ".join(repr(c) for c in full), source)
        return Factor(name, low, high, chosen)
    for k in ("low", "high"):
        if k in spec:
            v = spec[k]
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
            if ok and p.kind == "int":
                ok = float(v).is_integer()
            if not ok or not (p.low <= v <= p.high):
                raise ExperimentError(f"{key}.{k}", v, f"{p.allowed()} (the parameter "
                                      "table's range; you may only narrow it)", source)
    lo = spec.get("low", low)
    hi = spec.get("high", high)
    if p.kind == "int":
        lo, hi = int(lo), int(hi)
    else:
        lo, hi = float(lo), float(hi)
    if lo >= hi:
        raise ExperimentError(f"{key}.low", lo, f"less than high ({hi:g})", source)
    steps = spec.get("steps")
    if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool)
                              or not 2 <= steps <= 101):
        raise ExperimentError(f"{key}.steps", steps, "a whole number from 2 to 101", source)
    return Factor(name, lo, hi, (), steps=steps)


# ---------------------------------------------------------------------------
# Experiment
# ---------------------------------------------------------------------------
@dataclass
class Experiment:
    """A description of an experiment: scenarios, factors, design and seeds.

    Build one in Python or with :func:`load_experiment` from a TOML file.

    Attributes:
        name: Short name.
        description: One sentence on what the experiment asks.
        scenarios: Base scenarios (each crossed with the grid; one for sampled designs).
        factors: Levers varied, in order.
        kind: ``"grid"``, ``"latin"``, ``"saltelli"`` or ``"morris"``.
        samples: Latin: points; Saltelli: base sample N (a power of 2); Morris:
            trajectories.
        levels: Morris grid levels (even number, default 4).
        second_order: Saltelli: also estimate second-order (pair) indices.
        replicates: Runs (seeds) per design point (default: 3 for sampled
            designs, 1 for grids; see :data:`DEFAULT_REPLICATES`).
        seed: Base seed; run seeds and the design sample derive from it.
        design_seed: Seed for the SALib sample (default: ``seed``).
        same_seeds: Use the same seeds at every design point (common random
            numbers), so differences between points are not seed noise.
        weeks: Weeks per run (default: each scenario's ``weeks``).
        weekly: Keep the weekly table (one row per run and week).
        outcomes: Outcomes analysed by :func:`~coprod_sim.experiments.analyse`.
        source: File the experiment came from (for messages).
    """

    name: str = "experiment"
    description: str = ""
    scenarios: list[Scenario] = field(default_factory=lambda: [Scenario(name="default")])
    factors: list[Factor] = field(default_factory=list)
    kind: str = "grid"
    samples: int = 0
    levels: int = 4
    second_order: bool = False
    replicates: int | None = None
    seed: int = 0
    design_seed: int | None = None
    same_seeds: bool = True
    weeks: int | None = None
    weekly: bool = True
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    source: str | None = None
    #: True when ``replicates`` was not given and took the design's default.
    replicates_by_default: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.replicates is None:
            self.replicates = default_replicates(self.kind)
            self.replicates_by_default = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (stored in the manifest)."""
        return {
            "name": self.name, "description": self.description, "kind": self.kind,
            "scenarios": [s.name for s in self.scenarios],
            "factors": [f.describe() for f in self.factors],
            "samples": self.samples, "levels": self.levels,
            "second_order": self.second_order, "replicates": self.replicates,
            "seed": self.seed, "design_seed": self.design_seed,
            "same_seeds": self.same_seeds, "weeks": self.weeks, "weekly": self.weekly,
            "outcomes": list(self.outcomes), "source": self.source,
        }


def _want(data: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], allowed: str,
          source: str | None, default: Any = None, prefix: str = "") -> Any:
    if key not in data:
        return default
    value = data[key]
    bad = not isinstance(value, kinds) or (isinstance(value, bool) and bool not in
                                           (kinds if isinstance(kinds, tuple) else (kinds,)))
    if bad:
        raise ExperimentError(prefix + key, value, allowed, source)
    return value


def _check_keys(data: Mapping[str, Any], allowed: Sequence[str], prefix: str,
                source: str | None) -> None:
    for key in data:
        if key not in allowed:
            raise ExperimentError(prefix + key, data[key], "one of the keys "
                                  + ", ".join(repr(k) for k in allowed), source)


def _base_scenario(preset: str | None, file: str | None, changes: Any, name: str | None,
                   where: str, source: str | None, folder: Path) -> Scenario:
    if preset is not None and file is not None:
        raise ExperimentError(f"{where}file", file, "either a preset or a file, not both",
                              source)
    if preset is not None and not isinstance(preset, str):
        raise ExperimentError(f"{where}preset" if where else "base", preset,
                              "a preset name (text)", source)
    if file is not None:
        if not isinstance(file, str) or not file:
            raise ExperimentError(f"{where}file" if where else "base_file", file,
                                  "the path of a scenario file (.toml or .json), as text",
                                  source)
        path = Path(file)
        if not path.is_absolute():
            path = folder / path
        scenario = Scenario.from_file(path)
    else:
        preset = preset or "default"
        if preset not in presets.names():
            raise ExperimentError(f"{where}preset" if where else "base", preset,
                                  "one of " + ", ".join(repr(n) for n in presets.names()),
                                  source)
        scenario = presets.get(preset)
    if changes:
        if not isinstance(changes, Mapping):
            raise ExperimentError(f"{where}set", changes, "a table of parameter = value",
                                  source)
        for key in changes:
            if key not in PARAMETERS:
                raise ExperimentError(f"{where}set.{key}", changes[key],
                                      "a known parameter name (see `coprod-sim params`)",
                                      source)
        try:
            scenario = scenario.replace(**changes)
        except ScenarioError as err:
            key, value, allowed = err.problems[0]
            raise ExperimentError(f"{where}set.{key}", value, allowed, source) from None
    if name:
        scenario = scenario.replace(name=name)
    return scenario


def experiment_from_dict(data: Mapping[str, Any], source: str | None = None,
                         folder: str | os.PathLike | None = None) -> Experiment:
    """Build an :class:`Experiment` from a mapping (the parsed TOML file).

    Raises:
        ExperimentError: for the first problem found, naming the key, the value
            and what is allowed.
    """
    folder = Path(folder) if folder is not None else Path.cwd()
    _check_keys(data, _TOP_KEYS, "", source)
    name = _want(data, "name", str, "text", source, "experiment")
    description = _want(data, "description", str, "text", source, "")
    seed = _want(data, "seed", int, "a whole number from 0 to 2**63", source, 0)
    if not 0 <= seed < 2**63:
        raise ExperimentError("seed", seed, "a whole number from 0 to 2**63", source)
    same_seeds = _want(data, "same_seeds", bool, "true or false", source, True)
    weeks = _want(data, "weeks", int, PARAMETERS["weeks"].allowed(), source)
    if weeks is not None and not PARAMETERS["weeks"].low <= weeks <= PARAMETERS["weeks"].high:
        raise ExperimentError("weeks", weeks, PARAMETERS["weeks"].allowed(), source)

    design = _want(data, "design", dict, "a table ([design])", source, {})
    _check_keys(design, _DESIGN_KEYS, "design.", source)
    kind = design.get("kind", "grid")
    if kind not in KINDS:
        raise ExperimentError("design.kind", kind, "one of " + ", ".join(repr(k) for k in KINDS),
                              source)
    replicates = _want(data, "replicates", int, "a whole number from 1 to 10000", source)
    if replicates is not None and not 1 <= replicates <= 10000:
        raise ExperimentError("replicates", replicates, "a whole number from 1 to 10000", source)
    samples = _want(design, "samples", int, "a whole number of at least 2", source, 0,
                    "design.")
    levels = _want(design, "levels", int, "an even whole number from 2 to 20", source, 4,
                   "design.")
    second_order = _want(design, "second_order", bool, "true or false", source, False,
                         "design.")
    design_seed = _want(design, "seed", int, "a whole number from 0 to 2**32 - 1", source,
                        None, "design.")
    if design_seed is not None and not 0 <= design_seed < 2**32:
        raise ExperimentError("design.seed", design_seed, "a whole number from 0 to "
                              "2**32 - 1 (4294967295)", source)
    if kind in SAMPLED and samples < 2:
        raise ExperimentError("design.samples", design.get("samples"), "a whole number of at "
                              f"least 2 for a {kind} design", source)
    if kind == "saltelli" and samples & (samples - 1):
        raise ExperimentError("design.samples", samples, "a power of 2 (such as 8, 16, 32, "
                              "64) for a saltelli design", source)
    if kind == "morris" and (levels % 2 or not 2 <= levels <= 20):
        raise ExperimentError("design.levels", levels, "an even whole number from 2 to 20",
                              source)

    raw_factors = data.get("factors", {})
    if isinstance(raw_factors, list):
        if not all(isinstance(f, str) for f in raw_factors):
            raise ExperimentError("factors", raw_factors, "a list of parameter names or a "
                                  "table ([factors])", source)
        raw_factors = {f: None for f in raw_factors}
    if not isinstance(raw_factors, Mapping):
        raise ExperimentError("factors", raw_factors, "a list of parameter names or a table "
                              "([factors])", source)
    factors = [make_factor(k, v, grid=kind == "grid", source=source)
               for k, v in raw_factors.items()]
    if kind in SAMPLED and len(factors) < 2:
        raise ExperimentError("factors", list(raw_factors), f"at least two levers for a {kind} "
                              "design", source)

    base = _want(data, "base", str, "a preset name", source)
    base_file = _want(data, "base_file", str, "a scenario file (.toml or .json)", source)
    top = _base_scenario(base, base_file, data.get("set"), None, "", source, folder)
    raw_scenarios = _want(data, "scenarios", list, "a list of tables ([[scenarios]])", source,
                          [])
    scenarios = []
    for i, entry in enumerate(raw_scenarios):
        where = f"scenarios[{i}]."
        if not isinstance(entry, Mapping):
            raise ExperimentError(f"scenarios[{i}]", entry, "a table with name, preset or "
                                  "file, and set", source)
        _check_keys(entry, _SCENARIO_KEYS, where, source)
        sname = _want(entry, "name", str, "text", source, None, where)
        if sname is None:
            raise ExperimentError(where + "name", None, "a short name for the scenario", source)
        for key, table in (("set", data.get("set")), (where + "set", entry.get("set"))):
            if table is not None and not isinstance(table, Mapping):
                raise ExperimentError(key, table, "a table of parameter = value", source)
        changes = {**(data.get("set") or {}), **(entry.get("set") or {})}
        own = "preset" in entry or "file" in entry  # the entry's own base replaces the top's
        scenarios.append(_base_scenario(entry.get("preset") if own else base,
                                        entry.get("file") if own else base_file,
                                        changes, sname, where, source, folder))
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ExperimentError("scenarios.name", names, "distinct names", source)
    if not scenarios:
        scenarios = [top.replace(name=base or (Path(base_file).stem if base_file else "default"))]
    if kind in SAMPLED and len(scenarios) > 1:
        raise ExperimentError("scenarios", names, f"no [[scenarios]] list for a {kind} design "
                              "(use base and set)", source)

    outputs = _want(data, "outputs", dict, "a table ([outputs])", source, {})
    _check_keys(outputs, _OUTPUT_KEYS, "outputs.", source)
    weekly = _want(outputs, "weekly", bool, "true or false", source, True, "outputs.")
    outcomes = _want(outputs, "outcomes", list, "a list of outcome names", source,
                     list(DEFAULT_OUTCOMES), "outputs.")
    numeric = [RENAMED.get(o, o) for o in NUMERIC if o not in DROPPED] + list(EXTRA_SUMMARY)
    for o in outcomes:
        if o not in numeric:
            raise ExperimentError("outputs.outcomes", o, "numeric outcomes such as "
                                  + ", ".join(DEFAULT_OUTCOMES) + " (see `coprod-sim outcomes`)",
                                  source)
    exp = Experiment(name=name, description=description, scenarios=scenarios, factors=factors,
                     kind=kind, samples=samples, levels=levels, second_order=second_order,
                     replicates=replicates, seed=seed, design_seed=design_seed,
                     same_seeds=same_seeds, weeks=weeks, weekly=weekly,
                     outcomes=tuple(outcomes), source=source)
    return exp


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read an experiment from a TOML file (format: ``docs/research.md``).

    Raises:
        ExperimentError: if the file is missing, not TOML, or holds a bad key or value.
    """
    path = Path(path)
    if path.suffix.lower() != ".toml":
        raise ExperimentError("file type", path.suffix or "(none)", "'.toml'", str(path))
    try:
        text = read_text_capped(path)
    except FileProblem as err:
        raise ExperimentError("file", str(path), f"a readable file: a regular UTF-8 text "
                              f"file of at most {MAX_TEXT_BYTES:,} bytes (it {err.strerror})",
                              str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ExperimentError("file", path.name, f"valid TOML ({err})", str(path)) from None
    except RecursionError:
        raise ExperimentError("file", path.name, "valid TOML that is not nested hundreds of "
                              "levels deep", str(path)) from None
    return experiment_from_dict(data, source=str(path), folder=path.parent)


# ---------------------------------------------------------------------------
# Sizes: computed arithmetically, before anything is built
# ---------------------------------------------------------------------------
#: Designs with more runs than this are refused unless confirmed (``--yes``).
CONFIRM_RUNS = 200_000

#: Sampled designs are drawn whole by SALib, so their points are capped (memory).
MAX_SAMPLED_POINTS = 2_000_000

#: Grids up to this many points are checked point by point before anything runs;
#: in larger grids a point that breaks a rule across levers fails as a run.
CHECK_ALL_POINTS = 200_000


def sampled_points(kind: str, samples: int, n_factors: int, second_order: bool) -> int:
    """Points of a sampled design, by arithmetic (SALib's sizes)."""
    if kind == "latin":
        return samples
    if kind == "saltelli":
        return samples * (2 * n_factors + 2 if second_order else n_factors + 2)
    if kind == "morris":
        return samples * (n_factors + 1)
    raise ValueError(f"{kind!r} is not a sampled design")


def design_size(exp: Experiment) -> tuple[int, int]:
    """``(design points, runs)`` of an experiment, without building anything."""
    if exp.kind == "grid":
        points = len(exp.scenarios)
        for f in exp.factors:
            points *= len(f.grid_values())
    else:
        points = sampled_points(exp.kind, exp.samples, len(exp.factors), exp.second_order)
    return points, points * exp.replicates


def describe_size(exp: Experiment) -> str:
    """One line: points x replicates = runs, and weeks per run."""
    points, runs = design_size(exp)
    weeks = exp.weeks or max(s.weeks for s in exp.scenarios)
    line = (f"Design: {points:,} point{'s' if points != 1 else ''} x {exp.replicates:,} "
            f"replicate{'s' if exp.replicates != 1 else ''} = {runs:,} run"
            f"{'s' if runs != 1 else ''} of {weeks} weeks ({exp.kind}).")
    if exp.replicates_by_default and exp.kind in SAMPLED:
        line += (f" {exp.replicates} replicates is the default for a {exp.kind} design "
                 "(set replicates in the file to change it).")
    return line


def check_size(exp: Experiment, confirmed: bool = False, limit: int | None = None) -> None:
    """Refuse designs that cannot fit in memory, and large ones unless ``confirmed``.

    Raises:
        ExperimentError: naming the size and what is allowed.
    """
    points, runs = design_size(exp)
    if exp.kind in SAMPLED and points > MAX_SAMPLED_POINTS:
        raise ExperimentError("design.samples", exp.samples,
                              f"a size that gives at most {MAX_SAMPLED_POINTS:,} points (this "
                              f"{exp.kind} design has {points:,}, drawn whole in memory)",
                              exp.source)
    _check_runs(runs, confirmed, limit, exp.source)


def _check_runs(runs: int, confirmed: bool, limit: int | None, source: str | None) -> None:
    limit = CONFIRM_RUNS if limit is None else limit
    if runs > limit and not confirmed:
        raise ExperimentError("design size", f"{runs:,} runs", f"at most {limit:,} runs, "
                              "or add --yes to confirm a design this large (yes=True in "
                              "Python)", source)


def check_plan_size(plan: Plan, confirmed: bool = False, limit: int | None = None) -> None:
    """Refuse a plan of more than ``limit`` runs unless ``confirmed`` (as :func:`check_size`).

    A plan is already built (its sampled points drawn), so only the number of
    runs is checked.

    Raises:
        ExperimentError: naming the size and what is allowed.
    """
    _check_runs(len(plan.runs), confirmed, limit, plan.experiment.get("source"))


# ---------------------------------------------------------------------------
# Plan: points, runs and seeds (computed on demand, never listed whole)
# ---------------------------------------------------------------------------
def run_seed(base_seed: int, point: int, replicate: int, same_seeds: bool = True) -> int:
    """The seed of one run, derived with numpy's ``SeedSequence``.

    With ``same_seeds`` the seed depends only on the base seed and the
    replicate (common random numbers across design points); otherwise also on
    the point.
    """
    key = (replicate,) if same_seeds else (point, replicate)
    ss = np.random.SeedSequence(base_seed, spawn_key=key)
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def salib_problem(factors: Sequence[Factor] | Sequence[str]) -> dict[str, Any]:
    """The SALib problem: every factor on ``[0, 1]`` (mapped by :meth:`Factor.from_unit`)."""
    names = [f if isinstance(f, str) else f.name for f in factors]
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def _sample(experiment: Mapping[str, Any]) -> np.ndarray:
    names = [f["name"] for f in experiment["factors"]]
    problem = salib_problem(names)
    seed = experiment["seed"] if experiment.get("design_seed") is None \
        else experiment["design_seed"]
    seed = int(seed) % 2**32
    kind, samples = experiment["kind"], int(experiment["samples"])
    size = sampled_points(kind, samples, len(names), bool(experiment.get("second_order")))
    if size > MAX_SAMPLED_POINTS:
        raise ExperimentError("design.samples", samples, f"a size that gives at most "
                              f"{MAX_SAMPLED_POINTS:,} points (this one gives {size:,})",
                              experiment.get("source"))
    if kind == "latin":
        from SALib.sample import latin
        return latin.sample(problem, samples, seed=seed)
    if kind == "saltelli":
        from SALib.sample import sobol
        return sobol.sample(problem, samples, calc_second_order=bool(
            experiment.get("second_order")), seed=seed)
    if kind == "morris":
        from SALib.sample import morris
        return morris.sample(problem, samples, num_levels=int(experiment.get("levels", 4)),
                             seed=seed)
    raise ValueError(f"{kind!r} is not a sampled design")


def sample_unit(exp: Experiment) -> np.ndarray:
    """Draw the SALib sample on ``[0, 1]`` for a sampled design (rows are points)."""
    return _sample(exp.to_dict())


def _factor_from(desc: Mapping[str, Any]) -> Factor:
    return Factor(desc["name"], desc.get("low"), desc.get("high"),
                  tuple(desc.get("choices", ())), tuple(desc.get("values", ())),
                  desc.get("steps"))


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype="<f8").tobytes()).hexdigest()


class _Lazy(Sequence):
    """A read-only sequence whose items are computed on demand."""

    def __init__(self, n: int, item: Any):
        self._n, self._item = n, item

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._item(j) for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._item(i)

    def __iter__(self) -> Any:
        return (self._item(j) for j in range(self._n))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                       strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self._n:,} items, computed on demand>"


class Plan:
    """Every run of an experiment, fixed before anything runs, built on demand.

    A plan never lists its points or runs: ``points[i]`` and ``runs[i]`` are
    computed when asked for (grid points by mixed-radix arithmetic, sampled
    points from the SALib sample), so a plan of any size takes little memory.

    Attributes:
        experiment: The experiment description (``Experiment.to_dict()``).
        scenarios: Full values of each base scenario, by name.
        axes: Grid designs: ``[(factor, values), ...]`` (None for sampled designs).
        unit: Sampled designs: the factors' ``[0, 1]`` coordinates, one row per
            point (an array; None for grids).
        points: Per design point: ``(scenario name, factor values)``.
        runs: Per run: ``(run, point, replicate, seed)``; run = point x replicates + replicate.
        weeks: Weeks per run (None: each scenario's own).
        weekly: Whether the weekly table is kept.
        versions: Package versions the plan was made with.
    """

    def __init__(self, experiment: dict[str, Any], scenarios: dict[str, dict[str, Any]],
                 axes: list[tuple[str, tuple[Any, ...]]] | None, unit: np.ndarray | None,
                 weeks: int | None, weekly: bool, versions: dict[str, str],
                 explicit_points: list[tuple[str, dict[str, Any]]] | None = None):
        self.experiment, self.scenarios, self.axes = experiment, scenarios, axes
        self.unit = unit
        self.weeks, self.weekly, self.versions = weeks, weekly, versions
        self.replicates = int(experiment.get("replicates", 1))
        self.seed = int(experiment.get("seed", 0))
        self.same_seeds = bool(experiment.get("same_seeds", True))
        self._explicit = explicit_points
        self._names = list(scenarios)
        if explicit_points is not None:
            n_points = len(explicit_points)
        elif unit is not None:
            n_points = len(unit)
            self._factors = [_factor_from(f) for f in experiment["factors"]]
        else:
            self._combos = math.prod(len(v) for _, v in axes or [])
            n_points = len(self._names) * self._combos
        self.points: Sequence[tuple[str, dict[str, Any]]] = _Lazy(n_points, self._point)
        self.runs: Sequence[tuple[int, int, int, int]] = _Lazy(n_points * self.replicates,
                                                               self._run)

    def _point(self, i: int) -> tuple[str, dict[str, Any]]:
        if self._explicit is not None:
            name, values = self._explicit[i]
            return name, dict(values)
        if self.unit is not None:
            return self._names[0], {f.name: _json_value(f.from_unit(u))
                                    for f, u in zip(self._factors, self.unit[i], strict=True)}
        scenario, rest = divmod(i, self._combos)
        values: dict[str, Any] = {}
        for name, axis in reversed(self.axes or []):
            rest, j = divmod(rest, len(axis))
            values[name] = axis[j]
        return self._names[scenario], {n: values[n] for n, _ in self.axes or []}

    def _run(self, run: int) -> tuple[int, int, int, int]:
        point, replicate = divmod(run, self.replicates)
        return run, point, replicate, run_seed(self.seed, point, replicate, self.same_seeds)

    def scenario(self, point: int) -> Scenario:
        """The complete scenario of one design point."""
        return Scenario(name=self.points[point][0], **self.values(point))

    def values(self, point: int) -> dict[str, Any]:
        """The complete parameter values of one design point."""
        name, values = self.points[point]
        full = {**self.scenarios[name], **values}
        if self.weeks is not None:
            full["weeks"] = self.weeks
        return full

    def task(self, run: int) -> tuple[int, str, dict[str, Any], int]:
        """The work of one run: ``(run, scenario name, parameter values, seed)``."""
        _, point, _, seed = self.runs[run]
        return run, self.points[point][0], self.values(point), seed

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (what the manifest stores): small whatever the design size."""
        out: dict[str, Any] = {
            "experiment": self.experiment, "scenarios": self.scenarios,
            "n_points": len(self.points), "n_runs": len(self.runs),
            "weeks": self.weeks, "weekly": self.weekly, "versions": self.versions}
        if self._explicit is not None:
            out["points"] = [[n, v] for n, v in self._explicit]
        elif self.unit is not None:
            out["unit_sha256"] = _digest(self.unit)
        else:
            out["axes"] = [[n, list(v)] for n, v in self.axes or []]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from :meth:`to_dict` output (e.g. a manifest).

        A sampled design is drawn again with SALib and checked against the
        stored digest.

        Raises:
            UsageError: if the stored plan is incomplete or its sample cannot be
                drawn again identically (another SALib or numpy version).
        """
        try:
            experiment = dict(data["experiment"])
            args = dict(experiment=experiment, scenarios=dict(data["scenarios"]),
                        weeks=data["weeks"], weekly=bool(data["weekly"]),
                        versions=dict(data.get("versions") or {}))
            if "points" in data:  # written by version 0.1.0, which listed every point
                points = [(n, dict(v)) for n, v in data["points"]]
                unit = data.get("unit")
                return cls(**args, axes=None, explicit_points=points,
                           unit=None if unit is None else np.asarray(unit, dtype=float))
            if "axes" in data:
                axes = [(n, tuple(v)) for n, v in data["axes"]]
                return cls(**args, axes=axes, unit=None)
            digest = data["unit_sha256"]
        except (KeyError, TypeError, ValueError) as err:
            raise UsageError(f"the stored plan is incomplete or damaged ({err!r} is missing "
                             "or wrong)") from None
        unit = _sample(experiment)
        if _digest(unit) != digest:
            raise UsageError("the stored sensitivity design cannot be drawn again identically "
                             "with the installed SALib/numpy (recorded: "
                             f"{data.get('versions', {})}); install the recorded versions")
        return cls(**args, axes=None, unit=unit)

    def fingerprint(self) -> str:
        """A hash of the plan: resuming is allowed only into the same plan."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return (f"Plan({self.experiment.get('name')!r}, {len(self.points):,} points, "
                f"{len(self.runs):,} runs)")


def versions() -> dict[str, str]:
    """Versions of the packages that decide the numbers (see :mod:`.provenance`)."""
    return dict(package_versions())


def _json_value(value: Any) -> Any:
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def build_plan(exp: Experiment) -> Plan:
    """Expand an experiment into a plan of design points and runs.

    The size is computed first (:func:`design_size`) and sampled designs too
    large for memory are refused. Every point is checked against the rules
    across levers when there are at most :data:`CHECK_ALL_POINTS`.

    Raises:
        ExperimentError: if a design point breaks a rule across levers (for
            example role shares adding to more than 0.9): narrow the ranges.
    """
    points, _ = design_size(exp)
    if exp.kind in SAMPLED and points > MAX_SAMPLED_POINTS:
        check_size(exp, confirmed=True)
    scenarios = {s.name: s.to_dict() for s in exp.scenarios}
    if exp.kind == "grid":
        axes = [(f.name, tuple(_json_value(v) for v in f.grid_values())) for f in exp.factors]
        plan = Plan(exp.to_dict(), scenarios, axes, None, exp.weeks, exp.weekly, versions())
    else:
        plan = Plan(exp.to_dict(), scenarios, None, sample_unit(exp), exp.weeks, exp.weekly,
                    versions())
    for i in range(min(len(plan.points), CHECK_ALL_POINTS)):
        try:
            Scenario(**plan.values(i))
        except ScenarioError as err:
            key, value, allowed = err.problems[0]
            raise ExperimentError(key, value, f"{allowed} (design point {i}: narrow the "
                                  "factor ranges so every point is allowed)",
                                  exp.source) from None
    return plan


def outcome_label(name: str) -> str:
    """A plain label for an outcome or extra summary value."""
    if name in OUTCOMES:
        return OUTCOMES[name].label
    return {"mean_participation_rate": "Average share taking part",
            "peak_participants": "Most people taking part in a week",
            "payback_week": "Week benefit caught up with cost",
            "final_week_participants": "People taking part in the last week"}.get(name, name)


def chunked(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    """Split a sequence into lists of at most ``size`` items, in order."""
    for i in range(0, len(items), size):
        yield list(items[i:i + size])
