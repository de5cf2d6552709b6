"""Levers one step at a time: a planner that does not show 35 levers at once.

:class:`StepByStep` splits a list of levers by the parameter table's groups (the
briefing paper's seven steps first, in order) and shows one group at a time,
with **Back** and **Next step** buttons and a line saying which step this is.
Each group is a :class:`~coprod_sim.widgets.controls.ScenarioPanel`, so labels,
help and evidence badges come from the parameter table as everywhere else.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import ipywidgets as w

from coprod_sim.parameters import GROUPS, PARAMETERS, by_group
from coprod_sim.scenario import Scenario
from coprod_sim.widgets.controls import ScenarioPanel


class StepByStep(w.VBox):
    """The levers of a plan, one group (step) at a time.

    Args:
        scenario: The starting plan; levers not shown keep its values.
        names: The levers to show.

    Attributes:
        levers: ``{name: Lever}`` for every lever shown, across all steps.
        step: Index of the step on screen.
    """

    def __init__(self, scenario: Scenario, names: Iterable[str]):
        wanted = [n for n in names if n in PARAMETERS]
        self.base = scenario
        self.groups: list[tuple[str, ScenarioPanel]] = []
        for group, params in by_group().items():
            mine = [p.name for p in params if p.name in wanted]
            if mine:
                self.groups.append((GROUPS[group], ScenarioPanel(scenario, names=mine)))
        self.levers = {k: v for _, panel in self.groups for k, v in panel.levers.items()}
        self.heading = w.HTML()
        self.back = w.Button(description="Back", icon="arrow-left",
                             layout=w.Layout(width="auto"))
        self.next = w.Button(description="Next step", icon="arrow-right",
                             button_style="info", layout=w.Layout(width="auto"))
        self.stack = w.Stack([panel for _, panel in self.groups], selected_index=0)
        self.back.on_click(lambda _b: self.show(self.step - 1))
        self.next.on_click(lambda _b: self.show(self.step + 1))
        self.step = 0
        super().__init__([self.heading, self.stack, w.HBox([self.back, self.next])])
        self.show(0)

    def show(self, step: int) -> None:
        """Show one step (clamped to the first and last)."""
        self.step = max(0, min(len(self.groups) - 1, step))
        self.stack.selected_index = self.step
        title, panel = self.groups[self.step]
        self.heading.value = (f"<div class='coprod-heading' role='status'>Step {self.step + 1} "
                              f"of {len(self.groups)}: {html.escape(title)} "
                              f"<small>({len(panel.levers)} lever"
                              f"{'s' if len(panel.levers) != 1 else ''})</small></div>")
        self.back.disabled = self.step == 0
        self.next.disabled = self.step == len(self.groups) - 1

    def values(self) -> dict[str, Any]:
        """Every shown lever's current value, across all steps."""
        out: dict[str, Any] = {}
        for _, panel in self.groups:
            out.update(panel.values())
        return out

    @property
    def scenario(self) -> Scenario:
        """The plan the levers describe (validated together).

        Raises:
            ScenarioError: when the values are not allowed together.
        """
        return self.base.replace(**self.values())
