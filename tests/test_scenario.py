"""Scenario validation and scenario files.

A trainee or researcher who types a bad value, or hands the kit a bad file, must
get one clear ScenarioError naming the parameter, the value given and what is
allowed; files round-trip exactly and are never left half-written.
"""

import json
import math
import os

import numpy as np
import pytest

from coprod_sim import PARAMETERS, Scenario, ScenarioError, presets
from coprod_sim.parameters import defaults

NUMERIC = [p for p in PARAMETERS.values() if p.kind in ("float", "int")]
BOOLS = [p for p in PARAMETERS.values() if p.kind == "bool"]
CHOICES = [p for p in PARAMETERS.values() if p.kind == "choice"]
INTS = [p for p in PARAMETERS.values() if p.kind == "int"]

#: The cross-parameter rules of scenario.py: shares that must leave room for the rest.
ROLE_SHARES = ("carer_share", "family_share", "community_share")
AGE_SHARES = ("young_share", "older_share")


def assert_clear_error(err: ScenarioError, name: str, value) -> None:
    """The message names the parameter, the value given and what is allowed."""
    message = str(err)
    assert f"'{name}'" in message
    assert repr(value) in message
    assert "allowed" in message
    names = [problem[0] for problem in err.problems]
    assert name in names
    if name in PARAMETERS:
        assert PARAMETERS[name].allowed() in message


def partners_low(name: str) -> dict:
    """Set the other shares of ``name``'s sum rule to their lowest allowed value."""
    for group in (ROLE_SHARES, AGE_SHARES):
        if name in group:
            return {k: PARAMETERS[k].low for k in group if k != name}
    return {}


# Bad values -----------------------------------------------------------------------


@pytest.mark.parametrize("p", NUMERIC, ids=lambda p: p.name)
def test_out_of_range_numbers_name_parameter_value_and_range(p):
    for value in (p.low - 1, p.high + 1):
        value = int(value) if p.kind == "int" else value
        with pytest.raises(ScenarioError) as info:
            Scenario(**{p.name: value})
        assert_clear_error(info.value, p.name, value)
        assert f"{p.low:g}" in str(info.value) and f"{p.high:g}" in str(info.value)


@pytest.mark.parametrize("p", NUMERIC, ids=lambda p: p.name)
def test_both_ends_of_every_range_are_allowed(p):
    for value in (p.low, p.high):
        s = Scenario(**{p.name: value}, **partners_low(p.name))
        assert s[p.name] == value
        assert isinstance(s[p.name], int if p.kind == "int" else float)


@pytest.mark.parametrize("p", NUMERIC, ids=lambda p: p.name)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "0.5", None, [1], True])
def test_numbers_reject_nan_infinity_text_and_other_types(p, value):
    with pytest.raises(ScenarioError) as info:
        Scenario(**{p.name: value})
    assert_clear_error(info.value, p.name, value)


@pytest.mark.parametrize("p", INTS, ids=lambda p: p.name)
def test_whole_number_parameters_reject_fractions(p):
    value = p.low + 0.5
    with pytest.raises(ScenarioError) as info:
        Scenario(**{p.name: value})
    assert_clear_error(info.value, p.name, value)
    assert "whole number" in str(info.value)


@pytest.mark.parametrize("p", BOOLS, ids=lambda p: p.name)
@pytest.mark.parametrize("value", [0, 1, "true", "yes", None, 1.0])
def test_switches_need_true_or_false_not_0_or_1(p, value):
    with pytest.raises(ScenarioError) as info:
        Scenario(**{p.name: value})
    assert_clear_error(info.value, p.name, value)
    assert "true or false" in str(info.value)


@pytest.mark.parametrize("p", CHOICES, ids=lambda p: p.name)
@pytest.mark.parametrize("value", ["no_such_choice", "", 3, None])
def test_bad_choice_lists_the_choices(p, value):
    with pytest.raises(ScenarioError) as info:
        Scenario(**{p.name: value})
    assert_clear_error(info.value, p.name, value)
    for choice in p.choices:
        assert repr(choice) in str(info.value)


def test_every_choice_is_accepted():
    for p in CHOICES:
        for choice in p.choices:
            assert Scenario(**{p.name: choice})[p.name] == choice


def test_unknown_parameter_is_named():
    with pytest.raises(ScenarioError) as info:
        Scenario(power_share=0.5)
    assert_clear_error(info.value, "power_share", 0.5)
    assert "known parameter" in str(info.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ScenarioError) as info:
        Scenario(power_sharing=2.0, buddying=1, pathway="x")
    assert [name for name, _, _ in info.value.problems] == ["power_sharing", "buddying",
                                                           "pathway"]


def test_role_shares_must_leave_room_for_patients():
    with pytest.raises(ScenarioError) as info:
        Scenario(carer_share=0.4, family_share=0.3, community_share=0.3)
    message = str(info.value)
    for name in ROLE_SHARES:
        assert name in message
    assert "1.0" in message and "0.9" in message
    # Each share alone is in range; only the sum is the problem.
    Scenario(carer_share=0.4, family_share=0.3, community_share=0.2)


def test_age_shares_must_leave_room_for_middle_ages():
    with pytest.raises(ScenarioError) as info:
        Scenario(young_share=0.5, older_share=0.5)
    message = str(info.value)
    assert "young_share" in message and "older_share" in message and "0.9" in message


def test_numpy_numbers_are_accepted_and_stored_as_plain_python(tmp_path):
    s = Scenario(power_sharing=np.float64(0.7), n_people=np.int64(120))
    assert type(s.power_sharing) is float and type(s.n_people) is int
    # Plain values are what make the scenario savable (sweeps pass numpy values).
    assert Scenario.from_file(s.to_file(tmp_path / "np.toml")) == s


def test_numpy_booleans_are_accepted_as_switches(tmp_path):
    s = Scenario(buddying=np.bool_(True), ground_rules=np.bool_(False))
    assert s.buddying is True and s.ground_rules is False
    assert Scenario.from_file(s.to_file(tmp_path / "np.toml")) == s


def test_whole_valued_floats_are_accepted_for_whole_number_parameters():
    s = Scenario(n_people=150.0)
    assert s.n_people == 150 and type(s.n_people) is int


def test_scenario_error_is_a_value_error():
    # Callers that already catch ValueError keep working.
    assert issubclass(ScenarioError, ValueError)


def test_huge_whole_number_gives_the_clear_error():
    with pytest.raises(ScenarioError) as info:
        Scenario(n_people=10**400)
    assert "n_people" in str(info.value)


# replace() --------------------------------------------------------------------------


def test_replace_returns_a_new_validated_scenario():
    s = presets.get("full_coproduction")
    s2 = s.replace(power_sharing=0.6)
    assert s2.power_sharing == 0.6 and s2["power_sharing"] == 0.6
    assert s.power_sharing != 0.6  # the original is unchanged
    assert s2.name == s.name and s2.description == s.description
    assert s2.changes()["power_sharing"] == 0.6
    with pytest.raises(ScenarioError) as info:
        s.replace(power_sharing=1.5)
    assert_clear_error(info.value, "power_sharing", 1.5)
    with pytest.raises(ScenarioError):
        s.replace(no_such_lever=True)
    with pytest.raises(ScenarioError):
        s.replace(carer_share=0.6, family_share=0.6)


def test_scenario_is_immutable():
    s = Scenario()
    with pytest.raises(AttributeError):
        s.power_sharing = 0.9
    with pytest.raises(AttributeError):
        s.no_such_lever  # noqa: B018
    assert s.power_sharing == PARAMETERS["power_sharing"].default


def test_defaults_are_valid_and_changes_are_empty():
    s = Scenario()
    assert dict(s) == defaults()
    assert s.changes() == {}
    assert list(s) == list(PARAMETERS)


# Presets -----------------------------------------------------------------------------


REQUIRED_PRESETS = ("questionnaire_only", "forum_only", "focus_groups_only", "interviews_only",
                    "mixed_methods", "tokenistic_consultation", "full_coproduction")


def test_presets_required_by_the_issue_exist():
    assert set(REQUIRED_PRESETS) <= set(presets.names())


@pytest.mark.parametrize("name", presets.names())
def test_every_preset_is_a_valid_scenario_with_a_description(name):
    s = presets.get(name)
    assert isinstance(s, Scenario) and s.name == name
    assert Scenario.from_dict(s.to_dict(meta=True)) == s  # re-validates cleanly
    assert presets.describe(name).strip()
    assert s.description == presets.describe(name)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ScenarioError) as info:
        presets.get("full_coprod")
    assert_clear_error(info.value, "preset", "full_coprod")
    for name in presets.names():
        assert repr(name) in str(info.value)


def test_preset_changes_are_validated():
    assert presets.get("forum_only", power_sharing=0.9).power_sharing == 0.9
    with pytest.raises(ScenarioError):
        presets.get("forum_only", power_sharing=9)


# Files --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("name", presets.names())
def test_files_round_trip_exactly(tmp_path, name, suffix):
    s = presets.get(name).replace(power_sharing=0.123456789, n_people=321)
    path = s.to_file(tmp_path / f"plan{suffix}")
    back = Scenario.from_file(path)
    assert back == s
    assert back.to_dict(meta=True) == s.to_dict(meta=True)  # name and description too


def test_hand_written_toml_sets_only_what_it_names(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text('name = "my plan"\n# a comment\npower_sharing = 0.8\n'
                    'buddying = true\npathway = "cafa"\nn_people = 300\n', encoding="utf-8")
    s = Scenario.from_file(path)
    assert s.name == "my plan"
    assert s.changes() == {"power_sharing": 0.8, "buddying": True, "pathway": "cafa",
                           "n_people": 300}


def test_uppercase_suffix_is_accepted(tmp_path):
    path = Scenario(power_sharing=0.3).to_file(tmp_path / "PLAN.TOML")
    assert Scenario.from_file(path).power_sharing == 0.3


def write(tmp_path, filename, text):
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("filename, text", [
    ("broken.toml", "power_sharing = \n"),
    ("broken.toml", "power_sharing = 0.5\npower_sharing = 0.6\n"),
    ("broken.toml", "[unclosed\n"),
    ("broken.json", '{"power_sharing": 0.5,}'),
    ("broken.json", "{'power_sharing': 0.5}"),
    ("broken.json", ""),
])
def test_malformed_file_names_the_file_and_format(tmp_path, filename, text):
    path = write(tmp_path, filename, text)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(path)
    message = str(info.value)
    assert filename in message
    assert ("TOML" if filename.endswith(".toml") else "JSON") in message


@pytest.mark.parametrize("filename, text, name, value", [
    ("plan.toml", "power_share = 0.5\n", "power_share", 0.5),
    ("plan.toml", "[power_sharing]\nlevel = 1\n", "power_sharing", {"level": 1}),
    ("plan.toml", 'power_sharing = "high"\n', "power_sharing", "high"),
    ("plan.toml", "buddying = 1\n", "buddying", 1),
    ("plan.toml", "n_people = 20.5\n", "n_people", 20.5),
    ("plan.toml", "pathway = 3\n", "pathway", 3),
    ("plan.toml", "weeks = 0\n", "weeks", 0),
    ("plan.toml", "name = 5\n", "name", 5),
    ("plan.json", '{"power_share": 0.5}', "power_share", 0.5),
    ("plan.json", '{"buddying": "true"}', "buddying", "true"),
    ("plan.json", '{"power_sharing": NaN}', "power_sharing", math.nan),
    ("plan.json", '{"power_sharing": null}', "power_sharing", None),
    ("plan.json", '{"pathway": ["cafa"]}', "pathway", ["cafa"]),
])
def test_bad_values_in_files_give_the_clear_error(tmp_path, filename, text, name, value):
    path = write(tmp_path, filename, text)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(path)
    message = str(info.value)
    assert f"'{name}'" in message and "allowed" in message
    assert repr(value) in message
    assert filename in message  # says which file


@pytest.mark.parametrize("text", ["[1, 2]", '"power_sharing"', "3"])
def test_json_that_is_not_a_table_is_refused(tmp_path, text):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(write(tmp_path, "plan.json", text))
    assert "table" in str(info.value)


def test_missing_file_and_wrong_file_type(tmp_path):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(tmp_path / "nowhere.toml")
    assert "nowhere.toml" in str(info.value) and "readable" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(write(tmp_path, "plan.yaml", "power_sharing: 0.5\n"))
    assert ".yaml" in str(info.value) and "'.toml' or '.json'" in str(info.value)
    with pytest.raises(ScenarioError):
        Scenario().to_file(tmp_path / "plan.yaml")
    assert (tmp_path / "plan.yaml").read_text(encoding="utf-8") == "power_sharing: 0.5\n"


def test_directory_instead_of_file(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ScenarioError):
        Scenario.from_file(tmp_path / "dir.toml")


def test_file_that_is_not_text_gives_the_clear_error(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_bytes(b"power_sharing = 0.5\n# caf\xe9 in Latin-1\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(path)
    assert "plan.toml" in str(info.value)


def test_huge_number_in_a_json_file_gives_the_clear_error(tmp_path):
    path = write(tmp_path, "plan.json", '{"n_people": 1' + "0" * 400 + "}")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(path)
    assert "n_people" in str(info.value)


def test_deeply_nested_json_gives_the_clear_error(tmp_path):
    path = write(tmp_path, "plan.json", '{"pathway": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ScenarioError):
        Scenario.from_file(path)


# Atomic writes ----------------------------------------------------------------------------


def test_writing_leaves_only_the_file(tmp_path):
    Scenario().to_file(tmp_path / "a.toml")
    Scenario().to_file(tmp_path / "b.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "b.json"]
    json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))


def test_writing_creates_missing_folders(tmp_path):
    path = Scenario().to_file(tmp_path / "new" / "folder" / "plan.toml")
    assert Scenario.from_file(path) == Scenario()


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_replace_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch,
                                                                    error):
    path = Scenario(power_sharing=0.1).to_file(tmp_path / "plan.toml")
    before = path.read_bytes()

    def fail(src, dst):
        raise error

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(type(error)):
        Scenario(power_sharing=0.9).to_file(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.toml"]


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_failure_half_way_through_writing_leaves_nothing(tmp_path, monkeypatch, suffix):
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()
            return False

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            self.fh.flush()
            raise OSError("no space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k)))
    with pytest.raises(OSError):
        Scenario().to_file(tmp_path / f"plan{suffix}")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
