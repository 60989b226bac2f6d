"""The seed county (``pipeline demo --scenario seed [--as-of D]``): the county of the mobilisation
speech this product was made for (docs/import-export.md), built over 2022 up to the as-of date (default
today) with 2026 as "this year", so that the reports print its figures:

- over 2022..2025: 33 projects signed, 9亿元 of capital in place (1.3222, 1.6764, 2.6014, 3.40亿: the
  speech's 1.32, 1.68, 2.60, 3.40 rounded), 2025 up 30.7% on 2024 and 37% a year on average
  ((3.40 / 1.3222) ** (1/3) − 1, as the span report compounds it);
- over 2023..2025: 4179万美元 of foreign capital in place (1000万, 1379万, 1800万美元);
- 44 key projects on 31 December 2025, with 6.6亿元 of investment completed over 2022..2025;
- in 2026: 47 key projects (three more registered in January), 11 of them of 1亿元 or more, whose work
  runs up to the as-of date: the year's investment plans, monthly investment, quarterly capital,
  groundbreakings on plan, the waiting projects through the committee to signing, follow-ups twice a
  month each promising the next — and the projects of ``LATE`` falling behind as the story tells.

Every figure comes from history written by the same commands as the command line (registration by
import, then documents, checks, transitions, capital, investment and plans in one batch), so the
chains verify and the reports compute the figures like any others.  Deterministic: no randomness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from workflow import clock
from workflow import demo as wdemo
from workflow.amounts import Money
from workflow.bulk import Op
from workflow.demo.plan import DOC_NUMBER_FORMS
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
# Capital in place: the speech's 1.32, 1.68, 2.60 and 3.40亿 (9亿) are rounded.  2025's +30.7% needs
# 2024 at 2.6014亿 (3.40 / 2.60 would be +30.8%), and the 37% average (compounded over three years,
# workflow/reports/planned.py `series`) needs 2022 at 1.3222亿; 2023 takes the rest of the 9亿.
CAPITAL_PER_YEAR = {2022: 13_222 * WAN, 2023: 16_764 * WAN, 2024: 26_014 * WAN, 2025: 34_000 * WAN}  # 9亿
FOREIGN_PER_YEAR = {2023: 1_000 * WAN, 2024: 1_379 * WAN, 2025: 1_800 * WAN}  # 4179万美元
INVESTMENT_PER_YEAR = {2022: 8_000 * WAN, 2023: 13_000 * WAN, 2024: 19_000 * WAN, 2025: 26_000 * WAN}  # 6.6亿
KEY_BY_2025 = 44
KEY_IN_2026 = 47
OVER_100M = 11
# The projects the story makes late this year.
NO_CONTACT = "宾馆建设项目"
SLOW = "诺宝生物质热电联产项目"
NO_GROUND = "商贸物流重点项目32"
NO_CAPITAL = "装备制造重点项目33"
# (name, the story's reason, red from, red until)
LATE: tuple[tuple[str, str, date, date | None], ...] = (
    (NO_CONTACT, "投资方负责人变更，联系中断，两个月未跟进", EARLIEST_TODAY, None),
    (NO_GROUND, "用地手续未办结，计划1月开工未开工", EARLIEST_TODAY, None),
    (NO_CAPITAL, "外方资金审批未完成，签约后资金未到位", EARLIEST_TODAY, None),
    # behind its 2026 plan by more than 30 points of time progress from May; 2027 has no plan
    (SLOW, "资金链紧张，施工放缓，年度投资进度滞后", date(2026, 5, 1), date(2026, 12, 31)),
)
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


def _on_or_before(as_of: date, *days: date) -> list[date]:
    return [d for d in days if d <= as_of]


def _months(as_of: date) -> list[int]:
    """The months of 2026 up to the as-of date (all twelve for a later date)."""
    return list(range(1, (as_of.month if as_of.year == 2026 else 12) + 1))


def _walk_to_signed(p: SeedProject, doc: Callable[[SeedProject, str, date], None], y: int, m: int) -> None:
    """Committee screening (the checklist), the committee's decision and the contract, in one month."""
    p.steps.append((date(y, m, 10), "advance", {"target": "submit"}))
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        p.steps.append((date(y, m, 12), "check", {"item": item, "result": "pass", "note": None}))
    doc(p, "committee_decision", date(y, m, 18))
    p.steps.append((date(y, m, 18), "advance", {"target": "approve"}))
    doc(p, "contract", date(y, m, 25))
    p.steps.append((date(y, m, 25), "advance", {"target": "sign"}))


def _stories(projects: list[SeedProject], as_of: date) -> None:
    """Every project's history up to ``as_of`` (nothing after it): 2022–2025 as the speech tells
    it, then 2026, this year, month by month; the projects of ``LATE`` fall behind as told."""
    doc_no: dict[tuple[str, int], int] = {}

    def doc(p: SeedProject, kind: str, on: date) -> None:
        n = doc_no[(kind, on.year)] = doc_no.get((kind, on.year), 0) + 1
        p.steps.append((on, "document", {"kind": kind, "number": DOC_NUMBER_FORMS[kind].format(y=on.year, n=n)}))

    for p in projects:
        if p.signed_in is not None:
            _walk_to_signed(p, doc, p.signed_in, 1)
    signed = [p for p in projects if p.signed_in is not None]
    built: set[str] = set()
    for year in YEARS:
        # Capital in place (CNY): shared by the projects signed by then (but the one whose money never
        # came); the first arrival of a project signed this year moves it to funding.
        by_then = [p for p in signed if p.signed_in is not None and p.signed_in <= year]
        paying = [p for p in by_then if p.name != NO_CAPITAL]
        for p, minor in zip(paying, _split(CAPITAL_PER_YEAR[year], len(paying)), strict=True):
            p.steps.append((date(year, 3, 1), "capital", {"amount_minor": minor, "currency": "CNY",
                                                          "source": "企业自筹"}))
        if year in FOREIGN_PER_YEAR:
            foreign = [p for p in paying if p.origin == "香港"] or paying[:1]
            for p, minor in zip(foreign, _split(FOREIGN_PER_YEAR[year], len(foreign)), strict=True):
                p.steps.append((date(year, 7, 1), "capital", {"amount_minor": minor, "currency": "USD",
                                                              "source": "外商直接投资"}))
        # Investment completed: on the projects signed in an earlier year or early this year, which break
        # ground first (the four permits, then the transition).
        builders = paying[: max(1, len(by_then) * 2 // 3)]
        for p in builders:
            if p.name not in built:
                for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
                    doc(p, kind, date(year, 4, 1))
                p.steps.append((date(year, 4, 10), "advance", {"target": "break_ground"}))
                built.add(p.name)
        for p, minor in zip(builders, _split(INVESTMENT_PER_YEAR[year], len(builders)), strict=True):
            p.steps.append((date(year, 9, 1), "investment", {"amount_minor": minor, "currency": "CNY"}))
    # 2026, this year: every key project has an investment plan for the year (年度计划投资), set at the
    # year's first dispatch.  Those under construction report each month's investment (a twelfth of
    # the plan, on the 1st; January's at the month's end); those in funding break ground ten days
    # before their planned date and receive capital each quarter; the others go through the
    # committee and sign, one or two a month, and their first capital arrives the month after.
    months = _months(as_of)
    waiting = [p for p in projects if p.signed_in is None]
    for i, p in enumerate(projects):
        if p.signed_in is None:
            continue
        plan = min(p.wan * WAN // 12, _room(p, "investment") // 2) // (12 * WAN) * 12 * WAN or 12 * WAN
        p.steps.append((date(2026, 1, 15 if i % 2 else 20), "edit", {"changes": {"year_plan": {2026: plan}}}))
        if p.name not in (SLOW, NO_CAPITAL):
            for m in months:
                p.steps.append((date(2026, 1, 28) if m == 1 else date(2026, m, 1), "investment",
                                {"amount_minor": plan // 12, "currency": "CNY"}))
        elif p.name == SLOW:
            p.steps.append((date(2026, 1, 28), "investment", {"amount_minor": plan // 12, "currency": "CNY"}))
        if p.name == NO_CAPITAL:
            continue
        if p.name not in built:
            planned = date(2026, 1, 31) if p.name == NO_GROUND else date(2026, 3 + i % 8, 28)
            p.plan = {"break_ground": planned}
            if p.name != NO_GROUND:
                for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
                    doc(p, kind, date(2026, planned.month, 15))
                p.steps.append((date(2026, planned.month, 18), "advance", {"target": "break_ground"}))
        quarter = min(p.wan * WAN // 100, _room(p, "capital") // 8) // WAN * WAN
        for m in (3, 6, 9, 12):
            p.steps.append((date(2026, m, 10), "capital", {"amount_minor": quarter, "currency": "CNY",
                                                          "source": "企业自筹"}))
            if p.origin == "香港":
                p.steps.append((date(2026, m, 12), "capital", {"amount_minor": 100 * WAN, "currency": "USD",
                                                              "source": "外商直接投资"}))
    for k, p in enumerate(waiting):
        m = 2 + k * 10 // len(waiting)  # February to November
        _walk_to_signed(p, doc, 2026, m)
        signed_on = date(2026, m, 25)
        plan = p.wan * WAN // 8 // (12 * WAN) * 12 * WAN or 12 * WAN
        p.steps.append((signed_on, "edit", {"changes": {"year_plan": {2026: plan}}}))
        p.steps.append((signed_on, "investment", {"amount_minor": plan // 12 * m, "currency": "CNY"}))
        for later in range(m + 1, 13):
            p.steps.append((date(2026, later, 1), "investment", {"amount_minor": plan // 12, "currency": "CNY"}))
        if m < 12:
            p.steps.append((date(2026, m + 1, 10), "capital", {"amount_minor": p.wan * WAN // 20 // WAN * WAN,
                                                              "currency": "CNY", "source": "企业自筹"}))
    # Follow-ups (人盯人): every two months from registration and before each year's end; in 2026 twice
    # a month, each promising the next (a promised follow-up).  The project whose contact broke off
    # has none after November 2025.
    for p in projects:
        for year in range(p.registered.year, 2026):
            for month in (1, 3, 5, 7, 9, 11, 12):
                on = date(year, month, 20)
                if on > p.registered and not (p.name == NO_CONTACT and on > date(2025, 11, 20)):
                    p.steps.append((on, "followup", {"note": "电话跟进投资方，了解项目进展"}))
        if p.name == NO_CONTACT:
            continue
        days = followup_days(2026, as_of)
        for on, after in zip(days, days[1:] + [_next_followup(days[-1])], strict=True):
            if on > p.registered:
                note = "年初调度，明确年度投资计划" if on == date(2026, 1, 20) else "实地走访，调度项目进展"
                p.steps.append((on, "followup", {"note": note, "next_on": after}))
    for p in projects:
        p.steps = sorted((s for s in p.steps if s[0] <= as_of), key=lambda s: s[0])


def _room(p: SeedProject, action: str) -> int:
    """What the project's total investment leaves for more ``action`` entries in CNY."""
    return p.wan * WAN - sum(a["amount_minor"] for _, act, a in p.steps
                             if act == action and a.get("currency") == "CNY")


def followup_days(first_year: int, as_of: date) -> list[date]:
    """The 5th and the 20th of every month from January of ``first_year`` up to the end of 2026 or
    ``as_of``, whichever is later (the rhythm goes on after this year, so no date finds it stopped)."""
    last_year = max(2026, as_of.year)
    return [date(y, m, d) for y in range(first_year, last_year + 1) for m in range(1, 13) for d in (5, 20)]


def _next_followup(day: date) -> date:
    if day.day == 5:
        return day.replace(day=20)
    return date(day.year + day.month // 12, day.month % 12 + 1, 5)


def late_projects(as_of: date) -> list[dict]:
    """The projects the story makes late (red) on ``as_of``, with the story's reason."""
    return [{"name": name, "reason": why} for name, why, since, until in LATE
            if since <= as_of and (until is None or as_of <= until)]


def write(engine, admin: str, projects: list[SeedProject],
          progress: Callable[[str, int, int], None] | None = None) -> int:
    """Register ``projects`` by one import, then apply their steps in one batch (the engine's batch
    path, as a coordinator on SQLite); returns the events written."""

    coordinator = wdemo.COORDINATORS[0][0]
    writer = Service(engine, coordinator if engine.dialect.name == "sqlite" else admin)
    result = writer.import_projects([p.row() for p in projects], progress=progress)
    for p, code in zip(projects, project_codes(result["first"], result["rows"]), strict=True):
        p.code = code
    # the seed's tranches are its figures by construction: confirmed, however large a share they are
    ops = sorted((Op(p.code, action, on, {**args, "confirm": True} if action == "capital" else args)
                  for p in projects for on, action, args in p.steps),
                 key=lambda op: op.on)
    return int(result["imported"] + result["assignments"] + writer.bulk_apply(ops, progress=progress)["events"])


def check_as_of(as_of: date | None) -> date:
    """The scenario's as-of date: given or today; not before ``EARLIEST_TODAY``, not in the future."""

    today = clock.today()
    as_of = as_of or today
    if as_of < EARLIEST_TODAY:
        raise BadInput("seed_scenario_is_dated", today=as_of)
    if as_of > today:
        raise BadInput("lies_in_future_today", field="--as-of", day=as_of, now=today)
    return as_of


def build(engine, *, admin: str, as_of: date | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Build the seed county in an initialised, empty database where ``admin`` is admin, with its
    history up to ``as_of`` (default today; not before ``EARLIEST_TODAY``, not after today)."""

    today = clock.today()
    as_of = check_as_of(as_of)
    wdemo._mark(engine, {"scenario": "seed", "status": "building", "built_on": today.isoformat()})
    svc = Service(engine, admin)
    people = wdemo._people(svc)
    projects = _projects()
    since = min(p.registered for p in projects)  # the rules decide every project of the story
    rules = wdemo._rules(svc, since)
    # Every key project has a county-level lead leader (一个重点项目、一名县级领导).
    add_rule(svc, role="lead_leader", person=wdemo.COUNTY_LEADERS[1][0], priority=50,
             conditions=Conditions.build(key=True), name="常务副县长包保其余重点项目", effective_on=since)
    rules += 1
    _stories(projects, as_of)  # before the rows: the stories set the planned dates
    events = write(engine, admin, projects, progress)
    # The units' targets for 2025 and 2026 (so the evaluation ranks them).
    targets = 0
    units = sorted({p.unit for p in projects})
    for year in (2025, 2026):
        for i, unit in enumerate(units):
            set_target(svc, unit, year, signed=2 + i % 3, capital=Money((2_000 + 500 * i) * WAN, "CNY"),
                       investment=Money((1_500 + 400 * i) * WAN, "CNY"), reason="seed data")
            targets += 1
    summary = wdemo._summary(engine)
    summary.update(scenario="seed", people=people, rules=rules, targets=targets, units=len(wdemo.UNITS),
                   events_written=events, expected=EXPECTED, as_of=as_of.isoformat(),
                   late=late_projects(as_of))
    wdemo._mark(engine, {"scenario": "seed", "status": "done", "built_on": today.isoformat()})
    return summary
