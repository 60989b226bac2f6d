"""Leader-assignment rules (docs/rules.md): rules as versioned data, evaluation, explanation, apply.

"One key project, one county-level leader, one dedicated team, followed to the end"
(一个重点项目、一名县级领导、一套专门班子、一抓到底), stated once as rules:

- A rule has a priority (a lower number is tried first; equal priorities by rule id), a role, a
  person and conditions (any of: key, categories, industries, units, origins, min/max planned
  investment).  Every condition given must hold; a rule without conditions matches every project.
  Text conditions compare case- and whitespace-insensitively; units compare by exact code.
- ``lead_leader``: for an active (or paused) key project, the first matching rule whose person is
  active, county level and under their cap (the open projects they lead).  Exactly one per project.
- ``first_responsible``: the first matching rule whose person is active.
- ``team_member``: every matching rule whose person is active (the dedicated team, 专班).
- Followed to the end (一抓到底): evaluation only fills what is missing.  It never replaces a lead
  leader or first responsible person and never removes a team member; ``reassign`` (with
  a reason, as a history event) is the only way to replace someone.
- A project in a final stage gets nothing and no longer counts against its leader's cap.

Rules live in the ``rule`` table, one row per version: an edit writes a new version and moves
``current``; old versions stay readable.  Rule changes are admin-only and are not project history;
assignments are (an ``assignment`` event with the rule id and version).

This module holds the rules as data, the decision (``decide``) and the readers (``load_rules``,
``lead_load``, ``plan_all``, ``explain``).  The writes that act on a decision are commands:
``workflow.commands.assignments.assign_missing`` runs when a project is created, imported or edited
in a field a condition reads, and ``apply_rules`` writes what ``plan_all`` found for ``rules apply``,
which matches all rules against all projects with set indexes instead of one rule at a time.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from workflow.catalogue import Message
from workflow.errors import BadInput, Conflict, NotFound

ASSIGNMENT_ROLES = ("lead_leader", "first_responsible", "team_member")
SINGLE_ROLES = ("lead_leader", "first_responsible")
LIST_CONDITIONS = ("categories", "industries", "units", "origins")
CONDITION_NAMES = ("key", *LIST_CONDITIONS, "min_investment", "max_investment")
# Project columns a condition reads: a change to any of them re-evaluates the project's rules.
CONDITION_FIELDS = frozenset({"key", "key_override", "category", "industry", "unit_code", "origin",
                              "planned_investment_minor"})
# The project attribute each list condition reads.
LIST_FIELD = {"categories": "category", "industries": "industry", "units": "unit", "origins": "origin"}
COUNTED_KINDS = ("active", "paused")  # a lead leader's slot is taken until the project is final


def _norm(value: str | None, exact: bool = False) -> str | None:
    """The comparison form of a text value: codes exactly, other text case- and space-insensitive."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    return text if exact else text.casefold()


def _is_exact(name: str) -> bool:
    return name == "units"


# --- conditions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What conditions read of a project."""

    key: bool
    category: str | None = None
    industry: str | None = None
    unit: str | None = None
    origin: str | None = None
    planned_investment_minor: int = 0

    @classmethod
    def of(cls, row: Any) -> Facts:
        get = row.get if isinstance(row, Mapping) else (lambda k: getattr(row, k))
        return cls(key=bool(get("key")), category=get("category"), industry=get("industry"),
                   unit=get("unit_code"), origin=get("origin"),
                   planned_investment_minor=int(get("planned_investment_minor") or 0))


@dataclass(frozen=True)
class ConditionResult:
    condition: str
    ok: bool
    expected: Any
    actual: Any
    text: str
    text_zh: str

    def as_dict(self) -> dict:
        return {"condition": self.condition, "ok": self.ok, "expected": self.expected, "actual": self.actual,
                "text": self.text, "text_zh": self.text_zh}


def _money(minor: int, lang: str) -> str:
    from workflow.money import format_money

    return format_money(minor, "CNY", lang)


@dataclass(frozen=True)
class Conditions:
    """A rule's conditions; ``None`` means "not a condition".  All given conditions must hold."""

    key: bool | None = None
    categories: tuple[str, ...] | None = None
    industries: tuple[str, ...] | None = None
    units: tuple[str, ...] | None = None
    origins: tuple[str, ...] | None = None
    min_investment_minor: int | None = None
    max_investment_minor: int | None = None

    # -- construction and storage --

    @classmethod
    def build(cls, *, key: bool | None = None, categories: Iterable[str] | None = None,
              industries: Iterable[str] | None = None, units: Iterable[str] | None = None,
              origins: Iterable[str] | None = None, min_investment_minor: int | None = None,
              max_investment_minor: int | None = None) -> Conditions:
        """Validated conditions from user input (lists stripped and de-duplicated, order kept)."""
        lists = {}
        for name, values in (("categories", categories), ("industries", industries), ("units", units),
                             ("origins", origins)):
            lists[name] = _clean_list(name, values)
        for name, value in (("--min-investment", min_investment_minor), ("--max-investment", max_investment_minor)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise BadInput("must_be_amount_of", name=name)
        return cls(key=key, min_investment_minor=min_investment_minor, max_investment_minor=max_investment_minor,
                   **lists)

    @classmethod
    def from_dict(cls, data: Mapping) -> Conditions:
        def tup(name):
            v = data.get(name)
            return tuple(v) if v is not None else None

        return cls(key=data.get("key"), categories=tup("categories"), industries=tup("industries"),
                   units=tup("units"), origins=tup("origins"),
                   min_investment_minor=data.get("min_investment_minor"),
                   max_investment_minor=data.get("max_investment_minor"))

    @classmethod
    def from_text(cls, text: str) -> Conditions:
        return cls.from_dict(json.loads(text) if text else {})

    def as_dict(self) -> dict:
        out: dict[str, Any] = {}
        if self.key is not None:
            out["key"] = self.key
        for name in LIST_CONDITIONS:
            v = getattr(self, name)
            if v is not None:
                out[name] = list(v)
        if self.min_investment_minor is not None:
            out["min_investment_minor"] = self.min_investment_minor
        if self.max_investment_minor is not None:
            out["max_investment_minor"] = self.max_investment_minor
        return out

    def text(self) -> str:
        """The stored form: canonical JSON (RFC 8785)."""
        from workflow.events import canonical

        return canonical(self.as_dict()).decode("utf-8")

    def merged(self, changes: Mapping[str, Any], clear: Iterable[str]) -> Conditions:
        """These conditions with ``changes`` applied (same names as ``build``) and ``clear`` removed."""
        data: dict[str, Any] = {f: getattr(self, f) for f in self.__dataclass_fields__}
        for name in clear:
            if name not in CONDITION_NAMES:
                raise BadInput("clear_is_not_one", name=name, condition_names=list(CONDITION_NAMES))
            data[name + "_minor" if name.endswith("investment") else name] = None
        data.update(changes)
        return Conditions.build(**data)

    # -- evaluation --

    @property
    def impossible(self) -> bool:
        lo, hi = self.min_investment_minor, self.max_investment_minor
        return lo is not None and hi is not None and lo > hi

    def __post_init__(self) -> None:
        # The comparison forms of the list conditions, computed once (not a dataclass field).
        sets = {name: frozenset(_norm(w, _is_exact(name)) for w in getattr(self, name))
                for name in LIST_CONDITIONS if getattr(self, name) is not None}
        object.__setattr__(self, "_sets", sets)

    def _list_ok(self, name: str, value: str | None) -> bool:
        wanted = self.__dict__["_sets"].get(name)  # set by __post_init__ (not a field)
        if wanted is None:
            return True
        v = _norm(value, _is_exact(name))
        return v is not None and v in wanted

    def matches(self, facts: Facts) -> bool:
        if self.key is not None and self.key != facts.key:
            return False
        for name in LIST_CONDITIONS:
            if not self._list_ok(name, getattr(facts, LIST_FIELD[name])):
                return False
        inv = facts.planned_investment_minor
        if self.min_investment_minor is not None and inv < self.min_investment_minor:
            return False
        return not (self.max_investment_minor is not None and inv > self.max_investment_minor)

    def check(self, facts: Facts) -> list[ConditionResult]:
        """Each condition with its result on ``facts`` (for ``rules explain``)."""
        out = []
        if self.key is not None:
            ok = self.key == facts.key
            want_en, want_zh = ("a key project", "重点项目") if self.key else ("not a key project", "非重点项目")
            is_en = "key" if facts.key else "not key"
            is_zh = "是重点项目" if facts.key else "不是重点项目"
            out.append(ConditionResult("key", ok, self.key, facts.key, f"{want_en} (project is {is_en})",
                                       f"{want_zh}（本项目{is_zh}）"))
        labels = {"categories": ("category", "类别"), "industries": ("industry", "行业"),
                  "units": ("unit", "责任单位"), "origins": ("origin", "投资方来源")}
        for name in LIST_CONDITIONS:
            wanted = getattr(self, name)
            if wanted is None:
                continue
            actual = getattr(facts, LIST_FIELD[name])
            ok = self._list_ok(name, actual)
            en, zh = labels[name]
            shown = actual if actual is not None else "(none)"
            shown_zh = actual if actual is not None else "（空）"
            out.append(ConditionResult(
                name, ok, list(wanted), actual,
                f"{en} in [{', '.join(wanted)}] (project: {shown})",
                f"{zh}属于［{'、'.join(wanted)}］（本项目：{shown_zh}）"))
        inv = facts.planned_investment_minor
        bounds = (("min_investment", self.min_investment_minor), ("max_investment", self.max_investment_minor))
        for name, bound in bounds:
            if bound is None:
                continue
            ok = inv >= bound if name == "min_investment" else inv <= bound
            op = "≥" if name == "min_investment" else "≤"
            out.append(ConditionResult(
                name, ok, {"amount_minor": bound, "currency": "CNY"}, {"amount_minor": inv, "currency": "CNY"},
                f"planned investment {op} {_money(bound, 'en')} (project: {_money(inv, 'en')})",
                f"计划总投资{op}{_money(bound, 'zh')}（本项目：{_money(inv, 'zh')}）"))
        return out

    def overlaps(self, other: Conditions) -> bool:
        """Whether some project could match both."""
        if self.impossible or other.impossible:
            return False
        if self.key is not None and other.key is not None and self.key != other.key:
            return False
        for name in LIST_CONDITIONS:
            a, b = getattr(self, name), getattr(other, name)
            if a is not None and b is not None:
                exact = _is_exact(name)
                if not {_norm(x, exact) for x in a} & {_norm(x, exact) for x in b}:
                    return False
        lows = [v for v in (self.min_investment_minor, other.min_investment_minor) if v is not None]
        highs = [v for v in (self.max_investment_minor, other.max_investment_minor) if v is not None]
        return not (lows and highs and max(lows) > min(highs))

    def describe(self, lang: str = "en") -> str:
        """A short human text: ``key; industry: mining, energy; investment ≥ CNY 100,000,000.00``."""
        zh = lang.lower().startswith("zh")
        parts = []
        if self.key is not None:
            parts.append(("重点项目" if self.key else "非重点项目") if zh else ("key" if self.key else "not key"))
        names = {"categories": ("category", "类别"), "industries": ("industry", "行业"), "units": ("unit", "单位"),
                 "origins": ("origin", "来源")}
        for name in LIST_CONDITIONS:
            v = getattr(self, name)
            if v is not None:
                en, zh_name = names[name]
                parts.append(f"{zh_name}：{'、'.join(v)}" if zh else f"{en}: {', '.join(v)}")
        if self.min_investment_minor is not None:
            parts.append(f"{'投资' if zh else 'investment'} ≥ {_money(self.min_investment_minor, lang)}")
        if self.max_investment_minor is not None:
            parts.append(f"{'投资' if zh else 'investment'} ≤ {_money(self.max_investment_minor, lang)}")
        if not parts:
            return "所有项目" if zh else "every project"
        return ("；" if zh else "; ").join(parts)


def _clean_list(name: str, values: Iterable[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    out: list[str] = []
    seen = set()
    for v in values:
        from workflow.values import NAME_LIMIT, clean

        text = " ".join(str(v).split())
        if not text:
            raise BadInput("empty_value_is_not", name=name)
        if len(text) > NAME_LIMIT:
            raise BadInput("is_longer_than_characters", name=name, name_limit=NAME_LIMIT)
        clean(text, f"--{name}")
        k = _norm(text, _is_exact(name))
        if k not in seen:
            seen.add(k)
            out.append(text)
    if not out:
        return None
    return tuple(out)


# --- rules and people -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    id: int
    version: int
    priority: int
    name: str | None
    role: str
    conditions: Conditions
    person: str
    active: bool = True
    current: bool = True
    changed_by: str = ""
    changed_at: datetime | None = None

    @property
    def order(self) -> tuple[int, int]:
        return (self.priority, self.id)

    @classmethod
    def of(cls, row: Mapping) -> RuleRow:
        return cls(id=row["id"], version=row["version"], priority=row["priority"], name=row["name"],
                   role=row["role"], conditions=Conditions.from_text(row["conditions"]),
                   person=row["person_login"], active=bool(row["active"]), current=bool(row["current"]),
                   changed_by=row["changed_by"], changed_at=row["changed_at"])

    def as_dict(self, people: Mapping[str, PersonInfo] | None = None) -> dict:
        from workflow.audit import format_utc

        person = (people or {}).get(self.person)
        return {"id": self.id, "version": self.version, "priority": self.priority, "name": self.name,
                "role": self.role, "person": self.person, "person_name": person.name if person else None,
                "conditions": self.conditions.as_dict(), "active": self.active, "current": self.current,
                "changed_by": self.changed_by,
                "changed_at": format_utc(self.changed_at) if self.changed_at else None}


@dataclass(frozen=True)
class PersonInfo:
    login: str
    name: str
    level: str
    active: bool = True
    cap: int | None = None

    @classmethod
    def of(cls, row: Mapping) -> PersonInfo:
        return cls(login=row["login"], name=row["name"], level=row["level"], active=bool(row["active"]),
                   cap=row["cap"])


def person_problem(rule: RuleRow, person: PersonInfo | None, load: Callable[[str], int]) -> str | None:
    """Why ``rule``'s person cannot take its role now, or None."""
    if person is None:
        return "unknown_person"
    if not person.active:
        return "person_inactive"
    if rule.role == "lead_leader":
        if person.level != "county":
            return "not_county"
        if person.cap is not None and load(person.login) >= person.cap:
            return "over_cap"
    return None


def rule_order(rule: RuleRow) -> tuple[int, int, int]:
    """The order rules are tried in: by role (lead leader, first responsible, team), priority, id."""
    return (ASSIGNMENT_ROLES.index(rule.role), rule.priority, rule.id)


def decide(facts: Facts, stage_kind: str, matching: Iterable[RuleRow], held: Mapping[str, Iterable[str]],
           people: Mapping[str, PersonInfo], load: Callable[[str], int]) -> list[RuleRow]:
    """The rules whose assignments fill what the project is missing.

    ``matching``: the active rules whose conditions hold on ``facts``, in ``rule_order``.
    ``held``: role -> logins holding it now.  Never replaces anyone; a final stage gets nothing.
    """
    if stage_kind == "final":
        return []
    chosen: list[RuleRow] = []
    need_lead = facts.key and not held.get("lead_leader")
    need_first = not held.get("first_responsible")
    team = set(held.get("team_member") or ())
    for rule in matching:
        role = rule.role
        if role == "team_member":
            if rule.person not in team and person_problem(rule, people.get(rule.person), load) is None:
                chosen.append(rule)
                team.add(rule.person)
        elif role == "lead_leader":
            if need_lead and person_problem(rule, people.get(rule.person), load) is None:
                chosen.append(rule)
                need_lead = False
        elif need_first and person_problem(rule, people.get(rule.person), load) is None:
            chosen.append(rule)
            need_first = False
    return chosen


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
    from workflow import tables

    return tables.rule, tables.person, tables.project, tables.assignment, tables.unit


def load_rules(conn, *, current_only: bool = True, active_only: bool = False, rule_id: int | None = None
               ) -> list[RuleRow]:
    from sqlalchemy import select

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
    from sqlalchemy import select

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
    from workflow.definition import get_definition

    return {s.key: s.kind for s in get_definition(name, version).stages}


def _counted_stages() -> list[str]:
    from workflow.definition import default_definition

    return [s.key for s in default_definition().stages if s.kind in COUNTED_KINDS]


def lead_load(conn, logins: Iterable[str] | None = None) -> dict[str, int]:
    """Open projects each person leads (stage active or paused; a final stage frees the slot).

    Lead leaders are only ever assigned to key projects; a project that stops being key keeps its
    leader (followed to the end) and so keeps its slot, which keeps the cap a true bound."""
    from sqlalchemy import func, select

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
        from sqlalchemy import bindparam, func, select

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
    import hashlib

    from workflow.recorders import recorder

    serialize = recorder(conn).serialize  # PostgreSQL: advisory locks; SQLite: nothing (see above)
    for login in sorted(set(logins)):
        key = int.from_bytes(hashlib.sha256(f"pipeline.lead:{login}".encode()).digest()[:8], "big", signed=True)
        serialize(conn, key)


# --- rules apply -----------------------------------------------------------------------------------


@dataclass
class Plan:
    changes: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    by_project: dict[str, list[RuleRow]] = field(default_factory=dict)
    projects: int = 0


def plan_all(conn) -> Plan:
    """Every missing assignment over all projects, in project order (earlier projects take cap
    slots first), plus the kept assignments that need a person's attention."""
    from sqlalchemy import select

    _, _, P, ASG, _ = _tables()
    rules = load_rules(conn, current_only=True)
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
    """``rules explain CODE``: every current rule, each condition's result on this project, whether
    the person was over their cap, which rule made each assignment, and why the others did not."""
    from sqlalchemy import select

    from workflow.i18n import t

    _, _, P, ASG, _ = _tables()
    with service.engine.connect() as conn:
        from workflow.find import project_row

        row = project_row(conn, code)
        rules = load_rules(conn, current_only=True)
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


# --- rules CRUD (admin) -----------------------------------------------------------------------------


def _warning(code: str, en: str, zh: str, **extra) -> dict:
    return {"warning": code, "message": en, "message_zh": zh, **extra}


def lint(conn, rule: RuleRow) -> list[dict]:
    """Warnings for a rule about to be saved: it overlaps another active rule of the same role and
    priority, or it can never assign anyone."""
    from sqlalchemy import select

    U = _tables()[4]
    out: list[dict] = []
    c = rule.conditions
    if c.impossible and c.min_investment_minor is not None and c.max_investment_minor is not None:
        out.append(_warning(
            "min_above_max",
            f"can never match: the minimum investment ({_money(c.min_investment_minor, 'en')}) is above the "
            f"maximum ({_money(c.max_investment_minor, 'en')})",
            f"永远不会匹配：最低投资额（{_money(c.min_investment_minor, 'zh')}）高于最高投资额"
            f"（{_money(c.max_investment_minor, 'zh')}）"))
    if c.units:
        known = {r[0] for r in conn.execute(select(U.c.code).where(U.c.code.in_(list(c.units))))}
        unknown = [u for u in c.units if u not in known]
        if unknown:
            never = len(unknown) == len(c.units)
            out.append(_warning(
                "unknown_unit",
                ("can never match: " if never else "") + f"unknown unit {', '.join(unknown)}",
                ("永远不会匹配：" if never else "") + f"未知责任单位 {'、'.join(unknown)}", units=unknown))
    person = load_people(conn, [rule.person]).get(rule.person)
    if person is not None and not person.active:
        out.append(_warning("person_inactive", f"never assigns: {rule.person} is deactivated",
                            f"不会分配：{rule.person} 已停用"))
    if rule.role == "lead_leader" and person is not None:
        if person.level != "county":
            out.append(_warning("not_county",
                                f"never assigns: {rule.person} is {person.level} level; a lead leader must be county "
                                "level",
                                f"不会分配：{rule.person} 不是县级领导，包保领导须为县级"))
        elif person.cap == 0:
            out.append(_warning("cap_zero", f"never assigns: {rule.person}'s cap is 0",
                                f"不会分配：{rule.person} 的包保上限为 0"))
    if rule.role == "lead_leader" and c.key is False:
        out.append(_warning("lead_not_key", "never assigns: lead leaders go to key projects only, and this rule "
                            "matches only projects that are not key",
                            "不会分配：包保县级领导只分配给重点项目，而本规则只匹配非重点项目"))
    if rule.active:
        for other in load_rules(conn, current_only=True, active_only=True):
            if other.id == rule.id or other.role != rule.role or other.priority != rule.priority:
                continue
            if c.overlaps(other.conditions):
                first = min(rule.id, other.id)
                out.append(_warning(
                    "overlap",
                    f"overlaps rule {other.id} (same role {rule.role} and priority {rule.priority}): a project "
                    f"matching both goes to rule {first} (the lower id)",
                    f"与规则{other.id}重叠（角色与优先级相同）：同时匹配的项目按编号较小的规则{first}处理",
                    rule=other.id))
    return out


def _check_role(role: str) -> str:
    """The assignment role ``role`` names (key or label, docs/usage.md); BadInput otherwise."""
    from workflow.words import assignment_roles

    return assignment_roles().parse(role, "--role")


def _check_person(conn, person: str) -> str:
    """The login of the person ``person`` names (login or name); NotFound otherwise."""
    from workflow.find import person_login

    return person_login(conn, person, "--person")


def _unit_codes(conn, conditions: Conditions) -> Conditions:
    """``conditions`` with each unit given by its name as its code (workflow/find.py); a unit not
    known stays as typed, for ``lint`` to warn that it never matches."""
    from sqlalchemy import select

    from workflow.find import UnitNames
    from workflow.tables import unit as U

    if not conditions.units:
        return conditions
    names = UnitNames(conn.execute(select(U.c.code, U.c.name)))
    codes = []
    for u in conditions.units:
        hits = names.candidates(u)
        codes.append(hits[0] if len(hits) == 1 else u)
    return replace(conditions, units=tuple(dict.fromkeys(codes)))


def _check_priority(priority: int) -> None:
    if not isinstance(priority, int) or priority < 0:
        raise BadInput("priority_must_be_whole")


def _insert(conn, service, rule: RuleRow) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from workflow import clock

    R = _tables()[0]
    try:
        conn.execute(insert(R).values(
            id=rule.id, version=rule.version, priority=rule.priority, name=rule.name, role=rule.role,
            conditions=rule.conditions.text(), person_login=rule.person, active=rule.active, current=True,
            changed_by=service.actor, changed_at=clock.utcnow()))
    except IntegrityError as exc:  # PostgreSQL: two admins saving rule ids at once
        raise Conflict("rule_v_was_saved", id=rule.id, version=rule.version) from exc


def _saved(conn, rule_id: int, version: int) -> RuleRow:
    rows = [r for r in load_rules(conn, current_only=False, rule_id=rule_id) if r.version == version]
    return rows[0]


def _rule_name(name: str | None) -> str | None:
    from workflow.values import NAME_LIMIT, optional_text

    text = optional_text(name.strip() if isinstance(name, str) else name, "--name", NAME_LIMIT)
    return text or None


def add_rule(service, *, role: str, person: str, priority: int, conditions: Conditions,
             name: str | None = None) -> dict:
    """Save a new rule (version 1); returns ``{"id", "version", "rule", "warnings"}``."""
    from sqlalchemy import func, select

    role = _check_role(role)
    _check_priority(priority)
    name = _rule_name(name)
    R = _tables()[0]
    with service.engine.begin() as conn:
        service.require(conn, ("admin",), "change leader-assignment rules")
        person = _check_person(conn, person)
        conditions = _unit_codes(conn, conditions)
        new_id = (conn.execute(select(func.max(R.c.id))).scalar() or 0) + 1
        rule = RuleRow(id=new_id, version=1, priority=priority, name=name, role=role, conditions=conditions,
                       person=person, active=True)
        warnings = lint(conn, rule)
        _insert(conn, service, rule)
        saved = _saved(conn, new_id, 1)
        people = load_people(conn, [person])
    return {"id": new_id, "version": 1, "rule": saved.as_dict(people), "warnings": warnings}


def _new_version(service, rule_id: int, change: Callable[[RuleRow], RuleRow], what: str,
                 nothing: Message | None) -> dict:
    from sqlalchemy import update

    R = _tables()[0]
    with service.engine.begin() as conn:
        service.require(conn, ("admin",), what)
        found = load_rules(conn, current_only=True, rule_id=rule_id)
        if not found:
            raise NotFound("no_rule_see_pipeline", [{"rule": rule_id}], rule_id=rule_id)
        old = found[0]
        new = change(old)
        if new.person != old.person:
            new = replace(new, person=_check_person(conn, new.person))
        if new.conditions.units != old.conditions.units:
            new = replace(new, conditions=_unit_codes(conn, new.conditions))
        if new == old:
            if nothing is None:
                return {"id": old.id, "version": old.version, "changed": False,
                        "rule": old.as_dict(load_people(conn, [old.person])), "warnings": []}
            raise BadInput(nothing)
        new = replace(new, version=old.version + 1)
        warnings = lint(conn, new) if new.active else []
        done = conn.execute(update(R).where(R.c.id == old.id, R.c.version == old.version, R.c.current.is_(True))
                            .values(current=False)).rowcount
        if done != 1:
            raise Conflict("rule_was_changed_by", rule_id=rule_id)
        _insert(conn, service, new)
        saved = _saved(conn, new.id, new.version)
        people = load_people(conn, [new.person])
    return {"id": new.id, "version": new.version, "changed": True, "rule": saved.as_dict(people),
            "warnings": warnings}


def edit_rule(service, rule_id: int, *, role: str | None = None, person: str | None = None,
              priority: int | None = None, name: str | None = None, conditions: Mapping[str, Any] | None = None,
              clear: Iterable[str] = ()) -> dict:
    """Save a new version of rule ``rule_id``: given fields replace the old ones, ``conditions``
    (names as ``Conditions.build``) replace those conditions, ``clear`` removes conditions."""
    if role is not None:
        role = _check_role(role)
    if priority is not None:
        _check_priority(priority)
    clear = list(clear)

    def change(old: RuleRow) -> RuleRow:
        new_conditions = old.conditions.merged(dict(conditions or {}), clear)
        new_name = old.name
        if name is not None:
            new_name = _rule_name(name)
        return replace(old, role=role or old.role, person=person or old.person,
                       priority=old.priority if priority is None else priority, name=new_name,
                       conditions=new_conditions)

    return _new_version(service, rule_id, change, "change leader-assignment rules",
                        Message("nothing_to_change_on_rule", rule_id=rule_id))


def set_active(service, rule_id: int, active: bool) -> dict:
    """Disable (or enable) a rule: a new version with the active flag changed.  Assignments it made
    stay (followed to the end); ``rules apply`` reports them."""
    return _new_version(service, rule_id, lambda old: replace(old, active=active),
                        "change leader-assignment rules", None)


def list_rules(service, *, all_versions: bool = False) -> list[dict]:
    with service.engine.connect() as conn:
        rules = load_rules(conn, current_only=not all_versions)
        people = load_people(conn, {r.person for r in rules})
    return [r.as_dict(people) for r in rules]
