"""Nothing lost, one line each: weekly checkpoints on resume, files beside --out,
the limits of calibration files, and the advice after a full disk.
"""

import errno
import os
from pathlib import Path

import pandas as pd
import pytest

from coprod_sim.cli import main
from coprod_sim.experiments import run_experiment
from coprod_sim.experiments import store as store_module

GRID = """name = "safe"
weeks = 4
replicates = 2
seed = 1
[set]
n_people = 40
[factors]
power_sharing = [0.1, 0.5, 0.9]
"""
RUNS, WEEKS = 6, 4


def write_exp(folder: Path) -> Path:
    path = folder / "safe.toml"
    path.write_text(GRID)
    return path


def sweep(exp: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(exp), "--workers", "1", "--no-progress", "--out", str(out),
                 *extra])


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def interrupted(tmp_path: Path, name: str = "r.parquet") -> Path:
    out = tmp_path / name

    def stop(done, total):
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(write_exp(tmp_path), out, workers=1, chunk_size=2, progress=False,
                       on_chunk=stop)
    return out


# --- 5: resume checks the weekly checkpoint files too ----------------------------------
def _weekly_part(out: Path) -> Path:
    return sorted((out.with_suffix(".parts") / "weekly").glob("part-*.parquet"))[0]


@pytest.mark.parametrize("damage", [
    lambda p: p.write_bytes(p.read_bytes()[:60]),
    lambda p: p.write_bytes(b"PAR1 not a parquet file"),
    lambda p: p.write_bytes(b""),
], ids=["cut short", "garbage", "empty"])
def test_a_damaged_weekly_checkpoint_stops_resume_with_its_name(tmp_path, capsys, damage):
    out = interrupted(tmp_path)
    part = _weekly_part(out)
    damage(part)
    assert main(["resume", str(out), "--workers", "1", "--no-progress"]) == 2
    err = one_line(capsys)
    assert part.name in err and "damaged" in err
    assert not out.exists()  # nothing unreadable was published
    part.unlink()  # the way out the line gives: remove it and resume
    assert main(["resume", str(out), "--workers", "1", "--no-progress"]) == 0
    assert len(pd.read_parquet(out)) == RUNS
    assert len(pd.read_parquet(out.with_name("r.weekly.parquet"))) == RUNS * WEEKS


def test_a_missing_weekly_checkpoint_runs_its_chunk_again(tmp_path, capsys):
    out = interrupted(tmp_path)
    part = _weekly_part(out)
    part.unlink()
    assert main(["resume", str(out), "--workers", "1", "--no-progress"]) == 0
    assert "is missing" in capsys.readouterr().out
    weekly = pd.read_parquet(out.with_name("r.weekly.parquet"))
    assert len(weekly) == RUNS * WEEKS and sorted(weekly["run"].unique()) == list(range(RUNS))


# --- 6: nothing beside --out is deleted or replaced without --force ---------------------
def _folder(path: Path) -> None:
    path.mkdir()
    (path / "mine.txt").write_text("a user's file")


@pytest.mark.parametrize("name, make", [
    ("keep.weekly.parquet", _folder),
    ("keep.failures.csv", lambda p: p.write_text("run,error\n")),
    ("keep.parts", _folder),
    ("keep.parquet", _folder),
])
def test_files_beside_out_are_kept_unless_forced(tmp_path, capsys, name, make):
    exp = write_exp(tmp_path)
    make(tmp_path / name)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert sweep(exp, tmp_path / "keep.parquet") == 2
    err = one_line(capsys)
    assert name in err and ("--force" in err or "--restart" in err)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before
    assert sweep(exp, tmp_path / "keep.parquet", "--force") == 0
    assert len(pd.read_parquet(tmp_path / "keep.parquet")) == RUNS


# --- 7: calibrate reads files with the limits of scenario files -----------------------
def _fifo(folder: Path) -> Path:
    path = folder / "fifo.toml"
    os.mkfifo(path)
    return path


def _deep(folder: Path) -> Path:
    path = folder / "deep.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    return path


def _big(folder: Path) -> Path:
    path = folder / "big.toml"
    with open(path, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    return path


def _extends(target) -> object:
    def make(folder: Path) -> Path:
        parent = target(folder)
        path = folder / "child.toml"
        path.write_text(f'extends = "{parent}"\n')
        return path
    return make


@pytest.mark.parametrize("make, words", [
    (_fifo, "not a regular file"),
    (lambda folder: Path("/dev/zero"), "not a regular file"),
    (_deep, "nested"),
    (_big, "bytes"),
    (lambda folder: folder, "not a regular file"),
    (_extends(_fifo), "not a regular file"),
    (_extends(lambda folder: Path("/dev/zero")), "not a regular file"),
    (_extends(_deep), "nested"),
], ids=["fifo", "dev-zero", "deep", "too large", "folder", "extends fifo",
        "extends dev-zero", "extends deep"])
def test_calibrate_reads_files_with_limits(tmp_path, capsys, make, words):
    path = make(tmp_path)
    assert main(["calibrate", str(path), "--trials", "0", "--no-progress"]) == 2
    err = one_line(capsys)
    assert words in err


# --- 8: after a full disk, the advice is a command that works ---------------------------
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_after_a_full_disk_the_advice_works(tmp_path, capsys, monkeypatch, suffix):
    out = tmp_path / f"c{suffix}"
    name = "write_csv" if suffix == ".csv" else "publish"
    real = getattr(store_module, name)

    def full_disk(folder, target, *rest):
        if ".weekly." in Path(target).name:  # the runs table is written, the weekly is not
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(folder, target, *rest)

    monkeypatch.setattr(store_module, name, full_disk)
    assert sweep(write_exp(tmp_path), out) == 2
    err = one_line(capsys)
    advice = err.split("carry on with: ")[1].strip()
    assert advice == f"coprod-sim resume {out}"
    monkeypatch.setattr(store_module, name, real)
    assert main(advice.split()[1:] + ["--workers", "1", "--no-progress"]) == 0
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    assert len(read(out)) == RUNS
    assert len(read(tmp_path / f"c.weekly{suffix}")) == RUNS * WEEKS


# --- a script without a __main__ guard gets one clear line -------------------------------
UNGUARDED = {
    "evaluate": ("import pandas as pd\nfrom coprod_sim.experiments import evaluate\n"
                 "evaluate(pd.DataFrame({'power_sharing': [0.2, 0.8]}), seeds=2, weeks=3,\n"
                 "         base='default', workers=2)\n"),
    "run_experiment": ("from coprod_sim.experiments import experiment_from_dict, "
                       "run_experiment\n"
                       "exp = experiment_from_dict({'weeks': 3, 'set': {'n_people': 40},\n"
                       "    'factors': {'power_sharing': [0.2, 0.5, 0.8]}, 'replicates': 2})\n"
                       "r = run_experiment(exp, workers=2, progress=False)\n"
                       "print('returned with', r.runs_finished, 'runs')\n"),
}


@pytest.mark.parametrize("what", sorted(UNGUARDED))
def test_a_script_without_a_main_guard_gets_one_clear_line(tmp_path, what):
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(UNGUARDED[what])
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert done.returncode != 0 and "returned with" not in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert 'if __name__ == "__main__":' in last, done.stderr[-2000:]
    assert "BrokenProcessPool" not in done.stderr
