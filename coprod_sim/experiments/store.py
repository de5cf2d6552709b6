"""Tidy, self-describing tables on disk: one Parquet file per finished chunk.

Each finished chunk becomes one Parquet file of the runs table and one of the
weekly table; together the files of a table form a Parquet dataset (a
folder, read with ``pyarrow.dataset`` or ``dask.dataframe``) that is never
gathered whole in memory. Every file carries the same schema:

* text columns (scenario, choice levers, stage, ladder) are categorical
  (Arrow dictionary columns);
* each field's metadata holds its ``unit`` and a plain ``description`` (from
  :data:`coprod_sim.PARAMETERS`, :data:`coprod_sim.OUTCOMES` and
  :mod:`coprod_sim.columns`); the schema metadata names the table.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from coprod_sim.cli import UsageError
from coprod_sim.columns import IDS, RENAMED, SUMMARY_ONLY
from coprod_sim.fileio import atomic_write
from coprod_sim.outcomes import LADDER, OUTCOMES
from coprod_sim.parameters import PARAMETERS

#: Identifier columns at the start of every row.
ID_COLUMNS = ("run", "point", "replicate", "seed", "scenario")

#: Part files are named by the first and last run they hold and a digest.
PART = re.compile(r"^part-(\d+)-(\d+)-[0-9a-f]{8}\.parquet$")

_BACK = {v: k for k, v in RENAMED.items()}

TABLE_TEXT = {
    "runs": "One row per run: identifiers, every parameter, and the run's summary. Each "
            "outcome column holds its value in the last week of the run; "
            "mean_participation_rate, peak_participants and payback_week cover the whole run.",
    "weekly": "One row per run and week: identifiers, every parameter, and every outcome "
              "that week.",
}


def describe_column(name: str, table: str = "runs") -> tuple[str, str]:
    """``(unit, plain description)`` of a column of the runs or weekly table."""
    if name in IDS:
        return IDS[name].unit, IDS[name].definition
    if name in SUMMARY_ONLY:
        return SUMMARY_ONLY[name].unit, SUMMARY_ONLY[name].definition
    if name in PARAMETERS:
        p = PARAMETERS[name]
        return p.unit or p.kind, f"Lever: {p.label}. {p.help}".strip()
    if name in OUTCOMES:
        o = OUTCOMES[name]
        when = "In the last week of the run: " if table == "runs" else ""
        return o.unit, when + o.definition
    if name == "posterior":
        return "row", "Uncertainty: the row of the posterior file this run's constants came from"
    if name == "world":
        return "draw", ("Uncertainty: which draw of the uncertainties this run met (every "
                        "policy meets the same draws)")
    from coprod_sim.calibration.constants import Constants

    if name.split("[")[0] in Constants.names():
        return "", f"Uncertainty: the value of the model's constant {name} in this run"
    return "", ""


def _categories(name: str) -> list[str] | None:
    if name in PARAMETERS and PARAMETERS[name].kind == "choice":
        return list(PARAMETERS[name].choices)
    if _BACK.get(name, name) == "ladder":
        return list(LADDER)
    return None


def to_arrow(frame: pd.DataFrame, table: str, scenarios: Sequence[str],
             metadata: dict[str, str] | None = None) -> pa.Table:
    """Convert a chunk's rows to Arrow with the fixed, self-describing schema.

    ``metadata`` is added to the schema's key-value metadata (the constants
    the runs used and their SHA-256, so each file says what made it).
    """
    changed: dict[str, Any] = {}  # converted columns only (a chunk has about 190)
    for col, dtype in frame.dtypes.items():
        cats = list(scenarios) if col == "scenario" else _categories(col)
        if cats is not None:
            changed[col] = pd.Categorical(frame[col], categories=cats)
        elif col == "payback_week":
            changed[col] = pd.array(frame[col].astype("Float64"), dtype="Int64")
        elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            changed[col] = frame[col].astype("category")
        elif col in PARAMETERS:
            kind = {"bool": "bool", "int": "int64", "float": "float64"}[PARAMETERS[col].kind]
            if dtype != kind:
                changed[col] = frame[col].astype(kind)
    if changed:
        frame = frame.assign(**changed)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in arrow.schema:
        typ = f.type
        if pa.types.is_dictionary(typ):
            typ = pa.dictionary(pa.int32(), pa.string())
        unit, text = describe_column(f.name, table)
        fields.append(pa.field(f.name, typ, nullable=True,
                               metadata={"unit": unit, "description": text}))
    schema = pa.schema(fields, metadata={
        "coprod_sim.table": table, "coprod_sim.description": TABLE_TEXT[table],
        "pandas": arrow.schema.metadata.get(b"pandas", b"{}"), **(metadata or {})})
    return arrow.cast(schema)


def write_part(folder: Path, stem: str, table: pa.Table) -> Path:
    """Write one part file atomically (a temporary file, then ``os.replace``)."""
    path = folder / f"{stem}.parquet"
    atomic_write(path, b"", writer=lambda tmp: pq.write_table(table, tmp))
    return path


def part_files(folder: Path) -> list[Path]:
    """The part files of a dataset folder, in order of their first run."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if PART.match(p.name)]
    return sorted(files, key=lambda p: (int(PART.match(p.name).group(1)), p.name))


def dataset(folder: Path) -> ds.Dataset:
    """The pyarrow dataset of a folder of part files (read lazily).

    Raises:
        UsageError: if a part file is damaged, naming it.
    """
    files = part_files(folder)
    if not files:
        raise UsageError(f"no part files in {folder}")
    try:
        schema = pq.read_schema(files[0])
        return ds.dataset([str(f) for f in files], schema=schema, format="parquet")
    except (pa.ArrowException, OSError) as err:
        raise UsageError(f"a part file in {folder} is damaged ({err}); run the sweep again "
                         "with --force") from None


def _pandas(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    if "payback_week" in frame:
        frame["payback_week"] = frame["payback_week"].astype("Int64")
    return frame


def read_dataset(folder: Path, columns: Sequence[str] | None = None, where: Any = None,
                 sort: Sequence[str] = ("run",)) -> pd.DataFrame:
    """Read a dataset folder (or some columns/rows of it) into pandas, sorted by run.

    Raises:
        UsageError: if a part file is damaged, naming the folder.
    """
    data = dataset(folder)
    try:
        table = data.to_table(columns=list(columns) if columns else None, filter=where)
    except (pa.ArrowException, OSError) as err:
        raise UsageError(f"a part file in {folder} is damaged ({err}); run the sweep again "
                         "with --force") from None
    if sort and all(s in table.column_names for s in sort):
        table = table.sort_by([(s, "ascending") for s in sort])
    return _pandas(table).reset_index(drop=True)


def ordered_batches(folder: Path, sort: Sequence[str]) -> Iterator[pd.DataFrame]:
    """Yield a dataset's rows in run order, a few part files at a time.

    Parts whose run ranges overlap (runs retried after a failure) are read
    together, so memory holds only a group of parts at once.
    """
    group: list[Path] = []
    top = -1
    for path in part_files(folder):
        first, last = (int(g) for g in PART.match(path.name).groups())
        if group and first > top:
            yield _read_group(group, sort)
            group, top = [], -1
        group.append(path)
        top = max(top, last)
    if group:
        yield _read_group(group, sort)


def _read_group(paths: list[Path], sort: Sequence[str]) -> pd.DataFrame:
    table = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="permissive")
    return _pandas(table.sort_by([(s, "ascending") for s in sort]))


def write_csv(folder: Path, target: Path, sort: Sequence[str]) -> None:
    """Write a dataset folder as one CSV file in run order, a group of parts at a time."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            first = True
            for frame in ordered_batches(folder, sort):
                frame.to_csv(fh, index=False, header=first)
                first = False
    atomic_write(target, b"", writer=write)


#: Most rows in one published Parquet file (the checkpoint's part files are
#: merged into few large files, so footers stay a small share of the bytes).
ROWS_PER_FILE = 2_000_000

#: Bytes of one row group when published (its rows are buffered in memory).
ROW_GROUP_BYTES = 16 * 2**20


def publish(folder: Path, target: Path, sort: Sequence[str] = ("run",)) -> None:
    """Make ``target`` a dataset folder holding the rows of the part files of ``folder``.

    The checkpoint's part files (one per chunk) are merged, in run order, into
    files of at most :data:`ROWS_PER_FILE` rows, written in row groups of about
    :data:`ROW_GROUP_BYTES`: a sweep of a million runs is one file of runs
    and a few of weeks, not thousands of small files whose footers outweigh
    their rows. Only a group of parts and one row group are held in memory at
    a time. The files go into a new folder, which then takes ``target``'s
    place: readers see the old results or the new ones, never a mix.
    """
    new = target.with_name(f".{target.name}.new")
    old = target.with_name(f".{target.name}.old")
    for leftover in (new, old):
        _remove_tree(leftover)
    new.mkdir(parents=True)
    try:
        _compact(part_files(folder), new, sort)
    except BaseException:
        _remove_tree(new)
        raise
    if target.exists() or target.is_symlink():
        os.replace(target, old)
    os.replace(new, target)
    _remove_tree(old)


def _compact(files: list[Path], out: Path, sort: Sequence[str]) -> None:
    """Write the rows of ``files`` (part files) into few large files in ``out``."""
    import hashlib

    if not files:
        return
    schema = pa.unify_schemas([pq.read_schema(f) for f in files],
                              promote_options="permissive")
    state: dict[str, Any] = {"writer": None, "tmp": None, "first": None, "last": None,
                             "rows": 0}
    pending: list[pa.Table] = []
    group_rows = [0]

    def close() -> None:
        if state["writer"] is None:
            return
        state["writer"].close()
        first, last = state["first"], state["last"]
        digest = hashlib.sha1(f"{first}-{last}".encode()).hexdigest()[:8]
        os.replace(state["tmp"], out / f"part-{first:09d}-{last:09d}-{digest}.parquet")
        state.update(writer=None, tmp=None, first=None, last=None, rows=0)

    def flush() -> None:
        if not pending:
            return
        table = pa.concat_tables(pending)
        pending.clear()
        group_rows[0] = 0
        if state["writer"] is None:
            state["tmp"] = out / f".part-{len(list(out.iterdir())):06d}.tmp"
            state["writer"] = pq.ParquetWriter(state["tmp"], schema)
        state["writer"].write_table(table, row_group_size=max(1, table.num_rows))
        runs = table.column("run")
        low, high = pc.min(runs).as_py(), pc.max(runs).as_py()
        state["first"] = low if state["first"] is None else min(state["first"], low)
        state["last"] = high if state["last"] is None else max(state["last"], high)
        state["rows"] += table.num_rows
        if state["rows"] >= ROWS_PER_FILE:
            close()

    group_limit = None
    for table in _ordered_tables(files, sort):
        table = _conform(table, schema)
        if group_limit is None:
            per_row = max(1, table.nbytes // max(1, table.num_rows))
            group_limit = max(1024, ROW_GROUP_BYTES // per_row)
        start = 0
        while start < table.num_rows:
            room = min(group_limit - group_rows[0],
                       ROWS_PER_FILE - state["rows"] - group_rows[0])
            piece = table.slice(start, max(1, room))
            pending.append(piece)
            group_rows[0] += piece.num_rows
            start += piece.num_rows
            if group_rows[0] >= group_limit or \
                    state["rows"] + group_rows[0] >= ROWS_PER_FILE:
                flush()
    flush()
    close()


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table with exactly ``schema``'s columns and types (missing columns as nulls)."""
    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table.column(f.name).cast(f.type))
        else:
            columns.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _ordered_tables(files: list[Path], sort: Sequence[str]) -> Iterator[pa.Table]:
    """The rows of part files in run order, a group of overlapping parts at a time."""
    group: list[Path] = []
    top = -1
    for path in files:
        first, last = (int(g) for g in PART.match(path.name).groups())
        if group and first > top:
            yield _arrow_group(group, sort)
            group, top = [], -1
        group.append(path)
        top = max(top, last)
    if group:
        yield _arrow_group(group, sort)


def _arrow_group(paths: list[Path], sort: Sequence[str]) -> pa.Table:
    table = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="permissive")
    return table.sort_by([(s, "ascending") for s in sort])


def _remove_tree(path: Path) -> None:
    import shutil
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def schema_text(folder: Path) -> dict[str, Any]:
    """Each column's unit and description, as stored in the dataset's schema."""
    schema = pq.read_schema(part_files(folder)[0])
    return {f.name: {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
            for f in schema}


def remove(path: Path) -> None:
    """Remove a results file or dataset folder (and nothing else)."""
    _remove_tree(path)


def json_dump(data: Any) -> str:
    """JSON text for manifests and checkpoints."""
    return json.dumps(data, indent=1, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
