"""County totals are summed without overflow at any size the amount limits allow
(workflow/reports/figures.py, docs/lights-and-reports.md)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import column, create_engine, select, table

from workflow.money import MAX_MINOR
from workflow.reports.figures import joined, wide_sum

N = 1100  # N * MAX_MINOR is past 2^63


@pytest.mark.sqlite_only
def test_bulletin_capital_total_past_int64(cli, db_path):
    cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "energy", "--investment", "1亿",
        "--unit", "XH", "--on", "2026-01-05", ok=True)
    con = sqlite3.connect(db_path)
    cols = [r[1] for r in con.execute("PRAGMA table_info(project)") if r[1] not in ("id", "code")]
    names = ", ".join(f'"{c}"' for c in cols)
    for i in range(2, N + 1):  # projects at the amount limit, each with one arrival at the limit
        con.execute(f"INSERT INTO project (code, {names}) SELECT ?, {names} FROM project WHERE id = 1",
                    (f"P-{i:04d}",))
    con.execute("UPDATE project SET planned_investment_minor = ?", (MAX_MINOR,))
    con.executemany("INSERT INTO capital_arrival (project_id, amount_minor, currency, effective_on, source, "
                    "event_seq) VALUES (?, ?, 'CNY', '2026-03-01', 'x', 1)", [(i, MAX_MINOR) for i in range(1, N + 1)])
    con.commit()
    con.close()
    res = cli("report", "bulletin", "--period", "2026", "--as-of", "2026-06-30", json=True)
    assert res.code == 0, res.out + res.err
    assert str(N * MAX_MINOR) in res.out


def test_wide_sum_is_exact_past_int64_negatives_included() -> None:
    engine = create_engine("sqlite://")
    values = [MAX_MINOR] * N + [-MAX_MINOR + 7, -123_456_789_012, 999_999_999, -1]
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v BIGINT)")
        conn.exec_driver_sql("INSERT INTO t VALUES " + ", ".join(f"({v})" for v in values))
        high, low = conn.execute(select(*wide_sum(column("v"))).select_from(table("t"))).one()
        assert joined(high, low) == sum(values)
        none = conn.execute(select(*wide_sum(column("v"))).select_from(table("t")).where(column("v") == 0)).one()
        assert joined(*none) is None


def test_wide_sum_on_each_engine(cli) -> None:
    """The same split sum on the engine under test (PostgreSQL's bigint division and remainder too)."""
    from sqlalchemy import BigInteger, literal, union_all

    from workflow.db import make_engine

    rows = [(MAX_MINOR,)] * 3 + [(-MAX_MINOR + 7,), (-123_456_789_012,), (999_999_999,)]
    t = union_all(*(select(literal(v, BigInteger).label("v")) for (v,) in rows)).subquery("t")
    engine = make_engine(cli.url_for("admin"))
    try:
        with engine.connect() as conn:
            high, low = conn.execute(select(*wide_sum(t.c.v))).one()
    finally:
        engine.dispose()
    assert joined(high, low) == sum(r[0] for r in rows)
