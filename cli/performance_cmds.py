"""履约评价 (docs/lights-and-reports.md, "履约"): ``pipeline commitment add``, ``pipeline performance add``,
``pipeline performance settings`` and ``pipeline report performance``."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.context import STATE, emit_json, say
from cli.options import (
    ExpectVersion,
    JsonFlag,
    LateFlag,
    LateReason,
    OnDate,
    OutputFile,
    ReportFormat,
    group,
    late_entry,
)
from cli.params import YEAR_MAX, YEAR_MIN
from cli.report_cmds import UnitCode, _check, _date, _stage_title, emit, report_app
from cli.sections import Report, Section
from workflow.catalogue import Message
from workflow.errors import BadInput

KINDS = "output_value|tax|jobs|land_intensity|investment"
commitment_app = group("Contract commitments (履约承诺): what a project promised each year.")
performance_app = group("Yearly actuals (履约实绩) and the 履约 check's settings.")


@commitment_app.command("add")
def commitment_add(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    kind: str = typer.Option(..., "--kind", metavar=KINDS, help="What is committed."),
    per_year: str = typer.Option(..., "--per-year", metavar="AMOUNT",
                                 help="Each year: an amount in CNY (3000万; land_intensity per 亩), jobs in people."),
    from_year: int = typer.Option(..., "--from", min=YEAR_MIN, max=YEAR_MAX, metavar="YEAR",
                                  help="The first year committed."),
    to_year: int = typer.Option(None, "--to", min=YEAR_MIN, max=YEAR_MAX, metavar="YEAR",
                                help="The last year committed (default: open-ended)."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Record a contract commitment (履约承诺) of a project (coordinator); a later one of the same kind
    replaces it for the years it covers."""
    with late_entry(late, reason):
        res = STATE.service().add_commitment(code, kind, per_year, from_year, to_year,
                                             on=None if on is None else _date(on, "--on"),
                                             expect_version=expect_version)
    event = res.events[-1]
    if json:
        emit_json({"code": res.project.code, "version": res.project.version, "event": event})
        return
    p = event["payload"]
    say(Message("perf_commitment_recorded", code=res.project.code, kind=f"perf_{p['kind']}", value=per_year,
                first=p["from_year"],
                to="" if p["to_year"] is None else f"–{p['to_year']}"))


@performance_app.command("add")
def performance_add(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    value: str = typer.Argument(..., metavar="VALUE",
                                help="The year's actual: an amount in CNY (320万), jobs in people."),
    year: int = typer.Option(..., "--year", min=YEAR_MIN, max=YEAR_MAX, metavar="YEAR",
                             help="The year the actual is of."),
    kind: str = typer.Option(..., "--kind", metavar=KINDS, help="What the actual is of."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Record a yearly actual (履约实绩) of a project (coordinator); a later one of the same year and kind
    replaces it."""
    with late_entry(late, reason):
        res = STATE.service().add_performance(code, year, kind, value, on=None if on is None else _date(on, "--on"),
                                              expect_version=expect_version)
    event = res.events[-1]
    if json:
        emit_json({"code": res.project.code, "version": res.project.version, "event": event})
        return
    p = event["payload"]
    say(Message("perf_actual_recorded", code=res.project.code, kind=f"perf_{p['kind']}", year=p["year"], value=value))


@performance_app.command("settings")
def performance_settings(
    values: list[str] = typer.Argument(None, metavar="NAME=N",
                                       help="The figures to set: met_pct=N, report_days=N, deduct_points=N; "
                                            "omit to show."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    effective_from: str = typer.Option(None, "--from", metavar="DATE", help="In force from this date (default today)."),
    json: JsonFlag = False,
) -> None:
    """Show or set (admin; a set-up ledger entry) the 履约 check: the share of a commitment that counts
    as met (met_pct, default 80), the days after a year's end its actual is due (report_days, 90) and the
    evaluation's points off a unit's score per producing project short of it (deduct_points, 0)."""
    from workflow.settings import parse_performance_args

    svc = STATE.service(write=bool(values))
    if values:
        start = None if effective_from is None else _date(effective_from, "--from")
        doc = svc.set_performance(parse_performance_args(values), reason=reason, effective_on=start)
    else:
        doc = svc.performance_settings()
    if json:
        emit_json(doc)
        return
    say(Message("perf_settings", **doc))
    say(Message("perf_settings_deduct", deduct_points=doc["deduct_points"]))


def performance_report_sections(doc: dict, lang: str) -> Report:
    """The report's tables: each project's kinds (commitment, actual, rate, status), then the units."""
    from workflow.i18n import t as label

    def cell(kind: str, value):
        if value is None:
            return None
        return ("int", value) if kind == "jobs" else ("wan", value["amount_minor"])

    projects = Section("projects", [("code", "text"), ("name", "text"), ("unit", "text"), ("stage", "text"),
                                    ("col_perf_kind", "text"), ("col_perf_committed", "wan"),
                                    ("col_perf_actual", "wan"), ("col_perf_rate", "text"),
                                    ("col_perf_status", "text"), ("light", "text")])
    for p in doc["projects"]:
        for i, item in enumerate(p["items"]):
            first = i == 0
            projects.add([p["code"] if first else "", p["name"] if first else "", (p["unit"] or "") if first else "",
                          _stage_title(p["stage"], lang) if first else "", label("perf_" + item["kind"], lang),
                          cell(item["kind"], item["committed"]), cell(item["kind"], item["actual"]),
                          "" if item["rate_pct"] is None else f"{item['rate_pct']:.1f}%",
                          label("perf_status_" + item["status"], lang),
                          (label(p["light"], lang) if p["light"] else "") if first else ""])
    units = Section("units", [("unit", "text"), ("unit_name", "text"), ("projects", "int"),
                              ("perf_status_met", "int"), ("perf_status_below", "int"),
                              ("perf_status_no_report", "int"), ("perf_status_due", "int")])
    for u in doc["units"]:
        units.add([u["unit"] or label("no_unit", lang), u["unit_name"] or "", u["projects"], u["met"], u["below"],
                   u["no_report"], u["due"]])
    tot = doc["totals"]
    units.add([label("row_total", lang), "", tot["projects"], tot["met"], tot["below"], tot["no_report"], tot["due"]],
              "total")
    title = f"{label('report_performance', lang)} {doc['year']}"
    info = [("as_of", doc["as_of"]), ("col_perf_threshold", f"{doc['met_pct']}%"),
            ("col_perf_deadline", doc["deadline"])]
    return Report(title, [projects, units], "projects", info)


@report_app.command("performance")
def report_performance(
    year: int = typer.Option(..., "--year", min=YEAR_MIN, max=YEAR_MAX, metavar="YEAR",
                             help="The year checked, e.g. 2026."),
    as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                              help="Check as of this date (default: today; YEAR may not be later)."),
    unit: UnitCode = None,
    json: JsonFlag = False,
    fmt: ReportFormat = None,
    output: OutputFile = None,
) -> None:
    """履约评价: each project's contract commitments of the year against its actuals (met, below the
    threshold, no report by the deadline), and the counts per unit."""
    _check(fmt, output, json)
    lang = STATE.lang
    doc = STATE.service(write=False).performance_report(year, as_of=_date(as_of, "--as-of"), unit=unit)
    if json:
        emit_json(doc)
        return
    report = performance_report_sections(doc, lang)
    if fmt in ("docx", "html"):
        _write_document(report, doc, lang, fmt, output)
        return
    emit(report, fmt, output, lang)


def _write_document(report: Report, doc: dict, lang: str, fmt: str, output: Path | None) -> None:
    """The report as a document (cli/documents.py: the official format's page, tables and 版记)."""
    from datetime import date

    from cli import documents
    from cli.output import write_text
    from workflow import office
    from workflow.i18n import is_zh

    with STATE.service(write=False).engine.connect() as conn:
        settings = office.read(conn)
    zh = is_zh(lang)
    tot = doc["totals"]
    summary = [(f"{doc['year']}年共{tot['projects']}个项目有履约承诺：履约{tot['met']}个，未达{doc['met_pct']}%的"
                f"{tot['below']}个，截至{doc['deadline']}未报告实绩{tot['no_report']}个，尚未到期{tot['due']}个。")
               if zh else
               (f"{tot['projects']} project(s) with commitments for {doc['year']}: {tot['met']} met, "
                f"{tot['below']} below {doc['met_pct']}%, {tot['no_report']} with no actual by {doc['deadline']}, "
                f"{tot['due']} not yet due.")]
    document = documents.Document(
        lang=lang, title=report.title, subtitle=None, number=None,
        dated=documents.date_words(date.fromisoformat(doc["as_of"]), lang), issuer=settings.issuer,
        summary=summary, sections=report.sections, mark=settings.mark if zh else None, printer=settings.printer)
    if fmt == "docx":
        if output is None:
            raise BadInput("give_output_file")
        documents.write_docx(document, output)
        say(Message("wrote", output=output))
    else:
        write_text(documents.html_text(document), output)


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app (``report performance`` is on the report group)."""
    app.add_typer(commitment_app, name="commitment")
    app.add_typer(performance_app, name="performance")

