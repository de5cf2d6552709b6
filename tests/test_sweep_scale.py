"""Sweeps at scale: few large published files, chunks cut by time as well as by count."""

import pandas as pd
import pyarrow.parquet as pq
import pytest

from coprod_sim.experiments import (
    backends,
    experiment_from_dict,
    load_results,
    run_experiment,
    store,
)

SPEC = {"name": "scale", "weeks": 4, "replicates": 3, "seed": 9, "set": {"n_people": 40},
        "design": {"kind": "grid"}, "factors": {"power_sharing": [0.1, 0.4, 0.7, 0.9],
                                               "feedback_rationale": [False, True]}}


def test_published_tables_are_few_files_with_the_same_rows(tmp_path, monkeypatch):
    exp = experiment_from_dict(SPEC)
    in_memory = run_experiment(exp, workers=1, progress=False)
    monkeypatch.setattr(store, "ROWS_PER_FILE", 10)  # to see files and row groups split
    monkeypatch.setattr(store, "ROW_GROUP_BYTES", 1)
    out = tmp_path / "s.parquet"
    result = run_experiment(exp, out, workers=1, chunk_size=5, progress=False)
    runs_files = sorted(out.glob("part-*.parquet"))
    assert len(runs_files) == 3  # 24 runs, 10 rows a file; 5 chunks were written
    meta = pq.read_metadata(runs_files[0])
    assert meta.num_rows == 10 and meta.num_row_groups >= 1
    assert b"coprod_sim.constants_sha256" in pq.read_schema(runs_files[0]).metadata
    pd.testing.assert_frame_equal(load_results(out).runs, in_memory.runs)
    pd.testing.assert_frame_equal(pd.read_parquet(out).sort_values("run")
                                  .reset_index(drop=True), in_memory.runs)
    weekly = result.weekly
    pd.testing.assert_frame_equal(weekly, in_memory.weekly)
    assert len(list((tmp_path / "s.weekly.parquet").glob("*.parquet"))) == 24 * 4 // 10 + 1


def test_a_default_publish_is_one_file_per_table(tmp_path):
    out = tmp_path / "one.parquet"
    run_experiment(experiment_from_dict(SPEC), out, workers=1, chunk_size=3, progress=False)
    assert len(list(out.glob("*.parquet"))) == 1
    assert len(list((tmp_path / "one.weekly.parquet").glob("*.parquet"))) == 1


def _tasks(n_people, weeks):
    return lambda r: (r, "x", {"n_people": n_people, "weeks": weeks}, r)


@pytest.mark.parametrize("n_people, weeks, most", [
    (40, 8, backends.MAX_CHUNK),        # small runs: cut by count
    (5000, 52, 3),                      # about 10 s each at the cautious prior: by time
])
def test_chunks_are_cut_by_time_before_anything_is_timed(n_people, weeks, most):
    chunks = backends.iter_chunks(iter(range(10**6)), 10**6, _tasks(n_people, weeks),
                                  lambda: 2)
    assert len(next(chunks)) == most


def test_measured_pace_sets_the_chunk_size():
    pace = {"value": None}
    chunks = backends.iter_chunks(iter(range(10**6)), 10**6, _tasks(1000, 52), lambda: 2,
                                  pace=lambda: pace["value"])
    first = len(next(chunks))
    pace["value"] = 1e-3  # 52 s a run: every chunk is one run
    assert len(next(chunks)) == 1
    pace["value"] = 1e-7  # very fast: back to the count limit
    assert len(next(chunks)) == backends.MAX_CHUNK > first


def test_a_given_chunk_size_is_kept_whatever_the_cost():
    chunks = backends.iter_chunks(iter(range(100)), 100, _tasks(5000, 52), lambda: 2, 7)
    assert [len(c) for c in chunks] == [7] * 14 + [2]
