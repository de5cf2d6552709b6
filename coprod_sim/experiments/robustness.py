"""Policies against uncertainties: regret, satisficing, pairing by seed, and discovery helpers.

Every function here works on a *results table*: a pandas DataFrame with one
row per run, a policy column (or several lever columns that together name a
plan), uncertainty columns (lever values, constants, evidence figures, a
posterior draw), ``seed``, and outcome columns; optionally a weekly table
with ``run`` and ``week`` for outcomes at a given week. It does not matter
which executor made the table (``coprod-sim sweep``, :func:`evaluate`, your
own loop).

A **state of the world** is one combination of the uncertainties and the
seed: the runs of different policies with the same state share every chance
event the engine draws (common random numbers: each random number is keyed by
seed, mechanism, week and person), so policies are compared *within* a state:

* **regret** of a policy in a state: how far its outcome falls short of the
  best policy's in that state (Savage 1951; as in Lempert, Popper and Bankes
  2003 and the EMA Workbench's robustness examples). Reported as the maximum
  and a percentile over states ("minimax regret": the plan you would least
  regret, whatever turns out true).
* **satisficing**: the share of states in which a policy meets every
  threshold the user names (Simon 1956; "domain criterion", McPhail et al.
  2018).
* **pairing gain**: how much tighter the paired comparison of two policies
  is than one from independent runs: the variance of the paired difference
  against the sum of the two variances. A ratio of 0.1 means independent runs
  would need ten times as many runs for the same precision.

The EMA Workbench has no stand-alone regret or satisficing functions (it
builds robustness into its optimisation outcomes), so those are a few lines
of pandas here; feature scoring, CART and PRIM with resampling are the
Workbench's own (:func:`feature_scores`, :func:`cart_boxes`,
:func:`prim_stability`).
"""

from __future__ import annotations

import itertools
import math
import operator
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.cli import UsageError

#: Columns that identify a run but are neither policy nor uncertainty.
ID_COLUMNS = ("run", "point", "replicate", "error")

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def outcome_columns() -> set[str]:
    """Every column of a runs table that is an outcome (not a lever, id or seed)."""
    from coprod_sim.columns import RENAMED, SUMMARY_ONLY
    from coprod_sim.outcomes import OUTCOMES

    names = set(OUTCOMES) | set(SUMMARY_ONLY) | set(RENAMED.values())
    return names - {"week"}


def outcome_name(name: str) -> str:
    """The plain label of an outcome, also for ``outcome@wWEEK`` columns ("... in week N")."""
    from coprod_sim.experiments.design import outcome_label

    base, _, week = name.partition("@w")
    text = outcome_label(base)
    return f"{text} in week {week}" if week else text


# ---------------------------------------------------------------------------
# States of the world
# ---------------------------------------------------------------------------
def _policy_label(table: pd.DataFrame, policy: Sequence[str]) -> pd.Series:
    if len(policy) == 1:
        return table[policy[0]].astype(str)
    return table[list(policy)].astype(str).agg(", ".join, axis=1)


def _columns(policy: str | Sequence[str]) -> list[str]:
    return [policy] if isinstance(policy, str) else list(policy)


def state_columns(table: pd.DataFrame, policy: str | Sequence[str],
                  outcomes: Iterable[str] = ()) -> list[str]:
    """The columns that make a state of the world.

    They are ``seed`` and every column that varies *within* a policy (the
    uncertainties), leaving out ids and outcomes.

    Columns that are fixed within each policy (the plan's own lever settings)
    are part of the policy, not of the state.
    """
    policy = _columns(policy)
    skip = set(ID_COLUMNS) | outcome_columns() | set(outcomes) | set(policy)
    label = _policy_label(table, policy)
    out = []
    for col in table.columns:
        if col in skip:
            continue
        if col == "seed":
            out.append(col)
            continue
        if table[col].groupby(label, observed=True).nunique(dropna=False).max() > 1:
            out.append(col)
    if "seed" not in out and "seed" in table.columns:
        out.insert(0, "seed")
    return out


def _check(table: pd.DataFrame, policy: list[str], outcomes: Iterable[str]) -> None:
    for name in [*policy, *outcomes]:
        if name not in table.columns:
            numeric = [c for c in table.columns
                       if pd.api.types.is_numeric_dtype(table[c]) and c not in ID_COLUMNS]
            raise UsageError(f"column {name!r} is not in the results; columns there include "
                             + ", ".join(numeric[:12]))
    if table[policy].drop_duplicates().shape[0] < 2:
        raise UsageError(f"the policy column {', '.join(policy)} has one value only; "
                         "robustness compares two or more plans")


def paired(table: pd.DataFrame, policy: str | Sequence[str], outcome: str,
           states: Sequence[str] | None = None) -> pd.DataFrame:
    """The outcome as a states x policies table (only states every policy ran).

    Raises:
        UsageError: if a column is missing, there is one policy only, or no
            state has every policy.
    """
    policy = _columns(policy)
    _check(table, policy, [outcome])
    states = list(states) if states is not None else state_columns(table, policy, [outcome])
    if not states:
        raise UsageError("no column tells the runs' states apart (not even seed); "
                         "robustness needs runs paired by seed and uncertainties")
    frame = table[states].copy()
    frame["_policy"] = _policy_label(table, policy).to_numpy()
    frame["_value"] = pd.to_numeric(table[outcome], errors="coerce").to_numpy(float)
    for c in states:  # NaN and categories would not group
        frame[c] = frame[c].astype(str)
    wide = frame.groupby([*states, "_policy"], sort=True)["_value"].mean().unstack("_policy")
    wide = wide.dropna(how="any")
    if wide.empty:
        raise UsageError(f"no state of the world has a finite {outcome} for every policy; "
                         "robustness needs the same seeds and uncertainty values for each "
                         "plan (same_seeds = true, plans crossed with the uncertainties)")
    wide.columns = [str(c) for c in wide.columns]
    return wide


# ---------------------------------------------------------------------------
# Regret and satisficing
# ---------------------------------------------------------------------------
def regret(table: pd.DataFrame, policy: str | Sequence[str], outcome: str, *,
           maximize: bool = True, percentile: float = 90,
           states: Sequence[str] | None = None) -> pd.DataFrame:
    """Per policy: mean outcome, mean, percentile and maximum regret, share of states best.

    Regret in a state is the best policy's outcome minus this policy's
    (``maximize``) or this policy's minus the best's (minimise), so 0 for the
    best policy in that state. Sorted by maximum regret (minimax regret first).
    """
    wide = paired(table, policy, outcome, states)
    values = wide.to_numpy(float)
    best = values.max(axis=1, keepdims=True) if maximize else values.min(axis=1, keepdims=True)
    reg = (best - values) if maximize else (values - best)
    winners = np.isclose(reg, 0.0)
    out = pd.DataFrame({
        "policy": wide.columns,
        "mean": values.mean(axis=0),
        "mean_regret": reg.mean(axis=0),
        f"p{percentile:g}_regret": np.percentile(reg, percentile, axis=0),
        "max_regret": reg.max(axis=0),
        "share_best": winners.mean(axis=0),
        "states": len(wide),
    })
    return out.sort_values(["max_regret", f"p{percentile:g}_regret"]).reset_index(drop=True)


@dataclass(frozen=True)
class Threshold:
    """A threshold a policy should meet: ``outcome op value`` (e.g. ``trust >= 0.5``)."""

    outcome: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.value:g}"

    def met(self, values: np.ndarray) -> np.ndarray:
        """Whether each value meets it (a missing value never does)."""
        with np.errstate(invalid="ignore"):
            return OPS[self.op](values, self.value) & np.isfinite(values)


def parse_threshold(text: str) -> Threshold:
    """``"trust>=0.5"`` as a :class:`Threshold`; bad text gives one clear line."""
    m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_@]*)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*", text)
    if not m:
        raise UsageError(f"threshold is {text!r}; allowed: OUTCOME OP NUMBER with OP one of "
                         ">=, >, <=, <, e.g. 'trust>=0.5'")
    try:
        value = float(m.group(3))
    except ValueError:
        raise UsageError(f"threshold {text!r}: {m.group(3)!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"threshold {text!r}: the number must be finite")
    return Threshold(m.group(1), m.group(2), value)


def satisficing(table: pd.DataFrame, policy: str | Sequence[str],
                thresholds: Sequence[Threshold | str],
                states: Sequence[str] | None = None) -> pd.DataFrame:
    """Per policy: the share of states in which it meets every threshold, and each one's.

    Sorted with the most often satisfying policy first.
    """
    ths = [t if isinstance(t, Threshold) else parse_threshold(t) for t in thresholds]
    if not ths:
        raise UsageError("satisficing needs at least one threshold, e.g. 'trust>=0.5'")
    policy = _columns(policy)
    outcomes = [t.outcome for t in ths]
    _check(table, policy, outcomes)
    states = list(states) if states is not None else state_columns(table, policy, outcomes)
    met = None
    columns: dict[str, Any] = {}
    for t in ths:
        wide = paired(table, policy, t.outcome, states)
        ok = pd.DataFrame(t.met(wide.to_numpy(float)), index=wide.index, columns=wide.columns)
        columns[str(t)] = ok.mean(axis=0)
        met = ok if met is None else (met & ok.reindex_like(met).fillna(False).astype(bool))
    assert met is not None
    out = pd.DataFrame({"policy": met.columns, "satisficing": met.mean(axis=0).to_numpy(),
                        **{k: v.reindex(met.columns).to_numpy() for k, v in columns.items()},
                        "states": len(met)})
    return out.sort_values("satisficing", ascending=False).reset_index(drop=True)


def _pooled_var(values: pd.Series, groups: list[str] | None) -> float:
    """Variance over states, or pooled within worlds (the same uncertainty values)."""
    if not groups:
        return float(np.var(values.to_numpy(float), ddof=1))
    g = values.groupby(level=groups, observed=True)
    df = g.count() - 1
    var = g.var(ddof=1)
    keep = df > 0
    return float((var[keep] * df[keep]).sum() / df[keep].sum()) if keep.any() else float("nan")


def pairing_gain(table: pd.DataFrame, policy: str | Sequence[str], outcome: str,
                 states: Sequence[str] | None = None) -> pd.DataFrame:
    """Per pair of policies: how much pairing runs by seed narrows their comparison.

    ``sd_paired`` is the standard deviation of the difference between the
    two policies' runs with the same seed; ``sd_unpaired`` that of the
    difference of two independent runs (``sqrt(var_a + var_b)``). When the
    states also vary uncertainties, both are measured *within* each world
    (the same uncertainty values, different seeds) and pooled, so the figure
    is the gain of common random numbers alone, not of the uncertainties'
    own spread. ``variance_ratio`` is paired over unpaired variance;
    ``runs_factor`` = 1 / ratio, how many times as many independent runs the
    same precision would take.
    """
    policy = _columns(policy)
    states = list(states) if states is not None else state_columns(table, policy, [outcome])
    wide = paired(table, policy, outcome, states)
    worlds = [c for c in states if c != "seed"] if "seed" in states else []
    if worlds and wide.groupby(level=worlds, observed=True).size().max() < 2:
        worlds = []  # one seed per world: the comparison is over states
    groups = worlds or None
    rows = []
    for a, b in itertools.combinations(wide.columns, 2):
        if len(wide) < 3:
            continue
        var_p = _pooled_var(wide[a] - wide[b], groups)
        var_u = _pooled_var(wide[a], groups) + _pooled_var(wide[b], groups)
        ratio = var_p / var_u if var_u > 0 else float("nan")
        rows.append({"policy_a": a, "policy_b": b,
                     "mean_difference": float((wide[a] - wide[b]).mean()),
                     "sd_paired": math.sqrt(var_p), "sd_unpaired": math.sqrt(var_u),
                     "variance_ratio": ratio,
                     "runs_factor": (1 / ratio) if ratio > 0 else float("inf"),
                     "states": len(wide), "within_worlds": bool(worlds)})
    return pd.DataFrame(rows, columns=["policy_a", "policy_b", "mean_difference", "sd_paired",
                                       "sd_unpaired", "variance_ratio", "runs_factor",
                                       "states", "within_worlds"])


# ---------------------------------------------------------------------------
# Time-resolved outcomes
# ---------------------------------------------------------------------------
def at_week(runs: pd.DataFrame, weekly: pd.DataFrame, outcome: str, week: int,
            name: str | None = None) -> pd.DataFrame:
    """``runs`` with a column ``outcome@wWEEK``: each run's outcome in that week.

    Analyse it like any outcome (regret, sensitivity, discovery); the runs
    table's own outcome columns are the *last* week's.

    Raises:
        UsageError: if the weekly table lacks the outcome or the week.
    """
    for col in ("run", "week", outcome):
        if col not in weekly.columns:
            raise UsageError(f"the weekly table has no column {col!r} (keep it with "
                             "[outputs] weekly = true)")
    weeks = weekly["week"]
    if not (weeks == week).any():
        raise UsageError(f"week is {week}; allowed: {int(weeks.min())} to {int(weeks.max())} "
                         "(the weeks in the results)")
    rows = weekly.loc[weeks == week, ["run", outcome]]
    name = name or f"{outcome}@w{week}"
    values = rows.set_index("run")[outcome].rename(name)
    out = runs.drop(columns=[name], errors="ignore")
    return out.join(values, on="run")


def week_reached(runs: pd.DataFrame, weekly: pd.DataFrame, outcome: str, threshold: float,
                 above: bool = True, name: str | None = None) -> pd.DataFrame:
    """``runs`` with the first week each run's outcome is at or past ``threshold``.

    NaN when never; for questions like "how soon does trust reach 0.6?".
    """
    name = name or f"week_{outcome}_{'above' if above else 'below'}_{threshold:g}"
    hit = weekly[outcome] >= threshold if above else weekly[outcome] <= threshold
    first = weekly.loc[hit].groupby("run")["week"].min().rename(name)
    return runs.drop(columns=[name], errors="ignore").join(first, on="run")


# ---------------------------------------------------------------------------
# The EMA Workbench's scenario discovery beside PRIM
# ---------------------------------------------------------------------------
def _x(table: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    x = table[list(factors)].copy()
    for c in x.columns:
        if x[c].dtype == bool:
            x[c] = x[c].astype(int)
        elif not pd.api.types.is_numeric_dtype(x[c]):
            x[c] = x[c].astype(str).astype("category")
        elif pd.api.types.is_integer_dtype(x[c]):
            x[c] = x[c].astype("int64")
        else:
            x[c] = x[c].astype("float64")
    return x.reset_index(drop=True)


def feature_scores(table: pd.DataFrame, outcomes: Sequence[str], factors: Sequence[str],
                   seed: int = 1) -> pd.DataFrame:
    """Extra-trees feature scores of every factor for every outcome (EMA Workbench).

    A score is the factor's share of the trees' impurity reduction: the
    factors sum to 1 per outcome. Seeded, so the same table gives the same
    scores.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optional extras it does not find
        from ema_workbench.analysis import feature_scoring
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    x = _x(table, factors)
    x = pd.get_dummies(x) if any(x[c].dtype.name == "category" for c in x.columns) else x
    out = {}
    for o in outcomes:
        y = pd.to_numeric(table[o], errors="coerce").to_numpy(float)
        keep = np.isfinite(y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores, _ = feature_scoring.get_ex_feature_scores(
                x[keep].reset_index(drop=True), y[keep], mode=RuleInductionType.REGRESSION,
                random_state=seed)
        out[o] = scores.iloc[:, 0]
    table = pd.DataFrame(out)
    table.index.name = "factor"
    return table


def _interest(table: pd.DataFrame, outcome: str, above: float | None,
              below: float | None) -> np.ndarray:
    if (above is None) == (below is None):
        raise UsageError("give exactly one of above= or below=")
    y = pd.to_numeric(table[outcome], errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        return (y > above) if above is not None else (y < below)


def cart_boxes(table: pd.DataFrame, outcome: str, factors: Sequence[str], *,
               above: float | None = None, below: float | None = None,
               mass_min: float = 0.05) -> pd.DataFrame:
    """The leaves of a CART tree (EMA Workbench) for "outcome above/below X".

    One row per leaf with its coverage, density, mass and the box as plain text.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import cart

        y = _interest(table, outcome, above, below)
        model = cart.CART(_x(table, factors), y, mass_min=mass_min)
        model.build_tree()
        boxes, all_stats = model.boxes, model.stats
    rows = []
    for box, stats in zip(boxes, all_stats, strict=True):
        limits = []
        for col in box.columns:
            lo, hi = box[col].iloc[0], box[col].iloc[1]
            if isinstance(lo, set):
                limits.append(f"{col} in {sorted(map(str, lo))}")
            else:
                full = _x(table, [col])[col]
                if lo > full.min() or hi < full.max():
                    limits.append(f"{col} {lo:.3g}-{hi:.3g}")
        rows.append({**{k: float(v) for k, v in stats.items()},
                     "box": "; ".join(limits) or "(everything)"})
    out = pd.DataFrame(rows)
    return out.sort_values("density", ascending=False).reset_index(drop=True)


def prim_stability(table: pd.DataFrame, outcome: str, factors: Sequence[str], *,
                   above: float | None = None, below: float | None = None,
                   iterations: int = 10, share: float = 0.5, seed: int = 1,
                   min_coverage: float = 0.5) -> pd.DataFrame:
    """How often each factor is restricted when PRIM is run again on halves of the runs.

    This is the EMA Workbench's ``PrimBox.resample`` (Bryant and Lempert 2010).

    Returns one row per factor: ``reproduce coverage`` and ``reproduce
    density`` in percent (how often a box of the same coverage, or density,
    from a resample restricts the factor). A restriction found in most
    resamples is stable; one found in few rests on the particular runs.
    """
    import inspect
    import logging

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    y = _interest(table, outcome, above, below)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its own pandas deprecations
        box = prim.Prim(_x(table, factors), y, peel_alpha=0.05).find_box()
    traj = box.peeling_trajectory
    ok = traj.index[traj["coverage"] >= min_coverage]
    i = int(ok[traj.loc[ok, "density"].argmax()]) if len(ok) else int(len(traj) - 1)
    kwargs: dict[str, Any] = {"i": i, "iterations": iterations, "p": share}
    if "rng" in inspect.signature(box.resample).parameters:
        kwargs["rng"] = seed
    else:  # older Workbench: resampling draws from numpy's global generator
        np.random.seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = box.resample(**kwargs)
    scores.index.name = "factor"
    return scores.reset_index()


# ---------------------------------------------------------------------------
# Sobol indices over growing shares of the sample
# ---------------------------------------------------------------------------
FRACTIONS = (1 / 8, 1 / 4, 1 / 2, 1.0)


def sobol_convergence(Y: np.ndarray, names: Sequence[str], *, second_order: bool = False,
                      fractions: Sequence[float] = FRACTIONS, seed: int = 1,
                      outcome: str = "") -> pd.DataFrame:
    """Sobol indices from the first 1/8, 1/4, 1/2 and all of a Saltelli sample.

    ``Y`` holds the outcome per design point in the Saltelli sample's order
    (SALib's blocks of ``d + 2``, or ``2d + 2`` with second order); the first
    ``k`` blocks are themselves a Saltelli sample of the first ``k`` base
    points. Returns ``outcome, base_samples, fraction, parameter, measure,
    value, conf``; fractions leaving fewer than 4 base samples are skipped.
    """
    from SALib.analyze import sobol

    d = len(names)
    block = 2 * d + 2 if second_order else d + 2
    Y = np.asarray(Y, float)
    n = len(Y) // block
    problem = {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d}
    rows = []
    for f in fractions:
        k = int(n * f)
        if k < 4:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            si = sobol.analyze(problem, Y[:k * block], calc_second_order=second_order,
                               seed=seed)
        for measure in ("S1", "ST"):
            for i, name in enumerate(names):
                rows.append({"outcome": outcome, "base_samples": k, "fraction": f,
                             "parameter": name, "measure": measure,
                             "value": float(si[measure][i]),
                             "conf": float(si[f"{measure}_conf"][i])})
    return pd.DataFrame(rows, columns=["outcome", "base_samples", "fraction", "parameter",
                                       "measure", "value", "conf"])


def convergence_from_results(result: Any, outcome: str, seed: int = 1) -> pd.DataFrame:
    """:func:`sobol_convergence` for a Saltelli sweep's results (averaged over replicates)."""
    from coprod_sim.experiments.sensitivity import outcome_matrix

    plan = result.plan
    if plan.experiment.get("kind") != "saltelli":
        raise UsageError(f"design kind is {plan.experiment.get('kind')!r}; the convergence "
                         "curve of Sobol indices needs a 'saltelli' design")
    names = [f["name"] for f in plan.experiment["factors"]]
    return sobol_convergence(outcome_matrix(result, outcome), names,
                             second_order=bool(plan.experiment.get("second_order")),
                             seed=seed, outcome=outcome)


def s2_matrix(indices: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Second-order Sobol indices of one outcome as a symmetric factor x factor table.

    From a tidy indices table with ``measure == "S2"`` and ``parameter`` "a x b".
    """
    rows = indices[(indices["outcome"] == outcome) & (indices["measure"] == "S2")]
    if rows.empty:
        raise UsageError(f"no second-order indices for {outcome!r}; set second_order = true "
                         "in a saltelli design")
    pairs = [p.split(" x ") for p in rows["parameter"]]
    names = list(dict.fromkeys(n for pair in pairs for n in pair))
    m = pd.DataFrame(np.nan, index=names, columns=names)
    for (a, b), v in zip(pairs, rows["value"], strict=True):
        m.loc[a, b] = m.loc[b, a] = v
    return m


# ---------------------------------------------------------------------------
# One report
# ---------------------------------------------------------------------------
@dataclass
class Robustness:
    """Regret, satisficing and the pairing gain of some policies for one outcome."""

    outcome: str
    maximize: bool
    policy: list[str]
    states: list[str]
    regret: pd.DataFrame
    satisficing: pd.DataFrame | None
    gain: pd.DataFrame
    percentile: float = 90
    notes: list[str] = field(default_factory=list)

    def most_robust(self) -> str:
        """The policy with the smallest maximum regret."""
        return str(self.regret["policy"].iloc[0])

    def report(self) -> str:
        """The report as plain text."""
        name = outcome_name(self.outcome)
        pc = f"p{self.percentile:g}_regret"
        n = int(self.regret["states"].iloc[0])
        lines = [f"Robustness of {len(self.regret)} plans for {name} ({self.outcome}, "
                 f"{'higher' if self.maximize else 'lower'} is better) over {n} states of the "
                 f"world (runs paired by {_listed(self.states)}).", "",
                 "Regret: how far a plan falls short of the best plan in the same state.", ""]
        rows = [("plan", "mean", "mean regret", f"{self.percentile:g}th pct regret",
                 "max regret", "best in")]
        for _, r in self.regret.iterrows():
            rows.append((str(r["policy"]), _num(r["mean"]), _num(r["mean_regret"]),
                         _num(r[pc]), _num(r["max_regret"]), f"{r['share_best']:.0%}"))
        lines += _table(rows)
        lines.append("")
        lines.append(f"Least regret whatever turns out true (minimax regret): "
                     f"{self.most_robust()}.")
        if self.satisficing is not None:
            lines += ["", "Satisficing: the share of states in which a plan meets every "
                      "threshold.", ""]
            ths = [c for c in self.satisficing.columns
                   if c not in ("policy", "satisficing", "states")]
            rows = [("plan", "all thresholds", *ths)]
            for _, r in self.satisficing.iterrows():
                rows.append((str(r["policy"]), f"{r['satisficing']:.0%}",
                             *(f"{r[t]:.0%}" for t in ths)))
            lines += _table(rows)
            top = self.satisficing.iloc[0]
            lines.append("")
            lines.append(f"Meets every threshold most often: {top['policy']} "
                         f"({top['satisficing']:.0%} of states).")
        if not self.gain.empty:
            within = bool(self.gain["within_worlds"].any())
            lines += ["", "Common random numbers: the same seed gives every plan the same "
                      "chance events, so plans are compared run against run"
                      + (" (spread measured within each world: the same uncertainty values, "
                         "different seeds)." if within else "."), ""]
            rows = [("plans compared", "difference", "sd paired", "sd unpaired",
                     "variance ratio", "runs saved")]
            for _, r in self.gain.iterrows():
                rows.append((f"{r['policy_a']} - {r['policy_b']}",
                             _num(r["mean_difference"], sign=True), _num(r["sd_paired"]),
                             _num(r["sd_unpaired"]), f"{r['variance_ratio']:.2f}",
                             f"{r['runs_factor']:.1f}x"))
            lines += _table(rows)
            med = float(self.gain["variance_ratio"].median())
            lines.append("")
            if med < 1:
                times = f"{1 / med:.1f} times" if med > 0 else "infinitely"
                lines.append(f"Pairing by seed cuts the variance of a comparison to {med:.0%} "
                             f"of independent runs' (median over pairs): independent runs "
                             f"would need about {times} as many runs for the same precision.")
            else:
                lines.append(f"Pairing by seed does not narrow these comparisons (median "
                             f"variance ratio {med:.2f}); with few seeds per world the "
                             "ratio itself is uncertain.")
        lines += [f"Note: {n_}" for n_ in self.notes]
        return "\n".join(lines)


def _listed(names: list[str], shown: int = 5) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more columns"


def _num(v: float, sign: bool = False) -> str:
    """A figure for the report: whole numbers with separators when large."""
    if not np.isfinite(v):
        return "-"
    text = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return ("+" + text) if sign and v > 0 else text


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows]


def robustness(table: pd.DataFrame, policy: str | Sequence[str], outcome: str, *,
               maximize: bool = True, thresholds: Sequence[Threshold | str] = (),
               states: Sequence[str] | None = None, percentile: float = 90) -> Robustness:
    """Regret, satisficing (when thresholds are given) and the pairing gain, in one object."""
    policy = _columns(policy)
    _check(table, policy, [outcome])
    ths = [t if isinstance(t, Threshold) else parse_threshold(t) for t in thresholds]
    if not 0 < percentile <= 100:
        raise UsageError(f"percentile is {percentile:g}; allowed: above 0, at most 100")
    outs = [outcome, *(t.outcome for t in ths)]
    states = list(states) if states is not None else state_columns(table, policy, outs)
    reg = regret(table, policy, outcome, maximize=maximize, percentile=percentile,
                 states=states)
    sat = satisficing(table, policy, ths, states) if ths else None
    gain = pairing_gain(table, policy, outcome, states)
    notes = []
    total = _policy_label(table, policy).value_counts()
    used = int(reg["states"].iloc[0])
    if total.max() > used:
        notes.append(f"{int(total.max()) - used} of {int(total.max())} states were left out: "
                     "some plan had no value there (a missing run, or an empty figure such "
                     "as a payback week never reached).")
    return Robustness(outcome, maximize, policy, states, reg, sat, gain, percentile, notes)


__all__ = ["FRACTIONS", "Robustness", "Threshold", "at_week", "cart_boxes",
           "convergence_from_results", "feature_scores", "pairing_gain", "paired",
           "parse_threshold", "prim_stability", "regret", "robustness", "s2_matrix",
           "satisficing", "sobol_convergence", "state_columns", "week_reached"]
