"""Year to date (累计), 同比 and 环比, and exchange rates, from a small county worked out by hand
(docs/lights-and-reports.md, "Year to date, 同比 and 环比"; docs/money.md, "Exchange rates").

The county (units XH 新华镇 and FGW 发改局):

- P-0001, XH, 2亿: approved 2024-11-10, signed 2025-01-15; capital CNY 1000万 2025-02-10, CNY 500万
  2025-05-20, USD 100万 2025-09-10, CNY 2000万 2026-02-05, CNY 300万 2026-04-10, USD 50万 2026-09-15;
  ground broken 2025-06-01; investment CNY 3000万 2025-07-01, CNY 4000万 2026-05-10.
- P-0002, FGW, 5000万: approved 2025-03-05, signed 2025-03-20; capital CNY 200万 2025-04-02.
- P-0003, FGW, 1亿: approved 2026-01-10, signed 2026-03-25; capital USD 30万 2026-04-20.

Bulletin 2026-B2 (Mar–Apr 2026, as of 04-30):
  period      signed 1 (P3), agreed 1亿, CNY 300万, USD 30万, investment 0
  previous    2026-B1: signed 0, CNY 2000万, USD 0, investment 0
  YTD         Jan–Apr 2026: signed 1, agreed 1亿, CNY 2300万, USD 30万, investment 0
  last year   2025-B2: signed 1 (P2), agreed 5000万, CNY 200万, USD 0, investment 0
  YTD LY      Jan–Apr 2025: signed 2, agreed 2.5亿, CNY 1200万, USD 0, investment 0
  环比 CNY -1700万 (-85%); 同比 CNY +100万 (+50%); 累计同比 CNY +1100万 (+91.67%), signed -1 (-50%)
Dispatch 2026-Q2 (Apr–Jun 2026, as of 06-30):
  period      signed 0, CNY 300万, USD 30万, investment 4000万
  previous    2026-Q1: signed 1, agreed 1亿, CNY 2000万, USD 0, investment 0
  YTD         signed 1, agreed 1亿, CNY 2300万, USD 30万, investment 4000万
  last year   2025-Q2: signed 0, CNY 200万 + 500万 = 700万, USD 0, investment 0
  YTD LY      Jan–Jun 2025: signed 2, agreed 2.5亿, CNY 1700万, USD 0, investment 0
Review 2026-H1 (as of 06-30): period = YTD (as the dispatch's YTD); previous 2025-H2: signed 0,
  CNY 0, USD 100万, investment 3000万; last year 2025-H1 = YTD LY (as the dispatch's).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import pytest

from tests.conftest import ADMIN, COORD, Cli

WAN = 10_000 * 100  # one 万 in minor units


def D(text: str) -> date:
    return date.fromisoformat(text)


def build(db: str) -> None:
    from workflow.db import make_engine
    from workflow.service import Service

    c = Cli(db)
    c("init", actor=ADMIN, ok=True)
    c.admin("users", "add", COORD, "--role", "coordinator", ok=True)
    for code, name, kind in (("XH", "新华镇", "township"), ("FGW", "发改局", "department")):
        c.admin("units", "add", code, "--name", name, "--kind", kind, ok=True)
    c.admin("people", "add", "wang", "--name", "王县长", "--level", "county", "--title", "副县长", ok=True)
    engine = make_engine(f"sqlite:///{db}")
    s = Service(engine, COORD)
    admin = Service(engine, ADMIN)

    def add(name, unit, wan, on):
        code = s.add_project(name=name, investor="某公司", industry="矿业", investment_minor=wan * WAN, unit=unit,
                             on=D(on)).project.code
        admin.reassign(code, "lead_leader", "wang", reason="县政府分工", on=D(on))
        return code

    def approve(code, submit_on, approve_on):
        s.advance(code, "submit", on=D(submit_on))
        for item in ("industrial_policy", "environment", "energy", "land_use"):
            s.record_check(code, item, "pass", on=D(submit_on))
        s.add_document(code, "committee_decision", f"{code}-CD", on=D(approve_on))
        s.advance(code, "approve", on=D(approve_on))

    def sign(code, on):
        s.add_document(code, "contract", f"{code}-C", on=D(on))
        s.advance(code, "sign", on=D(on))

    p1 = add("翠宏山铁多金属矿", "XH", 20000, "2024-11-01")
    approve(p1, "2024-11-05", "2024-11-10")
    sign(p1, "2025-01-15")
    s.add_capital(p1, 1000 * WAN, "CNY", on=D("2025-02-10"))
    for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
        s.add_document(p1, kind, f"{p1}-{kind}", on=D("2025-05-30"))
    s.add_capital(p1, 500 * WAN, "CNY", on=D("2025-05-20"))
    s.advance(p1, "break_ground", on=D("2025-06-01"))
    s.add_investment(p1, 3000 * WAN, "CNY", on=D("2025-07-01"))
    s.add_capital(p1, 100 * WAN, "USD", on=D("2025-09-10"))
    s.add_capital(p1, 2000 * WAN, "CNY", on=D("2026-02-05"))
    s.add_capital(p1, 300 * WAN, "CNY", on=D("2026-04-10"))
    s.add_investment(p1, 4000 * WAN, "CNY", on=D("2026-05-10"))
    s.add_capital(p1, 50 * WAN, "USD", on=D("2026-09-15"))

    p2 = add("盛典蓝莓科技", "FGW", 5000, "2025-03-01")
    approve(p2, "2025-03-02", "2025-03-05")
    sign(p2, "2025-03-20")
    s.add_capital(p2, 200 * WAN, "CNY", on=D("2025-04-02"))

    p3 = add("博士慧风电", "FGW", 10000, "2026-01-05")
    approve(p3, "2026-01-06", "2026-01-10")
    sign(p3, "2026-03-25")
    s.add_capital(p3, 30 * WAN, "USD", on=D("2026-04-20"))
    engine.dispose()


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Cli:
    db = str(tmp_path_factory.mktemp("ytd") / "ytd.db")
    build(db)
    return Cli(db)


def F(signed=0, agreed=0, cny=0, usd=0, inv=0) -> dict:
    """Figures in the JSON form of a comparison (amounts given in 万)."""
    return {"signed": signed, "signed_investment": [{"amount_minor": agreed * WAN, "currency": "CNY"}],
            "capital_in_place": [{"amount_minor": cny * WAN, "currency": "CNY"},
                                 {"amount_minor": usd * WAN, "currency": "USD"}],
            "investment_completed": [{"amount_minor": inv * WAN, "currency": "CNY"}]}


BY_HAND = {
    ("bulletin", "2026-B2"): {
        "period": F(1, 10000, 300, 30), "previous": F(0, 0, 2000), "year_to_date": F(1, 10000, 2300, 30),
        "same_period_last_year": F(1, 5000, 200), "year_to_date_last_year": F(2, 25000, 1200)},
    ("dispatch", "2026-Q2"): {
        "period": F(0, 0, 300, 30, 4000), "previous": F(1, 10000, 2000), "year_to_date": F(1, 10000, 2300, 30, 4000),
        "same_period_last_year": F(0, 0, 700), "year_to_date_last_year": F(2, 25000, 1700)},
    ("review", "2026-H1"): {
        "period": F(1, 10000, 2300, 30, 4000), "previous": F(0, 0, 0, 100, 3000),
        "year_to_date": F(1, 10000, 2300, 30, 4000), "same_period_last_year": F(2, 25000, 1700),
        "year_to_date_last_year": F(2, 25000, 1700)},
}
WINDOWS = {
    "2026-B2": {"period": ("2026-03-01", "2026-04-30"), "previous": ("2026-01-01", "2026-02-28"),
                "year_to_date": ("2026-01-01", "2026-04-30"), "same_period_last_year": ("2025-03-01", "2025-04-30"),
                "year_to_date_last_year": ("2025-01-01", "2025-04-30")},
    "2026-Q2": {"period": ("2026-04-01", "2026-06-30"), "previous": ("2026-01-01", "2026-03-31"),
                "year_to_date": ("2026-01-01", "2026-06-30"), "same_period_last_year": ("2025-04-01", "2025-06-30"),
                "year_to_date_last_year": ("2025-01-01", "2025-06-30")},
    "2026-H1": {"period": ("2026-01-01", "2026-06-30"), "previous": ("2025-07-01", "2025-12-31"),
                "year_to_date": ("2026-01-01", "2026-06-30"), "same_period_last_year": ("2025-01-01", "2025-06-30"),
                "year_to_date_last_year": ("2025-01-01", "2025-06-30")},
}


@pytest.mark.parametrize(("kind", "period"), list(BY_HAND))
def test_json_figures_equal_the_hand_worked_ones(county, kind, period):
    doc = county("report", kind, "--period", period, json=True, ok=True).json
    c = doc["comparison"]
    for name, (start, end) in WINDOWS[period].items():
        assert (c["windows"][name]["start"], c["windows"][name]["end"]) == (start, end), name
        assert c["totals"][name] == BY_HAND[(kind, period)][name], name
    # per unit figures add up to the totals
    for name in WINDOWS[period]:
        for metric in ("signed",):
            assert sum(u[name][metric] for u in c["units"]) == c["totals"][name][metric]


def test_changes_and_rates_by_hand(county):
    c = county("report", "bulletin", "--period", "2026-B2", json=True, ok=True).json["comparison"]
    ch = c["totals"]["changes"]
    cny = {k: next(x for x in v["capital_in_place"] if x["currency"] == "CNY") for k, v in ch.items()}
    assert cny["month_on_month"] == {"amount_minor": -1700 * WAN, "currency": "CNY", "rate": -0.85}
    assert cny["year_on_year"] == {"amount_minor": 100 * WAN, "currency": "CNY", "rate": 0.5}
    assert cny["year_to_date_on_year"] == {"amount_minor": 1100 * WAN, "currency": "CNY", "rate": 0.9167}
    assert ch["year_to_date_on_year"]["signed"] == {"change": -1, "rate": -0.5}
    usd = next(x for x in ch["year_on_year"]["capital_in_place"] if x["currency"] == "USD")
    assert usd == {"amount_minor": 30 * WAN, "currency": "USD", "rate": None}  # none last year: no rate
    xh = next(u for u in c["units"] if u["unit"] == "XH")
    assert xh["year_to_date"] == F(0, 0, 2300) and xh["year_to_date_last_year"] == F(1, 20000, 1000)


def test_a_span_has_no_comparison(county):
    doc = county("report", "bulletin", "--period", "2025..2026", "--as-of", "2026-06-30", json=True, ok=True).json
    assert "comparison" not in doc and "series" in doc


def _ytd_rows(text_rows: list[list[str]]) -> dict[str, list[str]]:
    return {r[0]: r for r in text_rows if r}


@pytest.mark.parametrize(("kind", "period"), list(BY_HAND))
def test_every_table_format_gives_the_same_figures(county, tmp_path, kind, period):
    from openpyxl import load_workbook

    want = BY_HAND[(kind, period)]
    # md: the year-to-date table, amounts in 万 with two decimals
    md = county("report", kind, "--period", period, "--format", "md", ok=True).out
    part = md.split("## Year to date, year on year, period on period", 1)[1].split("##", 1)[0]
    rows = {cells[0]: cells for cells in ([c.strip() for c in line.strip("|").split("|")]
                                          for line in part.splitlines() if line.startswith("|"))}
    ytd = want["year_to_date"]
    assert rows["Year to date"][2:] == [str(ytd["signed"]), f"{ytd['signed_investment'][0]['amount_minor'] / WAN:,.2f}",
                                        f"{ytd['capital_in_place'][0]['amount_minor'] / WAN:,.2f}",
                                        f"{ytd['capital_in_place'][1]['amount_minor'] / WAN:,.2f}",
                                        f"{ytd['investment_completed'][0]['amount_minor'] / WAN:,.2f}"]
    ly = want["year_to_date_last_year"]
    assert rows["Year to date, last year"][4] == f"{ly['capital_in_place'][0]['amount_minor'] / WAN:,.2f}"
    # terminal (plain, not a tty): the same row
    term = county("report", kind, "--period", period, ok=True).out
    line = next(x for x in term.splitlines() if x.strip().startswith("Year to date ") and "2026-01-01" in x)
    assert f"{ytd['capital_in_place'][0]['amount_minor'] / WAN:,.2f}" in line
    # xlsx: numbers
    path = tmp_path / f"{kind}.xlsx"
    county("report", kind, "--period", period, "--format", "xlsx", "--output", path, ok=True)
    ws = load_workbook(path)["year_to_date"]
    xrows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=2)}
    assert xrows["Year to date"][2] == ytd["signed"]
    assert xrows["Year to date"][4] == pytest.approx(ytd["capital_in_place"][0]["amount_minor"] / WAN)
    assert xrows["Same period last year"][6] == pytest.approx(
        want["same_period_last_year"]["investment_completed"][0]["amount_minor"] / WAN)


def test_bulletin_csv_carries_the_year_to_date(county):
    out = county("report", "bulletin", "--period", "2026-B2", "--format", "csv", ok=True).out
    rows = list(csv.reader(io.StringIO(out)))
    header = rows[0]
    col = header.index("Year to date: Capital in place (10k CNY)")
    by_unit = {r[0]: r for r in rows[1:]}
    assert by_unit["XH"][col] == "2300.00" and by_unit["FGW"][col] == "0.00" and by_unit["Total"][col] == "2300.00"
    assert by_unit["Total"][header.index("Year to date: Signed")] == "1"


def _document(county, tmp_path, kind, period, fmt, lang="zh") -> str:
    out = tmp_path / f"{kind}.{fmt}"
    county("report", kind, "--period", period, "--format", fmt, "--output", out, lang=lang, ok=True)
    if fmt == "docx":
        with zipfile.ZipFile(out) as z:
            return re.sub(r"<[^>]+>", "", z.read("word/document.xml").decode("utf-8"))
    return re.sub(r"<[^>]+>", "", out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_documents_lead_with_the_year_to_date_and_state_currencies_apart(county, tmp_path, fmt):
    text = _document(county, tmp_path, "bulletin", "2026-B2", fmt)
    assert ("2026年1—4月累计，全县新签约项目1个，同比下降50%；协议总投资1亿元；到位资金2300万元，同比增长91.7%；"
            "利用外资30万美元；完成投资0万元。") in text
    assert ("其中2026年3—4月，新签约项目1个，同比持平；协议总投资1亿元；到位资金300万元，同比增长50%，环比下降85%；"
            "利用外资30万美元；完成投资0万元。") in text
    assert "其中利用外资" not in text and "-%" not in text and "计划投资0" not in text
    # the tables: the year-to-date section is there too; no targets: chart 1 is the year to date by unit
    assert "累计、同比、环比" in text and "2,300.00" in text
    assert "图1 各单位累计到位资金（万元；本年度未设目标）" in text


def test_a_stored_rate_converts_with_the_rate_stated_and_whole_per_cent(tmp_path):
    db = str(tmp_path / "rated.db")
    build(db)
    c = Cli(db)
    assert c("rates", "set", "2026", "USD=7.1", "--reason", "年度平均汇率", actor=COORD).code == 6  # admin only
    assert c.admin("rates", "set", "2026", "USD=7.1").code == 2  # a reason is required
    c.admin("rates", "set", "2026", "USD=7.10", "--reason", "年度平均汇率", ok=True)
    doc = c("report", "bulletin", "--period", "2026-B2", json=True, ok=True).json
    assert doc["exchange_rates"] == {"USD": "7.10"}
    text = _document(c, tmp_path, "bulletin", "2026-B2", "html")
    # 30万 USD × 7.10 = 213万 CNY, stated beside the dollars, never added to the yuan
    assert "到位资金2300万元，同比增长91.7%；利用外资30万美元（按2026年汇率1美元兑7.10元人民币折算，合213万元）" in text
    c.admin("documents", "set", "percent_decimals=0", "--from", "2026-01-01", "--reason", "本县写整数百分比",
            ok=True)
    text = _document(c, tmp_path, "bulletin", "2026-B2", "html")
    assert "到位资金2300万元，同比增长92%" in text
    en = _document(c, tmp_path, "bulletin", "2026-B2", "html", lang="en")
    assert "foreign capital USD 0.3 million (CNY 2.13 million at the 2026 rate of CNY 7.10 per US dollar)" in en
    assert c.admin("documents", "set", "percent_decimals=3", "--reason", "x").code == 2
    # the rate and the setting are set-up ledger entries that verify
    assert c("audit", "verify", json=True, ok=True).json["ok"] is True


def test_evaluation_measures_the_year_to_date_against_the_year_target(county, tmp_path):
    db = str(tmp_path / "targets.db")
    build(db)
    c = Cli(db)
    c.admin("targets", "set", "XH", "2026", "--capital", "1亿", "--reason", "年度目标", ok=True)
    doc = c("report", "evaluation", "--period", "2026-B2", json=True, ok=True).json
    xh = next(u for u in doc["units"] if u["unit"] == "XH")
    # January–April: 2000万 + 300万 = 2300万 of 1亿 (not B2's 300万 alone)
    assert xh["targets"][0]["actual"] == {"amount_minor": 2300 * WAN, "currency": "CNY"}
    assert xh["targets"][0]["rate"] == 0.23
    assert (doc["actual_from"], doc["actual_to"]) == ("2026-01-01", "2026-04-30")
    year = c("report", "evaluation", "--period", "2026", "--as-of", "2026-04-30", json=True, ok=True).json
    assert next(u for u in year["units"] if u["unit"] == "XH")["targets"][0]["rate"] == 0.23


def test_rates_set_and_show(tmp_path):
    c = Cli(str(tmp_path / "r.db"))
    c("init", actor=ADMIN, ok=True)
    assert c("rates", "show", json=True, ok=True).json == {"rates": []}
    assert "no exchange rates set" in c("rates", "show", ok=True).err
    c.admin("rates", "set", "2025", "USD=7.12", "--reason", "年度平均汇率", ok=True)
    c.admin("rates", "set", "2024", "USD=7.1", "--reason", "年度平均汇率", ok=True)
    c.admin("rates", "set", "2025", "usd=7.18", "--reason", "更正", ok=True)  # replaces 2025's
    rows = c("rates", "show", json=True, ok=True).json["rates"]
    assert [(r["year"], r["currency"], r["rate"]) for r in rows] == [(2024, "USD", "7.1"), (2025, "USD", "7.18")]
    assert [r["year"] for r in c("rates", "show", "--year", "2025", json=True, ok=True).json["rates"]] == [2025]
    for bad in ("USD=0", "USD=-1", "USD=abc", "USD=7.1234567", "USD=10000", "EUR=7.8", "CNY=1", "USD", "=7"):
        r = c.admin("rates", "set", "2025", bad, "--reason", "x")
        assert r.code == 2, (bad, r.err)
        assert "Traceback" not in r.err
    assert c.admin("rates", "set", "99999", "USD=7", "--reason", "x").code == 2
    zh = c.admin("rates", "set", "2025", "EUR=7.8", "--reason", "x", lang="zh")
    assert zh.code == 2 and "不能为" in zh.err
    assert [r["rate"] for r in c("rates", "show", json=True, ok=True).json["rates"]] == ["7.1", "7.18"]
    assert c("audit", "verify", json=True, ok=True).json["ok"] is True


def test_a_planned_investment_in_dollars_is_valued_at_the_registration_years_rate(tmp_path):
    c = Cli(str(tmp_path / "usd.db"))
    c("init", actor=ADMIN, ok=True)
    c.admin("users", "add", COORD, "--role", "coordinator", ok=True)
    c.admin("units", "add", "XH", "--name", "新华镇", "--kind", "township", ok=True)
    add = ("project", "add", "--investor", "某外资公司", "--industry", "装备制造", "--unit", "XH")
    # no rate for 2025: refused clearly, nothing registered
    r = c(*add, "--name", "外资项目", "--investment", "1500万美元", "--on", "2025-03-01")
    assert r.code == 3 and "no USD rate is set for 2025" in r.err and "pipeline rates set 2025" in r.err
    assert c("project", "list", json=True, ok=True).json["projects"] == []
    c.admin("rates", "set", "2025", "USD=7.12", "--reason", "年度平均汇率", ok=True)
    c.admin("rates", "set", "2026", "USD=6.5", "--reason", "年度平均汇率", ok=True)
    big = c(*add, "--name", "外资项目", "--investment", "1500万美元", "--on", "2025-03-01", json=True, ok=True).json
    # 1500万 × 7.12 = 10,680万元 ≥ 1亿: key, by the registration year's rate (not 2026's 6.5: 9,750万)
    assert big["planned_investment"] == {"amount_minor": 10_680 * WAN, "currency": "CNY"} and big["key"] is True
    small = c(*add, "--name", "小外资", "--investment", "1000万美元", "--on", "2026-03-01", json=True, ok=True).json
    assert small["planned_investment"]["amount_minor"] == 6_500 * WAN and small["key"] is False
    given = c("history", big["code"], json=True, ok=True).json["events"][0]["payload"]["planned_investment"]
    assert given == {"amount_minor": 1500 * WAN, "currency": "USD", "rate": "7.12"}
    assert c("audit", "verify", json=True, ok=True).json["ok"] is True
    assert c("project", "add", "--name", "人民币项目", "--investor", "某公司", "--industry", "装备制造", "--unit", "XH",
             "--investment", "5000万", json=True, ok=True).json["planned_investment"]["amount_minor"] == 5000 * WAN


def test_rates_and_the_year_to_date_on_both_engines(cli):
    """The rates in the set-up ledger (and rebuilt by `audit verify`), a dollar planned investment and
    the comparison's figures on SQLite and PostgreSQL alike."""
    assert cli("rates", "set", "2026", "USD=7.1", "--reason", "x").code == 6  # the coordinator may not
    cli.admin("rates", "set", "2026", "USD=7.10", "--reason", "年度平均汇率", ok=True)
    entries = cli.admin("audit", "log", "--setup", json=True, ok=True).json["entries"]
    assert entries[-1]["kind"] == "setting" and entries[-1]["reason"] == "年度平均汇率"
    code = cli("project", "add", "--name", "外资项目", "--investor", "某外资公司", "--industry", "装备制造",
               "--unit", "XH", "--investment", "1500万美元", "--on", "2026-02-01", json=True, ok=True).json["code"]
    shown = cli("project", "show", code, json=True, ok=True).json
    assert shown["planned_investment"] == {"amount_minor": 10_650 * WAN, "currency": "CNY"} and shown["key"]
    doc = cli("report", "bulletin", "--period", "2026-B1", json=True, ok=True).json
    assert doc["exchange_rates"] == {"USD": "7.10"}
    assert doc["comparison"]["windows"]["year_to_date_last_year"] == {
        "label": "2025-YTD", "start": "2025-01-01", "end": "2025-02-28"}
    assert cli.admin("audit", "verify", json=True, ok=True).json["ok"] is True


def test_a_closed_bulletin_for_one_unit_gives_the_units_year_to_date(tmp_path):
    db = str(tmp_path / "closed.db")
    build(db)
    c = Cli(db)
    live = c("report", "bulletin", "--period", "2026-B2", "--unit", "XH", json=True, ok=True).json["comparison"]
    c.admin("report", "close", "--period", "2026-B2", "--reason", "两月通报已印发", ok=True)
    frozen = c("report", "bulletin", "--period", "2026-B2", "--unit", "XH", json=True, ok=True).json
    assert frozen.get("closed") is True
    # XH alone: P1's 2000万 + 300万 this year, 1000万 to April last year; P3's dollars are FGW's
    assert frozen["comparison"]["totals"]["year_to_date"] == F(0, 0, 2300) == live["totals"]["year_to_date"]
    assert frozen["comparison"]["totals"]["year_to_date_last_year"] == F(1, 20000, 1000)
    assert [u["unit"] for u in frozen["comparison"]["units"]] == ["XH"]


def test_report_diff_names_a_late_entry_in_the_year_to_date_in_wan(tmp_path):
    db = str(tmp_path / "diff.db")
    build(db)
    c = Cli(db)
    c.admin("report", "close", "--period", "2026-B2", "--reason", "两月通报已印发", ok=True)
    assert c("report", "diff", "--period", "2026-B2", json=True, ok=True).json["changes"] == []  # nothing since
    c("capital", "add", "P-0001", "100万", "--on", "2026-04-15", "--late", "--reason", "漏报补录", ok=True)
    text = c("report", "diff", "--period", "2026-B2", lang="zh", ok=True).out
    # 2300万 → 2400万 in the year to date, 300万 → 400万 in the period; amounts in 万, never in fen
    assert "累计 到位资金 2,300.00 → 2,400.00 万元" in text and "300.00 → 400.00 万元" in text
    assert "amount_minor" not in text and "230000000" not in text


def test_an_import_values_a_dollar_planned_investment_at_the_rows_year(tmp_path):
    c = Cli(str(tmp_path / "imp.db"))
    c("init", actor=ADMIN, ok=True)
    c.admin("units", "add", "XH", "--name", "新华镇", "--kind", "township", ok=True)
    path = tmp_path / "projects.csv"
    path.write_text("项目名称,投资方,行业,计划总投资,责任单位,登记日期\n"
                    "外资一,美方甲,制造,1500万美元,XH,2025-03-01\n"
                    "内资一,某公司,制造,5000万,XH,2025-03-02\n", encoding="utf-8")
    r = c.admin("import", path)
    assert r.code == 2 and "line 2" in r.err and "no USD rate is set for 2025" in r.err  # nothing imported
    assert c("project", "list", json=True, ok=True).json["projects"] == []
    c.admin("rates", "set", "2025", "USD=7.12", "--reason", "年度平均汇率", ok=True)
    assert c.admin("import", path, json=True, ok=True).json["imported"] == 2
    got = {p["name"]: p for p in c("project", "list", json=True, ok=True).json["projects"]}
    assert got["外资一"]["planned_investment"]["amount_minor"] == 10_680 * WAN and got["外资一"]["key"] is True
    assert got["内资一"]["planned_investment"]["amount_minor"] == 5000 * WAN and got["内资一"]["key"] is False
    assert c("audit", "verify", json=True, ok=True).json["ok"] is True
