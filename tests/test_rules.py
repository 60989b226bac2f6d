"""Leader-assignment rules (docs/rules.md: the rules and reassign commands)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.conftest import ADMIN


def person(cli, login: str, level: str = "county", cap: int | None = None, name: str | None = None) -> None:
    args = ["people", "add", login, "--name", name or f"{login}县长", "--level", level]
    if cap is not None:
        args += ["--cap", cap]
    cli.admin(*args, ok=True)


def rule(cli, role: str, login: str, priority: int, *conds, json_doc: bool = True) -> dict:
    res = cli.admin("rules", "add", "--role", role, "--person", login, "--priority", priority, *conds,
                    json=json_doc, ok=True)
    return res.json if json_doc else res


def project(cli, *, investment: str = "2亿", industry: str = "mining", unit: str = "XH", key: bool | None = None,
            **extra) -> str:
    args = ["project", "add", "--name", extra.get("name", "翠宏山铁多金属矿"), "--investor", "翠宏山矿业",
            "--industry", industry, "--investment", investment, "--unit", unit, "--allow-duplicate"]
    for opt in ("origin", "category"):
        if opt in extra:
            args += [f"--{opt}", extra[opt]]
    if key is not None:
        args.append("--key" if key else "--no-key")
    return cli(*args, json=True, ok=True).json["code"]


def leaders(cli, code: str, role: str | None = None) -> list[dict]:
    ls = cli("project", "show", code, json=True, ok=True).json["leaders"]
    return [x for x in ls if role is None or x["role"] == role]


def lead(cli, code: str) -> str | None:
    ls = leaders(cli, code, "lead_leader")
    assert len(ls) <= 1
    return ls[0]["login"] if ls else None


def set_person(cli, login: str, **values) -> None:
    from workflow import tables
    from workflow.db import make_engine

    engine = make_engine(f"sqlite:///{cli.db}")
    with engine.begin() as conn:
        conn.execute(update(tables.person).where(tables.person.c.login == login).values(**values))
    engine.dispose()


def withdraw(cli, code: str) -> None:
    cli("advance", code, "withdraw", "--reason", "投资方撤回", ok=True)


# --- evaluation ---------------------------------------------------------------------------------------


def test_first_match_by_priority_records_rule_and_version(cli):
    person(cli, "li")
    r_li = rule(cli, "lead_leader", "li", 20, "--key")
    r_wang = rule(cli, "lead_leader", "wang", 10, "--key", "--industry", "mining")
    assert (r_li["id"], r_li["version"], r_wang["id"]) == (1, 1, 2)
    code = project(cli)
    [ld] = leaders(cli, code, "lead_leader")
    assert (ld["login"], ld["rule_id"], ld["rule_version"]) == ("wang", 2, 1)
    # an industry the first rule does not name falls to the next one
    other = project(cli, industry="energy", name="博士慧风电")
    assert lead(cli, other) == "li"
    # the assignment is a history event carrying the rule id and version
    events = cli("history", code, json=True, ok=True).json["events"]
    asg = [e for e in events if e["kind"] == "assignment"]
    assert len(asg) == 1
    assert asg[0]["payload"] == {"role": "lead_leader", "person": "wang", "rule_id": 2, "rule_version": 1}


def test_matching_is_case_and_space_insensitive_for_text_but_not_for_units(cli):
    rule(cli, "first_responsible", "wang", 10, "--industry", " Mining  Ore ", "--unit", "XH")
    assert leaders(cli, project(cli, industry="mining ore"), "first_responsible")[0]["login"] == "wang"
    assert leaders(cli, project(cli, industry="mining"), "first_responsible") == []


def test_lead_leader_only_for_key_projects_and_county_level(cli):
    person(cli, "zhao", level="township")
    rule(cli, "lead_leader", "zhao", 5)  # never assigns: not county level (lint warns)
    rule(cli, "lead_leader", "wang", 10)
    small = project(cli, investment="5000万")
    assert leaders(cli, small) == []
    big = project(cli, investment="5000万", key=True)
    assert lead(cli, big) == "wang"


def test_cap_overflow_goes_to_the_next_rule(cli):
    cli.admin("people", "add", "zhang", "--name", "张书记", "--level", "county", "--cap", "1", ok=True)
    person(cli, "li")
    rule(cli, "lead_leader", "zhang", 10, "--key")
    rule(cli, "lead_leader", "li", 20, "--key")
    first, second = project(cli), project(cli, name="东安金矿")
    assert lead(cli, first) == "zhang"
    assert lead(cli, second) == "li"
    people = {p["login"]: p for p in cli("people", "list", json=True, ok=True).json["people"]}
    assert (people["zhang"]["lead_projects"], people["zhang"]["cap"]) == (1, 1)
    assert people["li"]["lead_projects"] == 1
    assert [p["code"] for p in cli("project", "list", "--leader", "zhang", json=True, ok=True).json["projects"]] \
        == [first]


def test_team_members_collect_every_match(cli):
    for login in ("a", "b", "c"):
        person(cli, login, level="department")
    rule(cli, "team_member", "a", 10, "--industry", "mining")
    rule(cli, "team_member", "b", 30, "--min-investment", "1亿")
    rule(cli, "team_member", "c", 20, "--unit", "FGW")
    rule(cli, "team_member", "a", 40)  # same person again: on the team once
    rule(cli, "first_responsible", "b", 10)
    rule(cli, "first_responsible", "c", 20)  # first match only
    code = project(cli)
    team = sorted(x["login"] for x in leaders(cli, code, "team_member"))
    assert team == ["a", "b"]
    assert [x["login"] for x in leaders(cli, code, "first_responsible")] == ["b"]


def test_edit_creates_a_version_and_apply_keeps_existing_leaders(cli):
    person(cli, "li")
    r = rule(cli, "lead_leader", "wang", 10, "--key")
    old = project(cli)
    doc = cli.admin("rules", "edit", r["id"], "--person", "li", "--name", "县长包保", json=True, ok=True).json
    assert (doc["id"], doc["version"]) == (r["id"], 2)
    # history is kept and readable
    current = cli("rules", "list", json=True, ok=True).json["rules"]
    assert [(x["id"], x["version"], x["person"]) for x in current] == [(1, 2, "li")]
    history = cli("rules", "list", "--all", json=True, ok=True).json["rules"]
    assert [(x["version"], x["person"], x["current"]) for x in history] == [(1, "wang", False), (2, "li", True)]
    # apply fills what is missing and never replaces the lead leader (一抓到底)
    res = cli.admin("rules", "apply", json=True, ok=True).json
    assert [c for c in res["changes"] if c["code"] == old] == []
    [ld] = leaders(cli, old, "lead_leader")
    assert (ld["login"], ld["rule_version"]) == ("wang", 1)
    new = project(cli, name="东安金矿")
    [ld] = leaders(cli, new, "lead_leader")
    assert (ld["login"], ld["rule_id"], ld["rule_version"]) == ("li", 1, 2)


def test_edit_options_replace_and_clear_conditions(cli):
    r = rule(cli, "team_member", "wang", 10, "--industry", "mining", "--unit", "XH", "--min-investment", "1亿")
    doc = cli.admin("rules", "edit", r["id"], "--industry", "energy", "--industry", "mining", "--clear", "units",
                    "--clear", "min_investment", "--priority", "5", json=True, ok=True).json
    assert doc["rule"]["conditions"] == {"industries": ["energy", "mining"]}
    assert doc["rule"]["priority"] == 5
    assert cli.admin("rules", "edit", r["id"], json=True).code == 2  # nothing to change
    assert cli.admin("rules", "edit", r["id"], "--clear", "colour", json=True).code == 2
    assert cli.admin("rules", "edit", 99, "--priority", "1", json=True).code == 4
    assert cli.admin("rules", "edit", r["id"], "--person", "nobody", json=True).code == 4
    assert len(cli("rules", "list", "--all", json=True).json["rules"]) == 2  # refusals wrote nothing


def test_edit_of_a_condition_field_evaluates_the_project(cli):
    code = project(cli, investment="5000万")
    rule(cli, "lead_leader", "wang", 10, "--key")
    rule(cli, "first_responsible", "wang", 10, "--industry", "energy")
    cli("project", "edit", code, "--name", "新名称", ok=True)  # no condition reads the name
    assert leaders(cli, code) == []
    edited = cli("project", "edit", code, "--key", json=True, ok=True).json
    assert [x["role"] for x in edited["leaders"]] == ["lead_leader"]
    cli("project", "edit", code, "--industry", "energy", ok=True)
    assert {x["role"] for x in leaders(cli, code)} == {"lead_leader", "first_responsible"}
    events = cli("history", code, json=True).json["events"]
    assert [e["kind"] for e in events] == ["registered", "edited", "edited", "assignment", "edited", "assignment"]


# --- followed to the end ----------------------------------------------------------------------------------


def test_reassign_requires_a_reason_and_is_history(cli):
    person(cli, "li")
    rule(cli, "lead_leader", "wang", 10, "--key")
    code = project(cli)
    assert cli.admin("reassign", code, "lead_leader", "li", json=True).code == 2
    assert cli.admin("reassign", code, "lead_leader", "li", "--reason", "  ", json=True).code == 2
    assert cli("reassign", code, "lead_leader", "li", "--reason", "分工调整", json=True).code == 6  # coordinator
    assert lead(cli, code) == "wang"
    cli.admin("reassign", code, "lead_leader", "li", "--reason", "县委常委会分工调整", ok=True)
    [ld] = leaders(cli, code, "lead_leader")
    assert (ld["login"], ld["rule_id"]) == ("li", None)
    ev = cli("history", code, json=True).json["events"][-1]
    assert ev["kind"] == "reassignment" and ev["reason"] == "县委常委会分工调整" and ev["actor"] == ADMIN
    assert ev["payload"]["replaces"] == "wang"
    # apply does not undo an explicit reassignment
    assert cli.admin("rules", "apply", json=True, ok=True).json["changes"] == []
    assert lead(cli, code) == "li"
    explained = cli("rules", "explain", code, json=True, ok=True).json
    by = {(a["login"], a["active"]): a for a in explained["assignments"]}
    assert by[("wang", False)]["ended_on"] is not None and by[("li", True)]["by"] == "reassignment"


def test_disabled_rule_keeps_its_leader_and_is_reported(cli):
    person(cli, "li")
    r = rule(cli, "lead_leader", "wang", 10, "--key")
    rule(cli, "lead_leader", "li", 20, "--key")
    code = project(cli)
    doc = cli.admin("rules", "disable", r["id"], "--reason", "退休", json=True, ok=True).json
    assert (doc["version"], doc["rule"]["active"]) == (2, False)
    assert cli.admin("rules", "disable", r["id"], "--reason", "退休", json=True, ok=True).json["changed"] is False
    res = cli.admin("rules", "apply", json=True, ok=True).json
    assert res["changes"] == []
    assert [(n["code"], n["person"], n["problem"]) for n in res["notices"]] == [(code, "wang", "rule_disabled")]
    assert lead(cli, code) == "wang"
    assert lead(cli, project(cli, name="东安金矿")) == "li"
    table = cli.admin("rules", "apply")
    assert table.code == 0 and code in table.out and "disabled" in table.out
    cli.admin("rules", "enable", r["id"], ok=True)
    assert cli("rules", "list", json=True).json["rules"][0]["version"] == 3


def test_deactivated_person_is_skipped_and_reported(cli):
    person(cli, "li")
    rule(cli, "lead_leader", "wang", 10, "--key")
    rule(cli, "lead_leader", "li", 20, "--key")
    code = project(cli)
    set_person(cli, "wang", active=False)
    assert lead(cli, project(cli, name="东安金矿")) == "li"
    res = cli.admin("rules", "apply", "--dry-run", json=True, ok=True).json
    assert [(n["code"], n["problem"]) for n in res["notices"]] == [(code, "person_inactive")]
    assert lead(cli, code) == "wang"


def test_final_stage_frees_the_cap(cli):
    set_person(cli, "wang", cap=1)
    rule(cli, "lead_leader", "wang", 10, "--key")
    first, second = project(cli), project(cli, name="东安金矿")
    assert (lead(cli, first), lead(cli, second)) == ("wang", None)
    assert "no lead leader for a key project" in cli("project", "show", second, json=True).json["light_reasons"]
    cli("advance", first, "hold", "--reason", "等待用地", ok=True)  # paused still holds the slot
    assert cli.admin("rules", "apply", "--dry-run", json=True, ok=True).json["changes"] == []
    withdraw(cli, first)
    dry = cli.admin("rules", "apply", "--dry-run", json=True, ok=True).json
    assert dry["changes"] == [{"code": second, "role": "lead_leader", "from": None, "to": "wang",
                               "to_name": "王县长", "rule_id": 1, "rule_version": 1}]
    assert lead(cli, second) is None  # dry run wrote nothing
    cli.admin("rules", "apply", ok=True)
    assert lead(cli, second) == "wang"
    assert lead(cli, first) == "wang"  # the withdrawn project keeps its history
    assert "no lead leader for a key project" not in cli("project", "show", second, json=True).json["light_reasons"]


def test_apply_fills_missing_and_prints_changes(cli):
    a, b = project(cli), project(cli, investment="5000万", name="盛典蓝莓")
    person(cli, "zhao", level="township")
    rule(cli, "lead_leader", "wang", 10, "--key")
    rule(cli, "first_responsible", "zhao", 10, "--unit", "XH")
    before = cli("project", "show", a, json=True).json["version"]
    assert cli("rules", "apply", json=True).code == 6  # coordinator may not apply
    dry = cli("rules", "apply", "--dry-run", json=True, ok=True).json  # a dry run is a read
    expected = [(a, "lead_leader", None, "wang"), (a, "first_responsible", None, "zhao"),
                (b, "first_responsible", None, "zhao")]
    assert [(c["code"], c["role"], c["from"], c["to"]) for c in dry["changes"]] == expected
    assert cli("project", "show", a, json=True).json["version"] == before
    res = cli.admin("rules", "apply", json=True, ok=True).json
    assert [(c["code"], c["role"], c["from"], c["to"]) for c in res["changes"]] == expected
    assert res["dry_run"] is False
    assert cli("project", "show", a, json=True).json["version"] == before + 1
    kinds = [e["kind"] for e in cli("history", a, json=True).json["events"]]
    assert kinds == ["registered", "assignment", "assignment"]
    assert cli.admin("rules", "apply", json=True, ok=True).json["changes"] == []  # idempotent
    out = cli.admin("rules", "apply", "--dry-run")
    assert out.code == 0 and "0 assignments would be made" in out.err


def test_apply_is_all_or_nothing(cli, service, monkeypatch):
    from workflow.events import Assigned
    from workflow.service import Service
    from workflow.store import Txn

    codes = [project(cli, name=f"项目{i}") for i in range(3)]
    rule(cli, "lead_leader", "wang", 10, "--key")
    admin = Service(service.engine, ADMIN)
    real = Txn.emit
    calls = []

    def failing(self, proj, event):
        if isinstance(event, Assigned):
            calls.append(proj.code)
            if len(calls) == 3:
                raise RuntimeError("disk full")
        return real(self, proj, event)

    monkeypatch.setattr(Txn, "emit", failing)
    with pytest.raises(RuntimeError):
        admin.apply_rules()
    monkeypatch.setattr(Txn, "emit", real)
    assert len(calls) == 3
    assert all(lead(cli, c) is None for c in codes)
    assert all(len(cli("history", c, json=True).json["events"]) == 1 for c in codes)


# --- explain ---------------------------------------------------------------------------------------------


def test_explain_matched_unmatched_and_over_cap(cli):
    set_person(cli, "wang", cap=1)
    person(cli, "li")
    r_wang = rule(cli, "lead_leader", "wang", 10, "--key")
    r_energy = rule(cli, "lead_leader", "li", 5, "--industry", "energy", "--min-investment", "1亿")
    r_li = rule(cli, "lead_leader", "li", 20, "--key")
    r_team = rule(cli, "team_member", "li", 30, "--unit", "FGW")
    first = project(cli)
    second = project(cli, name="东安金矿")
    assert (lead(cli, first), lead(cli, second)) == ("wang", "li")
    doc = cli("rules", "explain", second, json=True, ok=True).json
    assert doc["code"] == second
    by_id = {r["id"]: r for r in doc["rules"]}
    assert [r["id"] for r in doc["rules"]] == [r_energy["id"], r_wang["id"], r_li["id"], r_team["id"]]
    energy = by_id[r_energy["id"]]
    assert energy["matched"] is False and energy["outcome"] == "not_matched"
    assert [(c["condition"], c["ok"]) for c in energy["conditions"]] == [("industries", False),
                                                                         ("min_investment", True)]
    wang = by_id[r_wang["id"]]
    assert wang["matched"] is True and wang["over_cap"] is True and wang["outcome"] == "role_held"
    assert (wang["load"], wang["cap"]) == (1, 1)
    li = by_id[r_li["id"]]
    assert li["matched"] is True and li["outcome"] == "assigned" and li["over_cap"] is None
    team = by_id[r_team["id"]]
    assert team["matched"] is False and team["conditions"] == [
        {"condition": "units", "ok": False, "expected": ["FGW"], "actual": "XH",
         "text": "unit in [FGW] (project: XH)", "text_zh": "责任单位属于［FGW］（本项目：XH）"}]
    [asg] = doc["assignments"]
    assert (asg["role"], asg["login"], asg["rule_id"], asg["rule_version"], asg["by"]) == \
        ("lead_leader", "li", r_li["id"], 1, "rule")
    # on a project without a leader, the over-cap rule says why it did not assign
    third_doc = cli("rules", "explain", first, json=True).json
    assert {r["id"]: r["outcome"] for r in third_doc["rules"]}[r_wang["id"]] == "assigned"
    cli.admin("reassign", second, "lead_leader", "wang", "--reason", "x", json=True)  # wang is at cap, still allowed
    withdraw(cli, first)
    fresh = project(cli, name="宾馆建设项目", key=True, industry="hotel")
    cli.admin("reassign", fresh, "team_member", "li", "--reason", "专班", ok=True)
    set_person(cli, "li", active=False)
    doc = cli("rules", "explain", project(cli, name="利源达", industry="hotel"), json=True).json
    outcomes = {r["id"]: r["outcome"] for r in doc["rules"]}
    assert outcomes[r_wang["id"]] == "over_cap"
    assert outcomes[r_li["id"]] == "person_inactive"
    text = cli("rules", "explain", second)
    assert text.code == 0 and "at their cap" not in text.out and "[li]" in text.out
    zh = cli("rules", "explain", doc["code"], lang="zh")
    assert zh.code == 0 and "已达包保上限" in zh.out


def test_explain_would_assign_and_unknown_project(cli):
    code = project(cli)
    r = rule(cli, "lead_leader", "wang", 10, "--key")
    doc = cli("rules", "explain", code, json=True).json
    assert doc["rules"][0]["id"] == r["id"] and doc["rules"][0]["outcome"] == "would_assign"
    assert cli("rules", "explain", "P-9999", json=True).code == 4


# --- lint and administration ------------------------------------------------------------------------------


def test_lint_warnings_on_add_and_edit(cli):
    person(cli, "li")
    person(cli, "zhao", level="township")
    rule(cli, "lead_leader", "wang", 10, "--key", "--industry", "mining")
    res = cli.admin("rules", "add", "--role", "lead_leader", "--person", "li", "--priority", "10", "--key",
                    json=True, ok=True)
    assert [w["warning"] for w in res.json["warnings"]] == ["overlap"]
    assert res.json["warnings"][0]["rule"] == 1
    # same role and priority but disjoint conditions: no warning
    res = cli.admin("rules", "add", "--role", "lead_leader", "--person", "li", "--priority", "10", "--no-key",
                    "--industry", "energy", json=True, ok=True)
    assert "overlap" not in [w["warning"] for w in res.json["warnings"]]
    assert "lead_not_key" in [w["warning"] for w in res.json["warnings"]]
    res = cli.admin("rules", "add", "--role", "team_member", "--person", "zhao", "--priority", "10",
                    "--min-investment", "2亿", "--max-investment", "1亿", "--unit", "NOPE", json=True, ok=True)
    assert [w["warning"] for w in res.json["warnings"]] == ["min_above_max", "unknown_unit"]
    res = cli.admin("rules", "add", "--role", "lead_leader", "--person", "zhao", "--priority", "50")
    assert res.code == 0 and "warning" in res.err and "county" in res.err and res.out == ""
    rid = cli("rules", "list", json=True).json["rules"][-1]["id"]
    res = cli.admin("rules", "edit", rid, "--person", "li", "--priority", "10", "--key", json=True, ok=True)
    assert [w["warning"] for w in res.json["warnings"]] == ["overlap", "overlap"]
    clean = cli.admin("rules", "add", "--role", "first_responsible", "--person", "zhao", "--priority", "1",
                      "--unit", "XH", json=True, ok=True)
    assert clean.json["warnings"] == []


def test_rules_are_admin_only_and_validated(cli):
    assert cli("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", json=True).code == 6
    assert cli.admin("rules", "add", "--role", "boss", "--person", "wang", "--priority", "1", json=True).code == 2
    assert cli.admin("rules", "add", "--role", "lead_leader", "--person", "ghost", "--priority", "1",
                     json=True).code == 4
    assert cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "-1",
                     json=True).code == 2
    res = cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1",
                    "--min-investment", "100万美元", json=True)
    assert res.code == 2 and res.json["error"]["code"] == "investment_not_cny"
    assert cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1",
                     "--unit", " ", json=True).code == 2
    assert cli("rules", "list", json=True, ok=True).json["rules"] == []
    r = rule(cli, "lead_leader", "wang", 1)
    assert cli("rules", "disable", r["id"], "--reason", "退休", json=True).code == 6
    assert cli("rules", "edit", r["id"], "--priority", "3", json=True).code == 6
    assert cli.admin("rules", "disable", 42, "--reason", "x", json=True).code == 4
    listed = cli("rules", "list", actor="someone-unknown", json=True, ok=True).json["rules"]
    assert [(x["id"], x["version"], x["changed_by"]) for x in listed] == [(1, 1, ADMIN)]


def test_rules_list_table_and_chinese(cli):
    rule(cli, "lead_leader", "wang", 10, "--key", "--category", "[矿产]", "--min-investment", "1亿")
    res = cli("rules", "list")
    assert res.code == 0 and "[wang]" in res.out and "[矿产]" in res.out  # markup is escaped
    zh = cli("rules", "list", "--all", lang="zh")
    assert zh.code == 0 and "包保县级领导" in zh.out and "10,000.00 万元" in zh.out


def test_sign_guard_and_project_views(cli):
    code = project(cli)
    cli("advance", code, "submit", ok=True)
    cli("doc", "add", code, "committee_decision", "县招委〔2026〕1号", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", code, item, "pass", ok=True)
    cli("advance", code, "approve", ok=True)
    cli("doc", "add", code, "contract", "HT-1", ok=True)
    refused = cli("advance", code, "sign", json=True)
    assert refused.code == 3 and [g["guard"] for g in refused.json["error"]["details"]] == ["key_has_lead_leader"]
    rule(cli, "lead_leader", "wang", 10, "--key")
    cli.admin("rules", "apply", ok=True)
    cli("advance", code, "sign", ok=True)
    card = cli("project", "show", code)
    assert card.code == 0 and "rule 1 v1" in card.out


def test_help_on_every_rules_command(cli):
    for sub in ("add", "edit", "disable", "enable", "list", "explain", "apply"):
        res = cli("rules", sub, "--help")
        assert res.code == 0 and "Usage" in res.out


def test_rules_on_each_engine(any_cli):
    """The same rules, cap, apply and explain on SQLite and PostgreSQL."""
    cli = any_cli
    cli.admin("people", "add", "zhang", "--name", "张书记", "--level", "county", "--cap", "1", ok=True)
    rule(cli, "lead_leader", "zhang", 10, "--key")
    rule(cli, "lead_leader", "wang", 20, "--key", "--industry", "energy")
    rule(cli, "team_member", "wang", 30)
    first, second = project(cli), project(cli, name="东安金矿")
    assert (lead(cli, first), lead(cli, second)) == ("zhang", None)
    assert [x["login"] for x in leaders(cli, second, "team_member")] == ["wang"]
    cli("project", "edit", second, "--industry", "energy", ok=True)
    assert lead(cli, second) == "wang"
    third = project(cli, name="宾馆建设项目")
    withdraw(cli, first)
    res = cli.admin("rules", "apply", json=True, ok=True).json
    assert [(c["code"], c["role"], c["to"]) for c in res["changes"]] == [(third, "lead_leader", "zhang")]
    cli.admin("rules", "disable", 1, "--reason", "退休", ok=True)
    assert [n["code"] for n in cli.admin("rules", "apply", "--dry-run", json=True, ok=True).json["notices"]] \
        == [third]
    doc = cli("rules", "explain", third, json=True, ok=True).json
    assert [r["outcome"] for r in doc["rules"]] == ["assigned", "not_matched", "assigned"]
    cli.admin("reassign", third, "lead_leader", "wang", "--reason", "分工调整", ok=True)
    assert lead(cli, third) == "wang"
