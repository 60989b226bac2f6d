"""PostgreSQL's recorder: rows locked with ``FOR UPDATE``, writers of one kind serialised by a
transaction-scoped advisory lock, the plain Core statements otherwise (``workflow.recorders``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from workflow.recorders.base import LOCK, Recorder
from workflow.tables import project as P

_LOCK_FOR_UPDATE = LOCK.with_for_update()
PROJECT_ID_LOCK = 0x5049_5045  # advisory lock key serialising new project ids ("PIPE")


class PostgresRecorder(Recorder):
    name = "postgresql"

    # read_ahead: nothing.  ``FOR UPDATE`` needs the writer's privileges, which a disabled login or an
    # auditor lacks, so the row is locked only after the role check.

    def lock(self, conn: Connection, code: str) -> RowMapping | None:
        return conn.execute(_LOCK_FOR_UPDATE, {"b_code": code}).mappings().first()

    def lock_many(self, conn: Connection, codes: Sequence[str]) -> Iterable[RowMapping]:
        return conn.execute(select(P).where(P.c.code.in_(codes)).with_for_update()).mappings()

    def serialize(self, conn: Connection, key: int) -> None:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")

    def next_project_id(self, conn: Connection) -> int:
        # Not the id sequence (nextval is not transactional, so a dry run, a refusal or a killed import
        # would use codes up): continue after the highest id, under an advisory lock.
        self.serialize(conn, PROJECT_ID_LOCK)
        return super().next_project_id(conn)
