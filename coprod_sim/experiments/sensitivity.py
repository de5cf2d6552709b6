"""Global sensitivity analysis with SALib, and plots of the indices.

Each outcome is taken from the run summaries (the last week, or a whole-run
figure) and averaged over the replicates of each design point, then analysed
with the method that fits the design:

* ``saltelli``: Sobol indices (``SALib.analyze.sobol``): ``S1`` (the share of
  the outcome's variance due to the lever alone) and ``ST`` (alone and in
  interaction with others), with 95% confidence half-widths.
* ``morris``: elementary effects (``SALib.analyze.morris``): ``mu_star`` (the
  average size of the change in the outcome when the lever moves across its
  range), ``sigma`` (how much that change depends on the other levers) and ``mu``.
* ``latin``: first-order indices by RBD-FAST (``SALib.analyze.rbd_fast``),
  ``S1``; it needs many samples (100 or more) to be reliable.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.cli import UsageError
from coprod_sim.experiments.design import Plan, outcome_label
from coprod_sim.experiments.execute import SweepResult, load_results
from coprod_sim.fileio import atomic_write
from coprod_sim.parameters import PARAMETERS

#: Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")

#: The main index of each method (plotted first, used to rank levers).
MAIN = {"saltelli": "ST", "morris": "mu_star", "latin": "S1"}
_METHOD = {"saltelli": "Sobol indices", "morris": "Morris elementary effects",
           "latin": "RBD-FAST first-order indices"}


@dataclass
class Sensitivity:
    """Sensitivity indices of several outcomes.

    Attributes:
        method: The design kind: ``"saltelli"``, ``"morris"`` or ``"latin"``.
        indices: Tidy table: outcome, parameter, measure, value, conf.
        outcomes: The outcomes analysed, in order.
        notes: Plain notes (for example an outcome that did not vary).
    """

    method: str
    indices: pd.DataFrame
    outcomes: list[str]
    notes: list[str]

    def table(self, outcome: str) -> pd.DataFrame:
        """Wide table for one outcome: one row per parameter, one column per measure."""
        sub = self.indices[self.indices["outcome"] == outcome]
        wide = sub.pivot(index="parameter", columns="measure", values="value")
        conf = sub.dropna(subset=["conf"]).pivot(index="parameter", columns="measure",
                                                  values="conf")
        for col in conf.columns:
            wide[f"{col}_conf"] = conf[col]
        main = MAIN[self.method]
        return wide.sort_values(main, ascending=False) if main in wide else wide

    def ranking(self) -> pd.DataFrame:
        """Main index per parameter (rows) and outcome (columns)."""
        main = self.indices[self.indices["measure"] == MAIN[self.method]]
        return main.pivot(index="parameter", columns="outcome", values="value")[self.outcomes]


def outcome_matrix(result: SweepResult, outcome: str) -> np.ndarray:
    """The outcome per design point, averaged over replicates (rows in point order).

    Raises:
        UsageError: if a run is missing (failed or unfinished) or the outcome is unknown.
    """
    runs = result.runs
    if outcome not in runs.columns:
        raise UsageError(f"outcome {outcome!r} is not in the results; choose from numeric "
                         "summary columns such as participation_rate, influence, trust")
    n_points = len(result.plan.points)
    if len(runs) != len(result.plan.runs):
        missing = len(result.plan.runs) - len(runs)
        raise UsageError(f"{missing} of {len(result.plan.runs)} runs are missing (failed or "
                         "unfinished); resume the sweep before analysing it")
    values = pd.to_numeric(runs[outcome], errors="coerce").astype(float)
    means = values.groupby(runs["point"]).mean().reindex(range(n_points))
    return means.to_numpy()


def analyse(result: SweepResult | str | os.PathLike, outcomes: list[str] | None = None,
            *, seed: int = 1, conf_level: float = 0.95) -> Sensitivity:
    """Compute global sensitivity indices for each outcome of a sampled design.

    Args:
        result: A :class:`SweepResult` or the path of saved results.
        outcomes: Summary outcomes to analyse (default: the experiment's list).
        seed: Seed (1 or more) for SALib's bootstrap confidence intervals, so the
            same results always give the same intervals. (SALib treats 0 as
            "no seed", so 0 is not allowed.)
        conf_level: Confidence level of the intervals.

    Returns:
        A :class:`Sensitivity` with a tidy ``indices`` table.

    Raises:
        UsageError: for a grid design, missing runs or an unknown outcome.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 1:
        raise UsageError(f"seed is {seed!r}; allowed: a whole number of at least 1")
    if not isinstance(result, SweepResult):
        result = load_results(result)
    plan: Plan = result.plan
    method = plan.experiment["kind"]
    if method not in MAIN:
        raise UsageError(f"design kind is {method!r}; sensitivity analysis needs 'saltelli', "
                         "'morris' or 'latin'")
    names = [f["name"] for f in plan.experiment["factors"]]
    problem = salib_problem_from_names(names)
    X = np.asarray(plan.unit, dtype=float)
    outcomes = list(outcomes or plan.experiment["outcomes"])
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for outcome in outcomes:
        Y = outcome_matrix(result, outcome)
        finite = np.isfinite(Y)
        if not finite.all() or np.ptp(Y) == 0:
            why = "did not change across the runs" if finite.all() else "has missing values"
            notes.append(f"{outcome_label(outcome)} ({outcome}) {why}, so it has no "
                         "sensitivity indices.")
            for name in names:
                rows.append({"outcome": outcome, "parameter": name,
                             "measure": MAIN[method], "value": np.nan, "conf": np.nan})
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rows.extend(_indices(method, problem, X, Y, outcome, plan, seed, conf_level))
    table = pd.DataFrame(rows, columns=["outcome", "parameter", "measure", "value", "conf"])
    return Sensitivity(method, table, outcomes, notes)


def salib_problem_from_names(names: list[str]) -> dict[str, Any]:
    """The ``[0, 1]`` SALib problem for the given factor names."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _indices(method: str, problem: dict[str, Any], X: np.ndarray, Y: np.ndarray,
             outcome: str, plan: Plan, seed: int, conf_level: float) -> list[dict[str, Any]]:
    names = problem["names"]
    rows = []

    def add(measure: str, values: Any, conf: Any = None) -> None:
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
# Plots
# ---------------------------------------------------------------------------
def _label(name: str) -> str:
    return PARAMETERS[name].label if name in PARAMETERS else name


def caption(sens: Sensitivity, outcome: str) -> str:
    """The one-line plain caption (alt text) of an outcome's chart."""
    what = outcome_label(outcome).lower()
    if sens.method == "saltelli":
        return (f"Longer bars: the lever explains more of the spread in '{what}' "
                "(orange alone, blue with others; lines: 95% range).")
    if sens.method == "morris":
        return (f"Longer bars: moving the lever across its range changes '{what}' more "
                "(lines: 95% range).")
    return (f"Longer bars: the lever alone explains more of the spread in '{what}' "
            "(lines: 95% range).")


def _caption_room(fig: Any, text: str, size: float) -> None:
    """Reserve a strip at the bottom of the figure and write the caption in it."""
    height = fig.get_size_inches()[1]
    strip = (size * 2.2 / 72) / height
    fig.get_layout_engine().set(rect=(0, strip, 1, 1 - strip))
    fig.text(0.01, strip * 0.3, text, fontsize=size, ha="left", va="bottom")


def plot_indices(sens: Sensitivity, outcome: str, *, large_text: bool = False) -> Any:
    """Bar chart of one outcome's indices, levers ranked; returns the figure.

    The figure has a title and a one-line plain caption; ``fig.caption`` holds
    the caption text for use as alt text.
    """
    import matplotlib.pyplot as plt

    size = 14 if large_text else 10
    sub = sens.indices[(sens.indices["outcome"] == outcome)
                       & (sens.indices["measure"] != "S2")]
    measures = {"saltelli": ["S1", "ST"], "morris": ["mu_star"], "latin": ["S1"]}[sens.method]
    main = MAIN[sens.method]
    order = (sub[sub["measure"] == main].sort_values("value", ascending=True, na_position="first")
             ["parameter"].tolist())
    width = 10 if large_text else 8
    rows = (0.6 if large_text else 0.45) * max(1, len(order))
    fig, ax = plt.subplots(figsize=(width, 1.6 + rows), layout="constrained")
    height = 0.8 / len(measures)
    colours = {"S1": OKABE_ITO[0], "ST": OKABE_ITO[4], "mu_star": OKABE_ITO[4]}
    names = {"S1": "alone (first order)", "ST": "alone and with others (total)",
             "mu_star": "average effect (mu*)"}
    for k, measure in enumerate(measures):
        part = sub[sub["measure"] == measure].set_index("parameter").reindex(order)
        y = np.arange(len(order)) + (k - (len(measures) - 1) / 2) * height
        ax.barh(y, part["value"].fillna(0.0), height=height, color=colours[measure],
                label=names[measure], xerr=part["conf"].fillna(0.0).clip(lower=0.0),
                error_kw={"ecolor": "#000000", "capsize": 2, "elinewidth": 1})
    ax.set_yticks(np.arange(len(order)), [_label(p) for p in order], fontsize=size)
    ax.tick_params(axis="x", labelsize=size)
    ax.set_xlabel({"saltelli": "Share of the spread explained (0 to 1)",
                   "morris": f"Change in {outcome_label(outcome).lower()}",
                   "latin": "Share of the spread explained (0 to 1)"}[sens.method],
                  fontsize=size)
    if sens.method != "morris":
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.axvline(0, color="#000000", linewidth=0.8)
    if len(measures) > 1:
        ax.legend(fontsize=size - 1, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    title = f"What moves '{outcome_label(outcome)}'? ({_METHOD[sens.method]})"
    ax.set_title(title, fontsize=size + 2)
    text = caption(sens, outcome)
    _caption_room(fig, text, size - 1)
    fig.caption = text
    fig.title = title
    return fig


def plot_overview(sens: Sensitivity, *, large_text: bool = False) -> Any:
    """Heat map of the main index: levers (rows) by outcomes (columns); returns the figure."""
    import matplotlib.pyplot as plt

    size = 14 if large_text else 10
    rank = sens.ranking()
    rank = rank.loc[rank.mean(axis=1).sort_values(ascending=False).index]
    shown = rank.div(rank.abs().max(axis=0).replace(0, np.nan), axis=1) \
        if sens.method == "morris" else rank
    fig, ax = plt.subplots(figsize=(1.8 + 1.3 * len(rank.columns), 1.4 + 0.45 * len(rank)),
                           layout="constrained")
    image = ax.imshow(shown.to_numpy(dtype=float), cmap="cividis", vmin=0,
                      vmax=1, aspect="auto")
    ax.set_xticks(range(len(rank.columns)), [outcome_label(o) for o in rank.columns],
                  rotation=30, ha="right", fontsize=size)
    ax.set_yticks(range(len(rank)), [_label(p) for p in rank.index], fontsize=size)
    for i in range(len(rank)):
        for j in range(len(rank.columns)):
            v = shown.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=size - 2,
                        color="#000000" if v > 0.5 else "#FFFFFF")
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.ax.tick_params(labelsize=size - 1)
    title = "Which levers matter for which outcome"
    ax.set_title(title, fontsize=size + 2)
    what = {"saltelli": "total Sobol index", "latin": "first-order index",
            "morris": "mu* as a share of the largest for that outcome"}[sens.method]
    text = f"Lighter squares mean the lever matters more for that outcome ({what})."
    _caption_room(fig, text, size - 1)
    fig.caption = text
    fig.title = title
    return fig


def save_plots(sens: Sensitivity, folder: str | os.PathLike, *,
               large_text: bool = False) -> list[Path]:
    """Save one chart per outcome and the overview as PNG (title and caption in metadata)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    figures = [(o, plot_indices(sens, o, large_text=large_text)) for o in sens.outcomes
               if sens.indices.loc[sens.indices["outcome"] == o, "value"].notna().any()]
    if figures:
        figures.append(("overview", plot_overview(sens, large_text=large_text)))
    for name, fig in figures:
        path = folder / f"{name}.png"
        atomic_write(path, b"", writer=lambda tmp, fig=fig: fig.savefig(
            tmp, format="png", dpi=110,
            metadata={"Title": fig.title, "Description": fig.caption}))
        plt.close(fig)
        written.append(path)
    return written
