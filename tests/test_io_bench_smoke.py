"""The import benchmark runs end to end at the tiny size (a smoke check: no time is asserted)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_import_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    mod = bench_main.discover()["import"]
    rows = mod.run("tiny", tmp_path)
    assert len(rows) == 4
    for r in rows:
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
    # ours and the floor stored the same projects (codes, names, investors, units)
    assert [r.get("equal") for r in rows[:3]] == [True, True, True] and rows[2]["met"] is None
    assert "import 500 rows" in rows[0]["benchmark"]
    memory = rows[3]
    assert memory["unit"] == "MiB" and memory["goal"] == "≤ 200 MiB"
    assert memory.get("equal") is None  # ours against ours at another size: no baseline's result
    assert "2,000 rows (8,000 events) vs 1,000 rows (4,000 events)" in memory["benchmark"]
