"""A one-sheet workbook written as SpreadsheetML directly, row by row (docs/import-export.md, "Export").

The project ledger of a large county is a million cells; openpyxl builds a Python object per cell and
takes about ten seconds for 50,000 projects, this writer about a tenth of that (docs/performance.md,
"export"). It writes what :func:`workflow.io.writing.write_xlsx` promises and nothing more: one sheet,
a bold frozen header row, column widths, text as inline strings (never a formula: text that starts
with ``=``, ``+``, ``-`` or ``@`` carries Excel's quote prefix, as openpyxl's ``quotePrefix`` does),
whole and decimal numbers as numbers, dates as dates shown ``yyyy-mm-dd``, ``None`` and ``""`` as an empty
cell.
tests/test_xlsx_writer.py reads a workbook written here and one written by openpyxl with the same
cells back through openpyxl and finds them equal, cell by cell, with their types and styles.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from workflow.io.columns import column_letter
from workflow.text import visible

_EPOCH = date(1899, 12, 30)  # day 0 of Excel's 1900 date system (after its 1900 leap-year slip)
_FORMULA_START = ("=", "+", "-", "@")

# Cell styles (cellXfs, by index): plain, bold (the header), a date, text with the quote prefix.
PLAIN, BOLD, DATE, QUOTED = 0, 1, 2, 3
DATE_FORMAT = "yyyy-mm-dd"  # how a date cell is shown (the reports' workbooks too: cli/report_cmds.py)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def _workbook(title: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name={quoteattr(sheet_title(title))} sheetId="1" r:id="rId1"/></sheets></workbook>')


def sheet_title(title: str) -> str:
    """A legal sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in visible(title))
    return cleaned[:31] or "Sheet1"


def _text(ref: str, value: str, style: int = PLAIN) -> str:
    shown = visible(value, multiline=True)
    if style == PLAIN and value[:1] in _FORMULA_START:
        style = QUOTED
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(shown)}</t></is></c>'


def _cell(ref: str, value: Any) -> str:
    if value is None or value == "":  # an empty cell, as openpyxl leaves it
        return ""
    if isinstance(value, str):
        return _text(ref, value)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, date) and not isinstance(value, datetime):
        return f'<c r="{ref}" s="{DATE}"><v>{(value - _EPOCH).days}</v></c>'
    return _text(ref, str(value))


def _sheet(out: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float]) -> None:
    letters = [column_letter(i) for i in range(max(len(headers), 1))]
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    out.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}">'
               '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
               'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
               f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>'
               ).encode())
    head = "".join(_text(f"{letters[i]}1", h, BOLD) for i, h in enumerate(headers))
    out.write(f'<row r="1">{head}</row>'.encode())
    chunk: list[str] = []
    for n, r in enumerate(rows, start=2):
        while len(letters) < len(r):
            letters.append(column_letter(len(letters)))
        cells = "".join(_cell(f"{letters[i]}{n}", v) for i, v in enumerate(r))
        chunk.append(f'<row r="{n}">{cells}</row>')
        if len(chunk) == 1000:
            out.write("".join(chunk).encode("utf-8"))
            chunk.clear()
    out.write(("".join(chunk) + "</sheetData></worksheet>").encode("utf-8"))


def write_workbook(target: IO[bytes], title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                   widths: Sequence[float]) -> None:
    """Write the workbook to the open binary file ``target``; ``rows`` are read once, as they come."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _workbook(title))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            _sheet(sheet, headers, rows, widths)
