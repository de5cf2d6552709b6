"""What the notebooks call: one ``Kit`` object per notebook.

Every grey box of a notebook starts with the same two lines::

    from coprod_sim.curriculum import start
    kit = start("03")

and then uses only ``kit`` methods, so trainees never write Python. ``start``
returns the same ``Kit`` for the same notebook and folder, so every box works on
its own, in any order, after a restart. Widgets
collect choices and never block: a notebook runs top to bottom without anyone
pressing a button (the tests rely on this), and the work is done when the
trainee presses a button. Every callback is guarded: a problem shows as one
plain sentence, never as a traceback.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
from IPython.display import HTML, display

from coprod_sim import presets
from coprod_sim.curriculum import charts
from coprod_sim.curriculum.exercises import Challenge, Feedback, get_challenge
from coprod_sim.curriculum.glossary import GlossaryTable, glossary_table
from coprod_sim.curriculum.moments import get_moment
from coprod_sim.curriculum.predict import (
    SEEDS,
    Compare,
    Estimate,
    Moment,
    Plan,
    Reveal,
    Tries,
    fmt_value,
    label_of,
    ordinal_try,
)
from coprod_sim.curriculum.record import SECTIONS, ReflectionRecord, describe_changes
from coprod_sim.curriculum.settings import Settings, work_dir
from coprod_sim.curriculum.stepper import StepByStep
from coprod_sim.outcomes import OUTCOMES
from coprod_sim.parameters import GROUPS, SEVEN_STEPS, by_group
from coprod_sim.runner import run_replicates
from coprod_sim.scenario import Scenario
from coprod_sim.widgets.controls import style_widget

#: Outcomes summarised after a trainee's own plan is run.
PLAN_OUTCOMES = ("participation_rate", "representativeness", "retention", "influence",
                 "tokenism", "trust", "staff_anxiety", "cost", "net_benefit")


def _guess_label(moment: Estimate) -> str:
    """The slider's label, in the moment's own unit."""
    if moment.percent:
        return "My guess (%)"
    if moment.outcome == "payback_week":
        return "My guess (week)"
    return "My guess (£)" if OUTCOMES[moment.outcome].unit == "GBP" else "My guess"


def _guard(out: w.Output, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a button callback; show any problem as one plain sentence in ``out``."""

    def wrapper(*args: Any) -> None:
        try:
            fn(*args)
        except Exception as err:  # noqa: BLE001 - trainees must never see a traceback
            with out:
                display(HTML("<p role='alert' style='color:#8B0000'>Sorry, that did not "
                             f"work: {html.escape(str(err))}</p>"))

    return wrapper


class Kit:
    """The notebook's helper: settings, glossary, moments, reflections, record.

    Args:
        section: The notebook or exercise key (see ``record.SECTIONS``).
        folder: Work folder (defaults to :func:`work_dir`).
    """

    def __init__(self, section: str, folder: Path | None = None):
        self.section = section
        self.folder = Path(folder) if folder else work_dir()
        self.settings = Settings.load(self.folder)
        self.record = ReflectionRecord(self.folder / "reflection.json")
        self.tries = Tries(self._tries_in_record())
        self.live_panels: list[Any] = []

    def _tries_in_record(self) -> dict[str, int]:
        """How many guesses at each moment the record already holds (locked ones)."""
        from coprod_sim.curriculum.moments import MOMENTS
        keys = {e.key for e in self.record.entries
                if e.section == self.section and e.kind == "prediction"}
        counts = {}
        for m in MOMENTS.values():
            n = sum(1 for k in keys if k == m.question or k.startswith(m.question + " ("))
            if n:
                counts[m.key] = n
        return counts

    # -- display helpers ------------------------------------------------------
    def _panel(self, children: list[w.Widget]) -> w.VBox:
        """A box in the dashboards' style; presenter-size text when large text is on."""
        box = w.VBox([style_widget(), *children])
        box.add_class("coprod-root")
        if self.settings.large_text:
            box.add_class("coprod-presenter")
        return box

    def _box(self, inner_html: str) -> HTML:
        return HTML(f"<div style='{self.settings.css()}'>{inner_html}</div>")

    def welcome(self) -> HTML:
        """A short note saying the kit is ready and where the record is kept."""
        title = SECTIONS.get(self.section, self.section)
        return self._box(f"<strong>{html.escape(title)}</strong>: ready. Your answers "
                         f"are saved as you go in <code>{html.escape(str(self.folder))}"
                         "</code>.")

    def glossary(self, *terms: str) -> GlossaryTable:
        """A table of the words this notebook uses, with plain definitions."""
        return glossary_table(*terms, css=self.settings.css())

    def chart(self, plan: str | Scenario, name: str = "participation", weeks: int = 52,
              seeds: tuple[int, ...] = (1, 2, 3), **changes: Any) -> Any:
        """Run a plan (a preset name or a scenario, with any lever changes) a few times.

        Returns one of the shared charts of it (see ``coprod_sim.plots.CHARTS``).
        """
        scenario = presets.get(plan) if isinstance(plan, str) else plan
        if changes:
            scenario = scenario.replace(**changes)
        df = run_replicates(scenario, seeds=seeds, weeks=weeks)
        return charts.weekly_chart(name, df, large_text=self.settings.large_text)

    def pathways(self) -> HTML:
        """The step models of the briefing paper side by side, as a table."""
        from coprod_sim.parameters import PARAMETERS
        from coprod_sim.presets import PATHWAYS, STAGE_LABELS
        names = PARAMETERS["pathway"].choices
        cols = [k for k in PATHWAYS if k != "none"]
        depth = max(len(PATHWAYS[k]) for k in cols)
        head = "".join(f"<th style='text-align:left'>{html.escape(names[k])}</th>"
                       for k in cols)
        rows = ""
        for i in range(depth):
            cells = ""
            for k in cols:
                steps = PATHWAYS[k]
                cells += ("<td style='text-align:left;vertical-align:top'>"
                          + (f"{i + 1}. {html.escape(steps[i].label)}<br><small>"
                             f"{html.escape(STAGE_LABELS[steps[i].stage])}</small>"
                             if i < len(steps) else "") + "</td>")
            rows += f"<tr>{cells}</tr>"
        return self._box(f"<table><tr>{head}</tr>{rows}</table>")

    # -- the people -------------------------------------------------------------
    def _plan(self, plan: str | Scenario, changes: dict[str, Any]) -> Scenario:
        scenario = presets.get(plan) if isinstance(plan, str) else plan
        return scenario.replace(**changes) if changes else scenario

    def people(self, plan: str | Scenario = "default", outcome: str = "participation_rate",
               compare: str | Scenario | None = None, **changes: Any) -> w.VBox:
        """The people picture of one run of a plan, with the stories of the people we follow.

        ``compare`` adds another plan to the chart as a dashed line.
        """
        from coprod_sim.curriculum import people as followed
        from coprod_sim.curriculum.history import PICTURE_SEED, record_run
        from coprod_sim.curriculum.people_picture import people_picture
        h = record_run(self._plan(plan, changes), seed=PICTURE_SEED)
        ref = None if compare is None else record_run(
            presets.get(compare) if isinstance(compare, str) else compare, seed=PICTURE_SEED)
        chosen = followed.choose(h)
        pic = people_picture(h, chosen, outcome, ref,
                             reference_label=(getattr(ref.scenario, "name", "") or "the other "
                                              "plan") if ref is not None else "",
                             label=h.scenario.name or "this plan")
        told = followed.stories(h, chosen)
        text = self._box("<strong>The people we follow, in this run:</strong><ul>" + "".join(
            f"<li>{html.escape(' '.join(lines))}</li>" for lines in told.values()) + "</ul>")
        return self._panel([pic, w.HTML(text.data)])

    def follow(self, plan: str | Scenario = "default", **changes: Any) -> HTML:
        """The stories of the people we follow in one run of a plan (plain sentences)."""
        from coprod_sim.curriculum import people as followed
        from coprod_sim.curriculum.history import PICTURE_SEED, record_run
        h = record_run(self._plan(plan, changes), seed=PICTURE_SEED)
        told = followed.stories(h)
        return self._box("<ul>" + "".join(f"<li>{html.escape(' '.join(lines))}</li>"
                                          for lines in told.values()) + "</ul>")

    def live(self, *levers: str, plan: str | Scenario = "default",
             outcome: str = "participation_rate", **changes: Any) -> w.VBox:
        """One or two of the chapter's levers as live controls over the people picture.

        The trainee's settings of these levers are kept as their plan
        (:meth:`my_plan`), which notebook 07's planner starts from.
        """
        from coprod_sim.curriculum.live import LiveLever
        panel = LiveLever(self._plan(plan, changes), levers, outcome, css=self.settings.css())
        panel.on_change = self.keep_in_plan
        self.live_panels.append(panel)
        return self._panel([panel.widget()])

    # -- the trainee's plan, built chapter by chapter ----------------------------
    #: Levers that are about one chapter's demonstration, not about a plan.
    NOT_PLAN = frozenset({"weeks"})

    def keep_in_plan(self, values: dict[str, Any]) -> None:
        """Keep lever settings as part of the trainee's plan (``my_work/my_plan.json``)."""
        import json

        from coprod_sim.scenario import atomic_write_text
        plan = self.my_plan_changes()
        for name, value in values.items():
            if name not in self.NOT_PLAN:
                plan[name] = {"value": value, "chapter": self.section}
        atomic_write_text(self.folder / "my_plan.json", json.dumps(plan, indent=2))

    def my_plan_changes(self) -> dict[str, dict[str, Any]]:
        """The lever settings the trainee chose in the chapters: ``{lever: {value, chapter}}``."""
        import json
        try:
            data = json.loads((self.folder / "my_plan.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict) and "value" in v}

    def my_plan(self) -> Scenario:
        """The usual plan with every lever setting the trainee chose in the chapters."""
        base = presets.get("default")
        changes = {k: v["value"] for k, v in self.my_plan_changes().items()}
        try:
            return base.replace(name="My plan", **changes)
        except Exception:  # noqa: BLE001 - a damaged plan file must not stop notebook 07
            return base.replace(name="My plan")

    def my_bets(self) -> HTML:
        """The trainee's first guesses in the chapters, beside what the model showed."""
        rows = []
        for e in self.record.entries:
            if e.kind != "prediction" or e.section in ("07",) or "(second try" in e.key \
                    or "try)" in e.key:
                continue
            rows.append(f"<tr><td>{html.escape(SECTIONS.get(e.section, e.section))}</td>"
                        f"<td>{html.escape(e.key)}</td><td>{html.escape(e.text)}</td></tr>")
        if not rows:
            return self._box("<p>You have not made any predictions in the chapters yet. "
                             "They will appear here once you have.</p>")
        return self._box("<table><tr><th style='text-align:left'>Chapter</th>"
                         "<th style='text-align:left'>The question</th>"
                         "<th style='text-align:left'>Your first guess, and the model"
                         "</th></tr>" + "".join(rows) + "</table>")

    def missing(self, plan: str | Scenario = "default", **changes: Any) -> HTML:
        """Who is missing from a plan, group by group, counting only the groups it invited."""
        from coprod_sim.curriculum.history import PICTURE_SEED
        return self._box(charts.missing_table(self._plan(plan, changes), seed=PICTURE_SEED))

    # -- predict, then reveal -------------------------------------------------
    def moment(self, key: str) -> w.VBox:
        """The widget for a predict-then-reveal moment of the curriculum."""
        return self.moment_widget(get_moment(key))

    def moment_widget(self, moment: Moment) -> w.VBox:
        """Build the widget for any moment: question, guess, button, result.

        Once revealed, the guess is locked. "Have another go" opens a second try,
        which the record keeps beside the first, never in its place.
        """
        plans = ""
        if isinstance(moment, Compare) and any(p.does for p in moment.plans):
            plans = "<ul>" + "".join(f"<li><b>{html.escape(p.label)}</b>: "
                                     f"{html.escape(p.does)}</li>"
                                     for p in moment.plans if p.does) + "</ul>"
        if isinstance(moment, Compare):
            diffs = moment.differences()
            items = "".join(f"<li>{html.escape(x)}</li>" for x in diffs)
            plans += (f"<details><summary>Everything that differs between the plans "
                      f"({len(diffs)} setting{'s' if len(diffs) != 1 else ''})</summary>"
                      f"<ul>{items}</ul></details>")
        question = w.HTML(f"<div style='{self.settings.css()}'><strong>Predict first."
                          f"</strong> {html.escape(moment.question)}{plans}</div>")
        if isinstance(moment, Estimate):
            guess = w.FloatSlider(value=(moment.low + moment.high) / 2, min=moment.low,
                                  max=moment.high, step=moment.step,
                                  description=_guess_label(moment),
                                  readout_format=".0f",
                                  continuous_update=False,
                                  style={"description_width": "initial"},
                                  layout=w.Layout(width="90%"))
        else:
            guess = w.RadioButtons(options=list(moment.options or ()), value=None,
                                   description="My guess", style={"description_width":
                                                                  "initial"},
                                   layout=w.Layout(width="max-content"))
        button = w.Button(description="Show me what the model does", button_style="primary",
                          icon="play", layout=w.Layout(width="auto"),
                          tooltip="Runs the model a few times with your prediction locked in")
        again = w.Button(description="Have another go", icon="redo",
                         layout=w.Layout(width="auto", display="none"),
                         tooltip="Your first guess stays in your record; this one is "
                                 "recorded as your next try")
        note = w.HTML()
        out = w.Output()
        why = w.HTML()
        if self.tries.locked(moment.key):
            note.value = (f"<div style='{self.settings.css()}'>You have already made a "
                          "guess here; it is kept in your record. A new guess counts as "
                          f"your {ordinal_try(self.tries.next_number(moment.key))}.</div>")

        def reveal(_btn: Any) -> None:
            out.clear_output()
            guess.disabled = True
            button.disabled = True
            with out:
                display(HTML("<p><em>Running the model five times...</em></p>"))
            result = self.reveal(moment, guess.value)
            out.clear_output()
            with out:
                display(self._box("".join(f"<p>{html.escape(x)}</p>" for x in result.lines)))
                display(self.reveal_chart(moment, result))
            why.value = ""
            if result.verdict in ("different", "close"):
                why.value = "<p><em>Asking the model why (this takes a few seconds)...</em></p>"
                from coprod_sim.curriculum.teach import explain_wrong
                lines = explain_wrong(moment, result)
                why.value = self._box("<p><strong>Why the model disagreed with you</strong>"
                                      "</p>" + "".join(f"<p>{html.escape(x)}</p>"
                                                       for x in lines)).data if lines else ""
            note.value = (f"<div style='{self.settings.css()}'>Your guess is locked in "
                          "your record. You can have another go: it will be recorded as "
                          f"your {ordinal_try(self.tries.next_number(moment.key))}.</div>")
            again.layout.display = ""

        def retry(_btn: Any) -> None:
            why.value = ""
            guess.disabled = False
            button.disabled = False
            again.layout.display = "none"
            note.value = (f"<div style='{self.settings.css()}'>Make your "
                          f"{ordinal_try(self.tries.next_number(moment.key))}, then press "
                          "the button.</div>")

        button.on_click(_guard(out, reveal))
        again.on_click(_guard(out, retry))
        return self._panel([question, guess, w.HBox([button, again]), note, out, why])

    def reveal(self, moment: Moment, guess: Any) -> Reveal:
        """Run a moment with the trainee's guess and add it to the reflection record.

        The first guess is recorded under the question; later ones as a second try
        (then a third, ...), so the first guess is never overwritten.
        """
        result = moment.reveal(guess)
        attempt = self.tries.add(moment.key, guess, result.verdict)
        if guess is None:
            shown = "no prediction"
        elif isinstance(moment, Estimate):
            shown = moment._show(float(guess))
        else:
            shown = str(guess)
        answer = result.answer
        if isinstance(moment, Estimate):
            answer = ("not reached" if answer is None else
                      fmt_value(moment.outcome, answer))
        key = moment.question if attempt.number == 1 else \
            f"{moment.question} ({attempt.name})"
        if attempt.number > 1:
            result.lines.insert(1, f"This was your {attempt.name} at this question; your "
                                "first guess stays in your record.")
        self.record.add(self.section, "prediction", key,
                        f"I predicted: {shown}. The model: {answer}."
                        + ("" if attempt.number == 1 else f" ({attempt.name.capitalize()}.)"),
                        [result.lines[0], result.lines[-1]])
        # in a class, the trainer's view gets the bet too (nothing happens outside one)
        from coprod_sim.classroom.report import send_bet
        send_bet(self.section, moment.key, guess, attempt.number)
        return result

    def reveal_chart(self, moment: Moment, result: Reveal) -> Any:
        """The chart shown with a reveal."""
        if isinstance(moment, Compare) and moment.outcome in result.tables[
                next(iter(result.tables))].columns:
            return charts.compare_chart(moment.outcome, result.tables,
                                        large_text=self.settings.large_text,
                                        band=moment.same_within)
        table = next(iter(result.tables.values()))
        if moment.outcome == "payback_week":
            return charts.weekly_chart("cost_benefit", table,
                                       large_text=self.settings.large_text)
        return charts.compare_chart(moment.outcome, {next(iter(result.tables)): table},
                                    large_text=self.settings.large_text)

    # -- activities: a sort or a case, for ideas the model does not hold ---------
    def activity(self, key: str) -> w.VBox:
        """A sort or a case (see :mod:`coprod_sim.curriculum.activities`): answer, then check."""
        from coprod_sim.curriculum.activities import Sort, get_activity
        act = get_activity(key)
        out = w.Output()
        css = self.settings.css()
        if isinstance(act, Sort):
            head = w.HTML(f"<div style='{css}'><strong>Sort first.</strong> "
                          f"{html.escape(act.prompt)}</div>")
            picks = {}
            rows = []
            for text, _, _ in act.cards:
                picks[text] = w.Dropdown(options=[("choose...", "")] + [(b, b) for b in
                                                                        act.boxes],
                                         value="", layout=w.Layout(width="max-content"))
                rows.append(w.HTML(f"<div style='{css}'>{html.escape(text)}</div>"))
                rows.append(picks[text])
            button = w.Button(description="Check my sorting", icon="check",
                              button_style="primary", layout=w.Layout(width="auto"))

            def check(_btn: Any) -> None:
                answers = {t: d.value for t, d in picks.items()}
                right, lines = act.judge(answers)
                self.record.add(self.section, "choice", act.prompt,
                                f"{right} of {len(act.cards)} where the paper puts them.")
                out.clear_output()
                with out:
                    display(self._box(f"<p><strong>{right} of {len(act.cards)}</strong> "
                                      "where the paper puts them.</p>" + "".join(
                                          f"<p>{html.escape(x)}</p>" for x in lines)
                                      + f"<p><small>Source: {html.escape(act.source)}."
                                      "</small></p>"))

            button.on_click(_guard(out, check))
            return self._panel([head, *rows, button, out])
        head = w.HTML(f"<div style='{css}'><strong>A case.</strong> {html.escape(act.story)}"
                      f"<p><strong>{html.escape(act.question)}</strong></p></div>")
        choice = w.RadioButtons(options=[o for o, _ in act.options], value=None,
                                layout=w.Layout(width="max-content"))
        button = w.Button(description="Check my choice", icon="check",
                          button_style="primary", layout=w.Layout(width="auto"))

        def check_case(_btn: Any) -> None:
            if choice.value is None:
                raise ValueError("choose an answer first, then press the button")
            ok, lines = act.judge(choice.value)
            self.record.add(self.section, "choice", act.question, f"I chose: {choice.value}",
                            lines[:1])
            out.clear_output()
            with out:
                display(self._box(("<p><strong>That is what the paper suggests.</strong></p>"
                                   if ok else "") + "".join(f"<p>{html.escape(x)}</p>"
                                                           for x in lines)))

        button.on_click(_guard(out, check_case))
        return self._panel([head, choice, button, out])

    # -- reflection -----------------------------------------------------------
    def reflect(self, *questions: str) -> w.VBox:
        """Boxes for the trainee's answers to reflection questions, with a save button."""
        saved = {e.key: e.text for e in self.record.entries
                 if e.section == self.section and e.kind == "reflection"}
        boxes = []
        for q in questions:
            label = w.HTML(f"<div style='{self.settings.css()}'>{html.escape(q)}</div>")
            area = w.Textarea(value=saved.get(q, ""), placeholder="Type your thoughts here",
                              layout=w.Layout(width="95%", height="6em"))
            boxes.append((q, label, area))
        button = w.Button(description="Save my answers", icon="save", button_style="success",
                          layout=w.Layout(width="auto"))
        out = w.Output()

        def save(_btn: Any) -> None:
            n = self.save_reflections({q: a.value for q, _, a in boxes})
            out.clear_output()
            with out:
                display(self._box(f"Saved {n} answer{'s' if n != 1 else ''} to your "
                                  "reflection record."))

        button.on_click(_guard(out, save))
        return self._panel([x for _, label, area in boxes for x in (label, area)]
                           + [button, out])

    def save_reflections(self, answers: dict[str, str]) -> int:
        """Save non-empty answers to the record; return how many were saved."""
        n = 0
        for q, a in answers.items():
            if a.strip():
                self.record.add(self.section, "reflection", q, a.strip())
                n += 1
        return n

    # -- settings (notebook 00) -------------------------------------------------
    def settings_panel(self) -> w.VBox:
        """Check boxes for large text and high contrast, and a name for the record."""
        large = w.Checkbox(value=self.settings.large_text, description="Large text",
                           indent=False)
        contrast = w.Checkbox(value=self.settings.high_contrast, indent=False,
                              description="High contrast messages")
        name = w.Text(value=self.settings.name or self.record.name,
                      description="Your name (optional, for your record)",
                      style={"description_width": "initial"},
                      layout=w.Layout(width="90%"))
        button = w.Button(description="Save my settings", icon="save",
                          button_style="success", layout=w.Layout(width="auto"))
        out = w.Output()

        def save(_btn: Any) -> None:
            self.save_settings(large.value, contrast.value, name.value)
            out.clear_output()
            with out:
                display(self._box("Saved. Every notebook will use these settings from now "
                                  "on. Run a notebook's first cell again to see them."))

        button.on_click(_guard(out, save))
        return self._panel([large, contrast, name, button, out])

    def save_settings(self, large_text: bool, high_contrast: bool, name: str = "") -> None:
        """Save display settings (and the trainee's name for the record)."""
        self.settings = Settings(bool(large_text), bool(high_contrast), name.strip())
        self.settings.save(self.folder)
        self.record.name = name.strip()
        self.record.save()

    # -- exercises --------------------------------------------------------------
    def challenge(self, key: str) -> w.VBox:
        """The form for a scenario challenge: the levers, a check button and feedback."""
        ch = get_challenge(key)
        panel = StepByStep(ch.start, ch.levers)
        for name, (lo, hi) in ch.limits.items():
            if name in panel.levers:
                panel.levers[name].widget.min, panel.levers[name].widget.max = lo, hi
        button = w.Button(description="Check my plan", icon="check", button_style="primary",
                          layout=w.Layout(width="auto"))
        out = w.Output()

        def check(_btn: Any) -> None:
            out.clear_output()
            with out:
                display(HTML("<p><em>Running your plan five times...</em></p>"))
            feedback = self.check(ch, panel.values())
            out.clear_output()
            with out:
                display(self._box(feedback._repr_html_()))

        button.on_click(_guard(out, check))
        return self._panel([panel, button, out])

    def starting_chart(self, key: str, name: str = "participation") -> Any:
        """A chart of a challenge's starting plan (three runs), before any change."""
        return self.chart(get_challenge(key).start, name)

    def check(self, ch: Challenge | str, values: dict[str, Any]) -> Feedback:
        """Check a plan against a challenge and add the result to the record."""
        ch = get_challenge(ch) if isinstance(ch, str) else ch
        feedback = ch.check(values)
        self.record.add(ch.key, "choice", "My plan",
                        "; ".join(describe_changes(feedback.changes)) or "No changes")
        self.record.add(ch.key, "outcome", "Result",
                        "Met every target." if feedback.passed else "Not every target met.",
                        [x for x in feedback.lines[2:] if not x.startswith("Things")])
        return feedback

    # -- the planner (notebook 07) ------------------------------------------------
    def planner(self) -> w.VBox:
        """The seven-step planner: levers by step, a prediction, a run, the record."""
        names = [p.name for g in SEVEN_STEPS for p in by_group()[g]
                 if p.main or p.name in ("n_people", "carer_share", "family_share",
                                         "community_share", "invite_families",
                                         "invite_community",
                                         "hearing_loop", "accessible_venue",
                                         "flexible_timing", "digital_inclusion",
                                         "written_vision", "peer_support",
                                         "stage_co_delivery", "stage_co_assessment",
                                         "stage_co_commissioning")]
        panel = StepByStep(self.my_plan(), names)
        weeks = w.IntSlider(value=52, min=52, max=260, step=26, description="Weeks to look ahead",
                            style={"description_width": "initial"}, continuous_update=False)
        guess = w.FloatSlider(value=20, min=0, max=100, step=1, readout_format=".0f",
                              description="My guess: % of people taking part at the end",
                              style={"description_width": "initial"},
                              layout=w.Layout(width="90%"), continuous_update=False)
        button = w.Button(description="Run my plan", icon="play", button_style="primary",
                          layout=w.Layout(width="auto"))
        out = w.Output()

        def go(_btn: Any) -> None:
            out.clear_output()
            with out:
                display(HTML("<p><em>Running your plan five times...</em></p>"))
            scenario = panel.scenario.replace(name="My plan", weeks=weeks.value)
            text, table = self.run_plan(scenario, guess.value)
            out.clear_output()
            with out:
                display(self._box(text))
                display(charts.weekly_chart("participation", table,
                                            large_text=self.settings.large_text))
                display(charts.weekly_chart("cost_benefit", table,
                                            large_text=self.settings.large_text))

        button.on_click(_guard(out, go))
        chosen = describe_changes({k: v["value"] for k, v in self.my_plan_changes().items()})
        start_with = ("It starts from the plan you built in the chapters: "
                      + html.escape("; ".join(chosen)) + ". " if chosen else
                      "It starts from the model's usual plan (you did not change a lever "
                      "in the chapters). ")
        intro = w.HTML(f"<div style='{self.settings.css()}'>{start_with}Set the levers for "
                       "each step, pressing <b>Next step</b> to move on. Then make your "
                       "guess and press <b>Run my plan</b>. "
                       "You can change the plan and run it again as often as you like.</div>")
        return self._panel([intro, panel, weeks, guess, button, out])

    def run_plan(self, scenario: Scenario, guess_percent: float | None = None,
                 seeds: tuple[int, ...] = SEEDS) -> tuple[str, Any]:
        """Run the trainee's plan, record choices, prediction and results; return HTML text."""
        table = run_replicates(scenario, seeds=seeds)
        last = table[table["week"] == table["week"].max()]
        meds = {k: float(np.median(last[k])) for k in PLAN_OUTCOMES}
        changes = describe_changes(scenario.changes()) or ["the model's usual settings"]
        steps = {}
        for g in SEVEN_STEPS:
            mine = [c for c in describe_changes({p.name: scenario[p.name]
                                                 for p in by_group()[g]
                                                 if p.name in scenario.changes()})]
            steps[GROUPS[g]] = "; ".join(mine) if mine else "left as usual"
        self.record.add(self.section, "choice", "My plan, step by step",
                        f"Looking ahead {scenario.weeks} weeks.",
                        [f"{k}: {v}" for k, v in steps.items()])
        results = [f"{label_of(k)}: {fmt_value(k, v)}" for k, v in meds.items()]
        self.record.add(self.section, "outcome", "What the model showed for my plan",
                        f"Middle result of {len(seeds)} runs, week {scenario.weeks}.", results)
        lines = ["<p><strong>Your plan</strong> changes: "
                 + html.escape("; ".join(changes)) + ".</p>"]
        if guess_percent is not None:
            est = Estimate("07_plan", self.section, "What share of people will be taking "
                           "part at the end of my plan?", "Compare your guess with the "
                           "model and ask what you expected that the model did not do.",
                           plan=Plan("my plan", scenario), outcome="participation_rate",
                           low=0, high=100, step=1, close_within=5, weeks=scenario.weeks,
                           seeds=seeds)
            result = self.reveal(est, float(guess_percent))
            lines.append(f"<p>{html.escape(result.lines[0])}</p>")
        lines.append("<ul>" + "".join(
            f"<li>{html.escape(r)} <small>({html.escape(OUTCOMES[k].definition)})</small></li>"
            for r, k in zip(results, meds, strict=True)) + "</ul>")
        return "".join(lines), table

    # -- the record ---------------------------------------------------------------
    def export_button(self) -> w.VBox:
        """Buttons that write the reflection record as HTML or Markdown."""
        html_btn = w.Button(description="Save my record as a web page (HTML)", icon="download",
                            layout=w.Layout(width="auto"))
        md_btn = w.Button(description="Save my record as text (Markdown)", icon="download",
                          layout=w.Layout(width="auto"))
        out = w.Output()

        def save(fmt: str) -> Callable[[Any], None]:
            def inner(_btn: Any) -> None:
                path = self.export(fmt)
                out.clear_output()
                with out:
                    display(self._box(f"Saved your record to <code>{html.escape(str(path))}"
                                      "</code>. Open it from the file browser on the left, "
                                      "or find it in that folder on your computer."))
            return inner

        html_btn.on_click(_guard(out, save("html")))
        md_btn.on_click(_guard(out, save("markdown")))
        return self._panel([w.HBox([html_btn, md_btn]), out])

    def export(self, fmt: str = "html") -> Path:
        """Write the reflection record (``"html"`` or ``"markdown"``) and return its path."""
        suffix = {"html": ".html", "markdown": ".md"}.get(fmt)
        if suffix is None:
            raise ValueError(f"fmt is {fmt!r}; allowed: 'html' or 'markdown'")
        return self.record.export(self.folder / f"my_reflection_record{suffix}", fmt)


_KITS: dict[tuple[str, str], Kit] = {}


def start(section: str, folder: str | Path | None = None) -> Kit:
    """Start a notebook (or return the notebook's kit, if it has started): settings and record.

    The same section and folder give the same ``Kit``, so running any grey box
    first, or again, sets up what it needs and loses nothing.

    Args:
        section: The notebook or exercise key, for example ``"03"`` or ``"ex1"``.
        folder: Work folder; defaults to ``my_work`` at the top of the kit.

    Raises:
        KeyError: for an unknown section, naming the known ones.
    """
    if section not in SECTIONS:
        raise KeyError(f"unknown section {section!r}; known: {', '.join(SECTIONS)}")
    where = Path(folder) if folder else work_dir()
    key = (section, str(where.resolve()))
    if key not in _KITS:
        _KITS[key] = Kit(section, where)
    else:  # settings saved in another notebook since show from the next box on
        _KITS[key].settings = Settings.load(_KITS[key].folder)
    return _KITS[key]
