"""Reading the database as it stood at one moment: a connection whose reads share one snapshot, the
rows of a driver-level SELECT streamed, and on PostgreSQL a snapshot in which history is a prefix of
the write order (``audit verify``, checkpoints, the replay, bundles; docs/audit.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text

from workflow.errors import Conflict
from workflow.ledger import LEDGER_LOCK


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


# Writers that may leave a gap in the event ids this snapshot sees: every other transaction holding a
# row-exclusive lock on this database's ``event`` table (it inserted events, or is inserting them; an
# in-progress writer whose xid is not below the snapshot's xmax is not in its xip list, so the list
# alone is not enough), and every transaction of the xip list that has ended since (it cannot be told
# apart any more).  A transaction appending to the set-up ledger (it holds the ledger's advisory lock)
# counts too: its entry takes its place in the write order from the events it saw.  Readers, writers
# of other tables and other databases' transactions do not count.
_BUSY_WRITERS = """
WITH running AS (
  SELECT l.transactionid::text AS xid FROM pg_locks l
  WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
), writers AS (
  SELECT DISTINCT l.pid FROM pg_locks l
  WHERE l.locktype = 'relation' AND l.relation = 'event'::regclass AND l.granted
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()
  UNION
  SELECT l.pid FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = {ledger_lock} AND l.objsubid = 1 AND l.granted
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.pid <> pg_backend_pid()
), xip AS (
  SELECT (x::text::numeric % 4294967296)::text AS xid FROM pg_snapshot_xip(pg_current_snapshot()) AS x
)
SELECT (SELECT count(*) FROM writers)
     + (SELECT count(*) FROM xip WHERE NOT EXISTS (SELECT 1 FROM running r WHERE r.xid = xip.xid))
"""


def wait_for_clean_prefix(conn: Any, timeout: float = 30.0) -> None:
    """PostgreSQL: make the transaction's snapshot one with no writer of this database's history in
    flight, so the visible events are a prefix of the ``event.id`` order.  Only transactions that
    insert events here count (``_BUSY_WRITERS``): readers, other tables' writers and other databases'
    transactions are not waited for.  One that has not inserted an event yet allocates its ids after
    the snapshot, above every id it sees.  SQLite needs nothing: writers are serialised
    and a read snapshot always sees a prefix."""
    if conn.dialect.name != "postgresql":
        return

    deadline = time.monotonic() + timeout
    while True:
        busy = conn.execute(text(_BUSY_WRITERS.replace("{ledger_lock}", str(LEDGER_LOCK)))).scalar()
        if not busy:
            return
        conn.rollback()
        if time.monotonic() > deadline:
            raise Conflict("database_stayed_busy_with")
        time.sleep(0.05)
