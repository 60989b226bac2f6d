"""Users and roles: who may do what (SPEC §8 "Identity").

A login's role lives in the ``app_user`` table; on PostgreSQL the database login is the actor and its
group role carries the grants (``workflow.pgroles``).  Every write checks the actor's role here first.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.errors import BadInput, NotAllowed
from workflow.tables import app_user as AU
from workflow.values import identifier

USER_ROLES = ("coordinator", "leader", "auditor", "admin")  # the roles a login can hold
WRITERS = ("coordinator", "admin")
ADMIN = ("admin",)

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
            cache: dict[str, str | None] | None = None) -> str:
    """The actor's role if it is one of ``roles``; otherwise NotAllowed (exit 6) saying what it needs."""
    roles = tuple(roles)
    role = role_of(conn, actor, cache)
    if role not in roles:
        who = f"'{actor}'" + (f" (role {role})" if role else " (not a known user)")
        raise NotAllowed(
            f"{who} may not {what}; it needs the role {' or '.join(roles)}",
            [{"actor": actor, "role": role, "needs": list(roles)}],
        )
    return role


def add_user(engine: Engine, actor: str, login: str, role: str) -> dict:
    login = identifier(login, "LOGIN")
    if role not in USER_ROLES:
        raise BadInput(f"--role: {role!r} is not one of {', '.join(USER_ROLES)}")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "add users")
        if conn.execute(select(AU.c.login).where(AU.c.login == login)).first():
            raise BadInput(f"user {login!r} already exists", [{"user": login}])
        conn.execute(insert(AU).values(login=login, role=role, created_at=clock.utcnow(), created_by=actor))
    return {"login": login, "role": role}


def bootstrap_admin(engine: Engine, actor: str, login: str) -> bool:
    """Make ``login`` admin during ``init``: allowed when no admin exists yet, or by an admin."""
    with engine.begin() as conn:
        current = conn.execute(select(AU.c.role).where(AU.c.login == login)).scalar()
        if current == "admin":
            return False
        admins = conn.execute(select(func.count()).select_from(AU).where(AU.c.role == "admin")).scalar()
        if admins and role_of(conn, actor) != "admin":
            raise NotAllowed(
                f"the database has an admin already; only an admin may make {login!r} admin "
                f"(use `pipeline users add {login} --role admin` as an admin)"
            )
        if current is None:
            conn.execute(insert(AU).values(login=login, role="admin", created_at=clock.utcnow(), created_by=actor))
        else:
            conn.execute(update(AU).where(AU.c.login == login).values(role="admin"))
        return True


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(AU.c.login, AU.c.role, AU.c.created_by).order_by(AU.c.login))
        return [dict(r) for r in rows.mappings()]
