"""Errors that say what happened (docs/text-and-errors.md): a busy, damaged, read-only or foreign database, an unknown
URL scheme, a login without grants; never a traceback, never SQL or its parameters."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import Cli, invoke, populate


def _no_sql(text: str) -> None:
    for word in (" FROM ", "INSERT INTO", "UPDATE project", "[SQL:", "[parameters:", "Traceback", "sqlalche.me"):
        assert word not in text, text


@pytest.fixture
def sq(tmp_path) -> Cli:
    c = populate(Cli(str(tmp_path / "p.db")))
    c("project", "add", "--name", "风电", "--investor", "i", "--industry", "x", "--investment", "2e8",
      "--unit", "XH", ok=True)
    return c


def test_a_busy_database_exits_5_saying_how_long_it_was_held(sq, monkeypatch):
    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "0.5")
    holder = sqlite3.connect(sq.db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = sq("followup", "add", "P-0001", "visit")
        rj = sq("followup", "add", "P-0001", "visit", json=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.code == 5, r.err
    assert "the database is busy: another program has held it for 0.5 s" in r.err
    assert rj.code == 5 and rj.json["error"]["code"] == "database_busy"
    _no_sql(r.err + rj.out)
    assert len(sq("history", "P-0001", json=True, ok=True).json["events"]) == 1  # nothing was written


def test_the_waiting_notice_is_called_after_a_second(sq):
    """On a terminal the command line sets ``WAIT_NOTICE``; the engine calls it once it has waited."""
    import threading
    import time

    from workflow import db

    called = threading.Event()
    db.WAIT_NOTICE = called.set
    try:
        engine = db.make_engine(f"sqlite:///{sq.db}")
        holder = sqlite3.connect(sq.db, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        threading.Timer(1.5, lambda: holder.execute("ROLLBACK")).start()
        start = time.monotonic()
        with engine.begin():
            pass
        assert time.monotonic() - start >= 1.0
        assert called.is_set()
        called.clear()
        with engine.begin():  # no wait, no notice
            pass
        assert not called.is_set()
        engine.dispose()
        holder.close()
    finally:
        db.WAIT_NOTICE = None


@pytest.mark.parametrize("content", [b"hello, this is a text file and not a database\n" * 20, "truncated"])
def test_not_a_database_or_truncated_exits_2_with_the_path_and_verify_7(sq, tmp_path, content):
    bad = tmp_path / "bad.db"
    if content == "truncated":
        with open(sq.db, "rb") as fh:
            bad.write_bytes(fh.read()[:3000])
    else:
        bad.write_bytes(content)
    for args in (["project", "list"], ["history", "P-0001"], ["followup", "add", "P-0001", "x"]):
        r = invoke(args, db=str(bad))
        assert r.code == 2, (args, r.code, r.err)
        assert str(bad) in r.err and "not a pipeline database" in r.err
        _no_sql(r.err)
    r = invoke(["audit", "verify"], db=str(bad))
    assert r.code == 7 and str(bad) in r.err, r.err
    r = invoke(["audit", "verify", "--json"], db=str(bad))
    assert r.code == 7 and '"not_pipeline_database"' in r.out


def test_an_unknown_url_scheme_lists_the_supported_ones():
    r = invoke(["project", "list"], db="mysql://u@h/db")
    assert r.code == 2
    assert "'mysql'" in r.err and "sqlite:///PATH" in r.err and "postgresql+psycopg://" in r.err


@pytest.mark.parametrize("args", [["project", "list"], ["city", "board"], ["audit", "verify"],
                                  ["followup", "add", "P-0001", "note"]])
def test_a_database_file_that_does_not_exist_is_not_initialised_and_is_not_created(tmp_path, args):
    """A command on an SQLite file that is not there says the database is not initialised (exit 2),
    and leaves no file behind; ``init`` creates it."""
    missing = tmp_path / "none.db"
    r = invoke(args, db=str(missing))
    assert r.code == 2 and "not initialised" in r.err, (r.out, r.err)
    assert list(tmp_path.iterdir()) == []
    assert invoke(["init"], db=str(missing)).code == 0 and missing.exists()


def test_a_read_only_database_reads_and_refuses_writes_with_exit_6(sq):
    ro = f"sqlite:///file:{sq.db}?mode=ro&uri=true"
    for args in (["project", "list"], ["history", "P-0001"], ["audit", "log"], ["board"]):
        r = invoke(args, db=ro)
        assert r.code == 0, (args, r.err)
    r = invoke(["followup", "add", "P-0001", "x"], db=ro)
    assert r.code == 6 and "read-only" in r.err and "reading works" in r.err, r.err
    _no_sql(r.err)


def test_a_read_only_error_from_sqlite_maps_to_exit_6(tmp_path):
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    from cli.app import _database_error

    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("create table t(a)").connection.commit()
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        conn.execute(text("insert into t values (1)"))
    mapped = _database_error(info.value)
    assert mapped is not None and mapped.exit_code == 6 and "INSERT" not in mapped.message
    engine.dispose()


def test_init_refuses_a_database_holding_other_tables_unless_forced(tmp_path):
    path = tmp_path / "crm.db"
    con = sqlite3.connect(path)
    con.execute("create table customers(id integer)")
    con.commit()
    con.close()
    r = invoke(["init"], db=str(path))
    assert r.code == 2 and "customers" in r.err and "--force" in r.err
    con = sqlite3.connect(path)
    assert [n for (n,) in con.execute("select name from sqlite_master where type='table'")] == ["customers"]
    con.close()
    assert invoke(["init", "--force"], db=str(path)).code == 0
    assert invoke(["project", "list"], db=str(path)).code == 0


def test_internal_errors_never_show_sql_or_parameters(sq, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from cli import app

    exc = IntegrityError("INSERT INTO project (name) VALUES (?)", ("secret-parameter",), Exception("boom"))
    r_code = app._internal(exc, json_mode=False)
    assert r_code == 1
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        from cli import context

        context.reset()
        app._internal(exc, json_mode=False)
    assert "boom" in err.getvalue() and "secret-parameter" not in err.getvalue() and "INSERT" not in err.getvalue()


def test_permission_denied_names_the_privilege():
    from sqlalchemy.exc import ProgrammingError

    from cli.app import _database_error

    exc = ProgrammingError("SELECT version_num FROM alembic_version", {},
                           Exception("permission denied for table alembic_version"))
    mapped = _database_error(exc)
    assert mapped is not None and mapped.exit_code == 6
    assert "SELECT privilege on alembic_version" in mapped.message and "FROM" not in mapped.message


def test_a_postgresql_login_without_grants_exits_6_naming_the_privilege(cli):
    if cli.engine_kind != "postgres":
        pytest.skip("grants are PostgreSQL's")
    from sqlalchemy import create_engine, text

    cli("project", "list", actor="nogrants", ok=True)  # the login exists; the test cluster lets it read
    from workflow.pgroles import group_names

    owner = create_engine(cli.url_for(None))
    with owner.begin() as conn:  # now it is a login without any grant
        conn.execute(text(f'REVOKE "{group_names(cli.database)["auditor"]}" FROM nogrants'))
    owner.dispose()
    r = cli("project", "list", actor="nogrants")
    assert r.code == 6, (r.code, r.err)
    assert "privilege" in r.err and "SELECT" in r.err and "not initialised" not in r.err
    _no_sql(r.err)
    rj = cli("project", "list", actor="nogrants", json=True)
    assert rj.code == 6 and rj.json["error"]["code"] == "database_privilege_missing"
