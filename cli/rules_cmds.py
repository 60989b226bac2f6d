"""``pipeline rules``: leader-assignment rules (add, edit, disable, enable, list, explain, apply).

Thin: parse options, call ``workflow.rules``, render.  Warnings go to stderr (and into ``--json``).
"""

from __future__ import annotations

import typer

from cli.context import STATE, emit_json, say
from cli.options import JsonFlag, LateFlag, LateReason, OnDate, group, late_entry
from cli.params import ID_MAX, INT_MAX
from workflow.catalogue import Message
from workflow.errors import BadInput
from workflow.text import visible

rules_app = group(
    "Leader-assignment rules (包保规则): who leads each key project, who is first responsible, who is on "
         "the team.")

ROLE_HELP = "lead_leader (包保县级领导), first_responsible (第一责任人) or team_member (专班成员)."
CLEARABLE = "key|categories|industries|units|origins|min_investment|max_investment"


def _amount(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    from workflow.money import parse_amount

    money = parse_amount(text, lang=STATE.lang)
    if money.currency != "CNY":
        raise BadInput("investment_not_cny", option=option)
    return money.amount_minor


def _conditions(key, category, industry, unit, origin, min_investment, max_investment) -> dict:
    """The condition options that were given (edit keeps the others)."""
    given = {"key": key, "categories": category or None, "industries": industry or None, "units": unit or None,
             "origins": origin or None, "min_investment_minor": _amount(min_investment, "--min-investment"),
             "max_investment_minor": _amount(max_investment, "--max-investment")}
    return {k: v for k, v in given.items() if v is not None}


def _esc(value) -> str:
    """A cell or message safe to print (cells here may be several lines: conditions, load)."""
    return visible(value, multiline=True)


def _rows(rows) -> list[tuple]:
    return [tuple(_esc(v) for v in r) for r in rows]


def _warn(warnings: list[dict]) -> None:
    zh = STATE.lang == "zh"
    for w in warnings:
        say(_esc(f"{'警告' if zh else 'warning'}: {w['message_zh'] if zh else w['message']}"), style="yellow")


def _saved(doc: dict, json: bool, verb: str) -> None:
    if json:
        emit_json(doc)
        return
    _warn(doc.get("warnings", []))
    rule = doc["rule"]
    from workflow.rules import Conditions

    conds = Conditions.from_dict(rule["conditions"]).describe(STATE.lang)
    fields = {"id": doc["id"], "version": doc["version"], "verb": verb, "role": rule["role"],
              "person": rule["person"], "priority": rule["priority"], "conditions": conds}
    say(Message("rule_saved", **fields) if rule["active"] or verb == "disabled" else
        Message("rule_saved_disabled", **fields), multiline=True)
    if verb != "unchanged":
        say(Message("existing_assignments_are_kept"))


NAME = typer.Option(None, "--name", help="A name for the rule, e.g. 矿产项目包保.")
KEY = typer.Option(None, "--key/--no-key", help="Only key projects (--key) or only projects that are not key.")
CATEGORY = typer.Option(None, "--category", metavar="C", help="Project category (repeatable: any of them).")
INDUSTRY = typer.Option(None, "--industry", metavar="I", help="Industry (repeatable: any of them).")
UNIT = typer.Option(None, "--unit", metavar="CODE", help="Responsible unit, code or name (repeatable: any of them).")
ORIGIN = typer.Option(None, "--origin", metavar="O", help="Investor origin (repeatable: any of them).")
MIN_INV = typer.Option(None, "--min-investment", metavar="AMOUNT",
                       help="Planned investment at least AMOUNT, e.g. 1亿.")
MAX_INV = typer.Option(None, "--max-investment", metavar="AMOUNT",
                       help="Planned investment at most AMOUNT, e.g. 5000万.")
FROM = typer.Option(None, "--from", metavar="DATE",
                    help="The first day this version decides (default today): projects registered or changed "
                         "from that day on are decided by it; decisions already made keep their rule.")


def _from(text: str | None):
    from workflow.values import day

    return None if text is None else day(text, "--from")


@rules_app.command("add")
def rules_add(
    role: str = typer.Option(..., "--role", metavar="ROLE", help=ROLE_HELP),
    person: str = typer.Option(..., "--person", metavar="LOGIN", help="The person the rule assigns (login or name)."),
    priority: int = typer.Option(..., "--priority", min=0, max=INT_MAX, metavar="N",
                                 help="Lower is tried first; equal priorities go by rule id."),
    name: str = NAME,
    key: bool = KEY,
    category: list[str] = CATEGORY,
    industry: list[str] = INDUSTRY,
    unit: list[str] = UNIT,
    origin: list[str] = ORIGIN,
    min_investment: str = MIN_INV,
    max_investment: str = MAX_INV,
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    effective_from: str = FROM,
    json: JsonFlag = False,
) -> None:
    """Add a rule (admin). Conditions given must all hold; a list condition matches any of its values."""
    from workflow import rules
    from workflow.rules import Conditions

    conds = Conditions.build(**_conditions(key, category, industry, unit, origin, min_investment, max_investment))
    doc = rules.add_rule(STATE.service(), role=role, person=person, priority=priority, name=name,
                         conditions=conds, reason=reason, effective_on=_from(effective_from))
    _saved(doc, json, "added")


@rules_app.command("edit")
def rules_edit(
    rule_id: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID",
                                  help="The rule id (see `pipeline rules list`)."),
    role: str = typer.Option(None, "--role", metavar="ROLE", help=ROLE_HELP),
    person: str = typer.Option(None, "--person", metavar="LOGIN", help="The person the rule assigns (login or name)."),
    priority: int = typer.Option(None, "--priority", min=0, max=INT_MAX, metavar="N", help="Lower is tried first."),
    name: str = NAME,
    key: bool = KEY,
    category: list[str] = CATEGORY,
    industry: list[str] = INDUSTRY,
    unit: list[str] = UNIT,
    origin: list[str] = ORIGIN,
    min_investment: str = MIN_INV,
    max_investment: str = MAX_INV,
    clear: list[str] = typer.Option(None, "--clear", metavar="CONDITION",
                                    help=f"Remove a condition ({CLEARABLE}); repeatable."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    effective_from: str = FROM,
    json: JsonFlag = False,
) -> None:
    """Save a new version of rule ID (admin): options given replace the old values, the rest stay.
    Old versions are kept (`rules list --all`); assignments already made stay as they are."""
    from workflow import rules

    doc = rules.edit_rule(STATE.service(), rule_id, role=role, person=person, priority=priority, name=name,
                          conditions=_conditions(key, category, industry, unit, origin, min_investment,
                                                 max_investment),
                          clear=clear or (), reason=reason, effective_on=_from(effective_from))
    _saved(doc, json, "saved")


@rules_app.command("disable")
def rules_disable(
    rule_id: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="The rule id."),
    reason: str = typer.Option(None, "--reason", help="Why (required; kept in the set-up ledger)."),
    effective_from: str = FROM,
    json: JsonFlag = False,
) -> None:
    """Disable rule ID (admin; a new version). Leaders it assigned stay; `rules apply` reports them."""
    from workflow import rules

    doc = rules.set_active(STATE.service(), rule_id, False, reason, _from(effective_from))
    _saved(doc, json, "disabled" if doc["changed"] else "unchanged")


@rules_app.command("enable")
def rules_enable(
    rule_id: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="The rule id."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the set-up ledger)."),
    effective_from: str = FROM,
    json: JsonFlag = False,
) -> None:
    """Enable a disabled rule ID again (admin; a new version)."""
    from workflow import rules

    doc = rules.set_active(STATE.service(), rule_id, True, reason, _from(effective_from))
    _saved(doc, json, "enabled" if doc["changed"] else "unchanged")


@rules_app.command("list")
def rules_list(
    all_versions: bool = typer.Option(False, "--all", help="Every version of every rule (the history)."),
    as_of: str = typer.Option(None, "--as-of", metavar="DATE",
                              help="The versions in force on DATE (those that decide a project registered "
                                   "that day) instead of the newest."),
    json: JsonFlag = False,
) -> None:
    """List the rules in the order they are tried (newest versions; --as-of DATE: those in force that day;
    --all for history)."""
    from cli.render import print_rows
    from workflow import rules
    from workflow.i18n import t
    from workflow.rules import Conditions
    from workflow.values import day

    if as_of is not None and all_versions:
        raise BadInput("rules_all_or_as_of")
    on = None if as_of is None else day(as_of, "--as-of")
    items = rules.list_rules(STATE.service(write=False), all_versions=all_versions, as_of=on)
    if json:
        emit_json({"rules": items, **({"as_of": on.isoformat()} if on else {})})
        return
    lang = STATE.lang
    if on is not None:
        say(Message("rules_in_force_on", day=on.isoformat()))
    cols = ["rules_id", "rules_version", "rules_priority", "role", "rules_person", "rules_conditions",
            "rules_active", "rules_effective", "rules_changed"]
    rows = []
    for r in items:
        who = (f"{visible(r['person_name'])} [{visible(r['person'])}]" if r["person_name"]
               else visible(r["person"]))
        label = t(r["role"], lang) + (f"\n{visible(r['name'])}" if r["name"] else "")
        changed = f"{r['changed_at'][:19].replace('T', ' ')} {r['changed_by']}"
        if all_versions and not r["current"]:
            changed += f" ({t('rules_superseded', lang)})"
        rows.append((r["id"], r["version"], r["priority"], label, who,
                     Conditions.from_dict(r["conditions"]).describe(lang),
                     t("yes" if r["active"] else "no", lang),
                     t("rules_always", lang) if r["effective_on"] == "0001-01-01" else r["effective_on"], changed))
    print_rows([t(c, lang) for c in cols], _rows(rows))
    if not items:
        say(Message("no_rule_in_force_on", day=on.isoformat()) if on is not None else Message("no_rules_yet_add"))


@rules_app.command("explain")
def rules_explain(
    code: str = typer.Argument(..., metavar="CODE", help="Project code, e.g. P-0007."),
    json: JsonFlag = False,
) -> None:
    """Every rule against one project: each condition's result, cap, which rule made each assignment, and
    why the others did not."""
    from workflow import rules

    doc = rules.explain(STATE.service(write=False), code)
    if json:
        emit_json(doc)
        return
    _explain_table(doc, STATE.lang)


def _explain_table(doc: dict, lang: str) -> None:
    from cli.context import is_terminal, out
    from cli.render import stage_label, table
    from workflow.i18n import is_zh, t
    from workflow.text import visible

    zh = is_zh(lang)
    title = _esc(f"{doc['code']} {visible(doc['name'])} · {stage_label(doc['stage'], lang)} · "
             f"{t('key', lang)}: {t('yes' if doc['key'] else 'no', lang)}")
    tbl = table([t(c, lang) for c in ("rules_rule", "rules_priority", "role", "rules_person",
                                      "rules_conditions", "rules_outcome")], title=title)
    for r in doc["rules"]:
        conds = "\n".join(("✓ " if c["ok"] else "✗ ") + (c["text_zh"] if zh else c["text"])
                          for c in r["conditions"]) or t("rules_every_project", lang)
        who = (f"{visible(r['person_name'])} [{visible(r['person'])}]" if r["person_name"]
               else visible(r["person"]))
        if r["cap"] is not None:
            who += f"\n{t('load', lang)} {r['load']}/{r['cap']}"
        style = None
        if is_terminal():
            style = {"assigned": "green", "would_assign": "cyan", "over_cap": "yellow"}.get(r["outcome"])
            if r["outcome"] in ("disabled", "not_matched"):
                style = "dim"
        cells = (f"{r['id']} v{r['version']}" + (f"\n{visible(r['name'])}" if r["name"] else ""), r["priority"],
                 t(r["role"], lang), who, conds, r["reason_zh"] if zh else r["reason"])
        tbl.add_row(*(_esc(c) for c in cells), style=style)
    out().print(tbl)
    rows = []
    for a in doc["assignments"]:
        by = (f"{t('rules_rule', lang)} {a['rule_id']} v{a['rule_version']}" if a["by"] == "rule"
              else t("reassignment", lang))
        if a["by"] == "rule" and a["rule_active"] is False:
            by += f" ({t('rules_disabled', lang)})"
        since = a["assigned_on"] + (f" → {a['ended_on']}" if a["ended_on"] else "")
        rows.append((t(a["role"], lang), visible(f"{a['name']} [{a['login']}]"), by, since, f"#{a['event_seq']}",
                     t("yes" if a["active"] else "no", lang)))
    tbl = table([t(c, lang) for c in ("role", "rules_person", "rules_assigned_by", "rules_since", "seq",
                                      "rules_holding")], title=t("rules_assignments", lang))
    for r in _rows(rows):
        tbl.add_row(*r)
    out().print(tbl)


@rules_app.command("apply")
def rules_apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    on: OnDate = None,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Fill every missing assignment from the rules in force on --on (admin; default today), dated that
    day. Never replaces anyone: leaders whose rule was disabled or who were deactivated are reported, not
    changed (use `pipeline reassign`)."""
    from workflow.values import day

    svc = STATE.service(write=not dry_run)
    with late_entry(late and not dry_run, reason):
        doc = svc.apply_rules(dry_run=dry_run, on=None if on is None else day(on, "--on"))
    if json:
        emit_json(doc)
        return
    from cli.render import print_rows
    from workflow.i18n import is_zh, t

    lang = STATE.lang
    zh = is_zh(lang)
    if doc["changes"]:
        print_rows([t(c, lang) for c in ("code", "role", "rules_from", "rules_to", "rules_rule")],
                   _rows((c["code"], t(c["role"], lang), c["from"] or "-", f"{c['to_name']} [{c['to']}]",
                     f"{c['rule_id']} v{c['rule_version']}") for c in doc["changes"]))
    if doc["notices"]:
        print_rows([t(c, lang) for c in ("code", "role", "rules_person", "rules_rule", "rules_problem")],
                   _rows((n["code"], t(n["role"], lang), n["person"],
                     f"{n['rule_id']} v{n['rule_version']}" if n["rule_id"] else "-",
                     n["message_zh"] if zh else n["message"]) for n in doc["notices"]),
                   title=t("rules_kept", lang))
    n = len(doc["changes"])
    if dry_run:
        say(Message("dry_run_assignment_would", n=n, projects=doc['projects']))
    else:
        say(Message("assignment_made_over_open", n=n, projects=doc['projects']))
    if doc["notices"]:
        say(Message("assignment_kept_whose_rule", n_notices=len(doc['notices'])))


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.add_typer(rules_app, name="rules")
