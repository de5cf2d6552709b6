"""Scenario discovery (PRIM): the boxes of levers where an outcome of interest happens."""

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod_sim.cli import UsageError, main
from coprod_sim.experiments import experiment_from_dict, run_experiment
from coprod_sim.experiments.discover import discover, save_discovery

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "experiments" / "example_discover.toml"


@pytest.fixture(scope="module")
def planted():
    """Runs where influence is high exactly when power sharing >= 0.6 and staff are trained."""
    rng = np.random.default_rng(3)
    n = 1000
    runs = pd.DataFrame({"run": np.arange(n), "power_sharing": rng.random(n),
                         "purpose_clarity": rng.random(n),
                         "staff_training": rng.random(n) < 0.5,
                         "staff_seats": rng.integers(2, 31, n)})
    inside = (runs["power_sharing"] >= 0.6) & runs["staff_training"]
    runs["influence"] = np.where(inside, 0.6, 0.1) + rng.normal(0, 0.05, n)
    return runs


def test_prim_finds_the_planted_box_and_says_it_plainly(planted):
    found = discover(planted, "influence", above=0.4)
    assert found.n_interest == int((planted["influence"] > 0.4).sum())
    box = found.boxes[0]
    levers = {lim["lever"]: lim for lim in box.limits}
    assert set(levers) == {"power_sharing", "staff_training"}
    assert levers["power_sharing"]["low"] == pytest.approx(0.6, abs=0.03)
    assert levers["staff_training"]["values"] == ["True"]
    assert box.density > 0.95 and box.coverage > 0.9
    text = box.sentence
    assert text.startswith("Influence is above 0.4 in ")
    assert "power shared with service users is at least 0.6" in text
    assert "'Train staff in coproduction' is on" in text
    assert "this box holds" in text and "of all such runs" in text
    assert "Box 1:" in found.report()
    traj = box.trajectory
    assert {"coverage", "density", "mass", "res_dim"} <= set(traj.columns)
    assert traj["coverage"].iloc[0] == pytest.approx(1.0)


def test_below_and_lever_choice(planted):
    found = discover(planted, "influence", below=0.3, levers=["power_sharing"])
    assert found.levers == ["power_sharing"]
    lim = found.boxes[0].limits[0]
    assert lim["lever"] == "power_sharing" and lim["high"] < 0.65
    assert "at most" in lim["text"]


def test_bad_requests_get_one_plain_line(planted):
    with pytest.raises(UsageError, match="exactly one of --above or --below"):
        discover(planted, "influence")
    with pytest.raises(UsageError, match="'nonsense' is not a numeric column"):
        discover(planted, "nonsense", above=0.4)
    with pytest.raises(UsageError, match="no run has influence is above 5"):
        discover(planted, "influence", above=5)
    with pytest.raises(UsageError, match="lever 'warp_speed' is not in the results"):
        discover(planted, "influence", above=0.4, levers=["warp_speed"])


def test_charts_are_written_in_every_format(planted, tmp_path):
    found = discover(planted, "influence", above=0.4, boxes=2)
    files = save_discovery(found, tmp_path)
    names = {p.name for p in files}
    for ext in ("png", "svg", "pdf"):
        assert f"influence-above-0.4.peeling.{ext}" in names
        assert f"influence-above-0.4.box.{ext}" in names
    assert all(p.stat().st_size > 0 for p in files)
    import matplotlib.pyplot as plt
    plt.close("all")


def example_spec(samples):
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["design"] = {**data["design"], "samples": samples}
    return data


def test_discover_command_on_a_reduced_shipped_example(tmp_path, capsys):
    out = tmp_path / "discover.parquet"
    data = example_spec(120)
    data["weeks"] = 13
    run_experiment(experiment_from_dict(data), out, workers=2, progress=False)
    influence = pd.read_parquet(out)["influence"]
    threshold = float(influence.quantile(0.75))
    assert main(["discover", str(out), "--outcome", "influence", "--above",
                 f"{threshold:.3f}"]) == 0
    text = capsys.readouterr().out
    assert "Box 1:" in text and "of runs where" in text
    charts = tmp_path / "discover.discover"
    assert (charts / f"influence-above-{float(f'{threshold:.3f}'):g}.peeling.png").exists()


def test_discover_command_refuses_bad_input_in_one_line(tmp_path, capsys):
    assert main(["discover", str(tmp_path / "none.parquet"), "--outcome", "influence",
                 "--above", "0.4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert main(["discover", str(EXAMPLE), "--outcome", "influence", "--above", "0.4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "run it first" in err[0]
