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
        assert "300 projects" in r["benchmark"]
    assert rows[0]["equal"] is True  # every figure equal to the hand-written SQL's
    # the DOCX is our own bulletin in another form (read back for its title and charts), not a baseline
    assert "DOCX" in rows[1]["benchmark"] and rows[1]["goal"] == "≤ 3×" and rows[1]["equal"] is None


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


def test_baseline_checks_progress_and_signed_investment(tmp_path):
    """The generated county has yearly plans, so the bulletin's planned progress has figures; the
    hand-written SQL gives the same progress, signed investment and lights (the progress rule
    included, under other thresholds too), and the benchmark refuses any difference."""
    import copy
    from datetime import date

    from bench.bench_report import baseline, check_equal, generate
    from bench.common import init_db
    from workflow import reports
    from workflow.db import make_engine
    from workflow.lights import Thresholds

    url = init_db(tmp_path / "c.db")
    generate(url, 400, seed=5)
    engine = make_engine(url, write=False)
    year = date.today().year - 1
    as_of = date(year, 12, 31)
    reds = []
    for t in (Thresholds(), Thresholds(progress_yellow_points=100, progress_red_points=100),
              Thresholds(progress_yellow_points=0, progress_red_points=0),
              Thresholds(progress_ratio_rule=1, progress_by_day=1)):
        doc, ref = reports.bulletin(engine, str(year), thresholds=t), baseline(engine, year, as_of, t)
        check_equal(doc, ref)
        reds.append(doc["totals"]["red"])
    assert reds[1] < reds[0] <= reds[2]  # the progress rule moves the red count, and the SQL follows it
    t = Thresholds()
    doc, ref = reports.bulletin(engine, str(year), thresholds=t), baseline(engine, year, as_of, t)
    engine.dispose()
    tot = doc["progress"]["totals"]
    assert tot["projects"] > 0 and tot["year_plan"]["amount_minor"] > tot["completed"]["amount_minor"] > 0
    assert tot["planned_starts"] > tot["started"] > 0 and tot["starts_in_year"] > 0
    assert all(c["projects"] > 0 for c in doc["progress"]["categories"])
    assert doc["signed_investment"]["amount_minor"] > 0

    def refused(mutate, what):
        base, ours = copy.deepcopy(ref), copy.deepcopy(doc)
        mutate(base, ours)
        with pytest.raises(AssertionError, match=what):
            check_equal(ours, base)

    refused(lambda b, o: b.update(signed_investment=b["signed_investment"] + 1), "signed investment")
    refused(lambda b, o: b["progress"]["totals"].update(started=0), "progress totals")
    refused(lambda b, o: b["progress"].update(time_progress=50.0), "progress time_progress")
    refused(lambda b, o: b["progress"]["units"]["U03"]["year_plan"].update(amount_minor=1), "U03")
    refused(lambda b, o: b["progress"]["categories"]["new"].update(starts_in_year=0), "new")
    refused(lambda b, o: b["progress"]["categories"]["continuing"].update(plan_rate=0.5), "continuing")
    # a unit the SQL found nothing for must show zeros in ours
    refused(lambda b, o: [u for u in o["progress"]["units"] if u["unit"] == "XH"][0].update(projects=1), "XH")
    refused(lambda b, o: b["now"]["U05"].update(red=b["now"]["U05"]["red"] + 1), "U05")


def test_baseline_computes_the_problem_and_promise_rules(tmp_path, monkeypatch):
    """The generated county has problems escalated past the ladder's red level and missed promised
    follow-ups on the year's last day, so both rules change the light counts: the hand-written SQL
    without either rule no longer equals our bulletin.  A stored ladder is followed by both.  The
    generator draws its dates up to today, so on some days a seed's county has every escalated
    problem's project red for another reason: the first seed whose county both rules change is used."""
    from datetime import date

    from bench import bench_report
    from bench.bench_report import baseline, check_equal, generate
    from bench.common import init_db
    from workflow import reports, supervision
    from workflow.db import make_engine
    from workflow.lights import Thresholds
    from workflow.service import Service
    from workflow.settings import Ladder

    year = date.today().year - 1
    as_of, t = date(year, 12, 31), Thresholds()
    sql = bench_report.SNAPSHOT_SQL
    rules = (("      OR escalated THEN", "      THEN"), ("      OR promised < :d THEN", "      THEN"))

    def without(rule: tuple[str, str], engine, doc) -> bool:
        """Whether the hand-written SQL without ``rule`` differs from our bulletin."""
        assert rule[0] in sql
        monkeypatch.setattr(bench_report, "SNAPSHOT_SQL", sql.replace(*rule))
        try:
            with pytest.raises(AssertionError, match="differs from the hand-written SQL"):
                check_equal(doc, baseline(engine, year, as_of, t))
        except pytest.fail.Exception:
            return False
        finally:
            monkeypatch.setattr(bench_report, "SNAPSHOT_SQL", sql)
        return True

    for seed in range(5, 11):
        url = init_db(tmp_path / f"c{seed}.db")
        generate(url, 400, seed=seed)
        engine = make_engine(url, write=False)
        with engine.connect() as conn:
            assert supervision.escalated(conn, as_of, Ladder())
            assert any(p["next_on"] < as_of for p in supervision.promises(conn, as_of).values())
        doc = reports.bulletin(engine, str(year), thresholds=t)
        check_equal(doc, baseline(engine, year, as_of, t))
        if all(without(rule, engine, doc) for rule in rules):
            break
        engine.dispose()
    else:
        pytest.fail("no generated county of seeds 5 to 10 has lights both rules change")
    # a ladder that escalates later: fewer reds in ours, and the SQL follows the stored figures
    Service(make_engine(url), "bench").set_ladder({"unit_head_days": 3650, "county_leader_days": 3650,
                                                    "top_leader_days": 3650}, reason="escalate later",
                                                   effective_on=date(year - 1, 1, 1))
    later = reports.bulletin(engine, str(year), thresholds=t)

    def reds(d):  # the year's and the year before's, over every unit
        return sum(u["red"] + u["previous"]["red"] for u in d["units"])

    assert reds(later) < reds(doc)
    check_equal(later, baseline(engine, year, as_of, t))
    engine.dispose()
