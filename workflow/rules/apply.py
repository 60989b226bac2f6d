"""Rules apply and explain: the plan over all projects, its document, and why a project got whom."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from workflow import clock
from workflow.find import project_row
from workflow.i18n import t
from workflow.rules.conditions import COUNTED_KINDS, SINGLE_ROLES, Facts
from workflow.rules.decision import RuleRow, decide, in_force, person_problem, rule_order
from workflow.rules.reads import ProjectIndex, _tables, lead_load, load_people, load_rules, stage_kinds

# --- rules apply -----------------------------------------------------------------------------------


@dataclass
class Plan:
    changes: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    by_project: dict[str, list[RuleRow]] = field(default_factory=dict)
    projects: int = 0


def plan_all(conn, on: date | None = None) -> Plan:
    """Every missing assignment over all projects by the rules in force on ``on`` (default: today),
    in project order (earlier projects take cap slots first), plus the kept assignments that need a
    person's attention."""
    _, _, P, ASG, _ = _tables()
    rules = sorted(in_force(load_rules(conn, current_only=False), on or clock.today()),
                   key=lambda r: (r.priority, r.id))
    current_by_id = {r.id: r for r in rules}
    active_rules = [r for r in rules if r.active]
    people = load_people(conn)
    cols = (P.c.id, P.c.code, P.c.key, P.c.category, P.c.industry, P.c.unit_code, P.c.origin,
            P.c.planned_investment_minor, P.c.stage, P.c.workflow_name, P.c.workflow_version)
    kinds_cache: dict[tuple[str, int], dict[str, str]] = {}
    ids: list[int] = []
    codes: list[str] = []
    facts: list[Facts] = []
    kinds: list[str] = []
    kind_of_id: dict[int, str] = {}
    code_of_id: dict[int, str] = {}
    for pid, code, key, cat, ind, unit, origin, inv, stage, wf, wv in conn.execute(select(*cols).order_by(P.c.id)):
        kmap = kinds_cache.get((wf, wv))
        if kmap is None:
            kmap = kinds_cache[(wf, wv)] = stage_kinds(wf, wv)
        kind = kmap.get(stage, "active")
        kind_of_id[pid] = kind
        code_of_id[pid] = code
        if kind == "final":
            continue
        ids.append(pid)
        codes.append(code)
        facts.append(Facts(bool(key), cat, ind, unit, origin, int(inv or 0)))
        kinds.append(kind)
    held: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    load: dict[str, int] = defaultdict(int)
    plan = Plan(projects=len(ids))
    asg_cols = (ASG.c.project_id, ASG.c.role, ASG.c.person_login, ASG.c.rule_id, ASG.c.rule_version)
    for pid, role, holder, rule_id, rule_version in conn.execute(
            select(*asg_cols).where(ASG.c.ended_seq.is_(None)).order_by(ASG.c.id)):
        pkind = kind_of_id.get(pid)
        if pkind is None or pkind == "final":
            continue
        held[pid][role].append(holder)
        if role == "lead_leader" and pkind in COUNTED_KINDS:
            load[holder] += 1
        person = people.get(holder)
        current = current_by_id.get(rule_id) if rule_id is not None else None
        problem = None
        if person is not None and not person.active:
            problem = "person_inactive"
        elif current is not None and not current.active:
            problem = "rule_disabled"
        if problem:
            plan.notices.append({"code": code_of_id[pid], "role": role, "person": holder, "rule_id": rule_id,
                                 "rule_version": rule_version, "problem": problem,
                                 "message": NOTICE_TEXT[problem][0], "message_zh": NOTICE_TEXT[problem][1]})

    index = ProjectIndex(facts)
    need_lead = {i for i in index.key if not held.get(ids[i], {}).get("lead_leader")}
    need_first = {i for i, pid in enumerate(ids) if not held.get(pid, {}).get("first_responsible")}
    matching: dict[int, list[RuleRow]] = defaultdict(list)
    for rule in sorted(active_rules, key=rule_order):
        person = people.get(rule.person)
        if person is None or not person.active or (rule.role == "lead_leader" and person.level != "county"):
            continue
        found = index.match(rule.conditions)
        if rule.role == "lead_leader":
            found &= need_lead
        elif rule.role == "first_responsible":
            found &= need_first
        for i in found:
            matching[i].append(rule)
    for i in sorted(matching):
        pid = ids[i]
        chosen = decide(facts[i], kinds[i], matching[i], held.get(pid, {}), people, load.__getitem__)
        if not chosen:
            continue
        plan.by_project[codes[i]] = chosen
        for rule in chosen:
            if rule.role == "lead_leader":
                load[rule.person] += 1
            person = people[rule.person]
            plan.changes.append({"code": codes[i], "role": rule.role, "from": None, "to": rule.person,
                                 "to_name": person.name, "rule_id": rule.id, "rule_version": rule.version})
    return plan


NOTICE_TEXT = {
    "rule_disabled": ("the rule that made this assignment is disabled; kept (use `pipeline reassign` to change)",
                      "作出该分配的规则已停用；保持不变（如需调整请用 `pipeline reassign`）"),
    "person_inactive": ("this person is deactivated; kept (use `pipeline reassign` to change)",
                        "该人员已停用；保持不变（如需调整请用 `pipeline reassign`）"),
}


def apply_doc(plan: Plan, *, dry_run: bool) -> dict:
    return {"dry_run": dry_run, "projects": plan.projects, "changes": plan.changes, "notices": plan.notices}


# --- rules explain ----------------------------------------------------------------------------------

OUTCOMES = {
    "assigned": ("made the current assignment as {role} ({person}, version {version}, since {since})",
                 "作出了现有分配（{person}，第{version}版，{since}起）"),
    "would_assign": ("matches: `rules apply` would assign {person}", "匹配：`rules apply` 将分配 {person}"),
    "disabled": ("disabled", "已停用"),
    "not_matched": ("does not match: {failed}", "不匹配：{failed}"),
    "final_stage": ("the project is in a final stage: nothing is assigned", "项目已处于终结阶段，不再分配"),
    "not_key": ("lead leaders are assigned to key projects only", "仅为重点项目分配包保县级领导"),
    "role_held": ("{holder} already holds this role and stays (followed to the end, 一抓到底)",
                  "{holder} 已担任此职，保持不变（一抓到底）"),
    "earlier_rule": ("rule {other} comes first (priority {priority})", "规则{other}优先（优先级{priority}）"),
    "already_on_team": ("{person} is already on the team", "{person} 已在专班中"),
    "person_inactive": ("{person} is deactivated", "{person} 已停用"),
    "not_county": ("{person} is not county level; a lead leader must be", "{person} 不是县级领导"),
    "over_cap": ("{person} is at their cap ({load}/{cap} active key projects)",
                 "{person} 已达包保上限（{load}/{cap} 个在建重点项目）"),
    "unknown_person": ("{person} is not a known person", "{person} 不是已登记人员"),
}


def _outcome(code: str, **kw) -> dict:
    en, zh = OUTCOMES[code]
    return {"outcome": code, "reason": en.format(**kw), "reason_zh": zh.format(**kw)}


def explain(service, code: str) -> dict:
    """``rules explain CODE``: every rule in force today (``in_force``: a version dated later decides
    nothing yet), each condition's result on this project, whether the person was over their cap,
    which rule made each assignment, and why the others did not."""
    _, _, P, ASG, _ = _tables()
    with service.engine.connect() as conn:
        row = project_row(conn, code)
        rules = sorted(in_force(load_rules(conn, current_only=False), clock.today()), key=lambda r: (r.priority, r.id))
        all_asg = [dict(r) for r in conn.execute(select(ASG).where(ASG.c.project_id == row["id"])
                                                 .order_by(ASG.c.id)).mappings()]
        logins = {r.person for r in rules} | {a["person_login"] for a in all_asg}
        people = load_people(conn, logins)
        loads = lead_load(conn, logins)
    facts = Facts.of(row)
    kind = stage_kinds(row["workflow_name"], row["workflow_version"]).get(row["stage"], "active")
    active_asg = [a for a in all_asg if a["ended_seq"] is None]
    held: dict[str, list[str]] = defaultdict(list)
    for a in active_asg:
        held[a["role"]].append(a["person_login"])
    made_by = {(a["role"], a["rule_id"]): a for a in active_asg if a["rule_id"] is not None}
    picked: dict[str, RuleRow] = {}
    team = set(held.get("team_member", []))
    out_rules = []

    def name_of(login):
        p = people.get(login)
        return f"{p.name} ({login})" if p else login

    for rule in rules:
        results = rule.conditions.check(facts)
        matched = all(c.ok for c in results)
        person = people.get(rule.person)
        cur_load = loads.get(rule.person, 0)
        over_cap = None
        if rule.role == "lead_leader" and person is not None and person.cap is not None:
            over_cap = cur_load >= person.cap and rule.person not in held.get("lead_leader", [])
        who = name_of(rule.person)
        asg = made_by.get((rule.role, rule.id))
        if asg is not None:
            oc = _outcome("assigned", role=t(rule.role, "en").lower(), person=name_of(asg["person_login"]),
                          version=asg["rule_version"], since=asg["assigned_on"].isoformat())
        elif not rule.active:
            oc = _outcome("disabled")
        elif not matched:
            failed_en = "; ".join(c.text for c in results if not c.ok)
            failed_zh = "；".join(c.text_zh for c in results if not c.ok)
            oc = {"outcome": "not_matched", "reason": OUTCOMES["not_matched"][0].format(failed=failed_en),
                  "reason_zh": OUTCOMES["not_matched"][1].format(failed=failed_zh)}
        elif kind == "final":
            oc = _outcome("final_stage")
        elif rule.role == "lead_leader" and not facts.key:
            oc = _outcome("not_key")
        elif rule.role in SINGLE_ROLES and held.get(rule.role):
            oc = _outcome("role_held", holder=", ".join(name_of(x) for x in held[rule.role]))
        elif rule.role in SINGLE_ROLES and rule.role in picked:
            oc = _outcome("earlier_rule", other=picked[rule.role].id, priority=picked[rule.role].priority)
        elif rule.role == "team_member" and rule.person in team:
            oc = _outcome("already_on_team", person=who)
        else:
            problem = person_problem(rule, person, lambda login: loads.get(login, 0))
            if problem is not None:
                oc = _outcome(problem, person=who, load=cur_load, cap=person.cap if person else None)
            else:
                oc = _outcome("would_assign", person=who)
                if rule.role in SINGLE_ROLES:
                    picked[rule.role] = rule
                else:
                    team.add(rule.person)
        out_rules.append({
            "id": rule.id, "version": rule.version, "priority": rule.priority, "name": rule.name,
            "role": rule.role, "person": rule.person, "person_name": person.name if person else None,
            "active": rule.active, "matched": matched, "conditions": [c.as_dict() for c in results],
            "over_cap": over_cap, "load": cur_load if rule.role == "lead_leader" else None,
            "cap": person.cap if person is not None and rule.role == "lead_leader" else None, **oc,
        })
    assignments = []
    current_by_id = {r.id: r for r in rules}
    for a in all_asg:
        cur = current_by_id.get(a["rule_id"]) if a["rule_id"] is not None else None
        p = people.get(a["person_login"])
        assignments.append({
            "role": a["role"], "login": a["person_login"], "name": p.name if p else None,
            "rule_id": a["rule_id"], "rule_version": a["rule_version"],
            "by": "rule" if a["rule_id"] is not None else "reassignment",
            "rule_current_version": cur.version if cur else None,
            "rule_active": cur.active if cur else None,
            "assigned_on": a["assigned_on"].isoformat(), "event_seq": a["event_seq"],
            "active": a["ended_seq"] is None,
            "ended_on": a["ended_on"].isoformat() if a["ended_on"] else None, "ended_seq": a["ended_seq"],
        })
    return {"code": row["code"], "name": row["name"], "stage": row["stage"], "stage_kind": kind,
            "key": facts.key, "facts": {"key": facts.key, "category": facts.category,
                                        "industry": facts.industry, "unit": facts.unit, "origin": facts.origin,
                                        "planned_investment": {"amount_minor": facts.planned_investment_minor,
                                                               "currency": "CNY"}},
            "rules": out_rules, "assignments": assignments}
