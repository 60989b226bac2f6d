"""Data commands: units, people, users, projects, records, transitions, history, reassignment.

Each command parses its options, calls the engine (``workflow.service``), and renders; no SQL here.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.context import STATE, emit_json, err, is_terminal, say
from cli.options import (
    AllowDuplicate,
    AttachmentFile,
    ExpectVersion,
    JsonFlag,
    LateFlag,
    LateReason,
    Limit,
    ListFormat,
    NoPager,
    Offset,
    OnDate,
    OutputFile,
    Search,
    SortKey,
    Thresholds,
    group,
    late_entry,
)
from cli.params import INT_MAX
from workflow.catalogue import Message
from workflow.errors import BadInput


def _on(value: str | None):
    from workflow.clock import effective_date

    return effective_date(value)


def _msg(key: str, **values) -> str:
    from workflow.i18n import msg

    return msg(key, STATE.lang, **values)


def _t(key: str) -> str:
    from workflow.i18n import t

    return t(key, STATE.lang)


def _amount(text: str):
    from workflow.money import parse_amount

    return parse_amount(text, lang=STATE.lang)


def _write_result(result, json: bool, message: Message | str) -> None:
    proj = result.project
    if json:
        emit_json({"code": proj.code, "stage": proj.stage, "version": proj.version,
                   "event": result.events[-1] if result.events else None, "events": result.events})
        return
    say(message)
    for e in result.events[1:]:
        if e["kind"] == "transition":
            from cli.render import stage_label

            say(f"  → {e['trigger']}: {stage_label(e['from'], STATE.lang)} → {stage_label(e['to'], STATE.lang)}")
        elif e["kind"] == "assignment":
            say(f"  + {_t(e['payload']['role'])}: {e['payload']['person']}")


# --- units, people, users -------------------------------------------------------------------------

units_app = group("Townships and departments (责任单位).")
people_app = group("Leaders and officials who can be assigned.")
users_app = group("Logins and their roles.")


@units_app.command("add")
def units_add(
    code: str = typer.Argument(..., metavar="CODE", help="Short code of the unit, e.g. XH-TOWN."),
    name: str = typer.Option(..., "--name", help="Full name, e.g. 新华镇."),
    kind: str = typer.Option("township", "--kind", metavar="township|department", help="township or department."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Add a township or department (admin)."""
    doc = STATE.service().add_unit(code, name, kind, reason=reason)
    emit_json(doc) if json else say(_msg("unit_added", code=code))


@units_app.command("edit")
def units_edit(
    code: str = typer.Argument(..., metavar="CODE", help="The unit's code (it never changes)."),
    name: str = typer.Option(None, "--name", help="New full name."),
    kind: str = typer.Option(None, "--kind", metavar="township|department", help="New kind."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Change a unit's name or kind (admin); recorded in the set-up ledger with actor and reason."""
    doc = STATE.service().edit_unit(code, name=name, kind=kind, reason=reason)
    emit_json(doc) if json else say(Message("unit", code=code, name=doc['name'], kind=doc['kind']))


@units_app.command("list")
def units_list(json: JsonFlag = False) -> None:
    """List units with their project counts."""
    from cli.render import print_rows
    from workflow.i18n import t

    units = STATE.service(write=False).list_units()
    if json:
        emit_json({"units": units})
        return
    lang = STATE.lang
    print_rows([t(c, lang) for c in ("code", "unit_name_h", "kind", "projects")],
               [(u["code"], u["name"], t(u["kind"], lang), u["projects"]) for u in units])


@people_app.command("add")
def people_add(
    login: str = typer.Argument(..., metavar="LOGIN", help="Login of the person."),
    name: str = typer.Option(..., "--name", help="Full name."),
    level: str = typer.Option(..., "--level", metavar="county|township|department", help="Level of office."),
    unit: str = typer.Option(None, "--unit", metavar="CODE", help="Unit the person belongs to."),
    title: str = typer.Option(None, "--title", help="Title, e.g. 副县长."),
    cap: int = typer.Option(None, "--cap", min=0, max=INT_MAX, help="Most active key projects they may lead."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Add a person who can lead or follow projects (admin)."""
    doc = STATE.service().add_person(login, name, level, unit=unit, title=title, cap=cap, reason=reason)
    emit_json(doc) if json else say(_msg("person_added", login=login))


@people_app.command("edit")
def people_edit(
    login: str = typer.Argument(..., metavar="LOGIN", help="Login of the person."),
    name: str = typer.Option(None, "--name", help="Full name."),
    level: str = typer.Option(None, "--level", metavar="county|township|department", help="Level of office."),
    unit: str = typer.Option(None, "--unit", metavar="CODE", help="Unit the person belongs to."),
    title: str = typer.Option(None, "--title", help="Title."),
    cap: int = typer.Option(None, "--cap", min=0, max=INT_MAX, help="Most active key projects they may lead."),
    no_cap: bool = typer.Option(False, "--no-cap", help="Remove the cap."),
    active: bool = typer.Option(None, "--active/--inactive",
                                help="Inactive people are no longer chosen by rules; they keep their projects."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Change a person: name, title, level, unit, cap, active (admin)."""
    if cap is not None and no_cap:
        raise BadInput("give_cap_n_or")
    doc = STATE.service().edit_person(login, name=name, title=title, level=level, unit=unit, cap=cap,
                                      clear_cap=no_cap, active=active, reason=reason)
    emit_json(doc) if json else say(_msg("person_updated", login=login))


@people_app.command("list")
def people_list(json: JsonFlag = False) -> None:
    """List people with their load of active key projects against their cap."""
    from cli.render import print_rows
    from workflow.i18n import t

    people = STATE.service(write=False).list_people()
    if json:
        emit_json({"people": people})
        return
    lang = STATE.lang
    rows = []
    for p in people:
        load = f"{p['lead_projects']}/{p['cap']}" if p["cap"] is not None else str(p["lead_projects"])
        rows.append((p["login"], p["name"], p["title"] or "", t(p["level"], lang), p["unit"] or "", load))
    print_rows([t(c, lang) for c in ("login", "person_name_h", "title", "level", "unit", "load")], rows)


@users_app.command("add")
def users_add(
    login: str = typer.Argument(..., metavar="LOGIN", help="Login (on PostgreSQL: the database login)."),
    role: str = typer.Option(..., "--role", metavar="coordinator|leader|auditor|admin", help="The role."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    person: str = typer.Option(None, "--person", metavar="LOGIN",
                               help="The person this login follows up as (their to-do list is the login's)."),
    json: JsonFlag = False,
) -> None:
    """Allow a login to act with a role (admin)."""
    svc = STATE.service()
    granted = None
    if svc.engine.dialect.name == "postgresql":  # the database login first: it refuses what it may not do
        from workflow import pgroles
        from workflow.errors import BadInput

        pgroles.check_login_name(login)
        if any(u["login"] == login for u in svc.list_users()):
            raise BadInput("user_already_exists", [{"user": login}], login=login)
        if person is not None:
            svc.check_person(person)  # refused before the database login is made
        granted = pgroles.grant_role(svc.engine, login, role)
    doc = svc.add_user(login, role, person, reason=reason)
    if granted is not None:
        doc["granted"] = granted
    emit_json(doc) if json else say(_msg("user_role", login=login, role=_t(doc["role"])))



@users_app.command("edit")
def users_edit(
    login: str = typer.Argument(..., metavar="LOGIN", help="The login."),
    role: str = typer.Option(None, "--role", metavar="coordinator|leader|auditor|admin", help="The new role."),
    person: str = typer.Option(None, "--person", metavar="LOGIN",
                               help="Link the login to the person it follows up as (their to-do list)."),
    no_person: bool = typer.Option(False, "--no-person", help="Unlink the login from its person."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Change a login's role or linked person (admin); on PostgreSQL its database group follows."""
    if person is not None and no_person:
        raise BadInput("life_person_or_no_person")
    if role is None and person is None and not no_person:
        raise BadInput("life_user_edit_nothing")
    doc = STATE.service().edit_user(login, role, person=person, unlink=no_person, reason=reason)  # one entry
    if json:
        emit_json(doc)
        return
    if role is not None:
        say(Message("user", login=login, previous=doc['previous'], role=doc['role']))
    if person is not None or no_person:
        say(Message("life_user_person", login=login, person=doc["person"] or "-"))


@users_app.command("disable")
def users_disable(
    login: str = typer.Argument(..., metavar="LOGIN", help="The login."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Stop a login from writing (admin): it may still read; writes exit 6."""
    doc = STATE.service().disable_user(login, reason=reason)
    emit_json(doc) if json else say(Message("user_disabled_may_read", login=login))


@users_app.command("enable")
def users_enable(
    login: str = typer.Argument(..., metavar="LOGIN", help="The login."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Let a disabled login write again with its role (admin)."""
    doc = STATE.service().enable_user(login, reason=reason)
    emit_json(doc) if json else say(Message("user_enabled", login=login, role=doc['role']))


@users_app.command("list")
def users_list(json: JsonFlag = False) -> None:
    """List logins and roles."""
    from cli.render import print_rows
    from workflow.i18n import t

    users = STATE.service(write=False).list_users()
    if json:
        emit_json({"users": users})
        return
    lang = STATE.lang
    print_rows([t("login", lang), t("role", lang), Message("users_col_disabled").text(lang)],
               [(u["login"], t(u["role"], lang), t("yes", lang) if u["disabled"] else "") for u in users])


# --- projects ---------------------------------------------------------------------------------------

project_app = group("Investment projects.")

PLAN_HELP = "Planned milestone date: sign=, fund=, break_ground= or commission=YYYY-MM-DD (repeatable)."


def _plan(values: list[str] | None) -> dict:
    plan = {}
    for v in values or []:
        if "=" not in v:
            raise BadInput("plan_is_not_milestone", v=v)
        k, _, d = v.partition("=")
        plan[k.strip()] = d.strip()
    return plan


def _show(view: dict, json: bool) -> None:
    if json:
        emit_json(view)
    else:
        from cli.render import project_card

        project_card(view, STATE.lang)


@project_app.command("add")
def project_add(
    name: str = typer.Option(..., "--name", help="Project name (项目名称)."),
    investor: str = typer.Option(..., "--investor", help="Investor (投资方)."),
    industry: str = typer.Option(..., "--industry", help="Industry (行业)."),
    investment: str = typer.Option(..., "--investment", metavar="AMOUNT",
                                   help="Planned investment, e.g. 6.6亿, 5600万元, 120000000, or 1500万美元 "
                                        "(valued at the registration year's rate: pipeline rates set)."),
    unit: str = typer.Option(..., "--unit", metavar="CODE", help="Responsible unit (责任单位)."),
    origin: str = typer.Option(None, "--origin", help="Where the investor comes from (投资方来源)."),
    category: str = typer.Option(None, "--category", help="Category (类别)."),
    key: bool = typer.Option(None, "--key/--no-key",
                             help="Key project by hand (default: key when planned investment ≥ 1亿)."),
    plan: list[str] = typer.Option(None, "--plan", metavar="MILESTONE=DATE", help=PLAN_HELP),
    on: OnDate = None,
    allow_duplicate: AllowDuplicate = False,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Register a new project at the first stage (coordinator).  The same name and investor as a
    project not in a final stage is refused (exit 2) unless --allow-duplicate."""
    money = _amount(investment)  # in USD (4179万美元): valued at the registration year's rate (docs/money.md)
    with late_entry(late, reason):
        result = STATE.service().add_project(
            name=name, investor=investor, industry=industry, investment_minor=money.amount_minor, unit=unit,
            origin=origin, category=category, key=key, plan=_plan(plan), on=_on(on),
            allow_duplicate=allow_duplicate, investment_currency=money.currency)
    code = result.project.code
    reader = STATE.service(write=False)
    warnings = lead_leader_warnings(reader.key_without_lead_leader(code))
    if json:
        emit_json({**reader.get_project(code), "warnings": warnings})
    else:
        say(_msg("project_registered", code=code, name=name))
        for e in result.events[1:]:
            if e["kind"] == "assignment":
                say(f"  + {_t(e['payload']['role'])}: {e['payload']['person']}")
        print_warnings(warnings)


SHOWN_WARNINGS = 20  # an import's warnings printed one by one; the rest counted (all in --json)


def lead_leader_warnings(codes: list[str]) -> list[dict]:
    """A warning for each key project registered without a lead leader (no rule gave it one), in
    the shape of the rules' warnings: ``{"code", "project", "message", "message_zh"}``."""
    out = []
    for c in codes:
        m = Message("key_project_without_lead_leader", code=c)
        out.append({"code": m.code, "project": c, "message": m.text("en"), "message_zh": m.text("zh")})
    return out


def print_warnings(warnings: list[dict], total: int | None = None) -> None:
    """Warnings on stderr in the run's language, the first ``SHOWN_WARNINGS`` one by one and the
    rest counted; ``total`` is their number when ``warnings`` holds only the first ones."""
    from workflow.i18n import is_zh
    from workflow.text import visible

    label = _t("warning_prefix")
    for w in warnings[:SHOWN_WARNINGS]:
        say(visible(f"{label}: {w['message_zh'] if is_zh(STATE.lang) else w['message']}"), style="yellow")
    total = len(warnings) if total is None else total
    if total > SHOWN_WARNINGS:
        say(Message("key_projects_without_lead_leader_more", n=total - SHOWN_WARNINGS), style="yellow")


@project_app.command("edit")
def project_edit(
    code: str = typer.Argument(..., metavar="CODE", help="Project code, e.g. P-0007."),
    name: str = typer.Option(None, "--name", help="Project name."),
    investor: str = typer.Option(None, "--investor", help="Investor."),
    industry: str = typer.Option(None, "--industry", help="Industry."),
    investment: str = typer.Option(None, "--investment", metavar="AMOUNT", help="Planned investment."),
    unit: str = typer.Option(None, "--unit", metavar="CODE", help="Responsible unit."),
    origin: str = typer.Option(None, "--origin", help="Investor origin."),
    category: str = typer.Option(None, "--category", help="Category."),
    key: bool = typer.Option(None, "--key/--no-key", help="Designate key (or not) by hand."),
    plan: list[str] = typer.Option(None, "--plan", metavar="MILESTONE=DATE", help=PLAN_HELP),
    year_plan: list[str] = typer.Option(
        None, "--year-plan", metavar="YEAR=AMOUNT",
        help="Yearly investment plan (年度计划投资), CNY, e.g. 2026=8000万 (repeatable; 0 clears a year)."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Change a project's fields or yearly investment plans; each change is a history event (coordinator)."""
    changes: dict = {k: v for k, v in (("name", name), ("investor", investor), ("industry", industry),
                                       ("unit", unit), ("origin", origin), ("category", category))
                     if v is not None}
    if investment is not None:
        money = _amount(investment)
        if money.currency != "CNY":
            raise BadInput("investment_planned_investment_is_in")
        changes["investment_minor"] = money.amount_minor
    if key is not None:
        changes["key"] = key
    if plan:
        changes["plan"] = _plan(plan)
    if year_plan:
        from workflow.progress import parse_year_plans

        changes["year_plan"] = parse_year_plans(year_plan, lang=STATE.lang)
    if not changes:
        raise BadInput("nothing_to_change_give")
    with late_entry(late, reason):
        STATE.service().edit_project(code, changes, on=_on(on), expect_version=expect_version)
    if json:
        emit_json(STATE.service(write=False).get_project(code))
    else:
        say(_msg("project_updated", code=code))


@project_app.command("list")
def project_list(
    search: Search = None,
    stage: str = typer.Option(None, "--stage", help="Only projects in this stage (key, English or Chinese name)."),
    unit: str = typer.Option(None, "--unit", metavar="CODE", help="Only this unit's projects (code or name)."),
    leader: str = typer.Option(None, "--leader", metavar="LOGIN",
                              help="Only projects this person leads (login or name)."),
    light: str = typer.Option(None, "--light", metavar="red|yellow|green", help="Only this light."),
    as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="Lights as of this date."),
    sort: SortKey = None,
    limit: Limit = None,
    offset: Offset = 0,
    threshold: Thresholds = None,
    no_pager: NoPager = False,
    json: JsonFlag = False,
) -> None:
    """List projects with stage, unit and light: search, filter, sort, page (any size: streamed)."""
    from workflow.clock import parse_date

    svc = _light_service(threshold)
    found = svc.find_projects(search=search, stage=stage, unit=unit, leader=leader, light=light, sort=sort,
                              limit=limit, offset=offset, as_of=parse_date(as_of, "--as-of"))
    if json:
        from cli.listing import stream_json

        keep = ("code", "name", "stage", "stage_since", "unit", "key", "light", "light_reasons", "leaders",
                "planned_investment", "version")
        stream_json({"total": found.total, "offset": offset, "limit": limit}, "projects",
                    ({k: v[k] for k in keep} for v in found))
        return
    from cli.listing import paged, print_table
    from cli.render import LIGHT_STYLE, light_text, stage_label
    from workflow.i18n import t

    lang = STATE.lang

    def rows(terminal: bool):
        for v in found:
            lead = next((x["name"] for x in v["leaders"] if x["role"] == "lead_leader"), "")
            yield ((v["code"], v["name"], stage_label(v["stage"], lang), v["unit"] or "",
                    t("yes" if v["key"] else "no", lang), light_text(v["light"], lang), lead),
                   LIGHT_STYLE.get(v["light"]) if terminal and v["light"] != "green" else None)

    from rich.cells import cell_len

    from workflow.definition import default_definition

    headers = [t(c, lang) for c in ("code", "name", "stage", "unit", "key", "light", "leaders")]
    stage_w = min(22, max(cell_len(stage_label(s.key, lang)) for s in default_definition().stages))
    with paged(no_pager) as sink:
        print_table(sink, headers, (7, None, stage_w, 6, 4, 6, 12), rows(sink.is_terminal))
    shown = len(found)
    if shown == found.total:
        say(t("n_projects", lang).format(n=found.total))
    else:
        say(t("n_of_projects", lang).format(n=shown, total=found.total, first=offset + 1 if shown else 0,
                                            last=offset + shown))


@project_app.command("show")
def project_show(
    code: str = typer.Argument(..., metavar="CODE", help="Project code, e.g. P-0007."),
    as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="Light as of this date."),
    threshold: Thresholds = None,
    full: bool = typer.Option(False, "--full", help="Also the checklist, documents and capital and investment "
                                                     "tranches."),
    json: JsonFlag = False,
) -> None:
    """Show one project: fields, money, leaders, light with its reasons."""
    from workflow.clock import parse_date

    view = _light_service(threshold).get_project(code, parse_date(as_of, "--as-of"), records=full)
    _show(view, json)
    if full and not json:
        from cli.render import project_records

        project_records(view, STATE.lang)


def _light_service(threshold: list[str] | None):
    """A read service whose lights use this run's threshold overrides (see `pipeline lights`)."""
    svc = STATE.service(write=False)
    svc.light_overrides = svc.parse_threshold_args(threshold)
    return svc


# --- records -----------------------------------------------------------------------------------------


def check_cmd(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    item: str = typer.Argument(..., metavar="ITEM", help="industrial_policy|environment|energy|land_use"),
    result: str = typer.Argument(..., metavar="pass|fail", help="The outcome of the check."),
    note: str = typer.Option(None, "--note", help="A note on the check."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Record a screening-checklist result (coordinator)."""
    with late_entry(late, reason):
        res = STATE.service().record_check(code, item, result, note=note, on=_on(on), expect_version=expect_version)
    _write_result(res, json, Message("check", code=code, item=item, result=result))


doc_app = group("Documents (committee decision, contract, permits …).")


@doc_app.command("add")
def doc_add(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    kind: str = typer.Argument(..., metavar="KIND", help="committee_decision|contract|planning_permit|land_use|"
                                                       "eia|safety_assessment|completion_acceptance"),
    number: str = typer.Argument(..., metavar="NUMBER", help="Document number, e.g. 县招委〔2026〕3号."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    reason: LateReason = None,
    file: str = typer.Option(None, "--file", metavar="FILE",
                             help="Attach this file (a scan, at most 20 MiB), stored by its SHA-256."),
    json: JsonFlag = False,
) -> None:
    """Record a document (coordinator), with its scan attached (--file)."""
    with late_entry(late, reason):
        res = STATE.service().add_document(code, kind, number, on=_on(on), expect_version=expect_version,
                                           file=file)
    _write_result(res, json, Message("recorded", code=code, kind=kind, number=number))


@doc_app.command("export")
def doc_export(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    kind: str = typer.Argument(..., metavar="KIND", help="The document kind, e.g. contract."),
    number: str = typer.Option(None, "--number", metavar="N",
                               help="Which document, when the project has files of several numbers of KIND."),
    output: AttachmentFile = None,
    json: JsonFlag = False,
) -> None:
    """Give back the file attached to a document, checked against its hash (reads only)."""
    if output is None:
        raise BadInput("give_output_file")
    doc = STATE.service(write=False).export_document(code, kind, output, number=number)
    emit_json(doc) if json else say(Message("attach_exported", code=doc["code"], kind=doc["kind"],
                                            number=doc["number"], output=doc["output"]))


def _asking_on_duplicate(json: bool, allow: bool, write):
    """``write(allow_duplicate)``; a Duplicate refusal asks on a terminal whether to record it anyway
    (off a terminal, or with --json, it stands: exit 2)."""
    from workflow.errors import Duplicate

    try:
        return write(allow)
    except Duplicate as exc:
        if json or not (is_terminal(sys.stdin) and is_terminal(sys.stdout)):
            raise
        from cli.interactive import confirm
        from workflow.i18n import is_zh

        zh = is_zh(STATE.lang)
        err().print(exc.text(STATE.lang), markup=False)
        if not confirm("仍要记录这笔？" if zh else "Record it anyway?", zh, default=False):
            say(Message("nothing_changed"))
            raise typer.Exit(0) from None
        return write(True)


def _asking_if_implausible(json: bool, confirm: bool, write):
    """``write(confirm)``; an Implausible refusal asks on a terminal whether to record it anyway (off a
    terminal, or with --json, it stands: exit 3 naming why)."""
    from workflow.errors import Implausible

    try:
        return write(confirm)
    except Implausible as exc:
        if json or not (is_terminal(sys.stdin) and is_terminal(sys.stdout)):
            raise
        from cli.interactive import confirm as ask
        from workflow.i18n import is_zh

        zh = is_zh(STATE.lang)
        err().print(exc.text(STATE.lang), markup=False)
        if not ask("金额无误，仍要记录？" if zh else "The amount is right: record it?", zh, default=False):
            say(Message("nothing_changed"))
            raise typer.Exit(0) from None
        return write(True)


capital_app = group("Capital in place (到位资金).")


@capital_app.command("plausible")
def capital_plausible(
    pct: int = typer.Argument(None, metavar="PCT", min=0, max=INT_MAX,
                              help="Largest tranche, % of the planned investment, recorded without "
                                   "asking (0: no check); omit to show."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    effective_from: str = typer.Option(None, "--from", metavar="DATE", help="In force from this date (default today)."),
    json: JsonFlag = False,
) -> None:
    """Show or set (admin; a set-up ledger entry) the plausible size of one capital tranche."""
    from workflow.values import day as parse_day

    svc = STATE.service(write=pct is not None)
    if pct is None:
        value = svc.tranche_plausible()
    else:
        start = None if effective_from is None else parse_day(effective_from, "--from")
        value = svc.set_tranche_plausible(pct, reason=reason, effective_on=start)
    if json:
        emit_json({"tranche_plausible_pct": value})
    else:
        say(Message("capital_plausible_pct", pct=value) if value else Message("capital_plausible_off"))


@capital_app.command("add")
def capital_add(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    amount: str = typer.Argument(..., metavar="AMOUNT", help="Amount, e.g. 5600万, 4179万美元 (USD), 120000000."),
    on: OnDate = None,
    source: str = typer.Option(None, "--source", help="Where the money came from."),
    expect_version: ExpectVersion = None,
    allow_duplicate: AllowDuplicate = False,
    late: LateFlag = False,
    reason: LateReason = None,
    confirm: bool = typer.Option(False, "--confirm", help="Record an implausible amount (capital in place above "
                                 "the planned investment, or a tranche above the plausible share of it)."),
    json: JsonFlag = False,
) -> None:
    """Record a capital arrival; the first on a signed project fires `fund` (coordinator).  The same
    amount, currency and date as an earlier entry asks on a terminal, else is refused (exit 2) unless
    --allow-duplicate; an implausible amount asks on a terminal, else is refused (exit 3) unless
    --confirm."""
    money = _amount(amount)
    day = _on(on)

    def write(allow: bool, sure: bool):
        return STATE.service().add_capital(code, money.amount_minor, money.currency, on=day, source=source,
                                           expect_version=expect_version, allow_duplicate=allow, confirm=sure)

    with late_entry(late, reason):
        res = _asking_on_duplicate(json, allow_duplicate,
                                   lambda allow: _asking_if_implausible(json, confirm, lambda sure: write(allow, sure)))

    _write_result(res, json, Message("capital", code=code, amount={"amount_minor": money.amount_minor,
                                                                   "currency": money.currency}))


TrancheProject = Annotated[str | None, typer.Argument(
    metavar="CODE", help="Only this project's tranches (project code).")]
TrancheUnit = Annotated[str | None, typer.Option(
    "--unit", metavar="CODE", help="Only the tranches of this unit's projects (code or name).")]
TranchePeriod = Annotated[str | None, typer.Option(
    "--period", metavar="PERIOD", help="Only tranches effective in this period: 2026, 2026-H1, 2026-Q3, 2026-B2.")]


@capital_app.command("list")
def capital_list(code: TrancheProject = None, unit: TrancheUnit = None, period: TranchePeriod = None,
                 json: JsonFlag = False, fmt: ListFormat = None, output: OutputFile = None) -> None:
    """The capital tranches of a project, a unit's projects or a period, newest first, with the total
    per currency."""
    from cli.money_cmds import tranche_list

    tranche_list("capital", code, unit, period, json, fmt, output)


investment_app = group("Investment completed (完成投资).")


@investment_app.command("list")
def investment_list(code: TrancheProject = None, unit: TrancheUnit = None, period: TranchePeriod = None,
                    json: JsonFlag = False, fmt: ListFormat = None, output: OutputFile = None) -> None:
    """The investment-completed tranches of a project, a unit's projects or a period, newest first, with
    the total per currency."""
    from cli.money_cmds import tranche_list

    tranche_list("investment", code, unit, period, json, fmt, output)


@investment_app.command("add")
def investment_add(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    amount: str = typer.Argument(..., metavar="AMOUNT", help="Amount, e.g. 3000万."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    allow_duplicate: AllowDuplicate = False,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Record investment completed (coordinator).  The same amount, currency and date as an earlier
    entry asks on a terminal, else is refused (exit 2) unless --allow-duplicate."""
    money = _amount(amount)
    day = _on(on)
    with late_entry(late, reason):
        res = _asking_on_duplicate(json, allow_duplicate, lambda allow: STATE.service().add_investment(
            code, money.amount_minor, money.currency, on=day, expect_version=expect_version,
            allow_duplicate=allow))

    _write_result(res, json,
                  Message("investment", code=code, amount={"amount_minor": money.amount_minor,
                                                           "currency": money.currency}))


followup_app = group("Follow-ups (人盯人).")


@followup_app.command("add")
def followup_add(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    note: str = typer.Argument(..., metavar="NOTE", help="What was done or learned."),
    contact: str | None = typer.Option(None, "--contact", metavar="NAME", help="Whom you spoke to."),
    next_step: str | None = typer.Option(None, "--next-step", metavar="TEXT", help="The next step promised."),
    next_on: str | None = typer.Option(None, "--next-on", metavar="YYYY-MM-DD",
                                       help="When the next follow-up is promised (yellow once it passes unrecorded)."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Record a follow-up (coordinator, or a leader on their own project)."""
    from workflow.clock import parse_date

    with late_entry(late, reason):
        res = STATE.service().add_followup(code, note, on=_on(on), contact=contact, next_step=next_step,
                                           next_on=parse_date(next_on, "--next-on"), expect_version=expect_version)
    _write_result(res, json, Message("follow_up_recorded", code=code))


@followup_app.command("list")
def followup_list(
    project: str | None = typer.Option(None, "--project", metavar="CODE", help="Only this project's follow-ups."),
    due: bool = typer.Option(False, "--due", help="Only promised follow-ups whose date has come, not yet recorded."),
    json: JsonFlag = False,
) -> None:
    """List follow-ups, newest first, or (--due) the promised follow-ups now due."""
    from cli.render import print_rows
    from workflow.i18n import t

    doc = STATE.service(write=False).list_followups(project=project, due=due)
    if json:
        emit_json(doc)
        return
    lang = STATE.lang
    if due:
        print_rows([t(c, lang) for c in ("code", "col_next_on", "col_overdue_days", "col_next_step")],
                   [(d["project"], d["next_on"], d["overdue_days"], d["next_step"] or "") for d in doc["due"]])
        return
    print_rows([t(c, lang) for c in ("code", "col_date", "col_note", "col_contact", "col_next_step", "col_next_on")],
               [(f["project"], f["on"], f["note"], f["contact"] or "", f["next_step"] or "",
                 f["next_on"] or "") for f in doc["followups"]])


# --- transitions ------------------------------------------------------------------------------------


def _next_json(data: dict, lang: str) -> dict:
    return {"code": data["code"], "stage": data["stage"], "version": data["version"],
            "transitions": [{"trigger": t["trigger"], "to": t["to"], "allowed": t["allowed"],
                             "needs_reason": t["needs_reason"],
                             "guards": [{"guard": g.guard, "ok": g.ok, "message": g.text(lang)}
                                        for g in t["guards"]]}
                            for t in data["transitions"]]}


def next_cmd(code: str = typer.Argument(..., metavar="CODE", help="Project code."), json: JsonFlag = False) -> None:
    """The transitions open now, with every guard's result."""
    data = STATE.service(write=False).open_transitions(code)
    if json:
        emit_json(_next_json(data, STATE.lang))
    else:
        from cli.render import open_transitions

        open_transitions(data, STATE.lang)


def advance_cmd(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    target: str = typer.Argument(None, metavar="TRIGGER_OR_STAGE",
                                 help="A trigger (sign) or a target stage (signed); omit on a terminal to choose."),
    on: OnDate = None,
    reason: str = typer.Option(None, "--reason", help="Why (required for reject, hold, withdraw)."),
    expect_version: ExpectVersion = None,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation on a terminal."),
    late: LateFlag = False,
    json: JsonFlag = False,
) -> None:
    """Move a project to its next stage through a transition (coordinator)."""
    interactive = is_terminal(sys.stdin) and is_terminal(sys.stdout) and not json
    if target is None:
        if not interactive:
            data = STATE.service(write=False).open_transitions(code)
            error = BadInput("name_transition_pipeline_advance", code=code)
            if json:  # one document: the error, with the open transitions beside it (docs/usage.md)
                error.beside.update(_next_json(data, STATE.lang))
                raise error
            import contextlib

            from cli.render import open_transitions

            with contextlib.suppress(BrokenPipeError):  # a reader gone (``| head``) leaves the error standing
                open_transitions(data, STATE.lang)
            raise error
        from cli.interactive import choose_transition

        chosen = choose_transition(code, on, reason, expect_version)
        if chosen is None:
            say(Message("nothing_changed"))
            raise typer.Exit(2)
        target, on, reason, expect_version = chosen
        yes = True
    effective = _on(on)
    if interactive and not yes:
        from rich.text import Text

        from cli.interactive import confirm
        from workflow.text import visible

        # a str prompt would be read as markup by rich's Prompt; the typed target is user text
        zh = STATE.lang == "zh"
        question = (f"{code}：{visible(target)}，生效日期 {effective.isoformat()}？" if zh else
                    f"{code}: {visible(target)} on {effective.isoformat()}?")
        if not confirm(Text(question), zh):
            say(Message("nothing_changed"))
            raise typer.Exit(2)
    with late_entry(late, reason):
        res = STATE.service().advance(code, target, on=effective, reason=reason, expect_version=expect_version)
    if json:
        e = res.events[-1]
        emit_json({"code": code, "stage": res.project.stage, "version": res.project.version, "event": e})
        return
    from cli.render import stage_label

    ev = next(e for e in res.events if e["kind"] == "transition")
    say(f"{code}: {ev['trigger']} — {stage_label(ev['from'], STATE.lang)} → "
        f"{stage_label(ev['to'], STATE.lang)} ({ev['effective_on']})")


# --- reassignment ---------------------------------------------------------------------------

# ``history`` lives in cli/audit_cmds.py with the other audit commands.


def reassign_cmd(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    role: str = typer.Argument(..., metavar="ROLE", help="lead_leader|first_responsible|team_member"),
    login: str = typer.Argument(..., metavar="LOGIN", help="The person taking the role."),
    reason: str = typer.Option(None, "--reason", help="Why the assignment changes (required; with --late also why "
                                                      "it comes after its period was closed)."),
    on: OnDate = None,
    late: LateFlag = False,
    json: JsonFlag = False,
) -> None:
    """Assign or replace a project's leader explicitly, with a reason (admin)."""
    with late_entry(late, reason):
        res = STATE.service().reassign(code, role, login, reason=reason, on=_on(on))
    _write_result(res, json, _msg("role_now", code=res.project.code, role=_t(role), login=login))


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.command("check")(check_cmd)
    app.command("next")(next_cmd)
    app.command("advance")(advance_cmd)
    app.command("reassign")(reassign_cmd)
    app.add_typer(units_app, name="units")
    app.add_typer(people_app, name="people")
    app.add_typer(users_app, name="users")
    app.add_typer(project_app, name="project")
    app.add_typer(doc_app, name="doc")
    app.add_typer(capital_app, name="capital")
    app.add_typer(investment_app, name="investment")
    app.add_typer(followup_app, name="followup")
