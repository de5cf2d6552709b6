"""A trainee's own working folder: their copies of the notebooks and exercises.

``coprod-sim start`` (see :mod:`coprod_sim.lab`) calls :func:`prepare` to make
or update the folder, then opens JupyterLab on it. The folder holds::

    notebooks/   copies of notebooks 00 to 07 and their README
    exercises/   copies of the exercises and their README (never the solutions)
    my_work/     the reflection record, settings and anything else the kit saves
    .coprod-workspace   what was copied, so updates never overwrite a trainee's work
    .jupyter/    JupyterLab settings for this folder (no news pop-up, folded code boxes)

Trainees work on these copies, so the kit's own files never change. Updating
never overwrites a trainee's edited copy: a copy whose text the trainee has not
changed (running a notebook is not changing it) is replaced by the kit's newer
version; an edited copy is kept and the newer version is put beside it as
``NAME (new version).ipynb``.

Code cells of the copies are hidden (JupyterLab's ``source_hidden`` cell
metadata), and a small style sheet makes each folded box read "Instructions for the
computer (click to see them)": a trainee sees the text and what each box makes,
and shows the code by clicking a box or from the View menu (Expand All Code).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from coprod_sim import __version__, resources
from coprod_sim.fileio import atomic_write
from coprod_sim.resources import WORKSPACE_MARKER

#: The notebook the printed address opens, relative to the workspace.
FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"

#: The working folder used when none is given: outside any clone of the kit, so
#: deleting or cleaning the clone (``git clean -xfd``) never touches a trainee's work.
DEFAULT_FOLDER = Path("~") / "coprod-sim"

#: Folder of JupyterLab's per-workspace settings, relative to the workspace.
LAB_SETTINGS = Path(".jupyter") / "lab" / "user-settings"

#: JupyterLab settings written for a new workspace (a trainee may change them later):
#: no news or update pop-up (a training room is often offline).
LAB_DEFAULTS: dict[str, dict] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}

#: What ``my_work/README.md`` tells the trainee.
MY_WORK_README = (
    "# My work\n\nThe kit saves your work here: your reflection record "
    "(`reflection.json`), the copies you export for your portfolio "
    "(`my_reflection_record.html` or `.md`) and your settings. It is yours: "
    "nothing here is sent anywhere.\n")

#: The folder the server uses as its Jupyter config folder (``JUPYTER_CONFIG_DIR``).
CONFIG_DIR = Path(".jupyter")

#: CSS for this folder's JupyterLab: a folded grey box says what it holds and how to
#: open it, instead of showing its first line of code. Rewritten at every start.
LAB_CSS = """/* coprod-sim: folded code boxes say what they are (written by coprod-sim start) */
.jp-InputPlaceholder .jp-PlaceholderText { font-size: 0; }
.jp-InputPlaceholder .jp-PlaceholderText::before {
  content: "Instructions for the computer (click to see them)";
  font-size: var(--jp-content-font-size1, 14px);
  font-family: var(--jp-ui-font-family);
  color: var(--jp-ui-font-color1);
}
"""

#: Suffix added to a newer kit version put beside a trainee's edited copy.
NEW_VERSION = " (new version)"

#: One line that tells the trainee how their copies are updated.
UPDATE_POLICY = ("Your copies are yours: the kit never overwrites a notebook you have "
                 f"typed in; its newer version goes beside it as '...{NEW_VERSION}.ipynb'.")


class WorkspaceError(ValueError):
    """The working folder cannot be used (one plain line says why)."""


@dataclass
class Report:
    """What :func:`prepare` did, for the trainee.

    Attributes:
        folder: The workspace folder.
        added: Files copied for the first time (relative paths).
        updated: Unchanged copies replaced by the kit's newer version.
        beside: Newer versions put beside a trainee's edited copy.
        kept: Edited copies left as they are.
    """

    folder: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    beside: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return the plain lines printed by ``coprod-sim start``."""
        lines = [f"Your working folder: {self.folder}"]
        if self.added:
            lines.append(f"  copied {len(self.added)} files from the kit")
        if self.updated:
            lines.append(f"  updated {len(self.updated)} files you had not changed")
        for name in self.beside:
            lines.append(f"  a newer version of a file you changed is beside it: {name}")
        lines.append(UPDATE_POLICY)
        return "\n".join(lines)


def default_folder() -> Path:
    """Return the working folder used when none is given: ``coprod-sim`` in the home folder.

    The same from a clone and from an installed wheel, and never inside the
    clone, so a trainee's work survives deleting or cleaning it.
    """
    return DEFAULT_FOLDER.expanduser()


def trainee_files() -> dict[str, Path]:
    """Return the kit files a trainee gets, as ``{path in workspace: kit file}``.

    Notebooks 00 to 07 and the exercises, each with its README; never the
    trainers' solutions or the researcher notebook.
    """
    out: dict[str, Path] = {}
    for sub, folder, paths in (
            ("notebooks", resources.notebooks_dir(), resources.curriculum_notebooks()),
            ("exercises", resources.exercises_dir(), resources.exercise_notebooks())):
        for path in [*paths, folder / "README.md"]:
            if path.is_file():
                out[f"{sub}/{path.name}"] = path
    return out


def trainee_copy(path: Path) -> bytes:
    """Return the bytes a trainee gets for one kit file: notebooks with code hidden."""
    data = path.read_bytes()
    if path.suffix != ".ipynb":
        return data
    nb = json.loads(data)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell.setdefault("metadata", {}).setdefault("jupyter", {})["source_hidden"] = True
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _digest(data: bytes, name: str) -> str:
    """Fingerprint of what a trainee could have changed in a file.

    For a notebook, its boxes' kinds and text only: running a notebook (which
    stores outputs and kernel details) is not editing it, so such a copy can
    still be updated; typing in any box is.
    """
    if name.endswith(".ipynb"):
        try:
            cells = json.loads(data).get("cells", [])
            data = json.dumps([[c.get("cell_type"), "".join(c.get("source", ""))]
                               for c in cells]).encode("utf-8")
        except (ValueError, AttributeError):
            pass
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, data: bytes) -> None:
    """Write atomically, readable as any new file of the user's would be."""
    atomic_write(path, data)
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)


def _check_folder(folder: Path) -> None:
    """Refuse folders that would mix a trainee's work with the kit's own files."""
    real = folder.resolve()
    for kit in [*resources.kit_folders(), resources.package_dir()]:
        kit = kit.resolve()
        if real == kit or real.is_relative_to(kit) or kit.is_relative_to(real):
            raise WorkspaceError(f"folder is {folder}; allowed: a folder outside the kit's "
                                 f"own files ({kit})")
    if real.exists() and not real.is_dir():
        raise WorkspaceError(f"folder is {folder}, which is a file; allowed: a folder "
                             "(new or one made by coprod-sim start)")
    if real.is_dir() and any(real.iterdir()) and not (real / WORKSPACE_MARKER).is_file() \
            and not (real / "notebooks").is_dir():
        raise WorkspaceError(f"folder is {folder}, which already holds other files; "
                             "allowed: a new or empty folder, or one made by coprod-sim start")


def _beside_name(rel: str) -> str:
    p = Path(rel)
    return str(p.with_name(f"{p.stem}{NEW_VERSION}{p.suffix}"))


def read_manifest(folder: Path) -> dict:
    """Return the workspace's record of what was copied (empty for a new folder)."""
    try:
        data = json.loads((folder / WORKSPACE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"files": {}}
    if not isinstance(data.get("files"), dict):
        data["files"] = {}
    return data


def prepare(folder: str | os.PathLike | None = None) -> Report:
    """Create or update a trainee's working folder and return what was done.

    New kit files are copied; a copy the trainee has not changed since it was
    copied is replaced by the kit's newer version; a copy the trainee changed is
    kept and the newer version is written beside it. ``my_work/`` and the
    JupyterLab settings are created when missing and never overwritten.

    Raises:
        WorkspaceError: when the folder is inside the kit's own files, is a file,
            or already holds unrelated files.
    """
    folder = Path(folder) if folder is not None else default_folder()
    folder = folder.expanduser()
    _check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    copied: dict[str, str] = manifest["files"]
    report = Report(folder.resolve())

    for rel, source in trainee_files().items():
        new = trainee_copy(source)
        target = folder / rel
        if not target.exists():
            _write(target, new)
            copied[rel] = _digest(new, rel)
            report.added.append(rel)
            continue
        current = target.read_bytes()
        if _digest(current, rel) == _digest(new, rel):
            copied[rel] = _digest(new, rel)
            continue
        if copied.get(rel) == _digest(current, rel):  # not edited since copied: update it
            _write(target, new)
            copied[rel] = _digest(new, rel)
            report.updated.append(rel)
            continue
        report.kept.append(rel)
        beside = folder / _beside_name(rel)
        if not beside.exists() or _digest(beside.read_bytes(), rel) != _digest(new, rel):
            _write(beside, new)
            report.beside.append(_beside_name(rel))

    work = folder / "my_work"
    work.mkdir(exist_ok=True)
    readme = work / "README.md"
    if not readme.exists():
        _write(readme, MY_WORK_README.encode("utf-8"))
    for name, values in LAB_DEFAULTS.items():
        path = folder / LAB_SETTINGS / name
        if not path.exists():
            _write(path, (json.dumps(values, indent=2) + "\n").encode())

    css = folder / CONFIG_DIR / "custom" / "custom.css"
    if not css.exists() or css.read_text(encoding="utf-8") != LAB_CSS:
        _write(css, LAB_CSS.encode("utf-8"))

    manifest.update({"kit_version": __version__, "files": copied})
    _write(folder / WORKSPACE_MARKER, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return report
