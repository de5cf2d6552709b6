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
        low: Lowest possible value (None for text).
        high: Highest possible value (None when unbounded).
        better: ``"higher"``, ``"lower"`` or ``""`` when neither.
        unit: Unit ("share", "people", "GBP", ...).
    """

    name: str
    label: str
    definition: str
    low: float | None = 0.0
    high: float | None = 1.0
    better: str = "higher"
    unit: str = "share"


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
            "How evenly talking time is shared in meetings (1 is perfectly even; 0 when "
            "no meeting has been held)."),
    Outcome("quiet_voice", "Voice of less confident people",
            "Talking time of less confident people compared with their share of seats "
            "(1 is a fair share; 0 when none has been to a meeting).", 0, None),
    Outcome("frontline_voice", "Front-line staff voice",
            "Share of the staff's talking time in meetings that comes from front-line "
            "staff rather than managers."),
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
            "Share of focus group seats filled so far (0 when none has been held)."),
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
            "Value to the service so far from changes that came from users' views.",
            0, None, "higher", "GBP"),
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
                       role_share: np.ndarray | None = None) -> float | np.ndarray:
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

    Arrays may have a leading run axis (people on the last axis, shares
    ``(runs, k)``); then one figure per run is returned.
    """
    if np.ndim(took_part) == 1:
        out = representativeness(
            took_part[None], age[None], dep[None], np.asarray(age_share)[None],
            np.asarray(dep_share)[None], None if role is None else role[None],
            None if role_share is None else np.asarray(role_share)[None])
        return float(out[0])
    k = took_part.sum(axis=-1)
    n = age.shape[-1]
    safe_k = np.maximum(k, 1)
    fpc = np.maximum(n - k, 0) / max(n - 1, 1)
    distance = np.zeros(k.shape)
    dims = [(age, age_share), (dep, dep_share)]
    if role is not None and role_share is not None:
        dims.append((role, role_share))
    for codes, share in dims:
        counts = (took_part[..., None] & (codes[..., None] == np.arange(share.shape[-1]))
                  ).sum(axis=-2)
        observed = counts / safe_k[:, None]
        chance = (share * (1.0 - share)).sum(axis=-1) / safe_k * fpc
        squared = ((observed - share) ** 2).sum(axis=-1) - chance
        distance = distance + np.sqrt(np.maximum(0.0, squared))
    return np.where(k > 0, np.maximum(0.0, 1.0 - distance / len(dims)), 0.0)


#: Columns of the weekly table that hold whole numbers (the rest are floats or text).
INTEGER_COLUMNS = ("week", "participants", "dropped_out")
#: Columns that hold text.
TEXT_COLUMNS = ("stage", "ladder")


class Recorder:
    """Collects one row per run per week: every outcome computed for all runs at once.

    ``record(b)`` appends this week's outcomes (one array over runs per
    column); :meth:`tables` gives one weekly DataFrame per run, with the same
    columns and dtypes as a single run's table. :meth:`model_vars` gives one
    run's columns as lists (what a Mesa ``DataCollector`` holds).
    """

    def __init__(self, b):
        st = b.state
        self.columns: dict[str, list[np.ndarray]] = {name: [] for name in OUTCOMES}
        any_need = st.needs[:, :, :6].any(axis=-1)
        # Group membership for participation by group: age, deprivation, role,
        # with and without needs, then each need.
        groups = [st.age[:, :, None] == np.arange(len(AGES)),
                  st.dep[:, :, None] == np.arange(len(DEPRIVATION)),
                  st.role[:, :, None] == np.arange(len(ROLES)),
                  np.stack([any_need, ~any_need], axis=-1), st.needs]
        self.groups = np.concatenate(groups, axis=-1)  # (runs, people, groups)
        self.group_size = np.maximum(self.groups.sum(axis=1), 1)
        self.stage_names = np.array(STAGES, dtype=object)

    def record(self, b) -> None:
        """Compute this week's outcomes for every run and append them."""
        st, sf, wk = b.state, b.staff_state, b.current_week
        week, n = b.week, st.n
        recent = week - st.last_part < RECENT
        n_recent = recent.sum(axis=-1)
        safe_recent = np.maximum(n_recent, 1)
        b.representativeness[:] = representativeness(recent, st.age, st.dep, b.age_share,
                                                     b.dep_share, st.role, b.role_share)
        counts = (recent[:, :, None] & self.groups).sum(axis=1)
        group_rates = counts / self.group_size
        reached = st.reached
        n_reached_people = reached.sum(axis=-1)
        conf0_reached = np.where(n_reached_people > 0, (st.confidence0 * reached).sum(axis=-1)
                                 / np.maximum(n_reached_people, 1), 0.0)
        lift = np.where(n_recent > 0, (st.confidence0 * recent).sum(axis=-1) / safe_recent
                        - conf0_reached, 0.0)
        ever_mask = st.ever_part
        ever = ever_mask.sum(axis=-1)
        safe_ever = np.maximum(ever, 1)
        has_ever = ever > 0
        n_reached = np.maximum(1.0, n_reached_people)
        tally = b.tally
        staff_air = sf.airtime.sum(axis=-1)
        influence = _ratio(b.plan_users, b.views_considered)
        plan = b.plan_users + b.plan_staff
        plan_share = _ratio(b.plan_users, plan)
        own = _ratio(b.plan_users, b.own_views)
        score = 0.5 * own + 0.5 * plan_share
        b.focus_seats += wk.focus_seats
        b.focus_filled += np.where(wk.focus_seats > 0, wk.took[:, :, 1].sum(axis=-1), 0)
        kept = (ever_mask & st.engaged).sum(axis=-1)
        manager_air = (sf.airtime * sf.manager).sum(axis=-1)
        row = {
            "week": np.full(b.B, week + 1, dtype=np.int64),
            "stage": self.stage_names[b.stage],
            "participants": wk.part.sum(axis=-1).astype(np.int64),
            "participation_rate": n_recent / n,
            "ever_took_part": ever / n,
            "contacts_per_person": np.where(has_ever, st.times.sum(axis=-1) / safe_ever, 0.0),
            "retention": np.where(has_ever, kept / safe_ever, 0.0),
            "dropped_out": (ever - kept).astype(np.int64),
            "representativeness": b.representativeness.copy(),
            "voice_equality": _ratio(tally["equality_sum"], tally["meetings"]),
            "quiet_voice": _ratio(tally["quiet_airtime"], tally["quiet_seats"]),
            "frontline_voice": np.where(staff_air > 0, np.maximum(
                0.0, 1.0 - manager_air / np.where(staff_air > 0, staff_air, 1.0)), 0.0),
            "influence": influence,
            "user_plan_share": plan_share,
            "tokenism": np.where(has_ever, (ever_mask & (st.adopted == 0)).sum(axis=-1)
                                 / safe_ever, 0.0),
            "understanding": _ratio(b.understanding_sum, b.understanding_n),
            "confidence": np.where(has_ever, (st.confidence * ever_mask).sum(axis=-1)
                                   / safe_ever, 0.0),
            "confidence_lift": lift,
            "focus_group_fill": _ratio(b.focus_filled, b.focus_seats),
            "trust": (st.trust * reached).sum(axis=-1) / n_reached,
            "efficacy": (st.efficacy * reached).sum(axis=-1) / n_reached,
            "motivation": (st.motivation * reached).sum(axis=-1) / n_reached,
            "fatigue": np.where(n_recent > 0, (st.fatigue * recent).sum(axis=-1) / safe_recent,
                                0.0),
            "staff_openness": sf.openness.sum(axis=-1) / sf.n,
            "staff_anxiety": sf.anxiety.sum(axis=-1) / sf.n,
            "resistance": b.resistance.copy(),
            "cost": b.cost.copy(),
            "benefit": b.benefit.copy(),
            "net_benefit": b.benefit - b.cost,
            "ladder_score": score,
            "ladder": np.array(LADDER, dtype=object)[(score >= LADDER_CUTS[0]).astype(int)
                                                     + (score >= LADDER_CUTS[1])],
        }
        for k, name in enumerate(GROUP_COLUMNS):
            row[name] = group_rates[:, k]
        for name, value in row.items():
            self.columns[name].append(value)

    def stacked(self) -> dict[str, np.ndarray]:
        """Every column as a ``(weeks, runs)`` array."""
        return {name: np.stack(values) if values else np.zeros((0, 0))
                for name, values in self.columns.items()}

    def tables(self) -> list[pd.DataFrame]:
        """One weekly DataFrame per run (columns as in :data:`OUTCOMES`)."""
        data = self.stacked()
        names = list(OUTCOMES)
        floats = [k for k in names if k not in INTEGER_COLUMNS and k not in TEXT_COLUMNS]
        block = np.stack([data[k].astype(float) for k in floats], axis=-1)  # weeks, runs, k
        out = []
        for b in range(block.shape[1]):
            frame = pd.DataFrame(block[:, b, :], columns=floats)
            for k in INTEGER_COLUMNS:
                frame[k] = data[k][:, b]
            for k in TEXT_COLUMNS:
                frame[k] = data[k][:, b].tolist()
            out.append(frame[names])
        return out

    def model_vars(self, b: int = 0) -> dict[str, list[Any]]:
        """Run ``b``'s columns as lists of Python numbers and strings."""
        return {name: [v[b].item() if hasattr(v[b], "item") else v[b] for v in values]
                for name, values in self.columns.items()}


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """``top / bottom`` per run, 0 where ``bottom`` is 0."""
    return np.where(bottom != 0, top / np.where(bottom != 0, bottom, 1), 0.0)
