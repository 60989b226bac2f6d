"""What several commands share: effective-date rules, the guard context, firing transitions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select

from workflow.definition import get_definition
from workflow.definition_model import Transition, WorkflowDefinition
from workflow.encoding import format_utc
from workflow.errors import BadInput, Duplicate, Refused
from workflow.events import Transitioned
from workflow.guards import GuardContext, GuardResult, all_hold, context_of
from workflow.machine import fire as machine_fire
from workflow.machine import may, route, routes
from workflow.store import ProjectRow, Txn
from workflow.tables import event as E


def definition(proj: ProjectRow) -> WorkflowDefinition:
    return get_definition(proj.workflow_name, proj.workflow_version)


def check_on(txn: Txn, proj: ProjectRow, on: date, *, transition: bool) -> None:
    """An effective date lies neither in the future, nor before the project's registration, nor (for
    a transition) before its previous transition (docs/usage.md, `--on` in "Options many commands share")."""
    now = txn.today
    if on > now:
        raise BadInput("on_lies_in_future", on=on, now=now)
    if on < proj.registered_on:
        raise BadInput("on_lies_before_was", on=on, code=proj.code, registered_on=proj.registered_on)
    if transition and on < proj.last_transition_on:
        raise BadInput("on_lies_before_previous", on=on, code=proj.code, last_transition_on=proj.last_transition_on)


def check_stage_allows(proj: ProjectRow, what: str) -> None:
    """The workflow definition's [recording] rule: ``what`` ("capital", "document:eia", ...) may be
    recorded at the project's stage, else Refused (exit 3) naming the stage and what it allows."""
    defn = definition(proj)
    if not defn.recordable(what, proj.stage):
        raise defn.refuse_record(what, proj.stage, proj.code)


def check_money_duplicate(txn: Txn, proj: ProjectRow, kind: str, amount_minor: int, currency: str,
                          on: date) -> None:
    """No silent duplicates: an earlier ``kind`` ("capital" / "investment") entry of the project with
    the same amount, currency and effective date, not reversed since, is a Duplicate (exit 2)."""
    import json

    rows = txn.conn.execute(select(E.c.seq, E.c.kind, E.c.payload, E.c.effective_on, E.c.recorded_at)
                            .where(E.c.project_id == proj.id, E.c.kind.in_((kind, "correction")))
                            .order_by(E.c.seq)).all()
    queued = [(r["seq"], r["kind"], r["payload"], r["effective_on"], r["recorded_at"])
              for r in txn.queued_rows(proj.id) if r["kind"] in (kind, "correction")]
    corrected = set()
    same = []
    for seq, k, payload, eff, recorded in [*rows, *queued]:
        p = json.loads(payload) if isinstance(payload, str) else payload
        if k == "correction":
            corrected.add(p.get("corrects"))
        elif p.get("amount_minor") == amount_minor and p.get("currency") == currency and eff == on:
            same.append((seq, recorded))
    for seq, recorded in same:
        if seq not in corrected:
            raise Duplicate(
                "duplicate_money_entry",
                [{"project": proj.code, "seq": seq, "kind": kind, "amount_minor": amount_minor,
                  "currency": currency, "effective_on": on.isoformat()}], code=proj.code, kind=kind,
                amount={"amount_minor": amount_minor, "currency": currency}, on=on, seq=seq,
                recorded_at=format_utc(recorded))


def guard_context(txn: Txn, proj: ProjectRow, reason: str | None = None,
                  guards: Iterable[str] | None = None) -> GuardContext:
    """The facts the guards read (``workflow.guards.context_of``), read through the transaction: with
    ``guards`` given, only the parts of the facts those guards read."""
    return context_of(proj, txn.facts(proj), reason, guards)


def guard_results(txn: Txn, proj: ProjectRow, transition: Transition, reason: str | None = None
                  ) -> list[GuardResult]:
    """Every guard condition of the machine's ``transition`` from the project's stage, evaluated on
    its facts (``workflow.machine.may``): each result, never only the first failure."""
    judged = may(definition(proj), proj.stage, transition.trigger, proj.held_from,
                 guard_context(txn, proj, reason, transition.guards))
    return [] if judged is None else list(judged.results)


class _Probe:
    """What the shared machine moves: a scratch copy of the stage fields (the event applies them)."""

    __slots__ = ("stage", "held_from")

    def __init__(self, stage: str, held_from: str | None):
        self.stage = stage
        self.held_from = held_from


def guards_hold(txn: Txn, proj: ProjectRow, transition: Transition, reason: str | None = None) -> GuardContext:
    """The guard facts of ``transition`` on the project, once every guard condition of the machine's
    transition holds on them; otherwise Refused (exit 3) naming every failed guard.  The guards are
    worded only for a refusal: a move that is allowed asks each guard once, without words."""
    ctx = guard_context(txn, proj, reason, transition.guards)
    found = route(definition(proj), proj.stage, transition.trigger, proj.held_from)
    if found is not None and not all_hold(found.guards, ctx):
        refuse_failed(proj, transition, guard_results(txn, proj, transition, reason))
    return ctx


def fire(txn: Txn, proj: ProjectRow, transition: Transition, on: date, reason: str | None, *,
         auto: bool = False, ctx: GuardContext | None = None) -> dict:
    """Run ``transition`` through the workflow's shared machine, which judges its guards on the
    project's facts (``ctx``, read here when not given) and keeps the held-from stage (Refused if it
    leads nowhere from here), and emit the ``transition`` event that moves the project."""
    probe = _Probe(proj.stage, proj.held_from)
    if ctx is None:
        ctx = guard_context(txn, proj, reason, transition.guards)
    from_stage, to_stage = machine_fire(definition(proj), probe, transition.trigger, ctx)
    return txn.emit(proj, Transitioned(on=on, name=transition.trigger, source=from_stage, dest=to_stage,
                                       why=reason, held_from=probe.held_from, auto=auto))


def refuse_failed(proj: ProjectRow, transition: Transition, results: list[GuardResult]) -> None:
    failed = [r for r in results if not r.ok]
    if failed:
        raise Refused("transition_refused", [r.detail() for r in failed], code=proj.code,
                      trigger=transition.trigger, reasons=[r.said for r in failed])


def auto_transitions(txn: Txn, proj: ProjectRow, on: date) -> None:
    """Fire a transition marked ``auto`` once the machine would fire it (the first capital fires ``fund``)."""
    defn = definition(proj)
    for r in routes(defn, proj.stage, proj.held_from):
        if r.transition.auto and r.dest is not None:
            ctx = guard_context(txn, proj, None, r.transition.guards)
            if all_hold(r.guards, ctx):
                check_on(txn, proj, on, transition=True)
                fire(txn, proj, r.transition, on, None, auto=True, ctx=ctx)
                return


def jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
