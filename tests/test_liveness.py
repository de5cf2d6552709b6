"""Every lever is live: it moves the outcome it is meant to move, the way it says.

The parameter table states, for every lever that is not a run setting, its
target outcomes and direction and the scenario where it should matter
(``Param.target``, ``Param.context``). :func:`coprod_sim.liveness.sweep` runs
each lever low vs high (False vs True; for a choice, the first vs each other)
over fixed seeds (8, or the lever's own ``seeds``), comparing each outcome's
mean over the last 13 weeks. A lever fails when the mean paired difference
goes the wrong way, is smaller than 0.01 on a 0-1 share (2% of the size for
money and counts), or is smaller than twice its standard error over the seeds.
"""

from __future__ import annotations

import pytest

from coprod_sim.liveness import low_high, sweep
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.parameters import PARAMETERS


def test_every_lever_that_is_not_a_run_setting_states_a_target():
    for p in PARAMETERS.values():
        if p.group == "run":
            continue
        assert p.target, f"{p.name} has no target"
        for outcome, direction in p.target:
            assert outcome in OUTCOMES or outcome == "peak_participants", (p.name, outcome)
            assert direction in ("up", "down"), (p.name, direction)
        assert p.why, f"{p.name} does not say why it moves its target"


def test_choices_compare_every_choice():
    assert len(low_high(PARAMETERS["pathway"])) == len(PARAMETERS["pathway"].choices) - 1


@pytest.mark.slow
def test_every_lever_moves_its_target_the_stated_way():
    rows = sweep()
    failed = [r.sentence() for r in rows if not r.passed]
    assert not failed, "\n".join(failed)
