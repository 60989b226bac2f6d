"""Canonical event bytes and the per-project hash chain.

An event's hash is SHA-256 over the RFC 8785 canonical JSON of its stored fields, including the
previous event's hash, so editing, removing or reordering any event breaks every later link.
Timestamps are hashed as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` so SQLite and PostgreSQL give the same
bytes; dates as ``YYYY-MM-DD``; amounts as integers; payloads as parsed JSON objects.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

GENESIS = "0" * 64


def format_utc(ts: datetime) -> str:
    """A UTC timestamp in the hashed form; naive datetimes are taken as UTC."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value) -> bytes:
    """RFC 8785 canonical JSON (the reference ``rfc8785`` implementation)."""
    import rfc8785

    return rfc8785.dumps(value)


def payload_text(payload: dict) -> str:
    """The stored form of a payload: its canonical JSON as text."""
    return canonical_json(payload).decode("utf-8")


def event_document(
    *,
    project: str,
    seq: int,
    kind: str,
    trigger: str | None,
    from_stage: str | None,
    to_stage: str | None,
    effective_on: date | str,
    recorded_at: datetime | str,
    actor: str,
    reason: str | None,
    payload: dict | str,
    prev_hash: str,
) -> dict:
    """The JSON object that is hashed for one event."""
    if isinstance(payload, str):
        payload = json.loads(payload)
    return {
        "project": project,
        "seq": seq,
        "kind": kind,
        "trigger": trigger,
        "from": from_stage,
        "to": to_stage,
        "effective_on": effective_on if isinstance(effective_on, str) else effective_on.isoformat(),
        "recorded_at": recorded_at if isinstance(recorded_at, str) else format_utc(recorded_at),
        "actor": actor,
        "reason": reason,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def event_bytes(**fields) -> bytes:
    return canonical_json(event_document(**fields))


def event_hash(**fields) -> str:
    return hashlib.sha256(event_bytes(**fields)).hexdigest()
