"""The coproduction model: builds the population, then runs the weekly schedule.

One step is one week. Each week calls the mechanisms of
:data:`coprod_sim.mechanisms.SCHEDULE` in a fixed, documented order and then
records one row of outcomes. State lives in numpy arrays
(``model.state`` for people, ``model.staff_state`` for staff); the Mesa
agents in ``model.people`` and ``model.staff`` are readable views of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mesa import Model
from mesa.discrete_space import Network

from coprod_sim.agents import Person, StaffMember
from coprod_sim.calibration.constants import Constants
from coprod_sim.mechanisms import SCHEDULE, attendance, benefits, staff
from coprod_sim.outcomes import Recorder
from coprod_sim.population import (
    AGES,
    DEPRIVATION,
    ROLES,
    People,
    Staff,
    edge_arrays,
    peer_network,
)
from coprod_sim.presets import STAGES, step_schedule
from coprod_sim.scenario import Scenario
from coprod_sim.state import Week


class CoproductionModel(Model):
    """How a service's engagement choices shape participation, voice, influence and trust.

    Args:
        scenario: The levers (a :class:`~coprod_sim.scenario.Scenario`); defaults
            to ``Scenario()``.
        rng: Seed or numpy ``Generator`` (Mesa's ``rng``); the same seed gives
            the same run.
        constants: Trial values of the hidden constants
            (:class:`~coprod_sim.calibration.constants.Constants`); defaults to
            the fitted ones in ``coprod_sim/calibration/fitted.toml``.
        **params: Lever values that override ``scenario`` (so
            ``mesa.batch_run`` can pass parameters by name).

    Attributes:
        levers: The validated scenario in use.
        state: People arrays (:class:`~coprod_sim.population.People`).
        staff_state: Staff arrays (:class:`~coprod_sim.population.Staff`).
        people: AgentSet of :class:`~coprod_sim.agents.Person`.
        staff: AgentSet of :class:`~coprod_sim.agents.StaffMember`.
        network: Mesa ``Network`` of the peer support ties.
        datacollector: The weekly :class:`~coprod_sim.outcomes.Recorder`.
    """

    def __init__(self, scenario: Scenario | None = None, *, rng: Any = None,
                 constants: Constants | None = None, **params: Any):
        super().__init__(rng=rng)
        scenario = scenario if scenario is not None else Scenario()
        if params:
            scenario = scenario.replace(**params)
        self.levers = scenario
        self.constants = constants if constants is not None else Constants.load()
        self.week = 0
        self.cycle = step_schedule(scenario.pathway, scenario.cycle_weeks,
                                   scenario.cycle_weeks)
        self.user_stages = {st for st in STAGES if scenario[f"stage_{st}"]}

        self.state = People(scenario, self.rng, self.constants)
        self.staff_state = Staff(scenario, self.rng, self.constants)
        graph = peer_network(self.state, self.rng, degree=int(self.constants.peer_degree))
        self.network = Network(graph, layout=None, random=self.random)
        self.edges_src, self.edges_dst, self.degree = edge_arrays(graph, self.state.n)
        for i in range(self.state.n):
            Person(self, i, self.network[i])
        for j in range(self.staff_state.n):
            StaffMember(self, j)
        self.people = self.agents_by_type[Person]
        self.staff = self.agents_by_type[StaffMember]

        # Fixed for a run: what each person's unmet needs cost them per method.
        self.barrier_penalty = attendance.barrier_penalty(self)
        # What the step model's steps change as the project goes (see mechanisms.steps).
        self.clarity = float(scenario.purpose_clarity)
        self.integration = float(scenario.integration)
        self.roles_clear = bool(scenario.roles_4rs)
        self.age_share = np.bincount(self.state.age, minlength=len(AGES)) / self.state.n
        self.dep_share = np.bincount(self.state.dep, minlength=len(DEPRIVATION)) / self.state.n
        self.role_share = np.bincount(self.state.role, minlength=len(ROLES)) / self.state.n

        self.tally = {"meetings": 0, "equality_sum": 0.0, "quiet_airtime": 0.0,
                      "quiet_seats": 0.0}
        self.plan_users = 0
        self.plan_staff = 0.0
        self.views_considered = 0
        self.own_views = 0
        self.understanding_sum = 0.0
        self.understanding_n = 0
        self.focus_accepted = 0
        self.focus_seats = 0
        self.focus_filled = 0
        self.representativeness = 0.0  # set by the recorder each week
        self.resistance = staff.organisational_resistance(self)
        self.cost = benefits.setup_costs(self)
        self.benefit = 0.0
        self.benefit_flow = 0.0
        self.improvement = 0.0
        self.benefit_ramp = np.zeros(scenario.weeks + 2)
        self.current_week = Week(self.state.n, np.zeros(4, dtype=bool))
        self.datacollector = Recorder(self)
        self.running = True

    @property
    def stage(self) -> str:
        """The co-production stage of the current week."""
        return self.cycle[self.week % len(self.cycle)].stage

    @property
    def step_label(self) -> str:
        """The step of the pathway the current week belongs to."""
        return self.cycle[self.week % len(self.cycle)].label

    @property
    def step_action(self) -> str:
        """What the current step does (see :mod:`coprod_sim.mechanisms.steps`)."""
        return self.cycle[self.week % len(self.cycle)].action

    @property
    def user_stage(self) -> bool:
        """Whether service users take part in the current stage."""
        return self.stage in self.user_stages

    def step(self) -> None:
        """Run one week: every mechanism of the schedule in order, then record."""
        wk = Week(self.state.n, attendance.running_methods(self, self.week))
        self.current_week = wk
        for mechanism in SCHEDULE:
            mechanism.function(self, wk)
        self.resistance = staff.organisational_resistance(self)
        self.datacollector.record(self)
        self.week += 1
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
