"""Each person's week-by-week history in one run: what the pictures and stories read.

:func:`record_run` steps a :class:`~coprod_sim.model.CoproductionModel` itself
and, after each week, copies what every person and staff member did that week
from the model's state arrays (the model is not changed and knows nothing of
this). For 200 people over 52 weeks that is a few small arrays (200 x 52), so
it costs almost nothing next to the run itself.

Where a person *stands* each week is one of four :data:`STATUSES`:

* never invited: no invitation has reached them (yet);
* invited, not taking part: invited and still willing, but has not taken part
  in the last 13 weeks;
* taking part: took part in the last 13 weeks (the model's own "taking part");
* dropped out: took part or was invited, and has since dropped out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.model import CoproductionModel
from coprod_sim.outcomes import RECENT
from coprod_sim.population import METHODS
from coprod_sim.results import RunResult, people_columns, summarise
from coprod_sim.scenario import Scenario

#: Where a person stands in a week, in order of the codes in ``History.status``.
STATUSES: tuple[str, ...] = ("never invited", "invited, not taking part", "taking part",
                             "dropped out")
NOT_INVITED, INVITED, TAKING_PART, DROPPED = range(4)
#: Columns of the week's method axis that are meetings round a table.
FORUM, FOCUS = METHODS.index("forum"), METHODS.index("focus_group")

#: The seed of the people pictures and live runs: with it, the people the
#: chapters follow are reached by the usual invitation (any seed works).
PICTURE_SEED = 2


@dataclass
class History:
    """One run, with every person's and staff member's state week by week.

    Arrays have one row per week (``weeks`` rows) and one column per person
    (or staff member).

    Attributes:
        scenario: The plan that was run.
        seed: The seed.
        weekly: The model's own weekly outcome table (as ``runner.run`` gives).
        status: Where each person stood (codes into :data:`STATUSES`).
        attended: Took part in any activity that week.
        at_table: Sat at a meeting (forum or focus group) that week.
        spoke: Share of that week's meeting time the person spoke (0 when absent).
        trust: Trust in the service.
        views: Views given so far; ``adopted``: of those, adopted so far.
        staff_spoke: Share of that week's meeting time each staff member spoke.
        staff_anxiety, staff_openness: Each staff member's anxiety and openness.
        meetings: How many meetings (forum or focus group) met that week.
        people: Who each person is (role, age, deprivation, needs, confidence).
        manager, staff_seat: Each staff member's grade and working-party seat.
        ties: Peer support ties as an array of ``(i, j)`` pairs.
        result: The run as a :class:`~coprod_sim.runner.RunResult`.
    """

    scenario: Scenario
    seed: int | None
    weekly: pd.DataFrame
    status: np.ndarray
    attended: np.ndarray
    at_table: np.ndarray
    spoke: np.ndarray
    trust: np.ndarray
    views: np.ndarray
    adopted: np.ndarray
    staff_spoke: np.ndarray
    staff_anxiety: np.ndarray
    staff_openness: np.ndarray
    meetings: np.ndarray
    people: pd.DataFrame
    needs: np.ndarray
    confidence0: np.ndarray
    manager: np.ndarray
    staff_seat: np.ndarray
    ties: np.ndarray
    result: RunResult

    @property
    def weeks(self) -> int:
        """Number of weeks recorded."""
        return int(self.status.shape[0])

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.status.shape[1])

    def counts(self, week: int) -> dict[str, int]:
        """How many people stood in each status in a week (0-based week index)."""
        c = np.bincount(self.status[week], minlength=len(STATUSES))
        return dict(zip(STATUSES, (int(x) for x in c), strict=True))

    def meeting_weeks(self) -> list[int]:
        """The weeks (0-based) in which at least one meeting met."""
        return [int(w) for w in np.flatnonzero(self.meetings > 0)]


def record_run(scenario: Scenario | str | None = None, seed: int | None = 1,
               weeks: int | None = None, **changes: Any) -> History:
    """Run the model once and keep every person's state week by week.

    Args:
        scenario: A Scenario, a preset name, or None for the defaults.
        seed: Random seed (the same seed gives the same run as ``runner.run``).
        weeks: Weeks to simulate (overrides the scenario's ``weeks``).
        **changes: Lever values to change before running.
    """
    if scenario is None:
        scenario = Scenario()
    elif isinstance(scenario, str):
        from coprod_sim import presets
        scenario = presets.get(scenario)
    if weeks is not None:
        changes["weeks"] = weeks
    if changes:
        scenario = scenario.replace(**changes)
    model = CoproductionModel(scenario, rng=seed)
    st, sf = model.state, model.staff_state
    n, m, t = st.n, sf.n, scenario.weeks
    status = np.zeros((t, n), dtype=np.int8)
    attended = np.zeros((t, n), dtype=bool)
    at_table = np.zeros((t, n), dtype=bool)
    spoke = np.zeros((t, n), dtype=np.float32)
    trust = np.zeros((t, n), dtype=np.float32)
    views = np.zeros((t, n), dtype=np.int16)
    adopted = np.zeros((t, n), dtype=np.int16)
    staff_spoke = np.zeros((t, m), dtype=np.float32)
    staff_anxiety = np.zeros((t, m), dtype=np.float32)
    staff_openness = np.zeros((t, m), dtype=np.float32)
    meetings = np.zeros(t, dtype=np.int16)
    for week in range(t):
        air0, staff0 = st.airtime.copy(), sf.airtime.copy()
        met0 = model.tally["meetings"]
        model.step()
        wk = model.current_week
        recent = model.week - 1 - st.last_part < RECENT
        code = np.where(st.reached, INVITED, NOT_INVITED)
        code = np.where(st.reached & recent, TAKING_PART, code)
        code = np.where(st.reached & ~st.engaged, DROPPED, code)
        status[week] = code
        attended[week] = wk.part
        at_table[week] = wk.took[:, FORUM] | wk.took[:, FOCUS]
        k = model.tally["meetings"] - met0
        meetings[week] = k
        if k:
            # Users' shares add to 1 per meeting and the staff take their own
            # share of each meeting: put both on one scale, "share of the
            # week's meeting time".
            staff_delta = sf.airtime - staff0
            staff_part = float(staff_delta.sum()) / k
            spoke[week] = (st.airtime - air0) / k * (1.0 - staff_part)
            staff_spoke[week] = staff_delta / k
        trust[week] = st.trust
        views[week] = st.views
        adopted[week] = st.adopted
        staff_anxiety[week] = sf.anxiety
        staff_openness[week] = sf.openness
    weekly = pd.DataFrame(model.datacollector.model_vars)
    result = RunResult(scenario, seed, weekly, summarise(weekly), people_columns(model))
    ties = np.column_stack([model.edges_src, model.edges_dst])
    ties = ties[ties[:, 0] < ties[:, 1]]
    return History(scenario, seed, weekly, status, attended, at_table, spoke, trust, views,
                   adopted, staff_spoke, staff_anxiety, staff_openness, meetings,
                   result.people, st.needs.copy(), st.confidence0.copy(),
                   sf.manager.copy(), sf.seat.copy(), ties, result)
