"""The ``coprod-sim`` command line.

A run prints a readable summary and writes the weekly table; bad input prints
one line to stderr and exits with status 2, never a traceback.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from coprod_sim import OUTCOMES, PARAMETERS, Scenario, presets, run
from coprod_sim.cli import main
from coprod_sim.outcomes import LADDER


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("coprod-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "coprod_sim.cli"]


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, out, err, *words):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("coprod-sim: ")
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])


# The command from the issue, as a user types it ---------------------------------------


def test_issue_command_prints_a_summary_and_writes_the_table(tmp_path):
    result = subprocess.run(
        [*cli_command(), "run", "--preset", "full_coproduction", "--seed", "1", "--weeks",
         "52", "--out", "weekly.csv"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "full_coproduction" in out and "seed 1" in out and "52 weeks" in out
    assert any(rung in out for rung in LADDER)
    for key in ("participation_rate", "influence", "trust", "cost"):
        assert OUTCOMES[key].label in out
    assert "weekly.csv" in out
    table = pd.read_csv(tmp_path / "weekly.csv")
    assert len(table) == 52
    assert table["week"].tolist() == list(range(1, 53))
    assert set(OUTCOMES) <= set(table.columns)
    expected = run(presets.get("full_coproduction"), seed=1, weeks=52).weekly
    assert_frame_equal(table, expected, check_dtype=False, check_exact=False, rtol=1e-12)


def test_summary_is_readable(capsys):
    code, out, err = run_cli(capsys, "run", "--preset", "forum_only", "--weeks", "20")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("Scenario: forum_only")
    assert presets.describe("forum_only") in out
    assert "%" in out and "£" in out  # shares as percentages, money in pounds
    assert not re.search(r"\bnan\b", out, re.IGNORECASE)
    # Every outcome row carries its plain-language definition.
    for key in ("participation_rate", "retention", "tokenism"):
        assert OUTCOMES[key].definition in out


def test_json_output_and_saved_scenario(capsys, tmp_path):
    out_file, plan = tmp_path / "weekly.json", tmp_path / "used.toml"
    code, out, _ = run_cli(capsys, "run", "--preset", "mixed_methods", "--weeks", "12",
                           "--set", "power_sharing=0.75", "--set", "pathway=cafa",
                           "--out", out_file, "--save-scenario", plan)
    assert code == 0
    records = json.loads(out_file.read_text(encoding="utf-8"))
    assert len(records) == 12 and set(OUTCOMES) <= set(records[0])
    saved = Scenario.from_file(plan)
    assert saved == presets.get("mixed_methods", power_sharing=0.75, pathway="cafa")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["used.toml", "weekly.json"]


def test_scenario_file_with_changes(capsys, tmp_path):
    plan = Scenario(power_sharing=0.2, buddying=True).to_file(tmp_path / "plan.json")
    out_file = tmp_path / "weekly.csv"
    code, _, _ = run_cli(capsys, "run", "--scenario", plan, "--set", "n_people=80",
                         "--seed", "4", "--weeks", "8", "--out", out_file)
    assert code == 0
    expected = run(Scenario(power_sharing=0.2, buddying=True, n_people=80), seed=4,
                   weeks=8).weekly
    assert_frame_equal(pd.read_csv(out_file), expected, check_dtype=False, rtol=1e-12)


# Bad input: one line, status 2, no traceback --------------------------------------------


def test_bad_preset(capsys):
    code, out, err = run_cli(capsys, "run", "--preset", "full_coprod")
    assert_one_line_error(code, out, err, "preset", "full_coprod", "full_coproduction")
    assert out == ""


@pytest.mark.parametrize("setting, words", [
    ("power_sharing=2", ("power_sharing", "2", "0 to 1")),
    ("power_sharing=high", ("power_sharing", "high", "0 to 1")),
    ("power_sharing", ("--set", "name=value")),
    ("buddying=1", ("buddying", "true or false")),
    ("pathway=seven", ("pathway", "seven", "cafa")),
    ("no_such_lever=1", ("no_such_lever", "known parameter")),
    ("n_people=20.5", ("n_people", "20.5", "whole number")),
    ("weeks=0", ("weeks", "1 to 520")),
])
def test_bad_set(capsys, setting, words):
    code, out, err = run_cli(capsys, "run", "--set", setting)
    assert_one_line_error(code, out, err, *words)


@pytest.mark.parametrize("filename, text, words", [
    ("plan.toml", "power_sharing = \n", ("plan.toml", "TOML")),
    ("plan.json", "{", ("plan.json", "JSON")),
    ("plan.toml", "power_share = 0.5\n", ("plan.toml", "power_share")),
    ("plan.toml", 'buddying = "yes"\n', ("buddying", "yes", "true or false")),
    ("plan.yaml", "power_sharing: 0.5\n", (".yaml", ".toml")),
])
def test_bad_scenario_file(capsys, tmp_path, filename, text, words):
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "run", "--scenario", path)
    assert_one_line_error(code, out, err, *words)


def test_missing_scenario_file(capsys, tmp_path):
    code, out, err = run_cli(capsys, "run", "--scenario", tmp_path / "nowhere.toml")
    assert_one_line_error(code, out, err, "nowhere.toml")


def test_preset_and_scenario_together(capsys, tmp_path):
    plan = Scenario().to_file(tmp_path / "plan.toml")
    code, out, err = run_cli(capsys, "run", "--preset", "forum_only", "--scenario", plan)
    assert_one_line_error(code, out, err, "--preset", "--scenario")


def test_bad_output_suffix_writes_nothing(capsys, tmp_path):
    code, out, err = run_cli(capsys, "run", "--weeks", "2", "--out", tmp_path / "weekly.txt")
    assert_one_line_error(code, out, err, "weekly.txt", ".csv")
    assert list(tmp_path.iterdir()) == []


def test_bad_input_through_the_real_entry_point_has_no_traceback(tmp_path):
    result = subprocess.run([*cli_command(), "run", "--preset", "nope"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "'nope'" in result.stderr


@pytest.mark.parametrize("args", [["run", "--weeks", "abc"], ["no-such-command"], []])
def test_argparse_mistakes_exit_2_without_traceback(capsys, args):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: coprod-sim" in err and "Traceback" not in err


def test_unwritable_output_path_is_one_line(capsys, tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    code, out, err = run_cli(capsys, "run", "--weeks", "2", "--out",
                             tmp_path / "afile" / "weekly.csv")
    assert_one_line_error(code, out, err, "weekly.csv")


def test_huge_number_in_set_is_one_line(capsys):
    code, out, err = run_cli(capsys, "run", "--set", "n_people=1" + "0" * 400)
    assert_one_line_error(code, out, err, "n_people")


def test_scenario_file_that_is_not_text_is_one_line(capsys, tmp_path):
    path = tmp_path / "plan.toml"
    path.write_bytes(b"power_sharing = 0.5 # caf\xe9\n")
    code, out, err = run_cli(capsys, "run", "--scenario", path)
    assert_one_line_error(code, out, err, "plan.toml")


# Listing commands ---------------------------------------------------------------------------


def test_params_lists_every_parameter(capsys):
    code, out, _ = run_cli(capsys, "params")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert names == list(PARAMETERS)
    for p in PARAMETERS.values():
        assert p.allowed() in out


def test_params_markdown_is_a_table_of_every_parameter(capsys):
    code, out, _ = run_cli(capsys, "params", "--markdown")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("| name |") and set(lines[1]) <= set("|-")
    assert all(line.startswith("|") and line.endswith("|") for line in lines)
    for p in PARAMETERS.values():
        row = [line for line in lines if line.startswith(f"| `{p.name}` |")]
        assert len(row) == 1, p.name
        assert p.evidence in row[0]


def test_presets_lists_every_preset(capsys):
    code, out, _ = run_cli(capsys, "presets")
    assert code == 0
    for name in presets.names():
        assert any(line.startswith(name + " ") and presets.describe(name) in line
                   for line in out.splitlines()), name


def test_outcomes_lists_every_outcome_with_its_definition(capsys):
    code, out, _ = run_cli(capsys, "outcomes")
    assert code == 0
    for name, outcome in OUTCOMES.items():
        assert any(line.split()[0] == name and outcome.definition in line
                   for line in out.splitlines()), name
