"""THE write path: every change to projects and history goes through here.

Every mutation runs in one database transaction:

1. lock the project row (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT … FOR UPDATE``) and
   check ``expect_version`` if given;
2. build the guard context and run the transition through the shared machine;
3. append the history event: next ``seq``, ``prev_hash`` = the head's hash, ``hash`` over the
   canonical bytes;
4. update the project row with a compare-and-set on the old version (zero rows: conflict);
5. commit; any exception before commit rolls everything back.

Reads live here too so that the command line never writes SQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from workflow import audit, clock
from workflow.errors import BadInput, Conflict, NotAllowed, NotFound, PipelineError, Refused
from workflow.tables import app_user as AU
from workflow.tables import assignment as ASG
from workflow.tables import capital_arrival as CAP
from workflow.tables import document as DOC
from workflow.tables import event as E
from workflow.tables import followup as FU
from workflow.tables import investment_completed as INV
from workflow.tables import person as PE
from workflow.tables import project as P
from workflow.tables import screening_check as CHK
from workflow.tables import setting as ST
from workflow.tables import unit as U

# Statements of the hot write path, built once (SQLAlchemy caches their compiled form).
_LOCK = select(P).where(P.c.code == bindparam("b_code"))
_LOCK_FOR_UPDATE = _LOCK.with_for_update()
_INSERT_EVENT = insert(E)
_SAVE = update(P).where(P.c.id == bindparam("b_id"), P.c.version == bindparam("b_old"))
_INSERT_ASSIGNMENT = insert(ASG)
_END_ASSIGNMENT = update(ASG).where(ASG.c.id == bindparam("b_id"))
_DOC_KINDS = select(DOC.c.kind).where(DOC.c.project_id == bindparam("b_pid"))
_CHECKS = select(CHK.c.item, CHK.c.result).where(CHK.c.project_id == bindparam("b_pid")).order_by(CHK.c.event_seq)
_CAPITAL = select(func.coalesce(func.sum(CAP.c.amount_minor), 0)).where(CAP.c.project_id == bindparam("b_pid"))
_LEADER = select(ASG.c.id).where(ASG.c.project_id == bindparam("b_pid"), ASG.c.role == "lead_leader",
                                 ASG.c.ended_seq.is_(None))

ROLES = ("coordinator", "leader", "auditor", "admin")
WRITERS = ("coordinator", "admin")
KEY_THRESHOLD_MINOR = 100_000_000 * 100  # 100 million CNY in fen
PLAN_FIELDS = ("sign", "fund", "break_ground", "commission")
LEVELS = ("county", "township", "department")
UNIT_KINDS = ("township", "department")
ASSIGNMENT_ROLES = ("lead_leader", "first_responsible", "team_member")
SINGLE_ROLES = ("lead_leader", "first_responsible")
PROJECT_TEXT_FIELDS = ("name", "investor", "origin", "industry", "category")


_PROJECT_ID_LOCK = 0x5049_5045  # PostgreSQL advisory lock key serialising new project ids ("PIPE")


def project_code(project_id: int) -> str:
    return f"P-{project_id:04d}"


def project_codes(first: str, count: int) -> list[str]:
    """The codes of ``count`` projects created one after another from ``first`` (an import's)."""
    start = int(first.removeprefix("P-"))
    return [project_code(i) for i in range(start, start + count)]


class ProjectRow:
    """A plain, mutable copy of one project row (the machine's model wrapper reads ``stage``)."""

    def __init__(self, mapping):
        self.__dict__.update(dict(mapping))
        self._original = dict(mapping)

    def changes(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_") and self._original.get(k) != v}


@dataclass
class WriteResult:
    project: ProjectRow
    events: list[dict] = field(default_factory=list)



def is_key(planned_minor: int, override: bool | None) -> bool:
    return bool(override) if override is not None else planned_minor >= KEY_THRESHOLD_MINOR


class Service:
    """The engine's API for one acting user on one database."""

    def __init__(self, engine: Engine, actor: str):
        self.engine = engine
        self.actor = actor
        self._role_cache: dict[str, str | None] = {}

    # --- identity and roles -----------------------------------------------------------------

    def role_of(self, conn: Connection, login: str | None = None) -> str | None:
        login = login or self.actor
        if login not in self._role_cache:
            self._role_cache[login] = conn.execute(select(AU.c.role).where(AU.c.login == login)).scalar()
        return self._role_cache[login]

    def require(self, conn: Connection, roles: Iterable[str], what: str) -> str:
        role = self.role_of(conn)
        if role not in roles:
            who = f"'{self.actor}'" + (f" (role {role})" if role else " (not a known user)")
            raise NotAllowed(
                f"{who} may not {what}; it needs the role {' or '.join(roles)}",
                [{"actor": self.actor, "role": role, "needs": list(roles)}],
            )
        return role

    # --- transactions ---------------------------------------------------------------------

    def _lock(self, conn: Connection, code: str) -> ProjectRow:
        stmt = _LOCK if conn.dialect.name == "sqlite" else _LOCK_FOR_UPDATE
        row = conn.execute(stmt, {"b_code": code}).mappings().first()
        if row is None:
            raise NotFound(f"no project {code}", [{"project": code}])
        return ProjectRow(row)

    def _write(
        self,
        code: str,
        fn: Callable[[Connection, ProjectRow, WriteResult], Any],
        *,
        expect_version: int | None = None,
        roles: Iterable[str] = WRITERS,
        what: str = "change projects",
    ) -> WriteResult:
        with self.engine.begin() as conn:
            self.require(conn, roles, what)
            proj = self._lock(conn, code)
            if expect_version is not None and proj.version != expect_version:
                raise Conflict(
                    f"{code} was changed by someone else (version {proj.version}, expected "
                    f"{expect_version}); nothing was written; re-read and retry",
                    [{"project": code, "version": proj.version, "expected": expect_version}],
                )
            result = WriteResult(proj)
            fn(conn, proj, result)
            self._save(conn, proj)
            return result

    def _save(self, conn: Connection, proj: ProjectRow) -> None:
        changes = proj.changes()
        if not changes:
            return
        old_version = proj._original["version"]
        if not getattr(proj, "_new", False):  # a project inserted in this transaction stays at version 1
            changes["version"] = old_version + 1
            proj.version = old_version + 1
        done = conn.execute(_SAVE, {"b_id": proj.id, "b_old": old_version, **changes}).rowcount
        if done != 1:
            raise Conflict(
                f"{proj.code} was changed by someone else; nothing was written; retry",
                [{"project": proj.code, "expected": old_version}],
            )
        proj._original = {k: v for k, v in proj.__dict__.items() if not k.startswith("_")}

    def _append(
        self,
        conn: Connection,
        proj: ProjectRow,
        result: WriteResult | None,
        *,
        kind: str,
        on: date,
        trigger: str | None = None,
        from_stage: str | None = None,
        to_stage: str | None = None,
        reason: str | None = None,
        payload: dict | None = None,
    ) -> dict:
        """Append one hash-chained event and advance the project's head."""
        row = self._event_row(proj, kind=kind, on=on, trigger=trigger, from_stage=from_stage,
                              to_stage=to_stage, reason=reason, payload=payload)
        conn.execute(_INSERT_EVENT, row)
        event = audit.event_json(row)
        if result is not None:
            result.events.append(event)
        return event

    def _event_row(self, proj: ProjectRow, *, kind: str, on: date, trigger: str | None = None,
                   from_stage: str | None = None, to_stage: str | None = None, reason: str | None = None,
                   payload: dict | None = None, recorded_at: datetime | None = None,
                   recorded_text: str | None = None, canonical: Callable[[Any], bytes] | None = None,
                   payload_text: str | None = None) -> dict:
        """The next hash-chained event row of ``proj`` (its head advances; nothing is written).

        ``_append`` writes it at once; the bulk paths collect rows and insert them in batches.
        ``canonical`` defaults to ``audit.canonical_json`` (RFC 8785); ``payload_text`` is the
        payload's canonical text when the caller wrote it already (instead of ``payload``)."""
        canonical = canonical or audit.canonical_json
        seq = proj.head_seq + 1
        if recorded_at is None:
            recorded_at = clock.utcnow()
        if payload_text is not None:
            payload_bytes = payload_text.encode("utf-8")
        else:
            payload = payload or {}
            payload_bytes = canonical(payload)
        if canonical is canonical_fast and recorded_text and _fast_events_ok():
            doc_bytes = _event_bytes(proj.code, seq, kind, trigger, from_stage, to_stage, on.isoformat(),
                                     recorded_text, self.actor, reason, payload_bytes, proj.head_hash)
        else:
            if payload is None:
                payload = json.loads(payload_text) if payload_text is not None else {}
            doc = audit.event_document(
                project=proj.code, seq=seq, kind=kind, trigger=trigger, from_stage=from_stage,
                to_stage=to_stage, effective_on=on, recorded_at=recorded_text or recorded_at, actor=self.actor,
                reason=reason, payload=payload, prev_hash=proj.head_hash,
            )
            doc_bytes = _spliced(doc, payload_bytes) if canonical is canonical_fast else canonical(doc)
        digest = hashlib.sha256(doc_bytes).hexdigest()
        row = {
            "project_id": proj.id, "seq": seq, "kind": kind, "trigger": trigger,
            "from_stage": from_stage, "to_stage": to_stage, "effective_on": on,
            "recorded_at": recorded_at, "actor": self.actor, "reason": reason,
            "payload": payload_text if payload_text is not None else payload_bytes.decode("utf-8"),
            "prev_hash": proj.head_hash, "hash": digest,
        }
        proj.head_seq = seq
        proj.head_hash = digest
        return row

    # --- reference data ------------------------------------------------------------------------

    def _admin_insert(self, table, values: dict, what: str, key: str, label: str) -> None:
        with self.engine.begin() as conn:
            self.require(conn, ("admin",), what)
            exists = conn.execute(select(table.c[key]).where(table.c[key] == values[key])).first()
            if exists:
                raise BadInput(f"{label} {values[key]!r} already exists", [{label: values[key]}])
            conn.execute(insert(table).values(**values))

    def add_unit(self, code: str, name: str, kind: str = "township") -> dict:
        code = _required(code, "CODE")
        if kind not in UNIT_KINDS:
            raise BadInput(f"--kind: {kind!r} is not one of {', '.join(UNIT_KINDS)}")
        values = {"code": code, "name": _required(name, "--name"), "kind": kind, "created_at": clock.utcnow()}
        self._admin_insert(U, values, "add units", "code", "unit")
        return {"code": code, "name": values["name"], "kind": kind}

    def add_person(self, login: str, name: str, level: str, unit: str | None = None,
                   title: str | None = None, cap: int | None = None) -> dict:
        login = _required(login, "LOGIN")
        if level not in LEVELS:
            raise BadInput(f"--level: {level!r} is not one of {', '.join(LEVELS)}")
        if cap is not None and cap < 0:
            raise BadInput("--cap must be 0 or more")
        with self.engine.connect() as conn:
            if unit is not None:
                self._unit_exists(conn, unit)
        values = {"login": login, "name": _required(name, "--name"), "level": level, "unit_code": unit,
                  "title": title, "cap": cap, "active": True, "created_at": clock.utcnow()}
        self._admin_insert(PE, values, "add people", "login", "person")
        return {k: v for k, v in values.items() if k != "created_at"}

    def edit_person(self, login: str, *, name: str | None = None, title: str | None = None,
                    level: str | None = None, unit: str | None = None, cap: int | None = None,
                    clear_cap: bool = False, active: bool | None = None) -> dict:
        """Change a person (admin). Deactivating keeps their existing assignments (一抓到底): rules stop
        choosing them and ``rules apply`` reports the projects they still lead."""
        if level is not None and level not in LEVELS:
            raise BadInput(f"--level: {level!r} is not one of {', '.join(LEVELS)}")
        if cap is not None and cap < 0:
            raise BadInput("--cap must be 0 or more")
        new = {k: v for k, v in (("name", name), ("title", title), ("level", level), ("unit_code", unit),
                                 ("cap", cap), ("active", active)) if v is not None}
        if clear_cap:
            new["cap"] = None
        if "name" in new:
            new["name"] = _required(new["name"], "--name")
        if not new:
            raise BadInput("nothing to change: give at least one option (see `pipeline people edit -h`)")
        with self.engine.begin() as conn:
            self.require(conn, ("admin",), "edit people")
            row = conn.execute(select(PE).where(PE.c.login == login)).mappings().first()
            if row is None:
                raise NotFound(f"no person {login!r}", [{"person": login}])
            if unit is not None:
                self._unit_exists(conn, unit)
            conn.execute(update(PE).where(PE.c.login == login).values(**new))
            row = conn.execute(select(PE).where(PE.c.login == login)).mappings().first()
        return {"login": row["login"], "name": row["name"], "title": row["title"], "level": row["level"],
                "unit": row["unit_code"], "cap": row["cap"], "active": row["active"]}

    def add_user(self, login: str, role: str) -> dict:
        login = _required(login, "LOGIN")
        if role not in ROLES:
            raise BadInput(f"--role: {role!r} is not one of {', '.join(ROLES)}")
        values = {"login": login, "role": role, "created_at": clock.utcnow(), "created_by": self.actor}
        self._admin_insert(AU, values, "add users", "login", "user")
        self._role_cache.pop(login, None)
        return {"login": login, "role": role}

    def bootstrap_admin(self, login: str) -> bool:
        """Make ``login`` admin during ``init``: allowed when no admin exists yet, or by an admin."""
        with self.engine.begin() as conn:
            current = conn.execute(select(AU.c.role).where(AU.c.login == login)).scalar()
            if current == "admin":
                return False
            admins = conn.execute(select(func.count()).select_from(AU).where(AU.c.role == "admin")).scalar()
            if admins and self.role_of(conn) != "admin":
                raise NotAllowed(
                    f"the database has an admin already; only an admin may make {login!r} admin "
                    f"(use `pipeline users add {login} --role admin` as an admin)"
                )
            if current is None:
                conn.execute(insert(AU).values(login=login, role="admin", created_at=clock.utcnow(),
                                               created_by=self.actor))
            else:
                conn.execute(update(AU).where(AU.c.login == login).values(role="admin"))
            self._role_cache.pop(login, None)
            return True

    def _unit_exists(self, conn: Connection, unit: str) -> None:
        if conn.execute(select(U.c.code).where(U.c.code == unit)).first() is None:
            known = [r[0] for r in conn.execute(select(U.c.code).order_by(U.c.code).limit(20))]
            raise NotFound(f"no unit {unit!r}" + (f"; known units: {', '.join(known)}" if known else
                                                 "; add one with `pipeline units add`"),
                           [{"unit": unit}])

    def list_units(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(U.c.code, U.c.name, U.c.kind).order_by(U.c.code)).mappings().all()
            counts = dict(conn.execute(select(P.c.unit_code, func.count()).group_by(P.c.unit_code)).all())
        return [dict(r) | {"projects": counts.get(r["code"], 0)} for r in rows]

    def list_people(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(PE).order_by(PE.c.login)).mappings().all()
            from workflow.rules import lead_load

            load = lead_load(conn)  # the same count the cap is checked against
        return [{"login": r["login"], "name": r["name"], "title": r["title"], "level": r["level"],
                 "unit": r["unit_code"], "cap": r["cap"], "active": r["active"],
                 "lead_projects": load.get(r["login"], 0)} for r in rows]

    def list_users(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(AU.c.login, AU.c.role, AU.c.created_by).order_by(AU.c.login))
            return [dict(r) for r in rows.mappings()]

    # --- projects -----------------------------------------------------------------------------

    def add_project(
        self,
        *,
        name: str,
        investor: str | None,
        industry: str | None,
        investment_minor: int,
        unit: str | None,
        origin: str | None = None,
        category: str | None = None,
        key: bool | None = None,
        plan: dict[str, date] | None = None,
        on: date | None = None,
    ) -> WriteResult:
        from workflow.definition import default_definition

        defn = default_definition()
        on = on or clock.today()
        fields = project_fields(name=name, investor=investor, industry=industry, investment_minor=investment_minor,
                                unit=unit, origin=origin, category=category, key=key, plan=plan)
        with self.engine.begin() as conn:
            self.require(conn, WRITERS, "add projects")
            if unit is not None:
                self._unit_exists(conn, unit)
            new_id = self._next_project_id(conn)
            initial = defn.stages[0].key
            values = _new_project_row(defn, new_id, fields, on, clock.utcnow())
            conn.execute(insert(P).values(**values))
            proj = ProjectRow(values)
            proj._new = True
            result = WriteResult(proj)
            self._append(conn, proj, result, kind="registered", on=on, to_stage=initial,
                         payload=_project_payload(values))
            self._after_project_change(conn, proj, result, on, set(values))
            self._save(conn, proj)
            return result

    def _next_project_id(self, conn: Connection) -> int:
        """The next new project id (codes are never reused); an import numbers on from it."""
        if conn.dialect.name == "sqlite":
            # AUTOINCREMENT's counter: codes are never reused, even after a row went missing.
            seq = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'project'").scalar()
            top = conn.execute(select(func.max(P.c.id))).scalar()
            return max(seq or 0, top or 0) + 1
        # PostgreSQL: not the id sequence (nextval is not transactional, so a dry run, a refusal or a
        # killed import would use codes up).  Creators take a transaction-scoped advisory lock and
        # continue after the highest id, as SQLite's AUTOINCREMENT counter does (engine-specific).
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PROJECT_ID_LOCK})")
        return (conn.execute(select(func.max(P.c.id))).scalar() or 0) + 1

    def edit_project(self, code: str, changes: dict, *, on: date | None = None,
                     expect_version: int | None = None) -> WriteResult:
        """Change a project's descriptive fields; one ``edited`` event lists old and new values."""
        on = on or clock.today()
        allowed = set(PROJECT_TEXT_FIELDS) | {"investment_minor", "unit", "key", "plan"}
        unknown = set(changes) - allowed
        if unknown:
            raise BadInput(f"cannot edit {', '.join(sorted(unknown))}")
        if "name" in changes:
            changes["name"] = _required(changes["name"], "--name")
        plan = _check_plan(changes.pop("plan", None) or {})

        def fn(conn, proj, result):
            self._check_on(proj, on, transition=False)
            new: dict[str, Any] = {}
            for f in PROJECT_TEXT_FIELDS:
                if f in changes:
                    new[f] = changes[f]
            if "unit" in changes:
                if changes["unit"] is not None:
                    self._unit_exists(conn, changes["unit"])
                new["unit_code"] = changes["unit"]
            if "investment_minor" in changes:
                if changes["investment_minor"] < 0:
                    raise BadInput("--investment must not be negative")
                new["planned_investment_minor"] = changes["investment_minor"]
            if "key" in changes:
                new["key_override"] = changes["key"]
            for k, v in plan.items():
                new[f"plan_{k}"] = v
            before = {k: getattr(proj, k) for k in new}
            for k, v in new.items():
                setattr(proj, k, v)
            proj.key = is_key(proj.planned_investment_minor, proj.key_override)
            if proj.key != proj._original["key"]:
                before["key"] = proj._original["key"]
                new["key"] = proj.key
            diff = {k: [_jsonable(before[k]), _jsonable(new[k])] for k in new if before[k] != new[k]}
            if not diff:
                raise BadInput(f"nothing to change on {code}: give at least one new value")
            self._append(conn, proj, result, kind="edited", on=on, payload={"changes": diff})
            self._after_project_change(conn, proj, result, on, set(new))

        return self._write(code, fn, expect_version=expect_version, what="edit projects")

    def _after_project_change(self, conn, proj, result, on, changed: set[str]) -> None:
        """Re-evaluate what depends on project fields (leader-assignment rules)."""
        from workflow import rules

        rules.assign_missing(self, conn, proj, result, on, changed)

    # --- records --------------------------------------------------------------------------------

    def record_check(self, code: str, item: str, outcome: str, *, note: str | None = None,
                     on: date | None = None, expect_version: int | None = None) -> WriteResult:
        from workflow.definition import default_definition

        defn = default_definition()
        items = [c.key for c in defn.checks]
        if item not in items:
            raise BadInput(f"ITEM: {item!r} is not one of {', '.join(items)}")
        if outcome not in ("pass", "fail"):
            raise BadInput(f"RESULT: {outcome!r} is not pass or fail")
        on = on or clock.today()

        def fn(conn, proj, result):
            self._check_on(proj, on, transition=False)
            event = self._append(conn, proj, result, kind="check", on=on,
                                 payload={"item": item, "result": outcome, "note": note})
            conn.execute(insert(CHK).values(project_id=proj.id, item=item, result=outcome, note=note,
                                            effective_on=on, event_seq=event["seq"]))
            self._auto_transitions(conn, proj, result, on)

        return self._write(code, fn, expect_version=expect_version, what="record screening checks")

    def add_document(self, code: str, kind: str, number: str, *, on: date | None = None,
                     expect_version: int | None = None) -> WriteResult:
        from workflow.definition import default_definition

        kinds = [d.key for d in default_definition().documents]
        if kind not in kinds:
            raise BadInput(f"KIND: {kind!r} is not one of {', '.join(kinds)}")
        number = _required(number, "NUMBER")
        on = on or clock.today()

        def fn(conn, proj, result):
            self._check_on(proj, on, transition=False)
            event = self._append(conn, proj, result, kind="document", on=on,
                                 payload={"document": kind, "number": number})
            conn.execute(insert(DOC).values(project_id=proj.id, kind=kind, number=number,
                                            effective_on=on, event_seq=event["seq"]))
            self._auto_transitions(conn, proj, result, on)

        return self._write(code, fn, expect_version=expect_version, what="record documents")

    def add_capital(self, code: str, amount_minor: int, currency: str, *, on: date | None = None,
                    source: str | None = None, expect_version: int | None = None) -> WriteResult:
        """Record a capital arrival; the first one on a signed project fires ``fund`` with it."""
        if amount_minor <= 0:
            raise BadInput("AMOUNT must be greater than 0")
        on = on or clock.today()

        def fn(conn, proj, result):
            self._check_on(proj, on, transition=False)
            event = self._append(conn, proj, result, kind="capital", on=on,
                                 payload={"amount_minor": amount_minor, "currency": currency,
                                          "source": source})
            conn.execute(insert(CAP).values(project_id=proj.id, amount_minor=amount_minor, currency=currency,
                                            effective_on=on, source=source, event_seq=event["seq"]))
            self._auto_transitions(conn, proj, result, on)

        return self._write(code, fn, expect_version=expect_version, what="record capital")

    def add_investment(self, code: str, amount_minor: int, currency: str = "CNY", *,
                       on: date | None = None, expect_version: int | None = None) -> WriteResult:
        if amount_minor <= 0:
            raise BadInput("AMOUNT must be greater than 0")
        on = on or clock.today()

        def fn(conn, proj, result):
            self._check_on(proj, on, transition=False)
            event = self._append(conn, proj, result, kind="investment", on=on,
                                 payload={"amount_minor": amount_minor, "currency": currency})
            conn.execute(insert(INV).values(project_id=proj.id, amount_minor=amount_minor, currency=currency,
                                            effective_on=on, event_seq=event["seq"]))

        return self._write(code, fn, expect_version=expect_version, what="record investment completed")

    def add_followup(self, code: str, note: str, *, on: date | None = None,
                     expect_version: int | None = None) -> WriteResult:
        note = _required(note, "NOTE")
        on = on or clock.today()
        with self.engine.connect() as conn:
            role = self.role_of(conn)
            if role == "leader" and not self._leads(conn, code):
                raise NotAllowed(f"'{self.actor}' is a leader but not assigned to {code}; "
                                 "leaders add follow-ups on their own projects")
        roles = (*WRITERS, "leader")

        def fn(conn, proj, result):
            self._check_on(proj, on, transition=False)
            event = self._append(conn, proj, result, kind="followup", on=on, payload={"note": note})
            conn.execute(insert(FU).values(project_id=proj.id, note=note, effective_on=on,
                                           actor=self.actor, event_seq=event["seq"]))
            if proj.last_followup_on is None or on > proj.last_followup_on:
                proj.last_followup_on = on

        return self._write(code, fn, expect_version=expect_version, roles=roles, what="add follow-ups")

    def _leads(self, conn: Connection, code: str) -> bool:
        return conn.execute(
            select(ASG.c.id).select_from(ASG.join(P, P.c.id == ASG.c.project_id))
            .where(P.c.code == code, ASG.c.person_login == self.actor, ASG.c.ended_seq.is_(None))
        ).first() is not None

    # --- transitions ------------------------------------------------------------------------------

    def _check_on(self, proj: ProjectRow, on: date, *, transition: bool) -> None:
        now = clock.today()
        if on > now:
            raise BadInput(f"--on: {on.isoformat()} lies in the future (today is {now.isoformat()})")
        if on < proj.registered_on:
            raise BadInput(f"--on: {on.isoformat()} lies before {proj.code} was registered "
                           f"({proj.registered_on.isoformat()})")
        if transition and on < proj.last_transition_on:
            raise BadInput(f"--on: {on.isoformat()} lies before {proj.code}'s previous transition "
                           f"({proj.last_transition_on.isoformat()})")

    def guard_context(self, conn: Connection, proj: ProjectRow, reason: str | None = None,
                      guards: Iterable[str] | None = None):
        """The facts the guards read; with ``guards`` given, only the facts those guards need are queried."""
        from workflow.guards import GuardContext

        names = None if guards is None else tuple(guards)

        def needs(prefix: str) -> bool:
            return names is None or any(g == prefix or g.startswith(prefix + ":") for g in names)

        param = {"b_pid": proj.id}
        documents = frozenset(r[0] for r in conn.execute(_DOC_KINDS, param)) if needs("document") else frozenset()
        checks: dict[str, str] = {}
        if needs("check"):
            for item, outcome in conn.execute(_CHECKS, param):
                checks[item] = outcome
        capital = conn.execute(_CAPITAL, param).scalar() if needs("capital_in_place") else 0
        leader = conn.execute(_LEADER, param).first() if needs("key_has_lead_leader") else None
        return GuardContext(
            name=proj.name, investor=proj.investor, industry=proj.industry, unit=proj.unit_code,
            planned_investment_minor=proj.planned_investment_minor, key=bool(proj.key),
            documents=documents, checks=checks, capital_minor=int(capital),
            has_lead_leader=leader is not None, reason=reason,
        )

    def _definition(self, proj: ProjectRow):
        from workflow.definition import get_definition

        return get_definition(proj.workflow_name, proj.workflow_version)

    def _move(self, proj, transition, on, reason, extra: dict | None = None) -> dict:
        """Fire ``transition`` on the project row through the shared machine; the event's fields."""
        from workflow.machine import fire

        before_stage = proj.stage
        from_stage, to_stage = fire(self._definition(proj), proj, transition.trigger)
        proj.stage_since = on
        proj.last_transition_on = on
        payload = {"held_from": before_stage} if transition.trigger == "hold" else {}
        if extra:
            payload.update(extra)
        return {"kind": "transition", "on": on, "trigger": transition.trigger, "from_stage": from_stage,
                "to_stage": to_stage, "reason": reason, "payload": payload}

    def _fire(self, conn, proj, result, transition, on, reason, extra: dict | None = None) -> dict:
        return self._append(conn, proj, result, **self._move(proj, transition, on, reason, extra))

    def _auto_transitions(self, conn, proj, result, on) -> None:
        """Fire a transition marked ``auto`` once its guards hold (the first capital fires ``fund``)."""
        from workflow.guards import evaluate

        defn = self._definition(proj)
        for t in defn.transitions_from(proj.stage):
            if not t.auto:
                continue
            ctx = self.guard_context(conn, proj, guards=t.guards)
            if all(g.ok for g in evaluate(t.guards, ctx, defn.guard_labels)):
                self._check_on(proj, on, transition=True)
                self._fire(conn, proj, result, t, on, None, {"auto": True})
                return

    def open_transitions(self, code: str) -> dict:
        """``pipeline next``: every transition out of the current stage with every guard's result."""
        from workflow.guards import evaluate

        with self.engine.connect() as conn:
            proj = self._lock(conn, code)
            defn = self._definition(proj)
            ctx = self.guard_context(conn, proj, reason=None)
            out = []
            for t in defn.transitions_from(proj.stage):
                results = evaluate(t.guards, ctx, defn.guard_labels)
                out.append({"trigger": t.trigger, "to": defn.dest_of(t, proj.held_from),
                            "allowed": all(r.ok for r in results), "needs_reason": t.needs_reason,
                            "label": {"en": t.en, "zh": t.zh}, "guards": results})
        return {"code": proj.code, "stage": proj.stage, "version": proj.version, "transitions": out}

    def advance(self, code: str, target: str, *, on: date | None = None, reason: str | None = None,
                expect_version: int | None = None) -> WriteResult:
        from workflow.guards import evaluate

        on = on or clock.today()
        reason = reason.strip() if reason and reason.strip() else None

        def fn(conn, proj, result):
            defn = self._definition(proj)
            transition = defn.resolve(proj.stage, target, proj.held_from)
            ctx = self.guard_context(conn, proj, reason, guards=transition.guards)
            results = evaluate(transition.guards, ctx, defn.guard_labels)
            failed = [r for r in results if not r.ok]
            if failed:
                raise Refused(
                    f"{code}: {transition.trigger} refused: " + "; ".join(r.message for r in failed),
                    [{"guard": r.guard, "message": r.message, "message_zh": r.message_zh} for r in failed],
                )
            self._check_on(proj, on, transition=True)
            self._fire(conn, proj, result, transition, on, reason)

        return self._write(code, fn, expect_version=expect_version, what="advance projects")

    # --- assignments ----------------------------------------------------------------------------

    def assign(self, conn: Connection, proj: ProjectRow, result: WriteResult | None, *, role: str,
               login: str, on: date, reason: str | None = None, rule_id: int | None = None,
               rule_version: int | None = None, replaces: dict | None = None) -> dict:
        """Record an assignment (ending ``replaces`` if given) as a history event."""
        payload = {"role": role, "person": login, "rule_id": rule_id, "rule_version": rule_version}
        kind = "assignment"
        if replaces is not None:
            kind = "reassignment"
            payload["replaces"] = replaces["person_login"]
        event = self._append(conn, proj, result, kind=kind, on=on, reason=reason, payload=payload)
        if replaces is not None:
            conn.execute(_END_ASSIGNMENT, {"b_id": replaces["id"], "ended_on": on, "ended_seq": event["seq"]})
        conn.execute(_INSERT_ASSIGNMENT, dict(project_id=proj.id, role=role, person_login=login, rule_id=rule_id,
                                        rule_version=rule_version, assigned_on=on, event_seq=event["seq"]))
        return event

    def reassign(self, code: str, role: str, login: str, *, reason: str | None,
                 on: date | None = None, expect_version: int | None = None) -> WriteResult:
        """The only way to replace a lead leader or first responsible person (一抓到底)."""
        if role not in ASSIGNMENT_ROLES:
            raise BadInput(f"ROLE: {role!r} is not one of {', '.join(ASSIGNMENT_ROLES)}")
        if not reason or not reason.strip():
            raise BadInput("--reason is required: say why the assignment changes")
        on = on or clock.today()

        def fn(conn, proj, result):
            self._check_on(proj, on, transition=False)
            person = conn.execute(select(PE).where(PE.c.login == login)).mappings().first()
            if person is None:
                raise NotFound(f"no person {login!r}; add them with `pipeline people add`", [{"person": login}])
            if role == "lead_leader" and person["level"] != "county":
                raise BadInput(f"{login!r} is {person['level']} level; a lead leader must be county level")
            current = conn.execute(select(ASG).where(ASG.c.project_id == proj.id, ASG.c.role == role,
                                                     ASG.c.ended_seq.is_(None))).mappings().all()
            if any(c["person_login"] == login for c in current):
                raise BadInput(f"{login!r} already holds {role} on {code}")
            replaces = dict(current[0]) if current and role in SINGLE_ROLES else None
            self.assign(conn, proj, result, role=role, login=login, on=on, reason=reason.strip(),
                        replaces=replaces)

        return self._write(code, fn, expect_version=expect_version, roles=("admin",),
                           what="reassign leaders")

    # --- rules ----------------------------------------------------------------------------------
    # ``rules apply`` writes many projects' assignments in ONE transaction (all or nothing).

    def write_batch(self, plan: Callable[[Connection], Iterable[tuple[str, Callable]]], *,
                    roles: Iterable[str] = ("admin",), what: str = "change projects") -> list[WriteResult]:
        """Change many projects in one transaction: ``plan(conn)`` runs inside it (after the role
        check) and yields ``(code, fn)``; each project is locked, changed by ``fn(conn, proj, result)``
        and saved with its compare-and-set.  Any exception rolls everything back."""
        with self.engine.begin() as conn:
            self.require(conn, roles, what)
            results = []
            for code, fn in plan(conn):
                proj = self._lock(conn, code)
                result = WriteResult(proj)
                fn(conn, proj, result)
                self._save(conn, proj)
                results.append(result)
            return results

    # --- reads ----------------------------------------------------------------------------------

    def get_project(self, code: str, as_of: date | None = None) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(P).where(P.c.code == code)).mappings().first()
            if row is None:
                raise NotFound(f"no project {code}", [{"project": code}])
            return self._project_views(conn, [row], as_of or clock.today(), full=True)[0]

    def list_projects(self, *, stage: str | None = None, unit: str | None = None, leader: str | None = None,
                      light: str | None = None, as_of: date | None = None) -> list[dict]:
        from workflow.definition import default_definition

        if stage is not None:
            default_definition().stage(stage)
        if light is not None and light not in ("red", "yellow", "green"):
            raise BadInput(f"--light: {light!r} is not one of red, yellow, green")
        stmt = select(P).order_by(P.c.id)
        if stage:
            stmt = stmt.where(P.c.stage == stage)
        if unit:
            stmt = stmt.where(P.c.unit_code == unit)
        if leader:
            stmt = stmt.where(P.c.id.in_(select(ASG.c.project_id).where(ASG.c.person_login == leader,
                                                                         ASG.c.ended_seq.is_(None))))
        with self.engine.connect() as conn:
            if unit:
                self._unit_exists(conn, unit)
            rows = conn.execute(stmt).mappings().all()
            views = self._project_views(conn, rows, as_of or clock.today(), full=False)
        if light:
            views = [v for v in views if v["light"] == light]
        return views

    def _project_views(self, conn: Connection, rows, as_of: date, *, full: bool) -> list[dict]:
        from workflow.definition import get_definition
        from workflow.lights import LightFacts, compute_light

        ids = [r["id"] for r in rows]
        leaders: dict[int, list[dict]] = {i: [] for i in ids}
        sums: dict[int, dict[str, dict[str, int]]] = {i: {"capital": {}, "investment": {}} for i in ids}
        units = dict(conn.execute(select(U.c.code, U.c.name)).all())
        if ids:
            in_ids = ASG.c.project_id.in_(ids) if len(ids) < 500 else True
            q = (select(ASG.c.project_id, ASG.c.role, ASG.c.person_login, ASG.c.rule_id, ASG.c.rule_version,
                        ASG.c.assigned_on, PE.c.name)
                 .select_from(ASG.join(PE, PE.c.login == ASG.c.person_login))
                 .where(ASG.c.ended_seq.is_(None)).where(in_ids).order_by(ASG.c.id))
            for r in conn.execute(q).mappings():
                if r["project_id"] in leaders:
                    leaders[r["project_id"]].append({
                        "role": r["role"], "login": r["person_login"], "name": r["name"],
                        "rule_id": r["rule_id"], "rule_version": r["rule_version"],
                        "since": r["assigned_on"].isoformat()})
            if full:
                for label, table in (("capital", CAP), ("investment", INV)):
                    q = (select(table.c.project_id, table.c.currency, func.sum(table.c.amount_minor))
                         .where(table.c.project_id.in_(ids)).group_by(table.c.project_id, table.c.currency))
                    for pid, cur, total in conn.execute(q):
                        sums[pid][label][cur] = int(total)
        thresholds = self.light_thresholds(conn)
        out = []
        for r in rows:
            defn = get_definition(r["workflow_name"], r["workflow_version"])
            stage = defn.stage(r["stage"])
            plan = {k: r[f"plan_{k}"] for k in PLAN_FIELDS}
            ls = leaders[r["id"]]
            light = compute_light(LightFacts(
                stage=r["stage"], stage_kind=stage.kind, stage_since=r["stage_since"],
                registered_on=r["registered_on"], last_followup_on=r["last_followup_on"], key=bool(r["key"]),
                has_lead_leader=any(x["role"] == "lead_leader" for x in ls), plan=plan), as_of,
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
                })
            out.append(view)
        return out

    def history(self, code: str) -> dict:
        with self.engine.connect() as conn:
            proj = conn.execute(select(P.c.id, P.c.code, P.c.name, P.c.stage, P.c.head_hash)
                                .where(P.c.code == code)).mappings().first()
            if proj is None:
                raise NotFound(f"no project {code}", [{"project": code}])
            rows = conn.execute(select(E).where(E.c.project_id == proj["id"]).order_by(E.c.seq)).mappings()
            events = [audit.event_json(r) for r in rows]
        return {"code": code, "name": proj["name"], "stage": proj["stage"], "head_hash": proj["head_hash"],
                "events": events}


    # --- lights configuration -------------------------------------------------------------------
    # Thresholds of the warnings (SPEC §5): the defaults of ``workflow.lights.Thresholds``, overridden
    # by settings stored as ``lights.<name>`` in the ``setting`` table (admin), overridden in turn by
    # ``light_overrides`` for one run (``--threshold NAME=DAYS``).

    LIGHT_PREFIX = "lights."
    light_overrides: dict | None = None

    @staticmethod
    def parse_threshold_args(items: Iterable[str] | None) -> dict[str, int]:
        """``["screening_red_days=12", ...]`` -> ``{"screening_red_days": 12}``; refuses bad forms."""
        from workflow.lights import Thresholds

        out: dict[str, int] = {}
        for item in items or []:
            name, sep, value = str(item).partition("=")
            name, value = name.strip(), value.strip()
            if not sep or not name or not value:
                raise BadInput(f"--threshold: {item!r} is not NAME=DAYS (e.g. screening_red_days=12)")
            try:
                out[name] = int(value)
            except ValueError:
                raise BadInput(f"--threshold: {name} must be a whole number of days, not {value!r}") from None
        Thresholds.from_mapping(out)  # names and values checked here, combinations again when used
        return out

    def light_settings(self, conn: Connection | None = None) -> dict[str, int]:
        """The thresholds stored in the database (only those that differ from the defaults' source)."""
        stmt = select(ST.c.key, ST.c.value).where(ST.c.key.like(self.LIGHT_PREFIX + "%"))
        if conn is None:
            with self.engine.connect() as c:
                rows = c.execute(stmt).all()
        else:
            rows = conn.execute(stmt).all()
        out = {}
        for key, value in rows:
            try:
                out[key[len(self.LIGHT_PREFIX):]] = int(value)
            except ValueError:
                raise BadInput(f"setting {key} = {value!r} is not a whole number of days; "
                               "fix it with `pipeline lights set`") from None
        return out

    def light_thresholds(self, conn: Connection | None = None):
        """The thresholds in effect: defaults < stored settings < this run's overrides."""
        from workflow.lights import Thresholds

        return Thresholds.from_mapping({**self.light_settings(conn), **(self.light_overrides or {})})

    def set_light_thresholds(self, values: dict[str, int]) -> dict[str, int]:
        """Store thresholds (admin); the result must be a valid set. Returns the stored settings."""
        from workflow.lights import Thresholds
        if not values:
            raise BadInput("give at least one NAME=DAYS (see `pipeline lights show`)")
        with self.engine.begin() as conn:
            self.require(conn, ("admin",), "change the warning thresholds")
            merged = {**self.light_settings(conn), **values}
            Thresholds.from_mapping(merged)
            for name, days in values.items():
                key = self.LIGHT_PREFIX + name
                if conn.execute(select(ST.c.key).where(ST.c.key == key)).first() is None:
                    conn.execute(insert(ST).values(key=key, value=str(days)))
                else:
                    conn.execute(update(ST).where(ST.c.key == key).values(value=str(days)))
            return self.light_settings(conn)

    def reset_light_thresholds(self, names: Iterable[str] | None = None) -> dict[str, int]:
        """Forget stored thresholds (all, or ``names``) so the defaults apply again (admin)."""
        from dataclasses import fields

        from sqlalchemy import delete

        from workflow.lights import Thresholds
        known = [f.name for f in fields(Thresholds)]
        names = list(names or [])
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise BadInput(f"unknown warning threshold(s): {', '.join(unknown)}; known: {', '.join(known)}")
        with self.engine.begin() as conn:
            self.require(conn, ("admin",), "change the warning thresholds")
            remaining = {k: v for k, v in self.light_settings(conn).items() if names and k not in names}
            Thresholds.from_mapping(remaining)
            keys = [self.LIGHT_PREFIX + n for n in (names or known)]
            conn.execute(delete(ST).where(ST.c.key.in_(keys)))
            return self.light_settings(conn)


    # --- corrections (audit) --------------------------------------------------------------------

    CORRECTS_STAGE = ("transition", "correction")

    def correct(self, code: str, seq: int, reason: str | None, *, on: date | None = None) -> WriteResult:
        """An admin's correction of event ``seq`` of ``code`` (SPEC §2, §8 ``correct``).

        Appends one ``correction`` event naming the event it corrects (``payload.corrects``) with the
        reason; nothing in history is updated or deleted.  What else it does depends on the event:

        - a stage change (a transition, or a correction that moved the stage) that is the project's
          latest: the project returns to the stage before it (with that stage's held-from stage and
          entry date), recorded as the correction's from → to;
        - a capital arrival or investment figure: a reversing entry of the same amount is recorded
          (a negative row with the original effective date), so totals and reports drop it;
        - anything else: the correction is a reasoned annotation (record the right value anew).
        """
        from workflow.definition import get_definition

        if not reason or not reason.strip():
            raise BadInput("--reason is required: say what was wrong with the event")
        reason = reason.strip()
        on = on or clock.today()

        def fn(conn, proj, result):
            rows = conn.execute(select(E).where(E.c.project_id == proj.id).order_by(E.c.seq)).mappings()
            events = [audit.event_json(r) for r in rows]
            if not 1 <= seq <= len(events):
                raise NotFound(f"{code} has no event {seq} (its events are 1 to {len(events)})",
                               [{"project": code, "seq": seq}])
            target = events[seq - 1]
            done = [e["seq"] for e in events if e["kind"] == "correction" and e["payload"].get("corrects") == seq]
            if done:
                raise Refused(f"event {seq} of {code} was already corrected by event {done[0]}",
                              [{"project": code, "seq": seq, "corrected_by": done[0]}])
            if on < date.fromisoformat(target["effective_on"]):
                raise BadInput(f"--on: {on.isoformat()} lies before the event it corrects ({target['effective_on']})")
            self._check_on(proj, on, transition=False)
            payload: dict[str, Any] = {"corrects": seq, "kind": target["kind"]}
            from_stage = to_stage = None
            changes_stage = target["kind"] in self.CORRECTS_STAGE and target["to"] is not None
            if target["kind"] == "correction" and not changes_stage:
                raise Refused(f"event {seq} of {code} is a correction that moved no stage; there is nothing to "
                              "undo (record the right value again instead)")
            if changes_stage:
                later = [e["seq"] for e in events[seq:] if e["to"] is not None]
                if later:
                    raise Refused(f"event {seq} of {code} is not its latest stage change; correct event "
                                  f"{later[-1]} first", [{"project": code, "seq": seq, "latest": later[-1]}])
                defn = get_definition(proj.workflow_name, proj.workflow_version)
                paused = frozenset(s.key for s in defn.stages if s.is_paused)
                before = audit.replay_stage(events[: seq - 1], paused)
                if before["stage"] is None:
                    raise Refused(f"event {seq} of {code} has no stage before it to return to")
                from_stage, to_stage = proj.stage, before["stage"]
                payload.update({"restore_stage": to_stage, "held_from": before["held_from"],
                                "stage_since": before["stage_since"]})
                proj.stage = to_stage
                proj.held_from = before["held_from"]
                proj.stage_since = date.fromisoformat(before["stage_since"])
                proj.last_transition_on = proj.stage_since
            elif target["kind"] in ("capital", "investment"):
                p = target["payload"]
                payload.update({"amount_minor": -int(p["amount_minor"]), "currency": p["currency"]})
            event = self._append(conn, proj, result, kind="correction", on=on, from_stage=from_stage,
                                 to_stage=to_stage, reason=reason, payload=payload)
            if target["kind"] in ("capital", "investment") and not changes_stage:
                table = CAP if target["kind"] == "capital" else INV
                values = {"project_id": proj.id, "amount_minor": payload["amount_minor"],
                          "currency": payload["currency"],
                          "effective_on": date.fromisoformat(target["effective_on"]), "event_seq": event["seq"]}
                if table is CAP:
                    values["source"] = f"correction of event {seq}"
                conn.execute(insert(table).values(**values))

        return self._write(code, fn, roles=("admin",), what="correct history")

    def latest_checkpoint(self) -> dict | None:
        """The newest stored checkpoint (digest, projects, events, at, actor), or None."""
        with self.engine.connect() as conn:
            return audit.latest_checkpoint(conn)

    # --- bulk import ------------------------------------------------------------------------------
    # ``pipeline import`` and ``pipeline demo``: many projects in ONE transaction.  Rows and events are
    # built by the same code as the single writes (project_fields, _new_project_row, _project_payload,
    # _event_row, _check_on, the shared machine and guards), each project's hash chain is computed in
    # Python, and the rows go to the database in batched Core inserts (executemany).

    def import_projects(self, rows: Iterable[Mapping[str, Any]], *, on: date | None = None,
                        progress: Callable[[str, int, int], None] | None = None, dry_run: bool = False,
                        total: int | None = None) -> dict:
        """Register every row as a new project at the first stage, all or nothing.

        A row holds ``add_project``'s arguments (``name``, ``investor``, ``industry``,
        ``investment_minor``, ``unit``, ``origin``, ``category``, ``key``, ``plan``) and optionally
        ``on``, its registration date (default: ``on``, else today; never in the future).  ``rows`` may
        be any iterable (a list, or a generator reading a file): it is read once, in batches of
        ``_IMPORT_BATCH`` rows, each checked, written (its projects, their ``registered`` events, and
        what the rules assign them, as ``add_project``'s hook ``_after_project_change`` would) and
        dropped, all inside ONE transaction.  A bad row stops the writing; the remaining rows are still
        checked, and the refusal lists each bad row as ``{"row", "message"}`` and rolls everything back.
        ``dry_run`` does all of it and rolls back: the result says what an import would do.  ``total``
        (the number of rows, when ``rows`` has no length) is for ``progress``."""
        from workflow.definition import default_definition
        from workflow.rules import NewProjects, _stage_kinds

        defn = default_definition()
        today = clock.today()
        default_on = on or today
        if total is None and isinstance(rows, Sized):
            total = len(rows)
        it = iter(rows)
        head = next(it, None)
        if head is None:
            return {"imported": 0, "rows": 0, "first": None, "last": None, "assignments": 0, "dry_run": dry_run}
        with self.engine.connect() as conn, _transaction(conn, commit=not dry_run):
            self.require(conn, WRITERS, "import projects")
            known = set(conn.execute(select(U.c.code)).scalars())
            first_id = new_id = self._next_project_id(conn)  # creators wait for this transaction to end
            created = clock.utcnow()
            stamp = audit.format_utc(created)
            initial = defn.stages[0].key
            kind = _stage_kinds(defn.name, defn.version).get(initial, "active")
            rules = NewProjects(conn)
            payloads: dict[tuple[int, int], str] = {}  # each rule's assignment payload, encoded once
            problems: list[dict] = []
            n = assignments = 0
            batch: list[tuple[dict, date]] = []
            for row in chain((head,), it):
                n += 1
                try:
                    fields, day = _import_fields(row, default_on, today)
                    if fields["unit_code"] is not None and fields["unit_code"] not in known:
                        raise BadInput(f"no unit {fields['unit_code']!r}")
                except BadInput as exc:
                    problems.append({"row": n, "message": exc.message})
                    batch = []
                    continue
                if problems:  # nothing more is written: only the checking goes on
                    continue
                batch.append((fields, day))
                if len(batch) == _IMPORT_BATCH:
                    assignments += self._register(conn, defn, batch, new_id, created, stamp, initial, kind, rules,
                                                  payloads)
                    new_id += len(batch)
                    batch = []
                    if progress is not None:
                        progress("register", n, max(n, total or 0))
            if problems:
                raise BadInput(f"{len(problems)} of {n} rows refused; nothing was imported", problems)
            if batch:
                assignments += self._register(conn, defn, batch, new_id, created, stamp, initial, kind, rules,
                                                  payloads)
                new_id += len(batch)
            if progress is not None:
                progress("register", n, n)
        return {"imported": 0 if dry_run else n, "rows": n, "first": project_code(first_id),
                "last": project_code(new_id - 1), "assignments": assignments, "dry_run": dry_run}

    def _register(self, conn: Connection, defn, batch: list[tuple[dict, date]], first_id: int, created: datetime,
                  stamp: str, initial: str, kind: str, rules, payloads: dict) -> int:
        """Write one batch of checked new projects: their rows, each chain's ``registered`` event and the
        assignments the rules make (events and rows), in one executemany per table; returns how many
        assignments were made."""
        project_rows = [_new_project_row(defn, new_id, fields, day, created)
                        for new_id, (fields, day) in enumerate(batch, first_id)]
        event_rows: list[dict] = []
        assignment_rows: list[dict] = []
        event_row = self._event_row
        fast_payload = _fast_payload_ok()
        for values, assigned in zip(project_rows, rules.decide(project_rows, kind), strict=True):
            proj = ProjectRow.__new__(ProjectRow)  # the row itself, not a copy: its head advances in place
            proj.__dict__ = values
            day = values["registered_on"]
            text = _registered_payload(values) if fast_payload else None
            event_rows.append(event_row(
                proj, kind="registered", on=day, to_stage=initial, payload_text=text,
                payload=None if text is not None else _project_payload(values), recorded_at=created,
                recorded_text=stamp, canonical=canonical_fast))
            for rule in assigned:  # what add_project's hook (rules.assign_missing) would assign
                payload = payloads.get((rule.id, rule.version))
                if payload is None:  # the same for every project the rule assigns: encoded once
                    payload = payloads[(rule.id, rule.version)] = canonical_fast(
                        {"role": rule.role, "person": rule.person, "rule_id": rule.id,
                         "rule_version": rule.version}).decode("utf-8")
                event = event_row(proj, kind="assignment", on=day, recorded_at=created, recorded_text=stamp,
                                  canonical=canonical_fast, payload_text=payload)
                event_rows.append(event)
                assignment_rows.append({"project_id": values["id"], "role": rule.role, "person_login": rule.person,
                                        "rule_id": rule.id, "rule_version": rule.version, "assigned_on": day,
                                        "event_seq": event["seq"]})
        _insert_many(conn, P, project_rows)
        _insert_many(conn, E, event_rows)
        _insert_many(conn, ASG, assignment_rows)
        return len(assignment_rows)

    def bulk_apply(self, ops: Sequence[BulkOp], *,
                   progress: Callable[[str, int, int], None] | None = None) -> dict:
        """Apply many writes to existing projects in ONE transaction, all or nothing (``pipeline demo``).

        Each op is checked, guarded and chained as its single write would be (``record_check``,
        ``add_document``, ``add_capital``, ``add_investment``, ``add_followup``, ``advance``,
        ``reassign``): the same effective-date rules, the same guards through the shared machine, the
        automatic ``fund`` on the first capital, the same payloads and side-table rows, one version per
        write.  What differs is speed: the facts the guards read are kept in memory and the rows are
        inserted in batches.  A failure names the op (``write N``) and rolls everything back."""
        ops = list(ops)
        for op in ops:
            if op.action not in BULK_ACTIONS:
                raise BadInput(f"unknown bulk action {op.action!r}; known: {', '.join(BULK_ACTIONS)}")
        if not ops:
            return {"writes": 0, "events": 0, "projects": 0}
        with self.engine.begin() as conn:
            self.require(conn, WRITERS, "change projects")
            people: dict[str, str] = {}
            if any(op.action == "assign" for op in ops):
                self.require(conn, ("admin",), "reassign leaders")
                people = dict(conn.execute(select(PE.c.login, PE.c.level)).all())
            projs = self._lock_many(conn, list(dict.fromkeys(op.code for op in ops)))
            facts = self._bulk_facts(conn, list(projs.values()))
            bulk = _BulkWrites(clock.utcnow())
            total = len(ops)
            for n, op in enumerate(ops, 1):
                proj = projs[op.code]
                try:
                    self._bulk_one(conn, bulk, proj, facts[proj.id], op, people)
                except PipelineError as exc:
                    exc.message = f"write {n} ({op.code} {op.action} on {op.on}): {exc.message}"
                    exc.args = (exc.message,)
                    raise
                bulk.writes[proj.id] = bulk.writes.get(proj.id, 0) + 1
                if progress is not None and (n % _PROGRESS_EVERY == 0 or n == total):
                    progress("apply", n, total)
            self._bulk_flush(conn, bulk, projs)
        return {"writes": total, "events": bulk.events, "projects": len(projs)}

    def _lock_many(self, conn: Connection, codes: list[str]) -> dict[str, ProjectRow]:
        out: dict[str, ProjectRow] = {}
        for chunk in _chunks(codes, _IN_CHUNK):
            stmt = select(P).where(P.c.code.in_(chunk))
            if conn.dialect.name != "sqlite":
                stmt = stmt.with_for_update()
            for row in conn.execute(stmt).mappings():
                out[row["code"]] = ProjectRow(row)
        missing = [c for c in codes if c not in out]
        if missing:
            raise NotFound(f"no project {', '.join(missing[:5])}" + (" …" if len(missing) > 5 else ""),
                           [{"project": c} for c in missing])
        return out

    def _bulk_facts(self, conn: Connection, projs: list[ProjectRow]) -> dict[int, _Facts]:
        """What ``guard_context`` would read, for many projects at once, kept up to date in memory."""
        facts = {p.id: _Facts() for p in projs}
        for chunk in _chunks(list(facts), _IN_CHUNK):
            for pid, kind in conn.execute(select(DOC.c.project_id, DOC.c.kind).where(DOC.c.project_id.in_(chunk))):
                facts[pid].documents.add(kind)
            for pid, item, outcome in conn.execute(
                    select(CHK.c.project_id, CHK.c.item, CHK.c.result).where(CHK.c.project_id.in_(chunk))
                    .order_by(CHK.c.project_id, CHK.c.event_seq)):
                facts[pid].checks[item] = outcome
            for pid, total in conn.execute(
                    select(CAP.c.project_id, func.sum(CAP.c.amount_minor)).where(CAP.c.project_id.in_(chunk))
                    .group_by(CAP.c.project_id)):
                facts[pid].capital = int(total)
            for row in conn.execute(select(ASG).where(ASG.c.project_id.in_(chunk), ASG.c.ended_seq.is_(None))
                                    .order_by(ASG.c.id)).mappings():
                facts[row["project_id"]].holders.setdefault(row["role"], []).append(dict(row))
        return facts

    def _bulk_context(self, proj: ProjectRow, facts: _Facts, reason: str | None):
        from workflow.guards import GuardContext

        return GuardContext(
            name=proj.name, investor=proj.investor, industry=proj.industry, unit=proj.unit_code,
            planned_investment_minor=proj.planned_investment_minor, key=bool(proj.key),
            documents=frozenset(facts.documents), checks=dict(facts.checks), capital_minor=int(facts.capital),
            has_lead_leader=bool(facts.holders.get("lead_leader")), reason=reason,
        )

    def _bulk_event(self, bulk: _BulkWrites, proj: ProjectRow, **kw) -> dict:
        row = self._event_row(proj, recorded_at=bulk.at, recorded_text=bulk.stamp, canonical=canonical_fast, **kw)
        bulk.rows[E].append(row)
        bulk.events += 1
        return row

    def _bulk_fire(self, bulk, proj, transition, on, reason, extra: dict | None = None) -> None:
        """``_fire`` with the event collected instead of written."""
        self._bulk_event(bulk, proj, **self._move(proj, transition, on, reason, extra))

    def _bulk_auto(self, bulk, proj, facts, on) -> None:
        """``_auto_transitions`` over the in-memory facts."""
        from workflow.guards import evaluate

        defn = self._definition(proj)
        for t in defn.transitions_from(proj.stage):
            if not t.auto:
                continue
            if all(g.ok for g in evaluate(t.guards, self._bulk_context(proj, facts, None), defn.guard_labels)):
                self._check_on(proj, on, transition=True)
                self._bulk_fire(bulk, proj, t, on, None, {"auto": True})
                return

    def _bulk_one(self, conn, bulk: _BulkWrites, proj: ProjectRow, facts: _Facts, op: BulkOp,
                  people: dict[str, str]) -> None:
        """One write of ``bulk_apply``: the body of the matching single-write method."""
        from workflow.definition import default_definition
        from workflow.guards import evaluate

        a, on, action = op.args, op.on, op.action
        if action == "check":
            items = [c.key for c in default_definition().checks]
            item, outcome, note = a.get("item"), a.get("result"), a.get("note")
            if item not in items:
                raise BadInput(f"ITEM: {item!r} is not one of {', '.join(items)}")
            if outcome not in ("pass", "fail"):
                raise BadInput(f"RESULT: {outcome!r} is not pass or fail")
            self._check_on(proj, on, transition=False)
            row = self._bulk_event(bulk, proj, kind="check", on=on,
                                   payload={"item": item, "result": outcome, "note": note})
            bulk.rows[CHK].append({"project_id": proj.id, "item": item, "result": outcome, "note": note,
                                   "effective_on": on, "event_seq": row["seq"]})
            facts.checks[item] = outcome
            self._bulk_auto(bulk, proj, facts, on)
        elif action == "document":
            kinds = [d.key for d in default_definition().documents]
            kind = a.get("kind")
            if kind not in kinds:
                raise BadInput(f"KIND: {kind!r} is not one of {', '.join(kinds)}")
            number = _required(a.get("number"), "NUMBER")
            self._check_on(proj, on, transition=False)
            row = self._bulk_event(bulk, proj, kind="document", on=on, payload={"document": kind, "number": number})
            bulk.rows[DOC].append({"project_id": proj.id, "kind": kind, "number": number, "effective_on": on,
                                   "event_seq": row["seq"]})
            facts.documents.add(kind)
            self._bulk_auto(bulk, proj, facts, on)
        elif action in ("capital", "investment"):
            amount, currency = a.get("amount_minor"), a.get("currency", "CNY")
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise BadInput("AMOUNT must be a whole number of minor units (分)")
            if amount <= 0:
                raise BadInput("AMOUNT must be greater than 0")
            from workflow.money import CURRENCIES

            if currency not in CURRENCIES:
                raise BadInput(f"currency {currency!r} is not one of {', '.join(CURRENCIES)}")
            self._check_on(proj, on, transition=False)
            if action == "capital":
                source = a.get("source")
                row = self._bulk_event(bulk, proj, kind="capital", on=on,
                                       payload={"amount_minor": amount, "currency": currency, "source": source})
                bulk.rows[CAP].append({"project_id": proj.id, "amount_minor": amount, "currency": currency,
                                       "effective_on": on, "source": source, "event_seq": row["seq"]})
                facts.capital += amount
                self._bulk_auto(bulk, proj, facts, on)
            else:
                row = self._bulk_event(bulk, proj, kind="investment", on=on,
                                       payload={"amount_minor": amount, "currency": currency})
                bulk.rows[INV].append({"project_id": proj.id, "amount_minor": amount, "currency": currency,
                                       "effective_on": on, "event_seq": row["seq"]})
        elif action == "followup":
            note = _required(a.get("note"), "NOTE")
            self._check_on(proj, on, transition=False)
            row = self._bulk_event(bulk, proj, kind="followup", on=on, payload={"note": note})
            bulk.rows[FU].append({"project_id": proj.id, "note": note, "effective_on": on, "actor": self.actor,
                                  "event_seq": row["seq"]})
            if proj.last_followup_on is None or on > proj.last_followup_on:
                proj.last_followup_on = on
        elif action == "advance":
            reason = a.get("reason")
            reason = reason.strip() if reason and reason.strip() else None
            defn = self._definition(proj)
            transition = defn.resolve(proj.stage, a.get("target"), proj.held_from)
            results = evaluate(transition.guards, self._bulk_context(proj, facts, reason), defn.guard_labels)
            failed = [r for r in results if not r.ok]
            if failed:
                raise Refused(
                    f"{proj.code}: {transition.trigger} refused: " + "; ".join(r.message for r in failed),
                    [{"guard": r.guard, "message": r.message, "message_zh": r.message_zh} for r in failed],
                )
            self._check_on(proj, on, transition=True)
            self._bulk_fire(bulk, proj, transition, on, reason)
        elif action == "assign":
            role, login, reason = a.get("role"), a.get("login"), a.get("reason")
            if role not in ASSIGNMENT_ROLES:
                raise BadInput(f"ROLE: {role!r} is not one of {', '.join(ASSIGNMENT_ROLES)}")
            if not reason or not reason.strip():
                raise BadInput("--reason is required: say why the assignment changes")
            self._check_on(proj, on, transition=False)
            if login not in people:
                raise NotFound(f"no person {login!r}; add them with `pipeline people add`", [{"person": login}])
            if role == "lead_leader" and people[login] != "county":
                raise BadInput(f"{login!r} is {people[login]} level; a lead leader must be county level")
            current = facts.holders.setdefault(role, [])
            if any(c["person_login"] == login for c in current):
                raise BadInput(f"{login!r} already holds {role} on {proj.code}")
            replaces = current[0] if current and role in SINGLE_ROLES else None
            payload = {"role": role, "person": login, "rule_id": None, "rule_version": None}
            kind = "assignment"
            if replaces is not None:
                kind = "reassignment"
                payload["replaces"] = replaces["person_login"]
            row = self._bulk_event(bulk, proj, kind=kind, on=on, reason=reason.strip(), payload=payload)
            if replaces is not None:
                if replaces.get("id") is not None:  # a row in the database
                    bulk.ends.append({"b_id": replaces["id"], "b_on": on, "b_seq": row["seq"]})
                else:  # a row of this batch, not yet written
                    replaces["ended_on"], replaces["ended_seq"] = on, row["seq"]
                current.remove(replaces)
            new = {"project_id": proj.id, "role": role, "person_login": login, "rule_id": None,
                   "rule_version": None, "assigned_on": on, "event_seq": row["seq"], "ended_on": None,
                   "ended_seq": None}
            bulk.rows[ASG].append(new)
            current.append(new)

    def _bulk_flush(self, conn: Connection, bulk: _BulkWrites, projs: dict[str, ProjectRow]) -> None:
        """Write what a bulk collected: events and side rows in batches, then every changed project
        with its compare-and-set (its version goes up once per write, as the single writes do)."""
        for table in (E, CHK, DOC, CAP, INV, FU, ASG):
            _insert_many(conn, table, bulk.rows[table])
            bulk.rows[table] = []
        if bulk.ends:
            conn.execute(_BULK_END_ASSIGNMENT, bulk.ends)
            bulk.ends = []
        saves = []
        for proj in projs.values():
            writes = bulk.writes.pop(proj.id, 0)
            changes = proj.changes()
            if not changes and not writes:
                continue
            old = proj._original["version"]
            proj.version = old + writes
            if set(changes) - set(_BULK_MUTABLE):  # a hook changed other fields: save this one alone
                self._save_as(conn, proj, old)
            else:
                saves.append({"b_id": proj.id, "b_old": old, **{f"b_{c}": getattr(proj, c) for c in _BULK_MUTABLE}})
            proj._original = {k: v for k, v in proj.__dict__.items() if not k.startswith("_")}
        for chunk in _chunks(saves, 5000):
            done = conn.execute(_BULK_SAVE, chunk).rowcount
            if conn.dialect.supports_sane_multi_rowcount and done != len(chunk):
                raise Conflict("a project was changed by someone else during the bulk write; nothing was "
                               "written; retry")

    def _save_as(self, conn: Connection, proj: ProjectRow, old_version: int) -> None:
        changes = proj.changes()
        changes["version"] = proj.version
        done = conn.execute(_SAVE, {"b_id": proj.id, "b_old": old_version, **changes}).rowcount
        if done != 1:
            raise Conflict(f"{proj.code} was changed by someone else; nothing was written; retry",
                           [{"project": proj.code, "expected": old_version}])

    def ledger(self, *, stage: str | None = None, unit: str | None = None) -> list[dict]:
        """The project ledger (项目台账) for ``pipeline export``: each project's own columns, by code."""
        from workflow.definition import default_definition

        if stage is not None:
            default_definition().stage(stage)
        cols = [P.c.code, P.c.name, P.c.investor, P.c.origin, P.c.industry, P.c.category, P.c.key,
                P.c.key_override, P.c.planned_investment_minor, P.c.planned_currency, P.c.unit_code,
                *[P.c[f"plan_{k}"] for k in PLAN_FIELDS], P.c.registered_on, P.c.stage, P.c.stage_since]
        stmt = select(*cols).order_by(P.c.id)
        if stage is not None:
            stmt = stmt.where(P.c.stage == stage)
        if unit is not None:
            stmt = stmt.where(P.c.unit_code == unit)
        with self.engine.connect() as conn:
            if unit is not None:
                self._unit_exists(conn, unit)
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def project_identities(self):
        """The identities ``(name, investor, unit)`` of every project (a ``workflow.io.Identities``, which
        keeps digests, not texts): how an import recognises a row it already holds."""
        from workflow.io import Identities

        stmt = select(P.c.code, P.c.name, P.c.investor, P.c.unit_code).order_by(P.c.id).execution_options(
            yield_per=10_000)

        def rows():
            with self.engine.connect() as conn:
                yield from conn.execute(stmt)

        return Identities(rows)


# --- helpers ---------------------------------------------------------------------------------------


def _required(value: str | None, what: str) -> str:
    if value is None or not str(value).strip():
        raise BadInput(f"{what} must not be empty")
    return str(value).strip()


def _check_plan(plan: dict) -> dict[str, date]:
    if not _PLAN_FIELD_SET.issuperset(plan):
        unknown = set(plan) - _PLAN_FIELD_SET
        raise BadInput(f"--plan: unknown milestone {', '.join(sorted(unknown))}; "
                       f"use {', '.join(f'{k}=YYYY-MM-DD' for k in PLAN_FIELDS)}")
    return {k: v if v.__class__ is date else clock.parse_date(v, f"--plan {k}") for k, v in plan.items()}


_PLAN_FIELD_SET = frozenset(PLAN_FIELDS)


def _jsonable(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


_PLAN_COLUMNS = tuple((k, f"plan_{k}") for k in PLAN_FIELDS)
_MAX_MINOR = 9_000_000_000_000_000  # workflow.money.MAX_MINOR (tests/test_io_service.py checks they agree)
# Longest text a project column holds (the model's max_length; PostgreSQL enforces it).
PROJECT_TEXT_LIMITS = {"name": 300, "investor": 300, "origin": 200, "industry": 200, "category": 200,
                       "unit": 40}


def project_fields(*, name: str, investor: str | None, industry: str | None, investment_minor: int,
                   unit: str | None, origin: str | None = None, category: str | None = None,
                   key: bool | None = None, plan: dict | None = None) -> dict:
    """Validate a new project's fields (``add_project`` and the bulk import share this) and return
    them as project columns; raise BadInput naming the first problem."""
    plan = _check_plan(plan) if plan else {}
    name = _required(name, "--name")
    if isinstance(investment_minor, bool) or not isinstance(investment_minor, int):
        raise BadInput("--investment must be a whole number of minor units (分)")
    if investment_minor < 0:
        raise BadInput("--investment must not be negative")
    if investment_minor > _MAX_MINOR:
        raise BadInput(f"--investment is larger than the limit of {_MAX_MINOR:,} minor units")
    for what, value in (("name", name), ("investor", investor), ("origin", origin), ("industry", industry),
                        ("category", category), ("unit", unit)):
        if value is not None and len(str(value)) > PROJECT_TEXT_LIMITS[what]:
            raise BadInput(f"--{what} is longer than {PROJECT_TEXT_LIMITS[what]} characters")
    if key is not None and not isinstance(key, bool):
        raise BadInput("--key must be yes or no")
    get = plan.get
    return {"name": name, "investor": investor, "origin": origin, "industry": industry, "category": category,
            "key_override": key, "planned_investment_minor": investment_minor, "unit_code": unit,
            "plan_sign": get("sign"), "plan_fund": get("fund"), "plan_break_ground": get("break_ground"),
            "plan_commission": get("commission")}


def _new_project_row(defn, new_id: int, fields: dict, on: date, created_at: datetime) -> dict:
    """The project row of a newly registered project (at the workflow's first stage, version 1)."""
    return {
        "id": new_id, "code": project_code(new_id), "name": fields["name"], "investor": fields["investor"],
        "origin": fields["origin"], "industry": fields["industry"], "category": fields["category"],
        "key": is_key(fields["planned_investment_minor"], fields["key_override"]),
        "key_override": fields["key_override"], "planned_investment_minor": fields["planned_investment_minor"],
        "planned_currency": "CNY", "unit_code": fields["unit_code"], "plan_sign": fields["plan_sign"],
        "plan_fund": fields["plan_fund"], "plan_break_ground": fields["plan_break_ground"],
        "plan_commission": fields["plan_commission"], "stage": defn.stages[0].key, "stage_since": on,
        "held_from": None, "registered_on": on, "last_transition_on": on, "last_followup_on": None,
        "workflow_name": defn.name,
        "workflow_version": defn.version, "version": 1, "head_seq": 0,
        "head_hash": audit.GENESIS, "created_at": created_at,
    }


def _import_fields(row: Mapping[str, Any], default_on: date, today: date) -> tuple[dict, date]:
    """An import row's project columns and registration date (``project_fields``' checks, and the date
    never in the future); raise BadInput naming the first problem."""
    if not _IMPORT_KEYS.issuperset(row):
        raise BadInput(f"unknown field(s) {', '.join(sorted(set(row) - _IMPORT_KEYS))}")
    get = row.get
    fields = project_fields(name=get("name"), investor=get("investor"), industry=get("industry"),
                            investment_minor=get("investment_minor"), unit=get("unit"), origin=get("origin"),
                            category=get("category"), key=get("key"), plan=get("plan"))
    day = get("on")
    day = day if day.__class__ is date else clock.parse_date(day, "registered_on") or default_on
    if day > today:
        raise BadInput(f"registered_on: {day.isoformat()} lies in the future (today is {today.isoformat()})")
    return fields, day


def _project_payload(values: dict) -> dict:
    keys = ("name", "investor", "origin", "industry", "category", "key", "planned_investment_minor",
            "unit_code", "workflow_name", "workflow_version")
    payload = {k: values[k] for k in keys}
    payload["plan"] = {k: _jsonable(values[c]) for k, c in _PLAN_COLUMNS}
    return payload


# --- bulk import helpers -------------------------------------------------------------------------

BULK_ACTIONS = ("check", "document", "capital", "investment", "followup", "advance", "assign")
_PROJECT_ARGS = ("name", "investor", "industry", "investment_minor", "unit", "origin", "category", "key", "plan")
_IMPORT_KEYS = frozenset({*_PROJECT_ARGS, "on"})
_PROGRESS_EVERY = 1000
_IMPORT_BATCH = 2000  # rows an import writes at a time (then drops)
_IN_CHUNK = 500
# The project columns a bulk write changes, saved in one executemany.
_BULK_MUTABLE = ("stage", "stage_since", "held_from", "last_transition_on", "last_followup_on", "head_seq",
                 "head_hash", "version")
_BULK_SAVE = update(P).where(P.c.id == bindparam("b_id"), P.c.version == bindparam("b_old")).values(
    **{c: bindparam(f"b_{c}") for c in _BULK_MUTABLE})
_BULK_END_ASSIGNMENT = update(ASG).where(ASG.c.id == bindparam("b_id")).values(
    ended_on=bindparam("b_on"), ended_seq=bindparam("b_seq"))


class BulkOp(NamedTuple):
    """One write of ``Service.bulk_apply``; ``args`` are the single-write method's arguments:
    check ``item, result, note``; document ``kind, number``; capital ``amount_minor, currency, source``;
    investment ``amount_minor, currency``; followup ``note``; advance ``target, reason``;
    assign (as ``reassign``) ``role, login, reason``."""

    code: str
    action: str
    on: date
    args: dict


@dataclass
class _Facts:
    documents: set = field(default_factory=set)
    checks: dict = field(default_factory=dict)
    capital: int = 0
    holders: dict = field(default_factory=dict)  # role -> current assignment rows


class _BulkWrites:
    """Rows a bulk write collected, by table, and the writes counted per project."""

    def __init__(self, at: datetime):
        self.at = at
        self.stamp = audit.format_utc(at)
        self.rows: dict[Any, list[dict]] = {t: [] for t in (E, CHK, DOC, CAP, INV, FU, ASG)}
        self.ends: list[dict] = []
        self.writes: dict[int, int] = {}
        self.events = 0


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def canonical_fast(value: Any) -> bytes:
    """The RFC 8785 bytes of an event document or payload, written by the C JSON encoder.

    For what the write path builds (objects with ASCII keys whose values are text, booleans, null,
    integers of at most 2**53 and such objects; never floats) RFC 8785's rules (keys sorted, no
    whitespace, the shortest escapes, non-ASCII text as is) are exactly what this encoder writes, about
    five times faster than the reference implementation; tests/test_io_service.py checks it against
    ``audit.canonical_json`` on random documents."""
    return _CANONICAL.encode(value).encode("utf-8")


def _text(value: str | None, _quote=json.encoder.encode_basestring) -> str:
    """A JSON string literal (or null), escaped as RFC 8785 escapes it (the C encoder of ``json``)."""
    return "null" if value is None else _quote(value)


def _event_bytes(code: str, seq: int, kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None,
                 effective_on: str, recorded_at: str, actor: str, reason: str | None, payload_bytes: bytes,
                 prev_hash: str) -> bytes:
    """The canonical bytes of ``audit.event_document(...)`` written out directly (keys in their sorted
    order), for the bulk paths; ``_fast_events_ok`` checks once per process that they agree.  The parts
    that repeat from event to event (actor, kind, stages, recorded time, reason) are encoded once."""
    head, middle, tail = _event_frame(kind, trigger, from_stage, to_stage, recorded_at, actor, reason)
    return b"".join((
        head, effective_on.encode(), middle, payload_bytes,
        f',"prev_hash":{_text(prev_hash)},"project":{_text(code)},{tail}{int(seq)},'.encode(),
        _event_end(to_stage, trigger),
    ))


@lru_cache(maxsize=1024)
def _event_frame(kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None, recorded_at: str,
                 actor: str, reason: str | None) -> tuple[bytes, bytes, str]:
    return (f'{{"actor":{_text(actor)},"effective_on":"'.encode(),
            f'","from":{_text(from_stage)},"kind":{_text(kind)},"payload":'.encode(),
            f'"reason":{_text(reason)},"recorded_at":{_text(recorded_at)},"seq":')


@lru_cache(maxsize=256)
def _event_end(to_stage: str | None, trigger: str | None) -> bytes:
    return f'"to":{_text(to_stage)},"trigger":{_text(trigger)}}}'.encode()


def _day_text(day: date | None) -> str:
    return "null" if day is None else f'"{day.isoformat()}"'


def _registered_payload(values: dict, _t=_text, _d=_day_text) -> str:
    """``canonical_fast(_project_payload(values))`` as text, written out directly (keys in their sorted
    order) for the bulk import; ``_fast_payload_ok`` checks once per process that they agree."""
    return (f'{{"category":{_t(values["category"])},"industry":{_t(values["industry"])},'
            f'"investor":{_t(values["investor"])},"key":{"true" if values["key"] else "false"},'
            f'"name":{_t(values["name"])},"origin":{_t(values["origin"])},'
            f'"plan":{{"break_ground":{_d(values["plan_break_ground"])},"commission":{_d(values["plan_commission"])},'
            f'"fund":{_d(values["plan_fund"])},"sign":{_d(values["plan_sign"])}}},'
            f'"planned_investment_minor":{int(values["planned_investment_minor"])},'
            f'"unit_code":{_t(values["unit_code"])},"workflow_name":{_t(values["workflow_name"])},'
            f'"workflow_version":{int(values["workflow_version"])}}}')


_FAST_PAYLOAD: list[bool] = []


def _fast_payload_ok() -> bool:
    """Whether ``_registered_payload`` writes what ``audit`` hashes for ``_project_payload`` (checked once
    on a demanding sample; if the payload ever changes shape, the import encodes the payload itself)."""
    if not _FAST_PAYLOAD:
        from workflow.definition import default_definition

        fields = project_fields(name='a"b\\c\n暂缓\u2028\x01 😀', investor=None, industry="采矿业",
                                investment_minor=_MAX_MINOR, unit="XH", origin="\x7f", category="",
                                key=True, plan={"sign": date(2026, 3, 4), "commission": date(2027, 1, 2)})
        values = _new_project_row(default_definition(), 12, fields, date(2026, 1, 2), clock.utcnow())
        expected = audit.canonical_json(_project_payload(values))
        _FAST_PAYLOAD.append(_registered_payload(values).encode("utf-8") == expected)
    return _FAST_PAYLOAD[0]


_FAST_EVENTS: list[bool] = []


def _fast_events_ok() -> bool:
    """Whether ``_event_bytes`` writes what ``audit`` hashes (checked once on a demanding sample; if the
    audit document ever changes shape, the bulk paths fall back to encoding the document itself)."""
    if not _FAST_EVENTS:
        sample = dict(project="P-0001", seq=12, kind="transition", trigger="hold", from_stage="signed",
                      to_stage=None, effective_on=date(2026, 3, 4), recorded_at="2026-03-04T05:06:07.000008Z",
                      actor='a"b\\c\n', reason="暂缓\u2028\x01 😀", payload={"held_from": "signed", "n": 1},
                      prev_hash="f" * 64)
        expected = audit.canonical_json(audit.event_document(**sample))
        got = _event_bytes(sample["project"], sample["seq"], sample["kind"], sample["trigger"], sample["from_stage"],
                           sample["to_stage"], sample["effective_on"].isoformat(), sample["recorded_at"],
                           sample["actor"], sample["reason"], canonical_fast(sample["payload"]), sample["prev_hash"])
        _FAST_EVENTS.append(got == expected)
    return _FAST_EVENTS[0]


def _spliced(doc: dict, payload_bytes: bytes) -> bytes:
    """``canonical_fast(doc)`` with the payload's canonical bytes put in place instead of encoded again.

    The document's keys are fixed and sorted, so ``"payload":0,`` (with a placeholder) occurs exactly
    once and first as that key: text inside string values has its quotes escaped."""
    head, sep, tail = _CANONICAL.encode({**doc, "payload": 0}).partition('"payload":0,')
    if not sep:  # pragma: no cover - the document always has a payload followed by prev_hash
        return canonical_fast(doc)
    return b"".join((head.encode("utf-8"), b'"payload":', payload_bytes, b",", tail.encode("utf-8")))


def _insert_many(conn: Connection, table, rows: list[dict], chunk: int = 20_000) -> None:
    """Insert ``rows`` (dicts with the same keys) with executemany of the table's Core insert.

    On SQLite SQLAlchemy's own bind processors convert each distinct value once (dates, times and
    booleans repeat; converting every parameter of every row costs more than SQLite's insert)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        for start in range(0, len(rows), chunk):
            conn.execute(insert(table), rows[start:start + chunk])
        return
    sql, getter, processed = _sqlite_insert(conn.dialect, table, tuple(rows[0]))
    for start in range(0, len(rows), chunk):
        params = list(map(getter, rows[start:start + chunk]))  # each row's values in the statement's order
        if processed:
            columns = list(zip(*params, strict=True))
            for i, process in processed:
                columns[i] = _converted(columns[i], process)
            params = list(zip(*columns, strict=True))
        conn.exec_driver_sql(sql, params)


_SQLITE_INSERTS: dict[tuple, tuple] = {}


def _sqlite_insert(dialect, table, keys: tuple) -> tuple[str, Callable, list[tuple[int, Callable]]]:
    """The INSERT of ``keys`` into ``table`` compiled for SQLite, a getter of a row's values in its
    order, and the (position, bind processor) of the columns that need converting; built once."""
    found = _SQLITE_INSERTS.get((table.name, keys))
    if found is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        order = list(compiled.positiontup)
        processors = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in order]
        getter = itemgetter(*order) if len(order) > 1 else (lambda row, k=order[0]: (row[k],))
        found = _SQLITE_INSERTS[(table.name, keys)] = (
            str(compiled), getter, [(i, f) for i, f in enumerate(processors) if f is not None])
    return found


def _converted(column: Sequence, process) -> list:
    """``column`` through a bind processor, each distinct value converted once (None stays None)."""
    try:
        done = {v: None if v is None else process(v) for v in set(column)}
    except TypeError:  # an unhashable value: convert one by one
        return [None if v is None else process(v) for v in column]
    return list(map(done.__getitem__, column))


@contextmanager
def _transaction(conn: Connection, *, commit: bool):
    """A transaction that commits on success when ``commit`` (else rolls back: a dry run) and rolls
    back on any exception."""
    trans = conn.begin()
    try:
        yield trans
    except BaseException:
        trans.rollback()
        raise
    if commit:
        trans.commit()
    else:
        trans.rollback()


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
