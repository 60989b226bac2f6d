"""SQLite's recorder (``workflow.recorders``).  The engine's ``BEGIN IMMEDIATE`` takes the database's
write lock at a transaction's first statement, so every writer already takes its turn: rows need no
row lock and no writers need serialising.  That also lets a single write read its project row
together with the write gate, before the role check (one statement instead of two): SQLite has no
privileges, so reading the row first changes nothing but a round trip.

Its two fast paths:

- :meth:`SQLiteRecorder.insert` (the rows of an import or a demo) runs the table's Core INSERT
  compiled once, converting each distinct value of a column once through SQLAlchemy's own bind
  processor of that column (dates, times and booleans repeat; converting every parameter of every
  row costs more than SQLite's insert); a date column whose processor writes a date as its ISO
  form (``YYYY-MM-DD``, SQLite's default) has its dates written by ``date.isoformat`` (C) instead;
- :meth:`SQLiteRecorder.insert_from_image` (a county bundle's events, into the city) attaches the
  image to the connection and copies its rows with one ``INSERT … SELECT``, the dates and times
  turned into SQLite's stored forms by SQL (:func:`stored_forms`, which the scratch copy of the
  bundle's checks reads its events through too), with no row passing through Python.

What each buys is measured in ``docs/performance.md``; ``tests/test_recorders.py`` shows each writes
what the plain statement writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, DateTime, Table, insert
from sqlalchemy.engine import Connection, RowMapping

from workflow.recorders.base import INSERT_CHUNK, LOCK_GATED, Recorder, sql_name, sql_names


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
            chunk = rows[start:start + INSERT_CHUNK]
            if not plan.processors:
                conn.exec_driver_sql(plan.sql, list(map(values, chunk)))
                continue
            # a column at a time (of dicts, each column taken from them; of tuples, the rows transposed)
            columns: list[Sequence[Any]] = ([list(map(itemgetter(k), chunk)) for k in plan.order] if keys is None
                                            else list(zip(*map(values, chunk), strict=True)))
            for i, convert in plan.processors:
                columns[i] = convert(columns[i])
            conn.exec_driver_sql(plan.sql, list(zip(*columns, strict=True)))

    def insert_from_image(self, conn: Connection, table: Table, image: Callable[[], bytes], source: str,
                          columns: tuple[str, ...], typed: Callable[[list[tuple]], Sequence[tuple]], *,
                          order: str, after: int = 0, const: dict[str, Any] | None = None) -> int:
        forms = stored_forms(conn.dialect, table, columns)
        if forms is None:  # a column SQL cannot put in its stored form here: the plain path
            return super().insert_from_image(conn, table, image, source, columns, typed, order=order, after=after,
                                             const=const)
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        if not any(row[1] == _IMAGE for row in raw.execute("PRAGMA database_list")):
            raw.execute(f"ATTACH DATABASE ':memory:' AS {_IMAGE}")
        keys = (*(const or {}), *columns)
        values = ", ".join(["?"] * len(const or {}) + forms)
        sql = (f"INSERT INTO {sql_name(table.name)} ({sql_names(keys)}) SELECT {values} "
               f"FROM {_IMAGE}.{sql_name(source)} ORDER BY {sql_name(order)} LIMIT -1 OFFSET ?")
        raw.deserialize(image(), name=_IMAGE)
        try:
            return int(raw.execute(sql, (*(const or {}).values(), after)).rowcount)
        finally:
            # the image's memory freed at once: an attached database cannot be detached before the
            # transaction ends, so an empty one takes its place (and serves the next image)
            raw.deserialize(_empty_image(), name=_IMAGE)


_IMAGE = "pipeline_image"  # the schema name an image is attached under


def stored_forms(dialect: Any, table: Table, columns: Sequence[str]) -> list[str] | None:
    """The SQL of each of ``columns`` of an image turning it into the form SQLAlchemy stores for
    ``table``'s column on SQLite (:func:`_stored_form`), named as the column; None when a column has
    no such SQL.  For copying an image's rows, and for reading them where they are (the scratch copy of
    a county bundle's checks reads the bundle's events so: ``workflow.bundle.scratch_engine``)."""
    forms = [_stored_form(dialect, table, c) for c in columns]
    if None in forms:
        return None
    return [f if f == sql_name(c) else f"{f} AS {sql_name(c)}" for f, c in zip(forms, columns, strict=True)]


def _stored_form(dialect: Any, table: Table, column: str) -> str | None:
    """The SQL turning ``column`` of an image (its text form, as history hashes it) into the form
    SQLAlchemy stores for ``table``'s column on SQLite; None when there is no such SQL here.  A date's
    forms are the same (``YYYY-MM-DD``); a time's hashed form ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` is stored
    as ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC, as :class:`workflow.tables.UTCDateTime` binds it); a value
    SQLAlchemy stores as it is needs no SQL."""
    kind = table.c[column].type
    impl = getattr(kind, "impl_instance", kind)  # a TypeDecorator's own type
    name = sql_name(column)
    if isinstance(impl, DateTime):
        return f"substr({name}, 1, 10) || ' ' || substr({name}, 12, 15)"
    if isinstance(impl, Date):
        return name
    return name if kind.dialect_impl(dialect).bind_processor(dialect) is None else None


@cache
def _empty_image() -> bytes:
    """A database of one empty table (an image of nothing cannot be read in)."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE empty (x)")
        return db.serialize()
    finally:
        db.close()


@dataclass(frozen=True)
class _InsertPlan:
    """The INSERT of some columns of a table compiled for SQLite: its SQL, its columns in order, a
    getter of a dict row's values in that order, and the (position, converter of a column's values
    by its bind processor, :func:`_converted`) of each column whose values need converting."""

    sql: str
    order: tuple[str, ...]
    values: Callable[[Any], tuple]
    processors: tuple[tuple[int, Callable[[Sequence], tuple]], ...]

    @classmethod
    def of(cls, dialect: Any, table: Table, keys: tuple[str, ...]) -> _InsertPlan:
        found = _PLANS.get((table.name, keys))
        if found is None:
            compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
            order = tuple(compiled.positiontup or ())
            processors = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in order]
            converters = tuple((i, partial(_converted, process=f, iso=_iso_dates(table.c[k].type, f)))
                               for i, (k, f) in enumerate(zip(order, processors, strict=True)) if f is not None)
            values = itemgetter(*order) if len(order) > 1 else _one_value(order[0])
            found = _PLANS[(table.name, keys)] = cls(str(compiled), order, values, converters)
        return found


_PLANS: dict[tuple[str, tuple[str, ...]], _InsertPlan] = {}


def _same(row: Any) -> Any:
    return row


def _one_value(key: str) -> Callable[[Any], tuple]:
    def value(row: Any) -> tuple:
        return (row[key],)
    return value


_PROBE = date(1, 2, 3)  # a date each part of whose ISO form is zero-padded


def _iso_dates(kind: Any, process: Callable[[Any], Any]) -> bool:
    """Whether ``process``, the bind processor of a column of type ``kind``, writes a date as its ISO
    form (a plain ``Date`` column stored as SQLite's default ``YYYY-MM-DD``), as ``date.isoformat``
    does."""
    return isinstance(kind, Date) and process(_PROBE) == _PROBE.isoformat()


def _converted(column: Sequence, process: Callable[[Any], Any], iso: bool = False) -> tuple:
    """``column`` through a bind processor, each distinct value converted once (None stays None).
    With ``iso`` (:func:`_iso_dates`), dates (of type ``date`` itself) are written by ``date.isoformat``,
    the same text; any other value goes through ``process``."""
    try:
        distinct = set(column)
        distinct.discard(None)
        if iso and set(map(type, distinct)) == {date}:
            done = dict(zip(distinct, map(date.isoformat, distinct), strict=True))
        else:
            done = dict(zip(distinct, map(process, distinct), strict=True))
    except TypeError:  # an unhashable value: convert one by one
        return tuple(None if v is None else process(v) for v in column)
    done[None] = None
    return tuple(map(done.__getitem__, column))
