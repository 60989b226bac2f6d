"""Rules, people and the decision: who a project gets from its matching rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from workflow.encoding import format_utc
from workflow.rules.conditions import ASSIGNMENT_ROLES, Conditions, Facts

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
    effective_on: date = date(1, 1, 1)  # the first day this version decides (0001-01-01: every day)

    @property
    def order(self) -> tuple[int, int]:
        return (self.priority, self.id)

    @classmethod
    def of(cls, row: Mapping) -> RuleRow:
        return cls(id=row["id"], version=row["version"], priority=row["priority"], name=row["name"],
                   role=row["role"], conditions=Conditions.from_text(row["conditions"]),
                   person=row["person_login"], active=bool(row["active"]), current=bool(row["current"]),
                   changed_by=row["changed_by"], changed_at=row["changed_at"], effective_on=row["effective_on"])

    def as_dict(self, people: Mapping[str, PersonInfo] | None = None) -> dict:
        person = (people or {}).get(self.person)
        return {"id": self.id, "version": self.version, "priority": self.priority, "name": self.name,
                "role": self.role, "person": self.person, "person_name": person.name if person else None,
                "conditions": self.conditions.as_dict(), "active": self.active, "current": self.current,
                "changed_by": self.changed_by,
                "changed_at": format_utc(self.changed_at) if self.changed_at else None,
                "effective_on": self.effective_on.isoformat()}


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


def in_force(versions: Iterable[RuleRow], day: date) -> list[RuleRow]:
    """Of every saved version, the one of each rule that decides on ``day``: its highest version
    taking effect on or before ``day`` (a rule none of whose versions has taken effect is left out;
    a disabled version is kept, with ``active`` false).  Versions take effect in version order
    (``rules edit --from`` is never before the version it replaces)."""
    best: dict[int, RuleRow] = {}
    for r in versions:
        if r.effective_on <= day and (r.id not in best or r.version > best[r.id].version):
            best[r.id] = r
    return list(best.values())


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
