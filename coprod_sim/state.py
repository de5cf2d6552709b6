"""Shared state types of a run: the week's scratch record, and what a mechanism sees.

Mechanisms take ``(b, wk)``: ``b`` is the running
:class:`~coprod_sim.batch.Batch` (its per-run levers ``b.lev``, constants,
state arrays with a leading run axis, random streams), ``wk`` the
:class:`Week` being built. This module imports nothing of the model, so no
mechanism needs to import the model or the batch (no import circles): they
import the mechanisms, never the other way round.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: What a mechanism receives as ``b``: the running Batch. Kept as ``Any`` here so
#: that mechanisms need not import the batch module.
Model = Any

#: Number of engagement methods (forum, focus group, interview, questionnaire).
N_METHODS = 4
#: The methods' indices on every method axis (:data:`coprod_sim.population.METHODS` order).
FORUM, FOCUS, INTERVIEW, QUESTIONNAIRE = range(N_METHODS)


class Week:
    """Scratch record of one week for every run: who was invited, took part, was heard.

    Arrays have a leading run axis. Attributes set by the mechanisms: ``running``
    (runs x methods), ``invited``, ``took`` (methods x runs x people), ``part``,
    ``hours``, ``depth``, ``heard`` (talking time against a fair share, 1 is fair;
    0 when not in a meeting), ``gave_view``, ``own_view`` (the view raised the
    person's own concern), ``view_method``, ``adopted`` (runs x people);
    ``n_adopted``, ``staff_items``, ``focus_accepted``, ``focus_seats`` (per run);
    ``peer_share`` (share of each person's peers involved, after this week's
    activities); ``ignored`` (gave a view neither adopted nor explained, runs x
    people, set by the feedback mechanisms when they need it). Until a mechanism
    sets them they are shared read-only blanks (mechanisms replace, never
    modify, them).
    """

    _blanks: dict[tuple[int, int], dict[str, np.ndarray]] = {}

    def __init__(self, runs: int, n: int, running: np.ndarray):
        blank = self._blanks.get((runs, n))
        if blank is None:
            blank = {"invited": np.zeros((N_METHODS, runs, n), dtype=bool),
                     "part": np.zeros((runs, n), dtype=bool), "hours": np.zeros((runs, n)),
                     "depth": np.zeros((runs, n), dtype=np.int64),
                     "view_method": np.full((runs, n), -1),
                     "count": np.zeros(runs, dtype=np.int64), "amount": np.zeros(runs)}
            for array in blank.values():
                array.flags.writeable = False
            if len(self._blanks) > 64:
                self._blanks.clear()
            self._blanks[(runs, n)] = blank
        self.running = running
        self.invited = self.took = blank["invited"]
        self.part = self.gave_view = self.own_view = self.adopted = blank["part"]
        self.hours = self.heard = blank["hours"]
        self.depth = blank["depth"]
        self.view_method = blank["view_method"]
        self.n_adopted = self.focus_accepted = self.focus_seats = blank["count"]
        self.staff_items = blank["amount"]
        self.peer_share: np.ndarray | None = None
        self.ignored: np.ndarray | None = None

    def row(self, b: int) -> WeekRow:
        """One run's view of this week (arrays without the run axis, counts as numbers)."""
        return WeekRow(self, b)


class WeekRow:
    """One run's entries of a :class:`Week` (what a reader of one run sees)."""

    def __init__(self, wk: Week, b: int):
        self.running = wk.running[b]
        self.invited = wk.invited[:, b].T  # people x methods
        self.took = wk.took[:, b].T
        for name in ("part", "hours", "depth", "heard", "gave_view",
                     "own_view", "view_method", "adopted"):
            setattr(self, name, getattr(wk, name)[b])
        self.n_adopted = int(wk.n_adopted[b])
        self.focus_accepted = int(wk.focus_accepted[b])
        self.focus_seats = int(wk.focus_seats[b])
        self.staff_items = float(wk.staff_items[b])
        self.peer_share = None if wk.peer_share is None else wk.peer_share[b]


__all__ = ["FOCUS", "FORUM", "INTERVIEW", "Model", "N_METHODS", "QUESTIONNAIRE", "Week", "WeekRow"]
