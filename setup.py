"""Build step that puts the curriculum into the wheel (everything else is in pyproject.toml).

The master copies of the curriculum live at the top of the repository
(``notebooks/`` and ``exercises/``). A wheel must carry them, so building one
copies both folders into the package as ``coprod_sim/content/notebooks`` and
``coprod_sim/content/exercises``; the repository keeps a single copy. An
editable install copies nothing: :mod:`coprod_sim.resources` finds the
clone's folders itself.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CURRICULUM = ("notebooks", "exercises")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "my_work")


class BuildWithCurriculum(build_py):
    """Copy ``notebooks/`` and ``exercises/`` into ``coprod_sim/content/`` of the build."""

    def run(self):
        """Build the package, then copy the curriculum into it (not for editable installs)."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in CURRICULUM:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: the curriculum folder {source} is missing")
            target = Path(self.build_lib) / "coprod_sim" / "content" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=IGNORE)


setup(cmdclass={"build_py": BuildWithCurriculum})
