"""The action plan is the users' only as far as power is shared.

The staff add items from their own agenda every week, in proportion to the power
they keep (decisions.staff_agenda). Seeds 5000-5015 (never used to fit).
"""

from __future__ import annotations

import numpy as np

from coprod_sim import Scenario, presets
from coprod_sim.batch import Batch

SEEDS = list(range(5000, 5016))


def plan_share(scenario: Scenario) -> float:
    b = Batch([scenario] * len(SEEDS), SEEDS).run()
    return float(np.mean(b.plan_users / (b.plan_users + b.plan_staff)))


def test_with_no_power_shared_almost_none_of_the_plan_is_the_users():
    # about 0.02 in the default design (it was 0.36 when staff items came only from
    # users' rejected views), 0.11 even in full coproduction's many views
    assert plan_share(Scenario(power_sharing=0.0)) <= 0.05
    assert plan_share(Scenario(mech_power_sharing=False)) <= 0.05
    assert plan_share(presets.get("full_coproduction", power_sharing=0.0)) <= 0.2


def test_the_users_share_of_the_plan_follows_power_sharing():
    shares = [plan_share(Scenario(power_sharing=p)) for p in (0.0, 0.4, 0.85)]
    # about 0.02, 0.54, 0.95
    assert shares[1] >= shares[0] + 0.3
    assert shares[2] >= shares[1] + 0.2
