"""Bad input to every command gets one plain line (exit status 2), never a traceback.

Table-driven: each case is a command line plus the files it needs, the words
the message must hold, and (for files) that nothing is read forever.
"""

import json
import os
import signal
from pathlib import Path

import pytest

from coprod_sim.cli import main
from coprod_sim.experiments import build_plan, experiment_from_dict
from coprod_sim.experiments import design as design_module

SMALL = 'weeks = 4\n[set]\nn_people = 40\n'
GRID = SMALL + '[factors]\npower_sharing = [0.1, 0.9]\n'


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _big(path: Path) -> None:
    path.write_text("# " + "x" * (5 * 1024 * 1024) + "\nn_people = 40\n")


def sweep(name="exp.toml"):
    return ["sweep", "{tmp}/" + name, "--workers", "1", "--no-progress",
            "--out", "{tmp}/r.parquet"]


# (id, argv, files {name: text, bytes or a function(path)}, words in the message)
CASES = [
    ("run-negative-seed", ["run", "--seed", "-1", "--weeks", "2"], {},
     ["--seed", "-1", "from 0"]),
    ("run-huge-seed", ["run", "--seed", str(2**64), "--weeks", "2"], {}, ["--seed", "2**63"]),
    ("binary-experiment-file", sweep(), {"exp.toml": bytes(range(256)) * 4},
     ["exp.toml", "UTF-8"]),
    ("scenario-file-is-a-number", sweep(),
     {"exp.toml": GRID + '[[scenarios]]\nname = "a"\nfile = 5\n'},
     ["'scenarios[0].file' is 5", "path of a scenario file"]),
    ("scenario-set-is-text", sweep(),
     {"exp.toml": GRID + '[[scenarios]]\nname = "a"\nset = "x"\n'},
     ["'scenarios[0].set' is 'x'", "a table of parameter = value"]),
    ("top-set-is-text", sweep(), {"exp.toml": 'set = "x"\n'}, ["'set' is 'x'"]),
    ("scheduler-not-a-url", sweep() + ["--scheduler", "notaurl"], {"exp.toml": GRID},
     ["--scheduler", "'notaurl'", "tcp://"]),
    ("scenario-fifo", ["run", "--scenario", "{tmp}/plan.toml"], {"plan.toml": _fifo},
     ["plan.toml", "not a regular file"]),
    ("scenario-dev-zero", ["run", "--scenario", "{tmp}/plan.toml"], {"plan.toml": _zero},
     ["plan.toml", "not a regular file"]),
    ("scenario-too-big", ["run", "--scenario", "{tmp}/plan.toml"], {"plan.toml": _big},
     ["plan.toml", "at most"]),
    ("experiment-fifo", sweep(), {"exp.toml": _fifo}, ["exp.toml", "not a regular file"]),
    ("experiment-dev-zero", sweep(), {"exp.toml": _zero}, ["exp.toml", "not a regular file"]),
    ("base-file-fifo", sweep(), {"exp.toml": 'base_file = "plan.toml"\n' + SMALL,
                                 "plan.toml": _fifo}, ["plan.toml", "not a regular file"]),
    ("duplicate-json-keys", ["run", "--scenario", "{tmp}/plan.json", "--weeks", "2"],
     {"plan.json": '{"n_people": 40, "power_sharing": 0.2, "power_sharing": 0.9}'},
     ["plan.json", "'power_sharing' is given twice"]),
    ("design-seed-too-big", sweep(), {"exp.toml": GRID + "[design]\nseed = 4294967296\n"},
     ["'design.seed' is 4294967296", "0 to 2**32 - 1"]),
    ("design-seed-negative", sweep(), {"exp.toml": GRID + "[design]\nseed = -1\n"},
     ["'design.seed' is -1"]),
    ("grid-of-10-to-the-10", sweep(),
     {"exp.toml": SMALL + "[factors]\n" + "".join(
         f"{p} = {{ steps = 100 }}\n" for p in ("power_sharing", "purpose_clarity",
                                                "invitation_reach", "frontline_seats",
                                                "email_decision_share"))},
     ["10,000,000,000 runs", "--yes"]),
    ("saltelli-2-to-the-30", sweep() + ["--yes"],
     {"exp.toml": SMALL + "[design]\nkind = 'saltelli'\nsamples = 1073741824\n"
      "[factors]\npower_sharing = {}\npurpose_clarity = {}\n"},
     ["'design.samples' is 1073741824", "at most 2,000,000 points"]),
    ("out-under-a-file", ["sweep", "{tmp}/exp.toml", "--out", "{tmp}/exp.toml/r.parquet"],
     {"exp.toml": GRID}, ["exp.toml", "is a file, not a folder"]),
]


@pytest.fixture
def alarm():
    """Fail (rather than hang) if a command blocks on a file."""
    def ring(signum, frame):
        raise TimeoutError("the command blocked reading a file")
    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("argv,files,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_plain_line(tmp_path, capsys, alarm, argv, files, words):
    for name, content in files.items():
        path = tmp_path / name
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    for word in words:
        assert word in err, err
    assert not (tmp_path / "r.parquet").exists() and not (tmp_path / "r.parts").exists()


def test_a_byte_order_mark_is_accepted(tmp_path, capsys):
    bom = "\ufeff"
    (tmp_path / "plan.toml").write_text(bom + 'name = "bom"\nn_people = 40\nweeks = 2\n',
                                        encoding="utf-8")
    assert main(["run", "--scenario", str(tmp_path / "plan.toml")]) == 0
    assert "Scenario: bom" in capsys.readouterr().out
    (tmp_path / "plan.json").write_text(bom + '{"n_people": 40, "weeks": 2}', encoding="utf-8")
    assert main(["run", "--scenario", str(tmp_path / "plan.json")]) == 0
    (tmp_path / "exp.toml").write_text(bom + GRID, encoding="utf-8")
    assert main(["sweep", str(tmp_path / "exp.toml"), "--workers", "1", "--no-progress",
                 "--out", str(tmp_path / "r.parquet")]) == 0


def test_design_size_is_shown_before_anything_runs(tmp_path, capsys):
    (tmp_path / "exp.toml").write_text("replicates = 3\n" + GRID)
    assert main(["sweep", str(tmp_path / "exp.toml"), "--workers", "1", "--no-progress",
                 "--out", str(tmp_path / "r.parquet")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Design: 2 points x 3 replicates = 6 runs of 4 weeks (grid)."


def test_a_huge_grid_is_planned_lazily_in_little_memory(monkeypatch):
    monkeypatch.setattr(design_module, "CHECK_ALL_POINTS", 100)
    spec = {"weeks": 4, "factors": {p: {"steps": 100} for p in (
        "power_sharing", "purpose_clarity", "invitation_reach", "frontline_seats",
        "email_decision_share")}}
    exp = experiment_from_dict(spec)
    with pytest.raises(design_module.ExperimentError, match="--yes"):
        design_module.check_size(exp)
    plan = build_plan(exp)  # nothing listed: points and runs are computed on demand
    assert len(plan.points) == 100**5 and len(plan.runs) == 100**5
    name, values = plan.points[-1]
    assert set(values.values()) == {1.0} and len(values) == 5
    assert plan.points[1][1]["email_decision_share"] == pytest.approx(1 / 99)
    assert len(str(plan.to_dict())) < 20_000


def test_a_plan_is_size_checked_too_and_resume_keeps_the_confirmation(tmp_path, monkeypatch,
                                                                      capsys):
    from coprod_sim.experiments import load_results, resume, run_experiment
    monkeypatch.setattr(design_module, "CONFIRM_RUNS", 4)  # a 6-run design counts as large
    exp = experiment_from_dict({"weeks": 4, "replicates": 3, "set": {"n_people": 40},
                                "factors": {"power_sharing": [0.1, 0.9]}})
    plan = build_plan(exp)
    out = tmp_path / "r.parquet"
    with pytest.raises(design_module.ExperimentError, match="6 runs.*--yes"):
        run_experiment(plan, out, workers=1, progress=False)
    assert not any(tmp_path.iterdir())  # refused before anything was written

    class Stop(Exception):
        pass

    def interrupt(done, total):
        raise Stop

    with pytest.raises(Stop):  # confirmed, then stopped after the first chunk
        run_experiment(plan, out, workers=1, chunk_size=2, progress=False, yes=True,
                       on_chunk=interrupt)
    resumed = resume(out, workers=1, progress=False)  # no second confirmation needed
    assert resumed.complete and resumed.manifest["size_confirmed"] is True
    assert len(load_results(out).runs) == 6

    # a checkpoint that does not record the confirmation: resume asks for --yes
    other = tmp_path / "old.parquet"
    with pytest.raises(Stop):
        run_experiment(plan, other, workers=1, chunk_size=2, progress=False, yes=True,
                       on_chunk=interrupt)
    header = tmp_path / "old.parts" / "plan.json"
    stored = json.loads(header.read_text())
    del stored["size_confirmed"]
    header.write_text(json.dumps(stored))
    capsys.readouterr()
    assert main(["resume", str(other), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "6 runs" in err and "--yes" in err and "Traceback" not in err
    assert main(["resume", str(other), "--workers", "1", "--no-progress", "--yes"]) == 0
