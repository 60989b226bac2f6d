"""PostgreSQL as the shared deployment (docs/postgresql.md): roles and grants, the actor is the login,
append-only history enforced by the database itself, schema checks, and the CI policy of the
throwaway cluster (fail, never skip, under ``CI=true``)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from tests.conftest import ADMIN, COORD, ROOT, PgCli, invoke, populate

pytestmark = pytest.mark.postgres



def _g(pcli, role: str) -> str:
    """The group role of ``role`` in the test's database (group roles are per database)."""
    from workflow.pgroles import group_names

    return group_names(pcli.database)[role]


@pytest.fixture
def pcli(pg_cluster, pg_database) -> PgCli:
    return populate(PgCli(pg_cluster, pg_database))


def _add_project(c, name="东安金矿", investment="3亿", actor=COORD):
    return c("project", "add", "--name", name, "--investor", "东安矿业", "--industry", "mining", "--investment",
             investment, "--unit", "XH", actor=actor, json=True)


def _privilege(pcli, role: str, table: str, privilege: str) -> bool:
    return pcli.cluster.execute("SELECT has_table_privilege(%s, %s, %s)", (role, table, privilege),
                                database=pcli.database)[0][0]


def _members(pcli, login: str) -> set[str]:
    """The roles whose group of the test's database ``login`` is a member of."""
    from workflow.pgroles import group_names

    by_name = {g: r for r, g in group_names(pcli.database).items()}
    rows = pcli.cluster.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s", (login,))
    return {by_name[r[0]] for r in rows if r[0] in by_name}


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# --- roles and grants --------------------------------------------------------------------------------


def test_init_creates_group_roles_with_least_grants(pcli):
    tables = [r[0] for r in pcli.cluster.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", database=pcli.database)]
    assert "event" in tables and "project" in tables
    groups = [_g(pcli, r) for r in ("coordinator", "leader", "auditor", "admin")]
    roles = {r[0]: r[1] for r in pcli.cluster.execute(
        "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY(%s)", (groups + ["pipeline_owner"],))}
    assert roles == {**dict.fromkeys(groups, False), "pipeline_owner": False}  # group roles, no logins
    for group in groups:
        for table in tables:
            assert _privilege(pcli, group, table, "SELECT"), (group, table)
        for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
            assert not _privilege(pcli, group, "event", privilege), (group, privilege)
        assert _privilege(pcli, group, "event", "INSERT") == (group != _g(pcli, "auditor"))
    for table in tables:  # the auditor only reads
        for privilege in ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
            assert not _privilege(pcli, _g(pcli, "auditor"), table, privilege), (table, privilege)
    # coordinators write projects and their records, not reference data; leaders only follow up
    assert _privilege(pcli, _g(pcli, "coordinator"), "project", "INSERT")
    assert _privilege(pcli, _g(pcli, "coordinator"), "capital_arrival", "INSERT")
    assert not _privilege(pcli, _g(pcli, "coordinator"), "unit", "INSERT")
    assert not _privilege(pcli, _g(pcli, "coordinator"), "app_user", "UPDATE")
    assert _privilege(pcli, _g(pcli, "leader"), "followup", "INSERT")
    assert not _privilege(pcli, _g(pcli, "leader"), "project", "INSERT")
    assert not _privilege(pcli, _g(pcli, "leader"), "capital_arrival", "INSERT")
    assert _privilege(pcli, _g(pcli, "admin"), "unit", "INSERT")
    assert _privilege(pcli, _g(pcli, "admin"), "app_user", "INSERT")
    assert not _privilege(pcli, _g(pcli, "admin"), "alembic_version", "UPDATE")
    # re-running init is idempotent and keeps the admin's group
    again = pcli("init", "--admin", ADMIN, actor=None, json=True, ok=True).json
    assert again["roles"]["created"] == [] and again["roles"]["grants_applied"] is True
    assert again["admin_created"] is False
    assert _members(pcli, ADMIN) == {"admin"} and _members(pcli, COORD) == {"coordinator"}


def test_init_by_a_non_owner_leaves_grants_alone(pcli):
    res = pcli.admin("init", json=True, ok=True).json
    assert res["roles"]["grants_applied"] is False and res["roles"]["created"] == []
    assert not _privilege(pcli, _g(pcli, "coordinator"), "unit", "INSERT")


def test_users_add_creates_the_login_and_grants_its_group(pcli):
    li = _unique("li")
    res = pcli.admin("users", "add", li, "--role", "leader", json=True, ok=True).json
    assert res["granted"]["login_created"] is True and res["granted"]["group"] == _g(pcli, "leader")
    assert pcli.cluster.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (li,)) == [(True,)]
    assert _members(pcli, li) == {"leader"}
    # a role the DBA created without LOGIN stays what it is: the pipeline gives LOGIN only to its own logins
    nologin = _unique("nologin")
    pcli.cluster.execute(f'CREATE ROLE "{nologin}" NOLOGIN')
    res = pcli.admin("users", "add", nologin, "--role", "auditor", json=True)
    assert res.code == 6 and "cannot log in" in res.json["error"]["message"]
    assert pcli.cluster.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (nologin,)) == [(False,)]
    assert _members(pcli, nologin) == set()
    # a login the DBA made is adopted
    zhao = _unique("zhao")
    pcli.cluster.execute(f'CREATE ROLE "{zhao}" LOGIN')
    res = pcli.admin("users", "add", zhao, "--role", "auditor", json=True, ok=True).json
    assert res["granted"]["login_created"] is False
    assert _members(pcli, zhao) == {"auditor"}
    # the new login connects (trust on loopback) and reads, but the auditor writes nothing
    assert pcli("project", "list", actor=zhao, json=True, ok=True).json["projects"] == []
    assert _add_project(pcli, actor=zhao).code == 6
    # only one application role per login: granting another group replaces the first
    from sqlalchemy import create_engine

    from workflow import pgroles

    engine = create_engine(pcli.url_for(ADMIN))
    try:
        pgroles.grant_role(engine, zhao, "coordinator")
        assert pgroles.group_of(engine, zhao) == ["coordinator"]
    finally:
        engine.dispose()


def test_users_add_without_the_admin_group_is_a_clear_refusal(pcli):
    """Admin logins hold no CREATEROLE and still add users (through the owner's functions); a login the
    users table calls admin but the database does not is refused by the database."""
    boss = _unique("boss")
    pcli.admin("users", "add", boss, "--role", "admin", ok=True)
    assert pcli.cluster.execute("SELECT rolcreaterole FROM pg_roles WHERE rolname = %s", (boss,)) == [(False,)]
    pcli("users", "add", _unique("x"), "--role", "coordinator", actor=boss, json=True, ok=True)
    pcli.cluster.execute(f'REVOKE "{_g(pcli, "admin")}" FROM "{boss}"')
    pcli.cluster.execute(f'GRANT "{_g(pcli, "coordinator")}" TO "{boss}"')
    res = pcli("users", "add", _unique("x"), "--role", "coordinator", actor=boss, json=True)
    assert res.code == 6 and "pipeline init" in res.json["error"]["message"]


def test_the_actor_is_the_login_and_as_cannot_spoof_it(pcli):
    url = pcli.url_for(COORD)
    res = invoke(["units", "add", "NEW", "--name", "新区", "--json"], db=url, actor=ADMIN)
    assert res.code == 6 and "coord" in res.json["error"]["message"]
    res = invoke(["project", "add", "--name", "宾馆建设项目", "--investor", "利源达公司", "--industry", "hotel",
                  "--investment", "8000万", "--unit", "XH", "--json"], db=url, actor=ADMIN)
    assert res.code == 0
    code = res.json["code"]
    res = invoke(["advance", code, "submit", "--json"], db=url, actor="someone-else")
    assert res.code == 0 and res.json["event"]["actor"] == COORD
    events = pcli("history", code, json=True, ok=True).json["events"]
    assert {e["actor"] for e in events} == {COORD}
    from sqlalchemy import create_engine

    from workflow.db import session_actor

    engine = create_engine(url)
    try:
        assert session_actor(engine, ADMIN) == COORD
    finally:
        engine.dispose()


# --- append-only history, enforced by the database --------------------------------------------------


def _connect(pcli, user):
    pcli.cluster.ensure_login(user, pcli.database)
    return psycopg.connect(host="127.0.0.1", port=pcli.cluster.port, dbname=pcli.database, user=user,
                           autocommit=True)


def test_no_role_can_update_delete_or_truncate_history(pcli):
    code = _add_project(pcli).json["code"]
    pcli("advance", code, "submit", ok=True)
    before = pcli.cluster.execute("SELECT id, hash FROM event ORDER BY id", database=pcli.database)
    aud = _unique("aud")
    pcli.admin("users", "add", aud, "--role", "auditor", ok=True)
    for login in (COORD, ADMIN, aud):
        with _connect(pcli, login) as conn:
            for sql in ("UPDATE event SET reason = 'forged'", "DELETE FROM event", "TRUNCATE event"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(sql)
    # the owner (a superuser here) has every grant, and the triggers still refuse
    with pcli.cluster.connect(pcli.database) as conn:
        for sql in ("UPDATE event SET reason = 'forged'", "DELETE FROM event", "TRUNCATE event"):
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute(sql)
        # ENABLE ALWAYS: a replica session does not skip them either
        conn.execute("SET session_replication_role = replica")
        with pytest.raises(psycopg.Error, match="append-only"):
            conn.execute("UPDATE event SET reason = 'forged'")
        with pytest.raises(psycopg.Error, match="append-only"):
            conn.execute("DELETE FROM event")
        states = {r[0]: r[1] for r in conn.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'event'::regclass AND NOT tgisinternal")}
    assert states == {"event_no_update_delete": "A", "event_no_truncate": "A", "event_extends_chain": "A"}
    after = pcli.cluster.execute("SELECT id, hash FROM event ORDER BY id", database=pcli.database)
    assert after == before and len(after) == 2


def test_auditor_login_can_only_select(pcli):
    code = _add_project(pcli).json["code"]
    aud = _unique("aud")
    pcli.admin("users", "add", aud, "--role", "auditor", ok=True)
    with _connect(pcli, aud) as conn:
        assert conn.execute("SELECT count(*) FROM event").fetchone()[0] == 1
        for sql in ("INSERT INTO unit (code, name, kind, created_at) VALUES ('Z', 'z', 'township', now())",
                    "UPDATE project SET name = 'x'",
                    "DELETE FROM followup",
                    "INSERT INTO app_user (login, role, created_at, created_by) VALUES ('me', 'admin', now(), 'me')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    # --as admin does not help the auditor either
    res = invoke(["advance", code, "submit", "--json"], db=pcli.url_for(aud), actor=ADMIN)
    assert res.code == 6


def test_database_grants_hold_even_when_the_application_table_says_otherwise(pcli):
    """A login the users table calls coordinator but whose database group is auditor is refused by
    PostgreSQL itself: exit 6, nothing written."""
    code = _add_project(pcli).json["code"]
    mole = _unique("mole")
    pcli.admin("users", "add", mole, "--role", "coordinator", ok=True)
    pcli.cluster.execute(f'REVOKE "{_g(pcli, "coordinator")}" FROM "{mole}"')
    pcli.cluster.execute(f'GRANT "{_g(pcli, "auditor")}" TO "{mole}"')
    res = pcli("advance", code, "submit", actor=mole, json=True)
    assert res.code == 6 and "permission denied" in res.json["error"]["message"]
    assert len(pcli("history", code, json=True).json["events"]) == 1
    assert pcli("project", "show", code, json=True).json["stage"] == "lead"


# --- schema --------------------------------------------------------------------------------------------


def test_schema_behind_and_ahead_are_refused_on_postgres(pcli):
    pcli.cluster.execute("UPDATE alembic_version SET version_num = 'ffff'", database=pcli.database)
    res = pcli("project", "list", json=True)
    assert res.code == 2 and "newer than this program" in res.json["error"]["message"]
    pcli.cluster.execute("DELETE FROM alembic_version", database=pcli.database)
    res = pcli("project", "list", json=True)
    assert res.code == 2 and "pipeline init" in res.json["error"]["message"]


def test_models_and_migrations_do_not_drift_on_postgres(pg_cluster, pg_database):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    import workflow.models  # noqa: F401

    engine = create_engine(pg_cluster.url(pg_database))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_project_codes_have_no_gaps(pcli, tmp_path):
    """Codes are P-0001, P-0002, … in order of creation: refusals, dry runs and failed imports use
    none up (PostgreSQL's sequences are not transactional, so the engine does not use one)."""
    codes = [_add_project(pcli, name=f"p{i}").json["code"] for i in range(3)]
    assert codes == ["P-0001", "P-0002", "P-0003"]
    assert _add_project(pcli, actor="nobody_known").code == 6
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("name,investor,industry,investment,unit\n翠宏山铁多金属矿,翠宏山矿业,mining,3亿,XH\n"
                      "申逊北药,申逊北药有限公司,medicine,5000万,XH\n", encoding="utf-8")
    assert pcli("import", str(ledger), "--dry-run", json=True, ok=True).json["first"] == "P-0004"
    assert _add_project(pcli).json["code"] == "P-0004"
    assert pcli("import", str(ledger), json=True, ok=True).json["first"] == "P-0005"
    assert pcli("project", "list", json=True).json["projects"][-1]["code"] == "P-0006"


# --- the fixture's own policy ------------------------------------------------------------------------

PROBE = """
from tests.conftest import pg_cluster  # noqa: F401


def test_needs_postgres(pg_cluster):
    assert pg_cluster.port
"""


@pytest.mark.slow
@pytest.mark.parametrize("ci,outcome", [("true", "1 error"), ("", "1 skipped")])
def test_a_cluster_that_cannot_start_fails_in_ci_and_skips_elsewhere(tmp_path, ci, outcome):
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS")}
    env.update({"PATH": str(tmp_path / "no-binaries-here"), "PYTHONPATH": str(ROOT), "CI": ci})
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert outcome in proc.stdout, proc.stdout + proc.stderr
    assert "initdb" in proc.stdout  # the reason is given
    assert proc.returncode == (1 if ci else 0)


def test_with_user_rewrites_only_postgres_urls():
    from tests.pg import with_user

    assert with_user("postgresql+psycopg://a@127.0.0.1:5/db", "b") == "postgresql+psycopg://b@127.0.0.1:5/db"
    assert with_user("/tmp/x.db", "b") == "/tmp/x.db"
