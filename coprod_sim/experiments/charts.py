"""Publication-grade charts of research results: sensitivity indices and scenario boxes.

Every chart is a :class:`coprod_sim.plots.Chart` (a matplotlib Figure, made
through pyplot so that Jupyter shows it inline) with ``title``, ``caption``
(one plain line, drawn under the chart and wrapped to its width, never cut
off) and ``alt_text`` (a longer description for screen readers, stored in
every exported file).

* Axes always cover the values drawn, intervals included: a Sobol index
  estimated above 1 or below 0 (estimation error) shows as such, and the
  heat map's colour scale spans every cell's value.
* Colours are the Okabe-Ito palette (Okabe & Ito 2008), readable with the
  common kinds of colour blindness; bars also differ by hatching.
* :func:`save_figure` writes SVG, PDF and 300-dpi PNG (atomically), with the
  title and alt text in each file's metadata.

The charts:

* :func:`plot_indices`: one outcome's indices, levers ranked, with 95% intervals.
* :func:`plot_overview`: heat map of the main index, levers by outcomes.
* :func:`plot_morris`: Morris mu* against sigma (Campolongo et al. 2007):
  levers far right matter; levers high up act through interactions or
  non-linear effects.
* :func:`plot_convergence`: each index at half and at the full sample.
* :func:`plot_peeling` and :func:`plot_box`: scenario discovery (PRIM).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from coprod_sim.experiments.design import outcome_label
from coprod_sim.fileio import atomic_write
from coprod_sim.parameters import PARAMETERS
from coprod_sim.plots import Chart


class Sensitivity(Protocol):
    """What a sensitivity chart reads (:class:`coprod_sim.experiments.sensitivity.Sensitivity`).

    Declared here, not imported, so that the analysis imports its charts and
    never the other way round.
    """

    method: str
    indices: pd.DataFrame
    outcomes: list[str]
    convergence: pd.DataFrame

    def table(self, outcome: str) -> pd.DataFrame:
        """Indices of one outcome, one row per lever."""

    def ranking(self) -> pd.DataFrame:
        """Levers ranked by their main index over the outcomes."""


class Box(Protocol):
    """What a scenario-discovery chart reads (:class:`coprod_sim.experiments.discover.Box`)."""

    condition_text: str
    base_rate: float
    trajectory: pd.DataFrame
    chosen: int
    coverage: float
    density: float
    sentence: str

    @property
    def box(self) -> list[dict[str, Any]]:
        """The chosen box's restrictions."""

#: Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
ORANGE, SKY, GREEN, _YELLOW, BLUE, VERMILLION, PURPLE, BLACK = OKABE_ITO

#: Export formats and resolution of raster output.
FORMATS = ("png", "svg", "pdf")
DPI = 300

#: The main index of each method (plotted first, used to rank levers).
MAIN = {"saltelli": "ST", "morris": "mu_star", "latin": "S1"}
METHOD = {"saltelli": "Sobol indices", "morris": "Morris elementary effects",
          "latin": "RBD-FAST first-order indices"}


def label(name: str) -> str:
    """The plain label of a lever (or the name itself)."""
    return PARAMETERS[name].label if name in PARAMETERS else name


def _sizes(large_text: bool) -> int:
    return 14 if large_text else 10


def _new(width: float, height: float) -> Chart:
    """A new chart, through pyplot so that Jupyter shows it inline (close it when saved)."""
    import matplotlib.pyplot as plt

    return plt.figure(FigureClass=Chart, figsize=(width, height), layout="constrained")


def _close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def _finish(fig: Chart, ax: Any, title: str, caption: str, alt: str, size: int) -> Chart:
    """Title, the caption wrapped under the chart, and the text attributes."""
    ax.set_title(title, fontsize=size + 2)
    width_in = fig.get_size_inches()[0]
    chars = max(30, int(width_in * 72 / (0.55 * (size - 1))))
    fig.supxlabel("\n".join(textwrap.wrap(caption, chars)), fontsize=size - 1, x=0.01,
                  ha="left", fontweight="normal")
    fig.title, fig.caption, fig.alt_text = title, caption, alt
    return fig


def _span(lows: np.ndarray, highs: np.ndarray, *,
          floor: float | None = 0.0) -> tuple[float, float]:
    """Axis limits covering every value and interval, with a little room.

    With ``floor`` (bars drawn from 0) the axis starts at the floor unless a
    value or interval goes below it.
    """
    both = np.concatenate([np.ravel(lows), np.ravel(highs)]).astype(float)
    both = both[np.isfinite(both)]
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    if floor is not None:
        lo, hi = min(lo, floor), max(hi, floor)
    pad = 0.05 * ((hi - lo) or 1.0)
    return (lo if floor is not None and lo >= floor else lo - pad), hi + pad


# ---------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------
def caption(sens: Sensitivity, outcome: str) -> str:
    """The one-line plain caption of an outcome's index chart."""
    what = outcome_label(outcome).lower()
    if sens.method == "saltelli":
        return (f"Longer bars: the lever explains more of the spread in '{what}' "
                "(orange alone, blue with others; lines: 95% range).")
    if sens.method == "morris":
        return (f"Longer bars: moving the lever across its range changes '{what}' more "
                "(lines: 95% range).")
    return (f"Longer bars: the lever alone explains more of the spread in '{what}' "
            "(lines: 95% range).")


def plot_indices(sens: Sensitivity, outcome: str, *, large_text: bool = False) -> Chart:
    """Bar chart of one outcome's indices, levers ranked, with 95% intervals."""
    size = _sizes(large_text)
    sub = sens.indices[(sens.indices["outcome"] == outcome)
                       & (sens.indices["measure"] != "S2")]
    measures = {"saltelli": ["S1", "ST"], "morris": ["mu_star"], "latin": ["S1"]}[sens.method]
    main = MAIN[sens.method]
    order = (sub[sub["measure"] == main].sort_values("value", ascending=True, na_position="first")
             ["parameter"].tolist())
    width = 10 if large_text else 8
    rows = (0.6 if large_text else 0.45) * max(1, len(order))
    fig = _new(width, 2.0 + rows)
    ax = fig.add_subplot()
    height = 0.8 / len(measures)
    colours = {"S1": ORANGE, "ST": BLUE, "mu_star": BLUE}
    hatches = {"S1": "//", "ST": "", "mu_star": ""}
    names = {"S1": "alone (first order)", "ST": "alone and with others (total)",
             "mu_star": "average effect (mu*)"}
    lows, highs, parts = [], [], []
    for k, measure in enumerate(measures):
        part = sub[sub["measure"] == measure].set_index("parameter").reindex(order)
        value = part["value"].to_numpy(dtype=float)
        conf = np.nan_to_num(part["conf"].to_numpy(dtype=float).clip(min=0.0))
        y = np.arange(len(order)) + (k - (len(measures) - 1) / 2) * height
        ax.barh(y, np.nan_to_num(value), height=height, color=colours[measure],
                hatch=hatches[measure], edgecolor="#FFFFFF", label=names[measure],
                xerr=conf, error_kw={"ecolor": BLACK, "capsize": 3, "elinewidth": 1.2})
        lows.append(value - conf)
        highs.append(value + conf)
        parts.append(part)
    ax.set_yticks(np.arange(len(order)), [label(p) for p in order], fontsize=size)
    ax.tick_params(axis="x", labelsize=size)
    lo, hi = _span(np.concatenate(lows), np.concatenate(highs))
    ax.set_xlim(lo, hi)
    if sens.method != "morris" and hi > 1:
        ax.axvline(1, color=BLACK, linewidth=0.8, linestyle=":")
    ax.axvline(0, color=BLACK, linewidth=0.8)
    ax.set_xlabel({"saltelli": "Share of the spread explained (1 = all of it)",
                   "morris": f"Change in {outcome_label(outcome).lower()} across the "
                             "lever's range",
                   "latin": "Share of the spread explained (1 = all of it)"}[sens.method],
                  fontsize=size)
    if len(measures) > 1:
        ax.legend(fontsize=size - 1, loc="lower right", frameon=True)
    title = f"What moves '{outcome_label(outcome)}'? ({METHOD[sens.method]})"
    text = caption(sens, outcome)
    top = [f"{label(p)} {parts[0].loc[p, 'value']:.2f}" for p in reversed(order)
           if np.isfinite(parts[-1].loc[p, "value"])][:3]
    alt = (f"Horizontal bar chart of {METHOD[sens.method]} for '{outcome_label(outcome)}', "
           f"one bar per lever with its 95% range. Largest first: {', '.join(top)}.")
    return _finish(fig, ax, title, text, alt, size)


def plot_overview(sens: Sensitivity, *, large_text: bool = False) -> Chart:
    """Heat map of the main index: levers (rows) by outcomes (columns).

    The colour scale spans every cell's value (a Sobol index estimated above 1
    stretches it; the ticks say so).
    """
    size = _sizes(large_text)
    rank = sens.ranking()
    rank = rank.loc[rank.mean(axis=1).sort_values(ascending=False).index]
    if sens.method == "morris":
        shown = rank.div(rank.abs().max(axis=0).replace(0, np.nan), axis=1)
    else:
        shown = rank
    values = shown.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    vmin = min(0.0, float(finite.min())) if finite.size else 0.0
    vmax = max(1.0, float(finite.max())) if finite.size else 1.0
    fig = _new(2.6 + 1.4 * len(rank.columns), 2.0 + 0.5 * len(rank))
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="cividis", vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(rank.columns)), [outcome_label(o) for o in rank.columns],
                  rotation=30, ha="right", fontsize=size)
    ax.set_yticks(range(len(rank)), [label(p) for p in rank.index], fontsize=size)
    for i in range(len(rank)):
        for j in range(len(rank.columns)):
            v = values[i, j]
            if np.isfinite(v):
                light = (v - vmin) / (vmax - vmin or 1) > 0.55
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=size - 1,
                        color=BLACK if light else "#FFFFFF")
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.ax.tick_params(labelsize=size - 1)
    what = {"saltelli": "total Sobol index", "latin": "first-order index",
            "morris": "mu* as a share of the largest for that outcome"}[sens.method]
    bar.set_label(what, fontsize=size - 1)
    title = "Which levers matter for which outcome"
    text = f"Lighter squares mean the lever matters more for that outcome ({what})."
    alt = (f"Heat map: levers in rows, outcomes in columns, each cell the {what}, "
           f"from {vmin:.2f} to {vmax:.2f}.")
    return _finish(fig, ax, title, text, alt, size)


def plot_morris(sens: Sensitivity, outcome: str, *, large_text: bool = False) -> Chart:
    """Morris mu* (x) against sigma (y) for one outcome, each lever a labelled point.

    Levers far to the right matter; levers high up (above the line sigma = mu*)
    act mostly through interactions with other levers or non-linear effects.
    """
    if sens.method != "morris":
        raise ValueError("the mu*-sigma chart needs a Morris design")
    size = _sizes(large_text)
    table = sens.table(outcome)
    fig = _new(9 if large_text else 7, 6 if large_text else 5)
    ax = fig.add_subplot()
    mu, sigma = table["mu_star"].to_numpy(float), table["sigma"].to_numpy(float)
    conf = np.nan_to_num(table.get("mu_star_conf", pd.Series(0.0, index=table.index))
                         .to_numpy(float))
    ax.errorbar(mu, sigma, xerr=conf, fmt="o", color=BLUE, ecolor=BLACK, capsize=3,
                markersize=8 if large_text else 6, elinewidth=1)
    top = float(np.nanmax(np.concatenate([mu + conf, sigma]))) if len(mu) else 1.0
    top = top * 1.15 if top > 0 else 1.0
    for name, x, y in zip(table.index, mu, sigma, strict=True):
        right = x > 0.55 * top  # labels of points on the right go to their left
        ax.annotate(label(name), (x, y), textcoords="offset points",
                    xytext=(-6, 6) if right else (6, 6), ha="right" if right else "left",
                    fontsize=size - 1)
    ax.plot([0, top], [0, top], color=VERMILLION, linestyle="--", linewidth=1,
            label="sigma = mu*")
    ax.set_xlim(min(0.0, float(np.nanmin(mu - conf)) if len(mu) else 0.0), top)
    ax.set_ylim(0, top)
    ax.set_xlabel("mu*: average size of the effect across the lever's range", fontsize=size)
    ax.set_ylabel("sigma: how much the effect depends on other levers", fontsize=size)
    ax.tick_params(labelsize=size)
    ax.legend(fontsize=size - 1, loc="upper left")
    title = f"Morris screening of '{outcome_label(outcome)}'"
    text = ("Right: the lever matters more. Up: its effect depends more on the other levers "
            "(lines: 95% range of mu*).")
    first = table.index[0] if len(table) else "none"
    alt = (f"Scatter chart of Morris mu* against sigma for '{outcome_label(outcome)}', one "
           f"point per lever; the lever with the largest mu* is {label(first)}.")
    return _finish(fig, ax, title, text, alt, size)


def plot_convergence(sens: Sensitivity, outcome: str, *, large_text: bool = False) -> Chart:
    """Each main index at half the sample against the full sample (a convergence check)."""
    size = _sizes(large_text)
    conv = sens.convergence
    sub = conv[conv["outcome"] == outcome]
    fig = _new(8 if large_text else 6.5, 5.5 if large_text else 4.5)
    ax = fig.add_subplot()
    markers = {"S1": ("s", ORANGE), "ST": ("o", BLUE), "mu_star": ("o", BLUE)}
    for measure, part in sub.groupby("measure", sort=False):
        marker, colour = markers.get(str(measure), ("o", GREEN))
        ax.scatter(part["half"], part["full"], marker=marker, color=colour, s=50,
                   label=str(measure), zorder=3)
    both = np.concatenate([sub["half"].to_numpy(float), sub["full"].to_numpy(float)])
    lo, hi = _span(both, both, floor=None)
    ax.plot([lo, hi], [lo, hi], color=BLACK, linewidth=0.8, linestyle=":")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Index from the first half of the sample", fontsize=size)
    ax.set_ylabel("Index from the whole sample", fontsize=size)
    ax.tick_params(labelsize=size)
    ax.legend(fontsize=size - 1, loc="upper left")
    title = f"Are the indices of '{outcome_label(outcome)}' settled?"
    text = "Points on the dotted line: the index no longer changes as the sample grows."
    worst = float(sub["change"].abs().max()) if len(sub) else 0.0
    alt = (f"Scatter chart: each index of '{outcome_label(outcome)}' from half the sample "
           f"against the full sample; the largest change is {worst:.3f}.")
    return _finish(fig, ax, title, text, alt, size)


# ---------------------------------------------------------------------------
# Scenario discovery
# ---------------------------------------------------------------------------
def plot_peeling(disc: Box, *, large_text: bool = False) -> Chart:
    """PRIM's peeling trajectory: coverage against density, the chosen box marked."""
    size = _sizes(large_text)
    traj = disc.trajectory
    fig = _new(11 if large_text else 9, 6 if large_text else 5)
    ax = fig.add_subplot()
    dims = traj["res_dim"].astype(int)
    colours = [OKABE_ITO[[4, 0, 2, 5, 6, 1, 7][min(d, 6)]] for d in dims]
    ax.plot(traj["coverage"], traj["density"], color="#999999", linewidth=1, zorder=1)
    ax.scatter(traj["coverage"], traj["density"], c=colours, s=40, zorder=2)
    for d in sorted(set(dims)):
        ax.scatter([], [], color=OKABE_ITO[[4, 0, 2, 5, 6, 1, 7][min(d, 6)]], s=40,
                   label=f"{d} lever{'s' if d != 1 else ''} restricted")
    chosen = traj.iloc[disc.chosen]
    ax.scatter([chosen["coverage"]], [chosen["density"]], s=220, facecolors="none",
               edgecolors=BLACK, linewidths=2, zorder=3, label="PRIM's chosen box")
    if getattr(disc, "dropped", None):
        ax.scatter([disc.coverage], [disc.density], marker="*", s=260, color=BLACK,
                   edgecolors="#FFFFFF", zorder=4, label="box described\n(weak limits dropped)")
    ax.axhline(disc.base_rate, color=BLACK, linestyle=":", linewidth=1.2,
               label=f"density of all runs ({disc.base_rate:.0%})")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Coverage: share of the runs of interest inside the box", fontsize=size)
    ax.set_ylabel("Density: share of the box's runs that are of interest", fontsize=size)
    ax.tick_params(labelsize=size)
    ax.legend(fontsize=size - 1, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    title = f"PRIM peeling: where {disc.condition_text}"
    text = ("Each point is a box; moving left, PRIM trims the levers' ranges to make the box "
            "purer, holding fewer of the runs of interest.")
    alt = (f"Line chart of PRIM's peeling trajectory for {disc.condition_text}: coverage "
           f"against density for {len(traj)} boxes; the box described has coverage "
           f"{disc.coverage:.0%} and density {disc.density:.0%}.")
    return _finish(fig, ax, title, text, alt, size)


def plot_box(disc: Box, *, large_text: bool = False) -> Chart:
    """The chosen box: each restricted lever's range inside its full range."""
    size = _sizes(large_text)
    rows = disc.box
    fig = _new(9 if large_text else 7, 2.0 + (0.7 if large_text else 0.55) * max(1, len(rows)))
    ax = fig.add_subplot()
    for i, row in enumerate(rows):
        ax.barh(i, 1.0, color="#DDDDDD", height=0.6)
        ax.barh(i, row["high_unit"] - row["low_unit"], left=row["low_unit"], color=BLUE,
                height=0.6)
        ax.text(1.02, i, row["range"], va="center", fontsize=size - 1)
    ax.set_yticks(range(len(rows)), [label(r["lever"]) for r in rows], fontsize=size)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 1], ["lowest", "highest"], fontsize=size)
    ax.set_xlabel("The lever's range in the results (blue: inside the box)", fontsize=size)
    ax.invert_yaxis()
    title = f"The box where {disc.condition_text}"  # e.g. "... influence is above 0.4"
    text = disc.sentence
    alt = "Range chart of the chosen box. " + disc.sentence
    return _finish(fig, ax, title, text, alt, size)


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------
def save_figure(fig: Any, path: str | os.PathLike, *, formats: Sequence[str] = FORMATS,
                dpi: int = DPI) -> list[Path]:
    """Save a chart as SVG, PDF and PNG (``dpi``), atomically, with alt text in metadata.

    The whole chart is kept (``bbox_inches="tight"``): titles, legends and the
    caption are never cut off.

    Args:
        fig: The chart.
        path: File path without (or with) a suffix; one file per format.
        formats: Any of ``"png"``, ``"svg"``, ``"pdf"``.
        dpi: Resolution of the PNG.

    Returns:
        The paths written.
    """
    path = Path(path)
    stem = path.with_suffix("") if path.suffix.lower() in {".png", ".svg", ".pdf"} else path
    title = getattr(fig, "title", "") or ""
    alt = getattr(fig, "alt_text", "") or getattr(fig, "caption", "") or ""
    meta = {"png": {"Title": title, "Description": alt},
            "svg": {"Title": title, "Description": alt},
            "pdf": {"Title": title, "Subject": alt}}
    written = []
    for fmt in formats:
        if fmt not in meta:
            raise ValueError(f"format is {fmt!r}; allowed: 'png', 'svg' or 'pdf'")
        target = stem.with_name(stem.name + "." + fmt)
        atomic_write(target, b"", writer=lambda tmp, fmt=fmt: fig.savefig(
            tmp, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.15,
            metadata=meta[fmt]))
        written.append(target)
    return written


def save_plots(sens: Sensitivity, folder: str | os.PathLike, *, large_text: bool = False,
               formats: Sequence[str] = FORMATS) -> list[Path]:
    """Save every sensitivity chart in each format; also ``alt-text.md`` (file: text).

    One index chart per outcome, the overview heat map, a Morris mu*-sigma
    chart per outcome (Morris designs) and a convergence chart per outcome.

    Returns:
        The chart files written (the alt-text file is not listed).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    analysed = [o for o in sens.outcomes
                if sens.indices.loc[sens.indices["outcome"] == o, "value"].notna().any()]
    figures: list[tuple[str, Any]] = [(o, plot_indices(sens, o, large_text=large_text))
                                      for o in analysed]
    if figures:
        figures.append(("overview", plot_overview(sens, large_text=large_text)))
    if sens.method == "morris":
        figures += [(f"{o}.mu_sigma", plot_morris(sens, o, large_text=large_text))
                    for o in analysed]
    conv = getattr(sens, "convergence", None)
    if conv is not None and len(conv):
        figures += [(f"{o}.convergence", plot_convergence(sens, o, large_text=large_text))
                    for o in analysed if (conv["outcome"] == o).any()]
    return save_charts(figures, folder, formats=formats)


def save_charts(figures: Sequence[tuple[str, Any]], folder: str | os.PathLike, *,
                formats: Sequence[str] = FORMATS) -> list[Path]:
    """Save charts (name, figure) in ``folder`` in each format, and ``alt-text.md``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    lines = ["# Charts and their alt text", ""]
    for name, fig in figures:
        written += save_figure(fig, folder / name, formats=formats)
        lines += [f"## {name}", "", f"**{fig.title}**", "", fig.alt_text, "",
                  f"Caption: {fig.caption}", ""]
        _close(fig)
    if figures:
        atomic_write(folder / "alt-text.md", "\n".join(lines).encode("utf-8"))
    return written
