"""The store: migrations match the models, the schema check, SQLite settings, append-only history."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from tests.conftest import Cli


def test_models_and_migrations_do_not_drift(tmp_path):
    """The equivalent of `alembic check`: upgrading to head leaves nothing to autogenerate."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    from workflow.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'drift.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_core_tables_are_generated_from_the_models():
    """workflow/tables.py (what the running program uses) is exactly what `python -m workflow.models`
    writes today: regenerate it after changing a model."""
    from pathlib import Path

    import workflow.models
    import workflow.tables

    current = Path(workflow.tables.__file__).read_text(encoding="utf-8")
    assert current == workflow.models.core_source(), "run `python -m workflow.models` to regenerate workflow/tables.py"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_core_tables_give_the_models_ddl_and_defaults(dialect):
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable
    from sqlmodel import SQLModel

    import workflow.models  # noqa: F401  (registers the classes)
    from workflow.tables import metadata

    d = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}[dialect]

    def ddl(md):
        out = []
        for t in md.sorted_tables:
            out.append(str(CreateTable(t).compile(dialect=d)))
            out += sorted(str(CreateIndex(i).compile(dialect=d)) for i in t.indexes)
        return out

    def columns(md):
        return {(t.name, c.name): (c.primary_key, c.nullable, c.autoincrement,
                                   None if c.default is None else c.default.arg, str(c.type.compile(dialect=d)))
                for t in md.tables.values() for c in t.columns}

    assert ddl(metadata) == ddl(SQLModel.metadata)
    assert columns(metadata) == columns(SQLModel.metadata)
    assert list(metadata.tables) == list(SQLModel.metadata.tables)


def test_core_datetimes_come_back_aware_in_utc(tmp_path):
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import create_engine, insert, select

    from workflow.tables import metadata, setting, unit

    engine = create_engine(f"sqlite:///{tmp_path / 'tz.db'}")
    metadata.create_all(engine, tables=[unit, setting])
    beijing = timezone(timedelta(hours=8))
    with engine.begin() as conn:
        at = datetime(2026, 3, 1, 8, 0, tzinfo=beijing)
        conn.execute(insert(unit).values(code="XH", name="新华镇", created_at=at))
        got = conn.execute(select(unit.c.created_at, unit.c.kind)).one()
        assert got == (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), "township")
        with pytest.raises(Exception, match="time zone"):
            conn.execute(insert(unit).values(code="FGW", name="发改局", created_at=datetime(2026, 3, 1)))


def test_schema_head_constant_matches_alembic_head():
    from alembic.script import ScriptDirectory

    from workflow.db import REVISIONS, SCHEMA_HEAD, alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_current_head() == SCHEMA_HEAD
    assert [r.revision for r in reversed(list(script.walk_revisions()))] == list(REVISIONS)


def test_schema_behind_and_ahead_are_refused(cli):
    con = sqlite3.connect(cli.db)
    con.execute("UPDATE alembic_version SET version_num = 'ffff'")
    con.commit()
    res = cli("project", "list", json=True)
    assert res.code == 2 and "newer than this program" in res.json["error"]["message"]
    from workflow import db as dbm

    assert dbm.schema_state(dbm.SCHEMA_HEAD) == "current"
    assert dbm.schema_state(None) == "missing"
    assert dbm.schema_state("ffff") == "ahead"
    con.execute("DELETE FROM alembic_version")
    con.commit()
    res = cli("project", "list", json=True)
    assert res.code == 2 and "pipeline init" in res.json["error"]["message"]


def test_behind_names_upgrade(monkeypatch, cli):
    from workflow import db as dbm

    monkeypatch.setattr(dbm, "REVISIONS", (*dbm.REVISIONS, "0099"))  # a revision newer than the database's
    monkeypatch.setattr(dbm, "SCHEMA_HEAD", "0099")
    with pytest.raises(dbm.SchemaMismatch, match="pipeline db upgrade"):
        dbm.check_schema(dbm.make_engine(f"sqlite:///{cli.db}"))


def test_sqlite_settings(cli):
    from workflow.db import make_engine

    engine = make_engine(f"sqlite:///{cli.db}")
    with engine.connect() as conn:
        got = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in
               ("journal_mode", "foreign_keys", "busy_timeout", "recursive_triggers", "synchronous")}
    assert got == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 60000, "recursive_triggers": 1,
                   "synchronous": 2}
    # engine.begin() takes the write lock at once (BEGIN IMMEDIATE), before any statement: another
    # writer cannot start; a read engine (write=False) begins deferred and takes no lock.
    with engine.begin() as conn:
        assert conn.connection.dbapi_connection.in_transaction
        other = sqlite3.connect(cli.db, isolation_level=None, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        conn.execute(text("SELECT 1"))
    other.execute("BEGIN IMMEDIATE")  # released at the end of the block
    other.execute("ROLLBACK")
    reader = make_engine(f"sqlite:///{cli.db}", write=False)
    with reader.begin() as conn:
        assert conn.connection.dbapi_connection.in_transaction
        other.execute("BEGIN IMMEDIATE")  # a deferred read transaction holds no write lock
        other.execute("ROLLBACK")
    reader.dispose()
    # a second writer waits on BEGIN IMMEDIATE instead of failing at COMMIT
    raw = sqlite3.connect(cli.db, isolation_level=None, timeout=0.1)
    raw.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other = sqlite3.connect(cli.db, isolation_level=None, timeout=0.1)
        other.execute("BEGIN IMMEDIATE")
    raw.execute("ROLLBACK")


def _first_event(db):
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA recursive_triggers=ON")
    return con, con.execute("SELECT id, project_id, seq, hash FROM event ORDER BY id LIMIT 1").fetchone()


@pytest.fixture
def with_event(cli):
    cli("project", "add", "--name", "东安金矿", "--investor", "东安矿业", "--industry", "mining", "--investment", "3亿",
        "--unit", "XH", ok=True)
    return cli


def test_history_update_refused(with_event):
    con, (eid, _pid, _seq, _h) = _first_event(with_event.db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE event SET reason = 'x' WHERE id = ?", (eid,))


def test_history_delete_refused(with_event):
    con, (eid, _pid, _seq, _h) = _first_event(with_event.db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM event WHERE id = ?", (eid,))


def test_history_insert_or_replace_refused(with_event):
    con, (eid, pid, seq, h) = _first_event(with_event.db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute(
            "INSERT OR REPLACE INTO event (id, project_id, seq, kind, effective_on, recorded_at, actor, payload,"
            " prev_hash, hash) VALUES (?, ?, ?, 'forged', '2026-01-01', '2026-01-01 00:00:00', 'x', '{}', ?, ?)",
            (eid, pid, seq, "0" * 64, h))
    assert con.execute("SELECT kind FROM event WHERE id = ?", (eid,)).fetchone() == ("registered",)


def test_project_codes_are_never_reused(tmp_path):
    c = Cli(str(tmp_path / "codes.db"))
    c("init", actor="admin", ok=True)
    c.admin("units", "add", "XH", "--name", "x", ok=True)
    for _ in range(3):
        c.admin("project", "add", "--name", "a", "--investor", "b", "--industry", "c", "--investment", "1",
                "--unit", "XH", "--allow-duplicate", ok=True)
    con = sqlite3.connect(c.db)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("DROP TRIGGER event_no_delete")
    con.execute("DELETE FROM event WHERE project_id = 3")
    con.execute("DELETE FROM project WHERE id = 3")
    con.commit()
    res = c.admin("project", "add", "--name", "a", "--investor", "b", "--industry", "c", "--investment", "1",
                  "--unit", "XH", "--allow-duplicate", json=True, ok=True)
    assert res.json["code"] == "P-0004"
