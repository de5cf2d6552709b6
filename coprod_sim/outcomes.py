"""What the model reports: outcome definitions in plain language, and the weekly recorder.

:data:`OUTCOMES` defines every column of the weekly table: a label, a
one-sentence plain-language definition (the notebooks and dashboards show it
beside the number), its bounds, and whether higher is better.
:class:`Recorder` fills one row per week from the model's state arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from coprod_sim.population import AGES, DEPRIVATION, NEED_LABELS, NEEDS, ROLES

if TYPE_CHECKING:
    from coprod_sim.model import CoproductionModel

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
    """
    k = np.count_nonzero(took_part)
    if k == 0:
        return 0.0
    n = age.size
    fpc = max(n - k, 0) / max(n - 1, 1)
    distance = 0.0
    dims = [(age, age_share), (dep, dep_share)]
    if role is not None and role_share is not None:
        dims.append((role, role_share))
    for codes, share in dims:
        observed = np.bincount(codes[took_part], minlength=share.size) / k
        chance = float((share * (1.0 - share)).sum()) / k * fpc
        squared = float(((observed - share) ** 2).sum()) - chance
        distance += np.sqrt(max(0.0, squared))
    return float(max(0.0, 1.0 - distance / len(dims)))


class Recorder:
    """Collects one row per week into ``model_vars`` (a dict of lists).

    Its attributes mirror what :func:`mesa.batch_run` reads from a Mesa
    ``DataCollector`` (``model_vars``, ``_collection_steps`` and empty agent
    records), so ``batch_run`` works with this model.
    """

    def __init__(self, model: CoproductionModel):
        st = model.state
        self.model_vars: dict[str, list[Any]] = {name: [] for name in OUTCOMES}
        self._collection_steps: list[int] = []
        self._agent_records: dict = {}
        self._agenttype_records: dict = {}
        self.agent_reporters: dict = {}
        self.agenttype_reporters: dict = {}
        any_need = st.needs[:, :6].any(axis=1)
        # Group codes for participation by group: one bincount per grouping.
        self.groupings = [(st.age, len(AGES)), (st.dep, len(DEPRIVATION)),
                          (st.role, len(ROLES)), (any_need.astype(np.int64) ^ 1, 2)]
        sizes = np.concatenate([np.bincount(code, minlength=k) for code, k in self.groupings]
                               + [st.needs.sum(axis=0)])
        self.group_size = np.maximum(sizes, 1)
        self.needs_f = st.needs.astype(float)
        self._recent: np.ndarray | None = None
        self._n_recent = 0
        self._n_reached = -1
        self._rep = 0.0
        self._groups: list[float] = []
        self._lift = 0.0
        self._state = st

    def _conf0_reached(self) -> float:
        st = self._state
        return float(st.confidence0[st.reached].mean()) if st.reached.any() else 0.0

    def record(self, model: CoproductionModel) -> dict[str, Any]:
        """Compute this week's outcomes, append them, and return them as a dict."""
        st, sf = model.state, model.staff_state
        week = model.week
        # Who took part in the last 13 weeks changes only when someone takes part
        # or someone's 13 weeks run out: otherwise last week's figures still hold.
        n_reached_now = np.count_nonzero(st.reached)
        same = (self._recent is not None and not model.current_week.part.any()
                and n_reached_now == self._n_reached
                and not np.any(st.last_part == week - RECENT))
        self._n_reached = n_reached_now
        if same:
            recent, n_recent = self._recent, self._n_recent
        else:
            recent = week - st.last_part < RECENT
            n_recent = np.count_nonzero(recent)
            self._recent, self._n_recent = recent, n_recent
            self._rep = representativeness(recent, st.age, st.dep, model.age_share,
                                           model.dep_share, st.role, model.role_share)
            counts = np.concatenate([np.bincount(code[recent], minlength=k)
                                     for code, k in self.groupings]
                                    + [recent.astype(float) @ self.needs_f])
            self._groups = (counts / self.group_size).tolist()
            self._lift = (float(st.confidence0[recent].mean() - self._conf0_reached())
                          if n_recent else 0.0)
        model.representativeness = self._rep
        ever_mask = st.ever_part
        ever = np.count_nonzero(ever_mask)
        reached = st.reached.astype(float)
        n_reached = max(1.0, reached.sum())
        tally = model.tally
        staff_air = sf.airtime.sum()
        influence = model.plan_users / model.views_considered if model.views_considered else 0.0
        plan = model.plan_users + model.plan_staff
        plan_share = model.plan_users / plan if plan else 0.0
        own = model.plan_users / model.own_views if model.own_views else 0.0
        score = 0.5 * own + 0.5 * plan_share
        wk = model.current_week
        if wk.focus_seats:
            model.focus_seats += wk.focus_seats
            model.focus_filled += int(np.count_nonzero(wk.took[:, 1]))
        lift = self._lift
        kept = np.count_nonzero(ever_mask & st.engaged)
        row = {
            "week": week + 1,
            "stage": model.stage,
            "participants": int(np.count_nonzero(model.current_week.part)),
            "participation_rate": n_recent / st.n,
            "ever_took_part": ever / st.n,
            "contacts_per_person": float(st.times.sum() / ever) if ever else 0.0,
            "retention": kept / ever if ever else 0.0,
            "dropped_out": int(ever - kept),
            "representativeness": model.representativeness,
            "voice_equality": (tally["equality_sum"] / tally["meetings"]
                               if tally["meetings"] else 0.0),
            "quiet_voice": (tally["quiet_airtime"] / tally["quiet_seats"]
                            if tally["quiet_seats"] else 0.0),
            "frontline_voice": (max(0.0, 1.0 - float(sf.airtime[sf.manager].sum() / staff_air))
                                if staff_air else 0.0),
            "influence": influence,
            "user_plan_share": plan_share,
            "tokenism": (np.count_nonzero(ever_mask & (st.adopted == 0)) / ever
                         if ever else 0.0),
            "understanding": (model.understanding_sum / model.understanding_n
                              if model.understanding_n else 0.0),
            "confidence": float(st.confidence @ ever_mask) / ever if ever else 0.0,
            "confidence_lift": lift,
            "focus_group_fill": (model.focus_filled / model.focus_seats
                                 if model.focus_seats else 0.0),
            "trust": float(st.trust @ reached / n_reached),
            "efficacy": float(st.efficacy @ reached / n_reached),
            "motivation": float(st.motivation @ reached / n_reached),
            "fatigue": float(st.fatigue @ recent) / n_recent if n_recent else 0.0,
            "staff_openness": float(sf.openness.sum()) / sf.n,
            "staff_anxiety": float(sf.anxiety.sum()) / sf.n,
            "resistance": model.resistance,
            "cost": model.cost,
            "benefit": model.benefit,
            "net_benefit": model.benefit - model.cost,
            "ladder_score": score,
            "ladder": ladder_rung(score),
        }
        row.update(zip(GROUP_COLUMNS, self._groups, strict=True))
        for name, value in row.items():
            self.model_vars[name].append(value)
        self._collection_steps.append(model.steps)
        return row
