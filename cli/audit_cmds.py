"""Audit commands (docs/audit.md): ``history``, ``audit log|checkpoint|checkpoints|verify`` and ``correct``.

``history`` and ``audit`` only read: they open an SQLite database read-only (an auditor's process
cannot write even by mistake).  ``audit log`` streams: rows are written as they are read, so memory
stays flat on a million events.  ``audit verify`` prints every failure and exits 7; it changes nothing.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import typer

from cli.context import STATE, emit_json, err, is_terminal, out, say
from cli.options import AUDIT_FORMATS as FORMATS
from cli.options import AuditFormat, JsonFlag, OnDate, OutputFile, group
from cli.output import check_format, open_output, write_csv, write_markdown
from cli.params import ID_MAX
from workflow.catalogue import Message
from workflow.errors import BadInput, IntegrityFailure

PROGRESS_MIN_EVENTS = 20_000
CHUNK = 500  # rows per table on a terminal

audit_app = group("Audit: the log across projects, checkpoints, verification of history.")


def _read_engine():
    """The database for a read-only command: SQLite is opened read-only (mode=ro)."""
    return STATE.engine(write=False, readonly=True)


def _actor(engine) -> str:
    from workflow.db import session_actor

    return session_actor(engine, STATE.login())


def _problem_text(problem: object) -> str:
    """A problem ``audit verify`` found (a `workflow.catalogue.Message`), in the language of this run."""
    from workflow.catalogue import text

    return text(problem, STATE.lang)


@contextlib.contextmanager
def _progress(label: str):
    """A progress callback drawing a bar on stderr, on a terminal and for large databases only."""
    console = err()
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=console, transient=True)
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            if total < PROGRESS_MIN_EVENTS:
                return
            progress.start()
            from workflow.i18n import t

            task = progress.add_task(t(f"phase_{label}", STATE.lang), total=total)
        progress.update(task, completed=done, total=max(total, done))

    try:
        yield update
    finally:
        if task is not None:
            progress.stop()


# --- rows ---------------------------------------------------------------------------------------------


def _event_cells(event: dict, corrected: dict[int, int], lang: str) -> list[str]:
    """An event's row (``cli.render.event_row``), its details saying which event corrected it."""
    from cli.render import event_row
    from workflow.i18n import is_zh

    cells = event_row(event, lang)
    by = corrected.get(event["seq"])
    if by is not None:
        note = f"（已由第{by}条更正）" if is_zh(lang) else f"(corrected by #{by})"
        cells[-1] = f"{cells[-1]} {note}".strip()
    return cells


def history_columns(lang: str) -> list[str]:
    from cli.render import EVENT_COLUMNS
    from workflow.i18n import t

    return [t(c, lang) for c in EVENT_COLUMNS]


def log_columns(lang: str) -> list[str]:
    from workflow.i18n import t

    return [t("code", lang), *history_columns(lang)]


# --- history ----------------------------------------------------------------------------------------


def history_cmd(
    code: str = typer.Argument(..., metavar="CODE", help="Project code, e.g. P-0007."),
    json: JsonFlag = False,
    fmt: AuditFormat = None,
    output: OutputFile = None,
) -> None:
    """The project's whole timeline: dates, actors, events, stages, documents, amounts, corrections."""
    from workflow import audit_log

    check_format(fmt, FORMATS, output)
    data = audit_log.project_history(_read_engine(), code)
    if json:
        emit_json({"code": data["code"], "name": data["name"], "stage": data["stage"],
                   "head_hash": data["head_hash"], "verified": data["chain"]["ok"], "events": data["events"],
                   "settings": data["settings"]})
        return
    if not data["chain"]["ok"]:
        say(Message("warning_history_fails_verification", code=code), style="red")
        for f in data["chain"]["failures"][:10]:
            problem = _problem_text(f["problem"])
            say(f"  ✗ #{f['seq']}: {problem}" if f["seq"] is not None else f"  ✗ {problem}")
    lang = STATE.lang
    if fmt is None:
        _history_timeline(data, lang)
        return
    rows = [_event_cells(e, data["corrected"], lang) for e in data["events"]]
    headers = history_columns(lang)
    with open_output(output) as sink:
        if fmt == "csv":
            write_csv(sink, headers, rows)
        elif fmt == "md":
            write_markdown(sink, headers, rows, f"{data['code']} {data['name']}")
            sink.write("\n" + Message("history_md_footer", n=len(rows), head=data["head_hash"]).text(lang) + "\n")
        else:
            sink.write(history_html(data, headers, rows, lang))


def _history_timeline(data: dict, lang: str) -> None:
    from rich.text import Text

    from cli.render import money_list, stage_label, table
    from workflow.i18n import t
    from workflow.text import visible

    console = out()
    term = is_terminal()
    head = (f"{visible(data['code'])} {visible(data['name'])} · {stage_label(data['stage'], lang)} "
            f"({data['stage_since']}) · {visible(data.get('unit_name') or data.get('unit') or '-')} · "
            f"{t('planned_investment', lang)} {money_list([data['planned_investment']], lang)}")
    tbl = table(history_columns(lang), title=head)
    for e in data["events"]:
        style = None
        if term:
            if e["seq"] in data["corrected"]:
                style = "dim strike"
            elif e["kind"] == "correction":
                style = "yellow"
            elif e["kind"] == "transition":
                style = "bold"
        tbl.add_row(*_event_cells(e, data["corrected"], lang), style=style)
    console.print(tbl)
    chain = t("chain_intact", lang) if data["chain"]["ok"] else t("chain_broken", lang)
    foot = Text(f"{Message('events', n=len(data['events'])).text(lang)} · {chain} · {t('chain_head', lang)} "
                f"{data['head_hash']}", style="dim" if term and data["chain"]["ok"] else "")
    console.print(foot)
    for c in data.get("settings", []):  # the threshold changes that changed the light (docs/audit.md)
        line = Message("history_setting_changed_light", changes="; ".join(
            f"{name} {a} → {b}" for name, (a, b) in c["changes"].items()), since=c["effective_on"], by=c["by"],
            reason=c["reason"] or "-", before=t(c["light"][0] or "none", lang), after=t(c["light"][1] or "none", lang))
        console.print(Text(visible(line.text(lang))))
    cp = data.get("checkpoint")
    if cp:
        console.print(f"{t('latest_checkpoint', lang)} {cp['digest']} ({cp['at']})",
                      style="dim" if term else None)


def history_html(data: dict, headers: list[str], rows: list[list[str]], lang: str) -> str:
    """A printable A4 page: project header, the timeline, the row count, the chain head, the checkpoint."""
    from cli.output import html_text as esc
    from cli.output import to_html_table
    from cli.render import money_list, stage_label
    from workflow.i18n import t

    cp = data.get("checkpoint")
    cp_text = f"{cp['digest']} ({cp['at']}, {Message('events', n=cp['events']).text(lang)})" if cp else t("none", lang)
    facts = [
        (t("name", lang), data["name"]), (t("investor", lang), data.get("investor") or "-"),
        (t("industry", lang), data.get("industry") or "-"),
        (t("unit", lang), data.get("unit_name") or data.get("unit") or "-"),
        (t("planned_investment", lang), money_list([data["planned_investment"]], lang)),
        (t("key", lang), t("yes" if data.get("key") else "no", lang)),
        (t("stage", lang), f"{stage_label(data['stage'], lang)} ({data['stage_since']})"),
        (t("registered_on", lang), data.get("registered_on") or "-"),
    ]
    header = "".join(f"<div><b>{esc(k)}</b> {esc(str(v))}</div>" for k, v in facts)
    chain = t("chain_intact", lang) if data["chain"]["ok"] else t("chain_broken", lang)
    return f"""<!DOCTYPE html>
<html lang="{'zh' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{esc(data['code'])} {esc(data['name'])}</title>
<style>
@page {{ size: A4; margin: 15mm; }}
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 9pt; }}
h1 {{ font-size: 14pt; margin: 0 0 3mm; }}
.facts {{ display: grid; grid-template-columns: 1fr 1fr; gap: 0.5mm 6mm; margin-bottom: 4mm; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 0.3pt solid #888; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }}
thead {{ display: table-header-group; }} tr {{ page-break-inside: avoid; }}
footer {{ margin-top: 4mm; font-size: 8pt; font-family: monospace; word-break: break-all; }}
</style></head><body>
<h1>{esc(t('history_title', lang))} · {esc(data['code'])} {esc(data['name'])}</h1>
<div class="facts">{header}</div>
{to_html_table(headers, rows)}
<footer>
<div>{esc(t('events', lang))}: {len(rows)}</div>
<div>{esc(t('chain', lang))}: {esc(chain)}</div>
<div>{esc(t('chain_head', lang))}: {esc(data['head_hash'])}</div>
<div>{esc(t('latest_checkpoint', lang))}: {esc(cp_text)}</div>
</footer>
</body></html>
"""


# --- audit log ------------------------------------------------------------------------------------------


@audit_app.command("log")
def audit_log(
    date_from: str = typer.Option(None, "--from", metavar="YYYY-MM-DD", help="Events effective on or after this date."),
    date_to: str = typer.Option(None, "--to", metavar="YYYY-MM-DD", help="Events effective on or before this date."),
    actor: str = typer.Option(None, "--actor", metavar="LOGIN", help="Only events recorded by LOGIN."),
    unit: str = typer.Option(None, "--unit", metavar="CODE", help="Only projects of this responsible unit."),
    stage: str = typer.Option(None, "--stage", help="Only events moving a project into or out of this stage."),
    kind: str = typer.Option(None, "--kind", help="Only events of this kind (transition, capital, correction …)."),
    setup: bool = typer.Option(False, "--setup", help="The set-up ledger's entries instead (settings, units, "
                                                     "people, users, rules, targets, closed periods), in "
                                                     "recorded order."),
    json: JsonFlag = False,
    fmt: AuditFormat = None,
    output: OutputFile = None,
) -> None:
    """Every project's events, by effective date, streamed (constant memory on any size); with --setup the
    set-up ledger's entries with their actor, effective date and reason."""
    from workflow import audit_log
    from workflow.clock import parse_date

    check_format(fmt, FORMATS, output)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if start and end and start > end:
        raise BadInput("from_lies_after_to", start=start, end=end)
    engine = _read_engine()
    if setup:
        if unit is not None or stage is not None:
            raise BadInput("setup_lists_set_up")
        _setup_log(engine, start, end, actor, kind, json, fmt, output)
        return
    with engine.connect() as conn:
        unit_k, stage_k, kind_k = audit_log.check_log_filters(conn, unit=unit, stage=stage, kind=kind)
    filters = {"date_from": start, "date_to": end, "actor": actor, "unit": unit_k, "stage": stage_k, "kind": kind_k}
    # the set-up ledger's entries belong to no project, unit or event kind: interleaved unless one is asked for
    events = audit_log.iter_log(engine, date_from=start, date_to=end, actor=actor, unit=unit_k, stage=stage_k,
                            kind=kind_k, setup=unit_k is None and stage_k is None and kind_k is None)
    lang = STATE.lang
    if json:
        n = _stream_json(sys.stdout, events)
    elif fmt is None:
        n = _stream_tables(events, lang)
    else:
        rows = (_log_cells(e, lang) for e in events)
        with open_output(output) as sink:
            if fmt == "csv":
                n = write_csv(sink, log_columns(lang), rows)
            elif fmt == "md":
                n = write_markdown(sink, log_columns(lang), rows, _log_title(filters, lang))
            else:
                n = _write_log_html(sink, rows, filters, lang)
    if not json:
        say(Message("events", n=n))


def setup_columns(lang: str) -> list[str]:
    from workflow.i18n import t

    return ["#", t("recorded_at", lang), t("effective_on", lang), t("actor", lang), t("kind", lang),
            t("setup_target", lang), t("setup_change", lang), t("reason", lang)]


def _setup_log(engine, start, end, actor, kind, json: bool, fmt: str | None, output) -> None:
    """``audit log --setup``: the set-up ledger (``workflow.ledger.setup_log``)."""
    from workflow import ledger

    with engine.connect() as conn:
        entries = ledger.setup_log(conn, date_from=start, date_to=end, actor=actor, kind=kind)
    if json:
        emit_json({"entries": entries, "count": len(entries)})
        return
    lang = STATE.lang
    rows = [[str(e["seq"]), e["recorded_at"], e["effective_on"], e["actor"], e["kind"], e["target"],
             _change_text(e["payload"]), e["reason"] or ""] for e in entries]
    filters = {"date_from": start, "date_to": end, "actor": actor, "kind": kind}
    if fmt is None:
        from cli.render import print_rows

        print_rows(setup_columns(lang), rows)
    else:
        with open_output(output) as sink:
            if fmt == "csv":
                write_csv(sink, setup_columns(lang), rows)
            elif fmt == "md":
                write_markdown(sink, setup_columns(lang), rows, _log_title(filters, lang))
            else:
                _write_log_html(sink, rows, filters, lang, setup_columns(lang))
    say(Message("entries", n_entries=len(entries)))


def _log_cells(event: dict, lang: str) -> list[str]:
    from workflow.text import visible

    if event.get("setup"):
        return _setup_cells(event, lang)
    return [visible(event["code"]), *_event_cells(event, {}, lang)]


def _setup_cells(entry: dict, lang: str) -> list[str]:
    """A set-up ledger entry as an ``audit log`` row: "setup" for the code, its kind and target, and
    what it changed (a closed period's frozen content left out: `audit ledger --json` has it)."""
    from workflow.i18n import t
    from workflow.text import visible

    return [t("setup_row", lang), str(entry["seq"]), entry["effective_on"],
            entry["recorded_at"][:19].replace("T", " "), visible(entry["actor"]), entry["kind"],
            visible(entry["target"]), visible(entry["reason"], multiline=True), visible(_change_text(entry["payload"]))]


# What a close stored beside its digest: the frozen reports and narrative, the document settings in force
# (`audit ledger --json` prints them; a log row says which period and digest)
_CLOSE_CONTENT = ("reports", "narrative", "documents")


def _change_text(payload: Any) -> str:
    """A set-up ledger entry's change as a log row shows it: its payload as JSON, a closed period's
    frozen content left out."""
    import json as _json

    if isinstance(payload, dict) and "reports" in payload:
        payload = {k: v for k, v in payload.items() if k not in _CLOSE_CONTENT}
    return _json.dumps(payload, ensure_ascii=False, sort_keys=True)


def _log_title(filters: dict, lang: str) -> str:
    from workflow.i18n import t

    parts = [f"{k.replace('date_', '')}={v}" for k, v in filters.items() if v is not None]
    return t("audit_log_title", lang) + (f" ({', '.join(parts)})" if parts else "")


def _stream_json(sink, events: Iterator[dict]) -> int:
    import json

    from workflow.text import json_safe

    sink.write('{"events": [')
    n = 0
    for e in events:
        sink.write(("\n" if n == 0 else ",\n") + json_safe(json.dumps(e, ensure_ascii=False, default=str)))
        n += 1
    sink.write(f'\n], "count": {n}}}\n')
    sink.flush()
    return n


def _stream_tables(events: Iterator[dict], lang: str) -> int:
    from cli.render import table

    console = out()
    n = 0
    batch: list[list[str]] = []

    def flush(first: bool) -> None:
        tbl = table(log_columns(lang))
        tbl.show_header = first
        for r in batch:
            tbl.add_row(*r)
        console.print(tbl)
        batch.clear()

    first = True
    for e in events:
        batch.append(_log_cells(e, lang))
        n += 1
        if len(batch) >= CHUNK:
            flush(first)
            first = False
    if batch or first:
        flush(first)
    return n


def _write_log_html(sink, rows: Iterable[list], filters: dict, lang: str, headers: list[str] | None = None) -> int:
    from cli.output import html_text as esc

    headers = headers or log_columns(lang)
    title = _log_title(filters, lang)
    sink.write(f"""<!DOCTYPE html>
<html lang="{'zh' if lang == 'zh' else 'en'}"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
@page {{ size: A4 landscape; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 8pt; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 0.3pt solid #888; padding: 0.8mm 1.2mm; text-align: left; vertical-align: top; }}
thead {{ display: table-header-group; }} tr {{ page-break-inside: avoid; }}
</style></head><body>
<h1>{esc(title)}</h1>
<table>
<thead><tr>{''.join(f'<th>{esc(h)}</th>' for h in headers)}</tr></thead>
<tbody>
""")
    n = 0
    for r in rows:
        sink.write("<tr>" + "".join(f"<td>{esc('' if v is None else str(v))}</td>" for v in r) + "</tr>\n")
        n += 1
    sink.write(f"</tbody>\n</table>\n<footer><p>{n} events</p></footer>\n</body></html>\n")
    return n


# --- checkpoints and verification --------------------------------------------------------------------


@audit_app.command("checkpoint")
def audit_checkpoint(json: JsonFlag = False) -> None:
    """Verify history and print a digest over every project's chain head: keep it outside the database.

    An admin's checkpoint is also stored in the database (with every head, so that a later failure can
    name the project and event); anyone's digest alone is enough for `audit verify --digest`."""
    from workflow import audit
    from workflow.service import Service

    engine = _read_engine()
    actor = _actor(engine)
    with engine.connect() as conn:
        role = Service(engine, actor).role_of(conn)
    store = role == "admin"
    with _progress("checkpoint") as progress:
        doc = audit.checkpoint(engine, actor, store=store, write_engine=STATE.engine() if store else None,
                               progress=progress)
    if json:
        emit_json(doc)
        return
    lang = STATE.lang
    from workflow.i18n import t

    out().print(f"{t('digest_h', lang)}: {doc['digest']}", highlight=False)
    out().print(f"{t('projects', lang)}: {doc['projects']}  {t('events_h', lang)}: {doc['events']}  "
                f"{t('at_h', lang)}: {doc['at']}", highlight=False)
    if doc["stored"]:
        say(Message("stored_in_database_keep", digest=doc['digest']))
    else:
        say(Message("not_stored_only_admin", digest=doc['digest']))


@audit_app.command("ledger")
def audit_ledger(json: JsonFlag = False) -> None:
    """List the set-up ledger: every change of units, people, users, rules, targets, templates and
    settings, and periods closed and reopened."""
    from cli.render import print_rows

    rows = STATE.service(write=False).setup_ledger()
    if json:
        emit_json({"entries": rows})
        return
    import json as _json

    print_rows(["#", "recorded (UTC)", "actor", "kind", "target", "change", "reason"],
               [(r["seq"], r["recorded_at"], r["actor"], r["kind"], r["target"],
                 _json.dumps(r["payload"], ensure_ascii=False), r["reason"] or "") for r in rows])


@audit_app.command("checkpoints")
def audit_checkpoints(json: JsonFlag = False) -> None:
    """List the checkpoints stored in the database, newest first."""
    from cli.render import print_rows
    from workflow import checkpoints
    from workflow.i18n import t

    with _read_engine().connect() as conn:
        rows = checkpoints.list_checkpoints(conn)
    if json:
        emit_json({"checkpoints": rows})
        return
    lang = STATE.lang
    print_rows([t(c, lang) for c in ("at_h", "digest_h", "projects", "events_h", "actor")],
               [(r["at"], r["digest"], r["projects"], r["events"], r["actor"]) for r in rows])


@audit_app.command("verify")
def audit_verify(
    digest: str = typer.Option(None, "--digest", metavar="D",
                               help="A digest printed by `audit checkpoint`: prove nothing it covers changed."),
    files: bool = typer.Option(False, "--files", help="Also check every attached file against its recorded hash."),
    json: JsonFlag = False,
) -> None:
    """Recompute every chain and check the project rows; with --digest, prove the checkpoint still holds;
    with --files, check every attached file.

    Exits 7 listing every failure (project, event, what is wrong); changes nothing."""
    from workflow import audit

    engine = _read_engine()
    with _progress("verify") as progress:
        report = audit.verify(engine, digest=digest, progress=progress, files=files)
    if json:
        emit_json(report)
        if not report["ok"]:
            raise typer.Exit(IntegrityFailure.exit_code)
        return
    lang = STATE.lang
    from workflow.i18n import t

    d = report["digest"]
    if report["ok"]:
        out().print(f"{t('verify_ok', lang)}: {Message('projects_count', n=report['projects']).text(lang)}, "
                    f"{Message('events', n=report['events']).text(lang)} {t('verified', lang)}", highlight=False)
        if d:
            which = t("digest", lang) if d["given"] else t("latest_checkpoint", lang)
            covered = Message("events", n=d["covered_events"]).text(lang)
            out().print(f"{which} {d['digest']}: {t('covers', lang)} {covered}, {t('unchanged', lang)}",
                        highlight=False)
        if files:
            say(Message("attach_files_ok", n=report["files"]))
        return
    from cli.render import print_rows

    print_rows([t("code", lang), t("seq", lang), t("problem", lang)],
               [(f["code"] or "-", "-" if f["seq"] is None else f["seq"], _problem_text(f["problem"]))
                for f in report["failures"]])
    more = report["failures_total"] - len(report["failures"])
    if more > 0:
        say(Message("and_more", more=more))
    raise IntegrityFailure("history_failed_verification", failures_total=report['failures_total'],
                           projects=report['projects'], events=report['events'])


# --- corrections ------------------------------------------------------------------------------------------


def correct_cmd(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    seq: int = typer.Argument(..., metavar="SEQ", min=1, max=ID_MAX,
                               help="The event to correct (its # in `pipeline history`)."),
    reason: str = typer.Option(None, "--reason", help="What was wrong (required)."),
    on: OnDate = None,
    json: JsonFlag = False,
) -> None:
    """Correct a recorded event (admin): a wrong transition returns the project to the stage before it.

    A correction event naming the event is appended with the reason; nothing is updated or deleted."""
    from workflow.clock import effective_date

    res = STATE.service().correct(code, seq, reason, on=effective_date(on) if on else None)
    event = res.events[-1]
    if json:
        emit_json({"code": code, "stage": res.project.stage, "version": res.project.version, "event": event})
        return
    from cli.render import stage_label

    tail = ""
    if event["to"]:
        tail = f" — {stage_label(event['from'], STATE.lang)} → {stage_label(event['to'], STATE.lang)}"
    elif "amount_minor" in event["payload"]:
        from workflow.amounts import format_money

        p = event["payload"]
        tail = f" — reversed {format_money(-p['amount_minor'], p['currency'], STATE.lang)}"
    say(Message("event_corrected_by_event", code=code, seq=seq, event_seq=event['seq'], tail=tail))


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.command("history")(history_cmd)
    app.command("correct")(correct_cmd)
    app.add_typer(audit_app, name="audit")
