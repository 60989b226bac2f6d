"""Checkpoints and their digest (docs/audit.md): the running digest over history and the set-up
ledger, a digest typed by an auditor, and the stored checkpoints read back.  Taking one verifies
first: ``workflow.audit.checkpoint``.

A chain alone cannot show that a tail or a whole project was cut off.  A checkpoint's digest is
a running SHA-256 over every event hash in the order the events were written (``event.id``)::

    G0 = 32 zero bytes;  Gk = SHA-256(G(k-1) || ascii hex hash of event k);  digest = hex(Gn)

The set-up ledger's entries (period closes with their frozen figures, unit and user edits) are
folded into the same running hash at their place in that order: entry e, appended when the last
event written was ``after_event``, enters right after that event (``Gk = SHA-256(G(k-1) || ascii
hex hash of entry e)``), so the digest also fixes the ledger up to its head at that moment.

Each event hash covers its project code, its ``seq`` and the previous hash of its project, so
the digest fixes every project's (code, last seq, head hash) at that moment; the checkpoint row
also stores those heads so that ``verify`` can name the project and event that changed.  The
digest is computed from a snapshot in which the visible events are a prefix of the write order
(SQLite serialises writers; on PostgreSQL the snapshot is retried until no writer is in flight),
so later appends never change it.  ``verify --digest D`` recomputes the running hash over the
events as they are now and passes only if some prefix reproduces ``D``: an event covered by
the checkpoint that was edited, removed, reordered or re-hashed, a truncated chain or a deleted
project all make that impossible (short of a SHA-256 collision), whether or not the checkpoint
row is still in the database.  The row only adds precision (which project, which event).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from workflow import ledger
from workflow.encoding import format_utc
from workflow.errors import BadInput
from workflow.tables import checkpoint as C

DIGEST_GENESIS = bytes(32)


class LedgerFolds:
    """The ledger entries to fold into a running digest, by their place in the write order of history
    (``workflow.ledger.positions``).  ``at`` is the event id after which the next one enters (None when
    none is left); :meth:`fold` folds every entry placed before the event ``before`` (all of them with
    None), checking each new state against ``target``."""

    __slots__ = ("rows", "i", "at")

    def __init__(self, conn):
        self.rows = ledger.positions(conn)
        self.i = 0
        self.at: int | None = self.rows[0][0] if self.rows else None

    def fold(self, g: bytes, before: int | None, target: bytes | None, matched: int | None,
             done: int) -> tuple[bytes, int | None]:
        rows, i, sha256 = self.rows, self.i, hashlib.sha256
        while i < len(rows) and (before is None or rows[i][0] < before):
            g = sha256(g + rows[i][1].encode("ascii")).digest()
            if matched is None and g == target:
                matched = done
            i += 1
        self.i = i
        self.at = rows[i][0] if i < len(rows) else None
        return g, matched


def running_digest(hashes, start: bytes = DIGEST_GENESIS) -> bytes:
    """The checkpoint digest over event hashes in write order (see the module docstring)."""
    g = start
    sha = hashlib.sha256
    for h in hashes:
        g = sha(g + h.encode("ascii")).digest()
    return g


LEDGER_HEAD = "ledger"  # the checkpoint heads' entry for the set-up ledger (no project has this code)


def normalise_digest(digest: str) -> str:
    value = digest.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise BadInput("bad_digest", digest=digest)
    return value


def checkpoint_row(conn, digest: str | None) -> dict | None:
    stmt = select(C).order_by(C.c.id.desc()).limit(1)
    if digest is not None:
        stmt = select(C).where(C.c.digest == digest).order_by(C.c.id.desc()).limit(1)
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def latest_checkpoint(conn) -> dict | None:
    """The newest stored checkpoint without its heads (a row per project: megabytes on a large
    database, and ``history`` shows this on every page)."""
    rows = list_checkpoints(conn, 1)
    return rows[0] if rows else None


def list_checkpoints(conn, limit: int = 50) -> list[dict]:
    rows = conn.execute(select(C.c.digest, C.c.projects, C.c.events, C.c.at, C.c.actor)
                        .order_by(C.c.id.desc()).limit(limit)).mappings()
    return [{"digest": r["digest"], "projects": r["projects"], "events": r["events"], "at": format_utc(r["at"]),
             "actor": r["actor"]} for r in rows]
