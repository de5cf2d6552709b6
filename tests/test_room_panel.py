"""The trainer's room panel, driven from Python: questions from the curriculum and from
the plan on screen, the live count, reveal beside the room's answers, CSV export."""

from __future__ import annotations

import csv
import importlib.util
import io

import pytest

from coprod_sim.curriculum.moments import MOMENTS
from coprod_sim.room import attach_room
from coprod_sim.room.questions import PLAN_OPTIONS, moment_spec, plan_spec, room_verdict
from coprod_sim.room.store import Store
from coprod_sim.room.widget import RoomPanel, bars_html
from coprod_sim.widgets import Trainer

HAS_EXPLAIN = importlib.util.find_spec("coprod_sim.explain") is not None


def device(i: int) -> str:
    return f"phone-{i:03d}-0123456789"


@pytest.fixture
def store(tmp_path):
    s = Store.create_session(tmp_path)
    s.set_meta("join_url", "http://192.168.1.20:8866/join?token=abcdef123")
    yield s
    s.close()


@pytest.fixture(scope="module")
def trainer():
    return Trainer(replicates=1)


def test_every_moment_becomes_a_room_question():
    for key, m in MOMENTS.items():
        spec = moment_spec(key)
        assert spec.text == m.question
        if m.options:
            assert spec.kind == "choice" and spec.options == tuple(m.options)
        else:
            assert spec.kind == "estimate" and spec.low == m.low and spec.high == m.high
    assert moment_spec("02_young").unit == "%" and moment_spec("06_payback").unit == "week"


def test_without_a_room_the_trainer_has_no_panel(trainer, monkeypatch):
    for name in ("COPROD_ROOM_SESSION", "COPROD_ROOM_TOKEN", "COPROD_ROOM_URL"):
        monkeypatch.delenv(name, raising=False)
    assert attach_room(trainer) is None and trainer.room is None


def test_attached_to_a_room_the_trainer_shows_the_join_code(store, monkeypatch):
    monkeypatch.setenv("COPROD_ROOM_SESSION", str(store.path))
    t = Trainer(replicates=1)
    assert isinstance(t.room, RoomPanel) and t.children[-1] is t.room
    assert "coprod-room-qr" in t.room.join.value
    assert "http://192.168.1.20:8866/join?token=abcdef123" in t.room.join.value


def test_a_moment_asked_counted_and_revealed(store):
    panel = RoomPanel(store)
    qid = panel.ask("05_email")
    assert store.current().key == "05_email" and store.current().state == "open"
    options = store.question(qid).options  # the moment's own: Plan A, Plan B, About the same
    assert len(options) == 3
    for i in range(12):
        store.submit(qid, device(i), choice=options[i % 3])
    panel.refresh()
    assert "<b>12</b> have answered" in panel.count.value
    assert "4 (33%)" in panel.bars.value
    result = panel.reveal()
    assert store.current().state == "revealed"
    assert result["answer"] in options
    assert result["room"].startswith("4 of 12 in the room (33%) chose the model's answer")
    assert any(line.startswith("Why: ") for line in result["lines"])
    assert 'class="model"' in panel.bars.value  # the model's answer marked on the room's bars
    assert "The model's answer" in panel.model.value
    if HAS_EXPLAIN:
        assert result["reasons"], "the explain module gives reasons"


def test_an_estimate_shows_a_histogram_and_the_rooms_middle_guess(store):
    panel = RoomPanel(store)
    qid = panel.ask("02_young")
    for i, v in enumerate((5, 10, 20, 30, 55)):
        store.submit(qid, device(i), value=v)
    panel.refresh()
    assert "middle guess: <b>20%</b>" in panel.bars.value
    result = panel.reveal()
    assert result["answer_text"].endswith("%")
    assert "The room's middle guess was 20%" in result["room"]


def test_the_plan_on_screen_the_room_predicts_then_the_trainer_reveals(store, trainer):
    panel = RoomPanel(store, trainer=trainer)
    trainer.predict_outcome.value = "participation_rate"
    qid = panel.ask("plan")
    assert trainer.hide.value, "results are hidden while the room predicts"
    assert store.question(qid).options == PLAN_OPTIONS
    assert store.question(qid).text == plan_spec("participation_rate").text
    trainer.panel.set(pay_expenses=True)
    for i in range(3):
        store.submit(qid, device(i), choice="Go up")
    store.submit(qid, device(9), choice="Go down")
    panel.refresh()
    assert trainer.prediction.value == "Go up", "'The room predicts' follows the room"
    result = panel.reveal()
    assert not trainer.hide.value
    assert result["answer"] in PLAN_OPTIONS
    assert result["lines"][0].startswith("Taking part")
    assert "The room" in trainer.verdict.value  # the trainer's own verdict uses the room's


def test_export_writes_a_csv_beside_the_session_and_offers_a_download(store):
    panel = RoomPanel(store)
    qid = panel.ask("05_email")
    store.submit(qid, device(1), choice="Plan B", name="Ann")
    path = panel.export()
    assert path == store.path.with_suffix(".csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [(r["answer"], r["name"]) for r in rows] == [("Plan B", "Ann")]
    assert 'download="' in panel.export_link.value
    assert "Saved 1 answers" in panel.message.value


def test_bars_with_no_answers_and_verdict_with_nobody(store):
    qid = store.open_question(moment_spec("05_email"))
    q = store.question(qid)
    assert "No answers yet" in bars_html(q, {o: 0 for o in q.options})
    assert room_verdict("choice", {"answer": "Go down"}, {}) == \
        "Nobody in the room answered this question."


def test_a_page_says_when_another_page_changed_the_question(store):
    mine, other = RoomPanel(store), RoomPanel(store)
    mine.ask("05_email")
    other.refresh()
    assert "Another dashboard page" in other.message.value
    mine.refresh()
    assert "Another dashboard page" not in mine.message.value
    other.close_answers()
    mine.refresh()
    assert "Another dashboard page" in mine.message.value


def test_a_plan_question_is_revealed_on_the_page_that_asked_it(store, trainer):
    asker = RoomPanel(store, trainer=trainer)
    other = RoomPanel(store, trainer=trainer)
    qid = asker.ask("plan")
    assert other.reveal() is None
    assert "reveal it there" in other.message.value
    assert store.question(qid).state == "open"
    assert asker.reveal()["answer"] in PLAN_OPTIONS
