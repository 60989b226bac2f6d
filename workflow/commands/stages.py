"""Moving a project through its workflow."""

from __future__ import annotations

from datetime import date

from workflow.commands.common import check_on, definition, fire, guards_hold
from workflow.machine import resolve
from workflow.rows import ProjectRow
from workflow.store import Txn
from workflow.values import optional_text

REASON_LIMIT = 4000


def advance(txn: Txn, proj: ProjectRow, *, target: str, on: date, reason: str | None = None) -> None:
    """Fire the transition named by ``target`` (a trigger or a destination stage) if every guard
    holds; a refusal names every failed guard (Refused, exit 3)."""
    reason = optional_text(reason, "--reason", REASON_LIMIT, multiline=True)
    reason = reason.strip() if reason and reason.strip() else None
    transition = resolve(definition(proj), proj.stage, target, proj.held_from)
    ctx = guards_hold(txn, proj, transition, reason)
    check_on(txn, proj, on, transition=True)
    fire(txn, proj, transition, on, reason, ctx=ctx)
