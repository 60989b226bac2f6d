"""The seed county (``pipeline demo --scenario seed``): the county of the mobilisation speech this
product was made for (docs/import-export.md), built over 2022–2026 with 2026 as "this year", so that the reports
print its figures exactly:

- over 2022..2025: 33 projects signed, 9亿元 of capital in place, growing about 37% a year on
  average (1.32亿, 1.81亿, 2.48亿, 3.39亿: (3.39 / 1.32) ** (1/3) − 1 = 36.9%);
- over 2023..2025: 4179万美元 of foreign capital in place (1000万, 1379万, 1800万美元);
- 44 key projects on 31 December 2025, with 6.6亿元 of investment completed over 2022..2025;
- in 2026: 47 key projects (three more registered in January), each with a 2026 investment plan,
  11 of them with a planned investment of 1亿元 or more.

Every figure comes from history written by the same commands as the command line (registration by
import, then documents, checks, transitions, capital, investment and plans in one batch), so the
chains verify and the reports compute the figures like any others.  Deterministic: no randomness.
Needs today on or after ``EARLIEST_TODAY`` (its last entries are dated in January 2026).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from workflow import clock
from workflow import demo as wdemo
from workflow.amounts import Money
from workflow.bulk import Op
from workflow.errors import BadInput
from workflow.rules import Conditions, add_rule
from workflow.service import Service, project_codes
from workflow.targets import set_target

WAN = 10_000 * 100  # one 万 in minor units
YI = 10_000 * WAN  # one 亿 in minor units
EARLIEST_TODAY = date(2026, 2, 1)
YEARS = (2022, 2023, 2024, 2025)

# The figures the speech reports, and how they fall over the years.
SIGNED_PER_YEAR = {2022: 5, 2023: 7, 2024: 9, 2025: 12}  # 33
CAPITAL_PER_YEAR = {2022: 13_200 * WAN, 2023: 18_100 * WAN, 2024: 24_800 * WAN, 2025: 33_900 * WAN}  # 9亿
FOREIGN_PER_YEAR = {2023: 1_000 * WAN, 2024: 1_379 * WAN, 2025: 1_800 * WAN}  # 4179万美元
INVESTMENT_PER_YEAR = {2022: 8_000 * WAN, 2023: 13_000 * WAN, 2024: 19_000 * WAN, 2025: 26_000 * WAN}  # 6.6亿
KEY_BY_2025 = 44
KEY_IN_2026 = 47
OVER_100M = 11
EXPECTED = {
    "signed_2022_2025": 33, "capital_2022_2025_minor": 9 * YI, "foreign_2023_2025_minor": 4_179 * WAN,
    "key_projects_2025": KEY_BY_2025, "investment_2022_2025_minor": 66_000 * WAN, "key_projects_2026": KEY_IN_2026,
    "over_100m_2026": OVER_100M,
}

# The projects the speech names come first; the rest follow the county's industries.
NAMED: tuple[tuple[str, str, str, str, int], ...] = (
    ("翠宏山铁多金属矿采选项目", "黑龙江翠宏山矿业有限公司", "采矿业", "DA", 120_000),
    ("东安金矿开发项目", "东安金业有限公司", "采矿业", "DA", 35_000),
    ("博士慧风电场项目", "博士慧风电有限公司", "新能源", "KFQ", 96_000),
    ("诺宝生物质热电联产项目", "黑龙江诺宝新能源开发有限公司", "新能源", "KFQ", 28_000),
    ("盛典蓝莓深加工项目", "盛典蓝莓科技开发有限公司", "农产品加工", "CF", 8_000),
    ("申逊北药种植加工基地", "申逊北药有限公司", "中医药", "HX", 6_000),
    ("宾馆建设项目", "利源达公司", "文化旅游", "CG", 4_500),
)
INDUSTRIES = (("农产品加工", "NYJ"), ("新能源", "KFQ"), ("中医药", "HX"), ("文化旅游", "WLJ"), ("商贸物流", "SWJ"),
              ("装备制造", "GXJ"), ("畜牧养殖", "XH"), ("林下经济", "CF"), ("采矿业", "LH"))
FOREIGN_INVESTORS = ("香港博士慧控股有限公司", "韩国大韩食品株式会社", "俄罗斯远东林业集团")


@dataclass
class SeedProject:
    name: str
    investor: str
    origin: str
    industry: str
    unit: str
    wan: int
    registered: date
    signed_in: int | None = None  # the year it is signed
    plan: dict = field(default_factory=dict)  # planned milestone dates
    steps: list[tuple[date, str, dict]] = field(default_factory=list)
    code: str = ""

    def row(self) -> dict:
        return {"name": self.name, "investor": self.investor, "origin": self.origin, "industry": self.industry,
                "category": "工业", "investment_minor": self.wan * WAN, "unit": self.unit, "key": True,
                "plan": self.plan, "on": self.registered}


def _projects() -> list[SeedProject]:
    """47 key projects: 44 registered 2022–2025 (33 of them signed), three in January 2026; 11 of
    them at 1亿 or more (the first 11), the rest key by the committee's designation."""
    out: list[SeedProject] = []
    sign_years = [y for y in YEARS for _ in range(SIGNED_PER_YEAR[y])]  # 33, oldest first
    big = sum(1 for n in NAMED if n[4] >= 10_000)
    for i in range(KEY_IN_2026):
        if i < len(NAMED):
            name, investor, industry, unit, wan = NAMED[i]
        else:
            industry, unit = INDUSTRIES[i % len(INDUSTRIES)]
            name = f"{industry}重点项目{i + 1:02d}"
            investor = f"{industry}投资有限公司{i + 1:02d}"
            if big < OVER_100M:  # the projects of 1亿 or more: the named ones, then the first others
                wan, big = 12_000 + 1_000 * i, big + 1
            else:
                wan = 2_000 + 150 * i
        if i < len(sign_years):
            year = sign_years[i]
            registered = date(year, 1, 5)
            signed_in: int | None = year
        elif i < KEY_BY_2025:
            year = YEARS[(i - len(sign_years)) % len(YEARS)]
            registered, signed_in = date(year, 6, 1), None
        else:
            registered, signed_in = date(2026, 1, 6), None
        origin = "香港" if i in (2, 9, 14) else "哈尔滨"
        out.append(SeedProject(name, investor, origin, industry, unit, wan, registered, signed_in))
    return out


def _split(total: int, n: int) -> list[int]:
    """``total`` in ``n`` parts of whole 万 (the last takes the remainder)."""
    part = (total // n) // WAN * WAN
    return [part] * (n - 1) + [total - part * (n - 1)]


def _stories(projects: list[SeedProject]) -> None:
    doc_no: dict[tuple[str, int], int] = {}

    def doc(p: SeedProject, kind: str, on: date) -> None:
        n = doc_no[(kind, on.year)] = doc_no.get((kind, on.year), 0) + 1
        p.steps.append((on, "document", {"kind": kind, "number": f"示{kind}〔{on.year}〕{n}号"}))

    for p in projects:
        if p.signed_in is None:
            if p.registered.year < 2026 and p.registered.year % 2 == 0:  # some under committee review
                p.steps.append((date(p.registered.year, 6, 10), "advance", {"target": "submit"}))
            continue
        y = p.signed_in
        p.steps.append((date(y, 1, 10), "advance", {"target": "submit"}))
        for item in ("industrial_policy", "environment", "energy", "land_use"):
            p.steps.append((date(y, 1, 12), "check", {"item": item, "result": "pass", "note": None}))
        doc(p, "committee_decision", date(y, 1, 20))
        p.steps.append((date(y, 1, 20), "advance", {"target": "approve"}))
        doc(p, "contract", date(y, 2, 1))
        p.steps.append((date(y, 2, 1), "advance", {"target": "sign"}))
    signed = [p for p in projects if p.signed_in is not None]
    for year in YEARS:
        # Capital in place (CNY): shared by the projects signed by then; the first arrival of a project
        # signed this year moves it to funding.
        by_then = [p for p in signed if p.signed_in is not None and p.signed_in <= year]
        for p, minor in zip(by_then, _split(CAPITAL_PER_YEAR[year], len(by_then)), strict=True):
            p.steps.append((date(year, 3, 1), "capital", {"amount_minor": minor, "currency": "CNY",
                                                          "source": "企业自筹"}))
        if year in FOREIGN_PER_YEAR:
            foreign = [p for p in by_then if p.origin == "香港"] or by_then[:1]
            for p, minor in zip(foreign, _split(FOREIGN_PER_YEAR[year], len(foreign)), strict=True):
                p.steps.append((date(year, 7, 1), "capital", {"amount_minor": minor, "currency": "USD",
                                                              "source": "外商直接投资"}))
        # Investment completed: on the projects signed in an earlier year or early this year, which break
        # ground first (the four permits, then the transition).
        builders = by_then[: max(1, len(by_then) * 2 // 3)]
        for p in builders:
            if not any(a == "advance" and s.get("target") == "break_ground" for _, a, s in p.steps):
                for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
                    doc(p, kind, date(year, 4, 1))
                p.steps.append((date(year, 4, 10), "advance", {"target": "break_ground"}))
        for p, minor in zip(builders, _split(INVESTMENT_PER_YEAR[year], len(builders)), strict=True):
            p.steps.append((date(year, 9, 1), "investment", {"amount_minor": minor, "currency": "CNY"}))
    # 2026, this year: every key project has an investment plan for the year (年度计划投资); those under
    # construction report January's investment; the others plan their groundbreaking.
    for i, p in enumerate(projects):
        plan = (p.wan * WAN // 4) // WAN * WAN or 100 * WAN
        p.steps.append((date(2026, 1, 15 if i % 2 else 20), "edit", {"changes": {"year_plan": {2026: plan}}}))
        p.steps.append((date(2026, 1, 20), "followup", {"note": "年初调度，明确年度投资计划"}))
        built = any(a == "advance" and s.get("target") == "break_ground" for _, a, s in p.steps)
        if built:
            p.steps.append((date(2026, 1, 28), "investment", {"amount_minor": plan // 10 // WAN * WAN or WAN,
                                                              "currency": "CNY"}))
        else:
            p.plan = {"break_ground": date(2026, 4 + i % 6, 28)}
    # Follow-ups (人盯人): every two months from registration, and before each year's end.
    for p in projects:
        for year in range(p.registered.year, 2026):
            for month in (1, 3, 5, 7, 9, 11, 12):
                on = date(year, month, 20)
                if on > p.registered:
                    p.steps.append((on, "followup", {"note": "电话跟进投资方，了解项目进展"}))
        p.steps.sort(key=lambda s: s[0])


def build(engine, *, admin: str, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Build the seed county in an initialised, empty database where ``admin`` is admin."""
    today = clock.today()
    if today < EARLIEST_TODAY:
        raise BadInput("seed_scenario_is_dated", today=today)
    sqlite = engine.dialect.name == "sqlite"
    wdemo._mark(engine, {"scenario": "seed", "status": "building", "built_on": today.isoformat()})
    svc = Service(engine, admin)
    people = wdemo._people(svc)
    rules = wdemo._rules(svc)
    # Every key project has a county-level lead leader (一个重点项目、一名县级领导).
    add_rule(svc, role="lead_leader", person=wdemo.COUNTY_LEADERS[1][0], priority=50,
             conditions=Conditions.build(key=True), name="常务副县长包保其余重点项目")
    rules += 1
    projects = _projects()
    _stories(projects)  # before the rows: the stories set the planned dates
    coordinator = wdemo.COORDINATORS[0][0]
    writer = Service(engine, coordinator if sqlite else admin)
    result = writer.import_projects([p.row() for p in projects], progress=progress)
    for p, code in zip(projects, project_codes(result["first"], result["rows"]), strict=True):
        p.code = code
    ops = sorted((Op(p.code, action, on, args) for p in projects for on, action, args in p.steps),
                 key=lambda op: op.on)
    events = result["imported"] + result["assignments"] + writer.bulk_apply(ops, progress=progress)["events"]
    # The units' targets for 2025 and 2026 (so the evaluation ranks them).
    targets = 0
    units = sorted({p.unit for p in projects})
    for year in (2025, 2026):
        for i, unit in enumerate(units):
            set_target(svc, unit, year, signed=2 + i % 3, capital=Money((2_000 + 500 * i) * WAN, "CNY"),
                       investment=Money((1_500 + 400 * i) * WAN, "CNY"))
            targets += 1
    summary = wdemo._summary(engine)
    summary.update(scenario="seed", people=people, rules=rules, targets=targets, units=len(wdemo.UNITS),
                   events_written=events, expected=EXPECTED)
    wdemo._mark(engine, {"scenario": "seed", "status": "done", "built_on": today.isoformat()})
    return summary
