"""The columns of a sweep's tables that are not weekly outcomes or parameters.

The runs table of a sweep has one row per run: its identifiers, every
parameter, and its summary. Each outcome column there is the outcome's value
in the **last week** of the run (``trust`` is trust at the end). Two weekly
columns would be ambiguous in a one-row-per-run table, so they are renamed
(:data:`RENAMED`), and ``week`` (always equal to ``weeks``) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A column that is not an outcome of :data:`coprod_sim.outcomes.OUTCOMES`.

    Attributes:
        name: Column name.
        definition: One plain sentence.
        unit: Unit ("run", "people", "week", "share", "text", ...).
        tables: Which tables hold it: "runs", "weekly" or "runs, weekly".
    """

    name: str
    definition: str
    unit: str
    tables: str = "runs"


#: Weekly outcomes renamed in the runs table, where they mean the last week.
RENAMED = {"participants": "final_week_participants", "stage": "final_stage"}
#: Weekly outcomes left out of the runs table (``week`` always equals ``weeks``).
DROPPED = ("week",)

IDS: dict[str, Column] = {c.name: c for c in [
    Column("run", "Run number: point x replicates + replicate, from 0.", "run",
           "runs, weekly"),
    Column("point", "Design point: one combination of lever values, from 0.", "point",
           "runs, weekly"),
    Column("replicate", "Replicate: which of the runs of one design point, from 0.", "replicate",
           "runs, weekly"),
    Column("seed", "The random seed of the run (the same seed gives identical results).",
           "seed", "runs, weekly"),
    Column("scenario", "The base scenario of the design point.", "text", "runs, weekly"),
]}

SUMMARY_ONLY: dict[str, Column] = {c.name: c for c in [
    Column("final_week_participants", "How many people took part in an activity in the last "
           "week of the run.", "people"),
    Column("final_stage", "The co-production stage the project was in in the last week.",
           "text"),
    Column("mean_participation_rate", "Share taking part (last 13 weeks), averaged over every "
           "week of the run.", "share"),
    Column("peak_participants", "Most people taking part in any one week of the run.",
           "people"),
    Column("payback_week", "First week in which benefit so far reached cost so far (empty if "
           "it never did within the run).", "week"),
]}
