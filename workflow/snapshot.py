"""Reading the database as it stood at one moment: a connection whose reads share one snapshot, and
the rows of a driver-level SELECT streamed (``audit verify``, the replay, bundles; docs/audit.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def snapshot_connection(engine: Any) -> Any:
    """A connection whose reads share one snapshot (PostgreSQL: REPEATABLE READ)."""
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def stream(conn: Any, sql: str, params: tuple = ()) -> Iterator[Any]:
    """Rows of a driver-level SELECT, streamed: on SQLite straight from the sqlite3 cursor (it steps
    lazily; the SQLAlchemy row layer would cost a quarter of verify's time), elsewhere through a
    server-side cursor in batches."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("SELECT 1").close()  # make sure the transaction (the snapshot) has begun
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.arraysize = 1000
            yield from cursor.execute(sql, params)
        finally:
            cursor.close()
        return
    result = conn.execution_options(stream_results=True, max_row_buffer=5000).exec_driver_sql(sql, params)
    yield from result
