"""Widget logic in plain Python: set controls as a user would, check scenario, run and chart."""

from __future__ import annotations

import datetime
import html
import tomllib

import ipywidgets as w
import pytest
import tomli_w

from coprod_sim import GROUPS, PARAMETERS, Scenario, presets
from coprod_sim.parameters import SEVEN_STEPS
from coprod_sim.widgets import Compare, Explorer, Trainer, make_control
from coprod_sim.widgets.charts import KEY_OUTCOMES, Runner
from coprod_sim.widgets.controls import ScenarioPanel, evidence_kind, tooltip


def headings(panel: ScenarioPanel) -> list[str]:
    out = []
    for child in panel.children:
        if isinstance(child, w.Accordion):
            out += [child.get_title(i) for i in range(len(child.children))]
        elif isinstance(child, w.HTML) and "coprod-heading" in child.value:
            out.append(child.value.split(">", 1)[1].split("<", 1)[0].replace("&#x27;", "'"))
    return out


@pytest.fixture(scope="module")
def trainer() -> Trainer:
    return Trainer(replicates=1)


# -- controls generated from the parameter table ---------------------------------


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_every_lever_gets_a_control_from_its_table_row(name):
    p = PARAMETERS[name]
    c = make_control(p)
    assert c.description.startswith(p.label)
    assert p.evidence in c.tooltip and p.help in c.tooltip
    if p.kind in ("float", "int"):
        assert (c.min, c.max) == (p.low, p.high) and c.value == p.default
        assert not c.continuous_update, "runs on release, not on every pixel"
    elif p.kind == "bool":
        assert isinstance(c, w.Checkbox) and c.value == p.default
    else:
        assert [v for _, v in c.options] == list(p.choices)


def test_explorer_shows_every_lever_once_in_the_papers_step_order():
    e = Explorer()
    assert list(e.panel.levers) == list(PARAMETERS)
    assert headings(e.panel) == [g for g in GROUPS.values()]
    assert evidence_kind(PARAMETERS["power_sharing"]) == "paper"
    assert evidence_kind(PARAMETERS["peer_weight"]) == "assumption"
    assert "Evidence:" in tooltip(PARAMETERS["age_gap"])


def test_trainer_shows_main_levers_and_all_seven_steps(trainer):
    main = {n for n, p in PARAMETERS.items() if p.main} - {"pathway"}
    assert set(trainer.panel.levers) == main
    shown = headings(trainer.panel)
    assert shown[:7] == [GROUPS[g] for g in SEVEN_STEPS]


# -- a change reaches the scenario, the run and the chart ----------------------------


def test_changing_a_lever_changes_scenario_run_and_chart(trainer):
    trainer.choose_preset("default")
    before_df, before_draws = trainer.df, trainer.chart.draws
    before_png = trainer.chart.image.value
    trainer.panel.set(power_sharing=0.95, feedback_rationale=True)
    assert trainer.scenario.power_sharing == 0.95 and trainer.scenario.feedback_rationale
    assert trainer.scenario.name == "default (changed)"
    assert trainer.chart.draws == before_draws + 1
    assert not trainer.df.equals(before_df)
    assert trainer.chart.image.value != before_png
    assert trainer.message.value == ""


def test_a_widget_event_triggers_the_run(trainer):
    trainer.choose_preset("default")
    draws = trainer.chart.draws
    trainer.panel.levers["pay_expenses"].widget.value = True  # what a click does
    assert trainer.chart.draws == draws + 1 and trainer.scenario.pay_expenses


def test_more_power_sharing_raises_influence(trainer):
    trainer.replicates.value = 4
    trainer.choose_preset("default")
    trainer.panel.set(power_sharing=0.05)
    low = trainer.df.groupby("seed")["influence"].last().median()
    trainer.panel.set(power_sharing=0.95)
    high = trainer.df.groupby("seed")["influence"].last().median()
    assert high > low
    assert "4 runs" in trainer.chart.fig.alt_text
    trainer.replicates.value = 1


def test_preset_and_pathway_pickers(trainer):
    trainer.preset.value = "full_coproduction"
    full = presets.get("full_coproduction")
    assert trainer.scenario == full
    assert trainer.panel.levers["power_sharing"].value == full.power_sharing
    assert "barriers removed" in trainer.preset_text.value
    trainer.pathway.value = "cafa"
    assert trainer.scenario.pathway == "cafa"
    assert set(trainer.df["stage"]) <= {"co_commissioning", "co_design", "co_delivery",
                                        "co_assessment"}
    trainer.choose_preset("default")


def test_chart_picker_switches_chart(trainer):
    trainer.picker.value = "ladder"
    assert trainer.chart.fig.title.startswith("Description, recognition")
    assert 'data-chart="ladder"' in trainer.chart.image.value
    trainer.picker.value = "participation"


def test_presenter_mode_enlarges_text_and_chart(trainer):
    small = trainer.chart.fig.get_size_inches()[0]
    trainer.presenter.value = True
    assert "coprod-presenter" in trainer._dom_classes
    assert trainer.chart.fig.large_text and trainer.chart.fig.get_size_inches()[0] > small
    trainer.presenter.value = False
    assert "coprod-presenter" not in trainer._dom_classes and not trainer.chart.fig.large_text


def test_predict_then_reveal(trainer):
    trainer.choose_preset("questionnaire_only")
    trainer.hide.value = True
    assert trainer.results.layout.display == "none" and trainer.predict_box.layout.display == ""
    draws = trainer.chart.draws
    trainer.panel.set(use_forum=True, use_focus_groups=True, pay_expenses=True)
    assert trainer.chart.draws == draws, "nothing shown while hidden"
    trainer.predict_outcome.value = "participation_rate"
    trainer.prediction.value = "Go up"
    text = trainer.reveal()
    assert trainer.hide.value is False and trainer.results.layout.display == ""
    assert trainer.chart.draws == draws + 1
    assert text.startswith("Taking part") and "from" in text and "room" in text
    assert html.escape(text) in trainer.verdict.value


def test_png_export_link(trainer):
    trainer.chart.export_button.click()
    assert 'download="participation.png"' in trainer.chart.export.value


# -- files and errors ----------------------------------------------------------------


def download_bytes(files) -> bytes:
    """The file the download link holds (what the browser would save)."""
    import base64
    import re

    b64 = re.search(r'href="data:application/toml;base64,([^"]+)"', files.link.value).group(1)
    return base64.b64decode(b64)


def test_download_and_upload_round_trip(trainer):
    trainer.choose_preset("default")
    trainer.panel.set(buddying=True, power_sharing=0.7)
    assert 'download="default__changed.toml"' in trainer.files.link.value
    saved = download_bytes(trainer.files)
    assert Scenario.from_dict(tomllib.loads(saved.decode())) == trainer.scenario
    trainer.choose_preset("full_coproduction")
    upload(trainer.files, "default__changed.toml", saved)
    assert trainer.scenario.buddying and trainer.scenario.power_sharing == 0.7
    assert "Loaded" in trainer.message.value


def test_no_server_path_box():
    """A browser never names a file on the server: the panel has no text box or path."""
    from coprod_sim.widgets import ScenarioFiles, Trainer

    t = Trainer(replicates=1)
    files = t.files
    assert isinstance(files, ScenarioFiles)
    kinds = {type(c).__name__ for c in walk(files)}
    assert "Text" not in kinds and "Textarea" not in kinds
    assert not hasattr(files, "path") and not hasattr(files, "save")


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def test_bad_file_shows_a_message_not_a_traceback(trainer):
    upload(trainer.files, "bad.toml", b"power_sharing = 7\n")
    assert trainer.message.is_error
    text = trainer.message.value
    assert "bad.toml" in text and "power_sharing" in text and "from 0 to 1" in text
    assert "Traceback" not in text and "Nothing was changed" in text


def test_upload_never_echoes_the_file(tmp_path, trainer):
    secret = b'api_key = "s3cr3t-VALUE"\npassword = "hunter2"\n'
    upload(trainer.files, "../../../home/trainer/.config/secrets.toml", secret)
    text = trainer.message.value
    assert trainer.message.is_error
    for leaked in ("s3cr3t", "hunter2", "api_key", "password", "..", "/home"):
        assert leaked not in text
    assert "secrets.toml" in text
    upload(trainer.files, "notes.json", b'{"x": "private words"}')
    assert "private words" not in trainer.message.value and '"x"' not in trainer.message.value


def test_upload_writes_nothing_and_is_capped(tmp_path, trainer, monkeypatch):
    from coprod_sim.widgets.controls import MAX_UPLOAD

    monkeypatch.chdir(tmp_path)
    good = tomli_w.dumps(Scenario(name="x").to_dict(meta=True)).encode()
    upload(trainer.files, "sub/../../escape.toml", good)
    assert "Loaded" in trainer.message.value
    assert list(tmp_path.rglob("*")) == [] and not (tmp_path.parent / "escape.toml").exists()
    before = trainer.scenario
    upload(trainer.files, "big.toml", good + b"#" * MAX_UPLOAD)
    assert trainer.message.is_error and "at most 64 KB" in trainer.message.value
    assert trainer.scenario == before
    upload(trainer.files, "picture.png", b"\x89PNG")
    assert trainer.message.is_error and ".toml or .json" in trainer.message.value


def upload(files, name: str, content: bytes) -> None:
    """What the browser does when a file is chosen."""
    files.upload.value = ({"name": name, "type": "", "size": len(content),
                           "content": memoryview(content),
                           "last_modified": datetime.datetime.now(datetime.UTC)},)


def test_upload(trainer):
    good = Scenario(name="uploaded", ground_rules=True).to_dict(meta=True)
    upload(trainer.files, "mine.toml", tomli_w.dumps(good).encode())
    assert trainer.scenario.ground_rules and "uploaded" in trainer.message.value
    assert trainer.files.upload.value == ()
    upload(trainer.files, "broken.toml", b"= nonsense")
    assert trainer.message.is_error and "broken.toml" in trainer.message.value
    assert "not valid TOML" in trainer.message.value and "nonsense" not in trainer.message.value


def test_values_not_allowed_together_show_a_message():
    e = Explorer()
    draws = e.chart.draws
    e.panel.set(carer_share=0.5, family_share=0.5)
    assert e.message.is_error and "carer_share + family_share" in e.message.value
    assert e.chart.draws == draws
    e.panel.set(carer_share=0.2, family_share=0.15)
    assert not e.message.is_error and e.chart.draws == draws + 1


# -- comparison ------------------------------------------------------------------------


def test_compare_shows_both_the_difference_and_who_is_missing():
    c = Compare(replicates=1)
    a, b = c.names()
    assert a == "Tokenistic consultation" and b == "Full coproduction"
    assert all(side["view"].draws == 1 for side in c.sides)
    for name in KEY_OUTCOMES:
        assert f'data-outcome="{name}"' in c.difference.value
    assert f"A: {a}" in c.difference.value and f"B: {b}" in c.difference.value
    assert "Who is missing in each scenario" in c.missing.value
    before = c.difference.value
    c.sides[1]["panel"].set(power_sharing=0.1)
    assert c.sides[1]["view"].draws == 2 and c.sides[0]["view"].draws == 1
    assert c.difference.value != before and "(changed)" in c.names()[1]
    c.picker.value = "trust"
    assert all(side["view"].fig.title.startswith("Trust") for side in c.sides)


def test_runner_cache_reuses_runs():
    r = Runner()
    s = Scenario(weeks=5)
    r.replicates(s, 3)
    r.replicates(s, 3)
    assert r.runs == 3
    assert r.replicates(s, 3)["seed"].nunique() == 3


def test_helper_process_gives_the_same_runs_as_the_kernel():
    import time

    import pandas as pd

    from coprod_sim import run
    from coprod_sim.widgets.charts import _HELPER

    deadline = time.monotonic() + 60
    while not _HELPER.usable() and time.monotonic() < deadline and not _HELPER.failed:
        time.sleep(0.2)
    if not _HELPER.usable():
        pytest.skip("no helper process on this machine (one CPU, or processes not allowed)")
    s = Scenario(weeks=8, buddying=True)
    r = Runner()
    stacked = r.replicates(s, 6)
    assert r.runs == 6 and list(stacked["seed"].unique()) == list(range(6))
    for seed in (0, 1, 5):  # seeds run here and in the helper
        mine = stacked[stacked["seed"] == seed].drop(columns="seed").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, run(s, seed=seed).weekly)


# -- serving -----------------------------------------------------------------------------


def test_serve_command_is_local_stripped_culled_and_preheated():
    from coprod_sim.serve import notebook_path, voila_command

    cmd = " ".join(voila_command("compare", 8899))
    assert notebook_path("compare").exists() and str(notebook_path("compare")) in cmd
    for part in ("--port=8899", "--Voila.ip=127.0.0.1", "--strip_sources=True",
                 "--MappingKernelManager.cull_idle_timeout=1200", "--preheat_kernel=True",
                 "--VoilaExecutor.timeout=60", "--show_tracebacks=False"):
        assert part in cmd
    assert "--preheat_kernel" not in " ".join(voila_command(pool=0))
    room = " ".join(voila_command(room=True))
    assert "--Voila.ip=0.0.0.0" in room and "--CoprodVoila.room=True" in room
    assert "--token" not in room  # the token travels in the environment, not in `ps`


def test_serve_rejects_bad_input_with_a_message(capsys):
    from coprod_sim.serve import main, notebook_path

    with pytest.raises(ValueError, match="choose one of trainer, compare, explorer"):
        notebook_path("nope")
    assert main(["--port", "0"]) == 2
    assert "--port is 0; allowed: a whole number from 1 to 65535" in capsys.readouterr().err
    assert main(["--print", "--dashboard", "all"]) == 0
    assert "notebooks/dashboards --port=8866" in capsys.readouterr().out


def test_dashboard_notebooks_are_thin():
    import nbformat

    from coprod_sim.serve import DASHBOARDS, notebook_path

    for name in DASHBOARDS:
        nb = nbformat.read(notebook_path(name), as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert code == [f"from coprod_sim.widgets import {name}\n\n{name}()"]
