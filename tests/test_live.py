"""One live control per chapter: moving a lever reruns the plan and redraws the people."""

import pytest

from coprod_sim.curriculum import start
from coprod_sim.curriculum.live import LiveLever
from coprod_sim.presets import get


def test_moving_a_lever_reruns_and_redraws(tmp_path, monkeypatch):
    monkeypatch.setenv("COPROD_WORK_DIR", str(tmp_path))
    kit = start("05")
    kit.live("feedback_rationale", outcome="retention", plan=get("default").replace(
        power_sharing=0.3))
    panel = kit.live_panels[0]
    before = panel.picture.data["status"]
    panel.controls["feedback_rationale"].value = True
    assert panel.history.scenario.feedback_rationale
    assert panel.picture.data["status"] != before
    assert len(panel.picture.data["chart"]["lines"]) == 2, "the plan before stays, dashed"
    assert "Before you changed anything" in panel.status.value
    assert "Megan" in panel.stories.value


def test_levers_and_outcomes_are_checked():
    with pytest.raises(ValueError, match="one or two names"):
        LiveLever(get("default"), ["nonsense"], "trust")
    with pytest.raises(ValueError, match="outcome is"):
        LiveLever(get("default"), ["buddying"], "nonsense")
