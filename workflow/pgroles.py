"""PostgreSQL database roles: one group role per application role, with the least grants each needs.

``pipeline init`` on PostgreSQL calls :func:`ensure_roles`; ``pipeline users add`` calls
:func:`grant_role`.  On PostgreSQL the actor recorded on every event is the database login
(``session_user``), so the database itself must stop a login from doing more than its role allows:

=====================  ============================================================================
group role             grants (on top of SELECT on every table, which every group has)
=====================  ============================================================================
pipeline_auditor       nothing else: read only
pipeline_leader        INSERT event, followup; UPDATE project (a follow-up moves the chain head)
pipeline_coordinator   INSERT project, event and the record tables; UPDATE project, assignment
pipeline_admin         INSERT and UPDATE on every table except history; INSERT event; DELETE
                       setting (``lights reset``); CREATEROLE on the login (so ``users add`` can
                       create and grant logins)
=====================  ============================================================================

No group has UPDATE, DELETE or TRUNCATE on ``event``; the append-only triggers (``ENABLE ALWAYS``)
refuse them even for the table owner and under ``session_replication_role = replica``.

The tables belong to whoever ran the migrations (the database owner, ideally a superuser or a role
no pipeline login is a member of): only the owner can apply grants.  ``ensure_roles`` run by anyone
else leaves the grants alone and only checks that the group roles exist.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from workflow.errors import BadInput, NotAllowed

GROUPS: dict[str, str] = {
    "coordinator": "pipeline_coordinator",
    "leader": "pipeline_leader",
    "auditor": "pipeline_auditor",
    "admin": "pipeline_admin",
}
HISTORY_TABLES = ("event",)
MIGRATION_TABLES = ("alembic_version",)
RECORD_TABLES = ("document", "screening_check", "capital_arrival", "investment_completed", "followup",
                 "assignment", "year_plan")

# role -> privilege -> tables ("*" = every application table except history and migration state)
GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "auditor": {},
    "leader": {"INSERT": ("event", "followup"), "UPDATE": ("project",)},
    "coordinator": {"INSERT": ("project", "event", *RECORD_TABLES), "UPDATE": ("project", "assignment")},
    "admin": {"INSERT": ("*", "event"), "UPDATE": ("*",), "DELETE": ("setting",)},
}


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _tables(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"))]


def _sequences(conn: Connection, tables: list[str]) -> dict[str, str]:
    """table -> the sequence owned by one of its columns (serial / identity ids)."""
    rows = conn.execute(text(
        "SELECT t.relname, s.oid::regclass::text FROM pg_class s "
        "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND t.relnamespace = current_schema()::regnamespace"))
    return {t: s for t, s in rows if t in tables}


def _me(conn: Connection) -> dict:
    row = conn.execute(text(
        "SELECT current_user AS name, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
    )).mappings().one()
    return dict(row)


def _role(conn: Connection, name: str) -> dict | None:
    row = conn.execute(text("SELECT rolname, rolcanlogin, rolsuper, rolcreaterole FROM pg_roles "
                            "WHERE rolname = :n"), {"n": name}).mappings().first()
    return dict(row) if row else None


def _owns_tables(conn: Connection, tables: list[str]) -> bool:
    if not tables:
        return False
    return bool(conn.execute(text(
        "SELECT bool_and(pg_has_role(current_user, tableowner, 'USAGE')) FROM pg_tables "
        "WHERE schemaname = current_schema()")).scalar())


def _privilege_error(exc: Exception) -> bool:
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == "42501" or "permission denied" in str(orig)


def ensure_roles(engine: Engine) -> dict:
    """Create the group roles, apply their grants (when run by the tables' owner) and give every
    login in ``app_user`` its group role.  Idempotent; returns what it found and did."""
    with engine.begin() as conn:
        me = _me(conn)
        can_create = bool(me["rolsuper"] or me["rolcreaterole"])
        created = []
        for role, group in GROUPS.items():
            if _role(conn, group) is None:
                if not can_create:
                    raise NotAllowed(
                        f"the database role {group} does not exist and {me['name']!r} may not create roles; "
                        "run `pipeline init` once as the database owner",
                        [{"role": role, "group": group, "login": me["name"]}])
                conn.exec_driver_sql(f"CREATE ROLE {_q(conn, group)} NOLOGIN")
                created.append(group)
        tables = _tables(conn)
        owner = _owns_tables(conn, tables)
        if owner:
            _apply_grants(conn, tables)
        logins = []
        if can_create:
            for login, role in conn.execute(text("SELECT login, role FROM app_user ORDER BY login")):
                if role in GROUPS:
                    _grant(conn, login, role)
                    logins.append(login)
    return {"groups": dict(GROUPS), "created": created, "grants_applied": owner, "logins": logins}


def _apply_grants(conn: Connection, tables: list[str]) -> None:
    groups = ", ".join(_q(conn, g) for g in GROUPS.values())
    seqs = _sequences(conn, tables)
    app_tables = [t for t in tables if t not in HISTORY_TABLES and t not in MIGRATION_TABLES]
    # Start from nothing, then grant exactly what each role needs (one transaction: no gap).
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {_q(conn, _schema(conn))} TO {groups}")
    for t in tables:
        conn.exec_driver_sql(f"REVOKE ALL ON TABLE {_q(conn, t)} FROM PUBLIC, {groups}")
        conn.exec_driver_sql(f"GRANT SELECT ON TABLE {_q(conn, t)} TO {groups}")
    for s in seqs.values():
        conn.exec_driver_sql(f"REVOKE ALL ON SEQUENCE {s} FROM PUBLIC, {groups}")
    for role, privileges in GRANTS.items():
        group = _q(conn, GROUPS[role])
        inserted: set[str] = set()
        for privilege, names in privileges.items():
            targets = []
            for n in names:
                targets.extend(app_tables if n == "*" else [n])
            for t in dict.fromkeys(targets):
                if t in tables:
                    conn.exec_driver_sql(f"GRANT {privilege} ON TABLE {_q(conn, t)} TO {group}")
                    if privilege == "INSERT":
                        inserted.add(t)
        for t in sorted(inserted):
            if t in seqs:
                conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {seqs[t]} TO {group}")
    # Tables a later migration creates are readable by every group until `init` grants the rest.
    conn.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {_q(conn, _schema(conn))} "
                         f"GRANT SELECT ON TABLES TO {groups}")


def _schema(conn: Connection) -> str:
    return conn.execute(text("SELECT current_schema()")).scalar_one()


def _grant(conn: Connection, login: str, role: str) -> dict:
    if role not in GROUPS:
        raise BadInput(f"--role: {role!r} is not one of {', '.join(GROUPS)}")
    if not login or len(login) > 63 or "\x00" in login:
        raise BadInput(f"{login!r} cannot be a PostgreSQL login name")
    q = _q(conn, login)
    existing = _role(conn, login)
    created = existing is None
    if existing is None:
        conn.exec_driver_sql(f"CREATE ROLE {q} LOGIN")
    elif not existing["rolcanlogin"]:
        conn.exec_driver_sql(f"ALTER ROLE {q} LOGIN")
    group = GROUPS[role]
    member_of = {r[0] for r in conn.execute(text(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n"), {"n": login})}
    for other in GROUPS.values():  # one application role per login
        if other != group and other in member_of:
            conn.exec_driver_sql(f"REVOKE {_q(conn, other)} FROM {q}")
    if group not in member_of:
        conn.exec_driver_sql(f"GRANT {_q(conn, group)} TO {q}")
    if role == "admin" and not (existing and (existing["rolsuper"] or existing["rolcreaterole"])):
        conn.exec_driver_sql(f"ALTER ROLE {q} CREATEROLE")
    return {"login": login, "group": group, "login_created": created}


def grant_role(engine: Engine, login: str, role: str) -> dict:
    """Make ``login`` a database login in the group of ``role`` (creating the login if missing)."""
    try:
        with engine.begin() as conn:
            return _grant(conn, login, role)
    except Exception as exc:
        if _privilege_error(exc):
            raise NotAllowed(
                f"{login!r} was added as {role}, but this database login may not create or grant database "
                f"roles; ask the database owner to run `pipeline init` (it grants every user their role)",
                [{"login": login, "group": GROUPS.get(role)}]) from exc
        raise


def group_of(engine: Engine, login: str) -> list[str]:
    """The pipeline group roles ``login`` is a member of (for checks and tests)."""
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n AND g.rolname LIKE 'pipeline\\_%'"),
            {"n": login}))
