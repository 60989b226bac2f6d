"""``pipeline export ledger.xlsx`` (the project ledger as a workbook) over a county of many projects.

- writer: the workbook writer of the export (``workflow.io.writing.write_xlsx``, SpreadsheetML written
  row by row by ``workflow.io.xlsx``) against openpyxl's write-only workbook writing the same cells
  with the same styles (bold frozen header, widths, dates as dates, text as text with the quote prefix
  on formula-looking text) — the library path the export used before.  Before anything is timed both
  workbooks are read back through openpyxl and found equal (every cell at the tiny and small sizes,
  the first 5,000 rows at full size); goal: ours no slower than openpyxl (≤ 1×).
- command: the whole ``pipeline export FILE.xlsx`` (start-up, reading the ledger, the cells, the
  workbook) against ``pipeline project show`` of one project on the same county, as whole commands;
  goal: within 3 s at 50,000 projects (the ratio says how many ``project show`` it costs).

The county is ``pipeline demo --projects N`` (the engine's batch path), built once per run and shared
with the ``office`` benchmark (``bench.common.demo_county``).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from bench.common import PIPELINE, demo_county, row

NAME = "export"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}
ROUNDS = {"tiny": 1, "small": 3, "full": 3}
CHECK_ROWS = {"tiny": None, "small": None, "full": 5_000}
SECONDS = 3.0


def openpyxl_workbook(path: Path, title: str, headers, rows, widths) -> None:
    """The same workbook through openpyxl's write-only mode (the baseline)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from workflow.io.columns import column_letter
    from workflow.io.xlsx import sheet_title
    from workflow.text import visible

    def text(ws, value: str, bold: bool = False):
        c = WriteOnlyCell(ws, value=visible(value, multiline=True))
        c.data_type = "s"
        if value[:1] in ("=", "+", "-", "@"):
            c.quotePrefix = True
        if bold:
            c.font = Font(bold=True)
        return c

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(title))
    ws.freeze_panes = "A2"
    for i, w in enumerate(widths):
        ws.column_dimensions[column_letter(i)].width = w
    ws.append([text(ws, h, bold=True) for h in headers])
    for r in rows:
        cells = []
        for v in r:
            if isinstance(v, str):
                cells.append(text(ws, v) if v else None)
            else:
                c = WriteOnlyCell(ws, value=v)
                if hasattr(v, "isoformat") and v is not None:
                    c.number_format = "yyyy-mm-dd"
                cells.append(c)
        ws.append(cells)
    wb.save(path)


def _read(path: Path, limit: int | None) -> list[tuple]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    out = []
    for n, r in enumerate(wb.worksheets[0].iter_rows(values_only=True)):
        if limit is not None and n > limit:
            break
        out.append(tuple(v for v in r))
    wb.close()
    return out


def _best(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _command(argv: list[str], env: dict, rounds: int) -> float:
    full = {**os.environ, **env}
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def run(size: str, workdir: Path) -> list[dict]:
    from cli.render import stage_label
    from workflow.db import make_engine
    from workflow.io.writing import _number, _text_cell, _width, ledger_table, write_xlsx
    from workflow.service import Service

    n = SIZES[size]
    db = demo_county(n)  # shared with the office benchmark (read only)
    env = {"PIPELINE_DB": f"sqlite:///{db}", "PIPELINE_USER": "bench", "PIPELINE_LANG": "zh", "PAGER": "cat"}
    engine = make_engine(env["PIPELINE_DB"])
    rows = Service(engine, "bench").ledger()
    headers, cells = ledger_table(rows, "zh", stage_label=lambda s: stage_label(s, "zh"))
    from workflow.io.columns import EXPORT_ORDER

    money = EXPORT_ORDER.index("investment")  # a number where a number holds it exactly, as write_xlsx does
    widths = [max(8, min(40, _width(h) + 2)) for h in headers]
    for r in cells[:200]:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], min(40, _width(_text_cell(v)) + 2))
    typed = [[_number(v) if i == money and v is not None else v for i, v in enumerate(r)] for r in cells]
    ours, base = workdir / "ours.xlsx", workdir / "openpyxl.xlsx"
    write_xlsx(ours, headers, cells, money_columns=[money])
    openpyxl_workbook(base, "项目台账", headers, typed, widths)
    limit = CHECK_ROWS[size]
    if _read(ours, limit) != _read(base, limit):
        raise AssertionError("export bench: the workbooks differ")
    rounds = ROUNDS[size]
    t_ours = _best(lambda: write_xlsx(ours, headers, cells, money_columns=[money]), rounds)
    t_base = _best(lambda: openpyxl_workbook(base, "项目台账", headers, typed, widths), rounds)
    code = rows[0]["code"]
    t_cmd = _command([PIPELINE, "export", str(workdir / "cmd.xlsx")], env, rounds)
    t_show = _command([PIPELINE, "project", "show", code], env, rounds)
    out = [row(f"export workbook writer, {n:,} projects ({n * len(headers):,} cells) vs openpyxl write-only",
               t_ours, t_base, "s", "≤ 1×", limit=1.0, equal=True)]
    r = row(f"`pipeline export FILE.xlsx`, {n:,} projects (whole command) vs `project show`", t_cmd, t_show, "s",
            f"≤ {SECONDS:g} s at 50,000", limit=float("inf"), equal=None)
    r["seconds"] = t_cmd
    r["met"] = t_cmd <= SECONDS if size == "full" else None
    out.append(r)
    return out
