"""Peers and thresholds: peer support changes who joins and who stays, and joining can tip.

Briefing paper: "engaging peer support networks is an effective way of
transferring knowledge and supporting change" (Boyle et al. 2010, the fourth
characteristic). Joining follows a threshold model (Granovetter 1978): a
person is pulled in once enough of their peers are involved. Effects are means
over fixed seeds, with the size stated in each test.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from coprod_sim import presets, run
from coprod_sim.mechanisms.attendance import TIPPING
from coprod_sim.model import CoproductionModel

SEEDS = range(8)


@cache
def tail(name: str, seed: int, **changes) -> dict:
    r = run(presets.get(name), seed=seed, **changes)
    return {**r.weekly.iloc[-13:].mean(numeric_only=True).to_dict(),
            "ever": r.summary["ever_took_part"]}


def mean(name: str, key: str, **changes) -> float:
    return float(np.mean([tail(name, s, **changes)[key] for s in SEEDS]))


def test_peer_support_changes_who_joins_and_who_stays_by_a_visible_size():
    without = dict(peer_support=False)
    with_ = dict(peer_support=True)
    # at least 5 percentage points more take part, and 5 more of those who took part stay
    assert mean("default", "participation_rate", **with_) >= \
        mean("default", "participation_rate", **without) + 0.05
    assert mean("default", "retention", **with_) >= mean("default", "retention", **without) + 0.05


def test_peers_bring_in_people_the_invitations_missed():
    joined = []
    for seed in range(4):
        model = CoproductionModel(presets.get("peer_tipping"), rng=seed)
        first = model.state.reached.copy()
        for _ in range(52):
            model.step()
        joined.append(np.mean(model.state.ever_part[~first]))
    assert np.mean(joined) >= 0.1  # a tenth of the people first missed take part


@pytest.mark.slow
def test_joining_tips_a_small_change_in_reach_gives_a_sharp_change_in_participation():
    """Granovetter (1978): once enough seeds are involved, joining cascades.

    Over TIPPING's range (reach 0.05 to 0.5, 4 seeds) the model shows about 4%
    ever taking part at the lowest reach, steps of 0.13-0.14 for 0.025 more reach
    between 0.05 and 0.125, 0.49 at a reach of 0.15 (0.44 more than at 0.05) and
    about 80% at the top; without peer recruitment reach alone moves it from 4% to
    42% smoothly (about 0.02 a step, 0.08 from 0.05 to 0.15).

    The single-step floor was 0.15 when the cascade reached about 96% (a step of
    0.25 from 0.1). Wariness of ignored views, spread by word of mouth on the same
    peer network, now damps the cascade: with it switched off (constant
    wariness_weight 0 or word_of_mouth 0) the steepest step is 0.18 and the top
    0.87; with it 0.137 and 0.80. So the single-step floor is 0.12, and the tip is
    also asked for over four steps (0.05 -> 0.15: at least 0.3 more with peers,
    and at least four times what reach alone adds), which the noise of one step
    over 4 seeds cannot pass or fail on its own.
    """
    lever, (lo, hi), step = TIPPING["lever"], TIPPING["range"], TIPPING["step"]
    values = np.round(np.arange(lo, hi + 1e-9, step), 4)
    seeds = range(4)

    def curve(**changes):
        return np.array([np.mean([run(presets.get(TIPPING["preset"]), seed=s,
                                      weeks=TIPPING["weeks"], **{lever: float(v)}, **changes)
                                  .summary[TIPPING["outcome"]] for s in seeds])
                         for v in values])

    peers = curve()
    alone = curve(mech_peer_recruitment=False)
    jump = np.diff(peers)
    # the sharpest step: at least 0.12 more ever take part for 0.025 more reach ...
    assert jump.max() >= 0.12, peers.round(2)
    # ... and from 0.05 to 0.15 reach at least 0.3 more, four times what reach alone adds
    near = int(np.argmin(np.abs(values - (lo + 4 * step))))
    assert peers[near] - peers[0] >= 0.3, peers.round(2)
    assert peers[near] - peers[0] >= 4 * (alone[near] - alone[0]), (peers.round(2),
                                                                   alone.round(2))
    # ... at least three times the curve's own average step (a tip, not a slope) ...
    assert jump.max() >= 3 * jump.mean(), peers.round(2)
    # ... and at least four times the average step of the same range without peers
    assert jump.max() >= 4 * np.diff(alone).mean(), (peers.round(2), alone.round(2))
    # below the tip peers add little (within 5 points); at the top of the range
    # the cascade has brought in at least 1.8 times as many as reach alone
    assert peers[0] <= alone[0] + 0.05, (peers.round(2), alone.round(2))
    assert peers[-1] >= 1.8 * alone[-1], (peers.round(2), alone.round(2))
