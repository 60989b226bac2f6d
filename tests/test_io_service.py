"""Import and batches (``workflow.bulk``) run the single writes' commands: the same rows, events and chains."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import ADMIN, Cli, populate
from workflow import clock, encoding, events
from workflow.bulk import Op as BulkOp
from workflow.db import make_engine
from workflow.errors import BadInput, NotAllowed, Refused
from workflow.rules import ASSIGNMENT_ROLES
from workflow.service import Service

# --- canonical JSON --------------------------------------------------------------------------------

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | texts
keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ABC0123456789", min_size=1, max_size=12)
documents = st.recursive(scalars, lambda inner: st.dictionaries(keys, inner, max_size=6), max_leaves=25)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, documents, max_size=8))
def test_fast_canonical_json_is_rfc8785(doc):
    assert encoding.canonical(doc) == encoding.canonical_exact(doc) == encoding.canonical_reference(doc)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, documents, max_size=6), texts, texts | st.none())
def test_event_bytes_around_a_stored_payload_are_rfc8785(payload, actor, reason):
    on, at = date(2026, 1, 2), clock.utcnow()
    doc = encoding.event_document(
        project="P-0001", seq=2, kind="check", trigger=None, from_stage=actor, to_stage=None,
        effective_on=on, recorded_at=at, actor=actor + '"payload":0,', reason=reason,
        payload=payload, prev_hash=encoding.GENESIS)
    got = encoding.event_bytes("P-0001", 2, "check", None, actor, None, on, at, actor + '"payload":0,', reason,
                             encoding.payload_text(payload), encoding.GENESIS)
    assert got == encoding.canonical_reference(doc)


def test_fast_canonical_json_on_an_event_document():
    doc = encoding.event_document(
        project="P-0001", seq=3, kind="followup", trigger=None, from_stage=None, to_stage=None,
        effective_on=date(2026, 1, 2), recorded_at=clock.utcnow(), actor="coord", reason="原因\n\t\"x\"\x01\u2028",
        payload={"note": "电话跟进 😀 \\ \x7f", "amount_minor": 9_000_000_000_000_000, "ok": True, "n": None},
        prev_hash=encoding.GENESIS)
    assert encoding.canonical(doc) == encoding.canonical_reference(doc)


# --- helpers ----------------------------------------------------------------------------------------


def fresh(tmp_path, name: str) -> tuple[Cli, Service, Service]:
    c = populate(Cli(str(tmp_path / f"{name}.db")))
    c.admin("people", "add", "li", "--name", "李镇长", "--level", "township", "--unit", "XH", ok=True)
    engine = make_engine(f"sqlite:///{c.db}")
    return c, Service(engine, ADMIN), Service(engine, "coord")


def snapshot(svc: Service) -> dict:
    """Everything the writes produced, without ids, recorded times and hashes."""
    out = {}
    with svc.engine.connect() as conn:
        out["projects"] = conn.execute(text(
            "SELECT code, name, investor, origin, industry, category, key, key_override, planned_investment_minor, "
            "unit_code, plan_sign, plan_fund, plan_break_ground, plan_commission, stage, stage_since, held_from, "
            "registered_on, last_transition_on, last_followup_on, workflow_name, workflow_version, version, head_seq "
            "FROM project ORDER BY id")).all()
        out["events"] = conn.execute(text(
            "SELECT p.code, seq, kind, \"trigger\", from_stage, to_stage, effective_on, actor, reason, payload "
            "FROM event e JOIN project p ON p.id = e.project_id ORDER BY p.code, seq")).all()
        for table, cols in (("document", "kind, number, effective_on, event_seq"),
                            ("screening_check", "item, result, note, effective_on, event_seq"),
                            ("capital_arrival", "amount_minor, currency, effective_on, source, event_seq"),
                            ("investment_completed", "amount_minor, currency, effective_on, event_seq"),
                            ("followup", "note, effective_on, actor, event_seq"),
                            ("assignment", "role, person_login, rule_id, rule_version, assigned_on, event_seq, "
                                           "ended_on, ended_seq")):
            out[table] = conn.execute(text(
                f"SELECT p.code, {cols} FROM {table} t JOIN project p ON p.id = t.project_id "
                f"ORDER BY p.code, event_seq")).all()
    return out


def verify(c: Cli) -> dict:
    doc = c.admin("audit", "verify", json=True).json
    assert doc["ok"], doc
    return doc


def scenario(d0: date) -> list[BulkOp]:
    """Every kind of write: a key project from lead to production (with a hold), a rejection, a
    withdrawal and a reassignment."""
    def d(n):
        return d0 + timedelta(days=n)

    a, b, c, e = "P-0001", "P-0002", "P-0003", "P-0004"
    ops = [
        BulkOp(a, "assign", d(0), {"role": "lead_leader", "login": "wang", "reason": "县委确定"}),
        BulkOp(a, "advance", d(5), {"target": "submit"}),
        *[BulkOp(a, "check", d(6), {"item": i, "result": "pass", "note": None})
          for i in ("industrial_policy", "environment", "energy", "land_use")],
        BulkOp(a, "document", d(7), {"kind": "committee_decision", "number": "示招委〔2026〕1号"}),
        BulkOp(a, "advance", d(7), {"target": "approved"}),
        BulkOp(a, "document", d(20), {"kind": "contract", "number": "ZS-001"}),
        BulkOp(a, "advance", d(20), {"target": "sign"}),
        BulkOp(a, "followup", d(25), {"note": "回访企业"}),
        BulkOp(a, "capital", d(30), {"amount_minor": 10_000_000_00, "currency": "CNY", "source": "自筹"}),
        BulkOp(a, "capital", d(31), {"amount_minor": 1_000_000_00, "currency": "USD", "source": None}),
        *[BulkOp(a, "document", d(40), {"kind": k, "number": f"N-{k}"})
          for k in ("planning_permit", "land_use", "eia", "safety_assessment")],
        BulkOp(a, "advance", d(45), {"target": "break_ground"}),
        BulkOp(a, "investment", d(50), {"amount_minor": 5_000_000_00, "currency": "CNY"}),
        BulkOp(a, "advance", d(60), {"target": "hold", "reason": "冬季停工"}),
        BulkOp(a, "advance", d(70), {"target": "resume"}),
        BulkOp(a, "document", d(80), {"kind": "completion_acceptance", "number": "竣-1"}),
        BulkOp(a, "advance", d(80), {"target": "commission"}),
        BulkOp(b, "advance", d(3), {"target": "submit"}),
        BulkOp(b, "check", d(4), {"item": "environment", "result": "fail", "note": "超标"}),
        BulkOp(b, "advance", d(9), {"target": "reject", "reason": "环保一条红线"}),
        BulkOp(c, "followup", d(1), {"note": "首次接触"}),
        BulkOp(c, "advance", d(2), {"target": "withdraw", "reason": "投资方放弃"}),
        BulkOp(e, "assign", d(1), {"role": "first_responsible", "login": "wang", "reason": "分工"}),
        BulkOp(e, "assign", d(2), {"role": "team_member", "login": "li", "reason": "专班"}),
        BulkOp(e, "assign", d(3), {"role": "first_responsible", "login": "li", "reason": "调整"}),
    ]
    return ops


def single(admin: Service, op: BulkOp) -> None:
    a = op.args
    if op.action == "assign":
        admin.reassign(op.code, a["role"], a["login"], reason=a["reason"], on=op.on)
    elif op.action == "advance":
        admin.advance(op.code, a["target"], on=op.on, reason=a.get("reason"))
    elif op.action == "check":
        admin.record_check(op.code, a["item"], a["result"], note=a["note"], on=op.on)
    elif op.action == "document":
        admin.add_document(op.code, a["kind"], a["number"], on=op.on)
    elif op.action == "capital":
        admin.add_capital(op.code, a["amount_minor"], a["currency"], source=a["source"], on=op.on)
    elif op.action == "investment":
        admin.add_investment(op.code, a["amount_minor"], a["currency"], on=op.on)
    elif op.action == "followup":
        admin.add_followup(op.code, a["note"], on=op.on)


PROJECTS = [
    dict(name="翠宏山铁多金属矿", investor="翠宏山矿业", industry="采矿业", investment_minor=12 * 10**8 * 100,
         unit="XH", origin="哈尔滨", category="工业", key=None, plan={"sign": "2026-12-01"}),
    dict(name="年产5万吨造纸", investor="恒达纸业", industry="造纸", investment_minor=15_000_000_00, unit="FGW"),
    dict(name="石墨烯产业园", investor="华晟", industry="新材料", investment_minor=0, unit=None, key=True),
    dict(name="宾馆建设项目", investor="利源达公司", industry="文化旅游", investment_minor=45_000_000_00, unit="XH",
         key=False, plan={"fund": date(2027, 1, 1), "commission": date(2028, 1, 1)}),
]


# --- import ------------------------------------------------------------------------------------------


def test_import_writes_what_add_project_writes(tmp_path):
    c1, _, one = fresh(tmp_path, "single")
    c2, _, bulk = fresh(tmp_path, "bulk")
    d0 = clock.today() - timedelta(days=30)
    for row in PROJECTS:
        one.add_project(**row, on=d0)
    result = bulk.import_projects([{**row, "on": d0} for row in PROJECTS])
    assert result["imported"] == 4 and result["first"] == "P-0001" and result["last"] == "P-0004"
    assert snapshot(one) == snapshot(bulk)
    verify(c2)


def test_import_refuses_every_bad_row_and_writes_nothing(service):
    rows = [dict(PROJECTS[0]), dict(PROJECTS[1], name=" "), dict(PROJECTS[1], investment_minor=-1),
            dict(PROJECTS[1], plan={"sign": "someday"}), dict(PROJECTS[1], on=clock.today() + timedelta(days=1)),
            dict(PROJECTS[1], colour="red")]
    with pytest.raises(BadInput) as exc:
        service.import_projects(rows)
    assert [d["row"] for d in exc.value.details] == [2, 3, 4, 5, 6]
    with pytest.raises(BadInput) as exc:
        service.import_projects([PROJECTS[0], dict(PROJECTS[1], unit="NOPE")])
    assert exc.value.details == [{"row": 2, "message": "no unit 'NOPE'"}]
    assert service.list_projects() == []


def test_import_dry_run_writes_nothing_and_codes_are_not_used_up(service):
    dry = service.import_projects(PROJECTS[:2], dry_run=True)
    assert dry == {"imported": 0, "rows": 2, "first": "P-0001", "last": "P-0002", "assignments": 0, "dry_run": True}
    assert service.list_projects() == []
    assert service.import_projects(PROJECTS[:1])["first"] == "P-0001"


def test_import_needs_a_writer(cli, service):
    cli.admin("users", "add", "aud", "--role", "auditor", ok=True)
    with pytest.raises(NotAllowed):
        Service(service.engine, "aud").import_projects(PROJECTS[:1])


def test_import_applies_rules_to_each_new_project(cli, service):
    cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key", ok=True)
    result = service.import_projects(PROJECTS)
    assert result["assignments"] == 2  # the two key projects
    led = {v["code"]: [x["login"] for x in v["leaders"]] for v in service.list_projects()}
    assert led == {"P-0001": ["wang"], "P-0002": [], "P-0003": ["wang"], "P-0004": []}
    events = service.history("P-0001")["events"]
    assert [e["kind"] for e in events] == ["registered", "assignment"]
    assert events[1]["payload"]["rule_id"] == 1
    verify(cli)


def _county_rules(c: Cli) -> None:
    """Rules giving every kind of assignment, with a capped lead leader to fall through, in force since
    before every registration of the tests."""
    since = ("--from", "2020-01-01")
    c.admin("people", "add", "zhao", "--name", "赵县长", "--level", "county", "--cap", "2", ok=True)
    c.admin("rules", "add", "--role", "lead_leader", "--person", "zhao", "--priority", "1", "--key", *since, ok=True)
    c.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "2", "--key", *since, ok=True)
    c.admin("rules", "add", "--role", "first_responsible", "--person", "li", "--priority", "1", "--unit", "XH",
            *since, ok=True)
    c.admin("rules", "add", "--role", "team_member", "--person", "li", "--priority", "3", "--industry", "采矿业",
            *since, ok=True)
    c.admin("rules", "add", "--role", "team_member", "--person", "wang", "--priority", "4", "--min-investment",
            "1亿", *since, ok=True)


def _many(n: int) -> list[dict]:
    return [dict(name=f"项目{i}", investor=f"投资方{i % 3}", industry=("采矿业", "造纸")[i % 2],
                 investment_minor=(i % 4) * 6 * 10**9, unit=("XH", "FGW", None)[i % 3], key=(None, True)[i % 5 == 0])
            for i in range(n)]


def test_import_in_batches_writes_what_add_project_writes_with_rules(tmp_path, monkeypatch):
    """Batches smaller than the rows: the rules' decisions (caps counted across batches), the events,
    the chains and the assignments are those of registering the projects one at a time."""
    c1, _, one = fresh(tmp_path, "single")
    c2, _, bulk = fresh(tmp_path, "bulk")
    for c in (c1, c2):
        _county_rules(c)
    d0 = clock.today() - timedelta(days=3)
    for row in _many(11):
        one.add_project(**row, on=d0)
    monkeypatch.setattr("workflow.bulk.IMPORT_BATCH", 4)
    seen = []
    result = bulk.import_projects(({**row, "on": d0} for row in _many(11)), total=11,
                                  progress=lambda *a: seen.append(a))
    assert (result["first"], result["last"], result["rows"], result["imported"]) == ("P-0001", "P-0011", 11, 11)
    assert seen[-1] == ("register", 11, 11) and ("register", 4, 11) in seen
    s1, s2 = snapshot(one), snapshot(bulk)
    assert s1 == s2
    leads = [(a.code, a.person_login) for a in s2["assignment"] if a.role == "lead_leader"]
    assert [login for _, login in sorted(leads)][:3] == ["zhao", "zhao", "wang"]  # zhao's cap is 2
    assert {kind for (kind,) in {(a.role,) for a in s2["assignment"]}} == set(ASSIGNMENT_ROLES)
    assert result["assignments"] == len(s2["assignment"])
    verify(c2)


def test_a_bad_row_after_the_first_batch_refuses_everything(service, monkeypatch):
    monkeypatch.setattr("workflow.bulk.IMPORT_BATCH", 2)
    rows = [*_many(5), dict(PROJECTS[1], unit="NOPE"), *_many(3)[1:], dict(PROJECTS[1], investment_minor=-1)]
    with pytest.raises(BadInput) as exc:
        service.import_projects(iter(rows), allow_duplicate=True)  # rows 7 and 8 repeat rows 2 and 3
    assert exc.value.details == [{"row": 6, "message": "no unit 'NOPE'"},
                                 {"row": 9, "message": "--investment must not be negative"}]
    assert exc.value.message == "2 of 9 rows refused; nothing was imported"
    assert service.list_projects() == []
    assert service.import_projects(iter(PROJECTS[:1]))["first"] == "P-0001"  # no code was used up


def test_an_empty_import_writes_nothing(service):
    assert service.import_projects(iter(())) == {"imported": 0, "rows": 0, "first": None, "last": None,
                                                 "assignments": 0, "dry_run": False}


def test_import_on_each_engine(any_cli, any_service):
    any_cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key", ok=True)
    result = any_service.import_projects([dict(PROJECTS[0]), dict(PROJECTS[3])])
    assert (result["first"], result["last"], result["rows"], result["assignments"]) == ("P-0001", "P-0002", 2, 1)
    assert [x["login"] for x in any_service.get_project("P-0001")["leaders"]] == ["wang"]
    assert any_service.add_project(name="next", investor="i", industry="x", investment_minor=1,
                                   unit="XH").project.code == "P-0003"
    d0 = clock.today() - timedelta(days=5)
    any_service.bulk_apply([BulkOp("P-0002", "advance", d0 + timedelta(days=5), {"target": "submit"}),
                            BulkOp("P-0002", "followup", d0 + timedelta(days=5), {"note": "x"})])
    view = any_service.get_project("P-0002")
    assert view["stage"] == "screening" and view["version"] == 3
    verify(any_cli)


# --- bulk writes ---------------------------------------------------------------------------------------


def test_bulk_writes_are_the_single_writes(tmp_path):
    d0 = clock.today() - timedelta(days=90)
    c1, admin1, one = fresh(tmp_path, "single")
    c2, admin2, _ = fresh(tmp_path, "bulk")
    for svc in (one, Service(admin2.engine, "coord")):
        for row in PROJECTS:
            svc.add_project(**row, on=d0)
    for op in scenario(d0):
        single(admin1, op)
    summary = admin2.bulk_apply(scenario(d0))
    assert summary == {"writes": len(scenario(d0)), "events": 32, "projects": 4}  # 31 writes and the automatic fund
    s1, s2 = snapshot(admin1), snapshot(admin2)
    assert s1 == s2
    stages = {p.code: p.stage for p in s1["projects"]}
    assert stages == {"P-0001": "production", "P-0002": "rejected", "P-0003": "withdrawn", "P-0004": "lead"}
    assert any(e.trigger == "fund" for e in s2["events"])  # the first capital fired fund
    verify(c2)


def test_a_refused_bulk_write_names_it_and_writes_nothing(service, cli):
    cli.admin("people", "add", "li", "--name", "李", "--level", "township", ok=True)
    d0 = clock.today() - timedelta(days=30)
    service.add_project(**PROJECTS[0], on=d0)
    before = snapshot(service)
    ops = scenario(d0)[1:12]  # without the lead leader: signing a key project is refused
    with pytest.raises(Refused) as exc:
        service.bulk_apply(ops)
    assert exc.value.message.startswith("write 9 (P-0001 advance on")
    assert exc.value.details[0]["guard"] == "key_has_lead_leader"
    assert snapshot(service) == before
    with pytest.raises(BadInput, match="write 2 .*future"):
        service.bulk_apply([BulkOp("P-0001", "followup", d0, {"note": "a"}),
                            BulkOp("P-0001", "followup", clock.today() + timedelta(days=1), {"note": "b"})])
    with pytest.raises(BadInput, match="before P-0001's previous transition"):
        service.bulk_apply([BulkOp("P-0001", "advance", d0 + timedelta(days=5), {"target": "submit"}),
                            BulkOp("P-0001", "advance", d0 + timedelta(days=4), {"target": "withdraw",
                                                                                  "reason": "x"})])
    with pytest.raises(NotAllowed):  # assignments are the admin's
        service.bulk_apply([BulkOp("P-0001", "assign", d0, {"role": "lead_leader", "login": "wang",
                                                            "reason": "x"})])
    with pytest.raises(BadInput, match="county level"):
        Service(service.engine, ADMIN).bulk_apply(
            [BulkOp("P-0001", "assign", d0, {"role": "lead_leader", "login": "li", "reason": "x"})])
    assert snapshot(service) == before


def test_the_amount_limit_is_the_money_limit():
    from workflow import money
    from workflow.commands import ProjectFields

    assert ProjectFields.parse(name="a", investment_minor=money.MAX_MINOR).planned_investment_minor == money.MAX_MINOR
    with pytest.raises(BadInput, match="larger than the limit"):
        ProjectFields.parse(name="a", investor=None, industry=None, investment_minor=money.MAX_MINOR + 1, unit=None)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, documents, max_size=6), texts, texts | st.none(), texts | st.none(),
       st.integers(1, 10**6))
def test_event_bytes_are_the_audit_document(payload, actor, reason, trigger, seq):
    fields = dict(project="P-0042", seq=seq, kind="transition", trigger=trigger, from_stage="lead", to_stage=None,
                  effective_on=date(2026, 2, 3), recorded_at="2026-02-03T04:05:06.000007Z", actor=actor,
                  reason=reason, payload=payload, prev_hash="e" * 64)
    got = encoding.event_bytes("P-0042", seq, "transition", trigger, "lead", None, "2026-02-03", fields["recorded_at"],
                             actor, reason, encoding.payload_text(payload), "e" * 64)
    assert got == encoding.canonical_reference(encoding.event_document(**fields))


def _one_line(text: str) -> bool:
    from workflow.text import unsafe_char

    return unsafe_char(text) is None  # names refuse control characters (tests/test_text.py)


_line = texts.filter(_one_line)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=30).filter(str.strip).filter(_one_line), _line | st.none(), _line | st.none(),
       _line | st.none(), _line | st.none(), st.integers(0, 9_000_000_000_000_000), st.none() | st.booleans(),
       st.dictionaries(st.sampled_from(["sign", "fund", "break_ground", "commission"]),
                       st.dates(date(1990, 1, 1), date(2100, 12, 31)), max_size=4))
def test_the_registered_payload_is_rfc8785(name, investor, industry, origin, category, minor, key, plan):
    from workflow.commands import ProjectFields

    f = ProjectFields.parse(name=name, investor=investor, industry=industry, investment_minor=minor, unit="XH",
                            origin=origin, category=category, key=key, plan=plan)
    event = events.Registered(on=date(2026, 1, 2), stage="lead", name=f.name, investor=f.investor, origin=f.origin,
                              industry=f.industry, category=f.category, key=bool(key),
                              planned_investment_minor=f.planned_investment_minor, unit_code=f.unit_code,
                              workflow_name="investment", workflow_version=1, plan=f.plan)
    assert encoding.payload_text(event.payload()).encode("utf-8") == encoding.canonical_reference(event.payload())
