"""Reports from a small county whose right answers are worked out by hand below.

The county (units XH 新华镇 and FGW 发改局 with projects; ZS, LS, NT with none):

- P-0001, XH, 2亿 (key, over 1亿): leader wang; signed 01-20; 3000万 CNY 02-10 (fires fund);
  200万 USD 03-15; ground broken 04-20; 5000万 invested 04-25; follow-ups 02-20 and 04-25;
  hold 05-01, resume 05-10.
- P-0002, XH, 8000万: approved 01-20; signed 03-02; hold 03-10; resume 04-05 (back to signed: not
  a new signing); 1000万 CNY 04-10 (fund); follow-up 04-20.
- P-0003, FGW, 1.5亿 (key): leader wang; approved 01-20; signed 03-20; 500万 USD 04-01 (fund);
  withdrawn 04-15.
- P-0004, FGW, 3000万, key by hand: leader wang; registered 02-01; submitted 03-01 (screening);
  follow-up 04-20.
- P-0005, XH, 1000万: registered 03-10; plan sign 05-10; nothing else.
- P-0006, FGW, 1000万: registered 05-05.

Bulletin 2026-B2 (Mar–Apr, as of 04-30) — flows: signed XH 1 (P2), FGW 1 (P3; withdrawn later, still
counts); capital XH CNY 1000万 + USD 200万, FGW USD 500万; investment XH 5000万.  Snapshot on 04-30:
P1 construction, P2 funding, P5 lead (XH); P3 withdrawn, P4 screening (FGW); P6 not yet registered.
Key: XH 1 (P1), FGW 1 (P4; P3 withdrawn).  Over 100 million: XH 1 (P1).  Lights: P4 red (60 days in
screening), P5 yellow (signing due in 10 days; 51 days without follow-up), P1 and P2 green.

Previous period 2026-B1 (Jan–Feb, as of 02-28): signed XH 1 (P1); capital XH CNY 3000万.  Snapshot on
02-28: P1 funding, P2 approved (XH); P3 approved, P4 lead (FGW).  Key: XH 1, FGW 2.  Over 100
million: XH 1, FGW 1.  Lights: P2 yellow (54 days since registration, its follow-up of 04-20 is
later), P3 yellow (49 days), P1 and P4 green.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import ADMIN, COORD, Cli

WAN = 10_000 * 100  # one 万 in minor units


def D(text: str) -> date:
    return date.fromisoformat(text)


def build_county(db: str) -> None:
    from workflow.db import make_engine
    from workflow.service import Service

    c = Cli(db)
    c("init", actor=ADMIN, ok=True)
    c.admin("users", "add", COORD, "--role", "coordinator", ok=True)
    for code, name, kind in (("XH", "新华镇", "township"), ("FGW", "发改局", "department"),
                             ("ZS", "中山乡", "township"), ("LS", "林业局", "department"),
                             ("NT", "南屯镇", "township")):
        c.admin("units", "add", code, "--name", name, "--kind", kind, ok=True)
    c.admin("people", "add", "wang", "--name", "王县长", "--level", "county", "--title", "副县长", ok=True)
    engine = make_engine(f"sqlite:///{db}")
    s = Service(engine, COORD)
    admin = Service(engine, ADMIN)

    def add(name, unit, wan, on, key=None, plan=None):
        return s.add_project(name=name, investor="某公司", industry="矿业", investment_minor=wan * WAN, unit=unit,
                             key=key, plan=plan, on=D(on)).project.code

    def approve(code, submit_on, approve_on):
        s.advance(code, "submit", on=D(submit_on))
        for item in ("industrial_policy", "environment", "energy", "land_use"):
            s.record_check(code, item, "pass", on=D(submit_on))
        s.add_document(code, "committee_decision", f"{code}-CD", on=D(approve_on))
        s.advance(code, "approve", on=D(approve_on))

    def sign(code, on):
        s.add_document(code, "contract", f"{code}-C", on=D(on))
        s.advance(code, "sign", on=D(on))

    p1 = add("翠宏山铁多金属矿", "XH", 20000, "2025-12-01")
    admin.reassign(p1, "lead_leader", "wang", reason="县政府分工", on=D("2025-12-01"))
    approve(p1, "2025-12-05", "2025-12-10")
    sign(p1, "2026-01-20")
    s.add_capital(p1, 3000 * WAN, "CNY", on=D("2026-02-10"))
    s.add_followup(p1, "到现场", on=D("2026-02-20"))
    s.add_capital(p1, 200 * WAN, "USD", on=D("2026-03-15"))
    for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
        s.add_document(p1, kind, f"{p1}-{kind}", on=D("2026-04-18"))
    s.advance(p1, "break_ground", on=D("2026-04-20"))
    s.add_investment(p1, 5000 * WAN, "CNY", on=D("2026-04-25"))
    s.add_followup(p1, "开工", on=D("2026-04-25"))

    p2 = add("盛典蓝莓科技", "XH", 8000, "2026-01-05")
    approve(p2, "2026-01-10", "2026-01-20")
    sign(p2, "2026-03-02")
    s.advance(p2, "hold", on=D("2026-03-10"), reason="投资方资金调整")
    s.advance(p2, "resume", on=D("2026-04-05"))
    s.add_capital(p2, 1000 * WAN, "CNY", on=D("2026-04-10"))
    s.add_followup(p2, "资金到位", on=D("2026-04-20"))

    p3 = add("博士慧风电", "FGW", 15000, "2026-01-10")
    admin.reassign(p3, "lead_leader", "wang", reason="县政府分工", on=D("2026-01-10"))
    approve(p3, "2026-01-12", "2026-01-20")
    sign(p3, "2026-03-20")
    s.add_capital(p3, 500 * WAN, "USD", on=D("2026-04-01"))
    s.advance(p3, "withdraw", on=D("2026-04-15"), reason="投资方撤回")

    p4 = add("诺宝生物质电厂", "FGW", 3000, "2026-02-01", key=True)
    admin.reassign(p4, "lead_leader", "wang", reason="县政府分工", on=D("2026-02-01"))
    s.advance(p4, "submit", on=D("2026-03-01"))
    s.add_followup(p4, "催办", on=D("2026-04-20"))

    add("申逊北药", "XH", 1000, "2026-03-10", plan={"sign": "2026-05-10"})
    add("宾馆建设项目", "FGW", 1000, "2026-05-05")

    s.advance(p1, "hold", on=D("2026-05-01"), reason="雨季停工")
    s.advance(p1, "resume", on=D("2026-05-10"))
    engine.dispose()


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Cli:
    db = str(tmp_path_factory.mktemp("county") / "county.db")
    build_county(db)
    return Cli(db)


@pytest.fixture(scope="module")
def engine(county):
    from workflow.db import make_engine

    e = make_engine(f"sqlite:///{county.db}", write=False)
    yield e
    e.dispose()


def money(cny: int = 0, usd: int = 0) -> list[dict]:
    return [{"amount_minor": cny, "currency": "CNY"}, {"amount_minor": usd, "currency": "USD"}]


def stages(**counts) -> dict:
    keys = ("lead", "screening", "approved", "signed", "funding", "construction", "production", "rejected",
            "withdrawn", "on_hold", "retired")
    return {k: counts.get(k, 0) for k in keys}


def unit_row(doc: dict, code: str) -> dict:
    return next(u for u in doc["units"] if u["unit"] == code)


# --- bulletin -----------------------------------------------------------------------------------


def test_bulletin_per_unit_and_totals(county):
    doc = county("report", "bulletin", "--period", "2026-B2", json=True, ok=True).json
    assert (doc["period"], doc["start"], doc["end"], doc["as_of"]) == ("2026-B2", "2026-03-01", "2026-04-30",
                                                                       "2026-04-30")
    xh, fgw = unit_row(doc, "XH"), unit_row(doc, "FGW")
    assert xh["signed"] == 1 and fgw["signed"] == 1
    assert xh["capital_in_place"] == money(cny=1000 * WAN, usd=200 * WAN)
    assert fgw["capital_in_place"] == money(usd=500 * WAN)
    assert xh["investment_completed"] == money(cny=5000 * WAN)
    assert fgw["investment_completed"] == money()
    assert xh["projects_by_stage"] == stages(construction=1, funding=1, lead=1)
    assert fgw["projects_by_stage"] == stages(withdrawn=1, screening=1)
    assert (xh["key_projects"], xh["over_100m"], xh["red"], xh["yellow"]) == (1, 1, 0, 1)
    assert (fgw["key_projects"], fgw["over_100m"], fgw["red"], fgw["yellow"]) == (1, 0, 1, 0)
    tot = doc["totals"]
    assert tot["signed"] == 2
    assert tot["capital_in_place"] == money(cny=1000 * WAN, usd=700 * WAN)
    assert tot["investment_completed"] == money(cny=5000 * WAN)
    assert tot["projects_by_stage"] == stages(construction=1, funding=1, lead=1, withdrawn=1, screening=1)
    assert (tot["key_projects"], tot["over_100m"], tot["red"], tot["yellow"]) == (2, 1, 1, 1)
    # units without projects are listed with zeros
    zs = unit_row(doc, "ZS")
    assert zs["signed"] == 0 and zs["projects_by_stage"] == stages() and zs["capital_in_place"] == money()
    assert [u["unit"] for u in doc["units"]] == ["FGW", "LS", "NT", "XH", "ZS"]


def test_bulletin_previous_period_and_change(county):
    doc = county("report", "bulletin", "--period", "2026-B2", json=True, ok=True).json
    assert doc["previous_period"] == "2026-B1" and doc["previous_as_of"] == "2026-02-28"
    prev = doc["previous"]
    assert prev["signed"] == 1
    assert prev["capital_in_place"] == money(cny=3000 * WAN)
    assert prev["investment_completed"] == money()
    assert prev["projects_by_stage"] == stages(funding=1, approved=2, lead=1)
    assert (prev["key_projects"], prev["over_100m"], prev["red"], prev["yellow"]) == (3, 2, 0, 2)
    ch = doc["change"]
    assert ch["signed"] == 1
    assert ch["capital_in_place"] == money(cny=-2000 * WAN, usd=700 * WAN)
    assert ch["investment_completed"] == money(cny=5000 * WAN)
    assert (ch["key_projects"], ch["over_100m"], ch["red"], ch["yellow"]) == (-1, -1, 1, -1)
    assert ch["projects_by_stage"]["approved"] == -2 and ch["projects_by_stage"]["withdrawn"] == 1
    xh = unit_row(doc, "XH")
    assert xh["previous"]["yellow"] == 1 and xh["previous"]["projects_by_stage"] == stages(funding=1, approved=1)
    assert xh["change"]["signed"] == 0


def test_signed_once_hold_resume_is_not_a_signing(county):
    # P-0002 signed 03-02 (B2), held and resumed into `signed` 04-05 (still B2): one signing.
    # P-0001 was resumed into construction in B3: no signing, no capital, nothing in B3 but P-0006.
    b3 = county("report", "bulletin", "--period", "2026-B3", "--as-of", "2026-06-30", json=True, ok=True).json
    assert b3["totals"]["signed"] == 0
    assert b3["totals"]["capital_in_place"] == money()
    year = county("report", "bulletin", "--period", "2026", "--as-of", "2026-06-30", json=True, ok=True).json
    assert year["totals"]["signed"] == 3  # P1, P2, P3: each once
    assert unit_row(year, "XH")["signed"] == 2
    assert year["totals"]["capital_in_place"] == money(cny=4000 * WAN, usd=700 * WAN)


def test_withdrawn_project_still_counts_what_happened_before(county):
    doc = county("report", "bulletin", "--period", "2026-B2", "--unit", "FGW", json=True, ok=True).json
    assert [u["unit"] for u in doc["units"]] == ["FGW"]
    assert doc["totals"]["signed"] == 1
    assert doc["totals"]["capital_in_place"] == money(usd=500 * WAN)
    assert doc["totals"]["projects_by_stage"]["withdrawn"] == 1
    assert doc["totals"]["key_projects"] == 1  # P-0004 only: the withdrawn P-0003 no longer counts


def test_as_of_inside_the_period_cuts_flows_and_snapshot(county):
    doc = county("report", "bulletin", "--period", "2026-B2", "--as-of", "2026-03-31", json=True, ok=True).json
    tot = doc["totals"]
    assert doc["end"] == "2026-04-30" and doc["as_of"] == "2026-03-31"
    assert tot["signed"] == 2  # 03-02 and 03-20
    assert tot["capital_in_place"] == money(usd=200 * WAN)  # 04-01 and 04-10 are later
    assert tot["projects_by_stage"] == stages(funding=1, on_hold=1, signed=1, screening=1, lead=1)


def test_bulletin_quarter_half_and_year_periods(county):
    for period, prev in (("2026-Q1", "2025-Q4"), ("2026-H1", "2025-H2"), ("2026", "2025")):
        doc = county("report", "bulletin", "--period", period, json=True, ok=True).json
        assert doc["previous_period"] == prev
    q1 = county("report", "bulletin", "--period", "2026-Q1", json=True, ok=True).json
    assert q1["totals"]["signed"] == 3 and q1["previous"]["signed"] == 0
    assert q1["previous"]["projects_by_stage"] == stages(approved=1)  # P-0001 on 2025-12-31


# --- dispatch and warnings ----------------------------------------------------------------------


def test_dispatch_lists_red_then_yellow_with_reasons_leader_and_unit(county):
    doc = county("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-04-30", json=True, ok=True).json
    assert doc["totals"] == {"red": 1, "yellow": 1}
    codes = [(p["code"], p["light"]) for p in doc["projects"]]
    assert codes == [("P-0004", "red"), ("P-0005", "yellow")]
    p4, p5 = doc["projects"]
    assert p4["unit"] == "FGW" and p4["unit_name"] == "发改局" and p4["stage"] == "screening"
    assert p4["reasons"] == ["in screening for 60 days (more than 10)"]
    assert p4["lead_leader"]["login"] == "wang" and p4["lead_leader"]["name"] == "王县长"
    assert p5["lead_leader"] is None
    assert [r["code"] for r in p5["reasons_detail"]] == ["sign_due", "no_followup"]
    assert p5["reasons"][0] == "planned signing 2026-05-10 is due in 10 days, not signed"
    fgw = next(u for u in doc["units"] if u["unit"] == "FGW")
    assert (fgw["red"], fgw["yellow"]) == (1, 0)


def test_dispatch_in_chinese(county):
    doc = county("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-04-30", lang="zh", json=True,
                 ok=True).json
    assert doc["projects"][0]["reasons"] == ["审核中已60天（超过10天）"]


def test_warnings_as_of_and_unit(county):
    doc = county("warnings", "--as-of", "2026-02-28", json=True, ok=True).json
    # equally bad: the key project first
    assert [(p["code"], p["light"]) for p in doc["projects"]] == [("P-0003", "yellow"), ("P-0002", "yellow")]
    assert doc["projects"][1]["reasons"] == ["no follow-up since registration 54 days ago (more than 30)"]
    doc = county("warnings", "--as-of", "2026-02-28", "--unit", "FGW", json=True, ok=True).json
    assert [p["code"] for p in doc["projects"]] == ["P-0003"]
    assert (doc["red"], doc["yellow"]) == (0, 1)


def test_threshold_override_per_run(county):
    doc = county("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-04-30",
                 "--threshold", "screening_red_days=60", json=True, ok=True).json
    # both yellow now: the one with more reasons first
    assert [(p["code"], p["light"]) for p in doc["projects"]] == [("P-0005", "yellow"), ("P-0004", "yellow")]
    assert doc["thresholds"]["screening_red_days"] == 60
    res = county("warnings", "--threshold", "screening_red_days=2", json=True)
    assert res.code == 2 and "must not exceed" in res.json["error"]["message"]
    res = county("warnings", "--threshold", "nonsense=3", json=True)
    assert res.code == 2 and "unknown warning threshold" in res.json["error"]["message"]
    res = county("warnings", "--threshold", "screening_red_days", json=True)
    assert res.code == 2


def test_snapshot_agrees_with_project_list_today(county, engine):
    """Today the history reconstruction must give exactly the lights `project list` gives."""
    from workflow import reports

    listed = county("project", "list", json=True, ok=True).json["projects"]
    snaps = {}
    with engine.connect() as conn:
        for s in reports.snapshots(conn, date.today(), reports.Thresholds()):
            snaps[s.code] = s
    for p in listed:
        s = snaps[p["code"]]
        assert (s.stage, s.light.color, s.light.messages("en")) == (p["stage"], p["light"], p["light_reasons"])



def test_snapshot_colors_alone_equal_the_worded_lights(county, engine):
    """The counts read the color alone (``reasons=False``): the same colors, on several dates."""
    from workflow import reports

    t = reports.Thresholds()
    with engine.connect() as conn:
        for on in ("2026-02-28", "2026-04-30", "2026-06-30", date.today().isoformat()):
            worded = reports.snapshots(conn, D(on), t)
            bare = reports.snapshots(conn, D(on), t, reasons=False)
            assert [(s.code, s.light.color) for s in bare] == [(s.code, s.light.color) for s in worded]
            assert all(not s.light.reasons for s in bare)
            assert any(s.light.reasons for s in worded)



def test_problem_lists_rank_and_word_colors_alone_as_worded_lights(county, engine):
    """A list of the worst N ranks colors alone by their rules' findings and words only those it
    lists: the same list as from lights worded in full."""
    from workflow import reports

    t = reports.Thresholds(followup_yellow_days=5, followup_red_days=20)  # more lights to rank
    with engine.connect() as conn:
        for on in ("2026-02-28", "2026-04-30", date.today().isoformat()):
            for limit in (None, 1, 2):
                worded = reports._problems(conn, D(on), None, t, "zh", reports.snapshots(conn, D(on), t), limit)
                bare_snaps = reports.snapshots(conn, D(on), t, reasons=False)
                bare = reports._problems(conn, D(on), None, t, "zh", bare_snaps, limit)
                assert bare == worded
                assert all(p["reasons"] for p in bare[0])
                listed = {p["code"] for p in bare[0]}
                assert all(not s.light.reasons for s in bare_snaps if s.code not in listed)

def test_flows_of_several_windows_at_once_equal_each_alone(county, engine):
    """One statement per kind of flow for every window gives each window's own figures."""
    from workflow import reports

    windows = [reports.make_window(p) for p in ("2026-B1", "2026-B2", "2026-B3", "2026-H1", "2025")]
    with engine.connect() as conn:
        together = reports._flows(conn, windows, None)
        alone = [reports._flows(conn, [w], None)[0] for w in windows]
        assert together == alone
        assert together[1]["XH"]["signed"] == 1 and together[1]["XH"]["signed_investment"] == 8000 * WAN
        assert together[1]["FGW"]["signed_investment"] == 15000 * WAN
        assert reports._flows(conn, windows[:2], "XH")[1] == {"XH": together[1]["XH"]}


def test_bulletin_with_its_problem_list_keeps_the_same_figures(county, engine):
    """The document's bulletin words the lights of its red and yellow lists; the plain one counts
    colors alone: the same figures either way."""
    from workflow import reports

    plain = reports.bulletin(engine, "2026-B2")
    listed = reports.bulletin(engine, "2026-B2", problems=True)
    assert {k: v for k, v in listed.items() if k != "projects"} == plain
    assert [(p["code"], p["light"]) for p in listed["projects"]] == [("P-0004", "red"), ("P-0005", "yellow")]
    assert all(p["reasons"] for p in listed["projects"])
    assert plain["signed_investment"]["amount_minor"] == 23000 * WAN

# --- review ---------------------------------------------------------------------------------------


def test_review_lists_projects_reaching_construction(county):
    doc = county("report", "review", "--period", "2026-B2", json=True, ok=True).json
    assert [p["code"] for p in doc["projects"]] == ["P-0001"]
    p1 = doc["projects"][0]
    assert p1["construction_on"] == "2026-04-20" and p1["production_on"] is None
    assert p1["stage"] == "construction"
    assert p1["capital_in_place"] == money(cny=3000 * WAN, usd=200 * WAN)  # to date, not only in the period
    assert p1["investment_completed"] == money(cny=5000 * WAN)
    assert p1["lead_leader"]["login"] == "wang"
    assert doc["totals"]["projects"] == 1 and doc["totals"]["construction"] == 1
    # Resuming into construction (05-10) is not reaching it.
    b3 = county("report", "review", "--period", "2026-B3", "--as-of", "2026-06-30", json=True, ok=True).json
    assert b3["projects"] == []
    h1 = county("report", "review", "--period", "2026-H1", "--as-of", "2026-06-30", json=True, ok=True).json
    assert [p["code"] for p in h1["projects"]] == ["P-0001"]


# --- targets and evaluation -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_targets(county):
    county.admin("targets", "set", "XH", "2026", "--signed", "4", "--capital", "5000万", "--foreign", "100万",
                 "--reason", "年度目标", ok=True)
    county.admin("targets", "set", "FGW", "2026", "--signed", "1", "--foreign", "1000万美元", "--reason", "年度目标",
                 ok=True)
    county.admin("targets", "set", "ZS", "2026", "--signed", "2", "--reason", "年度目标", ok=True)
    county.admin("targets", "set", "LS", "2026", "--signed", "2", "--reason", "年度目标", ok=True)
    county.admin("targets", "set", "XH", "2025", "--signed", "9", "--reason", "年度目标", ok=True)
    return county


def test_evaluation_rates_scores_and_ranking(with_targets):
    doc = with_targets("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", json=True,
                       ok=True).json
    ranks = [(u["unit"], u["rank"], u["score"]) for u in doc["units"]]
    # XH: signed 2/4 = 0.5, capital 4000万/5000万 = 0.8, foreign 200万/100万 = 2.0 (capped 1.2)
    #     -> (0.5 + 0.8 + 1.2) / 3 x 100 = 83.33
    # FGW: signed 1/1 = 1.0, foreign 500万/1000万 = 0.5 -> 75.00
    # ZS, LS: signed 0/2 -> 0.00, sharing rank 3.  NT: no targets, unranked.
    assert ranks == [("XH", 1, 83.33), ("FGW", 2, 75.0), ("LS", 3, 0.0), ("ZS", 3, 0.0), ("NT", None, None)]
    xh = doc["units"][0]
    assert xh["targets"] == [
        {"metric": "signed", "target": 4, "actual": 2, "rate": 0.5},
        {"metric": "capital", "target": {"amount_minor": 5000 * WAN, "currency": "CNY"},
         "actual": {"amount_minor": 4000 * WAN, "currency": "CNY"}, "rate": 0.8},
        {"metric": "foreign", "target": {"amount_minor": 100 * WAN, "currency": "USD"},
         "actual": {"amount_minor": 200 * WAN, "currency": "USD"}, "rate": 2.0},
    ]
    assert doc["units"][-1]["targets"] == []


def test_evaluation_one_unit(with_targets):
    doc = with_targets("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", "--unit", "FGW",
                       json=True, ok=True).json
    assert [(u["unit"], u["rank"], u["score"]) for u in doc["units"]] == [("FGW", 2, 75.0)]  # 2nd in the county


def test_evaluation_rank_of_one_unit_is_its_rank_in_the_county(with_targets):
    """--unit cuts the county's ranking, never ranks the unit alone (docs/lights-and-reports.md): the
    same rank, shared ranks and unranked alike, in the report and in the unit's document."""
    args = ("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30")
    county = {u["unit"]: (u["rank"], u["score"]) for u in with_targets(*args, json=True, ok=True).json["units"]}
    assert county == {"XH": (1, 83.33), "FGW": (2, 75.0), "LS": (3, 0.0), "ZS": (3, 0.0), "NT": (None, None)}
    for code, ranked in county.items():
        doc = with_targets(*args, "--unit", code, json=True, ok=True).json
        assert [(u["unit"], (u["rank"], u["score"])) for u in doc["units"]] == [(code, ranked)]
    for kind in ("bulletin", "dispatch", "review"):  # the 考评排名 table of the unit's document
        html = with_targets("report", kind, "--period", "2026-Q2", "--as-of", "2026-06-30", "--unit", "LS",
                            "--format", "html", lang="zh", ok=True).out
        ranking = html[html.index("考评排名"):]
        assert "<tr><td>3</td><td>LS</td><td>林业局</td>" in ranking[:ranking.index("</table>")], kind


def test_targets_set_keeps_other_figures_and_lists(with_targets):
    with_targets.admin("targets", "set", "ZS", "2026", "--investment", "1亿", "--reason", "年度目标", ok=True)
    rows = with_targets("targets", "list", "--year", "2026", json=True, ok=True).json["targets"]
    zs = next(r for r in rows if r["unit"] == "ZS")
    assert zs["signed"] == 2
    assert zs["investment"] == {"amount_minor": 100_000_000 * 100, "currency": "CNY"}
    assert zs["capital"] is None and zs["set_by"] == ADMIN
    years = [r["year"] for r in with_targets("targets", "list", json=True, ok=True).json["targets"]]
    assert years == sorted(years, reverse=True) and 2025 in years


@pytest.mark.parametrize(("args", "code", "text"), [
    (["XH", "2026", "--capital", "100万美元"], 2, "in CNY"),
    (["XH", "2026", "--foreign", "100万元"], 2, "in USD"),
    (["XH", "2026"], 2, "nothing to set"),
    (["XH", "1999", "--signed", "1"], 2, "YEAR"),
    (["XH", "2026", "--signed", "-1"], 2, "signed"),
    (["NOPE", "2026", "--signed", "1"], 4, "no unit"),
])
def test_targets_set_refusals(county, args, code, text):
    res = county.admin("targets", "set", *args, "--reason", "年度目标", json=True)
    assert res.code == code and text in res.json["error"]["message"]


def test_targets_set_needs_admin(county):
    res = county("targets", "set", "XH", "2030", "--signed", "1", "--reason", "年度目标", json=True)
    assert res.code == 6


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code"), [
    (["report", "bulletin", "--period", "2026-B7"], 2),
    (["report", "bulletin", "--period", "26"], 2),
    (["report", "bulletin", "--period", "2099"], 2),
    (["report", "review", "--period", "2026-H1", "--as-of", "2025-12-31"], 2),
    (["report", "dispatch", "--period", "2026-Q1", "--unit", "NOPE"], 4),
    (["report", "bulletin", "--period", "2026", "--format", "xlsx"], 2),
    (["report", "bulletin", "--period", "2026", "--format", "pdf"], 2),
    (["warnings", "--as-of", "2026-13-01"], 2),
    (["board", "--unit", "NOPE"], 4),
])
def test_bad_input(county, args, code):
    res = county(*args, json=True)
    assert res.code == code, res.out
    assert "error" in res.json


def test_report_needs_period(county):
    assert county("report", "bulletin").code == 2


# --- formats ------------------------------------------------------------------------------------


def test_bulletin_table_in_chinese_with_totals(county):
    res = county("report", "bulletin", "--period", "2026-B2", lang="zh", ok=True)
    for header in ("责任单位", "签约项目", "到位资金（万元）", "实际利用外资（万美元）", "合计", "上期 2026-B1", "增减",
                   "项目阶段分布", "审核中"):
        assert header in res.out
    assert "1,000.00" in res.out and "700.00" in res.out  # 万元 and 万美元


def test_bulletin_csv(county):
    import csv
    import io

    res = county("report", "bulletin", "--period", "2026-B2", "--format", "csv", ok=True)
    rows = list(csv.reader(io.StringIO(res.out)))
    header = rows[0]
    assert header[:4] == ["Unit", "Unit name", "Signed", "Capital in place (10k CNY)"]
    by_unit = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_unit["XH"]["Capital in place (10k CNY)"] == "1000.00"
    assert by_unit["XH"]["Foreign capital (10k USD)"] == "200.00"
    assert by_unit["Total"]["Signed"] == "2"
    assert by_unit["Change"]["Capital in place (10k CNY)"] == "-2000.00"
    assert by_unit["Total"]["Under committee review"] == "1"


def test_dispatch_markdown(county):
    res = county("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-04-30", "--format", "md", ok=True)
    assert res.out.startswith("# Dispatch of problem projects 2026-Q2")
    assert "## Lights by unit" in res.out and "## Projects" in res.out
    assert "| red | P-0004 | 诺宝生物质电厂 | FGW |" in res.out


def test_bulletin_xlsx_cells(county, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "b.xlsx"
    county("report", "bulletin", "--period", "2026-B2", "--format", "xlsx", "--output", str(path), ok=True)
    wb = load_workbook(path)
    # the bulletin leads with the year to date (累计, 同比, 环比), then the period's figures; the
    # narrative sections (下步工作 drafted from the plan dates of 2026-B3) before the info sheet
    assert wb.sheetnames == ["year_to_date", "year_to_date_units", "figures", "stages", "progress",
                             "progress_category", "notes", "info"]
    assert wb["notes"]["A2"].value == "Next steps (drafted)"
    ytd = {r[0].value: [c.value for c in r] for r in wb["year_to_date"].iter_rows(min_row=2)}
    # capital CNY: B2 1000万, B1 3000万, Jan–Apr 4000万; nothing in 2025
    assert ytd["Year to date"][4] == pytest.approx(4000.0) and ytd["This period"][4] == pytest.approx(1000.0)
    assert ytd["Previous period"][4] == pytest.approx(3000.0)
    assert ytd["Change on the previous period, %"][4] == pytest.approx(-0.6667)
    assert ytd["Change on the same period last year, %"][4] is None  # 2025 had none: no rate
    ws = wb["figures"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Unit", "Unit name", "Signed", "Capital in place (10k CNY)"]
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    xh = rows["XH"]
    assert xh[2].value == 1 and isinstance(xh[2].value, int)
    assert xh[3].value == pytest.approx(1000.0) and xh[3].number_format == "#,##0.00"
    assert xh[4].value == pytest.approx(200.0)
    assert xh[5].value == pytest.approx(5000.0)
    assert rows["Total"][3].value == pytest.approx(1000.0) and rows["Total"][0].font.b
    assert rows["Change"][3].value == pytest.approx(-2000.0)
    st = wb["stages"]
    st_header = [c.value for c in st[1]]
    st_rows = {r[0].value: [c.value for c in r] for r in st.iter_rows(min_row=2)}
    assert st_rows["FGW"][st_header.index("Withdrawn / lost")] == 1
    assert st_rows["Total"][st_header.index("Total")] == 5
    info = {r[0].value: r[1].value for r in wb["info"].iter_rows()}
    assert info["As of"] == "2026-04-30"


def test_bulletin_xlsx_time_progress_is_a_number(county, tmp_path):
    """序时进度 (Time progress) is a number formatted 0.0%, like % of plan and Start rate beside it."""
    from openpyxl import load_workbook

    path = tmp_path / "b.xlsx"
    county("report", "bulletin", "--period", "2026-B2", "--format", "xlsx", "--output", str(path), ok=True)
    wb = load_workbook(path)
    for name in ("progress", "progress_category"):
        ws = wb[name]
        col = [c.value for c in ws[1]].index("Time progress")
        for row in ws.iter_rows(min_row=2):
            cell = row[col]
            assert cell.value == pytest.approx(0.3333) and cell.number_format == "0.0%"  # April: 4/12


def test_evaluation_scoring_rule_in_chinese(with_targets, tmp_path):
    """The 得分 line of the evaluation (md, the 说明 sheet) says how a score is made in the run's
    language, from the rule's figures (the cap of 120%)."""
    from openpyxl import load_workbook

    md = with_targets("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", "--format", "md",
                      lang="zh", ok=True).out
    rule = next(line for line in md.splitlines() if line.startswith("得分"))
    assert "封顶 120%" in rule and "督办扣分" in rule and not any(w in rule for w in ("mean", "capped", "less"))
    path = tmp_path / "e.xlsx"
    with_targets("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", "--format", "xlsx",
                 "--output", str(path), lang="zh", ok=True)
    info = {r[0].value: r[1].value for r in load_workbook(path)["说明"].iter_rows()}
    assert info["得分"] == rule.split(": ", 1)[1].strip()
    en = with_targets("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", "--format", "md",
                      ok=True).out
    assert "mean of rates capped at 120%, × 100, less the problem deduction" in en


def test_evaluation_xlsx_in_chinese(with_targets, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "e.xlsx"
    with_targets("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", "--format", "xlsx",
                 "--output", str(path), lang="zh", ok=True)
    wb = load_workbook(path)
    assert wb.sheetnames == ["排名", "明细", "说明"]  # Chinese sheet names under --lang zh (docs/usage.md)
    ws = wb["排名"]
    assert [c.value for c in ws[1]][:4] == ["排名", "责任单位", "单位名称", "得分"]
    first = [c.value for c in ws[2]]
    assert first[:4] == ["1", "XH", "新华镇", pytest.approx(83.33)]
    assert first[4] == pytest.approx(0.5) and ws.cell(row=2, column=5).number_format == "0.0%"
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "未排名" and last[1] == "NT"
    details = wb["明细"]
    values = [[c.value for c in r] for r in details.iter_rows(min_row=2)]
    cap = next(r for r in values if r[1] == "XH" and r[4] == "到位资金（万元）")
    assert cap[5] == pytest.approx(5000.0) and cap[6] == pytest.approx(4000.0) and cap[7] == pytest.approx(0.8)
    signed = next(r for r in values if r[1] == "XH" and r[4] == "签约项目数")
    assert signed[5] == 4 and signed[6] == 2


def test_json_and_format_are_exclusive(county):
    res = county("report", "bulletin", "--period", "2026", "--format", "csv", json=True)
    assert res.code == 2


def test_review_and_warnings_outputs(county):
    res = county("report", "review", "--period", "2026-B2", "--format", "csv", ok=True)
    assert "P-0001,翠宏山铁多金属矿,XH" in res.out and "2026-04-20" in res.out
    res = county("warnings", "--as-of", "2026-04-30", ok=True)
    assert "P-0004" in res.out and "P-0005" in res.out and "1 red, 1 yellow" in res.err


# --- corrections -----------------------------------------------------------------------------------


def _seq_of(cli, code, kind, trigger=None):
    events = cli("history", code, json=True, ok=True).json["events"]
    return [e["seq"] for e in events if e["kind"] == kind and (trigger is None or e["trigger"] == trigger)][-1]


def test_corrected_signing_and_capital_do_not_count(cli):
    """A signing undone by an admin's correction is not a signing; a corrected capital arrival is
    reversed in its own period; a later real signing counts in its period."""
    cli("project", "add", "--name", "利源达", "--investor", "利源达公司", "--industry", "food",
        "--investment", "5000万", "--unit", "XH", "--on", "2026-01-05", ok=True)
    cli("advance", "P-0001", "submit", "--on", "2026-01-06", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", "P-0001", item, "pass", "--on", "2026-01-06", ok=True)
    cli("doc", "add", "P-0001", "committee_decision", "D1", "--on", "2026-01-07", ok=True)
    cli("advance", "P-0001", "approve", "--on", "2026-01-07", ok=True)
    cli("doc", "add", "P-0001", "contract", "C1", "--on", "2026-03-05", ok=True)
    cli("advance", "P-0001", "sign", "--on", "2026-03-05", ok=True)
    cli.admin("correct", "P-0001", _seq_of(cli, "P-0001", "transition", "sign"), "--reason", "合同未生效",
              "--on", "2026-03-06", ok=True)
    b2 = cli("report", "bulletin", "--period", "2026-B2", json=True, ok=True).json["totals"]
    assert b2["signed"] == 0 and b2["projects_by_stage"]["approved"] == 1
    cli("advance", "P-0001", "sign", "--on", "2026-05-10", ok=True)
    cli("capital", "add", "P-0001", "300万", "--on", "2026-05-20", ok=True)
    cli("capital", "add", "P-0001", "3000万", "--on", "2026-05-21", ok=True)  # should have been 300万
    cli.admin("correct", "P-0001", _seq_of(cli, "P-0001", "capital"), "--reason", "多录一个零", "--on", "2026-06-01",
              ok=True)
    b3 = cli("report", "bulletin", "--period", "2026-B3", json=True, ok=True).json["totals"]
    assert b3["signed"] == 1
    assert b3["capital_in_place"][0] == {"amount_minor": 300 * WAN, "currency": "CNY"}
    year = cli("report", "bulletin", "--period", "2026", json=True, ok=True).json["totals"]
    assert year["signed"] == 1
