"""A class's codes and folder: who may join, and where everything is kept.

A class lives in one folder (``--folder``, kept between days)::

    class.json        the class code and the trainer's code (readable by the trainer only)
    hub/              the hub's database, cookie secret and log
    trainees/NAME/    one working folder per trainee (made as coprod-sim start makes one)
    trainer/          the trainer's own folder (the trainer dashboard)
    class.sqlite      the class's bets, in the room's store format (written by the hub only)

The **class code** (6 characters, easy to read aloud and to type) is shown to
the room; with a first name it opens that trainee's own folder. The
**trainer's code** (12 characters) is printed in the trainer's terminal only
and opens the trainer's view. Both are kept for the next day, so trainees come
back to their work with the same code.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from coprod_sim.fileio import atomic_write

#: Letters and digits that cannot be mistaken for each other when read aloud or typed.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

#: The hub user name the trainer's code logs in as (no trainee can take it).
TRAINER = "trainer"

#: Names a trainee cannot take.
RESERVED = frozenset({TRAINER, "admin", "root", "hub", "class", "service", "services",
                      "user", "users", "api", "login", "logout"})

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,29}$")


class ClassError(ValueError):
    """A class code, name or folder that is not allowed (one plain line)."""


def new_code(n: int) -> str:
    """A random code of ``n`` characters from :data:`ALPHABET`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def clean_code(text: str) -> str:
    """A typed code as stored: capitals, no spaces or dashes."""
    return re.sub(r"[\s-]", "", str(text or "")).upper()


def trainee_name(text: str) -> str:
    """The hub user name of a typed first name: ``"Anna B"`` becomes ``"anna-b"``.

    Raises:
        ClassError: the name is empty, too long or made of other characters.
    """
    raw = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    name = re.sub(r"[\s_.]+", "-", raw.strip().lower())
    name = re.sub(r"-{2,}", "-", name).strip("-")
    if not name:
        raise ClassError("Type your first name (letters, for example Anna).")
    if not NAME_RE.match(name):
        raise ClassError(f"The name {str(text)[:40]!r} cannot be used: use letters (and "
                         "digits) only, starting with a letter, up to 30 characters.")
    if name in RESERVED:
        raise ClassError(f"The name {name!r} is kept for the class itself: add a letter "
                         "of your surname, for example 'Anna B'.")
    return name


@dataclass(frozen=True)
class ClassInfo:
    """A class's folder and its two codes."""

    folder: Path
    class_code: str
    trainer_code: str

    @property
    def hub_dir(self) -> Path:
        """The hub's own files (database, cookie secret, log)."""
        return self.folder / "hub"

    @property
    def trainees_dir(self) -> Path:
        """The trainees' working folders, one per name."""
        return self.folder / "trainees"

    @property
    def store_path(self) -> Path:
        """The class's bets (the room's SQLite store format)."""
        return self.folder / "class.sqlite"

    def home(self, name: str) -> Path:
        """The folder of one trainee (or of the trainer)."""
        if name == TRAINER:
            return self.folder / TRAINER
        return self.trainees_dir / name


def load_or_create(folder: str | os.PathLike) -> ClassInfo:
    """Open the class kept in ``folder``, or start a new one there with fresh codes.

    Raises:
        ClassError: the folder is a file, or holds other files and no class.
    """
    folder = Path(folder).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ClassError(f"--folder is {folder}, which is a file; allowed: a folder (new, "
                         "or one a class was run in)")
    info_file = folder / "class.json"
    if info_file.is_file():
        try:
            data = json.loads(info_file.read_text(encoding="utf-8"))
            return ClassInfo(folder, clean_code(data["class_code"]),
                             clean_code(data["trainer_code"]))
        except (ValueError, KeyError, TypeError):
            raise ClassError(f"{info_file} is damaged; allowed: the file a class "
                             "wrote (move it away to start a new class)") from None
    if folder.is_dir() and any(folder.iterdir()):
        raise ClassError(f"--folder is {folder}, which holds other files; allowed: a new or "
                         "empty folder, or one a class was run in")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    info = ClassInfo(folder, new_code(6), new_code(12))
    atomic_write(info_file, json.dumps({"class_code": info.class_code,
                                        "trainer_code": info.trainer_code}, indent=2))
    info_file.chmod(0o600)
    return info
