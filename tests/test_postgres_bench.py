"""The many-writers benchmark runs end to end at the tiny size on the session's PostgreSQL cluster
(a smoke check: no time is asserted)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_writers_benchmark_runs(pg_cluster, tmp_path, monkeypatch):
    from bench import bench_writers

    monkeypatch.setenv("PIPELINE_BENCH_PG", pg_cluster.url().replace("+psycopg", ""))
    rows = bench_writers.run("tiny", tmp_path)
    assert [r["benchmark"].split(" ")[0] for r in rows] == ["1", "4", "8", "8"]
    for r in rows:
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
        assert r["equal"] is True  # ours and raw psycopg wrote the same transitions
    # the benchmark cleans up after itself
    names = {n for (n,) in pg_cluster.execute("SELECT datname FROM pg_database")}
    assert not {"bench_writers_ours", "bench_writers_raw"} & names
