"""出库 proposals (`report stale`, docs/usage.md "Retiring a project"): the leads and negotiations
(the workflow's first stage, 意向在谈) with no follow-up for N days on a date, N a setting under the
set-up ledger (``stale.days``, `pipeline stale-days`).  A lead never followed up counts from its
registration.  Nothing is retired here: `project retire` does that, one project at a time, with a
reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.access import ADMIN, require
from workflow.catalogue import Message
from workflow.definition import default_definition
from workflow.errors import BadInput
from workflow.lights import Thresholds
from workflow.reports.state import snapshots
from workflow.settings import STALE_DAYS_KEY, in_force, record
from workflow.values import reason as check_reason

STALE_DAYS_DEFAULT = 365  # a year without a follow-up
STALE_DAYS_MAX = 3660


def stale_days(conn: Connection, as_of: date | None = None) -> int:
    """The days without a follow-up after which `report stale` proposes a lead, in force on ``as_of``."""
    value = in_force(conn, as_of, STALE_DAYS_KEY).get(STALE_DAYS_KEY, (None,))[0]
    try:
        return STALE_DAYS_DEFAULT if value is None else max(1, int(value))
    except ValueError:
        return STALE_DAYS_DEFAULT


def set_stale_days(engine: Engine, actor: str, days: int, *, reason: str | None) -> int:
    """Store the days (admin, a reason required; in force from today): a set-up ledger entry."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= STALE_DAYS_MAX:
        raise BadInput("stale_days_out_of_range", days=days, most=STALE_DAYS_MAX)
    why = check_reason(reason, Message("stale_days_needs_reason"), required_=True)
    day = clock.today()
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the stale days")
        record(conn, actor, "stale", {STALE_DAYS_KEY: str(days)}, day, why)
        return stale_days(conn, day)


def stale(conn: Connection, as_of: date, *, days: int | None = None, unit: str | None = None) -> dict[str, Any]:
    """The projects at the first stage on ``as_of`` whose last follow-up (or registration) lies
    ``days`` (default: the setting in force) or more days before it, longest idle first."""
    if days is not None and (isinstance(days, bool) or not 1 <= days <= STALE_DAYS_MAX):
        raise BadInput("stale_days_out_of_range", days=days, most=STALE_DAYS_MAX)
    n = stale_days(conn, as_of) if days is None else days
    first = default_definition().initial
    out: list[dict[str, Any]] = []
    for s in snapshots(conn, as_of, Thresholds(), unit=unit, reasons=False):
        if s.stage != first:
            continue
        since = s.last_followup_on or s.registered_on
        idle = (as_of - since).days
        if idle >= n:
            out.append({"code": s.code, "name": s.name, "unit": s.unit, "stage": s.stage,
                        "registered_on": s.registered_on.isoformat(),
                        "last_followup_on": s.last_followup_on.isoformat() if s.last_followup_on else None,
                        "idle_days": idle})
    out.sort(key=lambda p: (-int(p["idle_days"]), str(p["code"])))
    return {"as_of": as_of.isoformat(), "days": n, "stage": first, "total": len(out), "projects": out}
