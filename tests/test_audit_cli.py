"""The audit commands through the command line: history, audit log, checkpoints, verify, correct,
and auditor access (read every command, SQLite opened read-only, never write)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from tests.invariants import store_problems

EVENT_KEYS = {"seq", "kind", "trigger", "from", "to", "effective_on", "recorded_at", "actor", "reason", "payload",
              "hash", "prev_hash"}


def day(n: int) -> date:
    return date.today() - timedelta(days=n)


def approved_project(service, name="东安金矿", unit="XH", on=None) -> str:
    """A project taken to `approved` (screening checklist, committee decision) through the service."""
    code = service.add_project(name=name, investor="利源达公司", industry="矿业", investment_minor=5600_0000_00,
                               unit=unit, on=on or day(30)).project.code
    service.advance(code, "submit", on=day(20))
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        service.record_check(code, item, "pass", on=day(19))
    service.add_document(code, "committee_decision", "县招委〔2026〕3号", on=day(18))
    service.advance(code, "approve", on=day(18))
    return code


def signed_project(service, name="东安金矿", unit="XH") -> str:
    """A project taken to `signed` (capital is recorded from there on)."""
    code = approved_project(service, name=name, unit=unit)
    service.add_document(code, "contract", "合同2026-1", on=day(15))
    service.advance(code, "sign", on=day(15))
    return code


@pytest.fixture
def aud(cli):
    cli.admin("users", "add", "aud", "--role", "auditor", ok=True)
    return "aud"


# --- history ----------------------------------------------------------------------------------------


def test_history_json_contract(cli, service, aud):
    code = approved_project(service)
    doc = cli("history", code, json=True, actor=aud, ok=True).json
    assert doc["code"] == code and doc["verified"] is True
    events = doc["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(set(e) == EVENT_KEYS for e in events)
    assert events[0]["prev_hash"] == "0" * 64 and events[0]["kind"] == "registered"
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    assert doc["head_hash"] == events[-1]["hash"]
    assert events[-1]["trigger"] == "approve" and events[-1]["to"] == "approved"
    assert events[-1]["recorded_at"].endswith("Z") and events[-1]["effective_on"] == day(18).isoformat()


def test_history_formats_show_documents_checks_amounts_and_corrections(cli, service, aud, tmp_path):
    code = signed_project(service)
    service.add_capital(code, 4179_0000_00, "USD", source="外资", on=day(10))
    cli.admin("correct", code, 3, "--reason", "核查结果录入错误", ok=True)
    rows = list(csv.reader(io.StringIO(cli("history", code, "--format", "csv", actor=aud, ok=True).out)))
    assert rows[0][:3] == ["#", "Effective", "Recorded (UTC)"]
    text = "\n".join(",".join(r) for r in rows)
    assert "县招委〔2026〕3号" in text and "USD" in text and "(corrected by #" in text
    assert "corrects #3" in text and "核查结果录入错误" in text
    md = cli("history", code, "--format", "md", actor=aud, lang="zh", ok=True).out
    assert md.startswith(f"# {code} 东安金矿") and "已由第" in md and "4,179.00 万美元" in md
    out = tmp_path / "h.html"
    cli.admin("audit", "checkpoint", ok=True)
    digest = cli("audit", "checkpoints", json=True, ok=True).json["checkpoints"][0]["digest"]
    res = cli("history", code, "--format", "html", "--output", str(out), actor=aud, ok=True)
    assert res.out == ""
    page = out.read_text(encoding="utf-8")
    assert "@page" in page and "size: A4" in page
    assert "东安金矿" in page and "利源达公司" in page and "新华镇" in page  # the project header
    assert f"events: {len(rows) - 1}" in page.lower() or f"Events: {len(rows) - 1}" in page
    assert "chain head" in page and cli("history", code, json=True).json["head_hash"] in page
    assert digest in page


def test_history_timeline_on_terminal_and_broken_chain_warning(cli, service):
    code = approved_project(service)
    res = cli("history", code, ok=True)
    assert "chain intact" in res.out and "approve" in res.out and "Approved for entry" in res.out
    import sqlite3

    con = sqlite3.connect(cli.db)
    con.execute("DROP TRIGGER event_no_update")
    con.execute("UPDATE event SET actor = 'mallory' WHERE seq = 2")
    con.commit()
    con.close()
    res = cli("history", code, ok=True)
    assert "CHAIN BROKEN" in res.out and "fails verification" in res.err
    assert cli("history", code, json=True).json["verified"] is False


def test_history_unknown_project_and_bad_format(cli):
    assert cli("history", "P-9999", json=True).code == 4
    assert cli("history", "P-9999", "--format", "pdf").code == 2
    assert cli("history", "P-9999", "--output", "x.html").code == 2  # --output needs --format


# --- audit log ----------------------------------------------------------------------------------------


@pytest.fixture
def county(cli, service):
    a = approved_project(service, "东安金矿", "XH")
    b = approved_project(service, "申逊北药", "FGW")
    service.add_followup(b, "电话跟进", on=day(5))
    cli.admin("users", "add", "c2", "--role", "coordinator", ok=True)
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(f"sqlite:///{cli.db}")
    Service(engine, "c2").advance(a, "withdraw", reason="投资方撤回", on=day(2))
    engine.dispose()
    return a, b


def log(cli, *args, actor="aud"):
    return cli("audit", "log", *args, json=True, actor=actor, ok=True).json


def setup_count(cli) -> int:
    """How many set-up ledger entries there are (users, units, people added: docs/audit.md)."""
    return cli("audit", "log", "--setup", json=True, actor="aud", ok=True).json["count"]


def test_audit_log_filters(cli, county, aud):
    a, b = county
    everything = log(cli)
    events = [e for e in everything["events"] if not e.get("setup")]  # the set-up entries are interleaved
    assert everything["count"] == len(everything["events"]) == len(events) + setup_count(cli)
    assert len(events) == 2 * 8 + 2
    assert [e["effective_on"] for e in everything["events"]] == sorted(e["effective_on"] for e in everything["events"])
    assert {e["code"] for e in events} == {a, b}
    assert all(EVENT_KEYS <= set(e) for e in events)
    assert [e["code"] for e in log(cli, "--unit", "FGW")["events"]] == [b] * 9
    by_c2 = log(cli, "--actor", "c2")["events"]
    assert [(e["code"], e["trigger"]) for e in by_c2] == [(a, "withdraw")]
    assert len(log(cli, "--kind", "transition")["events"]) == 5
    into_screening = log(cli, "--stage", "screening")["events"]
    assert sorted((e["code"], e["trigger"]) for e in into_screening) == sorted(
        [(a, "submit"), (a, "approve"), (b, "submit"), (b, "approve")])
    window = [e for e in log(cli, "--from", day(19).isoformat(), "--to", day(5).isoformat())["events"]
              if not e.get("setup")]
    assert window and all(day(19).isoformat() <= e["effective_on"] <= day(5).isoformat() for e in window)
    assert len(window) == 2 * 6 + 1
    assert log(cli, "--kind", "correction")["events"] == []


def test_audit_log_refuses_unknown_filters(cli, county, aud):
    assert cli("audit", "log", "--unit", "NOPE", json=True).code == 4
    assert cli("audit", "log", "--stage", "nowhere", json=True).code == 4  # names no stage: not found
    assert cli("audit", "log", "--kind", "nonsense", json=True).code == 2
    assert cli("audit", "log", "--from", "2026-13-01", json=True).code == 2
    assert cli("audit", "log", "--from", day(1).isoformat(), "--to", day(9).isoformat(), json=True).code == 2


def test_audit_log_formats(cli, county, aud, tmp_path):
    a, b = county
    n = 18 + setup_count(cli)
    rows = list(csv.reader(io.StringIO(cli("audit", "log", "--format", "csv", actor=aud, ok=True).out)))
    assert rows[0][:2] == ["Code", "#"] and len(rows) == 1 + n
    md = cli("audit", "log", "--unit", "XH", "--format", "md", actor=aud, lang="zh", ok=True).out
    assert md.startswith("# 审计日志 (unit=XH)") and md.count(f"| {a} |") == 9 and b not in md
    out = tmp_path / "log.html"
    res = cli("audit", "log", "--format", "html", "--output", str(out), actor=aud, ok=True)
    assert res.out == "" and f"{n} events" in res.err
    page = out.read_text(encoding="utf-8")
    assert page.count("<tr><td>") == n and "投资方撤回" in page and "@page" in page
    table = cli("audit", "log", actor=aud, ok=True).out
    assert a in table and "withdraw" in table


def test_audit_log_json_is_one_document_even_when_empty(cli, aud):
    doc = log(cli)  # no project yet: only the set-up entries of the county's users, units and people
    assert doc["count"] == len(doc["events"]) == setup_count(cli) and all(e["setup"] for e in doc["events"])
    assert log(cli, "--unit", "XH") == {"events": [], "count": 0}


def test_audit_log_streams(cli, county, monkeypatch):
    """Rows are fetched in batches from a cursor as they are written, never all at once."""
    from workflow import audit_log

    seen = []
    real = audit_log.iter_log

    def spy(engine, **kw):
        kw["batch"] = 3
        for e in real(engine, **kw):
            seen.append(e["seq"])
            yield e

    monkeypatch.setattr(audit_log, "iter_log", spy)
    res = cli("audit", "log", "--format", "csv", ok=True)
    n = 18 + setup_count(cli)
    assert len(seen) == n and res.out.count("\n") == n + 1


# --- checkpoints, verify ----------------------------------------------------------------------------


def test_checkpoint_by_admin_is_stored_by_auditor_is_not(cli, county, aud, service):
    doc = cli.admin("audit", "checkpoint", json=True, ok=True).json
    assert {"digest", "projects", "events", "at"} <= set(doc) and doc["stored"] is True
    assert doc["projects"] == 2 and doc["events"] == 18 and len(doc["digest"]) == 64  # the ledger is no project
    mine = cli("audit", "checkpoint", json=True, actor=aud, ok=True).json
    assert mine["stored"] is False and mine["digest"] == doc["digest"]  # same history, same digest
    stored = cli("audit", "checkpoints", json=True, actor=aud, ok=True).json["checkpoints"]
    assert [c["digest"] for c in stored] == [doc["digest"]]
    service.add_followup(county[1], "再次跟进")
    later = cli("audit", "checkpoint", json=True, actor=aud, ok=True).json
    assert later["digest"] != doc["digest"] and later["events"] == 19
    report = cli("audit", "verify", "--digest", mine["digest"], json=True, actor=aud, ok=True).json
    assert report["ok"] and report["digest"]["covered_events"] == 18
    text = cli("audit", "checkpoint", actor=aud, ok=True)
    assert later["digest"] in text.out and "not stored" in text.err


def test_verify_text_output(cli, county, aud):
    cli.admin("audit", "checkpoint", ok=True)
    res = cli("audit", "verify", actor=aud, ok=True)
    assert res.out.startswith("ok: 2 projects, 18 events verified")
    assert "covers 18 events, all unchanged" in res.out


def test_verify_and_history_count_one_event_in_the_singular(cli, aud, tmp_path):
    code = cli("project", "add", "--name", "甲", "--investor", "乙", "--industry", "agri", "--investment", "5600万",
               "--unit", "XH", json=True, ok=True).json["code"]
    cli.admin("audit", "checkpoint", ok=True)
    res = cli("audit", "verify", actor=aud, ok=True)
    assert res.out.startswith("ok: 1 project, 1 event verified") and "covers 1 event, all unchanged" in res.out, res.out
    assert "校验通过: 1 个项目, 1 条记录 已校验" in cli("audit", "verify", actor=aud, lang="zh", ok=True).out
    assert "1 event · chain intact" in cli("history", code, actor=aud, ok=True).out
    page = tmp_path / "h.html"
    cli("history", code, "--format", "html", "--output", str(page), actor=aud, ok=True)
    assert ", 1 event)" in page.read_text(encoding="utf-8")  # the latest checkpoint's count


def test_unknown_actor_may_read_audit(cli, county):
    for args in (("history", county[0]), ("audit", "log"), ("audit", "verify"), ("audit", "checkpoint"),
                 ("audit", "checkpoints")):
        assert cli(*args, json=True, actor="stranger").code == 0, args


# --- auditor access ------------------------------------------------------------------------------------


def test_auditor_reads_everything_and_writes_nothing(cli, county, aud):
    a, b = county
    for args in (("project", "show", a), ("project", "list"), ("next", b), ("history", a), ("audit", "log"),
                 ("audit", "verify"), ("audit", "checkpoint"), ("units", "list"), ("people", "list"),
                 ("users", "list"), ("workflow", "show")):
        assert cli(*args, json=True, actor=aud).code == 0, args
    for args in (("correct", b, 2, "--reason", "x"), ("advance", b, "sign"), ("followup", "add", b, "x"),
                 ("capital", "add", b, "100万")):
        res = cli(*args, json=True, actor=aud)
        assert res.code == 6 and res.json["error"]["code"] == "role_may_not", args


def test_history_and_audit_open_sqlite_read_only(cli, county, aud, monkeypatch):
    import workflow.db as dbm

    opened = []
    real = dbm.make_engine

    def spy(url, **kw):
        opened.append(kw)
        return real(url, **kw)

    monkeypatch.setattr(dbm, "make_engine", spy)
    for args in (("history", county[0]), ("audit", "log"), ("audit", "verify"), ("audit", "checkpoints"),
                 ("audit", "checkpoint")):
        opened.clear()
        assert cli(*args, json=True, actor=aud).code == 0
        assert opened and all(kw.get("readonly") for kw in opened), (args, opened)
    # and a read-only engine really cannot write
    engine = real(f"sqlite:///{cli.db}", readonly=True)
    with pytest.raises(Exception, match="readonly"):
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM checkpoint")
    engine.dispose()


# --- corrections -----------------------------------------------------------------------------------------


def _engine(cli):
    from workflow.db import make_engine

    return make_engine(f"sqlite:///{cli.db}")


def test_correct_a_wrong_rejection(cli, service):
    code = service.add_project(name="宾馆建设项目", investor="利源达公司", industry="服务业",
                               investment_minor=8000_0000_00, unit="XH", on=day(30)).project.code
    service.advance(code, "submit", on=day(20))
    service.advance(code, "reject", reason="误判为高耗能", on=day(10))
    assert cli("advance", code, "submit", json=True).code == 3  # a final stage has no way out
    assert cli("correct", code, 3, "--reason", "x", json=True).code == 6  # coordinators may not correct
    assert cli.admin("correct", code, 3, json=True).code == 2  # --reason is required
    res = cli.admin("correct", code, 3, "--reason", "经复核不属于高耗能项目", json=True, ok=True).json
    assert res["stage"] == "screening" and res["event"]["kind"] == "correction"
    assert res["event"]["from"] == "rejected" and res["event"]["to"] == "screening"
    assert res["event"]["payload"]["corrects"] == 3 and res["event"]["reason"] == "经复核不属于高耗能项目"
    show = cli("project", "show", code, json=True).json
    assert show["stage"] == "screening" and show["stage_since"] == day(20).isoformat()
    events = cli("history", code, json=True).json["events"]
    assert [e["kind"] for e in events] == ["registered", "transition", "transition", "correction"]
    assert events[2]["to"] == "rejected"  # the wrong event is still there, unchanged
    # the project carries on, even with a date before the correction (the real screening went on)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        service.record_check(code, item, "pass")
    service.add_document(code, "committee_decision", "县招委〔2026〕9号")
    cli("advance", code, "approve", ok=True)
    assert cli("audit", "verify", json=True).json["ok"]
    assert store_problems(_engine(cli)) == []


def test_correct_only_the_latest_stage_change_and_only_once(cli, service):
    code = approved_project(service)
    events = cli("history", code, json=True).json["events"]
    submit = next(e["seq"] for e in events if e["trigger"] == "submit")
    approve = events[-1]["seq"]
    res = cli.admin("correct", code, submit, "--reason", "x", json=True)
    assert res.code == 3 and f"correct event {approve} first" in res.json["error"]["message"]
    cli.admin("correct", code, approve, "--reason", "委员会决定尚未生效", ok=True)
    res = cli.admin("correct", code, approve, "--reason", "again", json=True)
    assert res.code == 3 and "already corrected" in res.json["error"]["message"]
    assert cli.admin("correct", code, 99, "--reason", "x", json=True).code == 4
    assert cli.admin("correct", "P-9999", 1, "--reason", "x", json=True).code == 4
    # the submit is now the latest stage change still in force, after the correction that undid approve
    res = cli.admin("correct", code, submit, "--reason", "x", json=True)
    assert res.code == 3  # the correction (which moved the stage) is the latest stage change now
    corr = cli("history", code, json=True).json["events"][-1]["seq"]
    back = cli.admin("correct", code, corr, "--reason", "更正有误，恢复已准入", json=True, ok=True).json
    assert back["stage"] == "approved"  # correcting a correction restores the stage it undid
    assert cli("audit", "verify", json=True).json["ok"]


def test_correct_hold_and_resume_restore_held_from(cli, service):
    code = approved_project(service)
    service.advance(code, "hold", reason="资金链紧张", on=day(5))
    service.advance(code, "resume", on=day(3))
    seq = cli("history", code, json=True).json["events"][-1]["seq"]
    res = cli.admin("correct", code, seq, "--reason", "尚未恢复", json=True, ok=True).json
    assert res["stage"] == "on_hold"
    assert cli("next", code, json=True).json["transitions"][0]["to"] in ("approved", "withdrawn")
    assert cli("audit", "verify", json=True).json["ok"]  # held_from replays to what the row says
    cli("advance", code, "resume", ok=True)
    assert cli("project", "show", code, json=True).json["stage"] == "approved"
    assert store_problems(_engine(cli)) == []


def test_correct_capital_reverses_the_amount(cli, service):
    code = signed_project(service)
    service.add_followup(code, "跟进")
    service.add_capital(code, 5600_0000_00, "CNY", on=day(4), confirm=True)
    seq = cli("history", code, json=True).json["events"][-2]["seq"]  # the last one is the `fund` it fired
    res = cli.admin("correct", code, seq, "--reason", "金额录错，应为560万", ok=True)
    assert "reversed" in res.err
    show = cli("project", "show", code, json=True).json
    assert show["capital_in_place"] == [{"amount_minor": 0, "currency": "CNY"}]
    last = cli("history", code, json=True).json["events"][-1]
    assert last["payload"] == {"corrects": seq, "kind": "capital", "amount_minor": -5600_0000_00, "currency": "CNY"}
    assert last["from"] is None and last["to"] is None
    assert cli.admin("correct", code, last["seq"], "--reason", "x", json=True).code == 3  # moved no stage
    followup = seq - 1
    note = cli.admin("correct", code, followup, "--reason", "跟进对象写错", json=True, ok=True).json
    assert note["event"]["payload"] == {"corrects": followup, "kind": "followup"}
    assert cli("audit", "verify", json=True).json["ok"]
    assert store_problems(_engine(cli)) == []


# --- both engines ---------------------------------------------------------------------------------------


def test_audit_on_each_engine(any_cli, any_service):
    c = any_cli
    code = signed_project(any_service)
    any_service.add_capital(code, 1000_0000_00, "CNY", on=day(3))  # fires `fund`
    digest = c.admin("audit", "checkpoint", json=True, ok=True).json
    assert digest["stored"] is True and digest["events"] == 12
    seq = c("history", code, json=True, ok=True).json["events"][-2]["seq"]
    c.admin("correct", code, seq, "--reason", "重复录入", ok=True)
    report = c("audit", "verify", "--digest", digest["digest"], json=True, ok=True).json
    assert report["ok"] and report["digest"]["matched"] and report["events"] == 13
    assert c("audit", "log", "--kind", "correction", json=True, ok=True).json["count"] == 1
    assert json.loads(c("history", code, json=True, ok=True).out)["verified"] is True


def test_empty_database_checkpoint_and_verify(cli, aud):
    doc = cli.admin("audit", "checkpoint", json=True, ok=True).json
    # no event yet; the digest covers the set-up ledger's entries (the county's users, units, people)
    assert doc["events"] == 0 and doc["projects"] == 0 and doc["ledger"]["seq"] == setup_count(cli)
    report = cli("audit", "verify", "--digest", doc["digest"], json=True, actor=aud, ok=True).json
    assert report["ok"] and report["digest"]["covered_events"] == 0
    assert cli("audit", "log", "--format", "md", actor=aud, ok=True).out.startswith("# Audit log")


@pytest.mark.sqlite_only
def test_history_shows_the_latest_checkpoint_without_reading_every_head(cli, county, aud):
    """The checkpoint row holds every project's head (megabytes on a large county): history shows the
    latest checkpoint's summary and never selects the heads."""
    from sqlalchemy import event

    from workflow import audit_log
    from workflow.db import make_engine

    cli.admin("audit", "checkpoint", ok=True)
    latest = cli("audit", "checkpoints", json=True, ok=True).json["checkpoints"][0]
    engine = make_engine(cli.url_for(aud), readonly=True)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    data = audit_log.project_history(engine, county[0])
    engine.dispose()
    assert data["checkpoint"] == latest and set(latest) == {"digest", "projects", "events", "at", "actor"}
    assert any("FROM checkpoint" in s for s in statements)
    assert not any("heads" in s for s in statements)


def test_audit_logs_show_a_close_by_its_period_and_digest_not_its_frozen_content(cli, aud):
    """A close's ledger entry holds the frozen reports, narrative and document settings: the log's rows
    (``--setup`` and the interleaved log) name the period and the digest; `audit ledger --json` holds
    the rest (docs/audit.md)."""
    from datetime import date

    last_year = str(date.today().year - 1)
    digest = cli.admin("report", "close", "--period", f"{last_year}-Q1", json=True, ok=True).json["digest"]
    for args in (("--setup",), ("--setup", "--format", "csv"), ()):
        text = cli("audit", "log", *args, actor=aud, ok=True).out
        assert digest in text and "period_closed" in text
        assert '"reports"' not in text and '"narrative"' not in text and '"documents"' not in text
    entry = [e for e in cli("audit", "ledger", json=True, actor=aud, ok=True).json["entries"]
             if e["kind"] == "period_closed"][0]
    assert {"reports", "narrative", "documents"} <= set(entry["payload"])
