"""The verify benchmark runs end to end at the tiny size (a smoke check: no time is asserted), and checks
that ours and the raw floor verify the same events."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_verify_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["verify"].run("tiny", tmp_path)
    assert len(rows) == 6
    for r in rows:
        assert set(r) == {"benchmark", "ours", "baseline", "unit", "ratio", "goal", "met", "equal"}
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
    # verify and the raw floor read and hash the same events; the other rows compare ours with ours
    # (another route, another database size), where there is no baseline's result to compare
    assert [r["equal"] for r in rows] == [True, True, None, None, None, None]


def test_benchmark_database_verifies_and_has_the_size_asked(tmp_path):
    from bench.bench_verify import build_db
    from workflow import audit
    from workflow.db import make_engine

    info = build_db(tmp_path / "b.db", 500, per_project=50)
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}", readonly=True)
    report = audit.verify(engine)
    engine.dispose()
    assert info == {"events": 500, "projects": 10}
    assert report["ok"] and report["events"] == 500 and report["projects"] == 10
