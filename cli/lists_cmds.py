"""The lists the leaders ask for and the narrative notes (docs/lights-and-reports.md, "The lists leaders ask
for" and "Narrative sections"): `pipeline report keyprojects|leaders|visits`, `pipeline report note`,
`pipeline report criteria`.

The lists are computed by ``workflow.reports.lists`` and written as the other reports are (tables on the
terminal, csv, md, xlsx through ``cli.report_cmds.emit``; docx and html as documents in the official format
through ``cli.documents``, a wide table on a landscape page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.context import STATE, emit_json, say
from cli.options import DOCUMENT_FORMATS, JsonFlag, OutputFile, ReportFormat, ShowAll, Thresholds
from cli.report_cmds import (
    ReportAsOf,
    UnitCode,
    _check,
    _date,
    _leader_name,
    _service,
    _stage_title,
    emit,
    report_app,
    t,
)
from cli.sections import Report, Section
from workflow.catalogue import Message
from workflow.lang import is_zh

ListPeriod = Annotated[str | None, typer.Option(
    "--period", "-p", metavar="PERIOD",
    help="The period, e.g. 2026, 2026-H1, 2026-Q3, 2026-B5 (default: the year of --as-of, or this year).")]

TITLES = {"keyprojects": ("Key project progress", "重点项目推进表"),
          "leaders": ("Projects by county leader", "包保领导一览表"),
          "visits": ("Site visit list and scoring sheet", "项目观摩评分表")}


def _light(color: str | None, lang: str) -> str:
    return t(color, lang) if color else "-"


def _reasons(item: dict, lang: str) -> str:
    return "；".join(r["zh"] for r in item["reasons_detail"]) if is_zh(lang) else "; ".join(
        r["en"] for r in item["reasons_detail"])


def _info(doc: dict) -> list[tuple[str, str]]:
    return [("period", f"{doc['period']} ({doc['start']} – {doc['end']})"), ("as_of", doc["as_of"])]


def keyprojects_report(doc: dict, lang: str) -> Report:
    zh = is_zh(lang)
    sec = Section("keyprojects", [("lead_leader", "text"), ("unit", "text"), ("code", "text"), ("name", "text"),
                                  ("col_planned", "wan"), ("col_year_plan", "wan"), ("col_year_done", "wan"),
                                  ("col_plan_rate", "rate"), ("col_progress_light", "text"),
                                  ("col_latest_progress", "text"), ("col_next_plan", "text"),
                                  ("problems_open", "text")])
    for p in doc["projects"]:
        latest = p["latest_followup"]
        nxt = p["next_step"]
        problems = ("；" if zh else "; ").join(
            f"#{x['id']} {x['text']}" + (f"（逾期{x['overdue_days']}天）" if zh and x["overdue_days"] else
                                         f" ({x['overdue_days']} days overdue)" if x["overdue_days"] else "")
            for x in p["problems"])
        sec.add([_leader_name(p["lead_leader"]), p["unit_name"] or p["unit"] or "", p["code"], p["name"],
                 p["planned_investment"]["amount_minor"], p["year_plan"]["amount_minor"] or None,
                 p["year_done"]["amount_minor"], p["plan_rate"], _light(p["progress_light"], lang),
                 f"{latest['on']} {latest['note']}" if latest else "",
                 f"{nxt['on']} {nxt['text'] or ''}".strip() if nxt else "", problems])
    tot = doc["totals"]
    sec.add([t("row_total", lang), "", f"{tot['projects']}", "", tot["planned_investment"]["amount_minor"],
             tot["year_plan"]["amount_minor"], tot["year_done"]["amount_minor"], None, "", "", "", ""], "total")
    title = f"{TITLES['keyprojects'][1 if zh else 0]} {doc['period']}"
    return Report(title, [sec], "keyprojects", _info(doc))


def leaders_report(doc: dict, lang: str) -> Report:
    summary = Section("leaders", [("lead_leader", "text"), ("col_leader_title", "text"), ("col_projects", "int"),
                                  ("col_red", "int"), ("col_yellow", "int"), ("col_green", "int")])
    projects = Section("leader_projects", [("lead_leader", "text"), ("code", "text"), ("name", "text"),
                                           ("unit", "text"), ("stage", "text"), ("key", "text"), ("light", "text"),
                                           ("col_reasons", "text")])
    for x in doc["leaders"]:
        summary.add([x["name"], x["title"] or "", len(x["projects"]), x["red"], x["yellow"], x["green"]])
        for p in x["projects"]:
            projects.add([x["name"], p["code"], p["name"], p["unit_name"] or p["unit"] or "",
                          _stage_title(p["stage"], lang), t("yes" if p["key"] else "no", lang),
                          _light(p["light"], lang), _reasons(p, lang)])
    summary.add([t("row_total", lang), "", sum(len(x["projects"]) for x in doc["leaders"]),
                 sum(x["red"] for x in doc["leaders"]), sum(x["yellow"] for x in doc["leaders"]),
                 sum(x["green"] for x in doc["leaders"])], "total")
    title = f"{TITLES['leaders'][1 if is_zh(lang) else 0]} {doc['period']}"
    return Report(title, [summary, projects], "leader_projects", _info(doc))


def criterion_label(c: dict, lang: str) -> str:
    return f"{c['name']}（{c['weight']}分）" if is_zh(lang) else f"{c['name']} ({c['weight']})"


def visits_report(doc: dict, lang: str) -> Report:
    listing = Section("visits", [("code", "text"), ("name", "text"), ("unit", "text"), ("stage", "text"),
                                 ("col_construction_on", "text"), ("col_production_on", "text"),
                                 ("col_planned", "wan"), ("col_investment", "wan"), ("lead_leader", "text")])
    for p in doc["projects"]:
        invest = sum(m["amount_minor"] for m in p["investment_completed"] if m["currency"] == "CNY")
        listing.add([p["code"], p["name"], p["unit_name"] or p["unit"] or "", _stage_title(p["stage"], lang),
                     p["construction_on"] or "", p["production_on"] or "",
                     p["planned_investment"]["amount_minor"], invest, _leader_name(p["lead_leader"])])
    criteria = Section("criteria", [("col_criterion", "text"), ("col_weight", "int")])
    for c in doc["criteria"]:
        criteria.add([c["name"], c["weight"]])
    criteria.add([t("row_total", lang), sum(c["weight"] for c in doc["criteria"])], "total")
    # the scoring sheet: a blank cell per criterion for the judges, and the total
    sheet = Section("scoring", [("code", "text"), ("name", "text"),
                                *[(criterion_label(c, lang), "text") for c in doc["criteria"]],
                                ("col_score_total", "text")])
    for p in doc["projects"]:
        sheet.add([p["code"], p["name"], *[""] * len(doc["criteria"]), ""])
    title = f"{TITLES['visits'][1 if is_zh(lang) else 0]} {doc['period']}"
    return Report(title, [listing, criteria, sheet], "visits", _info(doc))


BUILDERS = {"keyprojects": keyprojects_report, "leaders": leaders_report, "visits": visits_report}


def _summary(kind: str, doc: dict, lang: str) -> list[str]:
    from datetime import date

    from cli.documents import date_words, whose

    zh = is_zh(lang)
    day = date_words(date.fromisoformat(doc["as_of"]), lang)
    if kind == "keyprojects":  # a unit's list by the unit's name, not 全县 (docs/lights-and-reports.md)
        n = doc["totals"]["projects"]
        who = whose(doc.get("unit"), next((p["unit_name"] for p in doc["projects"] if p.get("unit_name")), None), lang)
        return [f"截至{day}，{who}共有重点项目{n}个。" if zh else f"On {day} {who} had {n} key projects."]
    if kind == "leaders":
        n = len(doc["leaders"])
        return [f"截至{day}，{n}位县级领导包保项目。" if zh else f"On {day}, {n} county leaders lead projects."]
    n = len(doc["projects"])
    return [f"本期开工或投产项目{n}个，列入观摩。" if zh else
            f"{n} projects broke ground or reached production in the period and are on the visit list."]


def write_list_document(kind: str, report: Report, doc: dict, svc, lang: str, fmt: str, output: Path | None) -> None:
    """`--format docx|html`: the list as a document in the official format (no 文号: a list is not an
    issued document), its tables (a wide one on a landscape page), signed by the office."""
    from datetime import date

    from cli import documents
    from cli.output import write_text
    from workflow import clock, office

    zh = is_zh(lang)
    with svc.engine.connect() as conn:
        settings = office.read(conn)
    when = documents.period_words(date.fromisoformat(doc["start"]),
                                  min(date.fromisoformat(doc["end"]), date.fromisoformat(doc["as_of"])), lang)
    document = documents.Document(
        lang=lang, title=TITLES[kind][1 if zh else 0], subtitle=f"（{when}）" if zh else when, number=None,
        dated=documents.date_words(clock.today(), lang), issuer=settings.issuer if zh or "issuer" in settings.stored
        else documents.ISSUER_EN, summary=_summary(kind, doc, lang), sections=report.sections,
        mark=settings.mark if zh or "mark" in settings.stored else None, cc=list(settings.cc),
        printer=settings.printer if zh or "printer" in settings.stored else documents.ISSUER_EN)
    if fmt == "docx":
        assert output is not None  # check_format refuses docx without --output
        documents.write_docx(document, output)
        say(Message("wrote", output=output))
    else:
        write_text(documents.html_text(document), output)


def _run_list(kind: str, period: str | None, as_of: str | None, unit: str | None, threshold: list[str] | None,
              json: bool, fmt: str | None, output: Path | None, show_all: bool) -> None:
    from workflow import clock, find, reports
    from workflow.reports import lists

    _check(fmt, output, json)
    lang = STATE.lang
    day = _date(as_of, "--as-of")
    period = period or str((day or clock.today()).year)
    svc, thresholds = _service(threshold, reports.make_window(period, day, lang=lang).as_of)
    unit = find.resolve_unit(svc.engine, unit)
    doc = getattr(lists, kind)(svc.engine, period, as_of=day, unit=unit, thresholds=thresholds, lang=lang)
    if json:
        emit_json(doc)
        return
    report = BUILDERS[kind](doc, lang)
    if fmt in DOCUMENT_FORMATS:
        assert fmt is not None
        write_list_document(kind, report, doc, svc, lang, fmt, output)
        return
    emit(report, fmt, output, lang, show_all)


@report_app.command("keyprojects")
def report_keyprojects(period: ListPeriod = None, as_of: ReportAsOf = None, unit: UnitCode = None,
                       threshold: Thresholds = None, json: JsonFlag = False, fmt: ReportFormat = None,
                       output: OutputFile = None, show_all: ShowAll = False) -> None:
    """重点项目推进表: each key project's leader, unit, planned investment, year plan, year to date, planned
    progress light, latest follow-up, promised next step and open problems."""
    _run_list("keyprojects", period, as_of, unit, threshold, json, fmt, output, show_all)


@report_app.command("leaders")
def report_leaders(period: ListPeriod = None, as_of: ReportAsOf = None, unit: UnitCode = None,
                   threshold: Thresholds = None, json: JsonFlag = False, fmt: ReportFormat = None,
                   output: OutputFile = None, show_all: ShowAll = False) -> None:
    """包保领导一览: each county-level leader's projects with their stages and lights."""
    _run_list("leaders", period, as_of, unit, threshold, json, fmt, output, show_all)


@report_app.command("visits")
def report_visits(period: ListPeriod = None, as_of: ReportAsOf = None, unit: UnitCode = None,
                  threshold: Thresholds = None, json: JsonFlag = False, fmt: ReportFormat = None,
                  output: OutputFile = None, show_all: ShowAll = False) -> None:
    """观摩: the projects that broke ground or reached production in the period, and the scoring sheet
    (criteria and weights: `pipeline report criteria`)."""
    _run_list("visits", period, as_of, unit, threshold, json, fmt, output, show_all)


@report_app.command("note")
def report_note(text: str = typer.Argument(..., metavar="TEXT",
                                           help="The text (empty: remove the note; the section is drafted again)."),
                period: str = typer.Option(..., "--period", "-p", metavar="PERIOD",
                                           help="The period the note belongs to, e.g. 2026-B5."),
                section: str = typer.Option(..., "--section", metavar="practices|problems|next",
                                            help="主要做法 (practices), 存在问题 (problems) or 下步工作 (next)."),
                reason: str | None = typer.Option(None, "--reason", help="Why (optional; kept in the set-up ledger)."),
                json: JsonFlag = False) -> None:
    """Write a narrative section of a period's bulletin, dispatch and review (admin); one
    set-up ledger entry.  Without a note 存在问题 and 下步工作 are drafted (（草拟）)."""
    from workflow.reports import notes

    svc = STATE.service()
    doc = notes.set_note(svc.engine, svc.actor, period, section, text, reason=reason, lang=STATE.lang)
    emit_json(doc) if json else say(Message("report_note_stored", period=doc["period"], section=section))


@report_app.command("criteria")
def report_criteria(values: list[str] = typer.Argument(None, metavar="NAME=WEIGHT",
                                                       help="e.g. 建设进度=30 投资强度=25 …, adding up to 100; none: "
                                                            "back to the defaults."),
                    from_: str | None = typer.Option(None, "--from", metavar="YYYY-MM-DD",
                                                     help="In force from this date (default: today)."),
                    reason: str | None = typer.Option(None, "--reason", help="Why (required; kept in the set-up "
                                                                             "ledger)."),
                    json: JsonFlag = False) -> None:
    """Set the site-visit (观摩) scoring criteria and their weights (admin); one set-up ledger entry."""
    from workflow.reports import notes
    from workflow.settings import parse_from

    svc = STATE.service()
    found = notes.set_visit_criteria(svc.engine, svc.actor, values, reason=reason, effective_on=parse_from(from_))
    listed = ", ".join(f"{n}={w}" for n, w in found)
    emit_json({"criteria": [{"name": n, "weight": w} for n, w in found]}) if json else say(
        Message("visit_criteria_stored", listed=listed))


def register(app: typer.Typer) -> None:
    """The commands are on ``report_app`` (``cli.report_cmds``), which that module puts on the root app."""
