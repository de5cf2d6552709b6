"""Where a trainee's work is kept, and their accessibility settings.

A trainee's reflection record and settings live in one folder, ``my_work``, at
the top of the trainee's own working folder (made by ``coprod-sim start``, see
:mod:`coprod_sim.workspace`), so every notebook finds the same record and the
kit's own files never change. Set the environment variable ``COPROD_WORK_DIR``
to keep them elsewhere (``coprod-sim start`` and the tests do).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from coprod_sim import resources
from coprod_sim.resources import WORKSPACE_MARKER
from coprod_sim.scenario import atomic_write_text

#: Environment variable that overrides the work folder.
ENV_VAR = "COPROD_WORK_DIR"


def work_dir() -> Path:
    """Return the folder that holds the trainee's record and settings.

    In order: ``$COPROD_WORK_DIR`` when set; ``my_work`` in the trainee's
    working folder (found by walking up from the current folder to the one
    holding the workspace marker file); ``~/coprod-sim/my_work`` (the default
    working folder's) when the current folder is inside a clone of the kit or
    the installed package (their files must never change, and cleaning a clone
    must never delete a trainee's work); otherwise ``my_work`` in the current
    folder.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_MARKER).is_file():
            return folder / "my_work"
    kit = [resources.clone_dir(), resources.content_dir(), resources.package_dir()]
    if any(top is not None and here.is_relative_to(top.resolve()) for top in kit):
        return Path.home() / "coprod-sim" / "my_work"
    return here / "my_work"


@dataclass
class Settings:
    """A trainee's display choices, kept between notebooks.

    Attributes:
        large_text: Bigger text in charts and in the kit's messages.
        high_contrast: Stronger contrast in the kit's messages and charts.
        name: The trainee's name for the reflection record (optional).
    """

    large_text: bool = False
    high_contrast: bool = False
    name: str = ""

    @classmethod
    def load(cls, folder: Path | None = None) -> Settings:
        """Read the settings file, or return the defaults when there is none."""
        path = (folder or work_dir()) / "settings.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {k: data[k] for k in asdict(cls()) if k in data}
        return cls(**known)

    def save(self, folder: Path | None = None) -> Path:
        """Write the settings file atomically and return its path."""
        path = (folder or work_dir()) / "settings.json"
        atomic_write_text(path, json.dumps(asdict(self), indent=2))
        return path

    def css(self) -> str:
        """Inline CSS for the kit's messages under these settings."""
        size = "1.35em" if self.large_text else "1em"
        if self.high_contrast:
            return f"font-size:{size};line-height:1.5;color:#000;background:#fff;" \
                   "border:2px solid #000;padding:0.6em"
        return f"font-size:{size};line-height:1.5;padding:0.4em 0.6em;" \
               "border-left:4px solid #0072B2"
