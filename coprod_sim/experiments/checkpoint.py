"""The checkpoint folder ``<stem>.parts/``: the plan and the part files of finished chunks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from coprod_sim.experiments import store
from coprod_sim.experiments.tables import _Damaged, _read_json, write_json


class Checkpoint:
    """The ``<stem>.parts/`` folder: the plan and the part files of finished chunks.

    ``runs/`` and ``weekly/`` hold one Parquet file per finished chunk (same
    name in both); ``failed/`` one JSON list per chunk with failed runs. A
    chunk is committed when its runs file exists: its weekly file and failure
    list are written first, so a chunk is either wholly there or not at all.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.runs_dir = folder / "runs"
        self.weekly_dir = folder / "weekly"
        self.failed_dir = folder / "failed"

    @property
    def plan_file(self) -> Path:
        """The stored plan and settings."""
        return self.folder / "plan.json"

    def read_header(self) -> dict[str, Any] | None:
        """The stored plan and settings; None when there is no checkpoint folder.

        Raises:
            _Damaged: if the folder exists but its plan is missing or unreadable.
        """
        if not self.folder.exists():
            return None
        if not self.folder.is_dir():
            raise _Damaged(f"{self.folder.name} is a file, not a checkpoint folder")
        if not self.plan_file.exists():
            ours = {self.runs_dir.name, self.weekly_dir.name, self.failed_dir.name}
            others = [p.name for p in self.folder.iterdir() if p.name not in ours
                      and not (p.name.startswith(".") and p.name.endswith(".tmp"))]
            if others:
                raise _Damaged(f"{self.folder.name} is not a sweep's checkpoint folder (it "
                               f"holds {others[0]!r}, which a sweep did not write)")
            if not store.part_files(self.runs_dir) and not store.part_files(self.weekly_dir):
                return None  # stopped as it started: nothing saved, nothing to lose
            raise _Damaged(f"{self.folder.name} has no plan.json (it was not written by a "
                           "sweep, or the sweep was stopped as it started)")
        header = _read_json(self.plan_file)
        if not isinstance(header, dict) or not {"fingerprint", "plan"} <= set(header):
            raise _Damaged(f"{self.plan_file.name} in {self.folder.name} is not a stored plan")
        return header

    def start(self, header: dict[str, Any]) -> None:
        """Create the folder and store the plan (once)."""
        for folder in (self.runs_dir, self.weekly_dir, self.failed_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if not self.plan_file.exists():
            write_json(self.plan_file, header)

    def tidy(self, weekly: bool = False) -> list[str]:
        """Drop leftovers of an interrupted write, damaged parts and old failure lists.

        Args:
            weekly: Whether the sweep keeps a weekly table: then every committed
                chunk must have its weekly part too.

        Returns:
            A note per part file dropped (its runs will run again).

        Raises:
            _Damaged: if a weekly part file of a committed chunk is damaged
                (naming it: remove it, and its chunk runs again).
        """
        import pyarrow.parquet as pq

        notes = []
        for path in store.part_files(self.runs_dir):
            try:
                pq.read_metadata(path)
            except (pa.ArrowException, OSError):
                notes.append(f"Part file {path.name} was damaged (cut short?); its runs "
                             "will run again.")
                path.unlink()
                continue
            if not weekly:
                continue
            week = self.weekly_dir / path.name
            if not week.exists():
                notes.append(f"Weekly part file {week.name} is missing; the runs of "
                             f"{path.name} will run again.")
                path.unlink()
                continue
            try:
                pq.read_metadata(week)
            except (pa.ArrowException, OSError) as err:
                raise _Damaged(f"the weekly part file {week} is damaged ({err}); remove it "
                               "and resume again: its runs will run again") from None
        done = {p.name for p in store.part_files(self.runs_dir)}
        for path in store.part_files(self.weekly_dir):
            if path.name not in done:
                path.unlink()
        for folder in (self.folder, self.runs_dir, self.weekly_dir, self.failed_dir):
            for path in folder.glob(".*.tmp"):
                path.unlink()
        for path in self.failed_dir.glob("*.json"):  # retried now
            path.unlink()
        return notes

    def done_runs(self) -> set[int]:
        """Runs already finished (in a committed chunk)."""
        import pyarrow.parquet as pq

        done: set[int] = set()
        for path in store.part_files(self.runs_dir):
            done.update(pq.read_table(path, columns=["run"]).column("run").to_pylist())
        return done

    def write_chunk(self, run_ids: Sequence[int], runs: pa.Table | None,
                    weekly: pa.Table | None, failures: list[dict[str, Any]]) -> None:
        """Commit one chunk: weekly part, failures, then the runs part (the marker)."""
        import hashlib

        digest = hashlib.sha1(",".join(map(str, run_ids)).encode()).hexdigest()[:8]
        stem = f"part-{min(run_ids):09d}-{max(run_ids):09d}-{digest}"
        if weekly is not None:
            store.write_part(self.weekly_dir, stem, weekly)
        if failures:
            write_json(self.failed_dir / f"{stem}.json", failures)
        if runs is not None:
            store.write_part(self.runs_dir, stem, runs)

    def failures(self) -> list[dict[str, Any]]:
        """Every failure recorded this session."""
        out: list[dict[str, Any]] = []
        for path in sorted(self.failed_dir.glob("*.json")):
            out.extend(json.loads(path.read_text(encoding="utf-8")))
        return out
