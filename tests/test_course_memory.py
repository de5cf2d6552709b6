"""A course that remembers: the plan built in the chapters starts notebook 07's planner,
07 shows the trainee's first guesses beside the model, and start() is idempotent so
every grey box works on its own."""

from coprod_sim.curriculum import start
from coprod_sim.curriculum.activities import ACTIVITIES, Case, Sort


def test_start_returns_the_same_kit_for_a_notebook(tmp_path):
    assert start("03", tmp_path) is start("03", tmp_path)
    assert start("03", tmp_path) is not start("04", tmp_path)


def test_levers_set_in_the_chapters_become_the_plan_07_starts_from(tmp_path):
    start("02", tmp_path).keep_in_plan({"invite_families": True, "invitation_reach": 0.8})
    start("04", tmp_path).keep_in_plan({"hearing_loop": True, "weeks": 104})
    kit = start("07", tmp_path)
    plan = kit.my_plan()
    assert plan.invite_families and plan.hearing_loop and plan.invitation_reach == 0.8
    assert plan.weeks == 52, "a chapter's look-ahead is not part of the plan"
    panel = kit.planner()
    intro = panel.children[1].value
    assert "It starts from the plan you built in the chapters" in intro
    assert "Hearing loop: yes" in intro
    assert kit.my_plan_changes()["hearing_loop"]["chapter"] == "04"


def test_a_damaged_plan_file_falls_back_to_the_usual_plan(tmp_path):
    (tmp_path / "my_plan.json").write_text("{not json")
    kit = start("07", tmp_path)
    assert kit.my_plan_changes() == {} and kit.my_plan().name == "My plan"


def test_07_recalls_first_guesses_beside_the_model(tmp_path):
    from coprod_sim.curriculum.moments import MOMENTS
    kit = start("05", tmp_path)
    kit.reveal(MOMENTS["05_trust"], "Go up")
    kit.reveal(MOMENTS["05_trust"], "Go down")  # a second try is not a first guess
    bets = start("07", tmp_path).my_bets().data
    assert "Megan" in bets and "I predicted: Go up" in bets and "Go down." in bets
    assert bets.count("<tr>") == 2, "a header and one first guess"


def test_activities_ask_first_and_judge_against_the_paper(tmp_path):
    for key, act in ACTIVITIES.items():
        if isinstance(act, Sort):
            right, lines = act.judge({t: box for t, box, _ in act.cards})
            assert right == len(act.cards) and len(lines) == len(act.cards), key
            wrong, _ = act.judge({})
            assert wrong == 0, key
        else:
            assert isinstance(act, Case) and act.best in dict(act.options), key
            ok, lines = act.judge(act.best)
            assert ok and lines[-1].startswith("Source:"), key
            other = next(o for o, _ in act.options if o != act.best)
            assert not act.judge(other)[0], key
    kit = start("01", tmp_path)
    assert kit.activity("01_six_features").children  # the widget builds
