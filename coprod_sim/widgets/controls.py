"""Control panels generated from the parameter table.

Nothing here lists parameters: every lever's widget, label, unit, range, help
and evidence badge comes from :data:`coprod_sim.PARAMETERS`, and levers are
grouped by :data:`coprod_sim.GROUPS`, whose first seven groups are the briefing
paper's seven steps in order, so the screen itself teaches the order of the work.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import ipywidgets as w
import tomli_w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from coprod_sim import presets
from coprod_sim.parameters import GROUPS, PARAMETERS, SEVEN_STEPS, Param, by_group
from coprod_sim.scenario import Scenario, ScenarioError

log = logging.getLogger(__name__)

#: CSS shared by every panel and dashboard (sizes, badges, presenter mode).
CSS = """
<style>
.coprod-root { --jp-widgets-inline-label-width: 230px; --jp-widgets-inline-width: 500px;
  --jp-widgets-font-size: 15px; --jp-ui-font-size1: 15px; --jp-content-font-size1: 15px;
  --jp-widgets-inline-height: 30px; font-size: 15px; color: #111; }
body[data-voila] .jp-RenderedMarkdown, body[data-voila] .jp-RenderedMarkdown p {
  font-size: 16px; color: #111; }
.coprod-root .coprod-lever { align-items: center; flex-wrap: wrap; }
.coprod-root .widget-label, .coprod-root .widget-readout, .coprod-root select,
.coprod-root button, .coprod-root .widget-html-content, .coprod-root .widget-inline-hbox,
.coprod-root .jupyter-widget-Collapse-header { font-size: var(--jp-widgets-font-size); }
.coprod-root .jupyter-widget-Collapse-header { color: #111; background: #e4e4e4;
  font-weight: 600; }
.coprod-root .widget-label { color: #111; }
.coprod-help { display: inline-block; margin-left: 6px; vertical-align: middle; }
.coprod-help > summary { list-style: none; cursor: pointer; }
.coprod-help > summary::-webkit-details-marker { display: none; }
.coprod-badge { display: inline-block; padding: 2px 8px; border-radius: 10px;
  font-size: 14px; line-height: 22px; min-height: 24px; border: 1px solid #555; color: #000;
  white-space: nowrap; }
.coprod-badge::after { content: "?"; display: inline-block; width: 18px; height: 18px;
  margin-left: 5px; border: 1px solid #333; border-radius: 50%; font-size: 14px;
  line-height: 18px; text-align: center; font-weight: bold; }
.coprod-help[open] > summary .coprod-badge { outline: 2px solid #0072B2; }
.coprod-help-body { display: block; max-width: 440px; white-space: normal; margin: 4px 0;
  padding: 6px 10px; border: 1px solid #333; background: #fff; color: #000; font-size: 15px;
  line-height: 1.4; }
.coprod-badge-paper { background: #D5EFE6; }
.coprod-badge-source { background: #DCEBF7; }
.coprod-badge-assumption { background: #FBE3C9; }
.coprod-heading { font-weight: bold; margin: 8px 0 2px 0; font-size: 16px; }
.coprod-message-error { color: #8B0000; background: #FFF0F0; border-left: 4px solid #D55E00;
  padding: 4px 8px; }
.coprod-message-ok { color: #004D40; background: #EEF8F4; border-left: 4px solid #009E73;
  padding: 4px 8px; }
.coprod-caption { font-style: italic; }
.coprod-help-text { color: #222; }
.coprod-root details.coprod-definitions summary { cursor: pointer; color: #0072B2;
  text-decoration: underline; }
.coprod-presenter { --jp-widgets-font-size: 22px; --jp-widgets-inline-height: 40px;
  --jp-widgets-inline-label-width: 380px; --jp-widgets-inline-width: 700px;
  --jp-ui-font-size1: 22px; --jp-content-font-size1: 22px; font-size: 22px;
  color: #000; background: #fff; }
.coprod-presenter .widget-label, .coprod-presenter .widget-label-basic span,
.coprod-presenter .widget-readout, .coprod-presenter .widget-html-content,
.coprod-presenter .widget-dropdown select, .coprod-presenter button {
  font-size: 22px !important; color: #000 !important; font-weight: 600; }
.coprod-presenter .coprod-badge { font-size: 18px; line-height: 26px; }
.coprod-presenter .coprod-lever .widget-label { white-space: normal; height: auto;
  line-height: 1.2; overflow: visible; text-overflow: clip; }
.coprod-presenter .coprod-message-error, .coprod-presenter .coprod-message-ok {
  border-left-width: 8px; }
.coprod-presenter .coprod-caption { font-size: 24px; font-style: normal; }
.coprod-presenter .widget-slider .noUi-handle { border: 2px solid #000; }
.coprod-presenter .widget-slider, .coprod-presenter .widget-dropdown {
  width: 780px !important; max-width: 100%; }
.coprod-presenter .coprod-columns { flex-direction: column-reverse !important; }
.coprod-presenter .coprod-columns > * { flex: 0 0 auto !important; width: 100%; }
.coprod-presenter .jupyter-button, .coprod-presenter .widget-toggle-button {
  width: auto !important; min-width: 160px; height: auto !important; padding: 4px 14px;
  flex: 0 0 auto; }
/* presenter mode: the title, then the chart (with its verdict), then the controls */
body[data-voila]:has(.coprod-presenter) .jp-MarkdownOutput { display: none; }
.coprod-presenter > * { order: 5; }
.coprod-presenter > .coprod-title { order: 1; }
.coprod-presenter > .coprod-message-line { order: 2; }
.coprod-presenter > .coprod-columns, .coprod-presenter > .coprod-sides { order: 3; }
.coprod-presenter > .coprod-toolbar { order: 4; }
/* the room's panel (join code, the room's answers) directly after the chart */
.coprod-presenter > .coprod-room { order: 3; }
.coprod-presenter > .coprod-actions { order: 2; }
.coprod-presenter .coprod-title h2 { font-size: 28px; margin: 4px 0; }
.coprod-presenter .coprod-results > * { order: 3; }
.coprod-presenter .coprod-results > .coprod-chart { order: 1; }
.coprod-presenter .coprod-results > .widget-dropdown { order: 2; }
.coprod-presenter .coprod-side > * { order: 3; }
.coprod-presenter .coprod-side > .widget-html:first-child { order: 1; }
.coprod-presenter .coprod-side > .coprod-chart { order: 2; }
.coprod-presenter .coprod-toolbar { --jp-widgets-inline-label-width: auto; }
.coprod-presenter .coprod-toolbar .widget-slider { width: 520px !important; }
.coprod-presenter .coprod-toolbar .widget-label { max-width: none; overflow: visible;
  width: auto; padding-right: 8px; }
.coprod-presenter .coprod-verdict-text { font-size: 24px; }
.coprod-presenter .coprod-heading { font-size: 24px; }
.coprod-root a { color: #0072B2; text-decoration: underline; }
.coprod-compare .coprod-lever .widget-slider, .coprod-compare .coprod-lever .widget-dropdown {
  width: 420px !important; }
.coprod-compare { --jp-widgets-inline-label-width: 190px; }
.coprod-toolbar .widget-label { overflow: visible; }
.coprod-note { color: #333; font-style: italic; margin-left: 16px; }
</style>
"""


def style_widget() -> w.HTML:
    """Return an (invisible) HTML widget carrying the dashboards' CSS."""
    return w.HTML(CSS, layout=w.Layout(height="0px", margin="0"))


def evidence_kind(p: Param) -> str:
    """Classify a lever's evidence: ``"paper"``, ``"source"`` or ``"assumption"``."""
    ev = p.evidence.lower()
    if ev.startswith("briefing paper"):
        return "paper"
    if ev.startswith("assumption"):
        return "assumption"
    return "source"


_BADGE_TEXT = {"paper": "briefing paper", "source": "research", "assumption": "assumption"}


def tooltip(p: Param) -> str:
    """Plain text shown when hovering over a lever: help, allowed values, evidence."""
    unit = f" Unit: {p.unit}." if p.unit else ""
    return f"{p.help}{unit} Allowed: {p.allowed()}. Evidence: {p.evidence}."


def badge_html(p: Param) -> str:
    """HTML of the evidence badge next to a lever; a tap or click opens its help.

    A ``<details>`` element, so the help opens by touch, mouse or keyboard (a
    hover-only tooltip does not work on a touch screen): the lever's help, its
    allowed values and its evidence.
    """
    kind = evidence_kind(p)
    title = html.escape(f"Evidence: {p.evidence}", quote=True)
    return (f'<details class="coprod-help"><summary title="{title}" '
            f'aria-label="{html.escape(f"Help for {p.label}: {_BADGE_TEXT[kind]}", quote=True)}">'
            f'<span class="coprod-badge coprod-badge-{kind}">{_BADGE_TEXT[kind]}</span>'
            f'</summary><span class="coprod-help-body">{html.escape(tooltip(p))}</span>'
            "</details>")


def _step(p: Param) -> float:
    span = float(p.high) - float(p.low)
    for step in (0.01, 0.05, 0.1, 0.5, 1.0, 5.0):
        if span / step <= 200:
            return step
    return 10.0


_SHARED: dict[str, w.Widget] = {}


def shared(key: str) -> w.Widget:
    """One Layout or Style object shared by every lever of a kind.

    Each widget otherwise gets its own layout and style objects, and each is one
    more thing the browser must fetch when a dashboard opens; sharing them cuts
    the trainer dashboard from about 320 widget objects to about 180.
    """
    if key not in _SHARED or getattr(_SHARED[key], "comm", True) is None:
        _SHARED[key] = {
            "wide": lambda: w.Layout(width="500px"),
            "auto": lambda: w.Layout(width="auto"),
            "row": lambda: w.Layout(align_items="center"),
            "plain": lambda: w.Layout(),
            "slider_style": lambda: w.SliderStyle(),
            "check_style": lambda: CheckboxStyle(),
            "html_style": lambda: HTMLStyle(),
            "drop_style": lambda: DescriptionStyle(),
        }[key]()
    return _SHARED[key]


def make_control(p: Param) -> w.ValueWidget:
    """Build the input widget for one lever from its row in the parameter table.

    Floats and whole numbers get sliders over their allowed range, switches get
    check boxes and choices get drop-down lists. The label is the lever's plain
    label (with its unit) and the tooltip its help, allowed values and evidence.
    """
    label = p.label + (f" ({p.unit})" if p.unit and p.kind in ("float", "int")
                       and p.unit not in ("share", "0-1") else "")
    common = dict(description=label, tooltip=tooltip(p))
    if p.kind == "bool":
        return w.Checkbox(value=bool(p.default), indent=True, layout=shared("auto"),
                          style=shared("check_style"), **common)
    if p.kind == "choice":
        return w.Dropdown(options=[(lab, val) for val, lab in p.choices.items()],
                          value=p.default, layout=shared("wide"), style=shared("drop_style"),
                          **common)
    if p.kind == "int":
        return w.IntSlider(value=int(p.default), min=int(p.low), max=int(p.high), step=1,
                           continuous_update=False, layout=shared("wide"),
                           style=shared("slider_style"), **common)
    step = _step(p)
    fmt = ".2f" if step < 0.1 else ".1f" if step < 1 else ".0f"
    if p.unit in ("share", "0-1") and p.low >= 0 and p.high <= 1:
        fmt = ".0%"  # trainees see percentages, never a 0-1 scale
    return w.FloatSlider(value=float(p.default), min=float(p.low), max=float(p.high),
                         step=step, readout_format=fmt, continuous_update=False,
                         layout=shared("wide"), style=shared("slider_style"), **common)


class Lever:
    """One lever: its widget and evidence badge, laid out in a row."""

    def __init__(self, p: Param):
        self.param = p
        self.widget = make_control(p)
        self.badge = w.HTML(badge_html(p), layout=shared("plain"), style=shared("html_style"))
        self.box = w.HBox([self.widget, self.badge], layout=shared("row"))
        self.box.add_class("coprod-lever")

    @property
    def value(self) -> Any:
        """The lever's value in the scenario's terms (floats rounded to 6 places)."""
        v = self.widget.value
        return round(float(v), 6) if self.param.kind == "float" else v

    @value.setter
    def value(self, v: Any) -> None:
        self.widget.value = v


class Message(w.HTML):
    """A one-line message area: errors in plain words, never a traceback."""

    def show_error(self, text: str) -> None:
        """Show a problem."""
        self.value = f'<div class="coprod-message-error" role="alert">{html.escape(text)}</div>'

    def show_ok(self, text: str) -> None:
        """Show a confirmation."""
        self.value = f'<div class="coprod-message-ok" role="status">{html.escape(text)}</div>'

    def clear(self) -> None:
        """Remove the message."""
        self.value = ""

    @property
    def is_error(self) -> bool:
        """True when an error is shown."""
        return "coprod-message-error" in self.value


def friendly(err: BaseException) -> str:
    """Turn an exception into one readable sentence for the screen."""
    if isinstance(err, (ScenarioError, UploadProblem)):
        return str(err)
    if isinstance(err, OSError):
        return f"Could not use the file: {err.strerror or err}."
    return f"Something went wrong: {err}"


def safely(message: Message, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a widget callback so that any error shows in ``message``, not as a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - the dashboard must never show a traceback
            log.debug("dashboard callback failed", exc_info=True)
            message.show_error(friendly(err))
            return None

    return wrapper


class ScenarioPanel(w.VBox):
    """Levers generated from the parameter table, grouped by the paper's steps.

    Args:
        scenario: Starting values (defaults when None); levers not shown keep
            this scenario's values.
        names: Which levers to show (all when None), in table order.
        main_only: Show only the trainer's short list (``Param.main``).
        exclude: Lever names to leave out (shown elsewhere, for example the pathway).
        accordion: Put each group in a collapsible section (for long lists).

    Attributes:
        levers: ``{name: Lever}`` for every lever shown.
    """

    def __init__(self, scenario: Scenario | None = None, names: Iterable[str] | None = None,
                 main_only: bool = False, exclude: Iterable[str] = (),
                 accordion: bool = False):
        wanted = set(PARAMETERS if names is None else names) - set(exclude)
        self.base = scenario or Scenario()
        self.levers: dict[str, Lever] = {}
        self._callbacks: list[Callable[[], None]] = []
        self._quiet = False
        sections: list[tuple[str, list[w.Widget]]] = []
        for group, params in by_group().items():
            shown = [p for p in params if p.name in wanted and (p.main or not main_only)]
            if not shown and main_only and group in SEVEN_STEPS:
                # keep every step on screen: the order of the work is the lesson
                sections.append((GROUPS[group], [w.HTML(
                    '<div class="coprod-note">No main lever for this step here; '
                    "the explorer has them all.</div>", layout=shared("plain"),
                    style=shared("html_style"))]))
                continue
            if not shown:
                continue
            rows = []
            for p in shown:
                lever = Lever(p)
                lever.widget.observe(self._changed, names="value")
                self.levers[p.name] = lever
                rows.append(lever.box)
            sections.append((GROUPS[group], rows))
        if accordion:
            acc = w.Accordion(children=[w.VBox(rows) for _, rows in sections])
            for i, (heading, _) in enumerate(sections):
                acc.set_title(i, heading)
            children: list[w.Widget] = [acc]
        else:
            children = []
            for heading, rows in sections:
                head = w.HTML(f'<div class="coprod-heading">{html.escape(heading)}</div>',
                              layout=shared("plain"), style=shared("html_style"))
                children += [head, *rows]
        super().__init__(children)
        self.set_scenario(self.base)

    # -- values ------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The shown levers' current values."""
        return {name: lever.value for name, lever in self.levers.items()}

    @property
    def scenario(self) -> Scenario:
        """The scenario the controls describe (validated).

        Raises:
            ScenarioError: when the values are not allowed together.
        """
        values = self.values()
        changed = {k: v for k, v in values.items() if self.base[k] != v}
        if not changed:
            return self.base
        name = self.base.name if self.base.name.endswith("(changed)") else \
            f"{self.base.name} (changed)"
        return self.base.replace(name=name, **changed)

    def set_scenario(self, scenario: Scenario) -> None:
        """Show a scenario's values without firing change callbacks."""
        self.base = scenario
        self._quiet = True
        try:
            for name, lever in self.levers.items():
                lever.value = scenario[name]
        finally:
            self._quiet = False

    def set(self, **values: Any) -> None:
        """Set lever values as a user would (change callbacks fire once at the end)."""
        self._quiet = True
        try:
            for name, v in values.items():
                if name not in self.levers:
                    raise ScenarioError([(name, v, "a lever shown on this panel")])
                self.levers[name].value = v
        finally:
            self._quiet = False
        self._fire()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever the user changes a lever."""
        self._callbacks.append(callback)

    def _changed(self, _change: dict) -> None:
        if not self._quiet:
            self._fire()

    def _fire(self) -> None:
        for cb in self._callbacks:
            cb()


def display_name(name: str) -> str:
    """A scenario name as people read it.

    ``'full_coproduction (changed)'`` becomes ``'Full coproduction (changed)'``.
    """
    base, sep, rest = name.partition(" (")
    if base in presets.names():
        base = base.replace("_", " ").capitalize()
    return base + (sep + rest if sep else "")


def preset_options() -> list[tuple[str, str]]:
    """Options for the preset drop-down: readable names, preset keys."""
    return [(display_name(name), name) for name in presets.names()]


def preset_picker(value: str = "default") -> w.Dropdown:
    """A drop-down of the named presets."""
    return w.Dropdown(options=preset_options(), value=value, description="Start from",
                      tooltip="A named starting scenario; the levers then show its values.")


def pathway_picker(value: str | None = None) -> w.Dropdown:
    """A drop-down of the step models (generated from the ``pathway`` lever)."""
    lever = Lever(PARAMETERS["pathway"])
    if value is not None:
        lever.value = value
    return lever.widget


def scenario_toml(scenario: Scenario) -> str:
    """The scenario as TOML text (what a saved file holds)."""
    return tomli_w.dumps(scenario.to_dict(meta=True))


def download_link(data: bytes, filename: str, text: str, mime: str) -> str:
    """HTML of a link that downloads ``data`` as ``filename`` (no server round trip)."""
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<a download="{html.escape(filename, quote=True)}" '
            f'href="data:{mime};base64,{b64}">{html.escape(text)}</a>')


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")
    return keep or "scenario"


class UploadProblem(ValueError):
    """An uploaded file that cannot be loaded, in one line that does not echo it."""


#: Largest scenario file the dashboards accept from a browser (bytes).
MAX_UPLOAD = 64 * 1024


def upload_problem(err: ScenarioError, name: str) -> str:
    """One line about an uploaded file that is not a scenario, without echoing the file.

    Parameter names are shown only when they are levers of the model, with what
    is allowed; the file's own text (unknown keys, values) never is, so a page
    cannot be used to read a file back.
    """
    levers = [prob for prob, _value, _allowed in err.problems if prob in PARAMETERS]
    if levers:
        allowed = "; ".join(f"{p}: {a}" for p, _v, a in err.problems if p in PARAMETERS)
        return (f"{name} has a value that is not allowed for {', '.join(levers)} "
                f"(allowed: {allowed}). Nothing was changed.")
    return (f"{name} is not a scenario file this kit wrote (a .toml or .json file of "
            "lever names and values). Nothing was changed.")


class ScenarioFiles(w.VBox):
    """Load a scenario from a file the viewer picks; download the current one.

    Nothing here names a file on the computer running the dashboard: an
    uploaded file is read from the bytes the browser sends (at most
    :data:`MAX_UPLOAD`) and never written to disk, and the download link
    carries the scenario in the page itself.

    Args:
        get: Returns the current scenario (may raise ScenarioError).
        put: Shows a loaded scenario.
        message: Where to show problems and confirmations.
    """

    def __init__(self, get: Callable[[], Scenario], put: Callable[[Scenario], None],
                 message: Message):
        self._get, self._put, self.message = get, put, message
        self.upload = w.FileUpload(accept=".toml,.json", multiple=False,
                                   description="Load a scenario file", icon="upload",
                                   layout=w.Layout(width="auto"))
        self.upload.add_class("coprod-upload")
        self.link = w.HTML()
        self.upload.observe(safely(message, self._uploaded), names="value")
        help_text = w.HTML('<div class="coprod-help-text">Load a .toml or .json scenario '
                           "file from this device, or download the current scenario to "
                           "keep it for next time.</div>")
        super().__init__([help_text, w.HBox([self.upload, self.link],
                                             layout=w.Layout(flex_flow="row wrap",
                                                             align_items="center"))])

    def load_bytes(self, name: str, content: bytes) -> Scenario:
        """Load a scenario from an uploaded file's name and bytes, and show it.

        Raises:
            UploadProblem: one line that names the file (its base name only) but
                never repeats what is in it.
        """
        raw = Path(str(name).replace("\\", "/"))
        kind = raw.suffix.lower()
        shown = _safe_name(raw.stem) + (kind if kind in (".toml", ".json") else "")
        if kind not in (".toml", ".json"):
            raise UploadProblem(f"{shown} is not a scenario file: choose a .toml or .json "
                                "file. Nothing was changed.")
        if len(content) > MAX_UPLOAD:
            raise UploadProblem(f"{shown} is {len(content) // 1024} KB; a scenario file is "
                                f"at most {MAX_UPLOAD // 1024} KB. Nothing was changed.")
        try:
            text = bytes(content).decode("utf-8")
            data = tomllib.loads(text) if kind == ".toml" else json.loads(text)
            scenario = Scenario.from_dict(data, source=shown)
        except UnicodeDecodeError:
            raise UploadProblem(f"{shown} is not a text file (UTF-8). Nothing was "
                                "changed.") from None
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, RecursionError):
            raise UploadProblem(f"{shown} is not valid {kind[1:].upper()}. Nothing was "
                                "changed.") from None
        except ScenarioError as err:
            raise UploadProblem(upload_problem(err, shown)) from None
        self._put(scenario)
        self.message.show_ok(f"Loaded '{display_name(scenario.name)}' from {shown}.")
        return scenario

    def refresh_link(self) -> None:
        """Update the download link to hold the current scenario."""
        try:
            scenario = self._get()
        except ScenarioError:
            self.link.value = ""
            return
        data = scenario_toml(scenario).encode("utf-8")
        self.link.value = download_link(data, f"{_safe_name(scenario.name)}.toml",
                                        "Download this scenario (TOML)", "application/toml")

    def _uploaded(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        try:
            self.load_bytes(item["name"], bytes(item["content"]))
        finally:
            self.upload.value = ()  # so the same file can be uploaded again
