"""Nothing lost, nothing overwritten: sweeps under faults.

Finished results are never replaced by another experiment's, damaged
checkpoints give one line and a way out, a failed connection leaves nothing
behind, a killed sweep leaves no worker processes, a write error says how to
resume, and Dask workers that join late are used and lost ones reported.
"""

import errno
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from coprod_sim.cli import UsageError, main
from coprod_sim.experiments import backends as execute_module
from coprod_sim.experiments import experiment_from_dict, resume, run_experiment
from coprod_sim.experiments import store as store_module
from coprod_sim.fileio import atomic_write

ROOT = Path(__file__).resolve().parents[1]
GRID = """name = "{name}"
weeks = 4
replicates = 2
seed = {seed}
[set]
n_people = 40
[factors]
power_sharing = [0.1, 0.5, 0.9]
"""


def write_exp(folder: Path, name="a", seed=1) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(GRID.format(name=name, seed=seed))
    return path


def sweep(exp: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(exp), "--workers", "1", "--no-progress", "--out", str(out),
                 *extra])


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- finished results are not replaced -------------------------------------------
def test_sweep_onto_another_experiments_results_refuses_until_forced(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert sweep(write_exp(tmp_path, "a"), out) == 0
    before = pd.read_parquet(out).sort_values("run").reset_index(drop=True)
    capsys.readouterr()
    assert sweep(write_exp(tmp_path, "b", seed=2), out) == 2
    err = one_line(capsys)
    assert "finished results of a different experiment ('a'" in err and "--force" in err
    after = pd.read_parquet(out).sort_values("run").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)  # untouched
    assert sweep(write_exp(tmp_path, "b", seed=2), out, "--force") == 0
    assert '"name": "b"' in (tmp_path / "r.manifest.json").read_text()


def test_same_experiment_again_does_nothing_and_says_so(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    exp = write_exp(tmp_path)
    assert sweep(exp, out) == 0
    capsys.readouterr()
    assert sweep(exp, out) == 0
    assert "nothing to run" in capsys.readouterr().out


def test_a_file_that_is_not_results_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    out.write_text("precious")
    assert sweep(write_exp(tmp_path), out) == 2
    assert "not the results of a sweep" in one_line(capsys)
    assert out.read_text() == "precious"


# --- damaged checkpoints -------------------------------------------------------------
def interrupted(tmp_path: Path) -> Path:
    out = tmp_path / "r.parquet"

    def stop(done, total):
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(write_exp(tmp_path), out, workers=1, chunk_size=2, progress=False,
                       on_chunk=stop)
    return out


@pytest.mark.parametrize("damage,words", [
    (lambda parts: (parts / "plan.json").unlink(), "has no plan.json"),
    (lambda parts: (parts / "plan.json").write_text('{"fingerprint": '), "cannot be read"),
    (lambda parts: (parts / "plan.json").write_text("[1, 2]"), "is not a stored plan"),
])
def test_a_damaged_checkpoint_gives_one_line_and_a_way_out(tmp_path, capsys, damage, words):
    out = interrupted(tmp_path)
    damage(tmp_path / "r.parts")
    assert main(["resume", str(out)]) == 2
    err = one_line(capsys)
    assert words in err and "--restart" in err
    assert sweep(write_exp(tmp_path), out) == 2
    assert words in one_line(capsys)
    assert sweep(write_exp(tmp_path), out, "--restart") == 0  # the way out works
    assert len(pd.read_parquet(out)) == 6 and not (tmp_path / "r.parts").exists()


def test_a_truncated_part_file_is_run_again(tmp_path, capsys):
    expected = run_experiment(experiment_from_dict({
        "name": "a", "weeks": 4, "replicates": 2, "seed": 1, "set": {"n_people": 40},
        "factors": {"power_sharing": [0.1, 0.5, 0.9]}}), workers=1, progress=False)
    out = interrupted(tmp_path)
    part = next((tmp_path / "r.parts" / "runs").glob("part-*.parquet"))
    part.write_bytes(part.read_bytes()[:100])
    assert main(["resume", str(out), "--workers", "1", "--no-progress"]) == 0
    assert "was damaged" in capsys.readouterr().out
    got = pd.read_parquet(out).sort_values("run").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.runs)


def test_a_damaged_results_table_is_one_line(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert sweep(write_exp(tmp_path), out) == 0
    part = next(out.glob("part-*.parquet"))
    part.write_bytes(b"PAR1 not really")
    assert main(["reproduce", str(out), "--run", "1"]) == 2
    assert "damaged" in one_line(capsys)


# --- connections and write errors ------------------------------------------------------
def test_a_failed_scheduler_connection_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(execute_module, "CONNECT_TIMEOUT", "1s")
    exp = write_exp(tmp_path)
    code = sweep(exp, tmp_path / "out" / "r.parquet", "--scheduler",
                 f"tcp://127.0.0.1:{free_port()}")
    assert code == 2
    assert "could not reach the Dask scheduler" in one_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml"]


def test_a_write_error_mid_run_says_how_to_resume(tmp_path, capsys, monkeypatch):
    real = store_module.write_part
    calls = []

    def full_disk(folder, stem, table):
        calls.append(stem)
        if len(calls) == 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(folder / f"{stem}.tmp"))
        return real(folder, stem, table)

    monkeypatch.setattr(store_module, "write_part", full_disk)
    out = tmp_path / "r.parquet"
    assert sweep(write_exp(tmp_path), out, "--chunk-size", "1") == 2
    err = one_line(capsys)
    assert "No space left on device" in err and f"coprod-sim resume {out}" in err
    monkeypatch.setattr(store_module, "write_part", real)
    assert main(["resume", str(out), "--workers", "1", "--no-progress"]) == 0
    assert len(pd.read_parquet(out)) == 6


# --- file permissions and names ---------------------------------------------------------
def test_files_honour_the_umask_and_keep_a_replaced_files_mode(tmp_path):
    old = os.umask(0o022)
    try:
        new = atomic_write(tmp_path / "new.txt", "a")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        os.umask(0o027)
        assert stat.S_IMODE(atomic_write(tmp_path / "other.txt", "a").stat().st_mode) == 0o640
        kept = tmp_path / "kept.txt"
        kept.write_text("x")
        kept.chmod(0o664)
        atomic_write(kept, "y")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o664 and kept.read_text() == "y"
    finally:
        os.umask(old)


def test_sweep_outputs_are_not_private_files(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "r.parquet"
        run_experiment(write_exp(tmp_path), out, workers=1, progress=False)
    finally:
        os.umask(old)
    for path in [tmp_path / "r.manifest.json", *out.glob("*.parquet")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_errors_name_the_target_file_not_a_temporary_one(tmp_path):
    def broken(tmp):
        raise OSError(errno.EIO, "Input/output error", tmp)

    with pytest.raises(OSError) as info:
        atomic_write(tmp_path / "table.parquet", b"", writer=broken)
    assert info.value.filename == str(tmp_path / "table.parquet")
    assert not list(tmp_path.glob(".*tmp"))


# --- killing the sweep leaves no processes -----------------------------------------------
def _descendants(pid: int) -> list:
    psutil = pytest.importorskip("psutil")
    return psutil.Process(pid).children(recursive=True)


def _gone(procs, timeout: float = 20.0) -> list:
    psutil = pytest.importorskip("psutil")
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive and time.monotonic() < deadline:
        still = []
        for p in alive:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    still.append(p)
            except psutil.NoSuchProcess:
                pass
        alive = still
        time.sleep(0.2)
    return alive


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killing_the_sweep_leaves_no_worker_processes(tmp_path, how):
    exp = tmp_path / "long.toml"
    exp.write_text(GRID.format(name="long", seed=1).replace("replicates = 2",
                                                            "replicates = 400"))
    out = tmp_path / "r.parquet"
    cli = "import sys; from coprod_sim.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", cli, "sweep", str(exp), "--workers", "2",
                             "--chunk-size", "2", "--no-progress", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "r.parts" / "runs").glob("part-*.parquet")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the sweep wrote nothing"
        time.sleep(0.1)
    workers = _descendants(proc.pid)
    assert len(workers) >= 2  # the worker processes (and the fork server, resource tracker)
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    left = _gone(workers)
    assert not left, f"still running after {how.name}: {[p.cmdline()[:3] for p in left]}"
    if how == signal.SIGTERM:
        assert proc.returncode == 130 and "coprod-sim resume" in err, err
    # what finished is kept and resumes
    assert list((tmp_path / "r.parts" / "runs").glob("part-*.parquet"))


# --- Dask: late workers, lost workers, versions -------------------------------------------
@pytest.fixture
def empty_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=0, threads_per_worker=1, processes=True,
                                       dashboard_address=None, scheduler_port=0)
    yield cluster
    cluster.close()


def test_dask_workers_that_join_later_get_the_work(tmp_path, empty_cluster):
    exp = write_exp(tmp_path)
    threading.Timer(1.0, lambda: empty_cluster.scale(1)).start()
    result = run_experiment(exp, tmp_path / "r.parquet", scheduler=empty_cluster,
                            chunk_size=1, progress=False)
    assert result.complete and len(result.runs) == 6


def test_losing_every_dask_worker_is_reported_with_how_to_resume(tmp_path, empty_cluster,
                                                                  monkeypatch):
    monkeypatch.setattr(execute_module, "WORKERS_GONE_AFTER", 2.0)
    monkeypatch.setattr(execute_module, "POLL_SECONDS", 0.5)
    empty_cluster.scale(1)
    empty_cluster.wait_for_workers(1, timeout=60)
    out = tmp_path / "r.parquet"

    def lose_workers(done, total):
        if done == 1:
            empty_cluster.scale(0)

    start = time.monotonic()
    with pytest.raises(UsageError, match="every Dask worker has gone") as info:
        run_experiment(write_exp(tmp_path), out, scheduler=empty_cluster, chunk_size=1,
                       progress=False, on_chunk=lose_workers)
    assert time.monotonic() - start < 60
    assert f"coprod-sim resume {out}" in str(info.value)
    empty_cluster.scale(1)
    again = resume(out, scheduler=empty_cluster, progress=False)
    assert again.complete and again.runs["run"].tolist() == list(range(6))


def test_workers_with_other_package_versions_are_refused():
    class Client:
        def get_versions(self, check=False):
            return {}

        def run(self, function):
            theirs = dict(function())
            theirs["numpy"] = "0.0.1"
            return {"tcp://10.0.0.9:4000": theirs}

    with pytest.raises(UsageError, match="numpy 0.0.1"):
        execute_module.check_versions(Client())


def test_a_checkpoint_stopped_as_it_started_is_simply_replaced(tmp_path):
    out = tmp_path / "r.parquet"
    (tmp_path / "r.parts" / "runs").mkdir(parents=True)  # no plan.json, nothing saved
    assert sweep(write_exp(tmp_path), out) == 0
    assert len(pd.read_parquet(out)) == 6


def test_work_is_cut_into_chunks_as_it_proceeds():
    import itertools
    pending = itertools.count()  # endless: nothing may list it whole
    chunks = execute_module.iter_chunks(pending, 10**12, lambda r: r, lambda: 2)
    first = next(chunks)
    assert first == list(range(len(first))) and len(first) == execute_module.MAX_CHUNK
    assert next(pending) == len(first)  # only one chunk was taken
