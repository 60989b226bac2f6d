"""履约 in the yearly evaluation (docs/lights-and-reports.md, "履约扣分"): hand-worked units whose producing
projects are below their commitments or without a report lose the 履约 setting ``deduct_points`` each;
the setting is ledgered and effective-dated; every format shows it in English and Chinese; a close freezes
it, ``--from-history`` and ``report diff`` agree with it, and a close from before it still verifies."""

from __future__ import annotations

import json

from tests.stages import CHECK_ITEMS
from tests.test_verify_replay import tamper
from workflow import closing


def producing(cli, name: str, unit: str, on: str, *, commission: bool = True) -> str:
    """A project taken to production (or only to signed) with every step dated ``on``."""
    day = ("--on", on)
    code = cli("project", "add", "--name", name, "--investor", f"{name}公司", "--industry", "agriculture",
               "--investment", "5000万", "--unit", unit, "--no-key", *day, json=True, ok=True).json["code"]
    cli("advance", code, "submit", *day, ok=True)
    for item in CHECK_ITEMS:
        cli("check", code, item, "pass", *day, ok=True)
    cli("doc", "add", code, "committee_decision", f"县招委〔2026〕{code}号", *day, ok=True)
    cli("advance", code, "approve", *day, ok=True)
    cli("doc", "add", code, "contract", f"合同{code}", *day, ok=True)
    cli("advance", code, "sign", *day, ok=True)
    if commission:
        cli("capital", "add", code, "1000万", *day, ok=True)  # fires fund
        for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
            cli("doc", "add", code, kind, f"{kind}-{code}", *day, ok=True)
        cli("advance", code, "break_ground", *day, ok=True)
        cli("doc", "add", code, "completion_acceptance", f"验收-{code}", *day, ok=True)
        cli("advance", code, "commission", *day, ok=True)
    return code


def county(cli, year: int = 2026) -> dict[str, str]:
    """Evaluated ``year`` (Y), commitments of Y-1 (the year scored until Y's own actuals are due), every
    project signed on Y-01-05.  XH: M (tax 300万 a year, Y-1 actual 300万: met) and B (jobs 120, actual
    60: 50%, below), producing; N (output value 1亿, never reported: due until Y-03-31, then
    no_report), producing.  FGW: S (tax 100万, actual 10万: below), only signed, so not scored.
    Targets for Y: XH signs 2 (it signed 3: rate 1.5, capped at 1.2 → 120), FGW 1 (signed 1: 100)."""
    on = f"{year}-01-05"
    codes = {"M": producing(cli, "履约甲", "XH", on), "B": producing(cli, "履约乙", "XH", on),
             "N": producing(cli, "履约丙", "XH", on), "S": producing(cli, "履约丁", "FGW", on, commission=False)}
    last, day = str(year - 1), ("--on", f"{year}-02-01")
    cli("commitment", "add", codes["M"], "--kind", "tax", "--per-year", "300万", "--from", last, *day, ok=True)
    cli("commitment", "add", codes["B"], "--kind", "jobs", "--per-year", "120", "--from", last, *day, ok=True)
    cli("commitment", "add", codes["N"], "--kind", "output_value", "--per-year", "1亿", "--from", last, *day,
        ok=True)
    cli("commitment", "add", codes["S"], "--kind", "tax", "--per-year", "100万", "--from", last, *day, ok=True)
    day = ("--on", f"{year}-02-15")
    cli("performance", "add", codes["M"], "--year", last, "--kind", "tax", "300万", *day, ok=True)
    cli("performance", "add", codes["B"], "--year", last, "--kind", "jobs", "60", *day, ok=True)
    cli("performance", "add", codes["S"], "--year", last, "--kind", "tax", "10万", *day, ok=True)
    for unit, signed in (("XH", "2"), ("FGW", "1")):
        cli.admin("targets", "set", unit, str(year), "--signed", signed, "--reason", "年度目标", ok=True)
    return codes


ON = "2026-01-05"


def evaluation(cli, *extra: str) -> dict:
    return cli("report", "evaluation", "--period", "2026", *extra, json=True, ok=True).json


def scored(doc: dict) -> dict:
    return {u["unit"]: (u["performance_shortfalls"], u["performance_deduction"], u["score"]) for u in doc["units"]}


def set_points(cli, points: int, day: str) -> None:
    cli.admin("performance", "settings", f"deduct_points={points}", "--reason", "考评计入履约", "--from", day, ok=True)


def test_shortfalls_cost_deduct_points_each_from_the_setting_in_force(cli):
    county(cli)
    as_of = ("--as-of", "2026-06-30")
    base = evaluation(cli, *as_of)
    # M met, B below, N no_report (after 2026-03-31): 2 in XH; S is below but not producing
    assert scored(base) == {"XH": (2, 0, 120.0), "FGW": (0, 0, 100.0)}
    assert base["scoring"]["performance_deduction"] == {"points": 0, "met_pct": 80, "year": 2025}
    assert "履约" not in base["scoring"]["score"]  # off: the rule reads as before
    set_points(cli, 3, "2026-06-01")
    doc = evaluation(cli, *as_of)
    assert scored(doc) == {"XH": (2, 6, 114.0), "FGW": (0, 0, 100.0)}
    assert [(u["unit"], u["rank"]) for u in doc["units"]] == [("XH", 1), ("FGW", 2)]
    assert doc["scoring"]["performance_deduction"] == {"points": 3, "met_pct": 80, "year": 2025}
    assert doc["scoring"]["score"].endswith("less the problem deduction and the 履约 deduction")
    # an as-of date before the setting's --from keeps the figures in force then (0 points)
    assert scored(evaluation(cli, "--as-of", "2026-05-31")) == {"XH": (2, 0, 120.0), "FGW": (0, 0, 100.0)}
    # until the deadline of 2025's actuals N's is only due: B alone counts (one of two producing: 3 lower)
    set_points(cli, 3, ON)
    assert scored(evaluation(cli, "--as-of", "2026-03-31")) == {"XH": (1, 3, 117.0), "FGW": (0, 0, 100.0)}
    assert scored(evaluation(cli, "--as-of", "2026-04-01")) == {"XH": (2, 6, 114.0), "FGW": (0, 0, 100.0)}
    # met_pct in force on the as-of date decides: at 50% B (50%) meets it
    cli.admin("performance", "settings", "met_pct=50", "--reason", "放宽", "--from", "2026-06-15", ok=True)
    doc = evaluation(cli, *as_of)
    assert scored(doc)["XH"] == (1, 3, 117.0) and doc["scoring"]["performance_deduction"]["met_pct"] == 50
    # one unit: the same figures
    assert scored(evaluation(cli, *as_of, "--unit", "XH")) == {"XH": (1, 3, 117.0)}
    assert cli.admin("audit", "verify", json=True).code == 0


def test_the_year_scored_is_the_one_whose_actuals_are_due():
    from datetime import date

    from workflow.reports.kinds import performance_year
    from workflow.reports.windows import make_window

    def year(period: str, as_of: str, days: int = 90) -> int:
        return performance_year(make_window(period, date.fromisoformat(as_of), today=date(2030, 1, 1)), days)

    assert year("2026", "2026-12-31") == 2025  # 2026's actuals are due by 2027-03-31
    assert year("2025", "2026-03-31") == 2024  # the deadline day itself: not yet passed
    assert year("2025", "2026-04-01") == 2025
    assert year("2025", "2026-01-01", days=0) == 2025
    assert year("2026-Q2", "2026-06-30") == 2025


def test_the_setting_is_checked_shown_and_ledgered(cli):
    assert cli.admin("performance", "settings", "deduct_points=101", "--reason", "x").code == 2
    assert cli.admin("performance", "settings", "deduct_points=-1", "--reason", "x").code == 2
    assert cli("performance", "settings", "deduct_points=2", "--reason", "x").code == 6  # admin only
    assert cli("performance", "settings", json=True, ok=True).json == {"met_pct": 80, "report_days": 90,
                                                                       "deduct_points": 0}
    out = cli.admin("performance", "settings", "deduct_points=2", "--reason", "考评计入履约", json=True, ok=True).json
    assert out["deduct_points"] == 2
    assert "2 point(s) off a unit's score" in cli("performance", "settings", ok=True).err
    assert "扣所属单位 2 分" in cli("performance", "settings", lang="zh", ok=True).err
    tamper(cli, "UPDATE setting SET value = '9' WHERE key = 'performance.deduct_points'")
    assert cli.admin("audit", "verify", json=True).code == 7  # the ledger is the settings' truth


def test_every_format_shows_it_in_english_and_chinese(cli, tmp_path):
    county(cli)
    set_points(cli, 3, ON)
    args = ("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30")
    md = cli(*args, "--format", "md", ok=True).out
    assert "Performance deduction" in md and "Projects short of commitments" in md
    assert "履约扣分" in cli(*args, "--format", "md", lang="zh", ok=True).out
    table = cli(*args, ok=True).out
    assert "Performance" in table and "114.00" in table
    assert "履约扣分" in cli(*args, lang="zh", ok=True).out
    csv = cli(*args, "--format", "csv", ok=True).out
    header = csv.splitlines()[0]
    assert "Performance deduction" in header
    row = next(line for line in csv.splitlines() if line.startswith("1,XH"))
    assert row.endswith(",0,0,2,6")  # problems 0, problem deduction 0, shortfalls 2, deduction 6
    from openpyxl import load_workbook

    xlsx = tmp_path / "e.xlsx"
    cli(*args, "--format", "xlsx", "--output", str(xlsx), lang="zh", ok=True)
    rows = [[c.value for c in r] for r in load_workbook(xlsx).worksheets[0].iter_rows()]
    head = next(r for r in rows if "履约扣分" in r)
    xh = next(r for r in rows if "XH" in r)
    assert xh[head.index("履约扣分")] == 6 and xh[head.index("履约未达项目数")] == 2
    for fmt in ("html", "docx"):
        out = tmp_path / f"e.{fmt}"
        cli(*args, "--format", fmt, "--output", str(out), lang="zh", ok=True)
        assert out.stat().st_size > 0
    assert "履约扣分" in (tmp_path / "e.html").read_text(encoding="utf-8")
    en = tmp_path / "en.html"
    cli(*args, "--format", "html", "--output", str(en), ok=True)
    assert "Performance deduction" in en.read_text(encoding="utf-8")


def test_a_close_freezes_it_and_history_and_diff_agree(cli, service):
    from datetime import date

    from workflow import closed

    codes = county(cli, 2025)
    set_points(cli, 3, "2025-01-01")
    live = evaluation_of(cli, "2025")
    assert scored(live) == {"XH": (2, 6, 114.0), "FGW": (0, 0, 100.0)}  # as of 2025-12-31: 2024's check
    assert live["scoring"]["performance_deduction"] == {"points": 3, "met_pct": 80, "year": 2024}
    assert evaluation_of(cli, "2025", "--from-history") == live
    cli.admin("report", "close", "--period", "2025", "--reason", "年度考评已发布", ok=True)
    frozen = evaluation_of(cli, "2025")
    assert frozen.pop("closed") is True and frozen == live
    md = cli("report", "evaluation", "--period", "2025", "--format", "md", ok=True).out
    assert "Performance deduction" in md
    assert cli("report", "diff", "--period", "2025", "--report", "evaluation", json=True,
               ok=True).json["changes"] == []
    # a late actual (补录) of N's output value: the live figures move, the frozen ones do not
    with closed.late("补报实绩"):
        service.add_performance(codes["N"], 2024, "output_value", "9000万", on=date(2025, 3, 1))
    assert evaluation_of(cli, "2025") == {**live, "closed": True}
    changes = {c["path"]: (c["frozen"], c["now"]) for c in cli("report", "diff", "--period", "2025", "--report",
                                                                  "evaluation", json=True, ok=True).json["changes"]}
    assert changes["units[XH].performance_shortfalls"] == (2, 1)
    assert changes["units[XH].performance_deduction"] == (6, 3)
    assert changes["units[XH].score"] == (114.0, 117.0)
    lines = cli("report", "diff", "--period", "2025", "--report", "evaluation", lang="zh", ok=True).out
    assert "履约扣分 6 → 3" in lines
    assert cli.admin("audit", "verify", json=True).code == 0  # the close recomputed from history before it


def test_a_close_from_before_the_deduction_is_no_change_and_still_verifies(cli):
    from workflow import closes_check

    county(cli, 2025)
    set_points(cli, 3, "2025-01-01")
    cli.admin("report", "close", "--period", "2025", ok=True)
    entry = closing_entry(cli, "2025")
    again = {"evaluation": {lang: doc for lang, doc in entry["reports"]["evaluation"].items()}}
    old = json.loads(json.dumps(again))  # a close written before the evaluation had the 履约 figures
    for doc in old["evaluation"].values():
        doc["scoring"].pop("performance_deduction")
        for u in doc["units"]:
            u.pop("performance_shortfalls")
            u.pop("performance_deduction")
    found: list = []
    assert closes_check._compare(lambda *a: found.append(a), 1, "2025", old, again, 20) == 0 and not found
    flat_old, flat_new = closing.flat(old["evaluation"]["en"]), closing.flat(again["evaluation"]["en"])
    assert closing.gained("units[XH].performance_shortfalls", flat_old)
    assert closing.gained("scoring.performance_deduction.points", flat_old)
    assert not closing.gained("units[XH].score", flat_old)
    # a close that has them compares them: one taken away is a difference
    partial = json.loads(json.dumps(again))
    partial["evaluation"]["en"]["units"][0].pop("performance_deduction")
    assert closes_check._compare(lambda *a: found.append(a), 1, "2025", partial, again, 20) == 1
    assert not closing.gained("units[XH].performance_shortfalls", flat_new)


def evaluation_of(cli, period: str, *extra: str) -> dict:
    return cli("report", "evaluation", "--period", period, *extra, json=True, ok=True).json


def closing_entry(cli, label: str) -> dict:
    from sqlalchemy import create_engine, select

    from workflow.tables import ledger as L

    engine = create_engine(cli.url_for(None))
    with engine.connect() as conn:
        payload = conn.execute(select(L.c.payload).where(L.c.kind == "period_closed", L.c.target == label)
                               .order_by(L.c.seq.desc())).scalars().first()
    engine.dispose()
    return json.loads(payload) if isinstance(payload, str) else payload


def test_a_producing_project_that_met_its_commitments_has_no_light_in_the_bulletin(cli):
    """A producing project whose 履约 check finds nothing has no light; the bulletin (which reads the
    lights' colors alone) counted it without a KeyError."""
    codes = county(cli)
    doc = cli("report", "bulletin", "--period", "2026-B3", "--as-of", "2026-06-30", json=True, ok=True).json
    shown = cli("project", "show", codes["M"], json=True, ok=True).json
    assert shown["light"] is None
    warned = cli("warnings", "--as-of", "2026-06-30", json=True, ok=True).json["projects"]
    assert codes["M"] not in {p["code"] for p in warned} and {codes["B"], codes["N"]} <= {p["code"] for p in warned}
    assert (doc["totals"]["red"], doc["totals"]["yellow"]) == (sum(p["light"] == "red" for p in warned),
                                                               sum(p["light"] == "yellow" for p in warned))
