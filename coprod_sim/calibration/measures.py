"""How each calibration target's figure is measured from runs of the model.

A :class:`Trace` is one run watched week by week: who was invited to what, who
took part in what, who gave a view and how many views were adopted. A
*measure* turns the traces of a scenario over several seeds into one figure,
pooling over the seeds (a ratio of sums, so rare events are not lost in
small runs). :data:`MEASURES` lists them; a targets file names one per target.

Every measure reads only what the model shows after each week
(``batch.current_week`` and ``batch.state`` of the batched engine), not the
code of a mechanism. The runs a trial needs are watched as batches
(:func:`watch_many`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coprod_sim.calibration.constants import Constants
from coprod_sim.outcomes import NUMERIC
from coprod_sim.population import METHODS, NEEDS
from coprod_sim.runner import summarise
from coprod_sim.scenario import Scenario

FORUM, FOCUS, INTERVIEW, QUESTIONNAIRE = (METHODS.index(m) for m in
                                          ("forum", "focus_group", "interview",
                                           "questionnaire"))
#: Method groups a measure may be asked about.
METHOD_GROUPS: dict[str, tuple[int, ...]] = {
    "forum": (FORUM,), "focus_group": (FOCUS,), "interview": (INTERVIEW,),
    "questionnaire": (QUESTIONNAIRE,), "meetings": (FORUM, FOCUS, INTERVIEW),
    "any": (FORUM, FOCUS, INTERVIEW, QUESTIONNAIRE),
}
#: Weeks that make a quarter of a year (panel inactivity compares quarters).
QUARTER = 13


class MeasureError(ValueError):
    """A measure cannot be computed (for example nothing was ever invited)."""


@dataclass
class Trace:
    """One run, watched week by week.

    Attributes:
        scenario: The scenario run.
        seed: Its seed.
        invited: weeks x people x methods, who was invited to what.
        took: weeks x people x methods, who took part in what.
        focus_accepted: People who agreed to come to each week's focus group
            (before no-shows), or None when the model does not record it.
        running: weeks x methods, which methods met.
        views: Views given per week.
        adopted: Views adopted per week.
        age: Age band code per person; ``dep`` likewise for deprivation.
        aware_forum: Who knew of the forum before the first week.
        cost_need: Who cannot afford the costs of taking part (the need that paying
            expenses meets).
        summary: The run's summary (as :func:`coprod_sim.runner.summarise`).
    """

    scenario: Scenario
    seed: int
    invited: np.ndarray
    took: np.ndarray
    focus_accepted: np.ndarray | None
    running: np.ndarray
    views: np.ndarray
    adopted: np.ndarray
    age: np.ndarray
    dep: np.ndarray
    aware_forum: np.ndarray
    cost_need: np.ndarray
    summary: dict[str, Any] = field(repr=False)


def watch(scenario: Scenario, seed: int, constants: Constants | None = None) -> Trace:
    """Run ``scenario`` once with ``seed`` and trial ``constants``, watching each week."""
    return watch_many([(scenario, seed)], constants)[0]


def watch_many(runs: Sequence[tuple[Scenario, int]], constants: Constants | None = None
               ) -> list[Trace]:
    """Watch every ``(scenario, seed)`` run; one :class:`Trace` each, in order.

    Runs of the same shape (people, staff, weeks) are computed together as
    batches of the engine (:class:`coprod_sim.batch.Batch`, at most
    :func:`coprod_sim.runner.batch_size` runs each); a run's trace is the same
    alone or in any batch.
    """
    from coprod_sim.batch import Batch
    from coprod_sim.runner import batch_size

    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, (scenario, _) in enumerate(runs):
        groups.setdefault((scenario.n_people, scenario.n_staff, scenario.weeks), []).append(i)
    traces: dict[int, Trace] = {}
    for (n_people, _, weeks), members in groups.items():
        size = batch_size(n_people)
        for start in range(0, len(members), size):
            part = members[start:start + size]
            batch = Batch([runs[i][0] for i in part], [int(runs[i][1]) for i in part],
                          constants)
            for i, trace in zip(part, _watch(batch, weeks), strict=True):
                traces[i] = trace
    return [traces[i] for i in range(len(runs))]


def _watch(batch: Any, weeks: int) -> list[Trace]:
    """Step a batch ``weeks`` weeks, keeping what each week shows; a Trace per run.

    Each run's week is read through :meth:`coprod_sim.state.Week.row` (people x
    methods), so the trace does not depend on how the batch lays out its arrays.
    """
    st = batch.state
    aware = np.asarray(st.aware_forum).copy()
    seen: list[dict[str, list[Any]]] = [
        {k: [] for k in ("invited", "took", "accepted", "running", "views", "adopted")}
        for _ in range(batch.B)]
    for _ in range(weeks):
        batch.step()
        wk = batch.current_week
        for b, kept in enumerate(seen):
            row = wk.row(b)
            kept["invited"].append(np.array(row.invited, dtype=bool))
            kept["took"].append(np.array(row.took, dtype=bool))
            kept["accepted"].append(int(row.focus_accepted))
            kept["running"].append(np.array(row.running, dtype=bool))
            kept["views"].append(int(np.count_nonzero(row.gave_view)))
            kept["adopted"].append(int(row.n_adopted))
    cost = NEEDS.index("cost")
    out = []
    for b, weekly in enumerate(batch.recorder.tables()):
        kept = seen[b]
        out.append(Trace(batch.scenarios[b], batch.seeds[b], np.stack(kept["invited"]),
                         np.stack(kept["took"]), np.array(kept["accepted"]),
                         np.stack(kept["running"]), np.array(kept["views"]),
                         np.array(kept["adopted"]), np.asarray(st.age[b]).copy(),
                         np.asarray(st.dep[b]).copy(), aware[b],
                         np.asarray(st.needs[b])[:, cost].copy(), summarise(weekly)))
    return out


# Helpers ---------------------------------------------------------------------

def _methods(params: dict[str, Any], default: str) -> tuple[int, ...]:
    name = params.get("method", default)
    return METHOD_GROUPS[name]


def _rate(traces: Sequence[Trace], methods: tuple[int, ...],
          who: Callable[[Trace], np.ndarray] | None = None) -> float:
    """Taking part per invitation, pooled over weeks, methods and seeds."""
    inv = took = 0
    for t in traces:
        i, k = t.invited[:, :, methods], t.took[:, :, methods]
        if who is not None:
            mask = who(t)
            i, k = i[:, mask], k[:, mask]
        inv += int(i.sum())
        took += int(k.sum())
    if inv == 0:
        raise MeasureError("nobody was invited, so there is no response to measure")
    return took / inv


def _odds(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return p / (1 - p)


# The measures ----------------------------------------------------------------

def response(traces, params, compare=None) -> float:
    """Share of invitations answered (by ``method``, default the questionnaire)."""
    return _rate(traces, _methods(params, "questionnaire"))


def _response_ratio(traces, params, group, reference, nobody: str) -> float:
    """Response of ``group`` relative to ``reference`` (both filters on the traces)."""
    methods = _methods(params, "questionnaire")
    ref = _rate(traces, methods, reference)
    if ref == 0:
        raise MeasureError(nobody)
    return _rate(traces, methods, group) / ref


def age_response_gap(traces, params, compare=None) -> float:
    """Response of the youngest age band relative to the oldest (ages 16-34 vs 65+)."""
    return _response_ratio(traces, params, lambda t: t.age == 0,
                           lambda t: t.age == t.age.max(),
                           "nobody in the oldest age band responded")


def deprivation_response_gap(traces, params, compare=None) -> float:
    """Response of the most deprived fifth relative to the least deprived fifth."""
    return _response_ratio(traces, params, lambda t: t.dep == 0,
                           lambda t: t.dep == t.dep.max(),
                           "nobody in the least deprived fifth responded")


def focus_group_no_show(traces, params, compare=None) -> float:
    """Share of people who agreed to come to a focus group but did not turn up."""
    agreed = came = 0
    for t in traces:
        if t.focus_accepted is None:
            raise MeasureError("this model does not record who agreed to come "
                               "(a week's 'focus_accepted'), so no-shows cannot be measured")
        agreed += int(t.focus_accepted.sum())
        came += int(t.took[:, :, FOCUS].sum())
    if agreed == 0:
        raise MeasureError("nobody agreed to come to a focus group")
    return 1.0 - came / agreed


def _per_meeting(traces, method: int) -> float:
    people = held = 0
    for t in traces:
        meets = t.running[:, method] & t.invited[:, :, method].any(axis=1)
        held += int(meets.sum())
        people += int(t.took[meets][:, :, method].sum()) if meets.any() else 0
    if held == 0:
        raise MeasureError(f"no {METHODS[method].replace('_', ' ')} was held")
    return people / held


def focus_group_attendance(traces, params, compare=None) -> float:
    """People at each focus group held (mean over groups)."""
    return _per_meeting(traces, FOCUS)


def forum_meeting_size(traces, params, compare=None) -> float:
    """People at each forum meeting (mean over meetings)."""
    return _per_meeting(traces, FORUM)


def forum_attended_given_aware(traces, params, compare=None) -> float:
    """Share of the people who knew of the forum at the start who ever attended it."""
    aware = came = 0
    for t in traces:
        ever = t.took[:, :, FORUM].any(axis=0)
        aware += int(t.aware_forum.sum())
        came += int((ever & t.aware_forum).sum())
    if aware == 0:
        raise MeasureError("nobody knew of the forum")
    return came / aware


def adoption_rate(traces, params, compare=None) -> float:
    """Share of service users' views that were adopted into the action plan."""
    views = sum(int(t.views.sum()) for t in traces)
    if views == 0:
        raise MeasureError("no views were given")
    return sum(int(t.adopted.sum()) for t in traces) / views


def core_share(traces, params, compare=None) -> float:
    """Share of all activities done by the most involved ``top`` (0.2) of those who took part.

    Mean over seeds.
    """
    top = float(params.get("top", 0.2))
    shares = []
    for t in traces:
        times = t.took.sum(axis=(0, 2))
        times = np.sort(times[times > 0])[::-1]
        if times.size == 0:
            continue
        k = max(1, int(np.ceil(top * times.size)))
        shares.append(times[:k].sum() / times.sum())
    if not shares:
        raise MeasureError("nobody took part")
    return float(np.mean(shares))


def panel_inactivity(traces, params, compare=None) -> float:
    """Share of the forum's members who attend no meeting in the run's last quarter.

    Members are the people who came to at least ``min_meetings`` (default 2)
    of the forum's meetings in the first quarter; over a 52-week run this is a
    year's inactivity.
    """
    least = int(params.get("min_meetings", 2))
    members = quiet = 0
    for t in traces:
        forum = t.took[:, :, FORUM]
        if forum.shape[0] < 2 * QUARTER:
            raise MeasureError(f"panel inactivity needs at least {2 * QUARTER} weeks")
        first = forum[:QUARTER].sum(axis=0) >= least
        last = forum[-QUARTER:].any(axis=0)
        members += int(first.sum())
        quiet += int((first & ~last).sum())
    if members == 0:
        raise MeasureError("nobody came to the forum often enough in the first quarter")
    return quiet / members


def payment_odds_ratio(traces, params, compare=None) -> float:
    """Odds ratio of taking part when invited, with payment over without.

    ``compare`` holds the runs with payment (same seeds); ``method`` says which
    invitations count (default: the questionnaire, where Edwards et al. 2002
    measured the effect of payment on response); ``who = "everyone"`` (the
    default) counts everyone invited, as the evidence did; ``"cost_need"``
    only the people who cannot afford the costs of taking part.
    """
    if compare is None:
        raise MeasureError("the payment odds ratio needs 'compare' runs (with payment)")
    methods = _methods(params, "questionnaire")
    who = (lambda t: t.cost_need) if params.get("who", "everyone") == "cost_need" else None
    return _odds(_rate(compare, methods, who)) / _odds(_rate(traces, methods, who))


def outcome_mean(traces, params, compare=None) -> float:
    """Mean over seeds of a run summary figure (``outcome``, e.g. ``participation_rate``).

    With ``compare`` runs: their mean minus this mean.
    """
    name = params.get("outcome")
    base = float(np.mean([t.summary[name] or 0.0 for t in traces]))
    if compare is None:
        return base
    return float(np.mean([t.summary[name] or 0.0 for t in compare])) - base


def outcome_ratio(traces, params, compare=None) -> float:
    """Mean of a summary figure (``outcome``) in the ``compare`` runs over its mean here.

    For example how many times more people take part with a better design.
    """
    if compare is None:
        raise MeasureError("an outcome ratio needs 'compare' runs")
    name = params.get("outcome")
    base = float(np.mean([t.summary[name] or 0.0 for t in traces]))
    if base == 0:
        raise MeasureError(f"{name} is 0 in the base runs")
    return float(np.mean([t.summary[name] or 0.0 for t in compare])) / base


@dataclass(frozen=True)
class Measure:
    """A named way of measuring a figure from runs.

    Attributes:
        name: The name a targets file uses.
        function: ``function(traces, params, compare) -> float``.
        unit: ``"share"``, ``"ratio"`` or ``"people"`` (how the figure is printed).
        compare: Whether it needs a second arm (``compare`` in the target).
        params: Extra keys a target may give, with the values allowed (None: any).
    """

    name: str
    function: Callable[..., float]
    unit: str
    compare: bool = False
    params: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    @property
    def description(self) -> str:
        """The measure's one-paragraph description (its function's docstring)."""
        return " ".join((self.function.__doc__ or "").split())


_METHOD = {"method": tuple(METHOD_GROUPS)}
_OUTCOME = {"outcome": NUMERIC + ("mean_participation_rate",)}

MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("response", response, "share", params=_METHOD),
    Measure("questionnaire_response", response, "share", params=_METHOD),
    Measure("age_response_gap", age_response_gap, "ratio", params=_METHOD),
    Measure("deprivation_response_gap", deprivation_response_gap, "ratio", params=_METHOD),
    Measure("focus_group_no_show", focus_group_no_show, "share"),
    Measure("focus_group_attendance", focus_group_attendance, "people"),
    Measure("forum_meeting_size", forum_meeting_size, "people"),
    Measure("forum_attended_given_aware", forum_attended_given_aware, "share"),
    Measure("adoption_rate", adoption_rate, "share"),
    Measure("core_share", core_share, "share", params={"top": None}),
    Measure("panel_inactivity", panel_inactivity, "share", params={"min_meetings": None}),
    Measure("payment_odds_ratio", payment_odds_ratio, "ratio", compare=True,
            params={**_METHOD, "who": ("everyone", "cost_need")}),
    Measure("outcome", outcome_mean, "share", params=_OUTCOME),
    Measure("outcome_ratio", outcome_ratio, "ratio", compare=True, params=_OUTCOME),
)}


def format_figure(value: float, unit: str) -> str:
    """A figure for people: shares to two decimals, people to one."""
    if value != value:  # NaN
        return "n/a"
    if unit == "people":
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


__all__ = ["MEASURES", "METHOD_GROUPS", "Measure", "MeasureError", "Trace", "format_figure",
           "watch"]
