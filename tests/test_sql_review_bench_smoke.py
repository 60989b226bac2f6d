"""The sql_review benchmark (the review and the evaluation against hand-written SQL) runs end to end at
the tiny size (a smoke check: no time is asserted); its equality check bites; and ours and the baseline
agree on a copy of the demo county given what the demo lacks: year plans, problems at every level
(closed, extended, reopened), 履约 commitments and actuals, exchange rates, stored light thresholds,
ladder and 履约 settings, a unit without a target and a target revised later."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    from bench.common import demo_county

    return demo_county(300)


def test_rows_at_tiny_size(county, tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["sql_review"].run("tiny", tmp_path)
    assert [r["benchmark"].split(" --period")[0] for r in rows] == ["report review", "report evaluation"]
    for r in rows:
        assert r["equal"] is True and r["met"] is None
        assert r["ours"] > 0 and r["baseline"] > 0 and r["unit"] == "ms"
        assert "300 projects vs hand-written SQL" in r["benchmark"]
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])


def _engine(path):
    from workflow.db import make_engine

    return make_engine(f"sqlite:///{path}", write=False)


def test_the_check_bites(county, monkeypatch):
    from bench import bench_sql_review as b
    from workflow import clock

    engine = _engine(county)
    today = clock.today()
    try:
        b.check_county(engine, today)  # equal as it is
        # one amount of the review's baseline one fen off
        real = b.money_list
        monkeypatch.setattr(b, "money_list", lambda amounts: [
            {**m, "amount_minor": m["amount_minor"] + (i == 0)} for i, m in enumerate(real(amounts))])
        with pytest.raises(AssertionError, match="report review differs from the hand-written SQL"):
            b.check_county(engine, today)
        monkeypatch.undo()
        # the evaluation's cap one point higher: the scores of the units over 120% differ
        monkeypatch.setattr(b, "RATE_CAP", 1.21)
        with pytest.raises(AssertionError, match="report evaluation differs from the hand-written SQL"):
            b.check_county(engine, today)
        monkeypatch.undo()
        # a vacuous comparison is refused
        with pytest.raises(AssertionError, match="empty or zero"):
            b.not_vacuous("evaluation", {"units": []})
        with pytest.raises(AssertionError, match="empty or zero"):
            b.not_vacuous("review", {"totals": {"projects": 0}, "projects": []})
    finally:
        engine.dispose()


def _enrich(path, today: date) -> dict:
    """Add to the county what the demo lacks; returns what was added (codes, dates)."""
    from bench import bench_sql_review as b
    from bench.bench_office import period_for
    from workflow import rates, reports, targets
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(f"sqlite:///{path}")
    svc = Service(engine, "bench")
    half = period_for("review", today)
    as_of = b.window(half, today)[0].as_of
    year = as_of.year
    doc = reports.review(engine, half, today=today)
    whole = reports.review(engine, period_for("evaluation", today), today=today)["projects"]
    building = [p for p in whole if p["stage"] == "construction"]
    assert len(building) >= 6 and len(doc["projects"]) >= 6, "the demo county's reviews list projects"
    # year plans (one revised), dated early in the year: some behind time progress on the as-of date
    start = date(year, 1, 1)
    for k, p in enumerate(building[:6]):
        on = max(start, date.fromisoformat(p["construction_on"]))
        svc.edit_project(p["code"], {"year_plan": {year: (k + 1) * 50_000_000_00}}, on=on, reason="年度计划")
    svc.edit_project(building[0]["code"], {"year_plan": {year: 1_000_000}}, on=as_of, reason="调整计划")
    # problems owned by units, at every level on the review's and the evaluation's dates
    opened = []
    for k, p in enumerate(doc["projects"][:6]):
        on = date.fromisoformat(p["construction_on"] or p["production_on"])
        due = on + timedelta(days=(1, 2, 5)[k % 3])
        res = svc.add_problem(p["code"], f"用地问题{k}", kind="land", owner=p["unit"], due=due, on=on)
        opened.append((res["id"], on, due))
    pid, on, due = opened[1]
    svc.act_on_problem(pid, "close", "已解决", on=due)
    pid, on, due = opened[2]
    svc.act_on_problem(pid, "extend", "延期", on=on, to=due + timedelta(days=400))
    pid, on, due = opened[3]
    svc.act_on_problem(pid, "close", "已解决", on=due)
    svc.act_on_problem(pid, "reopen", "未解决", on=due + timedelta(days=1))
    # 履约: projects in production today with a commitment of last year, one reported below the bar
    producing = [p["code"] for p in whole if p["stage"] == "production"]
    assert len(producing) >= 2, "the demo county has projects in production this year"
    for code in producing[:2]:
        svc.add_commitment(code, "output_value", 100_000, year - 1, on=today)
    svc.add_performance(producing[0], year - 1, "output_value", 50_000, on=today)
    # on projects of the half-year in progress being built: planned milestones passed and due soon, a
    # key project without a lead leader, a promised follow-up missed, a groundbreaking corrected away
    # (green ones, so that each rule decides the light)
    lights = {p["code"]: p["light"] for p in reports.review(engine, later_half(today), today=today)["projects"]}
    later = [p for p in building if p["construction_on"] > as_of.isoformat() and lights.get(p["code"]) == "green"]
    assert len(later) >= 5, "the demo county has green projects that broke ground lately"
    svc.edit_project(later[0]["code"], {"plan": {"commission": (today - timedelta(days=3)).isoformat()}},
                     reason="计划投产")
    svc.edit_project(later[1]["code"], {"plan": {"commission": (today + timedelta(days=10)).isoformat()}},
                     reason="计划投产")
    # made key today (a lead leader is assigned today): on the ended half-year's date, key without one
    now = {p["code"]: p["stage"] for p in whole}
    made_key = next(p for p in doc["projects"] if now[p["code"]] == "construction" and not p["key"]
                    and p["light"] != "red")
    svc.edit_project(made_key["code"], {"key": True}, reason="列为重点")
    svc.add_followup(later[2]["code"], "约定复访", on=today - timedelta(days=5), next_on=today - timedelta(days=1))
    from sqlalchemy import text

    with engine.connect() as conn:
        seq = conn.execute(text("SELECT e.seq FROM event e JOIN project p ON p.id = e.project_id "
                                "WHERE p.code = :c AND e.to_stage = 'construction'"), {"c": later[3]["code"]}).scalar()
    svc.correct(later[3]["code"], seq, "误录开工")
    svc.set_performance({"deduct_points": 2}, reason="履约扣分", effective_on=date(year, 1, 1))
    svc.set_ladder({"deduct_points": 3}, reason="督办扣分", effective_on=date(year, 1, 1))
    svc.set_light_thresholds({"followup_yellow_days": 20, "progress_red_points": 20}, reason="从严",
                             effective_on=date(year, 1, 1))
    rates.set_rates(engine, "bench", year, {"USD": Decimal("7.1")}, reason="年度汇率")
    svc.add_unit("ZZ", "新设单位")  # no target: listed unranked
    unit = next(u["unit"] for u in reports.evaluation(engine, str(year), today=today)["units"] if u["rank"])
    targets.set_target(svc, unit, year, signed=1, reason="下年调整", effective_on=date(year + 1, 1, 1))
    engine.dispose()
    return {"producing": producing[:2], "corrected": later[3]["code"]}


def later_half(today: date) -> str:
    """The half-year in progress (the office rows review the one ended)."""
    return f"{today.year}-H2" if today.month > 6 else f"{today.year}-H1"


def test_equal_on_a_county_with_every_rule(county, tmp_path):
    from bench import bench_sql_review as b
    from workflow import clock

    today = clock.today()
    path = tmp_path / "county.db"
    shutil.copyfile(county, path)
    added = _enrich(path, today)
    engine = _engine(path)
    try:
        got = b.check_county(engine, today)
        year = today.year
        # also the half-year as of today (its projects in production have a 履约 light) and a quarter
        for kind, period in (("review", later_half(today)),
                             ("evaluation", f"{year}-Q1")):
            got[f"{kind} {period}"] = b.check_report(engine, kind, period, today)
    finally:
        engine.dispose()
    review, _ = got["review"]
    evaluation, _ = got["evaluation"]
    lights = {p["light"] for p in review["projects"]}
    assert {"red", "yellow"} <= lights
    assert review.get("exchange_rates") == {"USD": "7.1"}
    units = {u["unit"]: u for u in evaluation["units"]}
    assert units["ZZ"]["rank"] is None and units["ZZ"]["score"] is None
    assert sum(u["problems_escalated"] for u in units.values()) >= 2
    assert any(u["problem_deduction"] == 3 * u["problems_escalated"] > 0 for u in units.values())
    assert sum(u["performance_shortfalls"] for u in units.values()) >= 1
    assert any(u["performance_deduction"] >= 2 for u in units.values())
    assert evaluation["scoring"]["performance_deduction"]["points"] == 2
    later = [p for p in got[f"review {later_half(today)}"][0]["projects"] if p["code"] in added["producing"]]
    assert any(p["light"] == "red" for p in later)  # 履约 below: red in production
    listed = {p["code"] for p in got[f"review {later_half(today)}"][0]["projects"]}
    assert added["corrected"] not in listed  # its groundbreaking was corrected away
