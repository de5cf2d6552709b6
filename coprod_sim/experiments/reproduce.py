"""Reproduce one run from a manifest and check it matches the stored results."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow.dataset as ds

from coprod_sim.cli import UsageError
from coprod_sim.experiments.design import Plan
from coprod_sim.experiments.execute import load_manifest, read_table
from coprod_sim.experiments.provenance import cautions, differences, summary_line
from coprod_sim.experiments.worker import run_one
from coprod_sim.scenario import Scenario


@dataclass
class Reproduction:
    """The outcome of reproducing one run.

    Attributes:
        run: The run index.
        seed: Its seed.
        scenario: Its complete scenario.
        summary: The summary computed now.
        weekly: The weekly table computed now.
        checked: How many stored values were compared.
        differences: One line per value that differs (empty when it matches).
    """

    run: int
    seed: int
    scenario: Scenario
    summary: dict[str, Any]
    weekly: pd.DataFrame
    checked: int = 0
    differences: list[str] = field(default_factory=list)
    software_differences: list[str] = field(default_factory=list)
    software_cautions: list[str] = field(default_factory=list)
    recorded: str = ""
    constants_differences: list[str] = field(default_factory=list)
    constants_note: str = ""

    @property
    def matches(self) -> bool:
        """True when every stored value was reproduced exactly."""
        return self.checked > 0 and not self.differences


def _same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA:
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    if isinstance(a, float) or isinstance(b, float):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return a == b


def constants_check(plan: Plan) -> tuple[str, list[str]]:
    """Compare the constants a plan recorded with the ones its source gives now.

    Returns:
        ``(note, differences)``: a plain sentence on the constants, and one line
        per constant whose value differs (empty when they are the same).
    """
    from coprod_sim.calibration.constants import Constants, ConstantsError

    record = plan.experiment.get("constants")
    if not isinstance(record, dict) or not isinstance(record.get("values"), dict):
        return ("This manifest does not record the model's constants (it was written before "
                "they were recorded): if fitted.toml has changed since, numbers differ for "
                "that reason alone."), []
    source = str(record.get("source", "shipped"))
    if source == "python":
        return (f"Constants: the recorded ones (given in Python, sha256 "
                f"{str(record.get('sha256'))[:12]}) are used."), []
    try:
        now = Constants.load() if source == "shipped" else Constants.load(_beside(plan, source))
    except (ConstantsError, OSError) as err:
        return (f"The recorded constants ({source}, sha256 {str(record.get('sha256'))[:12]}) "
                f"are used; their source cannot be read now ({err})."), []
    recorded = record["values"]
    changed = [f"{k}: recorded {recorded.get(k)!r}, {source} now {v!r}"
               for k, v in now.to_dict().items() if recorded.get(k) != v]
    changed += [f"{k}: recorded {v!r}, not in {source} now" for k, v in recorded.items()
                if k not in now.to_dict()]
    if not changed:
        return (f"Constants: the recorded ones ({source}, sha256 "
                f"{str(record.get('sha256'))[:12]}) match {source} now."), []
    return (f"The model's constants differ from those recorded ({len(changed)} changed in "
            f"{source}): this run uses the recorded constants, so a difference in numbers "
            "is not from them."), changed


def _beside(plan: Plan, source: str) -> str:
    """A constants file named relative to the experiment file, as it was read."""
    import os.path

    exp_file = plan.experiment.get("source")
    if exp_file and not os.path.isabs(source):
        return os.path.join(os.path.dirname(exp_file), source)
    return source


def reproduce_run(out: str | os.PathLike, run: int) -> Reproduction:
    """Re-run one run from the manifest beside ``out`` and compare with the stored rows.

    Args:
        out: The results file (``results.parquet``) or its manifest.
        run: The run index (the ``run`` column).

    Returns:
        A :class:`Reproduction`; ``.matches`` is True when every stored value agrees;
        ``.software_differences`` names each recorded package version or code
        commit that differs from what is installed now.

    Raises:
        UsageError: if the manifest is missing or the run is not in it.
    """
    paths, manifest = load_manifest(out)
    recorded = manifest.get("provenance") or {"versions": manifest.get("versions")}
    software = differences(recorded)
    plan = Plan.from_dict(manifest)
    if not isinstance(run, int) or not 0 <= run < len(plan.runs):
        raise UsageError(f"--run is {run!r}; allowed: a run number from 0 to "
                         f"{len(plan.runs) - 1}")
    _, point, _, seed = plan.runs[run]
    scenario = plan.scenario(point)
    note, changed = constants_check(plan)
    constants = plan.constants
    if constants is not None:
        constants = constants.with_values(plan.constant_values(point))
    summary, weekly = run_one(scenario.name, scenario.to_dict(), seed, constants)
    rep = Reproduction(run, seed, scenario, summary, weekly,
                       software_differences=software, software_cautions=cautions(recorded),
                       recorded=summary_line(recorded), constants_differences=changed,
                       constants_note=note)
    only = ds.field("run") == run
    if paths.runs.exists():
        table = read_table(paths.runs, where=only)
        stored = table[table["run"] == run]
        if len(stored) == 1:
            row = stored.iloc[0]
            if int(row["seed"]) != seed:
                rep.differences.append(f"seed: stored {row['seed']}, manifest {seed}")
            for key, value in summary.items():
                if key in row.index:
                    rep.checked += 1
                    if not _same(row[key], value):
                        rep.differences.append(f"{key}: stored {row[key]!r}, now {value!r}")
    if paths.weekly.exists() and plan.weekly:
        table = read_table(paths.weekly, where=only)
        stored = table[table["run"] == run].reset_index(drop=True)
        if len(stored):
            if len(stored) != len(weekly):
                rep.differences.append(f"weeks: stored {len(stored)}, now {len(weekly)}")
            else:
                for col in weekly.columns:
                    if col not in stored:
                        continue
                    for week, (a, b) in enumerate(zip(stored[col], weekly[col], strict=True)):
                        rep.checked += 1
                        if not _same(a, b):
                            rep.differences.append(f"{col} in week {week + 1}: stored {a!r}, "
                                                   f"now {b!r}")
    return rep
