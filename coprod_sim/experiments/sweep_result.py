"""The result of a sweep, and opening finished results from disk."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from coprod_sim.cli import UsageError
from coprod_sim.experiments import store
from coprod_sim.experiments.design import Plan
from coprod_sim.experiments.paths import Paths, output_paths
from coprod_sim.experiments.tables import _Damaged, _read_json, read_table


class SweepResult:
    """The result of an experiment; its tables are read from disk when first used.

    Attributes:
        runs: One row per finished run: ids, every parameter, the run's summary
            (sorted by run).
        weekly: One row per finished run and week (None if not kept), sorted by
            run and week. For large sweeps use :attr:`weekly_dataset` or
            :meth:`to_dask` instead: they read lazily.
        failures: One dict per failed run: run, seed, scenario, parameters, error.
        plan: The :class:`~coprod_sim.experiments.design.Plan` that was run.
        manifest: The manifest (also written beside the outputs).
        paths: Where the outputs were written (None if kept in memory only).
        notes: Plain sentences about this session (resumed, nothing to do, ...).
    """

    def __init__(self, runs: Any, weekly: Any, failures: list[dict[str, Any]], plan: Plan,
                 manifest: dict[str, Any], paths: Paths | None = None,
                 notes: list[str] | None = None):
        self._runs, self._weekly = runs, weekly
        self.failures, self.plan, self.manifest = failures, plan, manifest
        self.paths, self.notes = paths, list(notes or [])

    @property
    def runs(self) -> pd.DataFrame:
        """The runs table (read on first use)."""
        if callable(self._runs):
            self._runs = self._runs()
        return self._runs

    @property
    def weekly(self) -> pd.DataFrame | None:
        """The weekly table (read on first use; None if not kept)."""
        if callable(self._weekly):
            self._weekly = self._weekly()
        return self._weekly

    def _dataset(self, table: str) -> Any:
        if self.paths is None or self.paths.fmt != "parquet":
            raise UsageError("a lazy dataset needs results written to a .parquet --out")
        folder = self.paths.runs if table == "runs" else self.paths.weekly
        if not folder.is_dir():
            raise UsageError(f"no {table} table at {folder}")
        return store.dataset(folder)

    @property
    def runs_dataset(self) -> Any:
        """The runs table as a ``pyarrow.dataset.Dataset`` (nothing read yet)."""
        return self._dataset("runs")

    @property
    def weekly_dataset(self) -> Any:
        """The weekly table as a ``pyarrow.dataset.Dataset`` (nothing read yet)."""
        return self._dataset("weekly")

    def to_dask(self, table: str = "weekly") -> Any:
        """The ``runs`` or ``weekly`` table as a lazy ``dask.dataframe`` (larger than memory)."""
        import dask.dataframe as dd

        self._dataset(table)  # checks it exists
        folder = self.paths.runs if table == "runs" else self.paths.weekly
        return dd.read_parquet(str(folder))

    @property
    def runs_finished(self) -> int:
        """How many runs finished (from the manifest; nothing is read)."""
        if "runs_finished" in self.manifest:
            return int(self.manifest["runs_finished"])
        return len(self.runs)

    @property
    def complete(self) -> bool:
        """True when every planned run finished."""
        return not self.failures and self.runs_finished == len(self.plan.runs)

    def __repr__(self) -> str:
        return (f"SweepResult({self.runs_finished} of {len(self.plan.runs)} runs, "
                f"{len(self.failures)} failed)")



def load_manifest(out: str | os.PathLike) -> tuple[Paths, dict[str, Any]]:
    """The paths and manifest of finished results.

    Raises:
        UsageError: if the manifest is missing or damaged.
    """
    paths = output_paths(out)
    if not paths.manifest.exists():
        raise UsageError(f"no finished results at {paths.out} (no {paths.manifest.name})")
    try:
        manifest = _read_json(paths.manifest)
    except _Damaged as err:
        raise UsageError(f"the manifest of {paths.out} is damaged: {err}") from None
    if not isinstance(manifest, dict):
        raise UsageError(f"{paths.manifest} is not a manifest")
    return paths, manifest


def load_results(out: str | os.PathLike) -> SweepResult:
    """Open finished results; the tables are read only when first used.

    ``result.runs`` and ``result.weekly`` read a table into pandas (sorted by
    run); ``result.runs_dataset`` / ``result.weekly_dataset`` give lazy
    ``pyarrow`` datasets and ``result.to_dask("weekly")`` a ``dask.dataframe``,
    for tables larger than memory.

    Raises:
        UsageError: if the manifest or tables are missing or damaged.
    """
    paths, manifest = load_manifest(out)
    if not paths.runs.exists():
        raise UsageError(f"no finished results at {paths.out} (need {paths.runs.name} and "
                         f"{paths.manifest.name})")
    plan = Plan.from_dict(manifest)
    weekly = None
    if plan.weekly and paths.weekly.exists():
        def weekly() -> pd.DataFrame:
            return read_table(paths.weekly)
    return SweepResult(lambda: read_table(paths.runs), weekly, manifest.get("failures", []),
                       plan, manifest, paths)
