"""People to follow: five of the model's own people, named, whom the chapters follow.

Each is picked from the model's agents by who they are (their role, age band,
deprivation fifth, access needs and starting confidence, or their grade as
staff), never by what happens to them, so the same person is picked in every
plan run with the same seed and the same population settings. Their story is
told in plain sentences generated from their own week-by-week history in the
run (:class:`~coprod_sim.curriculum.history.History`): whether they were
invited, how often they took part, how much they spoke, what happened to their
views, their trust, and whether they stayed.

The names are made up; the people are the model's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from coprod_sim.curriculum.history import DROPPED, NOT_INVITED, TAKING_PART, History
from coprod_sim.model import CoproductionModel
from coprod_sim.parameters import PARAMETERS
from coprod_sim.population import AGES, DEPRIVATION, NEED_LABELS, NEED_LEVER, NEEDS, ROLES
from coprod_sim.scenario import Scenario


@dataclass(frozen=True)
class Followed:
    """A named person (or member of staff) the chapters follow.

    Attributes:
        key: Short identifier.
        name: A first name (made up).
        who: Who they are, in a few plain words.
        index: Their row in the model's people (or staff) arrays.
        staff: True for a member of staff.
        pronoun: "she", "he" or "they".
    """

    key: str
    name: str
    who: str
    index: int
    staff: bool = False
    pronoun: str = "she"

    @property
    def possessive(self) -> str:
        """'her' or 'his'."""
        return {"she": "her", "he": "his"}.get(self.pronoun, "their")

    @property
    def was(self) -> str:
        """'was', or 'were' for 'they'."""
        return "were" if self.pronoun == "they" else "was"


@dataclass(frozen=True)
class Profile:
    """How to pick one of the people to follow from a run's population."""

    key: str
    name: str
    who: str
    pronoun: str
    pick: Callable[[History], int | None]
    staff: bool = False


def _first(mask: np.ndarray, order: np.ndarray | None = None) -> int | None:
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return None
    if order is not None:
        return int(idx[np.argmax(order[idx])])
    return int(idx[0])


#: Levers that decide who the population is (the same values give the same people).
POPULATION_LEVERS = ("n_people", "carer_share", "family_share", "community_share",
                     "young_share", "older_share", "n_staff", "manager_share")


@lru_cache(maxsize=64)
def _reachable(seed: int | None, population: tuple) -> np.ndarray:
    """Who an invitation to every group, at the usual reach, would reach at the start.

    The model draws the same chance for each person whatever the plan, so a
    person reached here is reached by any plan that invites their group at
    least this widely. Preferring them means the people we follow are usually
    in the room, without picking them by what happens to them.
    """
    s = Scenario(**dict(population), invite_patients=True, invite_carers=True,
                 invite_families=True, invite_community=True,
                 invitation_reach=PARAMETERS["invitation_reach"].default)
    return CoproductionModel(s, rng=seed).state.reached.copy()


def _either(*picks: int | None) -> int | None:
    """The first pick that found someone (index 0 counts)."""
    return next((p for p in picks if p is not None), None)


def _cols(h: History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = h.people
    return (p["role"].cat.codes.to_numpy(), p["age"].cat.codes.to_numpy(),
            p["deprivation"].cat.codes.to_numpy())


def _pick(h: History, *masks: np.ndarray, order: np.ndarray | None = None) -> int | None:
    """The first mask with someone in it, preferring people a usual invitation reaches."""
    seed = h.seed if isinstance(h.seed, int) or h.seed is None else None
    reach = _reachable(seed, tuple((k, h.scenario[k]) for k in POPULATION_LEVERS))
    tries = [(m & reach if r else m) for m in masks for r in (True, False)]
    return _either(*(_first(m, order) for m in tries))


def _carer_hearing(h: History) -> int | None:
    role, _, _ = _cols(h)
    hearing = h.needs[:, NEEDS.index("hearing")]
    return _pick(h, (role == 1) & hearing, (role == 1) & h.needs[:, :6].any(axis=1),
                 role == 1)


def _young_deprived(h: History) -> int | None:
    role, age, dep = _cols(h)
    return _pick(h, (age == 0) & (dep == 0) & (role == 0), (age == 0) & (dep == 0))


def _confident_retired(h: History) -> int | None:
    role, age, _ = _cols(h)
    return _pick(h, (age == 2) & (role == 0), age == 2, order=h.confidence0)


def _frontline(h: History) -> int | None:
    return _either(_first(~h.manager & h.staff_seat), _first(~h.manager))


def _manager(h: History) -> int | None:
    return _either(_first(h.manager & h.staff_seat), _first(h.manager))


def _describe(h: History, key: str, i: int) -> str:
    """Who a picked person is, from their own attributes (so it is always true)."""
    p = h.people.iloc[i]
    role = str(p["role"])
    needs = [n for j, n in enumerate(NEEDS[:6]) if h.needs[i, j]]
    if key == "megan":
        if "hearing" in needs:
            return f"a {role} with hearing loss"
        return f"a {role} who " + NEED_LABELS[needs[0]] if needs else f"a {role}"
    if key == "rhys":
        return f"a young {role} aged {p['age']} from the {p['deprivation']} of the area"
    if key == "glenys":
        return f"a confident {role} aged {p['age']}"
    return ""


#: The five people the chapters follow, in the order they are introduced.
PROFILES: tuple[Profile, ...] = (
    Profile("megan", "Megan", "a carer with hearing loss", "she", _carer_hearing),
    Profile("rhys", "Rhys", "a young patient from the most deprived fifth", "he",
            _young_deprived),
    Profile("glenys", "Glenys", "a confident older patient", "she", _confident_retired),
    Profile("priya", "Priya", "a front-line nurse", "she", _frontline, staff=True),
    Profile("gareth", "Gareth", "a service manager", "he", _manager, staff=True),
)


_CHOSEN: dict[tuple, list[Followed]] = {}


def choose(h: History) -> list[Followed]:
    """Pick the people to follow from a run (those the population has).

    The pick depends only on who the population is (the seed and the population
    levers), so it is remembered for the next run of the same population.
    """
    key = (h.seed if isinstance(h.seed, int) else id(h),
           tuple((k, h.scenario[k]) for k in POPULATION_LEVERS))
    if key not in _CHOSEN:
        if len(_CHOSEN) > 64:
            _CHOSEN.clear()
        _CHOSEN[key] = _choose(h)
    return list(_CHOSEN[key])


def _choose(h: History) -> list[Followed]:
    out = []
    taken: set[tuple[bool, int]] = set()
    for p in PROFILES:
        i = p.pick(h)
        if i is None or (p.staff, i) in taken:
            continue
        taken.add((p.staff, i))
        who = p.who if p.staff else _describe(h, p.key, int(i))
        out.append(Followed(p.key, p.name, who, int(i), p.staff, p.pronoun))
    return out


#: What meets each access need, in the words of a person's story.
NEED_WORDS: dict[str, str] = {
    "large_print": "large print", "hearing": "a hearing loop",
    "physical_access": "a venue that is easy to get into", "time_of_day": "meetings at "
    "suitable times", "cost": "help with travel and other costs",
    "digital": "contact that is not online", "low_literacy": "plain language, not jargon",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def story(h: History, f: Followed) -> list[str]:
    """What happened to one followed person in this run, in plain sentences."""
    if f.staff:
        return _staff_story(h, f)
    i, she, her = f.index, f.pronoun.capitalize(), f.possessive
    status = h.status[:, i]
    s = h.scenario
    lines = []
    unmet = [NEED_WORDS[n] for j, n in enumerate(NEEDS)
             if h.needs[i, j] and not s[NEED_LEVER[n]]]
    invited = np.flatnonzero(status != NOT_INVITED)
    if invited.size == 0:
        lines.append(f"{f.name}, {f.who}, was never invited: this plan's invitations "
                     "did not reach "
                     + {"she": "her.", "he": "him."}.get(f.pronoun, "them."))
        if unmet:
            need = "need" if f.pronoun == "they" else "needs"
            lines.append(f"Had {she.lower()} been invited, the plan did not offer what "
                         f"{she.lower()} {need}: " + "; ".join(unmet) + ".")
        return lines
    first_inv = int(invited[0]) + 1
    lines.append(f"{f.name}, {f.who}, was invited "
                 + ("at the start." if first_inv == 1 else
                    f"in week {first_inv}, by someone {she.lower()} knows."))
    times = int(h.attended[:, i].sum())
    if times == 0:
        lines.append(f"{she} never took part.")
    else:
        first = int(np.flatnonzero(h.attended[:, i])[0]) + 1
        meetings = int(h.at_table[:, i].sum())
        text = f"{she} took part {_plural(times, 'time')}, first in week {first}"
        if meetings:
            spoke = h.spoke[:, i][h.at_table[:, i]]
            text += (f", and sat at {_plural(meetings, 'meeting')}, where {she.lower()} had "
                     f"on average {spoke.mean():.0%} of the talking time")
        lines.append(text + ".")
        views, adopted = int(h.views[-1, i]), int(h.adopted[-1, i])
        if views:
            lines.append(f"{she} gave {_plural(views, 'view')}; "
                         + ("none was" if adopted == 0 else
                            "all were" if adopted == views else
                            f"{adopted} {'was' if adopted == 1 else 'were'}")
                         + " adopted into the action plan.")
    if unmet:
        need = "need" if f.pronoun == "they" else "needs"
        lines.append(f"The plan did not offer what {she.lower()} {need}: "
                     + "; ".join(unmet) + ".")
    t0, t1 = float(h.trust[0, i]), float(h.trust[-1, i])
    word = "rose" if t1 > t0 + 0.02 else "fell" if t1 < t0 - 0.02 else "stayed about level"
    lines.append(f"{her.capitalize()} trust in the service {word}"
                 + (f", from {t0:.0%} to {t1:.0%}." if word != "stayed about level"
                    else f", at about {t1:.0%}."))
    gone = np.flatnonzero(status == DROPPED)
    if gone.size:
        lines.append(f"{she} dropped out in week {int(gone[0]) + 1}.")
    elif status[-1] == TAKING_PART:
        lines.append(f"{she} {f.was} still taking part at the end.")
    elif times:
        lines.append(f"{she} had not taken part for a while by the end, but had not "
                     "given up.")
    return lines


def _staff_story(h: History, f: Followed) -> list[str]:
    j, she, her = f.index, f.pronoun.capitalize(), f.possessive
    lines = [f"{f.name} is {f.who}."]
    met = h.meetings > 0
    if not h.staff_seat[j]:
        lines.append(f"{she} had no seat on the working party, so {she.lower()} did not "
                     "speak at its meetings.")
    elif met.any():
        mine = float(h.staff_spoke[met, j].mean())
        users = float(h.spoke[met].sum(axis=1).mean())
        lines.append(f"{she} sat on the working party; at its meetings {she.lower()} had "
                     f"on average {mine:.0%} of the talking time, and service users "
                     f"together had {users:.0%}.")
    else:
        lines.append(f"{she} sat on the working party, but no meeting was held.")
    a0, a1 = float(h.staff_anxiety[0, j]), float(h.staff_anxiety[-1, j])
    o0, o1 = float(h.staff_openness[0, j]), float(h.staff_openness[-1, j])
    lines.append(f"{her.capitalize()} anxiety about risk went from {a0:.0%} to {a1:.0%}, "
                 f"and {her} openness to sharing power from {o0:.0%} to {o1:.0%}.")
    return lines


def stories(h: History, people: list[Followed] | None = None) -> dict[str, list[str]]:
    """Every followed person's story in this run, by key."""
    return {f.key: story(h, f) for f in (people if people is not None else choose(h))}


def in_group(h: History, outcome: str | None) -> np.ndarray:
    """Who belongs to the group an outcome is about (everyone for a whole-project outcome).

    ``part_age_16_34`` is about people aged 16 to 34, ``part_need_hearing``
    about people who need a hearing loop, and so on (see
    :mod:`coprod_sim.outcomes`).
    """
    p = h.people
    everyone = np.ones(h.n, dtype=bool)
    if not outcome or not outcome.startswith("part_"):
        return everyone
    role, age, dep = _cols(h)
    for i, a in enumerate(AGES):
        if outcome == "part_age_" + a.replace("+", "_plus").replace("-", "_"):
            return age == i
    for i, d in enumerate(DEPRIVATION):
        slug = d.replace("fifths", "").replace("fifth", "").strip().replace(" ", "_")
        if outcome == f"part_{slug}":
            return dep == i
    for i, r in enumerate(ROLES):
        if outcome in (f"part_{r}s", "part_families" if r == "family" else "",
                       "part_community" if r == "community" else ""):
            return role == i
    needs = h.needs[:, :6].any(axis=1)
    if outcome == "part_with_needs":
        return needs
    if outcome == "part_without_needs":
        return ~needs
    if outcome.startswith("part_need_") and outcome[10:] in NEEDS:
        return h.needs[:, NEEDS.index(outcome[10:])].astype(bool)
    del p
    return everyone


def everyone(h: History) -> list[Followed]:
    """Every person in the run, unnamed (for when none of the named ones fits)."""
    return _everyone(h)


def _everyone(h: History) -> list[Followed]:
    """Every person in the run, unnamed, for when none of the named ones shows a point."""
    p = h.people
    out = []
    for i in range(h.n):
        row = p.iloc[i]
        role = {"community": "community member", "family": "family member"}.get(
            str(row["role"]), str(row["role"]))
        who = f"a {role} aged {row['age']} from the {row['deprivation']}"
        out.append(Followed(f"person{i}", "one of the other people", who, i, False, "they"))
    return out


def measure(h: History, f: Followed, outcome: str | None) -> float | None:
    """How one followed person did on something like ``outcome`` (None if it has no match).

    Trust for trust, staying for retention, views adopted for influence, talking
    time for voice, anxiety or openness for staff, and otherwise how often they
    took part. Money outcomes have no match in one person's year.
    """
    i = f.index
    if f.staff:
        if outcome in ("staff_anxiety", "resistance"):
            return float(h.staff_anxiety[-1, i])
        if outcome == "staff_openness":
            return float(h.staff_openness[-1, i])
        return None
    if outcome in ("staff_anxiety", "staff_openness", "resistance", "cost", "benefit",
                   "net_benefit", "payback_week"):
        return None
    if outcome in ("trust", "efficacy"):
        return float(h.trust[-1, i])
    if outcome in ("retention", "dropped_out"):
        took = bool(h.attended[:, i].any())
        return float(took and h.status[-1, i] != DROPPED) if took else None
    if outcome in ("influence", "user_plan_share", "tokenism", "ladder_score"):
        return float(h.adopted[-1, i])
    if outcome in ("quiet_voice", "voice_equality"):
        sat = h.at_table[:, i]
        return float(h.spoke[:, i][sat].mean()) if sat.any() else None
    return float(h.attended[:, i].sum())


def contrast(a: History, b: History, label_a: str, label_b: str,
             outcome: str | None = None, sign: int = 1, prefer: str = "") -> str:
    """One followed person whose year shows the difference between two plans.

    Picks the person who did most clearly better (``sign=1``; worse for -1) in
    plan ``b`` than in plan ``a`` on something like ``outcome`` (see
    :func:`measure`), from the group the outcome is about, and tells their year
    in both plans; ``prefer`` (a followed person's key) comes first when their
    year shows the difference at all. Empty when nobody's year shows it.
    """
    best = None
    group = in_group(b, outcome)
    for f in choose(b):  # the person the question is about, when their year shows it
        if f.key == prefer and (f.staff or group[f.index]):
            ma, mb = measure(a, f, outcome), measure(b, f, outcome)
            if ma is not None and mb is not None and sign * (mb - ma) > 0:
                best, score = f, float("inf")
    score = 0.05 if outcome in ("trust", "efficacy", "staff_anxiety", "staff_openness",
                                "resistance", "quiet_voice", "voice_equality") else 0.5
    for f in [*choose(b), *_everyone(b)]:
        if score == float("inf"):
            break
        if best is not None and f.key.startswith("person"):
            break  # a named person shows it: prefer them
        if not f.staff and not group[f.index]:
            continue  # someone from the group the question is about
        ma, mb = measure(a, f, outcome), measure(b, f, outcome)
        if ma is None or mb is None:
            continue
        d = sign * (mb - ma)
        if d > score:
            best, score = f, d
    if best is None:
        return ""
    def year(h: History) -> list[str]:
        lines = story(h, best)
        if best.staff:
            return lines[-1:]
        if "never invited" in lines[0]:
            return [f"{best.pronoun.capitalize()} {best.was} never invited."]
        return lines[1:]

    sa, sb = year(a), year(b)
    name = best.name if not best.key.startswith("person") else "one of the other people"
    return (f"Take {name}, {best.who}. In {label_a}: " + " ".join(sa) +
            f" In {label_b}: " + " ".join(sb))
