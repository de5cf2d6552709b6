"""Charts of a run, shared by the widgets, the notebooks and the dashboards.

Every chart function takes a weekly table and returns a :class:`Chart` (a
matplotlib :class:`~matplotlib.figure.Figure`) with three extra attributes:

``fig.title``
    The chart's title (also drawn on the chart).
``fig.caption``
    One plain-language sentence saying what the chart shows for *this* run,
    for example "By week 52, 8% of people were taking part."
``fig.alt_text``
    A longer text description for screen readers and exported files.

The weekly table is either one run (``run(...).weekly``) or several runs stacked
with a ``seed`` column (``run_replicates(...)``). With several seeds the chart
draws the median as a line and the 10%-90% range across seeds as a shaded band
(see :func:`coprod_sim.bands`), and the caption quotes medians.

Charts use the Okabe-Ito palette, which people with the common kinds of colour
blindness can tell apart, and lines also differ by dash so colour is never the
only cue. ``large_text=True`` gives a presenter style (bigger text, thicker
lines, stronger contrast) for a projector.

Example:
    >>> from coprod_sim import run, plots
    >>> fig = plots.participation(run(seed=1).weekly)
    >>> fig.caption  # doctest: +SKIP
    'By week 52, 8% of people affected were taking part ...'
    >>> plots.save_png(fig, "participation.png")  # doctest: +SKIP

To redraw quickly (dashboards), pass the figure back in: ``plots.participation(
weekly, fig=fig)`` clears and redraws the same figure instead of making a new one.
The figures are plain :class:`~matplotlib.figure.Figure` objects (no pyplot), so
they never pile up in pyplot's figure list.
"""

from __future__ import annotations

import html
import io
import os
from base64 import b64encode
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from coprod_sim.fileio import atomic_write
from coprod_sim.outcomes import GROUP_COLUMNS, LADDER, LADDER_CUTS, LADDER_TEXT, OUTCOMES
from coprod_sim.runner import bands

#: The Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
#: Colours in the order lines use them (yellow last: weak on white).
LINE_COLOURS = ("blue", "orange", "green", "vermillion", "purple", "sky_blue", "black")
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), "-")

#: Figure size in inches and resolution of the PNGs shown in dashboards.
FIGSIZE = (7.5, 4.0)
DPI = 90


class Chart(Figure):
    """A matplotlib Figure with a title, a one-line caption and alt text.

    In Jupyter it displays as an image with its alt text, followed by the caption.
    """

    title: str = ""
    caption: str = ""
    alt_text: str = ""
    large_text: bool = False

    def _repr_html_(self) -> str:  # Jupyter display: image, alt text, caption
        return chart_html(self)

    def _repr_png_(self) -> bytes:
        return to_png(self)


def style(large_text: bool = False) -> dict[str, Any]:
    """Return sizes for the normal or the presenter (large text) style.

    Args:
        large_text: Presenter style: bigger text, thicker lines, darker grid.

    Returns:
        A dict with ``font``, ``title``, ``line``, ``grid_alpha`` and ``figsize``.
    """
    if large_text:
        return {"font": 16, "title": 20, "line": 3.5, "grid_alpha": 0.45, "band_alpha": 0.3,
                "figsize": (10.0, 5.2), "text": "#000000"}
    return {"font": 10, "title": 12, "line": 2.0, "grid_alpha": 0.25, "band_alpha": 0.2,
            "figsize": FIGSIZE, "text": "#222222"}


# ---------------------------------------------------------------------------
# helpers


def _has_seeds(df: pd.DataFrame) -> bool:
    return "seed" in df.columns and df["seed"].nunique() > 1


def _series(df: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """Return week, median, low, high (low and high None for a single run)."""
    if _has_seeds(df):
        b = bands(df, col)
        return (b["week"].to_numpy(), b["median"].to_numpy(), b["low"].to_numpy(),
                b["high"].to_numpy())
    return df["week"].to_numpy(), df[col].to_numpy(dtype=float), None, None


def _last(df: pd.DataFrame, col: str) -> float:
    """Value in the last week (median across seeds)."""
    last = df[df["week"] == df["week"].max()]
    return float(last[col].median())


def _last_band(df: pd.DataFrame, col: str) -> tuple[float, float, float]:
    last = df[df["week"] == df["week"].max()][col].astype(float)
    return float(last.median()), float(last.quantile(0.1)), float(last.quantile(0.9))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _pct_or_na(x: float) -> str:
    """A share, or "does not apply" for NaN (an outcome that does not apply to the design)."""
    return "does not apply" if np.isnan(x) else _pct(x)


def _money(x: float) -> str:
    sign = "-" if x < 0 else ""
    return f"{sign}£{abs(x):,.0f}"


def _label(col: str) -> str:
    return OUTCOMES[col].label if col in OUTCOMES else col


def _weeks(df: pd.DataFrame) -> int:
    return int(df["week"].max())


def _seed_note(df: pd.DataFrame) -> str:
    if _has_seeds(df):
        return (f" Lines are the middle of {df['seed'].nunique()} runs; shaded bands "
                "cover 8 runs in 10.")
    return ""


def _new(fig: Figure | None, large_text: bool, kind: str,
         left: float | None = None) -> tuple[Chart, Any, dict[str, Any]]:
    """Return a figure and axes to draw chart ``kind`` on.

    A figure that last showed the same chart in the same style keeps its axes
    (only the lines, bars and texts are removed), which roughly halves the time
    to redraw; otherwise it is cleared. Margins are fixed rather than
    matplotlib's constrained layout, which doubles drawing time.
    """
    st = style(large_text)
    key = (kind, large_text)
    if fig is not None and getattr(fig, "_coprod_key", None) == key and len(fig.axes) == 1:
        ax = fig.axes[0]
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]:
            artist.remove()
        ax.containers.clear()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        for legend in list(fig.legends):
            legend.remove()
        ax.relim()
        ax.set_autoscale_on(True)
        return fig, ax, st  # type: ignore[return-value]
    if fig is None:
        fig = Chart(figsize=st["figsize"], dpi=DPI)
    else:
        fig.clear()
        if tuple(fig.get_size_inches()) != tuple(st["figsize"]):
            fig.set_size_inches(*st["figsize"])
    fig._coprod_key = key
    fig.large_text = large_text
    fig.subplots_adjust(left=left or (0.12 if large_text else 0.1), right=0.98,
                        bottom=0.15 if large_text else 0.13, top=0.9)
    ax = fig.add_subplot()
    ax.tick_params(labelsize=st["font"], colors=st["text"])
    ax.grid(True, alpha=st["grid_alpha"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax, st  # type: ignore[return-value]


def _finish(fig: Chart, ax: Any, st: dict[str, Any], title: str, caption: str,
            alt: str, ylabel: str = "", legend: bool = True) -> Chart:
    ax.set_title(title, fontsize=st["title"], loc="left", color=st["text"],
                 fontweight="bold" if st["font"] > 10 else "normal")
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=st["font"], color=st["text"])
    if legend and ax.get_legend_handles_labels()[0]:
        _legend_below(fig, ax, st)
    fig.title = title
    fig.caption = caption
    fig.alt_text = f"{title}. {alt}"
    return fig


def _legend_below(fig: Chart, ax: Any, st: dict[str, Any]) -> None:
    """The legend in a row (or two) under the chart, so it never covers a line.

    The axes' bottom margin grows to make room for it; the figure keeps its size.
    """
    handles, labels = ax.get_legend_handles_labels()
    size = st["font"] * 0.9
    # columns: as many as fit across the figure (characters are about 0.55 em wide)
    width_pt = fig.get_size_inches()[0] * 72 * 0.92
    ncol = len(labels)
    while ncol > 1:
        rows = [labels[i:i + ncol] for i in range(0, len(labels), ncol)]
        need = max(sum(len(t) * 0.55 * size + 3.2 * size for t in row) for row in rows)
        if need <= width_pt:
            break
        ncol -= 1
    rows = -(-len(labels) // ncol)
    height = fig.get_size_inches()[1] * 72
    row = 1.45 * size / height
    xlabel = (3.6 if ax.get_xlabel() else 2.0) * st["font"] / height
    fig.subplots_adjust(bottom=xlabel + rows * row + 0.02)
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.005), ncol=ncol,
               fontsize=size, frameon=False, handlelength=2.6, columnspacing=1.4)


def _lines(ax: Any, df: pd.DataFrame, cols: Sequence[str], st: dict[str, Any],
           labels: Sequence[str] | None = None, colours: Sequence[str] | None = None,
           scale: float = 1.0) -> None:
    for i, col in enumerate(cols):
        week, mid, low, high = _series(df, col)
        colour = OKABE_ITO[(colours or LINE_COLOURS)[i % len(LINE_COLOURS)]]
        label = labels[i] if labels else _label(col)
        ax.plot(week, mid * scale, color=colour, lw=st["line"],
                ls=LINE_STYLES[i % len(LINE_STYLES)], label=label)
        if low is not None:
            ax.fill_between(week, low * scale, high * scale, color=colour,
                            alpha=st["band_alpha"], lw=0)
    ax.set_xlabel("Week", fontsize=st["font"], color=st["text"])
    ax.set_xlim(1, max(2, _weeks(df)))


def _share_axis(ax: Any) -> None:
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))


# ---------------------------------------------------------------------------
# the charts


def participation(df: pd.DataFrame, *, large_text: bool = False,
                  fig: Figure | None = None) -> Chart:
    """Participation and retention over time.

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "participation")
    cols = ["participation_rate", "ever_took_part", "retention"]
    _lines(ax, df, cols, st, labels=["Taking part (last 13 weeks)", "Ever took part",
                                     "Still involved (of those who took part)"], scale=100)
    _share_axis(ax)
    w = _weeks(df)
    rate, ever, kept = (_last(df, c) for c in cols)
    caption = (f"By week {w}, {_pct(rate)} of people affected were taking part and "
               f"{_pct(kept)} of those who ever took part were still involved.")
    alt = (f"Lines over {w} weeks. At the end: taking part {_pct(rate)}, ever took part "
           f"{_pct(ever)}, still involved {_pct(kept)}.{_seed_note(df)}")
    return _finish(fig, ax, st, "Who takes part, and who stays", caption, alt,
                   "Share of people")


def group_label(col: str) -> str:
    """Plain label of a ``part_*`` group column, e.g. ``'aged 16-34'``."""
    return _label(col).removeprefix("Taking part: ")


def _people(label: str) -> str:
    return f"people {label}" if label.split()[0] in ("aged", "in", "with") else label


def who_is_missing(df: pd.DataFrame, *, large_text: bool = False,
                   fig: Figure | None = None) -> Chart:
    """Representativeness by group: who is missing.

    Bars give each group's share taking part in the last week; a line gives the
    share for everyone. Groups well below the line (less than three quarters of
    it) are drawn in vermillion and hatched: they are the ones missing.

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "who_is_missing", left=0.3 if large_text else 0.27)
    everyone = _last(df, "participation_rate")
    rows = [(group_label(c), *_last_band(df, c)) for c in GROUP_COLUMNS]
    labels = [r[0] for r in rows]
    mid = np.array([r[1] for r in rows]) * 100
    y = np.arange(len(rows))[::-1]
    missing = mid < 75 * everyone if everyone > 0 else np.zeros(len(rows), bool)
    colours = [OKABE_ITO["vermillion"] if m else OKABE_ITO["blue"] for m in missing]
    bars = ax.barh(y, mid, color=colours, height=0.7)
    for bar, m in zip(bars, missing, strict=True):
        if m:
            bar.set_hatch("//")
            bar.set_edgecolor("white")
    if _has_seeds(df):
        low = np.array([r[2] for r in rows]) * 100
        high = np.array([r[3] for r in rows]) * 100
        ax.errorbar(mid, y, xerr=[mid - low, high - mid], fmt="none", ecolor="#000000",
                    elinewidth=st["line"] / 2, capsize=3)
    ax.axvline(everyone * 100, color="#000000", ls="--", lw=st["line"] * 0.75,
               label=f"Everyone: {_pct(everyone)}")
    for yy, m in zip(y, mid, strict=True):  # the number, so a 0% bar is still visible
        ax.text(m, yy, f" {m:.0f}%", va="center", ha="left", fontsize=st["font"] * 0.8,
                color=st["text"])
    ax.set_yticks(y, labels, fontsize=st["font"] * 0.9)
    ax.set_xlabel("Share taking part (last 13 weeks)", fontsize=st["font"], color=st["text"])
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=None))
    ax.set_xlim(0, max(5.0, float(np.nanmax(mid)) * 1.2, everyone * 120))
    ax.grid(True, axis="x", alpha=st["grid_alpha"])
    ax.grid(False, axis="y")
    gone = [_people(labels[i]) for i in np.argsort(mid, kind="stable") if missing[i]]
    rep = _last(df, "representativeness")
    if gone:
        caption = (f"Least likely to take part: {', '.join(gone[:3])}"
                   f"{' and others' if len(gone) > 3 else ''}; the mix of people taking part "
                   f"matches everyone affected {_pct(rep)}.")
    elif everyone > 0:
        caption = (f"No group is far below the {_pct(everyone)} who take part overall; "
                   f"the mix matches everyone affected {_pct(rep)}.")
    else:
        caption = "Nobody took part in the last 13 weeks, so everyone is missing."
    alt = "Share taking part by group: " + "; ".join(
        f"{lab} {m:.0f}%" for lab, m in zip(labels, mid, strict=True)) + (
        f". Everyone: {_pct(everyone)}. Representative mix {_pct(rep)}.{_seed_note(df)}")
    return _finish(fig, ax, st, "Who is missing", caption, alt)


def voice(df: pd.DataFrame, *, large_text: bool = False,
          fig: Figure | None = None) -> Chart:
    """Voice equality in meetings over time.

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "voice")
    _lines(ax, df, ["voice_equality", "frontline_voice"], st,
           labels=["Equal voice in meetings", "Front-line staff's share of staff talk"],
           scale=100)
    _share_axis(ax)
    eq, front = _last(df, "voice_equality"), _last(df, "frontline_voice")
    quiet = _last(df, "quiet_voice")
    if np.isnan(eq):
        caption = ("Does not apply: no meeting (forum or focus group) was held, so there is "
                   "no talking time to share.")
        ax.text(0.5, 0.5, "Does not apply: no meeting held", transform=ax.transAxes,
                ha="center", va="center", fontsize=st["font"], color=st["text"])
        alt = (f"No lines: no meeting was held in {_weeks(df)} weeks, so equal voice does "
               f"not apply.{_seed_note(df)}")
    else:
        caption = (f"Talking time in meetings is {_pct(eq)} even across everyone invited; "
                   f"less confident people get {_pct_or_na(quiet)} of their fair share.")
        alt = (f"Lines over {_weeks(df)} weeks. At the end: equal voice {_pct(eq)}, "
               f"front-line staff share of staff talk {_pct_or_na(front)}, less confident "
               f"people's share of talk compared with their share of the people invited "
               f"{_pct_or_na(quiet)}.{_seed_note(df)}")
    return _finish(fig, ax, st, "Is every voice heard?", caption, alt, "Share")


def influence(df: pd.DataFrame, *, large_text: bool = False,
              fig: Figure | None = None) -> Chart:
    """Influence against tokenism over time.

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "influence")
    _lines(ax, df, ["influence", "user_plan_share", "tokenism"], st,
           labels=["Views adopted (influence)", "Plan from service users",
                   "Took part but never heard back (tokenism)"],
           colours=("green", "blue", "vermillion"), scale=100)
    _share_axis(ax)
    inf, tok = _last(df, "influence"), _last(df, "tokenism")
    caption = (f"{_pct(inf)} of service users' views were adopted, and {_pct(tok)} of those "
               "who took part never saw any of their views used.")
    alt = (f"Lines over {_weeks(df)} weeks. At the end: influence {_pct(inf)}, plan from "
           f"service users {_pct(_last(df, 'user_plan_share'))}, tokenism {_pct(tok)}."
           f"{_seed_note(df)}")
    return _finish(fig, ax, st, "Influence or tokenism?", caption, alt, "Share")


def trust(df: pd.DataFrame, *, large_text: bool = False,
          fig: Figure | None = None) -> Chart:
    """Trust and efficacy ("my views change things") over time.

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "trust")
    cols = ["trust", "efficacy", "motivation"]
    _lines(ax, df, cols, st, labels=["Trust in the service", "'My views change things'",
                                     "Motivation to take part"], scale=100)
    _share_axis(ax)
    first = df[df["week"] == df["week"].min()]
    t0, t1 = float(first["trust"].median()), _last(df, "trust")
    e1 = _last(df, "efficacy")
    move = "rose" if t1 > t0 + 0.02 else "fell" if t1 < t0 - 0.02 else "held steady"
    caption = (f"Trust {move} from {_pct(t0)} to {_pct(t1)}; {_pct(e1)} on average believe "
               "their views change things.")
    alt = (f"Lines over {_weeks(df)} weeks, among people invited. At the end: trust "
           f"{_pct(t1)}, 'my views change things' {_pct(e1)}, motivation "
           f"{_pct(_last(df, 'motivation'))}.{_seed_note(df)}")
    return _finish(fig, ax, st, "Trust, and belief that views matter", caption, alt,
                   "Average (0-100%)")


def staff(df: pd.DataFrame, *, large_text: bool = False,
          fig: Figure | None = None) -> Chart:
    """Staff openness and anxiety over time.

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "staff")
    _lines(ax, df, ["staff_openness", "staff_anxiety", "resistance"], st,
           labels=["Staff open to sharing power", "Staff anxious about risk",
                   "Resistance to change"], colours=("green", "orange", "black"), scale=100)
    _share_axis(ax)
    op, anx = _last(df, "staff_openness"), _last(df, "staff_anxiety")
    lead = "more open than anxious" if op > anx else "more anxious than open"
    caption = (f"By the end staff are {lead}: openness {_pct(op)}, anxiety {_pct(anx)}.")
    alt = (f"Lines over {_weeks(df)} weeks. At the end: staff openness {_pct(op)}, staff "
           f"anxiety {_pct(anx)}, resistance {_pct(_last(df, 'resistance'))}."
           f"{_seed_note(df)}")
    return _finish(fig, ax, st, "Staff: open or anxious?", caption, alt, "Average (0-100%)")


def cost_benefit(df: pd.DataFrame, *, large_text: bool = False,
                 fig: Figure | None = None) -> Chart:
    """Cost against benefit over time: the long game.

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "cost_benefit", left=0.14)
    _lines(ax, df, ["cost", "benefit"], st, labels=["Cost so far", "Benefit so far"],
           colours=("vermillion", "green"))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(lambda v, _pos: _money(v))
    week, net, _, _ = _series(df, "net_benefit")
    paid = np.flatnonzero(net >= 0)
    cost, benefit = _last(df, "cost"), _last(df, "benefit")
    w = _weeks(df)
    if paid.size and benefit > 0:
        pay = int(week[paid[0]])
        ax.axvline(pay, color="#000000", ls=":", lw=st["line"] * 0.75,
                   label=f"Pays back: week {pay}")
        caption = (f"Benefits caught up with costs in week {pay}; by week {w} the benefit "
                   f"is {_money(benefit)} against {_money(cost)} spent.")
    elif benefit > 0:
        caption = (f"Benefits have started but not yet covered costs: {_money(benefit)} "
                   f"against {_money(cost)} by week {w}. Coproduction is a long game.")
    else:
        caption = (f"By week {w}, {_money(cost)} is spent and no benefit shows yet: "
                   "benefits come late, so coproduction is a long game.")
    alt = (f"Lines over {w} weeks. At the end: cost so far {_money(cost)}, benefit so far "
           f"{_money(benefit)}, benefit minus cost {_money(benefit - cost)}.{_seed_note(df)}")
    return _finish(fig, ax, st, "Cost and benefit: the long game", caption, alt,
                   "Money (GBP)")


def ladder(df: pd.DataFrame, *, large_text: bool = False,
           fig: Figure | None = None) -> Chart:
    """Where the project sits on the description-recognition-transformation continuum.

    The partnership score (``ladder_score``) is drawn over time on top of three
    shaded zones cut at :data:`coprod_sim.outcomes.LADDER_CUTS` (Needham & Carr 2009).

    Args:
        df: Weekly table of one run, or replicates with a ``seed`` column.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    fig, ax, st = _new(fig, large_text, "ladder")
    edges = (0.0, *LADDER_CUTS, 1.0)
    zone_colours = ("#F2F2F2", "#DCEBF7", "#D5EFE6")
    for i, rung in enumerate(LADDER):
        ax.axhspan(edges[i], edges[i + 1], color=zone_colours[i], zorder=0)
        ax.text(0.99, (edges[i] + edges[i + 1]) / 2, rung.capitalize(),
                transform=ax.get_yaxis_transform(), ha="right", va="center",
                fontsize=st["font"], color="#333333", style="italic")
    _lines(ax, df, ["ladder_score"], st, labels=["Partnership score"], colours=("blue",))
    ax.set_ylim(0, 1)
    score = _last(df, "ladder_score")
    rung = LADDER[int(score >= LADDER_CUTS[0]) + int(score >= LADDER_CUTS[1])]
    caption = f"By week {_weeks(df)} the project sits at {LADDER_TEXT[rung].lower()}"
    caption = caption.replace(": ", " (", 1).rstrip(".") + ")."
    alt = (f"Partnership score over {_weeks(df)} weeks, against three zones: description "
           f"below {LADDER_CUTS[0]}, recognition up to {LADDER_CUTS[1]}, transformation "
           f"above. At the end the score is {score:.2f}, in {rung}.{_seed_note(df)}")
    return _finish(fig, ax, st, "Description, recognition or transformation?", caption,
                   alt, "Partnership score (0-1)", legend=False)


#: Every chart, by key, in the order dashboards show them.
CHARTS: dict[str, Callable[..., Chart]] = {
    "participation": participation,
    "who_is_missing": who_is_missing,
    "voice": voice,
    "influence": influence,
    "trust": trust,
    "staff": staff,
    "cost_benefit": cost_benefit,
    "ladder": ladder,
}

#: Short names of the charts for menus and tabs.
CHART_NAMES: dict[str, str] = {
    "participation": "Taking part",
    "who_is_missing": "Who is missing",
    "voice": "Voice",
    "influence": "Influence or tokenism",
    "trust": "Trust",
    "staff": "Staff",
    "cost_benefit": "Cost and benefit",
    "ladder": "Description to transformation",
}


def chart(name: str, df: pd.DataFrame, **kwargs: Any) -> Chart:
    """Draw the chart called ``name`` (a key of :data:`CHARTS`).

    Raises:
        KeyError: naming the chart and the known names.
    """
    try:
        fn = CHARTS[name]
    except KeyError:
        raise KeyError(f"unknown chart {name!r}; known: {', '.join(CHARTS)}") from None
    return fn(df, **kwargs)


def compare_who_is_missing(a: pd.DataFrame, b: pd.DataFrame, names: Sequence[str] = ("A", "B"),
                           *, large_text: bool = False, fig: Figure | None = None,
                           not_invited: Sequence[Sequence[str]] = ((), ())) -> Chart:
    """Who is missing in two scenarios, side by side (grouped bars).

    A group a scenario never invited (``not_invited``: its ``part_*`` columns, per
    scenario) has no bar there but the words "not invited": nobody of it could take
    part, so it is not "missing" and takes no part in the caption's comparison.
    Long group names are wrapped onto two lines, never cut off.

    Args:
        a: Weekly table (or replicates) of the first scenario.
        b: Weekly table (or replicates) of the second scenario.
        names: Names of the two scenarios for the legend.
        large_text: Presenter style.
        fig: A figure to redraw into instead of making a new one.
        not_invited: For each scenario, the group columns it did not invite.

    Returns:
        The chart, with ``title``, ``caption`` and ``alt_text``.
    """
    import textwrap

    def label_of(col: str) -> str:
        text = group_label(col)
        return "people " + text.removeprefix("who ") if text.startswith("who not ") else text

    fig, ax, st = _new(fig, large_text, "compare_who_is_missing")
    labels = [label_of(c) for c in GROUP_COLUMNS]
    # one row of two bars per group, tall enough for a two-line name; the left
    # margin as wide as the longest line of the names
    width = 34 if large_text else 36
    lines = [textwrap.fill(lab, width) for lab in labels]
    size = st["font"] * (0.8 if large_text else 0.85)
    w_in = st["figsize"][0]
    h_in = max(st["figsize"][1], len(labels) * size * 2.9 / 72 + 1.6)
    if tuple(fig.get_size_inches()) != (w_in, h_in):
        fig.set_size_inches(w_in, h_in)
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=size)
    longest = max(TextToPath().get_text_width_height_descent(line, font, ismath=False)[0]
                  for text in lines for line in text.split("\n"))  # points
    fig.subplots_adjust(left=min(0.55, (longest + size + 14) / (w_in * 72)),  # + tick, pad
                        top=1 - 0.6 / h_in)
    y = np.arange(len(labels))[::-1]
    vals, asked = [], []
    for i, (df, name) in enumerate(zip((a, b), names, strict=True)):
        invited = np.array([c not in set(not_invited[i]) for c in GROUP_COLUMNS])
        mid = np.array([_last(df, c) for c in GROUP_COLUMNS]) * 100
        mid = np.where(invited, mid, np.nan)
        vals.append(mid)
        asked.append(invited)
        offset = 0.2 if i == 0 else -0.2
        ax.barh(y + offset, np.nan_to_num(mid), height=0.4, label=name,
                color=OKABE_ITO[("blue", "orange")[i]], hatch=("", "..")[i],
                edgecolor="white")
        for yy, ok in zip(y, invited, strict=True):
            if not ok:
                ax.text(0.5, yy + offset, "not invited", va="center", ha="left",
                        fontsize=st["font"] * 0.7, color=st["text"], style="italic")
    ax.set_yticks(y, lines, fontsize=size)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=None))
    ax.set_xlabel("Share taking part (last 13 weeks)", fontsize=st["font"], color=st["text"])
    ax.grid(False, axis="y")
    both = asked[0] & asked[1]
    diff = np.where(both, vals[1] - vals[0], 0.0)
    if both.any():
        k = int(np.argmax(np.abs(diff)))
        more = names[1] if diff[k] > 0 else names[0]
        caption = (f"The biggest difference is among {_people(labels[k])}: "
                   f"{abs(diff[k]):.0f} points more take part in {more}.")
    else:
        caption = "The two scenarios invited different groups, so no group can be compared."
    gone = [lab for lab, x, z in zip(labels, *asked, strict=True) if not (x and z)]
    if gone:
        caption += f" Not invited in one of them: {', '.join(gone)}."

    def shown(v: float) -> str:
        return "not invited" if np.isnan(v) else f"{v:.0f}%"

    alt = "Share taking part by group, " + "; ".join(
        f"{lab}: {names[0]} {shown(x)}, {names[1]} {shown(z)}"
        for lab, x, z in zip(labels, vals[0], vals[1], strict=True)) + "."
    return _finish(fig, ax, st, "Who is missing in each scenario", caption, alt)


# ---------------------------------------------------------------------------
# export


def to_png(fig: Figure, dpi: int | None = None) -> bytes:
    """Render a figure to PNG bytes (alt text stored in the PNG's metadata)."""
    buf = io.BytesIO()
    meta = {"Title": getattr(fig, "title", "") or "",
            "Description": getattr(fig, "alt_text", "") or ""}
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, metadata=meta)
    return buf.getvalue()


def save_png(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> Path:
    """Save a figure as a PNG file, atomically (never a half-written file).

    The title and alt text go into the PNG's ``Title`` and ``Description`` fields.

    Args:
        fig: The chart.
        path: Where to write; ``.png`` is added when missing.
        dpi: Resolution (150 suits slides and print).

    Returns:
        The path written.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")
    return atomic_write(path, to_png(fig, dpi=dpi))


def chart_html(fig: Figure, png: bytes | None = None) -> str:
    """Return HTML for a chart: the image with its alt text, then the caption."""
    data = b64encode(png if png is not None else to_png(fig)).decode("ascii")
    alt = html.escape(getattr(fig, "alt_text", "") or "", quote=True)
    cap = html.escape(getattr(fig, "caption", "") or "")
    return (f'<figure style="margin:0"><img src="data:image/png;base64,{data}" alt="{alt}" '
            f'style="max-width:100%"><figcaption>{cap}</figcaption></figure>')
