"""The core benchmarks run end to end at the tiny size (a smoke check: no time is asserted), and their
baselines are checked to give the same results as ours."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["startup", "transitions"])
def test_benchmark_runs(tmp_path, name):
    from bench import __main__ as bench_main

    mod = bench_main.discover()[name]
    rows = mod.run("tiny", tmp_path)
    assert rows
    for r in rows:
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
    # every baseline was checked to do the same work: the same third-party modules loaded, and the
    # show floor printing the same card as `pipeline project show`
    assert all(r["equal"] is True for r in rows)
    if name == "startup":
        assert [r["old_baseline"] > 0 for r in rows[:2]] == [True, True]
        assert "plain script" in rows[2]["benchmark"] and "old_baseline" not in rows[2]
