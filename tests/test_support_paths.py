"""Each support acts through the path it claims, once.

- a buddy goes to meetings: it changes nothing in a design without them;
- a peer support network boosts the joining decision once (the count of peers
  felt), not the pull as well;
- decisions by email act through trust and efficacy, so they change who
  comes back, not only trust.

Seeds 5000-5011 (never used to fit); the sizes stated are floors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coprod_sim import CoproductionModel, Scenario, presets, run
from coprod_sim.mechanisms import attendance
from coprod_sim.runner import run_seeds

SEEDS = range(5000, 5012)


def mean(scenario: Scenario, column: str, weeks: int = 52) -> float:
    return float(np.mean([r.summary[column] for r in run_seeds(scenario, SEEDS, weeks=weeks)]))


def test_a_buddy_changes_nothing_without_meetings():
    q = presets.get("questionnaire_only")
    for seed in (5000, 5001):
        alone = run(q, seed=seed).weekly
        buddied = run(q.replace(buddying=True), seed=seed).weekly
        for column in ("retention", "trust", "participation_rate", "understanding"):
            pd.testing.assert_series_equal(alone[column], buddied[column])


def test_a_buddy_still_lends_voice_in_meetings():
    mixed = presets.get("mixed_methods")
    gain = mean(mixed.replace(buddying=True), "quiet_voice") - mean(mixed, "quiet_voice")
    assert gain >= 0.1  # about +0.2 of a fair share


def test_peer_support_pulls_with_the_same_weight_once_joined():
    tipping = presets.get("peer_tipping")
    plain = CoproductionModel(tipping.replace(peer_support=False), rng=5000)
    network = CoproductionModel(tipping.replace(peer_support=True), rng=5000)
    for model in (plain, network):
        model.state.joined[:] = True
    np.testing.assert_allclose(attendance.peer_pull(plain.batch),
                               attendance.peer_pull(network.batch))
    # ... and counts each involved peer twice towards the threshold
    count = np.full((1, plain.state.n), 3.0)
    np.testing.assert_allclose(attendance.peers_felt(network.batch, count),
                               2 * attendance.peers_felt(plain.batch, count))


def test_email_decisions_cost_people_not_only_trust():
    mixed = presets.get("mixed_methods")
    none, every = mixed.replace(email_decision_share=0.0), mixed.replace(email_decision_share=1.0)
    assert mean(every, "efficacy") <= mean(none, "efficacy") - 0.02  # about -0.05
    assert mean(every, "retention") <= mean(none, "retention") - 0.03  # about -0.06
