"""See the people: the model's own population, week by week, and one meeting room.

:class:`PeoplePicture` is an `anywidget <https://anywidget.dev>`_ widget. It is
sent one run's :class:`~coprod_sim.curriculum.history.History` as compact data
(one short string per week), and the browser does all the drawing in SVG, with
its own play/pause button and week slider, so the 52 weeks animate without a
round trip to the kernel, in JupyterLab, in Voila and in a saved notebook.

What it shows:

* every person affected as one mark, coloured by where they stand that week
  (never invited, invited but not taking part, taking part, dropped out:
  Okabe-Ito colours, and "never invited" is hollow so it does not rest on
  colour alone), a triangle for someone with an access need and a circle for
  someone with none, placed in a block for their age band (rows) and
  deprivation fifth (columns); a black ring for being at a meeting that week;
* the people the chapters follow (:mod:`~coprod_sim.curriculum.people`), named,
  with their peer ties;
* the meeting room: who sat at the table at the most recent meeting (service
  users as circles, staff as squares, size by talking time) and how the
  talking time split between service users, front-line staff and managers;
* a small chart of one outcome with a cursor at the week shown, and the plan
  before the trainee moved a lever as a dashed line.

The alt text and a caption under the picture say the same in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from coprod_sim.curriculum.history import STATUSES, History
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.population import AGES, DEPRIVATION

_HERE = Path(__file__).parent

#: Weeks a second when playing (the floor asked for is 10).
SPEED = 12

_CSS = """
.coprod-people figure { margin: 0; }
.coprod-people-controls { display: flex; align-items: center; gap: 12px; margin: 6px 0; }
.coprod-people-play { min-width: 110px; min-height: 44px; font-size: 16px; cursor: pointer;
  background: #0072B2; color: #fff; border: 2px solid #003A5C; border-radius: 6px; }
.coprod-people-play:focus { outline: 3px solid #E69F00; outline-offset: 2px; }
.coprod-people-week { flex: 1; min-height: 32px; accent-color: #0072B2; }
.coprod-people-weeklabel { font-size: 16px; min-width: 130px; }
.coprod-people-caption { font-size: 15px; line-height: 1.45; margin-top: 4px; }
.coprod-presenter .coprod-people-caption, .coprod-presenter .coprod-people-weeklabel,
.coprod-presenter .coprod-people-play { font-size: 22px; }
.coprod-presenter .coprod-people svg { max-width: 100% !important; }
"""

#: Where the parts of the picture sit in the 1000 x 600 drawing.
_POP = (92, 40, 548)      # left, top, width of the population blocks
_CELL = 16.0              # spacing of marks
_LABEL_GAP = 22           # gap below each row of blocks: the followed people's names go there
_ROOM = dict(x=665, y=60, w=320, h=200)
_CHART_BOX = dict(x=92, y=425, w=470, h=130)


def _fmt(outcome: str, v: float) -> str:
    o = OUTCOMES.get(outcome)
    if o is not None and o.unit == "share":
        return f"{v:.0%}"
    if o is not None and o.unit == "GBP":
        return f"£{v:,.0f}"
    return f"{v:,.1f}"


def layout(h: History) -> dict[str, Any]:
    """Place every person in the block of their age band and deprivation fifth.

    Returns mark positions, block rectangles and labels (drawing units).
    """
    ppl = h.people
    age = ppl["age"].cat.codes.to_numpy()
    dep = ppl["deprivation"].cat.codes.to_numpy()
    role = ppl["role"].cat.codes.to_numpy()
    left, top, width = _POP
    # Column widths follow the deprivation fifths (1 : 3 : 1), with a gap.
    gap = 10
    shares = np.array([1.0, 3.0, 1.0])
    widths = (width - 2 * gap) * shares / shares.sum()
    xs = left + np.concatenate([[0], np.cumsum(widths + gap)[:-1]])
    cols = np.maximum(1, np.floor((widths - 6) / _CELL)).astype(int)
    x = np.zeros(h.n)
    y = np.zeros(h.n)
    blocks, labels = [], []
    row_top = top + 22
    for a in range(len(AGES)):
        rows_needed = 1
        members = {}
        for d in range(len(DEPRIVATION)):
            idx = np.flatnonzero((age == a) & (dep == d))
            idx = idx[np.lexsort((idx, role[idx]))]
            members[d] = idx
            rows_needed = max(rows_needed, int(np.ceil(idx.size / cols[d])))
        height = rows_needed * _CELL + 8
        for d in range(len(DEPRIVATION)):
            idx = members[d]
            k = np.arange(idx.size)
            x[idx] = xs[d] + 3 + _CELL / 2 + (k % cols[d]) * _CELL
            y[idx] = row_top + 4 + _CELL / 2 + (k // cols[d]) * _CELL
            blocks.append(dict(x=float(xs[d]), y=float(row_top), w=float(widths[d]),
                               h=float(height)))
        labels.append(dict(x=left - 8, y=float(row_top + height / 2 + 5),
                           text=f"aged {AGES[a]}", anchor="end"))
        row_top += height + _LABEL_GAP  # room below each row for names
    heads = ("most deprived fifth", "middle three fifths", "least deprived fifth")
    for d, head in enumerate(heads):
        labels.append(dict(x=float(xs[d] + widths[d] / 2), y=float(top + 14), text=head,
                           anchor="middle"))
    return dict(x=np.round(x, 1).tolist(), y=np.round(y, 1).tolist(), blocks=blocks,
                labels=labels, bottom=float(row_top))


def _meeting(h: History, week: int, names: dict[int, str],
             staff_names: dict[int, str]) -> dict[str, Any]:
    """Who sat at the table in one meeting week, and how the talking time split."""
    users = np.flatnonzero(h.at_table[week])
    seats = [dict(grade="user", share=float(h.spoke[week, i]), name=names.get(int(i), ""))
             for i in users[np.argsort(-h.spoke[week, users])]]
    staff = np.flatnonzero(h.staff_seat)
    for j in staff:
        grade = "manager" if h.manager[j] else "frontline"
        seats.append(dict(grade=grade, share=float(h.staff_spoke[week, j]),
                          name=staff_names.get(int(j), "")))
    talk_users = float(h.spoke[week].sum())
    talk_front = float(h.staff_spoke[week][~h.manager].sum())
    talk_man = float(h.staff_spoke[week][h.manager].sum())
    total = max(1e-9, talk_users + talk_front + talk_man)
    return dict(seats=seats,
                talk=dict(user=talk_users / total, frontline=talk_front / total,
                          manager=talk_man / total),
                count=dict(user=int(users.size), frontline=int((~h.manager & h.staff_seat).sum()),
                           manager=int((h.manager & h.staff_seat).sum())))


def _digits(a: np.ndarray) -> list[str]:
    """Each row of a small-integer array as a string of digits (one per person)."""
    text = (a.astype(np.uint8) + ord("0")).tobytes().decode("ascii")
    n = a.shape[1]
    return [text[i:i + n] for i in range(0, len(text), n)]


def captions(h: History) -> list[str]:
    """One plain sentence per week: how many people stand where, and the meeting."""
    out = []
    for week in range(h.weeks):
        c = h.counts(week)
        s = (f"Week {week + 1}: of {h.n} people, {c['never invited']} never invited, "
             f"{c['invited, not taking part']} invited but not taking part, "
             f"{c['taking part']} taking part and {c['dropped out']} dropped out.")
        if h.meetings[week]:
            n_users = int(h.at_table[week].sum())
            s += (f" {n_users} service user{'s' if n_users != 1 else ''} sat at the "
                  "table at this week's meeting.")
        out.append(s)
    return out


def alt_text(h: History, outcome: str | None = None) -> str:
    """What the whole picture shows, in words (for screen readers)."""
    first, last = h.counts(0), h.counts(h.weeks - 1)
    text = (f"A picture of the {h.n} people affected by the change, one mark each, in "
            "blocks by age band and deprivation fifth, coloured by whether they were never "
            "invited, invited but not taking part, taking part, or dropped out; triangles "
            "have an access need. In week 1, "
            f"{first['taking part']} were taking part; by week {h.weeks}, "
            f"{last['taking part']} were taking part, {last['dropped out']} had dropped "
            f"out and {last['never invited']} were never invited. Beside it, the meeting "
            "room shows who sat at the table and how the talking time was shared.")
    if outcome:
        v = h.weekly[outcome].to_numpy(dtype=float)
        text += (f" A small chart shows {OUTCOMES[outcome].label.lower()} by week, from "
                 f"{_fmt(outcome, v[0])} to {_fmt(outcome, v[-1])}.")
    return text


def picture_data(h: History, followed: Sequence[Any] = (), outcome: str | None = None,
                 reference: History | None = None, heading: str = "",
                 reference_label: str = "before you changed anything",
                 label: str = "this plan") -> dict[str, Any]:
    """The compact data the browser draws from (JSON-ready)."""
    lay = layout(h)
    names = {f.index: f.name for f in followed if not f.staff}
    staff_names = {f.index: f.name for f in followed if f.staff}
    need = h.needs[:, :6].any(axis=1)
    status = _digits(h.status)
    table = _digits(h.at_table)
    meetings, meeting_at, last = {}, [], -1
    for week in range(h.weeks):
        if h.meetings[week]:
            last = week
            meetings[str(week)] = _meeting(h, week, names, staff_names)
        meeting_at.append(last)
    followed_idx = [i for i in names]
    ties = [[int(i), int(j)] for i, j in h.ties.tolist()
            if i in names or j in names] if followed_idx else []
    data: dict[str, Any] = dict(
        n=h.n, weeks=h.weeks, r=5.4, x=lay["x"], y=lay["y"], need=need.tolist(),
        blocks=lay["blocks"], labels=lay["labels"], status=status, table=table,
        followed=[dict(index=i, name=n) for i, n in names.items()], ties=ties,
        meetings=meetings, meetingAt=meeting_at, room=_ROOM,
        legend=dict(x=20.0, y=float(min(lay["bottom"] + 6, 352))),
        heading=heading or "Everyone affected by the change, week by week",
        captions=captions(h), chart=None)
    if outcome:
        share = OUTCOMES[outcome].unit == "share"
        lines = [dict(label=label, colour="#0072B2",
                      values=[float(v) for v in h.weekly[outcome]])]
        if reference is not None:
            lines.append(dict(label=reference_label, colour="#E69F00", dash="6 4",
                              values=[float(v) for v in reference.weekly[outcome]]))
        allv = [v for line in lines for v in line["values"]]
        lo = 0.0 if share or min(allv) >= 0 else min(allv)
        hi = 1.0 if share else max(1.0, max(allv))
        if share and max(allv) < 0.5:
            hi = 0.5
        ticks = np.linspace(lo, hi, 3).tolist()
        data["chart"] = dict(title=OUTCOMES[outcome].label, lo=lo, hi=hi, yticks=ticks,
                             tickLabels=[_fmt(outcome, t) for t in ticks], lines=lines,
                             box=_CHART_BOX)
    return data


class PeoplePicture(anywidget.AnyWidget):
    """The people picture widget (see the module's docstring).

    Set :attr:`data` with :func:`picture_data` (or call :meth:`show`); the
    browser redraws. ``week`` is the week shown (1-based), kept in step with the
    slider when the trainee stops or drags it.
    """

    _esm = _HERE / "people_picture.js"
    _css = _CSS
    data = traitlets.Dict().tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    week = traitlets.Int(0).tag(sync=True)
    speed = traitlets.Int(SPEED).tag(sync=True)

    def show(self, h: History, followed: Sequence[Any] = (), outcome: str | None = None,
             reference: History | None = None, week: int | None = None, **kw: Any) -> None:
        """Show a run: redraw at ``week`` (default: the last week)."""
        self.alt = alt_text(h, outcome)
        self.week = h.weeks if week is None else int(week)
        self.data = picture_data(h, followed, outcome, reference, **kw)


def people_picture(h: History, followed: Sequence[Any] = (), outcome: str | None = None,
                   reference: History | None = None, **kw: Any) -> PeoplePicture:
    """Build a :class:`PeoplePicture` showing one run."""
    pic = PeoplePicture()
    pic.show(h, followed, outcome, reference, **kw)
    return pic


__all__ = ["STATUSES", "PeoplePicture", "people_picture", "picture_data"]
