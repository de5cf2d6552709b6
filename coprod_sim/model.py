"""The coproduction model: builds the population, then runs the weekly schedule.

One step is one week. Each week calls the mechanisms of
:data:`coprod_sim.mechanisms.SCHEDULE` in a fixed, documented order and then
records one row of outcomes. The model holds a :class:`~coprod_sim.batch.Batch`
of one run and steps it: the same mechanism code that runs many runs at once
(:func:`coprod_sim.engine.run_batch`). State lives in numpy arrays
(``model.state`` for people, ``model.staff_state`` for staff: views of the
batch's row 0, live as the run goes); the Mesa agents in ``model.people`` and
``model.staff`` are readable views of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mesa import Model
from mesa.discrete_space import Network

from coprod_sim.agents import Person, StaffMember
from coprod_sim.batch import Batch
from coprod_sim.calibration.constants import Constants
from coprod_sim.population import ties_graph
from coprod_sim.presets import step_schedule
from coprod_sim.scenario import Scenario
from coprod_sim.state import WeekRow


def seed_from(rng: Any) -> int:
    """An integer seed from Mesa's ``rng`` argument: an int, a numpy Generator or None.

    A Generator gives one integer drawn from it; None draws a fresh seed from
    the operating system's entropy.
    """
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint32)[0])
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63 - 1))
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise ValueError(f"rng is {rng!r}; allowed: a whole number of 0 or more, a numpy "
                         "Generator or None")
    return int(rng)


class CoproductionModel(Model):
    """How a service's engagement choices shape participation, voice, influence and trust.

    Args:
        scenario: The levers (a :class:`~coprod_sim.scenario.Scenario`) or a
            preset name, as :func:`coprod_sim.runner.run` takes; defaults to
            ``Scenario()``.
        rng: Seed (an int), a numpy ``Generator`` (an integer seed is drawn
            from it) or None (a fresh seed); the same seed gives the same run,
            and the same run as :func:`coprod_sim.runner.run` with that seed.
        constants: Trial values of the hidden constants
            (:class:`~coprod_sim.calibration.constants.Constants`); defaults to
            the fitted ones in ``coprod_sim/calibration/fitted.toml``.
        **params: Lever values that override ``scenario`` (so
            ``mesa.batch_run`` can pass parameters by name).

    Attributes:
        levers: The validated scenario in use.
        seed: The integer seed of the run.
        batch: The :class:`~coprod_sim.batch.Batch` of one this model steps.
        state: People arrays (row 0 of ``batch.state``, one entry per person).
        staff_state: Staff arrays (row 0 of ``batch.staff_state``).
        people: AgentSet of :class:`~coprod_sim.agents.Person`.
        staff: AgentSet of :class:`~coprod_sim.agents.StaffMember`.
        network: Mesa ``Network`` of the peer support ties.
        datacollector: The weekly record (``model_vars``, as a Mesa DataCollector).
    """

    def __init__(self, scenario: Scenario | str | None = None, *, rng: Any = None,
                 constants: Constants | None = None, **params: Any):
        seed = seed_from(rng)
        super().__init__(rng=seed)
        if isinstance(scenario, str):  # a preset name, as run("full_coproduction") takes
            from coprod_sim import presets
            scenario = presets.get(scenario)
        scenario = scenario if scenario is not None else Scenario()
        if params:
            scenario = scenario.replace(**params)
        self.levers = scenario
        self.seed = seed
        self.batch = b = Batch([scenario], [seed], constants)
        self.constants = b.constants
        self.cycle = step_schedule(scenario.pathway, scenario.cycle_weeks,
                                   scenario.cycle_weeks)
        self.state = b.state.row(0)
        self.staff_state = b.staff_state.row(0)
        pairs = b.ties[0]
        self.network = Network(ties_graph(pairs, self.state.n), layout=None,
                               random=self.random)
        self.edges_src = np.concatenate([pairs[:, 0], pairs[:, 1]])
        self.edges_dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
        self.degree = b.degree[0]
        for i in range(self.state.n):
            Person(self, i, self.network[i])
        for j in range(self.staff_state.n):
            StaffMember(self, j)
        self.people = self.agents_by_type[Person]
        self.staff = self.agents_by_type[StaffMember]
        self.barrier_penalty = b.barrier_penalty[0]
        self.datacollector = RunRecord(b)
        self.running = True

    @property
    def week(self) -> int:
        """Weeks run so far."""
        return self.batch.week

    def _step(self):
        return self.cycle[self.week % len(self.cycle)]

    @property
    def stage(self) -> str:
        """The co-production stage of the current week."""
        return self._step().stage

    @property
    def step_label(self) -> str:
        """The step of the pathway the current week belongs to."""
        return self._step().label

    @property
    def step_action(self) -> str:
        """What the current step does (see :mod:`coprod_sim.mechanisms.steps`)."""
        return self._step().action

    @property
    def user_stage(self) -> bool:
        """Whether service users take part in the current stage."""
        return bool(self.batch.user_stage[0])

    @property
    def current_week(self) -> WeekRow:
        """The record of the week just run (who was invited, took part, was heard)."""
        return self.batch.current_week.row(0)

    @property
    def tally(self) -> dict[str, float]:
        """Meetings held so far and the sums behind voice equality and quiet voice."""
        return {k: v[0].item() for k, v in self.batch.tally.items()}

    def step(self) -> None:
        """Run one week: every mechanism of the schedule in order, then record."""
        self.batch.step()
        if self.week >= self.levers.weeks:
            self.running = False

    # Readable queries built on Mesa AgentSets ------------------------------
    def missing(self) -> dict[str, int]:
        """How many invited people have never taken part, by segment."""
        absent = self.people.select(lambda p: p.reached and p.times == 0)
        return {k: len(v) for k, v in absent.groupby("segment").groups.items()}

    def dropped_out_people(self) -> list[Person]:
        """The people who took part and then dropped out."""
        return list(self.people.select(lambda p: p.dropped_out))


def _scalar(name: str, doc: str):
    def getter(self):
        return getattr(self.batch, name)[0].item()

    return property(getter, doc=doc)


for _name, _doc in (("clarity", "How clear the purpose is (0-1), as the steps go."),
                    ("integration", "How joined up health and social care are (0-1)."),
                    ("roles_clear", "Whether roles are clear (the 4Rs)."),
                    ("resistance", "The organisation's resistance to change (0-1)."),
                    ("cost", "Money spent so far."), ("benefit", "Benefit so far."),
                    ("benefit_flow", "This week's benefit."),
                    ("improvement", "Units of improvement live so far."),
                    ("representativeness", "The mix of people taking part (last recorded)."),
                    ("plan_users", "Items in the action plan from users' views."),
                    ("plan_staff", "Items in the action plan from the staff."),
                    ("views_considered", "Views considered so far."),
                    ("own_views", "Views that raised people's own concerns so far."),
                    ("understanding_sum", "Sum of comprehension over activities."),
                    ("understanding_n", "Activities behind understanding_sum."),
                    ("focus_seats", "Focus group seats offered so far."),
                    ("focus_filled", "Focus group seats filled so far.")):
    setattr(CoproductionModel, _name, _scalar(_name, _doc))


class RunRecord:
    """One run's weekly record, read as a Mesa ``DataCollector`` is.

    ``model_vars`` is a dict of lists (one entry per week); the other
    attributes are what :func:`mesa.batch_run` reads of a DataCollector.
    """

    def __init__(self, b: Batch, row: int = 0):
        self._batch = b
        self._row = row
        self._agent_records: dict = {}
        self._agenttype_records: dict = {}
        self.agent_reporters: dict = {}
        self.agenttype_reporters: dict = {}

    @property
    def model_vars(self) -> dict[str, list[Any]]:
        """Every outcome, one entry per week so far."""
        return self._batch.recorder.model_vars(self._row)

    @property
    def _collection_steps(self) -> list[int]:
        return list(range(1, self._batch.week + 1))
