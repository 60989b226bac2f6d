"""Reads: what the commands show.  A read never takes a write lock (no ``SELECT … FOR UPDATE``), so
a login without write grants (an auditor on PostgreSQL) reads everything it may see."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.engine import Connection, Engine

from workflow import clock, performance, supervision, words
from workflow.amounts import money_json
from workflow.definition import default_definition, get_definition
from workflow.encoding import event_json
from workflow.find import project_row, resolve_unit, unit_code
from workflow.guards import context_of
from workflow.lights import LightFacts, Thresholds, compute_light
from workflow.periods import Period
from workflow.reports.state import year_done, year_plans
from workflow.settings import ladder, light_thresholds
from workflow.tables import assignment as ASG
from workflow.tables import capital_arrival as CAP
from workflow.tables import document as DOC
from workflow.tables import event as E
from workflow.tables import investment_completed as INV
from workflow.tables import person as PE
from workflow.tables import project as P
from workflow.tables import screening_check as CHK
from workflow.tables import unit as U
from workflow.tables import year_plan as YP
from workflow.words import PLAN_FIELDS


def open_transitions(engine: Engine, actor: str, code: str) -> dict:
    """``pipeline next``: every transition the workflow's machine has out of the current stage, with
    every guard's result (``workflow.machine.moves``); ``allowed`` is whether ``advance`` would fire it."""
    from workflow.machine import moves
    from workflow.store import ProjectRow, Txn

    with engine.connect() as conn:
        row = project_row(conn, code)
        proj = ProjectRow.of(row)
        txn = Txn(conn, actor)  # only its facts are used: nothing is written
        defn = get_definition(proj.workflow_name, proj.workflow_version)
        out = []
        for m in moves(defn, proj.stage, proj.held_from, context_of(proj, txn.facts(proj))):
            t = m.transition
            out.append({"trigger": t.trigger, "to": m.dest, "allowed": m.allowed, "needs_reason": t.needs_reason,
                        "label": {"en": t.en, "zh": t.zh}, "guards": list(m.results)})
    return {"code": proj.code, "stage": proj.stage, "version": proj.version, "transitions": out}


def get_project(engine: Engine, code: str, as_of: date | None = None, *,
                thresholds: Thresholds | None = None, records: bool = False) -> dict:
    """``project show``; with ``records`` (``--full``) also the project's records: ``checks``,
    ``documents``, ``capital`` and ``investment`` (docs/usage.md)."""
    with engine.connect() as conn:
        row = project_row(conn, code)
        view = project_views(conn, [row], as_of or clock.today(), full=True, thresholds=thresholds)[0]
        if records:
            view.update(project_records(conn, row))
        return view


def project_records(conn: Connection, row: Mapping[Any, Any]) -> dict:
    """The records of one project: every checklist item of its workflow with its latest result,
    note and date (``None`` while unchecked), its documents and its capital and investment tranches,
    each in the order recorded."""
    pid = row["id"]
    defn = get_definition(row["workflow_name"], row["workflow_version"])
    latest: dict[str, dict] = {}
    for c in conn.execute(select(CHK).where(CHK.c.project_id == pid).order_by(CHK.c.event_seq)).mappings():
        latest[c["item"]] = {"result": c["result"], "note": c["note"], "date": c["effective_on"].isoformat()}
    items = list(words.checks(defn).keys)
    items += [k for k in latest if k not in items]
    checks = [{"item": k, **latest.get(k, {"result": None, "note": None, "date": None})} for k in items]
    documents = [{"kind": d["kind"], "number": d["number"], "date": d["effective_on"].isoformat()}
                 for d in conn.execute(select(DOC).where(DOC.c.project_id == pid)
                                       .order_by(DOC.c.effective_on, DOC.c.event_seq)).mappings()]
    capital = [{"date": c["effective_on"].isoformat(), "amount": money_json(c["amount_minor"], c["currency"]),
                "source": c["source"]}
               for c in conn.execute(select(CAP).where(CAP.c.project_id == pid)
                                     .order_by(CAP.c.effective_on, CAP.c.event_seq)).mappings()]
    investment = [{"date": i["effective_on"].isoformat(), "amount": money_json(i["amount_minor"], i["currency"])}
                  for i in conn.execute(select(INV).where(INV.c.project_id == pid)
                                        .order_by(INV.c.effective_on, INV.c.event_seq)).mappings()]
    return {"checks": checks, "documents": documents, "capital": capital, "investment": investment}


def list_projects(engine: Engine, *, stage: str | None = None, unit: str | None = None, leader: str | None = None,
                  light: str | None = None, as_of: date | None = None,
                  thresholds: Thresholds | None = None) -> list[dict]:
    stage = words.stages(default_definition()).optional(stage, "--stage")
    light = words.lights().optional(light, "--light")
    unit = resolve_unit(engine, unit)
    stmt = filtered(select(P).order_by(P.c.id), stage=stage, unit=unit, leader=leader)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
        views = project_views(conn, rows, as_of or clock.today(), full=False, thresholds=thresholds)
    if light:
        views = [v for v in views if v["light"] == light]
    return views

def filtered(stmt: Any, *, stage: str | None, unit: str | None, leader: str | None) -> Any:
    """``stmt`` over ``project`` kept to a stage, a unit and the projects a leader currently holds a
    role on (each when given): the filters of ``project list`` and ``export``."""
    if stage:
        stmt = stmt.where(P.c.stage == stage)
    if unit:
        stmt = stmt.where(P.c.unit_code == unit)
    if leader:
        stmt = stmt.where(P.c.id.in_(select(ASG.c.project_id).where(ASG.c.person_login == leader,
                                                                     ASG.c.ended_seq.is_(None))))
    return stmt


def project_views(conn: Connection, rows: Sequence[Mapping[Any, Any]], as_of: date, *, full: bool,
                  thresholds: Thresholds | None = None) -> list[dict]:
    """What ``project show`` and ``project list`` print of each row (with its light as of ``as_of``)."""
    ids = [r["id"] for r in rows]
    leaders: dict[int, list[dict]] = {i: [] for i in ids}
    sums: dict[int, dict[str, dict[str, int]]] = {i: {"capital": {}, "investment": {}} for i in ids}
    units = dict(conn.execute(select(U.c.code, U.c.name)).all())
    if ids:
        in_ids = ASG.c.project_id.in_(ids) if len(ids) <= 5000 else true()
        q = (select(ASG.c.project_id, ASG.c.role, ASG.c.person_login, ASG.c.rule_id, ASG.c.rule_version,
                    ASG.c.assigned_on, PE.c.name)
             .select_from(ASG.join(PE, PE.c.login == ASG.c.person_login))
             .where(ASG.c.ended_seq.is_(None)).where(in_ids).order_by(ASG.c.id))
        for a in conn.execute(q).mappings():
            if a["project_id"] in leaders:
                leaders[a["project_id"]].append({
                    "role": a["role"], "login": a["person_login"], "name": a["name"],
                    "rule_id": a["rule_id"], "rule_version": a["rule_version"],
                    "since": a["assigned_on"].isoformat()})
        if full:
            for label, table in (("capital", CAP), ("investment", INV)):
                q = (select(table.c.project_id, table.c.currency, func.sum(table.c.amount_minor))
                     .where(table.c.project_id.in_(ids)).group_by(table.c.project_id, table.c.currency))
                for sum_row in conn.execute(q):
                    sums[sum_row[0]][label][sum_row[1]] = int(sum_row[2])
    if thresholds is None:
        thresholds = light_thresholds(conn, as_of=as_of)

    lad = ladder(conn, as_of)
    few = ids if len(ids) < 500 else None
    problems: dict[int, list[dict]] = {}
    for p in supervision.open_problems(conn, as_of, lad, few):
        problems.setdefault(p["project_id"], []).append(p)
    promised = supervision.promises(conn, as_of, few)

    in_list = ids if len(ids) < 500 else None
    year_plan = year_plans(conn, as_of, ids=in_list) if ids else {}
    done = year_done(conn, as_of, ids=in_list) if year_plan else {}
    judged = performance.for_lights(conn, as_of, in_list) if ids else {}
    all_plans: dict[int, dict[str, int]] = defaultdict(dict)
    if full and ids:
        for pid, year, minor in conn.execute(select(YP.c.project_id, YP.c.year, YP.c.amount_minor)
                                             .where(YP.c.project_id.in_(ids)).order_by(YP.c.event_seq)):
            all_plans[pid][str(year)] = int(minor)
    out = []
    for r in rows:
        defn = get_definition(r["workflow_name"], r["workflow_version"])
        stage = defn.stage(r["stage"])
        plan = {k: r[f"plan_{k}"] for k in PLAN_FIELDS}
        ls = leaders[r["id"]]
        light = compute_light(LightFacts(
            stage=r["stage"], stage_kind=stage.kind, stage_since=r["stage_since"],
            registered_on=r["registered_on"], last_followup_on=r["last_followup_on"], key=bool(r["key"]),
            has_lead_leader=any(x["role"] == "lead_leader" for x in ls), plan=plan,
            problems=tuple((p["id"], p["text"], p["level"]) for p in problems.get(r["id"], [])
                           if p["level"] >= lad.red_level),
            promised_on=promised[r["id"]]["next_on"] if r["id"] in promised else None,
            year_plan_minor=year_plan.get(r["id"]), year_done_minor=done.get(r["id"], 0),
            performance=judged.get(r["id"], ()) if performance.producing(r["stage"]) else ()), as_of,
            thresholds)
        view = {
            "code": r["code"], "name": r["name"], "investor": r["investor"], "origin": r["origin"],
            "industry": r["industry"], "category": r["category"], "key": bool(r["key"]),
            "stage": r["stage"], "stage_since": r["stage_since"].isoformat(), "unit": r["unit_code"],
            "unit_name": units.get(r["unit_code"]),
            "planned_investment": {"amount_minor": int(r["planned_investment_minor"]),
                                   "currency": r["planned_currency"]},
            "leaders": ls, "light": light.color,
            "light_reasons": [x.en for x in light.reasons],
            "light_reasons_zh": [x.zh for x in light.reasons],
            "plan": {k: (v.isoformat() if v else None) for k, v in plan.items()},
            "version": r["version"],
        }
        if full:
            view.update({
                "capital_in_place": [{"amount_minor": v, "currency": c}
                                     for c, v in sorted(sums[r["id"]]["capital"].items())],
                "investment_completed": [{"amount_minor": v, "currency": c}
                                         for c, v in sorted(sums[r["id"]]["investment"].items())],
                "held_from": r["held_from"], "registered_on": r["registered_on"].isoformat(),
                "last_followup_on": r["last_followup_on"].isoformat() if r["last_followup_on"] else None,
                "workflow": {"name": r["workflow_name"], "version": r["workflow_version"]},
                "as_of": as_of.isoformat(),
                "problems": [supervision.problem_json(p) for p in problems.get(r["id"], [])],
                "promised_followup": (promised[r["id"]]["next_on"].isoformat() if r["id"] in promised
                                      else None),
                "year_plans": {y: {"amount_minor": v, "currency": "CNY"}
                               for y, v in sorted(all_plans[r["id"]].items()) if v},
            })
        out.append(view)
    return out

def key_without_lead_leader(engine: Engine, first: str, last: str | None = None) -> list[str]:
    """The codes of the key projects registered from ``first`` to ``last`` (one project when ``last``
    is None) that hold no lead leader: what ``project add`` and ``import`` warn of, since no rule gave
    them one (docs/rules.md)."""
    with engine.connect() as conn:
        lo = project_row(conn, first, P.c.id)["id"]
        hi = project_row(conn, last, P.c.id)["id"] if last is not None else lo
        held = select(ASG.c.project_id).where(ASG.c.role == "lead_leader", ASG.c.ended_seq.is_(None),
                                              ASG.c.project_id.between(lo, hi))
        stmt = (select(P.c.code).where(P.c.id.between(lo, hi), P.c.key.is_(True), P.c.id.not_in(held))
                .order_by(P.c.id))
        return [str(c) for c in conn.execute(stmt).scalars()]


TRANCHE_TABLES = {"capital": CAP, "investment": INV}


def tranches(engine: Engine, kind: str, *, code: str | None = None, unit: str | None = None,
             period: Period | None = None) -> dict:
    """``capital list`` and ``investment list`` (docs/money.md): the tranches of ``kind`` of one
    project, of a unit's projects (code or name) and of a period (effective date inside it), each
    filter when given, newest first, with the total per currency."""
    table = TRANCHE_TABLES[kind]
    cols = [P.c.code, P.c.name, table.c.effective_on, table.c.amount_minor, table.c.currency]
    if kind == "capital":
        cols.append(table.c.source)
    stmt = (select(*cols).select_from(table.join(P, P.c.id == table.c.project_id))
            .order_by(table.c.effective_on.desc(), table.c.event_seq.desc(), table.c.id.desc()))
    with engine.connect() as conn:
        if code is not None:
            code = project_row(conn, code, P.c.id, P.c.code)["code"]
            stmt = stmt.where(P.c.code == code)
        if unit is not None:
            unit = unit_code(conn, unit)
            stmt = stmt.where(P.c.unit_code == unit)
        if period is not None:
            stmt = stmt.where(table.c.effective_on.between(period.start, period.end))
        rows = []
        totals: dict[str, int] = defaultdict(int)
        for r in conn.execute(stmt).mappings():
            row = {"code": r["code"], "name": r["name"], "date": r["effective_on"].isoformat(),
                   "amount": money_json(int(r["amount_minor"]), r["currency"])}
            if kind == "capital":
                row["source"] = r["source"]
            totals[r["currency"]] += int(r["amount_minor"])
            rows.append(row)
    return {"kind": kind, "code": code, "unit": unit, "period": period.label if period else None,
            "tranches": rows, "totals": [money_json(v, c) for c, v in sorted(totals.items())]}


def history(engine: Engine, code: str) -> dict:
    with engine.connect() as conn:
        proj = project_row(conn, code, P.c.id, P.c.code, P.c.name, P.c.stage, P.c.head_hash)
        code = proj["code"]
        rows = conn.execute(select(E).where(E.c.project_id == proj["id"]).order_by(E.c.seq)).mappings()
        events = [event_json(r) for r in rows]
    return {"code": code, "name": proj["name"], "stage": proj["stage"], "head_hash": proj["head_hash"],
            "events": events}



def ledger(engine: Engine, *, stage: str | None = None, unit: str | None = None) -> list[dict]:
    """The project ledger (项目台账) for ``pipeline export``: each project's own columns, by code."""
    stage = words.stages(default_definition()).optional(stage, "--stage")
    unit = resolve_unit(engine, unit)
    cols = [P.c.id, P.c.code, P.c.name, P.c.investor, P.c.origin, P.c.industry, P.c.category, P.c.key,
            P.c.key_override, P.c.planned_investment_minor, P.c.planned_currency, P.c.unit_code,
            *[P.c[f"plan_{k}"] for k in PLAN_FIELDS], P.c.registered_on, P.c.stage, P.c.stage_since]
    stmt = select(*cols).order_by(P.c.id)
    if stage is not None:
        stmt = stmt.where(P.c.stage == stage)
    if unit is not None:
        stmt = stmt.where(P.c.unit_code == unit)

    with engine.connect() as conn:
        plans: dict[int, dict[int, int]] = defaultdict(dict)
        for pid, year, minor in conn.execute(select(YP.c.project_id, YP.c.year, YP.c.amount_minor)
                                             .order_by(YP.c.event_seq)):
            plans[pid][int(year)] = int(minor)
        rows = []
        for r in conn.execute(stmt).mappings():
            row = dict(r)
            row["year_plans"] = {y: v for y, v in plans.get(row.pop("id"), {}).items() if v}
            rows.append(row)
        return rows

def project_identities(engine: Engine) -> Any:
    """The identities of every project a new one may duplicate (a ``workflow.io.Identities``, which
    keeps digests, not texts): how an import recognises a row it already holds."""
    from workflow.commands.projects import open_projects
    from workflow.io import Identities

    stmt = open_projects().execution_options(yield_per=10_000)

    def rows():
        with engine.connect() as conn:
            yield from conn.execute(stmt)

    return Identities(rows)


