"""Planned progress (序时进度) and spans: yearly plans, completed, start rate, growth over a span."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from workflow.lights import Thresholds
from workflow.periods import Span
from workflow.progress import plan_progress, points, time_progress
from workflow.reports.figures import _flows, uncorrected
from workflow.reports.state import Snapshot, _as_date, _project_filter
from workflow.reports.windows import LOST_STAGES, REVIEW_STAGES, Window, paused_stages
from workflow.tables import event as E

# --- planned progress (序时进度): yearly plans, completed, start rate, by unit and category ------------

PROGRESS_CATEGORIES: tuple[str, ...] = ("new", "continuing", "completed", "preparatory")


def _reached_on(conn: Connection, as_of: date, unit: str | None) -> dict[int, dict[str, date]]:
    """project id -> {"construction"/"production": the first date it reached that stage by ``as_of``}
    (a resume from hold is not reaching a stage; corrected transitions do not count)."""
    q = (select(E.c.project_id, E.c.to_stage, func.min(E.c.effective_on))
         .where(E.c.kind == "transition", E.c.to_stage.in_(REVIEW_STAGES), E.c.effective_on <= as_of,
                E.c.from_stage.not_in(paused_stages() or ["-"]), uncorrected())
         .group_by(E.c.project_id, E.c.to_stage))
    q = _project_filter(q, E.c.project_id, unit, None)
    out: dict[int, dict[str, date]] = defaultdict(dict)
    for pid, stage, on in conn.execute(q):
        d = _as_date(on)
        assert d is not None
        out[pid][stage] = d
    return out


def progress_category(reached: dict[str, date], year: int) -> str:
    """新开工 (ground broken this year), 续建 (broken earlier, not finished), 竣工 (in production this
    year) or 前期 (not yet broken ground) on the as-of date."""
    start = date(year, 1, 1)
    prod, cons = reached.get("production"), reached.get("construction")
    if prod is not None and prod >= start:
        return "completed"
    if cons is None and prod is None:
        return "preparatory"
    first = cons or prod
    assert first is not None
    return "new" if first >= start else "continuing"


def _progress_row(rows: list[dict], elapsed) -> dict:
    plan = sum(r["plan"] for r in rows)
    done = sum(r["done"] for r in rows)
    rate = plan_progress(done, plan)
    planned_starts = sum(1 for r in rows if r["planned_start"])
    started = sum(1 for r in rows if r["planned_start"] and r["started"])
    return {"projects": sum(1 for r in rows if r["plan"]),
            "year_plan": {"amount_minor": plan, "currency": "CNY"},
            "completed": {"amount_minor": done, "currency": "CNY"},
            "plan_rate": None if rate is None else round(float(rate), 4),
            "points": None if rate is None else points(rate - elapsed),
            "planned_starts": planned_starts, "started": started,
            "starts_in_year": sum(1 for r in rows if r["started_in_year"]),
            "start_rate": round(started / planned_starts, 4) if planned_starts else None}


def progress(conn: Connection, as_of: date, unit: str | None, snaps: list[Snapshot], units: list,
             t: Thresholds) -> dict:
    """The planned progress of ``as_of``'s year: per unit, per category and in total — the yearly
    plan, the investment completed in the year, the % of plan and the points above or below time
    progress; the planned groundbreakings due by ``as_of`` in the year, how many of them broke ground,
    every groundbreaking of the year, and the start rate (开工率 = started ÷ planned)."""
    year = as_of.year
    elapsed = time_progress(as_of, by_day=bool(t.progress_by_day))
    start = date(year, 1, 1)
    reached = _reached_on(conn, as_of, unit)
    rows: list[dict] = []
    for s in snaps:
        if s.stage in LOST_STAGES:
            continue
        planned_bg = s.plan.get("break_ground")
        planned_start = planned_bg is not None and start <= planned_bg <= as_of
        r = reached.get(s.id, {})
        first = r.get("construction") or r.get("production")
        started_in_year = first is not None and first >= start
        if not s.year_plan_minor and not planned_start and not started_in_year:
            continue  # nothing planned, nothing due, no groundbreaking this year: not in the figures
        rows.append({"unit": s.unit, "category": progress_category(r, year), "plan": s.year_plan_minor,
                     "done": s.year_done_minor if s.year_plan_minor else 0, "planned_start": planned_start,
                     "started": first is not None, "started_in_year": started_in_year})
    names = dict(units)

    def by_category_of(these: list[dict]) -> list[dict]:
        return [{"category": c, **_progress_row([r for r in these if r["category"] == c], elapsed)}
                for c in PROGRESS_CATEGORIES]

    by_unit = []
    for code, _ in units:
        mine = [r for r in rows if r["unit"] == code]
        # the unit's own categories too: a closed period's report of one unit is cut from the county's
        by_unit.append({"unit": code, "unit_name": names.get(code), **_progress_row(mine, elapsed),
                        "categories": by_category_of(mine)})
    by_category = by_category_of(rows)
    return {"year": year, "as_of": as_of.isoformat(), "time_progress": points(elapsed),
            "time_by": "day" if t.progress_by_day else "month", "totals": _progress_row(rows, elapsed),
            "units": by_unit, "categories": by_category}


# --- spans: each period of a span, its growth, the average growth --------------------------------

SERIES_METRICS: tuple[str, ...] = ("signed", "capital", "foreign", "investment")


def growth_rate(now: int, before: int) -> float | None:
    return None if not before else round((now - before) / before, 4)


def rank_in_order(rows: list[dict], value: Callable[[dict], Any]) -> None:
    """Set ``rank`` on ``rows``, sorted best first: a row whose ``value`` equals the row's before it
    shares its rank (并列), and the next rank skips as many places (1, 2, 2, 4)."""
    for i, r in enumerate(rows):
        r["rank"] = rows[i - 1]["rank"] if i and value(rows[i - 1]) == value(r) else i + 1


def series(conn: Connection, w: Window, unit: str | None) -> dict | None:
    """For a span: each of its periods (cut at the as-of date) with its flow figures (signed; capital
    in place in CNY; foreign capital in place in USD; investment completed in CNY) and the growth
    against the period before it in the span; and the average growth per period (per year for a
    span of years), compounded from the first period to the last: (last / first) ** (1 / (n - 1)) - 1.
    None for a single period.  The figures of the periods add up to the span's."""
    if not isinstance(w.period, Span):
        return None
    rows: list[dict[str, Any]] = []
    for part, flows in zip(w.parts, _flows(conn, w.parts, unit), strict=True):
        act = {"signed": 0, "capital": 0, "foreign": 0, "investment": 0}
        for flow in flows.values():
            act["signed"] += flow["signed"]
            act["capital"] += flow["capital"].get("CNY", 0)
            act["foreign"] += flow["capital"].get("USD", 0)
            act["investment"] += flow["investment"].get("CNY", 0)
        prev = rows[-1]["figures"] if rows else None
        rows.append({"period": part.period.label, "start": part.start.isoformat(), "end": part.end.isoformat(),
                     "figures": act,
                     "growth": {m: (growth_rate(act[m], prev[m]) if prev is not None else None)
                                for m in SERIES_METRICS}})
    average: dict[str, float | None] = {}
    for m in SERIES_METRICS:
        first, last = (rows[0]["figures"][m], rows[-1]["figures"][m]) if rows else (0, 0)
        n = len(rows)
        average[m] = (round((last / first) ** (1 / (n - 1)) - 1, 4)
                      if n >= 2 and first > 0 and last >= 0 else None)
    totals = {m: sum(r["figures"][m] for r in rows) for m in SERIES_METRICS}
    return {"per": w.period.kind, "units": {"capital": "CNY minor", "foreign": "USD minor",
                                            "investment": "CNY minor"},
            "periods": rows, "totals": totals, "average_growth": average}
