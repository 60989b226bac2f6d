"""The rules benchmark runs end to end at the tiny size (a smoke check: no time is asserted).

It also checks itself: ``run`` raises when our matching and the SQL baseline's disagree."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_rules_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    mod = bench_main.discover()["rules"]
    [r] = mod.run("tiny", tmp_path)
    assert r["ours"] > 0 and r["baseline"] > 0
    assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
    assert r["equal"] is True  # the same first responsible people and team members as the SQL
    assert r["met"] is None and "reference, not a floor" in r["benchmark"]  # a reference has no goal
    assert "400 projects × 30 rules" in r["benchmark"]
