"""Reports, warnings, the board, targets and the warning thresholds (docs/lights-and-reports.md).

`pipeline report bulletin|dispatch|review|evaluation --period P`, `pipeline warnings`,
`pipeline board`, `pipeline targets set|list`, `pipeline lights show|set|reset`.

Every report is computed by `workflow.reports` and turned here into *sections* (titled tables with
typed columns and totals rows) that are written as rich tables, CSV, Markdown or an xlsx workbook
(one sheet per section).  Amounts in tables are in 万 (10,000) of their currency with two decimals;
`--json` gives integer minor units and the currency.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NamedTuple

import typer

from cli.context import STATE, emit_json, is_terminal, out, say
from cli.options import (
    DOCUMENT_FORMATS,
    REPORT_FORMATS,
    FromHistory,
    JsonFlag,
    Limit,
    Offset,
    OutputFile,
    ReportFormat,
    Search,
    ShowAll,
    SortKey,
    Thresholds,
    group,
)
from cli.params import INT_MAX, YEAR_MAX, YEAR_MIN
from cli.sections import Report, Section, _cell, text_cell
from workflow.amounts import WAN, in_units
from workflow.catalogue import Message
from workflow.errors import BadInput, os_reason
from workflow.lang import is_zh

ReportAsOf = Annotated[str | None, typer.Option(
    "--as-of", metavar="YYYY-MM-DD",
    help="Compute as of this date (default: the period's end or today, whichever is earlier).")]
UnitCode = Annotated[str | None, typer.Option("--unit", metavar="CODE", help="Only this unit's projects.")]
Period = Annotated[str, typer.Option(
    "--period", "-p", metavar="PERIOD",
    help="2026 (year), 2026-H1, 2026-Q3 or 2026-B2 (two months: B1 = Jan-Feb ... B6 = Nov-Dec), "
         "or a span of one kind: 2022..2025, 2026-B1..2026-B5.")]


def t(key: str, lang: str) -> str:
    """A label in ``lang`` (``workflow.i18n.t``; the catalogue is loaded when a report is printed,
    not for ``pipeline --help``)."""
    from workflow.i18n import t as label

    return label(key, lang)



def _date(value: str | None, name: str):
    from workflow.clock import parse_date

    return parse_date(value, name)


def _service(threshold: list[str] | None, as_of=None):
    """A read service with this run's threshold overrides, and the thresholds in effect on ``as_of``
    (default: today)."""
    svc = STATE.service(write=False)
    svc.light_overrides = svc.parse_threshold_args(threshold)
    return svc, svc.light_thresholds(as_of=as_of)


# --- sections: the tabular form of every report ----------------------------------------------------

# Column kinds: text, int, wan (minor units shown in 万 of the currency), rate (0.85 -> 85.0%),
# score (two decimals), date (ISO text).


def xlsx_value(value, kind: str):
    value, kind = _cell(value, kind)
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "wan":
        return float(in_units(value, WAN))  # the number the text cells show (docs/money.md)
    if kind in ("rate", "score"):
        return float(value)
    if kind == "date":  # a date cell, as `export FILE.xlsx` writes it (workflow/io/xlsx.py); "": none
        return value if isinstance(value, date) else date.fromisoformat(str(value)) if value else None
    return str(value)


XLSX_FORMATS = {"int": "#,##0", "wan": "#,##0.00", "rate": "0.0%", "score": "0.00"}  # and dates (write_xlsx)


def shown_rows(sec: Section, show_all: bool | None) -> tuple[list[tuple[list, str]], int]:
    """The rows of ``sec`` a terminal table shows and how many are left out: every row with ``show_all``
    (or None: a command without ``--all``), else the first ``TERMINAL_ROWS`` plain rows and every totals
    row (docs/usage.md, "Output and errors")."""
    from cli.options import TERMINAL_ROWS

    rows = list(zip(sec.rows, sec.styles, strict=True))
    if show_all is None or show_all or len(rows) <= TERMINAL_ROWS:
        return rows, 0
    kept = [r for i, r in enumerate(rows) if i < TERMINAL_ROWS or r[1]]
    return kept, len(rows) - len(kept)


def render_tables(report: Report, lang: str, show_all: bool | None = None) -> None:
    from cli.render import table
    from workflow.catalogue import text
    from workflow.text import visible

    console = out()
    terminal = is_terminal()
    if not terminal:
        console.print(visible(report.title))
    for sec in report.sections:
        title = sec.title or t(f"sec_{sec.key}", lang)
        if not sec.rows:
            console.print(f"{title}: -")
            continue
        heads = [t(c, lang) for c, _ in sec.columns]
        rows, more = shown_rows(sec, show_all)
        texts = [[visible(text_cell(v, k, style)) for v, (_, k) in zip(row, sec.columns, strict=True)]
                 for row, style in rows]
        for part, (columns, widths) in enumerate(table_parts(sec, heads, texts, console.width, terminal)):
            tbl = table([heads[i] for i in columns],
                        title=title if not part else text(Message("table_continued", title=title), lang))
            for col, i in zip(tbl.columns, columns, strict=True):
                if sec.columns[i][1] in ("int", "wan", "rate", "score"):
                    col.justify = "right"
                col.width = widths.get(i)
            for k, ((_, style), cells) in enumerate(zip(rows, texts, strict=True)):
                if style == "total" and k and terminal:
                    tbl.add_section()
                tbl.add_row(*[cells[i] for i in columns], style="bold" if terminal and style == "total" else None)
            console.print(tbl)
        if more:
            console.print(visible(text(Message("list_more_rows", n=more), lang)), style="dim", highlight=False)
    if report.info and terminal:
        console.print(" · ".join(f"{t(k, lang)} {v}" for k, v in report.info), style="dim")


WHOLE_KINDS = ("int", "wan", "rate", "score", "date")  # cells that must not wrap: "130,000.0" over "0"
NARROW_TEXT = 6  # cells: the least a text column is given while the numbers keep their line
WORD_TEXT = 12  # cells: the longest word of Latin letters or digits a text column keeps on one line


def whole_columns(sec: Section) -> list[bool]:
    """Per column of ``sec``: whether its cells are numbers or dates (by the column's kind, or by every
    cell's own, :func:`cli.sections._cell`), which a table never wraps."""
    out = []
    for i, (_, kind) in enumerate(sec.columns):
        kinds = {own for value, own in (_cell(r[i], kind) for r in sec.rows) if value not in (None, "")}
        out.append(kind in WHOLE_KINDS or (bool(kinds) and kinds <= set(WHOLE_KINDS)))
    return out


def label_columns(sec: Section) -> list[int]:
    """The columns that name a row, repeated in each table a wide section is split into: those up to
    its first text column (a rank and a code) and the text column after it, if any (a name)."""
    kinds = [kind for _, kind in sec.columns]
    if "text" not in kinds[:2]:
        return []
    lead = kinds.index("text") + 1
    if lead < len(kinds) and kinds[lead] == "text":
        lead += 1
    return list(range(lead))


class Part(NamedTuple):
    """One table of a section as printed: its column indexes and, when it had to be narrowed, the width
    of each (else rich lays it out)."""

    columns: list[int]
    widths: dict[int, int]


def table_parts(sec: Section, heads: list[str], texts: list[list[str]], width: int, boxed: bool) -> list[Part]:
    """How a section's table is printed ``width`` cells wide: a list of tables (:class:`Part`).  One
    table when it fits as it is, or when its text columns can give way (each down to ``NARROW_TEXT``
    cells or its longest Latin word, their headers wrapping between words) while every number and date
    keeps its line ("130,000.0" over "0" reads as another figure); else its columns are shared out, in
    order and evenly, among as few tables as fit that way, every one led by the row's label columns
    (:func:`label_columns`: rank, code, name) and titled as continued; else (not even the labels and
    one column fit) one table, its cells folded."""
    from rich.cells import cell_len

    n = len(sec.columns)
    everything = list(range(n))
    head = [cell_len(h) for h in heads]
    longest = [max([cell_len(r[i]) for r in texts] + [0]) for i in everything]

    def frame(k: int) -> int:  # borders and padding of k columns
        return 3 * k + 1 if boxed else 2 * k

    as_it_is = [Part(everything, {})]
    if sum(max(h, m) for h, m in zip(head, longest, strict=True)) + frame(n) <= width:
        return as_it_is
    whole = whole_columns(sec)
    # a header of up to 8 cells on a line, wrapped between its words, never inside one ("Performance")
    words = [max([cell_len(w) for w in h.split() if w.isascii()] + [0]) for h in heads]
    fixed = [max(m, min(h, 8), w) for h, m, w in zip(head, longest, words, strict=True)]
    # a text column gives way down to NARROW_TEXT cells, or its longest word of Latin letters or digits
    # (up to WORD_TEXT: a date of a span, "construction"); Chinese wraps between any two characters
    spelled = [max([cell_len(w) for r in texts for w in r[i].split() if w.isascii()] + [0]) for i in everything]
    least = [f if keep else max(min(max(h, m), NARROW_TEXT), min(max(w, v), WORD_TEXT))
             for f, keep, h, m, w, v in zip(fixed, whole, head, longest, spelled, words, strict=True)]
    # a text column's natural width is its longest cell's, or its header's up to 8 cells (a longer
    # header wraps, as the numbers' do)
    natural = [f if keep else max(m, lw, min(h, 8)) for f, keep, m, lw, h in zip(fixed, whole, longest, least, head,
                                                                                   strict=True)]

    def fits(columns: list[int]) -> bool:
        return sum(least[i] for i in columns) + frame(len(columns)) <= width

    def part(columns: list[int]) -> Part:
        """The columns at their natural widths, the widest text column narrowed a cell at a time until
        the table fits the line (as rich narrows a table: short texts keep their line)."""
        widths = {i: natural[i] for i in columns}
        excess = sum(widths.values()) + frame(len(columns)) - width
        while excess > 0:
            widest = max(columns, key=lambda i: widths[i] if widths[i] > least[i] else -1)
            if widths[widest] <= least[widest]:
                break
            widths[widest] -= 1
            excess -= 1
        return Part(columns, widths)

    if fits(everything):
        return [part(everything)]
    lead = label_columns(sec)
    if not lead or len(lead) == n or not all(fits([*lead, i]) for i in range(len(lead), n)):
        return as_it_is  # folded: the labels and some one column do not fit
    rest = list(range(len(lead), n))
    groups: list[list[int]] = [[]]
    for i in rest:  # as few tables as fit: each takes columns while they fit
        if groups[-1] and not fits([*lead, *groups[-1], i]):
            groups.append([])
        groups[-1].append(i)
    # as many tables, the columns shared out evenly: a table closes once the next column would take
    # it further past its share of the width still to place than short of it
    def wide(columns: list[int]) -> int:  # the columns' least widths with their borders and padding
        return sum(least[i] for i in columns) + frame(len(columns)) - frame(0)

    even: list[list[int]] = [[]]
    left = wide(rest)
    for i in rest:
        share = left / (len(groups) - len(even) + 1)
        if even[-1] and len(even) < len(groups) and wide(even[-1]) + wide([i]) / 2 > share:
            left -= wide(even[-1])
            even.append([])
        even[-1].append(i)
    if len(even) == len(groups) and all(fits([*lead, *g]) for g in even):
        groups = even
    return [part([*lead, *g]) for g in groups]


def to_csv_text(report: Report, lang: str) -> str:
    from cli.output import to_csv

    sec = report.csv if isinstance(report.csv, Section) else next(
        s for s in report.sections if s.key == report.csv)
    rows = [[text_cell(v, k, st, grouped=False) for v, (_, k) in zip(r, sec.columns, strict=True)]
            for r, st in zip(sec.rows, sec.styles, strict=True)]
    return to_csv([t(c, lang) for c, _ in sec.columns], rows)


def to_md_text(report: Report, lang: str) -> str:
    from cli.output import md_text, to_markdown

    parts = [f"# {md_text(report.title)}", ""]
    if report.info:
        parts += ["  \n".join(f"{md_text(t(k, lang))}: {md_text(v)}" for k, v in report.info), ""]
    for sec in report.sections:
        rows = [[text_cell(v, k, st) for v, (_, k) in zip(r, sec.columns, strict=True)]
                for r, st in zip(sec.rows, sec.styles, strict=True)]
        parts.append(to_markdown([t(c, lang) for c, _ in sec.columns], rows,
                                 sec.title or t(f"sec_{sec.key}", lang)).replace("# ", "## ", 1))
    return "\n".join(parts)


def sheet_name(key: str, lang: str) -> str:
    """A workbook sheet's name: its key in English, its Chinese name under ``--lang zh``."""
    from workflow.i18n import SHEETS_ZH

    return (SHEETS_ZH.get(key, key) if is_zh(lang) else key)[:31]


def write_xlsx(report: Report, lang: str, path: Path) -> None:
    """One sheet per section: a bold, frozen header row, typed cells with number formats, bold totals;
    a last sheet `info` says what the workbook is."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from workflow import files
    from workflow.io import set_text
    from workflow.io.xlsx import DATE_FORMAT

    formats = {**XLSX_FORMATS, "date": DATE_FORMAT}
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for sec in report.sections:
        ws = wb.create_sheet(sheet_name(sec.key, lang))
        for i, (c, _) in enumerate(sec.columns, start=1):
            set_text(ws.cell(row=1, column=i), t(c, lang))
            ws.cell(row=1, column=i).font = bold
        ws.freeze_panes = "A2"
        for row, style in zip(sec.rows, sec.styles, strict=True):
            values = [xlsx_value(v, k) for v, (_, k) in zip(row, sec.columns, strict=True)]
            ws.append([None] * len(values))
            r = ws.max_row
            for i, (v, (_, kind)) in enumerate(zip(row, sec.columns, strict=True), start=1):
                _, k = _cell(v, kind)
                cell = ws.cell(row=r, column=i)
                value = values[i - 1]
                if isinstance(value, str):
                    set_text(cell, value)  # text stays text: never a formula
                else:
                    cell.value = value
                if k in formats:
                    cell.number_format = formats[k]
                if style == "total":
                    cell.font = bold
        for i, (c, _) in enumerate(sec.columns, start=1):
            width = max([len(t(c, lang)) * (2 if is_zh(lang) else 1)] +
                        [len(text_cell(r[i - 1], sec.columns[i - 1][1])) for r in sec.rows] + [8])
            ws.column_dimensions[get_column_letter(i)].width = min(width + 2, 60)
    info = wb.create_sheet(sheet_name("info", lang))
    for r, (k, v) in enumerate([("sec_info", report.title), *report.info], start=1):
        set_text(info.cell(row=r, column=1), t(k, lang))
        if isinstance(v, str):
            set_text(info.cell(row=r, column=2), v)
        else:
            info.cell(row=r, column=2).value = v
    info["A1"].font = bold
    try:
        files.save(path, wb)
    except OSError as exc:
        raise BadInput("output_cannot_write", path=path, strerror=os_reason(exc)) from None


def emit(report: Report, fmt: str | None, output: Path | None, lang: str, show_all: bool | None = None) -> None:
    from cli.output import write_text

    if fmt is None:
        render_tables(report, lang, show_all)
    elif fmt == "csv":
        write_text(to_csv_text(report, lang), output)
    elif fmt == "md":
        write_text(to_md_text(report, lang), output)
    else:
        assert output is not None  # check_format refuses xlsx without --output
        write_xlsx(report, lang, output)
        say(Message("wrote", output=output))


def _check(fmt: str | None, output: Path | None, json: bool, formats: tuple[str, ...] = REPORT_FORMATS) -> None:
    from cli.output import check_format

    if json and (fmt or output):
        raise BadInput("json_and_format_output")
    check_format(fmt, formats, output)


# --- building the sections --------------------------------------------------------------------------


def _unit_label(code, name, lang: str) -> list:
    return [code if code is not None else t("no_unit", lang), name or ""]


def _money(items: list[dict], currency: str) -> int:
    return sum(m["amount_minor"] for m in items if m["currency"] == currency)


def _figure_cells(f: dict) -> list:
    return [f["signed"], _money(f["capital_in_place"], "CNY"), _money(f["capital_in_place"], "USD"),
            _money(f["investment_completed"], "CNY"), f["key_projects"], f["over_100m"], f["red"], f["yellow"]]


FIGURE_COLUMNS = [("col_signed", "int"), ("col_capital_cny", "wan"), ("col_capital_usd", "wan"),
                  ("col_investment", "wan"), ("col_key_projects", "int"), ("col_over_100m", "int"),
                  ("col_red", "int"), ("col_yellow", "int")]


def _stage_title(key: str, lang: str) -> str:
    from cli.render import stage_label

    return stage_label(key, lang)


def series_section(doc: dict, lang: str) -> Section | None:
    """A span's periods, each with its figures and growth, then the totals and the average growth."""
    s = doc.get("series")
    if not s:
        return None
    sec = Section("series", [("period", "text"), ("col_signed", "int"), ("col_growth", "rate"),
                             ("col_capital_cny", "wan"), ("col_growth", "rate"), ("col_capital_usd", "wan"),
                             ("col_growth", "rate"), ("col_investment", "wan"), ("col_growth", "rate")])
    metrics = ("signed", "capital", "foreign", "investment")
    for row in s["periods"]:
        cells: list = [row["period"]]
        for m in metrics:
            cells += [row["figures"][m], row["growth"][m]]
        sec.add(cells)
    total: list = [t("row_total", lang)]
    for m in metrics:
        total += [s["totals"][m], None]
    sec.add(total, "total")
    avg: list = [t("row_average_growth", lang)]
    for m in metrics:
        avg += [None, s["average_growth"][m]]
    sec.add(avg)
    return sec


PROGRESS_COLUMNS = [("col_projects", "int"), ("col_year_plan", "wan"), ("col_year_done", "wan"),
                    ("col_plan_rate", "rate"), ("col_time_progress", "rate"), ("col_points", "score"),
                    ("col_planned_starts", "int"), ("col_actual_starts", "int"), ("col_start_rate", "rate")]


def _progress_cells(row: dict, time_rate: float) -> list:
    return [row["projects"], row["year_plan"]["amount_minor"], row["completed"]["amount_minor"], row["plan_rate"],
            time_rate, row["points"], row["planned_starts"], row["started"], row["start_rate"]]


def progress_sections(doc: dict, lang: str) -> list[Section]:
    """Planned progress (序时进度) of the as-of year: by unit and by category, with totals."""
    p = doc.get("progress")
    if not p:
        return []
    time_rate = round(p["time_progress"] / 100, 4)  # a rate like "% of plan": a number, 0.0% in xlsx
    year = p["year"]
    by_unit = Section("progress", [("unit", "text"), ("unit_name", "text"), *PROGRESS_COLUMNS],
                      title=f"{t('sec_progress', lang)} {year}")
    for u in p["units"]:
        by_unit.add([*_unit_label(u["unit"], u["unit_name"], lang), *_progress_cells(u, time_rate)])
    by_unit.add([t("row_total", lang), "", *_progress_cells(p["totals"], time_rate)], "total")
    by_cat = Section("progress_category", [("category", "text"), *PROGRESS_COLUMNS],
                     title=f"{t('sec_progress_category', lang)} {year}")
    for c in p["categories"]:
        by_cat.add([t(f"cat_{c['category']}", lang), *_progress_cells(c, time_rate)])
    by_cat.add([t("row_total", lang), *_progress_cells(p["totals"], time_rate)], "total")
    return [by_unit, by_cat]


COMPARE_COLUMNS = [("col_signed", "int"), ("col_agreed", "wan"), ("col_capital_cny", "wan"),
                   ("col_capital_usd", "wan"), ("col_investment", "wan")]
_COMPARE_ROWS = (("period", "row_this_period"), ("previous", "row_prev_period"), ("year_to_date", "row_ytd"),
                 ("same_period_last_year", "row_same_period_ly"), ("year_to_date_last_year", "row_ytd_ly"))
_CHANGE_ROWS = (("month_on_month", "row_mom_change", "row_mom_rate"),
                ("year_on_year", "row_yoy_change", "row_yoy_rate"),
                ("year_to_date_on_year", "row_ytd_yoy_change", "row_ytd_yoy_rate"))


def comparison_sections(doc: dict, lang: str) -> list[Section]:
    """The year to date, 同比 and 环比 (``workflow.reports.compare``): the figures of the period, the
    previous period, the year to date and the same two a year earlier, with the changes and rates;
    then the year to date by unit with its 同比.  Nothing for a span (or a report closed before these
    figures existed)."""
    c = doc.get("comparison")
    if not c:
        return []
    from workflow.reports.compare import COMPARE_METRICS, changes_of, figures_of

    sec = Section("year_to_date", [("col_compared", "text"), ("period", "text"), *COMPARE_COLUMNS],
                  title=t("sec_year_to_date", lang))
    tot = c["totals"]
    for key, label in _COMPARE_ROWS:
        win, fig = c["windows"][key], figures_of(tot[key])
        sec.add([t(label, lang), f"{win['start']} – {win['end']}", *[fig[m] for m in COMPARE_METRICS]],
                "total" if key == "year_to_date" else "")
    for key, change, rate in _CHANGE_ROWS:
        ch = changes_of(tot["changes"][key])
        sec.add([t(change, lang), "", *[ch[m]["change"] for m in COMPARE_METRICS]], "change")
        sec.add([t(rate, lang), "", *[("rate", ch[m]["rate"]) for m in COMPARE_METRICS]])
    units = Section("year_to_date_units", [("unit", "text"), ("unit_name", "text"),
                                           *[x for col in COMPARE_COLUMNS for x in (col, ("col_ytd_yoy", "rate"))]],
                    title=t("sec_year_to_date_units", lang))

    def cells(row: dict) -> list:
        fig, ch = figures_of(row["year_to_date"]), changes_of(row["changes"]["year_to_date_on_year"])
        return [x for m in COMPARE_METRICS for x in (fig[m], ch[m]["rate"])]

    for u in c["units"]:
        units.add([*_unit_label(u["unit"], u["unit_name"], lang), *cells(u)])
    units.add([t("row_total", lang), "", *cells(tot)], "total")
    return [sec, units]


def _rates_info(doc: dict) -> list[tuple[str, str]]:
    rates = doc.get("exchange_rates") or {}
    year = doc["as_of"][:4]
    return [("row_rate", f"{year} {c}={r}") for c, r in rates.items()]


def _with_series(report: Report, doc: dict, lang: str) -> Report:
    sec = series_section(doc, lang)
    if sec is not None:
        report.sections.append(sec)
    return report


def bulletin_report(doc: dict, lang: str) -> Report:
    prev_label = f"{t('row_previous', lang)} {doc['previous_period']}"
    figures = Section("figures", [("unit", "text"), ("unit_name", "text"), *FIGURE_COLUMNS])
    for u in doc["units"]:
        figures.add([*_unit_label(u["unit"], u["unit_name"], lang), *_figure_cells(u)])
    figures.add([t("row_total", lang), "", *_figure_cells(doc["totals"])], "total")
    figures.add([prev_label, "", *_figure_cells(doc["previous"])])
    figures.add([t("row_change", lang), "", *_figure_cells(doc["change"])], "change")

    from workflow.reports import ordered_stages

    stages = ordered_stages(doc["totals"]["projects_by_stage"])
    by_stage = Section("stages", [("unit", "text"), ("unit_name", "text"),
                                  *[(_stage_title(s, lang), "int") for s in stages], ("col_total", "int")])

    def counts(f):
        c = [f["projects_by_stage"].get(s, 0) for s in stages]
        return [*c, sum(c)]

    for u in doc["units"]:
        by_stage.add([*_unit_label(u["unit"], u["unit_name"], lang), *counts(u)])
    by_stage.add([t("row_total", lang), "", *counts(doc["totals"])], "total")
    by_stage.add([prev_label, "", *counts(doc["previous"])])
    by_stage.add([t("row_change", lang), "", *counts(doc["change"])], "change")

    # CSV: one flat table with every figure and every stage, then the year to date and its 同比.
    compared = comparison_sections(doc, lang)
    ytd = compared[1] if compared else None
    flat = Section("bulletin", [*figures.columns, *by_stage.columns[2:],
                                *([(f"{t('row_ytd', lang)}: {t(c, lang)}", k) for c, k in ytd.columns[2:]]
                                  if ytd else [])])
    for i, (a, b, style) in enumerate(zip(figures.rows, by_stage.rows, figures.styles, strict=True)):
        extra = (ytd.rows[i][2:] if i < len(ytd.rows) else [None] * (len(ytd.columns) - 2)) if ytd else []
        flat.add([*a, *b[2:], *extra], style)
    title = f"{t('report_bulletin', lang)} {doc['period']}"
    info = [("period", f"{doc['period']} ({doc['start']} – {doc['end']})"), ("as_of", doc["as_of"]),
            ("row_previous", f"{doc['previous_period']} ({doc['previous_as_of']})"), *_rates_info(doc)]
    # the bulletin leads with the year to date (累计), as offices report
    return _with_series(Report(title, [*compared, figures, by_stage, *progress_sections(doc, lang)], flat, info),
                        doc, lang)


def _leader_name(leader: dict | None) -> str:
    return leader["name"] if leader else ""


def _summary_section(doc: dict, lang: str) -> Section:
    summary = Section("summary", [("unit", "text"), ("unit_name", "text"), ("col_red", "int"),
                                  ("col_yellow", "int"), ("col_warned", "int")])
    for u in doc["units"]:
        summary.add([*_unit_label(u["unit"], u["unit_name"], lang), u["red"], u["yellow"], u["red"] + u["yellow"]])
    red = sum(u["red"] for u in doc["units"])
    yellow = sum(u["yellow"] for u in doc["units"])
    summary.add([t("row_total", lang), "", red, yellow, red + yellow], "total")
    return summary


def _projects_section(doc: dict, lang: str, multiline: bool = True) -> Section:
    sec = Section("projects", [("light", "text"), ("code", "text"), ("name", "text"), ("unit", "text"),
                               ("stage", "text"), ("col_reasons", "text"), ("lead_leader", "text")])
    zh, sep = is_zh(lang), "\n" if multiline else "; "
    words: dict[tuple[str, str], str] = {}  # each light's and stage's label, looked up once per list
    for p in doc["projects"]:
        light, stage = ("light", p["light"]), ("stage", p["stage"])
        if light not in words:
            words[light] = t(p["light"], lang)
        if stage not in words:
            words[stage] = _stage_title(p["stage"], lang)
        reasons = [r["zh"] if zh else r["en"] for r in p["reasons_detail"]]
        sec.add([words[light], p["code"], p["name"], p["unit"] or "", words[stage], sep.join(reasons),
                 _leader_name(p["lead_leader"])])
    return sec


def dispatch_report(doc: dict, lang: str, *, title: str | None = None) -> Report:
    title = title or f"{t('report_dispatch', lang)} {doc['period']}"
    info = [("as_of", doc["as_of"])]
    if "period" in doc:
        info.insert(0, ("period", f"{doc['period']} ({doc['start']} – {doc['end']})"))
    sections = [_summary_section(doc, lang), _projects_section(doc, lang)]
    if "supervision" in doc:
        sections.extend(_supervision_sections(doc["supervision"], lang))
    # CSV gets the list with each project's reasons on one line.
    sections.extend(progress_sections(doc, lang))
    sections.extend(comparison_sections(doc, lang))
    info.extend(_rates_info(doc))
    return Report(title, sections, _projects_section(doc, lang, multiline=False), info)

def _supervision_sections(sup: dict, lang: str) -> list[Section]:
    """The dispatch report's problems: open ones by owner unit with their levels, and the closed."""
    open_ = Section("problems_open", [("unit", "text"), ("col_problem", "text"), ("code", "text"),
                                      ("col_problem_kind", "text"), ("col_problem_text", "text"),
                                      ("col_due", "text"), ("col_level", "int"), ("col_overdue_days", "int")])
    for u in sup["units"]:
        for p in u["problems"]:
            open_.add([u["unit"], f"#{p['id']}", p["project"], t(f"problem_kind_{p['kind']}", lang), p["text"],
                       p["due"], p["level"], p["overdue_days"]])
    closed = Section("problems_closed", [("unit", "text"), ("col_problem", "text"), ("code", "text"),
                                         ("col_problem_kind", "text"), ("col_problem_text", "text"),
                                         ("col_closed_on", "text")])
    for p in sup["closed_problems"]:
        closed.add([p["owner_unit"], f"#{p['id']}", p["project"], t(f"problem_kind_{p['kind']}", lang), p["text"],
                    p["closed_on"]])
    return [open_, closed]


def review_report(doc: dict, lang: str) -> Report:
    sec = Section("projects", [("code", "text"), ("name", "text"), ("unit", "text"), ("key", "text"),
                               ("stage", "text"), ("col_construction_on", "text"), ("col_production_on", "text"),
                               ("col_planned", "wan"), ("col_capital_cny", "wan"), ("col_capital_usd", "wan"),
                               ("col_investment", "wan"), ("lead_leader", "text")])
    for p in doc["projects"]:
        sec.add([p["code"], p["name"], p["unit"] or "", t("yes" if p["key"] else "no", lang),
                 _stage_title(p["stage"], lang), p["construction_on"] or "", p["production_on"] or "",
                 p["planned_investment"]["amount_minor"], _money(p["capital_in_place"], "CNY"),
                 _money(p["capital_in_place"], "USD"), _money(p["investment_completed"], "CNY"),
                 _leader_name(p["lead_leader"])])
    tot = doc["totals"]
    sec.add([t("row_total", lang), f"{tot['projects']}", "", "", "", ("int", tot["construction"]),
             ("int", tot["production"]), tot["planned_investment"]["amount_minor"],
             _money(tot["capital_in_place"], "CNY"), _money(tot["capital_in_place"], "USD"),
             _money(tot["investment_completed"], "CNY"), ""], "total")
    title = f"{t('report_review', lang)} {doc['period']}"
    info = [("period", f"{doc['period']} ({doc['start']} – {doc['end']})"), ("as_of", doc["as_of"]),
            *_rates_info(doc)]
    return _with_series(Report(title, [sec, *comparison_sections(doc, lang)], "projects", info), doc, lang)


def _metric_cell(metric: str, value):
    if value is None:
        return None
    if isinstance(value, dict):
        return ("wan", value["amount_minor"])
    return ("int", value)


def _score_rule(scoring: dict, lang: str) -> str:
    """How a score is made, in ``lang``, from the rule's figures (``scoring.rate_cap``, the 履约
    deduction's points); a report closed before they were stored keeps its own words."""
    from workflow.catalogue import text

    if "rate_cap" not in scoring:
        return scoring["score"]
    cap = f"{scoring['rate_cap']:.0%}"
    if (scoring.get("performance_deduction") or {}).get("points"):
        return text(Message("evaluation_score_rule_performance", cap=cap), lang)
    return text(Message("evaluation_score_rule", cap=cap), lang)


def evaluation_report(doc: dict, lang: str) -> Report:
    from workflow.reports import METRICS

    # what the score is less: the 督办 and the 履约 deductions (a report closed before the 履约 one: 0)
    deducted = [("col_problems_escalated", "int"), ("col_problem_deduction", "int"),
                ("col_performance_shortfalls", "int"), ("col_performance_deduction", "int")]
    ranking = Section("ranking", [("col_rank", "text"), ("unit", "text"), ("unit_name", "text"),
                                  ("col_score", "score"), *[(f"metric_{m}", "rate") for m in METRICS], *deducted])
    details = Section("details", [("col_rank", "text"), ("unit", "text"), ("unit_name", "text"),
                                  ("col_score", "score"), ("col_metric", "text"), ("col_target", "text"),
                                  ("col_actual", "text"), ("col_rate", "rate"), *deducted])
    for u in doc["units"]:
        rank = str(u["rank"]) if u["rank"] is not None else t("unranked", lang)
        rates = {x["metric"]: x["rate"] for x in u["targets"]}
        less = [u.get("problems_escalated", 0), u.get("problem_deduction", 0),
                u.get("performance_shortfalls", 0), u.get("performance_deduction", 0)]
        ranking.add([rank, u["unit"], u["unit_name"] or "", u["score"], *[rates.get(m) for m in METRICS], *less])
        if not u["targets"]:
            details.add([rank, u["unit"], u["unit_name"] or "", None, "", None, None, None, *less])
        for x in u["targets"]:
            details.add([rank, u["unit"], u["unit_name"] or "", u["score"], t(f"metric_{x['metric']}", lang),
                         _metric_cell(x["metric"], x["target"]), _metric_cell(x["metric"], x["actual"]), x["rate"],
                         *less])
    title = f"{t('report_evaluation', lang)} {doc['period']}"
    info = [("period", f"{doc['period']} ({doc['start']} – {doc['end']})"), ("as_of", doc["as_of"]),
            ("col_score", _score_rule(doc["scoring"], lang))]
    if doc.get("actual_from") and doc["actual_from"] != doc["start"]:
        info.append(("row_ytd", f"{doc['actual_from']} – {doc['actual_to']}"))
    return _with_series(Report(title, [ranking, details], "details", info), doc, lang)


# --- report commands ---------------------------------------------------------------------------------

report_app = group("The county's reports: bulletin, dispatch, review, evaluation.")


def _run_report(kind: str, period: str, as_of: str | None, unit: str | None, threshold: list[str] | None,
                json: bool, fmt: str | None, output: Path | None, from_history: bool = False,
                show_all: bool = False) -> None:
    import contextlib

    from workflow import closing, find, history_db, reports

    _check(fmt, output, json)
    lang = STATE.lang
    day = _date(as_of, "--as-of")
    svc, thresholds = _service(threshold, reports.make_window(period, day, lang=lang).as_of)
    unit = find.resolve_unit(svc.engine, unit)  # the code, for the frozen copy and late entries too
    document = fmt in DOCUMENT_FORMATS
    # a document also holds the bulletin and the evaluation: the three share one reading of the county
    with reports.shared_reading(svc.engine) if document and not from_history else contextlib.nullcontext() as shared:
        doc = None if from_history else closing.frozen(svc.engine, kind, period, lang=lang, unit=unit,
                                                       document=document)
        if doc is not None:  # a closed period: exactly the frozen figures
            if day is not None or threshold:
                raise BadInput("period_is_closed_its", period=period)
        else:
            with (history_db.history_database(svc.engine) if from_history
                  else contextlib.nullcontext(svc.engine)) as engine:
                if kind == "evaluation":
                    doc = reports.evaluation(engine, period, as_of=day, unit=unit, lang=lang, shared=shared)
                else:
                    fn = getattr(reports, kind)
                    extra = {"problems": _document_list_limit()} if document and kind == "bulletin" else {}
                    doc = fn(engine, period, as_of=day, unit=unit, thresholds=thresholds, lang=lang, shared=shared,
                             **extra)
        if not doc.get("closed") and not from_history:
            late = [a for a in closing.adjustments(svc.engine, period, lang=lang)
                    if unit is None or a["unit"] == unit]
            if late:
                doc["adjustments"] = late
        if json:  # the same bytes before and after a close: closing.as_stored's values, built without its text
            from workflow.encoding import canonical_values

            emit_json(canonical_values(doc))
            return
        builders = {"bulletin": bulletin_report, "dispatch": dispatch_report, "review": review_report,
                    "evaluation": evaluation_report}
        report = builders[kind](doc, lang)
        narrative = _narrative(svc, doc, unit, lang) if kind in ("bulletin", "dispatch", "review") else []
        if narrative:
            report.sections.append(narrative_section(narrative, lang))
        if doc.get("adjustments"):
            report.sections.append(_adjustments_section(doc["adjustments"], lang))
        if doc.get("closed"):
            report.info.append(("closed_h", t("closed_v", lang)))
        if document:
            assert fmt is not None
            write_document(kind, report, doc, svc, period, day, unit, thresholds, lang, fmt, output, narrative,
                           shared=shared)
            return
        emit(report, fmt, output, lang, show_all)

def _narrative(svc, doc: dict, unit: str | None, lang: str) -> list[dict]:
    """The period's narrative sections (主要做法, 存在问题, 下步工作): the notes, else drafted
    (``workflow.reports.notes``); a closed period's as its close stored them."""
    from datetime import date

    from workflow import closing
    from workflow.periods import parse_span
    from workflow.reports import notes

    stored = closing.frozen_narrative(svc.engine, doc["period"], unit=unit, lang=lang) if doc.get("closed") else None
    if stored is not None:
        return stored
    with svc.engine.connect() as conn:
        return notes.sections(conn, parse_span(doc["period"]), date.fromisoformat(doc["as_of"]), unit, lang)


def narrative_section(items: list[dict], lang: str) -> Section:
    """The narrative sections as a table: the section's title and a line of it per row."""
    sec = Section("notes", [("col_note_section", "text"), ("col_note_text", "text")])
    for item in items:
        for line in item["lines"]:
            sec.add([item["title"], line])
    return sec


def _adjustments_section(items: list[dict], lang: str) -> Section:
    """Late entries (补录) recorded in this open period for closed ones."""
    sec = Section("adjustments", [("code", "text"), ("closed_period_h", "text"), ("kind_h", "text"),
                                  ("effective_h", "text"), ("amount_h", "wan"), ("currency_h", "text"),
                                  ("reason_h", "text")], title=t("sec_adjustments", lang))
    for a in items:
        sec.add([a["code"], a["closed_period"], t(a["kind"], lang), a["effective_on"], a["amount_minor"],
                 a["currency"], a["reason"]])
    return sec


@report_app.command("close")
def report_close(period: Period, reason: str = typer.Option(None, "--reason", help="Why (kept with the close)."),
                 json: JsonFlag = False) -> None:
    """关账: freeze a period (admin): its reports are stored in the ledger and reprinted unchanged."""
    from workflow import closing

    svc = STATE.service()
    doc = closing.close(svc.engine, svc.actor, period, reason=reason, lang=STATE.lang)
    emit_json(doc) if json else say(Message("period_closed_digest", period=doc['period'], reports=list(doc['reports']),
                                            digest=doc['digest']))


@report_app.command("reopen")
def report_reopen(period: Period, reason: str = typer.Option(None, "--reason", help="Why (required)."),
                  json: JsonFlag = False) -> None:
    """Reopen a closed period (admin): entries dated in it are accepted again; close it again later."""
    from workflow import closing

    svc = STATE.service()
    doc = closing.reopen(svc.engine, svc.actor, period, reason=reason, lang=STATE.lang)
    emit_json(doc) if json else say(Message("period_reopened", period=doc['period']))


@report_app.command("diff")
def report_diff(period: Period,
                kind: str = typer.Option("bulletin", "--report", metavar="bulletin|dispatch|review|evaluation",
                                         help="Which report to compare (default: bulletin)."),
                json: JsonFlag = False) -> None:
    """What the entries since the close would change in a closed period's report, figure by figure:
    the unit, the figure, the frozen and the live value in the report's units (`--json`: paths and
    minor units)."""
    from rich.text import Text

    from workflow import closing

    doc = closing.diff(STATE.service(write=False).engine, kind, period, lang=STATE.lang, readable=not json)
    if json:
        emit_json(doc)
        return
    if not doc["lines"]:
        say(Message("no_change_since_close", period=doc['period']))
        return
    for line in doc["lines"]:
        out().print(Text(line), soft_wrap=True)


def _document_list_limit() -> int:
    """The red and yellow projects a document lists (the worst of each color, and one more to say
    that there are more)."""
    from cli.documents import LIST_LIMIT

    return LIST_LIMIT + 1


def write_document(kind: str, report: Report, doc: dict, svc, period: str, day, unit: str | None, thresholds,
                   lang: str, fmt: str, output: Path | None, narrative: list[dict] | None = None, *,
                   shared=None) -> None:
    """`--format docx|html`: the bulletin document of the period (cli/documents.py), with this report's
    tables, the bulletin's summary, the evaluation's ranking and the red and yellow lists (``shared``:
    the reading the report was computed on, ``workflow.reports.shared``)."""
    from cli import documents
    from cli.output import write_text
    from workflow import closing, numbering, office, reports

    def closed(other: str) -> dict | None:  # a closed period's document holds its frozen reports only
        if not doc.get("closed"):
            return None
        try:
            return closing.frozen(svc.engine, other, period, lang=lang, unit=unit, document=True)
        except BadInput:  # the close could not compute it either (an evaluation of a quarter)
            return None

    bulletin = doc if kind == "bulletin" else closed("bulletin") or reports.bulletin(
        svc.engine, period, as_of=day, unit=unit, thresholds=thresholds, lang=lang, problems=_document_list_limit(),
        shared=shared)
    evaluation = doc if kind == "evaluation" else closed("evaluation") or reports.evaluation(
        svc.engine, period, as_of=day, unit=unit, lang=lang, shared=shared)
    if shared is not None:
        shared.clear()  # the reports are computed: the county's snapshots need not stay beside the document
    with svc.engine.connect() as conn:  # the kind's own number, and the issue date on every reprint
        issue = numbering.number_of(conn, kind, bulletin["period"])
        settings = (closing.frozen_office(conn, bulletin["period"]) if doc.get("closed") else None) or office.read(conn)
    ranking = evaluation_report(evaluation, lang).sections[0]
    if narrative:  # the narrative sections are written as text, before the red and yellow lists
        report.sections = [s for s in report.sections if s.key != "notes"]
    document = documents.build(kind, report, bulletin, evaluation, lang, ranking=ranking,
                               number=issue.number if issue else None, office=settings,
                               today=issue.issued_on if issue else None)
    document.lists[:0] = [(item["title"], item["lines"]) for item in narrative or []]
    if fmt == "docx":
        assert output is not None  # check_format refuses docx without --output
        documents.write_docx(document, output)
        say(Message("wrote", output=output))
    else:
        write_text(documents.html_text(document), output)


@report_app.command("bulletin")
def report_bulletin(period: Period, as_of: ReportAsOf = None, unit: UnitCode = None, threshold: Thresholds = None,
                    json: JsonFlag = False, fmt: ReportFormat = None, output: OutputFile = None,
        from_history: FromHistory = False, show_all: ShowAll = False) -> None:
    """两月一通报: per unit and in total, projects by stage, signed, capital in place (CNY, USD),
    investment completed, key projects, projects over 100 million, red/yellow, and the previous period."""
    _run_report("bulletin", period, as_of, unit, threshold, json, fmt, output, from_history, show_all)


@report_app.command("dispatch")
def report_dispatch(period: Period, as_of: ReportAsOf = None, unit: UnitCode = None, threshold: Thresholds = None,
                    json: JsonFlag = False, fmt: ReportFormat = None, output: OutputFile = None,
        from_history: FromHistory = False, show_all: ShowAll = False) -> None:
    """一季一调度: every red or yellow project with its reasons, lead leader and unit, worst first."""
    _run_report("dispatch", period, as_of, unit, threshold, json, fmt, output, from_history, show_all)


@report_app.command("review")
def report_review(period: Period, as_of: ReportAsOf = None, unit: UnitCode = None, threshold: Thresholds = None,
                  json: JsonFlag = False, fmt: ReportFormat = None, output: OutputFile = None,
        from_history: FromHistory = False, show_all: ShowAll = False) -> None:
    """半年一观摩: projects that reached construction or production in the period."""
    _run_report("review", period, as_of, unit, threshold, json, fmt, output, from_history, show_all)


@report_app.command("evaluation")
def report_evaluation(period: Period, as_of: ReportAsOf = None, unit: UnitCode = None,
                      json: JsonFlag = False, fmt: ReportFormat = None, output: OutputFile = None,
        from_history: FromHistory = False, show_all: ShowAll = False) -> None:
    """全年一考评: per unit, each target against the actual figure, completion rate, score and rank."""
    _run_report("evaluation", period, as_of, unit, None, json, fmt, output, from_history, show_all)


# --- warnings and the board -------------------------------------------------------------------------


def warnings_cmd(as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                                           help="Lights as of this date (default: today)."),
                 unit: UnitCode = None, search: Search = None, sort: SortKey = None, limit: Limit = None,
                 offset: Offset = 0, threshold: Thresholds = None, json: JsonFlag = False,
                 fmt: ReportFormat = None, output: OutputFile = None, show_all: ShowAll = False) -> None:
    """Every red and yellow project with its reasons, unit and lead leader, worst first (search,
    sort and page as `project list`)."""
    from workflow import find, listing, reports

    _check(fmt, output, json)
    if fmt in DOCUMENT_FORMATS:
        raise BadInput("format_writes_report_document", fmt=fmt,
                       choices=[f for f in REPORT_FORMATS if f not in DOCUMENT_FORMATS])
    day = _date(as_of, "--as-of")
    svc, thresholds = _service(threshold, day)
    lang = STATE.lang
    unit = find.resolve_unit(svc.engine, unit)
    doc = reports.warnings(svc.engine, as_of=day, unit=unit, thresholds=thresholds, lang=lang)
    doc["projects"], doc["total"] = listing.refine(svc.engine, doc["projects"], search=search, sort=sort,
                                                   limit=limit, offset=offset)
    if json:
        emit_json(doc)
        return
    report = dispatch_report(doc, lang, title=f"{t('warnings', lang)} {doc['as_of']}")
    if fmt is None:
        report.sections = report.sections[1:]  # the list; the counts go to stderr
        if not doc["projects"]:
            say(Message("no_red_or_yellow", as_of=doc['as_of']))
            return
    emit(report, fmt, output, lang, show_all)
    if fmt is None:
        say(f"{doc['red']} {t('red', lang)}, {doc['yellow']} {t('yellow', lang)} · {t('as_of', lang)} {doc['as_of']}")


def board_cmd(as_of: Annotated[str | None, typer.Option("--as-of", metavar="YYYY-MM-DD",
                                                       help="The board as of this date (default: today).")] = None,
              unit: UnitCode = None,
              top: Annotated[int, typer.Option("--top", min=0, max=INT_MAX,
                                               help="Most urgent projects per stage.")] = 3,
              threshold: Thresholds = None, json: JsonFlag = False) -> None:
    """The pipeline at a glance: a column per active stage with its count, capital, red/yellow counts
    and most urgent projects (a plain listing when not on a terminal)."""
    from workflow import reports

    day = _date(as_of, "--as-of")
    svc, thresholds = _service(threshold, day)
    doc = reports.board(svc.engine, as_of=day, unit=unit, thresholds=thresholds, top=top,
                        lang=STATE.lang)
    if json:
        emit_json(doc)
        return
    from cli.render import board

    board(doc, STATE.lang, terminal=is_terminal())


# --- targets ------------------------------------------------------------------------------------------

targets_app = group("Yearly targets of the units (目标考核).")


@targets_app.command("set")
def targets_set(
    unit: str = typer.Argument(..., metavar="UNIT", help="Unit code or name."),
    year: int = typer.Argument(..., metavar="YEAR", min=YEAR_MIN, max=YEAR_MAX, help="The year, e.g. 2026."),
    signed: int = typer.Option(None, "--signed", min=0, max=INT_MAX, metavar="N", help="Projects signed in the year."),
    capital: str = typer.Option(None, "--capital", metavar="AMOUNT", help="Capital in place, CNY (e.g. 9亿)."),
    foreign: str = typer.Option(None, "--foreign", metavar="AMOUNT",
                                help="Actually used foreign capital, USD (e.g. 4179万美元, or 4179万)."),
    investment: str = typer.Option(None, "--investment", metavar="AMOUNT",
                                   help="Investment completed, CNY (e.g. 6.6亿)."),
    from_: str = typer.Option(None, "--from", metavar="YYYY-MM-DD",
                              help="In force from this date (default: 1 January of YEAR for a unit's first "
                                   "target of the year, else today; reports as of an earlier day keep the "
                                   "targets then in force)."),
    reason: str = typer.Option(None, "--reason", help="Why (required; kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Set a unit's targets for a year (admin); figures not given keep their value, 0 means none.
    In force from --from (default: today); one set-up ledger entry."""
    from workflow.money import parse_amount
    from workflow.settings import parse_from
    from workflow.targets import set_target

    lang = STATE.lang
    doc = set_target(
        STATE.service(), unit, year, signed=signed,
        capital=parse_amount(capital, lang=lang) if capital is not None else None,
        foreign=parse_amount(foreign, "USD", lang=lang) if foreign is not None else None,
        investment=parse_amount(investment, lang=lang) if investment is not None else None,
        reason=reason, effective_on=parse_from(from_) if from_ is not None else None)
    emit_json(doc) if json else say(Message("targets_of_for_set", unit=unit, year=year))


def _target_text(value, lang: str) -> str:
    from workflow.amounts import format_money

    if value is None:
        return "-"
    if isinstance(value, dict):
        return format_money(value["amount_minor"], value["currency"], lang)
    return str(value)


@targets_app.command("list")
def targets_list(year: int = typer.Option(None, "--year", min=YEAR_MIN, max=YEAR_MAX, help="Only this year."),
                 unit: UnitCode = None,
                 json: JsonFlag = False) -> None:
    """List the units' targets."""
    from cli.render import print_rows
    from workflow.targets import list_targets

    rows = list_targets(STATE.service(write=False), year=year, unit=unit)
    if json:
        emit_json({"targets": rows})
        return
    lang = STATE.lang
    if not rows:
        say(Message("no_targets_set_set"))
        return
    cols = ["col_year", "unit", "unit_name", "metric_signed", "capital_in_place", "foreign_capital",
            "investment_completed", "col_set_by"]
    print_rows([t(c, lang) for c in cols], [(r["year"], r["unit"], r["unit_name"], _target_text(r["signed"], lang),
                          _target_text(r["capital"], lang), _target_text(r["foreign"], lang),
                          _target_text(r["investment"], lang), r["set_by"]) for r in rows])


# --- warning thresholds -------------------------------------------------------------------------------

lights_app = group("The warning thresholds of the traffic lights (红黄绿灯).")


def _thresholds_doc(svc, as_of=None) -> dict:
    from dataclasses import asdict

    from workflow import clock
    from workflow.lights import Thresholds
    from workflow.settings import LIGHT_PREFIX

    day = as_of or clock.today()
    defaults = asdict(Thresholds())
    stored = {k[len(LIGHT_PREFIX):]: v for k, v in svc.setting_sources(day).items() if k.startswith(LIGHT_PREFIX)}
    run = svc.light_overrides or {}
    effective = asdict(svc.light_thresholds(as_of=day))
    return {"as_of": day.isoformat(), "thresholds": [
        {"name": k, "days": effective[k], "default": v,
         "source": "this_run" if k in run else "configured" if k in stored else "default",
         "since": stored[k]["since"] if k in stored else None, "by": stored[k]["by"] if k in stored else None}
        for k, v in defaults.items()]}


LightsFrom = Annotated[str | None, typer.Option(
    "--from", metavar="YYYY-MM-DD",
    help="In force from this date (default: today; an earlier date changes how lights and reports of the days "
         "since then look).")]
LightsReason = Annotated[str | None, typer.Option("--reason", help="Why (required; kept in the set-up ledger).")]


@lights_app.command("show")
def lights_show(threshold: Thresholds = None,
                as_of: Annotated[str | None, typer.Option("--as-of", metavar="YYYY-MM-DD",
                                                          help="The thresholds in force on this date "
                                                               "(default: today).")] = None,
                json: JsonFlag = False) -> None:
    """The thresholds in effect, their defaults, where each comes from, and since when and by whom."""
    from cli.render import print_rows

    svc, _ = _service(threshold)
    doc = _thresholds_doc(svc, _date(as_of, "--as-of"))
    if json:
        emit_json(doc)
        return
    lang = STATE.lang
    print_rows([t(c, lang) for c in ("threshold", "name", "days", "default", "source", "in_force_since", "col_set_by")],
               [(x["name"], t(x["name"], lang), x["days"], x["default"], t(x["source"], lang), x["since"] or "-",
                 x["by"] or "-") for x in doc["thresholds"]])


@lights_app.command("set")
def lights_set(values: list[str] = typer.Argument(..., metavar="NAME=DAYS",
                                                  help="Thresholds to store, e.g. screening_red_days=12."),
               from_: LightsFrom = None, reason: LightsReason = None, json: JsonFlag = False) -> None:
    """Store warning thresholds in the database (admin), in force from --from (default: today); every
    light, board and report as of that date or later is computed with them.  One set-up ledger entry."""
    from workflow.settings import parse_from

    day = parse_from(from_)
    svc = STATE.service()
    svc.set_light_thresholds(svc.parse_threshold_args(values), reason=reason, effective_on=day)
    if json:
        emit_json(_thresholds_doc(svc, day))
    else:
        listed = ", ".join(values)
        say(Message("thresholds_stored_from", listed=listed, day=day))


@lights_app.command("reset")
def lights_reset(names: list[str] = typer.Argument(None, metavar="NAME",
                                                   help="Thresholds to reset (default: all)."),
                 from_: LightsFrom = None, reason: LightsReason = None, json: JsonFlag = False) -> None:
    """Go back to the default thresholds (admin), from --from (default: today): all of them, or the ones
    named.  One set-up ledger entry."""
    from workflow.settings import parse_from

    day = parse_from(from_)
    svc = STATE.service()
    svc.reset_light_thresholds(names, reason=reason, effective_on=day)
    if json:
        emit_json(_thresholds_doc(svc, day))
    else:
        say(Message("thresholds_reset", names=list(names)) if names else Message("thresholds_reset_all"))


# --- document settings --------------------------------------------------------------------------------

documents_app = group("The office's document settings: issuer (发文机关), county, 文号 prefixes, titles, 抄送.")


def _documents_doc(svc, day) -> dict:
    from workflow import office

    with svc.engine.connect() as conn:
        settings = office.read(conn, day)
    sources = {k[len(office.PREFIX):]: v for k, v in svc.setting_sources(day).items()
               if k.startswith(office.PREFIX)}
    values = settings.as_dict()
    return {"as_of": day.isoformat(), "settings": [
        {"key": k, "value": values[k], "source": "configured" if k in sources else "default",
         "since": sources[k]["since"] if k in sources else None, "by": sources[k]["by"] if k in sources else None}
        for k in office.KEYS]}


@documents_app.command("show")
def documents_show(as_of: Annotated[str | None, typer.Option("--as-of", metavar="YYYY-MM-DD",
                                                             help="The settings in force on this date "
                                                                  "(default: today).")] = None,
                   json: JsonFlag = False) -> None:
    """The document settings in force (issuer, county, issuer mark, 抄送, 印发机关, the 文号 prefix and
    the title of each report kind), where each comes from, since when and by whom."""
    from cli.render import print_rows
    from workflow import clock

    svc = STATE.service(write=False)
    doc = _documents_doc(svc, _date(as_of, "--as-of") or clock.today())
    if json:
        emit_json(doc)
        return
    lang = STATE.lang

    def shown(value) -> str:
        text = "、".join(value) if isinstance(value, list) else value
        return text or "-"

    print_rows([t(c, lang) for c in ("document_setting", "document_value", "source", "in_force_since", "col_set_by")],
               [(x["key"], shown(x["value"]), t(x["source"], lang), x["since"] or "-", x["by"] or "-")
                for x in doc["settings"]])


@documents_app.command("set")
def documents_set(values: list[str] = typer.Argument(..., metavar="KEY=VALUE",
                                                     help="e.g. issuer=新华县招商局 prefix.bulletin=新招通 "
                                                          "\"cc=县委办公室，县政府办公室\"; KEY= goes back to "
                                                          "the default."),
                  from_: Annotated[str | None, typer.Option(
                      "--from", metavar="YYYY-MM-DD",
                      help="In force from this date (default: today; an earlier date changes the documents "
                           "written for the days since then).")] = None,
                  reason: LightsReason = None, json: JsonFlag = False) -> None:
    """Store document settings (admin), in force from --from (default: today); see `pipeline documents
    show` for the keys.  One set-up ledger entry."""
    from workflow import office
    from workflow.settings import parse_from

    day = parse_from(from_)
    svc = STATE.service()
    parsed = office.parse_args(values)
    office.set_settings(svc.engine, svc.actor, parsed, reason=reason, effective_on=day)
    if json:
        emit_json(_documents_doc(svc, day))
    else:
        listed = ", ".join(f"{k}={v if v is not None else '-'}" for k, v in parsed.items())
        say(Message("document_settings_stored", day=day, listed=listed))


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.command("warnings")(warnings_cmd)
    app.command("board")(board_cmd)
    app.add_typer(report_app, name="report")
    app.add_typer(targets_app, name="targets")
    app.add_typer(lights_app, name="lights")
    app.add_typer(documents_app, name="documents")
