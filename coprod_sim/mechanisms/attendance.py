"""Mechanisms 1-2: activities on their cadence, invitations, and who takes part.

Briefing paper: "There are various methods to engage service users, such as
approaching established forums, developing bespoke focus groups, conducting
semi-structured interviews or administering questionnaires"; forums and focus
groups are "less accessible to those that are less confident and/or
articulate"; interviews and questionnaires "may reduce some of the barriers";
practical barriers (large print, jargon, hearing loops, venues, time of day,
out-of-pocket costs) must be acknowledged and overcome (NLIAH 2010).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coprod_sim.outcomes import RECENT, representativeness
from coprod_sim.population import METHODS, NEED_LEVER, NEEDS

if TYPE_CHECKING:
    from coprod_sim.model import CoproductionModel, Week

FORUM, FOCUS, INTERVIEW, QUESTIONNAIRE = range(4)

#: How deep each method goes: 1 light (a form), 2 a conversation, 3 partnership.
DEPTH = np.array([3, 2, 2, 1])
#: Hours a person spends per activity (forum and focus group use meeting_hours).
HOURS = np.array([np.nan, np.nan, 1.0, 0.3])
#: Which needs are barriers to which method (rows NEEDS, columns METHODS).
BARRIER_WEIGHT = np.array([
    # forum focus interview questionnaire
    [1.0, 1.0, 0.0, 1.0],   # large print (papers, forms)
    [1.0, 1.0, 0.5, 0.0],   # hearing
    [1.0, 1.0, 0.0, 0.0],   # physical access (interviews can be at home)
    [1.0, 1.0, 0.5, 0.0],   # time of day
    [1.0, 1.0, 0.5, 0.0],   # cost of taking part
    [0.5, 0.5, 0.0, 1.0],   # digital exclusion (papers by email; online forms)
    [0.5, 0.5, 0.3, 1.0],   # low health literacy meets jargon
])


def running_methods(model: CoproductionModel, week: int) -> np.ndarray:
    """Mechanism 1: which methods meet this week, on their cadence.

    Returns a bool per method in :data:`~coprod_sim.population.METHODS` order.
    """
    s = model.levers
    use = (s.use_forum, s.use_focus_groups, s.use_interviews, s.use_questionnaire)
    every = (s.forum_every_weeks, s.focus_group_every_weeks, s.interview_every_weeks,
             s.questionnaire_every_weeks)
    return np.array([u and week % e == 0 for u, e in zip(use, every, strict=True)])


def unmet_barriers(model: CoproductionModel) -> np.ndarray:
    """Each person's unmet needs (n x len(NEEDS) bools): needs whose adjustment is off.

    A barrier that meets its adjustment costs nothing (model brief, step 5).
    """
    s = model.levers
    if not s.mech_barriers:
        return np.zeros_like(model.state.needs)
    off = np.array([not s[NEED_LEVER[need]] for need in NEEDS])
    return model.state.needs & off


def barrier_penalty(model: CoproductionModel) -> np.ndarray:
    """Log-odds lost by each person for each method from unmet needs (n x 4)."""
    unmet = unmet_barriers(model).astype(float)
    return (unmet * model.constants.array("barrier_strength")) @ BARRIER_WEIGHT


def peer_share(model: CoproductionModel) -> np.ndarray:
    """Share of each person's peers who took part in the last four weeks."""
    st = model.state
    active = (model.week - st.last_part < model.constants.peer_weeks).astype(float)
    counts = np.bincount(model.edges_src, weights=active[model.edges_dst], minlength=st.n)
    return counts / np.maximum(model.degree, 1.0)


def invite(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 1: invitations reach people by each method's reach.

    Forums reach the invited people who know the forum exists (Agass et al.
    1991: far more know a group than attend); focus groups over-recruit to
    cover no-shows; interviews sample a few people; questionnaires go to all.
    """
    s, st, rng = model.levers, model.state, model.rng
    pool = st.reached & st.engaged
    invited = np.zeros((st.n, 4), dtype=bool)
    if wk.running[FORUM]:
        invited[:, FORUM] = pool & st.aware_forum
    idx = np.flatnonzero(pool)
    if wk.running[FOCUS] and idx.size:
        k = min(idx.size, int(np.ceil(s.focus_group_size / (1 - s.focus_group_no_show))))
        invited[rng.choice(idx, size=k, replace=False), FOCUS] = True
    if wk.running[INTERVIEW] and idx.size:
        k = min(idx.size, s.interviews_per_round)
        invited[rng.choice(idx, size=k, replace=False), INTERVIEW] = True
    if wk.running[QUESTIONNAIRE]:
        invited[:, QUESTIONNAIRE] = pool
    wk.invited = invited


def decide_attendance(model: CoproductionModel, wk: Week) -> None:
    """Mechanism 2: each invited person decides whether to take part.

    Motivation, trust and efficacy raise the chance; fatigue and every unmet
    barrier lower it; peers who take part raise it (Granovetter 1978); forums
    and focus groups favour the confident and articulate (Gibbs 1997, cited by
    the paper); a clear purpose helps people choose to come (GSCC et al. 2007).
    """
    s, st = model.levers, model.state
    took = _choose(model, wk) if wk.invited.any() else wk.invited
    part = took.any(axis=1)
    hours = HOURS.copy()
    hours[FORUM] = hours[FOCUS] = s.meeting_hours
    wk.took, wk.part = took, part
    wk.hours = took @ hours
    wk.depth = np.where(part, (took * DEPTH).max(axis=1), 0)
    st.last_part[part] = model.week
    st.times += took.sum(axis=1)
    st.ever_part |= part
    if part.any():  # the mix changes with who takes part (the recorder updates it weekly)
        recent = model.week - st.last_part < RECENT
        model.representativeness = representativeness(recent, st.age, st.dep,
                                                       model.age_share, model.dep_share)


def attendance_chance(model: CoproductionModel) -> np.ndarray:
    """Chance that each person takes part in each method if invited (n x 4).

    Log-odds: the method's base chance, plus motivation, trust and efficacy,
    minus fatigue, plus a clear purpose, plus the segment gap, plus peers who
    took part, minus unmet barriers, plus confidence and articulacy for groups.
    """
    s, st, c = model.levers, model.state, model.constants
    drive = (c.drive_motivation * (st.motivation - 0.5) + c.drive_trust * (st.trust - 0.5)
             + c.drive_efficacy * (st.efficacy - 0.35) - c.drive_fatigue * st.fatigue
             + c.drive_purpose * (s.purpose_clarity - 0.5))
    if s.mech_segment_gap:
        drive = drive + st.base_offset
    if s.mech_peer_influence:
        drive = drive + s.peer_weight * peer_share(model)
    chance = np.append(c.array("base_chance"), s.questionnaire_response_rate)
    base = np.log(chance / (1 - chance))
    base[QUESTIONNAIRE] += c.questionnaire_calibration
    logit = base + drive[:, None] - model.barrier_penalty
    if s.mech_confidence_bias:
        logit = logit + np.outer(st.confidence - 0.5, c.array("confidence_bias")) \
            + np.outer(st.articulacy - 0.5, c.array("articulacy_bias"))
    p = 1.0 / (1.0 + np.exp(-logit))
    p[:, FOCUS] *= 1.0 - s.focus_group_no_show
    return p


def _choose(model: CoproductionModel, wk: Week) -> np.ndarray:
    """Draw who takes part among the invited (n x 4 bools)."""
    s, rng = model.levers, model.rng
    p = attendance_chance(model)
    took = wk.invited & (rng.random(p.shape) < p)
    over = np.flatnonzero(took[:, FOCUS])
    if over.size > s.focus_group_size:
        drop = rng.choice(over, size=over.size - s.focus_group_size, replace=False)
        took[drop, FOCUS] = False
    return took

__all__ = ["METHODS", "running_methods", "invite", "decide_attendance", "unmet_barriers",
           "barrier_penalty", "peer_share", "attendance_chance"]
