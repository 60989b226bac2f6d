"""Supervision (督办): ``pipeline problem …``, ``pipeline supervision ladder|letters``, ``pipeline todo``.

Each command parses its options, calls the engine (``workflow.service``), and renders; no SQL here.
"""

from __future__ import annotations

import typer

from cli.context import STATE, emit_json, say
from cli.options import JsonFlag, LateFlag, LateReason, LetterFormat, OnDate, OutputDir, group, late_entry
from cli.params import ID_MAX, INT_MAX
from workflow.catalogue import Message
from workflow.errors import BadInput

problem_app = group("Problems with owners and deadlines (问题清单, 督办).")
supervision_app = group("The escalation ladder and supervision letters (督办函).")
ladder_app = group("The escalation ladder: every figure a setting.")

AsOf = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="As of this date (default: today).")


def _day(value: str | None, what: str):
    from workflow.clock import parse_date

    return parse_date(value, what)


def _on(value: str | None):
    from workflow.clock import effective_date

    return effective_date(value)


def _rows(columns: list[str], rows: list[list]) -> None:
    from cli.render import print_rows
    from workflow.i18n import t

    # the consoles read no markup (cli/context.py): text is printed as stored, never escaped
    print_rows([t(c, STATE.lang) for c in columns], [["" if v is None else str(v) for v in r] for r in rows])


# --- problems --------------------------------------------------------------------------------------------


@problem_app.command("add")
def problem_add(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    text: str = typer.Argument(..., metavar="TEXT", help="The problem, e.g. 用地指标未落实."),
    kind: str = typer.Option(..., "--kind", metavar="land|energy|environment|funding|permit|power|water|road|other",
                             help="What kind of problem."),
    owner: str = typer.Option(..., "--owner", metavar="UNIT", help="The unit that owns it (承办单位)."),
    person: str | None = typer.Option(None, "--person", metavar="LOGIN", help="The person responsible (责任人)."),
    due: str = typer.Option(..., "--due", metavar="YYYY-MM-DD", help="Its deadline (办理时限)."),
    source: str | None = typer.Option(None, "--source", metavar="meeting|instruction|inspection|light",
                                      help="Where it came from."),
    on: OnDate = None,
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Open a problem of a project with an owner unit and a deadline (coordinator, admin)."""
    with late_entry(late, reason):
        doc = STATE.service().add_problem(code, text, kind=kind, owner=owner, person=person, due=_day(due, "--due"),
                                          source=source, on=_on(on))
    emit_json(doc) if json else say(Message("problem_opened", code=code, id=doc['id']))


def _act(problem: int, action: str, text: str, on: str | None, json: bool, to: str | None = None, *,
         late: bool = False, reason: str | None = None) -> None:
    with late_entry(late, reason):
        doc = STATE.service().act_on_problem(problem, action, text, on=_on(on), to=_day(to, "--to"))
    if json:
        emit_json(doc)
        return
    done = {"update": "progress recorded", "extend": f"extended to {to}", "close": "closed out",
            "reopen": "reopened"}[action]
    say(Message("problem", problem=problem, project=doc['project'], done=done))


@problem_app.command("update")
def problem_update(problem: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="Problem id."),
                   text: str = typer.Argument(..., metavar="TEXT", help="The progress (反馈)."),
                   on: OnDate = None, late: LateFlag = False, reason: LateReason = None,
                   json: JsonFlag = False) -> None:
    """Record progress on an open problem (反馈)."""
    _act(problem, "update", text, on, json, late=late, reason=reason)


@problem_app.command("extend")
def problem_extend(problem: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="Problem id."),
                   to: str = typer.Option(..., "--to", metavar="YYYY-MM-DD", help="The new due date."),
                   reason: str = typer.Option(..., "--reason", help="Why it is extended (with --late also why "
                                                                    "it comes after its period was closed)."),
                   on: OnDate = None, late: LateFlag = False, json: JsonFlag = False) -> None:
    """Move an open problem's due date later; only on or before the due date (after it: exit 3)."""
    _act(problem, "extend", reason, on, json, to=to, late=late, reason=reason)


@problem_app.command("close")
def problem_close(problem: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="Problem id."),
                  resolution: str = typer.Option(..., "--resolution", help="How it was solved."),
                  on: OnDate = None, late: LateFlag = False, reason: LateReason = None,
                  json: JsonFlag = False) -> None:
    """Close a problem out (销号)."""
    _act(problem, "close", resolution, on, json, late=late, reason=reason)


@problem_app.command("reopen")
def problem_reopen(problem: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="Problem id."),
                   reason: str = typer.Option(..., "--reason", help="Why it goes back (with --late also why it "
                                                                    "comes after its period was closed)."),
                   on: OnDate = None, late: LateFlag = False, json: JsonFlag = False) -> None:
    """Send a closed problem back (退回重办); it keeps its due date unless extended."""
    _act(problem, "reopen", reason, on, json, late=late, reason=reason)


@problem_app.command("show")
def problem_show(problem: int = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="Problem id."),
                 as_of: str | None = AsOf, json: JsonFlag = False) -> None:
    """One problem: its fields, level, whom the level names, its history and its letters."""
    from workflow.i18n import t

    doc = STATE.service(write=False).get_problem(problem, _day(as_of, "--as-of"))
    if json:
        emit_json(doc)
        return
    lang = STATE.lang
    level = "-" if doc["level"] is None else f"{doc['level']} ({t('level_' + str(doc['level']), lang)})"
    to = doc["addressee"][("zh" if lang.startswith("zh") else "en")] if doc["addressee"] else "-"
    _rows(["col_kind", "details"], [[t(k, lang), v] for k, v in [
        ("col_problem", f"#{doc['id']}"), ("code", f"{doc['project']} {doc['project_name']}"),
        ("col_problem_kind", t(f"problem_kind_{doc['kind']}", lang)), ("col_problem_text", doc["text"]),
        ("col_owner_unit", doc["owner_unit_name"] or doc["owner_unit"]), ("col_owner_person", doc["owner_person"]),
        ("col_due", doc["due"]), ("col_status", t("status_" + doc["status"], lang)), ("col_level", level),
        ("col_overdue_days", doc["overdue_days"]), ("col_addressee", to)]])
    if doc["actions"]:
        _rows(["col_date", "col_kind", "details"], [[a["on"], a["action"], a["text"] + (
            f" → {a['due']}" if a["due"] else "")] for a in doc["actions"]])
    if doc["letters"]:
        _rows(["col_number", "col_level", "col_date", "col_addressee"],
              [[x["number"], x["level"], x["issued_on"], x["addressee"]] for x in doc["letters"]])


@problem_app.command("list")
def problem_list(
    all_: bool = typer.Option(False, "--all", help="Closed problems too."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open problems past their due date."),
    unit: str | None = typer.Option(None, "--unit", metavar="UNIT", help="Only problems this unit owns."),
    project: str | None = typer.Option(None, "--project", metavar="CODE", help="Only this project's problems."),
    as_of: str | None = AsOf,
    json: JsonFlag = False,
) -> None:
    """Open problems (or --all), most urgent first, with their levels as of a date."""
    doc = STATE.service(write=False).list_problems(all_=all_, overdue=overdue, unit=unit, project=project,
                                                   as_of=_day(as_of, "--as-of"))
    if json:
        emit_json(doc)
        return
    from workflow.i18n import t

    lang = STATE.lang
    _rows(["col_problem", "code", "col_problem_kind", "col_problem_text", "col_owner_unit", "col_owner_person",
           "col_due", "col_status", "col_level", "col_overdue_days"],
          [[f"#{p['id']}", p["project"], t(f"problem_kind_{p['kind']}", lang), p["text"], p["owner_unit"],
            p["owner_person"], p["due"], t("status_" + p["status"], lang), p["level"], p["overdue_days"]]
           for p in doc["problems"]])


# --- the ladder and letters ----------------------------------------------------------------------------


@ladder_app.command("show")
def ladder_show(as_of: str | None = AsOf, json: JsonFlag = False) -> None:
    """The ladder's figures in effect (on --as-of, default today) and what each level means."""
    from workflow.i18n import t

    doc = STATE.service(write=False).ladder(_day(as_of, "--as-of"))
    lad = doc["ladder"]
    doc["levels"] = [
        {"level": 0, "when": "open, not near its due date"},
        {"level": 1, "when": f"due within {lad['remind_days']} days"},
        {"level": 2, "when": "overdue"},
        {"level": 3, "when": f"more than {lad['unit_head_days']} days overdue"},
        {"level": 4, "when": f"more than {lad['county_leader_days']} days overdue"},
        {"level": 5, "when": f"more than {lad['top_leader_days']} days overdue"},
    ]
    for item in doc["levels"]:
        item["to"] = {"en": t(f"level_{item['level']}", "en"), "zh": t(f"level_{item['level']}", "zh")}
    if json:
        emit_json(doc)
        return
    lang = STATE.lang
    days = {1: lad["remind_days"], 3: lad["unit_head_days"], 4: lad["county_leader_days"], 5: lad["top_leader_days"]}
    _rows(["ladder_level", "ladder_when", "ladder_to"],
          [[x["level"], Message(f"ladder_when_{x['level']}", days=days.get(x["level"], 0)).text(lang),
            x["to"]["zh" if lang.startswith("zh") else "en"]] for x in doc["levels"]])
    _rows(["threshold", "days", "default", "source"],
          [[t(k, lang), v, doc["defaults"][k], t("configured", lang) if k in doc["stored"] else ""]
           for k, v in lad.items()] + [[t("top_leader", lang), doc["top_leader"] or "-", "-",
                                        t("configured", lang) if doc["top_leader"] else ""]])


@ladder_app.command("set")
def ladder_set(values: list[str] = typer.Argument(..., metavar="NAME=VALUE",
                                                 help="e.g. unit_head_days=10 deduct_points=2 top_leader=LOGIN"),
               from_: str | None = typer.Option(None, "--from", metavar="YYYY-MM-DD",
                                                help="In force from this date (default: today)."),
               reason: str | None = typer.Option(None, "--reason", help="Why (required; kept in the set-up ledger)."),
               json: JsonFlag = False) -> None:
    """Store ladder figures (admin), in force from --from (default: today); see `pipeline supervision
    ladder show` for the names.  One set-up ledger entry."""
    from workflow.settings import parse_from, parse_ladder_args

    stored = STATE.service().set_ladder(parse_ladder_args(values), reason=reason, effective_on=parse_from(from_))
    listed = ", ".join(f"{k}={v}" for k, v in sorted(stored.items()))
    emit_json({"stored": stored}) if json else say(Message("ladder_settings_stored", listed=listed))


supervision_app.add_typer(ladder_app, name="ladder")


@supervision_app.command("letters")
def supervision_letters(
    as_of: str | None = AsOf,
    min_level: int | None = typer.Option(None, "--min-level", min=0, max=INT_MAX, metavar="N",
                                         help="Issue from this level (default: the ladder's letter_min_level, 2)."),
    reprint: str | None = typer.Option(None, "--reprint", metavar="NUMBER",
                                       help="Write an issued letter again (with the letters issued with it to the "
                                            "same addressee), in --format; issues nothing."),
    output: OutputDir = None,
    fmt: LetterFormat = "html",
    json: JsonFlag = False,
) -> None:
    """Issue a numbered supervision letter (督办函) for each open problem at the level or more that has
    no letter at its level yet, written as one consolidated letter per addressee (owner unit, leader);
    running it again for the same date issues nothing new.  --reprint NUMBER writes an issued letter again."""
    from workflow import letters, office, settings, supervision

    directory = letters.prepare(output, fmt)
    svc = STATE.service(write=reprint is None)
    if reprint is not None:
        if as_of is not None or min_level is not None:
            raise BadInput("letters_reprint_alone")
        number = reprint.strip()
        issued = next(g for g in letters.groups(supervision.letters_issued_with(svc.engine, number))
                      if any(x["number"] == number for x in g))
        day = issued[0]["issued_on"]
        with svc.engine.connect() as conn:
            issuer, reply = office.read(conn, day).issuer, settings.ladder(conn, day).reply_days
        files = letters.writer(directory, fmt, issuer, reply)(issued)
        for letter, path in zip(issued, files, strict=True):
            letter["file"] = path
    else:
        day = _day(as_of, "--as-of")
        with svc.engine.connect() as conn:  # the document settings' issuer, as the reports name it
            issuer, reply = office.read(conn, day).issuer, settings.ladder(conn, day).reply_days
        issued = svc.issue_letters(as_of=day, min_level=min_level,
                                   write=letters.writer(directory, fmt, issuer, reply))
    doc = {"letters": [{"number": x["number"], "problem": x["problem"]["id"], "project": x["problem"]["project"],
                        "level": x["level"], "addressee": x["addressee"]["zh"], "file": x["file"]}
                       for x in issued]}
    if json:
        emit_json(doc)
        return
    if not issued:
        say(Message("no_new_letters"))
        return
    _rows(["col_number", "col_problem", "code", "col_level", "col_addressee", "details"],
          [[x["number"], f"#{x['problem']}", x["project"], x["level"], x["addressee"], x["file"]]
           for x in doc["letters"]])


# --- to-do ---------------------------------------------------------------------------------------------


def todo_cmd(
    login: str | None = typer.Option(None, "--for", metavar="LOGIN", help="Whose list: login or name (default: you)."),
    as_of: str | None = AsOf,
    json: JsonFlag = False,
) -> None:
    """A person's or user's to-do list: their problems, the red and yellow reasons of the projects they
    hold a role on or registered, plan dates in the next 14 days and promised follow-ups (theirs and
    their projects'); most urgent first."""
    from workflow.i18n import t

    doc = STATE.service(write=False).todo(login, _day(as_of, "--as-of"), lang=STATE.lang)
    if json:
        emit_json(doc)
        return
    lang = STATE.lang
    if not doc["items"]:
        say(doc["empty"])  # why it is empty, and for whom
        return
    _rows(["col_urgency", "col_kind", "code", "col_item", "col_date"],
          [[i["urgency"], t("todo_" + i["kind"], lang), i["project"], i["text"], i["date"]] for i in doc["items"]])


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.add_typer(problem_app, name="problem")
    app.add_typer(supervision_app, name="supervision")
    app.command("todo")(todo_cmd)
