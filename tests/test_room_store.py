"""The room's answers in SQLite: none lost under 30 writers at once, one per device, closing."""

from __future__ import annotations

import csv
import io
import multiprocessing
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

from coprod_sim.room.store import (
    MAX_DEVICES,
    QuestionClosed,
    QuestionSpec,
    RoomError,
    Store,
)

CHOICE = QuestionSpec("05_email", "choice", "Will trust go up or down?",
                      options=("Go up", "Go down", "Stay about the same"))
ESTIMATE = QuestionSpec("02_young", "estimate", "What share of 16-34s?", low=0, high=60,
                        step=1, unit="%")


def device(i: int) -> str:
    return f"device-{i:04d}-abcdefghij"


@pytest.fixture
def store(tmp_path):
    s = Store.create_session(tmp_path / "sessions")
    yield s
    s.close()


def test_session_file_is_created_with_its_folder_in_wal_mode(tmp_path):
    s = Store.create_session(tmp_path / "new" / "folder")
    assert s.path.parent == tmp_path / "new" / "folder"
    assert s.path.name.startswith("room-") and s.path.suffix == ".sqlite"
    con = sqlite3.connect(s.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.path.stat().st_mode & 0o077 == 0, "only the trainer's account may read it"
    # a second session in the same second gets its own file
    assert Store.create_session(tmp_path / "new" / "folder").path != s.path


def test_thirty_writers_at_once_are_all_counted(store):
    qid = store.open_question(CHOICE)
    barrier = threading.Barrier(30)
    errors = []

    def answer(i: int) -> None:
        own = Store(store.path)  # each device's request on its own connection
        try:
            barrier.wait()
            own.submit(qid, device(i), choice=CHOICE.options[i % 3])
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)
        finally:
            own.close()

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.answered(qid) == 30
    assert store.counts(qid) == {"Go up": 10, "Go down": 10, "Stay about the same": 10}


def _submit_from_process(args: tuple[str, int, int]) -> int:
    path, qid, i = args
    s = Store(path)
    s.submit(qid, device(i), value=float(i))
    s.close()
    return i


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_thirty_processes_at_once_are_all_counted(store):
    qid = store.open_question(ESTIMATE)
    fork = multiprocessing.get_context("fork")  # children only open their own connection
    with ProcessPoolExecutor(max_workers=6, mp_context=fork) as pool:
        done = list(pool.map(_submit_from_process, [(str(store.path), qid, i)
                                                    for i in range(30)]))
    assert sorted(done) == list(range(30))
    assert store.values(qid) == [float(i) for i in range(30)]


def test_one_answer_per_device_and_question_changes_replace_it(store):
    qid = store.open_question(CHOICE)
    store.submit(qid, device(1), choice="Go up")
    store.submit(qid, device(1), choice="Go down")
    store.submit(qid, device(1), choice="Stay about the same", name="Sam")
    store.submit(qid, device(2), choice="Go down")
    assert store.answered(qid) == 2
    assert store.counts(qid) == {"Go up": 0, "Go down": 1, "Stay about the same": 1}
    assert store.answer_of(qid, device(1)) == {"choice": "Stay about the same",
                                               "value": None, "name": "Sam"}
    # the same device answers the next question separately
    q2 = store.open_question(CHOICE)
    store.submit(q2, device(1), choice="Go up")
    assert store.answered(q2) == 1 and store.answered(qid) == 2


def test_closed_question_takes_no_answers_and_keeps_those_given(store):
    qid = store.open_question(CHOICE)
    store.submit(qid, device(1), choice="Go up")
    store.close_question(qid)
    with pytest.raises(QuestionClosed, match="closed"):
        store.submit(qid, device(2), choice="Go down")
    with pytest.raises(QuestionClosed):
        store.submit(qid, device(1), choice="Go down")  # no change after closing either
    assert store.counts(qid)["Go up"] == 1 and store.answered(qid) == 1
    store.reopen_question(qid)
    store.submit(qid, device(2), choice="Go down")
    assert store.answered(qid) == 2


def test_opening_a_question_closes_the_last_one(store):
    first = store.open_question(CHOICE)
    second = store.open_question(ESTIMATE)
    assert store.question(first).state == "closed"
    assert store.current().id == second and store.current().state == "open"


def test_reveal_keeps_the_result_and_shows_a_summary_to_devices(store):
    qid = store.open_question(CHOICE)
    store.reveal_question(qid, {"answer_text": "Go down", "summary": "Trust fell.",
                                "lines": ["x"]})
    q = store.question(qid)
    assert q.state == "revealed" and q.result["lines"] == ["x"]
    assert q.public()["result"] == {"answer": "Go down", "summary": "Trust fell.", "room": ""}
    with pytest.raises(QuestionClosed):
        store.submit(qid, device(1), choice="Go up")


@pytest.mark.parametrize(("spec", "kwargs", "message"), [
    (CHOICE, {"choice": "Go sideways"}, "choice is 'Go sideways'; allowed: one of 'Go up'"),
    (CHOICE, {"choice": None}, "choice is None; allowed"),
    (CHOICE, {"choice": "Go up", "value": 3}, "asks for a choice"),
    (ESTIMATE, {"value": 61}, "value is 61; allowed: a number from 0 to 60"),
    (ESTIMATE, {"value": -1}, "value is -1; allowed: a number from 0 to 60"),
    (ESTIMATE, {"value": float("nan")}, "value is nan; allowed"),
    (ESTIMATE, {"value": True}, "value is True; allowed"),
    (ESTIMATE, {"value": "30"}, "value is '30'; allowed"),
    (ESTIMATE, {"choice": "30"}, "asks for a number"),
])
def test_answers_are_checked_against_the_question(store, spec, kwargs, message):
    qid = store.open_question(spec)
    with pytest.raises(RoomError, match=message.replace("(", r"\(")):
        store.submit(qid, device(1), **kwargs)
    assert store.answered(qid) == 0


def test_device_name_and_question_are_checked(store):
    qid = store.open_question(CHOICE)
    with pytest.raises(RoomError, match="device is not a valid id"):
        store.submit(qid, "short", choice="Go up")
    with pytest.raises(RoomError, match="name has 41 characters; allowed: up to 40"):
        store.submit(qid, device(1), choice="Go up", name="x" * 41)
    with pytest.raises(RoomError, match="question is 99; allowed"):
        store.submit(99, device(1), choice="Go up")
    store.submit(qid, device(1), choice="Go up", name="  Ann\x00 ")
    assert store.answer_of(qid, device(1))["name"] == "Ann"


def test_the_number_of_devices_per_question_is_capped(store, monkeypatch):
    monkeypatch.setattr("coprod_sim.room.store.MAX_DEVICES", 3)
    qid = store.open_question(CHOICE)
    for i in range(3):
        store.submit(qid, device(i), choice="Go up")
    with pytest.raises(RoomError, match="The room is full"):
        store.submit(qid, device(9), choice="Go up")
    store.submit(qid, device(0), choice="Go down")  # changing an answer is still allowed
    assert MAX_DEVICES >= 100


def test_export_csv_has_one_row_per_answer_and_no_cookie_values(store, tmp_path):
    q1 = store.open_question(CHOICE)
    store.submit(q1, device(1), choice="Go up", name="Ann")
    store.submit(q1, device(2), choice="Go down")
    q2 = store.open_question(ESTIMATE)
    store.submit(q2, device(2), value=25)
    out = store.export(tmp_path / "out" / "answers.csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["question_id"], r["device"], r["answer"]) for r in rows] == [
        (str(q1), "device-1", "Go up"), (str(q1), "device-2", "Go down"),
        (str(q2), "device-2", "25")]
    assert rows[0]["name"] == "Ann" and rows[0]["question"] == CHOICE.text
    assert device(1) not in out.read_text(encoding="utf-8")
    assert not list(out.parent.glob(".*.tmp"))
    # a name cannot become a spreadsheet formula
    store.submit(q2, device(3), value=1, name="=HYPERLINK(\"http://x\")")
    rows = list(csv.DictReader(io.StringIO(store.export_csv())))
    assert rows[-1]["name"] == "'=HYPERLINK(\"http://x\")"
    assert not list(out.parent.glob(".*.tmp"))  # written atomically, nothing left over


def test_opening_a_file_that_is_not_a_session_is_one_clear_error(tmp_path):
    junk = tmp_path / "notes.sqlite"
    junk.write_text("not a database")
    with pytest.raises(RoomError, match="notes.sqlite is not a room session file"):
        Store(junk, create=False)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(RoomError, match="other.sqlite is not a room session file"):
        Store(other, create=False)
    with pytest.raises(RoomError, match="does not exist"):
        Store(tmp_path / "missing.sqlite", create=False)
    assert not (tmp_path / "missing.sqlite").exists()


def test_question_specs_are_checked():
    with pytest.raises(RoomError, match="options has 1 answers; allowed: 2 or more"):
        QuestionSpec("k", "choice", "?", options=("only",))
    with pytest.raises(RoomError, match="low and high are 5 and 5"):
        QuestionSpec("k", "estimate", "?", low=5, high=5)
    with pytest.raises(RoomError, match="kind is 'poll'"):
        QuestionSpec("k", "poll", "?")


def test_export_from_the_command_line(store, tmp_path, capsys):
    from coprod_sim import cli

    qid = store.open_question(CHOICE)
    store.submit(qid, device(1), choice="Go up")
    store.submit(qid, device(2), choice="Go down")
    out = tmp_path / "answers.csv"
    assert cli.main(["room", "export", str(store.path), "--out", str(out)]) == 0
    assert "Wrote 2 answers to 1 questions" in capsys.readouterr().out
    assert len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))) == 2
    assert cli.main(["room", "export", str(store.path), "--out", str(tmp_path / "a.txt")]) == 2
    assert "--out is" in capsys.readouterr().err
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"junk" * 100)
    before = junk.read_bytes()
    assert cli.main(["room", "export", str(junk), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a room session file" in err
    assert junk.read_bytes() == before and len(out.read_text().splitlines()) == 3
