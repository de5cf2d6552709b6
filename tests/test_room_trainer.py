"""The room as a trainer runs it: a reload keeps the question, the reveal judges as the chapters do.

* Reloading the trainer page (a new panel on the same session) showed the first
  question in the picker and a false "another page changed the room's question".
* The trainer's reveal called 16% to 17% "went up" though "stays about the same"
  was an option: it now uses the chapters' own threshold for each outcome.
"""

from __future__ import annotations

import pytest

from coprod_sim.curriculum.moments import MOMENTS
from coprod_sim.room.store import Store
from coprod_sim.room.widget import RoomPanel
from coprod_sim.widgets.charts import about_same, about_same_within


@pytest.fixture
def store(tmp_path):
    s = Store.create_session(tmp_path)
    s.set_meta("join_url", "http://192.168.1.20:8866/join?token=abcdef123")
    yield s
    s.close()


@pytest.mark.parametrize("state", ["open", "closed"])
def test_a_reloaded_page_keeps_the_question_and_says_nothing_false(store, state):
    first = RoomPanel(store)
    key = list(MOMENTS)[3]
    first.ask(key)
    if state == "closed":
        first.close_answers()
    reloaded = RoomPanel(store)  # the same trainer, after pressing reload
    reloaded.refresh(force=True)
    assert reloaded.picker.value == key
    assert "Another dashboard page" not in reloaded.message.value
    # a change made later on another page is still announced
    first.ask(list(MOMENTS)[0])
    reloaded.refresh()
    assert "Another dashboard page" in reloaded.message.value
    assert reloaded.picker.value == list(MOMENTS)[0]


def test_a_fresh_session_starts_at_the_first_question(store):
    assert RoomPanel(store).picker.value == list(MOMENTS)[0]


@pytest.mark.parametrize("outcome, before, after, same", [
    ("participation_rate", 0.16, 0.17, True),  # the case: one point
    ("participation_rate", 0.16, 0.185, False),
    ("trust", 0.50, 0.505, True),
    ("trust", 0.50, 0.52, False),
    ("net_benefit", 1000, 1400, True),
    ("net_benefit", 1000, 1600, False),
    ("cost", 20000, 20300, True),
    ("ladder_score", 2.0, 2.04, True),
])
def test_the_reveal_uses_the_chapters_threshold(outcome, before, after, same):
    assert about_same(outcome, before, after) is same


def test_each_threshold_is_one_the_chapters_use():
    used = {float(m.same_within) for m in MOMENTS.values() if hasattr(m, "same_within")}
    import inspect

    from coprod_sim.curriculum.predict import Direction

    used.add(inspect.signature(Direction.__init__).parameters["same_within"].default)
    from coprod_sim.widgets.charts import KEY_OUTCOMES

    for name in KEY_OUTCOMES:
        assert about_same_within(name) in used, name
    assert 0.01 <= about_same_within("participation_rate") <= 0.03  # one to three points
