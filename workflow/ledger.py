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
recomputes the chain (:func:`verify_ledger`) and judges who wrote each entry (:func:`actor_problems`);
``audit checkpoint`` prints the ledger head.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.catalogue import Message
from workflow.day_rules import USER_KINDS, State, _before_and_after
from workflow.encoding import GENESIS, canonical, format_utc
from workflow.recorders import recorder
from workflow.tables import event as E
from workflow.tables import ledger as L
from workflow.values import reason as check_reason

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
    """Append one entry in the caller's transaction; returns it as ``entry_json`` shows it.  ``reason``
    is free text (docs/text-and-errors.md), checked here first (``workflow.values.reason``: stripped,
    blank is None, no control characters, at most 4000 characters), so every entry's reason is, on
    every path, before anything is written (BadInput, exit 2)."""
    reason = check_reason(reason, Message("reason"))
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
            problems.append({"code": "ledger", "seq": expected,
                             "problem": Message("ledger_entry_missing", seq=expected)})
        if r["prev_hash"] != prev:
            problems.append({"code": "ledger", "seq": seq, "problem": Message("ledger_prev_hash_differs")})
        try:
            again = entry_hash(seq, r["kind"], r["target"], r["payload"], r["reason"], r["actor"],
                               r["recorded_at"], r["prev_hash"], r["after_event"])
        except (ValueError, TypeError):
            again = ""
        if again != r["hash"]:
            problems.append({"code": "ledger", "seq": seq, "problem": Message("ledger_entry_altered")})
        prev = r["hash"]
        expected = seq + 1
    return problems


# What the migrations that carried rows over into the ledger (0007, 0009) write as actor and reason.
UPGRADE_ACTOR, UPGRADE_REASON = "upgrade", "carried over at upgrade"


def _carried_over(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("carried_over") is True


def _set_up_row(payload: Any) -> bool:
    """An entry in the form of ``workflow.setup_rows`` (schema 0009 on) that a command wrote."""
    return isinstance(payload, dict) and "table" in payload and "row" in payload and not _carried_over(payload)


def actor_problems(conn: Connection, admin: tuple[str, ...]) -> list[tuple[int, Message, Any, Any]]:
    """Every entry whose actor may not have written it (docs/audit.md, "Who wrote each set-up ledger
    entry"): ``(seq, message, expected, found)``.  Every command that appends an entry needs a role
    of ``admin`` (``workflow.access.ADMIN``, given by the caller), judged by the roles and disabled
    flags the ledger itself had made up to that entry (``workflow.day_rules``), with two exceptions the product writes:

    * ``init``'s first admin (``workflow.access.bootstrap_admin``): a ``user_added`` entry making a
      login that is no user an admin while no login is admin, by whoever ran ``init``;
    * the upgrades that carried rows over (``UPGRADE_ACTOR``/``UPGRADE_REASON``): settings and
      carried-over set-up rows, before the first entry a command wrote in the set-up-row form.

    A login's state before its first user entry is what that entry says it was (entries from before
    schema 0009, whose users came before the ledger) only until that first command-written set-up
    row: from then on every user has an entry, and a login without one is no user."""
    rows = []
    for seq, kind, target, text, reason, actor in conn.execute(
            select(L.c.seq, L.c.kind, L.c.target, L.c.payload, L.c.reason, L.c.actor).order_by(L.c.seq)):
        try:
            payload = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            payload = None  # the chain check reports an unreadable payload
        rows.append((seq, kind, target, payload if isinstance(payload, dict) else {}, reason, actor))
    state: dict[str, State] = {}  # each login as the entries so far make it (its first: as it says)
    for _seq, kind, target, payload, _reason, _actor in rows:
        if kind in USER_KINDS and target not in state:
            before, _ = _before_and_after(kind, payload, None)
            state[target] = before if before is not None else (None, False)
    seen: set[str] = set()
    current = False  # a command has written a set-up row: every user has an entry by now
    out: list[tuple[int, Message, Any, Any]] = []
    for seq, kind, target, payload, reason, actor in rows:
        if not current and _set_up_row(payload):
            current = True
            for login in set(state) - seen:
                state[login] = (None, False)
        role, disabled = state.get(actor, (None, False))
        upgrade = (actor == UPGRADE_ACTOR and reason == UPGRADE_REASON and not current
                   and (kind == "setting" or ("table" in payload and _carried_over(payload))))
        bootstrap = False
        if kind == "user_added" and not _carried_over(payload):
            _, made = _before_and_after(kind, payload, None)
            bootstrap = (made[0] == "admin" and state.get(target, (None, False))[0] is None
                         and not any(r == "admin" for r, _d in state.values()))
        if not (upgrade or bootstrap):
            if role not in admin:
                message = (Message("ledger_actor_no_user", seq=seq, kind=kind, actor=actor) if role is None else
                           Message("ledger_actor_role", seq=seq, kind=kind, actor=actor, role=role))
                out.append((seq, message, "admin", actor))
            elif disabled:
                out.append((seq, Message("ledger_actor_disabled", seq=seq, kind=kind, actor=actor), "admin", actor))
        if kind in USER_KINDS:
            _, state[target] = _before_and_after(kind, payload, state.get(target))
            seen.add(target)
    return out


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
