"""A batch of runs as one array program: levers, state and tallies with a leading run axis.

:class:`Batch` holds ``B`` runs of the same shape (people, staff, weeks). State
arrays are ``(runs, people)`` and ``(runs, staff)``; levers are per-run
columns ``(runs, 1)`` that broadcast against them (:class:`Levers`); the step
model's stage and action, the project's clarity and integration, costs,
benefits and tallies are arrays over runs. :meth:`Batch.step` runs one week of
every mechanism of :data:`coprod_sim.mechanisms.SCHEDULE` for every run at
once, and the :class:`~coprod_sim.outcomes.Recorder` keeps one row per run per
week.

Runs never mix: no array operation reduces over the run axis, and every
random number comes from :mod:`coprod_sim.randomness`, keyed by the run's own
seed. So a run gives bit-identical results alone or in any batch.
:class:`~coprod_sim.model.CoproductionModel` holds a batch of one, and its
``state`` is a view of row 0 (:class:`RowView`): mechanisms update state
arrays in place and never rebind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_array

from coprod_sim.calibration.constants import Constants
from coprod_sim.mechanisms import SCHEDULE, attendance, benefits, staff
from coprod_sim.outcomes import Recorder
from coprod_sim.parameters import PARAMETERS
from coprod_sim.population import AGES, DEPRIVATION, ROLES, People, Staff, peer_ties
from coprod_sim.presets import STAGES, step_schedule
from coprod_sim.randomness import Streams, setup_generator
from coprod_sim.results import RunResult, people_columns, summarise
from coprod_sim.scenario import Scenario
from coprod_sim.state import Week

#: The random streams a week may use: (mechanism, draw number). Each holds one
#: number per person (or staff member) index.
STREAMS: tuple[tuple[str, int], ...] = (
    ("step_model", 0), ("step_model", 1),
    ("invitations", 0),
    ("attendance", 0), ("attendance", 1), ("attendance", 2), ("attendance", 3),
    ("attendance", 4), ("attendance", 5), ("attendance", 6),
    ("voice", 0), ("voice", 1), ("voice", 2), ("voice", 3), ("voice", 4),
    ("adoption", 0), ("adoption", 1),
    ("adoption", 2),
    ("dropout", 0), ("life_exits", 0), ("peer_recruitment", 0), ("peer_recruitment", 1),
    ("panel_drift", 0),
)

#: Step actions, coded (see :mod:`coprod_sim.mechanisms.steps`).
ACTION_CODES: dict[str, int] = {a: k for k, a in enumerate(
    ("identify", "select", "clarify", "engage", "support", "alliance", "roles", "partner",
     "assets", "design", "deliver", "evaluate", "govern", "needs", "vision"))}
STAGE_CODES: dict[str, int] = {st: k for k, st in enumerate(STAGES)}


#: Running totals per run kept in :attr:`Batch.ledger` (counts are whole numbers
#: held as floats): meetings held and the sums behind voice equality and quiet
#: voice, the action plan, views, understanding, focus group seats, resistance,
#: cost and benefit so far.
LEDGER: tuple[str, ...] = (
    "meetings", "equality_sum", "quiet_airtime", "quiet_seats", "plan_users", "plan_staff",
    "views_considered", "own_views", "understanding_sum", "understanding_n", "focus_seats",
    "focus_filled", "resistance", "cost", "benefit")


class Levers:
    """The levers of a batch's runs as per-run columns: ``levers.NAME`` is ``(runs, 1)``."""

    def __init__(self, scenarios: Sequence[Scenario]):
        self._scenarios = list(scenarios)

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_") or name not in PARAMETERS:
            raise AttributeError(name)
        p = PARAMETERS[name]
        values = [s[name] for s in self._scenarios]
        if p.kind == "bool":
            col = np.array(values, dtype=bool)
        elif p.kind == "int":
            col = np.array(values, dtype=np.int64)
        elif p.kind == "choice":
            col = np.array(values, dtype=object)
        else:
            col = np.array(values, dtype=float)
        col = col.reshape(-1, 1)
        col.flags.writeable = False
        self.__dict__[name] = col
        return col

    def cut(self, name: str, runs: np.ndarray) -> None:
        """Switch a true/false lever off for ``runs`` (bools per run): the budget cut it.

        Only before anything has read it for the run's set-up (see
        :func:`coprod_sim.mechanisms.benefits.buy_setup`).
        """
        col = getattr(self, name) & ~np.asarray(runs, dtype=bool).reshape(-1, 1)
        col.flags.writeable = False
        self.__dict__[name] = col


class Arrays:
    """A bag of arrays with a leading run axis, stacked from one object per run.

    ``blocks`` names groups of same-typed arrays kept as rows of one array
    ``(runs, k, n)`` (``block_NAME``), each name a view of its row, so the
    recorder reads a whole group in one operation.
    """

    def __init__(self, per_run: Sequence[Any], names: Sequence[str],
                 blocks: dict[str, tuple[str, ...]] | None = None):
        self.n = per_run[0].n
        self.names = tuple(names)
        in_block = set()
        for block, members in (blocks or {}).items():
            first = np.asarray(getattr(per_run[0], members[0]))
            data = np.empty((len(per_run), len(members)) + first.shape, dtype=first.dtype)
            for k, name in enumerate(members):
                for b, r in enumerate(per_run):
                    data[b, k] = getattr(r, name)
                setattr(self, name, data[:, k])
            setattr(self, f"block_{block}", data)
            in_block.update(members)
        for name in names:
            if name in in_block:
                continue
            if len(per_run) == 1:  # a batch of one: the run's own array, with a run axis
                setattr(self, name, np.ascontiguousarray(getattr(per_run[0], name))[None])
            else:
                setattr(self, name, np.stack([getattr(r, name) for r in per_run]))

    def row(self, b: int) -> RowView:
        """A view of run ``b``'s arrays (live: writes go to the batch)."""
        return RowView(self, b)


class RowView:
    """One run's entries of an :class:`Arrays` (views, not copies)."""

    def __init__(self, arrays: Arrays, b: int):
        self.n = arrays.n
        for name in arrays.names:
            setattr(self, name, getattr(arrays, name)[b])


#: People arrays kept per run (see :class:`coprod_sim.population.People`).
PEOPLE_ARRAYS = ("role", "age", "dep", "segment", "confidence0", "articulacy", "literacy",
                 "needs", "willing_depth", "tolerance", "base_offset", "invited_group",
                 "reached", "engaged", "aware_forum", "threshold", "on_agenda", "joined",
                 "motivation", "trust", "efficacy", "fatigue", "confidence", "last_part",
                 "times", "views", "adopted", "ever_part", "dropped_week", "airtime",
                 "meetings", "method_times", "focus_accepted", "forum_first", "forum_dropped",
                 "joined_week", "commitment")
#: People arrays that start at zero for everyone, made by the batch (not drawn with the
#: population): ``wariness``, how far a person expects their view to be ignored (0-1),
#: from being ignored themselves or hearing of peers who were
#: (:mod:`coprod_sim.mechanisms.feedback`).
GROWN_PEOPLE = ("wariness",)
#: People and staff arrays the recorder sums each week, kept as rows of one block
#: (``state.block_recorded``, ``staff_state.block_recorded``).
RECORDED_PEOPLE = ("confidence0", "fatigue", "trust", "efficacy", "motivation", "confidence")
RECORDED_STAFF = ("airtime", "openness", "anxiety")
STAFF_ARRAYS = ("manager", "skill", "anxiety", "openness", "airtime", "seat",
                "risk_sensitivity", "skill0", "anxiety0", "openness0")


class Batch:
    """Runs of the same shape (people, staff, weeks) computed as one array program.

    Args:
        scenarios: One validated :class:`~coprod_sim.scenario.Scenario` per run;
            all with the same ``n_people`` and ``n_staff``.
        seeds: One integer seed per run.
        constants: The hidden constants for every run (None: the fitted ones).

    Attributes:
        state: People arrays ``(runs, people)`` (:class:`Arrays`).
        staff_state: Staff arrays ``(runs, staff)``.
        lev: Per-run lever columns (:class:`Levers`).
        week: Weeks done so far (all runs step together).
        recorder: The weekly :class:`~coprod_sim.outcomes.Recorder`.
    """

    def __init__(self, scenarios: Sequence[Scenario], seeds: Sequence[int],
                 constants: Constants | None = None):
        self.scenarios = list(scenarios)
        self.seeds = [int(s) for s in seeds]
        if len(self.scenarios) != len(self.seeds) or not self.scenarios:
            raise ValueError("a batch needs one seed per scenario and at least one run")
        shapes = {(s.n_people, s.n_staff) for s in self.scenarios}
        if len(shapes) != 1:
            raise ValueError(f"a batch's runs must share n_people and n_staff; got {shapes}")
        self.B = len(self.scenarios)
        self.constants = c = constants if constants is not None else Constants.load()
        self.lev = lev = Levers(self.scenarios)
        self.week = 0

        people = [People(s, setup_generator(seed, "population"), c)
                  for s, seed in zip(self.scenarios, self.seeds, strict=True)]
        staff_ = [Staff(s, setup_generator(seed, "staff"), c)
                  for s, seed in zip(self.scenarios, self.seeds, strict=True)]
        self.ties = [peer_ties(p, setup_generator(seed, "peer_network"),
                               degree=int(c.peer_degree))
                     for p, seed in zip(people, self.seeds, strict=True)]
        self.state = Arrays(people, PEOPLE_ARRAYS, {"recorded": RECORDED_PEOPLE})
        for name in GROWN_PEOPLE:  # state every person starts without (all zeros)
            setattr(self.state, name, np.zeros((self.B, self.state.n)))
        self.state.names += GROWN_PEOPLE
        self.state.block_beliefs = self.state.block_recorded[:, 2:5]  # trust .. motivation
        self.staff_state = Arrays(staff_, STAFF_ARRAYS, {"recorded": RECORDED_STAFF})
        n, m, B = self.state.n, self.staff_state.n, self.B
        self.n, self.m = n, m
        # With a budget, the set-up the money covers (it may switch levers off).
        benefits.buy_setup(self)
        # Peer ties in both directions, flattened over runs (run b's people are
        # b * n ... b * n + n - 1): the peer matrix is block-diagonal over runs.
        src, dst = [], []
        for b, pairs in enumerate(self.ties):
            src.append(np.concatenate([pairs[:, 0], pairs[:, 1]]) + b * n)
            dst.append(np.concatenate([pairs[:, 1], pairs[:, 0]]) + b * n)
        self.edge_src = np.concatenate(src)
        self.edge_dst = np.concatenate(dst)
        self.degree = np.bincount(self.edge_src, minlength=B * n).astype(float).reshape(B, n)
        self.degree_floor = np.maximum(self.degree, 1.0)
        self._peers = None
        self.streams = Streams(self.seeds, STREAMS, max(n, m, 1))

        # The step model: each run's cycle of actions and stages.
        cycles = [step_schedule(s.pathway, s.cycle_weeks, s.cycle_weeks) for s in self.scenarios]
        self.cycles = cycles
        self.cycle_len = np.array([len(cy) for cy in cycles])
        width = int(self.cycle_len.max())
        self.action_table = np.zeros((B, width), dtype=np.int64)
        self.stage_table = np.zeros((B, width), dtype=np.int64)
        for b, cy in enumerate(cycles):
            self.action_table[b, :len(cy)] = [ACTION_CODES[st.action] for st in cy]
            self.stage_table[b, :len(cy)] = [STAGE_CODES[st.stage] for st in cy]
        self.user_stages = np.array([[bool(s[f"stage_{st}"]) for st in STAGES]
                                     for s in self.scenarios])
        self.method_use = np.hstack([lev.use_forum, lev.use_focus_groups, lev.use_interviews,
                                     lev.use_questionnaire])
        self.method_every = np.hstack([lev.forum_every_weeks, lev.focus_group_every_weeks,
                                       lev.interview_every_weeks,
                                       lev.questionnaire_every_weeks])
        self._rows = np.arange(B)
        # The groups the plan runs (attendance.meeting_groups): each person belongs
        # to one local group (index mod groups: people are drawn independently).
        self.n_groups = attendance.meeting_groups(n, lev.people_per_group[:, 0])
        self.one_group = bool((self.n_groups == 1).all())
        self.group_of = np.arange(n)[None, :] % self.n_groups[:, None]
        sizes = (self.group_of[:, :, None] == np.arange(int(self.n_groups.max()))).sum(axis=1)
        self.group_start = np.cumsum(sizes, axis=-1) - sizes
        self._located = -1
        self._once: dict[str, Any] = {}
        # Which streams a week will use, by what happens in it (see _prepare_streams).
        index = self.streams.index
        self._by_method = {
            0: [index[("attendance", 0)], index[("attendance", 4)], index[("voice", 0)],
                index[("voice", 2)]],
            1: [index[("attendance", 1)], index[("attendance", 5)], index[("attendance", 6)],
                index[("voice", 1)], index[("voice", 3)]],
            2: [index[("invitations", 0)], index[("attendance", 2)]],
            3: [index[("attendance", 3)]]}
        self._any_method = [index[("voice", 4)], index[("adoption", 0)],
                            index[("adoption", 1)], index[("adoption", 2)]]
        self._always = []
        if lev.mech_dropout.any():
            self._always.append(index[("dropout", 0)])
        if lev.mech_life_exits.any() and c.life_exit_rate > 0:
            self._always.append(index[("life_exits", 0)])
        if (lev.mech_peer_recruitment & (lev.peer_recruitment_rate > 0)).any():
            self._always += [index[("peer_recruitment", 0)], index[("peer_recruitment", 1)]]
        if (lev.mech_panel_drift & lev.use_forum).any():
            self._always.append(index[("panel_drift", 0)])
        self._steps_on = bool(lev.mech_step_actions.any())
        self._wanted: dict[tuple, list[int]] = {}
        horizon = max(s.weeks for s in self.scenarios)
        # Which methods meet in each week of the planned horizon (weeks x runs x methods).
        self._running_table = attendance.running_methods(self, np.arange(horizon)[:, None, None])
        self._stream_blocks = self._plan_streams()

        # Fixed for a run: what each person's unmet needs cost them per method.
        self.barrier_penalty = attendance.barrier_penalty(self)
        # What the step model's steps change as the project goes (mechanisms.steps).
        self.clarity = lev.purpose_clarity[:, 0].astype(float).copy()
        self.integration = lev.integration[:, 0].astype(float).copy()
        self.roles_clear = lev.roles_4rs[:, 0].copy()
        self.governance = np.zeros(B)  # how far governance is agreed (CAFA), 0-1
        self.vision = np.zeros(B)  # how far a vision is co-created (1000 Lives), 0-1
        st = self.state
        self.age_share = _shares(st.age, len(AGES))
        self.dep_share = _shares(st.dep, len(DEPRIVATION))
        self.role_share = _shares(st.role, len(ROLES))
        self.segment_onehot = st.segment[:, :, None] == np.arange(len(AGES) * len(DEPRIVATION))
        self.segment_size = self.segment_onehot.sum(axis=1)

        # Running totals per run, one column each of one array (the recorder keeps
        # a copy of it each week); the attributes are views of its columns.
        self.ledger = np.zeros((B, len(LEDGER)))
        for k, name in enumerate(LEDGER):
            setattr(self, name, self.ledger[:, k])
        self.tally = {k: getattr(self, k) for k in LEDGER[:4]}
        self.resistance[:] = staff.organisational_resistance(self)
        self.cost[:] = benefits.setup_costs(self)
        self.fixed_weekly_cost = benefits.fixed_weekly_cost(self)
        self.benefit_flow = np.zeros(B)
        self.delivery_table = ((self.stage_table == STAGE_CODES["co_delivery"])
                               & lev.stage_co_delivery)
        self.co_delivery_possible = bool(self.delivery_table.any())
        self.improvement = np.zeros(B)
        self.improvement_depth = np.zeros(B)
        horizon = max(s.weeks for s in self.scenarios)
        width = self.once("lag_kernel", lambda: benefits.lag_kernel(self)).shape[1]
        # what matures each week: changes, and changes weighted by their depth
        self.benefit_ramp = np.zeros((2, B, horizon + width + 2))
        self.current_week = Week(B, n, np.zeros((B, 4), dtype=bool))
        self.recorder = Recorder(self)

    # The step model's position, per run ------------------------------------
    def locate(self) -> None:
        """Find each run's step of the pathway this week (cached for the week)."""
        week = self.week
        if self._located != week:
            pos = week % self.cycle_len
            self._action = self.action_table[self._rows, pos]
            self._stage = self.stage_table[self._rows, pos]
            self._user_stage = self.user_stages[self._rows, self._stage]
            self.delivering = self.delivery_table[self._rows, pos] if self.co_delivery_possible \
                else None
            self._located = week

    @property
    def action(self) -> np.ndarray:
        """Each run's step action code this week (see :data:`ACTION_CODES`)."""
        self.locate()
        return self._action

    @property
    def stage(self) -> np.ndarray:
        """Each run's stage code this week (index into ``presets.STAGES``)."""
        self.locate()
        return self._stage

    @property
    def user_stage(self) -> np.ndarray:
        """Whether service users take part in each run's current stage."""
        self.locate()
        return self._user_stage

    @property
    def representativeness(self) -> np.ndarray:
        """The mix of people taking part, as the recorder measured it last week (per run)."""
        return self.recorder.latest_representativeness()

    def peer_counts(self, active: np.ndarray) -> np.ndarray:
        """How many of each person's peers are ``active`` (bools, runs x people).

        Counts of 0/1 are exact in any order, so the two ways used (one bincount
        for few ties, a block-diagonal sparse matrix for many) give the same numbers.
        """
        flat = active.ravel()
        if self.edge_src.size < 20_000:
            counts = np.bincount(self.edge_src[flat[self.edge_dst]], minlength=flat.size)
            return counts.reshape(active.shape).astype(float)
        if self._peers is None:
            size = flat.size
            self._peers = csr_array((np.ones(self.edge_src.size), (self.edge_src, self.edge_dst)),
                                    shape=(size, size))
        return (self._peers @ flat.astype(float)).reshape(active.shape)

    def once(self, key: str, make) -> Any:
        """A value fixed for the batch's life (made by ``make()`` on first use, then kept)."""
        found = self._once.get(key)
        if found is None:
            found = self._once[key] = make()
        return found

    def uniform(self, name: str, draw: int, n: int | None = None) -> np.ndarray:
        """Uniforms of stream ``(name, draw)`` this week: ``(runs, n)`` (n: people)."""
        return self.streams.take(name, draw, self.week, self.n if n is None else n)

    def _plan_streams(self) -> list[tuple[int, int, list[int]]]:
        """Blocks of weeks that use the same random streams: ``(first week, weeks, streams)``.

        Consecutive weeks that use the same streams are computed in one pass
        (capped at 13 weeks and about 2 MB); speed only, no number changes.
        """
        weeks = len(self._running_table)
        actions = self.action_table[self._rows[None, :],
                                    np.arange(weeks)[:, None] % self.cycle_len[None, :]].tolist()
        held = self._running_table.any(axis=1).tolist()
        lists, last, wanted = [], None, None
        for w in range(weeks):
            key = (tuple(held[w]), tuple(actions[w]) if self._steps_on else ())
            if key != last:
                wanted = self._wanted_for(key[0], frozenset(key[1]))
                last = key
            lists.append(wanted)
        blocks, w = [], 0
        while w < weeks:
            cap = max(1, min(13, (2 << 20) // max(1, 8 * self.B * self.streams.size
                                                   * max(1, len(lists[w])))))
            end = w + 1
            while end < weeks and end - w < cap and lists[end] == lists[w]:
                end += 1
            blocks.append((w, end - w, lists[w]))
            w = end
        return blocks

    def _prepare_streams(self, running: np.ndarray) -> None:
        """Compute, in one pass, the random streams this week will use (speed only)."""
        if self._stream_blocks and self._stream_blocks[0][0] == self.week:
            start, weeks, wanted = self._stream_blocks.pop(0)
            self.streams.prepare(start, wanted, weeks)
            return
        if self._stream_blocks or self.streams._week is not None and \
                0 <= self.week - self.streams._week < self.streams._weeks:
            return  # inside a prepared block
        held = tuple(running.any(axis=0).tolist())
        codes = frozenset(self.action.tolist()) if self._steps_on else frozenset()
        self.streams.prepare(self.week, self._wanted_for(held, codes))

    def _wanted_for(self, held: tuple, codes: frozenset) -> list[int]:
        """The streams a week uses, from the methods held and the step actions in it."""
        wanted = self._wanted.get((held, codes))
        if wanted is None:
            wanted = list(self._always)
            for m in range(4):
                if held[m]:
                    wanted.extend(self._by_method[m])
            if any(held):
                wanted.extend(self._any_method)
            if ACTION_CODES["identify"] in codes or ACTION_CODES["needs"] in codes:
                wanted.append(self.streams.index[("step_model", 0)])
            if ACTION_CODES["engage"] in codes:
                wanted.append(self.streams.index[("step_model", 1)])
            wanted = self._wanted[(held, codes)] = sorted(set(wanted))
        return wanted

    def step(self) -> None:
        """Run one week: every mechanism of the schedule in order, for every run; record."""
        running = (self._running_table[self.week] if self.week < len(self._running_table)
                   else attendance.running_methods(self, self.week))
        running = benefits.plan_within_budget(self, running)  # the budget may cut some
        wk = Week(self.B, self.n, running)
        self.current_week = wk
        self._prepare_streams(running)
        for mechanism in SCHEDULE:
            mechanism.function(self, wk)
        self.resistance[:] = staff.organisational_resistance(self)
        self.recorder.record(self)
        self.week += 1

    def run(self, weeks: int | None = None) -> Batch:
        """Step every run ``weeks`` weeks (default: the scenarios' ``weeks``, all equal)."""
        if weeks is None:
            horizons = {s.weeks for s in self.scenarios}
            if len(horizons) != 1:
                raise ValueError(f"a batch's runs must share weeks; got {sorted(horizons)}")
            weeks = horizons.pop()
        for _ in range(weeks):
            self.step()
        return self

    def results(self) -> list:
        """One :class:`~coprod_sim.results.RunResult` per run, in order."""
        out = []
        for b, weekly in enumerate(self.recorder.tables()):
            row = _RunState(self.state.row(b))
            out.append(RunResult(self.scenarios[b], self.seeds[b], weekly, summarise(weekly),
                                 people_columns(row)))
        return out


class _RunState:
    """What ``results.people_columns`` reads of a run (its ``state``)."""

    def __init__(self, state: RowView):
        self.state = state


def _shares(codes: np.ndarray, k: int) -> np.ndarray:
    """Per-run shares of each code ``(runs, k)`` (counts are exact)."""
    counts = (codes[:, :, None] == np.arange(k)).sum(axis=1)
    return counts / codes.shape[1]


__all__ = ["Batch", "Levers", "Arrays", "RowView", "STREAMS", "ACTION_CODES", "STAGE_CODES"]
