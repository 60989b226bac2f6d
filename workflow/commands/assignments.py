"""Who follows a project: assignments made by the leader-assignment rules, reassignments by hand,
and ``rules apply`` (一个重点项目、一名县级领导、一抓到底)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select

from workflow import rules as R
from workflow import words
from workflow.catalogue import Message
from workflow.commands.common import check_on, check_stage_allows
from workflow.errors import BadInput, NotFound
from workflow.events import Assigned
from workflow.find import person_login
from workflow.store import ProjectRow, Txn
from workflow.tables import person as PE
from workflow.values import reason as check_reason


class RuleContext:
    """The rules and people as one transaction sees them, and each lead leader's load counted on as
    the transaction assigns (what ``rules.lead_load`` would read back).  ``prepare`` matches many new
    projects at once (a batch) with the index ``rules apply`` uses."""

    def __init__(self, txn: Txn):
        self.conn = txn.conn
        self.versions = R.load_rules(txn.conn, current_only=False)
        self.by_day: dict[date, list[R.RuleRow]] = {}
        self.people = R.load_people(txn.conn)
        self.loads: dict[str, int] = {}
        self.locked: set[str] = set()
        self.prepared: dict[int, list[R.RuleRow]] = {}

    @classmethod
    def of(cls, txn: Txn) -> RuleContext:
        ctx = txn.cache.get("rules")
        if ctx is None:
            ctx = txn.cache["rules"] = cls(txn)
        return ctx

    def rules(self, day: date) -> list[R.RuleRow]:
        """The active rules in force on ``day`` (``rules.in_force``), in ``rule_order``."""
        found = self.by_day.get(day)
        if found is None:
            found = self.by_day[day] = sorted((r for r in R.in_force(self.versions, day) if r.active),
                                              key=R.rule_order)
        return found

    def load(self, login: str) -> int:
        if login not in self.loads:
            self.loads[login] = R.lead_load_one(self.conn, login)
        return self.loads[login]

    def lock(self, logins: Iterable[str]) -> None:
        todo = [x for x in logins if x not in self.locked]
        if todo:
            R.lock_people(self.conn, todo)
            self.locked.update(todo)

    def matching(self, proj: ProjectRow, facts: R.Facts, day: date) -> list[R.RuleRow]:
        found = self.prepared.pop(proj.id, None)
        if found is not None:
            return found
        return [r for r in self.rules(day) if r.conditions.matches(facts)]

    def prepare(self, projects: Sequence[tuple[int, R.Facts, date]]) -> None:
        """Match the rules against many projects (id, facts, decision date) at once
        (``rules.ProjectIndex``, one index per set of rules in force among their dates): ``matching``
        then answers for them without trying each rule on each project."""
        groups: dict[tuple[tuple[int, int], ...], list[tuple[int, R.Facts, list[R.RuleRow]]]] = {}
        for pid, facts, day in projects:
            rules = self.rules(day)
            if rules:
                groups.setdefault(tuple((r.id, r.version) for r in rules), []).append((pid, facts, rules))
        for members in groups.values():
            rules = members[0][2]
            index = R.ProjectIndex([f for _, f, _ in members])
            matching: list[list[R.RuleRow]] = [[] for _ in members]
            for rule in rules:  # in rule_order: each project's list stays in that order
                for i in index.match(rule.conditions):
                    matching[i].append(rule)
            for (pid, _, _), found in zip(members, matching, strict=True):
                self.prepared[pid] = found


def assign_missing(txn: Txn, proj: ProjectRow, on: date, changed: Iterable[str] | None) -> int:
    """Fill the roles ``proj`` is missing from the rules in force on ``on`` (never replaces anyone).

    Run when a project is created (``changed`` None) or edited; does nothing unless a field a
    condition reads changed.  Returns how many assignments it made."""
    if changed is not None and not R.CONDITION_FIELDS & set(changed):
        return 0
    kind = R.stage_kinds(proj.workflow_name, proj.workflow_version).get(proj.stage, "active")
    if kind == "final":
        return 0
    ctx = RuleContext.of(txn)
    if not ctx.rules(on):
        return 0
    facts = R.Facts.of(proj)
    matching = ctx.matching(proj, facts, on)
    if not matching:
        return 0
    holders = txn.facts(proj).holders
    held = {role: [a["person_login"] for a in rows] for role, rows in holders.items() if rows}
    if facts.key and not held.get("lead_leader"):
        ctx.lock([r.person for r in matching if r.role == "lead_leader"])
    chosen = R.decide(facts, kind, matching, held, ctx.people, ctx.load)
    for rule in chosen:
        txn.emit(proj, Assigned(on=on, role=rule.role, person=rule.person, rule_id=rule.id,
                                rule_version=rule.version))
        if rule.role == "lead_leader":
            ctx.loads[rule.person] = ctx.load(rule.person) + 1
    return len(chosen)


def _person_level(txn: Txn, login: str) -> str | None:
    people = txn.cache.setdefault("person_levels", {})
    if login not in people:
        people[login] = txn.conn.execute(select(PE.c.level).where(PE.c.login == login)).scalar()
    return people[login]


def reassign(txn: Txn, proj: ProjectRow, *, role: str, login: str, reason: str | None, on: date) -> None:
    """The only way to replace a lead leader or first responsible person (一抓到底); for a team
    member it adds one."""
    role = words.assignment_roles().parse(role, "ROLE")
    why = check_reason(reason, Message("reason_is_required_say_why"), required_=True)
    check_stage_allows(proj, "assignment")
    check_on(txn, proj, on, transition=False)
    level = _person_level(txn, login)
    if level is None:  # not a login: a name (workflow/find.py), else refused naming the people close to it
        login = person_login(txn.conn, login, "LOGIN")
        level = _person_level(txn, login)
    if level is None:
        raise NotFound("no_person_add_them", [{"person": login}], login=login)
    if role == "lead_leader" and level != "county":
        raise BadInput("is_level_lead_leader", login=login, level=level)
    current = txn.facts(proj).holders.get(role, [])
    if any(c["person_login"] == login for c in current):
        raise BadInput("already_holds_on", login=login, role=role, code=proj.code)
    replaces = current[0]["person_login"] if current and role in R.SINGLE_ROLES else None
    txn.emit(proj, Assigned(on=on, role=role, person=login, why=why, replaces=replaces))


def apply_rules(txn: Txn, plan: R.Plan, on: date) -> None:
    """``rules apply``: the missing assignments ``plan`` found, written to every project in this
    transaction (each locked; its holders re-read under the lock, as another writer may have added
    one since the plan was made)."""
    ctx = RuleContext.of(txn)
    ctx.lock([r.person for rules in plan.by_project.values() for r in rules if r.role == "lead_leader"])
    projs = txn.lock_many(list(plan.by_project))
    for code, chosen in plan.by_project.items():
        proj = projs[code]
        holders = txn.facts(proj).holders
        day = max(on, proj.registered_on)
        for rule in chosen:
            logins = [a["person_login"] for a in holders.get(rule.role, [])]
            if (rule.role in R.SINGLE_ROLES and logins) or rule.person in logins:
                continue
            txn.emit(proj, Assigned(on=day, role=rule.role, person=rule.person, rule_id=rule.id,
                                    rule_version=rule.version))
        txn.done(proj)


