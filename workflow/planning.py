"""倒排工期: planned milestone dates derived backwards from the target production date.

A template gives the number of days between milestones — signing → first capital →
groundbreaking → production — and the industries it serves.  The templates are data: the
defaults below, overridden or added to by admins (``pipeline plan templates set``), stored in the
``setting`` table as ``plan.template.<name>`` (a JSON object).  A project's plan is recorded as one
``edited`` event through the existing edit command.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from workflow import ledger
from workflow.access import ADMIN, require
from workflow.clock import today as clock_today
from workflow.errors import BadInput, NotFound, Refused
from workflow.find import project_row
from workflow.lights import MILESTONE_STAGE, STAGE_ORDER, milestone_reached
from workflow.reports.figures import uncorrected
from workflow.tables import event as E
from workflow.tables import project as P
from workflow.tables import setting as ST
from workflow.text import fold

PREFIX = "plan.template."
MILESTONES = ("sign", "fund", "break_ground", "commission")
GAPS = ("sign_to_fund", "fund_to_break_ground", "break_ground_to_commission")


@dataclass(frozen=True)
class Template:
    name: str
    sign_to_fund: int
    fund_to_break_ground: int
    break_ground_to_commission: int
    industries: tuple[str, ...] = ()

    def json(self) -> dict:
        doc = asdict(self)
        doc["industries"] = list(self.industries)
        return doc

    def derive(self, commission: date) -> dict[str, date]:
        """The milestone dates that reach production on ``commission``."""
        ground = commission - timedelta(days=self.break_ground_to_commission)
        fund = ground - timedelta(days=self.fund_to_break_ground)
        sign = fund - timedelta(days=self.sign_to_fund)
        return {"sign": sign, "fund": fund, "break_ground": ground, "commission": commission}


DEFAULTS: dict[str, Template] = {t.name: t for t in (
    Template("default", 60, 90, 365),
    Template("industry", 60, 120, 540, ("industry", "manufacturing", "工业", "制造业", "矿业", "mining", "化工")),
    Template("energy", 45, 90, 450, ("energy", "new energy", "能源", "新能源", "风电", "光伏")),
    Template("agriculture", 30, 60, 240, ("agriculture", "农业", "农产品加工", "养殖", "种植")),
    Template("services", 30, 45, 300, ("services", "trade", "logistics", "tourism", "服务业", "商贸", "物流",
                                       "文旅", "旅游")),
)}


def _check(name: str, values: Mapping[str, Any], industries: Sequence[str]) -> Template:
    name = name.strip()
    if not name or len(name) > 40:
        raise BadInput("template_needs_name_of")
    days = {}
    for gap in GAPS:
        v = values.get(gap)
        if v.__class__ is not int or not 0 <= v <= 3650:
            raise BadInput("whole_number_of_days", replace=gap.replace('_', '-'), v=v)
        days[gap] = v
    return Template(name, industries=tuple(i.strip() for i in industries if i.strip()), **days)


def templates(conn: Connection) -> dict[str, Template]:
    """Every template: the defaults, with the stored ones over them."""
    out = dict(DEFAULTS)
    for key, value in conn.execute(select(ST.c.key, ST.c.value).where(ST.c.key.like(PREFIX + "%"))):
        try:
            doc = json.loads(value)
            out[key[len(PREFIX):]] = _check(key[len(PREFIX):], doc, doc.get("industries", []))
        except (ValueError, AttributeError, BadInput):
            raise BadInput("setting_is_not_valid", key=key) from None
    return out


def list_templates(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        stored = {k[len(PREFIX):] for (k,) in conn.execute(select(ST.c.key).where(ST.c.key.like(PREFIX + "%")))}
        return [{**t.json(), "stored": t.name in stored} for t in templates(conn).values()]


def set_template(engine: Engine, actor: str, name: str, *, sign_to_fund: int | None = None,
                 fund_to_break_ground: int | None = None, break_ground_to_commission: int | None = None,
                 industries: Sequence[str] | None = None) -> dict:
    """Add or change a template (admin); values not given keep the template's current ones."""
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change plan templates")
        current = templates(conn).get(name.strip())
        base = current.json() if current else {}
        given = {"sign_to_fund": sign_to_fund, "fund_to_break_ground": fund_to_break_ground,
                 "break_ground_to_commission": break_ground_to_commission}
        values = {k: v if v is not None else base.get(k) for k, v in given.items()}
        missing = [k for k, v in values.items() if v is None]
        if missing:
            raise BadInput("new_template_needs", missing=['--' + m.replace('_', '-') for m in missing])
        t = _check(name, values, industries if industries is not None else base.get("industries", []))
        key = PREFIX + t.name
        text = json.dumps(t.json(), ensure_ascii=False, sort_keys=True)
        if conn.execute(select(ST.c.key).where(ST.c.key == key)).first() is None:
            conn.execute(insert(ST).values(key=key, value=text))
        else:
            conn.execute(update(ST).where(ST.c.key == key).values(value=text))
        ledger.append(conn, actor, "plan_template", t.name, t.json())
        return t.json()


def template_for(conn: Connection, name: str | None, industry: str | None) -> Template:
    """The template named, else the one serving the project's industry, else ``default``."""
    return choose_template(conn, name, industry)[0]


def choose_template(conn: Connection, name: str | None, industry: str | None) -> tuple[Template, str]:
    """The template and how it was chosen: ``named``, ``industry`` (the project's industry, folded,
    equals or contains one of the template's industries) or ``default``."""
    known = templates(conn)
    if name is not None:
        wanted = fold(name)
        for t in known.values():
            if fold(t.name) == wanted:
                return t, "named"
        raise NotFound("template_no_template_known", [{"template": name}], name=name, known=list(known))
    folded = fold(industry)
    if folded:
        for t in known.values():
            if any(fold(i) == folded for i in t.industries):
                return t, "industry"
        for t in known.values():
            if any(fold(i) and fold(i) in folded for i in t.industries):
                return t, "industry"
    return known["default"], "default"


def reached_on(conn: Connection, project_id: int, stage: str) -> dict[str, date | None]:
    """milestone -> the date the project reached it (the effective date of its first uncorrected
    transition into the milestone's stage, else into a later stage), for the milestones its stage
    has reached; ``None`` when no transition records it (a project registered at that stage)."""
    q = (select(E.c.to_stage, func.min(E.c.effective_on))
         .where(E.c.project_id == project_id, E.c.kind == "transition",
                E.c.to_stage.in_(list(MILESTONE_STAGE.values())), uncorrected())
         .group_by(E.c.to_stage))
    first = {st: (on if isinstance(on, date) else date.fromisoformat(str(on)[:10])) for st, on in conn.execute(q)}
    out: dict[str, date | None] = {}
    for m in MILESTONES:
        pos = STAGE_ORDER.index(MILESTONE_STAGE[m])
        later = [d for st, d in first.items() if STAGE_ORDER.index(st) >= pos]
        if milestone_reached(stage, m) or later:
            out[m] = first.get(MILESTONE_STAGE[m]) or (min(later) if later else None)
    return out


def plan(engine: Engine, code: str, commission: date, *, template: str | None = None,
         replace: bool = False, today: date | None = None, allow_past: bool = False) -> dict:
    """What ``project plan`` would record: the derived dates, the project's current ones, and the
    changes (existing dates kept unless ``replace``; the target production date always set).

    Milestones the project has reached keep their real date and are not planned again.  A date
    that would lie before ``today`` or before a reached milestone is refused (naming the milestone
    and the date it would need) unless ``allow_past``; see docs/usage.md "倒排工期"."""
    with engine.connect() as conn:
        row = project_row(conn, code, P.c.id, P.c.code, P.c.industry, P.c.version, P.c.stage,
                          *[P.c[f"plan_{m}"] for m in MILESTONES])
        t, chosen = choose_template(conn, template, row["industry"])
        reached = reached_on(conn, row["id"], row["stage"])
    if "commission" in reached:
        raise Refused("plan_already_in_production", code=row["code"])
    derived = t.derive(commission)
    current = {m: row[f"plan_{m}"] for m in MILESTONES}
    changes = {}
    past = []
    floor = max(((d, m) for m, d in reached.items() if d is not None), default=None)
    for m in MILESTONES:
        if m in reached:
            continue
        keep = current[m] is not None and not replace and m != "commission"
        if not keep and current[m] != derived[m]:
            changes[m] = derived[m]
    final = {m: reached.get(m) if m in reached else changes.get(m, current[m]) for m in MILESTONES}
    last = None
    for m in MILESTONES:
        d = final[m]
        if d is None:
            continue
        if m in changes:
            if d < today_or(today):
                past.append({"milestone": m, "date": d.isoformat(), "before": "today",
                             "limit": today_or(today).isoformat()})
            elif floor is not None and d < floor[0]:
                past.append({"milestone": m, "date": d.isoformat(), "before": floor[1],
                             "limit": floor[0].isoformat()})
            elif last is not None and d < last[1]:
                past.append({"milestone": m, "date": d.isoformat(), "before": last[0],
                             "limit": last[1].isoformat()})
        if last is None or d >= last[1]:
            last = (m, d)
    if past and not allow_past:
        first = past[0]
        if first["before"] == "today":
            raise Refused("plan_milestone_in_past", milestone="plan_" + first["milestone"],
                          needs=date.fromisoformat(first["date"]), today=date.fromisoformat(first["limit"]))
        raise Refused("plan_milestone_out_of_order", milestone="plan_" + first["milestone"],
                      needs=date.fromisoformat(first["date"]), after="plan_" + first["before"],
                      limit=date.fromisoformat(first["limit"]))
    return {"code": row["code"], "industry": row["industry"], "template": t.json(), "template_chosen": chosen,
            "derived": {m: d.isoformat() for m, d in derived.items()},
            "current": {m: (d.isoformat() if d else None) for m, d in current.items()},
            "reached": {m: (d.isoformat() if d else None) for m, d in reached.items()},
            "changes": {m: d.isoformat() for m, d in changes.items()}, "past": past,
            "version": row["version"]}


def today_or(today: date | None) -> date:
    return today if today is not None else clock_today()
