"""The recorder interface and its defaults, the plain Core statements (``workflow.recorders``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from workflow.gate import GATE_COLUMNS
from workflow.tables import project as P

LOCK = select(P).where(P.c.code == bindparam("b_code"))
# The project row and the write gate (``workflow.gate``) in one statement (SQLite's read-ahead).
LOCK_GATED = select(P, *GATE_COLUMNS).where(P.c.code == bindparam("b_code"))
INSERT_CHUNK = 20_000  # rows per executemany
IMAGE_CHUNK = 2_000  # rows of a database image read, converted and inserted at a time (memory)

_SAVES: dict[tuple[str, ...], Any] = {}


def save_statement(keys: tuple[str, ...]) -> Any:
    """The compare-and-set UPDATE of the project columns ``keys`` (built once per set of columns):
    parameters ``b_id``, ``b_old`` (the version as read) and ``b_<column>``."""
    stmt = _SAVES.get(keys)
    if stmt is None:
        stmt = _SAVES[keys] = (update(P).where(P.c.id == bindparam("b_id"), P.c.version == bindparam("b_old"))
                               .values(**{k: bindparam(f"b_{k}") for k in keys}))
    return stmt


class Recorder:
    """The write path's engine-specific steps; these defaults are the plain Core statements."""

    name = ""

    def read_ahead(self, conn: Connection, code: str, actor: str) -> RowMapping | None:
        """The row of project ``code`` with the gate columns (``gate_disabled``, ``gate_ledger_head``)
        for ``actor``, read before the role check; None when nothing is read ahead (or no such row)."""
        return None

    def lock(self, conn: Connection, code: str) -> RowMapping | None:
        """The row of project ``code``, locked until the transaction ends (None: no such project)."""
        return conn.execute(LOCK, {"b_code": code}).mappings().first()

    def lock_many(self, conn: Connection, codes: Sequence[str]) -> Iterable[RowMapping]:
        """The rows of the projects ``codes`` (any missing are left out), locked likewise."""
        return conn.execute(select(P).where(P.c.code.in_(codes))).mappings()

    def serialize(self, conn: Connection, key: int) -> None:
        """Make the writers that call this with ``key`` take turns until the transaction ends."""

    def next_project_id(self, conn: Connection) -> int:
        """The id after the highest ever given (the caller keeps counting within its transaction)."""
        return (conn.execute(select(func.max(P.c.id))).scalar() or 0) + 1

    def insert(self, conn: Connection, table: Table, rows: Sequence[Any], keys: tuple[str, ...] | None = None
               ) -> None:
        """Insert ``rows`` into ``table``: dicts with the same keys, or tuples of the values of ``keys``."""
        if keys is not None:
            rows = [dict(zip(keys, r, strict=True)) for r in rows]
        for start in range(0, len(rows), INSERT_CHUNK):
            conn.execute(insert(table), rows[start:start + INSERT_CHUNK])

    def insert_from_image(self, conn: Connection, table: Table, image: Callable[[], bytes], source: str,
                          columns: tuple[str, ...], typed: Callable[[list[tuple]], Sequence[tuple]], *,
                          order: str, after: int = 0, const: dict[str, Any] | None = None) -> int:
        """Insert into ``table`` the rows of table ``source`` of the SQLite database ``image()`` gives (a
        file's bytes; called once, the caller keeping no reference, so they are freed once read in),
        by ``order``, leaving out the first ``after``: their ``columns`` (named as in ``table``), with
        the values ``const`` in the columns it names; returns how many.  The image holds its dates
        and times in the text forms history hashes (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
        docs/audit.md); ``typed`` turns a list of its rows (``columns``) into the Python values of
        ``table``'s columns.  This default: the image opened in memory, its rows read, typed and
        inserted (:meth:`insert`) a chunk at a time."""
        keys = (*(const or {}), *columns)
        fixed = tuple((const or {}).values())
        db = sqlite3.connect(":memory:")
        try:
            db.deserialize(image())
            cursor = db.execute(f"SELECT {sql_names(columns)} FROM {sql_name(source)} ORDER BY {sql_name(order)} "
                                "LIMIT -1 OFFSET ?", (after,))
            done = 0
            while rows := cursor.fetchmany(IMAGE_CHUNK):
                values = typed(rows)
                self.insert(conn, table, [(*fixed, *r) for r in values] if fixed else values, keys)
                done += len(rows)
        finally:
            db.close()
        return done

    def save(self, conn: Connection, keys: tuple[str, ...], saves: Sequence[dict]) -> int | None:
        """Save the changed columns ``keys`` of projects on their old versions (the compare-and-set):
        the rows updated, or None when the driver cannot count the rows of a many-row update."""
        done = conn.execute(save_statement(keys), saves).rowcount
        if len(saves) > 1 and not conn.dialect.supports_sane_multi_rowcount:
            return None
        return int(done)


def sql_name(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def sql_names(names: Sequence[str]) -> str:
    return ", ".join(map(sql_name, names))
