"""The trainer's room panel: the join code, the question, the room's answers live, reveal.

Shown in the trainer dashboard when it is served with ``--room`` (see
:func:`attach_room`). The panel and the join page's server (another process)
share the session's SQLite file: the panel opens and closes questions there
and reads the answers every second; the server writes the answers.

Flow for the trainer:

1. Trainees scan the code (or type the address) on their phones or laptops.
2. Pick a question (a curriculum moment, or "the plan on screen") and press
   **Ask the room**. The phones show it; the bar chart fills as answers arrive.
3. **Close answers** stops changes; **Reveal** shows the model's result beside
   the room's answers, with the reasons, and on the phones too.
4. **Save the answers (CSV)** keeps the session's answers for the trainer's records.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import secrets
import statistics
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ipywidgets as w

from coprod_sim.room.qr import qr_img_html
from coprod_sim.room.store import SESSION_ENV, Question, Store, find_session, room_dir
from coprod_sim.widgets.controls import Message, download_link, safely

log = logging.getLogger(__name__)

#: The picker's value for the trainer's own "predict, then reveal" on the plan on screen.
PLAN_CHOICE = "plan"

#: Bars of an estimate's histogram.
BINS = 8

CSS = """<style>
.coprod-room { border-top: 3px solid #0072B2; margin-top: 16px; padding-top: 8px; }
.coprod-room h3 { font-size: 22px; margin: 4px 0 8px; }
.coprod-room-join { font-size: 18px; line-height: 1.4; }
.coprod-room-join .coprod-room-address { font-size: 19px; font-weight: 700;
  word-break: break-all; color: #000; background: #fff; padding: 4px 0; }
.coprod-room-join img { display: block; background: #fff; }
.coprod-room-question { font-size: 19px; font-weight: 600; line-height: 1.35; margin: 0 0 6px; }
.coprod-room-count { font-size: 18px; margin: 0 0 8px; }
.coprod-room-count b { font-size: 30px; }
.coprod-room-bars { border-collapse: collapse; width: 100%; font-size: 18px; }
.coprod-room-bars caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
.coprod-room-bars th { text-align: left; font-weight: 400; padding: 4px 8px 4px 0;
  width: 34%; vertical-align: middle; }
.coprod-room-bars td { padding: 4px 0; vertical-align: middle; }
.coprod-room-bars td.n { width: 6.5em; text-align: right; white-space: nowrap; padding-left: 8px; }
.coprod-room-track { background: #e8e8e8; height: 28px; width: 100%; }
.coprod-room-bar { background: #0072B2; height: 28px; min-width: 2px; }
.coprod-room-bars tr.model .coprod-room-bar { background: #009E73; }
.coprod-room-bars tr.model th { font-weight: 700; }
.coprod-room-tag { display: inline-block; font-size: 15px; font-weight: 700; color: #000;
  border: 2px solid #009E73; border-radius: 4px; padding: 0 4px; margin-left: 4px; }
.coprod-room-model { font-size: 18px; line-height: 1.45; border: 3px solid #009E73;
  padding: 8px 12px; background: #fff; }
.coprod-room-model h4 { font-size: 1.1em; margin: 0 0 6px; }
.coprod-room-model .answer { font-size: 1.35em; font-weight: 700; margin: 0 0 6px; }
.coprod-room-model p, .coprod-room-model li { font-size: 1em; margin: 0 0 6px; }
.coprod-room-waiting { font-size: 18px; color: #222; border: 2px dashed #555; padding: 8px 12px; }
.coprod-room button { min-height: 44px; height: auto; font-size: 17px; }
.coprod-room .widget-dropdown { height: 44px; }
.coprod-room .widget-dropdown select { height: 44px; font-size: 17px; }
.coprod-room .widget-dropdown > label { line-height: 44px; }
.coprod-room .widget-label { font-size: 17px; }
.coprod-presenter .coprod-room-bars, .coprod-presenter .coprod-room-model,
.coprod-presenter .coprod-room-join, .coprod-presenter .coprod-room-count { font-size: 24px; }
.coprod-presenter .coprod-room-question { font-size: 26px; }
.coprod-presenter .coprod-room-join .coprod-room-address { font-size: 26px; }
.coprod-presenter .coprod-room-tag { font-size: 18px; }
.coprod-presenter .coprod-room h3 { font-size: 30px; }
/* presenter mode with a room: the chart (left) and the room's question, answers and
   the model's result (right) side by side under the title, so one 1280x720 screen
   shows them together; the levers follow under the chart, the join code and the
   room's buttons under the answers */
.coprod-presenter.coprod-has-room { flex-flow: row wrap !important; align-items: flex-start; }
.coprod-presenter.coprod-has-room > * { flex: 0 0 100%; max-width: 100%; min-width: 0; }
.coprod-presenter.coprod-has-room > .coprod-columns { flex: 1 1 540px; max-width: 54%; }
.coprod-presenter.coprod-has-room > .coprod-room { flex: 1 1 420px; max-width: 46%;
  order: 3; margin-top: 0; border-top: none; border-left: 3px solid #0072B2;
  padding: 0 0 0 12px; box-sizing: border-box; }
.coprod-presenter .coprod-room > * { order: 5; }
.coprod-presenter .coprod-room > .coprod-room-head { order: 1; }
.coprod-presenter .coprod-room > .coprod-room-live { order: 2; }
.coprod-presenter .coprod-room > .coprod-message-line { order: 3; }
.coprod-presenter .coprod-room > .coprod-room-controls { order: 4; }
.coprod-presenter .coprod-room-live > * { order: 3; flex: 1 1 100% !important;
  min-width: 0 !important; padding: 0 !important; }
.coprod-presenter .coprod-room-live > .coprod-room-distribution { order: 1; }
.coprod-presenter .coprod-room-live > .coprod-room-result { order: 2; }
.coprod-presenter.coprod-has-room .coprod-room h3 { font-size: 22px; margin: 0 0 4px;
  line-height: 1.25; }
.coprod-presenter.coprod-has-room .coprod-room-question { font-size: 22px;
  line-height: 1.25; margin: 0 0 4px; }
.coprod-presenter.coprod-has-room .coprod-room-bars,
.coprod-presenter.coprod-has-room .coprod-room-count,
.coprod-presenter.coprod-has-room .coprod-room-model { font-size: 22px; }
.coprod-presenter.coprod-has-room .coprod-room-count b { font-size: 26px; }
.coprod-presenter.coprod-has-room .coprod-room-bars th,
.coprod-presenter.coprod-has-room .coprod-room-bars td { padding-top: 2px;
  padding-bottom: 2px; }
.coprod-presenter .coprod-room-bars th { width: 40%; }
.coprod-presenter .coprod-room-bars td.n { width: 5.5em; }
.coprod-presenter .coprod-room-count { margin: 0 0 4px; }
.coprod-presenter .coprod-room-waiting { font-size: 20px; padding: 4px 8px; }
</style>"""


def session_store() -> Store | None:
    """The session of the room this kernel's server runs, or None when not in room mode.

    ``$COPROD_ROOM_SESSION`` when set (kernels started after the server), else
    the newest session in the room folder started for this server's token
    (preheated kernels, whose environment was copied before the session existed).
    """
    path = os.environ.get(SESSION_ENV)
    if not path:
        token = os.environ.get("COPROD_ROOM_TOKEN")
        if not token:
            return None
        found = find_session(room_dir(), token)
        if found is None:
            return None
        path = str(found)
    return Store(Path(path))


def attach_room(trainer: Any) -> RoomPanel | None:
    """Add the room panel to a trainer dashboard when it is served with ``--room``.

    Returns the panel (also appended to ``trainer.children``), or None when the
    dashboard is not served to a room.
    """
    try:
        store = session_store()
    except Exception as err:  # noqa: BLE001 - the dashboard works without the room
        log.warning("the room is not available: %s", err)
        return None
    if store is None:
        return None
    panel = RoomPanel(store, trainer=trainer)
    trainer.children = (*trainer.children, panel)
    trainer.add_class("coprod-has-room")  # presenter mode: the chart and the room side by side
    panel.start_polling()
    return panel


def _join_url(store: Store) -> str:
    url = store.meta("join_url") or ""
    if not url:
        try:
            from coprod_sim.room.links import room_link

            url = room_link("join") or ""
        except ImportError:  # pragma: no cover
            url = ""
    return url


def join_html(url: str) -> str:
    """The join box: the QR code and the address to type."""
    if not url:
        return '<div class="coprod-room-join">Starting the room…</div>'
    return (f'<div class="coprod-room-join">{qr_img_html(url, 210)}'
            "<div>Scan the code, or type this address on a phone or laptop on this "
            "network:</div>"
            f'<div class="coprod-room-address">{html.escape(url)}</div></div>')


def bars_html(q: Question, counts: dict[str, int] | None = None,
              values: list[float] | None = None, result: dict | None = None) -> str:
    """The room's answers as a bar chart (an HTML table: screen readers read the counts).

    With ``result``, the model's answer is marked (colour and a word, not colour alone).
    """
    if q.kind == "choice":
        counts = counts or {}
        n = sum(counts.values())
        model = result.get("answer") if result else None
        rows = [(opt, counts.get(opt, 0), opt == model) for opt in q.options]
    else:
        values = values or []
        n = len(values)
        rows = _histogram(q, values, result)
    caption = ("The room's answers" if n else "No answers yet")
    out = [f'<table class="coprod-room-bars"><caption>{caption}</caption>']
    for label, k, is_model in rows:
        share = k / n if n else 0.0
        tag = ' <span class="coprod-room-tag">model</span>' if is_model else ""
        out.append(f'<tr class="{"model" if is_model else ""}">'
                   f'<th scope="row">{html.escape(label)}{tag}</th>'
                   f'<td><div class="coprod-room-track"><div class="coprod-room-bar" '
                   f'style="width:{100 * share:.1f}%"></div></div></td>'
                   f'<td class="n">{k} ({share:.0%})</td></tr>')
    out.append("</table>")
    if q.kind == "estimate" and values:
        out.append(f"<p>The room's middle guess: <b>{_fmt(statistics.median(values), q.unit)}"
                   "</b></p>")
    return "".join(out)


def _fmt(v: float, unit: str) -> str:
    if unit == "%":
        return f"{v:.0f}%"
    if unit == "week":
        return f"week {v:.0f}"
    return f"{v:g}"


def _histogram(q: Question, values: list[float], result: dict | None
               ) -> list[tuple[str, int, bool]]:
    lo, hi = float(q.low), float(q.high)
    width = (hi - lo) / BINS
    rows = []
    for i in range(BINS):
        a, b = lo + i * width, lo + (i + 1) * width
        last = i == BINS - 1
        k = sum(1 for v in values if a <= v < b or (last and v == b))
        model = bool(result) and (a <= result["answer"] < b or
                                  (last and result["answer"] == b))
        rows.append((f"{_fmt(a, q.unit)} to {_fmt(b, q.unit)}", k, model))
    return rows


def model_html(q: Question, result: dict[str, Any]) -> str:
    """The model's result, its reasons, and how the room did, for the reveal."""
    parts = ['<div class="coprod-room-model" role="status"><h4>The model\'s answer</h4>',
             f'<p class="answer">{html.escape(str(result.get("answer_text", "")))}</p>']
    if result.get("room"):
        parts.append(f"<p><b>{html.escape(result['room'])}</b></p>")
    for line in result.get("lines", []):
        parts.append(f"<p>{html.escape(line)}</p>")
    found = result.get("reasons") or []
    if found:
        parts.append("<p><b>Which parts of the model made the difference:</b></p><ul>")
        parts += [f"<li>{html.escape(s)}</li>" for s in found]
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


class RoomPanel(w.VBox):
    """The trainer's view of the room.

    Args:
        store: The session (shared with the join page's server).
        trainer: The trainer dashboard (for "the plan on screen" questions), or None.
        poll_seconds: How often the answers are read while a question is shown.
    """

    def __init__(self, store: Store, trainer: Any = None, poll_seconds: float = 1.0):
        from coprod_sim.room.questions import moment_choices

        self.store, self.trainer, self.poll_seconds = store, trainer, poll_seconds
        self.message = Message()
        choices = moment_choices()
        if trainer is not None:
            choices = [("The plan on screen: predict, then reveal", PLAN_CHOICE), *choices]
        # a reloaded page shows the room's question as it is, not the first one again
        current = store.current()
        keys = [key for _label, key in choices]
        start = (PLAN_CHOICE if current is not None and current.key.startswith("plan:")
                 and PLAN_CHOICE in keys else current.key if current is not None
                 and current.key in keys else keys[0])
        self.picker = w.Dropdown(options=choices, value=start, description="Question",
                                 layout=w.Layout(width="98%"))
        self.ask_button = w.Button(description="Ask the room", button_style="primary",
                                   tooltip="Show this question on the trainees' devices.",
                                   layout=w.Layout(width="auto"))
        self.close_button = w.Button(description="Close answers",
                                     tooltip="Stop taking answers (the ones given are kept).",
                                     layout=w.Layout(width="auto"))
        self.reveal_button = w.Button(description="Reveal", button_style="warning",
                                      tooltip="Show the model's answer beside the room's.",
                                      layout=w.Layout(width="auto"))
        self.export_button = w.Button(description="Save the answers (CSV)",
                                      tooltip="Keep every answer of this session as a CSV "
                                              "file.", layout=w.Layout(width="auto"))
        self.join = w.HTML(join_html(_join_url(store)))
        self.question = w.HTML()
        self.count = w.HTML()
        self.bars = w.HTML()
        self.model = w.HTML()
        self.export_link = w.HTML()
        for b in (self.ask_button, self.close_button, self.reveal_button, self.export_button):
            b.add_class("coprod-room-button")

        safe = lambda fn: safely(self.message, fn)  # noqa: E731
        self.ask_button.on_click(safe(lambda _b: self.ask()))
        self.close_button.on_click(safe(lambda _b: self.close_answers()))
        self.reveal_button.on_click(safe(lambda _b: self.reveal()))
        self.export_button.on_click(safe(lambda _b: self.export()))
        if trainer is not None:
            trainer.hide.observe(safe(self._trainer_hidden), names="value")
            trainer.reveal_button.on_click(safe(lambda _b: self._trainer_revealed()))

        self.page_id = secrets.token_hex(6)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coprod-room-model")
        self._pending: dict[int, Future] = {}
        self._plan: dict[int, dict[str, Any]] = {}
        self._plan_before: Any = None
        self._shown: tuple | None = None
        self._task: asyncio.Task | None = None
        # the room's question as this page found it: only a change after that, made
        # on another page, is "another page changed the room's question"
        self._known = None if current is None else (current.id, current.state)

        buttons = w.HBox([self.ask_button, self.close_button, self.reveal_button],
                         layout=w.Layout(flex_flow="row wrap"))
        controls = w.HBox([w.Box([self.picker], layout=w.Layout(flex="1 1 480px")), buttons],
                          layout=w.Layout(flex_flow="row wrap", align_items="center"))
        join = w.VBox([self.join], layout=w.Layout(flex="0 1 250px", min_width="230px"))
        room = w.VBox([self.question, self.count, self.bars],
                      layout=w.Layout(flex="1 1 400px", min_width="320px", padding="0 12px"))
        model = w.VBox([self.model], layout=w.Layout(flex="1 1 400px", min_width="320px"))
        room.add_class("coprod-room-distribution")
        model.add_class("coprod-room-result")
        join.add_class("coprod-room-joinbox")
        head = w.HTML(CSS + "<h3>The room: predictions from trainees' own devices</h3>")
        head.add_class("coprod-room-head")
        controls.add_class("coprod-room-controls")
        self.message.add_class("coprod-message-line")
        live = w.HBox([join, room, model], layout=w.Layout(flex_flow="row wrap"))
        live.add_class("coprod-room-live")
        super().__init__([
            head, controls, self.message, live,
            w.HBox([self.export_button, self.export_link],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
        ])
        self.add_class("coprod-room")
        self.refresh()

    # -- asking ------------------------------------------------------------------
    def ask(self, choice: str | None = None) -> int:
        """Put the picked question (or ``choice``) to the room; return its id."""
        from coprod_sim.room.questions import moment_result, moment_spec, plan_spec

        choice = choice or self.picker.value
        self.message.clear()
        if choice == PLAN_CHOICE:
            t = self.trainer
            if not t.hide.value:
                t.set_hidden(True)  # the room predicts before it sees the result
            outcome = t.predict_outcome.value
            qid = self.store.open_question(plan_spec(outcome))
            self._mark()
            self._plan[qid] = {"outcome": outcome, "before": self._plan_before or t.scenario,
                               "values": dict(t._before or {})}
        else:
            qid = self.store.open_question(moment_spec(choice))
            self._mark()
            # work the model's answer out while the room thinks
            self._pending[qid] = self._pool.submit(moment_result, choice)
        self.refresh(force=True)
        return qid

    def close_answers(self) -> None:
        """Stop taking answers for the current question."""
        q = self.store.current()
        if q is not None:
            self.store.close_question(q.id)
            self._mark()
        self.refresh(force=True)

    def reveal(self) -> dict[str, Any] | None:
        """Close the question and show the model's result beside the room's answers."""
        from coprod_sim.room.questions import moment_result, room_verdict

        q = self.store.current()
        if q is None:
            self.message.show_error("Ask the room a question first.")
            return None
        if q.key.startswith("plan:") and q.id not in self._plan:
            self.message.show_error("This question is about the plan on another dashboard "
                                    "page: reveal it there.")
            return None
        if q.state == "open":
            self.store.close_question(q.id)
        counts = self.store.counts(q.id) if q.kind == "choice" else None
        values = self.store.values(q.id) if q.kind == "estimate" else []
        if q.key.startswith("plan:"):
            result = self._plan_result(q, counts or {})
        else:
            self.model.value = ('<div class="coprod-room-waiting" role="status">Working out '
                                "the model's answer…</div>")
            future = self._pending.pop(q.id, None)
            result = future.result() if future is not None else moment_result(q.key)
        result["unit"] = q.unit
        result["room"] = room_verdict(q.kind, result, counts, values)
        self.store.reveal_question(q.id, result)
        self._mark()
        self.refresh(force=True)
        return result

    def _plan_result(self, q: Question, counts: dict[str, int]) -> dict[str, Any]:
        from coprod_sim.room.questions import reasons
        from coprod_sim.widgets.charts import about_same, final_values, fmt

        t = self.trainer
        info = self._plan[q.id]
        if t.hide.value:
            if counts and sum(counts.values()):
                t.prediction.value = max(counts, key=lambda k: counts[k])
            t.reveal()  # the trainer's own verdict and chart
        name = info["outcome"]
        after = final_values(t.df)[name]
        before = info["values"].get(name, after)
        moved = ("Stay about the same" if about_same(name, before, after)
                 else "Go up" if after > before else "Go down")
        words = {"Go up": "went up", "Go down": "went down",
                 "Stay about the same": "stayed about the same"}[moved]
        from coprod_sim.outcomes import OUTCOMES

        label = OUTCOMES[name].label
        runs = t.replicates.value
        lines = [f"{label} {words}: from {fmt(name, before)} to {fmt(name, after)} "
                 f"(middle of {runs} run{'s' if runs != 1 else ''})."]
        found = reasons("difference", info["before"].replace(name="the plan before the changes"),
                        t.scenario.replace(name="the changed plan"), outcome=name,
                        seeds=range(min(5, max(1, runs))))
        return {"key": q.key, "answer": moved, "answer_text": moved, "lines": lines,
                "reasons": found, "summary": lines[0]}

    def _mark(self) -> None:
        """Note that this page changed the room's question (other pages then say so)."""
        self.store.set_meta("changed_by", self.page_id)

    def _trainer_hidden(self, change: dict) -> None:
        if change["new"] and self.trainer is not None:
            self._plan_before = self.trainer.scenario

    def _trainer_revealed(self) -> None:
        q = self.store.current()
        if q is not None and q.id in self._plan and q.state != "revealed":
            self.reveal()

    # -- export ------------------------------------------------------------------
    def export(self) -> Path:
        """Write the session's answers as CSV beside the session file; offer a download."""
        path = self.store.export(self.store.path.with_suffix(".csv"))
        data = path.read_bytes()
        rows = max(0, data.count(b"\n") - 1)
        self.export_link.value = download_link(data, path.name,
                                               f"Download {path.name}", "text/csv")
        self.message.show_ok(f"Saved {rows} answers to {path}.")
        return path

    # -- live view ---------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Read the current question and its answers; redraw what changed."""
        if not self.join.value or "Starting" in self.join.value:
            url = _join_url(self.store)
            if url:
                self.join.value = join_html(url)
        q = self.store.current()
        if q is None:
            self.question.value = ('<div class="coprod-room-waiting">No question yet: pick '
                                   "one and press <b>Ask the room</b>.</div>")
            self.count.value = ""
            self.bars.value = ""
            self.model.value = ""
            self._set_buttons(None)
            return
        n = self.store.answered(q.id)
        counts = self.store.counts(q.id) if q.kind == "choice" else None
        values = self.store.values(q.id) if q.kind == "estimate" else None
        key = (q.id, q.state, n, tuple((counts or {}).items()), tuple(values or ()))
        if key == self._shown and not force:
            return
        self._shown = key
        notice = "Another dashboard page (another tab, screen or device) changed the room's "
        if (q.id, q.state) != self._known:
            if self.store.meta("changed_by") not in (None, self.page_id):
                self.message.show_ok(notice + "question.")
                keys = [key for _label, key in self.picker.options]
                if q.key in keys:
                    self.picker.value = q.key
            elif notice in html.unescape(self.message.value):
                self.message.clear()
            self._known = (q.id, q.state)
        state = {"open": "Taking answers", "closed": "Answers closed",
                 "revealed": "Revealed"}[q.state]
        self.question.value = (f'<p class="coprod-room-question">{html.escape(q.text)}</p>')
        result = q.result if q.state == "revealed" else None
        self.bars.value = bars_html(q, counts, values, result)
        self.model.value = (model_html(q, result) if result else
                            '<div class="coprod-room-waiting">The model\'s answer appears '
                            "here, beside the room's, when you press <b>Reveal</b>.</div>")
        self.count.value = (f'<p class="coprod-room-count" role="status"><b>{n}</b> '
                            f"{'has' if n == 1 else 'have'} answered · {state}</p>")
        self._set_buttons(q)
        if (q.state == "open" and q.key.startswith("plan:") and self.trainer is not None
                and counts and sum(counts.values())):
            top = max(counts, key=lambda k: counts[k])
            if self.trainer.prediction.value != top:
                self.trainer.prediction.value = top  # "The room predicts" follows the room

    def _set_buttons(self, q: Question | None) -> None:
        self.close_button.disabled = q is None or q.state != "open"
        self.reveal_button.disabled = q is None or q.state == "revealed"

    def start_polling(self) -> bool:
        """Read the answers every ``poll_seconds`` on the kernel's event loop.

        Returns False when there is no running event loop (plain Python, the
        tests), where :meth:`refresh` is called by hand.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._poll())
        return True

    def stop_polling(self) -> None:
        """Stop reading the answers."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _poll(self) -> None:
        failures = 0
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                self.refresh()
                failures = 0
            except Exception as err:  # noqa: BLE001 - keep polling; say what is wrong once
                failures += 1
                if failures == 1:
                    log.warning("reading the room's answers failed: %s", err)
                    self.message.show_error(f"Could not read the room's answers: {err}")
