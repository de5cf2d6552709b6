"""Mesa agents for the people affected and the staff.

Each agent is a readable view of its own entries in the model's state arrays
(:class:`~coprod_sim.population.People`, :class:`~coprod_sim.population.Staff`):
the mechanisms update the arrays for the whole population at once, and a
reader can still pick out one person and ask how they are doing. Agents are
kept in Mesa ``AgentSet``s (``model.people``, ``model.staff``), so ``select``,
``groupby`` and ``agg`` work on them.
"""

from __future__ import annotations

from mesa import Agent
from mesa.discrete_space import FixedAgent

from coprod_sim.population import AGES, DEPRIVATION, NEEDS, ROLES, SEGMENTS

# The model that owns the agents (a CoproductionModel; typed as the shared ``Model``
# of coprod_sim.state so that the agents never import the model that imports them).
from coprod_sim.state import Model as CoproductionModel

#: Weeks that count as "recently" for :attr:`Person.took_part_recently`.
RECENT_WEEKS = 13


def _state_property(attr: str, doc: str, cast=float):
    def getter(self):
        return cast(getattr(self._state, attr)[self.index])

    return property(getter, doc=doc)


class Person(FixedAgent):
    """A person affected by the service development (patient, carer, family, community).

    Sits on one node of the peer network (``self.cell``); its state is row
    ``index`` of ``model.state``.
    """

    def __init__(self, model: CoproductionModel, index: int, cell):
        super().__init__(model)
        self.index = index
        self._state = model.state
        self.cell = cell

    role = _state_property("role", "patient, carer, family or community",
                           lambda v: ROLES[v])
    age_band = _state_property("age", "age band", lambda v: AGES[v])
    deprivation = _state_property("dep", "deprivation band", lambda v: DEPRIVATION[v])
    segment = _state_property("segment", "age band and deprivation", lambda v: SEGMENTS[v])
    confidence = _state_property("confidence", "confidence to speak up (0-1)")
    articulacy = _state_property("articulacy", "ease with words (0-1)")
    health_literacy = _state_property("literacy", "health literacy (0-1)")
    motivation = _state_property("motivation", "motivation to take part (0-1)")
    trust = _state_property("trust", "trust in the service (0-1)")
    efficacy = _state_property("efficacy", "belief that 'my views change things' (0-1)")
    fatigue = _state_property("fatigue", "tiredness from taking part (0-1)")
    reached = _state_property("reached", "an invitation reached them", bool)
    engaged = _state_property("engaged", "still willing to be involved", bool)
    willing_depth = _state_property("willing_depth", "1 light, 2 conversation, 3 partnership",
                                    int)
    times = _state_property("times", "how many activities they took part in", int)
    views = _state_property("views", "how many views they gave", int)
    adopted = _state_property("adopted", "how many of their views were adopted", int)

    @property
    def needs(self) -> list[str]:
        """The access needs this person has."""
        row = self._state.needs[self.index]
        return [need for need, has in zip(NEEDS, row, strict=True) if has]

    @property
    def took_part_recently(self) -> bool:
        """Took part in the last 13 weeks."""
        return bool(self.model.week - self._state.last_part[self.index] < RECENT_WEEKS)

    @property
    def dropped_out(self) -> bool:
        """Was reached and has since dropped out."""
        return bool(self._state.reached[self.index] and not self._state.engaged[self.index])

    @property
    def peers(self) -> list[Person]:
        """People this person is tied to in the peer network."""
        return [a for cell in self.cell.neighborhood for a in cell.agents]

    def __repr__(self) -> str:
        return f"<Person {self.index}: {self.role}, {self.segment}>"


class StaffMember(Agent):
    """A member of staff, a manager or front-line.

    Its state is row ``index`` of ``model.staff_state``.
    """

    def __init__(self, model: CoproductionModel, index: int):
        super().__init__(model)
        self.index = index
        self._state = model.staff_state

    manager = _state_property("manager", "is a manager", bool)
    in_working_party = _state_property("seat", "sits in the working party", bool)
    skill = _state_property("skill", "coproduction skill (0-1)")
    anxiety = _state_property("anxiety", "anxiety about risk (0-1)")
    openness = _state_property("openness", "openness to sharing power (0-1)")

    @property
    def grade(self) -> str:
        """'manager' or 'front-line'."""
        return "manager" if self.manager else "front-line"

    def __repr__(self) -> str:
        return f"<StaffMember {self.index}: {self.grade}>"
