"""Scenario discovery: the ranges of levers where an outcome of interest happens.

Given finished results and a condition on one outcome ("influence above
0.4"), PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999, as
used for scenario discovery by Bryant & Lempert 2010) peels the space of the
levers that varied, a little at a time, keeping the part where the condition
holds most often. Each step gives a box with a

* coverage: the share of all runs meeting the condition that fall in the box, and a
* density: the share of the runs in the box that meet the condition.

Peeling trades coverage for density; the trajectory is plotted and the box
described is the densest one that still holds at least ``min_coverage`` of
the runs of interest (default half). PRIM itself is the EMA Workbench's
(``ema_workbench.analysis.prim``, Kwakkel 2017), not written here.

>>> from coprod_sim.experiments.discover import discover
>>> found = discover("results/discover.parquet", "influence", above=0.4)  # doctest: +SKIP
>>> print(found.boxes[0].sentence)                                          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.cli import UsageError
from coprod_sim.experiments.design import outcome_label
from coprod_sim.parameters import PARAMETERS

#: PRIM settings (the EMA Workbench's defaults): share peeled per step, smallest box.
PEEL_ALPHA = 0.05
MASS_MIN = 0.05


@dataclass
class Box:
    """One box found by PRIM.

    Attributes:
        condition_text: The condition in words ("influence is above 0.4").
        base_rate: Share of all runs meeting the condition.
        trajectory: The peeling trajectory: one row per box, with coverage,
            density, mass (share of all runs in the box), res_dim (levers
            restricted) and n (runs in the box).
        chosen: Row of ``trajectory`` described.
        limits: The chosen box's restrictions: one dict per restricted lever,
            with lever, kind, low, high (numbers) or values (on/off, choices),
            low_unit and high_unit (the range as a share of the lever's range
            in the results) and text ("power shared is at least 0.6").
        coverage: Coverage of the chosen box.
        density: Density of the chosen box.
        mass: Share of all runs inside the chosen box.
        runs: Runs inside the chosen box.
        sentence: The box in plain words.
        dropped: Restrictions PRIM made that were dropped as not significant.
    """

    condition_text: str
    base_rate: float
    trajectory: pd.DataFrame
    chosen: int
    limits: list[dict[str, Any]]
    coverage: float
    density: float
    mass: float
    runs: int
    sentence: str
    dropped: list[dict[str, Any]] = field(default_factory=list)

    @property
    def box(self) -> list[dict[str, Any]]:
        """The restrictions (alias of ``limits``, for the charts)."""
        return self.limits


@dataclass
class Discovery:
    """The result of scenario discovery on one outcome.

    Attributes:
        outcome: The outcome column.
        direction: ``"above"`` or ``"below"``.
        threshold: The threshold.
        levers: The levers PRIM could restrict (those that varied).
        n_runs: Runs analysed.
        n_interest: Runs meeting the condition.
        boxes: The boxes found, best first (each covers runs the earlier ones did not).
        notes: Plain notes (for example no box found).
    """

    outcome: str
    direction: str
    threshold: float
    levers: list[str]
    n_runs: int
    n_interest: int
    boxes: list[Box] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def condition_text(self) -> str:
        """The condition in words."""
        return condition_text(self.outcome, self.direction, self.threshold)

    def report(self) -> str:
        """Every box in plain words, with the share of runs meeting the condition."""
        lines = [f"In {self.n_interest} of {self.n_runs} runs "
                 f"({self.n_interest / self.n_runs:.0%}), {self.condition_text}. "
                 "Levers PRIM could restrict: " + ", ".join(_label(x) for x in self.levers)
                 + "."]
        for i, box in enumerate(self.boxes, 1):
            lines.append(f"\nBox {i}: {box.sentence}")
            for lim in box.limits:
                lines.append(f"  - {lim['text']} (without it: {lim['density_without']:.0%} "
                             f"of runs; quasi-p {lim['quasi_p']:.3f})")
            for lim in box.dropped:
                lines.append(f"  (PRIM also trimmed: {lim['text']}; dropped, as it made no "
                             f"clear difference: quasi-p {lim['quasi_p']:.2f})")
        lines += self.notes
        return "\n".join(lines)


def _label(name: str) -> str:
    return PARAMETERS[name].label if name in PARAMETERS else name


def condition_text(outcome: str, direction: str, threshold: float) -> str:
    """The condition in words, e.g. ``"influence is above 0.4"``."""
    what = outcome_label(outcome).lower()
    return f"{what} is {'above' if direction == 'above' else 'below'} {threshold:g}"


def _number(value: float, kind: str) -> str:
    if kind == "int":
        return str(int(round(value)))
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def _restriction(lever: str, lim: pd.Series, full: pd.Series, x: pd.Series
                 ) -> dict[str, Any] | None:
    """One lever's restriction in the box, or None if the box does not restrict it."""
    kind = PARAMETERS[lever].kind if lever in PARAMETERS else "float"
    name = _label(lever)
    if isinstance(lim.iloc[0], (set, frozenset)):
        allowed, every = set(lim.iloc[0]), set(full.iloc[0])
        if allowed >= every:
            return None
        shown = sorted(allowed, key=str)
        if kind == "bool" or set(map(str, every)) <= {"True", "False"}:
            words = "on" if str(shown[0]) == "True" else "off"
        elif len(shown) == 1:
            words = str(shown[0])
        else:
            words = "one of " + ", ".join(map(str, shown))
        text = f"'{name}' is {words}"
        order = sorted(every, key=str)
        idx = [order.index(v) for v in allowed]
        return {"lever": lever, "kind": "set", "values": shown, "text": text, "range": words,
                "low_unit": min(idx) / len(order), "high_unit": (max(idx) + 1) / len(order)}
    low, high = float(lim.iloc[0]), float(lim.iloc[1])
    lo_all, hi_all = float(full.iloc[0]), float(full.iloc[1])
    cut_low, cut_high = low > lo_all, high < hi_all
    if not (cut_low or cut_high):
        return None
    if cut_low and cut_high:
        words = f"between {_number(low, kind)} and {_number(high, kind)}"
    elif cut_low:
        words = f"at least {_number(low, kind)}"
    else:
        words = f"at most {_number(high, kind)}"
    text = f"{name} {words}" if name.endswith(" is") else f"{name} is {words}"
    span = (hi_all - lo_all) or 1.0
    return {"lever": lever, "kind": kind, "low": low, "high": high, "text": text, "range": words,
            "low_unit": (low - lo_all) / span, "high_unit": (high - lo_all) / span}


def _sentence(cond: str, limits: list[dict[str, Any]], density: float,
              coverage: float) -> str:
    where = " and ".join(lim["text"] if lim["text"].startswith("'")
                         else lim["text"][0].lower() + lim["text"][1:] for lim in limits)
    if not limits:
        return f"{cond[0].upper() + cond[1:]} in {density:.0%} of all runs."
    return (f"{cond[0].upper() + cond[1:]} in {density:.0%} of runs where {where}; "
            f"this box holds {coverage:.0%} of all such runs.")


def _inside(x: pd.DataFrame, limits: list[dict[str, Any]], skip: str | None = None
            ) -> np.ndarray:
    """Which runs fall inside the box given by ``limits`` (leaving out lever ``skip``)."""
    mask = np.ones(len(x), dtype=bool)
    for lim in limits:
        if lim["lever"] == skip:
            continue
        col = x[lim["lever"]]
        if lim["kind"] == "set":
            mask &= col.astype(str).isin(lim["values"]).to_numpy()
        else:
            values = col.to_numpy(dtype=float)
            mask &= (values >= lim["low"]) & (values <= lim["high"])
    return mask


def prune(limits: list[dict[str, Any]], x: pd.DataFrame, y: np.ndarray,
          remaining: np.ndarray, alpha: float = 0.05
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Drop restrictions that make no significant difference (Bryant & Lempert 2010).

    For each restriction, the quasi-p-value is the chance of at least the
    box's count of runs of interest if the box had the density it has without
    that restriction (a one-sided binomial test, as in the EMA Workbench).
    Restrictions with a quasi-p above ``alpha`` are dropped, the least
    significant first, until every one left is significant.

    Returns:
        ``(kept, dropped)``; each restriction gains ``quasi_p`` and
        ``density_without``.
    """
    from scipy.stats import binomtest

    kept, dropped = list(limits), []
    while kept:
        inside = _inside(x, kept) & remaining
        k, n = int(y[inside].sum()), int(inside.sum())
        worst = None
        for lim in kept:
            without = _inside(x, kept, skip=lim["lever"]) & remaining
            p0 = float(y[without].mean()) if without.any() else 0.0
            lim["density_without"] = p0
            lim["quasi_p"] = (float(binomtest(k, n, p0, alternative="greater").pvalue)
                              if n and 0 < p0 < 1 else 0.0)
            if worst is None or lim["quasi_p"] > worst["quasi_p"]:
                worst = lim
        if worst is None or worst["quasi_p"] <= alpha:
            break
        kept.remove(worst)
        dropped.append(worst)
    return kept, dropped


def lever_table(runs: pd.DataFrame, levers: list[str] | None = None) -> pd.DataFrame:
    """The levers PRIM may restrict: given ones, or every parameter that varied.

    On/off levers become categories, whole-number levers stay whole numbers.
    """
    if levers is None:
        levers = [p for p in PARAMETERS if p in runs.columns and runs[p].nunique() > 1]
    unknown = [x for x in levers if x not in runs.columns]
    if unknown:
        raise UsageError(f"lever {unknown[0]!r} is not in the results; allowed: "
                         + ", ".join(p for p in PARAMETERS if p in runs.columns))
    x = pd.DataFrame(index=runs.index)
    for lever in levers:
        col = runs[lever]
        kind = PARAMETERS[lever].kind if lever in PARAMETERS else "float"
        if kind in ("bool", "choice") or col.dtype == bool or col.dtype == object:
            x[lever] = pd.Categorical(col.astype(str))
        elif kind == "int":
            x[lever] = col.astype("int64")
        else:
            x[lever] = col.astype("float64")
    return x


def discover(results: Any, outcome: str, *, above: float | None = None,
             below: float | None = None, levers: list[str] | None = None,
             min_coverage: float = 0.5, boxes: int = 1) -> Discovery:
    """Find the boxes of levers where ``outcome`` is above (or below) a threshold.

    Args:
        results: A runs table (DataFrame), a :class:`SweepResult` or the path
            of saved results.
        outcome: A numeric column of the runs table (e.g. ``"influence"``).
        above: The condition is ``outcome > above`` ...
        below: ... or ``outcome < below`` (give exactly one).
        levers: Levers PRIM may restrict (default: every parameter that varied).
        min_coverage: The box described is the densest on the peeling
            trajectory holding at least this share of the runs of interest.
        boxes: How many boxes to look for (each among runs not yet covered).

    Returns:
        A :class:`Discovery`.

    Raises:
        UsageError: for an unknown outcome or lever, a bad threshold, or no
            run (or every run) meeting the condition.
    """
    if (above is None) == (below is None):
        raise UsageError("give exactly one of --above or --below")
    threshold = float(above if above is not None else below)  # type: ignore[arg-type]
    if not math.isfinite(threshold):
        raise UsageError(f"the threshold is {threshold!r}; allowed: a finite number")
    if not 0 < min_coverage <= 1:
        raise UsageError(f"--min-coverage is {min_coverage!r}; allowed: more than 0, at most 1")
    if isinstance(boxes, bool) or not isinstance(boxes, int) or not 1 <= boxes <= 10:
        raise UsageError(f"--boxes is {boxes!r}; allowed: a whole number from 1 to 10")
    runs = _runs_table(results)
    if outcome not in runs.columns or not pd.api.types.is_numeric_dtype(runs[outcome]):
        numeric = [c for c in runs.columns if pd.api.types.is_numeric_dtype(runs[c])
                   and c not in PARAMETERS and c not in ("run", "point", "replicate", "seed")]
        raise UsageError(f"outcome {outcome!r} is not a numeric column of the results; "
                         f"allowed: {', '.join(numeric)}")
    values = pd.to_numeric(runs[outcome], errors="coerce").astype(float)
    keep = values.notna().to_numpy()
    runs, values = runs[keep].reset_index(drop=True), values[keep].reset_index(drop=True)
    direction = "above" if above is not None else "below"
    y = (values > threshold) if direction == "above" else (values < threshold)
    y = y.to_numpy(dtype=bool)
    cond = condition_text(outcome, direction, threshold)
    if y.all() or not y.any():
        lo, hi = float(values.min()), float(values.max())
        raise UsageError(f"{'every' if y.all() else 'no'} run has {cond} ({outcome} ranges "
                         f"from {lo:.3g} to {hi:.3g}); choose a threshold inside that range")
    x = lever_table(runs, levers)
    if x.shape[1] == 0:
        raise UsageError("no lever varied across the runs, so there is nothing to discover")
    found = Discovery(outcome, direction, threshold, list(x.columns), len(y), int(y.sum()))
    prim = _prim(x, y)
    init = prim.box_init
    remaining = np.ones(len(y), dtype=bool)
    for _ in range(boxes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = prim.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        if len(found.boxes) and float(traj["density"].max()) <= found.boxes[0].base_rate:
            break  # what is left is no purer than all runs
        ok = traj.index[traj["coverage"] >= min_coverage - 1e-12]
        pick = int(traj.loc[ok, "density"].idxmax()) if len(ok) else 0
        lims = box.box_lims[pick]
        limits = [r for r in (_restriction(c, lims[c], init[c], x[c]) for c in x.columns) if r]
        limits, dropped = prune(limits, x, y, remaining)
        if not limits:
            if not found.boxes:
                found.notes.append("PRIM found no restriction that clearly raises the share "
                                   "of these runs.")
            break
        inside = _inside(x, limits)
        k, n = int(y[inside & remaining].sum()), int((inside & remaining).sum())
        density = k / n if n else 0.0
        coverage = k / int(y.sum())
        found.boxes.append(Box(
            condition_text=cond, base_rate=float(y.mean()), trajectory=traj, chosen=pick,
            limits=limits, coverage=coverage, density=density, mass=n / len(y), runs=n,
            sentence=_sentence(cond, limits, density, coverage), dropped=dropped))
        remaining &= ~_inside(x, [r for r in (_restriction(c, lims[c], init[c], x[c])
                                             for c in x.columns) if r])
        box.select(pick)  # the next box is looked for among the runs outside this one
    if not found.boxes:
        found.notes.append("PRIM found no box denser than the runs as a whole.")
    return found


def _prim(x: pd.DataFrame, y: np.ndarray) -> Any:
    """The EMA Workbench's PRIM on these levers and runs of interest."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optional extras it does not find
            logging.getLogger("EMA").setLevel(logging.ERROR)
            from ema_workbench.analysis import prim
    except ImportError as err:  # pragma: no cover - a dependency
        raise UsageError(f"scenario discovery needs the EMA Workbench ({err}); install it "
                         "with: pip install ema_workbench") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its own pandas deprecations
        return prim.Prim(x, y.copy(), peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN)


def _runs_table(results: Any) -> pd.DataFrame:
    if isinstance(results, pd.DataFrame):
        return results.reset_index(drop=True)
    from coprod_sim.experiments.execute import SweepResult, load_results

    if not isinstance(results, SweepResult):
        results = load_results(results)
    runs = results.runs
    if not isinstance(runs, pd.DataFrame):
        runs = runs.to_pandas() if hasattr(runs, "to_pandas") else pd.DataFrame(runs)
    return runs.reset_index(drop=True)


def save_discovery(found: Discovery, folder: str | os.PathLike, *,
                   large_text: bool = False) -> list[Path]:
    """Save the peeling trajectory and box charts (SVG, PDF, PNG) and trajectory CSVs.

    Files are named ``<outcome>-<above|below>-<threshold>[-box<N>].*``.
    """
    import matplotlib.pyplot as plt

    from coprod_sim.experiments.charts import plot_box, plot_peeling, save_figure
    from coprod_sim.fileio import atomic_write

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{found.outcome}-{found.direction}-{found.threshold:g}"
    written: list[Path] = []
    for i, box in enumerate(found.boxes, 1):
        tag = stem if i == 1 else f"{stem}-box{i}"
        for kind, plot in (("peeling", plot_peeling), ("box", plot_box)):
            fig = plot(box, large_text=large_text)
            written += save_figure(fig, folder / f"{tag}.{kind}")
            plt.close(fig)
        csv = folder / f"{tag}.trajectory.csv"
        atomic_write(csv, box.trajectory.to_csv(index=False).encode("utf-8"))
        written.append(csv)
    return written
