"""Meeting capacity follows the population the plan serves (attendance.meeting_groups)."""

from __future__ import annotations

import numpy as np

from coprod_sim import presets
from coprod_sim.mechanisms.attendance import meeting_groups
from coprod_sim.model import CoproductionModel


def test_one_group_per_people_per_group():
    assert meeting_groups(np.array([20, 200, 299, 301, 5000]), 200).tolist() == [1, 1, 1, 2, 25]


def test_each_group_seats_at_most_its_seats_and_the_groups_fill_together():
    model = CoproductionModel(presets.get("forum_only", n_people=1000, n_staff=75,
                                          forum_awareness=1.0), rng=5000)
    b = model.batch
    assert b.n_groups[0] == 5
    most = 0
    for _ in range(26):
        model.step()
        took = model.current_week.took[:, 0]
        per_group = np.bincount(b.group_of[0][took], minlength=5)
        assert per_group.max() <= model.levers.forum_seats
        most = max(most, int(took.sum()))
    assert most > model.levers.forum_seats  # more than one group's worth across the groups


def test_a_plan_can_run_one_group_for_everyone():
    model = CoproductionModel(presets.get("forum_only", n_people=1000, n_staff=75,
                                          forum_awareness=1.0, people_per_group=1000), rng=5000)
    for _ in range(13):
        model.step()
        assert int(np.count_nonzero(model.current_week.took[:, 0])) <= model.levers.forum_seats
