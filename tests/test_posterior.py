"""Calibration with uncertainty: the ABC-SMC posterior, its file, its warnings, held-out checks.

The model runs are kept small (2 constants, 60 people, 26 weeks, one seed per
particle, 20 particles, 2 generations); the targets are set from what the
model gives at the shipped constants, so no model figure is written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod_sim.calibration import posterior as ps
from coprod_sim.calibration.targets import CalibrationError, FitSpace
from coprod_sim.cli import main

pytest.importorskip("pyabc")

TARGETS = """
[calibration]
seeds = 1
trials = 10
sampler_seed = 7
weeks = 26

[[fit]]
constant = "questionnaire_calibration"
low = 0.0
high = 3.0

[[fit]]
constant = "show_base"
low = 0.0
high = 4.0

[[target]]
name = "questionnaire"
measure = "questionnaire_response"
value = {q}
tolerance = 0.1
source = "the model at the shipped constants"
scenario = {{ preset = "questionnaire_only", n_people = 60 }}

[[target]]
name = "no_show"
measure = "focus_group_no_show"
value = {n}
tolerance = 0.1
source = "the model at the shipped constants"
scenario = {{ preset = "focus_groups_only", n_people = 60 }}
"""


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory):
    from coprod_sim.calibration.fit import evaluate
    from coprod_sim.calibration.targets import load

    folder = tmp_path_factory.mktemp("post")
    path = folder / "small.toml"
    path.write_text(TARGETS.format(q=0.3, n=0.3))
    ev = evaluate(load(path), seeds=range(4))
    q, n = (round(f.figure, 3) for f in ev.fits)
    path.write_text(TARGETS.format(q=q, n=n))
    return path


@pytest.fixture(scope="module")
def serial(targets_file):
    from coprod_sim.calibration.targets import load

    return ps.posterior(load(targets_file), particles=20, generations=2, workers=1)


@pytest.mark.slow
def test_same_seed_same_posterior_in_one_process_or_on_workers(targets_file, serial):
    from coprod_sim.calibration.targets import load

    targets = load(targets_file)
    parallel = ps.posterior(targets, particles=20, generations=2, workers=2)
    pd.testing.assert_frame_equal(serial.posterior.samples, parallel.posterior.samples)
    assert serial.generations["epsilon"].tolist() == parallel.generations["epsilon"].tolist()
    other = ps.posterior(targets, particles=20, generations=1, workers=1, sampler_seed=8)
    assert not np.allclose(other.posterior.samples["show_base"].to_numpy()[:5],
                           serial.posterior.samples["show_base"].to_numpy()[:5])


@pytest.mark.slow
def test_posterior_has_an_interval_for_every_constant_and_narrows(serial):
    post = serial.posterior
    s = post.summary().set_index("constant")
    assert list(s.index) == ["questionnaire_calibration", "show_base"]
    for f in post.space:
        row = s.loc[f.key]
        assert f.low <= row["low"] <= row["median"] <= row["high"] <= f.high
    assert post.weights.sum() == pytest.approx(1.0)
    # the tolerance falls from generation to generation
    eps = serial.generations["epsilon"].to_numpy()
    assert len(eps) == 2 and eps[1] < eps[0]
    assert post.info["evaluations"] >= 40


@pytest.mark.slow
def test_posterior_file_round_trip_and_joint_draws(serial, tmp_path):
    post = serial.posterior
    for name in ("post.csv", "post.parquet"):
        written = post.save(tmp_path / name)
        back = ps.Posterior.load(written[0])
        assert back.keys == post.keys and [f.low for f in back.space] == [0.0, 0.0]
        np.testing.assert_allclose(back.samples[post.keys].to_numpy(),
                                   post.samples[post.keys].to_numpy(), rtol=1e-9)
        assert back.info["particles"] == 20
    # the CSV is a plain table an experiment file can name: constants and weight only
    plain = pd.read_csv(tmp_path / "post.csv")
    assert list(plain.columns) == [*post.keys, "weight"]
    assert (tmp_path / "post.csv.toml").exists()
    # a joint draw is a whole particle; the same seed gives the same draws
    draws = post.draw(10, seed=3)
    assert draws.equals(post.draw(10, seed=3))
    rows = {tuple(r) for r in post.samples[post.keys].to_numpy()}
    assert all(tuple(r) in rows for r in draws.to_numpy())
    assert len(post.at([0.0, 0.5, 0.999])) == 3
    constants = post.constants(post.median_values())
    assert constants.show_base == pytest.approx(post.median_values()["show_base"])


def test_a_table_without_a_record_loads_and_bad_files_give_one_line(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"base_chance[0]": [0.2, 0.3], "voice_exponent": [2.0, 2.5]}).to_csv(
        path, index=False)
    post = ps.Posterior.load(path)
    assert post.keys == ["base_chance[0]", "voice_exponent"]
    assert post.weights.tolist() == [0.5, 0.5]
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"voice_exponent": [1.0], "weight": [-1.0]}).to_csv(bad, index=False)
    with pytest.raises(CalibrationError, match="weights must be non-negative"):
        ps.Posterior.load(bad)
    with pytest.raises(CalibrationError, match="must end in .csv or .parquet"):
        ps.Posterior.load(tmp_path / "post.json")
    with pytest.raises(CalibrationError, match="cannot read the posterior"):
        ps.Posterior.load(tmp_path / "missing.csv")


def test_identifiability_names_constants_the_targets_cannot_tell_apart():
    from coprod_sim.calibration.targets import load

    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, 400)
    space = (FitSpace("drive_trust", None, 0.0, 1.0), FitSpace("drive_efficacy", None, 0, 1.0),
             FitSpace("show_base", None, 0.0, 4.0))
    samples = pd.DataFrame({"drive_trust": a, "drive_efficacy": 1 - a + rng.normal(0, .02, 400),
                            "show_base": rng.uniform(1.9, 2.1, 400), "weight": 1 / 400,
                            "distance": 0.0})
    post = ps.Posterior(space, samples)
    targets = load("evidence")
    lines = ps.identifiability(targets, post)
    text = " ".join(lines)
    assert "cannot tell drive_trust and drive_efficacy apart" in text
    assert "barely pin down drive_trust" in text and "spread" in text
    assert "show_base" not in text          # narrow and uncorrelated: identified
    assert any("constants are fitted to" in line for line in lines)


@pytest.mark.slow
def test_posterior_command_prints_intervals_and_a_held_out_check(targets_file, tmp_path,
                                                                 capsys):
    out = tmp_path / "post.csv"
    code = main(["posterior", str(targets_file), "--particles", "20", "--generations", "1",
                 "--workers", "1", "--heldout", "2", "--out", str(out), "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0 and out.exists()
    assert "90% interval" in text and "questionnaire_calibration" in text
    assert "Held-out check: the posterior median on 2 fresh seeds (10000-10001)" in text
    assert "Out of sample: loss" in text and "within range on fresh seeds" in text
    code = main(["posterior", str(targets_file), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "exists; add --force" in err and err.count("\n") == 1


@pytest.mark.slow
def test_calibrate_prints_the_fit_beside_fresh_seeds(targets_file, capsys):
    code = main(["calibrate", str(targets_file), "--trials", "0", "--heldout", "2",
                 "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0
    assert "On the fit's 1 seed (0): loss" in text
    assert "On 2 fresh seeds (10000-10001), never seen by the fit: loss" in text
    assert "2 constants are fitted to 2 targets" in text
