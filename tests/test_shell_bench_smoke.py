"""The shell benchmark runs end to end at the tiny size (a smoke check: no time is asserted)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_shell_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["shell"].run("tiny", tmp_path)
    assert len(rows) == 2
    for r in rows:
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
    assert "project show in the shell" in rows[0]["benchmark"] and rows[0]["met"] is None
    # the shell's lines print what the one-shot commands print
    assert [r["equal"] for r in rows] == [True, True]
