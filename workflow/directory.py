"""The county's directory: units (townships, departments) and people (leaders and staff)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.access import ADMIN, require
from workflow.errors import BadInput, NotFound
from workflow.find import unit_code
from workflow.tables import person as PE
from workflow.tables import project as P
from workflow.tables import unit as U
from workflow.values import NAME_LIMIT, identifier, optional_text, required
from workflow.words import levels, unit_kinds


def unit_exists(conn: Connection, unit: str) -> None:
    """NotFound (exit 4) naming the known units unless ``unit`` exists."""
    if conn.execute(select(U.c.code).where(U.c.code == unit)).first() is None:
        known = [r[0] for r in conn.execute(select(U.c.code).order_by(U.c.code).limit(20))]
        if known:
            raise NotFound("no_unit_known", [{"unit": unit}], unit=unit, known=known)
        raise NotFound("no_unit_add_one", [{"unit": unit}], unit=unit)


def unit_codes(conn: Connection) -> set[str]:
    return set(conn.execute(select(U.c.code)).scalars())


def add_unit(engine: Engine, actor: str, code: str, name: str, kind: str = "township") -> dict:
    """Add a unit (admin): one set-up ledger entry, ``unit_added``."""
    from workflow import ledger

    code = identifier(code, "CODE", 40)
    kind = unit_kinds().parse(kind, "--kind")
    name = required(name, "--name", NAME_LIMIT)
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "add units")
        if conn.execute(select(U.c.code).where(U.c.code == code)).first():
            raise BadInput("unit_already_exists", [{"unit": code}], code=code)
        conn.execute(insert(U).values(code=code, name=name, kind=kind, created_at=clock.utcnow()))
        ledger.append(conn, actor, "unit_added", code, {"name": name, "kind": kind})
    return {"code": code, "name": name, "kind": kind}


def edit_unit(engine: Engine, actor: str, code: str, *, name: str | None = None, kind: str | None = None,
              reason: str | None = None) -> dict:
    """Change a unit's name or kind (admin); recorded in the ledger with the old and new values,
    the actor and the reason.  Its code (which projects name) never changes."""
    from workflow import ledger

    if name is None and kind is None:
        raise BadInput("give_name_or_kind")
    kind = unit_kinds().optional(kind, "--kind")
    if name is not None:
        name = required(name, "--name")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "edit units")
        row = conn.execute(select(U.c.code, U.c.name, U.c.kind).where(U.c.code == code)).mappings().first()
        if row is None:
            raise NotFound("no_unit_code", [{"unit": code}], code=code)
        new = {k: v for k, v in (("name", name), ("kind", kind)) if v is not None and v != row[k]}
        if not new:
            raise BadInput("nothing_to_change_on_unit", code=code)
        conn.execute(update(U).where(U.c.code == code).values(**new))
        entry = ledger.append(conn, actor, "unit_edited", code, {k: [row[k], v] for k, v in new.items()}, reason)
        doc = {"code": code, "name": new.get("name", row["name"]), "kind": new.get("kind", row["kind"])}
    return {**doc, "ledger": entry}


def list_units(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(U.c.code, U.c.name, U.c.kind).order_by(U.c.code)).mappings().all()
        by_unit = select(P.c.unit_code, func.count()).group_by(P.c.unit_code)
        counts: dict[str | None, int] = {unit: n for unit, n in conn.execute(by_unit)}
    return [dict(r) | {"projects": counts.get(r["code"], 0)} for r in rows]


def _cap(cap: Any) -> int | None:
    if cap is None:
        return None
    if isinstance(cap, bool) or not isinstance(cap, int):
        raise BadInput("cap_must_be_whole", cap=cap)
    if cap < 0:
        raise BadInput("cap_must_be_or")
    return cap


def add_person(engine: Engine, actor: str, login: str, name: str, level: str, unit: str | None = None,
               title: str | None = None, cap: int | None = None) -> dict:
    """Add a person (admin): one set-up ledger entry, ``person_added``."""
    from workflow import ledger

    login = identifier(login, "LOGIN")
    level = levels().parse(level, "--level")
    cap = _cap(cap)
    values = {"login": login, "name": required(name, "--name", NAME_LIMIT), "level": level, "unit_code": unit,
              "title": optional_text(title, "--title", NAME_LIMIT), "cap": cap, "active": True,
              "created_at": clock.utcnow()}
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "add people")
        if unit is not None:  # a code or a name (workflow/find.py)
            values["unit_code"] = unit_code(conn, unit, "--unit")
        if conn.execute(select(PE.c.login).where(PE.c.login == login)).first():
            raise BadInput("person_already_exists", [{"person": login}], login=login)
        conn.execute(insert(PE).values(**values))
        ledger.append(conn, actor, "person_added", login,
                      {k: v for k, v in values.items() if k not in ("login", "created_at")})
    return {k: v for k, v in values.items() if k != "created_at"}


def edit_person(engine: Engine, actor: str, login: str, *, name: str | None = None, title: str | None = None,
                level: str | None = None, unit: str | None = None, cap: int | None = None,
                clear_cap: bool = False, active: bool | None = None) -> dict:
    """Change a person (admin). Deactivating keeps their existing assignments (一抓到底): rules stop
    choosing them and ``rules apply`` reports the projects they still lead.  One set-up ledger entry,
    ``person_edited``, with each changed field's old and new value."""
    from workflow import ledger

    level = levels().optional(level, "--level")
    cap = _cap(cap)
    new: dict[str, Any] = {k: v for k, v in (("name", name), ("title", title), ("level", level),
                                             ("unit_code", unit), ("cap", cap), ("active", active))
                           if v is not None}
    if clear_cap:
        new["cap"] = None
    if "name" in new:
        new["name"] = required(new["name"], "--name", NAME_LIMIT)
    if "title" in new:
        new["title"] = optional_text(new["title"], "--title", NAME_LIMIT)
    if not new:
        raise BadInput("nothing_to_change_give_at")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "edit people")
        row = conn.execute(select(PE).where(PE.c.login == login)).mappings().first()
        if row is None:
            raise NotFound("no_person", [{"person": login}], login=login)
        if unit is not None:  # a code or a name (workflow/find.py)
            new["unit_code"] = unit_code(conn, unit, "--unit")
        conn.execute(update(PE).where(PE.c.login == login).values(**new))
        ledger.append(conn, actor, "person_edited", login, {k: [row[k], v] for k, v in new.items()})
        row = conn.execute(select(PE).where(PE.c.login == login)).mappings().first()
    assert row is not None
    return {"login": row["login"], "name": row["name"], "title": row["title"], "level": row["level"],
            "unit": row["unit_code"], "cap": row["cap"], "active": row["active"]}


def list_people(engine: Engine) -> list[dict]:
    from workflow.rules import lead_load

    with engine.connect() as conn:
        rows = conn.execute(select(PE).order_by(PE.c.login)).mappings().all()
        load = lead_load(conn)  # the same count the cap is checked against
    return [{"login": r["login"], "name": r["name"], "title": r["title"], "level": r["level"],
             "unit": r["unit_code"], "cap": r["cap"], "active": r["active"],
             "lead_projects": load.get(r["login"], 0)} for r in rows]
