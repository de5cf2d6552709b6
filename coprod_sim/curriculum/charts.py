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
                  large_text: bool = False, band: float | None = None) -> Figure:
    """Draw one outcome over time for several plans (middle result across runs).

    A share's axis starts at zero, so a small difference never looks huge; with
    ``band`` (a moment's "about the same" threshold, in the outcome's units) a
    shaded band around the top plan's last value shows what counts as about the
    same.
    """
    return _fallback_compare(outcome, tables, large_text, band)


def _fallback_compare(outcome: str, tables: Mapping[str, pd.DataFrame],
                      large_text: bool, band: float | None = None) -> Figure:
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
    if share:
        ax.set_ylim(0, max(5.0, max(v for _, v in ends) * 1.15,
                           ax.get_ylim()[1]))
    if band and len(ends) > 1:
        top = max(v for _, v in ends)
        width = band * 100 if share else band
        ax.axhspan(top - width, top + width, color="#999999", alpha=0.2, lw=0,
                   label="about the same as the top plan")
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
            return f"−£{-v:,.0f}" if round(v) < 0 else f"£{v:,.0f}"
        return f"{v:,.2f}"

    fig.caption = "In the last week (middle of the runs): " + "; ".join(
        f"{label} {show(v)}" for label, v in ends) + "."
    fig.alt_text = f"Line chart of {o.label.lower()} by week for " + ", ".join(
        label for label, _ in ends) + ". " + fig.caption
    fig.large_text = large_text
    return fig


def missing_table(scenario, seed: int = 2) -> str:
    """Who is missing, as an HTML table, counting only the groups the plan invited.

    For each role, age band, deprivation fifth and access need: how many people
    are affected, how many an invitation reached, and how many of those were
    taking part at the end (the last 13 weeks). A role the plan never invited is
    said to be not invited, not "least likely to take part".
    """
    import html as _html

    import numpy as np

    from coprod_sim.curriculum.history import TAKING_PART, record_run
    from coprod_sim.population import AGES, DEPRIVATION, ROLES

    h = record_run(scenario, seed=seed)
    s = h.scenario
    p = h.people
    reached = h.status[-1] != 0
    taking = h.status[-1] == TAKING_PART
    invited_role = {"patient": s.invite_patients, "carer": s.invite_carers,
                    "family": s.invite_families, "community": s.invite_community}
    any_need = h.needs[:, :6].any(axis=1)
    rows = []

    def row(label: str, mask: np.ndarray, invited: bool = True) -> None:
        n, r, t = int(mask.sum()), int((mask & reached).sum()), int((mask & taking).sum())
        if not invited:
            rows.append((label, n, "not invited by this plan", "", ""))
            return
        share = f"{t / r:.0%}" if r else "nobody reached"
        rows.append((label, n, str(r), str(t), share))

    names = {"patient": "Patients", "carer": "Carers", "family": "Families",
             "community": "Community members"}
    for k, role in enumerate(ROLES):
        row(names[role], p["role"].cat.codes.to_numpy() == k, bool(invited_role[role]))
    for k, a in enumerate(AGES):
        row(f"Aged {a}", p["age"].cat.codes.to_numpy() == k)
    for k, d in enumerate(DEPRIVATION):
        row(f"In the {d}", p["deprivation"].cat.codes.to_numpy() == k)
    row("With an access need", any_need)
    row("With no access need", ~any_need)
    head = ("<tr><th style='text-align:left'>Group</th><th>People affected</th>"
            "<th>Invitation reached</th><th>Taking part at the end</th>"
            "<th>Share of those reached</th></tr>")
    body = "".join("<tr>" + "".join(
        f"<td style='text-align:{'left' if i == 0 else 'right'}'>{_html.escape(str(c))}</td>"
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return ("<table><caption style='text-align:left'><strong>Who is missing, in one run of "
            f"this plan ({h.n} people).</strong> The last column compares those taking part "
            "with those an invitation reached, so a group the plan never invited is shown "
            "as not invited, not as unwilling.</caption>" + head + body + "</table>")
