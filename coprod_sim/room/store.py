"""A room session's questions and answers, kept in one SQLite file.

One file per session (``room-YYYYMMDD-HHMMSS.sqlite`` in the folder the
trainer chooses). The join page's server writes answers; the trainer's
dashboard (another process) opens and closes questions and reads the counts.
SQLite in WAL mode lets them do that at once: readers never block the writer,
and writers wait (``busy_timeout``) instead of failing. Each answer is one
row per device and question (an *upsert*), so a trainee who changes their mind
replaces their answer, and 30 devices answering together are all counted.

Nothing personal is needed: a device is a random id kept in a cookie, and a
name is optional.

Example::

    store = Store.create_session("room_sessions")
    qid = store.open_question(QuestionSpec("demo", "choice", "Up or down?",
                                           options=("Up", "Down")))
    store.submit(qid, "a-device-id-0000", choice="Up")
    store.counts(qid)      # {"Up": 1, "Down": 0}
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import secrets
import sqlite3
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Schema version written in the ``meta`` table.
SCHEMA_VERSION = "1"

#: Environment variable holding the session file's path (read by the trainer's panel).
SESSION_ENV = "COPROD_ROOM_SESSION"

#: Most devices that may answer one question (a cap, so a script cannot fill the disk).
MAX_DEVICES = 500

#: Longest optional name kept, in characters.
MAX_NAME = 40

#: Seconds a writer waits for another writer before giving up.
BUSY_TIMEOUT_S = 10.0

DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

#: A session used this recently (hours) is carried on by default when the server
#: restarts with the same room folder (a restart in the middle of a class); an
#: older one is left as it is and a new session starts (the next class).
CONTINUE_HOURS = 3.0

#: Largest question id SQLite can hold (an id from a browser is checked against it).
MAX_ID = 2**63 - 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('choice', 'estimate')),
    text TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    low REAL, high REAL, step REAL,
    unit TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'revealed')),
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    result TEXT
);
CREATE TABLE IF NOT EXISTS answers (
    question_id INTEGER NOT NULL REFERENCES questions(id),
    device TEXT NOT NULL,
    choice TEXT,
    value REAL,
    name TEXT NOT NULL DEFAULT '',
    first_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    changes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (question_id, device)
);
"""


def room_dir(folder: str | os.PathLike | None = None) -> Path:
    """The folder for session files, as an absolute path (nothing is created here).

    ``folder`` when given (``--room-dir``); else ``$COPROD_ROOM_DIR``; else ``room``
    in the kit's work folder (``$COPROD_WORK_DIR``, else ``my_work`` in the current
    folder: the kit's top folder when started with ``./kit``).
    """
    chosen = folder or os.environ.get("COPROD_ROOM_DIR")
    if chosen:
        return Path(chosen).expanduser().resolve()
    return (Path(os.environ.get("COPROD_WORK_DIR") or "my_work") / "room").resolve()


def find_session(folder: str | os.PathLike, token: str) -> Path | None:
    """The newest session file in ``folder`` started for the room token ``token``."""
    want = token_hash(token)
    for path in sorted(Path(folder).glob("room-*.sqlite"), key=lambda p: p.stat().st_mtime,
                       reverse=True):
        try:
            s = Store(path, create=False)
            found = s.meta("token_hash")
            s.close()
        except RoomError:
            continue
        if found == want:
            return path
    return None


@dataclass(frozen=True)
class Continued:
    """A session to carry on with: its file, its join token, and its open question."""

    path: Path
    join_token: str | None
    question: str | None


def last_used(path: Path) -> float:
    """When a session file (or its write-ahead log) last changed (seconds since the epoch)."""
    times = []
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            times.append(p.stat().st_mtime)
        except OSError:
            pass
    return max(times, default=0.0)


def choose_session(folder: str | os.PathLike, want_continue: bool = False,
                   want_new: bool = False, now_s: float | None = None
                   ) -> tuple[Continued | None, str]:
    """Which session a server starting on ``folder`` uses, and one line saying so.

    ``want_new``: a new session. ``want_continue``: the newest session in the folder
    (a RoomError when there is none). Neither: the newest session when it was used
    in the last :data:`CONTINUE_HOURS` hours (a restart during a class), else a new
    one (the next class). Returns ``(None, line)`` for a new session.
    """
    folder = Path(folder)
    if want_new:
        return None, "Starting a new room session (--new-session)."
    try:
        found = sorted(folder.glob("room-*.sqlite"), key=last_used, reverse=True)
    except OSError:
        found = []
    newest, used = None, 0.0
    for path in found:
        used = last_used(path)  # (before opening it: a reader may touch its log)
        try:
            store = Store(path, create=False)
            current = store.current()
            join_url = store.meta("join_url") or ""
            store.close()
        except (RoomError, sqlite3.Error, OSError, ValueError):
            continue
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(join_url).query)
        token = (query.get("token") or [None])[0]
        question = current.text if current is not None and current.state == "open" else None
        newest = Continued(path, token, question)
        break
    if newest is None:
        if want_continue:
            raise RoomError(f"--continue: there is no room session in {folder} to carry on "
                            "with; allowed: leave out --continue to start one")
        return None, "Starting a new room session."
    age_h = ((time.time() if now_s is None else now_s) - used) / 3600
    if not want_continue and age_h > CONTINUE_HOURS:
        return None, (f"Starting a new room session (the last one, {newest.path.name}, was "
                      f"used {age_h:.0f} hours ago; --continue carries on with it).")
    open_q = (f" Its open question: {newest.question!r}." if newest.question else "")
    return newest, (f"Carrying on with the room session {newest.path.name}: its answers "
                    f"are kept and the join address is the same.{open_q} "
                    "(--new-session starts an empty one.)")


def device_key(store: Store) -> str:
    """The session's secret for signing device ids (made on first use, kept in the file)."""
    key = store.meta("device_key")
    if not key:
        con = store._con()
        with _write(con):
            con.execute("INSERT OR IGNORE INTO meta VALUES ('device_key', ?)",
                        (secrets.token_hex(32),))
        key = store.meta("device_key")
    return str(key)


def token_hash(token: str) -> str:
    """What a session file keeps of its room token (a hash, never the token)."""
    return hashlib.sha256(f"coprod-room-session:{token}".encode()).hexdigest()


class RoomError(ValueError):
    """An answer or file that is not allowed; the message is one plain line."""


class QuestionClosed(RoomError):
    """The question no longer takes answers."""


def now() -> str:
    """The time now, UTC, as ISO 8601 to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class QuestionSpec:
    """A question to put to the room.

    Attributes:
        key: Where it comes from (a curriculum moment's key, or ``"plan:<outcome>"``).
        kind: ``"choice"`` (one of ``options``) or ``"estimate"`` (a number, a slider).
        text: The question in plain words.
        options: The answers to choose from (choice questions).
        low: Smallest allowed estimate.
        high: Largest allowed estimate.
        step: Slider step.
        unit: Shown after an estimate (``"%"``, ``"week"``).
    """

    key: str
    kind: str
    text: str
    options: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("choice", "estimate"):
            raise RoomError(f"kind is {self.kind!r}; allowed: 'choice' or 'estimate'")
        if self.kind == "choice" and len(self.options) < 2:
            raise RoomError(f"options has {len(self.options)} answers; allowed: 2 or more")
        if self.kind == "estimate" and (self.low is None or self.high is None
                                        or not self.low < self.high):
            raise RoomError(f"low and high are {self.low!r} and {self.high!r}; "
                            "allowed: two numbers, low below high")


@dataclass(frozen=True)
class Question(QuestionSpec):
    """A question as stored: its id, state and (once revealed) the model's result."""

    id: int = 0
    state: str = "open"
    opened_at: str = ""
    closed_at: str | None = None
    result: dict[str, Any] | None = field(default=None, compare=False)

    def public(self) -> dict[str, Any]:
        """What a trainee's device may see of this question."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "text": self.text,
                               "state": self.state}
        if self.kind == "choice":
            out["options"] = list(self.options)
        else:
            out.update(low=self.low, high=self.high, step=self.step or 1, unit=self.unit)
        if self.state == "revealed" and self.result:
            out["result"] = {"answer": self.result.get("answer_text", ""),
                             "summary": self.result.get("summary", ""),
                             "room": self.result.get("room", "")}
        return out


class Store:
    """One session's SQLite file. Safe to use from several threads and processes.

    Args:
        path: The session file; created (with its folder) when ``create`` is true.
        create: Create the file if missing. When false, the file must exist and be a
            room file, and it is opened read-only (for exporting).

    Raises:
        RoomError: the file is missing (``create=False``) or is not a room session.
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True):
        self.path = Path(path)
        self.read_only = not create
        self._local = threading.local()
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_file():
            raise RoomError(f"session file {self.path} does not exist")
        try:
            con = self._con()
            if create:
                with _write(con):
                    for stmt in filter(str.strip, _SCHEMA.split(";")):
                        con.execute(stmt)
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                                (SCHEMA_VERSION,))
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('created', ?)", (now(),))
            version = self.meta("schema")
        except sqlite3.DatabaseError as err:
            raise RoomError(f"{self.path.name} is not a room session file ({err})") from None
        if version is None:
            raise RoomError(f"{self.path.name} is not a room session file")

    @classmethod
    def create_session(cls, folder: str | os.PathLike) -> Store:
        """Start a new session file in ``folder`` (created on first use)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        n = 1
        while True:
            path = folder / (f"room-{stamp}.sqlite" if n == 1 else f"room-{stamp}-{n}.sqlite")
            try:  # readable by the trainer's account only (SQLite gives its -wal the same)
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                n += 1
                continue
            return cls(path)

    # -- connections ---------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            if self.read_only:  # never change a file we were only asked to read
                con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                      timeout=BUSY_TIMEOUT_S, isolation_level=None)
            else:
                con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S,
                                      isolation_level=None)
            con.row_factory = sqlite3.Row
            con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if not self.read_only:
                mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":  # pragma: no cover - a file system without WAL
                    raise RoomError(f"{self.path} cannot use WAL mode (got {mode})")
                con.execute("PRAGMA synchronous = NORMAL")
                con.execute("PRAGMA foreign_keys = ON")
            self._local.con = con
        return con

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # -- meta ------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        """A value of the session's ``meta`` table (None when unset)."""
        row = self._con().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the ``meta`` table (for example the join address)."""
        con = self._con()
        with _write(con):
            con.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                        "SET value = excluded.value", (key, value))

    # -- questions -------------------------------------------------------------
    def open_question(self, spec: QuestionSpec) -> int:
        """Put a question to the room; any other open question is closed. Returns its id."""
        con = self._con()
        stamp = now()
        with _write(con):
            con.execute("UPDATE questions SET state = 'closed', closed_at = ? "
                        "WHERE state = 'open'", (stamp,))
            cur = con.execute(
                "INSERT INTO questions (key, kind, text, options, low, high, step, unit, "
                "state, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                (spec.key, spec.kind, spec.text, json.dumps(list(spec.options)), spec.low,
                 spec.high, spec.step, spec.unit, stamp))
            qid = int(cur.lastrowid)
            con.execute("INSERT INTO meta VALUES ('current', ?) ON CONFLICT(key) DO UPDATE "
                        "SET value = excluded.value", (str(qid),))
        return qid

    def reopen_question(self, qid: int) -> None:
        """Take answers again for a closed question (other open ones are closed)."""
        con = self._con()
        with _write(con):
            self._get(con, qid)
            con.execute("UPDATE questions SET state = 'closed', closed_at = ? "
                        "WHERE state = 'open' AND id != ?", (now(), qid))
            con.execute("UPDATE questions SET state = 'open', closed_at = NULL, result = NULL "
                        "WHERE id = ?", (qid,))
            con.execute("INSERT INTO meta VALUES ('current', ?) ON CONFLICT(key) DO UPDATE "
                        "SET value = excluded.value", (str(qid),))

    def close_question(self, qid: int) -> None:
        """Stop taking answers for a question (answers so far are kept)."""
        con = self._con()
        with _write(con):
            self._get(con, qid)
            con.execute("UPDATE questions SET state = 'closed', closed_at = ? "
                        "WHERE id = ? AND state = 'open'", (now(), qid))

    def reveal_question(self, qid: int, result: dict[str, Any]) -> None:
        """Close a question and keep the model's result (shown on the devices too)."""
        con = self._con()
        with _write(con):
            self._get(con, qid)
            con.execute("UPDATE questions SET state = 'revealed', result = ?, "
                        "closed_at = COALESCE(closed_at, ?) WHERE id = ?",
                        (json.dumps(result), now(), qid))

    def question(self, qid: int) -> Question:
        """A question by id (raises RoomError when there is none)."""
        return self._get(self._con(), qid)

    def current(self) -> Question | None:
        """The question the devices show now (the last one opened), or None."""
        value = self.meta("current")
        return None if value is None else self.question(int(value))

    def questions(self) -> list[Question]:
        """Every question of the session, oldest first."""
        rows = self._con().execute("SELECT * FROM questions ORDER BY id").fetchall()
        return [_question(r) for r in rows]

    def _get(self, con: sqlite3.Connection, qid: int) -> Question:
        if isinstance(qid, bool) or not isinstance(qid, int) or not 0 < qid <= MAX_ID:
            raise RoomError(f"question is {repr(qid)[:40]}; allowed: the id of a question "
                            "of this session")
        row = con.execute("SELECT * FROM questions WHERE id = ?", (qid,)).fetchone()
        if row is None:
            raise RoomError(f"question is {qid!r}; allowed: the id of a question of "
                            "this session")
        return _question(row)

    # -- answers ---------------------------------------------------------------
    def submit(self, qid: int, device: str, *, choice: str | None = None,
               value: float | None = None, name: str = "") -> Question:
        """Record (or replace) one device's answer to an open question.

        Returns:
            The question answered.

        Raises:
            QuestionClosed: the question no longer takes answers.
            RoomError: the device id, the answer or the name is not allowed.
        """
        if not isinstance(device, str) or not DEVICE_RE.match(device):
            raise RoomError("device is not a valid id; allowed: 16 to 64 letters, digits, "
                            "'-' or '_' (open the join page again)")
        name = clean_name(name)
        con = self._con()
        with _write(con):
            q = self._get(con, qid)
            if q.state != "open":
                raise QuestionClosed("This question is closed: the trainer has stopped "
                                     "taking answers.")
            choice, value = validate_answer(q, choice, value)
            stamp = now()
            cur = con.execute(
                "UPDATE answers SET choice = ?, value = ?, name = ?, updated_at = ?, "
                "changes = changes + 1 WHERE question_id = ? AND device = ?",
                (choice, value, name, stamp, qid, device))
            if cur.rowcount == 0:
                n = con.execute("SELECT COUNT(*) FROM answers WHERE question_id = ?",
                                (qid,)).fetchone()[0]
                if n >= MAX_DEVICES:
                    raise RoomError(f"The room is full: {MAX_DEVICES} devices have "
                                    "answered this question already.")
                con.execute(
                    "INSERT INTO answers (question_id, device, choice, value, name, first_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (qid, device, choice, value, name, stamp, stamp))
        return q

    def answer_of(self, qid: int, device: str) -> dict[str, Any] | None:
        """One device's answer to a question (``choice``, ``value``, ``name``), or None."""
        row = self._con().execute(
            "SELECT choice, value, name FROM answers WHERE question_id = ? AND device = ?",
            (qid, device)).fetchone()
        return None if row is None else dict(row)

    def answered(self, qid: int) -> int:
        """How many devices have answered a question."""
        return int(self._con().execute("SELECT COUNT(*) FROM answers WHERE question_id = ?",
                                       (qid,)).fetchone()[0])

    def counts(self, qid: int) -> dict[str, int]:
        """How many chose each option of a choice question, in the options' order."""
        q = self.question(qid)
        rows = self._con().execute(
            "SELECT choice, COUNT(*) FROM answers WHERE question_id = ? GROUP BY choice",
            (qid,)).fetchall()
        got = {r[0]: int(r[1]) for r in rows}
        return {o: got.get(o, 0) for o in q.options}

    def values(self, qid: int) -> list[float]:
        """Every estimate given for a question (one per device), smallest first."""
        rows = self._con().execute(
            "SELECT value FROM answers WHERE question_id = ? AND value IS NOT NULL "
            "ORDER BY value", (qid,)).fetchall()
        return [float(r[0]) for r in rows]

    def devices(self) -> int:
        """How many different devices have answered anything this session."""
        return int(self._con().execute(
            "SELECT COUNT(DISTINCT device) FROM answers").fetchone()[0])

    # -- export ----------------------------------------------------------------
    def export_csv(self) -> str:
        """Every answer of the session as CSV text (one row per device and question).

        Devices are shown as short pseudonyms (``device-1``, ...) numbered in the
        order they first answered, so the file holds no cookie values.
        """
        con = self._con()
        rows = con.execute(
            "SELECT q.id AS qid, q.key, q.text, q.kind, q.state, a.device, a.name, a.choice, "
            "a.value, a.first_at, a.updated_at, a.changes FROM answers a "
            "JOIN questions q ON q.id = a.question_id ORDER BY q.id, a.first_at, a.device"
        ).fetchall()
        order = con.execute("SELECT device FROM answers GROUP BY device "
                            "ORDER BY MIN(first_at), device").fetchall()
        alias = {r[0]: f"device-{i}" for i, r in enumerate(order, 1)}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["session", "question_id", "question_key", "question", "kind",
                         "state", "device", "name", "answer", "first_answered",
                         "last_changed", "changes"])
        session = self.path.stem
        for r in rows:
            answer = r["choice"] if r["kind"] == "choice" else _num(r["value"])
            writer.writerow([session, r["qid"], r["key"], r["text"], r["kind"], r["state"],
                             alias[r["device"]], _cell(r["name"]), answer, r["first_at"],
                             r["updated_at"], r["changes"]])
        return out.getvalue()

    def export(self, out: str | os.PathLike) -> Path:
        """Write :meth:`export_csv` to ``out`` atomically; return the path written."""
        from coprod_sim.fileio import atomic_write

        return atomic_write(out, self.export_csv())


def validate_answer(q: Question, choice: Any, value: Any) -> tuple[str | None, float | None]:
    """Check an answer against its question; return ``(choice, value)`` to store.

    Raises:
        RoomError: one line naming what was given and what is allowed.
    """
    if q.kind == "choice":
        if value is not None:
            raise RoomError("value is given, but this question asks for a choice")
        if not isinstance(choice, str) or choice not in q.options:
            shown = repr(choice)[:60]
            raise RoomError(f"choice is {shown}; allowed: one of "
                            + ", ".join(repr(o) for o in q.options))
        return choice, None
    if choice is not None:
        raise RoomError("choice is given, but this question asks for a number")
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise RoomError(f"value is {repr(value)[:60]}; allowed: a number from "
                        f"{_num(q.low)} to {_num(q.high)}")
    if not q.low <= value <= q.high:
        raise RoomError(f"value is {_num(value)}; allowed: a number from {_num(q.low)} "
                        f"to {_num(q.high)}")
    return None, float(value)


def clean_name(name: Any) -> str:
    """An optional name, trimmed to :data:`MAX_NAME` printable characters."""
    if name is None:
        return ""
    if not isinstance(name, str):
        raise RoomError(f"name is {repr(name)[:60]}; allowed: text (or nothing)")
    text = "".join(c for c in name if c.isprintable()).strip()
    if len(text) > MAX_NAME:
        raise RoomError(f"name has {len(text)} characters; allowed: up to {MAX_NAME}")
    return text


def _cell(text: str) -> str:
    """Text typed by a trainee, made safe for a spreadsheet (no formula can start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}"


def _question(row: sqlite3.Row) -> Question:
    return Question(
        key=row["key"], kind=row["kind"], text=row["text"],
        options=tuple(json.loads(row["options"])), low=row["low"], high=row["high"],
        step=row["step"], unit=row["unit"], id=int(row["id"]), state=row["state"],
        opened_at=row["opened_at"], closed_at=row["closed_at"],
        result=json.loads(row["result"]) if row["result"] else None)


class _write:
    """``with _write(con):`` one write transaction, taking the lock at the start."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.con.execute("COMMIT" if exc_type is None else "ROLLBACK")
