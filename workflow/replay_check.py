"""The streaming check of ``audit verify`` (docs/audit.md): every project replayed from its history as
the events stream by (``workflow.replay``) and compared with the project row and the side tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from workflow import clock
from workflow.catalogue import Message
from workflow.codes import project_code
from workflow.day_rules import DayRules
from workflow.replay import (
    COMPARED_FIELDS,
    DERIVED_COLUMNS,
    FUTURE_SLACK,
    Definitions,
    compare_project,
    compare_rows,
    normalised,
    project_maker,
    recorded_before,
    replay_problem,
    replay_project,
)
from workflow.rows import COLUMNS

# --- the streaming check --------------------------------------------------------------------------------

EVENTS_SQL = ("SELECT id, project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, "
           "actor, reason, payload, prev_hash, hash FROM event ORDER BY project_id, seq")


def _table_sql(table: str) -> str:
    cols = ", ".join(DERIVED_COLUMNS[table])
    return f"SELECT project_id, event_seq, {cols} FROM {table} ORDER BY project_id"


_FIRST = itemgetter(0)


class _Peek:
    """A stream of rows whose first column is a project id, read project by project (the rows of
    one project are gathered by ``itertools.groupby``, in C)."""

    __slots__ = ("it", "groups", "pid", "rows")

    def __init__(self, it: Iterator[tuple]):
        self.it = it
        self.groups = groupby(it, _FIRST)
        self.pid: Any = None
        self.rows: list[tuple] = []
        self._next()

    def _next(self) -> None:
        group = next(self.groups, None)
        if group is None:
            self.pid, self.rows = None, []
        else:
            self.pid, self.rows = group[0], list(group[1])

    def take(self, pid: int, orphans: Callable[[tuple], None]) -> list[tuple]:
        """The rows of project ``pid`` (whole, first column included); rows of lower ids (no such
        project replayed) go to ``orphans``."""
        while self.pid is not None and self.pid <= pid:
            rows = self.rows
            if self.pid == pid:
                self._next()
                return rows
            for r in rows:
                orphans(r)
            self._next()
        return []

    def rest(self, orphans: Callable[[tuple], None]) -> None:
        while self.pid is not None:
            for r in self.rows:
                orphans(r)
            self._next()


class Checker:
    """The replay of every project on ``conn`` (one snapshot), fed one project's events at a time in
    project id order (``project(pid, rows)``; ``finish()`` at the end); each problem and difference
    goes to ``add``.  ``stream(conn, sql)`` yields rows lazily: the side tables and the project rows
    are read alongside, in the same order."""

    def __init__(self, conn: Any, stream: Callable[[Any, str], Iterator[tuple]], add: Callable[[dict], None]):
        self.add = add
        self.roles = DayRules.of(conn)  # roles, disabled flags and closed periods of each event's day
        now = clock.utcnow() + FUTURE_SLACK
        self.iso = conn.dialect.name == "sqlite"  # the raw sqlite3 cursor gives dates as ISO text
        # SQLite's stored form of a UTC time (compared as text); a datetime on PostgreSQL
        self.now: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.iso else now
        self.defs = Definitions()
        self.tables = {t: _Peek(stream(conn, _table_sql(t))) for t in DERIVED_COLUMNS}
        self.project_cols = list(COLUMNS)  # starting with the id, the column rows are grouped by
        self.projects = _Peek(stream(conn, f"SELECT {', '.join(self.project_cols)} FROM project ORDER BY id"))
        self.orphans = {t: self._orphan_of(t) for t in DERIVED_COLUMNS}
        self.count = 0
        # the whole project row first: the stored values of COMPARED_FIELDS, and key_override (None: no
        # override to check); the field by field comparison only when they differ
        self.expected_fields = project_maker(self.iso)
        self.stored_fields = itemgetter(*(self.project_cols.index(f) for f in COMPARED_FIELDS))
        self.override_at = self.project_cols.index("key_override")
        self.created_at = self.project_cols.index("created_at")

    def _orphan_of(self, table: str) -> Callable[[tuple], None]:
        cols = DERIVED_COLUMNS[table]

        def orphan(r: tuple) -> None:
            self.add(replay_problem(project_code(r[0]), r[1], Message("row_for_project_id", table=table, r=r[0]), table,
                              "row", None, dict(zip(cols, map(normalised, r[2:]), strict=True))))
        return orphan

    @staticmethod
    def _no_history(r: tuple) -> None:
        pass  # a project row without events: the chain check reports it

    def project(self, pid: int, rows: list[tuple]) -> None:
        self.count += 1
        add = self.add
        found_project = self.projects.take(pid, self._no_history)
        code = found_project[0][1] if found_project else project_code(pid)
        rep = replay_project(pid, code, iter(rows), self.roles, self.defs, self.now)
        for p in rep.problems:
            add(p)
        if found_project:
            stored = found_project[0]
            try:
                same = rep.row is not None and stored[self.override_at] is None and \
                    self.expected_fields(rep.row) == self.stored_fields(stored)
            except (AttributeError, TypeError):  # a replayed value that is not a date where one belongs
                same = False
            if not same:
                for p in compare_project(rep, dict(zip(self.project_cols, stored, strict=True))):
                    add(p)
            if code != project_code(pid):  # the code is the id's (``workflow.codes``)
                add(replay_problem(code, None, Message("project_row_is_but", f="code", show=code,
                                                       show_2=project_code(pid)), "project", "code",
                                   project_code(pid), code))
            if rows and rep.row is not None:
                self._created(code, rows[0][8], stored[self.created_at], rep.row.head_seq)
        iso = self.iso
        expected = rep.rows
        for t, peek in self.tables.items():
            if peek.pid is None and not expected[t]:
                continue  # nothing stored is left in this table, and nothing is expected
            for p in compare_rows(rep, t, peek.take(pid, self.orphans[t]), iso):
                add(p)

    def _created(self, code: str, registered_at: Any, created_at: Any, head_seq: int) -> None:
        """The row was created when the project was registered (or later, when a city loads it), and
        not after verify's clock."""
        if not recorded_before(created_at, registered_at) and not recorded_before(self.now, created_at):
            return
        self.add(replay_problem(code, head_seq, Message("project_row_is_but", f="created_at", show=str(created_at),
                                                        show_2=str(registered_at)),
                                "project", "created_at", f">= {registered_at}", str(created_at)))

    def finish(self) -> None:
        for t, peek in self.tables.items():
            peek.rest(self.orphans[t])

    def close(self) -> None:
        for gen in (self.projects.it, *(p.it for p in self.tables.values())):
            close = getattr(gen, "close", None)
            if close is not None:
                close()


def check(conn: Any, stream: Callable[[Any, str], Iterator[tuple]], add: Callable[[dict], None]) -> int:
    """Replay every project on ``conn`` (reading the events itself) and report through ``add``;
    returns the number of projects replayed."""
    checker = Checker(conn, stream, add)
    events = stream(conn, EVENTS_SQL)
    current: list[tuple] = []
    pid: int | None = None
    try:
        for r in events:
            if r[1] != pid:
                if pid is not None:
                    checker.project(pid, current)
                pid = r[1]
                current = []
            current.append(r)
        if pid is not None:
            checker.project(pid, current)
        checker.finish()
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
        checker.close()
    return checker.count
