"""``audit verify`` replays history and compares what the program reads: a hostile insider who edits a
derived table or a project field (with plain SQL, append-only triggers out of the way) is named
with project, table and field, on both engines; history that skips a guard or is written by a
login without the role is caught too."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import ADMIN, COORD


def _engine(cli):
    from workflow.db import make_engine

    return make_engine(cli.url_for(None) if cli.engine_kind == "postgres" else cli.url_for(COORD))


def tamper(cli, *statements) -> None:
    """Run SQL as the database's strongest user, with every trigger out of the way (the worst case:
    a superuser on PostgreSQL, anyone with the file on SQLite)."""
    engine = _engine(cli)
    try:
        with engine.begin() as conn:
            from workflow.tables import metadata

            tables = tuple(metadata.tables)  # every table, the set-up tables' ledger guards too
            if cli.engine_kind == "postgres":
                always = conn.execute(text(  # restored as they were afterwards (audit verify checks them)
                    "SELECT c.relname, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                    "WHERE NOT g.tgisinternal AND g.tgenabled = 'A'")).all()
                for t in tables:
                    conn.exec_driver_sql(f"ALTER TABLE {t} DISABLE TRIGGER ALL")
            else:
                for (name,) in conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            for stmt in statements:
                conn.execute(text(stmt) if isinstance(stmt, str) else stmt)
            if cli.engine_kind == "postgres":
                for t in tables:
                    conn.exec_driver_sql(f"ALTER TABLE {t} ENABLE TRIGGER ALL")
                for t, trigger in always:
                    conn.exec_driver_sql(f"ALTER TABLE {t} ENABLE ALWAYS TRIGGER {trigger}")
    finally:
        engine.dispose()


@pytest.fixture
def county(cli):
    """One key project with a lead leader, checks, documents, capital, investment and a follow-up."""
    cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key", ok=True)
    cli("project", "add", "--name", "翠宏山铁多金属矿", "--investor", "利源达公司", "--industry", "矿业",
        "--investment", "6.6亿", "--unit", "XH", "--plan", "sign=2030-01-01", ok=True)
    cli("advance", "P-0001", "submit", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", "P-0001", item, "pass", ok=True)
    cli("doc", "add", "P-0001", "committee_decision", "县招委〔2026〕1号", ok=True)
    cli("advance", "P-0001", "approve", ok=True)
    cli("doc", "add", "P-0001", "contract", "HT-1", ok=True)
    cli("advance", "P-0001", "sign", ok=True)
    cli("capital", "add", "P-0001", "5600万", ok=True)
    cli("investment", "add", "P-0001", "3000万", ok=True)
    cli("followup", "add", "P-0001", "电话沟通", ok=True)
    res = cli("audit", "verify", json=True)
    assert res.code == 0, res.out
    return cli


def failures(cli) -> list[dict]:
    res = cli("audit", "verify", json=True)
    assert res.code == 7, res.out
    assert res.json["ok"] is False
    return res.json["failures"]


def named(found: list[dict], table: str, field: str) -> dict:
    hits = [f for f in found if f["code"] == "P-0001" and f["table"] == table and f["field"] == field]
    assert hits, f"nothing names P-0001 {table}.{field}: {found}"
    return hits[0]


TAMPERS = {
    "capital amount ×100": (["UPDATE capital_arrival SET amount_minor = amount_minor * 100"],
                            "capital_arrival", "amount_minor"),
    "investment ×50": (["UPDATE investment_completed SET amount_minor = amount_minor * 50"],
                       "investment_completed", "amount_minor"),
    "document deleted": (["DELETE FROM document WHERE kind = 'contract'"], "document", "row"),
    "check changed": (["UPDATE screening_check SET result = 'fail' WHERE item = 'environment'"],
                      "screening_check", "result"),
    "assignment deleted": (["DELETE FROM assignment"], "assignment", "row"),
    "assignment ended": (["UPDATE assignment SET ended_on = '2026-01-01', ended_seq = 99"],
                         "assignment", "ended_seq"),
    "follow-up rewritten": (["UPDATE followup SET note = '资金已全部到位'"], "followup", "note"),
    "project unit": (["UPDATE project SET unit_code = 'FGW'"], "project", "unit_code"),
    "planned investment": (["UPDATE project SET planned_investment_minor = 1"], "project",
                           "planned_investment_minor"),
    "key flag": (["UPDATE project SET key = false"], "project", "key"),
    "last follow-up": (["UPDATE project SET last_followup_on = '2020-01-01'"], "project", "last_followup_on"),
    "plan date": (["UPDATE project SET plan_sign = '2031-01-01'"], "project", "plan_sign"),
    "stage date": (["UPDATE project SET stage_since = '2020-01-01'"], "project", "stage_since"),
    "name": (["UPDATE project SET name = '另一个项目'"], "project", "name"),
    "phantom capital": (["INSERT INTO capital_arrival(project_id, amount_minor, currency, effective_on, source, "
                         "event_seq) VALUES (1, 90000000000, 'CNY', '2026-01-01', NULL, 999)"],
                        "capital_arrival", "row"),
}


@pytest.mark.parametrize("what", list(TAMPERS))
def test_each_tamper_is_named(county, what):
    statements, table, field = TAMPERS[what]
    tamper(county, *statements)
    hit = named(failures(county), table, field)
    assert hit["expected"] != hit["found"]


def test_phantom_row_of_a_project_without_history_is_named(county):
    tamper(county, "INSERT INTO investment_completed(project_id, amount_minor, currency, effective_on, event_seq) "
                   "VALUES (1, 5, 'CNY', '2026-01-01', 1)")
    hit = named(failures(county), "investment_completed", "row")
    assert hit["expected"] is None and hit["found"]["amount_minor"] == 5


def test_event_that_skips_a_guard_is_caught(county):
    """A correctly hashed and attributed event appended straight into the table, skipping the guards:
    ``break_ground`` with none of its documents recorded."""
    from workflow import encoding
    from workflow.db import make_engine

    engine = make_engine(county.url_for(COORD))
    try:
        with engine.begin() as conn:
            head_seq, head_hash, stage = conn.execute(text(
                "SELECT head_seq, head_hash, stage FROM project WHERE code = 'P-0001'")).one()
            assert stage == "funding"
            from workflow import clock

            at = clock.utcnow()
            on = clock.today()
            h = encoding.event_hash("P-0001", head_seq + 1, "transition", "break_ground", "funding", "construction",
                                  on, at, COORD, None, "{}", head_hash)
            conn.execute(text(
                "INSERT INTO event(project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, "
                "recorded_at, actor, reason, payload, prev_hash, hash) "
                "VALUES (1, :seq, 'transition', 'break_ground', 'funding', "
                "'construction', :on, :at, :actor, NULL, '{}', :prev, :h)"),
                {"seq": head_seq + 1, "on": on, "at": at, "actor": COORD, "prev": head_hash, "h": h})
            conn.execute(text("UPDATE project SET stage = 'construction', head_seq = :s, head_hash = :h, "
                              "version = version + 1 WHERE id = 1"), {"s": head_seq + 1, "h": h})
    finally:
        engine.dispose()
    found = failures(county)
    guard = [f for f in found if f["code"] == "P-0001" and "guard" in f["problem"]]
    assert guard and all(f["table"] == "event" and f["field"] == "trigger" for f in guard)
    assert any("planning_permit" in f["problem"] for f in guard), guard


def test_event_by_a_user_without_the_role_is_caught(county):
    """The role that judges an event is the role its actor had when it was recorded, from the set-up
    ledger (docs/audit.md), whatever the users table says now."""
    county.admin("users", "add", "aud", "--role", "auditor", ok=True)
    tamper(county, "UPDATE event SET actor = 'aud' WHERE project_id = 1 AND seq = 2")
    hit = named(failures(county), "event", "actor")  # aud was no user yet when the event was recorded
    assert "'aud'" in hit["problem"]
    tamper(county, "UPDATE app_user SET role = 'auditor' WHERE login = 'coord'")  # the table: a set-up failure
    assert any(f["table"] == "app_user" and f["code"] == "coord" for f in failures(county))


def test_verify_json_lists_every_difference(county):
    tamper(county, "UPDATE capital_arrival SET amount_minor = 1", "UPDATE project SET unit_code = 'FGW'",
           "DELETE FROM document")
    found = failures(county)
    assert {(f["table"], f["field"]) for f in found} >= {("capital_arrival", "amount_minor"),
                                                          ("project", "unit_code"), ("document", "row")}
    assert len([f for f in found if f["table"] == "document"]) == 2


def test_admin_corrections_and_reassignments_replay_clean(county):
    county.admin("people", "add", "li", "--name", "李县长", "--level", "county", ok=True)
    county.admin("reassign", "P-0001", "lead_leader", "li", "--reason", "工作调整", ok=True)
    county("advance", "P-0001", "hold", "--reason", "资金未到", ok=True)
    county("advance", "P-0001", "resume", ok=True)
    county.admin("project", "edit", "P-0001", "--unit", "FGW", "--no-key", ok=True)
    seq = [e for e in county("history", "P-0001", json=True, ok=True).json["events"] if e["kind"] == "capital"][0]
    county.admin("correct", "P-0001", seq["seq"], "--reason", "录入错误", ok=True)
    res = county("audit", "verify", json=True)
    assert res.code == 0, res.out
    # ... and a reassignment's end is compared too
    tamper(county, "UPDATE assignment SET ended_on = NULL, ended_seq = NULL")
    hit = named(failures(county), "assignment", "ended_seq")
    assert hit["found"] is None and isinstance(hit["expected"], int)


def test_verify_changes_nothing(county):
    tamper(county, "UPDATE capital_arrival SET amount_minor = 1")
    before = county("project", "show", "P-0001", json=True, ok=True).json
    failures(county)
    assert county("project", "show", "P-0001", json=True, ok=True).json == before
    assert ADMIN


# --- the record tables are append-only in the database ----------------------------------------------------

RECORDS = ("capital_arrival", "investment_completed", "document", "screening_check", "followup", "assignment")


@pytest.mark.parametrize("table", RECORDS)
def test_records_refuse_update_and_delete_for_everyone(county, table):
    from sqlalchemy.exc import DBAPIError

    engine = _engine(county)  # the superuser on PostgreSQL, the file's owner on SQLite
    try:
        for stmt in (f"UPDATE {table} SET event_seq = event_seq + 100", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(text(stmt))
        if county.engine_kind == "postgres":
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(text(f"TRUNCATE {table} CASCADE"))
    finally:
        engine.dispose()
    assert county("audit", "verify", json=True).code == 0


def test_an_assignment_may_be_ended_once_only(county):
    from sqlalchemy.exc import DBAPIError

    engine = _engine(county)
    try:
        with engine.begin() as conn:  # the write path's one update: ending an open assignment
            conn.execute(text("UPDATE assignment SET ended_on = '2026-01-02', ended_seq = 50"))
        for stmt in ("UPDATE assignment SET ended_on = '2026-01-03', ended_seq = 51",
                     "UPDATE assignment SET ended_on = NULL, ended_seq = NULL",
                     "UPDATE assignment SET person_login = 'admin'"):
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(text(stmt))
    finally:
        engine.dispose()
    hit = named(failures(county), "assignment", "ended_seq")
    assert hit["found"] == 50 and hit["expected"] is None


@pytest.mark.parametrize("kind", ["bulletin", "dispatch", "review", "evaluation"])
def test_reports_from_history_agree_on_both_engines(county, kind):
    from workflow import clock

    period = str(clock.today().year)
    normal = county("report", kind, "--period", period, json=True, ok=True).json
    assert county("report", kind, "--period", period, "--from-history", json=True, ok=True).json == normal
    if kind == "bulletin":  # a tampered figure shows in the normal run only
        tamper(county, "UPDATE investment_completed SET amount_minor = 1")
        assert county("report", kind, "--period", period, json=True, ok=True).json != normal
        assert county("report", kind, "--period", period, "--from-history", json=True, ok=True).json == normal


SUPERVISION_TAMPERS = {
    "problem due date": (["UPDATE problem SET due_on = '2099-01-01'"], "problem", "due_on"),
    "problem owner": (["UPDATE problem SET owner_unit = 'FGW'"], "problem", "owner_unit"),
    "problem action deleted": (["DELETE FROM problem_action"], "problem_action", "row"),
    "year plan ×10": (["UPDATE year_plan SET amount_minor = amount_minor * 10"], "year_plan", "amount_minor"),
    "promise moved": (["UPDATE followup SET next_on = '2099-01-01' WHERE next_on IS NOT NULL"], "followup",
                      "next_on"),
}


@pytest.mark.parametrize("what", list(SUPERVISION_TAMPERS))
def test_supervision_and_plan_rows_are_rebuilt_too(county, what):
    """Problems (督办), their actions, yearly plans and promised follow-ups are projections of history
    as well: verify rebuilds them and names a changed value."""
    from datetime import date

    today = date.today()
    cli = county
    cli("problem", "add", "P-0001", "用地指标未落实", "--kind", "land", "--owner", "XH",
        "--due", (today.replace(year=today.year + 1)).isoformat(), ok=True)
    cli("problem", "update", "1", "已报省厅", ok=True)
    cli("project", "edit", "P-0001", "--year-plan", f"{today.year}=8000万", ok=True)
    cli("followup", "add", "P-0001", "约见", "--next-on", today.replace(year=today.year + 1).isoformat(), ok=True)
    assert cli("audit", "verify", json=True).code == 0
    statements, table, field = SUPERVISION_TAMPERS[what]
    tamper(cli, *statements)
    named(failures(cli), table, field)


def test_recorded_times_in_the_hashed_form_compare_as_the_times_they_are():
    """``recorded_before`` compares two times in the form history hashes (a bundle's) as text: the
    answer is the one of the parsed times, as for every other form (and SQLite's own form still
    compares as text)."""
    from datetime import UTC, datetime

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from workflow.encoding import format_utc
    from workflow.replay import _instant, recorded_before

    times = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda t: t.replace(tzinfo=UTC))

    @settings(max_examples=300, deadline=None)
    @given(times, times)
    def same(a, b):
        hashed_a, hashed_b = format_utc(a), format_utc(b)
        sqlite_a, sqlite_b = hashed_a[:10] + " " + hashed_a[11:26], hashed_b[:10] + " " + hashed_b[11:26]
        plain = _instant(hashed_a) < _instant(hashed_b)
        assert plain == (a < b)
        assert recorded_before(hashed_a, hashed_b) == plain  # the fast path
        assert recorded_before(hashed_a, b) == plain and recorded_before(a, hashed_b) == plain  # parsed
        assert recorded_before(sqlite_a, sqlite_b) == plain
        assert recorded_before(hashed_a, sqlite_b) == plain  # two forms: each parsed

    same()
    # a time that is no time is never "before" (the chain check reports its event)
    assert not recorded_before("not a time", "2026-01-01T00:00:00.000000Z")


def test_a_recorded_time_is_never_before_itself():
    """The replay asks ``recorded_before`` only when an event's recorded time differs from the previous
    one's (most events of a command share one): an equal time, in any form, is never before itself."""
    from datetime import UTC, datetime

    from workflow.replay import recorded_before

    at = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    for value in ("2026-01-31T09:30:00.000000Z", "2026-01-31 09:30:00.000000", "2026-01-31T09:30:00+08:00",
                  at, at.replace(tzinfo=None), "not a time", None):
        assert not recorded_before(value, value)


def test_a_runs_shape_of_a_definition_answers_as_the_machine_does():
    """The replay asks a definition's `Shape` (worked out once a run) what the machine says: every
    trigger from every stage, held from any stage or none, leads where ``machine.route`` says, asked
    once or again; its paused and final stages are the definition's."""
    from workflow.definition import default_definition
    from workflow.machine import route
    from workflow.replay import Definitions

    defn = default_definition()
    defs = Definitions()
    shape = defs.shape(defn.name, defn.version)
    assert shape is not None and shape is defs.shape(defn.name, defn.version)
    assert shape.defn is defs.get(defn.name, defn.version)
    assert shape.paused == {s.key for s in defn.stages if s.is_paused}
    assert shape.final == {s.key for s in defn.stages if s.is_final}
    for _ in range(2):
        for stage in [s.key for s in defn.stages]:
            for trigger in [*defn.triggers, "no_such_trigger"]:
                for held_from in [None, *(s.key for s in defn.stages)]:
                    assert shape.route(stage, trigger, held_from) == route(shape.defn, stage, trigger, held_from)
    assert defs.shape(defn.name, 999) is None and defs.get(defn.name, 999) is None
