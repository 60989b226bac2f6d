"""The ledger's columns: keys, English and Chinese headers, header lookup and column letters."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# --- columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the English header and the name used in JSON
    zh: str  # the Chinese header
    kind: str  # text | amount | unit | yesno | date
    required: bool = False
    limit: int | None = None
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("name", "项目名称", "text", True, 300, ("project", "project_name")),
    Column("investor", "投资方", "text", True, 300, ("投资主体", "投资企业")),
    Column("origin", "投资方来源", "text", False, 200, ("investor_origin", "投资方所在地", "来源地")),
    Column("industry", "行业", "text", True, 200, ("所属行业", "产业")),
    Column("category", "类别", "text", False, 200, ("项目类别",)),
    Column("investment", "计划总投资", "amount", True, None,
           ("planned_investment", "investment_cny", "总投资", "计划投资", "计划投资额")),
    Column("unit", "责任单位", "unit", True, 40, ("unit_code", "responsible_unit")),
    Column("key", "重点项目", "yesno", False, None, ("key_project", "是否重点项目", "是否重点")),
    Column("plan_sign", "计划签约日期", "date", False, None, ("sign", "planned_signing")),
    Column("plan_fund", "计划到资日期", "date", False, None, ("fund", "planned_capital")),
    Column("plan_break_ground", "计划开工日期", "date", False, None, ("break_ground", "planned_groundbreaking")),
    Column("plan_commission", "计划投产日期", "date", False, None, ("commission", "planned_production")),
    Column("registered_on", "登记日期", "date", False, None, ("registered", "registration_date")),
    # Yearly investment plans (年度计划投资): YEAR=AMOUNT, several separated by ";", e.g. 2026=8000万;2027=1.2亿
    Column("year_plan", "年度计划投资", "yearplan", False, 400, ("year_plans", "年度计划", "年度投资计划")),
)
# Columns an export writes for the reader and an import passes over (a new project starts at the
# first stage and gets the next code).
EXPORT_ONLY: tuple[Column, ...] = (
    Column("code", "编号", "text", aliases=("项目编号",)),
    Column("stage", "阶段", "text", aliases=("当前阶段", "项目阶段")),
    Column("stage_since", "进入阶段日期", "date"),
)
PASSED_OVER = ("序号", "no", "#", "备注", "remarks", "note", "notes")
BY_KEY = {c.key: c for c in COLUMNS}
EXPORT_ORDER = ("code", *[c.key for c in COLUMNS], "stage", "stage_since")

YES = ("是", "yes", "y", "true", "t", "1", "√", "✓", "重点")
NO = ("否", "no", "n", "false", "f", "0", "×", "✗", "非重点")
_YES_NO = {**{v: True for v in YES}, **{v: False for v in NO}}
# Amount headers may carry their unit: 计划总投资（万元）.
_UNIT_SUFFIX = re.compile(r"^(?P<name>.*?)\s*[（(]\s*(?P<unit>元|万元|亿元|cny|yuan|rmb)\s*[）)]\s*$", re.I)
_UNIT_FACTOR = {"元": "", "万元": "万", "亿元": "亿", "cny": "", "yuan": "", "rmb": ""}
_HAS_UNIT = re.compile(r"[万亿元]|美元|[A-Za-z]{3}")
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def _norm(text: str) -> str:
    """The comparison form of a header: NFKC, no required-marks, lower case, words joined by ``_``."""
    s = unicodedata.normalize("NFKC", str(text)).strip().strip("*＊").strip()
    s = re.sub(r"[\s\-]+", "_", s.lower())
    return s


def _header_index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for col in (*COLUMNS, *EXPORT_ONLY):
        for name in (col.key, col.zh, *col.aliases):
            index[_norm(name)] = col
    return index


_HEADERS = _header_index()


def header(key: str, lang: str = "en") -> str:
    """The header an export writes for column ``key``."""
    col = BY_KEY.get(key) or next(c for c in EXPORT_ONLY if c.key == key)
    if lang == "zh" and key == "investment":
        return "计划总投资（万元）"
    return col.zh if lang == "zh" else col.key


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (as spreadsheets name columns)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
