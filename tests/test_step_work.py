"""Each step of a step model does its own named work (mechanisms.steps).

With every stage open to users (so how a model labels its weeks does not matter to
adoption), step models differ for reasons a trainee can name, and the differences
vanish with the steps switched off. Seeds 5000-5023 (never used to fit).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from coprod_sim import CoproductionModel, Scenario
from coprod_sim.batch import Batch
from coprod_sim.calibration.patterns import ALL_STAGES
from coprod_sim.mechanisms import decisions
from coprod_sim.presets import PATHWAYS

SEEDS = list(range(5000, 5024))


@cache
def figure(pathway: str, outcome: str, steps: bool = True) -> float:
    sc = Scenario(pathway=pathway, mech_step_actions=steps, **ALL_STAGES)
    tables = Batch([sc] * len(SEEDS), SEEDS).run().recorder.tables()
    return float(np.nanmean([t[outcome].iloc[-13:].mean() for t in tables]))


@pytest.mark.parametrize(("pathway", "outcome", "floor"), [
    ("nhs_sph", "influence", 0.025),          # identifying needs, partnerships: about +0.055
    ("1000_lives", "voice_equality", 0.025),  # co-creating the vision: about +0.047
    ("cafa", "participation_rate", 0.025),    # identifying every group, engaging: about +0.059
])
def test_step_models_differ_by_what_their_steps_do(pathway, outcome, floor):
    assert figure(pathway, outcome) - figure("none", outcome) >= floor
    assert abs(figure(pathway, outcome, False) - figure("none", outcome, False)) <= 0.002


def test_each_source_step_names_its_own_action():
    actions = {name: [s.action for s in steps] for name, steps in PATHWAYS.items()}
    assert actions["cafa"] == ["identify", "engage", "support", "govern", "deliver"]
    assert actions["nhs_sph"] == ["engage", "partner", "needs", "clarify", "deliver"]
    assert actions["1000_lives"] == ["alliance", "assets", "vision", "design", "deliver",
                                     "evaluate"]


def test_agreed_governance_lowers_resistance_to_adoption():
    model = CoproductionModel(Scenario(organisational_resistance=1.0), rng=5000)
    b = model.batch
    before = float(decisions.adoption_chance(b, np.zeros((1, 1), dtype=int))[0, 0])
    b.governance[:] = 1.0
    after = float(decisions.adoption_chance(b, np.zeros((1, 1), dtype=int))[0, 0])
    assert after >= before + 0.03


def test_identifying_needs_puts_concerns_on_the_agenda():
    def agenda(pathway):
        sc = Scenario(pathway=pathway, use_forum=False, **ALL_STAGES)
        b = Batch([sc] * 8, SEEDS[:8]).run()
        return float(b.state.on_agenda.mean())
    # a questionnaire alone hears nothing new: the agenda stays at the starting share
    # (0.3); NHS SPH's needs step adds the concerns of the people involved
    assert agenda("nhs_sph") >= agenda("none") + 0.02
