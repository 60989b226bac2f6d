"""The listing benchmark runs end to end at the tiny size (a smoke check: no time is asserted)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_list_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["list"].run("tiny", tmp_path)
    assert len(rows) == 4
    for r in rows:
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
    assert "project list of 300 projects (--json)" in rows[2]["benchmark"]
    assert rows[1]["unit"] == "MiB"
    # the listing was checked: every project listed, the first as the baseline lists it
    assert all(r["equal"] is True for r in rows)
