"""``pipeline workflow deploy|list|migrate|diff`` (workflow versions for running projects),
``pipeline project retire``, ``pipeline report stale`` and ``pipeline stale-days`` (出库).

Thin: call ``workflow.service``, render.  No SQL here.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.commands import project_app
from cli.context import STATE, emit_json, say
from cli.options import ExpectVersion, JsonFlag, LateFlag, ListFormat, OnDate, OutputFile, late_entry
from cli.params import INT_MAX
from cli.report_cmds import UnitCode, report_app
from cli.schema_cmds import wf_app
from workflow.catalogue import Message
from workflow.errors import BadInput


@wf_app.command("deploy")
def workflow_deploy(
    file: Path = typer.Argument(..., metavar="FILE", help="A workflow definition file (TOML) with a new name:version."),
    reason: str = typer.Option(None, "--reason", help="Why (optional; kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Add a workflow version (admin): validated, then kept in the set-up ledger."""
    if not file.exists():
        raise BadInput("file_does_not_exist", file=file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        from workflow.definition import load_definition

        load_definition(file)  # says why the file cannot be read
        raise
    doc = STATE.service().deploy_workflow(text, reason=reason)
    if json:
        emit_json(doc)
    else:
        say(Message("versions_deployed", name=doc["name"], version=doc["version"], n_stages=doc["stages"],
                    n_transitions=doc["transitions"]))


@wf_app.command("list")
def workflow_list(json: JsonFlag = False) -> None:
    """The workflow versions projects may run under, with their projects (running and all)."""
    from cli import render

    items = STATE.service(write=False).workflow_versions()
    if json:
        emit_json({"versions": items})
        return
    zh = STATE.lang == "zh"
    render.print_rows(
        ["版本" if zh else "version", "项目" if zh else "projects", "在办" if zh else "running",
         "来源" if zh else "source", "原因" if zh else "reason"],
        [(f"{v['name']}:{v['version']}", str(v["projects"]), str(v["running"]),
          ("随程序发布" if zh else "shipped") if v["shipped"] else f"{v['deployed_by']} {v['recorded_at']}",
          v["reason"] or "") for v in items])


@wf_app.command("migrate")
def workflow_migrate(
    from_: str = typer.Option(..., "--from", metavar="NAME:V", help="The version the projects run on now."),
    to: str = typer.Option(..., "--to", metavar="NAME:V", help="The version they move to."),
    mapping: list[str] = typer.Option(None, "--map", metavar="OLD=NEW",
                                      help="A stage of the old version and the stage it becomes (repeatable); "
                                           "a stage in both versions maps to itself."),
    project: list[str] = typer.Option(None, "--project", metavar="CODE",
                                      help="Move only this project (repeatable; default: every running one)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every project and report; move nothing."),
    reason: str = typer.Option(None, "--reason", help="Why the projects move (required)."),
    json: JsonFlag = False,
) -> None:
    """Move running projects to another version of their workflow by a stage map (admin); all or none."""
    doc = STATE.service().migrate_workflow(from_, to, mapping=mapping, codes=project, reason=reason,
                                           dry_run=dry_run)
    if json:
        emit_json(doc)
        return
    from cli import render
    from workflow.catalogue import text

    refused = [p for p in doc["projects"] if p["refused"]]
    if dry_run:
        rows = [(p["code"], p["from_stage"], p["to_stage"] or "-",
                 "\n".join(text(m, STATE.lang) for m in p["refused"]) or "ok") for p in doc["projects"]]
        zh = STATE.lang == "zh"
        render.print_rows(["项目" if zh else "project", doc["from"], doc["to"], "检查" if zh else "check"], rows)
        say(Message("versions_dry_run", n=len(doc["projects"]), refused=len(refused), old=doc["from"],
                    new=doc["to"]))
    else:
        say(Message("versions_migrated", n=doc["moved"], old=doc["from"], new=doc["to"]))


@wf_app.command("diff")
def workflow_diff(
    v1: str = typer.Argument(..., metavar="V1", help="A version: NAME:V, or V of the default workflow."),
    v2: str = typer.Argument(..., metavar="V2", help="The version to compare it with."),
    json: JsonFlag = False,
) -> None:
    """What changed between two workflow versions: stages, transitions, guards, documents, checks."""
    doc = STATE.service(write=False).workflow_diff(v1, v2)
    if json:
        emit_json(doc)
        return
    import sys

    out = [f"{doc['from']} → {doc['to']}"]
    if doc["same"]:
        say(Message("versions_no_difference", old=doc["from"], new=doc["to"]))
        return
    for section in ("stages", "transitions", "documents", "checks"):
        part = doc[section]
        for key in part["added"]:
            out.append(f"+ {section[:-1]} {key}")
        for key in part["removed"]:
            out.append(f"- {section[:-1]} {key}")
        for key, fields in part["changed"].items():
            for name, (old, new) in fields.items():
                out.append(f"~ {section[:-1]} {key}.{name}: {old} → {new}")
    if doc["initial"]:
        out.append(f"~ initial: {doc['initial'][0]} → {doc['initial'][1]}")
    for stage, (old, new) in doc["recording"].items():
        out.append(f"~ recording in {stage}: {', '.join(old or [])} → {', '.join(new)}")
    from workflow.text import visible

    sys.stdout.write("\n".join(visible(line) for line in out) + "\n")


@project_app.command("retire")
def project_retire(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    reason: str = typer.Option(None, "--reason", help="Why the project leaves the pipeline (required; with --late "
                                                      "also why it comes after its period was closed)."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    json: JsonFlag = False,
) -> None:
    """出库: move a running project to the final stage retired (admin or its lead leader)."""
    from workflow.clock import effective_date

    with late_entry(late, reason):
        res = STATE.service().retire(code, reason=reason, on=effective_date(on), expect_version=expect_version)
    if json:
        emit_json({"code": res.project.code, "stage": res.project.stage, "version": res.project.version,
                   "event": res.events[-1]})
        return
    from cli.render import stage_label

    e = res.events[-1]
    say(Message("versions_retired", code=res.project.code, stage=stage_label(e["from"], STATE.lang),
                on=e["effective_on"]))


@report_app.command("stale")
def report_stale(
    as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="As of this date (default: today)."),
    days: int = typer.Option(None, "--days", min=0, max=INT_MAX, metavar="N",
                             help="Days without a follow-up (default: the stale-days setting in force)."),
    unit: UnitCode = None,
    json: JsonFlag = False,
    fmt: ListFormat = None,
    output: OutputFile = None,
) -> None:
    """Leads and negotiations with no follow-up for N days: proposals for 出库 (`project retire`)."""
    from cli.options import LIST_FORMATS
    from cli.report_cmds import _check, _date, emit, t
    from cli.sections import Report, Section
    from workflow import find

    _check(fmt, output, json, LIST_FORMATS)  # a list, not a document: csv, md or xlsx
    day = _date(as_of, "--as-of")
    svc = STATE.service(write=False)
    doc = svc.stale(day, days=days, unit=find.resolve_unit(svc.engine, unit))
    if json:
        emit_json(doc)
        return
    lang = STATE.lang
    from cli.render import stage_label

    sec = Section("stale", [("code", "text"), ("name", "text"), ("unit", "text"), ("stage", "text"),
                            ("registered_on", "text"), ("last_followup_on", "text"), ("idle_days", "int")])
    for p in doc["projects"]:
        sec.add([p["code"], p["name"], p["unit"] or "", stage_label(p["stage"], lang), p["registered_on"],
                 p["last_followup_on"] or "", p["idle_days"]])
    if fmt is None and not doc["projects"]:
        say(Message("stale_none", days=doc["days"], as_of=doc["as_of"]))
        return
    emit(Report(f"{t('stale', lang)} {doc['as_of']}", [sec], "stale", [("as_of", doc["as_of"])]), fmt, output, lang)


def stale_days_cmd(
    days: int = typer.Argument(None, metavar="DAYS", min=0, max=INT_MAX,
                               help="Days without a follow-up before a lead is proposed for 出库; omit to show."),
    reason: str = typer.Option(None, "--reason", help="Why (required to change it; kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Show or set (admin, from today; a set-up ledger entry) the days `report stale` uses."""
    svc = STATE.service(write=days is not None)
    value = svc.stale_days() if days is None else svc.set_stale_days(days, reason=reason)
    if json:
        emit_json({"stale_days": value})
    else:
        say(Message("stale_days_now", days=value))


def register(app: typer.Typer) -> None:
    """``stale-days`` on the root; the other commands are on the ``workflow``, ``project`` and ``report``
    groups, which their own modules register."""
    app.command("stale-days")(stale_days_cmd)
