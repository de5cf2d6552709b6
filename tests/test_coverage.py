"""Every idea of the briefing paper has a place in the course, and every place is real.

The coverage table (``coprod_sim.curriculum.coverage``) lists each idea of the
paper and where a trainee explores it; the trainer guide holds the same table.
"""

import re
from pathlib import Path

import nbformat

from coprod_sim import resources
from coprod_sim.curriculum.activities import ACTIVITIES
from coprod_sim.curriculum.coverage import ITEMS, KINDS, table
from coprod_sim.curriculum.exercises import CHALLENGES
from coprod_sim.curriculum.moments import MOMENTS

ROOT = Path(__file__).resolve().parents[1]


def _code() -> dict[str, str]:
    paths = resources.curriculum_notebooks() + resources.exercise_notebooks()
    return {p.name: "\n".join(c.source for c in nbformat.read(p, 4).cells
                              if c.cell_type == "code") for p in paths}


def test_every_idea_has_a_place_and_every_place_exists_in_a_notebook():
    code = "\n".join(_code().values())
    assert len(ITEMS) >= 60
    for area, item, places in ITEMS:
        assert places, f"{area}: {item} has no place in the course"
        for place in places:
            kind, key = place.split(":", 1)
            assert kind in KINDS, place
            if kind == "moment":
                assert key in MOMENTS and f'kit.moment("{key}")' in code, place
            elif kind == "activity":
                assert key in ACTIVITIES and f'kit.activity("{key}")' in code, place
            elif kind == "live":
                assert re.search(rf'kit\.live\([^)]*"{key}"', code), place
            elif kind == "exercise":
                assert key in CHALLENGES and f'start("{key}")' in code, place
            elif kind == "planner":
                assert "kit.planner()" in code, place


def test_every_activity_and_moment_is_in_the_table_or_a_notebook():
    used = {p.split(":", 1)[1] for _, _, places in ITEMS for p in places}
    code = "\n".join(_code().values())
    for key in ACTIVITIES:
        assert f'kit.activity("{key}")' in code, key
    assert set(ACTIVITIES) <= used


def test_the_trainer_guide_holds_the_table():
    guide = (ROOT / "docs" / "trainer-guide.md").read_text(encoding="utf-8")
    inside = guide.split("<!-- coverage:start -->")[1].split("<!-- coverage:end -->")[0]
    assert inside.strip() == table().strip(), "run python -m coprod_sim.curriculum.coverage"


def test_text_only_ideas_get_an_activity_not_a_paragraph():
    for area in ("Six characteristics",):
        for a, item, places in ITEMS:
            if a == area:
                assert any(p.startswith(("activity:", "moment:")) for p in places), item
