"""The bulk matcher and the database reads: rules, people, stage kinds, leaders' loads."""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import bindparam, func, select

from workflow import tables
from workflow.definition import default_definition, get_definition
from workflow.recorders import recorder
from workflow.rules.conditions import COUNTED_KINDS, LIST_CONDITIONS, LIST_FIELD, Conditions, Facts, _is_exact, _norm
from workflow.rules.decision import PersonInfo, RuleRow

# --- the bulk matcher ----------------------------------------------------------------------------


class ProjectIndex:
    """Set indexes over many projects' facts, so one rule finds all its projects at once."""

    def __init__(self, facts: list[Facts]):
        self.facts = facts
        self.n = len(facts)
        self.by: dict[str, dict[str | None, set[int]]] = {name: defaultdict(set) for name in LIST_CONDITIONS}
        self.key: set[int] = set()
        self.not_key: set[int] = set()
        for name in LIST_CONDITIONS:
            attr, exact, index = LIST_FIELD[name], _is_exact(name), self.by[name]
            memo: dict[str | None, str | None] = {}
            for i, f in enumerate(facts):
                raw = getattr(f, attr)
                v = memo[raw] if raw in memo else memo.setdefault(raw, _norm(raw, exact))
                if v is not None:
                    index[v].add(i)
        for i, f in enumerate(facts):
            (self.key if f.key else self.not_key).add(i)
        order = sorted(range(self.n), key=lambda i: facts[i].planned_investment_minor)
        self._inv = [facts[i].planned_investment_minor for i in order]
        self._inv_ids = order

    def match(self, cond: Conditions) -> set[int]:
        if cond.impossible:
            return set()
        sets: list[set[int]] = []
        if cond.key is not None:
            sets.append(self.key if cond.key else self.not_key)
        for name in LIST_CONDITIONS:
            wanted = getattr(cond, name)
            if wanted is None:
                continue
            exact = _is_exact(name)
            found = [self.by[name].get(_norm(w, exact), ()) for w in wanted]
            sets.append(set().union(*found) if len(found) != 1 else set(found[0]))
        lo, hi = cond.min_investment_minor, cond.max_investment_minor
        if lo is not None or hi is not None:
            a = bisect_left(self._inv, lo) if lo is not None else 0
            b = bisect_right(self._inv, hi) if hi is not None else self.n
            sets.append(set(self._inv_ids[a:b]))
        if not sets:
            return set(range(self.n))
        sets.sort(key=len)
        return set(sets[0]).intersection(*sets[1:])


# --- database reads ------------------------------------------------------------------------------


def _tables():
    return tables.rule, tables.person, tables.project, tables.assignment, tables.unit


def load_rules(conn, *, current_only: bool = True, active_only: bool = False, rule_id: int | None = None
               ) -> list[RuleRow]:
    R = _tables()[0]
    stmt = select(R)
    if current_only:
        stmt = stmt.where(R.c.current.is_(True))
    if active_only:
        stmt = stmt.where(R.c.active.is_(True))
    if rule_id is not None:
        stmt = stmt.where(R.c.id == rule_id)
    rows = [RuleRow.of(r) for r in conn.execute(stmt).mappings()]
    rows.sort(key=lambda r: (r.priority, r.id, -r.version) if current_only else (r.id, r.version))
    return rows


def load_people(conn, logins: Iterable[str] | None = None) -> dict[str, PersonInfo]:
    PE = _tables()[1]
    stmt = select(PE.c.login, PE.c.name, PE.c.level, PE.c.active, PE.c.cap)
    if logins is not None:
        logins = sorted(set(logins))
        if not logins:
            return {}
        stmt = stmt.where(PE.c.login.in_(logins))
    return {r["login"]: PersonInfo.of(r) for r in conn.execute(stmt).mappings()}


@lru_cache(maxsize=16)
def stage_kinds(name: str, version: int) -> dict[str, str]:
    """Stage key -> kind of a workflow version (definitions never change once shipped: built once)."""
    return {s.key: s.kind for s in get_definition(name, version).stages}


def _counted_stages() -> list[str]:
    return [s.key for s in default_definition().stages if s.kind in COUNTED_KINDS]


def lead_load(conn, logins: Iterable[str] | None = None) -> dict[str, int]:
    """Open projects each person leads (stage active or paused; a final stage frees the slot).

    Lead leaders are only ever assigned to key projects; a project that stops being key keeps its
    leader (followed to the end) and so keeps its slot, which keeps the cap a true bound."""
    _, _, P, ASG, _ = _tables()
    stmt = (select(ASG.c.person_login, func.count())
            .select_from(ASG.join(P, P.c.id == ASG.c.project_id))
            .where(ASG.c.role == "lead_leader", ASG.c.ended_seq.is_(None), P.c.stage.in_(_counted_stages()))
            .group_by(ASG.c.person_login))
    if logins is not None:
        stmt = stmt.where(ASG.c.person_login.in_(sorted(set(logins))))
    return {login: int(n) for login, n in conn.execute(stmt)}


_LOAD_ONE: list = []  # the statement, built once


def lead_load_one(conn, login: str) -> int:
    """``lead_load`` for one person (the hot path of evaluating one project)."""
    if not _LOAD_ONE:
        _, _, P, ASG, _ = _tables()
        _LOAD_ONE.append(
            select(func.count()).select_from(ASG.join(P, P.c.id == ASG.c.project_id))
            .where(ASG.c.person_login == bindparam("b_login"), ASG.c.role == "lead_leader",
                   ASG.c.ended_seq.is_(None), P.c.stage.in_(_counted_stages())))
    return int(conn.execute(_LOAD_ONE[0], {"b_login": login}).scalar() or 0)


def lock_people(conn, logins: Iterable[str]) -> None:
    """PostgreSQL: serialise cap decisions on these people until the transaction ends (SQLite's
    BEGIN IMMEDIATE already serialises every writer).  Advisory locks, in a fixed order, need no
    UPDATE grant on ``person`` (coordinators have none)."""
    serialize = recorder(conn).serialize  # PostgreSQL: advisory locks; SQLite: nothing (see above)
    for login in sorted(set(logins)):
        key = int.from_bytes(hashlib.sha256(f"pipeline.lead:{login}".encode()).digest()[:8], "big", signed=True)
        serialize(conn, key)
