"""How each database engine records a write: everything the write path does differently on SQLite
and on PostgreSQL, behind one interface (:class:`Recorder`).

The transaction kernel (``workflow.store.Txn``) and the commands never ask which engine they run
on; they call the recorder of their connection (:func:`recorder`):

- ``read_ahead``: the project row read together with the write gate before the role check (SQLite,
  whose write transaction already holds the database's lock), or nothing (PostgreSQL, where
  ``FOR UPDATE`` needs the writer's privileges, which a disabled login or an auditor lacks);
- ``lock`` / ``lock_many``: the project rows, locked for the transaction;
- ``serialize``: serialise the writers of one kind (new project or problem ids, letter numbers,
  ledger appends, lead caps) until the transaction ends;
- ``next_project_id``: the next project id (codes are never reused);
- ``insert``: insert many rows of one table (``store.insert_many``);
- ``save``: the compare-and-set update of changed projects.

``docs/architecture.md`` describes the write path; ``docs/performance.md`` lists the engine-specific
fast paths (and the tests proving each equal to the plain statement).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from workflow.recorders.base import Recorder
from workflow.recorders.postgres import PostgresRecorder
from workflow.recorders.sqlite import SQLiteRecorder


def recorder(conn: Connection) -> Recorder:
    """The recorder of ``conn``'s engine."""
    name = conn.dialect.name
    found = _RECORDERS.get(name)
    if found is None:
        if name == "sqlite":
            found = SQLiteRecorder()
        elif name == "postgresql":
            found = PostgresRecorder()
        else:  # pragma: no cover - workflow.db accepts only these two
            raise ValueError(f"no recorder for the {name!r} engine")
        _RECORDERS[name] = found
    return found


_RECORDERS: dict[str, Recorder] = {}

__all__ = ["Recorder", "recorder"]
