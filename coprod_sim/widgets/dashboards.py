"""The three dashboards: trainer, scenario comparison and explorer.

Each is an ``ipywidgets`` box that works the same in JupyterLab and in Voila;
the notebooks in ``notebooks/dashboards/`` only create and show one. Everything
can also be driven from Python (the tests do), for example::

    t = Trainer(replicates=1)
    t.panel.set(pay_expenses=True)       # as if the user ticked the box
    t.chart.fig.caption                  # the redrawn chart's caption
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from coprod_sim import plots, presets
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.parameters import PARAMETERS
from coprod_sim.scenario import Scenario
from coprod_sim.widgets.charts import (
    KEY_OUTCOMES,
    ChartView,
    Runner,
    about_same,
    final_values,
    fmt,
    same,
    summary_html,
)
from coprod_sim.widgets.controls import (
    Message,
    ScenarioFiles,
    ScenarioPanel,
    display_name,
    pathway_picker,
    preset_picker,
    safely,
    style_widget,
)

#: Most replicate seeds a dashboard runs for the uncertainty band.
MAX_REPLICATES = 20


def columns(*boxes: w.Widget) -> w.HBox:
    """Side-by-side columns that wrap on a narrow screen and stack in presenter mode."""
    box = w.HBox(list(boxes), layout=w.Layout(flex_flow="row wrap"))
    box.add_class("coprod-columns")
    return box


#: The chart that shows each key outcome (Reveal switches to it).
OUTCOME_CHART: dict[str, str] = {
    "participation_rate": "participation", "ever_took_part": "participation",
    "retention": "participation", "representativeness": "who_is_missing",
    "voice_equality": "voice", "quiet_voice": "voice", "influence": "influence",
    "tokenism": "influence", "trust": "trust", "efficacy": "trust",
    "staff_openness": "staff", "staff_anxiety": "staff", "cost": "cost_benefit",
    "benefit": "cost_benefit", "net_benefit": "cost_benefit", "ladder_score": "ladder",
}


def toolbar(*widgets: w.Widget, actions: bool = False) -> w.HBox:
    """A row of buttons and pickers that wraps on a narrow screen.

    ``actions``: the row with Presenter mode, which presenter mode keeps at the top.
    """
    box = w.HBox(list(widgets), layout=w.Layout(flex_flow="row wrap", align_items="center"))
    box.add_class("coprod-toolbar")
    if actions:
        box.add_class("coprod-actions")
    return box


def chart_picker(value: str = "participation") -> w.Dropdown:
    """A drop-down of the charts (names from :data:`coprod_sim.plots.CHART_NAMES`)."""
    return w.Dropdown(options=[(name, key) for key, name in plots.CHART_NAMES.items()],
                      value=value, description="Chart")


def replicates_slider(value: int) -> w.IntSlider:
    """How many runs (seeds) the uncertainty band is drawn from."""
    return w.IntSlider(value=value, min=1, max=MAX_REPLICATES, step=1,
                       continuous_update=False, description="Runs for the band",
                       tooltip="How many runs with different random seeds to draw. One run "
                               "is quickest; more runs show how much chance alone changes "
                               "the result (the shaded band covers 8 runs in 10).")


class _Dashboard(w.VBox):
    """Shared parts: a message line, a runner, presenter mode, safe callbacks."""

    title = "Coproduction simulator"

    def __init__(self) -> None:
        self.message = Message()
        self.runner = Runner()
        self.presenter = w.ToggleButton(value=False, description="Presenter mode",
                                        icon="desktop",
                                        tooltip="Large text and strong contrast for a "
                                                "projector.")
        self.presenter.observe(self._safe(lambda _c: self.set_presenter(self.presenter.value)),
                               names="value")
        self.heading = w.HTML(f"<h2>{html.escape(self.title)}</h2>")
        self.heading.add_class("coprod-title")
        self.message.add_class("coprod-message-line")
        super().__init__()
        self.add_class("coprod-root")

    def _safe(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return safely(self.message, fn)

    def set_presenter(self, on: bool) -> None:
        """Switch presenter mode (large text, high contrast) on or off."""
        if self.presenter.value != on:
            self.presenter.value = on  # fires this method again through the observer
            return
        if on:
            self.add_class("coprod-presenter")
        else:
            self.remove_class("coprod-presenter")
        for view in self.chart_views():
            view.set_large_text(on)

    def chart_views(self) -> list[ChartView]:
        """The chart views to restyle in presenter mode."""
        return []


class Trainer(_Dashboard):
    """The trainer's dashboard: a preset or pathway, the main levers, run, reveal.

    Args:
        preset: Preset to start from.
        replicates: Runs (seeds) for the uncertainty band (1 = a single run).
        auto_run: Re-run as soon as a lever changes (otherwise press Run).
        mode: Chart display mode (see :class:`ChartView`).
    """

    title = "Coproduction simulator: trainer's view"

    def __init__(self, preset: str = "default", replicates: int = 5, auto_run: bool = True,
                 mode: str | None = None):
        super().__init__()
        start = presets.get(preset)
        self.df: pd.DataFrame | None = None
        self.preset = preset_picker(preset)
        self.preset_text = w.HTML()
        self.pathway = pathway_picker(start.pathway)
        self.panel = ScenarioPanel(start, main_only=True, exclude=["pathway"])
        self.replicates = replicates_slider(replicates)
        self.auto = w.Checkbox(value=auto_run, description="Update at once", indent=False)
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.picker = chart_picker()
        self.chart = ChartView("participation", mode=mode)
        self.summary = w.HTML()
        self.files = ScenarioFiles(lambda: self.scenario, self.show_scenario, self.message)
        # predict, then reveal
        self.hide = w.ToggleButton(value=False, description="Hide results", icon="eye-slash",
                                   tooltip="Hide the results so the room can predict first.")
        self.predict_outcome = w.Dropdown(
            options=[(OUTCOMES[n].label, n) for n in KEY_OUTCOMES], value="participation_rate",
            description="What will happen to")
        self.prediction = w.ToggleButtons(options=["Go down", "Stay about the same", "Go up"],
                                          value=None, description="The room predicts")
        self.notes = w.Textarea(placeholder="Notes on the room's predictions and reasons",
                                layout=w.Layout(width="95%", height="70px"))
        self.reveal_button = w.Button(description="Reveal", button_style="warning",
                                      icon="eye")
        self.verdict = w.HTML()
        self.predict_box = w.VBox([
            w.HTML("<b>Results hidden.</b> Change the levers, take the room's predictions, "
                   "then press Reveal."),
            self.predict_outcome, self.prediction, self.notes, self.reveal_button],
            layout=w.Layout(display="none", border="2px dashed #555", padding="8px"))
        self.results = w.VBox([self.picker, self.chart, self.summary])
        self.results.add_class("coprod-results")
        self.verdict.add_class("coprod-verdict")
        self._before: dict[str, float] | None = None

        # wiring
        safe = self._safe
        self.preset.observe(safe(lambda c: self.choose_preset(c["new"])), names="value")
        self.pathway.observe(safe(lambda _c: self._changed()), names="value")
        self.panel.on_change(safe(self._changed))
        self.replicates.observe(safe(lambda _c: self._changed()), names="value")
        self.run_button.on_click(safe(lambda _b: self.run()))
        self.picker.observe(safe(lambda c: None if self._quiet else
                                 self.chart.set_chart(c["new"])), names="value")
        self.hide.observe(safe(lambda c: self.set_hidden(c["new"])), names="value")
        self.reveal_button.on_click(safe(lambda _b: self.reveal()))

        left = w.VBox([self.panel, self.replicates, w.HBox([self.run_button, self.auto])],
                      layout=w.Layout(flex="1 1 620px", min_width="420px"))
        # the verdict sits right above the chart it is about
        right = w.VBox([self.predict_box, self.verdict, self.results],
                       layout=w.Layout(flex="2 1 560px", min_width="420px"))
        save = w.Accordion(children=[self.files], titles=("Load or download a scenario",))
        save.selected_index = None
        save.add_class("coprod-files")
        self.preset_text.add_class("coprod-preset-text")
        self.children = [
            style_widget(), self.heading,
            toolbar(self.preset, self.pathway), self.preset_text,
            toolbar(self.presenter, self.hide, actions=True), self.message,
            columns(left, right), save,
        ]
        self._describe_preset(preset)
        self.run()
        # the room (coprod_sim/room): served with --room, adds the join code and the answers
        from coprod_sim.room import attach_room
        self.room = attach_room(self)

    # -- scenario ------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        """The scenario the controls describe (raises ScenarioError if not allowed)."""
        s = self.panel.scenario
        if s.pathway != self.pathway.value:
            name = s.name if s.name.endswith("(changed)") else f"{s.name} (changed)"
            s = s.replace(name=name, pathway=self.pathway.value)
        return s

    def show_scenario(self, scenario: Scenario) -> None:
        """Show a scenario's values (for example one loaded from a file) and run it."""
        self.panel.set_scenario(scenario)
        self._set_quietly(self.pathway, scenario.pathway)
        self.run()

    def choose_preset(self, name: str) -> None:
        """Start again from a named preset."""
        self._set_quietly(self.preset, name)
        self._describe_preset(name)
        self.show_scenario(presets.get(name))

    def _describe_preset(self, name: str) -> None:
        self.preset_text.value = f"<i>{html.escape(presets.describe(name))}</i>"

    def _set_quietly(self, widget: w.ValueWidget, value: Any) -> None:
        if widget.value == value:
            return
        self._quiet = True
        try:
            widget.value = value
        finally:
            self._quiet = False

    _quiet = False

    def _changed(self) -> None:
        if not self._quiet and self.auto.value:
            self.run()

    # -- running -------------------------------------------------------------
    def run(self) -> pd.DataFrame:
        """Run the current scenario (over the replicate seeds) and show the results."""
        scenario = self.scenario
        self.df = self.runner.replicates(scenario, self.replicates.value)
        self.message.clear()
        self.files.refresh_link()
        if not self.hide.value:
            self._show()
        return self.df

    def _show(self) -> None:
        self.chart.draw(self.df)
        self.summary.value = summary_html(self.df, (
            "participation_rate", "representativeness", "influence", "tokenism", "trust",
            "net_benefit", "ladder_score"))

    # -- predict, then reveal --------------------------------------------------
    def set_hidden(self, hidden: bool) -> None:
        """Hide the results (to take predictions) or show them again."""
        if self.hide.value != hidden:
            self.hide.value = hidden
            return
        if hidden:
            self._before = final_values(self.df) if self.df is not None else None
            self.results.layout.display = "none"
            self.predict_box.layout.display = ""
            self.verdict.value = ""
            self.prediction.value = None
        else:
            self.results.layout.display = ""
            self.predict_box.layout.display = "none"
            self._show()

    def reveal(self) -> str:
        """Show the results and how they compare with the room's prediction."""
        name = self.predict_outcome.value
        guess = self.prediction.value
        # show the chart of the outcome the room predicted
        chart = OUTCOME_CHART.get(name, self.chart.chart)
        self._set_quietly(self.picker, chart)
        self.chart.chart = chart
        self.set_hidden(False)
        after = final_values(self.df)[name]
        label = OUTCOMES[name].label
        if self._before is None:
            text = f"{label}: {fmt(name, after)}."
        else:
            before = self._before[name]
            # the chapters' "about the same" (16% to 17% stays about the same)
            moved = ("Stay about the same" if about_same(name, before, after)
                     else "Go up" if after > before else "Go down")
            if before != before or after != after:  # does not apply before or after
                moved = "Does not apply"
            words = {"Go up": "went up", "Go down": "went down",
                     "Stay about the same": "stayed about the same",
                     "Does not apply": "cannot be compared"}[moved]
            text = f"{label} {words}: from {fmt(name, before)} to {fmt(name, after)}."
            if guess:
                right = "The room's prediction was right." if guess == moved else \
                    f"The room predicted it would {guess.lower()}."
                text += f" {right}"
        self.verdict.value = (f'<div class="coprod-message-ok coprod-verdict-text" '
                              f'role="status" data-chart="{chart}"><b>{html.escape(text)}</b>'
                              "</div>")
        return text

    def chart_views(self) -> list[ChartView]:  # noqa: D102
        return [self.chart]


#: The groups a scenario invites by a switch of its own (``invite_<group>``).
INVITE_SWITCHES = {"part_patients": "invite_patients", "part_carers": "invite_carers",
                   "part_families": "invite_families", "part_community": "invite_community"}


def not_invited(scenario: Scenario) -> tuple[str, ...]:
    """The ``part_*`` group columns a scenario never invites (its switch is off)."""
    return tuple(col for col, switch in INVITE_SWITCHES.items()
                 if not getattr(scenario, switch, True))


def difference_html(a: pd.DataFrame, b: pd.DataFrame, names: tuple[str, str]) -> str:
    """A table of each key outcome in two scenarios, the difference, and which is better.

    The outcomes' definitions follow in a "What these mean" box that opens by a
    tap or click (a touch screen cannot hover over the labels).
    """
    va, vb = final_values(a), final_values(b)
    head = ("<tr><th>Outcome</th>"
            f"<th>A: {html.escape(names[0])}</th><th>B: {html.escape(names[1])}</th>"
            "<th>Difference (B minus A)</th><th>Better</th></tr>")
    rows = []
    for n in KEY_OUTCOMES:
        o = OUTCOMES[n]
        d = vb[n] - va[n]
        if d != d:  # does not apply to one plan or both: no difference to give
            better = ""
        elif same(n, va[n], vb[n]) or not o.better:
            better = "about the same" if o.better else ""
        else:
            better = "B" if (d > 0) == (o.better == "higher") else "A"
        rows.append(
            f'<tr data-outcome="{n}"><td title="{html.escape(o.definition, quote=True)}">'
            f"{html.escape(o.label)}</td><td>{fmt(n, va[n])}</td><td>{fmt(n, vb[n])}</td>"
            f"<td>{fmt(n, d, signed=True)}</td><td>{better}</td></tr>")
    meanings = "".join(f"<dt>{html.escape(OUTCOMES[n].label)}</dt><dd>"
                       f"{html.escape(OUTCOMES[n].definition)}</dd>" for n in KEY_OUTCOMES)
    # the definitions open by tap or click, not only on hover (as under the summary table)
    return (f'<table class="coprod-difference" style="border-spacing:12px 2px">{head}'
            f'{"".join(rows)}</table>'
            f'<details class="coprod-definitions"><summary>What these mean</summary>'
            f"<dl>{meanings}</dl></details>")


class Compare(_Dashboard):
    """Two scenarios side by side: the same chart for each, the differences, who is missing.

    Args:
        a: Preset for scenario A.
        b: Preset for scenario B.
        replicates: Runs (seeds) for the uncertainty band.
        mode: Chart display mode (see :class:`ChartView`).
    """

    title = "Coproduction simulator: compare two scenarios"

    def __init__(self, a: str = "tokenistic_consultation", b: str = "full_coproduction",
                 replicates: int = 5, mode: str | None = None):
        super().__init__()
        self.sides: list[dict[str, Any]] = []
        self.replicates = replicates_slider(replicates)
        self.picker = chart_picker()
        self.difference = w.HTML()
        self.missing = w.HTML()
        self._missing_fig: Any = None
        self.dfs: list[pd.DataFrame | None] = [None, None]
        columns = []
        for i, name in enumerate((a, b)):
            side = self._side(i, name, mode)
            self.sides.append(side)
            columns.append(side["box"])
        self.replicates.observe(self._safe(lambda _c: self.run()), names="value")
        self.picker.observe(self._safe(lambda c: self._set_chart(c["new"])), names="value")
        sides = w.HBox(columns, layout=w.Layout(flex_flow="row wrap"))
        sides.add_class("coprod-sides")
        self.children = [
            style_widget(), self.heading,
            toolbar(self.presenter, self.replicates, self.picker, actions=True),
            self.message, sides,
            w.HTML("<h3>Difference in each outcome</h3>"), self.difference,
            w.HTML("<h3>Who is missing in each</h3>"), self.missing,
        ]
        self.add_class("coprod-compare")
        self.run()

    def _side(self, i: int, preset: str, mode: str) -> dict[str, Any]:
        letter = "AB"[i]
        start = presets.get(preset)
        picker = preset_picker(preset)
        panel = ScenarioPanel(start, main_only=True, accordion=True)
        view = ChartView("participation", mode=mode)
        title = w.HTML()
        files = ScenarioFiles(lambda: panel.scenario, lambda s: self.show_scenario(i, s),
                              self.message)
        more = w.Accordion(children=[panel, files],
                           titles=("Levers", "Load or download a scenario"))
        more.selected_index = None
        picker.observe(self._safe(lambda c: self.show_scenario(i, presets.get(c["new"]))),
                       names="value")
        panel.on_change(self._safe(lambda: self.run_side(i)))
        box = w.VBox([title, picker, more, view],
                     layout=w.Layout(flex="1 1 420px", min_width="380px", padding="4px"))
        box.add_class(f"coprod-side-{letter.lower()}")
        box.add_class("coprod-side")
        return {"letter": letter, "picker": picker, "panel": panel, "view": view,
                "title": title, "files": files, "box": box}

    def scenario(self, i: int) -> Scenario:
        """Scenario A (0) or B (1)."""
        return self.sides[i]["panel"].scenario

    def show_scenario(self, i: int, scenario: Scenario) -> None:
        """Show a scenario on side ``i`` and run it."""
        self.sides[i]["panel"].set_scenario(scenario)
        self.run_side(i)

    def run_side(self, i: int) -> None:
        """Run one side and refresh the comparison."""
        side = self.sides[i]
        scenario = self.scenario(i)
        self.dfs[i] = self.runner.replicates(scenario, self.replicates.value)
        side["title"].value = (f'<h3 class="coprod-side-title">{side["letter"]}: '
                               f"{html.escape(display_name(scenario.name))}</h3>")
        side["view"].draw(self.dfs[i])
        side["files"].refresh_link()
        self._refresh()

    def run(self) -> None:
        """Run both scenarios and refresh the comparison."""
        for i in range(2):
            self.run_side(i)

    def names(self) -> tuple[str, str]:
        """The two scenarios' names, as people read them."""
        return (display_name(self.scenario(0).name), display_name(self.scenario(1).name))

    def _refresh(self) -> None:
        if any(df is None for df in self.dfs):
            return
        self.message.clear()
        a, b = self.dfs
        names = self.names()
        self.difference.value = difference_html(a, b, names)
        self._missing_fig = plots.compare_who_is_missing(
            a, b, (f"A: {names[0]}", f"B: {names[1]}"), large_text=self.presenter.value,
            fig=self._missing_fig,
            not_invited=[not_invited(self.scenario(i)) for i in range(2)])
        self.missing.value = plots.chart_html(self._missing_fig)

    def _set_chart(self, chart: str) -> None:
        for side in self.sides:
            side["view"].set_chart(chart)

    def set_presenter(self, on: bool) -> None:  # noqa: D102
        super().set_presenter(on)
        if self.presenter.value == on:
            self._refresh()

    def chart_views(self) -> list[ChartView]:  # noqa: D102
        return [side["view"] for side in self.sides]


class Explorer(_Dashboard):
    """Every lever, for the curious trainee or the researcher.

    Args:
        preset: Preset to start from.
        replicates: Runs (seeds) for the uncertainty band.
        mode: Chart display mode (see :class:`ChartView`).
    """

    title = "Coproduction simulator: explore every lever"

    def __init__(self, preset: str = "default", replicates: int = 1, mode: str | None = None):
        super().__init__()
        self.df: pd.DataFrame | None = None
        self.preset = preset_picker(preset)
        self.panel = ScenarioPanel(presets.get(preset), accordion=True)
        self.replicates = replicates_slider(replicates)
        self.picker = chart_picker()
        self.chart = ChartView("participation", mode=mode)
        self.summary = w.HTML()
        self.files = ScenarioFiles(lambda: self.panel.scenario, self.show_scenario,
                                   self.message)
        self.preset.observe(self._safe(lambda c: self.show_scenario(presets.get(c["new"]))),
                            names="value")
        self.panel.on_change(self._safe(self.run))
        self.replicates.observe(self._safe(lambda _c: self.run()), names="value")
        self.picker.observe(self._safe(lambda c: self.chart.set_chart(c["new"])),
                            names="value")
        n = len(PARAMETERS)
        left = w.VBox([w.HTML(f"All {n} levers, grouped by the paper's seven steps, then "
                              "behaviour, mechanisms and run settings. Tap or click a "
                              "lever's badge for its help and evidence."), self.panel,
                       self.files],
                      layout=w.Layout(flex="1 1 560px", min_width="420px"))
        right = w.VBox([self.replicates, self.picker, self.chart, self.summary],
                       layout=w.Layout(flex="1 1 560px", min_width="420px"))
        right.add_class("coprod-results")
        self.children = [style_widget(), self.heading,
                         toolbar(self.preset, self.presenter, actions=True),
                         self.message, columns(left, right)]
        self.run()

    def show_scenario(self, scenario: Scenario) -> None:
        """Show a scenario's values and run it."""
        self.panel.set_scenario(scenario)
        self.run()

    def run(self) -> pd.DataFrame:
        """Run the current scenario and show the results."""
        self.df = self.runner.replicates(self.panel.scenario, self.replicates.value)
        self.message.clear()
        self.chart.draw(self.df)
        self.summary.value = summary_html(self.df)
        self.files.refresh_link()
        return self.df

    def chart_views(self) -> list[ChartView]:  # noqa: D102
        return [self.chart]
