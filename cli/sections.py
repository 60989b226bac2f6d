"""The tabular form of every report: titled sections with typed columns and totals rows, and how a
cell is written as text.  Shared by the table, CSV, Markdown, xlsx writers (cli/report_cmds.py) and the
documents (cli/documents.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.amounts import WAN, format_rate, format_score, format_units

# Column kinds: text, int, wan (minor units shown in 万 of the currency), rate (0.85 -> 85.0%),
# score (two decimals), date (ISO text).


@dataclass
class Section:
    key: str  # sheet name (ASCII) and title key
    columns: list[tuple[str, str]]  # (label key, kind)
    rows: list[list] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)  # per row: "", "total", "change"
    title: str | None = None

    def add(self, row: list, style: str = "") -> None:
        self.rows.append(row)
        self.styles.append(style)


@dataclass
class Report:
    title: str
    sections: list[Section]
    csv: str | Section  # what --format csv writes (CSV holds one table): a section's key, or its own
    info: list[tuple[str, str]] = field(default_factory=list)


def _cell(value, kind: str):
    """A cell may override its column's kind: (kind, value)."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return value[1], value[0]
    return value, kind


def text_cell(value, kind: str, style: str = "", *, grouped: bool = True) -> str:
    value, kind = _cell(value, kind)
    if value is None:
        return ""
    sign = "+" if style == "change" and kind in ("int", "wan") and value > 0 else ""
    if kind == "int":
        return f"{sign}{int(value)}"
    if kind == "wan":  # the one display of amounts (docs/money.md)
        return format_units(value, WAN, grouped=grouped, signed=style == "change")
    if kind == "rate":
        return format_rate(value)
    if kind == "score":
        return format_score(value)
    return str(value)


