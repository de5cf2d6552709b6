"""Showing charts in widgets, and running scenarios for them (with a cache).

:class:`ChartView` shows one chart of :mod:`coprod_sim.plots` with its caption.
It has two display modes, measured by ``benchmarks/bench_dashboard.py``:

``"inplace"`` (default)
    The matplotlib figure is built once and redrawn into on every update; the
    PNG replaces the ``src`` of one HTML widget (with the chart's alt text), so
    nothing on the page is removed and re-added.
``"output"``
    A new figure each time, shown in a fixed-height ``Output`` widget with
    ``clear_output(wait=True)``.
"""

from __future__ import annotations

import html
import multiprocessing
import os
from base64 import b64encode
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display

from coprod_sim import plots
from coprod_sim._quiet_helper import quiet
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.runner import run, run_replicates, run_seeds
from coprod_sim.scenario import Scenario

#: Outcomes shown in summaries and comparisons, in reading order.
KEY_OUTCOMES: tuple[str, ...] = (
    "participation_rate", "ever_took_part", "retention", "representativeness",
    "voice_equality", "quiet_voice", "influence", "tokenism", "trust", "efficacy",
    "staff_openness", "staff_anxiety", "cost", "benefit", "net_benefit", "ladder_score",
)


class _Helper:
    """One helper process that runs replicate seeds while the kernel runs others.

    Started in the background the first time it is wanted (so it never delays a
    redraw), from a fork server that has already imported the model. With two
    CPUs, the kernel and one helper halve the time for a band of 20 runs, at the
    cost of one extra process. ``COPROD_HELPERS=0`` turns it off.
    """

    def __init__(self) -> None:
        self.pool: Any = None
        self.ready: Any = None
        self.failed = False

    def usable(self) -> bool:
        """True when the helper is started and warm; starts it otherwise."""
        if self.failed or os.environ.get("COPROD_HELPERS", "1") == "0" or \
                (os.cpu_count() or 1) < 2:
            return False
        if self.pool is None:
            try:
                ctx = multiprocessing.get_context("forkserver")
                # the helper needs the model only (not widgets or matplotlib); its
                # initializer comes preloaded too (coprod_sim._quiet_helper)
                ctx.set_forkserver_preload(["coprod_sim._quiet_helper", "coprod_sim.runner"])
                self.pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx,
                                                initializer=quiet)
                self.ready = self.pool.submit(run_replicates, None, [0], weeks=1)
            except (OSError, ValueError, RuntimeError):
                self.failed = True
            return False
        if not self.ready.done():
            return False
        if self.ready.exception() is not None:
            self.failed = True
            return False
        return True

    def pid(self) -> list[int]:
        """Process ids of the helper processes (for memory figures)."""
        procs = getattr(self.pool, "_processes", None) or {}
        return list(procs)


_HELPER = _Helper()


class Runner:
    """Runs scenarios and remembers recent results, so going back is instant.

    Replicate seeds are shared between the kernel and one helper process when
    there are enough of them (see :class:`_Helper`).

    Args:
        size: How many (scenario, seed) results to keep.
    """

    #: Fewest missing seeds worth sending some to the helper.
    SHARE_FROM = 4

    def __init__(self, size: int = 256):
        self.size = size
        self._cache: OrderedDict[tuple[Scenario, int], pd.DataFrame] = OrderedDict()
        self.runs = 0

    def _store(self, key: tuple[Scenario, int], table: pd.DataFrame) -> None:
        self._cache[key] = table
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)

    def weekly(self, scenario: Scenario, seed: int) -> pd.DataFrame:
        """The weekly table of one run (from the cache when already run)."""
        key = (scenario, seed)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        table = run(scenario, seed=seed).weekly
        self.runs += 1
        self._store(key, table)
        return table

    def _run_here(self, scenario: Scenario, seeds: list[int]) -> None:
        """Run seeds in this process as one batch of the engine, and remember them."""
        if not seeds:
            return
        for result in run_seeds(scenario, seeds):
            self.runs += 1
            self._store((scenario, result.seed), result.weekly)

    def replicates(self, scenario: Scenario, n: int) -> pd.DataFrame:
        """Weekly tables of seeds ``0..n-1`` stacked with a ``seed`` column.

        The seeds not yet run are computed as one batch of the engine (half of
        them in the helper process, as another batch, when it is there).
        """
        seeds = range(max(1, n))
        missing = [s for s in seeds if (scenario, s) not in self._cache]
        if len(missing) >= self.SHARE_FROM and _HELPER.usable():
            away = missing[1::2]  # the helper takes every other seed
            # (a Scenario travels as its plain values)
            future = _HELPER.pool.submit(run_replicates, None, away, **scenario.to_dict())
            self._run_here(scenario, missing[0::2])
            try:
                stacked = future.result()
                tables = {s: t.drop(columns="seed").reset_index(drop=True)
                          for s, t in stacked.groupby("seed")}
            except Exception:  # noqa: BLE001 - a broken helper: run them here instead
                _HELPER.failed = True
                tables = {r.seed: r.weekly for r in run_seeds(scenario, away)}
            for s in away:
                self.runs += 1
                self._store((scenario, s), tables[s])
        else:
            self._run_here(scenario, missing)
        tables = [self.weekly(scenario, seed).assign(seed=seed) for seed in seeds]
        return tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)


def final_values(df: pd.DataFrame) -> dict[str, float]:
    """Each key outcome in the last week (the median across seeds for replicates)."""
    last = df[df["week"] == df["week"].max()]
    return {name: float(last[name].astype(float).median()) for name in KEY_OUTCOMES}


def fmt(name: str, value: float, signed: bool = False) -> str:
    """Format an outcome value in its unit (shares as %, money as £).

    NaN (an outcome that does not apply to the design, e.g. voice with no
    meeting) reads "does not apply", never a number.
    """
    if value != value:  # NaN
        return "does not apply"
    unit = OUTCOMES[name].unit
    sign = "+" if signed and value > 0 else ""
    if name in ("quiet_voice", "ladder_score"):  # scores, not shares
        return f"{sign}{value:.2f}"
    if unit == "share":
        return f"{sign}{100 * value:.0f} points" if signed else f"{100 * value:.0f}%"
    if unit == "GBP":
        s = "-" if value < 0 else sign
        return f"{s}£{abs(value):,.0f}"
    return f"{sign}{value:,.2f}"


def same(name: str, a: float, b: float) -> bool:
    """Whether two values of an outcome are about the same.

    Shares within one percentage point, other outcomes within 5% of the larger;
    two "does not apply" (NaN) are the same, a number and a NaN are not.
    """
    if a != a or b != b:
        return a != a and b != b
    if OUTCOMES[name].unit == "share" and name not in ("quiet_voice", "ladder_score"):
        return abs(a - b) < 0.01
    return abs(a - b) <= 0.05 * max(abs(a), abs(b), 1e-9)


def about_same_within(name: str) -> float:
    """How far apart two results of an outcome may be and still be "about the same".

    The chapters' own threshold (``same_within`` of their predict-then-reveal
    moments, :mod:`coprod_sim.curriculum.moments`), so the trainer's reveal and
    the trainees' notebooks judge a change alike: the moment on this outcome
    (the strictest, when several), else one on an outcome in the same unit,
    else the chapters' default for a direction question.
    """
    import inspect

    from coprod_sim.curriculum import moments, predict  # (late: the chapters use widgets)

    unit = OUTCOMES[name].unit if name in OUTCOMES else ""
    own, alike = [], []
    for m in moments.MOMENTS.values():
        within = getattr(m, "same_within", None)
        outcome = getattr(m, "outcome", None)
        if within is None or outcome not in OUTCOMES:
            continue
        if outcome == name:
            own.append(float(within))
        elif OUTCOMES[outcome].unit == unit and unit != "share":
            alike.append(float(within))
    if own or alike:
        return min(own or alike)
    default = inspect.signature(predict.Direction.__init__).parameters["same_within"].default
    return float(default)


def about_same(name: str, a: float, b: float) -> bool:
    """Whether two results of an outcome are about the same, by the chapters' threshold."""
    return abs(a - b) < about_same_within(name)


def summary_html(df: pd.DataFrame, names: tuple[str, ...] = KEY_OUTCOMES) -> str:
    """A small table of outcomes at the end of the run, with their definitions on hover."""
    vals = final_values(df)
    rows = "".join(
        f'<tr><td title="{html.escape(OUTCOMES[n].definition, quote=True)}">'
        f"{html.escape(OUTCOMES[n].label)}</td><td style='text-align:right'>"
        f"{fmt(n, vals[n])}</td></tr>" for n in names)
    meanings = "".join(f"<dt>{html.escape(OUTCOMES[n].label)}</dt><dd>"
                       f"{html.escape(OUTCOMES[n].definition)}</dd>" for n in names)
    # the definitions open by tap or click, not only on hover
    return (f'<table class="coprod-summary">{rows}</table>'
            f'<details class="coprod-definitions"><summary>What these mean</summary>'
            f"<dl>{meanings}</dl></details>")


class ChartView(w.VBox):
    """One chart of :mod:`coprod_sim.plots` with its caption, redrawn on demand.

    Args:
        chart: Key of :data:`coprod_sim.plots.CHARTS`.
        large_text: Presenter style.
        mode: ``"inplace"`` or ``"output"`` (see the module notes); by default the
            ``COPROD_CHART_MODE`` environment variable, else ``"inplace"``.

    Attributes:
        fig: The current figure (with ``title``, ``caption`` and ``alt_text``).
        draws: How many times the chart has been drawn.
    """

    def __init__(self, chart: str = "participation", large_text: bool = False,
                 mode: str | None = None):
        mode = mode or os.environ.get("COPROD_CHART_MODE", "inplace")
        if chart not in plots.CHARTS:
            raise KeyError(f"unknown chart {chart!r}; known: {', '.join(plots.CHARTS)}")
        if mode not in ("inplace", "output"):
            raise ValueError("mode must be 'inplace' or 'output'")
        self.chart, self.large_text, self.mode = chart, large_text, mode
        self.fig: Any = None
        self.draws = 0
        self.df: pd.DataFrame | None = None
        self.image = w.HTML()
        self.out = w.Output(layout=w.Layout(min_height="380px"))
        self.caption = w.HTML()
        self.export = w.HTML()
        self.export_button = w.Button(description="Chart as PNG", icon="download",
                                      tooltip="Make a PNG file of this chart to download.")
        self.export_button.on_click(lambda _b: self.make_export_link())
        screen = self.image if mode == "inplace" else self.out
        super().__init__([screen, self.caption, w.HBox([self.export_button, self.export])])
        self.add_class("coprod-chart")

    def draw(self, df: pd.DataFrame | None = None) -> Any:
        """Draw (or redraw) the chart from a weekly or replicate table."""
        if df is not None:
            self.df = df
        if self.df is None:
            return None
        if self.mode == "inplace":
            self.fig = plots.chart(self.chart, self.df, large_text=self.large_text,
                                   fig=self.fig)
        else:
            self.fig = plots.chart(self.chart, self.df, large_text=self.large_text)
        png = plots.to_png(self.fig)
        self.draws += 1
        src = b64encode(png).decode("ascii")
        alt = html.escape(self.fig.alt_text, quote=True)
        img = (f'<img class="coprod-chart-img" data-draw="{self.draws}" '
               f'data-chart="{self.chart}" alt="{alt}" src="data:image/png;base64,{src}" '
               'style="max-width:100%;height:auto">')
        if self.mode == "inplace":
            self.image.value = img
        else:
            with self.out:
                self.out.clear_output(wait=True)
                display(HTML(img))
        self.caption.value = (f'<p class="coprod-caption" data-draw="{self.draws}">'
                              f"{html.escape(self.fig.caption)}</p>")
        self.export.value = ""
        return self.fig

    def set_chart(self, chart: str) -> None:
        """Switch to another chart and redraw."""
        if chart not in plots.CHARTS:
            raise KeyError(f"unknown chart {chart!r}; known: {', '.join(plots.CHARTS)}")
        self.chart = chart
        self.draw()

    def set_large_text(self, large: bool) -> None:
        """Switch the presenter style on or off and redraw."""
        self.large_text = large
        self.draw()

    def make_export_link(self) -> None:
        """Offer the current chart as a PNG download (150 dpi, alt text inside)."""
        if self.fig is None:
            return
        data = plots.to_png(self.fig, dpi=150)
        b64 = b64encode(data).decode("ascii")
        self.export.value = (f'<a download="{self.chart}.png" '
                             f'href="data:image/png;base64,{b64}">Download {self.chart}.png</a>')

    def save(self, path: str | Path) -> Path:
        """Save the current chart as a PNG file."""
        return plots.save_png(self.fig, path)
