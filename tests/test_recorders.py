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
