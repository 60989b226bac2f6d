"""Rules CRUD and lint (admin): add, edit, activate and list rules, warnings about a rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from workflow import clock, setup_rows
from workflow.catalogue import Message
from workflow.errors import BadInput, Conflict, NotFound
from workflow.find import UnitNames, person_login
from workflow.rules.conditions import Conditions
from workflow.rules.decision import RuleRow, in_force
from workflow.rules.reads import _tables, load_people, load_rules
from workflow.settings import need_reason
from workflow.setup_rows import ALWAYS
from workflow.tables import unit as U
from workflow.values import NAME_LIMIT, optional_text
from workflow.words import assignment_roles

# --- rules CRUD (admin) -----------------------------------------------------------------------------


def _warning(code: str, message: Message, **extra) -> dict:
    """A lint warning: its short code (``warning``), its text in English and Chinese (the catalogue's
    ``message``), and the fields a script reads."""
    return {"warning": code, "message": message.text("en"), "message_zh": message.text("zh"), **extra}


def _cny(minor: int) -> dict:
    return {"amount_minor": minor, "currency": "CNY"}


def lint(conn, rule: RuleRow) -> list[dict]:
    """Warnings for a rule about to be saved: it overlaps another active rule of the same role and
    priority, or it can never assign anyone."""
    U = _tables()[4]
    out: list[dict] = []
    c = rule.conditions
    if c.impossible and c.min_investment_minor is not None and c.max_investment_minor is not None:
        out.append(_warning("min_above_max", Message("rule_lint_min_above_max", low=_cny(c.min_investment_minor),
                                                     high=_cny(c.max_investment_minor))))
    if c.units:
        known = {r[0] for r in conn.execute(select(U.c.code).where(U.c.code.in_(list(c.units))))}
        unknown = [u for u in c.units if u not in known]
        if unknown:
            never = len(unknown) == len(c.units)
            out.append(_warning("unknown_unit", Message("rule_lint_unknown_unit_never" if never
                                                        else "rule_lint_unknown_unit", units=unknown), units=unknown))
    person = load_people(conn, [rule.person]).get(rule.person)
    if person is not None and not person.active:
        out.append(_warning("person_inactive", Message("rule_lint_person_inactive", person=rule.person)))
    if rule.role == "lead_leader" and person is not None:
        if person.level != "county":
            out.append(_warning("not_county", Message("rule_lint_not_county", person=rule.person,
                                                      level=person.level)))
        elif person.cap == 0:
            out.append(_warning("cap_zero", Message("rule_lint_cap_zero", person=rule.person)))
    if rule.role == "lead_leader" and c.key is False:
        out.append(_warning("lead_not_key", Message("rule_lint_lead_not_key")))
    if rule.active:
        for other in load_rules(conn, current_only=True, active_only=True):
            if other.id == rule.id or other.role != rule.role or other.priority != rule.priority:
                continue
            if c.overlaps(other.conditions):
                out.append(_warning("overlap", Message("rule_lint_overlap", other=other.id, role=rule.role,
                                                       priority=rule.priority, first=min(rule.id, other.id)),
                                    rule=other.id))
    return out


def _check_role(role: str) -> str:
    """The assignment role ``role`` names (key or label, docs/usage.md); BadInput otherwise."""
    return assignment_roles().parse(role, "--role")


def _check_person(conn, person: str) -> str:
    """The login of the person ``person`` names (login or name); NotFound otherwise."""
    return person_login(conn, person, "--person")


def _unit_codes(conn, conditions: Conditions) -> Conditions:
    """``conditions`` with each unit given by its name as its code (workflow/find.py); a unit not
    known stays as typed, for ``lint`` to warn that it never matches."""
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


def _insert(conn, service, rule: RuleRow, reason: str | None = None) -> None:
    """Save ``rule`` as a new version (the previous one stops being current), in force from its
    ``effective_on``: one set-up ledger entry ``rule_version`` (``workflow.setup_rows``)."""
    try:
        setup_rows.write(conn, service.actor, "rule", {"id": rule.id, "version": rule.version},
                         {"priority": rule.priority, "name": rule.name, "role": rule.role,
                          "conditions": rule.conditions.text(), "person_login": rule.person, "active": rule.active,
                          "effective_on": rule.effective_on},
                         reason=reason, effective_on=rule.effective_on)
    except IntegrityError as exc:  # PostgreSQL: two admins saving rule ids at once
        raise Conflict("rule_v_was_saved", id=rule.id, version=rule.version) from exc


def _saved(conn, rule_id: int, version: int) -> RuleRow:
    rows = [r for r in load_rules(conn, current_only=False, rule_id=rule_id) if r.version == version]
    return rows[0]


def _rule_name(name: str | None) -> str | None:
    text = optional_text(name.strip() if isinstance(name, str) else name, "--name", NAME_LIMIT)
    return text or None


def _first_day(effective_on: date | None, after: date = ALWAYS) -> date:
    """The day a new version takes effect: ``effective_on`` (default: today, or the day the version it
    replaces takes effect if that is later); never before that version's day (BadInput)."""
    if effective_on is None:
        return max(clock.today(), after)
    if effective_on < after:
        raise BadInput("rule_from_before_version", effective_on=effective_on, after=after)
    return effective_on


def add_rule(service, *, role: str, person: str, priority: int, conditions: Conditions,
             name: str | None = None, reason: str | None = None, effective_on: date | None = None) -> dict:
    """Save a new rule (version 1), in force from ``effective_on`` (default: today); returns ``{"id",
    "version", "rule", "warnings"}``."""
    role = _check_role(role)
    first_day = _first_day(effective_on)
    _check_priority(priority)
    name = _rule_name(name)
    R = _tables()[0]
    with service.engine.begin() as conn:
        service.require(conn, ("admin",), "change leader-assignment rules")
        person = _check_person(conn, person)
        conditions = _unit_codes(conn, conditions)
        new_id = (conn.execute(select(func.max(R.c.id))).scalar() or 0) + 1
        rule = RuleRow(id=new_id, version=1, priority=priority, name=name, role=role, conditions=conditions,
                       person=person, active=True, effective_on=first_day)
        warnings = lint(conn, rule)
        _insert(conn, service, rule, reason)
        saved = _saved(conn, new_id, 1)
        people = load_people(conn, [person])
    return {"id": new_id, "version": 1, "rule": saved.as_dict(people), "warnings": warnings}


def _new_version(service, rule_id: int, change: Callable[[RuleRow], RuleRow], what: str,
                 nothing: Message | None, reason: str | None = None, effective_on: date | None = None) -> dict:
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
        new = replace(new, version=old.version + 1, effective_on=_first_day(effective_on, old.effective_on))
        warnings = lint(conn, new) if new.active else []
        still = conn.execute(select(R.c.version).where(R.c.id == old.id, R.c.version == old.version,
                                                       R.c.current.is_(True))).first()
        if still is None:
            raise Conflict("rule_was_changed_by", rule_id=rule_id)
        _insert(conn, service, new, reason)
        saved = _saved(conn, new.id, new.version)
        people = load_people(conn, [new.person])
    return {"id": new.id, "version": new.version, "changed": True, "rule": saved.as_dict(people),
            "warnings": warnings}


def edit_rule(service, rule_id: int, *, role: str | None = None, person: str | None = None,
              priority: int | None = None, name: str | None = None, conditions: Mapping[str, Any] | None = None,
              clear: Iterable[str] = (), reason: str | None = None, effective_on: date | None = None) -> dict:
    """Save a new version of rule ``rule_id``, in force from ``effective_on`` (default: today): given
    fields replace the old ones, ``conditions`` (names as ``Conditions.build``) replace those
    conditions, ``clear`` removes conditions."""
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
                        Message("nothing_to_change_on_rule", rule_id=rule_id), reason, effective_on)


def set_active(service, rule_id: int, active: bool, reason: str | None = None,
               effective_on: date | None = None) -> dict:
    """Disable (or enable) a rule from ``effective_on`` (default: today): a new version with the
    active flag changed.  Assignments it made stay (followed to the end); ``rules apply`` reports
    them.  Retiring a rule says why (``reason``, required, as for thresholds)."""
    if not active:
        reason = need_reason(reason, "retire a leader-assignment rule")
    return _new_version(service, rule_id, lambda old: replace(old, active=active),
                        "change leader-assignment rules", None, reason, effective_on)


def list_rules(service, *, all_versions: bool = False, as_of: date | None = None) -> list[dict]:
    """The rules' newest versions in the order they are tried (``all_versions``: every version;
    ``as_of``: the versions in force that day, ``in_force``)."""
    with service.engine.connect() as conn:
        if as_of is not None:
            rules = sorted(in_force(load_rules(conn, current_only=False), as_of),
                           key=lambda r: (r.priority, r.id))
        else:
            rules = load_rules(conn, current_only=not all_versions)
        people = load_people(conn, {r.person for r in rules})
    return [r.as_dict(people) for r in rules]
