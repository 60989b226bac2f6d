"""The set-up ledger: what is recorded and is not a project's event — every set-up change (units,
people, users, leader rules, targets: ``workflow.setup_rows``; settings: ``workflow.settings``), and
(for closed periods) a period closed or reopened.  docs/audit.md lists the entry kinds.

Append-only and hash-chained like history (triggers refuse UPDATE and DELETE): entry ``seq`` n has
``prev_hash`` = entry n-1's ``hash`` (64 zeros for the first), and ``hash`` is SHA-256 over the
RFC 8785 canonical JSON of ``{"seq", "kind", "target", "payload", "reason", "actor", "recorded_at",
"prev_hash"}`` (``payload`` parsed, ``recorded_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), plus
``"after_event"`` on entries that have one (schema 0006 on).  ``after_event`` is the id of the last
event written before the entry (0 when there is none): its place in the write order of history,
where ``audit checkpoint`` folds the entry's hash into the digest (``workflow.audit``), so a digest
kept by an auditor covers the frozen figures of closed periods and the set-up edits too.  Writers
serialise on the ledger head (SQLite: the write transaction; PostgreSQL: an advisory lock), and
``seq`` is the primary key, so two writers can never both append entry n.  ``audit verify``
recomputes the chain (:func:`verify_ledger`); ``audit checkpoint`` prints the ledger head.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.encoding import GENESIS, canonical, format_utc
from workflow.recorders import recorder
from workflow.tables import event as E
from workflow.tables import ledger as L

LEDGER_LOCK = 0x5049_504C  # the key serialising ledger appends ("PIPL"; workflow.recorders)


def entry_hash(seq: int, kind: str, target: str, payload: Any, reason: str | None, actor: str,
               recorded_at: Any, prev_hash: str, after_event: int | None = None) -> str:
    if isinstance(payload, str):
        payload = json.loads(payload)
    doc = {"seq": seq, "kind": kind, "target": target, "payload": payload, "reason": reason, "actor": actor,
           "recorded_at": recorded_at if isinstance(recorded_at, str) else format_utc(recorded_at),
           "prev_hash": prev_hash}
    if after_event is not None:
        doc["after_event"] = after_event
    return hashlib.sha256(canonical(doc)).hexdigest()


def append(conn: Connection, actor: str, kind: str, target: str, payload: dict[str, Any],
           reason: str | None = None) -> dict:
    """Append one entry in the caller's transaction; returns it as ``entry_json`` shows it."""
    recorder(conn).serialize(conn, LEDGER_LOCK)  # PostgreSQL: an advisory lock; SQLite: the write transaction
    head = conn.execute(select(L.c.seq, L.c.hash).order_by(L.c.seq.desc()).limit(1)).first()
    seq = (head[0] + 1) if head else 1
    prev = head[1] if head else GENESIS
    after = conn.execute(select(func.coalesce(func.max(E.c.id), 0))).scalar_one()
    at = clock.utcnow()
    text = canonical(payload).decode("utf-8")
    digest = entry_hash(seq, kind, target, text, reason, actor, at, prev, after)
    row = {"seq": seq, "kind": kind, "target": target, "payload": text, "reason": reason, "actor": actor,
           "recorded_at": at, "prev_hash": prev, "hash": digest, "after_event": after}
    conn.execute(insert(L).values(**row))
    return entry_json(row)


def entry_json(row: Any) -> dict:
    payload = row["payload"]
    return {"seq": row["seq"], "kind": row["kind"], "target": row["target"],
            "payload": json.loads(payload) if isinstance(payload, str) else payload, "reason": row["reason"],
            "actor": row["actor"], "recorded_at": format_utc(row["recorded_at"]), "prev_hash": row["prev_hash"],
            "hash": row["hash"], "after_event": row["after_event"]}


def entries(conn: Connection, *, kind_prefix: str | None = None, target: str | None = None) -> list[dict]:
    stmt = select(L).order_by(L.c.seq)
    if kind_prefix is not None:
        stmt = stmt.where(L.c.kind.like(kind_prefix + "%"))
    if target is not None:
        stmt = stmt.where(L.c.target == target)
    return [entry_json(r) for r in conn.execute(stmt).mappings()]


def head(conn: Connection) -> dict:
    row = conn.execute(select(L.c.seq, L.c.hash).order_by(L.c.seq.desc()).limit(1)).first()
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": GENESIS}


def positions(conn: Connection) -> list[tuple[int, str]]:
    """``(after_event, hash)`` of every entry that has a place in the write order, in ledger order
    (``after_event`` never decreases along the ledger: appends serialise and events are never removed)."""
    return [(int(a), h) for a, h in conn.execute(
        select(L.c.after_event, L.c.hash).where(L.c.after_event.is_not(None)).order_by(L.c.seq))]


def verify_ledger(conn: Connection) -> list[dict]:
    """Every problem of the ledger chain: ``{"code": "ledger", "seq", "problem"}`` (empty: intact)."""
    problems: list[dict] = []
    prev = GENESIS
    expected = 1
    for r in conn.execute(select(L).order_by(L.c.seq)).mappings():
        seq = r["seq"]
        if seq != expected:
            problems.append({"code": "ledger", "seq": expected, "problem": f"ledger entry {expected} is missing"})
        if r["prev_hash"] != prev:
            problems.append({"code": "ledger", "seq": seq,
                             "problem": "prev_hash does not match the previous ledger entry's hash"})
        try:
            again = entry_hash(seq, r["kind"], r["target"], r["payload"], r["reason"], r["actor"],
                               r["recorded_at"], r["prev_hash"], r["after_event"])
        except (ValueError, TypeError):
            again = ""
        if again != r["hash"]:
            problems.append({"code": "ledger", "seq": seq,
                             "problem": "the ledger entry's hash does not match its fields (altered)"})
        prev = r["hash"]
        expected = seq + 1
    return problems


def effective_on(entry: dict) -> str:
    """The date an entry takes effect: its payload's ``effective_on`` (settings, ``workflow.settings``;
    set-up rows, ``workflow.setup_rows``), else the day it was recorded in the configured time zone."""
    payload = entry.get("payload")
    if isinstance(payload, dict) and payload.get("effective_on"):
        return str(payload["effective_on"])
    from datetime import datetime

    return clock.local_date(datetime.fromisoformat(entry["recorded_at"].replace("Z", "+00:00"))).isoformat()


def setup_log(conn: Connection, *, date_from: Any = None, date_to: Any = None, actor: str | None = None,
              kind: str | None = None) -> list[dict]:
    """``audit log --setup``: the ledger's entries in recorded order, each with its ``effective_on``;
    ``date_from``/``date_to`` bound the effective dates, ``actor`` and ``kind`` keep one."""
    out = []
    stmt = select(L).order_by(L.c.seq)
    if actor is not None:
        stmt = stmt.where(L.c.actor == actor)
    if kind is not None:
        stmt = stmt.where(L.c.kind == kind)
    for row in conn.execute(stmt).mappings():
        entry = entry_json(row)
        day = effective_on(entry)
        if (date_from is None or day >= date_from.isoformat()) and (date_to is None or day <= date_to.isoformat()):
            out.append({**entry, "effective_on": day})
    return out
