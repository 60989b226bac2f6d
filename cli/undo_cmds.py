"""``pipeline undo CODE`` (take back your own latest entry) and ``pipeline undo-window [DAYS]``.

Thin: call ``workflow.service``, render.  No SQL here.
"""

from __future__ import annotations

import typer

from cli.context import STATE, emit_json, say
from cli.options import JsonFlag, LateFlag, late_entry
from cli.params import INT_MAX
from workflow.catalogue import Message


def undo_cmd(
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    reason: str = typer.Option(None, "--reason", help="Why (default: a standard note; required with --late)."),
    late: LateFlag = False,
    json: JsonFlag = False,
) -> None:
    """Take back your own latest entry on a project (everything one command recorded), if it was
    recorded within the undo window (default: today) and nothing was recorded on the project after it.
    An entry dated in a closed period is taken back only as a late entry (--late --reason)."""
    with late_entry(late, reason):
        doc = STATE.service().undo(code, reason=reason)
    if json:
        emit_json(doc)
        return
    from cli.render import stage_label

    undone = doc["undone"]
    span = str(undone[0]) if len(undone) == 1 else f"{undone[0]}-{undone[-1]}"
    say(Message("undone_event_now_at", code=code, span=span, stage_label=stage_label(doc['stage'], STATE.lang)))


def undo_window_cmd(
    days: int = typer.Argument(None, metavar="DAYS", min=0, max=INT_MAX,
                               help="Days back `pipeline undo` reaches (0: today only); omit to show."),
    reason: str = typer.Option(None, "--reason", help="Why (optional; kept in the set-up ledger)."),
    json: JsonFlag = False,
) -> None:
    """Show or set (admin, from today; a set-up ledger entry) how far back `pipeline undo` reaches."""
    svc = STATE.service(write=days is not None)
    value = svc.undo_window() if days is None else svc.set_undo_window(days, reason=reason)
    if json:
        emit_json({"undo_window_days": value})
    else:
        say(Message("undo_window_today") if value == 0 else Message("undo_window_days", value=value))


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.command("undo")(undo_cmd)
    app.command("undo-window")(undo_window_cmd)
