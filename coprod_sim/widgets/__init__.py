"""Widgets and dashboards for JupyterLab and Voila.

Control panels are generated from :data:`coprod_sim.PARAMETERS` and grouped by
the briefing paper's seven steps (:data:`coprod_sim.GROUPS`). The dashboards::

    from coprod_sim.widgets import trainer, compare, explorer
    trainer()    # preset or pathway, main levers, bands, presenter mode, predict-then-reveal
    compare()    # two scenarios side by side, differences, who is missing in each
    explorer()   # every lever

Each function returns the dashboard widget; the last line of a notebook cell
shows it. All logic lives here, so the notebooks stay a few lines long.
"""

from coprod_sim.widgets.charts import ChartView, Runner
from coprod_sim.widgets.controls import (
    Lever,
    Message,
    ScenarioFiles,
    ScenarioPanel,
    make_control,
)
from coprod_sim.widgets.dashboards import Compare, Explorer, Trainer


def trainer(**kwargs) -> Trainer:
    """Create the trainer's dashboard (see :class:`Trainer` for options)."""
    return Trainer(**kwargs)


def compare(**kwargs) -> Compare:
    """Create the scenario comparison dashboard (see :class:`Compare`)."""
    return Compare(**kwargs)


def explorer(**kwargs) -> Explorer:
    """Create the explorer with every lever (see :class:`Explorer`)."""
    return Explorer(**kwargs)


#: Dashboard names and the functions that make them (used by ``coprod_sim.serve``).
DASHBOARDS = {"trainer": trainer, "compare": compare, "explorer": explorer}

__all__ = [
    "DASHBOARDS", "ChartView", "Compare", "Explorer", "Lever", "Message", "Runner",
    "ScenarioFiles", "ScenarioPanel", "Trainer", "compare", "explorer", "make_control",
    "trainer",
]
