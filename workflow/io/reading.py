"""Reading ledgers: CSV in any of its encodings and separators, XLSX, the workbook limits."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO
from zipfile import BadZipFile

from workflow.catalogue import Message
from workflow.errors import BadInput
from workflow.io.columns import _HEADERS, _UNIT_FACTOR, _UNIT_SUFFIX, COLUMNS, Column, _norm
from workflow.text import clip

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
    except MALFORMED as exc:
        raise BadInput("file_is_not_readable", name=path.name, exc=_short(exc)) from None
    finally:
        wb.close()

    def open_rows() -> Rows:
        book = _workbook(path, scan=False)  # scanned when first opened above
        try:
            line = 0
            rows = book[title].iter_rows()
            while True:
                try:
                    cells = next(rows)
                except StopIteration:
                    break
                except MALFORMED as exc:  # a part that is not the XML it claims (parsed as it streams)
                    raise BadInput("file_is_not_readable", name=path.name, exc=_short(exc)) from None
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
# Caps on what parsing a workbook costs in time and memory, checked by a byte scan of its parts
# before openpyxl reads them (it keeps every shared string in memory, and parses every cell).
XLSX_MAX_SHARED_STRINGS = 1_000_000  # entries of xl/sharedStrings.xml
XLSX_MAX_SHARED_BYTES = 64 * 1024 * 1024  # its uncompressed size
XLSX_MAX_CELLS = 2_000_000  # cells of all worksheets together (100,000 rows of 20 columns)

# What a malformed workbook raises while openpyxl opens or streams it: refused (exit 2), never a crash.
MALFORMED: tuple[type[BaseException], ...] = (BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError,
                                             AttributeError, SyntaxError, EOFError, zlib.error, LookupError)
_SHARED_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")


def _short(exc: BaseException) -> str:
    return clip(f"{type(exc).__name__}: {exc}", 200)


def _count(zf: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes], limit: int) -> int:
    """Occurrences of ``pattern`` (a tag start) in the part ``name``, read a megabyte at a time; stops
    counting past ``limit``.  A buffer is cut before its last ``<`` so that no tag is split."""
    n = 0
    carry = b""
    with zf.open(name) as part:
        while n <= limit:
            chunk = part.read(_CHUNK)
            buf = carry + chunk
            if not chunk:
                n += len(pattern.findall(buf))
                break
            cut = buf.rfind(b"<")
            cut = cut if cut > 0 else len(buf)
            n += len(pattern.findall(buf, 0, cut))
            carry = buf[cut:][:64]  # a tag name is short: the rest of a long tail holds no tag start
    return n


def check_workbook_cost(path: Path) -> None:
    """Refuse a workbook whose shared strings pass ``XLSX_MAX_SHARED_STRINGS`` entries or
    ``XLSX_MAX_SHARED_BYTES`` bytes, or whose worksheets hold more than ``XLSX_MAX_CELLS`` cells."""
    try:
        with zipfile.ZipFile(path) as zf:
            cells = 0
            for info in zf.infolist():
                name = info.filename
                if name.lower().endswith("sharedstrings.xml"):
                    if info.file_size > XLSX_MAX_SHARED_BYTES:
                        raise BadInput("xlsx_too_many_shared_strings", name=path.name,
                                       count=XLSX_MAX_SHARED_STRINGS, size=XLSX_MAX_SHARED_BYTES)
                    if _count(zf, name, _SHARED_ENTRY, XLSX_MAX_SHARED_STRINGS) > XLSX_MAX_SHARED_STRINGS:
                        raise BadInput("xlsx_too_many_shared_strings", name=path.name,
                                       count=XLSX_MAX_SHARED_STRINGS, size=XLSX_MAX_SHARED_BYTES)
                elif name.lower().startswith("xl/worksheets/") and name.lower().endswith(".xml"):
                    cells += _count(zf, name, _CELL, XLSX_MAX_CELLS - cells)
                    if cells > XLSX_MAX_CELLS:
                        raise BadInput("xlsx_too_many_cells", name=path.name, limit=XLSX_MAX_CELLS)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError) as exc:
        raise BadInput("file_is_not_readable", name=path.name, exc=_short(exc)) from None


def check_workbook_size(path: Path) -> None:
    """Refuse a workbook whose parts together pass ``XLSX_MAX_UNCOMPRESSED`` bytes, or one of whose
    parts (past ``XLSX_RATIO_FROM`` bytes) is compressed more than ``XLSX_MAX_RATIO`` to 1."""
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


def _workbook(path: Path, *, scan: bool = True):
    from openpyxl import load_workbook

    check_workbook_size(path)
    if scan:
        check_workbook_cost(path)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except MALFORMED as exc:
        raise BadInput("file_is_not_readable", name=path.name, exc=_short(exc)) from None


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
