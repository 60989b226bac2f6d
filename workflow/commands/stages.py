"""Moving a project through its workflow."""

from __future__ import annotations

from datetime import date

from workflow.catalogue import Message
from workflow.commands.common import check_on, definition, fire, guards_hold
from workflow.errors import NotAllowed, Refused
from workflow.events import LEAD_ROLE, Retired
from workflow.machine import resolve
from workflow.rows import ProjectRow
from workflow.store import Txn
from workflow.values import reason as check_reason


def advance(txn: Txn, proj: ProjectRow, *, target: str, on: date, reason: str | None = None) -> None:
    """Fire the transition named by ``target`` (a trigger or a destination stage) if every guard
    holds; a refusal names every failed guard (Refused, exit 3)."""
    reason = check_reason(reason, Message("reason"))
    transition = resolve(definition(proj), proj.stage, target, proj.held_from)
    ctx = guards_hold(txn, proj, transition, reason)
    check_on(txn, proj, on, transition=True)
    fire(txn, proj, transition, on, reason, ctx=ctx)


def retire(txn: Txn, proj: ProjectRow, *, on: date, reason: str | None, role: str | None = None) -> None:
    """出库: the project leaves the pipeline for the final stage ``retired`` (docs/usage.md, "Retiring a
    project"), with a reason; an admin, or the leader who is the project's lead leader.  From a final
    stage it is Refused (exit 3)."""
    why = check_reason(reason, Message("versions_retire_needs_reason"), required_=True)
    assert why is not None
    if role == "leader" and not any(h["person_login"] == txn.actor for h in txn.facts(proj).holders.get(LEAD_ROLE, ())):
        raise NotAllowed("versions_retire_not_lead", code=proj.code, actor=txn.actor)
    if definition(proj).stage(proj.stage).is_final:
        raise Refused("versions_retire_final", code=proj.code, stage=proj.stage)
    check_on(txn, proj, on, transition=True)
    txn.emit(proj, Retired(on=on, source=proj.stage, why=why))
