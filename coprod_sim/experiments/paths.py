"""Where a sweep writes: the results, the weekly table, the manifest, failures and checkpoints."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from coprod_sim.cli import UsageError

#: Version of the output layout (1: single files, 0.1.0; 2: dataset folders).
LAYOUT = 2


@dataclass(frozen=True)
class Paths:
    """Where a sweep writes.

    ``results.parquet`` (a folder of Parquet part files) gives
    ``results.weekly.parquet`` (another), ``results.manifest.json``,
    ``results.failures.csv`` and, while running, ``results.parts/``. With
    ``results.csv`` the tables are single CSV files.
    """

    out: Path

    @property
    def fmt(self) -> str:
        """``"csv"`` when the output ends in ``.csv``, else ``"parquet"``."""
        return "csv" if self.out.suffix.lower() == ".csv" else "parquet"

    @property
    def stem(self) -> Path:
        """The output path without its suffix."""
        return self.out.with_suffix("")

    def _with(self, tail: str) -> Path:
        return self.stem.parent / (self.stem.name + tail)

    @property
    def runs(self) -> Path:
        """One row per run (summary)."""
        return self.out

    @property
    def weekly(self) -> Path:
        """One row per run and week."""
        return self._with(f".weekly.{self.fmt}")

    @property
    def manifest(self) -> Path:
        """The manifest (JSON)."""
        return self._with(".manifest.json")

    @property
    def failures(self) -> Path:
        """Failed runs (CSV), written only when some failed."""
        return self._with(".failures.csv")

    @property
    def parts(self) -> Path:
        """Checkpoint folder (removed once every run has finished)."""
        return self._with(".parts")

    @property
    def indices(self) -> Path:
        """Sensitivity indices (CSV)."""
        return self._with(".indices.csv")

    @property
    def plots(self) -> Path:
        """Folder of sensitivity plots."""
        return self._with(".plots")

    def outputs(self) -> list[Path]:
        """Every result file or folder a finished sweep writes."""
        return [self.runs, self.weekly, self.failures, self.manifest]


def output_paths(out: str | os.PathLike) -> Paths:
    """Check an output path and return where everything goes.

    Raises:
        UsageError: if the output does not end in ``.parquet`` or ``.csv``.
    """
    path = Path(out)
    if path.name.endswith(".manifest.json"):
        path = path.with_name(path.name[: -len(".manifest.json")] + ".parquet")
        if not path.exists() and path.with_suffix(".csv").exists():
            path = path.with_suffix(".csv")
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise UsageError(f"--out must end in .parquet or .csv, got {path.name!r}")
    return Paths(path)


def check_writable(paths: Paths) -> None:
    """Check, before anything runs, that the output folder can be written.

    Nothing is created: the nearest existing folder must be writable.

    Raises:
        UsageError: naming the folder and the reason.
    """
    folder = paths.out.parent.resolve()
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"cannot write {paths.out}: {probe} is a file, not a folder; "
                         "choose another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {paths.out}: the folder {probe} is not writable; "
                         "choose another --out")
    if paths.out.exists() and paths.fmt == "parquet" and not paths.out.is_dir() \
            and not os.access(paths.out, os.W_OK) and not os.access(folder, os.W_OK):
        raise UsageError(f"cannot replace {paths.out}: permission denied")
