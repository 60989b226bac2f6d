"""倒排工期: ``pipeline project plan CODE --commission DATE`` and ``pipeline plan templates …``."""

from __future__ import annotations

import typer

from cli.context import STATE, emit_json, is_terminal, say
from cli.options import ExpectVersion, JsonFlag, LateFlag, OnDate, group, late_entry
from cli.params import INT_MAX
from workflow.catalogue import Message
from workflow.errors import BadInput

plan_app = group("Plan templates for 倒排工期: days between signing, capital, groundbreaking, production.")
templates_app = group("The templates (per industry) `project plan` derives dates with.")
plan_app.add_typer(templates_app, name="templates")

_LABELS = {"sign": ("Signing", "签约"), "fund": ("Capital", "资金到位"), "break_ground": ("Groundbreaking", "开工"),
           "commission": ("Production", "投产")}


def _label(m: str) -> str:
    en, zh = _LABELS[m]
    return zh if STATE.lang == "zh" else en


def project_plan(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    commission: str = typer.Option(..., "--commission", metavar="DATE",
                                   help="Target production date (计划投产日期), e.g. 2027-12-31 or 2027年12月31日."),
    template: str = typer.Option(None, "--template", metavar="NAME",
                                 help="Template to use (default: the one for the project's industry)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the dates; record nothing."),
    replace: bool = typer.Option(False, "--replace", help="Replace planned dates the project already has."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Record the plan (without it the plan is only shown)."),
    allow_past: bool = typer.Option(False, "--allow-past",
                                    help="Record a plan that cannot be met (a date before today); needs --reason."),
    reason: str = typer.Option(None, "--reason", metavar="TEXT",
                               help="Why a plan that cannot be met is recorded (with --late: why it comes after "
                                    "its period was closed)."),
    on: OnDate = None,
    expect_version: ExpectVersion = None,
    late: LateFlag = False,
    json: JsonFlag = False,
) -> None:
    """倒排工期: derive signing, capital and groundbreaking dates backwards from the target production
    date, show them, and record them as one edit with --yes (existing dates kept unless --replace;
    milestones reached keep their real dates; a date before today is refused unless --allow-past)."""
    from workflow.clock import parse_date

    record = yes and not dry_run
    svc = STATE.service(write=record)
    with late_entry(late and record, reason):
        doc = svc.plan_project(code, parse_date(commission, "--commission"), template=template, replace=replace,
                               dry_run=not record, on=parse_date(on, "--on") if on else None,
                               expect_version=expect_version, allow_past=allow_past, reason=reason)
    dry_run = not record
    if doc["template_chosen"] == "default":
        say(Message("plan_default_template_used", industry=doc["industry"] or "-"), style="yellow")
    if json:
        emit_json({**doc, "dry_run": dry_run, "recorded": doc["event"] is not None})
        if doc["changes"] and not yes:
            say(Message("plan_not_recorded_without_yes"))
        return
    from cli.render import print_rows
    from workflow.i18n import t

    zh = STATE.lang == "zh"
    tpl = doc["template"]
    rows = []
    for m in ("sign", "fund", "break_ground", "commission"):
        if m in doc["changes"]:
            what = ("将记录" if zh else "to record") if dry_run else ("已记录" if zh else "recorded")
        elif doc["current"][m] is not None and doc["current"][m] != doc["derived"][m]:
            what = "保留原日期" if zh else "kept (use --replace)"
        else:
            what = "不变" if zh else "unchanged"
        if m in doc.get("reached", {}):
            what = "已达成" if zh else "reached"
        rows.append((_label(m), doc["reached"].get(m) or "-" if m in doc["reached"] else doc["derived"][m],
                     doc["current"][m] or "-", what))
    heads = ["节点", "倒排日期", "原计划", "处理"] if zh else ["Milestone", "Derived", "Current", "Action"]
    print_rows(heads, rows, title=f"{doc['code']} · {'模板' if zh else 'template'} {tpl['name']} "
                                  f"({tpl['sign_to_fund']}/{tpl['fund_to_break_ground']}/"
                                  f"{tpl['break_ground_to_commission']} {'天' if zh else 'days'})")
    if not doc["changes"]:
        say(Message("nothing_to_record_plan"))
    elif dry_run and not yes:
        say(Message("plan_not_recorded_without_yes" if not is_terminal() else "plan_shown_record_with_yes"))
    elif dry_run:
        say(Message("dry_run_nothing_changed"))
    else:
        say(f"{doc['code']}: {t('edited', STATE.lang)} · {'版本' if zh else 'version'} {doc['version']}")


@templates_app.command("list")
def templates_list(json: JsonFlag = False) -> None:
    """Every template: its days between milestones and the industries it serves."""
    from cli.render import print_rows

    docs = STATE.service(write=False).plan_templates()
    if json:
        emit_json({"templates": docs})
        return
    zh = STATE.lang == "zh"
    heads = (["模板", "签约→到资", "到资→开工", "开工→投产", "适用行业", "已保存"] if zh else
             ["Template", "Sign→capital", "Capital→ground", "Ground→production", "Industries", "Stored"])
    print_rows(heads, [(d["name"], d["sign_to_fund"], d["fund_to_break_ground"], d["break_ground_to_commission"],
                        ", ".join(d["industries"]) or "-", ("是" if zh else "yes") if d["stored"] else "-")
                       for d in docs])


@templates_app.command("set")
def templates_set(
    name: str = typer.Argument(..., metavar="NAME", help="Template name, e.g. energy."),
    sign_to_fund: int = typer.Option(None, "--sign-to-fund", min=0, max=INT_MAX, metavar="DAYS",
                                     help="Days from signing to capital."),
    fund_to_break_ground: int = typer.Option(None, "--fund-to-break-ground", min=0, max=INT_MAX, metavar="DAYS",
                                             help="Days from capital to groundbreaking."),
    break_ground_to_commission: int = typer.Option(None, "--break-ground-to-commission", min=0, max=INT_MAX,
                                                   metavar="DAYS",
                                                   help="Days from groundbreaking to production."),
    industry: list[str] = typer.Option(None, "--industry", metavar="TEXT",
                                       help="An industry the template serves (repeatable; replaces the list)."),
    from_: str = typer.Option(None, "--from", metavar="YYYY-MM-DD",
                              help="In force from this date (default: today; plans made as of an earlier day keep "
                                   "the template then in force)."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Add or change a template (admin), in force from --from (default: today); values not given keep
    their current ones.  One set-up ledger entry."""
    from workflow.settings import parse_from

    if sign_to_fund is None and fund_to_break_ground is None and break_ground_to_commission is None and not industry:
        raise BadInput("give_at_least_one")
    doc = STATE.service().set_plan_template(name, sign_to_fund=sign_to_fund, fund_to_break_ground=fund_to_break_ground,
                                            break_ground_to_commission=break_ground_to_commission,
                                            industries=industry or None, reason=reason,
                                            effective_on=parse_from(from_))
    emit_json(doc) if json else say(Message("plan_template_saved", name=doc['name']))


def register(app: typer.Typer) -> None:
    from cli.commands import project_app

    project_app.command("plan")(project_plan)
    app.add_typer(plan_app, name="plan")
