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
from workflow.settings import performance_settings
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
    pct, due = figures["met_pct"], deadline(year, figures["report_days"])
    committed: dict[int, dict[str, int]] = {}
    q = (select(CM.c.project_id, CM.c.kind, CM.c.per_year)
         .where(CM.c.from_year <= year, (CM.c.to_year.is_(None)) | (CM.c.to_year >= year), CM.c.effective_on <= as_of)
         .order_by(CM.c.project_id, CM.c.event_seq))
    for pid, kind, per_year in conn.execute(_ids(q, CM.c.project_id, ids)):
        committed.setdefault(pid, {})[kind] = int(per_year)  # the newest one covering the year wins
    if not committed:
        return {}
    actual: dict[int, dict[str, int]] = {}
    # for a chunk of ``ids`` the project index finds their actuals; SQLite's planner takes the year's
    # index instead, reading every actual of the year once per chunk: ``year + 0`` is no indexed column
    of_year = PF.c.year == year if ids is None else PF.c.year + 0 == year
    q = (select(PF.c.project_id, PF.c.kind, PF.c.value)
         .where(of_year, PF.c.effective_on <= as_of).order_by(PF.c.project_id, PF.c.event_seq))
    # every project's: the year's actuals, not a parameter per committed project (PostgreSQL takes at
    # most 65,535 in one statement)
    for pid, kind, value in conn.execute(_ids(q, PF.c.project_id, None if ids is None else list(committed))):
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


def producing(stage: str) -> bool:
    """A project in production (the commission milestone reached): the one the 履约 light judges."""
    return milestone_reached(stage, "commission")
