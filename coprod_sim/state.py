"""Shared state types of a run: the week's scratch record, and what a mechanism sees.

Mechanisms take ``(model, wk)``: ``model`` is the running
:class:`~coprod_sim.model.CoproductionModel` (its levers, constants, state
arrays and generator), ``wk`` the :class:`Week` being built. This module
imports nothing of the model, so no mechanism needs to import the model (no
import circles): the model imports the mechanisms, never the other way round.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: What a mechanism receives as ``model``: the running CoproductionModel. Kept as
#: ``Any`` here so that mechanisms need not import the model module.
Model = Any

#: Number of engagement methods (forum, focus group, interview, questionnaire).
N_METHODS = 4


class Week:
    """Scratch record of one week: who was invited, who took part, who was heard.

    Attributes set by the mechanisms: ``running`` (per method), ``invited``,
    ``took`` (people x methods), ``part``, ``hours``, ``depth``, ``heard``
    (talking time against a fair share, 1 is fair; 0 when not in a meeting),
    ``gave_view``, ``own_view`` (the view raised the person's own concern),
    ``view_method``, ``adopted``, ``n_adopted``, ``staff_items``, ``peer_share``
    (share of each person's peers involved, after this week's activities). Until a
    mechanism sets them they are shared read-only blanks (mechanisms replace,
    never modify, them).
    """

    _blanks: dict[int, dict[str, np.ndarray]] = {}

    def __init__(self, n: int, running: np.ndarray):
        blank = self._blanks.get(n)
        if blank is None:
            blank = {"invited": np.zeros((n, N_METHODS), dtype=bool),
                     "part": np.zeros(n, dtype=bool), "hours": np.zeros(n),
                     "depth": np.zeros(n, dtype=np.int64), "view_method": np.full(n, -1)}
            for array in blank.values():
                array.flags.writeable = False
            self._blanks[n] = blank
        self.running = running
        self.invited = self.took = blank["invited"]
        self.part = self.gave_view = self.own_view = self.adopted = blank["part"]
        self.hours = self.heard = blank["hours"]
        self.depth = blank["depth"]
        self.view_method = blank["view_method"]
        self.n_adopted = 0
        self.staff_items = 0.0
        self.focus_accepted = 0
        self.focus_seats = 0
        self.peer_share: np.ndarray | None = None


__all__ = ["Model", "Week", "N_METHODS"]
