"""Charts of robustness, Sobol convergence, second-order indices and a posterior.

In the style of :mod:`coprod_sim.experiments.charts` (Okabe-Ito colours,
hatching as well as colour, a title, a wrapped caption and alt text in every
exported file, axes covering every value drawn); save them with
:func:`coprod_sim.experiments.charts.save_figure` or :func:`save_charts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.experiments.charts import (
    BLACK,
    BLUE,
    OKABE_ITO,
    ORANGE,
    VERMILLION,
    _finish,
    _new,
    _sizes,
    _span,
    label,
    save_charts,
)
from coprod_sim.experiments.robustness import outcome_name
from coprod_sim.plots import Chart

HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_regret(rob: Any, table: pd.DataFrame | None = None, *,
                large_text: bool = False) -> Chart:
    """Each plan's regret over the states of the world, least maximum regret first.

    The spread is a box; the percentile and the maximum are marked.

    ``table`` is the wide regret per state (states x plans) if available
    (:func:`regret_per_state`); without it only the summary is drawn.
    """
    size = _sizes(large_text)
    reg = rob.regret
    plans = [str(p) for p in reg["policy"]]
    pc = f"p{rob.percentile:g}_regret"
    fig = _new(7.5, 1.9 + 0.7 * len(plans))
    ax = fig.add_subplot()
    ys = np.arange(len(plans))[::-1]
    if table is not None:
        data = [table[p].to_numpy(float) for p in plans]
        parts = ax.boxplot(data, positions=ys, orientation="horizontal", widths=0.5,
                           patch_artist=True, showfliers=False, medianprops={"color": BLACK})
        for k, box in enumerate(parts["boxes"]):
            box.set_facecolor(OKABE_ITO[k % len(OKABE_ITO)])
            box.set_alpha(0.55)
            box.set_hatch(HATCHES[k % len(HATCHES)])
        lows = np.concatenate([np.ravel(d) for d in data])
    else:
        lows = reg["mean_regret"].to_numpy(float)
    ax.scatter(reg[pc], ys, marker="D", s=60, color=BLUE, zorder=3,
               label=f"{rob.percentile:g}th percentile")
    ax.scatter(reg["max_regret"], ys, marker="X", s=90, color=VERMILLION, zorder=3,
               label="maximum")
    ax.scatter(reg["mean_regret"], ys, marker="o", s=40, color=BLACK, zorder=3, label="mean")
    ax.set_yticks(ys, plans, fontsize=size)
    lo, hi = _span(lows, reg["max_regret"].to_numpy(float))
    ax.set_xlim(lo, hi)
    if hi - lo >= 1000:
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    name = outcome_name(rob.outcome)
    ax.set_xlabel(f"regret: shortfall in {name.lower()} against the best plan in the "
                  "same state", fontsize=size)
    ax.tick_params(labelsize=size - 1)
    ax.legend(fontsize=size - 1, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.grid(axis="x", color="#DDDDDD")
    best = plans[0]
    title = f"Which plan is most robust for {name.lower()}?"
    n = int(reg["states"].iloc[0])
    text = (f"Regret over {n} states of the world (seeds and uncertainty values, every plan "
            f"run in each). Left is better. {best} has the smallest maximum regret.")
    alt = (f"Horizontal box plot of regret for {len(plans)} plans over {n} states. " +
           " ".join(f"{p}: mean regret {m:.3g}, {rob.percentile:g}th percentile {q:.3g}, "
                    f"maximum {x:.3g}." for p, m, q, x in
                    zip(plans, reg["mean_regret"], reg[pc], reg["max_regret"], strict=True)))
    return _finish(fig, ax, title, text, alt, size)


def regret_per_state(table: pd.DataFrame, policy: Any, outcome: str, *, maximize: bool = True,
                     states: Sequence[str] | None = None) -> pd.DataFrame:
    """Regret of each plan in each state (states x plans), for :func:`plot_regret`."""
    from coprod_sim.experiments.robustness import paired

    wide = paired(table, policy, outcome, states)
    best = wide.max(axis=1) if maximize else wide.min(axis=1)
    return (wide.rsub(best, axis=0) if maximize else wide.sub(best, axis=0))


def plot_satisficing(rob: Any, *, large_text: bool = False) -> Chart:
    """Share of states in which each plan meets every threshold (and each one)."""
    size = _sizes(large_text)
    sat = rob.satisficing
    ths = [c for c in sat.columns if c not in ("policy", "satisficing", "states")]
    cols = ["satisficing", *ths] if len(ths) > 1 else ["satisficing"]
    plans = [str(p) for p in sat["policy"]]
    fig = _new(7.5, 1.9 + 0.45 * len(plans) * len(cols))
    ax = fig.add_subplot()
    h = 0.8 / len(cols)
    base = np.arange(len(plans))[::-1]
    for k, c in enumerate(cols):
        ax.barh(base + (len(cols) - 1 - 2 * k) * h / 2, sat[c], height=h,
                color=OKABE_ITO[k % len(OKABE_ITO)], hatch=HATCHES[k % len(HATCHES)],
                edgecolor=BLACK, label="every threshold" if c == "satisficing" else c)
    ax.set_yticks(base, plans, fontsize=size)
    ax.set_xlim(0, 1.02)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("share of states of the world", fontsize=size)
    ax.tick_params(labelsize=size - 1)
    ax.legend(fontsize=size - 1, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    title = "How often does each plan meet the thresholds?"
    text = (f"Share of {int(sat['states'].iloc[0])} states in which the plan meets "
            f"{' and '.join(ths)}. Right is better.")
    alt = "Horizontal bars: " + " ".join(f"{p}: {v:.0%} of states meet every threshold."
                                         for p, v in zip(plans, sat["satisficing"],
                                                         strict=True))
    return _finish(fig, ax, title, text, alt, size)


def plot_sobol_convergence(conv: pd.DataFrame, outcome: str, *, measure: str = "ST",
                           large_text: bool = False) -> Chart:
    """Each lever's Sobol index at 1/8, 1/4, 1/2 and all of the sample, with 95% intervals."""
    size = _sizes(large_text)
    rows = conv[(conv["outcome"] == outcome) & (conv["measure"] == measure)]
    fig = _new(7.5, 4.6)
    ax = fig.add_subplot()
    params = list(dict.fromkeys(rows["parameter"]))
    ns = sorted(rows["base_samples"].unique())
    for k, p in enumerate(params):
        r = rows[rows["parameter"] == p].sort_values("base_samples")
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        ax.errorbar(r["base_samples"] * (1 + 0.03 * (k - len(params) / 2)), r["value"],
                    yerr=r["conf"], color=colour, marker=MARKERS[k % len(MARKERS)],
                    capsize=3, label=label(p))
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns, [str(n) for n in ns])
    lo, hi = _span((rows["value"] - rows["conf"]).to_numpy(), (rows["value"] +
                                                               rows["conf"]).to_numpy())
    ax.set_ylim(lo, hi)
    ax.set_xlabel("base samples used (N)", fontsize=size)
    ax.set_ylabel(f"{measure} with 95% interval", fontsize=size)
    ax.tick_params(labelsize=size - 1)
    ax.grid(color="#EEEEEE")
    ax.legend(fontsize=size - 1, frameon=False, loc="best")
    name = outcome_name(outcome)
    title = f"Have the indices for {name.lower()} settled?"
    text = (f"{'Total' if measure == 'ST' else 'First-order'} Sobol indices from 1/8, 1/4, "
            "1/2 and all of the sample. Lines that flatten and intervals that narrow mean the "
            "sample is large enough.")
    last = rows[rows["base_samples"] == max(ns)] if ns else rows
    alt = (f"Line chart: {measure} of {len(params)} levers against base samples "
           f"{', '.join(map(str, ns))}. At the full sample: " +
           "; ".join(f"{label(p)} {v:.2f} ± {c:.2f}" for p, v, c in
                     zip(last["parameter"], last["value"], last["conf"], strict=True)) + ".")
    return _finish(fig, ax, title, text, alt, size)


def plot_s2(matrix: pd.DataFrame, outcome: str, *, large_text: bool = False) -> Chart:
    """Second-order Sobol indices as a heat map (lever x lever, the diagonal blank)."""
    size = _sizes(large_text)
    values = matrix.to_numpy(float)
    finite = values[np.isfinite(values)]
    vmin = min(0.0, float(finite.min())) if finite.size else 0.0
    vmax = max(0.1, float(finite.max())) if finite.size else 0.1
    n = len(matrix)
    fig = _new(3.2 + 1.0 * n, 2.4 + 0.7 * n)
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="cividis", vmin=vmin, vmax=vmax)
    names = [label(p) for p in matrix.index]
    ax.set_xticks(range(n), names, rotation=30, ha="right", fontsize=size)
    ax.set_yticks(range(n), names, fontsize=size)
    for i in range(n):
        for j in range(n):
            v = values[i, j]
            if np.isfinite(v):
                light = (v - vmin) / (vmax - vmin or 1) > 0.55
                ax.text(j, i, f"{0.0 if abs(v) < 0.005 else v:.2f}", ha="center",
                        va="center", fontsize=size - 1, color=BLACK if light else "#FFFFFF")
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label("second-order Sobol index (S2)", fontsize=size - 1)
    bar.ax.tick_params(labelsize=size - 1)
    name = outcome_name(outcome)
    title = f"Which levers act together on {name.lower()}?"
    text = ("Each square is the share of the outcome's variance due to the two levers "
            "together, beyond each alone (S2). Lighter means a stronger interaction; values "
            "below 0 are estimation error.")
    pairs = [(matrix.index[i], matrix.columns[j], values[i, j]) for i in range(n)
             for j in range(i + 1, n) if np.isfinite(values[i, j])]
    alt = (f"Heat map of second-order Sobol indices for {name}: " +
           "; ".join(f"{label(a)} with {label(b)} {v:.2f}" for a, b, v in pairs) + ".")
    return _finish(fig, ax, title, text, alt, size)


def plot_posterior(post: Any, *, large_text: bool = False) -> Chart:
    """Each fitted constant's posterior (weighted histogram) within its prior range.

    The median and the 90% interval are marked.
    """
    size = _sizes(large_text)
    s = post.summary()
    k = len(s)
    cols = min(3, k)
    rows = int(np.ceil(k / cols))
    fig = _new(3.0 * cols + 0.6, 2.4 * rows + 1.2)
    axes = fig.subplots(rows, cols, squeeze=False)
    w = post.weights
    for i, (_, r) in enumerate(s.iterrows()):
        ax = axes[i // cols][i % cols]
        x = post.samples[r["constant"]].to_numpy(float)
        space = post.space[i]
        bins = (np.geomspace(space.low, space.high, 16) if space.log else
                np.linspace(space.low, space.high, 16))
        ax.axvspan(r["low"], r["high"], color="#DCEBF5", zorder=0)
        ax.hist(x, bins=bins, weights=w, color=ORANGE, edgecolor=BLACK, hatch="//", zorder=2)
        if space.log:
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.axvline(r["median"], color=BLUE, lw=2, zorder=3)
        ax.set_xlim(space.low, space.high)
        ax.set_xlabel(r["constant"], fontsize=size)
        ax.tick_params(labelsize=size - 2)
    for j in range(k, rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    title = "What the targets say about each constant"
    text = ("Posterior weight of each fitted constant over its prior range (the whole x "
            "axis); blue line: median; shaded: 90% interval. A flat histogram means the "
            "targets say little about that constant.")
    alt = "Histograms of the posterior: " + "; ".join(
        f"{r['constant']} median {r['median']:.3g}, 90% interval {r['low']:.3g} to "
        f"{r['high']:.3g} within {r['prior_low']:g} to {r['prior_high']:g}"
        for _, r in s.iterrows()) + "."
    fig = _finish(fig, axes[0][0], title, text, alt, size)
    axes[0][0].set_title("")
    fig.suptitle(title, fontsize=size + 2)
    return fig


__all__ = ["plot_posterior", "plot_regret", "plot_s2", "plot_satisficing",
           "plot_sobol_convergence", "regret_per_state", "save_charts"]
