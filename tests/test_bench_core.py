"""The core benchmarks run end to end at the tiny size (a smoke check: no time is asserted)."""

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
        assert r["met"] in (True, False)
