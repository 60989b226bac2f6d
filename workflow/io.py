"""Project ledgers (项目台账) in and out: CSV and XLSX files, checked cell by cell (SPEC §8).

Reading: CSV in UTF-8, UTF-8 with BOM, UTF-16 (Excel's "Unicode text") and GB18030 (a superset of the
GBK that Chinese Excel saves), comma, semicolon or tab separated; XLSX through openpyxl in read-only
mode.  Headers are the English keys or the Chinese headers (项目名称, 投资方, …); a title row above the
header row is skipped.  ``check_rows`` checks every cell of every row and reports every problem with
its line, column letter and header, so that one pass over a file shows everything to fix.

Writing: the same headers (English keys, or Chinese under ``lang="zh"``) so that an export imports
back unchanged.  Pure functions over data: the database is reached through ``workflow.service``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from workflow.errors import BadInput

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


# --- reading -----------------------------------------------------------------------------------


@dataclass
class Table:
    """A sheet as read: the header row and the data rows with their line (row) numbers."""

    source: str
    headers: list[str]
    header_line: int
    rows: list[tuple[int, list[Any]]]
    encoding: str | None = None
    skipped_lines: list[int] = field(default_factory=list)


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX file (by its extension); refuse anything else with what is accepted."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"FILE: {path} does not exist")
    if path.is_dir():
        raise BadInput(f"FILE: {path} is a directory")
    suffix = path.suffix.lower()
    if suffix == ".xlsx" or suffix == ".xlsm":
        return read_xlsx(path, sheet=sheet)
    if suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise BadInput("--sheet applies to .xlsx files only")
        return read_csv_bytes(path.read_bytes(), source=path.name)
    if suffix == ".xls":
        raise BadInput(f"FILE: {path.name} is an old Excel .xls workbook; save it as .xlsx or CSV and import that")
    raise BadInput(f"FILE: {path.name}: unknown file type {suffix or '(none)'}; import .csv or .xlsx")


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding of CSV bytes: a BOM decides (UTF-8, UTF-16); else UTF-8; else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", "UTF-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", "UTF-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise BadInput(f"the file is neither UTF-8 nor GB18030 (GBK) text (bad byte at offset {exc.start}); "
                       "save it from Excel as CSV UTF-8 or as .xlsx") from None


def _strict(data: bytes, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise BadInput(f"the file starts with a {label} byte-order mark but is not {label} text "
                       f"(bad byte at offset {exc.start})") from None


def _delimiter(head: str) -> str:
    """The separator of the first lines (a title row may have none): the one most used in a line."""
    lines = [line for line in head.splitlines()[:10] if line.strip()]
    counts = {d: max((line.count(d) for line in lines), default=0) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_bytes(data: bytes, *, source: str = "<csv>") -> Table:
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text[:8192]))
    rows: list[tuple[int, list[Any]]] = []
    line = 1
    try:
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise BadInput(f"{source}: line {line}: not readable as CSV ({exc})",
                       [{"line": line, "field": None, "message": f"not readable as CSV ({exc})"}]) from None
    return _with_header(rows, source, encoding)


def read_xlsx(path: Path, *, sheet: str | None = None) -> Table:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInput(f"FILE: {path.name} is not a readable .xlsx workbook ({exc})") from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise BadInput(f"--sheet: no sheet {sheet!r} in {path.name}; sheets: {', '.join(wb.sheetnames)}")
        rows: list[tuple[int, list[Any]]] = []
        for cells in ws.iter_rows():
            values = [c.value for c in cells]
            row_no = next((c.row for c in cells if getattr(c, "row", None)), None)
            if row_no is None:  # an empty row of a read-only sheet
                row_no = (rows[-1][0] + 1) if rows else 1
            rows.append((row_no, values))
    finally:
        wb.close()
    return _with_header(rows, f"{path.name}[{ws.title}]", None)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _with_header(rows: list[tuple[int, list[Any]]], source: str, encoding: str | None) -> Table:
    """Find the header row: the first of the first ten non-blank rows naming two known columns (a
    title row such as 「XX县招商引资项目台账」 above it is passed over); else the first non-blank row."""
    filled = [(line, cells) for line, cells in rows if any(not _blank(c) for c in cells)]
    if not filled:
        raise BadInput(f"{source}: the file is empty; the first row must hold the headers "
                       f"({', '.join(c.zh for c in COLUMNS if c.required)} …)")
    at = 0
    for i, (_, cells) in enumerate(filled[:10]):
        known = sum(1 for c in cells if not _blank(c) and _lookup(str(c))[0] is not None)
        if known >= 2:
            at = i
            break
    header_line, header_cells = filled[at]
    headers = ["" if c is None else str(c).strip() for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    data = [(line, cells) for line, cells in filled if line > header_line]
    return Table(source, headers, header_line, data, encoding, [line for line, _ in filled[:at]])


def _lookup(text: str) -> tuple[Column | None, str]:
    """The column a header names and the unit its amount cells default to ('' | 万 | 亿)."""
    name = _norm(text)
    if name in _HEADERS:
        return _HEADERS[name], ""
    m = _UNIT_SUFFIX.match(unicodedata.normalize("NFKC", str(text)).strip())
    if m:
        col = _HEADERS.get(_norm(m.group("name")))
        if col is not None and col.kind == "amount":
            return col, _UNIT_FACTOR[m.group("unit").lower()]
    return None, ""


# --- checking ------------------------------------------------------------------------------------


@dataclass
class Checked:
    """The rows ready for ``Service.import_projects`` and every problem found."""

    rows: list[dict]
    lines: list[int]
    problems: list[dict]
    columns: dict[str, str]  # key -> the header as written
    ignored: list[str]
    rows_seen: int


def check_rows(table: Table, *, units: Iterable[Mapping[str, Any]], today: date, lang: str = "en",
               existing: Mapping[tuple, str] | None = None, allow_duplicates: bool = False,
               progress: Callable[[int, int], None] | None = None) -> Checked:
    """Check every cell of every row; return the rows to import and every problem as
    ``{"line", "column", "field", "message"}`` (column: the spreadsheet letter; field: the header as
    written in the file).  ``units`` are ``{"code", "name"}``; a unit cell may give either.
    ``existing`` maps ``(name, investor, unit)`` to a project code: a row naming the same project
    (or repeating an earlier row) is refused unless ``allow_duplicates``."""
    zh = lang == "zh"
    problems: list[dict] = []
    columns: dict[str, tuple[int, str]] = {}  # key -> (index, unit factor)
    written: dict[str, str] = {}
    ignored: list[str] = []
    for i, h in enumerate(table.headers):
        if not h:
            continue
        col, factor = _lookup(h)
        if col is None or col in EXPORT_ONLY:
            if col is None and _norm(h) not in PASSED_OVER:
                ignored.append(h)
            continue
        if col.key in columns:
            first = table.headers[columns[col.key][0]]
            problems.append(_problem(table.header_line, i, h, (
                f"重复的列：与第{column_letter(columns[col.key][0])}列“{first}”同为{col.zh}" if zh else
                f"duplicate column: {h!r} and {first!r} (column {column_letter(columns[col.key][0])}) "
                f"both give {col.key}")))
            continue
        columns[col.key] = (i, factor)
        written[col.key] = h
    for col in COLUMNS:
        if col.required and col.key not in columns:
            problems.append({"line": table.header_line, "column": None, "field": col.zh if zh else col.key,
                             "message": (f"缺少必填列“{col.zh}”（或 {col.key}）" if zh else
                                         f"missing required column {col.key!r} (or {col.zh}); "
                                         f"headers found: {', '.join(h for h in table.headers if h) or 'none'}")})
    by_code = {u["code"]: u["code"] for u in units}
    by_name: dict[str, list[str]] = {}
    by_fold: dict[str, str] = {}
    for u in units:
        by_name.setdefault(str(u.get("name") or "").strip(), []).append(u["code"])
        by_fold[u["code"].casefold()] = u["code"]
    header_ok = not problems
    seen: dict[tuple, int] = {}
    existing = existing or {}
    out: list[dict] = []
    lines: list[int] = []
    total = len(table.rows)
    plan = [(key, i, _converter(BY_KEY[key], factor, lang, by_code, by_name, by_fold, today))
            for key, (i, factor) in columns.items()]
    width = len(table.headers)
    for n, (line, cells) in enumerate(table.rows, 1):
        row_problems: list[dict] = []
        values: dict[str, Any] = {}
        count = len(cells)
        for key, i, convert in plan:
            try:
                values[key] = convert(cells[i] if i < count else None)
            except BadInput as exc:
                row_problems.append(_problem(line, i, written[key], exc.message))
        extra = [j for j in range(width, count) if not _blank(cells[j])] if count > width else ()
        for j in extra:
            row_problems.append(_problem(line, j, "", "该单元格没有列标题" if zh else
                                         "a value in a column without a header"))
        if not row_problems and "name" in values:
            ident = (values["name"], values.get("investor"), values.get("unit"))
            where = columns["name"][0]
            if not allow_duplicates and ident in existing:
                row_problems.append(_problem(line, where, written["name"], (
                    f"与已有项目 {existing[ident]} 重复（项目名称、投资方、责任单位均相同）；"
                    "确需导入请加 --allow-duplicates"
                    if zh else f"the same project as {existing[ident]} (same name, investor and unit); "
                    "give --allow-duplicates to import it anyway")))
            elif not allow_duplicates and ident in seen:
                row_problems.append(_problem(line, where, written["name"], (
                    f"与第{seen[ident]}行重复（项目名称、投资方、责任单位均相同）" if zh else
                    f"repeats line {seen[ident]} (same name, investor and unit)")))
            seen.setdefault(ident, line)
        if row_problems:
            problems.extend(row_problems)
        elif header_ok:
            out.append(_service_row(values))
            lines.append(line)
        if progress is not None and (n % 1000 == 0 or n == total):
            progress(n, total)
    return Checked(out, lines, problems, written, ignored, total)


def _problem(line: int, index: int | None, header: str, message: str) -> dict:
    return {"line": line, "column": column_letter(index) if index is not None else None, "field": header,
            "message": message}


def _converter(col: Column, factor: str, lang: str, by_code, by_name, by_fold, today: date) -> Callable[[Any], Any]:
    """The checker of one column's cells: a fast path for the usual text cell, ``_cell`` for the rest."""

    def general(raw: Any) -> Any:
        return _cell(col, raw, factor, lang, by_code, by_name, by_fold, today)

    kind, limit, required = col.kind, col.limit, col.required
    if not required:  # an empty optional cell is the commonest of all
        checked = _converter(Column(col.key, col.zh, kind, True, limit), factor, lang, by_code, by_name, by_fold,
                             today)

        def optional(raw: Any) -> Any:
            if raw is None or (raw.__class__ is str and not raw.strip()):
                return None
            return checked(raw)

        return optional
    if kind == "text":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                if text and (not limit or len(text) <= limit):
                    return text
            return general(raw)
    elif kind == "amount":
        scale = _SCALE[factor]

        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                if text:
                    return _plain_amount(text, scale) or _amount(text, factor, lang)
            return general(raw)
    elif kind == "unit":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str and raw in by_code:
                return raw
            return general(raw)
    elif kind == "yesno":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                found = _YES_NO.get(raw.strip().lower())
                if found is not None:
                    return found
            return general(raw)
    else:
        future = col.key == "registered_on"

        def convert(raw: Any) -> Any:
            if raw.__class__ is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
                try:
                    day = date.fromisoformat(raw)
                except ValueError:
                    return general(raw)
                if not (future and day > today):
                    return day
            return general(raw)
    return convert


def _cell(col: Column, raw: Any, factor: str, lang: str, by_code, by_name, by_fold, today: date) -> Any:
    zh = lang == "zh"
    if isinstance(raw, str):
        raw = raw.strip()
    if _blank(raw):
        if col.required:
            raise BadInput(f"必填，不能为空（{col.zh}）" if zh else f"required: {col.key} must not be empty")
        return None
    if col.kind == "text":
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        if col.limit and len(text) > col.limit:
            raise BadInput(f"超过{col.limit}个字符" if zh else f"longer than {col.limit} characters")
        return text
    if col.kind == "amount":
        return _amount(raw, factor, lang)
    if col.kind == "unit":
        return _unit(str(raw).strip(), lang, by_code, by_name, by_fold)
    if col.kind == "yesno":
        return _yesno(raw, lang)
    day = _date(raw, lang)
    if col.key == "registered_on" and day > today:
        raise BadInput(f"登记日期 {day.isoformat()} 晚于今天（{today.isoformat()}）" if zh else
                       f"{day.isoformat()} lies in the future (today is {today.isoformat()})")
    return day


_SCALE = {"": 1, "万": 10_000, "亿": 100_000_000}
_SUFFIX_SCALE = (("万元", 10_000), ("亿元", 100_000_000), ("万", 10_000), ("亿", 100_000_000), ("元", 1))
_MAX_MINOR = 9_000_000_000_000_000  # workflow.money.MAX_MINOR (a test checks they agree)


def _plain_amount(text: str, scale: int) -> int | None:
    """The commonest cells — ASCII digits, optionally followed by 万, 万元, 亿, 亿元 or 元 — in minor
    units, exactly as ``parse_amount`` reads them; None for anything else (``parse_amount`` decides)."""
    for suffix, unit_scale in _SUFFIX_SCALE:
        if text.endswith(suffix):
            text, scale = text[: -len(suffix)], unit_scale
            break
    if not (text.isascii() and text.isdigit()):
        return None
    minor = int(text) * scale * 100
    return minor if minor <= _MAX_MINOR else None


def _amount(raw: Any, factor: str, lang: str) -> int:
    from workflow.money import parse_amount

    if isinstance(raw, bool):
        raise BadInput("不是金额" if lang == "zh" else "not an amount")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, Decimal):
        text = format(raw, "f")
    elif isinstance(raw, datetime | date):
        raise BadInput("是日期，不是金额" if lang == "zh" else "a date, not an amount")
    else:
        text = str(raw)
    if factor and not _HAS_UNIT.search(unicodedata.normalize("NFKC", text)):
        text += factor
    money = parse_amount(text, lang=lang)
    if money.currency != "CNY":
        raise BadInput("计划总投资以人民币（元）计，如 6.6亿、5600万元" if lang == "zh" else
                       f"the planned investment is in CNY (元), not {money.currency}; e.g. 6.6亿 or 5600万元")
    return money.amount_minor


def _unit(text: str, lang: str, by_code, by_name, by_fold) -> str:
    if text in by_code:
        return text
    codes = by_name.get(text)
    if codes and len(codes) == 1:
        return codes[0]
    if codes:
        raise BadInput(f"单位名称“{text}”不唯一（{', '.join(codes)}），请填写单位代码" if lang == "zh" else
                       f"more than one unit is called {text!r} ({', '.join(codes)}); give the code")
    if text.casefold() in by_fold:
        return by_fold[text.casefold()]
    known = ", ".join(sorted(by_code)[:20]) or ("无" if lang == "zh" else "none")
    if lang == "zh":
        raise BadInput(f"没有责任单位“{text}”；已有单位：{known}（用 `pipeline units add` 添加）")
    raise BadInput(f"no unit {text!r}; known units: {known} (add one with `pipeline units add`)")


def _yesno(raw: Any, lang: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise BadInput(f"“{raw}”不是 是/否（可填：是/否、yes/no、true/false、1/0）" if lang == "zh" else
                   f"{raw!r} is not yes or no; use 是/否, yes/no, true/false or 1/0")


def _date(raw: Any, lang: str) -> date:
    if isinstance(raw, datetime):
        if raw.time() != datetime.min.time():
            raise BadInput(f"{raw} 含有时刻，应为日期" if lang == "zh" else f"{raw} has a time of day; give a date")
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise BadInput(f"“{raw}”不是日期，应为 YYYY-MM-DD（如 2026-03-31）" if lang == "zh" else
                   f"{raw!r} is not a date; use YYYY-MM-DD (e.g. 2026-03-31)")


KEY_THRESHOLD_MINOR = 100_000_000 * 100  # workflow.service.KEY_THRESHOLD_MINOR (a test checks they agree)
_PLAN_KEYS = (("sign", "plan_sign"), ("fund", "plan_fund"), ("break_ground", "plan_break_ground"),
              ("commission", "plan_commission"))


def _service_row(values: dict) -> dict:
    """A checked row as ``Service.import_projects`` takes it."""
    get = values.get
    investment = get("investment") or 0
    key = get("key")
    if key is not None and key == (investment >= KEY_THRESHOLD_MINOR):
        key = None  # what the threshold gives anyway: leave it to the threshold, as `project add` does
    plan = {k: get(c) for k, c in _PLAN_KEYS if get(c) is not None}
    return {"name": get("name"), "investor": get("investor"), "industry": get("industry"),
            "investment_minor": investment, "unit": get("unit"), "origin": get("origin"),
            "category": get("category"), "key": key, "plan": plan, "on": get("registered_on")}


# --- writing -----------------------------------------------------------------------------------


def ledger_table(rows: Sequence[Mapping[str, Any]], lang: str = "en",
                 stage_label: Callable[[str], str] | None = None) -> tuple[list[str], list[list[Any]]]:
    """Headers and cells of an export: the import columns, with the code first and the stage last.

    Amounts are exact: yuan under the English header, 万元 under the Chinese one; dates are
    ``datetime.date``; the key column is 是/否 (yes/no)."""
    zh = lang == "zh"
    headers = [header(k, lang) for k in EXPORT_ORDER]
    out = []
    for r in rows:
        cells: list[Any] = []
        for k in EXPORT_ORDER:
            if k == "investment":
                cells.append(_wan(r["planned_investment_minor"]) if zh else _yuan(r["planned_investment_minor"]))
            elif k == "unit":
                cells.append(r["unit_code"])
            elif k == "key":
                cells.append(("是" if r["key"] else "否") if zh else ("yes" if r["key"] else "no"))
            elif k == "stage":
                cells.append(stage_label(r["stage"]) if stage_label and zh else r["stage"])
            else:
                cells.append(r[k])
        out.append(cells)
    return headers, out


def _yuan(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(int(minor)), 100)
    return f"{sign}{whole}" + (f".{cents:02d}" if cents else "")


def _wan(minor: int) -> str:
    value = (Decimal(int(minor)) / Decimal(1_000_000)).normalize()
    text = format(value, "f")
    return text


def _text_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(path: str | Path | None, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
              encoding: str = "utf-8-sig") -> str | None:
    """Write CSV to ``path`` (UTF-8 with a BOM by default, so Excel shows Chinese right), or return the
    text when ``path`` is None."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    for r in rows:
        w.writerow([_text_cell(v) for v in r])
    if path is None:
        return buf.getvalue()
    try:
        Path(path).write_bytes(buf.getvalue().encode(encoding))
    except UnicodeEncodeError as exc:
        raise BadInput(f"--encoding {encoding}: cannot write {exc.object[exc.start:exc.end]!r}; use utf-8") from None
    except OSError as exc:
        raise BadInput(f"FILE: cannot write {path}: {exc.strerror}") from None
    return None


def write_xlsx(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
               title: str = "项目台账", money_columns: Sequence[int] = ()) -> None:
    """Write a one-sheet workbook: bold frozen header, dates as dates, amounts as numbers where a
    number holds them exactly (else as text)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    widths = [max(8, min(40, _width(h) + 2)) for h in headers]
    rows = list(rows)
    for r in rows[:200]:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], min(40, _width(_text_cell(v)) + 2))
    for i, w in enumerate(widths):
        ws.column_dimensions[column_letter(i)].width = w
    bold = Font(bold=True)
    head = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font = bold
        head.append(c)
    ws.append(head)
    money = set(money_columns)
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            if i in money and v is not None:
                v = _number(v)
            c = WriteOnlyCell(ws, value=v)
            if isinstance(v, date):
                c.number_format = "yyyy-mm-dd"
            cells.append(c)
        ws.append(cells)
    try:
        wb.save(path)
    except OSError as exc:
        raise BadInput(f"FILE: cannot write {path}: {exc.strerror}") from None


def _number(text: str) -> int | float | str:
    """An exact amount as a spreadsheet number when a number holds it exactly, else the text."""
    d = Decimal(text)
    if d == d.to_integral_value() and abs(d) < 10**15:
        return int(d)
    f = float(d)
    return f if Decimal(repr(f)) == d else text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
