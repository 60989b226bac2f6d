"""``audit verify`` checks the container before the contents (docs/audit.md, "What verify trusts"): on
SQLite ``PRAGMA integrity_check`` (a damaged page, an index that disagrees with its table); on
PostgreSQL the schema exactly as the migrations made it (no row-level security, policy, rule, extra
or disabled trigger, view in place of a table, foreign grant or owner).  Each makes verify exit 7
naming what it found; a fresh database passes (every other verify test)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from tests.test_verify_replay import _engine, county  # noqa: F401  (the fixture)


def container_failures(cli) -> list[dict]:
    res = cli("audit", "verify", json=True)
    assert res.code == 7, res.out + res.err
    assert "Traceback" not in res.err
    found = [f for f in res.json["failures"] if f["code"] == "database"]
    assert found, res.json["failures"]
    return found


# --- SQLite ----------------------------------------------------------------------------------------

INDEX = "ix_capital_arrival_effective_on"


@pytest.mark.sqlite_only
def test_an_index_that_disagrees_with_its_table_fails_verify(county):  # noqa: F811
    """The insider's trick: the date index of capital arrivals says another day than the table, so a
    report that looks the arrivals up by date misses one while every scan of the table (verify's)
    reads it right."""
    path = county.db
    con = sqlite3.connect(path)
    rowid, on = con.execute("SELECT id, effective_on FROM capital_arrival").fetchone()
    triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = 'capital_arrival'").fetchall()
    for name, _sql in triggers:
        con.execute(f"DROP TRIGGER {name}")
    con.execute("UPDATE capital_arrival SET effective_on = '2001-01-01' WHERE id = ?", (rowid,))  # index follows
    con.commit()
    index = con.execute("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master WHERE name = ?",
                        (INDEX,)).fetchone()
    con.execute("PRAGMA writable_schema = ON")
    con.execute("DELETE FROM sqlite_master WHERE name = ?", (INDEX,))  # the index out of sight ...
    con.commit()
    con.close()
    con = sqlite3.connect(path)
    con.execute("UPDATE capital_arrival SET effective_on = ? WHERE id = ?", (on, rowid))  # ... not updated
    con.commit()
    con.execute("PRAGMA writable_schema = ON")
    con.execute("INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES (?, ?, ?, ?, ?)", index)
    con.commit()
    con.close()
    con = sqlite3.connect(path)
    for _name, sql in triggers:
        con.execute(sql)
    con.commit()
    by_index = con.execute(f"SELECT count(*) FROM capital_arrival INDEXED BY {INDEX} "
                           "WHERE effective_on = ?", (on,)).fetchone()[0]
    by_scan = con.execute("SELECT count(*) FROM capital_arrival NOT INDEXED WHERE effective_on = ?",
                          (on,)).fetchone()[0]
    con.close()
    assert (by_index, by_scan) == (0, 1)  # the arrival is hidden from a lookup by date
    found = container_failures(county)
    assert any(f["table"] == INDEX for f in found), found


@pytest.mark.sqlite_only
def test_a_damaged_page_fails_verify(county):  # noqa: F811
    path = county.db
    con = sqlite3.connect(path)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_event_actor'").fetchone()[0]
    con.close()
    with open(path, "r+b") as f:  # scribble over the middle of one index page
        f.seek((root - 1) * page_size + 8)
        f.write(b"\xff" * 64)
    found = container_failures(county)
    assert all(f["field"] == "integrity" for f in found)


# --- PostgreSQL ------------------------------------------------------------------------------------

_FN = ("CREATE FUNCTION pipeline_test_noop() RETURNS trigger LANGUAGE plpgsql AS "
       "$$ BEGIN RETURN NEW; END $$")

PG_TAMPERS = {
    "row-level security policy": (["ALTER TABLE capital_arrival ENABLE ROW LEVEL SECURITY",
                                   "CREATE POLICY phantom ON capital_arrival USING (true)"],
                                  "capital_arrival", {"policy", "row_security"}),
    "policy alone": (["CREATE POLICY phantom ON capital_arrival USING (true)"], "capital_arrival", {"policy"}),
    "rule": (["CREATE RULE keep_head AS ON UPDATE TO project DO INSTEAD NOTHING"], "project", {"rule"}),
    "disabled trigger": (["ALTER TABLE event DISABLE TRIGGER event_extends_chain"], "event", {"trigger"}),
    "trigger enabled on origin only": (["ALTER TABLE ledger ENABLE TRIGGER ledger_no_update_delete"], "ledger",
                                       {"trigger"}),
    "extra trigger": ([_FN, "CREATE TRIGGER sneak BEFORE INSERT ON capital_arrival FOR EACH ROW "
                            "EXECUTE FUNCTION pipeline_test_noop()"], "capital_arrival", {"trigger"}),
    "view in place of a table": (["ALTER TABLE capital_arrival RENAME TO capital_arrival_real",
                                  "CREATE VIEW capital_arrival AS SELECT * FROM capital_arrival_real"],
                                 "capital_arrival", {"kind"}),
    "extra grant": (["GRANT UPDATE ON event TO pipeline_coordinator"], "event", {"grant"}),
    "grant to PUBLIC": (["GRANT INSERT ON capital_arrival TO PUBLIC"], "capital_arrival", {"grant"}),
    "a login owns a table": (["ALTER TABLE project OWNER TO coord"], "project", {"owner"}),
    "a table in another schema": (["CREATE SCHEMA shadow", "CREATE TABLE shadow.capital_arrival (x int)"],
                                  "capital_arrival", {"schema"}),
    "extra index": (["CREATE INDEX sneak_ix ON followup (note)"], "followup", {"index"}),
    "extra column": (["ALTER TABLE project ADD COLUMN sneak text"], "project", {"column"}),
}


@pytest.mark.postgres
@pytest.mark.parametrize("what", list(PG_TAMPERS))
def test_a_schema_change_fails_verify(county, what):  # noqa: F811
    if county.engine_kind != "postgres":
        pytest.skip("PostgreSQL's schema")
    statements, table, fields = PG_TAMPERS[what]
    engine = _engine(county)  # the superuser
    try:
        with engine.begin() as conn:
            from workflow import pgroles

            group = pgroles.groups(conn)["coordinator"]  # the database's own coordinator group
            for stmt in statements:
                conn.execute(text(stmt.replace("pipeline_coordinator", group)))
    finally:
        engine.dispose()
    found = container_failures(county)
    assert any(f["table"] == table and f["field"] in fields for f in found), found
    assert county("audit", "checkpoint", json=True).code == 7  # nor is a checkpoint taken


@pytest.mark.postgres
def test_the_trigger_list_is_what_the_migrations_create(county):  # noqa: F811
    if county.engine_kind != "postgres":
        pytest.skip("PostgreSQL's schema")
    from workflow import container

    engine = _engine(county)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.relname, g.tgname, g.tgenabled FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                "WHERE NOT g.tgisinternal AND c.relnamespace = current_schema()::regnamespace")).all()
    finally:
        engine.dispose()
    found: dict[str, dict[str, str]] = {}
    for table, trigger, enabled in rows:
        found.setdefault(table, {})[trigger] = enabled
    assert found == container.PG_TRIGGERS


# --- the digest of nothing --------------------------------------------------------------------------

GENESIS = "0" * 64


def test_the_genesis_digest_is_refused_on_history(county):  # noqa: F811
    res = county("audit", "verify", "--digest", GENESIS, json=True)
    assert res.code == 2, res.out + res.err
    assert "all-zero" in res.json["error"]["message"]


def test_a_stored_genesis_checkpoint_claiming_history_fails(county):  # noqa: F811
    from tests.test_verify_replay import tamper

    tamper(county, text("INSERT INTO checkpoint(digest, projects, events, heads, at, actor) "
                        "VALUES (:d, 1, 12, '[]', :at, 'admin')").bindparams(d=GENESIS, at=_now()))
    res = county("audit", "verify", json=True)
    assert res.code == 7, res.out
    assert any(f["table"] == "checkpoint" and f["field"] == "digest" for f in res.json["failures"])


def _now():
    from workflow import clock

    return clock.utcnow()
