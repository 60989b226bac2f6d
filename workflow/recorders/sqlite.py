"""SQLite's recorder (``workflow.recorders``).  The engine's ``BEGIN IMMEDIATE`` takes the database's
write lock at a transaction's first statement, so every writer already takes its turn: rows need no
row lock and no writers need serialising.  That also lets a single write read its project row
together with the write gate, before the role check (one statement instead of two): SQLite has no
privileges, so reading the row first changes nothing but a round trip.

Its one fast path: :meth:`SQLiteRecorder.insert` (the rows of an import or a demo) runs the table's
Core INSERT compiled once, converting each distinct value of a column once through SQLAlchemy's own
bind processor of that column (dates, times and booleans repeat; converting every parameter of every
row costs more than SQLite's insert).  What it buys is measured in ``docs/performance.md``;
``tests/test_recorders.py`` shows it writes what the plain statement writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, RowMapping

from workflow.recorders.base import INSERT_CHUNK, LOCK_GATED, Recorder


class SQLiteRecorder(Recorder):
    name = "sqlite"

    def read_ahead(self, conn: Connection, code: str, actor: str) -> RowMapping | None:
        return conn.execute(LOCK_GATED, {"b_code": code, "b_login": actor}).mappings().first()

    def next_project_id(self, conn: Connection) -> int:
        # AUTOINCREMENT's counter: codes are never reused, even after a row went missing.
        seq = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'project'").scalar()
        return max(seq or 0, super().next_project_id(conn) - 1) + 1

    def insert(self, conn: Connection, table: Table, rows: Sequence[Any], keys: tuple[str, ...] | None = None
               ) -> None:
        plan = _InsertPlan.of(conn.dialect, table, keys or tuple(rows[0]))
        # each row's values in the statement's order (tuples of ``keys`` reordered only if need be)
        values: Callable[[Any], tuple] = plan.values
        if keys is not None:
            values = _same if plan.order == keys else itemgetter(*(keys.index(k) for k in plan.order))
        for start in range(0, len(rows), INSERT_CHUNK):
            params = list(map(values, rows[start:start + INSERT_CHUNK]))
            if plan.processors:
                columns = list(zip(*params, strict=True))
                for i, process in plan.processors:
                    columns[i] = _converted(columns[i], process)
                params = list(zip(*columns, strict=True))
            conn.exec_driver_sql(plan.sql, params)


@dataclass(frozen=True)
class _InsertPlan:
    """The INSERT of some columns of a table compiled for SQLite: its SQL, its columns in order, a
    getter of a dict row's values in that order, and the (position, bind processor) of each column
    whose values need converting."""

    sql: str
    order: tuple[str, ...]
    values: Callable[[Any], tuple]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, dialect: Any, table: Table, keys: tuple[str, ...]) -> _InsertPlan:
        found = _PLANS.get((table.name, keys))
        if found is None:
            compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
            order = tuple(compiled.positiontup or ())
            processors = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in order]
            values = itemgetter(*order) if len(order) > 1 else _one_value(order[0])
            found = _PLANS[(table.name, keys)] = cls(
                str(compiled), order, values, tuple((i, f) for i, f in enumerate(processors) if f is not None))
        return found


_PLANS: dict[tuple[str, tuple[str, ...]], _InsertPlan] = {}


def _same(row: Any) -> Any:
    return row


def _one_value(key: str) -> Callable[[Any], tuple]:
    def value(row: Any) -> tuple:
        return (row[key],)
    return value


def _converted(column: Sequence, process: Callable[[Any], Any]) -> tuple:
    """``column`` through a bind processor, each distinct value converted once (None stays None)."""
    try:
        done = {v: None if v is None else process(v) for v in set(column)}
    except TypeError:  # an unhashable value: convert one by one
        return tuple(None if v is None else process(v) for v in column)
    return tuple(map(done.__getitem__, column))
