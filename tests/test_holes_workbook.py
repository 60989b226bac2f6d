"""Workbook reading is bounded and a malformed workbook is bad input (workflow/io/reading.py,
docs/text-and-errors.md)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from workflow.io import reading

HEADER = ["name", "investor", "industry", "investment", "unit"]


def _valid(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["风电场", "华能", "energy", "1亿", "XH"])
    wb.save(path)
    return path


def _rewrite(src: Path, dst: Path, parts: dict[str, bytes], *, stored: bool = False) -> Path:
    """``src`` with ``parts`` replaced (or added)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(
            dst, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in parts:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


SHEET = "xl/worksheets/sheet1.xml"
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.mark.parametrize("sheet", [
    b"<worksheet " + NS + b"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>name",  # cut short
    b"<worksheet " + NS + b"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>999</v></c></row></sheetData></worksheet>",
    b"not xml at all",
])
@pytest.mark.sqlite_only
def test_a_malformed_workbook_exits_2(cli, tmp_path, sheet):
    bad = _rewrite(_valid(tmp_path / "ok.xlsx"), tmp_path / "bad.xlsx", {SHEET: sheet})
    res = cli("import", str(bad), json=True)
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err and cli("project", "list", json=True, ok=True).json["projects"] == []


def _many_shared_strings(n: int) -> bytes:
    body = b"".join(b"<si><t>s%d</t></si>" % i for i in range(n))
    return b"<sst " + NS + b' count="%d" uniqueCount="%d">' % (n, n) + body + b"</sst>"


@pytest.mark.sqlite_only
def test_many_shared_strings_are_refused_quickly(cli, tmp_path):
    n = reading.XLSX_MAX_SHARED_STRINGS + 1000
    big = _rewrite(_valid(tmp_path / "ok.xlsx"), tmp_path / "strings.xlsx",
                   {"xl/sharedStrings.xml": _many_shared_strings(n)}, stored=True)  # under both zip caps
    reading.check_workbook_size(big)
    started = time.monotonic()
    res = cli("import", str(big), json=True)
    assert time.monotonic() - started < 15
    assert res.code == 2 and "shared strings" in res.out, res.out


@pytest.mark.sqlite_only
def test_a_sheet_of_too_many_cells_is_refused_quickly(cli, tmp_path):
    n = reading.XLSX_MAX_CELLS + 10
    row = b"<row r=\"2\">" + b"<c/>" * n + b"</row>"  # one huge row of empty cells
    sheet = (b"<worksheet " + NS + b"><sheetData><row r=\"1\">"
             + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % h.encode() for h in HEADER)
             + b"</row>" + row + b"</sheetData></worksheet>")
    big = _rewrite(_valid(tmp_path / "ok.xlsx"), tmp_path / "cells.xlsx", {SHEET: sheet}, stored=True)
    reading.check_workbook_size(big)
    started = time.monotonic()
    res = cli("import", str(big), json=True)
    assert time.monotonic() - started < 15
    assert res.code == 2 and "cells" in res.out, res.out


def test_the_scan_counts_tags_split_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "_CHUNK", 7)
    src = _valid(tmp_path / "ok.xlsx")
    book = _rewrite(src, tmp_path / "s.xlsx", {"xl/sharedStrings.xml": _many_shared_strings(500)})
    with zipfile.ZipFile(book) as zf:
        assert reading._count(zf, "xl/sharedStrings.xml", reading._SHARED_ENTRY, 10_000) == 500
    assert reading.read_xlsx(src).headers[:2] == HEADER[:2]
