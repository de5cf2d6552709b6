"""Readability of the notebooks' prose, so jargon creeping back in is caught.

What is measured: the Flesch reading ease (textstat) of each notebook's markdown
cells, after removing what a reader does not read as prose: code, tables,
headings, link targets, Markdown markup and citations such as
"(Needham & Carr 2009)". Each list item counts as its own sentence, as a reader
takes it.

Syllables come from pyphen (offline, the same on every machine), see below.

The floor, and why: **60 for each notebook, 65 on average**. Flesch 60-70 is
"plain English" that most adults read easily; 50-60 is "fairly difficult" and
below 30 is academic. Our readers are health and social care staff reading in
a second window while they try things out, so each notebook must at least
reach plain English, allowing for the few words of the field we cannot avoid
("coproduction", "representative", "organisation"), each defined in the
glossary. On this measure the briefing paper itself scores about 38: prose
drifting back towards the paper's register fails.
"""

import json
import re
from pathlib import Path

import pytest
import textstat
from textstat.backend.counts import _count_syllables

from coprod_sim import resources

# Syllables are counted with pyphen's hyphenation dictionary (bundled with
# textstat), not NLTK's CMU dictionary, which textstat would download from the
# internet on first use. Offline and identical on every machine; pyphen counts
# run slightly low on long words, which the floor below allows for.
_count_syllables.get_cmudict = lambda lang: None

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = resources.curriculum_notebooks() + resources.exercise_notebooks()
FLOOR = 60.0
MEAN_FLOOR = 65.0

CITATION = re.compile(r"\([^()]*\b(19|20)\d\d\b[^()]*\)")


def prose(nb_path: Path) -> str:
    """The reader-facing prose of a notebook's markdown cells."""
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    out = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.sub(r"```.*?```", " ", text, flags=re.S)
        text = re.sub(r"`[^`]*`", " ", text)
        text = CITATION.sub("", text)
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith(("|", "#")):
                continue
            line = re.sub(r"^([-*]|\d+[.)])\s+", "", line)
            line = re.sub(r"[*_]{1,2}", "", line).strip()
            if line.endswith((";", ":", ",")):
                line = line[:-1] + "."
            elif not line.endswith((".", "?", "!")):
                line += "."
            out.append(line)
    return " ".join(out)


def score(nb_path: Path) -> float:
    """Flesch reading ease of a notebook's prose."""
    return textstat.flesch_reading_ease(prose(nb_path))


def test_there_are_notebooks_to_check():
    names = [p.name for p in NOTEBOOKS]
    assert "00_start_here.ipynb" in names and len(names) >= 8, names


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_prose_is_plain(nb_path):
    text = prose(nb_path)
    assert len(text.split()) > 150, f"{nb_path.name} has too little prose to judge"
    s = score(nb_path)
    assert s >= FLOOR, (f"{nb_path.name}: Flesch reading ease {s:.1f} is below the floor "
                        f"{FLOOR}. Shorten sentences and swap jargon for everyday words.")


def test_mean_readability():
    scores = [score(p) for p in NOTEBOOKS]
    mean = sum(scores) / len(scores)
    assert mean >= MEAN_FLOOR, f"mean Flesch reading ease {mean:.1f} < {MEAN_FLOOR}"


def test_the_check_catches_jargon(tmp_path):
    """The measure must be able to fail: academic prose scores below the floor."""
    academic = ("Coproduction necessitates a cultural shift to a holistic perspective of "
                "individual needs, which requires an integrated health and social care "
                "approach, and organisational resistance consequently materialises where "
                "institutional governance arrangements constrain transformational "
                "partnership modalities. ") * 20
    nb = {"cells": [{"cell_type": "markdown", "source": [academic]}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert score(path) < FLOOR
