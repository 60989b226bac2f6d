"""The export's own SpreadsheetML writer (workflow/io/xlsx.py) writes what openpyxl writes for the same
cells: read back through openpyxl, both workbooks hold the same values with the same types, the bold
frozen header, dates shown yyyy-mm-dd, the quote prefix on text that looks like a formula, and the same
column widths; LibreOffice-style readers need nothing else."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.io.columns import column_letter
from workflow.io.writing import set_text
from workflow.io.xlsx import sheet_title, write_workbook

HEADERS = ["编号 Code", "名称", "计划投资", "日期", "备注", "flag"]
ROWS = [
    ["P-0001", "=HYPERLINK(\"http://x\")", 12345, date(2026, 1, 31), "+1 成本", True],
    ["P-0002", "普通文本 <b>&amp;</b>", 1.25, date(1999, 12, 31), None, False],
    ["P-0003", "-负数开头", -7, date(2026, 12, 6), "@sum", None],
    ["P-0004", "控制字符\x07和\x1b[31m", 10**14, None, "两行\n文本", True],
]


def _reference(path: Path, title: str, headers, rows, widths) -> None:
    """The same workbook through openpyxl (a normal workbook: write-only cells cannot be styled after)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(title)
    ws.freeze_panes = "A2"
    for i, w in enumerate(widths):
        ws.column_dimensions[column_letter(i)].width = w
    for i, h in enumerate(headers, 1):
        c = ws.cell(1, i)
        set_text(c, h)
        c.font = Font(bold=True)
    for n, r in enumerate(rows, 2):
        for i, v in enumerate(r, 1):
            if v is None:
                continue
            c = ws.cell(n, i)
            if isinstance(v, str):
                set_text(c, v)
            else:
                c.value = v
                if isinstance(v, date):
                    c.number_format = "yyyy-mm-dd"
    wb.save(path)


def _read(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.worksheets[0]
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None:
                continue
            value = c.value.date() if isinstance(c.value, datetime) else c.value
            cells[c.coordinate] = (value, c.data_type, c.font.b, c.number_format if c.is_date else None,
                                   bool(c.quotePrefix))
    widths = {k: round(v.width, 2) for k, v in ws.column_dimensions.items() if v.width}
    return {"title": ws.title, "freeze": ws.freeze_panes, "cells": cells, "widths": widths}


def _write_ours(path: Path, title, headers, rows, widths) -> None:
    with open(path, "wb") as out:
        write_workbook(out, title, headers, rows, widths)


def test_the_writer_equals_openpyxl_cell_by_cell(tmp_path):
    widths = [12, 30, 14, 12, 20, 8]
    ours, ref = tmp_path / "ours.xlsx", tmp_path / "ref.xlsx"
    _write_ours(ours, "项目台账", HEADERS, ROWS, widths)
    _reference(ref, "项目台账", HEADERS, ROWS, widths)
    got, want = _read(ours), _read(ref)
    assert got == want
    assert got["cells"]["B2"][4] is True and got["cells"]["B3"][4] is False  # the formula-looking text
    assert got["cells"]["A1"][2] is True and got["freeze"] == "A2"
    assert got["cells"]["D2"][0] == date(2026, 1, 31) and got["cells"]["D2"][3] == "yyyy-mm-dd"
    assert got["cells"]["B5"][0] == "控制字符\\x07和\\x1b[31m"  # shown visibly, as every path shows them


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=12), st.integers(-10**15, 10**15),
                                   st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1))),
                         min_size=3, max_size=3), max_size=6))
def test_any_cells_read_back_as_openpyxl_writes_them(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("x")
    headers, widths = ["a", "b", "c"], [8, 8, 8]
    _write_ours(tmp / "o.xlsx", "s", headers, rows, widths)
    _reference(tmp / "r.xlsx", "s", headers, rows, widths)
    assert _read(tmp / "o.xlsx") == _read(tmp / "r.xlsx")


@pytest.mark.parametrize("title,want", [("a/b:c", "a_b_c"), ("x" * 40, "x" * 31), ("", "Sheet1")])
def test_sheet_titles_are_legal(title, want):
    assert sheet_title(title) == want
