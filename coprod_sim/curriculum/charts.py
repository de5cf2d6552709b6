"""The curriculum's one door to charts.

Charts come from :mod:`coprod_sim.plots` (shared with the dashboards: colour-blind
palette, titles, plain captions and alt text). The notebooks never draw directly:
they call :func:`weekly_chart` or :func:`compare_chart` here, so a change to the
shared plotting module is one edit in this file.

:func:`compare_chart` draws several plans' middle results over time on one chart.
Until the shared module offers a comparison chart it uses a minimal line drawing
in the same palette and style (``_fallback_compare``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from coprod_sim import plots
from coprod_sim.outcomes import OUTCOMES


def weekly_chart(name: str, weekly: pd.DataFrame, large_text: bool = False) -> Figure:
    """Draw one of the shared charts (see ``coprod_sim.plots.CHARTS``) of a run or runs."""
    return plots.chart(name, weekly, large_text=large_text)


def compare_chart(outcome: str, tables: Mapping[str, pd.DataFrame],
                  large_text: bool = False) -> Figure:
    """Draw one outcome over time for several plans (middle result across runs)."""
    shared = getattr(plots, "compare", None)
    if shared is not None:
        return shared(outcome, dict(tables), large_text=large_text)
    return _fallback_compare(outcome, tables, large_text)


def _fallback_compare(outcome: str, tables: Mapping[str, pd.DataFrame],
                      large_text: bool) -> Figure:
    st = plots.style(large_text)
    fig = plots.Chart(figsize=st["figsize"], dpi=plots.DPI)
    ax = fig.add_subplot()
    o = OUTCOMES[outcome]
    share = o.unit == "share"
    ends = []
    for i, (label, df) in enumerate(tables.items()):
        mid = df.groupby("week")[outcome].median()
        y = mid * 100 if share else mid
        ax.plot(mid.index, y, label=label, lw=st["line"],
                color=plots.OKABE_ITO[plots.LINE_COLOURS[i % len(plots.LINE_COLOURS)]],
                linestyle=plots.LINE_STYLES[i % len(plots.LINE_STYLES)])
        ends.append((label, float(y.iloc[-1])))
    money = o.unit == "GBP"
    ax.set_xlabel("Week", fontsize=st["font"])
    ax.set_ylabel(o.label + (" (%)" if share else " (£)" if money else ""), fontsize=st["font"])
    ax.tick_params(labelsize=st["font"] * 0.9)
    ax.grid(alpha=st["grid_alpha"])
    ax.legend(fontsize=st["font"] * 0.9, frameon=False)
    title = f"{o.label}: plans compared" if len(ends) > 1 else f"{o.label}: {ends[0][0]}"
    ax.set_title(title, fontsize=st["title"], loc="left")
    fig.tight_layout()
    fig.title = title
    def show(v: float) -> str:
        if share:
            return f"{v:.0f}%"
        if money:
            return f"-£{-v:,.0f}" if v < 0 else f"£{v:,.0f}"
        return f"{v:,.2f}"

    fig.caption = "In the last week (middle of the runs): " + "; ".join(
        f"{label} {show(v)}" for label, v in ends) + "."
    fig.alt_text = f"Line chart of {o.label.lower()} by week for " + ", ".join(
        label for label, _ in ends) + ". " + fig.caption
    fig.large_text = large_text
    return fig
