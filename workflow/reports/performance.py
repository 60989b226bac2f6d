"""``report performance --year Y`` (履约评价, docs/lights-and-reports.md, "履约"): every project with a
contract commitment covering the year, each kind's commitment, actual, rate and status, the project's
status and light, and the counts per unit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine

from workflow import clock, performance
from workflow.errors import BadInput
from workflow.reports.state import snapshots
from workflow.settings import light_thresholds
from workflow.tables import unit as U

WORST = ("below", "no_report", "due", "met")  # a project's status: the worst of its kinds


def _value(kind: str, value: int | None) -> dict | int | None:
    """Jobs as a count; every other kind as a CNY amount (JSON ``{"amount_minor", "currency"}``)."""
    if value is None or kind == "jobs":
        return value
    return {"amount_minor": value, "currency": "CNY"}


def report(engine: Engine, year: int, *, as_of: date | None = None, unit: str | None = None) -> dict:
    """The 履约 check of ``year`` as of ``as_of`` (default: today): per project (of ``unit``), per
    unit and in total."""
    today = clock.today()
    as_of = as_of or today
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= as_of.year:
        raise BadInput("perf_report_year", year=year, as_of=as_of)
    with engine.connect() as conn:
        checked = performance.check(conn, year, as_of)
        snaps = {s.id: s for s in snapshots(conn, as_of, light_thresholds(conn, as_of=as_of), unit=unit,
                                            ids=sorted(checked))} if checked else {}
        names = dict(conn.execute(select(U.c.code, U.c.name)).all())
        figures = performance.performance_settings(conn, as_of)
    projects = []
    units: dict[str | None, dict] = {}
    for pid in sorted(snaps):
        s = snaps[pid]
        items = []
        for kind, _, status, committed, actual, _, _ in checked[pid]:
            rate = None if actual is None else round(actual * 100 / committed, 1)
            items.append({"kind": kind, "committed": _value(kind, committed), "actual": _value(kind, actual),
                          "rate_pct": rate, "status": status})
        status = min((i["status"] for i in items), key=WORST.index)
        producing = performance.producing(s.stage)
        projects.append({"code": s.code, "name": s.name, "unit": s.unit, "stage": s.stage, "producing": producing,
                         "status": status, "light": s.light.color, "items": items})
        u = units.setdefault(s.unit, {"unit": s.unit, "unit_name": names.get(s.unit) if s.unit else None,
                                      "projects": 0, **{k: 0 for k in WORST}})
        u["projects"] += 1
        u[status] += 1
    totals = {"projects": len(projects), **{k: sum(u[k] for u in units.values()) for k in WORST}}
    return {"report": "performance", "year": year, "as_of": as_of.isoformat(), "unit": unit,
            "met_pct": figures["met_pct"], "report_days": figures["report_days"],
            "deadline": performance.deadline(year, figures["report_days"]).isoformat(),
            "projects": projects, "units": sorted(units.values(), key=lambda u: (u["unit"] is None, u["unit"] or "")),
            "totals": totals}
