"""PostgreSQL: no login writes history in another's name, and no event skips its chain.  A leader's and
a coordinator's own logins, using only their grants, try to append correctly hashed events with the
admin as actor; the database refuses.  An event attributed correctly but skipping the guards is
accepted by the database and caught by ``audit verify``."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import ADMIN, COORD, PgCli, populate
from workflow import clock, encoding

pytestmark = pytest.mark.postgres


@pytest.fixture
def pcli(pg_cluster, pg_database) -> PgCli:
    c = populate(PgCli(pg_cluster, pg_database))
    c("project", "add", "--name", "东安金矿", "--investor", "东安矿业", "--industry", "mining", "--investment",
      "3亿", "--unit", "XH", ok=True)
    c.admin("users", "add", "lead1", "--role", "leader", ok=True)
    return c


def _connect(pcli, user):
    pcli.cluster.ensure_login(user, pcli.database)
    return psycopg.connect(host="127.0.0.1", port=pcli.cluster.port, dbname=pcli.database, user=user,
                           autocommit=True)


def _append(conn, *, actor: str, trigger: str = "submit", seq_offset: int = 1, prev: str | None = None,
            frm: str = "lead", to: str = "screening") -> None:
    """Append a correctly hashed transition to P-0001 (and move the project row), as a forger would."""
    head_seq, head_hash = conn.execute("SELECT head_seq, head_hash FROM project WHERE code = 'P-0001'").fetchone()
    seq = head_seq + seq_offset
    prev = head_hash if prev is None else prev
    at = clock.utcnow()
    on = clock.today()
    h = encoding.event_hash("P-0001", seq, "transition", trigger, frm, to, on, at, actor, None, "{}", prev)
    with conn.transaction():
        conn.execute(
            "INSERT INTO event(project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, "
            "actor, reason, payload, prev_hash, hash) VALUES (1, %s, 'transition', %s, %s, %s, %s, %s, %s, NULL, "
            "'{}', %s, %s)", (seq, trigger, frm, to, on, at, actor, prev, h))
        conn.execute("UPDATE project SET stage = %s, head_seq = %s, head_hash = %s, version = version + 1 "
                     "WHERE id = 1", (to, seq, h))


@pytest.mark.parametrize("login", ["lead1", COORD])
def test_an_event_in_the_admins_name_is_refused(pcli, login):
    with _connect(pcli, login) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="another's name"):
            _append(conn, actor=ADMIN)
    history = pcli("history", "P-0001", json=True, ok=True).json["events"]
    assert [e["kind"] for e in history] == ["registered"]
    assert pcli("audit", "verify", json=True).code == 0


def test_an_event_that_does_not_extend_the_chain_is_refused(pcli):
    with _connect(pcli, COORD) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="extend its project's chain"):
            _append(conn, actor=COORD, seq_offset=2)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="extend its project's chain"):
            _append(conn, actor=COORD, prev="f" * 64)
    assert pcli("audit", "verify", json=True).code == 0


def test_a_correctly_attributed_event_that_skips_the_guards_is_caught_by_verify(pcli):
    """The leader's own name on a ``submit`` (a leader may not advance) and the coordinator's on an
    ``approve`` with no committee decision and no checks: both reach the table, verify names both."""
    with _connect(pcli, "lead1") as conn:
        _append(conn, actor="lead1")
    with _connect(pcli, COORD) as conn:
        _append(conn, actor=COORD, trigger="approve", frm="screening", to="approved")
    res = pcli("audit", "verify", json=True)
    assert res.code == 7
    found = res.json["failures"]
    assert any(f["seq"] == 2 and f["field"] == "actor" and f["found"] == "leader" for f in found), found
    assert any(f["seq"] == 3 and "committee_decision" in f["problem"] for f in found), found


def test_the_programs_own_writes_still_pass(pcli):
    pcli("advance", "P-0001", "submit", ok=True)
    pcli("followup", "add", "P-0001", "电话沟通", ok=True)
    pcli.admin("correct", "P-0001", "2", "--reason", "误操作", ok=True)
    assert pcli("audit", "verify", json=True).code == 0


# --- the admin login stays inside the application ----------------------------------------------------------


def _refused(conn, sql: str) -> None:
    with pytest.raises(psycopg.Error) as info:
        conn.execute(sql)
    assert isinstance(info.value, psycopg.errors.InsufficientPrivilege | psycopg.errors.RaiseException), info.value


def test_the_admin_login_has_no_createrole_and_cannot_escalate(pcli):
    from workflow.pgroles import group_names

    rolcreaterole, = pcli.cluster.execute("SELECT rolcreaterole FROM pg_roles WHERE rolname = %s", (ADMIN,),
                                          database=pcli.database)[0]
    assert rolcreaterole is False
    with _connect(pcli, ADMIN) as conn:
        _refused(conn, f'GRANT pg_execute_server_program TO "{ADMIN}"')
        _refused(conn, "CREATE ROLE intruder LOGIN")
        _refused(conn, f"ALTER ROLE {COORD} PASSWORD 'owned'")
        _refused(conn, f'ALTER ROLE "{ADMIN}" CREATEROLE')
        _refused(conn, "COPY (SELECT 1) TO PROGRAM 'id'")
        # the functions refuse what is outside the pipeline
        _refused(conn, "SELECT pipeline_grant_login('postgres', 'pipeline_admin')")
        _refused(conn, "SELECT pipeline_grant_login('pipeline_auditor', 'pipeline_admin')")
        mine = group_names(pcli.database)
        _refused(conn, f"SELECT pipeline_grant_login('{mine['auditor']}', '{mine['admin']}')")
        _refused(conn, "SELECT pipeline_grant_login('pg_monitor', 'pipeline_admin')")
        _refused(conn, "SELECT pipeline_grant_login('someone', 'pg_execute_server_program')")
    # a role that exists outside the pipeline is not adopted
    pcli.cluster.execute("CREATE ROLE outsider LOGIN CREATEDB", database=pcli.database)
    res = pcli.admin("users", "add", "outsider", "--role", "admin", json=True)
    assert res.code == 6 and "outside the pipeline" in res.json["error"]["message"]
    assert all(u["login"] != "outsider" for u in pcli("users", "list", json=True, ok=True).json["users"])


def test_users_add_of_a_group_roles_name_is_refused(pcli):
    from workflow.pgroles import group_names

    auditors = group_names(pcli.database)["auditor"]
    for name in (auditors, "pipeline_auditor", "pipeline_admin_another_county"):  # any county's, or the old ones
        res = pcli.admin("users", "add", name, "--role", "admin", json=True)
        assert res.code == 2
    login, = pcli.cluster.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (auditors,),
                                  database=pcli.database)[0]
    assert login is False


def test_users_add_still_works_for_the_admin_login_and_no_one_else(pcli):
    res = pcli.admin("users", "add", "newcoord", "--role", "coordinator", json=True, ok=True).json
    from workflow.pgroles import group_names

    mine = group_names(pcli.database)
    assert res["granted"]["group"] == mine["coordinator"] and res["granted"]["login_created"] is True
    groups = [r[0] for r in pcli.cluster.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u "
        "ON u.oid = m.member WHERE u.rolname = 'newcoord'", database=pcli.database)]
    assert groups == [mine["coordinator"]]
    # the new login works as a coordinator
    pcli("advance", "P-0001", "submit", actor="newcoord", ok=True)
    # a coordinator may not manage users, neither through the program nor the function
    res = pcli("users", "add", "another", "--role", "admin", actor=COORD, json=True)
    assert res.code == 6
    with _connect(pcli, COORD) as conn:
        _refused(conn, "SELECT pipeline_grant_login('another', 'pipeline_admin')")
