"""Closed periods as the write path sees them: which periods are closed now (read from the set-up
ledger, cached by its head hash), the refusal of an entry dated inside one, and late entries (补录)
written with a reason (docs/lights-and-reports.md).  Closing and reopening a period, which freezes
its reports, is ``workflow.closing``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from workflow.catalogue import Message
from workflow.errors import Refused
from workflow.tables import ledger as L
from workflow.values import reason as check_reason

CLOSED, REOPENED = "period_closed", "period_reopened"

_LATE: ContextVar[str | None] = ContextVar("pipeline_late_reason", default=None)


@contextmanager
def late(reason: str | None) -> Iterator[None]:
    """Writes inside are late entries (补录) for closed periods, with ``reason`` (required)."""
    why = check_reason(reason, Message("late_needs_reason_text"),
                       required_=True)
    token = _LATE.set(why)
    try:
        yield
    finally:
        _LATE.reset(token)


def late_reason() -> str | None:
    return _LATE.get()


# Every write transaction reads the closes once (the kernel refuses entries dated in a closed period):
# the statement is built once, so SQLAlchemy compiles it once.
_CLOSES = (select(L.c.kind, L.c.target, L.c.seq, L.c.payload).where(L.c.kind.in_((CLOSED, REOPENED)))
           .order_by(L.c.seq))


def closed_periods(conn: Connection) -> dict[str, dict]:
    """label -> {"start", "end", "seq"} of every period closed now (its latest entry is a close)."""
    latest: dict[str, tuple[str, int, Any]] = {}
    for kind, target, seq, payload in conn.execute(_CLOSES):
        latest[target] = (kind, seq, payload)
    out = {}
    for label, (kind, seq, payload) in latest.items():
        if kind == CLOSED:
            p = json.loads(payload)
            out[label] = {"start": date.fromisoformat(p["start"]), "end": date.fromisoformat(p["end"]), "seq": seq}
    return out


def closed_ranges(conn: Connection) -> list[tuple[date, date, str]]:
    return sorted((v["start"], v["end"], k) for k, v in closed_periods(conn).items())


# Closed ranges by the ledger head hash they were read at.  The ledger is append-only and hash-chained,
# so its head hash names its whole content, closes and reopenings included: the same head, in any
# database, means the same closed periods.  A write reads the head anyway (``workflow.gate``).
_RANGES_AT: dict[str, list[tuple[date, date, str]]] = {}


def closed_ranges_at(conn: Connection, head: str | None) -> list[tuple[date, date, str]]:
    """``closed_ranges`` for a ledger whose head hash is ``head`` (None: an empty ledger, nothing closed)."""
    if head is None:
        return []
    ranges = _RANGES_AT.get(head)
    if ranges is None:
        if len(_RANGES_AT) >= 64:
            _RANGES_AT.clear()
        ranges = _RANGES_AT[head] = closed_ranges(conn)
    return ranges


def closed_detail(label: str, on: date) -> dict[str, Any]:
    """The detail of every refusal of an entry dated ``on`` inside the closed period ``label`` (a new
    entry's, an undo's): the guard ``period_closed`` with its message, which the command line prints
    after "✗" and ``--json`` gives with its code and fields (docs/lights-and-reports.md)."""
    return {"guard": "period_closed", "period": label, "effective_on": on.isoformat(),
            "message": Message("period_is_closed", label=label)}


def refuse_closed(label: str, on: date, kind: str | None = None) -> Refused:
    """The refusal of an entry (of event ``kind``, when given) dated inside the closed period ``label``."""
    details = [closed_detail(label, on)]
    if kind is None:
        return Refused("closed_period_entry", details, on=on, label=label)
    return Refused("closed_period_kind_entry", details, kind=kind, on=on, label=label)
