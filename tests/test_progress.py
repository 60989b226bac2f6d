"""Planned progress (序时进度): time progress by month and by day, the light at its boundaries (10/11
and 30/31 points behind), the relative rule, yearly plans on the write path, and the progress tables of
the bulletin and the dispatch report."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from workflow.errors import BadInput
from workflow.lights import RED, YELLOW, LightFacts, Thresholds, compute_light
from workflow.progress import parse_year_plans, time_progress

WAN = 10_000 * 100
PLAN = 1000 * WAN  # 1000万: every percentage point is 10万


def light(done_pct: int, as_of: date, t: Thresholds = Thresholds()):
    facts = LightFacts(stage="construction", stage_kind="active", stage_since=date(2026, 1, 5),
                       registered_on=date(2026, 1, 1), last_followup_on=as_of, key=False, has_lead_leader=False,
                       year_plan_minor=PLAN, year_done_minor=done_pct * PLAN // 100)
    return compute_light(facts, as_of, t)


def test_time_progress_by_month_and_by_day():
    assert time_progress(date(2026, 3, 1)) == Fraction(3, 12)
    assert time_progress(date(2026, 3, 31)) == Fraction(3, 12)
    assert time_progress(date(2026, 12, 31)) == 1
    assert time_progress(date(2026, 3, 14), by_day=True) == Fraction(73, 365)
    assert time_progress(date(2024, 12, 31), by_day=True) == 1  # leap year: 366 of 366


# By month: every day of June is 50% of the year.  By day: 26 May 2026 is day 146 of 365 = 40%.
MONTH_DAY = date(2026, 6, 15)
BY_DAY = date(2026, 5, 26)


@pytest.mark.parametrize(("as_of", "t", "time_pct"), [
    (MONTH_DAY, Thresholds(), 50),
    (BY_DAY, Thresholds(progress_by_day=1), 40),
])
@pytest.mark.parametrize(("behind", "color"), [(0, "green"), (10, "green"), (11, YELLOW), (30, YELLOW),
                                                (31, RED), (-20, "green")])
def test_light_at_the_boundaries(as_of, t, time_pct, behind, color):
    done = time_pct - behind
    got = light(done, as_of, t)
    assert got.color == color
    reasons = [r for r in got.reasons if r.code == "progress_behind"]
    if color == "green":
        assert not reasons
    else:
        (r,) = reasons
        # the reason gives both figures, in both languages
        assert f"{done:.1f}%" in r.en and f"time progress {time_pct:.1f}%" in r.en
        assert f"{behind:.1f} points behind" in r.en
        assert f"完成{done:.1f}%" in r.zh and f"序时进度{time_pct:.1f}%" in r.zh


def test_by_day_differs_from_by_month():
    # 26 May by month is 5/12 = 41.7%; 30% done is 11.7 points behind (yellow); by day 40%: 10 (green)
    assert light(30, BY_DAY).color == YELLOW
    assert light(30, BY_DAY, Thresholds(progress_by_day=1)).color == "green"


@pytest.mark.parametrize(("done", "color"), [(40, "green"), (39, YELLOW), (25, YELLOW), (24, RED)])
def test_relative_rule(done, color):
    t = Thresholds(progress_ratio_rule=1)  # yellow below 80% of time progress, red below 50%
    assert light(done, MONTH_DAY, t).color == color


def test_thresholds_are_checked():
    with pytest.raises(BadInput):
        Thresholds.from_mapping({"progress_yellow_points": 40, "progress_red_points": 30})
    with pytest.raises(BadInput):
        Thresholds.from_mapping({"progress_by_day": 2})
    with pytest.raises(BadInput):
        Thresholds.from_mapping({"progress_red_ratio_pct": 90})
    assert Thresholds.from_mapping({"progress_red_points": 25}).progress_red_points == 25


def test_parse_year_plans():
    assert parse_year_plans(["2026=8000万", "2027=1.2亿"]) == {2026: 8000 * WAN, 2027: 12000 * WAN}
    assert parse_year_plans("2026=8000万；2027=0") == {2026: 8000 * WAN, 2027: 0}
    for bad in (["2026"], ["26=5万"], ["2026=abc"], ["2026=5万", "2026=6万"], ["2026=100万美元"]):
        with pytest.raises(BadInput):
            parse_year_plans(bad)


# --- through the command line ---------------------------------------------------------------------


def _project(cli, unit="XH", investment="2亿", plan_bg=None, on="2026-01-05") -> str:
    args = ["project", "add", "--name", "东安金矿", "--investor", "东安矿业", "--industry", "mining",
            "--investment", investment, "--unit", unit, "--no-key", "--on", on, "--allow-duplicate"]
    if plan_bg:
        args += ["--plan", f"break_ground={plan_bg}"]
    return cli(*args, json=True, ok=True).json["code"]


def _to_construction(cli, code, on):
    cli("advance", code, "submit", "--on", "2026-01-06", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", code, item, "pass", "--on", "2026-01-06", ok=True)
    cli("doc", "add", code, "committee_decision", "CD-1", "--on", "2026-01-07", ok=True)
    cli("advance", code, "approve", "--on", "2026-01-07", ok=True)
    cli("doc", "add", code, "contract", "C-1", "--on", "2026-01-08", ok=True)
    cli("advance", code, "sign", "--on", "2026-01-08", ok=True)
    cli("capital", "add", code, "100万", "--on", "2026-01-09", ok=True)
    for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
        cli("doc", "add", code, kind, f"{kind}-1", "--on", on, ok=True)
    cli("advance", code, "break_ground", "--on", on, ok=True)


def test_year_plan_through_the_cli(cli):
    code = _project(cli)
    _to_construction(cli, code, "2026-02-01")
    cli("project", "edit", code, "--year-plan", "2026=1000万", "--year-plan", "2027=2000万", "--on", "2026-02-01",
        ok=True)
    cli("investment", "add", code, "300万", "--on", "2026-06-01", ok=True)
    cli("followup", "add", code, "现场调度", "--on", "2026-06-20", ok=True)
    view = cli("project", "show", code, "--as-of", "2026-06-30", json=True, ok=True).json
    assert view["year_plans"] == {"2026": {"amount_minor": 1000 * WAN, "currency": "CNY"},
                                  "2027": {"amount_minor": 2000 * WAN, "currency": "CNY"}}
    # June by month: 50%; 30% done: 20 points behind -> yellow, with both figures
    assert view["light"] == "yellow"
    assert any("30.0%" in r and "50.0%" in r for r in view["light_reasons"])
    # a day-based setting for one run: 30 June is day 181 of 365 = 49.6%: still yellow
    view = cli("project", "show", code, "--as-of", "2026-06-30", "--threshold", "progress_by_day=1", json=True,
               ok=True).json
    assert any("49.6%" in r for r in view["light_reasons"])
    # the plan is history: one year_plan event per year, and the same plan again changes nothing
    kinds = [e["kind"] for e in cli("history", code, json=True, ok=True).json["events"]]
    assert kinds.count("year_plan") == 2
    r = cli("project", "edit", code, "--year-plan", "2026=1000万", json=True)
    assert r.code == 2
    # a new plan replaces the old one from its effective date
    cli("project", "edit", code, "--year-plan", "2026=500万", "--on", "2026-06-25", ok=True)
    view = cli("project", "show", code, "--as-of", "2026-06-30", json=True, ok=True).json
    assert view["year_plans"]["2026"]["amount_minor"] == 500 * WAN
    assert view["light"] == "green"  # 60% done against 50%
    view = cli("project", "show", code, "--as-of", "2026-06-24", json=True, ok=True).json
    assert view["light"] == "yellow"  # the day before, the old plan was in force


@pytest.mark.parametrize("arg", ["2026", "2026=", "abc=5万", "2026=5万美元", "1800=5万"])
def test_bad_year_plans_exit_2(cli, arg):
    code = _project(cli)
    r = cli("project", "edit", code, "--year-plan", arg, json=True)
    assert r.code == 2, r.out
    assert "year_plan" not in [e["kind"] for e in cli("history", code, json=True, ok=True).json["events"]]


def test_bulletin_and_dispatch_progress(cli):
    a = _project(cli, "XH", plan_bg="2026-02-01")  # broke ground as planned: new construction
    _to_construction(cli, a, "2026-02-01")
    b = _project(cli, "FGW", plan_bg="2026-03-01")  # planned, not started: preparatory
    c = _project(cli, "XH", plan_bg="2026-09-01")  # planned after the as-of date: not yet due
    for code, plan in ((a, "1000万"), (b, "400万"), (c, "600万")):
        cli("project", "edit", code, "--year-plan", f"2026={plan}", "--on", "2026-02-01", ok=True)
    cli("investment", "add", a, "300万", "--on", "2026-05-01", ok=True)
    doc = cli("report", "bulletin", "--period", "2026-B3", "--as-of", "2026-06-30", json=True, ok=True).json
    p = doc["progress"]
    assert p["year"] == 2026 and p["time_progress"] == 50.0 and p["time_by"] == "month"
    tot = p["totals"]
    assert tot["year_plan"]["amount_minor"] == 2000 * WAN and tot["completed"]["amount_minor"] == 300 * WAN
    assert tot["plan_rate"] == 0.15 and tot["points"] == -35.0
    assert (tot["planned_starts"], tot["started"], tot["start_rate"]) == (2, 1, 0.5)
    xh = next(u for u in p["units"] if u["unit"] == "XH")
    assert xh["year_plan"]["amount_minor"] == 1600 * WAN and xh["plan_rate"] == round(300 / 1600, 4)
    assert (xh["planned_starts"], xh["started"], xh["start_rate"]) == (1, 1, 1.0)
    assert tot["starts_in_year"] == 1
    cats = {x["category"]: x for x in p["categories"]}
    assert cats["new"]["projects"] == 1 and cats["preparatory"]["projects"] == 2
    assert cats["continuing"]["projects"] == 0 and cats["completed"]["projects"] == 0
    disp = cli("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-06-30", json=True, ok=True).json
    assert disp["progress"]["totals"] == tot
    behind = {x["code"] for x in disp["projects"]
              if any(r["code"] == "progress_behind" for r in x["reasons_detail"])}
    assert a in behind  # 30% done against 50%: 20 points behind
    # the tables carry the progress sections
    md = cli("report", "bulletin", "--period", "2026-B3", "--as-of", "2026-06-30", "--format", "md", ok=True).out
    assert "Planned progress by unit" in md and "Start rate" in md and "Preparatory" in md


def test_import_year_plan_column_and_export(cli, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("项目名称,投资方,行业,计划总投资,责任单位,登记日期,年度计划投资\n"
                    "东安金矿,东安矿业,采矿业,3亿,XH,2026-01-05,2026=8000万;2027=1.2亿\n"
                    "宾馆建设项目,利源达公司,服务业,5000万,FGW,2026-01-05,\n", encoding="utf-8")
    res = cli("import", str(path), json=True, ok=True).json
    assert res["imported"] == 2
    view = cli("project", "show", "P-0001", json=True, ok=True).json
    assert view["year_plans"] == {"2026": {"amount_minor": 8000 * WAN, "currency": "CNY"},
                                  "2027": {"amount_minor": 12000 * WAN, "currency": "CNY"}}
    assert cli("project", "show", "P-0002", json=True, ok=True).json["year_plans"] == {}
    events = cli("history", "P-0001", json=True, ok=True).json["events"]
    assert [e["payload"]["year"] for e in events if e["kind"] == "year_plan"] == [2026, 2027]
    assert all(e["effective_on"] == "2026-01-05" for e in events if e["kind"] == "year_plan")
    out = tmp_path / "out.csv"
    cli("export", str(out), ok=True)
    text = out.read_text(encoding="utf-8-sig")
    assert "year_plan" in text.splitlines()[0] and "2026=80000000;2027=120000000" in text
    # a bad plan refuses the file, naming the line and the column
    bad = tmp_path / "bad.csv"
    bad.write_text("name,investor,industry,investment,unit,year_plan\nx,y,z,5000万,XH,2026:8000万\n",
                   encoding="utf-8")
    r = cli("import", str(bad), json=True)
    assert r.code == 2
    assert r.json["error"]["details"][0]["field"] == "year_plan"


def test_every_groundbreaking_of_the_year_counts_plan_or_not(cli):
    """``starts_in_year`` is every groundbreaking of the year: a project without a yearly plan and
    without a planned groundbreaking that broke ground still counts (not in the plan figures)."""
    a = _project(cli, "XH", plan_bg="2026-02-01")
    _to_construction(cli, a, "2026-02-01")
    cli("project", "edit", a, "--year-plan", "2026=1000万", "--on", "2026-02-01", ok=True)
    b = _project(cli, "FGW")  # no plan of any kind
    _to_construction(cli, b, "2026-03-01")
    p = cli("report", "bulletin", "--period", "2026-B3", "--as-of", "2026-06-30", json=True, ok=True).json["progress"]
    assert p["totals"]["starts_in_year"] == 2 and p["totals"]["projects"] == 1
    assert (p["totals"]["planned_starts"], p["totals"]["started"]) == (1, 1)
    fgw = next(u for u in p["units"] if u["unit"] == "FGW")
    assert fgw["starts_in_year"] == 1 and fgw["projects"] == 0 and fgw["year_plan"]["amount_minor"] == 0
