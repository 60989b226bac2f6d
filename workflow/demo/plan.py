"""What the demo county is made of: units, people, words, and each project's story over the past year."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

DEMO_SETTING = "demo"
COUNTY = "示范县"
WAN = 10_000 * 100  # one 万元 in fen

UNITS: tuple[tuple[str, str, str], ...] = (
    ("CG", "城关镇", "township"),
    ("DA", "东安镇", "township"),
    ("XH", "新华镇", "township"),
    ("CF", "翠峰乡", "township"),
    ("HX", "红星乡", "township"),
    ("LH", "柳河镇", "township"),
    ("KFQ", "经济开发区管委会", "department"),
    ("FGW", "县发改局", "department"),
    ("GXJ", "县工信局", "department"),
    ("SWJ", "县商务局", "department"),
    ("NYJ", "县农业农村局", "department"),
    ("WLJ", "县文旅局", "department"),
)
TOWNSHIPS = tuple(u[0] for u in UNITS if u[2] == "township")

# County-level leaders (一名县级领导): login, name, title, cap on active key projects they lead.
COUNTY_LEADERS: tuple[tuple[str, str, str, int | None], ...] = (
    ("liu.jianguo", "刘建国", "县长", 10),
    ("chen.lijun", "陈立军", "常务副县长", None),
    ("wang.haitao", "王海涛", "副县长（分管工业）", None),
    ("zhao.chunmei", "赵春梅", "副县长（分管农业）", None),
    ("sun.zhigang", "孙志刚", "副县长（分管文旅商贸）", None),
)
# The first responsible person (第一责任人) of each unit.
UNIT_HEADS: dict[str, tuple[str, str, str]] = {
    "CG": ("he.wei", "何伟", "镇长"), "DA": ("guo.qiang", "郭强", "镇长"), "XH": ("ma.li", "马丽", "镇长"),
    "CF": ("lin.feng", "林峰", "乡长"), "HX": ("xu.jing", "徐静", "乡长"), "LH": ("gao.bo", "高博", "镇长"),
    "KFQ": ("yang.fan", "杨帆", "管委会主任"), "FGW": ("hu.jun", "胡军", "局长"), "GXJ": ("luo.min", "罗敏", "局长"),
    "SWJ": ("zheng.yu", "郑宇", "局长"), "NYJ": ("han.xue", "韩雪", "局长"), "WLJ": ("feng.tao", "冯涛", "局长"),
}
TEAM_MEMBER = ("zhou.ming", "周明", "县商务局副局长", "SWJ")  # in every key project's team (专班)
COORDINATORS = (("zhang.min", "张敏"), ("li.hua", "李华"))  # 招商局 staff who keep the ledger
LEADER_USERS = ("liu.jianguo", "chen.lijun")
AUDITOR = "shen.jie"

# Who leads a key project, by industry (the rules the demo adds say so).
INDUSTRY_LEADS: dict[str, str] = {
    "采矿业": "chen.lijun", "装备制造": "chen.lijun", "新能源": "wang.haitao",
    "农产品加工": "zhao.chunmei", "中医药": "zhao.chunmei", "畜牧养殖": "zhao.chunmei", "林下经济": "zhao.chunmei",
    "文化旅游": "sun.zhigang", "商贸物流": "sun.zhigang",
}
BIG_PROJECT_MINOR = 50_000 * WAN  # 5亿: the county head leads these first (up to the cap)
FOREIGN = ("香港", "韩国", "俄罗斯", "新加坡", "日本")
USD_PER_CNY_WAN = 7.1  # a round exchange rate for the demo's USD tranches

# The projects the seed speech names (docs/import-export.md, `pipeline demo`), each with its story.
NAMED: tuple[dict, ...] = (
    dict(name="翠宏山铁多金属矿采选项目", investor="黑龙江翠宏山矿业有限公司", origin="哈尔滨", industry="采矿业",
         category="工业", wan=120_000, unit="DA", fate="construction", extra_today="investment"),
    dict(name="东安金矿开发项目", investor="东安金业有限公司", origin="山东", industry="采矿业", category="工业",
         wan=35_000, unit="DA", fate="funding", tail=0),
    dict(name="盛典蓝莓深加工项目", investor="盛典蓝莓科技开发有限公司", origin="北京", industry="农产品加工",
         category="工业", wan=8_000, key=True, unit="CF", fate="production", tail=0),
    dict(name="申逊北药种植加工基地", investor="申逊北药有限公司", origin="吉林", industry="中医药", category="农业",
         wan=6_000, key=True, unit="HX", fate="signed", tail=0),
    dict(name="博士慧风电场项目", investor="博士慧风电有限公司", origin="香港", industry="新能源", category="工业",
         wan=96_000, unit="KFQ", fate="construction", extra_today="capital"),
    dict(name="诺宝生物质热电联产项目", investor="黑龙江诺宝新能源开发有限公司", origin="哈尔滨", industry="新能源",
         category="工业", wan=28_000, unit="KFQ", fate="funding"),
    dict(name="宾馆建设项目", investor="利源达公司", origin="大连", industry="文化旅游", category="服务业",
         wan=4_500, unit="CG", fate="on_hold", at="signed", reason="投资方调整设计方案，暂缓推进"),
    dict(name="利源达粮食仓储物流项目", investor="利源达公司", origin="大连", industry="商贸物流", category="服务业",
         wan=12_000, unit="SWJ", fate="screening", tail=12),
    dict(name="年产5万吨文化纸项目", investor="恒达纸业有限公司", origin="河北", industry="造纸", category="工业",
         wan=15_000, unit="LH", fate="rejected", reason="污染物排放触碰环保红线，不予准入"),
    dict(name="石墨烯新材料产业园", investor="深圳华晟新材料有限公司", origin="深圳", industry="新材料",
         category="工业", wan=30_000, unit="KFQ", fate="withdrawn", at="approved", reason="投资方资金链断裂，终止合作"),
    dict(name="冷水鱼生态养殖基地", investor="松花江渔业发展有限公司", origin="哈尔滨", industry="畜牧养殖",
         category="农业", wan=2_500, unit="XH", fate="lead"),
    dict(name="森林食品加工园", investor="北疆森林食品有限公司", origin="黑河", industry="农产品加工", category="工业",
         wan=9_000, unit="NYJ", fate="approved"),
    dict(name="韩资泡菜加工项目", investor="韩国大韩食品株式会社", origin="韩国", industry="农产品加工",
         category="工业", wan=7_000, unit="GXJ", fate="funding"),
    dict(name="中俄木材精深加工项目", investor="俄罗斯远东林业集团", origin="俄罗斯", industry="木材加工",
         category="工业", wan=18_000, unit="LH", fate="resumed", at="signed", reason="冬季停工，待来年复工"),
    dict(name="石墨深加工项目", investor="黑龙江奥宇石墨有限公司", origin="鸡西", industry="新材料", category="工业",
         wan=8_000, key=True, unit="XH", fate="lead"),
)

# Generated projects: industry, category, name patterns, planned investment range in 万元, investor suffix.
TEMPLATES: tuple[tuple[str, str, tuple[str, ...], tuple[int, int], str], ...] = (
    ("农产品加工", "工业",
     ("鲜食玉米加工项目", "大豆精深加工项目", "黑木耳深加工项目", "杂粮加工项目", "山野菜加工项目"),
     (1_000, 20_000), "农业科技有限公司"),
    ("新能源", "工业", ("光伏发电项目", "风电场项目", "生物质颗粒燃料项目", "生物质热电项目"), (5_000, 150_000),
     "新能源有限公司"),
    ("采矿业", "工业", ("钼矿采选项目", "石墨矿采选项目", "建筑石料矿项目", "铜矿勘探开发项目"), (3_000, 80_000),
     "矿业有限公司"),
    ("中医药", "农业", ("北药种植基地", "中药饮片加工项目", "五味子种植加工项目"), (800, 15_000), "药业有限公司"),
    ("文化旅游", "服务业", ("森林康养度假区", "冰雪旅游综合体", "民宿集群项目", "红色旅游景区提升项目"),
     (1_000, 50_000), "旅游开发有限公司"),
    ("商贸物流", "服务业", ("冷链物流园", "电商产业园", "农产品交易市场", "边贸物流中心"), (1_000, 30_000),
     "物流有限公司"),
    ("装备制造", "工业", ("农机装配项目", "汽车零部件项目", "林业机械制造项目"), (2_000, 50_000), "机械制造有限公司"),
    ("畜牧养殖", "农业", ("肉牛养殖基地", "生猪养殖场", "奶牛牧场"), (500, 15_000), "牧业有限公司"),
    ("林下经济", "农业", ("蓝莓种植基地", "红松果林基地", "榛子种植基地"), (300, 8_000), "生态农业有限公司"),
)
ORIGINS = ("哈尔滨", "北京", "上海", "浙江", "广东", "山东", "吉林", "大连", "深圳", "黑河", "江苏", "天津")
WORDS = ("鑫源", "恒通", "金丰", "北疆", "宏达", "瑞丰", "天成", "嘉禾", "隆盛", "森源", "佳禾", "盛世",
         "中诚", "德泰", "龙江", "兴安", "华晟", "振兴", "博远", "丰泽")
FATES: tuple[tuple[str, float], ...] = (
    ("lead", 0.22), ("screening", 0.08), ("approved", 0.10), ("signed", 0.12), ("funding", 0.12),
    ("construction", 0.14), ("production", 0.10), ("on_hold", 0.04), ("resumed", 0.03), ("rejected", 0.025),
    ("withdrawn", 0.025),
)
HOLD_REASONS = ("投资方调整投资计划", "用地手续待省厅批复", "冬季停工", "环评补充材料中")
WITHDRAW_REASONS = ("投资方资金链断裂，终止合作", "投资方改投其他地区", "市场变化，投资方放弃")
REJECT_REASONS = ("污染物排放触碰环保红线，不予准入", "属国家限制类产业，不符合产业政策", "能耗指标超出县域总量控制")
FOLLOWUPS = ("电话跟进投资方，了解项目进展", "赴企业现场办公，协调解决用地问题", "陪同投资方考察选址",
             "召开项目推进会", "协调供电、供水等配套设施", "督促企业加快手续办理", "与投资方洽谈合同条款",
             "县级领导带队回访企业")
SOURCES = ("企业自筹", "银行贷款", "外商直接投资", "股东增资")
STAGE_PATH = ("lead", "screening", "approved", "signed", "funding", "construction", "production")


# --- the plan ------------------------------------------------------------------------------------


@dataclass
class Spec:
    """One demo project: its ledger row and its story (the writes after registration)."""

    name: str
    investor: str
    origin: str
    industry: str
    category: str
    minor: int
    unit: str
    key: bool | None
    fate: str
    registered: date = date.min
    plan: dict = field(default_factory=dict)
    steps: list[tuple[date, str, dict]] = field(default_factory=list)  # (on, action, args)
    reaches: str = "lead"  # the furthest stage of the path it walks
    code: str = ""

    @property
    def foreign(self) -> bool:
        return self.origin in FOREIGN

    @property
    def is_key(self) -> bool:
        return self.key if self.key is not None else self.minor >= 100_000_000 * 100

    def row(self) -> dict:
        return {"name": self.name, "investor": self.investor, "origin": self.origin, "industry": self.industry,
                "category": self.category, "investment_minor": self.minor, "unit": self.unit, "key": self.key,
                "plan": self.plan, "on": self.registered}

    @property
    def last(self) -> date:
        return max([self.registered, *(s[0] for s in self.steps)])


# The form of a demo document's number, by document kind ({y} its year, {n} its number in the year).
DOC_NUMBER_FORMS = {
    "committee_decision": "示招委〔{y}〕{n}号", "contract": "ZS-{y}-{n:03d}",
    "planning_permit": "建字第{y}-{n:03d}号",
    "land_use": "示国用〔{y}〕第{n}号", "eia": "示环审〔{y}〕{n}号", "safety_assessment": "安评备〔{y}〕{n}号",
    "completion_acceptance": "示竣验〔{y}〕{n}号",
}


class _Numbers:
    """Running document numbers per kind and year (示招委〔2026〕3号)."""

    FORMS = DOC_NUMBER_FORMS

    def __init__(self):
        self.count: Counter = Counter()

    def __call__(self, kind: str, on: date) -> str:
        self.count[(kind, on.year)] += 1
        return self.FORMS[kind].format(y=on.year, n=self.count[(kind, on.year)])


def _round_wan(rng: random.Random, lo: int, hi: int) -> int:
    """An amount in 万元 between lo and hi, most of them small (few projects are big)."""
    value = lo * (hi / lo) ** (rng.random() ** 2)
    step = 100 if value >= 10_000 else 50 if value >= 2_000 else 10
    return max(step, round(value / step) * step)


def specs(count: int, rng: random.Random) -> list[Spec]:
    """The ledger: the named projects first, then generated ones (names unique)."""
    out = []
    for d in NAMED[:count]:
        out.append(Spec(d["name"], d["investor"], d["origin"], d["industry"], d["category"], d["wan"] * WAN,
                        d["unit"], d.get("key"), d["fate"]))
    used = Counter(s.name for s in out)
    units = [u[0] for u in UNITS]
    fates, weights = zip(*FATES, strict=True)
    while len(out) < count:
        industry, category, products, (lo, hi), suffix = rng.choice(TEMPLATES)
        unit = rng.choice(units)
        place = dict((u[0], u[1]) for u in UNITS)[unit if unit in TOWNSHIPS else rng.choice(TOWNSHIPS)]
        name = place + rng.choice(products)
        used[name] += 1
        if used[name] > 1:
            name += f"（{_phase(used[name])}期）"
        origin = rng.choice(FOREIGN) if rng.random() < 0.08 else rng.choice(ORIGINS)
        word = rng.choice(WORDS)
        investor = (f"{origin}{word}投资有限公司" if origin == "香港" else f"{origin}{word}株式会社" if origin in
                    ("韩国", "日本") else f"{origin}{word}集团" if origin in FOREIGN else f"{origin}{word}{suffix}")
        wan = _round_wan(rng, lo, hi)
        key = True if 3_000 <= wan < 10_000 and rng.random() < 0.4 else None
        out.append(Spec(name, investor, origin, industry, category, wan * WAN, unit, key,
                        rng.choices(fates, weights)[0]))
    return out


def _phase(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if n <= 10 else str(n)


def story(spec: Spec, rng: random.Random, today: date, numbers: _Numbers, named: dict | None = None) -> None:
    """Fill ``spec.registered``, ``spec.plan`` and ``spec.steps``: the path of its fate, dated in order
    over the past year, none in the future."""
    named = named or {}
    fate = spec.fate
    reach = {"on_hold": None, "resumed": None, "withdrawn": None, "rejected": "screening"}.get(fate, fate)
    if reach is None:
        reach = named.get("at") or rng.choice(("approved", "signed", "funding", "construction") if fate != "withdrawn"
                                               else ("lead", "approved", "signed"))
    spec.reaches = reach
    target = STAGE_PATH.index(reach)
    # Gaps in days between the milestones of the path (from registration).
    gaps: list[tuple[str, int]] = []
    if target >= 1:
        gaps.append(("submit", rng.randint(5, 30)))
    if target >= 2 or fate == "rejected":
        gaps.append(("approve" if fate != "rejected" else "reject", rng.randint(3, 9)))
    if target >= 3:
        gaps.append(("sign", rng.randint(15, 60)))
    if target >= 4:
        gaps.append(("fund", rng.randint(10, 60)))
    if target >= 5:
        gaps.append(("break_ground", rng.randint(20, 60)))
    if target >= 6:
        gaps.append(("commission", rng.randint(60, 150)))
    if fate in ("on_hold", "resumed"):
        gaps.append(("hold", rng.randint(10, 60)))
    if fate == "resumed":
        gaps.append(("resume", rng.randint(20, 60)))
    if fate == "withdrawn":
        gaps.append(("withdraw", rng.randint(10, 60)))
    if "tail" in named:
        tail = named["tail"]
    elif fate == "screening":
        tail = rng.choice((1, 2, 3, 4, 7, 8, 12, 16))
    elif fate == "lead":
        tail = rng.randint(3, 200)
    else:
        tail = rng.randint(3, 120)
    span = sum(g for _, g in gaps)
    if span + tail > 350:  # squeeze the path into the past year
        factor = (350 - tail) / span
        gaps = [(m, max(1, int(g * factor))) for m, g in gaps]
    spec.registered = today - timedelta(days=sum(g for _, g in gaps) + tail)
    day = spec.registered
    when: dict[str, date] = {}
    for milestone, gap in gaps:
        day = day + timedelta(days=gap)
        when[milestone] = day
    steps = spec.steps
    usd = spec.foreign

    def add(on: date, action: str, **args) -> None:
        steps.append((min(on, today), action, args))

    def doc(kind: str, on: date) -> None:
        add(on, "document", kind=kind, number=numbers(kind, on))

    if "submit" in when:
        add(when["submit"], "advance", target="submit")
        decided = when.get("approve") or when.get("reject")
        if decided:
            fail = "environment" if fate == "rejected" else None
            for i, item in enumerate(("industrial_policy", "environment", "energy", "land_use")):
                on = min(decided, when["submit"] + timedelta(days=1 + i))
                note = "排放指标超标" if item == fail else None
                add(on, "check", item=item, result="fail" if item == fail else "pass", note=note)
            if fate == "rejected":
                add(decided, "advance", target="reject",
                    reason=named.get("reason") or rng.choice(REJECT_REASONS))
            else:
                doc("committee_decision", decided)
                add(decided, "advance", target="approve")
        elif fate == "screening" and rng.random() < 0.5:  # the checklist under way
            for i, item in enumerate(("industrial_policy", "environment")):
                add(min(today, when["submit"] + timedelta(days=1 + i)), "check", item=item, result="pass", note=None)
    if "sign" in when:
        doc("contract", when["sign"])
        add(when["sign"], "advance", target="sign")
    if "fund" in when:
        add(when["fund"], "capital", **_tranche(rng, spec, 0.10, 0.30, usd))
    if "break_ground" in when:
        start = when["fund"]
        for i, kind in enumerate(("planning_permit", "land_use", "eia", "safety_assessment")):
            doc(kind, min(when["break_ground"], start + timedelta(days=5 + 7 * i)))
        add(when["break_ground"], "advance", target="break_ground")
        upto = when.get("commission") or when.get("hold") or when.get("withdraw") or today
        add(when["break_ground"] + (upto - when["break_ground"]) / 2, "capital",
            **_tranche(rng, spec, 0.10, 0.25, usd))
        add(max(when["break_ground"], upto - timedelta(days=rng.randint(0, 10))), "investment",
            amount_minor=_amount(rng, spec.minor, 0.2, 0.5), currency="CNY")
    if "commission" in when:
        doc("completion_acceptance", when["commission"])
        # recorded before the project reaches production: a final stage records nothing but corrections
        add(when["commission"], "investment", amount_minor=_amount(rng, spec.minor, 0.3, 0.5), currency="CNY")
        add(when["commission"], "advance", target="commission")
    for m in ("hold", "resume", "withdraw"):
        if m in when:
            reason = None if m == "resume" else (named.get("reason") or rng.choice(
                HOLD_REASONS if m == "hold" else WITHDRAW_REASONS))
            add(when[m], "advance", target=m, reason=reason)
    extra = named.get("extra_today")
    if extra == "capital":
        add(today, "capital", **_tranche(rng, spec, 0.05, 0.10, usd))
    elif extra == "investment":
        add(today, "investment", amount_minor=_amount(rng, spec.minor, 0.05, 0.1), currency="CNY")
    _followups(spec, rng, today, when)
    steps.sort(key=lambda s: s[0])  # stable: a step keeps its place among steps of the same day
    _plan_dates(spec, rng, today)


def _amount(rng: random.Random, minor: int, lo: float, hi: float, step: int = 10 * WAN) -> int:
    return max(step, round(minor * rng.uniform(lo, hi) / step) * step)


def _tranche(rng: random.Random, spec: Spec, lo: float, hi: float, usd: bool) -> dict:
    if usd:
        usd_minor = _amount(rng, int(spec.minor / USD_PER_CNY_WAN), lo, hi, step=WAN)
        return {"amount_minor": usd_minor, "currency": "USD", "source": "外商直接投资"}
    return {"amount_minor": _amount(rng, spec.minor, lo, hi), "currency": "CNY",
            "source": rng.choice(SOURCES[:2] + SOURCES[3:])}


def _followups(spec: Spec, rng: random.Random, today: date, when: dict[str, date]) -> None:
    """A follow-up now and then (人盯人); for active projects mostly a recent one, sometimes none for
    weeks (yellow) or months (red)."""
    final = when.get("commission") or when.get("withdraw") or when.get("reject")
    end = final - timedelta(days=1) if final else today  # nothing but corrections in a final stage
    length = (end - spec.registered).days
    for _ in range(min(3, length // 45)):
        on = spec.registered + timedelta(days=rng.randint(1, max(1, length - 1)))
        spec.steps.append((min(on, end), "followup", {"note": rng.choice(FOLLOWUPS)}))
    if final is None:
        r = rng.random()
        ago = rng.randint(0, 25) if r < 0.65 else rng.randint(31, 55) if r < 0.85 else None
        if ago is not None and today - timedelta(days=ago) >= spec.registered:
            spec.steps.append((today - timedelta(days=ago), "followup", {"note": rng.choice(FOLLOWUPS)}))


def _plan_dates(spec: Spec, rng: random.Random, today: date) -> None:
    """Planned milestones (倒排工期): most projects have them; the next unreached one is usually still
    ahead, sometimes overdue (a red light)."""
    if rng.random() < 0.15:
        return
    sign = spec.registered + timedelta(days=rng.randint(60, 150))
    fund = sign + timedelta(days=rng.randint(20, 60))
    ground = fund + timedelta(days=rng.randint(30, 90))
    commission = ground + timedelta(days=rng.randint(150, 360))
    plan = {"sign": sign, "fund": fund, "break_ground": ground, "commission": commission}
    reached = STAGE_PATH.index(spec.reaches) if spec.fate not in ("rejected", "withdrawn") else 0
    following = {"sign": 3, "fund": 4, "break_ground": 5, "commission": 6}
    nxt = next((m for m, s in following.items() if s > reached), None)
    if nxt and plan[nxt] < today and rng.random() < 0.6:
        shift = today + timedelta(days=rng.randint(10, 120)) - plan[nxt]
        for m, s in following.items():
            if s >= following[nxt]:
                plan[m] = plan[m] + shift
    spec.plan = plan
