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
                       setting (``lights reset``), city_project and city_figure (``city load``);
                       EXECUTE on the user-management functions
=====================  ============================================================================

No application login holds CREATEROLE (``init`` takes it away from admin logins an older version
gave it to): with it a login could grant itself predefined roles such as
``pg_execute_server_program`` (shell commands as the server's OS user), reset other logins'
passwords or turn a group role into a login.  User management goes through a database function
owned by the ``pipeline_owner`` role (NOLOGIN, CREATEROLE, a member of no one, no member), SECURITY
DEFINER with a fixed search_path (``pg_catalog, pg_temp``):

- ``pipeline_grant_login(login, group)``: only for a session login in ``pipeline_admin``; ``group`` must
  be one of the four pipeline groups; ``login`` may not be a group's name, ``pipeline_owner`` or a
  ``pg_`` name; an existing role is accepted only if it is a plain role (no superuser, CREATEROLE,
  CREATEDB, replication or BYPASSRLS attribute, no members, no membership outside the pipeline
  groups); it then creates the login if missing (or gives a member-less placeholder role LOGIN) and
  makes it a member of exactly that group.

It touches no password and no other attribute.  ``init`` run by a superuser creates the owner role,
the groups and the function.

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
from workflow.words import user_roles

GROUPS: dict[str, str] = {
    "coordinator": "pipeline_coordinator",
    "leader": "pipeline_leader",
    "auditor": "pipeline_auditor",
    "admin": "pipeline_admin",
}
HISTORY_TABLES = ("event", "ledger")  # append-only: INSERT at most, never UPDATE or DELETE
MIGRATION_TABLES = ("alembic_version",)
RECORD_TABLES = ("document", "screening_check", "capital_arrival", "investment_completed", "followup",
                 "assignment", "problem", "problem_action", "supervision_letter", "year_plan", "attachment_blob",
                 "commitment", "performance")

# role -> privilege -> tables ("*" = every application table except history and migration state)
GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "auditor": {},
    "leader": {"INSERT": ("event", "followup"), "UPDATE": ("project",)},
    "coordinator": {"INSERT": ("project", "event", *RECORD_TABLES), "UPDATE": ("project", "assignment")},
    "admin": {"INSERT": ("*", "event", "ledger"), "UPDATE": ("*",),
              # the city (docs/city.md): a load replaces a county's derived projects and monthly figures
              "DELETE": ("setting", "city_project", "city_figure")},
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


OWNER = "pipeline_owner"
_FORBIDDEN_NAMES = (*GROUPS.values(), OWNER)


def check_login_name(login: str) -> str:
    """Refuse names a pipeline login may not have (a group role's, the owner's, a ``pg_`` name)."""
    if not login or len(login) > 63 or "\x00" in login:
        raise BadInput("cannot_be_postgresql_login", login=login)
    if login in _FORBIDDEN_NAMES or login.startswith("pg_"):
        raise BadInput("is_database_role_of", [{"login": login}], login=login)
    return login


_FUNCTIONS = """
CREATE OR REPLACE FUNCTION {schema}._pipeline_check_login(login text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  IF NOT pg_has_role(session_user, 'pipeline_admin', 'MEMBER') THEN
    RAISE EXCEPTION 'only a pipeline admin may manage users (% is not one)', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF login IS NULL OR login = '' OR length(login) > 63 OR left(login, 3) = 'pg_'
     OR login IN ('pipeline_owner', 'pipeline_admin', 'pipeline_coordinator', 'pipeline_leader',
                  'pipeline_auditor') THEN
    RAISE EXCEPTION 'the role % is not a login the pipeline may manage', login
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO r FROM pg_roles WHERE rolname = login;
  IF FOUND THEN
    IF r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication
       OR r.rolbypassrls
       OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid)
       OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                  WHERE m.member = r.oid AND g.rolname NOT IN ('pipeline_admin', 'pipeline_coordinator',
                                                               'pipeline_leader', 'pipeline_auditor')) THEN
      RAISE EXCEPTION 'the role % exists outside the pipeline; the pipeline manages plain logins only', login
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION {schema}.pipeline_grant_login(login text, grp text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE created boolean := false; g text;
BEGIN
  PERFORM {schema}._pipeline_check_login(login);
  IF grp IS NULL OR grp NOT IN ('pipeline_admin', 'pipeline_coordinator', 'pipeline_leader', 'pipeline_auditor') THEN
    RAISE EXCEPTION 'unknown pipeline group %', grp USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', login);
    created := true;
  ELSIF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = login) THEN
    EXECUTE format('ALTER ROLE %I LOGIN', login);  -- a member-less placeholder the DBA made
  END IF;
  FOREACH g IN ARRAY ARRAY['pipeline_admin', 'pipeline_coordinator', 'pipeline_leader', 'pipeline_auditor'] LOOP
    IF g <> grp AND pg_has_role(login, g, 'MEMBER') THEN
      EXECUTE format('REVOKE %I FROM %I', g, login);
    END IF;
  END LOOP;
  IF NOT pg_has_role(login, grp, 'MEMBER') THEN
    EXECUTE format('GRANT %I TO %I', grp, login);
  END IF;
  RETURN created;
END $$;

"""


def _ensure_owner_and_functions(conn: Connection, me: dict) -> bool:
    """Create the owner role and the user-management functions (a superuser or CREATEROLE caller that
    owns the tables); returns whether they were (re)installed."""
    if not me["rolsuper"]:
        return False
    q_owner = _q(conn, OWNER)
    if _role(conn, OWNER) is None:
        conn.exec_driver_sql(f"CREATE ROLE {q_owner} NOLOGIN CREATEROLE")
    else:
        conn.exec_driver_sql(f"ALTER ROLE {q_owner} NOLOGIN CREATEROLE")
    schema = _q(conn, _schema(conn))
    for group in GROUPS.values():  # the owner may grant the groups (PostgreSQL 16+: ADMIN OPTION needed)
        conn.exec_driver_sql(f"GRANT {_q(conn, group)} TO {q_owner} WITH ADMIN OPTION")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {q_owner}")
    cursor = conn.connection.cursor()  # plain DBAPI: no parameters, so '%' in the bodies stays literal
    try:
        for stmt in _FUNCTIONS.format(schema=schema).split("END $$;"):
            if stmt.strip():
                cursor.execute(stmt.strip() + "\nEND $$;")
    finally:
        cursor.close()
    for fn in ("_pipeline_check_login(text)", "pipeline_grant_login(text, text)"):
        conn.exec_driver_sql(f"ALTER FUNCTION {schema}.{fn} OWNER TO {q_owner}")
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {schema}.{fn} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {schema}.pipeline_grant_login(text, text) "
                         f"TO {_q(conn, GROUPS['admin'])}")
    return True


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
                        "database_role_does_not",
                        [{"role": role, "group": group, "login": me["name"]}], group=group, name=me['name'])
                conn.exec_driver_sql(f"CREATE ROLE {_q(conn, group)} NOLOGIN")
                created.append(group)
        tables = _tables(conn)
        owner = _owns_tables(conn, tables)
        if owner:
            _apply_grants(conn, tables)
        functions = _ensure_owner_and_functions(conn, me) if owner else False
        logins = []
        if can_create:
            for login, role in conn.execute(text("SELECT login, role FROM app_user ORDER BY login")):
                if role in GROUPS and login not in _FORBIDDEN_NAMES and not login.startswith("pg_"):
                    _grant(conn, login, role)
                    logins.append(login)
    return {"groups": dict(GROUPS), "created": created, "grants_applied": owner, "functions": functions,
            "logins": logins}


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
    """Make ``login`` a member of ``role``'s group, directly (a caller that may create roles: ``init``)."""
    role = user_roles().find(role) or role  # a key or label (workflow/words.py)
    if role not in GROUPS:
        raise BadInput("role_is_not_one_of", role=role, groups=list(GROUPS))
    check_login_name(login)
    q = _q(conn, login)
    existing = _role(conn, login)
    if existing is not None and existing["rolsuper"] and not _me(conn)["rolsuper"]:
        raise NotAllowed("is_superuser_pipeline_does", [{"login": login}], login=login)
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
    if existing is not None and existing["rolcreaterole"] and not existing["rolsuper"]:
        conn.exec_driver_sql(f"ALTER ROLE {q} NOCREATEROLE")  # what an older version gave admin logins
    return {"login": login, "group": group, "login_created": created}


def grant_role(engine: Engine, login: str, role: str) -> dict:
    """Make ``login`` a database login in the group of ``role`` (creating the login if missing): through
    ``pipeline_grant_login`` (an admin login), or directly by a superuser (``init``)."""
    role = user_roles().find(role) or role  # a key or label (workflow/words.py)
    if role not in GROUPS:
        raise BadInput("role_is_not_one_of", role=role, groups=list(GROUPS))
    check_login_name(login)
    try:
        with engine.begin() as conn:
            if _me(conn)["rolsuper"]:
                return _grant(conn, login, role)
            created = conn.execute(text("SELECT pipeline_grant_login(:l, :g)"),
                                   {"l": login, "g": GROUPS[role]}).scalar()
            return {"login": login, "group": GROUPS[role], "login_created": bool(created)}
    except Exception as exc:
        if _privilege_error(exc):
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise NotAllowed(
                "database_refused_to_make",
                [{"login": login, "group": GROUPS.get(role)}], login=login, role=role, reason=reason) from exc
        raise


def sync_login(engine: Engine, login: str, role: str, disabled: bool) -> dict:
    """Keep the database role of ``login`` what ``app_user`` says (``users edit``/``disable``/
    ``enable``): the group of ``role``, or the read-only auditor group while disabled.  It goes the
    way ``users add`` goes (``grant_role``): through the owner's ``pipeline_grant_login`` for an
    admin's login, which moves a login between the pipeline groups and nothing else."""
    return grant_role(engine, login, "auditor" if disabled else role)


def group_of(engine: Engine, login: str) -> list[str]:
    """The pipeline group roles ``login`` is a member of (for checks and tests)."""
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n AND g.rolname LIKE 'pipeline\\_%'"),
            {"n": login}))
