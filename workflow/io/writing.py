"""Writing ledgers: the ledger table, CSV and XLSX, with safe cells (text never read as a formula)."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from workflow import files
from workflow.errors import BadInput, os_reason
from workflow.io.columns import EXPORT_ORDER, header
from workflow.io.xlsx import write_workbook
from workflow.text import csv_cell, visible

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
        files.write_bytes(path, buf.getvalue().encode(encoding))
    except UnicodeEncodeError as exc:
        raise BadInput("encoding_cannot_write_use", encoding=encoding, object=exc.object[exc.start:exc.end]) from None
    except OSError as exc:
        raise BadInput("file_cannot_write", path=path, strerror=os_reason(exc)) from None
    return None


def write_xlsx(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
               title: str = "项目台账", money_columns: Sequence[int] = ()) -> None:
    """Write a one-sheet workbook: bold frozen header, dates as dates, amounts as numbers where a
    number holds them exactly (else as text), text never as a formula (``workflow.io.xlsx``)."""
    widths = [max(8, min(40, _width(h) + 2)) for h in headers]
    rows = list(rows)
    for r in rows[:200]:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], min(40, _width(_text_cell(v)) + 2))
    money = set(money_columns)
    if money:
        rows = [[_number(v) if i in money and v is not None else v for i, v in enumerate(r)] for r in rows]
    try:
        with files.created(path) as out:
            write_workbook(out, title, headers, rows, widths)
    except OSError as exc:
        raise BadInput("file_cannot_write", path=path, strerror=os_reason(exc)) from None


def set_text(cell: Any, value: str) -> None:
    """An openpyxl cell set to ``value`` as text, never a formula (as ``workflow.io.xlsx`` writes text)."""
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
