"""The export benchmark runs end to end at the tiny size (a smoke check: no time is asserted): the
export's workbook writer and openpyxl wrote equal workbooks before either was timed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_export_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["export"].run("tiny", tmp_path)
    assert len(rows) == 2
    writer, command = rows
    assert writer["equal"] is True and writer["ratio"] == pytest.approx(writer["ours"] / writer["baseline"])
    assert "300 projects" in writer["benchmark"] and "openpyxl" in writer["benchmark"]
    assert command["met"] is None and command["seconds"] == command["ours"] > 0
    assert (tmp_path / "cmd.xlsx").stat().st_size > 0
