"""One live control per chapter: move a lever, and the people and the chart follow.

:class:`LiveLever` shows one or two levers of a chapter as toggles or sliders
beside the people picture (:mod:`~coprod_sim.curriculum.people_picture`), a
chart of the chapter's outcome and the stories of the people we follow
(:mod:`~coprod_sim.curriculum.people`). Moving a lever runs the plan once
(one seed, so everyone in the room sees the same people) and redraws: the
whole update (the run, the stories and the data for the browser) takes well
under the 300 ms the issue allows; ``last_ms`` keeps the time of the last one
(for the benchmarks; the trainee is not shown it). The plan before any lever
moved stays on the chart as a dashed line, so the trainee sees what their
change did.

One run has chance in it: the panel says so, and points to the moments above,
which run each plan five times.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from coprod_sim.curriculum import people as followed_people
from coprod_sim.curriculum.history import PICTURE_SEED, History, record_run
from coprod_sim.curriculum.people_picture import PeoplePicture
from coprod_sim.curriculum.predict import fmt_value as _fmt
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.parameters import PARAMETERS
from coprod_sim.scenario import Scenario, ScenarioError


def lever_widget(name: str, value: Any) -> w.Widget:
    """A toggle or slider for one lever (its label is shown apart: see :func:`lever_label`).

    Shares are shown as percentages (a trainee never sees a 0-1 scale).
    """
    p = PARAMETERS[name]
    tip = f"{p.help} Evidence: {p.evidence}."
    if p.kind == "bool":
        return w.ToggleButtons(options=[("No", False), ("Yes", True)], value=bool(value),
                               tooltips=[tip, tip])
    if p.kind == "choice":
        return w.Dropdown(options=[(label, k) for k, label in p.choices.items()],
                          value=value, layout=w.Layout(width="95%"))
    if p.kind == "int":
        # Weeks move a year at a time, from one year to the five of the long game.
        low, high, step = (52, 260, 52) if name == "weeks" else (int(p.low), int(p.high), 1)
        return w.IntSlider(value=int(value), min=low, max=high, step=step,
                           continuous_update=False, layout=w.Layout(width="95%"))
    if p.unit == "share" and p.low >= 0 and p.high <= 1:
        return w.FloatSlider(value=float(value), min=p.low, max=p.high, step=0.05,
                             continuous_update=False, readout_format=".0%",
                             layout=w.Layout(width="95%"))
    return w.FloatSlider(value=float(value), min=p.low, max=p.high, step=0.05,
                         continuous_update=False, readout_format=".2f",
                         layout=w.Layout(width="95%"))


def lever_label(name: str) -> w.HTML:
    """A lever's whole label, on its own line above the control (never cut off)."""
    p = PARAMETERS[name]
    return w.HTML(f"<label style='font-weight:600'>{html.escape(p.label)}</label>",
                  layout=w.Layout(width="95%"))


class LiveLever:
    """Levers of one chapter, live: people picture, chart and stories update as they move.

    Args:
        plan: The plan the chapter starts from.
        levers: One or two lever names.
        outcome: The outcome the chart shows.
        seed: Seed of the run.
        css: Inline CSS for the text (the trainee's settings).
    """

    def __init__(self, plan: Scenario, levers: Sequence[str], outcome: str,
                 seed: int = PICTURE_SEED, css: str = ""):
        unknown = [n for n in levers if n not in PARAMETERS]
        if unknown or not 1 <= len(levers) <= 2:
            raise ValueError(f"levers is {list(levers)!r}; allowed: one or two names from "
                             "the parameter table")
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome is {outcome!r}; allowed: one of {', '.join(OUTCOMES)}")
        self.plan, self.levers, self.outcome, self.seed = plan, tuple(levers), outcome, seed
        self.css = css
        self.reference = record_run(plan, seed=seed)
        self.history: History = self.reference
        self.controls = {n: lever_widget(n, plan[n]) for n in self.levers}
        self.picture = PeoplePicture()
        self.stories = w.HTML()
        self.status = w.HTML()
        self.last_ms = 0.0
        self.timings: list[float] = []
        self._quiet = False
        #: Called with the levers' values after a trainee moves one (the kit keeps
        #: them as the trainee's plan for notebook 07).
        self.on_change: Any = None
        for ctl in self.controls.values():
            ctl.observe(self._changed, names="value")
        self.update()

    def scenario(self) -> Scenario:
        """The plan with the levers as they are set now."""
        return self.plan.replace(**{n: c.value for n, c in self.controls.items()})

    def _changed(self, _change: Any) -> None:
        if self._quiet:
            return
        try:
            self.update()
        except (ScenarioError, ValueError) as err:  # one plain line, never a traceback
            self.status.value = (f"<p role='alert' style='color:#8B0000'>That setting "
                                 f"could not be run: {html.escape(str(err))}</p>")

    def update(self, **values: Any) -> float:
        """Run the plan with the levers' values (or ``values``) and redraw; return ms."""
        t0 = time.perf_counter()
        self._quiet = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._quiet = False
        scenario = self.scenario()
        same = scenario.to_dict() == self.plan.to_dict()
        self.history = self.reference if same else record_run(scenario, seed=self.seed)
        chosen = followed_people.choose(self.history)
        self.picture.show(self.history, chosen, self.outcome,
                          None if same else self.reference,
                          label="as set now" if not same else "this plan")
        told = followed_people.stories(self.history, chosen)
        self.stories.value = (f"<div style='{self.css}'><strong>The people we follow, in "
                              "this run:</strong><ul>" + "".join(
                                  f"<li>{html.escape(' '.join(lines))}</li>"
                                  for lines in told.values()) + "</ul></div>")
        self.last_ms = (time.perf_counter() - t0) * 1000
        self.timings.append(self.last_ms)
        v0 = float(self.reference.weekly[self.outcome].iloc[-1])
        v1 = float(self.history.weekly[self.outcome].iloc[-1])
        label = OUTCOMES[self.outcome].label
        change = "" if same else (f" Before you changed anything it was {_fmt(self.outcome, v0)}.")
        if self.outcome != "cost":
            c0 = float(self.reference.weekly["cost"].iloc[-1])
            c1 = float(self.history.weekly["cost"].iloc[-1])
            change += f" Cost so far: {_fmt('cost', c1)}" + ("." if same else
                                                            f" (before: {_fmt('cost', c0)}).")
        self.status.value = (f"<div style='{self.css}' aria-live='polite'>{html.escape(label)} "
                             f"at the end of this run: <strong>{_fmt(self.outcome, v1)}"
                             f"</strong>.{html.escape(change)} <small>(One run, so chance "
                             "plays a part.)</small></div>")
        if not same and self.on_change is not None:
            self.on_change({n: c.value for n, c in self.controls.items()})
        return self.last_ms

    def widget(self) -> w.VBox:
        """The panel: levers, a one-line result, the picture and the stories."""
        head = w.HTML(f"<div style='{self.css}'><strong>Try it yourself.</strong> Change "
                      + (" or ".join(f"<em>{html.escape(PARAMETERS[n].label)}</em>"
                                     for n in self.levers))
                      + " and watch the people, the chart and the stories change. Press "
                        "<b>Play</b> to watch the year unfold week by week.</div>")
        rows = [x for n, c in self.controls.items() for x in (lever_label(n), c)]
        return w.VBox([head, *rows, self.status, self.picture, self.stories])

