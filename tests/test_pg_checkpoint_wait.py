"""PostgreSQL: ``audit checkpoint`` waits only for transactions that may still add events to this
database's history, not for readers, other tables' writers or other databases' transactions."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine

from tests.conftest import ADMIN, PgCli, populate
from workflow import snapshot
from workflow.errors import Conflict

pytestmark = pytest.mark.postgres


@pytest.fixture
def pcli(pg_cluster, pg_database) -> PgCli:
    c = populate(PgCli(pg_cluster, pg_database))
    c("project", "add", "--name", "东安金矿", "--investor", "东安矿业", "--industry", "mining", "--investment",
      "3亿", "--unit", "XH", ok=True)
    return c


def _wait(pcli, timeout: float) -> None:
    engine = create_engine(pcli.url_for(ADMIN))
    try:
        with snapshot.snapshot_connection(engine) as conn:
            snapshot.wait_for_clean_prefix(conn, timeout=timeout)
            conn.rollback()
    finally:
        engine.dispose()


def test_an_open_transaction_in_another_database_does_not_hold_up_a_checkpoint(pcli, pg_cluster):
    other = pg_cluster.new_database()
    try:
        with psycopg.connect(host="127.0.0.1", port=pg_cluster.port, dbname=other, user="postgres") as elsewhere:
            elsewhere.execute("CREATE TABLE IF NOT EXISTS scratch (x int)")
            elsewhere.execute("INSERT INTO scratch VALUES (1)")  # an open transaction with an xid
            with psycopg.connect(host="127.0.0.1", port=pg_cluster.port, dbname=pcli.database,
                                 user="postgres") as reader:
                reader.execute("SELECT count(*) FROM event").fetchone()  # an idle reader here
                reader.execute("INSERT INTO setting(key, value) VALUES ('x', '1')")  # a writer of another table
                _wait(pcli, timeout=2)
                res = pcli.admin("audit", "checkpoint", json=True)
                assert res.code == 0, res.out
                reader.rollback()
            elsewhere.rollback()
    finally:
        pg_cluster.drop_database(other)


def test_a_writer_of_this_history_is_waited_for(pcli, pg_cluster):
    with psycopg.connect(host="127.0.0.1", port=pg_cluster.port, dbname=pcli.database, user="postgres") as writer:
        writer.execute("LOCK TABLE event IN ROW EXCLUSIVE MODE")  # as an insert of events does
        writer.execute("SELECT pg_current_xact_id()")
        with pytest.raises(Conflict):
            _wait(pcli, timeout=0.5)
        writer.rollback()
    _wait(pcli, timeout=2)
