"""Property: any history the commands write verifies clean, and changing any one stored value the
program reads (a project field or a derived row's column, or deleting or adding a derived row)
makes ``audit verify`` fail (exit 7) naming that project and table."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN, COORD, Cli, populate
from workflow.errors import PipelineError

pytestmark = pytest.mark.sqlite_only

CHECKS = ("industrial_policy", "environment", "energy", "land_use")
DOCS = ("committee_decision", "contract", "planning_permit", "land_use", "eia", "safety_assessment",
        "completion_acceptance")
TRIGGERS = ("submit", "approve", "sign", "break_ground", "commission", "hold", "resume", "withdraw", "reject")

# (table, column) the tamper may change; project fields history fixes, and every derived column
TARGETS = [("project", c) for c in ("name", "investor", "industry", "key", "planned_investment_minor", "unit_code",
                                    "plan_sign", "stage", "stage_since", "last_followup_on", "registered_on",
                                    "last_transition_on", "head_seq")] + [
    ("capital_arrival", "amount_minor"), ("capital_arrival", "currency"), ("capital_arrival", "effective_on"),
    ("capital_arrival", "source"), ("investment_completed", "amount_minor"), ("investment_completed", "effective_on"),
    ("document", "kind"), ("document", "number"), ("screening_check", "result"), ("screening_check", "item"),
    ("followup", "note"), ("followup", "actor"), ("assignment", "person_login"), ("assignment", "role"),
    ("assignment", "ended_seq"), ("capital_arrival", None), ("document", None), ("assignment", None),
    ("followup", None), ("investment_completed", None), ("screening_check", None)]

op = st.one_of(
    st.tuples(st.just("project"), st.booleans(), st.sampled_from(["XH", "FGW", None])),
    st.tuples(st.just("check"), st.sampled_from(CHECKS), st.sampled_from(["pass", "pass", "fail"])),
    st.tuples(st.just("doc"), st.sampled_from(DOCS), st.integers(1, 99)),
    st.tuples(st.just("capital"), st.integers(1, 10**9), st.sampled_from(["CNY", "USD"])),
    st.tuples(st.just("investment"), st.integers(1, 10**9), st.just(None)),
    st.tuples(st.just("followup"), st.text(min_size=1, max_size=20).filter(str.strip), st.just(None)),
    st.tuples(st.just("advance"), st.sampled_from(TRIGGERS), st.just(None)),
    st.tuples(st.just("edit"), st.booleans(), st.sampled_from(["XH", "FGW"])),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("prop") / "pipeline.db"
    c = populate(Cli(str(path)))
    c.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key", ok=True)
    return path


def _run(service, ops) -> None:
    service.add_project(name="项目", investor="利源达公司", industry="能源", investment_minor=6_6000_0000_00, unit="XH")
    codes = ["P-0001"]
    for i, (kind, a, b) in enumerate(ops):
        code = codes[i % len(codes)]
        try:
            if kind == "project":
                res = service.add_project(name=f"项目{i}", investor="x", industry="能源",
                                          investment_minor=2_0000_0000_00 if a else 100_00, unit=b)
                codes.append(res.project.code)
            elif kind == "check":
                service.record_check(code, a, b)
            elif kind == "doc":
                service.add_document(code, a, f"第{b}号")
            elif kind == "capital":
                service.add_capital(code, a, b, source="来源")
            elif kind == "investment":
                service.add_investment(code, a)
            elif kind == "followup":
                service.add_followup(code, a)
            elif kind == "advance":
                service.advance(code, a, reason="原因")
            elif kind == "edit":
                service.edit_project(code, {"key": a, "unit": b})
        except PipelineError:
            pass


def _tamper(db: str, table: str, column: str | None, pick: int) -> tuple[str, int] | None:
    """Change one stored value (or delete/add a row); returns the project code and id, or None if the
    table has no row to change."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            con.execute(f"DROP TRIGGER {name}")
        rows = con.execute(f"SELECT id, {'project_id' if table != 'project' else 'id'} FROM {table} ORDER BY id"
                           ).fetchall()
        if not rows:
            return None
        rid, pid = rows[pick % len(rows)]
        if column is None:
            if pick % 2:
                con.execute(f"DELETE FROM {table} WHERE id = ?", (rid,))
            else:
                cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
                con.execute(f"INSERT INTO {table}({', '.join(cols)}) SELECT {', '.join(cols)} FROM {table} "
                            "WHERE id = ?", (rid,))
        else:
            value = con.execute(f"SELECT {column} FROM {table} WHERE id = ?", (rid,)).fetchone()[0]
            if isinstance(value, bool | int) and column in ("key",):
                new: object = 0 if value else 1
            elif isinstance(value, int):
                new = value + 1
            elif value is None:
                new = "2021-02-03" if "on" in column or column.startswith("plan") else (7 if "seq" in column else "新")
            elif len(value) == 10 and value[4] == "-":
                new = (date.fromisoformat(value).replace(day=1 if value[8:] != "01" else 2)).isoformat()
            else:
                new = value + "改"
            con.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (new, rid))
        return f"P-{pid:04d}", pid
    finally:
        con.close()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(op, min_size=3, max_size=25), target=st.sampled_from(TARGETS), pick=st.integers(0, 10**6))
def test_any_single_change_is_caught(template, tmp_path_factory, ops, target, pick):
    from workflow import audit
    from workflow.db import make_engine
    from workflow.service import Service

    db = tmp_path_factory.mktemp("case") / "pipeline.db"
    shutil.copy(template, db)
    engine = make_engine(f"sqlite:///{db}")
    try:
        _run(Service(engine, COORD), ops)
        clean = audit.verify(engine)
        assert clean["ok"], clean["failures"][:5]
    finally:
        engine.dispose()
    table, column = target
    hit = _tamper(str(db), table, column, pick)
    if hit is None:
        return
    code, _pid = hit
    res = Cli(str(db))("audit", "verify", json=True, actor=ADMIN)
    assert res.code == 7, (target, res.out[:2000])
    assert any(f["code"] == code and f["table"] in (table, "event", "project") for f in res.json["failures"]), \
        res.json["failures"]
