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

import dataclasses
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
from coprod_sim.calibration.constants import Constants
from coprod_sim.cli import UsageError
from coprod_sim.columns import DROPPED, RENAMED
from coprod_sim.experiments.provenance import package_versions
from coprod_sim.fileio import MAX_TEXT_BYTES, FileProblem, read_bytes_capped, read_text_capped
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
             "same_seeds", "set", "design", "factors", "levers", "uncertainties",
             "constants", "scenarios", "outputs")
_DESIGN_KEYS = ("kind", "samples", "levels", "second_order", "seed", "uncertainty_samples")
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
    #: ``"lever"`` (what a service chooses) or ``"uncertainty"`` (what we do not know).
    role: str = "lever"
    #: ``"uniform"``, ``"triangular"``, ``"normal"`` or ``"posterior"``.
    distribution: str = "uniform"
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    #: Factors of one group move together in a Sobol or Morris design.
    group: str | None = None
    #: A posterior: its file, constant addresses, rows (samples) and weights.
    file: str | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[float, ...], ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def param(self) -> Param:
        """The parameter-table entry of this factor (levers and evidence figures)."""
        return PARAMETERS[self.name]

    @property
    def is_constant(self) -> bool:
        """True for a constant of ``fitted.toml`` (an address such as ``base_chance[0]``)."""
        return self.name not in PARAMETERS and self.distribution != "posterior"

    @property
    def kind(self) -> str:
        """The parameter kind (``"float"`` for constants; ``"posterior"``)."""
        if self.distribution == "posterior":
            return "posterior"
        return "float" if self.is_constant else self.param.kind

    def _quantile(self, u: float) -> float:
        """The value at cumulative probability ``u`` of a number's distribution."""
        if self.distribution == "triangular":
            lo, mo, hi = float(self.low), float(self.mode), float(self.high)
            cut = (mo - lo) / (hi - lo)
            if u <= cut:
                return lo + math.sqrt(u * (hi - lo) * (mo - lo))
            return hi - math.sqrt((1 - u) * (hi - lo) * (hi - mo))
        if self.distribution == "normal":
            from scipy.stats import norm

            lo = norm.cdf(self.low, self.mean, self.sd) if self.low is not None else 0.001
            hi = norm.cdf(self.high, self.mean, self.sd) if self.high is not None else 0.999
            value = float(norm.ppf(lo + u * (hi - lo), self.mean, self.sd))
            if self.low is not None:
                value = max(value, float(self.low))
            if self.high is not None:
                value = min(value, float(self.high))
            return value
        return float(self.low + u * (self.high - self.low))

    def grid_values(self) -> tuple[Any, ...]:
        """The values this factor takes in a full-factorial grid."""
        if self.values:
            return self.values
        if self.choices:
            return self.choices
        steps = self.steps or 3
        if self.distribution in ("triangular", "normal"):
            return tuple(float(round(self._quantile((i + 0.5) / steps), 10))
                         for i in range(steps))
        raw = np.linspace(self.low, self.high, steps)
        if self.kind == "int":
            return tuple(dict.fromkeys(int(round(v)) for v in raw))
        return tuple(float(round(v, 10)) for v in raw)

    def from_unit(self, u: float) -> Any:
        """Map a sample in ``[0, 1]`` to a value of this factor (see module notes).

        A posterior gives the index of its row (see :meth:`point_values`).
        """
        u = min(max(float(u), 0.0), 1.0)
        kind = self.kind
        if kind == "posterior":
            cum = np.cumsum(self.weights) if self.weights else None
            n = len(self.rows)
            if cum is None:
                return min(n - 1, int(math.floor(u * n)))
            return min(n - 1, int(np.searchsorted(cum / cum[-1], u, side="right")))
        if kind == "float":
            return self._quantile(u)
        if kind == "int":
            lo, hi = int(self.low), int(self.high)
            return min(hi, lo + int(math.floor(u * (hi - lo + 1))))
        options = self.choices
        return options[min(len(options) - 1, int(math.floor(u * len(options))))]

    def point_values(self, value: Any) -> dict[str, Any]:
        """The columns a value of this factor gives a design point.

        A posterior's row index gives ``posterior`` (the row) and one value per
        constant in the file; any other factor gives ``{name: value}``.
        """
        if self.kind != "posterior":
            return {self.name: value}
        row = int(value)
        return {"posterior": row, **dict(zip(self.columns, self.rows[row], strict=True))}

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description for the manifest (everything to rebuild it)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.role != "lever":
            out["role"] = self.role
        if self.distribution != "uniform":
            out["distribution"] = self.distribution
        if self.low is not None:
            out.update(low=self.low, high=self.high)
        for key in ("mode", "mean", "sd", "group", "file"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.choices:
            out["choices"] = list(self.choices)
        if self.values:
            out["values"] = list(self.values)
        if self.steps:
            out["steps"] = self.steps
        if self.columns:
            out["columns"] = list(self.columns)
            out["rows"] = [list(r) for r in self.rows]
            if self.weights:
                out["weights"] = list(self.weights)
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
    if isinstance(spec, Mapping) and "group" in spec:  # factors of a group move together
        group = spec["group"]
        if not (isinstance(group, str) and group):
            raise ExperimentError(f"factors.{name}.group", group, "a group name (text)",
                                  source)
        rest = {k: v for k, v in spec.items() if k != "group"}
        factor = make_factor(name, rest, grid=grid, source=source)
        return dataclasses.replace(factor, group=group)
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


#: Distributions an uncertainty may take (``distribution = ...``).
DISTRIBUTIONS = ("uniform", "triangular", "normal")

#: Most rows read from a posterior file (each is stored in the plan).
MAX_POSTERIOR_ROWS = 100_000


def _number(key: str, value: Any, source: str | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(float(value)):
        raise ExperimentError(key, value, "a finite number", source)
    return float(value)


def make_uncertainty(name: str, spec: Any = None, *, grid: bool = False,
                     source: str | None = None, constants: Constants | None = None,
                     folder: str | os.PathLike | None = None) -> Factor:
    """Build an uncertainty: a constant (by address), an evidence figure, or a posterior.

    Args:
        name: A constant's address (``"voice_exponent"``, ``"base_chance[0]"``),
            a parameter-table name, or ``"posterior"``.
        spec: A table: ``low``/``high`` (uniform), ``distribution`` with its
            numbers (``mode``; ``mean``, ``sd``), ``group``, ``steps`` (grids);
            a list of values (grids); for ``posterior``, ``{ file = ... }``.
        grid: Whether the factor is for a grid.
        source: File name for error messages.
        constants: The experiment's constants (to check addresses).
        folder: Folder that relative posterior files are read from.

    Raises:
        ExperimentError: naming the key, the value and what is allowed.
    """
    key = f"uncertainties.{name}"
    if name == "posterior":
        return _posterior(spec, key, source, constants, folder)
    spec = {} if spec is None else spec
    group = None
    if isinstance(spec, Mapping):
        group = spec.get("group")
        if group is not None and not (isinstance(group, str) and group):
            raise ExperimentError(f"{key}.group", group, "a group name (text)", source)
    if name in PARAMETERS:
        if isinstance(spec, Mapping) and ("distribution" in spec or "mode" in spec
                                          or "mean" in spec):
            if PARAMETERS[name].kind != "float":
                raise ExperimentError(f"{key}.distribution", spec.get("distribution"),
                                      "uniform for a parameter that is not a number", source)
        plain = {k: v for k, v in spec.items() if k in ("low", "high", "steps", "choices")} \
            if isinstance(spec, Mapping) else spec
        lever = make_factor(name, plain, grid=grid, source=source)
        if isinstance(spec, Mapping):
            _check_keys(spec, ("low", "high", "steps", "choices", "group", "distribution",
                               "mode", "mean", "sd"), f"{key}.", source)
            dist = spec.get("distribution", "uniform")
            if dist != "uniform":
                return _distributed(name, spec, key, source, grid, group,
                                    lever.low, lever.high)
        return Factor(lever.name, lever.low, lever.high, lever.choices, lever.values,
                      lever.steps, role="uncertainty", group=group)
    try:
        from coprod_sim.calibration.constants import parse_address

        parse_address(name, constants)
    except ValueError as err:
        raise ExperimentError(key, name, "a parameter-table name, 'posterior' or a constant's "
                              f"address ({err})", source) from None
    if isinstance(spec, (list, tuple)):
        if not grid:
            raise ExperimentError(key, spec, "a table such as { low = ..., high = ... } for a "
                                  "sampled design (lists of values are for grids)", source)
        if not spec:
            raise ExperimentError(key, spec, "a non-empty list of numbers", source)
        values = tuple(dict.fromkeys(_number(key, v, source) for v in spec))
        return Factor(name, min(values), max(values), values=values, role="uncertainty")
    if not isinstance(spec, Mapping):
        raise ExperimentError(key, spec, "a table such as { low = ..., high = ... }", source)
    _check_keys(spec, ("low", "high", "steps", "group", "distribution", "mode", "mean", "sd"),
                f"{key}.", source)
    if spec.get("distribution", "uniform") != "uniform":
        return _distributed(name, spec, key, source, grid, group, None, None)
    for k in ("low", "high"):
        if k not in spec:
            raise ExperimentError(f"{key}.{k}", None, "a number: a constant has no table "
                                  "range, so give low and high", source)
    lo, hi = _number(f"{key}.low", spec["low"], source), _number(f"{key}.high",
                                                                  spec["high"], source)
    if lo >= hi:
        raise ExperimentError(f"{key}.low", lo, f"less than high ({hi:g})", source)
    return Factor(name, lo, hi, steps=_steps(spec, key, source, grid), role="uncertainty",
                  group=group)


def _steps(spec: Mapping[str, Any], key: str, source: str | None, grid: bool) -> int | None:
    steps = spec.get("steps")
    if steps is None:
        return None
    if not grid:
        raise ExperimentError(f"{key}.steps", steps, "no steps in a sampled design", source)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 2 <= steps <= 101:
        raise ExperimentError(f"{key}.steps", steps, "a whole number from 2 to 101", source)
    return steps


def _distributed(name: str, spec: Mapping[str, Any], key: str, source: str | None,
                 grid: bool, group: str | None, table_low: float | None,
                 table_high: float | None) -> Factor:
    dist = spec.get("distribution")
    if dist not in DISTRIBUTIONS:
        raise ExperimentError(f"{key}.distribution", dist,
                              "one of " + ", ".join(repr(d) for d in DISTRIBUTIONS), source)
    nums = {k: _number(f"{key}.{k}", spec[k], source) for k in ("low", "high", "mode",
                                                                 "mean", "sd") if k in spec}
    for k in ("low", "high"):
        limit = table_low if k == "low" else table_high
        if k in nums and limit is not None and not table_low <= nums[k] <= table_high:
            raise ExperimentError(f"{key}.{k}", nums[k], f"a number from {table_low:g} to "
                                  f"{table_high:g} (the parameter table's range)", source)
    steps = _steps(spec, key, source, grid)
    if dist == "triangular":
        for k in ("low", "mode", "high"):
            if k not in nums:
                raise ExperimentError(f"{key}.{k}", None, "a number (a triangular "
                                      "distribution needs low, mode and high)", source)
        if not nums["low"] <= nums["mode"] <= nums["high"] or nums["low"] >= nums["high"]:
            raise ExperimentError(f"{key}.mode", nums["mode"], f"low <= mode <= high, with "
                                  f"low < high (low {nums['low']:g}, high {nums['high']:g})",
                                  source)
        return Factor(name, nums["low"], nums["high"], steps=steps, role="uncertainty",
                      distribution="triangular", mode=nums["mode"], group=group)
    for k in ("mean", "sd"):
        if k not in nums:
            raise ExperimentError(f"{key}.{k}", None, "a number (a normal distribution "
                                  "needs mean and sd)", source)
    if nums["sd"] <= 0:
        raise ExperimentError(f"{key}.sd", nums["sd"], "a number above 0", source)
    lo = nums.get("low", table_low)
    hi = nums.get("high", table_high)
    if lo is not None and hi is not None and lo >= hi:
        raise ExperimentError(f"{key}.low", lo, f"less than high ({hi:g})", source)
    return Factor(name, lo, hi, steps=steps, role="uncertainty", distribution="normal",
                  mean=nums["mean"], sd=nums["sd"], group=group)


def _posterior(spec: Any, key: str, source: str | None, constants: Constants | None,
               folder: str | os.PathLike | None) -> Factor:
    if not isinstance(spec, Mapping) or "file" not in spec:
        raise ExperimentError(key, spec, "a table { file = \"samples.csv\" } (a CSV or "
                              "Parquet file: one row per sample, one column per constant)",
                              source)
    _check_keys(spec, ("file", "group"), f"{key}.", source)
    file = spec["file"]
    if not isinstance(file, str) or not file:
        raise ExperimentError(f"{key}.file", file, "the path of a CSV or Parquet file",
                              source)
    path = Path(file)
    if not path.is_absolute():
        path = Path(folder or ".") / path
    table = read_posterior(path, constants, source=source, key=f"{key}.file")
    weights = ()
    if "weight" in table:
        weights = tuple(float(w) for w in table.pop("weight"))
    columns = tuple(table.columns)
    rows = tuple(tuple(float(v) for v in row) for row in table.itertuples(index=False))
    return Factor("posterior", role="uncertainty", distribution="posterior", file=str(file),
                  columns=columns, rows=rows, weights=weights, group=spec.get("group"))


def read_posterior(path: str | os.PathLike, constants: Constants | None = None, *,
                   source: str | None = None, key: str = "posterior.file") -> Any:
    """Read a posterior file: one row per sample, one column per constant (and ``weight``).

    Raises:
        ExperimentError: naming the file and what is wrong.
    """
    import io

    import pandas as pd

    from coprod_sim.calibration.constants import parse_address

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ExperimentError(key, str(path), "a .csv or .parquet file", source)
    try:
        raw = read_bytes_capped(path, 64 * MAX_TEXT_BYTES)
    except FileProblem as err:
        raise ExperimentError(key, str(path), f"a readable file ({err.strerror})",
                              source) from None
    try:
        table = (pd.read_csv(io.BytesIO(raw)) if suffix == ".csv"
                 else pd.read_parquet(io.BytesIO(raw)))
    except Exception as err:  # any parser's complaint: one line
        raise ExperimentError(key, str(path), f"a readable {suffix[1:]} table "
                              f"({type(err).__name__}: {err})", source) from None
    if not 1 <= len(table) <= MAX_POSTERIOR_ROWS:
        raise ExperimentError(key, str(path), f"from 1 to {MAX_POSTERIOR_ROWS:,} rows "
                              f"(it has {len(table):,})", source)
    names = [str(c) for c in table.columns]
    if len(set(names)) != len(names) or not [c for c in names if c != "weight"]:
        raise ExperimentError(key, str(path), "distinct columns, at least one a constant",
                              source)
    for col in names:
        if col == "weight":
            continue
        try:
            parse_address(col, constants)
        except ValueError as err:
            raise ExperimentError(key, f"column {col!r}", f"a constant's address or "
                                  f"'weight' ({err})", source) from None
    try:
        table = table.astype(float)
    except (TypeError, ValueError):
        raise ExperimentError(key, str(path), "numbers only in every column", source) \
            from None
    if not np.isfinite(table.to_numpy()).all():
        raise ExperimentError(key, str(path), "finite numbers only (no gaps)", source)
    if "weight" in table and ((table["weight"] < 0).any() or table["weight"].sum() <= 0):
        raise ExperimentError(key, str(path), "weights of 0 or more, not all 0", source)
    table.columns = names
    return table


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
        uncertainties: What we do not know, varied like levers (constants by
            address, evidence figures, a posterior): see :func:`make_uncertainty`.
        constants: The constants every run starts from (None: the shipped fit).
        constants_source: Where they came from (``"shipped"`` or a file name).
        uncertainty_samples: Grids: cross every lever combination with this many
            Latin hypercube draws of the uncertainties ("worlds"; 0: none).
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
    uncertainties: list[Factor] = field(default_factory=list)
    constants: Constants | None = None
    constants_source: str = "shipped"
    uncertainty_samples: int = 0
    #: True when ``replicates`` was not given and took the design's default.
    replicates_by_default: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.constants is not None and self.constants_source == "shipped" \
                and self.constants != Constants.load():
            self.constants_source = "python"  # given in Python, not the shipped fit
        if self.replicates is None:
            self.replicates = default_replicates(self.kind)
            self.replicates_by_default = True

    @property
    def all_factors(self) -> list[Factor]:
        """Levers, then uncertainties (uncertainties marked ``role="uncertainty"``)."""
        unc = [f if f.role == "uncertainty" else dataclasses.replace(f, role="uncertainty")
               for f in self.uncertainties]
        return list(self.factors) + unc

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (stored in the manifest)."""
        out = {
            "name": self.name, "description": self.description, "kind": self.kind,
            "scenarios": [s.name for s in self.scenarios],
            "factors": [f.describe() for f in self.all_factors],
            "samples": self.samples, "levels": self.levels,
            "second_order": self.second_order, "replicates": self.replicates,
            "seed": self.seed, "design_seed": self.design_seed,
            "same_seeds": self.same_seeds, "weeks": self.weeks, "weekly": self.weekly,
            "outcomes": list(self.outcomes), "source": self.source,
            "constants": constants_record(self.constants, self.constants_source),
        }
        if self.uncertainty_samples:
            out["uncertainty_samples"] = self.uncertainty_samples
        return out


def constants_record(constants: Constants | None, source: str = "shipped") -> dict[str, Any]:
    """What the manifest records of the constants: source, SHA-256 and every value."""
    constants = constants if constants is not None else Constants.load()
    return {"source": source, "sha256": constants.sha256(), "values": constants.to_dict()}


def load_constants(spec: Any, folder: str | os.PathLike | None = None,
                   source: str | None = None, key: str = "constants"
                   ) -> tuple[Constants, str]:
    """The constants an experiment names: ``"shipped"`` or a constants file.

    Returns:
        ``(constants, source)``: the source is ``"shipped"`` or the file's name as given.

    Raises:
        ExperimentError: naming the file and what is wrong.
    """
    from coprod_sim.calibration.constants import ConstantsError

    if isinstance(spec, Constants):
        return spec, "python"
    if spec is None or spec == "shipped":
        return Constants.load(), "shipped"
    if not isinstance(spec, (str, os.PathLike)) or not str(spec):
        raise ExperimentError(key, spec, "\"shipped\" or the path of a constants file "
                              "(.toml, as written by `coprod-sim calibrate --write`)", source)
    path = Path(spec)
    if not path.is_absolute() and folder is not None:
        path = Path(folder) / path
    try:
        return Constants.load(path), str(spec)
    except ConstantsError as err:
        raise ExperimentError(key, str(spec), f"a readable constants file ({err})",
                              source) from None


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

    if "factors" in data and "levers" in data:
        raise ExperimentError("levers", data["levers"], "either [levers] or [factors] (an "
                              "older name for the same table), not both", source)
    raw_factors = data.get("levers", data.get("factors", {}))
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
    constants, constants_source = load_constants(data.get("constants"), folder, source)
    unc_samples = _want(design, "uncertainty_samples", int, "a whole number from 1 to "
                        "100000", source, 0, "design.")
    if unc_samples and not 1 <= unc_samples <= 100_000:
        raise ExperimentError("design.uncertainty_samples", unc_samples, "a whole number from "
                              "1 to 100000", source)
    if unc_samples and kind != "grid":
        raise ExperimentError("design.uncertainty_samples", unc_samples, "only in a grid "
                              f"design (a {kind} design samples uncertainties with the levers)",
                              source)
    raw_unc = _want(data, "uncertainties", dict, "a table ([uncertainties])", source, {})
    uncertainties = [make_uncertainty(k, v, grid=kind == "grid" and not unc_samples,
                                      source=source, constants=constants, folder=folder)
                     for k, v in raw_unc.items()]
    if unc_samples and not uncertainties:
        raise ExperimentError("design.uncertainty_samples", unc_samples, "an [uncertainties] "
                              "table to sample", source)
    if kind == "grid" and not unc_samples:
        for f in uncertainties:
            if f.kind == "posterior":
                raise ExperimentError("uncertainties.posterior", f.file, "a sampled design, "
                                      "or [design] uncertainty_samples = N in a grid", source)
    names_all = [f.name for f in factors] + [f.name for f in uncertainties]
    clash = sorted({n for n in names_all if names_all.count(n) > 1})
    if clash:
        raise ExperimentError("uncertainties", clash, "names that are not also levers", source)
    if kind in SAMPLED and len(factors) + len(uncertainties) < 2:
        raise ExperimentError("factors", list(raw_factors), f"at least two levers or "
                              f"uncertainties for a {kind} design", source)

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
                     outcomes=tuple(outcomes), source=source, uncertainties=uncertainties,
                     constants=constants, constants_source=constants_source,
                     uncertainty_samples=unc_samples)
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
    if os.environ.get(QUICK_ENV, "") not in ("", "0"):
        data = quick(data)
    return experiment_from_dict(data, source=str(path), folder=path.parent)


#: Set this environment variable (to 1) to try any experiment file quickly: see :func:`quick`.
QUICK_ENV = "COPROD_SIM_QUICK"


def quick(data: Mapping[str, Any]) -> dict[str, Any]:
    """A small version of an experiment file's contents, for a quick try.

    At most 40 people, 12 weeks and 2 replicates; Saltelli designs at most 8
    base samples, Latin designs 64 points, Morris designs 4 trajectories.
    The name says so (``..._quick``), so its results are never mistaken for
    (or resumed into) the full experiment's. Used when ``COPROD_SIM_QUICK=1``
    is set (the kit's tests run the documentation's examples this way).
    """
    import copy

    out = copy.deepcopy(dict(data))
    out["name"] = f"{out.get('name', 'experiment')}_quick"
    out["weeks"] = min(int(out.get("weeks") or 12), 12) if isinstance(
        out.get("weeks", 12), int) else out.get("weeks")
    if isinstance(out.get("replicates"), int):
        out["replicates"] = min(out["replicates"], 2)
    design = out.get("design")
    if isinstance(design, dict) and isinstance(design.get("samples"), int):
        most = {"saltelli": 8, "latin": 64, "morris": 4}.get(design.get("kind"), 64)
        design["samples"] = min(design["samples"], most)
        if "replicates" not in out:
            out["replicates"] = 2
    for table in [out.get("set")] + [s.get("set") for s in out.get("scenarios") or []
                                     if isinstance(s, dict)]:
        if isinstance(table, dict):
            n = table.get("n_people", 40)
            table["n_people"] = min(n, 40) if isinstance(n, int) else n
    if not isinstance(out.get("set"), dict) and "set" not in out:
        out["set"] = {"n_people": 40}
    return out


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
        if exp.uncertainty_samples:
            points *= exp.uncertainty_samples
        else:
            for f in exp.uncertainties:
                points *= len(f.grid_values())
    else:
        points = sampled_points(exp.kind, exp.samples, n_groups(exp.all_factors),
                                exp.second_order)
    return points, points * exp.replicates


def factor_groups(factors: Sequence[Any]) -> list[str]:
    """Each factor's group (its own name when it has none)."""
    out = []
    for f in factors:
        name = f if isinstance(f, str) else f.name if isinstance(f, Factor) else f["name"]
        group = None if isinstance(f, str) else f.group if isinstance(f, Factor) \
            else f.get("group")
        out.append(group or name)
    return out


def n_groups(factors: Sequence[Any]) -> int:
    """How many groups (of factors moving together) a sampled design has."""
    return len(dict.fromkeys(factor_groups(factors)))


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


def salib_problem(factors: Sequence[Any]) -> dict[str, Any]:
    """The SALib problem: every factor on ``[0, 1]`` (mapped by :meth:`Factor.from_unit`).

    Factors are :class:`Factor` objects, names or manifest descriptions; when
    any has a ``group``, the problem has SALib's ``groups`` (ungrouped factors
    are each their own group).
    """
    names = [f if isinstance(f, str) else f.name if isinstance(f, Factor) else f["name"]
             for f in factors]
    problem: dict[str, Any] = {"num_vars": len(names), "names": names,
                               "bounds": [[0.0, 1.0]] * len(names)}
    groups = factor_groups(factors)
    if groups != names:
        problem["groups"] = groups
    return problem


def _design_seed(experiment: Mapping[str, Any]) -> int:
    seed = experiment["seed"] if experiment.get("design_seed") is None \
        else experiment["design_seed"]
    return int(seed) % 2**32


def _worlds(experiment: Mapping[str, Any]) -> np.ndarray:
    """The Latin hypercube of the uncertainties crossed with a grid (rows are worlds)."""
    from SALib.sample import latin

    unc = [f["name"] for f in experiment["factors"] if f.get("role") == "uncertainty"]
    n = int(experiment["uncertainty_samples"])
    if len(unc) == 1:  # SALib's latin needs no special case, but keep the shape plain
        rng = np.random.default_rng(_design_seed(experiment))
        return ((rng.permutation(n) + rng.random(n)) / n).reshape(n, 1)
    return latin.sample(salib_problem(unc), n, seed=_design_seed(experiment))


def _sample(experiment: Mapping[str, Any]) -> np.ndarray:
    problem = salib_problem(experiment["factors"])
    seed = _design_seed(experiment)
    kind, samples = experiment["kind"], int(experiment["samples"])
    size = sampled_points(kind, samples, n_groups(experiment["factors"]),
                          bool(experiment.get("second_order")))
    if size > MAX_SAMPLED_POINTS:
        raise ExperimentError("design.samples", samples, f"a size that gives at most "
                              f"{MAX_SAMPLED_POINTS:,} points (this one gives {size:,})",
                              experiment.get("source"))
    if kind == "latin":
        from SALib.sample import latin
        problem.pop("groups", None)  # a Latin hypercube draws every factor on its own
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
                  desc.get("steps"), role=desc.get("role", "lever"),
                  distribution=desc.get("distribution", "uniform"), mode=desc.get("mode"),
                  mean=desc.get("mean"), sd=desc.get("sd"), group=desc.get("group"),
                  file=desc.get("file"), columns=tuple(desc.get("columns", ())),
                  rows=tuple(tuple(r) for r in desc.get("rows", ())),
                  weights=tuple(desc.get("weights", ())))


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
                 explicit_points: list[tuple[str, dict[str, Any]]] | None = None,
                 worlds: np.ndarray | None = None):
        self.experiment, self.scenarios, self.axes = experiment, scenarios, axes
        self.unit, self.worlds = unit, worlds
        self.weeks, self.weekly, self.versions = weeks, weekly, versions
        self.replicates = int(experiment.get("replicates", 1))
        self.seed = int(experiment.get("seed", 0))
        self.same_seeds = bool(experiment.get("same_seeds", True))
        self._explicit = explicit_points
        self._names = list(scenarios)
        factors = [_factor_from(f) for f in experiment.get("factors", [])
                   if isinstance(f, Mapping) and "name" in f]
        self._unc = [f for f in factors if f.role == "uncertainty"]
        self._n_worlds = len(worlds) if worlds is not None else 1
        if explicit_points is not None:
            n_points = len(explicit_points)
        elif unit is not None:
            n_points = len(unit)
            self._factors = factors
        else:
            self._combos = math.prod(len(v) for _, v in axes or [])
            n_points = len(self._names) * self._combos * self._n_worlds
        record = experiment.get("constants")
        self._constants_values = record.get("values") if isinstance(record, Mapping) else None
        self.extra_columns: list[str] = []
        for f in factors:
            if f.kind == "posterior":
                self.extra_columns += ["posterior", *f.columns]
            elif f.name not in PARAMETERS:
                self.extra_columns.append(f.name)
        if worlds is not None:
            self.extra_columns.append("world")
        self.extra_columns = list(dict.fromkeys(self.extra_columns))
        self.points: Sequence[tuple[str, dict[str, Any]]] = _Lazy(n_points, self._point)
        self.runs: Sequence[tuple[int, int, int, int]] = _Lazy(n_points * self.replicates,
                                                               self._run)

    def _point(self, i: int) -> tuple[str, dict[str, Any]]:
        if self._explicit is not None:
            name, values = self._explicit[i]
            return name, dict(values)
        if self.unit is not None:
            out: dict[str, Any] = {}
            for f, u in zip(self._factors, self.unit[i], strict=True):
                out.update(f.point_values(_json_value(f.from_unit(u))))
            return self._names[0], out
        i, world = divmod(i, self._n_worlds)
        scenario, rest = divmod(i, self._combos)
        values: dict[str, Any] = {}
        for name, axis in reversed(self.axes or []):
            rest, j = divmod(rest, len(axis))
            values[name] = axis[j]
        values = {n: values[n] for n, _ in self.axes or []}
        if self.worlds is not None:
            for f, u in zip(self._unc, self.worlds[world], strict=True):
                values.update(f.point_values(_json_value(f.from_unit(u))))
            values["world"] = world
        return self._names[scenario], values

    def _run(self, run: int) -> tuple[int, int, int, int]:
        point, replicate = divmod(run, self.replicates)
        return run, point, replicate, run_seed(self.seed, point, replicate, self.same_seeds)

    def scenario(self, point: int) -> Scenario:
        """The complete scenario of one design point."""
        return Scenario(name=self.points[point][0], **self.values(point))

    def values(self, point: int) -> dict[str, Any]:
        """The complete parameter values of one design point (levers only)."""
        name, values = self.points[point]
        full = {**self.scenarios[name], **{k: v for k, v in values.items() if k in PARAMETERS}}
        if self.weeks is not None:
            full["weeks"] = self.weeks
        return full

    def constant_values(self, point: int) -> dict[str, float]:
        """The constants a design point changes, by address (empty for most designs)."""
        if not self.extra_columns:
            return {}
        _, values = self.points[point]
        return {k: v for k, v in values.items()
                if k not in PARAMETERS and k not in ("posterior", "world")}

    @property
    def constants(self) -> Constants | None:
        """The constants every run starts from (None: a plan recorded before they were)."""
        if self._constants_values is None:
            return None
        return Constants.from_dict(dict(self._constants_values), "the plan's constants")

    @property
    def constants_values(self) -> dict[str, Any] | None:
        """The recorded constants as plain values (what a task's worker receives)."""
        return self._constants_values

    def task(self, run: int) -> tuple[int, str, dict[str, Any], int, dict[str, float]]:
        """The work of one run: ``(run, scenario name, parameter values, seed, constants)``.

        ``constants`` holds only the values this run changes, by address; the
        rest are the plan's (:attr:`constants_values`), sent once per chunk.
        """
        _, point, _, seed = self.runs[run]
        return run, self.points[point][0], self.values(point), seed, \
            self.constant_values(point)

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
            if self.worlds is not None:
                out["worlds_sha256"] = _digest(self.worlds)
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
                worlds = None
                if "worlds_sha256" in data:
                    worlds = _worlds(experiment)
                    if _digest(worlds) != data["worlds_sha256"]:
                        raise UsageError("the stored uncertainty sample cannot be drawn again "
                                         "identically with the installed SALib/numpy "
                                         f"(recorded: {data.get('versions', {})}); install "
                                         "the recorded versions")
                return cls(**args, axes=axes, unit=None, worlds=worlds)
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
        gridded = exp.factors if exp.uncertainty_samples else exp.all_factors
        axes = [(f.name, tuple(_json_value(v) for v in f.grid_values())) for f in gridded]
        data = exp.to_dict()
        worlds = _worlds(data) if exp.uncertainty_samples else None
        plan = Plan(data, scenarios, axes, None, exp.weeks, exp.weekly, versions(),
                    worlds=worlds)
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
