"""What the model reports: outcome definitions in plain language, and the weekly recorder.

:data:`OUTCOMES` defines every column of the weekly table: a label, a
one-sentence plain-language definition (the notebooks and dashboards show it
beside the number), its bounds, and whether higher is better.
:class:`Recorder` fills one row per week from the model's state arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coprod_sim.population import AGES, DEPRIVATION, NEED_LABELS, NEEDS, ROLES
from coprod_sim.presets import STAGES

#: Weeks that count as "recent" participation (a quarter of a year).
RECENT = 13

#: The continuum of Needham & Carr (2009), as cut points on the ladder score.
LADDER = ("description", "recognition", "transformation")
LADDER_CUTS = (0.35, 0.7)
LADDER_TEXT = {
    "description": "Description: involvement is compliance or a transaction.",
    "recognition": "Recognition: views are asked for and recognised, but not fully used.",
    "transformation": "Transformation: an equal partnership with the same input, "
                      "respect and power.",
}


@dataclass(frozen=True)
class Outcome:
    """One reported outcome.

    Attributes:
        name: Column name in the weekly table.
        label: Short plain-language label.
        definition: One plain-language sentence.
        low: Lowest possible value (None for text or when unbounded).
        high: Highest possible value (None when unbounded).
        better: ``"higher"``, ``"lower"`` or ``""`` when neither.
        unit: Unit ("share", "people", "GBP", ...).
        missing: For an outcome that does not apply to every design, the plain
            note shown in place of a number when it does not apply (the
            table holds NaN then, never 0); "" for outcomes that always apply.
    """

    name: str
    label: str
    definition: str
    low: float | None = 0.0
    high: float | None = 1.0
    better: str = "higher"
    unit: str = "share"
    missing: str = ""


def _group_outcomes() -> list[Outcome]:
    groups = [(f"part_age_{_slug(a)}", f"aged {a}") for a in AGES]
    groups += [(f"part_{_slug(d)}", f"in the {d}") for d in DEPRIVATION]
    groups += [(f"part_{_plural(r)}" if r != "community" else "part_community",
                _plural(r) if r != "community" else "community members") for r in ROLES]
    groups += [("part_with_needs", "with an access need"),
               ("part_without_needs", "with no access need")]
    groups += [(f"part_need_{need}", f"who {NEED_LABELS[need]}") for need in NEEDS]
    return [Outcome(col, f"Taking part: {who}",
                    f"Share of people {who} who took part in the last 13 weeks.")
            for col, who in groups]


def _plural(role: str) -> str:
    return "families" if role == "family" else role + "s"


def _slug(text: str) -> str:
    return (text.replace("+", "_plus").replace("-", "_").replace(" ", "_")
            .replace("fifths", "").replace("fifth", "").strip("_"))


#: The note shown for a meeting outcome of a design that holds no meeting.
NO_MEETING = "Does not apply: no meeting (forum or focus group) has been held."

OUTCOMES: dict[str, Outcome] = {o.name: o for o in [
    Outcome("week", "Week", "The week of the project (one step is one week).",
            1, None, "", "week"),
    Outcome("stage", "Stage", "The co-production stage the project is in this week.",
            None, None, "", "text"),
    Outcome("participants", "People taking part this week",
            "How many people took part in any activity this week.", 0, None, "higher",
            "people"),
    Outcome("participation_rate", "Taking part",
            "Share of everyone affected who took part in the last 13 weeks."),
    Outcome("ever_took_part", "Ever took part",
            "Share of everyone affected who has taken part at least once."),
    Outcome("contacts_per_person", "How often people take part",
            "Average number of activities per person who has taken part.",
            0, None, "higher", "activities"),
    Outcome("retention", "Still involved",
            "Share of people who have taken part who have not dropped out."),
    Outcome("dropped_out", "Dropped out",
            "How many people who took part have since dropped out.", 0, None, "lower",
            "people"),
    Outcome("representativeness", "Representative mix",
            "How closely the people taking part (last 13 weeks) match everyone affected "
            "by age, deprivation and role, beyond what chance gives a group of that size "
            "(1 is a match, 0 nobody)."),
    Outcome("voice_equality", "Equal voice",
            "How evenly talking time in meetings is shared across everyone invited, from "
            "the least to the most confident (1 is even; people who stayed away have "
            "none, so leaving people out never counts as equal).",
            missing=NO_MEETING),
    Outcome("quiet_voice", "Voice of less confident people",
            "Talking time of less confident people in meetings compared with their share "
            "of the people invited (1 is a fair share; 0 when none of them came).", 0, None,
            missing=NO_MEETING),
    Outcome("frontline_voice", "Front-line staff voice",
            "Share of the staff's talking time in meetings that comes from front-line "
            "staff rather than managers.", missing=NO_MEETING),
    Outcome("influence", "Influence",
            "Share of service users' views that put something of their own into the "
            "action plan."),
    Outcome("user_plan_share", "Plan from service users",
            "Share of the action plan that came from service users' views."),
    Outcome("tokenism", "Taking part without influence",
            "Share of the people who took part who never saw any of their views adopted.",
            better="lower"),
    Outcome("understanding", "Understanding",
            "How much of the discussion the people taking part followed, on average "
            "(1 is all of it)."),
    Outcome("confidence", "Confidence",
            "Average confidence to speak up among people who have taken part."),
    Outcome("confidence_lift", "Confidence of those taking part",
            "How much more confident the people taking part (last 13 weeks) were at the "
            "start than everyone invited (0 is no difference).", -1.0, 1.0, "lower"),
    Outcome("focus_group_fill", "Focus group seats filled",
            "Share of focus group seats filled so far.",
            missing="Does not apply: no focus group has been held."),
    Outcome("trust", "Trust", "Average trust in the service among people invited."),
    Outcome("efficacy", "'My views change things'",
            "Average belief among people invited that their views change things."),
    Outcome("motivation", "Motivation", "Average motivation to take part among people invited."),
    Outcome("fatigue", "Fatigue",
            "Average tiredness from taking part among people who took part in the last "
            "13 weeks.", better="lower"),
    Outcome("staff_openness", "Staff openness",
            "Average openness of staff to sharing power."),
    Outcome("staff_anxiety", "Staff anxiety",
            "Average staff anxiety about risk as power shifts.", better="lower"),
    Outcome("resistance", "Resistance to change",
            "How much the organisation's policies, procedures and staff resist change.",
            better="lower"),
    Outcome("cost", "Cost so far", "Money spent on involvement so far.", 0, None, "lower",
            "GBP"),
    Outcome("benefit", "Benefit so far",
            "Value to the service so far from changes that came from users' views. "
            "Below zero only when the assumed return per £1 is below zero.",
            None, None, "higher", "GBP"),
    Outcome("net_benefit", "Benefit minus cost", "Benefit so far minus cost so far.",
            None, None, "higher", "GBP"),
    Outcome("ladder_score", "Partnership score",
            "How far the project is along the continuum from description (0) to "
            "transformation (1): the average of the share of users' own proposals adopted "
            "and the plan's share from users."),
    Outcome("ladder", "Where the project sits",
            "Description, recognition or transformation (Needham & Carr 2009).",
            None, None, "", "text"),
    *_group_outcomes(),
]}

#: Outcome columns that hold numbers (everything but stage and ladder).
NUMERIC = tuple(k for k, o in OUTCOMES.items() if o.unit != "text")
#: Outcomes that do not apply to every design: NaN in the table where they do not
#: (a plain note, :attr:`Outcome.missing`, says why), never a made-up 0.
MAY_NOT_APPLY = tuple(k for k, o in OUTCOMES.items() if o.missing)
#: Participation by group (age, deprivation, role, needs).
GROUP_COLUMNS = tuple(k for k in OUTCOMES if k.startswith("part_"))


def define(name: str) -> str:
    """Return the plain-language definition of an outcome.

    Raises:
        KeyError: naming the outcome and the known names.
    """
    try:
        return OUTCOMES[name].definition
    except KeyError:
        raise KeyError(f"unknown outcome {name!r}; known: {', '.join(OUTCOMES)}") from None


def ladder_rung(score: float) -> str:
    """Map a ladder score (0-1) to description, recognition or transformation."""
    return LADDER[int(score >= LADDER_CUTS[0]) + int(score >= LADDER_CUTS[1])]


def representativeness(took_part: np.ndarray, age: np.ndarray, dep: np.ndarray,
                       age_share: np.ndarray, dep_share: np.ndarray,
                       role: np.ndarray | None = None,
                       role_share: np.ndarray | None = None) -> float:
    """How closely the people taking part match everyone affected, beyond chance.

    For age bands, deprivation bands and (when given) roles (patients, carers,
    families, community: the directly and indirectly affected): the distance between the shares
    among participants and in the population, ``sqrt(sum((p_hat - p)^2))``,
    estimated without the part a random sample of the same size would show by
    chance (its expectation, ``sum(p (1 - p)) / k`` with the finite-population
    correction, is taken off the squared distance, floored at 0). They are
    averaged and taken from 1 (floored at 0).
    So a random sample scores near 1 at any size, and a group skewed the same
    way scores the same at any size; 0 when nobody took part.

    One run's arrays; the recorder computes the same figure for every run at
    once from counts (:func:`representativeness_from_counts`).
    """
    dims = [(age, age_share), (dep, dep_share)]
    if role is not None and role_share is not None:
        dims.append((role, role_share))
    counts = [np.bincount(codes[took_part], minlength=len(share)) for codes, share in dims]
    shares = [np.asarray(share, dtype=float) for _codes, share in dims]
    out = representativeness_from_counts(
        [c[None].astype(float) for c in counts], [sh[None] for sh in shares],
        np.array([np.count_nonzero(took_part)]), age.size)
    return float(out[0])


def representativeness_from_counts(counts: list[np.ndarray], shares: list[np.ndarray],
                                   k: np.ndarray, n: int) -> np.ndarray:
    """:func:`representativeness` from the participants' counts per band.

    ``counts[d]`` and ``shares[d]`` are ``(..., bands)`` for each dimension
    ``d`` (age, deprivation, role), ``k`` the number taking part ``(...)``,
    ``n`` the number of people. Elementwise over the leading axes (runs, weeks);
    the sums over a dimension's bands are per row, so a run's figure never
    depends on the others'.
    """
    count = np.concatenate(counts, axis=-1)
    share = np.concatenate(shares, axis=-1)
    starts = np.cumsum([0] + [c.shape[-1] for c in counts[:-1]])
    safe_k = np.maximum(k, 1)[..., None]
    fpc = (np.maximum(n - k, 0) / max(n - 1, 1))[..., None]
    gap = np.add.reduceat((count / safe_k - share) ** 2, starts, axis=-1)
    chance = np.add.reduceat(share * (1.0 - share), starts, axis=-1)
    squared = gap - chance / safe_k * fpc
    distance = np.sqrt(np.maximum(0.0, squared)).sum(axis=-1)
    return np.where(k > 0, np.maximum(0.0, 1.0 - distance / len(counts)), 0.0)


#: Columns of the weekly table that hold whole numbers (the rest are floats or text).
INTEGER_COLUMNS = ("week", "participants", "dropped_out")
#: Columns that hold text.
TEXT_COLUMNS = ("stage", "ladder")
#: Band columns of the group matrix used for representativeness: age, deprivation, role.
_REP_BANDS = ((0, len(AGES)), (len(AGES), len(AGES) + len(DEPRIVATION)),
              (len(AGES) + len(DEPRIVATION), len(AGES) + len(DEPRIVATION) + len(ROLES)))


class Recorder:
    """Collects one row per run per week: every outcome computed for all runs at once.

    ``record(b)`` keeps this week's counts and sums over people (a few array
    operations for all runs); the outcomes derived from them (shares, ratios,
    the ladder) are computed for every week and run at once when the tables are
    built. :meth:`tables` gives one weekly DataFrame per run, with the same
    columns and dtypes as a single run's table; :meth:`model_vars` gives one
    run's columns as lists (what a Mesa ``DataCollector`` holds).
    """

    def __init__(self, b):
        st = b.state
        any_need = st.needs[:, :, :6].any(axis=-1)
        # Group membership for participation by group: age, deprivation, role,
        # with and without needs, then each need (0/1, so counts by matmul are exact).
        groups = [st.age[:, :, None] == np.arange(len(AGES)),
                  st.dep[:, :, None] == np.arange(len(DEPRIVATION)),
                  st.role[:, :, None] == np.arange(len(ROLES)),
                  np.stack([any_need, ~any_need], axis=-1), st.needs]
        self.groups = np.concatenate(groups, axis=-1).astype(float)  # (runs, people, groups)
        self.group_size = np.maximum(self.groups.sum(axis=1), 1)
        self.shares = [np.concatenate([b.age_share, b.dep_share, b.role_share], axis=-1)
                       [:, lo:hi] for lo, hi in _REP_BANDS]
        self.n, self.m = st.n, b.staff_state.n
        self.weeks = 0
        self._rows: dict[str, list[np.ndarray]] = {k: [] for k in (
            "count", "group", "sum", "conf0_reached", "staff", "manager_air", "batch", "times",
            "stage")}
        runs, n = st.confidence0.shape[0], st.n
        self._flags = np.zeros((runs, 7, n), dtype=bool)
        self._mask_rows = np.array([0, 0, 2, 2, 2, 1])

        self._derived: dict[str, np.ndarray] | None = None
        self._latest: np.ndarray | None = None
        self._manager_air: np.ndarray | None = None
        self._focus_possible = bool(b.method_use[:, 1].any())

    def record(self, b) -> None:
        """Keep this week's counts and sums over people, for every run."""
        st, sf, wk = b.state, b.staff_state, b.current_week
        flags = self._flags
        recent = np.less(b.week - st.last_part, RECENT, out=flags[:, 0])
        ever = st.ever_part
        flags[:, 1] = ever
        flags[:, 2] = st.reached
        np.logical_and(ever, st.engaged, out=flags[:, 3])
        np.logical_and(ever, st.adopted == 0, out=flags[:, 4])
        flags[:, 5] = wk.part
        flags[:, 6] = wk.took[1]
        counts = flags.sum(axis=-1)  # (runs, 7) whole numbers
        groups = np.matmul(recent[:, None, :].astype(float), self.groups)[:, 0, :]
        # confidence0, fatigue, trust, efficacy, motivation, confidence (state rows),
        # each summed over its people: the recent, reached or ever taking part
        sums = np.where(flags[:, self._mask_rows], st.block_recorded, 0.0).sum(axis=-1)
        conf0_reached = np.where(flags[:, 2], st.confidence0, 0.0).sum(axis=-1)
        staff_sums = sf.block_recorded.sum(axis=-1)  # airtime, openness, anxiety
        if self._manager_air is None or wk.running[:, :2].any():  # airtime moves in meetings
            self._manager_air = np.where(sf.manager, sf.airtime, 0.0).sum(axis=-1)
        manager_air = self._manager_air
        b.focus_seats += wk.focus_seats
        if self._focus_possible:
            b.focus_filled += np.where(wk.focus_seats > 0, counts[:, 6], 0)
        rows = self._rows
        rows["count"].append(counts)
        rows["group"].append(groups)
        rows["sum"].append(sums)
        rows["conf0_reached"].append(conf0_reached)
        rows["staff"].append(staff_sums)
        rows["manager_air"].append(manager_air)
        rows["batch"].append(b.ledger.copy())
        rows["times"].append(st.times.sum(axis=-1))
        rows["stage"].append(b.stage)
        self.weeks += 1
        self._derived = None
        self._latest = None

    def latest_representativeness(self) -> np.ndarray:
        """The mix of people taking part in the last week recorded, per run (0 before any)."""
        if self._latest is None:
            if not self.weeks:
                return np.zeros(len(self.shares[0]))
            self._latest = self._representativeness(self._rows["group"][-1],
                                                     self._rows["count"][-1][:, 0])
        return self._latest

    def _representativeness(self, groups: np.ndarray, k: np.ndarray) -> np.ndarray:
        shares = self.shares if groups.ndim == 2 else [sh[None] for sh in self.shares]
        return representativeness_from_counts(
            [groups[..., lo:hi] for lo, hi in _REP_BANDS], shares, k, self.n)

    def derived(self) -> dict[str, np.ndarray]:
        """Every outcome column as a ``(weeks, runs)`` array (computed once per week count)."""
        if self._derived is not None:
            return self._derived
        rows = self._rows
        if not self.weeks:
            return {name: np.zeros((0, 0)) for name in OUTCOMES}
        counts, groups, sums, staff, batch = (np.stack(rows[k]) for k in
                                              ("count", "group", "sum", "staff", "batch"))
        n, m = self.n, self.m
        n_recent, ever, n_reached_people, kept, never_adopted, part = (
            counts[..., j] for j in range(6))
        (meetings, equality_sum, quiet_airtime, quiet_seats, plan_users, plan_staff,
         views_considered, own_views, understanding_sum, understanding_n, focus_seats,
         focus_filled, resistance, cost, benefit) = (batch[..., j] for j in range(15))
        times = np.stack(rows["times"])
        runs = counts.shape[1]
        has_ever = ever > 0
        safe_ever = np.maximum(ever, 1)
        n_reached = np.maximum(1.0, n_reached_people)
        conf0_reached = _ratio(np.stack(rows["conf0_reached"]), n_reached_people)
        manager_air = np.stack(rows["manager_air"])
        lift = np.where(n_recent > 0, sums[..., 0] / np.maximum(n_recent, 1) - conf0_reached,
                        0.0)
        plan = plan_users + plan_staff
        plan_share = _ratio(plan_users, plan)
        score = 0.5 * _ratio(plan_users, own_views) + 0.5 * plan_share
        staff_air = staff[..., 0]
        out = {
            "week": np.broadcast_to(np.arange(1, self.weeks + 1)[:, None],
                                    (self.weeks, runs)).astype(np.int64),
            "stage": np.array(STAGES, dtype=object)[np.stack(rows["stage"])],
            "participants": part.astype(np.int64),
            "participation_rate": n_recent / n,
            "ever_took_part": ever / n,
            "contacts_per_person": np.where(has_ever, times / safe_ever, 0.0),
            "retention": np.where(has_ever, kept / safe_ever, 0.0),
            "dropped_out": (ever - kept).astype(np.int64),
            "representativeness": self._representativeness(groups, n_recent),
            "voice_equality": _ratio(equality_sum, meetings, np.nan),
            "quiet_voice": _ratio(quiet_airtime, quiet_seats, np.nan),
            "frontline_voice": np.where(staff_air > 0, np.maximum(
                0.0, 1.0 - _ratio(manager_air, staff_air)), np.nan),
            "influence": _ratio(plan_users, views_considered),
            "user_plan_share": plan_share,
            "tokenism": np.where(has_ever, never_adopted / safe_ever, 0.0),
            "understanding": _ratio(understanding_sum, understanding_n),
            "confidence": np.where(has_ever, sums[..., 5] / safe_ever, 0.0),
            "confidence_lift": lift,
            "focus_group_fill": _ratio(focus_filled, focus_seats, np.nan),
            "trust": sums[..., 2] / n_reached,
            "efficacy": sums[..., 3] / n_reached,
            "motivation": sums[..., 4] / n_reached,
            "fatigue": _ratio(sums[..., 1], n_recent),
            "staff_openness": staff[..., 1] / m,
            "staff_anxiety": staff[..., 2] / m,
            "resistance": resistance,
            "cost": cost,
            "benefit": benefit,
            "net_benefit": benefit - cost,
            "ladder_score": score,
            "ladder": np.array(LADDER, dtype=object)[(score >= LADDER_CUTS[0]).astype(int)
                                                     + (score >= LADDER_CUTS[1])],
        }
        rates = groups / self.group_size[None]
        for k, name in enumerate(GROUP_COLUMNS):
            out[name] = rates[..., k]
        self._derived = out
        return out

    def tables(self) -> list[pd.DataFrame]:
        """One weekly DataFrame per run (columns as in :data:`OUTCOMES`).

        Built as one table of every run's weeks (run-major), then cut into one
        table per run, each with its own copy of its rows and weeks 0.. as index.
        """
        data = self.derived()
        if not self.weeks:
            return []
        weeks, runs = data["week"].shape
        every = pd.DataFrame({name: data[name].T.reshape(-1) for name in OUTCOMES})
        if runs == 1:
            return [every]
        return [every.iloc[b * weeks:(b + 1) * weeks].reset_index(drop=True).copy()
                for b in range(runs)]

    def model_vars(self, b: int = 0) -> dict[str, list[Any]]:
        """Run ``b``'s columns as lists of Python numbers and strings."""
        if not self.weeks:
            return {name: [] for name in OUTCOMES}
        return {name: values[:, b].tolist() for name, values in self.derived().items()}


def _ratio(top: np.ndarray, bottom: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """``top / bottom`` elementwise, ``empty`` (0, or NaN: does not apply) where ``bottom`` is 0."""
    return np.divide(top, bottom, out=np.full(np.broadcast_shapes(np.shape(top),
                                                                  np.shape(bottom)), empty),
                     where=bottom != 0)


def does_not_apply(name: str, value: Any) -> str | None:
    """The plain note for an outcome that does not apply (``value`` NaN), else None."""
    o = OUTCOMES.get(name)
    if o is None or not o.missing:
        return None
    try:
        missing = bool(np.isnan(float(value)))
    except (TypeError, ValueError):
        return None
    return o.missing if missing else None
