"""Building the demo county: what is in a database, the demo's mark, and the build through the commands."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy import inspect as schema

from workflow import clock, tables
from workflow.bulk import Op
from workflow.catalogue import Message
from workflow.county import identity_in
from workflow.demo.plan import (
    AUDITOR,
    BIG_PROJECT_MINOR,
    COORDINATORS,
    COUNTY_LEADERS,
    DEMO_SETTING,
    INDUSTRY_LEADS,
    LEADER_USERS,
    NAMED,
    STAGE_PATH,
    TEAM_MEMBER,
    TOWNSHIPS,
    UNIT_HEADS,
    UNITS,
    WAN,
    Spec,
    _Numbers,
    specs,
    story,
)
from workflow.money import Money
from workflow.rules import Conditions as conditions
from workflow.rules import add_rule
from workflow.service import Service, project_codes
from workflow.tables import event as E
from workflow.tables import project as P
from workflow.tables import setting as st
from workflow.targets import set_target

# --- what is in a database -----------------------------------------------------------------------


# Set-up ledger kinds ``inspect`` names otherwise (by their tables, or the county identity), or that
# ``pipeline init`` writes (the admin a demo is built by): the others are set-up a demo did not make.
_NAMED_KINDS = ("user_", "unit_", "person_", "city_trust_added", "city_loaded", "county_set")


def inspect(engine) -> dict:
    """Whether a database holds data, and whether it is a demo: ``{"has_data", "demo", "held", ...counts}``.

    ``held`` names what it holds (messages, docs/city.md "The city scenario"): projects, units, people,
    trusted county keys, loaded counties, the county identity, and every other set-up ledger entry
    (settings, rules, targets, closed periods, …), by kind; ``has_data`` is whether it holds any.  What
    ``pipeline init`` makes (the schema, the admin) is not data: a demo is built on it."""
    held: list[Message] = []
    with engine.connect() as conn:
        counts = {name: conn.execute(select(func.count()).select_from(t)).scalar()
                  for name, t in (("projects", tables.project), ("units", tables.unit), ("people", tables.person))}
        st = tables.setting
        mark = conn.execute(select(st.c.value).where(st.c.key == DEMO_SETTING)).scalar()
        names = set(schema(conn).get_table_names())

        def rows(t: Any) -> int:  # a table an older schema may not have yet
            return conn.execute(select(func.count()).select_from(t)).scalar() if t.name in names else 0

        held += [m for m in (Message("demo_holds_projects", n=counts["projects"]),
                             Message("demo_holds_units", n=counts["units"]),
                             Message("demo_holds_people", n=counts["people"]),
                             Message("demo_holds_keys", n=rows(tables.city_key)),
                             Message("demo_holds_counties", n=rows(tables.city_county))) if m.fields["n"]]
        if tables.ledger.name in names:
            who = identity_in(conn)
            if who is not None:
                held.append(Message("demo_holds_identity", **who))
            kinds = Counter(k for (k,) in conn.execute(select(tables.ledger.c.kind))
                            if not k.startswith(_NAMED_KINDS))
            if kinds:
                held.append(Message("demo_holds_ledger", n=sum(kinds.values()), kinds=sorted(kinds)))
    demo = json.loads(mark) if mark else None
    return {**counts, "has_data": bool(held), "held": held, "demo": demo}


def _mark(engine, value: dict) -> None:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    with engine.begin() as conn:
        if conn.execute(select(st.c.key).where(st.c.key == DEMO_SETTING)).first() is None:
            conn.execute(insert(st).values(key=DEMO_SETTING, value=text))
        else:
            conn.execute(update(st).where(st.c.key == DEMO_SETTING).values(value=text))


# --- building ------------------------------------------------------------------------------------


def build(engine, *, admin: str, projects: int = 60, seed: int = 1,
          progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Build the demo county in an initialised, empty database where ``admin`` is admin; returns a
    summary (counts by stage, events, what was set up)."""
    progress = progress or _noop
    today = clock.today()
    rng = random.Random(seed)
    sqlite = engine.dialect.name == "sqlite"

    def as_(login: str) -> Service:  # on PostgreSQL the actor is the database login: no acting as others
        return Service(engine, login if sqlite else admin)

    _mark(engine, {"seed": seed, "projects": projects, "status": "building", "built_on": today.isoformat()})
    svc = Service(engine, admin)
    people = _people(svc)
    numbers = _Numbers()
    plan = specs(projects, rng)
    named = {d["name"]: d for d in NAMED}
    for spec in plan:
        story(spec, rng, today, numbers, named.get(spec.name))
    rules = _rules(svc, min((s.registered for s in plan), default=today))
    targets = _targets(svc, plan, today)

    # Register every project in one transaction; the rules assign leaders as they register.
    result = as_(COORDINATORS[0][0]).import_projects([s.row() for s in plan], progress=progress)
    for spec, code in zip(plan, project_codes(result["first"], result["rows"]), strict=True):
        spec.code = code

    # Lead leaders the rules did not give (a key project whose leader was at their cap, or whose
    # industry no rule covers), by hand, as the admin.
    leads: dict[str, str] = {}
    for view in svc.list_projects():
        for leader in view["leaders"]:
            if leader["role"] == "lead_leader":
                leads[view["code"]] = leader["login"]
    assign_ops = []
    for spec in plan:
        if not spec.is_key or spec.code in leads:
            continue
        lead = lead_for(spec)
        if lead is None and STAGE_PATH.index(spec.reaches) >= STAGE_PATH.index("signed"):
            lead = COUNTY_LEADERS[1][0]  # signing needs a lead leader: the executive deputy takes it on
        if lead is None:
            continue  # a key project no rule covers: a red light until someone is named
        assign_ops.append(Op(spec.code, "assign", spec.registered,
                             {"role": "lead_leader", "login": lead, "reason": "县招商引资协调委员会研究确定"}))
        leads[spec.code] = lead
    events = result["imported"] + result["assignments"]
    events += svc.bulk_apply(assign_ops, progress=progress)["events"]

    # The coordinators' records and transitions, each coordinator's in one transaction.
    by_coordinator: dict[str, list] = {}
    for spec in plan:
        login = COORDINATORS[0][0] if spec.unit in TOWNSHIPS else COORDINATORS[1][0]
        # The generated tranches are separate entries by construction (two may look alike), and their
        # sizes are meant (a large tranche is confirmed).
        by_coordinator.setdefault(login, []).extend(
            Op(spec.code, action, on, {**args, "allow_duplicate": True, **({"confirm": True} if action == "capital"
                                                                          else {})}
               if action in ("capital", "investment") else args) for on, action, args in spec.steps)
    for login, ops in by_coordinator.items():
        events += as_(login).bulk_apply(ops, progress=progress)["events"]

    # One explicit reassignment (only a reasoned reassignment replaces a lead leader: 一抓到底).
    moved = next((s for s in plan if s.code in leads and s.fate in ("signed", "funding", "construction")
                  and s.last <= today - timedelta(days=10)), None)
    if moved is not None:
        new = next(p[0] for p in COUNTY_LEADERS[1:] if p[0] != leads[moved.code])
        op = Op(moved.code, "assign", max(moved.last, today - timedelta(days=7)),
                    {"role": "lead_leader", "login": new, "reason": "县级领导分工调整"})
        events += svc.bulk_apply([op])["events"]
    summary = _summary(engine)
    summary.update(seed=seed, people=people, rules=rules, targets=targets, units=len(UNITS), events_written=events)
    _mark(engine, {"seed": seed, "projects": projects, "status": "done", "built_on": today.isoformat()})
    return summary


def _summary(engine) -> dict:


    with engine.connect() as conn:
        stages = dict(conn.execute(select(P.c.stage, func.count()).group_by(P.c.stage)).all())
        events = conn.execute(select(func.count()).select_from(E)).scalar()
    return {"projects": sum(stages.values()), "stages": dict(sorted(stages.items())), "events": events}


def _targets(svc, plan: list[Spec], today: date) -> int:
    """This year's targets per unit: around what the demo's
    projects achieve, so that some units beat theirs and some fall short (a ranking to read)."""
    year = today.year
    got: dict[str, Counter] = {u[0]: Counter() for u in UNITS}
    for spec in plan:
        for on, action, args in spec.steps:
            if on.year != year:
                continue
            if action == "advance" and args.get("target") == "sign":
                got[spec.unit]["signed"] += 1
            elif action == "capital":
                got[spec.unit]["foreign" if args["currency"] == "USD" else "capital"] += args["amount_minor"]
            elif action == "investment":
                got[spec.unit]["investment"] += args["amount_minor"]
    count = 0
    for i, (code, _name, _kind) in enumerate(UNITS):
        factor = (0.7, 1.0, 1.3, 0.9, 1.6, 1.1)[i % 6]  # fixed, so the ranking is the same every time
        g = got[code]
        kwargs: dict[str, Any] = {"signed": max(1, round(g["signed"] * factor))}
        kwargs["capital"] = Money(max(100 * WAN, _round_minor(g["capital"] * factor)), "CNY")
        kwargs["investment"] = Money(max(100 * WAN, _round_minor(g["investment"] * factor)), "CNY")
        if g["foreign"]:
            kwargs["foreign"] = Money(_round_minor(g["foreign"] * factor), "USD")
        set_target(svc, code, year, reason="demo data", **kwargs)
        count += 1
    return count


def _round_minor(minor: float) -> int:
    return max(WAN, int(round(minor / (100 * WAN))) * 100 * WAN)


def _noop(*_a, **_k) -> None:
    return None


def _people(svc) -> int:
    count = 0
    for code, name, kind in UNITS:
        svc.add_unit(code, name, kind)
    for login, name, title, cap in COUNTY_LEADERS:
        svc.add_person(login, name, "county", unit=None, title=title, cap=cap)
        count += 1
    for code, (login, name, title) in UNIT_HEADS.items():
        kind = dict((u[0], u[2]) for u in UNITS)[code]
        svc.add_person(login, name, "township" if kind == "township" else "department", unit=code, title=title)
        count += 1
    login, name, title, unit = TEAM_MEMBER
    svc.add_person(login, name, "department", unit=unit, title=title)
    count += 1
    for login, _name in COORDINATORS:
        svc.add_user(login, "coordinator")
    for login in LEADER_USERS:
        svc.add_user(login, "leader")
    svc.add_user(AUDITOR, "auditor")
    return count


def lead_for(spec: Spec) -> str | None:
    """The county leader the demo's rules give a key project (None: no rule covers it)."""
    return INDUSTRY_LEADS.get(spec.industry)


def _rules(svc, since: date) -> int:
    """The demo's leader-assignment rules, in force from ``since`` (its first registration: the rules
    decide every project of its story); returns how many."""
    count = 0

    def rule(priority: int, role: str, person: str, name: str, **cond) -> None:
        nonlocal count
        add_rule(svc, role=role, person=person, priority=priority, conditions=conditions.build(**cond), name=name,
                 effective_on=since)
        count += 1

    rule(5, "lead_leader", "liu.jianguo", "县长包保5亿元以上重点项目", key=True, min_investment_minor=BIG_PROJECT_MINOR)
    for i, (person, industries) in enumerate(_by_person(INDUSTRY_LEADS).items()):
        rule(10 + i, "lead_leader", person, f"分管领导包保{'、'.join(industries)}重点项目", key=True,
             industries=industries)
    for i, (code, (login, _name, _title)) in enumerate(UNIT_HEADS.items()):
        rule(100 + i, "first_responsible", login, f"{code}项目第一责任人", units=[code])
    rule(200, "team_member", TEAM_MEMBER[0], "重点项目专班", key=True)
    return count


def _by_person(mapping: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for industry, person in mapping.items():
        out.setdefault(person, []).append(industry)
    return out
