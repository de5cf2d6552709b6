"""Smoke tests: every entry point runs with no arguments (as Mesa's examples do)."""

import numpy as np

from coprod_sim import CoproductionModel, presets, run
from coprod_sim.outcomes import NUMERIC


def test_model_with_no_arguments_runs_ten_steps():
    model = CoproductionModel()
    for _ in range(10):
        model.step()
    assert model.week == 10
    assert len(model.datacollector.model_vars["week"]) == 10


def test_every_preset_runs_and_reports_finite_outcomes():
    for name in presets.names():
        result = run(presets.get(name), seed=3, weeks=20)
        assert len(result.weekly) == 20, name
        values = result.weekly[list(NUMERIC)].to_numpy(dtype=float)
        assert np.isfinite(values).all(), name
