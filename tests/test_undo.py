"""``pipeline undo``: the acting user's own latest entry, within the window, nothing recorded after it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.stages import service_to_signed, to_signed
from workflow.errors import NotAllowed, Refused


def new_project(cli, actor="coord") -> str:
    return cli("project", "add", "--name", "盛典蓝莓", "--investor", "盛典蓝莓科技开发有限公司", "--industry", "agri",
               "--investment", "5600万", "--unit", "XH", json=True, actor=actor, ok=True).json["code"]


def test_undo_a_first_capital_and_the_fund_it_fired(cli):
    code = new_project(cli)
    to_signed(cli, code)
    cli("capital", "add", code, "3000万", ok=True)
    assert cli("project", "show", code, json=True).json["stage"] == "funding"
    doc = cli("undo", code, "--reason", "金额录错", json=True, ok=True).json
    assert len(doc["undone"]) == 2 and doc["stage"] == "signed"
    assert [e["payload"]["undo"] for e in doc["events"]] == [True, True]
    assert {e["payload"]["kind"] for e in doc["events"]} == {"transition", "capital"}
    assert all(e["reason"] == "金额录错" for e in doc["events"])
    show = cli("project", "show", code, json=True).json
    assert show["stage"] == "signed" and show["capital_in_place"] == [{"amount_minor": 0, "currency": "CNY"}]
    assert cli("audit", "verify", json=True, ok=True).json["ok"]
    # the latest entry is now the undo itself: nothing of the user's to undo
    res = cli("undo", code, json=True)
    assert res.code == 3
    cli("capital", "add", code, "3000万", ok=True)  # the reversed tranche is no duplicate
    assert cli("project", "show", code, json=True).json["stage"] == "funding"


def test_undo_refused_for_another_users_entry(cli):
    code = new_project(cli, actor="admin")
    cli.admin("followup", "add", code, "走访", ok=True)
    res = cli("undo", code, json=True)  # coord has no entry here: the latest is the admin's
    assert res.code == 6 and "admin" in res.json["error"]["message"]
    cli("followup", "add", code, "电话联系", ok=True)
    cli.admin("followup", "add", code, "再次走访", ok=True)
    res = cli("undo", code, json=True)  # coord's own entry is not the latest
    assert res.code == 3 and "not the project's latest" in res.json["error"]["message"]
    cli.admin("users", "add", "aud", "--role", "auditor", ok=True)
    assert cli("undo", code, json=True, actor="aud").code == 6


def test_undo_refused_after_the_window(cli, monkeypatch):
    from workflow import clock

    code = new_project(cli)
    real = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real() - timedelta(days=2))
    cli("project", "edit", code, "--name", "两天前录入", ok=True)
    monkeypatch.setattr(clock, "utcnow", real)
    res = cli("undo", code, json=True)
    assert res.code == 3 and "outside the undo window" in res.json["error"]["message"]
    assert cli("undo-window", "3", json=True).code == 6  # admin only
    assert cli.admin("undo-window", "3", json=True, ok=True).json == {"undo_window_days": 3}
    assert cli("undo-window", json=True, ok=True).json == {"undo_window_days": 3}
    cli("undo", code, ok=True)
    assert cli.admin("undo-window", "-1").code == 2


def test_undo_refusals_name_the_entry_and_the_window_in_the_runs_language(cli, monkeypatch):
    """"event 7" for one event, "events 8 and 9" for two; the window in the run's language."""
    import re

    from workflow import clock

    code = new_project(cli)
    real = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real() - timedelta(days=5))
    cli("project", "edit", code, "--name", "五天前录入", ok=True)
    seq = 2  # after the registration
    monkeypatch.setattr(clock, "utcnow", real)
    en = cli("undo", code, json=True).json["error"]["message"]
    assert f"your latest entry (event {seq}) was recorded" in en and "outside the undo window (today)" in en, en
    zh = cli("undo", code, lang="zh", json=True).json["error"]["message"]
    assert f"（事件 {seq}）" in zh and "（当天）" in zh and not re.search(r"[a-z]", zh.replace(code, "")), zh
    cli.admin("undo-window", "3", ok=True)
    assert "outside the undo window (the last 3 days)" in cli("undo", code, json=True).json["error"]["message"]
    assert "（最近 3 天）" in cli("undo", code, lang="zh", json=True).json["error"]["message"]
    cli.admin("undo-window", "1", ok=True)
    assert "outside the undo window (the last 1 day)" in cli("undo", code, json=True).json["error"]["message"]

    to_signed(cli, code)
    cli("capital", "add", code, "3000万", ok=True)  # a capital and the fund it fired: one entry of two events
    cli("undo", code, ok=True)
    en = cli("undo", code, json=True).json["error"]["message"]
    assert re.search(r"your latest entry \(events (\d+) and (\d+)\) is a correction", en), en


def test_undo_an_edit_puts_the_old_values_back(cli):
    code = new_project(cli)
    cli("project", "edit", code, "--name", "盛典蓝莓二期", "--investment", "2亿", ok=True)
    assert cli("project", "show", code, json=True).json["key"] is True
    cli("undo", code, ok=True)
    show = cli("project", "show", code, json=True).json
    assert show["name"] == "盛典蓝莓" and show["planned_investment"]["amount_minor"] == 5600_0000_00
    assert show["key"] is False
    assert cli("audit", "verify", json=True, ok=True).json["ok"]


def test_registration_is_not_undone(cli):
    code = new_project(cli)
    res = cli("undo", code, json=True)
    assert res.code == 3 and "withdraw" in res.json["error"]["message"]


def test_python_api_undo(cli, service):
    code = service.add_project(name="东安金矿", investor="东安", industry="mining", investment_minor=100,
                               unit="XH").project.code
    service_to_signed(service, code)
    service.add_investment(code, 500, "CNY")
    doc = service.undo(code)
    assert doc["undone"] and doc["events"][0]["payload"]["amount_minor"] == -500
    with pytest.raises(Refused):
        service.undo(code)
    from workflow.db import make_engine
    from workflow.service import Service

    admin = Service(make_engine(cli.url_for("admin")), "admin")  # on PostgreSQL the login is the actor
    admin.add_followup(code, "x")
    with pytest.raises(NotAllowed):  # coord's latest entry was the undo; the latest is the admin's
        service.undo(code)
    other = service.add_project(name="另一项目", investor="某公司", industry="x", investment_minor=1,
                                unit="XH").project.code
    admin.add_followup(other, "y")
    with pytest.raises(Refused):
        service.undo(other)  # coord registered it: its latest own entry is not the latest
    third = admin.add_project(name="第三项目", investor="某公司", industry="x", investment_minor=1,
                              unit="XH").project.code
    with pytest.raises(NotAllowed):
        service.undo(third)


def _checks(cli, code) -> dict:
    return {c["item"]: c["result"] for c in cli("project", "show", code, "--full", json=True, ok=True).json["checks"]}


def test_undo_a_check_result_puts_the_one_before_back(cli):
    code = new_project(cli)
    cli("advance", code, "submit", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", code, item, "pass", ok=True)
    cli("doc", "add", code, "committee_decision", "县招委〔2026〕3号", ok=True)
    cli("check", code, "environment", "fail", "--note", "排放超标", ok=True)
    assert _checks(cli, code)["environment"] == "fail"
    doc = cli("undo", code, json=True, ok=True).json
    assert doc["events"][0]["payload"]["restore"]["result"] == "pass"
    assert _checks(cli, code)["environment"] == "pass"  # the live row read, as the guards read it
    nxt = cli("next", code, json=True, ok=True).json
    approve = next(t for t in nxt["transitions"] if t["trigger"] == "approve")
    assert approve["allowed"] is True
    assert cli("audit", "verify", json=True, ok=True).json["ok"]
    cli("check", code, "environment", "fail", ok=True)  # undone the other way: pass -> fail taken back too
    cli("undo", code, ok=True)
    assert cli("advance", code, "approve", json=True, ok=True).json["stage"] == "approved"
    assert cli("audit", "verify", json=True, ok=True).json["ok"]


def test_undo_refuses_a_first_check_result_and_a_document_writing_nothing(cli):
    code = new_project(cli)
    cli("advance", code, "submit", ok=True)
    cli("check", code, "environment", "pass", ok=True)
    before = len(cli("history", code, json=True, ok=True).json["events"])
    res = cli("undo", code, json=True)
    assert res.code == 3 and "first result of check" in res.json["error"]["message"]
    cli("doc", "add", code, "committee_decision", "县招委〔2026〕3号", ok=True)
    res = cli("undo", code, json=True)
    assert res.code == 3 and "cannot be undone" in res.json["error"]["message"]
    cli("followup", "add", code, "电话联系", ok=True)
    assert cli("undo", code, json=True).code == 3
    assert len(cli("history", code, json=True, ok=True).json["events"]) == before + 2  # no correction written
    assert _checks(cli, code)["environment"] == "pass"
    assert cli("audit", "verify", json=True, ok=True).json["ok"]


def _plans(cli, code) -> dict:
    plans = cli("project", "show", code, json=True, ok=True).json["year_plans"]
    return {y: p["amount_minor"] for y, p in plans.items()}


def test_undo_a_year_plan_puts_the_plan_before_back(cli):
    import sqlite3

    code = new_project(cli)
    cli("project", "edit", code, "--year-plan", "2026=1亿", ok=True)
    cli("project", "edit", code, "--year-plan", "2026=2亿", "--year-plan", "2027=3亿", ok=True)
    assert _plans(cli, code) == {"2026": 2_0000_0000_00, "2027": 3_0000_0000_00}
    doc = cli("undo", code, json=True, ok=True).json
    assert len(doc["undone"]) == 2
    assert _plans(cli, code) == {"2026": 1_0000_0000_00}
    assert cli("audit", "verify", json=True, ok=True).json["ok"]
    if cli.engine_kind != "sqlite":
        return
    # the undone plan put back in force by hand (the restoring rows deleted): verify names them
    with sqlite3.connect(cli.db) as conn:
        conn.executemany("DELETE FROM year_plan WHERE event_seq = ?", [(e["seq"],) for e in doc["events"]])
    assert _plans(cli, code)["2026"] == 2_0000_0000_00
    res = cli("audit", "verify", json=True)
    assert res.code == 7 and {f.get("table") for f in res.json["failures"]} >= {"year_plan"}
