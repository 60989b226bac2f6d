"""Project ledgers (项目台账) in and out: CSV and XLSX files, checked cell by cell (docs/import-export.md).

Reading: CSV in UTF-8, UTF-8 with BOM, UTF-16 (Excel's "Unicode text") and GB18030 (a superset of the
GBK that Chinese Excel saves), comma, semicolon or tab separated; XLSX through openpyxl in read-only
mode.  Headers are the English keys or the Chinese headers (项目名称, 投资方, …); a title row above the
header row is skipped.  ``check_rows`` checks every cell of every row and reports every problem with
its line, column letter and header, so that one pass over a file shows everything to fix.

Memory stays flat however long the file: the encoding is found a chunk at a time, rows are read one
at a time (a text stream for CSV, ``iter_rows`` for XLSX), and the check keeps only the problems, a
128-bit digest per row for duplicates, and the converted good rows on a spool (a temporary file) that
the import then reads back.

Writing: the same headers (English keys, or Chinese under ``lang="zh"``) so that an export imports
back unchanged.  Pure functions over data: the database is reached through ``workflow.service``.
"""

from __future__ import annotations

import codecs
import csv
import io
import marshal
import re
import tempfile
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from hashlib import blake2b
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from workflow.catalogue import Message
from workflow.clock import FIRST_DAY, LAST_DAY
from workflow.commands.projects import duplicate_message, project_identity
from workflow.errors import BadInput
from workflow.find import UnitNames
from workflow.money import ascii_minor, parse_amount
from workflow.text import clip, escape_char, listing, restore_formula, unsafe_char, visible

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


# --- reading -----------------------------------------------------------------------------------

Rows = Generator[tuple[int, list[Any]], None, None]
_CHUNK = 1 << 20  # bytes checked at a time while the encoding is found
_HEAD = 1 << 16  # characters sampled for the separator and the size of a row


class Table:
    """A sheet: its header row, and its data rows with their line (row) numbers.

    The rows are never all held: ``rows()`` reads them from the file one at a time (the first call
    goes on from where finding the header stopped; each later call reads the file again)."""

    def __init__(self, source: str, headers: list[str], header_line: int, open_rows: Callable[[], Rows],
                 live: tuple[list[tuple[int, list[Any]]], Rows] | None = None, encoding: str | None = None,
                 skipped_lines: list[int] | None = None, estimated_rows: int = 0):
        self.source = source
        self.headers = headers
        self.header_line = header_line
        self.encoding = encoding
        self.skipped_lines = skipped_lines or []
        self.estimated_rows = estimated_rows  # data rows, from the file's size: for progress bars
        self._open_rows = open_rows  # every row of the sheet from the top
        self._live = live  # (rows read while finding the header, the reader that read them)

    def rows(self) -> Rows:
        """The non-blank rows under the header, with their line numbers in the file."""
        if self._live is not None:
            (read, reader), self._live = self._live, None
            rows: Iterable[tuple[int, list[Any]]] = chain(read, reader)
        else:
            reader = rows = self._open_rows()
        header_line = self.header_line
        with closing(reader):
            for line, cells in rows:
                if line > header_line and _filled(cells):
                    yield line, cells

    def close(self) -> None:
        """Close the reader that found the header, if ``rows()`` never took it over."""
        if self._live is not None:
            self._live[1].close()
            self._live = None


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX file (by its extension); refuse anything else with what is accepted."""
    path = Path(path)
    if not path.exists():
        raise BadInput("file_does_not_exist_path", path=path)
    if path.is_dir():
        raise BadInput("file_is_directory", path=path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx" or suffix == ".xlsm":
        return read_xlsx(path, sheet=sheet)
    if suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise BadInput("sheet_applies_to_xlsx")
        return _csv_table(lambda: open(path, "rb"), path.stat().st_size, path.name)
    if suffix == ".xls":
        raise BadInput("file_is_old_excel", name=path.name)
    raise BadInput("file_unknown_file_type", name=path.name, suffix=suffix or '(none)')


def read_csv_bytes(data: bytes, *, source: str = "<csv>") -> Table:
    return _csv_table(lambda: io.BytesIO(data), len(data), source)


def detect_encoding(raw: BinaryIO) -> str:
    """The encoding of CSV bytes: a BOM decides (UTF-8, UTF-16); else UTF-8 when every byte is UTF-8;
    else GB18030.  The bytes are checked a chunk at a time (never decoded whole) from the start."""
    raw.seek(0)
    start = raw.read(3)
    if start.startswith(b"\xef\xbb\xbf"):
        _strict(raw, 3, "utf-8", "UTF-8")
        return "utf-8-sig"
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        _strict(raw, 0, "utf-16", "UTF-16")
        return "utf-16"
    if _bad_byte(raw, 0, "utf-8") is None:
        return "utf-8"
    at = _bad_byte(raw, 0, "gb18030")
    if at is None:
        return "gb18030"
    raise BadInput("file_is_neither_utf", at=at)


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding of CSV bytes (as ``detect_encoding`` finds it)."""
    encoding = detect_encoding(io.BytesIO(data))
    return data.decode(encoding), encoding


def _bad_byte(raw: BinaryIO, start: int, codec: str) -> int | None:
    """The offset of the first byte from ``start`` on that is not ``codec`` text, or None."""
    raw.seek(start)
    decoder = codecs.getincrementaldecoder(codec)()
    at = start
    while True:
        chunk = raw.read(_CHUNK)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:  # exc.start counts from the bytes still pending
            return at - pending + exc.start
        if not chunk:
            return None
        at += len(chunk)


def _strict(raw: BinaryIO, start: int, codec: str, label: str) -> None:
    at = _bad_byte(raw, start, codec)
    if at is not None:
        raise BadInput("file_starts_with_byte", label=label, at=at)


def _delimiter(head: str) -> str:
    """The separator of the first lines (a title row may have none): the one most used in a line."""
    lines = [line for line in head.splitlines()[:10] if line.strip()]
    counts = {d: max((line.count(d) for line in lines), default=0) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_table(opener: Callable[[], BinaryIO], size: int, source: str) -> Table:
    with opener() as raw:
        encoding = detect_encoding(raw)
        raw.seek(0)
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
            head = text.read(_HEAD)
    delimiter = _delimiter(head[:8192])

    def open_rows() -> Rows:
        with io.TextIOWrapper(opener(), encoding=encoding, newline="") as text:
            reader = csv.reader(text, delimiter=delimiter)
            line = 1
            try:
                for cells in reader:
                    yield line, cells
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise BadInput("line_not_readable_as",
                               [{"line": line, "field": None, "message": Message("not_readable_as_csv", exc=exc)}],
                               source=source, line=line, exc=exc) from None
            except UnicodeDecodeError as exc:  # the file changed since its encoding was checked
                raise BadInput("line_not_text",
                               [{"line": line, "field": None, "message": Message("not_text", encoding=encoding)}],
                               source=source, line=line, encoding=encoding, reason=exc.reason) from None

    sampled = head.count("\n")
    if len(head) >= _HEAD and sampled:  # a longer file: as many rows as its size holds at the sample's rate
        sampled = size * sampled // max(1, len(head.encode(encoding, "replace")))
    return _with_header(open_rows, source, encoding, sampled)


def read_xlsx(path: Path, *, sheet: str | None = None) -> Table:
    wb = _workbook(path)
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise BadInput("sheet_no_sheet_in", sheet=sheet, name=path.name, sheetnames=list(wb.sheetnames))
        title = ws.title
        estimate = ws.max_row or 0  # from the sheet's dimension record, when it has one
    finally:
        wb.close()

    def open_rows() -> Rows:
        book = _workbook(path)
        try:
            line = 0
            for cells in book[title].iter_rows():
                row_no = next((c.row for c in cells if getattr(c, "row", None)), None)
                line = row_no if row_no is not None else line + 1  # an empty row of a read-only sheet
                yield line, [c.value for c in cells]
        finally:
            book.close()

    return _with_header(open_rows, f"{path.name}[{title}]", None, estimate)


# Caps on a workbook, checked from its zip directory before any part is parsed (a small file whose
# parts expand to gigabytes is refused, not read).
XLSX_MAX_UNCOMPRESSED = 256 * 1024 * 1024  # bytes, all parts together
XLSX_MAX_RATIO = 100  # uncompressed / compressed size of any part larger than XLSX_RATIO_FROM
XLSX_RATIO_FROM = 1024 * 1024


def check_workbook_size(path: Path) -> None:
    """Refuse a workbook whose parts together pass ``XLSX_MAX_UNCOMPRESSED`` bytes, or one of whose
    parts (past ``XLSX_RATIO_FROM`` bytes) is compressed more than ``XLSX_MAX_RATIO`` to 1."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadInput("file_is_not_readable", name=path.name, exc=exc) from None
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_UNCOMPRESSED:
        raise BadInput("xlsx_expands_too_far", name=path.name, total=total,
                       xlsx_max_uncompressed=XLSX_MAX_UNCOMPRESSED)
    for i in infos:
        if i.file_size > XLSX_RATIO_FROM and i.file_size > XLSX_MAX_RATIO * max(i.compress_size, 1):
            raise BadInput("xlsx_part_too_compressed", name=path.name, filename=clip(i.filename),
                           file_size=i.file_size // max(i.compress_size, 1), xlsx_max_ratio=XLSX_MAX_RATIO)


def _workbook(path: Path):
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    check_workbook_size(path)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInput("file_is_not_readable", name=path.name, exc=exc) from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _filled(cells: list[Any]) -> bool:
    """Whether a row has a cell that is not blank (``_blank``), looking no further than that cell."""
    for c in cells:
        if c is not None and (not isinstance(c, str) or c.strip()):
            return True
    return False


def _with_header(open_rows: Callable[[], Rows], source: str, encoding: str | None, estimate: int) -> Table:
    """Find the header row: the first of the first ten non-blank rows naming two known columns (a
    title row such as 「XX县招商引资项目台账」 above it is passed over); else the first non-blank row.
    Reading stops there: the rows after it are read by ``Table.rows()``."""
    reader = open_rows()
    filled: list[tuple[int, list[Any]]] = []
    at = 0
    try:
        for line, cells in reader:
            if not _filled(cells):
                continue
            filled.append((line, cells))
            known = sum(1 for c in cells if not _blank(c) and _lookup(str(c))[0] is not None)
            if known >= 2:
                at = len(filled) - 1
                break
            if len(filled) == 10:
                break
    except BaseException:
        reader.close()
        raise
    if not filled:
        reader.close()
        raise BadInput("file_is_empty_first", source=source, columns=[c.zh for c in COLUMNS if c.required])
    header_line, header_cells = filled[at]
    headers = ["" if c is None else str(c).strip() for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    return Table(source, headers, header_line, open_rows, live=(filled[at + 1:], reader), encoding=encoding,
                 skipped_lines=[line for line, _ in filled[:at]], estimated_rows=max(0, estimate - header_line))


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

# A checked row, as the spool holds it: its line, then the columns of ``Service.import_projects``
# (dates as day numbers, ``date.toordinal``).
_SLOTS = ("name", "investor", "origin", "industry", "category", "investment", "unit", "key", "plan_sign",
          "plan_fund", "plan_break_ground", "plan_commission", "registered_on", "year_plan")
_SLOT = {key: i + 1 for i, key in enumerate(_SLOTS)}
_DATE_SLOTS = tuple(_SLOT[k] for k in ("plan_sign", "plan_fund", "plan_break_ground", "plan_commission",
                                       "registered_on"))
_SPOOL_BATCH = 2000  # rows written to the spool at a time


class Spool:
    """Checked rows on a temporary file (in memory while small), read back in order as often as
    needed: the rows pass 1 found good are what pass 2 writes, without holding them all or reading
    and checking the file again.  Rows are tuples of numbers, text, booleans and None (``marshal``)."""

    def __init__(self, batch: int = _SPOOL_BATCH):
        self._file = tempfile.SpooledTemporaryFile(max_size=1 << 20)
        self._batch: list[tuple] = []
        self._size = batch
        self.count = 0

    def add(self, row: tuple) -> None:
        self._batch.append(row)
        self.count += 1
        if len(self._batch) >= self._size:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            blob = marshal.dumps(self._batch)
            self._file.seek(0, io.SEEK_END)
            self._file.write(len(blob).to_bytes(8, "little"))
            self._file.write(blob)
            self._batch = []

    def __iter__(self) -> Iterator[tuple]:
        self._flush()
        at = 0
        while True:  # the file may be read again (and appended to) while this reads: keep a position
            self._file.seek(at)
            size = self._file.read(8)
            if not size:
                return
            blob = self._file.read(int.from_bytes(size, "little"))
            at = self._file.tell()
            yield from marshal.loads(blob)

    def close(self) -> None:
        self._file.close()
        self._batch = []


@dataclass
class Checked:
    """What a check of every row found: every problem, and the rows ready for
    ``Service.import_projects`` (on a spool: ``rows()`` reads them back; none is held here)."""

    problems: list[dict]
    columns: dict[str, str]  # key -> the header as written
    ignored: list[str]
    rows_seen: int
    count: int  # rows without a problem
    spool: Spool = field(repr=False)

    def rows(self) -> Iterator[dict]:
        """The good rows in file order, as ``Service.import_projects`` takes them (empty when the
        file has a problem: such a file is refused whole)."""
        return map(_service_row, self.spool)

    def numbered(self) -> Iterator[tuple[int, dict]]:
        """``(line, row)`` for each good row."""
        for r in self.spool:
            yield r[0], _service_row(r)

    def lines_of(self, numbers: Iterable[int]) -> dict[int, int]:
        """The file lines of good rows by their number (1 = the first good row)."""
        wanted = set(numbers)
        found: dict[int, int] = {}
        if wanted:
            for n, r in enumerate(self.spool, 1):
                if n in wanted:
                    found[n] = r[0]
                    if len(found) == len(wanted):
                        break
        return found

    def close(self) -> None:
        self.spool.close()

    def __enter__(self) -> Checked:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def identity_digest(ident: tuple) -> int:
    """A 128-bit digest of a project's ``project_identity`` (its folded name and investor): how an import
    recognises a project it saw already without keeping its texts (two identities sharing a digest:
    about n²/2¹²⁹)."""
    return int.from_bytes(blake2b(repr(ident).encode("utf-8", "surrogatepass"), digest_size=16).digest(), "little")


class Identities:
    """The ``project_identity`` of many projects as a set of their ``identity_digest`` (under 80 bytes a
    project, none of its texts).  ``rows()`` yields ``(code, name, investor, ...)`` of every project a
    new one may duplicate (those not in a final stage: ``commands.projects.open_projects``), oldest
    first; it is read once here, and again by ``codes`` for the projects an import found repeated."""

    def __init__(self, rows: Callable[[], Iterable[Sequence[Any]]]):
        self._rows = rows
        with _reading(rows()) as it:
            self.digests = {identity_digest(project_identity(r[1], r[2])) for r in it}

    def codes(self, digests: Iterable[int]) -> dict[int, str]:
        """The code of the first project with each of ``digests`` (those found)."""
        wanted = set(digests) & self.digests
        found: dict[int, str] = {}
        if wanted:
            with _reading(self._rows()) as it:
                for r in it:
                    code, d = r[0], identity_digest(project_identity(r[1], r[2]))
                    if d in wanted and d not in found:
                        found[d] = code
                        if len(found) == len(wanted):
                            break
        return found


@contextmanager
def _reading(rows: Iterable) -> Iterator[Iterator]:
    """An iterator over ``rows``, closed afterwards if it can be (a generator holding a connection)."""
    it = iter(rows)
    try:
        yield it
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


def check_rows(table: Table, *, units: Iterable[Mapping[str, Any]], today: date, lang: str = "en",
               existing: Identities | None = None, allow_duplicates: bool = False,
               progress: Callable[[int, int], None] | None = None) -> Checked:
    """Check every cell of every row (read one at a time), and return every problem as
    ``{"line", "column", "field", "message"}`` (column: the spreadsheet letter; field: the header as
    written in the file) and the good rows, converted, on a spool.  ``units`` are ``{"code", "name"}``;
    a unit cell may give either.  ``existing`` holds the identities of the projects a new one may
    duplicate (``Service.project_identities``): a row naming the same project (``project_identity``:
    the same folded name and investor), or repeating an earlier row, is refused unless
    ``allow_duplicates``.

    Nothing is kept per row but the ``identity_digest`` of its identity (a set).  A repetition is
    found by its digest; the line it repeats (or the code of the project it names) is then found by
    reading the file (or the projects) once more, only for the digests found repeated."""
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
            problems.append(_problem(table.header_line, i, h, Message(
                "import_duplicate_column", header=h, first=first, column=column_letter(columns[col.key][0]),
                key=col.key, label=col.zh)))
            continue
        columns[col.key] = (i, factor)
        written[col.key] = h
    for col in COLUMNS:
        if col.required and col.key not in columns:
            problems.append({"line": table.header_line, "column": None, "field": col.zh if zh else col.key,
                             "message": Message("import_missing_column", key=col.key, label=col.zh,
                                                found=listing([h for h in table.headers if h]) or "none")})
    by_code = {u["code"]: u["code"] for u in units}
    names = UnitNames((u["code"], u.get("name")) for u in units)  # the one reading of a unit (workflow/find.py)
    header_ok = not problems
    dedupe = not allow_duplicates and "name" in columns
    known = existing.digests if existing is not None and dedupe else frozenset()
    seen: set[int] = set()  # identity_digest of each row's project_identity so far
    later: list[tuple[dict, int, bool]] = []  # (problem, digest, names a project?): its message is written last
    name_at = columns["name"][0] if "name" in columns else None
    spool = Spool()
    n = good = 0
    estimate = table.estimated_rows
    plan = [(_SLOT[key], i, _converter(BY_KEY[key], factor, lang, by_code, names, today))
            for key, (i, factor) in columns.items()]
    width = len(table.headers)
    blank: list[Any] = [None] * (len(_SLOTS) + 1)
    name_slot, investor_slot = _SLOT["name"], _SLOT["investor"]

    def convert(line: int, cells: list[Any]) -> tuple[list[Any], list[dict] | None]:
        """A row's cells converted (``_SLOTS``, after its line) and its problems (None: none)."""
        row_problems: list[dict] | None = None
        out = blank.copy()
        out[0] = line
        count = len(cells)
        for slot, i, converter in plan:
            try:
                out[slot] = converter(cells[i] if i < count else None)
            except BadInput as exc:
                row_problems = row_problems or []
                row_problems.append(_problem(line, i, written[_SLOTS[slot - 1]], exc.as_message()))
        if count > width:
            for j in range(width, count):
                if not _blank(cells[j]):
                    row_problems = row_problems or []
                    row_problems.append(_problem(line, j, "", Message("import_cell_without_header")))
        return out, row_problems

    try:
        for line, cells in table.rows():
            n += 1
            out, row_problems = convert(line, cells)
            if row_problems is None and dedupe:
                digest = identity_digest(project_identity(out[name_slot], out[investor_slot]))
                if digest in known or digest in seen:
                    row_problems = [_problem(line, name_at, written["name"], "")]
                    later.append((row_problems[0], digest, digest in known))
                else:
                    seen.add(digest)
            if row_problems is not None:
                problems.extend(row_problems)
            elif header_ok:
                good += 1
                if not problems:  # a file with a problem is refused whole: its rows are not needed
                    spool.add(_spooled(out))
            if progress is not None and n % 1000 == 0:
                progress(n, max(n, estimate))
        seen.clear()
        if later:
            _name_the_repeated(later, existing, table, convert, zh)
        if problems:
            spool.close()
            spool = Spool()
    except BaseException:
        spool.close()
        raise
    if progress is not None:
        progress(n, n)
    return Checked(problems, written, ignored, n, good, spool)


def _name_the_repeated(later: list[tuple[dict, int, bool]], existing, table: Table, convert, zh: bool) -> None:
    """Write the messages of the rows found repeating a project (its code, read from ``existing``) or an
    earlier row (its line: the first row without a problem whose identity has that digest, found by
    reading the file again)."""
    codes = existing.codes({d for _, d, named in later if named}) if any(named for *_, named in later) else {}
    wanted = {d for _, d, named in later if not named}
    firsts: dict[int, int] = {}
    if wanted:
        name_slot, investor_slot = _SLOT["name"], _SLOT["investor"]
        with closing(table.rows()) as rows:
            for line, cells in rows:
                out, row_problems = convert(line, cells)
                if row_problems is None:
                    digest = identity_digest(project_identity(out[name_slot], out[investor_slot]))
                    if digest in wanted and digest not in firsts:
                        firsts[digest] = line
                        if len(firsts) == len(wanted):
                            break
    for problem, digest, named in later:
        if named:
            problem["message"] = duplicate_message(str(codes.get(digest)))
        else:
            first = firsts.get(digest, "?")
            problem["message"] = Message("import_repeats_line", first=first)


def _problem(line: int, index: int | None, header: str, message: object) -> dict:
    return {"line": line, "column": column_letter(index) if index is not None else None, "field": header,
            "message": message}


def _converter(col: Column, factor: str, lang: str, by_code, names, today: date) -> Callable[[Any], Any]:
    """The checker of one column's cells: a fast path for the usual cell, ``_cell`` for the rest (an
    empty optional cell is None; every other cell ``_cell`` does not return raises BadInput)."""

    def general(raw: Any) -> Any:
        return _cell(col, raw, factor, lang, by_code, names, today)

    kind, limit, optional = col.kind, col.limit, not col.required
    if kind == "text":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                if (text and (not limit or len(text) <= limit) and text[0] != "'"
                        and (text.isprintable() or unsafe_char(text) is None)):
                    return text
                if not text and optional:
                    return None
            return None if raw is None and optional else general(raw)
    elif kind == "amount":
        scale = _SCALE[factor]

        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                if text:
                    return ascii_minor(text, scale) or _amount(text, factor, lang)
                if optional:
                    return None
            return None if raw is None and optional else general(raw)
    elif kind == "unit":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str and raw in by_code:
                return raw
            if optional and (raw is None or (raw.__class__ is str and not raw.strip())):
                return None
            return general(raw)
    elif kind == "yearplan":
        def convert(raw: Any) -> Any:
            return None if raw is None and optional else general(raw)
    elif kind == "yesno":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                found = _YES_NO.get(text.lower())
                if found is not None:
                    return found
                if not text and optional:
                    return None
            return None if raw is None and optional else general(raw)
    else:
        future = col.key == "registered_on"

        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
                    try:
                        day = date.fromisoformat(raw)
                    except ValueError:
                        return general(raw)
                    if not (future and day > today) and FIRST_DAY <= day <= LAST_DAY:
                        return day
                elif optional and not raw.strip():
                    return None
            return None if raw is None and optional else general(raw)
    return convert


def _cell(col: Column, raw: Any, factor: str, lang: str, by_code, names, today: date) -> Any:
    zh = lang == "zh"
    if isinstance(raw, str):
        raw = raw.strip()
    if _blank(raw):
        if col.required:
            raise BadInput("required_must_not_be", key=col.key, zh=col.zh)
        return None
    if col.kind == "text":
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        text = restore_formula(text)  # an apostrophe our export put before a formula-like text
        if col.limit and len(text) > col.limit:
            raise BadInput("longer_than_characters", limit=col.limit)
        bad = unsafe_char(text)
        if bad is not None:
            raise BadInput("holds_control_character_names", escape_char=escape_char(bad))
        return text
    if col.kind == "amount":
        return _amount(raw, factor, lang)
    if col.kind == "unit":
        return _unit(str(raw).strip(), lang, names)
    if col.kind == "yesno":
        return _yesno(raw, lang)
    if col.kind == "yearplan":
        from workflow.progress import parse_year_plans

        text = str(raw).strip()
        if col.limit and len(text) > col.limit:
            raise BadInput("longer_than_characters", limit=col.limit)
        plans = parse_year_plans(text, what=col.zh if zh else col.key, lang=lang)
        return tuple(sorted(plans.items())) or None
    day = _date(raw, lang)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadInput("lies_outside", day=day, first_day=FIRST_DAY, last_day=LAST_DAY)
    if col.key == "registered_on" and day > today:
        raise BadInput("lies_in_future_today_is", day=day, today=today)
    return day


_SCALE = {"": 1, "万": 10_000, "亿": 100_000_000}


def _amount(raw: Any, factor: str, lang: str) -> int:
    if isinstance(raw, bool):
        raise BadInput("not_amount")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, Decimal):
        text = format(raw, "f")
    elif isinstance(raw, datetime | date):
        raise BadInput("date_not_amount")
    else:
        text = str(raw)
    if factor and not _HAS_UNIT.search(unicodedata.normalize("NFKC", text)):
        text += factor
    money = parse_amount(text, lang=lang)
    if money.currency != "CNY":
        raise BadInput("planned_investment_is_in_cny", currency=money.currency)
    return money.amount_minor


def _unit(text: str, lang: str, names: UnitNames) -> str:
    codes = names.candidates(text)
    if len(codes) == 1:
        return codes[0]
    if codes:
        raise BadInput("more_than_one_unit", text=text, codes=list(codes))
    raise BadInput("no_unit_known_units", text=text, known=sorted(names.codes)[:20] or ["none"])


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
    raise BadInput("is_not_yes_or", raw=raw)


def _date(raw: Any, lang: str) -> date:
    if isinstance(raw, datetime):
        if raw.time() != datetime.min.time():
            raise BadInput("has_time_of_day", raw=raw)
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
    raise BadInput("is_not_date_use_yyyy", raw=raw)


KEY_THRESHOLD_MINOR = 100_000_000 * 100  # workflow.service.KEY_THRESHOLD_MINOR (a test checks they agree)


def _spooled(out: list) -> tuple:
    """A checked row as the spool keeps it (``_SLOTS``): dates as day numbers; a key designation that
    the threshold gives anyway is left to the threshold, as `project add` does."""
    for s in _DATE_SLOTS:
        day = out[s]
        if day is not None:
            out[s] = day.toordinal()
    key = out[_KEY_SLOT]
    if key is not None and key == ((out[_INVESTMENT_SLOT] or 0) >= KEY_THRESHOLD_MINOR):
        out[_KEY_SLOT] = None
    return tuple(out)


_KEY_SLOT, _INVESTMENT_SLOT = _SLOT["key"], _SLOT["investment"]
_day = date.fromordinal


def _service_row(r: tuple) -> dict:
    """A spooled row as ``Service.import_projects`` takes it."""
    (_, name, investor, origin, industry, category, investment, unit, key, sign, fund, ground, commission, on,
     year_plan) = r
    plan = {}
    if sign is not None:
        plan["sign"] = _day(sign)
    if fund is not None:
        plan["fund"] = _day(fund)
    if ground is not None:
        plan["break_ground"] = _day(ground)
    if commission is not None:
        plan["commission"] = _day(commission)
    return {"name": name, "investor": investor, "industry": industry, "investment_minor": investment or 0,
            "unit": unit, "origin": origin, "category": category, "key": key, "plan": plan,
            "on": None if on is None else _day(on), **({"year_plan": dict(year_plan)} if year_plan else {})}


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
            elif k == "year_plan":
                plans = r.get("year_plans") or {}
                cells.append(";".join(f"{y}={_wan(v)}万" if zh else f"{y}={_yuan(v)}"
                                      for y, v in sorted(plans.items())) or None)
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


def _safe_cell(value: Any) -> Any:
    """A CSV cell: dates as ISO text, numbers as they are, text shown visibly and neutralised
    against formulas (``workflow.text.csv_cell``)."""
    from workflow.text import csv_cell

    if isinstance(value, date):
        return value.isoformat()
    return csv_cell(value)


def write_csv(path: str | Path | None, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
              encoding: str = "utf-8-sig") -> str | None:
    """Write CSV to ``path`` (UTF-8 with a BOM by default, so Excel shows Chinese right), or return the
    text when ``path`` is None."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([_safe_cell(h) for h in headers])
    for r in rows:
        w.writerow([_safe_cell(v) for v in r])
    if path is None:
        return buf.getvalue()
    try:
        Path(path).write_bytes(buf.getvalue().encode(encoding))
    except UnicodeEncodeError as exc:
        raise BadInput("encoding_cannot_write_use", encoding=encoding, object=exc.object[exc.start:exc.end]) from None
    except OSError as exc:
        raise BadInput("file_cannot_write", path=path, strerror=exc.strerror) from None
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
        c = text_cell(ws, h)
        c.font = bold
        head.append(c)
    ws.append(head)
    money = set(money_columns)
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            if i in money and v is not None:
                v = _number(v)
            c = text_cell(ws, v) if isinstance(v, str) else WriteOnlyCell(ws, value=v)
            if isinstance(v, date):
                c.number_format = "yyyy-mm-dd"
            cells.append(c)
        ws.append(cells)
    try:
        wb.save(path)
    except OSError as exc:
        raise BadInput("file_cannot_write", path=path, strerror=exc.strerror) from None


def text_cell(ws: Any, value: str) -> Any:
    """A write-only cell holding ``value`` as text, never as a formula: typed as a string (openpyxl
    would read a leading ``=`` as a formula) with Excel's quote prefix, so that editing it keeps it
    text; control characters shown visibly (a workbook cannot hold most of them)."""
    from openpyxl.cell import WriteOnlyCell

    c = WriteOnlyCell(ws, value=visible(value, multiline=True))
    c.data_type = "s"
    if value[:1] in ("=", "+", "-", "@"):
        c.quotePrefix = True
    return c


def set_text(cell: Any, value: str) -> None:
    """A normal (not write-only) cell set to ``value`` as text, as :func:`text_cell` does."""
    cell.value = visible(value, multiline=True)
    cell.data_type = "s"
    if value[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def _number(text: str) -> int | float | str:
    """An exact amount as a spreadsheet number when a number holds it exactly, else the text."""
    d = Decimal(text)
    if d == d.to_integral_value() and abs(d) < 10**15:
        return int(d)
    f = float(d)
    return f if Decimal(repr(f)) == d else text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
