"""The lists the leaders ask for (docs/lights-and-reports.md, "The lists leaders ask for"): the key-project
progress sheet (重点项目推进表), each county-level leader's projects (包保领导一览) and the half-year site
visit list with its scoring sheet (观摩).

Each is read for a window (a report period cut at its as-of date, ``--period``/``--as-of`` as the other
reports) from the same snapshots as the other reports (``workflow.reports.state``); the visit list is the
review's (``kinds.review``) with the scoring criteria in force (``workflow.reports.notes``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from workflow import supervision
from workflow.find import resolve_unit
from workflow.lights import Thresholds, progress_color
from workflow.periods import Period, Span
from workflow.reports.figures import _read, _thresholds
from workflow.reports.kinds import _lead_leaders, _unit_names, review
from workflow.reports.notes import visit_criteria
from workflow.reports.state import _as_date, snapshots
from workflow.reports.windows import _CHUNK, LOST_STAGES, make_window
from workflow.settings import ladder
from workflow.tables import followup as FU


def latest_followups(conn: Connection, as_of: date, ids: list[int]) -> dict[int, dict]:
    """project id -> its latest follow-up on or before ``as_of``: ``{"on", "note"}``."""
    out: dict[int, dict] = {}
    for i in range(0, len(ids), _CHUNK):
        q = (select(FU.c.project_id, FU.c.effective_on, FU.c.note)
             .where(FU.c.project_id.in_(ids[i:i + _CHUNK]), FU.c.effective_on <= as_of)
             .order_by(FU.c.project_id, FU.c.effective_on, FU.c.event_seq))
        for pid, on, note in conn.execute(q):
            out[pid] = {"on": _as_date(on).isoformat(), "note": note}  # type: ignore[union-attr]
    return out


def _light_json(s) -> dict:
    return {"light": s.light.color,
            "reasons_detail": [{"code": r.code, "color": r.color, "en": r.en, "zh": r.zh} for r in s.light.reasons]}


def keyprojects(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
                thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en") -> dict:
    """重点项目推进表: every key project registered by the as-of date and not refused or withdrawn, with its
    lead leader, unit, planned investment, the year's plan and the investment completed in the year to
    date, the 序时进度 light, the latest follow-up (最新进展), the promised next step (下步计划) and its
    open problems; by unit, then code."""
    unit = resolve_unit(engine, unit)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    day = w.as_of
    with _read(engine) as conn:
        snaps = [s for s in snapshots(conn, day, t, unit=unit) if s.key and s.stage not in LOST_STAGES]
        ids = [s.id for s in snaps]
        leaders = _lead_leaders(conn, ids, day)
        names = _unit_names(conn)
        latest = latest_followups(conn, day, ids)
        promised = supervision.promises(conn, day, ids) if ids else {}
        problems: dict[int, list[dict]] = defaultdict(list)
        for p in supervision.open_problems(conn, day, ladder(conn, day), ids if len(ids) <= _CHUNK else None):
            problems[p["project_id"]].append(p)
    items: list[dict[str, Any]] = []
    for s in sorted(snaps, key=lambda s: (s.unit or "", s.code)):
        plan, done = s.year_plan_minor, s.year_done_minor
        promise = promised.get(s.id)
        items.append({
            "code": s.code, "name": s.name, "unit": s.unit, "unit_name": names.get(s.unit), "stage": s.stage,
            "lead_leader": leaders.get(s.id),
            "planned_investment": {"amount_minor": s.planned_minor, "currency": "CNY"},
            "year_plan": {"amount_minor": plan, "currency": "CNY"},
            "year_done": {"amount_minor": done, "currency": "CNY"},
            "plan_rate": round(done / plan, 4) if plan else None,
            "progress_light": (progress_color(plan, done, day, t) or "green") if plan else None,
            **_light_json(s),
            "latest_followup": latest.get(s.id),
            "next_step": ({"on": promise["next_on"].isoformat(), "text": promise["next_step"]}
                          if promise else None),
            "problems": [{"id": p["id"], "text": p["text"], "owner_unit": p["owner_unit"], "due": p["due"].isoformat(),
                          "level": p["level"], "overdue_days": p["overdue_days"]}
                         for p in sorted(problems.get(s.id, []), key=supervision.urgency_key)],
        })
    totals = {"projects": len(items),
              "planned_investment": {"amount_minor": sum(x["planned_investment"]["amount_minor"] for x in items),
                                     "currency": "CNY"},
              "year_plan": {"amount_minor": sum(x["year_plan"]["amount_minor"] for x in items), "currency": "CNY"},
              "year_done": {"amount_minor": sum(x["year_done"]["amount_minor"] for x in items), "currency": "CNY"}}
    return {"report": "keyprojects", **w.json(), "unit": unit, "year": day.year, "totals": totals, "projects": items}


def leaders(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
            thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en") -> dict:
    """包保领导一览: each county-level leader (a project's lead leader on the as-of date) with the projects
    they lead that are not refused or withdrawn, each with its stage and light; leaders by name, their
    projects worst light first.  Projects with no lead leader are left out (the lights name them)."""
    unit = resolve_unit(engine, unit)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    day = w.as_of
    with _read(engine) as conn:
        snaps = [s for s in snapshots(conn, day, t, unit=unit) if s.stage not in LOST_STAGES]
        lead = _lead_leaders(conn, [s.id for s in snaps], day)
        names = _unit_names(conn)
    by_leader: dict[str, dict[str, Any]] = {}
    order = {"red": 0, "yellow": 1, "green": 2, None: 3}
    for s in snaps:
        who = lead.get(s.id)
        if who is None:
            continue
        entry = by_leader.setdefault(who["login"], {**who, "projects": []})
        entry["projects"].append({"code": s.code, "name": s.name, "unit": s.unit, "unit_name": names.get(s.unit),
                                  "stage": s.stage, "key": s.key, **_light_json(s)})
    out = []
    for entry in sorted(by_leader.values(), key=lambda x: (x["name"], x["login"])):
        entry["projects"].sort(key=lambda p: (order[p["light"]], p["code"]))
        for color in ("red", "yellow", "green"):
            entry[color] = sum(1 for p in entry["projects"] if p["light"] == color)
        out.append(entry)
    return {"report": "leaders", **w.json(), "unit": unit, "leaders": out}


def visits(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
           thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en") -> dict:
    """观摩: the projects that broke ground or reached production in the period (the review's list) and
    the scoring sheet's criteria and weights in force on the as-of date (a setting)."""
    doc = review(engine, period, as_of=as_of, unit=unit, thresholds=thresholds, today=today, lang=lang)
    with _read(engine) as conn:
        criteria = visit_criteria(conn, date.fromisoformat(doc["as_of"]))
    doc.pop("series", None)
    return {**doc, "report": "visits", "criteria": [{"name": n, "weight": w} for n, w in criteria]}
