"""Where the kit's own files are: the curriculum travels inside the package.

The trainee notebooks, the exercises, the researcher notebook and the trainers'
solutions live in ``coprod_sim/content/`` so an installed wheel carries them as
well as a clone. Every lookup goes through this module (built on
:mod:`importlib.resources`), so nothing else hard-codes a folder.

These are the kit's master copies: trainees work on their own copies, made by
``coprod-sim start`` (see :mod:`coprod_sim.workspace`), never on these.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: File that marks the top of a trainee's working folder (written by ``coprod-sim start``).
WORKSPACE_MARKER = ".coprod-workspace"


def content_dir() -> Path:
    """Return the folder that holds the kit's curriculum files."""
    return Path(str(files("coprod_sim").joinpath("content")))


def notebooks_dir() -> Path:
    """Return the folder of the trainee notebooks 00 to 07 (and their README)."""
    return content_dir() / "notebooks"


def exercises_dir() -> Path:
    """Return the folder of the trainee exercises (and their README), without solutions."""
    return content_dir() / "exercises"


def solutions_dir() -> Path:
    """Return the trainers' folder of exercise solutions; never copied to a trainee."""
    return content_dir() / "trainer" / "solutions"


def research_dir() -> Path:
    """Return the folder of the researcher notebook."""
    return content_dir() / "research"


def curriculum_notebooks() -> list[Path]:
    """Return the trainee notebooks 00 to 07, in order."""
    return sorted(notebooks_dir().glob("0*.ipynb"))


def exercise_notebooks() -> list[Path]:
    """Return the exercise notebooks, in order."""
    return sorted(exercises_dir().glob("ex*.ipynb"))


def notebook(name: str) -> Path:
    """Return one trainee notebook by its number or file name, e.g. ``"00"``.

    Raises:
        ValueError: when no notebook has that number or name, naming the ones there are.
    """
    for path in curriculum_notebooks():
        if name in (path.name, path.stem, path.name[:2]):
            return path
    names = ", ".join(p.name for p in curriculum_notebooks())
    raise ValueError(f"notebook is {name!r}; allowed: a number 00-07 or one of {names}")


def exercise(name: str) -> Path:
    """Return one exercise notebook by its key or file name, e.g. ``"ex1"``.

    Raises:
        ValueError: when no exercise has that key or name, naming the ones there are.
    """
    for path in exercise_notebooks():
        if name in (path.name, path.stem, path.name.split("_", 1)[0]):
            return path
    names = ", ".join(p.name for p in exercise_notebooks())
    raise ValueError(f"exercise is {name!r}; allowed: ex1-ex4 or one of {names}")
