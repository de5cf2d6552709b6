"""Publishing a finished sweep: the part files become the results, then the manifest."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pandas as pd
import pyarrow as pa

from coprod_sim.experiments import store
from coprod_sim.experiments.checkpoint import Checkpoint
from coprod_sim.experiments.design import Plan
from coprod_sim.experiments.paths import Paths
from coprod_sim.experiments.tables import _ids, write_json, write_table


def _finish(paths: Paths, checkpoint: Checkpoint, plan: Plan,
            failures: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
    """Publish the part files as the results, then the failures and the manifest."""
    tables = [(checkpoint.runs_dir, paths.runs, ["run"])]
    if plan.weekly:
        tables.append((checkpoint.weekly_dir, paths.weekly, ["run", "week"]))
    for folder, target, sort in tables:
        if not store.part_files(folder):  # nothing finished: an empty table
            empty = _ids(plan, [], set())
            if "week" in sort:
                empty = empty.assign(week=pd.Series(dtype="int64"))
            store.write_part(folder, "part-000000000-000000000-00000000",
                             pa.Table.from_pandas(empty, preserve_index=False))
        if paths.fmt == "csv":
            store.write_csv(folder, target, sort)
        else:
            store.publish(folder, target, sort)
    if failures:
        table = pd.DataFrame([{**{k: v for k, v in f.items() if k != "parameters"},
                               "parameters": json.dumps(f["parameters"])} for f in failures])
        write_table(table, paths.failures)
    elif paths.failures.exists():
        paths.failures.unlink()
    write_json(paths.manifest, manifest)
    if not failures:
        shutil.rmtree(paths.parts, ignore_errors=True)
