"""PostgreSQL database roles: one group role per application role and database, with the least grants
each needs.

``pipeline init`` on PostgreSQL calls :func:`ensure_roles`; ``pipeline users add`` calls
:func:`grant_role`.  On PostgreSQL the actor recorded on every event is the database login
(``session_user``), so the database itself must stop a login from doing more than its role allows.
Group roles belong to one database (:func:`group_names`: ``pipeline_<role>_<database>``), so counties
sharing a cluster stay apart:

==========================  =======================================================================
group role                  grants (on top of SELECT on every table, which every group has)
==========================  =======================================================================
pipeline_auditor_<db>       nothing else: read only
pipeline_leader_<db>        INSERT event, followup; UPDATE project (a follow-up moves the chain head)
pipeline_coordinator_<db>   INSERT project, event and the record tables; UPDATE project, assignment
pipeline_admin_<db>         INSERT and UPDATE on every table except history; INSERT event, ledger;
                            DELETE setting (``lights reset``), city_project and city_figure (``city
                            load``); EXECUTE on the user-management functions
==========================  =======================================================================

No application login holds CREATEROLE (``init`` takes it away from admin logins an older version
gave it to): with it a login could grant itself predefined roles such as
``pg_execute_server_program`` (shell commands as the server's OS user), reset other logins'
passwords or turn a group role into a login.  User management goes through a database function
owned by the ``pipeline_owner`` role (NOLOGIN, CREATEROLE, a member of no one, no member), SECURITY
DEFINER with a fixed search_path (``pg_catalog, pg_temp``):

- ``pipeline_grant_login(login, group)``: only for a session login in this database's admin group;
  ``group`` must be one of this database's four groups; ``login`` may not be a pipeline group's name
  (of any database), ``pipeline_owner`` or a ``pg_`` name; an existing role is accepted only if it is
  a plain login (LOGIN; no superuser, CREATEROLE, CREATEDB, replication or BYPASSRLS attribute, no
  members, no membership outside the pipeline groups, owning no object in any database); it then
  creates the login if missing and makes it a member of exactly that group.  It never gives LOGIN to
  an existing role.

It touches no password and no other attribute.  ``init`` run by a superuser creates the owner role,
the groups and the function.

No group has UPDATE, DELETE or TRUNCATE on ``event``; the append-only triggers (``ENABLE ALWAYS``)
refuse them even for the table owner and under ``session_replication_role = replica``.  The set-up
tables change only in a transaction that appends a ledger entry in the session login's name
(migration 0010; docs/postgresql.md, "The set-up path").

The tables belong to whoever ran the migrations (the database owner, ideally a superuser or a role
no pipeline login is a member of): only the owner can apply grants.  ``ensure_roles`` run by anyone
else leaves the grants alone and only checks that the group roles exist.  The cluster-wide groups of
earlier versions (``LEGACY_GROUPS``) keep no privilege on a database whose grants were applied again.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from workflow.errors import BadInput, NotAllowed
from workflow.words import user_roles

ROLES = ("coordinator", "leader", "auditor", "admin")
# The cluster-wide groups of versions before schema 0010: they confer nothing on an upgraded database.
LEGACY_GROUPS: dict[str, str] = {role: f"pipeline_{role}" for role in ROLES}
_GROUP_NAME = re.compile(r"pipeline_(?:coordinator|leader|auditor|admin)(?:_.*)?", re.S)
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


def group_names(database: str) -> dict[str, str]:
    """role -> the group role of ``database`` (``pipeline_<role>_<database>``; a name over PostgreSQL's
    63 bytes keeps the database name's start and adds 8 hex digits of its SHA-256): counties sharing
    a cluster never share a group."""
    out = {}
    for role in ROLES:
        name = f"pipeline_{role}_{database}"
        if len(name.encode("utf-8")) > 63:
            digest = hashlib.sha256(database.encode("utf-8")).hexdigest()[:8]
            room = 63 - len(f"pipeline_{role}__{digest}")
            head = database.encode("utf-8")[:room].decode("utf-8", errors="ignore")
            name = f"pipeline_{role}_{head}_{digest}"
        out[role] = name
    return out


def groups(conn: Connection) -> dict[str, str]:
    """role -> group role of the database ``conn`` is connected to."""
    return group_names(conn.execute(text("SELECT current_database()")).scalar_one())


def is_group_name(name: str) -> bool:
    """A pipeline group's name, of any database (or of the cluster-wide groups of earlier versions)."""
    return bool(_GROUP_NAME.fullmatch(name))


def check_login_name(login: str) -> str:
    """Refuse names a pipeline login may not have (a group role's, the owner's, a ``pg_`` name)."""
    if not login or len(login) > 63 or "\x00" in login:
        raise BadInput("cannot_be_postgresql_login", login=login)
    if login == OWNER or is_group_name(login) or login.startswith("pg_"):
        raise BadInput("is_database_role_of", [{"login": login}], login=login)
    return login


def _lit(value: str) -> str:
    """A PostgreSQL string literal (for the names baked into the functions' bodies)."""
    return "'" + value.replace("'", "''") + "'"


_PATTERN = "'^pipeline_(coordinator|leader|auditor|admin)(_|$)'"  # is_group_name, in SQL
_FUNCTIONS = """
CREATE OR REPLACE FUNCTION {schema}._pipeline_check_login(login text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  IF NOT pg_has_role(session_user, {admin}, 'MEMBER') THEN
    RAISE EXCEPTION 'only a pipeline admin may manage users (% is not one)', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF login IS NULL OR login = '' OR length(login) > 63 OR left(login, 3) = 'pg_'
     OR login = 'pipeline_owner' OR login ~ {pattern} THEN
    RAISE EXCEPTION 'the role % is not a login the pipeline may manage', login
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO r FROM pg_roles WHERE rolname = login;
  IF FOUND THEN
    IF r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication
       OR r.rolbypassrls
       OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid)
       OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                  WHERE m.member = r.oid AND g.rolname !~ {pattern}) THEN
      RAISE EXCEPTION 'the role % exists outside the pipeline; the pipeline manages plain logins only', login
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT r.rolcanlogin THEN
      RAISE EXCEPTION 'the role % cannot log in; the pipeline gives LOGIN only to the logins it creates', login
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_shdepend d WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = r.oid
               AND d.deptype = 'o')
       OR EXISTS (SELECT 1 FROM pg_database d WHERE d.datdba = r.oid) THEN
      RAISE EXCEPTION 'the role % owns database objects; the pipeline makes no owner a login', login
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION {schema}.pipeline_grant_login(login text, grp text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE created boolean := false; g text;
BEGIN
  PERFORM {schema}._pipeline_check_login(login);
  IF grp IS NULL OR grp NOT IN ({groups}) THEN
    RAISE EXCEPTION 'unknown pipeline group %', grp USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', login);
    created := true;
  END IF;
  FOREACH g IN ARRAY ARRAY[{groups}] LOOP
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


def _ensure_owner_and_functions(conn: Connection, me: dict, names: dict[str, str]) -> bool:
    """Create the owner role and the user-management functions (a superuser caller that owns the
    tables); returns whether they were (re)installed."""
    if not me["rolsuper"]:
        return False
    q_owner = _q(conn, OWNER)
    if _role(conn, OWNER) is None:
        conn.exec_driver_sql(f"CREATE ROLE {q_owner} NOLOGIN CREATEROLE")
    else:
        conn.exec_driver_sql(f"ALTER ROLE {q_owner} NOLOGIN CREATEROLE")
    schema = _q(conn, _schema(conn))
    for group in names.values():  # the owner may grant the groups (PostgreSQL 16+: ADMIN OPTION needed)
        conn.exec_driver_sql(f"GRANT {_q(conn, group)} TO {q_owner} WITH ADMIN OPTION")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {q_owner}")
    body = _FUNCTIONS.format(schema=schema, admin=_lit(names["admin"]), pattern=_PATTERN,
                             groups=", ".join(_lit(g) for g in names.values()))
    cursor = conn.connection.cursor()  # plain DBAPI: no parameters, so '%' in the bodies stays literal
    try:
        for stmt in body.split("END $$;"):
            if stmt.strip():
                cursor.execute(stmt.strip() + "\nEND $$;")
    finally:
        cursor.close()
    for fn in ("_pipeline_check_login(text)", "pipeline_grant_login(text, text)"):
        conn.exec_driver_sql(f"ALTER FUNCTION {schema}.{fn} OWNER TO {q_owner}")
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {schema}.{fn} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {schema}.pipeline_grant_login(text, text) "
                         f"TO {_q(conn, names['admin'])}")
    return True


def _setup(conn: Connection) -> dict:
    """What ``ensure_roles`` does, in the caller's transaction (``init``, and the migration to schema
    0010 when the migrating role may create roles and owns the tables)."""
    me = _me(conn)
    names = groups(conn)
    can_create = bool(me["rolsuper"] or me["rolcreaterole"])
    created = []
    for role, group in names.items():
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
        _apply_grants(conn, tables, names)
    functions = _ensure_owner_and_functions(conn, me, names) if owner else False
    logins, refused = [], []
    if can_create:
        for login, role in conn.execute(text("SELECT login, role FROM app_user ORDER BY login")).all():
            if role in names and login != OWNER and not is_group_name(login) and not login.startswith("pg_"):
                try:
                    _grant(conn, login, role, names)
                except NotAllowed as exc:  # a role that cannot log in or owns objects: left as it is
                    refused.append({"login": login, "reason": exc.code})
                    continue
                logins.append(login)
    return {"groups": dict(names), "created": created, "grants_applied": owner, "functions": functions,
            "logins": logins, "refused": refused}


def ensure_roles(engine: Engine) -> dict:
    """Create this database's group roles, apply their grants (when run by the tables' owner) and give
    every login in ``app_user`` its group role.  Idempotent; returns what it found and did."""
    with engine.begin() as conn:
        return _setup(conn)


def upgrade_groups(conn: Connection) -> bool:
    """The migration to schema 0010: a database that already has users gets its own groups now when
    the migrating role may create roles and owns the tables (else ``init`` by the owner does it);
    returns whether it did."""
    me = _me(conn)
    has_users = conn.execute(text("SELECT count(*) FROM app_user")).scalar_one()
    if not has_users or not (me["rolsuper"] or me["rolcreaterole"]) or not _owns_tables(conn, _tables(conn)):
        return False
    _setup(conn)
    return True


def _apply_grants(conn: Connection, tables: list[str], names: dict[str, str]) -> None:
    legacy = [g for g in LEGACY_GROUPS.values() if _role(conn, g) is not None]
    every = ", ".join(_q(conn, g) for g in (*names.values(), *legacy))
    groups_sql = ", ".join(_q(conn, g) for g in names.values())
    seqs = _sequences(conn, tables)
    app_tables = [t for t in tables if t not in HISTORY_TABLES and t not in MIGRATION_TABLES]
    schema = _q(conn, _schema(conn))
    # Start from nothing, then grant exactly what each role needs (one transaction: no gap).  The
    # cluster-wide groups of earlier versions keep nothing here: another county's members are no
    # members of this one.
    for t in tables:
        conn.exec_driver_sql(f"REVOKE ALL ON TABLE {_q(conn, t)} FROM PUBLIC, {every}")
        conn.exec_driver_sql(f"GRANT SELECT ON TABLE {_q(conn, t)} TO {groups_sql}")
    for s in seqs.values():
        conn.exec_driver_sql(f"REVOKE ALL ON SEQUENCE {s} FROM PUBLIC, {every}")
    if legacy:
        legacy_sql = ", ".join(_q(conn, g) for g in legacy)
        conn.exec_driver_sql(f"REVOKE ALL ON SCHEMA {schema} FROM {legacy_sql}")
        conn.exec_driver_sql(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM {legacy_sql}")
        conn.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {legacy_sql}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {groups_sql}")
    for role, privileges in GRANTS.items():
        group = _q(conn, names[role])
        inserted: set[str] = set()
        for privilege, targets_of in privileges.items():
            targets = []
            for n in targets_of:
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
    conn.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {groups_sql}")


def _schema(conn: Connection) -> str:
    return conn.execute(text("SELECT current_schema()")).scalar_one()


def _owns_objects(conn: Connection, login: str) -> bool:
    """Does the role own anything (a table, a function, a schema, a database, in any database)?"""
    return bool(conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid "
        "WHERE d.refclassid = 'pg_authid'::regclass AND d.deptype = 'o' AND r.rolname = :n) "
        "OR EXISTS (SELECT 1 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = :n)"),
        {"n": login}).scalar())


def _grant(conn: Connection, login: str, role: str, names: dict[str, str]) -> dict:
    """Make ``login`` a member of ``role``'s group, directly (a caller that may create roles: ``init``).
    As through ``pipeline_grant_login``, an existing role that cannot log in, or that owns objects,
    is never made a login (a superuser role stays what it is)."""
    role = user_roles().find(role) or role  # a key or label (workflow/words.py)
    if role not in names:
        raise BadInput("role_is_not_one_of", role=role, groups=list(names.values()))
    check_login_name(login)
    q = _q(conn, login)
    existing = _role(conn, login)
    if existing is not None and existing["rolsuper"] and not _me(conn)["rolsuper"]:
        raise NotAllowed("is_superuser_pipeline_does", [{"login": login}], login=login)
    created = existing is None
    if existing is None:
        conn.exec_driver_sql(f"CREATE ROLE {q} LOGIN")
    elif not existing["rolsuper"]:
        if not existing["rolcanlogin"]:
            raise NotAllowed("pgguard_role_cannot_log_in", [{"login": login}], login=login)
        if _owns_objects(conn, login):
            raise NotAllowed("pgguard_role_owns_objects", [{"login": login}], login=login)
    group = names[role]
    member_of = {r[0] for r in conn.execute(text(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n"), {"n": login})}
    for other in names.values():  # one application role per login
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
    if role not in ROLES:
        raise BadInput("role_is_not_one_of", role=role, groups=list(ROLES))
    check_login_name(login)
    try:
        with engine.begin() as conn:
            names = groups(conn)
            if _me(conn)["rolsuper"]:
                return _grant(conn, login, role, names)
            created = conn.execute(text("SELECT pipeline_grant_login(:l, :g)"),
                                   {"l": login, "g": names[role]}).scalar()
            return {"login": login, "group": names[role], "login_created": bool(created)}
    except Exception as exc:
        if _privilege_error(exc):
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise NotAllowed(
                "database_refused_to_make",
                [{"login": login, "role": role}], login=login, role=role, reason=reason) from exc
        raise


def sync_login(engine: Engine, login: str, role: str, disabled: bool) -> dict:
    """Keep the database role of ``login`` what ``app_user`` says (``users edit``/``disable``/
    ``enable``): the group of ``role``, or the read-only auditor group while disabled.  It goes the
    way ``users add`` goes (``grant_role``): through the owner's ``pipeline_grant_login`` for an
    admin's login, which moves a login between the pipeline groups and nothing else."""
    return grant_role(engine, login, "auditor" if disabled else role)


def group_of(engine: Engine, login: str) -> list[str]:
    """The roles (``admin``, ``coordinator``, …) whose group of this database ``login`` is a member of
    (for checks and tests)."""
    with engine.connect() as conn:
        by_name = {g: r for r, g in groups(conn).items()}
        return sorted(by_name[r[0]] for r in conn.execute(text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n"), {"n": login}) if r[0] in by_name)
