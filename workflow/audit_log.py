"""The audit log (``audit log``): history events and set-up ledger entries filtered by date, actor,
unit, stage and kind; and one project's history with its corrections (docs/audit.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import or_, select

from workflow import ledger
from workflow.audit import verify_project
from workflow.checkpoints import latest_checkpoint
from workflow.codes import normalize_code
from workflow.definition import default_definition
from workflow.encoding import event_json
from workflow.errors import BadInput, NotFound
from workflow.find import project_not_found, stage_key, unit_code
from workflow.snapshot import snapshot_connection
from workflow.tables import event as E
from workflow.tables import project as P
from workflow.tables import unit as U
from workflow.words import EVENT_KINDS, event_kinds


def log_query(*, date_from: date | None = None, date_to: date | None = None, actor: str | None = None,
              unit: str | None = None, stage: str | None = None, kind: str | None = None,
              project_id: int | None = None):
    """The SELECT behind ``audit log`` (and ``history``): events with their project's code and unit,
    by effective date then write order."""
    stmt = (select(E.c.seq, E.c.kind, E.c.trigger, E.c.from_stage, E.c.to_stage, E.c.effective_on,
                   E.c.recorded_at, E.c.actor, E.c.reason, E.c.payload, E.c.hash, E.c.prev_hash,
                   P.c.code, P.c.unit_code, E.c.id.label("event_id"))
            .select_from(E.join(P, P.c.id == E.c.project_id)))
    if project_id is not None:
        return stmt.where(E.c.project_id == project_id).order_by(E.c.seq)
    if date_from is not None:
        stmt = stmt.where(E.c.effective_on >= date_from)
    if date_to is not None:
        stmt = stmt.where(E.c.effective_on <= date_to)
    if actor is not None:
        stmt = stmt.where(E.c.actor == actor)
    if unit is not None:
        stmt = stmt.where(P.c.unit_code == unit)
    if stage is not None:
        stmt = stmt.where(or_(E.c.from_stage == stage, E.c.to_stage == stage))
    if kind is not None:
        stmt = stmt.where(E.c.kind == kind)
    return stmt.order_by(E.c.effective_on, E.c.id)


def iter_log(engine, *, batch: int = 2000, setup: bool = False, **filters) -> Iterator[dict]:
    """Stream ``audit log`` events (constant memory: a server-side cursor / ``yield_per`` batches).
    ``setup``: the set-up ledger's entries too (:func:`setup_rows`), each in its place — by its
    effective date, then after the last event written before it (``after_event``)."""
    stmt = log_query(**filters)
    with engine.connect() as conn:
        pending = setup_rows(conn, filters) if setup else []
        at = 0
        result = conn.execution_options(yield_per=batch).execute(stmt)
        for row in result.mappings():
            place = (row["effective_on"].isoformat(), row["event_id"])
            while at < len(pending) and pending[at]["_place"] < place:
                yield _without_place(pending[at])
                at += 1
            event = event_json(row)
            event["code"] = row["code"]
            event["unit"] = row["unit_code"]
            yield event
        for entry in pending[at:]:
            yield _without_place(entry)
        conn.rollback()


def setup_rows(conn, filters: dict) -> list[dict]:
    """The set-up ledger's entries as ``audit log`` rows (``"setup": true``, no project), with their
    place in the log's order; ``date_from``/``date_to`` bound their effective dates and ``actor`` keeps
    one actor's."""
    rows = []
    for e in ledger.setup_log(conn, date_from=filters.get("date_from"), date_to=filters.get("date_to"),
                              actor=filters.get("actor")):
        rows.append({"code": None, "unit": None, "setup": True, "seq": e["seq"], "kind": e["kind"],
                     "target": e["target"], "trigger": None, "from": None, "to": None,
                     "effective_on": e["effective_on"], "recorded_at": e["recorded_at"], "actor": e["actor"],
                     "reason": e["reason"], "payload": e["payload"], "hash": e["hash"], "prev_hash": e["prev_hash"],
                     "_place": (e["effective_on"], e["after_event"] or 0, 0.5)})
    rows.sort(key=lambda r: (r["_place"], r["seq"]))
    return rows


def _without_place(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "_place"}


def check_log_filters(conn, *, unit: str | None, stage: str | None, kind: str | None
                      ) -> tuple[str | None, str | None, str | None]:
    """Refuse unknown units, stages and kinds before streaming starts (exit 2 / 4, never half a log);
    returns them as keys (a unit may be named, a stage or kind given in English or Chinese)."""
    if unit is not None:
        unit = unit_code(conn, unit)
    if stage is not None:
        stage = stage_key(stage)
    if kind is not None:
        kind = event_kinds().find(kind) or kind  # a kind of event this program does not know: refused below

    if unit is not None and conn.execute(select(U.c.code).where(U.c.code == unit)).first() is None:
        raise NotFound("no_unit", [{"unit": unit}], unit=unit)
    if stage is not None:
        default_definition().stage(stage)
    if kind is not None and kind not in EVENT_KINDS:
        if conn.execute(select(E.c.id).where(E.c.kind == kind).limit(1)).first() is None:
            raise BadInput("kind_is_not_event", kind=kind, kinds=list(EVENT_KINDS))
    return unit, stage, kind


def corrections_of(events: list[dict]) -> dict[int, int]:
    """seq of a corrected event -> seq of the correction naming it."""
    out: dict[int, int] = {}
    for e in events:
        if e["kind"] == "correction":
            target = (e.get("payload") or {}).get("corrects")
            if isinstance(target, int) and target not in out:
                out[target] = e["seq"]
    return out


def project_history(engine, code: str) -> dict:
    """``history CODE``: the project's header, every event in ``seq`` order, the result of checking its
    chain and row, the latest checkpoint, and the threshold changes that changed its light
    (``settings``, ``workflow.light_changes``); one snapshot, reads only."""
    with snapshot_connection(engine) as conn:
        proj = conn.execute(
            select(P.c.id, P.c.code, P.c.name, P.c.investor, P.c.industry, P.c.key, P.c.stage, P.c.stage_since,
                   P.c.unit_code, U.c.name.label("unit_name"), P.c.planned_investment_minor,
                   P.c.planned_currency, P.c.head_seq, P.c.head_hash, P.c.version, P.c.registered_on)
            .select_from(P.outerjoin(U, U.c.code == P.c.unit_code)).where(P.c.code == normalize_code(code))
        ).mappings().first()
        if proj is None:
            raise project_not_found(conn, code)
        events = [event_json(r) for r in conn.execute(log_query(project_id=proj["id"])).mappings()]
        chain = verify_project(conn, proj["id"])
        latest = latest_checkpoint(conn)
        from workflow.light_changes import light_changes

        settings = light_changes(conn, conn.execute(select(P).where(P.c.id == proj["id"])).mappings().one())
        conn.rollback()
    return {
        "code": proj["code"], "name": proj["name"], "investor": proj["investor"], "industry": proj["industry"],
        "key": bool(proj["key"]), "stage": proj["stage"], "stage_since": proj["stage_since"].isoformat(),
        "unit": proj["unit_code"], "unit_name": proj["unit_name"],
        "planned_investment": {"amount_minor": int(proj["planned_investment_minor"]),
                               "currency": proj["planned_currency"]},
        "registered_on": proj["registered_on"].isoformat(), "version": proj["version"],
        "head_seq": proj["head_seq"], "head_hash": proj["head_hash"], "events": events,
        "corrected": corrections_of(events), "chain": chain, "checkpoint": latest, "settings": settings,
    }
