"""Each engine's recorder (``workflow.recorders``) against the plain statements of the base
``Recorder``: whatever an engine does its own way (a read ahead, a locking read, its inserts and
saves) gives the same rows and writes the same values.  Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from workflow import gate
from workflow.recorders import Recorder, recorder
from workflow.tables import followup as FU
from workflow.tables import project as P


def _project(svc) -> str:
    return svc.add_project(name="风电", investor="某公司", industry="energy", investment_minor=100, unit="XH",
                           plan={"sign": date(2026, 5, 1)}, key=True).project.code


def test_the_recorder_reads_the_rows_the_plain_statements_read(any_service):
    code = _project(any_service)
    plain = Recorder()
    with any_service.engine.begin() as conn:
        ours = recorder(conn)
        assert ours.name == conn.dialect.name
        row = dict(plain.lock(conn, code))
        assert dict(ours.lock(conn, code)) == row
        assert isinstance(row["plan_sign"], date) and row["key"] is True and row["created_at"].tzinfo
        assert [dict(r) for r in ours.lock_many(conn, [code, "P-0404"])] == [row]
        assert ours.lock(conn, "P-0404") is None
        ahead = ours.read_ahead(conn, code, any_service.actor)
        if conn.dialect.name == "sqlite":  # the row with the gate, in one statement
            disabled, head = gate.gate(conn, any_service.actor)
            assert dict(ahead) == {**row, "gate_disabled": disabled, "gate_ledger_head": head}
            assert ours.read_ahead(conn, "P-0404", any_service.actor) is None
        else:  # PostgreSQL locks only after the role check: nothing is read ahead
            assert ahead is None
        assert ours.next_project_id(conn) == plain.next_project_id(conn) == row["id"] + 1


def test_the_recorder_writes_what_the_plain_statements_write(any_service):
    """The same save and the same rows through the plain statements and through the engine's
    recorder read back the same (dates, booleans and empty values included)."""
    code = _project(any_service)
    saved_keys = ("plan_sign", "stage", "key")
    cols = [c for c in FU.c if c.name not in ("id", "event_seq")]
    written = []
    for first, rec in ((1, "plain"), (11, "engine")):
        with any_service.engine.begin() as conn:
            ours = Recorder() if rec == "plain" else recorder(conn)
            row = dict(ours.lock(conn, code))
            stage = "signed" if rec == "plain" else "funding"
            save = {"b_id": row["id"], "b_old": row["version"], "b_plan_sign": date(2027, 1, first),
                    "b_stage": stage, "b_key": rec == "plain"}
            assert ours.save(conn, saved_keys, [save | {"b_old": row["version"] + 7}]) == 0  # the compare-and-set
            assert ours.save(conn, saved_keys, [save]) == 1
            notes = [{"project_id": row["id"], "event_seq": seq, "effective_on": date(2026, 5, seq - first + 1),
                      "note": f"第{seq - first}次", "actor": "coord", "contact": None,
                      "next_step": "签约" if seq % 2 else None, "next_on": date(2026, 6, 1) if seq % 2 else None}
                     for seq in range(first, first + 3)]
            ours.insert(conn, FU, notes[:2])  # dicts
            keys = tuple(reversed(notes[2]))  # tuples of the values of keys, in another order than the table's
            ours.insert(conn, FU, [tuple(notes[2][k] for k in keys)], keys)
            saved = tuple(conn.execute(select(P.c.plan_sign, P.c.stage, P.c.key).where(P.c.id == row["id"])).one())
            assert saved == (date(2027, 1, first), stage, rec == "plain")
            written.append([tuple(r) for r in conn.execute(
                select(*cols).where(FU.c.project_id == row["id"], FU.c.event_seq.between(first, first + 2))
                .order_by(FU.c.event_seq))])
    assert written[0] == written[1] and len(written[0]) == 3
    assert isinstance(written[0][0][2], date) and written[0][1][-1] is None  # effective_on; next_on


def _image(rows: list[tuple]) -> bytes:
    """An SQLite database image with an ``event`` table of a bundle's shape holding ``rows``."""
    import sqlite3

    from workflow.bundle import EVENT_COLUMNS

    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE event ({', '.join(EVENT_COLUMNS)})")
    db.executemany(f"INSERT INTO event VALUES ({', '.join('?' * len(EVENT_COLUMNS))})", rows)
    db.commit()
    try:
        return db.serialize()
    finally:
        db.close()


def test_rows_copied_from_an_image_are_the_rows_the_plain_path_writes(any_cli):
    """A bundle's events copied from its file's image (``insert_from_image``: on SQLite one INSERT …
    SELECT turning the hashed text forms of dates and times into the stored ones by SQL) read back as
    the plain path's rows, typed in Python and inserted through SQLAlchemy's binds: times at midnight,
    at the last microsecond and on a leap day, NULLs, quotes, markup and Chinese; the first ``after``
    left out, the constant columns filled."""
    from workflow.bundle import EVENT_COLUMNS, typed_rows
    from workflow.db import make_engine
    from workflow.tables import city_event as CE

    rows = [(k, 10 + k % 3, f"P-{k:04d}", k, "transition" if k % 2 else "followup",
             "sign" if k % 2 else None, "lead" if k % 2 else None, "signed" if k % 2 else None,
             ("2024-02-29", "2026-01-01", "1999-12-31")[k % 3],
             ("2024-02-29T00:00:00.000000Z", "2026-12-31T23:59:59.999999Z", "2025-06-01T08:30:05.000123Z")[k % 3],
             "coord", None if k % 2 else "改'期\"<b>=1+1", '{"note":"跟进"}', "0" * 64, f"{k:064x}")
            for k in range(1, 8)]
    image = _image(rows)
    read = [CE.c[c] for c in ("county", *EVENT_COLUMNS)]
    copied = []
    engine = make_engine(any_cli.url_for(None))  # the database's owner: the city's tables
    with engine.begin() as conn:
        for county, ours in (("PLAIN", Recorder()), ("ENGINE", recorder(conn))):
            done = ours.insert_from_image(conn, CE, lambda: image, "event", EVENT_COLUMNS,
                                          lambda r: typed_rows(CE, r, EVENT_COLUMNS), order="id", after=2,
                                          const={"county": county})
            assert done == 5
            copied.append([tuple(r)[1:] for r in conn.execute(select(*read).where(CE.c.county == county)
                                                              .order_by(CE.c.id))])
        if conn.dialect.name == "sqlite":
            raw = conn.connection.dbapi_connection
            # the same stored text, not only the same values read back (SQL compares the text)
            stored = [raw.execute("SELECT * FROM city_event WHERE county = ? ORDER BY id", (c,)).fetchall()
                      for c in ("PLAIN", "ENGINE")]
            assert [r[1:] for r in stored[0]] == [r[1:] for r in stored[1]]
            assert stored[1][1][10] == "2026-12-31 23:59:59.999999"
            # the fast path was taken, and the image's memory given back: an empty database in its place
            assert raw.execute("SELECT name FROM pipeline_image.sqlite_master").fetchall() == [("empty",)]
        conn.rollback()
    engine.dispose()
    assert copied[0] == copied[1] and [r[0] for r in copied[0]] == [3, 4, 5, 6, 7]
    first = copied[0][0]
    assert isinstance(first[8], date) and first[9].tzinfo is not None and first[9].microsecond == 0
    assert copied[0][1][9].microsecond == 999999 and copied[0][1][11] == "改'期\"<b>=1+1"


def test_dates_are_written_as_the_columns_own_bind_processor_writes_them():
    """SQLite's recorder writes the dates of a plain ``Date`` column by ``date.isoformat``
    (``_converted`` with ``iso``, :func:`workflow.recorders.sqlite._iso_dates`): the very text
    SQLAlchemy's bind processor of the column writes, for dates of any year (zero-padded), leap days,
    NULLs and repeated values; a column holding anything else (a datetime) goes through the processor,
    and a value that is no date is refused with the processor's own error.  Times and booleans keep
    their processors."""
    import random
    from datetime import UTC, datetime, timedelta

    import pytest
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from workflow.recorders import sqlite as rs
    from workflow.tables import ledger as L

    dialect = sqlite_dialect.dialect()
    plan = rs._InsertPlan.of(dialect, FU, ("project_id", "event_seq", "effective_on", "note", "actor", "next_on"))
    iso = {plan.order[i]: convert.keywords["iso"] for i, convert in plan.processors}
    assert iso == {"effective_on": True, "next_on": True}
    process = FU.c.effective_on.type.dialect_impl(dialect).bind_processor(dialect)

    def plain(column: list) -> tuple:
        return tuple(None if v is None else process(v) for v in column)

    pick = random.Random(7)
    column = [date(1, 2, 3), date(999, 12, 31), date(1000, 1, 1), date(2024, 2, 29), date(9999, 12, 31), None,
              *(date(1, 1, 1) + timedelta(days=pick.randrange(3_652_059)) for _ in range(500)), date(2024, 2, 29)]
    assert rs._converted(column, process, iso=True) == rs._converted(column, process) == plain(column)
    assert rs._converted(column, process, iso=True)[:3] == ("0001-02-03", "0999-12-31", "1000-01-01")
    assert rs._converted([None, None], process, iso=True) == (None, None)
    mixed = [*column[:6], datetime(2026, 5, 1, 23, 59, tzinfo=UTC)]
    assert rs._converted(mixed, process, iso=True) == plain(mixed)
    with pytest.raises(TypeError) as theirs:
        process("2026-05-01")
    with pytest.raises(TypeError) as ours:
        rs._converted([date(2026, 5, 1), "2026-05-01"], process, iso=True)
    assert str(ours.value) == str(theirs.value)
    for col in (L.c.recorded_at, P.c.key, P.c.created_at):
        assert not rs._iso_dates(col.type, col.type.dialect_impl(dialect).bind_processor(dialect))
