"""Users and roles: who may do what (docs/usage.md, "Users and roles").

A login's role lives in the ``app_user`` table; on PostgreSQL the database login is the actor and its
group role carries the grants (``workflow.pgroles``).  Every write checks the actor's role here first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from workflow.errors import BadInput, NotAllowed, NotFound
from workflow.find import person_login
from workflow.gate import is_disabled
from workflow.tables import app_user as AU
from workflow.values import identifier
from workflow.words import user_roles

WRITERS = ("coordinator", "admin")
ADMIN = ("admin",)

# What the writers record on a project: every kind of history event but the admin's own two.
_PROJECT_KINDS = ("registered", "edited", "transition", "check", "document", "capital", "investment", "followup",
                  "assignment", "problem", "problem_update", "problem_extend", "problem_close", "problem_reopen",
                  "letter", "year_plan", "commitment", "performance")
# The one permission table: role -> what it may record on a project (the kinds of history events) and
# do besides (``undo`` its own latest entries, ``apply_rules``).  Single writes (``workflow.service``),
# batches (``workflow.bulk``) and the replay of ``audit verify`` (which judges each event's actor) all
# read it (docs/architecture.md).  Set-up (users, units, settings) is the admin's: ``ADMIN``.
PERMISSIONS: dict[str, frozenset[str]] = {
    "coordinator": frozenset({*_PROJECT_KINDS, "undo"}),
    "admin": frozenset({*_PROJECT_KINDS, "reassignment", "correction", "undo", "apply_rules", "migrated",
                        "retired"}),
    # follow-ups on the projects the leader holds a role on; retiring those it is the lead leader of
    "leader": frozenset({"followup", "undo", "retired"}),
    "auditor": frozenset(),  # reads everything, records nothing
}
_ROLE_ORDER = ("coordinator", "admin", "leader", "auditor")  # how a refusal lists the roles it needs


def roles_for(what: str) -> tuple[str, ...]:
    """The roles that may record ``what`` (an event kind) or do it (``undo``, ``apply_rules``)."""
    roles = tuple(r for r in _ROLE_ORDER if what in PERMISSIONS[r])
    if not roles:
        raise ValueError(f"no role may {what!r}: not in the permission table")
    return roles


def may(role: str | None, what: str) -> bool:
    """Whether ``role`` (None: not a known user) may record or do ``what``."""
    return role is not None and what in PERMISSIONS.get(role, frozenset())

def role_of(conn: Connection, login: str, cache: dict[str, str | None] | None = None) -> str | None:
    """``login``'s role, or None for a login the database does not know (it may read only).
    ``cache`` (a ``Service``'s, for its lifetime) saves the query on repeated writes."""
    if cache is not None and login in cache:
        return cache[login]
    role = conn.execute(select(AU.c.role).where(AU.c.login == login)).scalar()
    if cache is not None:
        cache[login] = role
    return role


def require(conn: Connection, actor: str, roles: Iterable[str], what: str,
            cache: dict[str, str | None] | None = None, *, disabled: bool | None = None) -> str:
    """The actor's role if it is one of ``roles`` and the login is not disabled; otherwise NotAllowed
    (exit 6) saying what it needs.  Every write checks here; reads do not (a disabled login reads).
    ``disabled``: already read in this transaction (``workflow.store.Txn.gate``)."""
    roles = tuple(roles)
    role = role_of(conn, actor, cache)
    if role is not None and (is_disabled(conn, actor) if disabled is None else disabled):
        raise NotAllowed("is_disabled_it_may", [{"actor": actor, "role": role, "disabled": True}], actor=actor,
                         what=what)
    if role not in roles:
        details = [{"actor": actor, "role": role, "needs": list(roles)}]
        if role is None:
            raise NotAllowed("unknown_user_may_not", details, actor=actor, what=what, roles=list(roles))
        raise NotAllowed("role_may_not", details, actor=actor, role=role, what=what, roles=list(roles))
    return role


def add_user(engine: Engine, actor: str, login: str, role: str, person: str | None = None,
             reason: str | None = None) -> dict:
    """Add a login with a role (admin): one set-up ledger entry ``user_added``; ``person`` links it to
    the person it follows up as (their to-do list is the login's, docs/supervision.md)."""
    from workflow import setup_rows

    login = identifier(login, "LOGIN")
    role = user_roles().parse(role, "--role")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "add users")
        linked = None if person is None else person_login(conn, person, "--person")
        if conn.execute(select(AU.c.login).where(AU.c.login == login)).first():
            raise BadInput("user_already_exists", [{"user": login}], login=login)
        setup_rows.write(conn, actor, "app_user", {"login": login},
                         {"role": role, "disabled": False, "person_login": linked}, reason=reason)
    return {"login": login, "role": role, "person": linked}


def check_person(engine: Engine, person: str) -> str:
    """The person ``person`` names (login or full name), NotFound otherwise."""
    with engine.connect() as conn:
        return person_login(conn, person, "--person")


def _user(conn: Connection, login: str) -> dict:
    row = conn.execute(select(AU.c.login, AU.c.role, AU.c.disabled, AU.c.person_login)
                       .where(AU.c.login == login)).mappings().first()
    if row is None:
        raise NotFound("unknown_user", [{"user": login}], login=login)
    return dict(row)


def _last_admin(conn: Connection, login: str) -> bool:
    others = conn.execute(select(func.count()).select_from(AU).where(
        AU.c.role == "admin", AU.c.login != login, AU.c.disabled.is_(False))).scalar()
    return not others


def edit_user(engine: Engine, actor: str, login: str, role: str | None = None, reason: str | None = None, *,
              person: str | None = None, unlink: bool = False) -> dict:
    """Change a login's role, and/or link it to the person it follows up as (``person``, a login or
    name) or unlink it (``unlink``) (admin): ONE set-up ledger entry, in one transaction, whatever
    changes (``user_role`` with ``{"from", "to"}`` for a role alone, else ``user_edited`` with
    ``changed``: ``{field: [old, new]}``).  Each thing given must change (BadInput otherwise); the
    last enabled admin cannot give up the role (nobody could manage users afterwards)."""
    from workflow import setup_rows

    if role is not None:
        role = user_roles().parse(role, "--role")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change users' roles" if role is not None else "change users")
        user = _user(conn, login)
        values: dict[str, Any] = {}
        if person is not None or unlink:
            linked = None if unlink or person is None else person_login(conn, person, "--person")
            if user["person_login"] == linked:
                raise BadInput("life_user_person_unchanged", [{"user": login, "person": linked}], login=login,
                               person=linked or "-")
            values["person_login"] = linked
        if role is not None:
            if user["role"] == role:
                raise BadInput("already_has_role", [{"user": login, "role": role}], login=login, role=role)
            if user["role"] == "admin" and _last_admin(conn, login):
                raise BadInput("is_last_admin_make", login=login)
            values["role"] = role
        if set(values) == {"role"}:
            entry = setup_rows.write(conn, actor, "app_user", {"login": login}, values, reason=reason,
                                     kind="user_role", note={"from": user["role"], "to": role})
        else:
            entry = setup_rows.write(conn, actor, "app_user", {"login": login}, values, reason=reason)
    return {"login": login, "role": values.get("role", user["role"]), "previous": user["role"],
            "disabled": bool(user["disabled"]), "person": values.get("person_login", user["person_login"]),
            "previous_person": user["person_login"], "ledger": entry}


def set_disabled(engine: Engine, actor: str, login: str, disabled: bool, reason: str | None = None) -> dict:
    """Disable a login (it may read, not write: exit 6) or enable it again (admin); in the ledger."""
    from workflow import setup_rows

    with engine.begin() as conn:
        require(conn, actor, ADMIN, "disable or enable users")
        user = _user(conn, login)
        if bool(user["disabled"]) == disabled:
            raise BadInput("is_already", [{"user": login}], login=login, disabled='disabled' if disabled else 'enabled')
        if disabled and user["role"] == "admin" and _last_admin(conn, login):
            raise BadInput("is_last_enabled_admin", login=login)
        entry = setup_rows.write(conn, actor, "app_user", {"login": login}, {"disabled": disabled}, reason=reason,
                                 kind="user_disabled" if disabled else "user_enabled", note={"role": user["role"]})
    return {"login": login, "role": user["role"], "disabled": disabled, "ledger": entry}


def bootstrap_admin(engine: Engine, actor: str, login: str) -> bool:
    """Make ``login`` the first admin during ``init`` (one set-up ledger entry, ``user_added``).  Once
    the database has an admin, ``init`` makes no one admin: that is ``users add``/``users edit``, which
    the ledger records (exit 6 otherwise)."""
    from workflow import setup_rows

    login = identifier(login, "LOGIN")  # as `users add` takes one
    with engine.begin() as conn:
        current = conn.execute(select(AU.c.role).where(AU.c.login == login)).scalar()
        if current == "admin":
            return False
        admins = conn.execute(select(func.count()).select_from(AU).where(AU.c.role == "admin")).scalar()
        if admins and role_of(conn, actor) != "admin":
            raise NotAllowed(
                "database_has_admin_already", login=login
            )
        if admins or current is not None:
            raise NotAllowed("pgguard_init_has_admin", [{"login": login, "role": current}], login=login)
        setup_rows.write(conn, actor, "app_user", {"login": login}, {"role": "admin", "disabled": False})
        return True


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(AU.c.login, AU.c.role, AU.c.created_by, AU.c.disabled,
                                   AU.c.person_login.label("person")).order_by(AU.c.login))
        return [dict(r) for r in rows.mappings()]
