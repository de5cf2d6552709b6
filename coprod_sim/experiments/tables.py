"""The tables of a sweep: a chunk's rows as Arrow tables, small files, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from coprod_sim.cli import UsageError
from coprod_sim.experiments import store
from coprod_sim.experiments.design import Plan
from coprod_sim.experiments.store import ID_COLUMNS
from coprod_sim.fileio import atomic_write
from coprod_sim.parameters import PARAMETERS


def _ids(plan: Plan, tasks: Sequence[Any], wanted: set[int]) -> pd.DataFrame:
    rows = []
    extra = plan.extra_columns
    for task in tasks:
        run_id, name, values, seed = task[:4]
        if run_id in wanted:
            point, replicate = divmod(run_id, plan.replicates)
            more = ({k: v for k, v in plan.points[point][1].items() if k in extra}
                    if extra else {})
            rows.append({"run": run_id, "point": point, "replicate": replicate, "seed": seed,
                         "scenario": name, **values, **more})
    table = pd.DataFrame.from_records(rows, columns=list(ID_COLUMNS) + list(PARAMETERS)
                                      + list(extra))
    for col in ("run", "point", "replicate", "seed"):
        table[col] = table[col].astype("int64")
    return table


def chunk_tables(plan: Plan, tasks: Sequence[Any], result: dict[str, Any]
                 ) -> tuple[pa.Table | None, pa.Table | None]:
    """The runs and weekly rows of one finished chunk, as self-describing Arrow tables."""
    if not result["runs"]:
        return None, None
    summary = pd.DataFrame.from_records(result["runs"])
    ids = _ids(plan, tasks, set(summary["run"]))
    runs = ids.merge(summary, on="run", how="inner", validate="one_to_one")
    runs = runs.sort_values("run", kind="stable").reset_index(drop=True)
    names = list(plan.scenarios)
    weekly = None
    if plan.weekly and result.get("weekly") is not None:
        week = ids.merge(result["weekly"], on="run", how="inner", validate="one_to_many")
        front = list(ID_COLUMNS) + ["week"]
        week = week[front + [c for c in week.columns if c not in front]]
        week = week.sort_values(["run", "week"], kind="stable").reset_index(drop=True)
        weekly = store.to_arrow(week, "weekly", names, constants_metadata(plan))
    return store.to_arrow(runs, "runs", names, constants_metadata(plan)), weekly


def constants_metadata(plan: Plan) -> dict[str, str]:
    """The key-value metadata every Parquet file of a sweep carries about its constants."""
    record = plan.experiment.get("constants")
    if not isinstance(record, dict):
        return {}
    return {"coprod_sim.constants": json.dumps(record.get("values"), sort_keys=True,
                                               separators=(",", ":")),
            "coprod_sim.constants_sha256": str(record.get("sha256")),
            "coprod_sim.constants_source": str(record.get("source"))}


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a small table to Parquet or CSV (by suffix), atomically."""
    if path.suffix.lower() == ".csv":
        atomic_write(path, b"", writer=lambda p: table.to_csv(p, index=False))
    else:
        atomic_write(path, b"", writer=lambda p: table.to_parquet(p, index=False))


def read_table(path: Path, where: Any = None) -> pd.DataFrame:
    """Read a runs or weekly table: a dataset folder, a Parquet file or a CSV file.

    Args:
        path: The table.
        where: Optional ``pyarrow.dataset`` filter (dataset folders only).

    Raises:
        UsageError: if the table is damaged, naming it.
    """
    sort = ("run", "week") if ".weekly." in path.name else ("run",)
    if path.is_dir():
        return store.read_dataset(path, where=where, sort=sort)
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path)
            if "payback_week" in table:
                table["payback_week"] = table["payback_week"].astype("Int64")
            return table
        return pd.read_parquet(path)
    except (pa.ArrowException, ValueError, pd.errors.ParserError) as err:
        raise UsageError(f"{path} is damaged ({err}); run the sweep again with --force") \
            from None


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    atomic_write(path, store.json_dump(data))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise _Damaged(f"{path.name} cannot be read ({type(err).__name__}: {err})") from None


class _Damaged(Exception):
    """A checkpoint or manifest file that cannot be read."""



def _concat(tables: list[pa.Table], plan: Plan, kind: str) -> pd.DataFrame:
    if not tables:
        empty = _ids(plan, [], set())
        if kind == "weekly":
            empty = empty.assign(week=pd.Series(dtype="int64"))
        return empty
    table = pa.concat_tables(tables, promote_options="permissive")
    sort = ["run", "week"] if kind == "weekly" else ["run"]
    table = table.sort_by([(s, "ascending") for s in sort])
    return store._pandas(table).reset_index(drop=True)
