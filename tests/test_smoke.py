"""Smoke tests: every entry point runs with no arguments (as Mesa's examples do)."""

import numpy as np

from coprod_sim import CoproductionModel, presets, run
from coprod_sim.outcomes import MAY_NOT_APPLY, NUMERIC


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
        always = [k for k in NUMERIC if k not in MAY_NOT_APPLY]
        values = result.weekly[always].to_numpy(dtype=float)
        assert np.isfinite(values).all(), name
        # an outcome that does not apply (no meeting yet) is missing, never infinite
        values = result.weekly[list(MAY_NOT_APPLY)].to_numpy(dtype=float)
        assert not np.isinf(values).any(), name


def test_agents_are_readable_views_of_the_state_and_agentsets_work():
    model = CoproductionModel(presets.get("mixed_methods"), rng=4)
    for _ in range(13):
        model.step()
    assert len(model.people) == model.levers.n_people
    assert len(model.staff) == model.levers.n_staff
    person = model.people.to_list()[7]
    assert person.trust == model.state.trust[7]
    assert person.role in ("patient", "carer", "family", "community")
    assert all(p in model.people for p in person.peers)
    assert np.isclose(model.people.agg("trust", np.mean), model.state.trust.mean())
    took_part = model.people.select(lambda p: p.times > 0)
    assert len(took_part) == int(model.state.ever_part.sum())
    missing = model.missing()
    never = model.state.reached & (model.state.times == 0)
    assert sum(missing.values()) == int(never.sum())
    managers = model.staff.select(lambda s: s.manager)
    assert len(managers) == int(model.staff_state.manager.sum())


def test_five_thousand_people_run_without_code_changes():
    result = run(presets.get("full_coproduction"), seed=0, weeks=4, n_people=5000, n_staff=100)
    assert len(result.people) == 5000
    assert result.summary["peak_participants"] > 500
