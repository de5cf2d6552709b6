"""A Python API for your own design points and your own outcome measures.

Besides experiment files, any table of lever values can be run, with any
outcome computed from each run::

    import pandas as pd
    from coprod_sim.experiments.api import evaluate

    points = pd.DataFrame({"power_sharing": [0.2, 0.5, 0.8],
                           "staff_training": [False, True, True]})

    def final_influence(result):              # gets a coprod_sim.RunResult
        return result.weekly["influence"].iloc[-1]

    def weeks_above_10pc(weekly):             # gets the weekly table
        return int((weekly["participation_rate"] > 0.1).sum())

    table = evaluate(points, seeds=5, base="mixed_methods", weeks=26,
                     outcomes={"final_influence": final_influence},
                     weekly_outcomes={"weeks_above_10pc": weeks_above_10pc},
                     workers=2)
    table.groupby("power_sharing")["final_influence"].mean()

The result is tidy: one row per run (design point x seed) with the point,
replicate and seed, the levers of the table, the run's built-in summary and
each outcome of yours. Seeds follow the experiment files' rule
(:func:`coprod_sim.experiments.design.run_seed`), so the same table and seeds
always give the same numbers, on one process or many.

Your functions may be lambdas or closures defined in a notebook: they are
sent to the worker processes with ``cloudpickle``. A function that raises
fails that run only: its row keeps its ids and levers, and ``error`` says why.

To run a table of points through the experiment runner instead (checkpoints,
resume, Parquet output, Dask), turn it into a plan with :func:`plan_from_points`
and pass it to :func:`coprod_sim.experiments.run_experiment`.
"""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.cli import UsageError
from coprod_sim.experiments import design
from coprod_sim.experiments.design import Plan, run_seed, versions
from coprod_sim.parameters import PARAMETERS
from coprod_sim.scenario import Scenario, ScenarioError

#: An outcome measure of yours: a run (or its weekly table) -> a number (or any value).
Outcome = Callable[[Any], Any]

_IDS = ["point", "replicate", "seed"]


def _python(value: Any) -> Any:
    """A plain Python value (numpy scalars become int, float or bool)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _base(base: Scenario | str | None, weeks: int | None) -> Scenario:
    from coprod_sim import presets

    if base is None:
        scenario = Scenario()
    elif isinstance(base, Scenario):
        scenario = base
    elif isinstance(base, str):
        try:
            scenario = presets.get(base)
        except Exception as err:
            raise UsageError(f"base is {base!r}; allowed: a Scenario or a preset name "
                             f"({err})") from None
    else:
        raise UsageError(f"base is {type(base).__name__}; allowed: a Scenario, a preset name "
                         "or None")
    if weeks is not None:
        try:
            scenario = scenario.replace(weeks=weeks)
        except ScenarioError as err:
            raise UsageError(str(err)) from None
    return scenario


def _seeds(seeds: int | Sequence[int], seed: int, n_points: int, same_seeds: bool
           ) -> list[list[int]]:
    """The seeds of each point's replicates."""
    if isinstance(seeds, bool):
        raise UsageError(f"seeds is {seeds!r}; allowed: a number of replicates or a list of "
                         "seeds")
    if isinstance(seeds, (int, np.integer)):
        if not 1 <= int(seeds) <= 10000:
            raise UsageError(f"seeds is {seeds}; allowed: 1 to 10000 replicates")
        return [[run_seed(seed, p, r, same_seeds) for r in range(int(seeds))]
                for p in range(n_points)]
    listed = [int(s) for s in seeds]
    if not listed or any(s < 0 or s >= 2 ** 32 for s in listed):
        raise UsageError(f"seeds is {list(seeds)!r}; allowed: a non-empty list of whole "
                         "numbers from 0 to 4294967295")
    return [list(listed) for _ in range(n_points)]


def validate_points(points: pd.DataFrame, base: Scenario | str | None = None,
                    weeks: int | None = None) -> list[dict[str, Any]]:
    """Check every row of a table of lever values; return the full values of each point.

    Raises:
        UsageError: naming the column (not a parameter) or the row and value refused.
    """
    if not isinstance(points, pd.DataFrame):
        raise UsageError(f"points is {type(points).__name__}; allowed: a pandas DataFrame "
                         "with one column per lever")
    if points.empty:
        raise UsageError("points has no rows; give at least one design point")
    unknown = [c for c in points.columns if c not in PARAMETERS]
    if unknown:
        raise UsageError(f"points column {unknown[0]!r} is not a lever; allowed: the names "
                         "in coprod_sim.PARAMETERS, such as power_sharing, staff_training")
    scenario = _base(base, weeks)
    full = []
    for i, row in enumerate(points.itertuples(index=False)):
        changes = {c: _python(v) for c, v in zip(points.columns, row, strict=True)}
        try:
            point = scenario.replace(**changes)
        except (ScenarioError, TypeError, ValueError) as err:
            raise UsageError(f"points row {i}: {err}") from None
        full.append({k: v for k, v in point.to_dict().items() if k in PARAMETERS})
    return full


def plan_from_points(points: pd.DataFrame, *, seeds: int = 1, seed: int = 1,
                     base: Scenario | str | None = None, weeks: int | None = None,
                     same_seeds: bool = True, weekly: bool = False,
                     name: str = "custom_points") -> Plan:
    """A :class:`~coprod_sim.experiments.design.Plan` running each row of ``points``.

    Pass it to :func:`coprod_sim.experiments.run_experiment` to use the
    experiment runner (checkpoints, resume, Parquet output, Dask); outcomes
    are then the built-in summary (use :func:`evaluate` for your own).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)):
        raise UsageError(f"seeds is {seeds!r}; allowed here: a number of replicates "
                         "(the runner derives the seeds)")
    full = validate_points(points, base, weeks)
    _seeds(seeds, seed, 1, same_seeds)  # checks the number
    levers = list(points.columns)
    experiment = {"name": name, "description": "design points given in Python",
                  "kind": "grid", "factors": [{"name": c, "kind": PARAMETERS[c].kind}
                                              for c in levers],
                  "outcomes": [], "replicates": int(seeds), "seed": int(seed),
                  "same_seeds": same_seeds, "weeks": weeks, "weekly": weekly, "samples": 0}
    base_values = {k: v for k, v in _base(base, weeks).to_dict().items() if k in PARAMETERS}
    return Plan(experiment=experiment, scenarios={"base": base_values}, axes=None, unit=None,
                weeks=None, weekly=weekly, versions=versions(),
                explicit_points=[("base", {c: f[c] for c in levers}) for f in full])


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
def evaluate_chunk(tasks: Sequence[tuple[int, int, int, dict[str, Any]]], payload: bytes,
                   summary: bool) -> list[dict[str, Any]]:
    """Run a chunk of tasks ``(point, replicate, seed, values)`` with your outcome functions.

    Runs in a worker process: ``payload`` is the cloudpickled pair of outcome
    mappings. The runs are computed on the batched engine, as the sweep
    runner's are (:func:`coprod_sim.experiments.worker.run_tasks`). Returns one
    row per run, in the order of ``tasks``.
    """
    import cloudpickle

    from coprod_sim.experiments.worker import run_tasks

    outcomes, weekly_outcomes = cloudpickle.loads(payload)
    name = Scenario().name
    rows: list[dict[str, Any]] = [{} for _ in tasks]
    work = [(i, name, values, seed) for i, (_, _, seed, values) in enumerate(tasks)]
    for (i, _, _, _), result in run_tasks(work):
        point, replicate, seed, _ = tasks[i]
        row: dict[str, Any] = {"point": point, "replicate": replicate, "seed": seed}
        rows[i] = row
        try:
            if isinstance(result, str):
                row["error"] = result
                continue
            if summary:
                row.update({k: v for k, v in result.summary.items() if k != "weeks"})
            for key, fn in outcomes.items():
                row[key] = _python(fn(result))
            for key, fn in weekly_outcomes.items():
                row[key] = _python(fn(result.weekly))
        except Exception as err:  # one failed run is reported, not fatal
            row["error"] = traceback.format_exception_only(type(err), err)[-1].strip()
    return rows


def _chunks(tasks: list[Any], workers: int) -> list[list[Any]]:
    from coprod_sim.experiments.worker import MAX_BATCH

    size = max(1, min(MAX_BATCH, math.ceil(len(tasks) / (workers * 4))))
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def _run_all(chunks: list[list[Any]], payload: bytes, summary: bool, workers: int,
             scheduler: Any) -> Iterator[list[dict[str, Any]]]:
    if scheduler is not None:
        from coprod_sim.experiments.execute import connect

        client, own = connect(scheduler)
        try:
            futures = [client.submit(evaluate_chunk, c, payload, summary, pure=False)
                       for c in chunks]
            for fut in futures:
                yield fut.result()
        finally:
            if own:
                client.close()
        return
    if workers <= 1 or len(chunks) == 1:
        for chunk in chunks:
            yield evaluate_chunk(chunk, payload, summary)
        return
    from coprod_sim.experiments.execute import process_context

    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)),
                             mp_context=process_context()) as pool:
        futures = [pool.submit(evaluate_chunk, c, payload, summary) for c in chunks]
        try:
            for fut in as_completed(futures):
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    from coprod_sim.experiments.backends import GUARD_MESSAGE

                    raise UsageError(GUARD_MESSAGE) from None
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _check_outcomes(outcomes: Mapping[str, Outcome] | None, what: str) -> dict[str, Outcome]:
    outcomes = dict(outcomes or {})
    for key, fn in outcomes.items():
        if not isinstance(key, str) or not key:
            raise UsageError(f"{what} key {key!r}; allowed: a non-empty column name")
        if not callable(fn):
            raise UsageError(f"{what}[{key!r}] is {type(fn).__name__}; allowed: a function")
        if key in _IDS or key in PARAMETERS or key == "error":
            raise UsageError(f"{what} name {key!r} is taken by a column of the table; "
                             "choose another")
    return outcomes


def evaluate(points: pd.DataFrame, *, seeds: int | Sequence[int] = 3, seed: int = 1,
             outcomes: Mapping[str, Outcome] | None = None,
             weekly_outcomes: Mapping[str, Outcome] | None = None,
             base: Scenario | str | None = None, weeks: int | None = None,
             workers: int | None = 1, scheduler: Any = None, summary: bool = True,
             same_seeds: bool = True, progress: bool = False, yes: bool = False
             ) -> pd.DataFrame:
    """Run every row of ``points`` with several seeds; return one tidy row per run.

    Args:
        points: One row per design point, one column per lever (names from
            :data:`coprod_sim.PARAMETERS`); levers not given keep the base
            scenario's values.
        seeds: How many replicates per point (seeds derived from ``seed`` as in
            experiment files), or an explicit list of seeds used at every point.
        seed: Base seed when ``seeds`` is a number.
        outcomes: Your measures: ``{"name": function(RunResult) -> value}``.
        weekly_outcomes: Measures on the weekly table:
            ``{"name": function(DataFrame) -> value}``.
        base: The base scenario: a :class:`~coprod_sim.Scenario`, a preset name
            or None (the defaults).
        weeks: Weeks to simulate (default: the base scenario's).
        workers: Local worker processes (1: this process; None: all CPUs).
        scheduler: A Dask scheduler address, ``Client`` or cluster (overrides
            ``workers``).
        summary: Include the built-in summary outcomes of every run.
        same_seeds: With ``seeds`` a number, use the same seeds at every point
            (common random numbers, so differences between points are not
            chance); False draws other seeds for each point.
        progress: Show a progress bar.
        yes: Confirm more than
            :data:`~coprod_sim.experiments.design.CONFIRM_RUNS` runs (the table
            is held in memory; for more, use :func:`plan_from_points` with
            ``run_experiment``, which streams to Parquet).

    Returns:
        One row per run, in point then replicate order: ``point``,
        ``replicate``, ``seed``, the columns of ``points``, the summary and
        your outcomes (and ``error`` when a run failed).

    Raises:
        UsageError: for a column that is not a lever, a refused value (naming
            the row), bad seeds, an outcome that is not a function, or more runs
            than allowed without ``yes``.
    """
    import cloudpickle

    outcomes = _check_outcomes(outcomes, "outcomes")
    weekly_outcomes = _check_outcomes(weekly_outcomes, "weekly_outcomes")
    clash = set(outcomes) & set(weekly_outcomes)
    if clash:
        raise UsageError(f"outcome name {sorted(clash)[0]!r} is given twice")
    per_point = (int(seeds) if isinstance(seeds, (int, np.integer))
                 else len(seeds) if isinstance(seeds, Sequence) else 0)
    if isinstance(points, pd.DataFrame):
        n_runs = len(points) * per_point
        if n_runs > design.CONFIRM_RUNS and not yes:  # before checking every row
            raise UsageError(f"evaluate would make {n_runs:,} runs; allowed: at most "
                             f"{design.CONFIRM_RUNS:,}, or pass yes=True to confirm (or use "
                             "plan_from_points with run_experiment, which streams to "
                             "Parquet)")
    full = validate_points(points, base, weeks)
    seed_lists = _seeds(seeds, seed, len(full), same_seeds)
    from coprod_sim.experiments.backends import refuse_while_bootstrapping

    refuse_while_bootstrapping()
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise UsageError(f"workers is {workers}; allowed: at least 1")
    tasks = [(p, r, s, values) for p, (values, ss) in enumerate(zip(full, seed_lists,
                                                                    strict=True))
             for r, s in enumerate(ss)]
    try:
        payload = cloudpickle.dumps((outcomes, weekly_outcomes))
    except Exception as err:
        raise UsageError(f"an outcome function cannot be sent to the workers ({err})") from None
    chunks = _chunks(tasks, 1 if scheduler is None and workers <= 1 else workers)
    from tqdm.auto import tqdm

    rows: list[dict[str, Any]] = []
    with tqdm(total=len(tasks), unit="run", disable=not progress) as bar:
        for part in _run_all(chunks, payload, summary, workers, scheduler):
            rows.extend(part)
            bar.update(len(part))
    table = pd.DataFrame.from_records(rows)
    table = table.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    levers = points.reset_index(drop=True).iloc[table["point"].to_numpy()]
    levers = levers.reset_index(drop=True)
    rest = [c for c in table.columns if c not in _IDS and c not in levers.columns]
    out = pd.concat([table[_IDS], levers, table[rest]], axis=1)
    if "error" in out and out["error"].isna().all():
        out = out.drop(columns="error")
    return out


def outcomes_from_weekly(weekly: pd.DataFrame, outcomes: Mapping[str, Outcome],
                         by: str = "run") -> pd.DataFrame:
    """Apply your weekly-table measures to every run of a stacked weekly table.

    Use it on ``run_experiment(...).weekly`` (or ``load_results(...).weekly``)
    to add your own outcomes to a sweep made from an experiment file.

    Returns:
        One row per ``by`` value (default: per run), one column per outcome.
    """
    outcomes = _check_outcomes(outcomes, "outcomes")
    if by not in weekly.columns:
        raise UsageError(f"the weekly table has no {by!r} column")
    rows = []
    for key, part in weekly.groupby(by, sort=True):
        part = part.sort_values("week") if "week" in part else part
        rows.append({by: key, **{k: _python(fn(part.reset_index(drop=True)))
                                 for k, fn in outcomes.items()}})
    return pd.DataFrame.from_records(rows)
