"""Where the kit's own files are: the master copies of the curriculum.

In a clone the curriculum lives at the top, beside ``coprod_sim/``::

    notebooks/            the trainee notebooks 00 to 07 and their README
    notebooks/dashboards/ the Voila dashboards
    notebooks/research/   the researcher notebook
    exercises/            the trainee exercises and their README
    exercises/solutions/  the trainers' solutions (never copied to a trainee)

Building a wheel copies both folders into the package as
``coprod_sim/content/notebooks`` and ``coprod_sim/content/exercises`` (see
``setup.py``), so an installed wheel carries them too, and the repository keeps
one copy. Every lookup goes through this module: it uses the package's own
copy when there is one (an installed wheel) and the clone's top folders
otherwise (a clone, installed editable or not), so nothing else hard-codes a
folder.

These are the kit's master copies: trainees work on their own copies, made by
``coprod-sim start`` (see :mod:`coprod_sim.workspace`), never on these.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: File that marks the top of a trainee's working folder (written by ``coprod-sim start``).
WORKSPACE_MARKER = ".coprod-workspace"

#: The curriculum's two top folders (in a clone, and under ``content/`` in a wheel).
TOP_FOLDERS = ("notebooks", "exercises")


def package_dir() -> Path:
    """Return the folder of the installed ``coprod_sim`` package."""
    return Path(str(files("coprod_sim")))


def clone_dir() -> Path | None:
    """Return the top of the clone this package runs from, or None for an installed wheel."""
    top = package_dir().parent
    if all((top / name).is_dir() for name in TOP_FOLDERS) and (top / "pyproject.toml").is_file():
        return top
    return None


def content_dir() -> Path:
    """Return the folder that holds ``notebooks/`` and ``exercises/``.

    The package's ``content/`` folder in an installed wheel; the top of the
    clone otherwise.
    """
    packaged = package_dir() / "content"
    if all((packaged / name).is_dir() for name in TOP_FOLDERS):
        return packaged
    return clone_dir() or packaged


def kit_folders() -> list[Path]:
    """Return the folders that hold the kit's own curriculum files (never a trainee's)."""
    return [content_dir() / name for name in TOP_FOLDERS]


def notebooks_dir() -> Path:
    """Return the folder of the trainee notebooks 00 to 07 (and their README)."""
    return content_dir() / "notebooks"


def exercises_dir() -> Path:
    """Return the folder of the trainee exercises (and their README), without solutions."""
    return content_dir() / "exercises"


def solutions_dir() -> Path:
    """Return the trainers' folder of exercise solutions; never copied to a trainee."""
    return exercises_dir() / "solutions"


def research_dir() -> Path:
    """Return the folder of the researcher notebook."""
    return notebooks_dir() / "research"


def dashboards_dir() -> Path:
    """Return the folder of the Voila dashboards (trainer, compare, explorer)."""
    return notebooks_dir() / "dashboards"


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
