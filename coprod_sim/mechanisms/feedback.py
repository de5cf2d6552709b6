"""Mechanism 5: feedback on what happened to each view.

Briefing paper: "The views of service users should be incorporated into action
plans and if not a rationale should be provided for this, otherwise service
users may feel that their views are not being heard and disengage from the
process." Learning follows a Bush-Mosteller rule (Macy & Flache 2002) at
``learning_rate``; feedback is often missing (Mathie et al. 2018).

People who were ignored carry it: they expect to be ignored again and come
less even when invited again (:func:`remember_ignored`), and they tell their
peers, who come less too (:func:`spread_word`): meetings that lead to no
action and bad experiences make people stop taking part (Brodie et al. 2011,
*Pathways through Participation*; Ocloo & Matthews 2016). Both build one
state, ``wariness`` (0-1), which lowers the log-odds of taking part
(:func:`coprod_sim.mechanisms.attendance.drive`).
"""

from __future__ import annotations

import numpy as np

from coprod_sim.state import Model, Week


def ignored_views(b: Model, wk: Week) -> np.ndarray:
    """Who raised a concern of their own this week that was neither adopted nor explained.

    Runs x people. Being ignored is a person's own concern going nowhere: an
    answer to closed questions on someone else's agenda (a questionnaire's,
    mostly: :func:`coprod_sim.mechanisms.decisions.own_views`) was never that
    person's view to adopt, and it moves belief only through
    :func:`give_feedback`. A reason is given when ``feedback_rationale`` is on
    (briefing paper); no one else explains a decision (a buddy's help is in
    the meeting itself: :func:`coprod_sim.mechanisms.meetings.effective_confidence`).
    """
    return wk.own_view & ~wk.adopted & ~b.lev.feedback_rationale


def give_feedback(b: Model, wk: Week) -> None:
    """Mechanism 5: update efficacy, trust and motivation of everyone who gave a view.

    Briefing paper: a view not used needs a rationale, or people disengage;
    learning follows Macy & Flache (2002).

    - adopted: efficacy and trust move up towards 1;
    - not adopted, with a reason (``feedback_rationale``): a small step down in
      efficacy and trust
      (``rationale_softening`` of the full step: the view was heard, but a reason
      is still a no, so trust never grows from rejections);
    - not adopted, no reason: a full step down in efficacy, trust and motivation;
    - in a meeting, being heard (a fair share of the talking time or more)
      raises motivation and being talked over lowers it (``heard_weight``), so
      support that evens out voice keeps less confident people involved.
    """
    lev, st, c = b.lev, b.state, b.constants
    if not wk.part.any():
        return
    on = lev.mech_feedback & wk.part.any(axis=-1, keepdims=True)
    if not on.any():
        return
    lr = lev.learning_rate
    met = (wk.heard > 0) & on
    if met.any():
        felt = np.clip(wk.heard, 0.0, 2.0) - 1.0  # -1 silenced .. +1 twice a fair share
        step = c.heard_weight * lr * felt * np.where(felt > 0, 1 - st.motivation,
                                                     st.motivation)
        np.add(st.motivation, step, out=st.motivation, where=met)
    soft = c.rationale_softening
    gave, adopted = wk.gave_view & on, wk.adopted & on
    up = adopted
    np.add(st.efficacy, lr * (1 - st.efficacy), out=st.efficacy, where=up)
    np.add(st.trust, 0.5 * lr * (1 - st.trust), out=st.trust, where=up)
    np.add(st.motivation, 0.3 * lr * (1 - st.motivation), out=st.motivation, where=up)
    down = gave & ~adopted
    # A reason is given to everyone when feedback_rationale is on (and to no one else).
    explained = lev.feedback_rationale
    soft_down, hard_down = down & explained, down & ~explained
    loss = c.ignored_loss
    np.subtract(st.efficacy, soft * lr * st.efficacy, out=st.efficacy, where=soft_down)
    np.subtract(st.trust, soft * loss * lr * st.trust, out=st.trust, where=soft_down)
    np.subtract(st.efficacy, lr * st.efficacy, out=st.efficacy, where=hard_down)
    np.subtract(st.trust, loss * lr * st.trust, out=st.trust, where=hard_down)
    np.subtract(st.motivation, loss * lr * st.motivation, out=st.motivation, where=hard_down)


def remember_ignored(b: Model, wk: Week) -> None:
    """Mechanism 5b: people who were ignored expect it again, and hold it a long time.

    Briefing paper: people who feel unheard "disengage from the process";
    Brodie et al. 2011 (*Pathways through Participation*) and Ocloo &
    Matthews 2016: meetings that lead to no action, and bad experiences,
    make people stop taking part. A concern of their own neither adopted nor
    explained (:func:`ignored_views`) closes ``learning_rate`` of the gap to full
    wariness (the Bush-Mosteller step of :func:`give_feedback`); a view
    adopted mends the same share of it; a view not adopted but explained
    changes nothing. Wariness fades by ``wariness_decay`` a week (an
    assumption: about a third left after two years), so people who were
    ignored come less even when invited again, long after. It lowers the
    log-odds of taking part by ``wariness_weight`` at full wariness
    (:func:`coprod_sim.mechanisms.attendance.drive`), and a forum member's
    commitment holds them in against leaving only as far as they still expect
    to be heard (:func:`coprod_sim.mechanisms.attendance.held_commitment`).
    """
    lev, st = b.lev, b.state
    fading = b.once("wariness_on", lambda: lev.mech_ignored_memory | lev.mech_word_of_mouth)
    if fading.any():  # wariness from either source fades, once a week
        np.multiply(st.wariness, np.where(fading, 1.0 - b.constants.wariness_decay, 1.0),
                    out=st.wariness)
    on = lev.mech_ignored_memory
    if not on.any() or not wk.gave_view.any():
        return
    lr = lev.learning_rate
    wk.ignored = ignored = ignored_views(b, wk)
    np.add(st.wariness, lr * (1.0 - st.wariness), out=st.wariness, where=ignored & on)
    np.subtract(st.wariness, lr * st.wariness, out=st.wariness, where=wk.adopted & on)


def spread_word(b: Model, wk: Week) -> None:
    """Mechanism 5c: people who were ignored tell their peers, who expect it too.

    Word of mouth on the peer support network (the ties peers recruit along;
    Boyle et al. 2010): bad experiences of involvement travel (Brodie et al.
    2011; Ocloo & Matthews 2016). Each week a person's wariness closes
    ``word_of_mouth`` x (share of their peers ignored this week) of its gap to
    1, whether or not they have been reached yet: so the people a project
    finds later already expect to be ignored, and replacing the people who
    left gets harder. One path, the same as the person's own: wariness lowers
    the log-odds of taking part (:func:`coprod_sim.mechanisms.attendance.drive`).
    The strength is an assumption (word of mouth is reported, not measured).
    """
    lev, st, c = b.lev, b.state, b.constants
    on = lev.mech_word_of_mouth
    if not on.any() or not wk.gave_view.any():
        return
    ignored = wk.ignored if wk.ignored is not None else ignored_views(b, wk)
    ignored = ignored & on
    if not ignored.any():
        return
    heard = c.word_of_mouth * b.peer_counts(ignored) / b.degree_floor
    np.add(st.wariness, np.where(on, heard, 0.0) * (1.0 - st.wariness), out=st.wariness)

