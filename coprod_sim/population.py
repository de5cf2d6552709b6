"""The people affected and the staff: who they are, what they need, who they know.

This is the paper's step 1, *Identify*: patients (directly affected), carers,
families and community members (indirectly affected), with the segments used
for "who is missing" (age band and deprivation), their access needs, and a
peer support network (Boyle et al. 2010, characteristic 4).

State lives in numpy arrays (one entry per person or staff member) so that
the weekly mechanisms are vectorised; :mod:`coprod_sim.agents` gives each
person and staff member a Mesa agent that views its entries.

Prevalences and distributions below are *assumptions* unless a source is
named; ``docs/ODD.md`` lists them.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from coprod_sim.calibration.constants import Constants
from coprod_sim.scenario import Scenario

ROLES: tuple[str, ...] = ("patient", "carer", "family", "community")
AGES: tuple[str, ...] = ("16-34", "35-64", "65+")
DEPRIVATION: tuple[str, ...] = ("most deprived fifth", "middle three fifths",
                                "least deprived fifth")
#: Deprivation fifths are fifths by definition.
DEPRIVATION_SHARES = np.array([0.2, 0.6, 0.2])
SEGMENTS: tuple[str, ...] = tuple(f"{a}, {d}" for a in AGES for d in DEPRIVATION)

#: Access needs, and the lever (adjustment) that removes each one for the
#: people who have it (briefing paper, NLIAH 2010).
NEEDS: tuple[str, ...] = ("large_print", "hearing", "physical_access", "time_of_day",
                          "cost", "digital", "low_literacy")
NEED_LEVER: dict[str, str] = {
    "large_print": "large_print", "hearing": "hearing_loop",
    "physical_access": "accessible_venue", "time_of_day": "flexible_timing",
    "cost": "pay_expenses", "digital": "digital_inclusion",
    "low_literacy": "plain_language",
}
NEED_LABELS: dict[str, str] = {
    "large_print": "needs large print", "hearing": "needs a hearing loop",
    "physical_access": "needs an accessible venue",
    "time_of_day": "can only come at some times (medication, work or caring)",
    "cost": "cannot afford travel and other costs", "digital": "not online",
    "low_literacy": "finds jargon hard (low health literacy)",
}


#: Health literacy below this counts as the low-literacy need.
LOW_LITERACY = 0.4

#: Engagement methods, in a fixed order used by every array with a method axis.
METHODS: tuple[str, ...] = ("forum", "focus_group", "interview", "questionnaire")


def draw_codes(rng: np.random.Generator, n: int, shares) -> np.ndarray:
    """``n`` codes 0..k-1 drawn with chances ``shares`` (by the inverse of their cumulative sum)."""
    edges = np.cumsum(shares)
    return np.minimum(np.searchsorted(edges / edges[-1], rng.random(n), side="right"),
                      len(edges) - 1)


class People:
    """Arrays of the people affected (one entry each).

    Static: ``role``, ``age``, ``dep``, ``segment``, ``confidence0``, ``articulacy``,
    ``literacy``, ``needs`` (n x len(NEEDS) bools), ``willing_depth`` (1 light,
    2 conversation, 3 partnership), ``tolerance``, ``base_offset`` (log-odds from the
    segment gap).

    ``threshold`` (Granovetter joining threshold: how many involved peers it takes),
    ``on_agenda`` (their main concern is already on the professionals' agenda).

    Dynamic: ``reached``, ``engaged``, ``aware_forum``, ``motivation``, ``trust``,
    ``efficacy``, ``fatigue``, ``confidence``, ``commitment`` (to the standing forum,
    0-1), ``last_part`` (week, -999 never),
    ``times``, ``method_times`` (per method), ``views``, ``adopted``, ``ever_part``,
    ``dropped_week``, ``focus_accepted``, ``forum_first`` / ``forum_dropped``
    (week of first forum meeting / of going quiet, -1 none).
    """

    def __init__(self, s: Scenario, rng: np.random.Generator, constants: Constants | None = None):
        c = constants if constants is not None else Constants.load()
        n = s.n_people
        self.n = n
        other = s.carer_share + s.family_share + s.community_share
        self.role = draw_codes(rng, n, [1 - other, s.carer_share, s.family_share,
                                        s.community_share])
        middle = 1.0 - s.young_share - s.older_share
        self.age = draw_codes(rng, n, [s.young_share, middle, s.older_share])
        self.dep = draw_codes(rng, n, DEPRIVATION_SHARES)
        self.segment = self.age * 3 + self.dep

        young, older = self.age == 0, self.age == 2
        deprived = self.dep == 0
        patient = self.role == 0
        # Confidence and articulacy (who speaks up); lower where deprived (assumption).
        self.confidence0 = np.clip(rng.beta(2.5, 2.5, n) - 0.08 * deprived, 0.02, 0.98)
        self.articulacy = np.clip(0.5 * self.confidence0 + 0.5 * rng.beta(2.5, 2.5, n),
                                  0.02, 0.98)
        self.literacy = np.clip(rng.beta(5, 3, n) - 0.15 * deprived - 0.08 * older, 0, 1)

        prevalence = np.column_stack([
            0.04 + 0.12 * older,                                  # large print
            0.03 + 0.15 * older,                                  # hearing
            0.04 + 0.12 * older + 0.06 * patient,                 # physical access
            0.10 + 0.20 * patient + 0.35 * young + 0.10 * (self.role == 1),  # time of day
            0.10 + 0.45 * deprived + 0.10 * (self.dep == 1) + 0.15 * young,  # cost
            0.04 + 0.25 * older + 0.12 * deprived,                # digital exclusion
            np.zeros(n),                                          # low literacy (below)
        ])
        self.needs = rng.random((n, len(NEEDS))) < prevalence
        self.needs[:, NEEDS.index("low_literacy")] = self.literacy < LOW_LITERACY

        score = self.confidence0 + rng.normal(0.0, 0.2, n)
        self.willing_depth = 1 + (score > 0.45).astype(np.int8) + (score > 0.7)
        self.tolerance = np.clip(rng.normal(s.tolerance_mean, s.tolerance_sd, n), 0.01, 0.95)

        # Baseline willingness by segment: the observed response gaps
        # (``age_gap``, ``deprivation_gap``) raised to exponents chosen so that
        # a default questionnaire, with its modelled barriers, reproduces them
        # (calibration: tests/test_calibration.py).
        age_mult = s.age_gap ** c.array("age_gap_exponents")
        dep_mult = s.deprivation_gap ** c.array("deprivation_gap_exponents")
        self.base_offset = np.log(age_mult[self.age] * dep_mult[self.dep])

        invited_role = np.array([s.invite_patients, s.invite_carers, s.invite_families,
                                 s.invite_community])
        self.invited_group = invited_role[self.role]
        self.reached = self.invited_group & (rng.random(n) < s.invitation_reach)
        self.engaged = self.reached.copy()
        # Who knows the forum exists: the already engaged (older, less deprived,
        # more confident) are likelier to (Agass et al. 1991; the paper: forums
        # draw the already engaged). Exactly ``forum_awareness`` of those reached.
        self.aware_forum = aware_of_forum(self, s.forum_awareness, c.awareness_skew, rng)
        # Granovetter (1978) joining thresholds: how many of one's peers must be
        # involved before peers pull one in (a count, as in Granovetter's model;
        # at least one: nobody is pulled in by peers when none is involved).
        self.threshold = np.maximum(rng.normal(c.threshold_mean, c.threshold_sd, n), 0.5)
        # Whether what matters most to a person is already on the professionals'
        # agenda (questions set by professionals can only hear those concerns).
        self.on_agenda = rng.random(n) < c.agenda_overlap
        self.joined = np.zeros(n, dtype=bool)  # crossed their threshold (sticky)
        self.joined_week = np.full(n, -999, dtype=np.int64)  # week they joined by peers
        # Commitment to the standing forum (0-1): a habit and a role that build with
        # each meeting attended and fade with each one missed (attendance.commitment).
        self.commitment = np.zeros(n)
        # Life events (moving away, illness, caring) draw from a random stream of their
        # own (coprod_sim.randomness, "life_exits"), the same week by week whatever the
        # design, so two designs run with the same seed lose the same people to their
        # lives (turnover.leave_life).

        self.motivation = np.clip(rng.normal(0.5, 0.12, n), 0, 1)
        self.trust = np.clip(rng.normal(0.5, 0.12, n) - 0.05 * deprived, 0, 1)
        self.efficacy = np.clip(rng.normal(0.35, 0.1, n), 0, 1)
        self.fatigue = np.zeros(n)
        self.confidence = self.confidence0.copy()
        self.last_part = np.full(n, -999, dtype=np.int64)
        self.times = np.zeros(n, dtype=np.int64)
        self.views = np.zeros(n, dtype=np.int64)
        self.adopted = np.zeros(n, dtype=np.int64)
        self.ever_part = np.zeros(n, dtype=bool)
        self.dropped_week = np.full(n, -1, dtype=np.int64)
        self.airtime = np.zeros(n)
        self.meetings = np.zeros(n, dtype=np.int64)
        self.method_times = np.zeros((n, 4), dtype=np.int64)
        self.focus_accepted = np.zeros(n, dtype=np.int64)
        self.forum_first = np.full(n, -1, dtype=np.int64)
        self.forum_dropped = np.full(n, -1, dtype=np.int64)


def engaged_index(people: People) -> np.ndarray:
    """A score of how 'already engaged' each person is: older, less deprived, confident."""
    return ((people.age == 2).astype(float) - (people.age == 0) + (people.dep == 2)
            - (people.dep == 0) + 2.0 * (people.confidence0 - 0.5))


def aware_of_forum(people: People, share: float, skew: float,
                   rng: np.random.Generator) -> np.ndarray:
    """Exactly ``share`` of the people reached know the forum, skewed to the already engaged."""
    key = rng.logistic(size=people.n) + skew * engaged_index(people)
    reached = np.flatnonzero(people.reached)
    aware = np.zeros(people.n, dtype=bool)
    k = int(round(share * reached.size))
    if k:
        aware[reached[np.argsort(-key[reached], kind="stable")[:k]]] = True
    return aware


class Staff:
    """Arrays of the staff (one entry each).

    ``manager``, ``seat`` (sits in the working party), ``skill`` (coproduction
    skill from training), ``anxiety`` (about risk as power shifts), ``openness``
    (to sharing power), ``airtime`` (cumulative talking time in meetings),
    ``risk_sensitivity`` (how anxious power shifts make this member; gamma with
    the constants' mean ``risk_sensitivity`` and shape ``risk_shape``), and where
    each member started: ``skill0``, ``anxiety0``, ``openness0``.
    """

    def __init__(self, s: Scenario, rng: np.random.Generator,
                 constants: Constants | None = None):
        m = s.n_staff
        self.n = m
        n_managers = max(1, round(s.manager_share * m))
        self.manager = np.arange(m) < n_managers
        self.skill = np.clip(rng.normal(0.25, 0.08, m), 0, 1)
        self.anxiety = np.clip(rng.normal(0.25, 0.08, m), 0, 1)
        self.openness = np.clip(rng.normal(0.5, 0.1, m) - 0.05 * self.manager, 0, 1)
        self.airtime = np.zeros(m)
        # Working party seats: some kept for front-line staff; each of the rest goes
        # to a manager with the chance of a manager putting themselves forward
        # ``manager_seat_weight`` times as often as anyone else (the paper: working
        # parties are usually dominated by managerial and senior staff), by the
        # staff's shares, not their numbers, so the mix of a working party of the
        # same size is the same in a service of 15 staff or of 150 (the seats are
        # a fixed-size group); then the people are drawn within each group.
        c = constants if constants is not None else Constants.load()
        seats = min(s.staff_seats, m)
        frontline = np.flatnonzero(~self.manager)
        kept = min(len(frontline), round(s.frontline_seats * seats))
        chosen = rng.choice(frontline, size=kept, replace=False) if kept else np.array([], int)
        free = np.ones(m, dtype=bool)
        free[chosen] = False
        managers_free = np.flatnonzero(free & self.manager)
        others_free = np.flatnonzero(free & ~self.manager)
        open_seats = seats - kept
        w = c.manager_seat_weight * s.manager_share
        n_mgr = int(rng.binomial(open_seats, w / (w + 1.0 - s.manager_share)))
        n_mgr = min(max(n_mgr, open_seats - others_free.size), managers_free.size)
        extra = np.concatenate([rng.choice(managers_free, size=n_mgr, replace=False),
                                rng.choice(others_free, size=open_seats - n_mgr,
                                           replace=False)]).astype(np.int64)
        self.seat = np.zeros(m, dtype=bool)
        self.seat[chosen] = True
        self.seat[extra] = True
        # Each member's own sensitivity to risk as power shifts (an assumption): some
        # staff worry more than others at the same power and skill.
        self.risk_sensitivity = rng.gamma(c.risk_shape, c.risk_sensitivity / c.risk_shape, m)
        # Where each member started (anxiety from power shifts adds to it; openness
        # gained slips back towards it when nothing keeps it up).
        self.skill0 = self.skill.copy()
        self.anxiety0 = self.anxiety.copy()
        self.openness0 = self.openness.copy()


def peer_ties(people: People, rng: np.random.Generator, degree: int = 6,
              rewire: float = 0.15) -> np.ndarray:
    """Draw the peer support ties: a small world with homophily, as ``(ties, 2)`` pairs.

    People are placed around a ring in order of segment and role; each is tied
    to the ``degree`` nearest on the ring, and each tie is rewired to a random
    person with chance ``rewire`` (Watts & Strogatz 1998). So most ties join
    people alike in age, deprivation and role (assumption: homophily), and a
    few ties cross. Each pair is ``(i, j)`` with ``i < j``, sorted, no repeats;
    person ``i`` is index ``i`` of the people arrays.
    """
    n = people.n
    half = max(1, min(degree, n - 1) // 2)
    order = np.lexsort((rng.random(n), people.role, people.segment))
    source = np.repeat(np.arange(n), half)
    target = (source + np.tile(np.arange(1, half + 1), n)) % n
    moved = rng.random(source.size) < rewire
    shift = rng.integers(1, n, size=int(moved.sum())) if n > 1 else np.zeros(0, int)
    target[moved] = (source[moved] + shift) % n  # never the person themself
    a, b = order[source], order[target]
    low, high = np.minimum(a, b), np.maximum(a, b)
    keys = np.sort((low * n + high)[low != high])
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]  # no repeats
    return np.column_stack([keys // n, keys % n]).astype(np.int64)


def peer_network(people: People, rng: np.random.Generator, degree: int = 6,
                 rewire: float = 0.15) -> nx.Graph:
    """The peer support network (:func:`peer_ties`) as a ``networkx`` graph; node i is person i."""
    return ties_graph(peer_ties(people, rng, degree, rewire), people.n)


def ties_graph(pairs: np.ndarray, n: int) -> nx.Graph:
    """A ``networkx`` graph of ``n`` people and the tie ``pairs``."""
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(pairs.tolist())
    return graph


def edge_arrays(graph: nx.Graph, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(src, dst, degree)`` arrays with each tie in both directions."""
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    src = np.concatenate([edges[:, 0], edges[:, 1]])
    dst = np.concatenate([edges[:, 1], edges[:, 0]])
    degree = np.bincount(src, minlength=n).astype(float)
    return src, dst, degree
