"""SQLite's recorder (``workflow.recorders``).  The engine's ``BEGIN IMMEDIATE`` takes the database's
write lock at a transaction's first statement, so every writer already takes its turn: rows need no
row lock and no writers need serialising.  That also lets a single write read its project row
together with the write gate, before the role check (one statement instead of two): SQLite has no
privileges, so reading the row first changes nothing but a round trip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from workflow.recorders import LOCK_GATED, Recorder


class SQLiteRecorder(Recorder):
    name = "sqlite"

    def read_ahead(self, conn: Connection, code: str, actor: str) -> Mapping[str, Any] | None:
        return conn.execute(LOCK_GATED, {"b_code": code, "b_login": actor}).mappings().first()

    def next_project_id(self, conn: Connection) -> int:
        # AUTOINCREMENT's counter: codes are never reused, even after a row went missing.
        seq = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'project'").scalar()
        return max(seq or 0, super().next_project_id(conn) - 1) + 1
