"""PostgreSQL holds every writer to the set-up ledger's path (docs/postgresql.md, "Threat model"): the
ledger has the event table's guard, checkpoints only grow and carry their taker's login, the set-up
tables change only with a ledger entry in the session login's name, ``users add`` makes no foreign or
owning role a login, ``init`` on an initialised database makes no one admin, group roles are per
database, and a held lock makes others exit 5 "busy" instead of freezing them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import create_engine

from tests.conftest import ADMIN, COORD, PgCli, invoke, populate
from workflow import clock
from workflow.encoding import canonical
from workflow.ledger import LEDGER_LOCK, entry_hash
from workflow.pgroles import group_names

pytestmark = pytest.mark.postgres


@pytest.fixture
def pcli(pg_cluster, pg_database) -> PgCli:
    c = populate(PgCli(pg_cluster, pg_database))
    c.admin("users", "add", "lead1", "--role", "leader", ok=True)
    return c


def _connect(pcli, user, *, autocommit: bool = True):
    if user == "postgres":
        return pcli.cluster.connect(pcli.database)
    pcli.cluster.ensure_login(user, pcli.database)
    return psycopg.connect(host="127.0.0.1", port=pcli.cluster.port, dbname=pcli.database, user=user,
                           autocommit=autocommit)


def _ledger(pcli) -> list[tuple]:
    return pcli.cluster.execute("SELECT seq, kind, actor FROM ledger ORDER BY seq", database=pcli.database)


def _forge_entry(conn, *, actor: str, kind: str = "unit_edited", target: str = "XH", payload=None,
                 seq_offset: int = 1, prev: str | None = None, at=None) -> None:
    """Append a correctly hashed ledger entry, as a forger with psql would."""
    seq, head = conn.execute("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
    seq += seq_offset
    prev = head if prev is None else prev
    at = clock.utcnow() if at is None else at
    after = conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0]
    text = canonical(payload or {"name": ["新华镇", "旧名"]}).decode("utf-8")
    digest = entry_hash(seq, kind, target, text, None, actor, at, prev, after)
    conn.execute("INSERT INTO ledger (seq, kind, target, payload, reason, actor, recorded_at, prev_hash, hash, "
                 "after_event) VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s, %s)",
                 (seq, kind, target, text, actor, at, prev, digest, after))


# --- the ledger --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("login", [ADMIN, "postgres"])
def test_a_ledger_entry_in_another_name_or_off_the_chain_or_the_clock_is_refused(pcli, login):
    before = _ledger(pcli)
    with _connect(pcli, login) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="another's name"):
            _forge_entry(conn, actor=COORD)
        me = conn.execute("SELECT session_user").fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must extend the ledger"):
            _forge_entry(conn, actor=me, seq_offset=2)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must extend the ledger"):
            _forge_entry(conn, actor=me, prev="f" * 64)
        for skew in (timedelta(days=-1), timedelta(hours=2)):  # back-dated, or in the future
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="recorded now"):
                _forge_entry(conn, actor=me, at=clock.utcnow() + skew)
    assert _ledger(pcli) == before
    assert pcli("audit", "verify", json=True).code == 0
    with _connect(pcli, "postgres") as conn:
        states = {r[0]: r[1] for r in conn.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'ledger'::regclass AND NOT tgisinternal")}
    assert states["ledger_extends_chain"] == "A"  # ENABLE ALWAYS: a replica session does not skip it


def test_coordinator_and_leader_logins_cannot_append_to_the_ledger(pcli):
    for login in (COORD, "lead1"):
        with _connect(pcli, login) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                _forge_entry(conn, actor=login)


# --- checkpoints ------------------------------------------------------------------------------------------


def test_checkpoints_only_grow_and_carry_their_takers_login(pcli):
    taken = pcli.admin("audit", "checkpoint", json=True, ok=True).json
    assert taken["stored"] is True
    rows = pcli.cluster.execute("SELECT id, digest, actor FROM checkpoint", database=pcli.database)
    assert rows == [(1, taken["digest"], ADMIN)]
    with _connect(pcli, ADMIN) as conn:
        for sql in ("UPDATE checkpoint SET digest = repeat('0', 64)", "DELETE FROM checkpoint"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="another's name"):
            conn.execute("INSERT INTO checkpoint (digest, projects, events, heads, at, actor) "
                         "VALUES (repeat('0', 64), 0, 0, '[]', now(), %s)", (COORD,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="future"):
            conn.execute("INSERT INTO checkpoint (digest, projects, events, heads, at, actor) "
                         "VALUES (repeat('0', 64), 0, 0, '[]', now() + interval '1 day', %s)", (ADMIN,))
    with _connect(pcli, "postgres") as conn:  # the owner too
        for sql in ("UPDATE checkpoint SET digest = repeat('0', 64)", "DELETE FROM checkpoint",
                    "TRUNCATE checkpoint"):
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute(sql)
    assert pcli.cluster.execute("SELECT id, digest, actor FROM checkpoint", database=pcli.database) == rows
    assert pcli.admin("audit", "checkpoint", json=True, ok=True).json["stored"] is True  # the program's path


# --- the set-up tables --------------------------------------------------------------------------------------

SETUP_WRITES = [
    ("unit", "UPDATE unit SET name = '改名镇' WHERE code = 'XH'"),
    ("unit", "INSERT INTO unit (code, name, kind, created_at) VALUES ('ZZ', '假镇', 'township', now())"),
    ("app_user", "INSERT INTO app_user (login, role, created_at, created_by, disabled) "
                 "VALUES ('ghost', 'admin', now(), 'admin', false)"),
    ("app_user", "UPDATE app_user SET role = 'admin' WHERE login = 'coord'"),
    ("app_user", "UPDATE app_user SET disabled = true WHERE login = 'lead1'"),
    ("person", "UPDATE person SET cap = 99, level = 'county', active = false WHERE login = 'wang'"),
    ("target", "DELETE FROM target"),
    ("setting", "INSERT INTO setting (key, entry, value, effective_on) VALUES ('lights.followup_red_days', 0, "
                "'999', '2000-01-01')"),
    ("setting", "INSERT INTO setting (key, entry, value) VALUES ('plan_template.x', 0, '{}')"),
    ("rule", "UPDATE rule SET priority = 99, active = false"),
    ("target", "UPDATE target SET signed = 0"),
    # a planted replayed copy would give a county's next bundle figures of its own (docs/city.md)
    ("city_replica", "INSERT INTO city_replica (county, sha256, schema_revision, events, content) "
                     "VALUES ('XX', repeat('0', 64), '0016/1', 0, '\\x00'::bytea)"),
]


def _setup_rows(pcli) -> dict:
    out = {}
    for table in ("unit", "app_user", "person", "setting", "rule", "target"):
        out[table] = pcli.cluster.execute(f"SELECT * FROM {table} ORDER BY 1, 2", database=pcli.database)
    return out


def _with_rules_and_targets(pcli) -> None:
    pcli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key", ok=True)
    pcli.admin("targets", "set", "XH", "2026", "--signed", "2", "--reason", "年度目标", ok=True)


@pytest.mark.parametrize("login", [ADMIN, COORD, "lead1", "postgres"])
def test_no_login_changes_a_setup_table_without_a_ledger_entry(pcli, login):
    """The admin login has the grants (and the owner every privilege): the deferred trigger refuses at
    commit; coordinator and leader logins have no grant at all."""
    _with_rules_and_targets(pcli)
    before, ledger = _setup_rows(pcli), _ledger(pcli)
    for table, sql in SETUP_WRITES:
        with _connect(pcli, login) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
                conn.execute(sql)
            if login == "postgres" or (login == ADMIN and not sql.startswith("DELETE")):  # (no DELETE grant)
                assert "set-up ledger" in str(info.value), (table, str(info.value))
    # a session that defers nothing to commit is refused all the same (SET CONSTRAINTS only runs it sooner)
    with _connect(pcli, login, autocommit=False) as conn:
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(SETUP_WRITES[0][1])
        conn.rollback()
    assert _setup_rows(pcli) == before and _ledger(pcli) == ledger
    assert pcli("audit", "verify", json=True).code == 0


def test_the_setup_guards_hold_in_a_replica_session(pcli):
    """ENABLE ALWAYS: ``session_replication_role = replica`` skips none of them."""
    with _connect(pcli, "postgres") as conn:
        states = dict(conn.execute(
            "SELECT c.relname || '.' || t.tgname, t.tgenabled::text FROM pg_trigger t JOIN pg_class c "
            "ON c.oid = t.tgrelid WHERE t.tgname LIKE '%_through_ledger' OR c.relname = 'checkpoint' "
            "AND NOT t.tgisinternal").fetchall())
        assert set(states.values()) == {"A"} and "app_user.app_user_through_ledger" in states
        from workflow.container import SETUP_TABLES

        assert "checkpoint.checkpoint_guard" in states and "city_replica.city_replica_through_ledger" in states
        assert len(states) == len(SETUP_TABLES) + 2  # every set-up table's guard, the checkpoint's two
        conn.execute("SET session_replication_role = replica")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="set-up ledger"):
            conn.execute("UPDATE app_user SET role = 'admin' WHERE login = 'coord'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="another's name"):
            _forge_entry(conn, actor=ADMIN)
    users = {u["login"]: u["role"] for u in pcli("users", "list", json=True, ok=True).json["users"]}
    assert users[COORD] == "coordinator"


def test_a_ledger_entry_in_another_transaction_or_name_does_not_open_the_tables(pcli):
    with _connect(pcli, ADMIN) as conn:
        _forge_entry(conn, actor=ADMIN)  # committed on its own: the next transaction has no entry
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="set-up ledger"):
            conn.execute("UPDATE unit SET name = '改名镇' WHERE code = 'XH'")
    assert pcli.cluster.execute("SELECT name FROM unit WHERE code = 'XH'", database=pcli.database) == [("新华镇",)]


def test_a_direct_change_with_its_own_ledger_entry_is_on_the_record(pcli):
    """What the database lets through is in the ledger in the session login's name: the admin who
    appends an entry of their own may change the table in that transaction, and the entry names them."""
    with _connect(pcli, ADMIN, autocommit=False) as conn:
        conn.execute("UPDATE unit SET name = '改名镇' WHERE code = 'XH'")
        _forge_entry(conn, actor=ADMIN, payload={"name": ["新华镇", "改名镇"]})
        conn.commit()
    last = _ledger(pcli)[-1]
    assert last[1:] == ("unit_edited", ADMIN)


def test_every_setup_command_writes_one_entry_in_the_logins_name(pcli):
    """The program's own writes pass the guard: each set-up command appends its entry in the same
    transaction as its rows."""
    commands = [
        (("units", "add", "NEW", "--name", "新区"), "unit_added"),
        (("units", "edit", "NEW", "--name", "新区二"), "unit_edited"),
        (("people", "add", "li", "--name", "李书记", "--level", "county"), "person_added"),
        (("people", "edit", "li", "--cap", "3"), "person_edited"),
        (("users", "add", "zhou", "--role", "coordinator"), "user_added"),
        (("users", "edit", "zhou", "--role", "leader"), "user_role"),
        (("users", "disable", "zhou"), "user_disabled"),
        (("users", "enable", "zhou"), "user_enabled"),
        (("targets", "set", "XH", "2026", "--signed", "2", "--reason", "年度目标"), "target_set"),
        (("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key"), "rule_version"),
        (("rules", "edit", "1", "--priority", "2"), "rule_version"),
        (("lights", "set", "followup_red_days=45", "--reason", "county rule"), "setting"),
        (("plan", "templates", "set", "energy", "--break-ground-to-commission", "100"), "setting"),
    ]
    for args, kind in commands:
        before = _ledger(pcli)
        pcli.admin(*args, ok=True)
        after = _ledger(pcli)
        assert after[:-1] == before and after[-1][1:] == (kind, ADMIN), (args, after[-1])
    assert pcli("audit", "verify", json=True).code == 0


# --- logins -------------------------------------------------------------------------------------------------


def test_users_add_makes_no_table_owner_or_foreign_role_a_login(pcli):
    with _connect(pcli, "postgres") as conn:
        conn.execute("DROP ROLE IF EXISTS tables_owner")
        conn.execute("CREATE ROLE tables_owner NOLOGIN")
        conn.execute("CREATE TABLE owned_by_it (x int)")
        conn.execute("ALTER TABLE owned_by_it OWNER TO tables_owner")
        conn.execute("DROP ROLE IF EXISTS owning_login")
        conn.execute("CREATE ROLE owning_login LOGIN")
        conn.execute("CREATE SCHEMA IF NOT EXISTS side AUTHORIZATION owning_login")
    res = pcli.admin("users", "add", "tables_owner", "--role", "admin", json=True)
    assert res.code == 6 and "cannot log in" in res.json["error"]["message"]
    res = pcli.admin("users", "add", "owning_login", "--role", "coordinator", json=True)
    assert res.code == 6 and "owns database objects" in res.json["error"]["message"]
    rows = pcli.cluster.execute("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN "
                                "('tables_owner', 'owning_login') ORDER BY 1")
    assert rows == [("owning_login", True), ("tables_owner", False)]
    mine = list(group_names(pcli.database).values())
    members = pcli.cluster.execute(
        "SELECT u.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u "
        "ON u.oid = m.member WHERE g.rolname = ANY(%s) AND u.rolname IN ('tables_owner', 'owning_login')", (mine,))
    assert members == []
    users = {u["login"] for u in pcli("users", "list", json=True, ok=True).json["users"]}
    assert not users & {"tables_owner", "owning_login"}
    # the owner's direct path (init) refuses them too
    from workflow import pgroles
    from workflow.errors import NotAllowed

    engine = create_engine(pcli.url_for(None))
    try:
        for role in ("tables_owner", "owning_login"):
            with pytest.raises(NotAllowed):
                pgroles.grant_role(engine, role, "admin")
    finally:
        engine.dispose()
    with _connect(pcli, "postgres") as conn:
        conn.execute("DROP TABLE owned_by_it")
        conn.execute("DROP SCHEMA side")


def test_init_on_an_initialised_database_makes_no_one_admin(pcli):
    ledger = _ledger(pcli)
    assert ledger[0][1:] == ("user_added", "postgres")  # the first admin, by the owner who ran init
    for actor in (None, ADMIN):
        res = pcli("init", "--admin", "newboss", actor=actor, json=True)
        assert res.code == 6, res.out + res.err
        res = pcli("init", "--admin", COORD, actor=actor, json=True)
        assert res.code == 6
    assert pcli.cluster.execute("SELECT 1 FROM pg_roles WHERE rolname = 'newboss'") == []
    users = {u["login"]: u["role"] for u in pcli("users", "list", json=True, ok=True).json["users"]}
    assert "newboss" not in users and users[COORD] == "coordinator"
    from workflow import pgroles

    engine = create_engine(pcli.url_for(None))
    try:
        assert pgroles.group_of(engine, COORD) == ["coordinator"]  # not left in (or moved to) another group
    finally:
        engine.dispose()
    assert _ledger(pcli) == ledger
    assert pcli("init", "--admin", ADMIN, actor=None, json=True, ok=True).json["admin_created"] is False


# --- group roles per database --------------------------------------------------------------------------------


def test_two_counties_in_one_cluster_keep_their_groups_apart(pcli, pg_cluster):
    other = PgCli(pg_cluster, pg_cluster.new_database())
    try:
        populate(other)
        mine, theirs = group_names(pcli.database), group_names(other.database)
        assert set(mine.values()).isdisjoint(theirs.values())
        pcli.admin("users", "add", "shared", "--role", "coordinator", ok=True)
        other.admin("users", "add", "shared", "--role", "auditor", ok=True)
        pcli.admin("users", "edit", "shared", "--role", "admin", ok=True)
        from workflow import pgroles

        for c, want in ((pcli, ["admin"]), (other, ["auditor"])):
            engine = create_engine(c.url_for(None))
            try:
                assert pgroles.group_of(engine, "shared") == want
            finally:
                engine.dispose()
        # the admin of one county is nobody in the other: it may read there (the test cluster makes a
        # login unknown to a database its auditor) and write nothing
        res = other("units", "add", "X1", "--name", "某镇", actor="shared", json=True)
        assert res.code == 6
        with _connect(other, "shared") as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("INSERT INTO unit (code, name, kind, created_at) VALUES ('X2', 'x', 'township', now())")
    finally:
        pg_cluster.drop_database(other.database)


def test_an_upgraded_cluster_moves_its_logins_off_the_cluster_wide_groups(pg_cluster):
    """A database of schema 0008 whose logins are in the cluster-wide groups of earlier versions:
    the migration to 0010 gives them this database's groups and takes every privilege here from the
    old ones."""
    from workflow import db as dbm

    name = f"up_{uuid.uuid4().hex[:8]}"
    pg_cluster.execute(f"CREATE DATABASE {name}")
    engine = create_engine(pg_cluster.url(name))
    try:
        dbm.upgrade(engine, "0008")
        with pg_cluster.connect(name) as conn:
            for role in ("admin", "coordinator", "leader", "auditor"):
                if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (f"pipeline_{role}",)).fetchone():
                    conn.execute(f"CREATE ROLE pipeline_{role} NOLOGIN")
            conn.execute("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO pipeline_admin")
            conn.execute("DROP ROLE IF EXISTS old_admin")
            conn.execute("CREATE ROLE old_admin LOGIN")
            conn.execute("GRANT pipeline_admin TO old_admin")
            conn.execute("INSERT INTO app_user (login, role, created_at, created_by, disabled) "
                         "VALUES ('old_admin', 'admin', now(), 'postgres', false)")
        dbm.upgrade(engine)
        mine = group_names(name)
        with pg_cluster.connect(name) as conn:
            member = conn.execute("SELECT pg_has_role('old_admin', %s, 'MEMBER')", (mine["admin"],)).fetchone()[0]
            assert member is True
            for privilege in ("SELECT", "INSERT", "UPDATE"):
                assert conn.execute("SELECT has_table_privilege('pipeline_admin', 'unit', %s)",
                                    (privilege,)).fetchone()[0] is False
            assert conn.execute("SELECT has_table_privilege(%s, 'unit', 'INSERT')",
                                (mine["admin"],)).fetchone()[0] is True
        url = pg_cluster.url(name, "old_admin")
        assert invoke(["units", "add", "UP", "--name", "升级镇", "--json"], db=url).code == 0
    finally:
        engine.dispose()
        pg_cluster.drop_database(name)
        pg_cluster.execute("DROP ROLE IF EXISTS old_admin")


# --- lock waits ----------------------------------------------------------------------------------------------


def test_a_held_table_lock_makes_others_exit_busy_instead_of_freezing(pcli, monkeypatch):
    pcli("project", "add", "--name", "东安金矿", "--investor", "东安矿业", "--industry", "mining",
         "--investment", "3亿", "--unit", "XH", ok=True)
    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "1")
    with _connect(pcli, COORD, autocommit=False) as holder:
        holder.execute("LOCK TABLE project IN ACCESS EXCLUSIVE MODE")
        started = clock.utcnow()
        res = pcli("project", "list", json=True)
        assert res.code == 5 and res.json["error"]["code"] == "database_busy", res.out + res.err
        res = pcli("advance", "P-0001", "submit", json=True)
        assert res.code == 5 and res.json["error"]["code"] == "database_busy"
        assert clock.utcnow() - started < timedelta(seconds=30)
        holder.rollback()
    assert [e["kind"] for e in pcli("history", "P-0001", json=True, ok=True).json["events"]] == ["registered"]


def test_a_held_ledger_lock_makes_setup_commands_exit_busy_writing_nothing(pcli, monkeypatch):
    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "1")
    before = _ledger(pcli)
    with _connect(pcli, ADMIN, autocommit=False) as holder:
        holder.execute(f"SELECT pg_advisory_xact_lock({LEDGER_LOCK})")
        res = pcli.admin("units", "add", "NEW", "--name", "新区", json=True)
        assert res.code == 5 and res.json["error"]["code"] == "database_busy", res.out + res.err
        holder.rollback()
    assert _ledger(pcli) == before
    assert all(u["code"] != "NEW" for u in pcli("units", "list", json=True, ok=True).json["units"])


def test_the_timeouts_follow_pipeline_busy_timeout(monkeypatch):
    from workflow import db as dbm

    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "2.5")
    assert dbm.postgres_timeouts() == f"-c lock_timeout=2500 -c statement_timeout={2500 + dbm.STATEMENT_GRACE_MS}"
    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "0")  # 0 is "do not wait", never PostgreSQL's "for ever"
    assert dbm.postgres_timeouts().startswith("-c lock_timeout=1 ")

