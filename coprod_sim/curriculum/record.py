"""The reflection record: a trainee's predictions, choices, results and answers.

Every entry is saved at once (atomically) to ``reflection.json`` in the work
folder (see :func:`coprod_sim.curriculum.settings.work_dir`), so closing a
notebook loses nothing and every notebook adds to the same record.
:meth:`ReflectionRecord.export` writes a readable Markdown or HTML file the
trainee can keep in a professional development portfolio.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coprod_sim.parameters import PARAMETERS
from coprod_sim.scenario import atomic_write_text

#: Entry kinds, in the order the exported record lists them within a notebook.
KINDS = {
    "prediction": "Predictions",
    "choice": "Choices",
    "outcome": "Results",
    "reflection": "Reflections",
}

#: Titles of the notebooks and exercises, for headings in the record.
SECTIONS = {
    "00": "00 Start here",
    "01": "01 What coproduction is",
    "02": "02 Who is affected",
    "03": "03 Ways to involve people",
    "04": "04 Practical barriers and support",
    "05": "05 Power, feedback and trust",
    "06": "06 The long game",
    "07": "07 My project plan",
    "ex1": "Exercise 1: A plan within budget",
    "ex2": "Exercise 2: Why did people stop coming?",
    "ex3": "Exercise 3: From consultation to coproduction",
    "ex4": "Exercise 4: The case for the long game",
}


@dataclass
class Entry:
    """One line of the record.

    Attributes:
        section: Notebook or exercise key, for example ``"03"`` or ``"ex1"``.
        kind: One of :data:`KINDS`.
        key: What the entry is about (a question, a plan name); a new entry with
            the same section, kind and key replaces the old one.
        text: The trainee's words or the kit's plain summary.
        details: Extra lines (for example "Your guess: 30%").
        when: Time the entry was made (UTC, ISO format).
    """

    section: str
    kind: str
    key: str
    text: str
    details: list[str] = field(default_factory=list)
    when: str = ""


def describe_changes(changes: dict[str, Any]) -> list[str]:
    """Describe lever changes in plain words, for example 'Pay out-of-pocket expenses: yes'."""
    out = []
    for name, value in changes.items():
        p = PARAMETERS.get(name)
        if p is None:
            continue
        if p.kind == "bool":
            shown = "yes" if value else "no"
        elif p.kind == "choice":
            shown = p.choices.get(value, str(value))
        elif p.unit == "share":
            shown = f"{float(value):.0%}"
        elif p.unit == "0-1":  # trainees see percentages, never a 0-1 scale
            shown = f"{float(value):.0%}"
        elif p.unit == "GBP":
            shown = f"£{float(value):,.2f}"
        else:
            shown = f"{value:g} {p.unit}".strip() if isinstance(value, int | float) else str(value)
        out.append(f"{p.label}: {shown}")
    return out


class ReflectionRecord:
    """The trainee's reflection record, saved after every change.

    Args:
        path: The JSON file to keep the record in.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.entries: list[Entry] = []
        self.name = ""
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self.name = str(data.get("name", ""))
                self.entries = [Entry(**e) for e in data.get("entries", [])]
            except (ValueError, TypeError, KeyError):
                # A damaged file is kept aside, never silently overwritten.
                self.path.rename(self.path.with_suffix(".damaged.json"))
                self.entries = []

    def add(self, section: str, kind: str, key: str, text: str,
            details: list[str] | None = None) -> Entry:
        """Add (or replace) an entry and save the record.

        Raises:
            ValueError: for an unknown kind, naming the allowed kinds.
        """
        if kind not in KINDS:
            raise ValueError(f"kind is {kind!r}; allowed: one of {', '.join(KINDS)}")
        entry = Entry(section, kind, key, text, list(details or []),
                      _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
        self.entries = [e for e in self.entries
                        if (e.section, e.kind, e.key) != (section, kind, key)]
        self.entries.append(entry)
        self.save()
        return entry

    def save(self) -> Path:
        """Write the record file atomically and return its path."""
        data = {"name": self.name, "entries": [asdict(e) for e in self.entries]}
        atomic_write_text(self.path, json.dumps(data, indent=2, ensure_ascii=False))
        return self.path

    def _grouped(self) -> list[tuple[str, list[tuple[str, list[Entry]]]]]:
        order = list(SECTIONS)
        sections = sorted({e.section for e in self.entries},
                          key=lambda s: (order.index(s) if s in order else len(order), s))
        out = []
        for s in sections:
            kinds = [(KINDS[k], [e for e in self.entries if e.section == s and e.kind == k])
                     for k in KINDS]
            out.append((SECTIONS.get(s, s), [(k, es) for k, es in kinds if es]))
        return out

    def to_markdown(self) -> str:
        """Return the record as readable Markdown."""
        today = _dt.date.today().isoformat()
        lines = ["# My coproduction learning record", ""]
        if self.name:
            lines.append(f"**Name:** {self.name}  ")
        lines += [f"**Made with:** coprod-sim training kit, {today}", "",
                  "Results come from a teaching model, not from a real service. "
                  "They show what the model does with each choice; use them to "
                  "think, not as facts.", ""]
        if not self.entries:
            lines.append("_Nothing recorded yet._")
        for title, kinds in self._grouped():
            lines += [f"## {title}", ""]
            for heading, entries in kinds:
                lines += [f"### {heading}", ""]
                for e in entries:
                    lines.append(f"- **{e.key}**: {e.text}")
                    lines += [f"  - {d}" for d in e.details]
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        """Return the record as a self-contained, readable HTML page."""
        esc = html.escape
        parts = [f"<h2>{esc(title)}</h2>" + "".join(
            f"<h3>{esc(heading)}</h3><ul>" + "".join(
                f"<li><strong>{esc(e.key)}</strong>: {esc(e.text)}"
                + ("<ul>" + "".join(f"<li>{esc(d)}</li>" for d in e.details) + "</ul>"
                   if e.details else "") + "</li>" for e in entries) + "</ul>"
            for heading, entries in kinds) for title, kinds in self._grouped()]
        name = f"<p><strong>Name:</strong> {esc(self.name)}</p>" if self.name else ""
        body = "".join(parts) or "<p><em>Nothing recorded yet.</em></p>"
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                "<title>My coproduction learning record</title><style>"
                "body{font-family:Arial,Helvetica,sans-serif;font-size:1.15rem;"
                "line-height:1.6;max-width:50rem;margin:2rem auto;padding:0 1rem;"
                "color:#111;background:#fff}h1,h2{color:#0b3d6b}"
                "h2{border-bottom:2px solid #0072B2;margin-top:2rem}</style></head><body>"
                f"<h1>My coproduction learning record</h1>{name}"
                f"<p><strong>Made with:</strong> coprod-sim training kit, "
                f"{_dt.date.today().isoformat()}</p><p>Results come from a teaching model, "
                "not from a real service. They show what the model does with each choice; "
                f"use them to think, not as facts.</p>{body}</body></html>")

    def export(self, path: str | Path | None = None, fmt: str | None = None) -> Path:
        """Write the record as Markdown or HTML, atomically, and return the file's path.

        Args:
            path: File to write; defaults to ``my_reflection_record.html`` beside the record.
            fmt: ``"html"`` or ``"markdown"``; guessed from the file name when None.

        Raises:
            ValueError: for an unknown format, naming the allowed ones.
        """
        path = Path(path) if path else self.path.with_name("my_reflection_record.html")
        fmt = fmt or ("markdown" if path.suffix.lower() in (".md", ".markdown") else "html")
        if fmt not in ("html", "markdown"):
            raise ValueError(f"fmt is {fmt!r}; allowed: 'html' or 'markdown'")
        atomic_write_text(path, self.to_html() if fmt == "html" else self.to_markdown())
        return path
