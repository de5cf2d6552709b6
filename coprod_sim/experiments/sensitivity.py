"""Global sensitivity analysis with SALib, checked so a reviewer can trust it.

Each outcome is taken from the run summaries (the last week, or a whole-run
figure) and averaged over the replicates (seeds) of each design point, then
analysed with the method that fits the design:

* ``saltelli``: Sobol indices (``SALib.analyze.sobol``): ``S1`` (the share of
  the outcome's variance due to the lever alone) and ``ST`` (alone and in
  interaction with others).
* ``morris``: elementary effects (``SALib.analyze.morris``): ``mu_star`` (the
  average size of the change in the outcome when the lever moves across its
  range), ``sigma`` (how much that change depends on the other levers) and ``mu``.
* ``latin``: first-order indices by RBD-FAST (``SALib.analyze.rbd_fast``),
  ``S1``; it needs many samples (100 or more) to be reliable.

Every index comes with the half-width of its 95% bootstrap interval (SALib's
``*_conf``; ``sigma`` and ``mu`` have none). Three things are then checked and
each problem found becomes a plain warning saying what to do
(:attr:`Sensitivity.warnings`):

* Seed noise: with replicates, the share of the averaged outcome's variance
  that is chance (the variance between seeds at the same design point, divided
  by the number of replicates, over the variance of the point means). Noise
  the levers cannot explain inflates ``ST`` and shrinks ``S1``.
* Signs of too small a sample: first-order indices summing well above 1,
  ``ST`` below ``S1``, negative indices (each beyond their intervals) and wide
  intervals.
* Convergence: the indices from the first half of the sample against the
  whole sample (:attr:`Sensitivity.convergence`).

The thresholds are in :data:`LIMITS`.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.cli import UsageError
from coprod_sim.experiments.charts import (  # noqa: F401 - kept importable from here
    MAIN,
    METHOD,
    OKABE_ITO,
    caption,
    plot_convergence,
    plot_indices,
    plot_morris,
    plot_overview,
    save_plots,
)
from coprod_sim.experiments.charts import label as _label  # noqa: F401
from coprod_sim.experiments.design import Plan, outcome_label
from coprod_sim.experiments.execute import SweepResult, load_results

#: Thresholds of the automatic checks.
#:
#: ``wide`` and ``wide_share``: an interval is too wide when its 95% half-width
#: is above ``wide`` (share scale 0-1; for Morris, as a share of the largest
#: mu*) *and* above ``wide_share`` of the index itself: too wide either to
#: tell a small index from zero or to know a large one to within a fifth.
#: ``drift``: an index that moves more than this between half and full sample
#: has not settled (same scales). ``noise``: seed noise above this share of the
#: averaged outcome's variance. ``sum_s1``: first-order indices summing above
#: this. ``negative``: an index below this, beyond its interval.
LIMITS = {"wide": 0.1, "wide_share": 0.2, "drift": 0.1, "noise": 0.2, "sum_s1": 1.1,
          "negative": -0.02}

#: Replicates suggested when a design has only one.
SUGGESTED_REPLICATES = 3


@dataclass
class Sensitivity:
    """Sensitivity indices of several outcomes, with their checks.

    Attributes:
        method: The design kind: ``"saltelli"``, ``"morris"`` or ``"latin"``.
        indices: Tidy table: outcome, parameter, measure, value, conf (the
            half-width of the 95% interval), low, high.
        outcomes: The outcomes analysed, in order.
        notes: Plain notes (for example an outcome that did not vary).
        noise: Per outcome: replicates, ``noise_share`` (share of the variance
            of the averaged outcome that is seed noise) and ``run_noise_share``
            (the same for a single run); NaN with one replicate.
        convergence: Per outcome, parameter and measure: ``half`` (index from
            the first half of the sample), ``full`` and ``change``.
        warnings: Plain warnings, each saying what to do.
        samples: The design's sample size (Saltelli base samples, Morris
            trajectories, Latin points).
        replicates: Runs (seeds) per design point.
    """

    method: str
    indices: pd.DataFrame
    outcomes: list[str]
    notes: list[str]
    noise: pd.DataFrame = field(default_factory=pd.DataFrame)
    convergence: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    samples: int = 0
    replicates: int = 1

    def table(self, outcome: str) -> pd.DataFrame:
        """Wide table for one outcome: one row per parameter, one column per measure.

        For Sobol indices a ``flag`` column says why a value is impossible (S1
        above 1, ST below S1, a negative index): such values come from too
        small a sample and must not be read as they are. Pair indices (S2)
        are in :meth:`pairs`.
        """
        sub = self.indices[(self.indices["outcome"] == outcome)
                           & (self.indices["measure"] != "S2")]
        wide = sub.pivot(index="parameter", columns="measure", values="value")
        conf = sub.dropna(subset=["conf"]).pivot(index="parameter", columns="measure",
                                                  values="conf")
        for col in conf.columns:
            wide[f"{col}_conf"] = conf[col]
        if self.method in ("saltelli", "latin") and "S1" in wide:
            wide["flag"] = [impossible(row) for _, row in wide.iterrows()]
        main = MAIN[self.method]
        return wide.sort_values(main, ascending=False) if main in wide else wide

    def pairs(self, outcome: str) -> pd.DataFrame:
        """Second-order (pair) Sobol indices of one outcome, largest first (may be empty)."""
        sub = self.indices[(self.indices["outcome"] == outcome)
                           & (self.indices["measure"] == "S2")]
        out = sub[["parameter", "value", "conf"]].rename(columns={"value": "S2",
                                                                  "conf": "S2_conf"})
        return out.sort_values("S2", ascending=False).set_index("parameter")

    def report(self) -> str:
        """The text the ``sensitivity`` command prints: indices, flags and every warning."""
        return report(self)

    def ranking(self) -> pd.DataFrame:
        """Main index per parameter (rows) and outcome (columns)."""
        main = self.indices[self.indices["measure"] == MAIN[self.method]]
        return main.pivot(index="parameter", columns="outcome", values="value")[self.outcomes]

    @property
    def trusted(self) -> bool:
        """True when no check raised a warning."""
        return not self.warnings


def _runs(result: SweepResult, columns: list[str]) -> pd.DataFrame:
    """The run table's ``columns``: only those are read from a Parquet dataset on disk."""
    paths = getattr(result, "paths", None)
    loaded = not callable(getattr(result, "_runs", None))
    if not loaded and paths is not None and paths.fmt == "parquet":
        try:
            dataset = result.runs_dataset
            names = set(dataset.schema.names)
            return dataset.to_table(columns=[c for c in columns if c in names]).to_pandas()
        except (AttributeError, UsageError):
            pass
    return result.runs


def outcome_runs(result: SweepResult, outcome: str) -> pd.DataFrame:
    """Point, replicate and the outcome for every run.

    Raises:
        UsageError: if a run is missing (failed or unfinished) or the outcome is unknown.
    """
    runs = _runs(result, ["point", "replicate", outcome])
    if outcome not in runs.columns:
        raise UsageError(f"outcome {outcome!r} is not in the results; choose from numeric "
                         "summary columns such as participation_rate, influence, trust")
    if len(runs) != len(result.plan.runs):
        missing = len(result.plan.runs) - len(runs)
        raise UsageError(f"{missing} of {len(result.plan.runs)} runs are missing (failed or "
                         "unfinished); resume the sweep before analysing it")
    values = pd.to_numeric(runs[outcome], errors="coerce").astype(float)
    return pd.DataFrame({"point": runs["point"].to_numpy(), "value": values.to_numpy()})


def outcome_matrix(result: SweepResult, outcome: str) -> np.ndarray:
    """The outcome per design point, averaged over replicates (rows in point order).

    Raises:
        UsageError: if a run is missing (failed or unfinished) or the outcome is unknown.
    """
    table = outcome_runs(result, outcome)
    n_points = len(result.plan.points)
    return table.groupby("point")["value"].mean().reindex(range(n_points)).to_numpy()


def seed_noise(table: pd.DataFrame) -> tuple[float, float]:
    """Seed-noise shares from one outcome's runs (columns point, value).

    Returns:
        ``(noise_share, run_noise_share)``: the within-point (between-seed)
        variance over the number of replicates, as a share of the variance of
        the point means; and the within-point variance as a share of the
        variance of single runs. NaN with one replicate per point.
    """
    groups = table.groupby("point")["value"]
    reps = groups.size()
    if reps.min() < 2:
        return math.nan, math.nan
    within = float(groups.var(ddof=1).mean())
    between = float(groups.mean().var(ddof=1))
    total = float(table["value"].var(ddof=1))
    share = (within / float(reps.mean())) / between if between > 0 else math.nan
    run_share = within / total if total > 0 else math.nan
    return min(share, 1.0), min(run_share, 1.0)


def analyse(result: SweepResult | str | os.PathLike, outcomes: list[str] | None = None,
            *, seed: int = 1, conf_level: float = 0.95,
            limits: dict[str, float] | None = None) -> Sensitivity:
    """Compute global sensitivity indices for each outcome of a sampled design, and check them.

    Args:
        result: A :class:`SweepResult` or the path of saved results.
        outcomes: Summary outcomes to analyse (default: the experiment's list).
        seed: Seed (1 or more) for SALib's bootstrap confidence intervals, so the
            same results always give the same intervals. (SALib treats 0 as
            "no seed", so 0 is not allowed.)
        conf_level: Confidence level of the intervals.
        limits: Thresholds of the checks (default :data:`LIMITS`; give only
            those to change).

    Returns:
        A :class:`Sensitivity` with a tidy ``indices`` table, the seed noise,
        the convergence table and any warnings.

    Raises:
        UsageError: for a grid design, missing runs or an unknown outcome.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 1:
        raise UsageError(f"seed is {seed!r}; allowed: a whole number of at least 1")
    if not isinstance(result, SweepResult):
        result = load_results(result)
    limits = {**LIMITS, **(limits or {})}
    plan: Plan = result.plan
    method = plan.experiment["kind"]
    if method not in MAIN:
        raise UsageError(f"design kind is {method!r}; sensitivity analysis needs 'saltelli', "
                         "'morris' or 'latin'")
    from coprod_sim.experiments.design import salib_problem

    problem = salib_problem(plan.experiment["factors"])
    names = _factor_names(problem)
    X = np.asarray(plan.unit, dtype=float)
    outcomes = list(outcomes or plan.experiment["outcomes"])
    samples = int(plan.experiment.get("samples") or 0)
    replicates = int(plan.experiment.get("replicates") or 1)
    rows: list[dict[str, Any]] = []
    conv_rows: list[dict[str, Any]] = []
    noise_rows: list[dict[str, Any]] = []
    notes: list[str] = []
    n_points = len(plan.points)
    for outcome in outcomes:
        table = outcome_runs(result, outcome)
        Y = table.groupby("point")["value"].mean().reindex(range(n_points)).to_numpy()
        finite = np.isfinite(Y)
        if not finite.all() or np.ptp(Y) == 0:
            why = "did not change across the runs" if finite.all() else "has missing values"
            notes.append(f"{outcome_label(outcome)} ({outcome}) {why}, so it has no "
                         "sensitivity indices.")
            for name in names:
                rows.append({"outcome": outcome, "parameter": name,
                             "measure": MAIN[method], "value": np.nan, "conf": np.nan})
            continue
        share, run_share = seed_noise(table)
        noise_rows.append({"outcome": outcome, "replicates": replicates,
                           "noise_share": share, "run_noise_share": run_share})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            full = _indices(method, problem, X, Y, outcome, plan, seed, conf_level)
            rows.extend(full)
            half = _half(method, problem, X, Y, outcome, plan, seed, conf_level)
        if half is not None:
            half_value = {(r["parameter"], r["measure"]): r["value"] for r in half}
            for r in full:
                if r["measure"] in ("S1", "ST", "mu_star"):
                    h = half_value[(r["parameter"], r["measure"])]
                    conv_rows.append({"outcome": outcome, "parameter": r["parameter"],
                                      "measure": r["measure"], "half": h, "full": r["value"],
                                      "change": r["value"] - h})
    indices = pd.DataFrame(rows, columns=["outcome", "parameter", "measure", "value", "conf"])
    indices["low"] = indices["value"] - indices["conf"]
    indices["high"] = indices["value"] + indices["conf"]
    sens = Sensitivity(method, indices, outcomes, notes,
                       noise=pd.DataFrame(noise_rows, columns=["outcome", "replicates",
                                                               "noise_share",
                                                               "run_noise_share"]),
                       convergence=pd.DataFrame(conv_rows, columns=["outcome", "parameter",
                                                                    "measure", "half", "full",
                                                                    "change"]),
                       samples=samples, replicates=replicates)
    sens.warnings = check(sens, limits)
    return sens


def impossible(row: Any) -> str:
    """Why a row of Sobol indices is impossible (empty when it is not).

    S1 and ST are shares of a variance: each lies between 0 and 1, and a
    lever's total effect (ST) includes its first-order one (S1). Estimates
    outside that come from too small a sample.
    """
    s1 = row.get("S1", np.nan)
    st = row.get("ST", np.nan)
    why = []
    if np.isfinite(s1) and s1 > 1:
        why.append("S1 above 1")
    if np.isfinite(s1) and np.isfinite(st) and st < s1:
        why.append("ST below S1")
    if (np.isfinite(s1) and s1 < 0) or (np.isfinite(st) and st < 0):
        why.append("negative index")
    if not why:
        return ""
    return ", ".join(why) + ": impossible, an estimation error of too small a sample"


def salib_problem_from_names(names: list[str]) -> dict[str, Any]:
    """The ``[0, 1]`` SALib problem for the given factor names."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _factor_names(problem: dict[str, Any]) -> list[str]:
    """The names indices are reported under: the groups when there are groups."""
    if problem.get("groups"):
        return list(dict.fromkeys(problem["groups"]))
    return list(problem["names"])


def _half(method: str, problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, outcome: str,
          plan: Plan, seed: int, conf_level: float) -> list[dict[str, Any]] | None:
    """The indices from the first half of the sample (None if it is too small).

    The first half of a Saltelli sample is the Saltelli sample of the first
    half of the base (Sobol') sequence; of a Morris sample, the first half of
    the trajectories.
    """
    d = len(_factor_names(problem))
    if method == "saltelli":
        block = 2 * d + 2 if plan.experiment.get("second_order") else d + 2
        n = len(Y) // block
        if n < 4:
            return None
        rows = (n // 2) * block
    elif method == "morris":
        n = len(Y) // (d + 1)
        if n < 4:
            return None
        rows = (n // 2) * (d + 1)
    else:
        if len(Y) < 40:
            return None
        rows = len(Y) // 2
    return _indices(method, problem, X[:rows], Y[:rows], outcome, plan, seed, conf_level)


def _indices(method: str, problem: dict[str, Any], X: np.ndarray, Y: np.ndarray,
             outcome: str, plan: Plan, seed: int, conf_level: float) -> list[dict[str, Any]]:
    names = _factor_names(problem)
    rows = []

    def add(measure: str, values: Any, conf: Any = None) -> None:
        if values is None:  # not computed (Morris with groups: mu and sigma)
            return
        for i, name in enumerate(names):
            rows.append({"outcome": outcome, "parameter": name, "measure": measure,
                         "value": float(values[i]),
                         "conf": float(conf[i]) if conf is not None else np.nan})

    if method == "saltelli":
        from SALib.analyze import sobol
        second = bool(plan.experiment.get("second_order"))
        si = sobol.analyze(problem, Y, calc_second_order=second, conf_level=conf_level,
                           seed=seed)
        add("S1", si["S1"], si["S1_conf"])
        add("ST", si["ST"], si["ST_conf"])
        if second:
            for i, a in enumerate(names):
                for j in range(i + 1, len(names)):
                    rows.append({"outcome": outcome, "parameter": f"{a} x {names[j]}",
                                 "measure": "S2", "value": float(si["S2"][i][j]),
                                 "conf": float(si["S2_conf"][i][j])})
    elif method == "morris":
        from SALib.analyze import morris
        si = morris.analyze(problem, X, Y, conf_level=conf_level,
                            num_levels=int(plan.experiment.get("levels", 4)), seed=seed)
        add("mu_star", si["mu_star"], si["mu_star_conf"])
        add("sigma", si["sigma"])
        add("mu", si["mu"])
    else:
        from SALib.analyze import rbd_fast
        m = max(1, min(10, len(Y) // 8))
        si = rbd_fast.analyze(problem, X, Y, M=m, conf_level=conf_level, seed=seed)
        add("S1", si["S1"], si["S1_conf"])
    return rows


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
def _more_samples(sens: Sensitivity, factor: float) -> str:
    """Advice: how many samples to use, ``factor`` times the current (a power of 2)."""
    now = max(sens.samples, 1)
    want = max(2 * now, math.ceil(now * max(factor, 1.0)))
    if sens.method == "saltelli":
        want = 2 ** math.ceil(math.log2(want))
        return f"use at least {want} base samples (design.samples, now {now})"
    what = "trajectories" if sens.method == "morris" else "samples"
    return f"use at least {want} {what} (design.samples, now {now})"


def check(sens: Sensitivity, limits: dict[str, float] | None = None) -> list[str]:
    """The plain warnings for a set of indices (see the module notes and :data:`LIMITS`)."""
    lim = {**LIMITS, **(limits or {})}
    out: list[str] = []
    idx = sens.indices.dropna(subset=["value"])
    if sens.replicates < 2:
        out.append(f"One run per design point: chance (seed noise) cannot be told apart from "
                   f"the levers' effects and inflates the total indices. Add replicates "
                   f"(replicates = {SUGGESTED_REPLICATES} or more).")
    for row in sens.noise.itertuples():
        if np.isfinite(row.noise_share) and row.noise_share > lim["noise"]:
            # noise share p = (w/R) / (s + w/R): replicates R' giving half the limit
            target, p = lim["noise"] / 2, min(row.noise_share, 0.99)
            want = math.ceil(row.replicates * p / (1 - p) * (1 - target) / target - 1e-9)
            out.append(f"{outcome_label(row.outcome)}: chance (seed noise) is "
                       f"{row.noise_share:.0%} of the spread even after averaging "
                       f"{row.replicates} replicates. Add replicates (at least {want}).")
    for outcome in sens.outcomes:
        sub = idx[idx["outcome"] == outcome]
        if sub.empty:
            continue
        name = outcome_label(outcome)
        scale = 1.0
        if sens.method == "morris":
            scale = float(sub.loc[sub["measure"] == "mu_star", "value"].abs().max()) or 1.0
        s1 = sub[sub["measure"] == "S1"]
        if sens.method == "saltelli" and len(s1):
            total = float(s1["value"].sum())
            spread = float(np.sqrt((s1["conf"].fillna(0) ** 2).sum()))
            if total > lim["sum_s1"] and total - spread > 1:
                out.append(f"{name}: first-order indices sum to {total:.2f} (more than 1, "
                           f"beyond their intervals): the sample is too small; "
                           f"{_more_samples(sens, 4)}.")
            st = sub[sub["measure"] == "ST"].set_index("parameter")
            for r in s1.itertuples():
                if r.parameter in st.index:
                    t = st.loc[r.parameter]
                    gap = r.value - t["value"]
                    if gap > math.hypot(r.conf or 0, t["conf"] or 0):
                        out.append(f"{name}: for {_label(r.parameter)} the total index "
                                   f"({t['value']:.2f}) is below the first-order index "
                                   f"({r.value:.2f}) beyond their intervals: "
                                   f"{_more_samples(sens, 4)}.")
        ranged = sub.dropna(subset=["conf"])
        for r in ranged.itertuples():
            if r.measure in ("S1", "ST") and r.value + r.conf < 0 and r.value < lim["negative"]:
                out.append(f"{name}: {r.measure} of {_label(r.parameter)} is negative "
                           f"({r.value:.2f} ± {r.conf:.2f}), which only estimation error can "
                           f"give: {_more_samples(sens, 4)}.")
        allowed = np.maximum(lim["wide"] * scale, lim["wide_share"] * ranged["value"].abs())
        over = ranged[ranged["conf"] > allowed]
        if len(over):
            widest = over.loc[(over["conf"] / allowed[over.index]).idxmax()]
            ratio = (widest["conf"] / (0.8 * allowed[widest.name])) ** 2
            out.append(f"{name}: intervals are wide (up to ± {widest['conf']:.2g}, for "
                       f"{widest['measure']} of {_label(widest['parameter'])}); "
                       f"{_more_samples(sens, ratio)}.")
        conv = sens.convergence
        part = conv[conv["outcome"] == outcome] if len(conv) else conv
        if len(part):
            worst = part.loc[part["change"].abs().idxmax()]
            if abs(worst["change"]) / scale > lim["drift"]:
                out.append(f"{name}: the indices have not settled: {worst['measure']} of "
                           f"{_label(worst['parameter'])} moved from {worst['half']:.2f} "
                           f"(half the sample) to {worst['full']:.2f} (the whole sample); "
                           f"{_more_samples(sens, 2)}.")
    return out


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
def _cell(value: float, conf: float) -> str:
    if not np.isfinite(value):
        return "-"
    if not np.isfinite(conf):
        return f"{value:.3f}"
    return f"{value:.3f} ± {conf:.3f}"


def report(sens: Sensitivity) -> str:
    """The plain summary the ``sensitivity`` command prints: every index with its interval.

    Per outcome: the seed-noise share and a table of the indices (value ± the
    half-width of the 95% interval), levers ranked; then the convergence
    check and every warning (or a line saying there are none).
    """
    measures = {"saltelli": ["S1", "ST"], "morris": ["mu_star", "sigma"],
                "latin": ["S1"]}[sens.method]
    what = {"saltelli": "base samples", "morris": "trajectories", "latin": "samples"}
    lines = [f"{METHOD[sens.method]}: {sens.samples} {what[sens.method]}, "
             f"{sens.replicates} replicate{'s' if sens.replicates != 1 else ''} per design "
             "point (outcomes averaged over them); ± is the 95% interval.",
             f"Main index ({MAIN[sens.method]}) by lever and outcome, with all indices below."]
    noise = sens.noise.set_index("outcome") if len(sens.noise) else None
    for outcome in sens.outcomes:
        sub = sens.indices[sens.indices["outcome"] == outcome]
        if sub["value"].isna().all():
            continue
        head = f"\n{outcome_label(outcome)} ({outcome})"
        if noise is not None and outcome in noise.index:
            share = noise.loc[outcome, "noise_share"]
            if np.isfinite(share):
                head += (f": seed noise {share:.1%} of the spread of the averaged outcome "
                         f"({noise.loc[outcome, 'run_noise_share']:.0%} of a single run's)")
        lines.append(head)
        table = sens.table(outcome)
        width = max(len(_label(p)) for p in table.index) + 2
        lines.append("  " + "lever".ljust(width)
                     + "".join(m.rjust(17) for m in measures))
        for param, row in table.iterrows():
            cells = "".join(_cell(row.get(m, np.nan), row.get(f"{m}_conf", np.nan)).rjust(17)
                            for m in measures)
            flag = row.get("flag") or ""
            lines.append("  " + _label(str(param)).ljust(width) + cells
                         + (f"  <- {flag}" if flag else ""))
        pairs = sens.pairs(outcome) if sens.method == "saltelli" else None
        if pairs is not None and len(pairs):
            lines.append("  pair interactions (S2, second order):")
            for param, row in pairs.iterrows():
                a, _, b = str(param).partition(" x ")
                lines.append("    " + f"{_label(a)} x {_label(b)}".ljust(width + 15)
                             + _cell(row["S2"], row["S2_conf"]).rjust(17))
    conv = sens.convergence
    if len(conv):
        worst = conv.loc[conv["change"].abs().idxmax()]
        lines.append(f"\nConvergence: from half the sample to all of it, the largest change "
                     f"in any index is {abs(worst['change']):.3f} ({worst['measure']} of "
                     f"{_label(worst['parameter'])} for {outcome_label(worst['outcome'])}).")
    else:
        lines.append("\nConvergence: the sample is too small to check at half its size.")
    if sens.warnings:
        lines.append(f"\nWARNING: {len(sens.warnings)} check(s) failed; do not report these "
                     "indices as they are:")
        lines += [f"  - {w}" for w in sens.warnings]
    else:
        lines.append("\nChecks passed: intervals narrow, no index beyond its possible range, "
                     "indices settled at half the sample, seed noise small.")
    return "\n".join(lines)


def analyse_and_report(result: SweepResult, *, large_text: bool = False) -> str:
    """Analyse a finished sensitivity run, write indices and charts beside it, return the text.

    Writes ``<stem>.indices.csv`` (or ``.parquet`` beside Parquet results) and
    the charts in ``<stem>.plots/`` (SVG, PDF, 300-dpi PNG).
    """
    from coprod_sim.experiments.execute import write_table

    sens = analyse(result)
    paths = result.paths
    write_table(sens.indices, paths.indices)
    files = save_plots(sens, paths.plots, large_text=large_text)
    lines = list(sens.notes)
    lines.append(f"Indices:      {paths.indices} ({len(sens.indices)} rows)")
    lines.append(f"Charts:       {paths.plots}/ ({len(files)} files: PNG, SVG and PDF)")
    lines.append("")
    lines.append(report(sens))
    return "\n".join(lines)
