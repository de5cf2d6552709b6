"""Command line: sweep, sensitivity, resume and reproduce on the shipped example files."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coprod_sim.cli import main
from coprod_sim.experiments import load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "experiments" / "example_sweep.toml"
SENSITIVITY = ROOT / "experiments" / "example_sensitivity.toml"


@pytest.fixture(scope="module")
def expected():
    return run_experiment(load_experiment(SWEEP), workers=1, progress=False)


def test_sweep_command_writes_tables_and_manifest(tmp_path, capsys, expected):
    out = tmp_path / "sweep.parquet"
    assert main(["sweep", str(SWEEP), "--workers", "2", "--no-progress", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{len(expected.runs)} of {len(expected.runs)} runs finished" in text
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected.runs)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.weekly.parquet"),
                                  expected.weekly)
    assert (tmp_path / "sweep.manifest.json").exists()
    assert main(["reproduce", str(out), "--run", "7"]) == 0
    assert "Reproduced exactly" in capsys.readouterr().out


def reduced_copy(path, folder, **values):
    """The shipped file with a few top-level or [design]/[set] values changed (comments kept)."""
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text, n = re.subn(rf"(?m)^{key} = [^#\n]*", f"{key} = {value} ", text)
        assert n == 1, f"{key} not found once in {path.name}"
    copy = folder / path.name
    copy.write_text(text, encoding="utf-8")
    return copy


def test_sensitivity_command_writes_indices_and_charts(tmp_path, capsys):
    # the shipped file, made small (the full example runs in tests/test_sensitivity.py, slow)
    small = reduced_copy(SENSITIVITY, tmp_path, samples=8, weeks=6, n_people=40)
    out = tmp_path / "sens.parquet"
    assert main(["sensitivity", str(small), "--workers", "2", "--no-progress",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Main index (ST)" in text
    indices = pd.read_csv(tmp_path / "sens.indices.csv")
    exp = load_experiment(SENSITIVITY)
    assert load_experiment(small).factors == exp.factors
    assert set(indices["outcome"]) == set(exp.outcomes)
    assert set(indices["parameter"]) == {f.name for f in exp.factors}
    charts = sorted(p.name for p in (tmp_path / "sens.plots").glob("*.png"))
    assert "overview.png" in charts and len(charts) >= 2


def test_interrupted_sweep_resumes_from_the_command_line(tmp_path, capsys, expected):
    out = tmp_path / "sweep.parquet"
    parts = tmp_path / "sweep.parts"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cli = "import sys; from coprod_sim.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", cli, "sweep", str(SWEEP),
                             "--workers", "1", "--chunk-size", "2", "--no-progress",
                             "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    # Ctrl-C as soon as the first checkpoint is written: on a quiet machine this small
    # sweep finishes in well under a second, so waiting for more parts can miss it.
    while not list(parts.glob("runs/part-*.parquet")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "sweep wrote no checkpoint"
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "coprod-sim resume" in err
    assert not out.exists()
    done = sum(len(pd.read_parquet(p)) for p in parts.glob("runs/part-*.parquet"))
    assert 0 < done < len(expected.runs)

    assert main(["resume", str(out), "--workers", "2", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert f"Resuming: {done} of {len(expected.runs)} runs were already done" in text
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected.runs)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.weekly.parquet"),
                                  expected.weekly)
    assert main(["resume", str(out)]) == 0  # a finished sweep: said plainly, not an error
    assert "Already finished" in capsys.readouterr().out


BAD = [
    ("replicate = 3\n", "'replicate' is 3", "one of the keys"),
    ("[factors]\npowr_sharing = [0.1]\n", "'factors.powr_sharing'", "known parameter"),
    ("[factors]\npower_sharing = [0.1, 1.5]\n", "'factors.power_sharing' is 1.5",
     "a number from 0 to 1"),
    ("[design]\nkind = 'grd'\n", "'design.kind' is 'grd'", "'grid', 'latin'"),
    ("[design]\nkind = 'saltelli'\nsamples = 10\n[factors]\npower_sharing = {}\n"
     "trust_x = {}\n", "'design.samples' is 10", "a power of 2"),
    ("[design]\nkind = 'latin'\nsamples = 8\n[factors]\npower_sharing = {low = -0.5}\n"
     "purpose_clarity = {}\n", "'factors.power_sharing.low' is -0.5", "a number from 0 to 1"),
    ("[design]\nkind = 'morris'\nsamples = 4\n[factors]\npathway = {choices = ['cafe']}\n"
     "use_forum = {}\n", "'factors.pathway.choices' is ['cafe']", "'seven_steps'"),
    ("base = 'ful_coproduction'\n", "'base' is 'ful_coproduction'", "'full_coproduction'"),
    ("replicates = 'three'\n", "'replicates' is 'three'", "a whole number"),
    ("[set]\nn_people = 1\n", "'set.n_people' is 1", "a whole number from 20"),
    ("[design]\nkind = 'latin'\nsamples = 8\n[factors]\ncarer_share = {}\n"
     "family_share = {}\ncommunity_share = {}\n", "carer_share + family_share",
     "narrow the factor ranges"),
    ("name = \n", "'file' is", "valid TOML"),
]


@pytest.mark.parametrize("text,names,allowed", BAD)
def test_bad_experiment_file_gets_one_clear_line(tmp_path, capsys, text, names, allowed):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code = main(["sweep", str(path), "--workers", "1", "--out", str(tmp_path / "r.parquet")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert names in err and allowed in err and "bad.toml" in err


def test_other_user_mistakes_are_one_line(tmp_path, capsys):
    assert main(["sensitivity", str(SWEEP), "--out", str(tmp_path / "r.parquet")]) == 2
    assert "needs 'saltelli', 'morris' or 'latin'" in capsys.readouterr().err
    assert main(["sweep", str(SWEEP), "--out", str(tmp_path / "r.xlsx")]) == 2
    assert "must end in .parquet or .csv" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", "r.parquet"]) == 2
    assert "a readable file" in capsys.readouterr().err
