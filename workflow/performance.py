"""The yearly 履约 check (履约评价, docs/lights-and-reports.md, "履约"): each producing project's contract
commitments of a year against the actuals it reported for that year.

Per project and kind committed for the year (the newest commitment of the kind covering it, recorded
by the as-of date), the actual is the newest report of that year and kind recorded by then:

- ``met``: the actual is at least ``met_pct`` (default 80) percent of the commitment;
- ``below``: it is less (a red light on the project);
- ``no_report``: no actual by the report deadline (``report_days`` after the year ends, default 90)
  (a yellow light);
- ``due``: no actual yet, the deadline not passed (nothing).

The lights judge the last full year before the as-of date; ``report performance --year Y`` any year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from workflow.lights import milestone_reached
from workflow.settings import PERFORMANCE_PREFIX, InForceByDate, performance_settings
from workflow.tables import commitment as CM
from workflow.tables import performance as PF
from workflow.words import PERFORMANCE_KINDS

STATUSES = ("met", "below", "no_report", "due")


def deadline(year: int, report_days: int) -> date:
    """The last day the actual of ``year`` may be reported without turning the project yellow."""
    return date(year, 12, 31) + timedelta(days=report_days)


def _ids(q: Any, column: Any, ids: Iterable[int] | None) -> Any:
    return q if ids is None else q.where(column.in_(list(ids)))


def check(conn: Connection, year: int, as_of: date, ids: Iterable[int] | None = None) -> dict[int, tuple]:
    """``{project_id: ((kind, year, status, committed, actual, met_pct, deadline), …)}`` in kind order,
    for every project (of ``ids``) with a commitment covering ``year`` recorded by ``as_of``.  Whether
    the project produces is the caller's question (the lights ask it)."""
    ids = None if ids is None else list(ids)
    figures = performance_settings(conn, as_of)
    q = (select(CM.c.project_id, CM.c.kind, CM.c.per_year)
         .where(CM.c.from_year <= year, (CM.c.to_year.is_(None)) | (CM.c.to_year >= year), CM.c.effective_on <= as_of)
         .order_by(CM.c.project_id, CM.c.event_seq))
    committed = _committed(conn.execute(_ids(q, CM.c.project_id, ids)))
    if not committed:
        return {}
    # for a chunk of ``ids`` the project index finds their actuals; SQLite's planner takes the year's
    # index instead, reading every actual of the year once per chunk: ``year + 0`` is no indexed column
    of_year = PF.c.year == year if ids is None else PF.c.year + 0 == year
    q = (select(PF.c.project_id, PF.c.kind, PF.c.value)
         .where(of_year, PF.c.effective_on <= as_of).order_by(PF.c.project_id, PF.c.event_seq))
    # every project's: the year's actuals, not a parameter per committed project (PostgreSQL takes at
    # most 65,535 in one statement)
    rows = conn.execute(_ids(q, PF.c.project_id, None if ids is None else list(committed)))
    return _judged(committed, rows, year, as_of, figures)


def _committed(rows: Iterable[Any]) -> dict[int, dict[str, int]]:
    """project id -> kind -> the year's commitment, from ``(project id, kind, per year)`` rows of the
    commitments covering the year, in (project, event) order: the newest one covering the year wins."""
    committed: dict[int, dict[str, int]] = {}
    for pid, kind, per_year in rows:
        committed.setdefault(pid, {})[kind] = int(per_year)
    return committed


def _judged(committed: dict[int, dict[str, int]], actuals: Iterable[Any], year: int, as_of: date,
            figures: dict[str, int]) -> dict[int, tuple]:
    """:func:`check` of ``committed`` (:func:`_committed`) against the ``(project id, kind, value)``
    rows of the year's actuals recorded by ``as_of``, in (project, event) order."""
    pct, due = figures["met_pct"], deadline(year, figures["report_days"])
    actual: dict[int, dict[str, int]] = {}
    for pid, kind, value in actuals:
        if pid in committed:
            actual.setdefault(pid, {})[kind] = int(value)
    out: dict[int, tuple] = {}
    for pid, kinds in committed.items():
        items = []
        for kind in PERFORMANCE_KINDS:
            if kind not in kinds:
                continue
            promised, got = kinds[kind], actual.get(pid, {}).get(kind)
            if got is not None:
                status = "met" if got * 100 >= promised * pct else "below"
            else:
                status = "no_report" if as_of > due else "due"
            items.append((kind, year, status, promised, got, pct, due))
        out[pid] = tuple(items)
    return out


def for_lights(conn: Connection, as_of: date, ids: Iterable[int] | None = None) -> dict[int, tuple]:
    """The check of the last full year before ``as_of``, for the lights of producing projects."""
    return check(conn, as_of.year - 1, as_of, ids)


class ForLightsByDate:
    """:func:`for_lights` of every project at any number of dates, from one read of the commitments and
    the actuals (the city's month-end states, docs/city.md): per date the rows :func:`check` selects
    (a commitment covering the year, an actual of the year, each recorded by the date), judged by the
    same code.  Read while the caller's connection sees no new history."""

    def __init__(self, conn: Connection) -> None:
        self._commitments = conn.execute(
            select(CM.c.project_id, CM.c.kind, CM.c.per_year, CM.c.from_year, CM.c.to_year, CM.c.effective_on)
            .order_by(CM.c.project_id, CM.c.event_seq)).all()
        self._actuals = conn.execute(select(PF.c.project_id, PF.c.kind, PF.c.value, PF.c.year, PF.c.effective_on)
                                     .order_by(PF.c.project_id, PF.c.event_seq)).all() if self._commitments else []
        self._settings = InForceByDate(conn, PERFORMANCE_PREFIX)

    def at(self, as_of: date) -> dict[int, tuple]:
        year = as_of.year - 1
        committed = _committed((pid, kind, per_year) for pid, kind, per_year, first, last, on in self._commitments
                               if first <= year and (last is None or last >= year) and on <= as_of)
        if not committed:
            return {}
        return _judged(committed, ((pid, kind, value) for pid, kind, value, of, on in self._actuals
                                   if of == year and on <= as_of),
                       year, as_of, self._settings.performance(as_of))


def producing(stage: str) -> bool:
    """A project in production (the commission milestone reached): the one the 履约 light judges."""
    return milestone_reached(stage, "commission")
