"""The report benchmark runs end to end at the tiny size: our bulletin equals the hand-written SQL's
figures (the benchmark checks it before timing); no time is asserted."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_report_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    mod = bench_main.discover()["report"]
    rows = mod.run("tiny", tmp_path)
    assert len(rows) == 2  # the bulletin against SQL; the DOCX bulletin against the JSON one
    for r in rows:
        assert r["ours"] > 0 and r["baseline"] > 0 and r["unit"] == "s"
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
        assert r["met"] in (True, False) and "300 projects" in r["benchmark"]
    assert "DOCX" in rows[1]["benchmark"] and rows[1]["goal"] == "≤ 3×"


def test_generated_county_reports_consistently(tmp_path):
    """On the generated county: the year's signed count equals the sum over its bulletin periods,
    and so do capital and investment (flows add up across periods)."""
    from datetime import date

    from bench.bench_report import generate
    from bench.common import init_db
    from workflow import reports
    from workflow.db import make_engine

    url = init_db(tmp_path / "c.db")
    generate(url, 400, seed=3)
    engine = make_engine(url, write=False)
    year = date.today().year - 1
    whole = reports.bulletin(engine, str(year))["totals"]
    parts = [reports.bulletin(engine, f"{year}-B{i}")["totals"] for i in range(1, 7)]
    assert whole["signed"] == sum(p["signed"] for p in parts) > 0
    for key in ("capital_in_place", "investment_completed"):
        for i, m in enumerate(whole[key]):
            assert m["amount_minor"] == sum(p[key][i]["amount_minor"] for p in parts)
    # the snapshot at the year's end is the one of its last two-month period
    assert whole["projects_by_stage"] == parts[-1]["projects_by_stage"]
    assert (whole["red"], whole["yellow"]) == (parts[-1]["red"], parts[-1]["yellow"])
    engine.dispose()
